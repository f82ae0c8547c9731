"""The runtime shared by Client and AsyncClient: request building, auth, retries, parsing."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime
import email.utils
import functools
import inspect
import logging
import math
import os
import random
import threading
import time
import uuid
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Iterator,
    Mapping,
)
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from types import NoneType, UnionType
from typing import (
    IO,
    Annotated,
    Any,
    Generic,
    Literal,
    ParamSpec,
    TypedDict,
    TypeVar,
    Union,
    cast,
    get_args,
    get_origin,
    get_type_hints,
)
from urllib.parse import quote as _url_quote
from urllib.parse import urljoin, urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from pydantic_core import to_jsonable_python

from . import errors

P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
DEFAULT_MAX_RETRIES = 2
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 60.0
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
RETRY_STATUSES = frozenset({408, 409, 429})
# Failures worth another attempt: the request may not have reached the server, or the answer was lost.
RETRY_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
# Everything httpx raises; none of it leaves a call unwrapped.
HTTPX_ERRORS = (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, httpx.CookieConflict)


class NotGiven:
    """Marks an argument that was not passed (as opposed to None)."""

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


NOT_GIVEN = NotGiven()
Timeout = float | httpx.Timeout | None
Credential = str | Callable[[], str]
FileContent = bytes | IO[bytes] | os.PathLike[str]
FileInput = FileContent | tuple[str, FileContent] | tuple[str, FileContent, str]
# Called once per request when the server answers 401 to the collection's auth: return a new token
# (it replaces the stored one), or None after refreshing whatever a callable credential reads.
TokenRefresher = Callable[[], str | None]
AsyncTokenRefresher = Callable[[], Awaitable[str | None]] | Callable[[], str | None]


def quote(value: object) -> str:
    """Quote a path parameter so it stays one path segment."""
    return _url_quote(str(value), safe="")


def join(*parts: str | None) -> str | None:
    """Join text parts; None when any client-level value in them is unset."""
    if any(part is None for part in parts):
        return None
    return "".join(part for part in parts if part is not None)


@dataclass(frozen=True)
class AuthScheme:
    """How a request authenticates, as Postman sends it."""

    kind: Literal["bearer", "basic", "apikey", "oauth2", "unsupported"]
    location: Literal["header", "query"] = "header"
    name: str = "Authorization"
    prefix: str = ""
    credentials: tuple[str, ...] = ()
    postman_type: str = ""  # an unsupported scheme's Postman name (`digest`, `awsv4`...)


@dataclass(frozen=True)
class ResponseSpec:
    """What a successful response may hold, from the saved examples."""

    json: Any = None
    text: bool = False
    binary: bool = False
    empty: bool = False
    unsaved: bool = False  # an example saved without its body: an empty body reads as None
    request: str = ""  # the request's folders and name, for messages and [tool.zgen] overrides

    @property
    def untyped(self) -> bool:
        return self.json is None and not (self.text or self.binary or self.empty)


class ApiModel(BaseModel):
    """The base of every generated model: keys the saved responses did not show are kept, not
    rejected, and fields can be set by their Python names as well as by their keys."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


@dataclass(frozen=True)
class Value:
    """A client-level value (an option or a credential) inside a fixed header or query value."""

    name: str


@dataclass(frozen=True)
class Fresh:
    """A value made anew for each call (its retries send the same), as Postman makes its dynamic
    variables when it sends: `{{$guid}}` (an idempotency key), `{{$timestamp}}`..."""

    name: str

    def make(self) -> str:
        if self.name == "$timestamp":
            return str(int(time.time()))
        if self.name == "$isoTimestamp":
            now = datetime.datetime.now(datetime.UTC)
            return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        if self.name == "$randomInt":
            return str(random.randint(0, 1000))
        return str(uuid.uuid4())  # $guid, $randomUUID

    def json_value(self) -> str | int:
        """The value written where a JSON value goes (`"count": {{$randomInt}}`): a number for
        the numeric ones."""
        made = self.make()
        return int(made) if made.isdigit() else made


def fresh(value: str | None, name: str) -> str:
    """A path segment the call passes, or (None) one made fresh, as Postman makes `name`."""
    return Fresh(name).make() if value is None else value


# A value the client fills into a request body the call did not set: a client-level value, a
# dynamic variable's JSON value, a string made of parts, or the collection's value.
BodyFill = Value | Fresh | tuple[str | Value | Fresh, ...] | str | int | float | bool


@dataclass(frozen=True)
class GraphQL:
    """What a GraphQL request sends besides its query: the operation name, and the collection's
    variables (a JSON object whose values may be `BodyFill`s), sent when the call gives none."""

    operation_name: str | None = None
    variables: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Operation:
    """What a request sends every time, and how its answer is read: one constant per request."""

    method: str
    spec: ResponseSpec = ResponseSpec()
    error_type: Any = None
    host: str | None = None
    auth: AuthScheme | None = None
    headers: tuple[tuple[str, tuple[str | Value | Fresh, ...]], ...] = ()
    query: tuple[tuple[str, tuple[str | Value | Fresh, ...]], ...] = ()
    files: tuple[str, ...] = ()
    content_type: str | None = None
    paging: Paging | None = None  # how the request pages, when it does (see the end of this module)
    # What the client fills into a JSON body the call did not set: (key path, a client-level
    # value or the collection's default).
    body_fills: tuple[tuple[tuple[str, ...], BodyFill], ...] = ()
    graphql: GraphQL | None = None


class RequestOptions(TypedDict, total=False):
    """Options every method accepts as keyword arguments.

    Attributes:
        timeout: seconds, an httpx.Timeout, or None for no timeout (default: the client's).
        extra_headers: headers added to (or replacing) the request's own.
        extra_query: query parameters added to the request's own.
        strict: True raises ApiResponseValidationError when a success body does not match its
            model; False returns the model built tolerantly (default: the client's `strict`).
    """

    timeout: Timeout
    extra_headers: Mapping[str, str]
    extra_query: Mapping[str, Any]
    strict: bool


@dataclass(frozen=True)
class RawResponse(Generic[T]):
    """The parsed result together with the httpx.Response it came from."""

    http_response: httpx.Response
    parsed: T

    @property
    def status_code(self) -> int:
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers


_RAW: ContextVar[bool] = ContextVar("_RAW", default=False)
_STREAM: ContextVar[bool] = ContextVar("_STREAM", default=False)


def to_raw_response_wrapper(func: Callable[P, T]) -> Callable[P, RawResponse[T]]:
    """The method returning RawResponse: the parsed result and the httpx.Response."""

    @functools.wraps(func)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        token = _RAW.set(True)
        try:
            result: Any = func(*args, **kwargs)
            return result  # type: ignore[no-any-return]
        finally:
            _RAW.reset(token)

    return wrapped


def async_to_raw_response_wrapper(
    func: Callable[P, Awaitable[T]],
) -> Callable[P, Awaitable[RawResponse[T]]]:
    """The async method returning RawResponse: the parsed result and the httpx.Response."""

    @functools.wraps(func)
    async def wrapped(*args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        token = _RAW.set(True)
        try:
            result: Any = await func(*args, **kwargs)
            return result  # type: ignore[no-any-return]
        finally:
            _RAW.reset(token)

    return wrapped


def to_streamed_response_wrapper(
    func: Callable[P, object],
) -> Callable[P, contextlib.AbstractContextManager[httpx.Response]]:
    """The method as a context manager yielding the open httpx.Response, its body not yet read.

    Error statuses still raise (after the retries); the body is read only by the caller, with
    `iter_bytes()`, `iter_lines()` or `read()`, and the connection is released on exit.
    """

    @contextlib.contextmanager
    def streamed(*args: P.args, **kwargs: P.kwargs) -> Generator[httpx.Response, None, None]:
        token = _STREAM.set(True)
        try:
            response: Any = func(*args, **kwargs)
        finally:
            _STREAM.reset(token)
        try:
            yield response
        finally:
            response.close()

    return functools.wraps(func)(streamed)


def async_to_streamed_response_wrapper(
    func: Callable[P, Awaitable[object]],
) -> Callable[P, contextlib.AbstractAsyncContextManager[httpx.Response]]:
    """The async method as an async context manager yielding the open httpx.Response."""

    @contextlib.asynccontextmanager
    async def streamed(*args: P.args, **kwargs: P.kwargs) -> AsyncGenerator[httpx.Response, None]:
        token = _STREAM.set(True)
        try:
            response: Any = await func(*args, **kwargs)
        finally:
            _STREAM.reset(token)
        try:
            yield response
        finally:
            await response.aclose()

    return functools.wraps(func)(streamed)


@functools.cache
def _adapter(tp: Any) -> TypeAdapter[Any]:
    return TypeAdapter(tp)


def _validate(tp: Any, data: Any) -> Any:
    model: Any = tp
    if isinstance(model, type) and issubclass(model, BaseModel):
        return model.model_validate(data)
    return _adapter(tp).validate_python(data)


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return to_jsonable_python(value, by_alias=True)


def _file_tuple(value: Any) -> Any:
    if isinstance(value, tuple):
        name, content, *rest = value  # pyright: ignore[reportUnknownVariableType]
        return (name, _file_content(content), *rest)
    if isinstance(value, os.PathLike):
        path = Path(cast("os.PathLike[str]", value))
        return (path.name, path.read_bytes())
    return _file_content(value)


def _file_content(value: Any) -> Any:
    if isinstance(value, os.PathLike):
        return Path(cast("os.PathLike[str]", value)).read_bytes()
    return value


def _is_textual(content_type: str) -> bool:
    return content_type.startswith("text/") or any(
        marker in content_type for marker in ("json", "xml", "html", "javascript", "csv", "yaml")
    )


# Tolerant parsing. A saved example is one response, not the API's contract: a success body that
# does not fit its model still becomes that model. Fields that fit are validated as usual; a
# missing or null key reads as None; a value of another type keeps its JSON value; extra keys stay
# reachable. Validation runs once, as before, on the success path: only a body that fails it is
# taken apart, and each mismatch is logged once per client, request and JSON path.

logger = logging.getLogger(__package__ or __name__)


def _json_kind(value: Any) -> str:
    """The JSON type of a parsed value, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object" if isinstance(value, dict) else type(value).__name__


def _type_text(tp: Any) -> str:
    """A type as its annotation reads: `str`, `list[Item]`, `Details | None`."""
    origin = get_origin(tp)
    if origin is Union or origin is UnionType:
        return " | ".join(_type_text(member) for member in get_args(tp))
    if origin is Annotated:
        return _type_text(get_args(tp)[0])
    if origin is not None:
        arguments = ", ".join(_type_text(argument) for argument in get_args(tp))
        return f"{getattr(origin, '__name__', origin)}[{arguments}]"
    if tp is NoneType:
        return "None"
    return str(getattr(tp, "__name__", tp))


def _fits(tp: Any, data: Any) -> bool:
    """Whether a value has the JSON kind a type is made of (an object for a model, ...)."""
    origin = get_origin(tp)
    if origin is Annotated:
        return _fits(get_args(tp)[0], data)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return isinstance(data, dict)
    if origin is list:
        return isinstance(data, list)
    if origin is dict:
        return isinstance(data, dict)
    return False


@functools.cache
def _field_types(cls: type[BaseModel]) -> dict[str, Any]:
    """The type of each field of a model, its forward references resolved."""
    try:
        hints = get_type_hints(cls, include_extras=True)
    except (NameError, TypeError):
        hints = {}
    types: dict[str, Any] = {}
    for name, info in cls.model_fields.items():
        annotation: Any = info.annotation
        if info.metadata:
            annotation = Annotated[(annotation, *info.metadata)]
        types[name] = hints.get(name, annotation)
    return types


class TolerantParser:
    """Builds the declared type from a body that does not validate against it, and records where
    the body differs: `{"$.result": "missing", "$.resource[].code": "null where str expected"}`.
    Array items share one path (`[]`), the form [tool.zgen] overrides use."""

    def __init__(self) -> None:
        self.mismatches: dict[str, str] = {}

    def note(self, path: str, problem: str) -> None:
        self.mismatches.setdefault(path, problem)

    def value(self, tp: Any, data: Any, path: str) -> Any:
        try:
            return _validate(tp, data)
        except ValidationError:
            return self.rebuild(tp, data, path)

    def rebuild(self, tp: Any, data: Any, path: str) -> Any:
        """The value of a type that `data` does not validate against."""
        origin = get_origin(tp)
        if origin is Union or origin is UnionType:
            members = [member for member in get_args(tp) if member is not NoneType]
            fitting = [member for member in members if _fits(member, data)]
            if len(fitting) == 1:
                return self.rebuild(fitting[0], data, path)
        elif origin is Annotated:
            if _fits(tp, data):
                return self.rebuild(get_args(tp)[0], data, path)
        elif origin is list and isinstance(data, list):
            item_type = (get_args(tp) or (Any,))[0]
            items: list[Any] = data
            return [self.value(item_type, item, f"{path}[]") for item in items]
        elif origin is dict and isinstance(data, dict):
            value_type = (get_args(tp) or (str, Any))[-1]
            entries = cast(dict[str, Any], data)
            return {key: self.value(value_type, item, path) for key, item in entries.items()}
        elif isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(data, dict):
            return self.model(tp, cast(dict[str, Any], data), path)
        if data is None:
            self.note(path, f"null where {_type_text(tp)} expected")
        else:
            self.note(path, f"{_json_kind(data)} where {_type_text(tp)} expected")
        return data

    def model(self, cls: type[BaseModel], data: dict[str, Any], path: str) -> BaseModel:
        values: dict[str, Any] = {}
        present: set[str] = set()
        used: set[str] = set()
        for name, info in cls.model_fields.items():
            key = info.alias or name
            if key not in data and name in data:
                key = name
            if key not in data:
                if info.is_required():
                    self.note(f"{path}.{key}", "missing")
                    values[name] = None
                continue
            used.add(key)
            present.add(name)
            values[name] = self.value(_field_types(cls)[name], data[key], f"{path}.{key}")
        extra = {key: value for key, value in data.items() if key not in used}
        return cls.model_construct(present, **{**extra, **values})


def response_mismatches(tp: Any, data: Any) -> tuple[Any, dict[str, str]]:
    """A body as the declared type, built tolerantly, and where it differs from that type."""
    parser = TolerantParser()
    return parser.value(tp, data, "$"), parser.mismatches


def report_mismatches(
    spec: ResponseSpec, mismatches: Mapping[str, str], reported: set[tuple[str, str]] | None
) -> None:
    """Log each mismatch once (per client when `reported` is given), saying what to do about it."""
    request = spec.request or "this request"
    for path, problem in mismatches.items():
        if reported is not None:
            if (request, path) in reported:
                continue
            reported.add((request, path))
        logger.warning(
            "%s: the response differs from the saved examples at %s (%s); the value is kept as "
            "received (None when missing). If the API does this, tell the generator: save this "
            "response as an example of the request, or add an override to [tool.zgen] "
            '(request = "%s", path = "%s", with optional = true or a type), and build again. '
            "Pass strict=True to raise instead.",
            request,
            path,
            problem,
            request,
            path,
        )


def _parse_json(
    response: httpx.Response,
    spec: ResponseSpec,
    data: Any,
    strict: bool,
    reported: set[tuple[str, str]] | None,
) -> Any:
    try:
        return _validate(spec.json, data)
    except ValidationError as exc:
        value, mismatches = response_mismatches(spec.json, data)
        if strict:
            detail = "; ".join(f"{path}: {problem}" for path, problem in mismatches.items())
            raise errors.ApiResponseValidationError(
                response, detail or str(exc), tuple(mismatches)
            ) from None
        report_mismatches(spec, mismatches, reported)
        return value


def parse_response(
    response: httpx.Response,
    spec: ResponseSpec,
    *,
    strict: bool = False,
    reported: set[tuple[str, str]] | None = None,
) -> Any:
    """Turn a successful response into the method's declared return value.

    A JSON body that does not match its type raises ApiResponseValidationError when `strict`;
    otherwise it is built tolerantly (see TolerantParser) and each difference is logged.
    """
    content = response.content
    content_type = response.headers.get("content-type", "").lower()
    if not content.strip() and (spec.empty or spec.unsaved or spec.untyped):
        return None
    if spec.json is not None and ("json" in content_type or not (spec.text or spec.binary)):
        try:
            data = response.json()
        except ValueError as exc:
            if spec.text:
                return response.text
            raise errors.ApiResponseValidationError(response, f"not JSON ({exc})") from None
        return _parse_json(response, spec, data, strict, reported)
    if spec.text and (_is_textual(content_type) or not spec.binary):
        return response.text
    if spec.binary:
        return content
    if spec.untyped and "json" in content_type:
        try:
            return response.json()
        except ValueError:
            return response.text
    return response.text


def parse_error(response: httpx.Response, error_type: Any) -> errors.ApiStatusError:
    parsed: Any = None
    if error_type is not None:
        try:
            parsed = _validate(error_type, response.json())
        except (ValueError, ValidationError):
            parsed = None
    return errors.status_error_class(response.status_code)(response, parsed)


def wrap_error(request: httpx.Request | None, exc: Exception) -> errors.ApiError:
    """The package's error for an exception raised by httpx."""
    if isinstance(exc, httpx.HTTPStatusError):  # a user's event hook called raise_for_status()
        response = exc.response
        try:
            _ = response.content
        except httpx.ResponseNotRead:  # closed unread: the error keeps the status and headers
            response = httpx.Response(
                response.status_code, headers=response.headers, request=exc.request
            )
        return parse_error(response, None)
    if request is None:
        return errors.ApiError(f"Invalid request: {exc}")
    if isinstance(exc, httpx.TimeoutException):
        return errors.ApiTimeoutError(request)
    return errors.ApiConnectionError(request, f"Connection error: {type(exc).__name__}: {exc}")


def retry_delay(attempt: int, headers: httpx.Headers | None) -> float:
    """Seconds to wait before retry number `attempt` (0-based), honouring Retry-After."""
    if headers is not None:
        retry_after = headers.get("retry-after-ms")
        if retry_after is not None:
            try:
                seconds = float(retry_after) / 1000
            except ValueError:
                seconds = math.nan
            if math.isfinite(seconds):
                return min(max(seconds, 0.0), MAX_RETRY_AFTER)
        retry_after = headers.get("retry-after")
        if retry_after is not None:
            try:
                seconds = float(retry_after)
            except ValueError:
                try:
                    seconds = (
                        email.utils.parsedate_to_datetime(retry_after).timestamp() - time.time()
                    )
                except (TypeError, ValueError, IndexError, OverflowError):
                    seconds = math.nan
            if math.isfinite(seconds):
                return min(max(seconds, 0.0), MAX_RETRY_AFTER)
    delay = min(INITIAL_RETRY_DELAY * 2.0**attempt, MAX_RETRY_DELAY)
    return delay * (1 - 0.25 * random.random())


def should_retry(response: httpx.Response) -> bool:
    return response.status_code in RETRY_STATUSES or response.status_code >= 500


@dataclass
class Attempts:
    """The state of one call across its attempts, and the decision after each of them.

    The sync and async clients share this: they only send, sleep and refresh in their own way.
    """

    request: httpx.Request
    token: str | None  # the credential the request carries, to detect a concurrent refresh
    retries: int
    refreshable: bool
    attempt: int = 0
    refreshed: bool = False

    def after_error(self, exc: Exception) -> float:
        """Seconds to wait before the next attempt after a failed send; raises when none is left."""
        if isinstance(exc, RETRY_ERRORS) and self.attempt < self.retries:
            self.attempt += 1
            return retry_delay(self.attempt - 1, None)
        raise wrap_error(self.request, exc) from exc

    def after_response(self, response: httpx.Response) -> Literal["finish", "refresh"] | float:
        """ "finish", "refresh" (the credentials, then send again), or seconds to wait before a retry."""
        if response.status_code == 401 and self.refreshable and not self.refreshed:
            self.refreshed = True
            return "refresh"
        if should_retry(response) and self.attempt < self.retries:
            self.attempt += 1
            return retry_delay(self.attempt - 1, response.headers)
        return "finish"


class BaseClient:
    """State and request building shared by the sync and async clients."""

    def __init__(
        self,
        *,
        env_prefix: str,
        base_url: str | None,
        default_base_url: str | None,
        values: Mapping[str, tuple[Credential | None, str | None]],
        timeout: Timeout | NotGiven,
        max_retries: int,
        auth: httpx.Auth | None,
        auth_header: str | None,
        auth_prefix: str | None,
        default_headers: Mapping[str, str] | None,
        retry_all_methods: bool,
        on_unauthorized: Callable[[], object] | None = None,
        strict: bool = False,
    ) -> None:
        self._env_prefix = env_prefix
        self.strict = strict
        self._reported: set[tuple[str, str]] = set()  # (request, JSON path) mismatches logged
        resolved = base_url or os.environ.get(f"{env_prefix}_BASE_URL") or default_base_url
        if not resolved:
            raise errors.ApiError(
                f"base_url is not set: pass base_url= or set {env_prefix}_BASE_URL"
            )
        self.base_url = resolved.rstrip("/")
        self._values: dict[str, Credential | None] = {}
        for name, (given, default) in values.items():
            env = os.environ.get(f"{env_prefix}_{name.upper()}")
            self._values[name] = (
                given if given is not None else (env if env is not None else default)
            )
        self.timeout: Timeout = DEFAULT_TIMEOUT if isinstance(timeout, NotGiven) else timeout
        if max_retries < 0:
            raise errors.ApiError("max_retries must be 0 or more")
        self.max_retries = max_retries
        self._auth = auth
        self._auth_header = auth_header
        self._auth_prefix = auth_prefix
        self._default_headers = dict(default_headers or {})
        self._retry_all_methods = retry_all_methods
        self._on_unauthorized = on_unauthorized

    def _value(self, name: str) -> str | None:
        if name == "base_url" and name not in self._values:
            return self.base_url  # the base URL variable used elsewhere (a header, a query value)
        value = self._values.get(name)
        return value() if callable(value) else value

    def _credential(self, name: str) -> str:
        value = self._value(name)
        if value is None:
            raise errors.ApiError(
                f"{name} is not set: pass {name}= to the client or set {self._env_prefix}_{name.upper()}"
            )
        return value

    def _uses_scheme(self, scheme: AuthScheme | None) -> bool:
        return scheme is not None and self._auth is None and scheme.kind != "unsupported"

    def _send_auth(self) -> Any:  # (httpx.Auth, or httpx.USE_CLIENT_DEFAULT)
        """The `auth=` given to the client, else the http_client's own (httpx.Client(auth=...))."""
        return self._auth if self._auth is not None else httpx.USE_CLIENT_DEFAULT

    def _check_signed(self, scheme: AuthScheme, headers: Mapping[str, str]) -> None:
        """Refuse to send unsigned a request whose collection auth the client does not generate
        (digest, AWS Signature, Hawk...): Postman signs it, and the server would answer 401."""
        http_auth = getattr(getattr(self, "_http", None), "auth", None)
        if self._auth is not None or http_auth is not None:
            return
        if any(key.lower() == "authorization" for key in headers):
            return  # (signed by the caller: default_headers or extra_headers)
        raise errors.ApiError(
            f"this request uses the collection's {scheme.postman_type or 'unsupported'} auth,"
            " which the client does not generate: pass auth= (an httpx.Auth, such as"
            " httpx.DigestAuth(user, password), or your own) to the client"
        )

    def _apply_auth(
        self, scheme: AuthScheme | None, headers: dict[str, str], params: dict[str, Any]
    ) -> str | None:
        """Add the collection's auth to a request as Postman sends it; returns the token sent."""
        if scheme is None or not self._uses_scheme(scheme):
            return None
        if scheme.kind == "basic":
            user, password = (self._credential(name) for name in scheme.credentials)
            token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {token}"
            return password
        secret = self._credential(scheme.credentials[0])
        if scheme.location == "query":
            params[scheme.name] = secret
            return secret
        prefix = (
            scheme.prefix
            if self._auth_prefix is None or scheme.kind == "apikey"
            else self._auth_prefix
        )
        name = (
            scheme.name
            if self._auth_header is None or scheme.kind == "apikey"
            else self._auth_header
        )
        headers[name] = f"{prefix} {secret}" if prefix else secret
        return secret

    def _store_token(self, scheme: AuthScheme, token: object) -> None:
        """Keep the token a refresh hook returned as the credential of the scheme."""
        if isinstance(token, str) and scheme.credentials:
            name = scheme.credentials[-1] if scheme.kind == "basic" else scheme.credentials[0]
            self._values[name] = token

    def _sent_token(self, scheme: AuthScheme) -> str | None:
        name = scheme.credentials[-1] if scheme.kind == "basic" else scheme.credentials[0]
        return self._value(name)

    def _retries_for(self, method: str) -> int:
        return self.max_retries if method in IDEMPOTENT_METHODS or self._retry_all_methods else 0

    def _start(
        self,
        method: str,
        auth: AuthScheme | None,
        build: Callable[[], tuple[httpx.Request, str | None]],
    ) -> Attempts:
        request, token = self._build(build)
        refreshable = (
            self._on_unauthorized is not None
            and self._uses_scheme(auth)
            and bool(auth and auth.credentials)
        )
        return Attempts(request, token, self._retries_for(method), refreshable)

    @staticmethod
    def _build(
        build: Callable[[], tuple[httpx.Request, str | None]],
    ) -> tuple[httpx.Request, str | None]:
        try:
            return build()
        except HTTPX_ERRORS as exc:
            raise wrap_error(None, exc) from exc

    def _build_request(
        self,
        http: httpx.Client | httpx.AsyncClient,
        method: str,
        path: str,
        *,
        host: str | None,
        query: Mapping[str, Any] | None,
        headers: Mapping[str, str | None] | None,
        auth: AuthScheme | None,
        json: Any,
        data: Mapping[str, Any] | None,
        files: tuple[str, ...],
        content: Any,
        content_type: str | None,
        timeout: Timeout | NotGiven,
        extra_headers: Mapping[str, str] | None,
        extra_query: Mapping[str, Any] | None,
        url: str | None = None,
    ) -> tuple[httpx.Request, str | None]:
        base = self.base_url if host is None else (self._value(host) or "").rstrip("/")
        if not base:
            raise errors.ApiError(f"{host} is not set: pass {host}= to the client")
        # `url`: a next-page URL from the server, which carries its own path and query.
        params = (
            {key: value for key, value in (query or {}).items() if value is not None}
            if url is None
            else {}
        )
        request_headers = dict(self._default_headers)
        request_headers.update(
            {key: value for key, value in (headers or {}).items() if value is not None}
        )
        token = self._apply_auth(auth, request_headers, params)
        if content_type is not None:
            request_headers["Content-Type"] = content_type
        request_headers.update(extra_headers or {})
        if auth is not None and auth.kind == "unsupported":
            self._check_signed(auth, request_headers)
        params.update(extra_query or {})
        form: dict[str, Any] | None = None
        upload: dict[str, Any] | None = None
        if data is not None:
            form = {
                key: value for key, value in data.items() if key not in files and value is not None
            }
            upload = {
                key: _file_tuple(value)
                for key, value in data.items()
                if key in files and value is not None
            }
        body_content = _file_content(content) if content is not None else None
        request = http.build_request(
            method,
            base + path if url is None else url,
            params=params or None,
            headers=request_headers,
            json=_jsonable(json) if json is not None else None,
            data=form or None,
            files=upload or None,
            content=body_content,
            timeout=self.timeout if isinstance(timeout, NotGiven) else timeout,
        )
        return request, token

    def _fill(self, parts: tuple[str | Value | Fresh, ...]) -> str | None:
        return join(
            *(
                (
                    part
                    if isinstance(part, str)
                    else part.make() if isinstance(part, Fresh) else self._value(part.name)
                )
                for part in parts
            )
        )

    def _fill_form(
        self, operation: Operation, data: Mapping[str, Any] | None
    ) -> Mapping[str, Any] | None:
        """The form fields with the client-level values and defaults it names but the call left
        out."""
        if not operation.body_fills or data is None:
            return data
        filled = dict(data)
        for path, value in operation.body_fills:
            if len(path) == 1 and path[0] not in filled:
                given = self._body_value(value)
                if given is not None:
                    filled[path[0]] = given
        return filled

    def _body_value(self, value: Any) -> Any:
        """The value a `BodyFill` (or a JSON value holding them) stands for in this call."""
        if isinstance(value, Value):
            return self._value(value.name)
        if isinstance(value, Fresh):
            return value.json_value()
        if isinstance(value, tuple):
            return self._fill(cast("tuple[str | Value | Fresh, ...]", value))
        if isinstance(value, Mapping):
            items = cast("Mapping[str, Any]", value).items()
            return {key: self._body_value(item) for key, item in items}
        if isinstance(value, list):
            return [self._body_value(item) for item in cast("list[object]", value)]
        return value

    def _graphql_body(self, graphql: GraphQL, json: Any) -> Any:
        """A GraphQL request's JSON body as Postman sends it: the query, the operation name, and
        the call's variables (NOT_GIVEN: the collection's; None: none)."""
        body: dict[str, Any] = {"query": json["query"]}
        if graphql.operation_name is not None:
            body["operationName"] = graphql.operation_name
        variables = json["variables"]
        if isinstance(variables, NotGiven):
            variables = self._body_value(graphql.variables)
        if variables is not None:
            body["variables"] = variables
        return body

    def _fill_body(self, operation: Operation, json: Any) -> Any:
        """The JSON body with the client-level values and defaults it names but the call left out."""
        if not operation.body_fills or json is None:
            return json
        data = _jsonable(json)
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for path, value in operation.body_fills:
            node = data
            for key in path[:-1]:
                child = node.get(key, {})
                if not isinstance(child, dict):
                    break
                node[key] = node = dict(child)
            else:
                if path[-1] not in node:
                    filled = self._body_value(value)
                    if filled is not None:
                        node[path[-1]] = filled
        return data

    def _call_arguments(
        self,
        operation: Operation,
        options: RequestOptions,
        query: Mapping[str, Any] | None,
        json: Any,
        data: Mapping[str, Any] | None,
        content: Any,
        url: str | None = None,
    ) -> dict[str, Any]:
        """The `_request` arguments of one call of an operation."""
        fixed_query = {key: self._fill(parts) for key, parts in operation.query}
        return {
            "spec": operation.spec,
            "error_type": operation.error_type,
            "host": operation.host,
            "query": {**fixed_query, **query} if query else fixed_query,
            "headers": {key: self._fill(parts) for key, parts in operation.headers},
            "auth": operation.auth,
            "json": (
                self._fill_body(operation, json)
                if operation.graphql is None
                else self._graphql_body(operation.graphql, json)
            ),
            "data": self._fill_form(operation, data),
            "files": operation.files,
            "content": content,
            "content_type": operation.content_type,
            "timeout": options.get("timeout", NOT_GIVEN),
            "extra_headers": options.get("extra_headers"),
            "extra_query": options.get("extra_query"),
            "url": url,
            "strict": options.get("strict"),
        }

    def _finish(
        self,
        response: httpx.Response,
        spec: ResponseSpec,
        error_type: Any,
        strict: bool | None = None,
    ) -> Any:
        """The call's result from its final response (read already, unless streaming a success)."""
        if response.status_code >= 400:
            raise parse_error(response, error_type)
        if _STREAM.get():
            return response
        parsed = parse_response(
            response,
            spec,
            strict=self.strict if strict is None else strict,
            reported=self._reported,
        )
        if _RAW.get():
            return RawResponse(response, parsed)
        return parsed


class SyncClientBase(BaseClient):
    def __init__(self, *, http_client: httpx.Client | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else httpx.Client(follow_redirects=True)
        self._refresh_lock = threading.Lock()

    def close(self) -> None:
        """Close the underlying HTTP client (only if this client created it)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self: T) -> T:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _refresh(self, scheme: AuthScheme, sent: str | None) -> None:
        with self._refresh_lock:
            if self._sent_token(scheme) != sent:
                return  # another call refreshed it meanwhile
            assert self._on_unauthorized is not None
            self._store_token(scheme, self._on_unauthorized())

    def _call(
        self,
        operation: Operation,
        path: str,
        options: RequestOptions,
        *,
        query: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        content: Any = None,
        url: str | None = None,
    ) -> Any:
        """One call of a generated method (`url`: a next-page URL instead of path and query)."""
        arguments = self._call_arguments(operation, options, query, json, data, content, url)
        return self._request(operation.method, path, **arguments)

    def _request(
        self,
        method: str,
        path: str,
        *,
        spec: ResponseSpec,
        error_type: Any = None,
        host: str | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str | None] | None = None,
        auth: AuthScheme | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: tuple[str, ...] = (),
        content: Any = None,
        content_type: str | None = None,
        timeout: Timeout | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        url: str | None = None,
        strict: bool | None = None,
    ) -> Any:
        build = functools.partial(
            self._build_request,
            self._http,
            method,
            path,
            host=host,
            query=query,
            headers=headers,
            auth=auth,
            json=json,
            data=data,
            files=files,
            content=content,
            content_type=content_type,
            timeout=timeout,
            extra_headers=extra_headers,
            extra_query=extra_query,
            url=url,
        )
        state = self._start(method, auth, build)
        stream = _STREAM.get()
        while True:
            try:
                response = self._http.send(state.request, auth=self._send_auth(), stream=stream)
            except HTTPX_ERRORS as exc:
                time.sleep(state.after_error(exc))
                continue
            step = state.after_response(response)
            if step == "finish":
                try:
                    if stream and response.status_code >= 400:
                        response.read()
                    return self._finish(response, spec, error_type, strict)
                except HTTPX_ERRORS as exc:
                    response.close()
                    raise wrap_error(state.request, exc) from exc
            response.close()
            if step == "refresh":
                assert auth is not None
                self._refresh(auth, state.token)
                state.request, state.token = self._build(build)
            else:
                time.sleep(step)


class AsyncClientBase(BaseClient):
    def __init__(self, *, http_client: httpx.AsyncClient | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._owns_http = http_client is None
        self._http = (
            http_client if http_client is not None else httpx.AsyncClient(follow_redirects=True)
        )
        self._refresh_lock = asyncio.Lock()

    async def close(self) -> None:
        """Close the underlying HTTP client (only if this client created it)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self: T) -> T:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _refresh(self, scheme: AuthScheme, sent: str | None) -> None:
        async with self._refresh_lock:
            if self._sent_token(scheme) != sent:
                return  # another call refreshed it meanwhile
            assert self._on_unauthorized is not None
            token = self._on_unauthorized()
            if inspect.isawaitable(token):
                token = await token
            self._store_token(scheme, token)

    async def _call(
        self,
        operation: Operation,
        path: str,
        options: RequestOptions,
        *,
        query: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        content: Any = None,
        url: str | None = None,
    ) -> Any:
        """One call of a generated method (`url`: a next-page URL instead of path and query)."""
        arguments = self._call_arguments(operation, options, query, json, data, content, url)
        return await self._request(operation.method, path, **arguments)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        spec: ResponseSpec,
        error_type: Any = None,
        host: str | None = None,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str | None] | None = None,
        auth: AuthScheme | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: tuple[str, ...] = (),
        content: Any = None,
        content_type: str | None = None,
        timeout: Timeout | NotGiven = NOT_GIVEN,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        url: str | None = None,
        strict: bool | None = None,
    ) -> Any:
        build = functools.partial(
            self._build_request,
            self._http,
            method,
            path,
            host=host,
            query=query,
            headers=headers,
            auth=auth,
            json=json,
            data=data,
            files=files,
            content=content,
            content_type=content_type,
            timeout=timeout,
            extra_headers=extra_headers,
            extra_query=extra_query,
            url=url,
        )
        state = self._start(method, auth, build)
        stream = _STREAM.get()
        while True:
            try:
                response = await self._http.send(
                    state.request, auth=self._send_auth(), stream=stream
                )
            except HTTPX_ERRORS as exc:
                await asyncio.sleep(state.after_error(exc))
                continue
            step = state.after_response(response)
            if step == "finish":
                try:
                    if stream and response.status_code >= 400:
                        await response.aread()
                    return self._finish(response, spec, error_type, strict)
                except HTTPX_ERRORS as exc:
                    await response.aclose()
                    raise wrap_error(state.request, exc) from exc
            await response.aclose()
            if step == "refresh":
                assert auth is not None
                await self._refresh(auth, state.token)
                state.request, state.token = self._build(build)
            else:
                await asyncio.sleep(step)


# ---------------------------------------------------------------- pagination
#
# A paged request's `Operation.paging` says how it pages (zgen infers it from the collection, or
# [tool.zgen] declares it). `SyncPages` and `AsyncPages` fetch one page after the other through the
# client's own `_call` (so every page gets the retries, timeouts and auth of any call), yield each
# as a `Page`, and stop on the scheme's end signal, an empty page, a repeated cursor or next URL,
# a page identical to the one before, `max_pages` or `max_items`: never in an endless loop. They
# log to the package's logger, as the tolerant parser does.

PagingScheme = Literal["page", "offset", "cursor", "next_url", "link_header"]
ResponseT = TypeVar("ResponseT")
ItemT = TypeVar("ItemT")


@dataclass(frozen=True)
class Paging:
    """How a request pages. Key paths are JSON keys from the body's root; () is the body."""

    scheme: PagingScheme
    items: tuple[str, ...] = ()  # the list of items
    param: str | None = None  # the query parameter of the page number, offset or cursor
    next: tuple[str, ...] | None = None  # the next cursor, or the next URL (or a `links` list)
    more: tuple[str, ...] | None = None  # a flag false on the last page
    total: tuple[str, ...] | None = None  # the total number of items
    total_pages: tuple[str, ...] | None = None  # the total number of pages
    size_param: str | None = None  # the query parameter of the page size: a short page ends
    cursor_key: str | None = None  # the next cursor is this key of the page's last item


@dataclass(frozen=True)
class Page(Generic[ResponseT, ItemT]):
    """One page: the parsed response, its items, the httpx.Response and its number (from 1)."""

    parsed: ResponseT
    items: list[ItemT]
    http_response: httpx.Response
    number: int


def _lookup(data: Any, path: tuple[str, ...]) -> Any:
    """The value at a key path of parsed JSON or of a model (by the field's JSON key)."""
    for key in path:
        if isinstance(data, BaseModel):
            fields = type(data).model_fields
            name = next(
                (name for name, info in fields.items() if (info.alias or name) == key), None
            )
            extra = data.model_extra or {}
            data = getattr(data, name) if name is not None else extra.get(key)
        elif isinstance(data, Mapping):
            data = cast("Mapping[str, Any]", data).get(key)
        else:
            return None
    return data


def _as_int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _list(value: object) -> list[Any]:
    """A JSON list as a list; anything else as an empty one."""
    return [*cast("Iterable[Any]", value)] if isinstance(value, list) else []


def _next_link(value: Any) -> str | None:
    """A next URL as a body holds it: a string, `{"href": ...}` or a list of `{rel, href}`."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, Mapping):
        link = cast("Mapping[str, Any]", value)
        href = link.get("href", link.get("url"))
        return href if isinstance(href, str) and href else None
    for entry in _list(value):
        if isinstance(entry, Mapping):
            link = cast("Mapping[str, Any]", entry)
            if str(link.get("rel", "")).lower() == "next":
                return _next_link(link)
    return None


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class _PageWalk:
    """The state of one iteration over pages, shared by the sync and async paginators: what the
    next request sends, and whether there is one."""

    def __init__(
        self,
        paging: Paging,
        base_url: str,
        query: Mapping[str, Any] | None,
        max_pages: int | None,
        max_items: int | None,
    ) -> None:
        if (max_pages is not None and max_pages < 0) or (max_items is not None and max_items < 0):
            raise errors.ApiError("max_pages and max_items must be 0 or more")
        self.paging = paging
        self.base_url = base_url
        self.query: dict[str, Any] = dict(query or {})
        self.url: str | None = None
        self.max_pages = max_pages
        self.max_items = max_items
        self.pages = 0
        self.items = 0
        self.done = False
        self.seen: set[str] = set()
        self.last_items: str | None = None
        param = paging.param
        given = self.query.get(param) if param is not None else None
        self.position = _as_int(given, 1 if paging.scheme == "page" else 0)
        if paging.scheme in ("page", "offset") and param is not None:
            self.query[param] = str(self.position)
        if paging.scheme == "cursor" and isinstance(given, str):
            self.seen.add(given)

    def wanted(self) -> bool:
        """Whether to fetch another page."""
        return not (
            self.done
            or (self.max_pages is not None and self.pages >= self.max_pages)
            or (self.max_items is not None and self.items >= self.max_items)
        )

    def take(self, raw: RawResponse[Any]) -> Page[Any, Any] | None:
        """The page of a response (None when it has no items), and the request of the next one."""
        paging = self.paging
        self.pages += 1
        found = _lookup(raw.parsed, paging.items)
        items = _list(found)
        if not items:
            self.done = True
            return None
        try:
            body: Any = raw.http_response.json()
        except ValueError:
            body = None
        self.done = not self._advance(raw.http_response, body, items)
        if self.max_items is not None:
            items = items[: self.max_items - self.items]
        self.items += len(items)
        return Page(raw.parsed, items, raw.http_response, self.pages)

    def _repeated(self, value: str, what: str) -> bool:
        if value in self.seen:
            logger.warning("paging stopped: the server sent the same %s twice (%r)", what, value)
            return True
        self.seen.add(value)
        return False

    def _advance(self, response: httpx.Response, body: Any, items: list[Any]) -> bool:
        """Prepare the next request from this page; False when this page is the last."""
        paging = self.paging
        if paging.more is not None and _lookup(body, paging.more) is False:
            return False
        raw_items = _lookup(body, paging.items)
        signature = repr(raw_items)
        if signature == self.last_items:
            logger.warning("paging stopped: the server sent the same page twice")
            return False
        self.last_items = signature
        count = len(items)
        if paging.scheme in ("page", "offset"):
            assert paging.param is not None
            size = _as_int(self.query.get(paging.size_param), 0) if paging.size_param else 0
            if size and count < size:
                return False
            seen = (
                self.position + count
                if paging.scheme == "offset"
                else (self.position - 1) * size + count if size else self.items + count
            )
            total = _lookup(body, paging.total) if paging.total is not None else None
            if isinstance(total, int) and seen >= total:
                return False
            pages = _lookup(body, paging.total_pages) if paging.total_pages is not None else None
            if paging.scheme == "page" and isinstance(pages, int) and self.position >= pages:
                return False
            self.position += count if paging.scheme == "offset" else 1
            self.query[paging.param] = str(self.position)
            return True
        if paging.scheme == "cursor":
            assert paging.param is not None
            if paging.cursor_key is not None:
                listed = _list(raw_items)
                last = listed[-1] if listed else None
                token = _lookup(last, (paging.cursor_key,))
            else:
                token = _lookup(body, paging.next or ())
            if token is None or token == "" or isinstance(token, (dict, list, bool)):
                return False
            token = str(token)
            if self._repeated(token, "cursor"):
                return False
            self.query[paging.param] = token
            return True
        if paging.scheme == "next_url":
            link = _next_link(_lookup(body, paging.next or ()))
        else:
            link = response.links.get("next", {}).get("url")
        if not link:
            return False
        url = urljoin(str(response.request.url), link)
        if _origin(url) != _origin(str(response.request.url)) and _origin(url) != _origin(
            self.base_url
        ):
            logger.warning("paging stopped: the next page is on another host (%s)", url)
            return False
        if self._repeated(url, "next page URL"):
            return False
        self.url = url
        return True


class SyncPages(Generic[ResponseT, ItemT]):
    """The pages of a paged request: iterate it for `Page`s, or call `.items()` for the items."""

    def __init__(
        self,
        client: SyncClientBase,
        operation: Operation,
        path: str,
        options: RequestOptions,
        *,
        query: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        content: Any = None,
        max_pages: int | None = None,
        max_items: int | None = None,
    ) -> None:
        assert operation.paging is not None
        self._client = client
        self._operation = operation
        self._path = path
        self._options = options
        self._body: dict[str, Any] = {"json": json, "data": data, "content": content}
        self._paging = operation.paging
        self._query = query
        self._limits = (max_pages, max_items)

    def __iter__(self) -> Iterator[Page[ResponseT, ItemT]]:
        walk = _PageWalk(self._paging, self._client.base_url, self._query, *self._limits)
        while walk.wanted():
            raw_token, stream_token = _RAW.set(True), _STREAM.set(False)
            try:
                raw: RawResponse[Any] = self._client._call(  # pyright: ignore[reportPrivateUsage]
                    self._operation,
                    self._path,
                    self._options,
                    query=walk.query,
                    url=walk.url,
                    **self._body,
                )
            finally:
                _STREAM.reset(stream_token)
                _RAW.reset(raw_token)
            page = walk.take(raw)
            if page is None:
                return
            yield page

    def items(self) -> Iterator[ItemT]:
        """Every item of every page, in order."""
        for page in self:
            yield from page.items


class AsyncPages(Generic[ResponseT, ItemT]):
    """The pages of a paged request: `async for` over it for `Page`s, or over `.items()`."""

    def __init__(
        self,
        client: AsyncClientBase,
        operation: Operation,
        path: str,
        options: RequestOptions,
        *,
        query: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        content: Any = None,
        max_pages: int | None = None,
        max_items: int | None = None,
    ) -> None:
        assert operation.paging is not None
        self._client = client
        self._operation = operation
        self._path = path
        self._options = options
        self._body: dict[str, Any] = {"json": json, "data": data, "content": content}
        self._paging = operation.paging
        self._query = query
        self._limits = (max_pages, max_items)

    async def __aiter__(self) -> AsyncIterator[Page[ResponseT, ItemT]]:
        walk = _PageWalk(self._paging, self._client.base_url, self._query, *self._limits)
        while walk.wanted():
            raw_token, stream_token = _RAW.set(True), _STREAM.set(False)
            try:
                raw: RawResponse[Any] = (
                    await self._client._call(  # pyright: ignore[reportPrivateUsage]
                        self._operation,
                        self._path,
                        self._options,
                        query=walk.query,
                        url=walk.url,
                        **self._body,
                    )
                )
            finally:
                _STREAM.reset(stream_token)
                _RAW.reset(raw_token)
            page = walk.take(raw)
            if page is None:
                return
            yield page

    async def items(self) -> AsyncIterator[ItemT]:
        """Every item of every page, in order."""
        async for page in self:
            for item in page.items:
                yield item

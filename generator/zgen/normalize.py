"""Stage 2: Postman dicts to the IR. The only module that knows Postman's quirks."""

from __future__ import annotations

import json
import marshal
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from .credentials import placeholder, secret_value
from .diagnostics import Diagnostics, ZgenError, json_kind
from .environment import EnvironmentValues, merge_environment
from .ir import (
    Api,
    AuthSpec,
    Body,
    ClientVar,
    Example,
    ExampleKind,
    Folder,
    FormField,
    Operation,
    Param,
    Slot,
    Template,
    TemplatePart,
)
from .load import LoadedCollection
from .memo import paused_gc, value_digest
from .redact import redact_body, redact_headers, redact_json, redact_text

VAR_RE = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
SECRET_NAME_RE = re.compile(
    r"(token|secret|passw|pwd|api[-_ .]?key|apikey|credential|session|cookie|private[-_ .]?key|client[-_ .]?key|auth)",
    re.IGNORECASE,
)
SECRET_HEADERS = {
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-api-key",
    "api-key",
    "apikey",
    "x-auth-token",
    "x-access-token",
    "token",
}
SKIPPED_HEADERS = {"content-length", "host", "transfer-encoding", "connection"}
HEADER_NAME_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # an HTTP token (RFC 9110)
HEADER_VALUE_RE = re.compile(r"[\t\x20-\x7e]*")  # what httpx and h11 send as is
STATUS_BY_PHRASE = {status.phrase.lower(): int(status) for status in HTTPStatus}
TEXT_TYPES = ("text/", "xml", "html", "javascript", "csv", "yaml", "x-www-form-urlencoded")
JSON_LANGS = {"json"}
TEXT_LANGS = {"xml", "html", "text", "javascript", "raw"}
HOST_KEY = "base_url"
HOST_VAR_RE = re.compile(r"^\s*\{\{\s*([^{}]+?)\s*\}\}")  # a URL that starts with a variable
# Postman's dynamic variables that a client makes fresh for each request, as Postman does when it
# sends (an `Idempotency-Key: {{$guid}}` header must differ from one request to the next): in a
# fixed header or query value, each is a ("dynamic", name) part (see _base.Fresh).
DYNAMIC = frozenset({"$guid", "$randomUUID", "$timestamp", "$isoTimestamp", "$randomInt"})
# A sample of what a Postman dynamic variable gives, as JSON text: standing for one written bare in
# a JSON value (`"count": {{$randomInt}}`) or alone in a string (`"id": "{{$guid}}"`), so the
# value has the type Postman sends, not Any or an unparsable body.
DYNAMIC_BARE = {
    "$randomInt": "42",
    "$timestamp": "1700000000",
    "$randomPrice": "42.5",
    "$randomLatitude": "48.8566",
    "$randomLongitude": "2.3522",
    "$randomBoolean": "true",
}
DYNAMIC_IN_STRING = {
    "$guid": "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
    "$randomUUID": "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
    "$isoTimestamp": "2024-01-01T00:00:00.000Z",
}


def parse_template(text: str) -> Template:
    """Split text into literal parts and `{{variable}}` references."""
    parts: list[TemplatePart] = []
    pos = 0
    for match in VAR_RE.finditer(text):
        if match.start() > pos:
            parts.append(("text", text[pos : match.start()]))
        parts.append(("var", match.group(1)))
        pos = match.end()
    if pos < len(text):
        parts.append(("text", text[pos:]))
    return tuple(parts)


def description_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("content"), str):
        return str(value["content"])
    return ""


# Names that contain a secret-looking word but hold no credential: pagination cursors
# (page_token, nextPageToken, $skiptoken), token counts (max_tokens), authors, and names of
# endpoints or kinds rather than values (auth_url, tokenUrl, token_type, token_expires_in).
NOT_SECRET_NAME_RE = re.compile(
    r"((next|prev|previous|last|first)[-_ .]?)?(page|next|prev|continuation|cursor|sync|start|pagination|"
    r"resume|skip|delta|offset)[-_ .]?token"
    r"|(max|min|num|total|prompt|completion|input|output)[-_ .]?tokens?"
    r"|author(?!i[sz])",
    re.IGNORECASE,
)
NOT_SECRET_SUFFIX_RE = re.compile(
    r"(url|uri|endpoint|host|domain|type|method|scheme|expiry|expires([-_ .]?(in|at))?|ttl)$",
    re.IGNORECASE,
)
SECRET_KEY_RE = re.compile(
    r"^key$|(access|secret|subscription|auth|master|app|application|consumer|signing|license|developer)[-_ .]?key"
    # the public half of a client credential pair goes with its secret, as a basic auth username does
    r"|^client[-_ .]?id$",
    re.IGNORECASE,
)


def looks_secret(name: str) -> bool:
    """Whether a variable, header, query or auth parameter name says it holds a credential."""
    if SECRET_KEY_RE.search(name.strip()):
        return True
    if NOT_SECRET_SUFFIX_RE.search(name.strip()):
        return False
    return bool(SECRET_NAME_RE.search(NOT_SECRET_NAME_RE.sub(" ", name)))


def literal_credential(name: str, value: str) -> bool:
    """Whether a literal value (no `{{variable}}` in it) under `name` is a credential: by the name
    (looks_secret) or by the value (credentials.secret_value)."""
    text = value.strip()
    if not text or VAR_RE.search(text):
        return False
    return looks_secret(name) or secret_value(name, text)


def warn_secret_variables(state: _State) -> None:
    """Warn once per collection variable that holds a literal credential (it is never copied)."""
    for key, (value, marked, _) in sorted(state.variables.items()):
        if key in state.hosts:
            continue  # a variable used as a URL host or base is a host, whatever its name
        if (
            value.strip()
            and not VAR_RE.fullmatch(value.strip())
            and not placeholder(value)
            and (marked or state.is_secret_var(key))
        ):
            state.secrets_found.append(f"variable `{key}`")
            state.warn(
                f"variable `{key}`",
                "the collection contains a literal secret (a variable); zgen left it out",
            )


@dataclass
class _State:
    """What normalize learns across items: the client-level values and how often hosts occur."""

    file: str
    diagnostics: Diagnostics
    variables: dict[str, tuple[str, bool, str]]  # key -> (value, marked secret, description)
    client_vars: dict[str, ClientVar] = field(default_factory=dict)
    host_counts: Counter[str] = field(default_factory=Counter)
    host_order: list[str] = field(default_factory=list)
    secrets_found: list[str] = field(default_factory=list)
    hosts: set[str] = field(default_factory=set)  # variables used as a URL host or base
    current: tuple[str, str] = ("", "")  # the request being read: its place and folder
    folders: dict[tuple[str, ...], str] = field(default_factory=dict)  # path -> description
    # With a memo (see NormalizeMemo): the last call's records, this call's, the digest of what
    # every request reads but never changes, and the warnings of the request being recorded.
    memo_last: dict[bytes, _Record] | None = None
    memo_now: dict[bytes, _Record] | None = None
    fixed_digest: bytes = b""
    captured: list[_Warned] | None = None
    # per request read so far, the digest of its inputs (its memo key; None: it has none)
    op_keys: list[bytes | None] = field(default_factory=list)

    def warn(self, place: str, message: str) -> None:
        request, folder = self.current
        if self.captured is not None:
            self.captured.append((self.file, place, message, request, folder))
        self.diagnostics.warn(self.file, place, message, request=request, folder=folder)

    def var_value(self, key: str, seen: frozenset[str] = frozenset()) -> str | None:
        """A variable's value as Postman sends it (the variables it refers to resolved), or None:
        none known, a secret, or one it refers to has no value."""
        entry = self.variables.get(key)
        if entry is None:
            return None
        value, secret, _ = entry
        if secret or value == "" or (key not in self.hosts and self.is_secret_var(key)):
            return None
        return self.resolved(value, seen | {key})

    def resolved(self, value: str, seen: frozenset[str]) -> str | None:
        """`value` with each `{{variable}}` in it replaced by that variable's value (Postman
        resolves them when it sends: `https://{{tenant}}.example.com`); None when one has no
        value, or refers back to a variable in `seen` (a cycle)."""
        if "{{" not in value:
            return value
        parts = []
        for kind, text in parse_template(value):
            inner = text if kind == "text" else None
            if kind == "var" and text not in seen:
                inner = self.var_value(text, seen)
            if inner is None:
                return None
            parts.append(inner)
        return "".join(parts)

    def credential(self, key: str, description: str = "") -> str:
        if key in self.hosts:
            return key
        existing = self.client_vars.get(key)
        desc = description or (self.variables.get(key, ("", False, ""))[2])
        if existing is None or not existing.secret:
            self.client_vars[key] = ClientVar(
                key, None, True, desc or (existing.description if existing else "")
            )
        return key

    def option(self, key: str) -> str:
        if key in self.client_vars:
            return key
        if self.is_secret_var(key):
            return self.credential(key)
        desc = self.variables.get(key, ("", False, ""))[2]
        self.client_vars[key] = ClientVar(key, self.var_value(key), False, desc)
        return key

    def is_secret_var(self, key: str) -> bool:
        if key in self.hosts:
            return False
        entry = self.variables.get(key)
        return looks_secret(key) or (
            entry is not None and (entry[1] or secret_value(key, entry[0].strip()))
        )

    def host(self, key: str) -> str:
        """A variable used as a URL host or base: a client-level value, never a credential, its
        default kept unless the collection marks the variable secret."""
        self.hosts.add(key)
        value, marked, desc = self.variables.get(key, ("", False, ""))
        existing = self.client_vars.get(key)
        default = self.resolved(value, frozenset({key})) if value and not marked else None
        if default is not None:
            default, userinfo = without_userinfo(default)
            if userinfo is not None and key not in self.client_vars:
                self.secrets_found.append(f"variable `{key}`")
                self.warn(
                    f"variable `{key}`",
                    "the URL names a user and password; zgen left them out: pass"
                    " Client(auth=httpx.BasicAuth(user, password))",
                )
        self.client_vars[key] = ClientVar(
            key,
            default.rstrip("/") if default else None,
            False,
            desc or (existing.description if existing else ""),
        )
        return key

    def literal_secret(self, key: str, place: str, what: str, value: str = "") -> str:
        """The credential a literal secret becomes; a placeholder (`<your-api-key>`) is no secret
        to warn about, and no default either."""
        if not placeholder(value):
            self.left_out(key, place, what)
        return self.credential(key)

    def left_out(self, key: str, place: str, what: str) -> None:
        self.secrets_found.append(place)
        self.warn(
            place,
            f"the collection contains a literal secret ({what}); zgen left it out: pass it as `{key}`",
        )


def collection_title(loaded: LoadedCollection) -> str:
    """The collection's name (`info.name`), or its file's stem when it has none."""
    info = loaded.data.get("info")
    name = info.get("name") if isinstance(info, dict) else None
    return name if isinstance(name, str) and name else loaded.stem


def normalize(
    loaded: LoadedCollection,
    diagnostics: Diagnostics,
    environment: EnvironmentValues | None = None,
    memo: NormalizeMemo | None = None,
) -> Api:
    """The collection as the IR. With a `memo`, a request whose inputs are those of a request the
    memo's last call read is not read again (see NormalizeMemo); afterwards the memo holds this
    call's records."""
    data = loaded.data
    info = data.get("info") if isinstance(data.get("info"), dict) else {}
    assert isinstance(info, dict)
    title = collection_title(loaded)
    variables = merge_environment(collection_variables(data.get("variable")), environment)
    state = _State(loaded.file, diagnostics, variables)
    operations: list[Operation] = []
    state.hosts.update(host_variables(data["item"]))
    warn_secret_variables(state)
    root_auth = parse_auth(state, data.get("auth"), "collection auth", None)
    if memo is None:
        walk_items(state, data["item"], (), root_auth, operations, "/item")
    else:
        state.memo_last, state.memo_now = memo.records, {}
        state.fixed_digest = value_digest((MEMO_FORMAT, state.file, state.variables))
        try:
            walk_items(state, data["item"], (), root_auth, operations, "/item")
        finally:
            memo.records = state.memo_now
        memo.keys = tuple(state.op_keys)
    # A folder holds requests when its path starts the folder path of one (a set of those prefixes,
    # not a scan of every request per folder).
    holding = {op.folders[:depth] for op in operations for depth in range(len(op.folders) + 1)}
    folders = tuple(
        Folder(path, description) for path, description in state.folders.items() if path in holding
    )
    if not operations:
        state.warn("/item", "the collection has no requests")
    scripted = sorted(
        key
        for key in script_set_variables(data)
        if key in state.client_vars and key not in state.hosts
    )
    credentials = [key for key in scripted if state.client_vars[key].secret]
    values = [key for key in scripted if not state.client_vars[key].secret]
    for keys, advice in (
        (
            credentials,
            f"pass {'it' if len(credentials) == 1 else 'them'} to the client (a callable"
            " credential is read at each call)",
        ),
        (
            values,
            "a client argument, one value for every call (sign or stamp each request"
            " with Client(auth=...))",
        ),
    ):
        if keys:
            names = ", ".join(f"`{{{{{key}}}}}`" for key in keys)
            state.warn(
                "pre-request scripts",
                f"{names} {'is' if len(keys) == 1 else 'are'} set by a pre-request script, which"
                f" the client does not run: {advice}",
            )
    base = state.host_order[0] if state.host_order else HOST_KEY
    if state.host_counts:
        top = max(state.host_counts.values())
        base = next(host for host in state.host_order if state.host_counts[host] == top)
    if base not in state.client_vars:
        state.client_vars[base] = ClientVar(base, None, False, "")
    return Api(
        file=loaded.file,
        stem=loaded.stem,
        title=str(title),
        description=description_text(info.get("description")),
        variables=tuple(state.client_vars[key] for key in sorted(state.client_vars)),
        base_url=base,
        operations=tuple(operations),
        folders=folders,
    )


SCRIPT_SET_RE = re.compile(
    r"(?:pm\.(?:environment|collectionVariables|variables|globals)\.set"
    r"|postman\.set(?:Environment|Global)Variable)\(\s*[\"'`]([^\"'`]+)[\"'`]"
)


def script_set_variables(data: Any) -> set[str]:
    """The variables the collection's pre-request scripts set (`pm.environment.set('ts', ...)`),
    at every level: values Postman computes before it sends, which no client argument can hold."""
    found: set[str] = set()
    stack = [data]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        events = node.get("event")
        for event in events if isinstance(events, list) else []:
            if not isinstance(event, dict) or event.get("listen") != "prerequest":
                continue
            script = event.get("script")
            if not isinstance(script, dict):
                continue
            lines = script.get("exec")
            text = "\n".join(str(x) for x in lines) if isinstance(lines, list) else str(lines or "")
            found.update(match.group(1).strip() for match in SCRIPT_SET_RE.finditer(text))
        items = node.get("item")
        stack.extend(items if isinstance(items, list) else [])
    return found


def host_variables(items: list[Any]) -> set[str]:
    """The variables any request uses as its URL host or base (`{{authServer}}/oauth/token`)."""
    found: set[str] = set()
    stack = [items]
    while stack:
        for item in stack.pop():
            if not isinstance(item, dict):
                continue
            if isinstance(item.get("item"), list):
                stack.append(item["item"])
                continue
            request = item.get("request")
            url = request.get("url") if isinstance(request, dict) else request
            raw = url if isinstance(url, str) else url.get("raw") if isinstance(url, dict) else None
            host = url.get("host") if isinstance(url, dict) else None
            texts = [raw] if isinstance(raw, str) else []
            if isinstance(host, list) and host:
                texts.append(str(host[0]))
            elif isinstance(host, str):
                texts.append(host)
            for text in texts:
                match = HOST_VAR_RE.match(text)
                if match:
                    found.add(match.group(1))
    return found


def collection_variables(raw: Any) -> dict[str, tuple[str, bool, str]]:
    result: dict[str, tuple[str, bool, str]] = {}
    if not isinstance(raw, list):
        return result
    for entry in raw:
        if not isinstance(entry, dict) or entry.get("disabled") is True:
            continue
        key = entry.get("key", entry.get("id"))
        if not isinstance(key, str) or not key:
            continue
        value = entry.get("value")
        text = value if isinstance(value, str) else ("" if value is None else json.dumps(value))
        result[key] = (
            text,
            entry.get("type") == "secret",
            description_text(entry.get("description")),
        )
    return result


def walk_items(
    state: _State,
    items: list[Any],
    folders: tuple[str, ...],
    auth: AuthSpec | None,
    out: list[Operation],
    pointer: str,
) -> None:
    for index, item in enumerate(items):
        here = f"{pointer}/{index}"
        if not isinstance(item, dict):
            raise ZgenError(state.file, here, f"expected an item (object), found {json_kind(item)}")
        raw_name = item.get("name")
        name = raw_name if isinstance(raw_name, str) else ""
        if isinstance(item.get("item"), list):
            place = " / ".join((*folders, name or "(unnamed folder)"))
            folder_auth = (
                parse_auth(state, item.get("auth"), place, auth) if "auth" in item else auth
            )
            state.folders.setdefault((*folders, name), description_text(item.get("description")))
            walk_items(state, item["item"], (*folders, name), folder_auth, out, f"{here}/item")
        elif "request" in item:
            out.append(normalize_request(state, item, folders, auth, here))
        else:
            place = " / ".join((*folders, name or "(unnamed)"))
            state.warn(place, "item has neither `request` nor `item`; skipped")


def normalize_request(
    state: _State,
    item: dict[str, Any],
    folders: tuple[str, ...],
    inherited: AuthSpec | None,
    pointer: str,
) -> Operation:
    name = item["name"] if isinstance(item.get("name"), str) else ""
    place = " / ".join((*folders, name or "(unnamed request)"))
    state.current = (place, " / ".join(folders))
    try:
        if state.memo_now is None:
            return read_request(state, item, folders, inherited, pointer, name, place)
        return remembered_request(state, item, folders, inherited, pointer, name, place)
    finally:
        state.current = ("", "")


def read_request(
    state: _State,
    item: dict[str, Any],
    folders: tuple[str, ...],
    inherited: AuthSpec | None,
    pointer: str,
    name: str,
    place: str,
) -> Operation:
    request = item["request"]
    if isinstance(request, str):
        request = {"method": "GET", "url": request}
    if not isinstance(request, dict):
        raise ZgenError(
            state.file,
            f"{pointer}/request",
            f"expected a request object or URL string, found {json_kind(request)}",
        )
    method = request.get("method") or "GET"
    if not isinstance(method, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", method):
        raise ZgenError(state.file, f"{pointer}/request/method", f"invalid HTTP method {method!r}")
    auth = (
        parse_auth(state, request.get("auth"), place, inherited) if "auth" in request else inherited
    )
    url = request.get("url", "")
    if not isinstance(url, (str, dict)):
        raise ZgenError(
            state.file,
            f"{pointer}/request/url",
            f"expected a URL string or object, found {json_kind(url)}",
        )
    host, path, params, fixed_query, userinfo = parse_url(state, url, place)
    if userinfo is not None:
        auth = userinfo_auth(state, userinfo, auth, place)
    headers, header_content_type = parse_headers(state, request.get("header"), place)
    body = parse_body(state, request.get("body"), header_content_type, place)
    description = description_text(request.get("description")) or description_text(
        item.get("description")
    )
    examples = tuple(parse_examples(state, item.get("response"), place))
    return Operation(
        place=place,
        folders=folders,
        name=name,
        method=method.upper(),
        host=host,
        path=path,
        params=params,
        query=fixed_query,
        headers=headers,
        body=body,
        auth=auth,
        description=description,
        examples=examples,
    )


# ---------------------------------------------------------------- auth


def auth_params(auth: dict[str, Any], kind: str) -> dict[str, str]:
    raw = auth.get(kind)
    result: dict[str, str] = {}
    if isinstance(raw, list):  # v2.1
        for entry in raw:
            if isinstance(entry, dict) and isinstance(entry.get("key"), str):
                value = entry.get("value")
                result[entry["key"]] = (
                    value if isinstance(value, str) else ("" if value is None else str(value))
                )
    elif isinstance(raw, dict):  # v2.0
        for key, value in raw.items():
            result[str(key)] = (
                value if isinstance(value, str) else ("" if value is None else str(value))
            )
    return result


def credential_from(state: _State, value: str, default_key: str, place: str, what: str) -> str:
    template = parse_template(value.strip())
    if len(template) == 1 and template[0][0] == "var":
        return state.credential(template[0][1])
    if value.strip():
        return state.literal_secret(default_key, place, what, value)
    return state.credential(default_key)


# Parameters of Postman's auth types that say how to sign, never a credential, whatever their
# names say (`addTokenTo`, `tokenType`, `headerPrefix` name a token but hold none).
AUTH_SETTINGS = frozenset(
    {
        "addTokenTo",
        "tokenType",
        "headerPrefix",
        "algorithm",
        "signatureMethod",
        "isSecretBase64Encoded",
        "queryParamKey",
        "header",
        "payload",
        "region",
        "service",
        "realm",
        "qop",
        "version",
        "grant_type",
        "client_authentication",
        "challengeAlgorithm",
        "tokenName",
        "addParamsToHeader",
        "addEmptyParamsToSign",
        "includePayloadHash",
        "disableRetryRequest",
        "headersToSign",
        "baseURL",
    }
)


def parse_auth(state: _State, raw: Any, place: str, inherited: AuthSpec | None) -> AuthSpec | None:
    if raw is None or raw == {}:
        return inherited  # (`"auth": {}`, as exporters write an auth never set: Postman inherits)
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        state.warn(place, "auth is not an object with a `type`; using the inherited auth")
        return inherited
    kind = raw["type"]
    if kind == "inherit":
        return inherited
    if kind == "noauth":
        return None
    params = auth_params(raw, kind)
    where = f"{place} (auth {kind})"
    if kind == "bearer":
        token = credential_from(state, params.get("token", ""), "token", where, "bearer token")
        return AuthSpec("bearer", kind, prefix="Bearer", credentials=(token,))
    if kind == "basic":
        user = credential_from(
            state, params.get("username", ""), "username", where, "basic auth username"
        )
        password = credential_from(
            state, params.get("password", ""), "password", where, "basic auth password"
        )
        return AuthSpec("basic", kind, credentials=(user, password))
    if kind == "apikey":
        key_name = params.get("key", "").strip()
        if VAR_RE.search(key_name):
            # (`key: {{apiKeyHeader}}`: Postman sends the variable's value as the name)
            named = state.resolved(key_name, frozenset())
            if named is None or not named.strip():
                state.warn(
                    where,
                    f"the apikey auth's key name {key_name!r} has no value; the client sends the"
                    " key as the `X-API-Key` header (give the variable a value and build again)",
                )
            key_name = named.strip() if named is not None and named.strip() else "X-API-Key"
        elif not key_name:
            key_name = "X-API-Key"
            state.warn(
                where,
                "the apikey auth names no key; the client sends the key as the `X-API-Key`"
                " header (set the key's name in the collection and build again)",
            )
        value = credential_from(state, params.get("value", ""), "api_key", where, "API key")
        if params.get("in") == "query":
            return AuthSpec("apikey", kind, location="query", name=key_name, credentials=(value,))
        return AuthSpec("apikey", kind, location="header", name=key_name, credentials=(value,))
    if kind == "oauth2":
        token = credential_from(
            state, params.get("accessToken", ""), "access_token", where, "OAuth 2 access token"
        )
        if params.get("addTokenTo") == "queryParams":
            return AuthSpec(
                "oauth2", kind, location="query", name="access_token", credentials=(token,)
            )
        prefix = params.get("headerPrefix", "Bearer")
        return AuthSpec(
            "oauth2",
            kind,
            prefix=prefix.strip() if prefix is not None else "Bearer",  # (Postman trims it)
            credentials=(token,),
        )
    for key, value in params.items():
        if key in AUTH_SETTINGS:
            continue  # (`addTokenTo: header`, `algorithm: HS256`: how to sign, not with what)
        if value.strip() and not VAR_RE.fullmatch(value.strip()) and literal_credential(key, value):
            state.secrets_found.append(where)
            state.warn(
                where,
                f"the collection contains a literal secret ({kind} `{key}`); zgen left it out",
            )
    state.warn(
        place,
        f"auth type {kind!r} is not generated: its requests raise ApiError rather than go"
        " unsigned until you pass an httpx.Auth as Client(auth=...)",
    )
    return AuthSpec("unsupported", kind)


# ---------------------------------------------------------------- url


def split_raw_url(raw: str) -> tuple[str, list[str], str]:
    """Split a raw URL into host expression, path segments and query string."""
    raw = raw.strip().split("#", 1)[0]
    raw, _, query = raw.partition("?")
    match = re.match(r"^(\{\{[^{}]+\}\}[^/]*)(.*)$", raw, re.DOTALL)
    if match:
        host, rest = match.group(1), match.group(2)
    else:
        scheme_match = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)?([^/]*)(.*)$", raw, re.DOTALL)
        assert scheme_match is not None
        scheme = scheme_match.group(1) or "http://"
        host, rest = (
            (scheme + scheme_match.group(2)) if scheme_match.group(2) else ""
        ), scheme_match.group(3)
    segments = rest.split("/")[1:] if rest.startswith("/") else ([rest] if rest else [])
    return host, segments, query


USERINFO_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)([^/@]*)@(.*)$", re.DOTALL)


def without_userinfo(host: str) -> tuple[str, tuple[str, str] | None]:
    """`https://user:pass@host` as `https://host` and (user, password); the host alone when it
    holds no user."""
    match = USERINFO_RE.match(host)
    if match is None:
        return host, None
    user, _, password = match.group(2).partition(":")
    bare = match.group(1) + match.group(3)
    return bare, ((unquote(user), unquote(password)) if user or password else None)


def userinfo_auth(
    state: _State, userinfo: tuple[str, str], auth: AuthSpec | None, place: str
) -> AuthSpec | None:
    """The auth of a request whose URL names a user (`https://user:pass@host/...`): Postman sends
    them as basic auth. Never copied: a literal user or password becomes a constructor argument,
    as in the collection's own basic auth; beside another auth, they are left out."""
    user, password = userinfo
    if auth is not None:
        if any(value and not VAR_RE.fullmatch(value) for value in userinfo):
            state.secrets_found.append(place)
        state.warn(
            place,
            f"the URL names a user and password; zgen left them out (the request's {auth.postman_type} auth is sent)",
        )
        return auth
    where = f"{place} (URL user)"
    return AuthSpec(
        "basic",
        "basic",
        credentials=(
            credential_from(state, user, "username", where, "user name in the URL"),
            credential_from(state, password, "password", where, "password in the URL"),
        ),
    )


def parse_url(
    state: _State, url: Any, place: str
) -> tuple[
    str, Template, tuple[Param, ...], tuple[tuple[str, Template], ...], tuple[str, str] | None
]:
    """The host key, path, parameters and fixed query of a request's URL, and the user and
    password it names (`https://user:pass@host`), if any."""
    path_vars: dict[str, tuple[str, str]] = {}
    query_entries: list[dict[str, Any]] = []
    userinfo: tuple[str, str] | None = None
    if isinstance(url, str):
        host, segments, query_string = split_raw_url(url)
        host, userinfo = without_userinfo(host)
        query_entries = parse_query_string(query_string)
    else:
        raw = url.get("raw") if isinstance(url.get("raw"), str) else ""
        raw_host, raw_segments, raw_query = split_raw_url(raw)
        raw_host, userinfo = without_userinfo(raw_host)
        url_auth = url.get("auth")
        if isinstance(url_auth, dict) and (url_auth.get("user") or url_auth.get("password")):
            userinfo = (str(url_auth.get("user") or ""), str(url_auth.get("password") or ""))
        host_value = url.get("host")
        if isinstance(host_value, str) and host_value:
            host_value = [host_value]  # (as a list of one: its protocol and port apply alike)
        if isinstance(host_value, list) and host_value:
            host = ".".join(str(part) for part in host_value)
            protocol = url.get("protocol")
            if isinstance(protocol, str) and protocol and "://" not in host:
                host = f"{protocol}://{host}"
            elif not host.startswith("{{") and "://" not in host:
                host = raw_host if raw_host.endswith(host) else f"http://{host}"
            port = url.get("port")
            if isinstance(port, (str, int)) and str(port):
                host = f"{host}:{port}"
        else:
            host = raw_host
        host, in_host = without_userinfo(host)
        userinfo = userinfo or in_host
        path_value = url.get("path")
        if isinstance(path_value, list):
            # (v2.0 collections hold several segments in one element: `entries/:word_id`)
            segments = [
                piece
                for part in path_value
                for text in (segment_text(part),)
                for piece in (text.lstrip("/").split("/") if "/" in text else (text,))
            ]
        elif isinstance(path_value, str):
            segments = path_value.lstrip("/").split("/") if path_value else []
        else:
            segments = raw_segments
        query_value = url.get("query")
        query_entries = (
            [entry for entry in query_value if isinstance(entry, dict)]
            if isinstance(query_value, list)
            else parse_query_string(raw_query)
        )
        for entry in url.get("variable") or []:
            if not isinstance(entry, dict):
                continue
            name = entry.get("key") if isinstance(entry.get("key"), str) else entry.get("id")
            if isinstance(name, str) and name:  # (v2.0 names a path variable by `id`)
                value = entry.get("value")
                path_vars[name] = (
                    value if isinstance(value, str) else ("" if value is None else str(value)),
                    description_text(entry.get("description")),
                )
    host, segments = unglued(state, host, segments)
    host_key = host_var(state, host, place)
    path, params = path_template(state, segments, path_vars, place)
    query_params, fixed = parse_query(state, query_entries, place)
    path_keys = {param.key for param in params}
    for param in query_params:
        if param.key in path_keys:
            state.warn(
                place,
                f"query parameter `{param.key}` has the name of a path parameter; it is sent in the path only",
            )
    query_params = [param for param in query_params if param.key not in path_keys]
    return host_key, path, (*params, *query_params), fixed, userinfo


GLUED_RE = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}([^{}/]+)")  # `{{baseUrl}}v1`


def unglued(state: _State, host: str, segments: list[str]) -> tuple[str, list[str]]:
    """`{{baseUrl}}v1/merchants` where the variable's value ends with a slash (Postman then sends
    `https://api.example.com/v1/merchants`): the variable is the host, and `v1` the first path
    segment, so that the requests of one base URL share one client argument."""
    match = GLUED_RE.fullmatch(host)
    if match is None:
        return host, segments
    key, rest = match.groups()
    value = state.variables.get(key, ("", False, ""))[0]
    if not value.endswith("/"):
        return host, segments
    return "{{" + key + "}}", [rest, *segments]


def segment_text(part: Any) -> str:
    if isinstance(part, dict):
        value = part.get("value")
        return value if isinstance(value, str) else ""
    return str(part)


def host_var(state: _State, host: str, place: str) -> str:
    host = host.rstrip("/")
    template = parse_template(host)
    if len(template) == 1 and template[0][0] == "var":
        key = state.host(template[0][1])
    else:
        key = host or HOST_KEY
        resolved: list[str] = []
        for kind, text in template:
            value = text if kind == "text" else state.var_value(text)
            if value is None:
                break
            resolved.append(value)
        default = "".join(resolved) if len(resolved) == len(template) and template else None
        if key not in state.client_vars:
            state.client_vars[key] = ClientVar(key, default, False, "")
    if not host:
        state.warn(place, "the request has no host; calls use the client's base_url")
    if key not in state.host_counts:
        state.host_order.append(key)
    state.host_counts[key] += 1
    return key


def path_template(
    state: _State, segments: list[str], path_vars: dict[str, tuple[str, str]], place: str
) -> tuple[Template, list[Param]]:
    parts: list[TemplatePart] = []
    params: dict[str, Param] = {}
    for segment in segments:
        parts.append(("text", "/"))
        if segment.startswith(":") and len(segment) > 1:
            key = segment[1:]
            value, desc = path_vars.get(key, ("", ""))
            template = parse_template(value)
            default = value if value and not VAR_RE.search(value) else None
            if len(template) == 1 and template[0][0] == "var":
                default = state.var_value(template[0][1])
            elif default is not None and key not in params and secret_value(key, default):
                # by its value only: a path names resources (`/sessions/:session_id`), and the
                # name rule would take their ids for credentials
                state.left_out(key, f"{place} (path variable `{key}`)", f"path variable `{key}`")
                default = None
            params.setdefault(key, Param(key, "path", default is None, default, desc))
            parts.append(("var", key))
            continue
        for kind, text in parse_template(segment):
            if kind == "var" and text in DYNAMIC:
                # Made fresh for each call, as Postman makes it, unless the call passes one.
                parts.append(("dynamic", text))
                desc = f"Left out (None), a fresh `{{{{{text}}}}}`, as Postman sends it."
                params.setdefault(text, Param(text, "path", False, None, desc))
                continue
            parts.append((kind, text))
            if kind == "var" and text not in params:
                default = state.var_value(text)
                desc = state.variables.get(text, ("", False, ""))[2]
                if text.startswith("$") and not desc:
                    # (no argument can default to a value Postman makes: the call passes one)
                    desc = f"Postman sends a fresh `{{{{{text}}}}}` here; pass the value to send."
                params[text] = Param(text, "path", default is None, default, desc)
    merged: list[TemplatePart] = []
    for kind, text in parts:
        if merged and kind == "text" and merged[-1][0] == "text":
            merged[-1] = ("text", merged[-1][1] + text)
        else:
            merged.append((kind, text))
    return tuple(merged), list(params.values())


def parse_query_string(query: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for pair in query.split("&") if query else []:
        if pair:
            key, equals, value = pair.partition("=")
            entries.append({"key": key, "value": value if equals else None})
    return entries


PERCENT_RE = re.compile(r"%[0-9A-Fa-f]{2}")


def _unescaped(entry: dict[str, Any]) -> dict[str, Any]:
    """A query entry with its key and value percent-decoded where they hold escapes: Postman keeps
    them as written in the URL (`filter=%7B%7D`) and sends them so; the client encodes what it
    sends, and would send `%257B%257D`."""
    found = {
        name: unquote(text)
        for name in ("key", "value")
        if isinstance(text := entry.get(name), str) and PERCENT_RE.search(text)
    }
    return {**entry, **found} if found else entry


def parse_query(
    state: _State, entries: list[dict[str, Any]], place: str
) -> tuple[list[Param], tuple[tuple[str, Template], ...]]:
    params: dict[str, Param] = {}
    fixed: dict[str, Template] = {}
    entries = [_unescaped(entry) for entry in entries]
    # A key the collection sends more than once with literal values (?a=1&a=2) is one list.
    repeated = Counter(
        entry.get("key")
        for entry in entries
        if entry.get("disabled") is not True
        and not VAR_RE.search(str(entry.get("value") or ""))
        and not looks_secret(str(entry.get("key")))
        and not secret_value(str(entry.get("key")), str(entry.get("value") or ""))
    )
    for entry in entries:
        key = entry.get("key")
        if not isinstance(key, str) or not key or key in params or key in fixed:
            continue
        if repeated[key] > 1:
            params[key] = Param(
                key, "query", False, None, description_text(entry.get("description")), True
            )
            continue
        raw_value = entry.get("value")
        value = (
            raw_value
            if isinstance(raw_value, str)
            else ("" if raw_value is None else str(raw_value))
        )
        desc = description_text(entry.get("description"))
        disabled = entry.get("disabled") is True
        template = parse_template(value)
        if any(kind == "var" for kind, _ in template):
            if disabled:
                params[key] = Param(key, "query", False, None, desc)
                continue
            fixed[key] = tuple(_option_part(state, part) for part in template)
        elif literal_credential(key, value) and not disabled:
            cred = state.literal_secret(
                key, f"{place} (query `{key}`)", f"query parameter `{key}`", value
            )
            fixed[key] = (("var", cred),)
        else:
            # A key without a value (`?verbose`, Postman's null value) is a flag Postman sends: it
            # stays on (as `verbose=`); an empty value (`?page=`) is a blank left to the call.
            flag = raw_value is None and not disabled
            default = "" if flag else None if disabled or value == "" else value
            params[key] = Param(key, "query", False, default, desc)
    return list(params.values()), tuple(fixed.items())


# ---------------------------------------------------------------- headers and body


def header_entries(raw: Any) -> list[tuple[str, str]]:
    entries: list[tuple[str, str]] = []
    if isinstance(raw, str):
        for line in raw.splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip():
                entries.append((key.strip(), value.strip()))
    elif isinstance(raw, list):
        for entry in raw:
            if (
                isinstance(entry, dict)
                and entry.get("disabled") is not True
                and isinstance(entry.get("key"), str)
            ):
                raw_value = entry.get("value")
                text = (
                    raw_value
                    if isinstance(raw_value, str)
                    else ("" if raw_value is None else str(raw_value))
                )
                entries.append((entry["key"], text))
    return entries


SCHEME_TOKEN_RE = re.compile(r"(Bearer|Token)\s+(\S.*)", re.IGNORECASE | re.DOTALL)


def parse_headers(
    state: _State, raw: Any, place: str
) -> tuple[tuple[tuple[str, Template], ...], str | None]:
    headers: dict[str, Template] = {}
    content_type: str | None = None
    for key, value in header_entries(raw):
        lower = key.lower().strip()
        if (
            not lower
            or lower in SKIPPED_HEADERS
            or any(existing.lower() == lower for existing in headers)
        ):
            continue
        if not HEADER_NAME_RE.fullmatch(key):
            state.warn(place, f"header name {key!r} is not a valid HTTP header name; left out")
            continue
        if not HEADER_VALUE_RE.fullmatch(value):
            state.warn(
                place,
                f"header `{key}` has a value HTTP cannot carry (control or non-ASCII characters); left out",
            )
            continue
        if lower == "content-type":
            content_type = value or None
            continue
        template = parse_template(value)
        if (
            lower in SECRET_HEADERS
            or looks_secret(lower)
            or any(kind == "text" and secret_value(key, text) for kind, text in template)
        ):
            literal = "".join(text for kind, text in template if kind == "text").strip()
            variables = [text for kind, text in template if kind == "var"]
            # A scheme word before a variable ("Bearer {{token}}") is not a secret; any other text is.
            if literal and (not variables or literal.lower() not in {"bearer", "basic", "token"}):
                # `Authorization: Bearer eyJ...` written out: the scheme word stays, the token is
                # the credential (the caller passes a token, as for the collection's bearer auth).
                scheme = SCHEME_TOKEN_RE.fullmatch(literal) if not variables else None
                name = re.sub(r"[^a-z0-9]+", "_", lower).strip("_") or "secret"
                if scheme is not None:
                    name = f"{scheme.group(1).lower()}_token" if lower == "authorization" else name
                token = re.sub(r"^(?:bearer|basic|token)\s+", "", literal, flags=re.IGNORECASE)
                cred = state.literal_secret(
                    name, f"{place} (header `{key}`)", f"header `{key}`", token
                )
                headers[key] = (
                    (("text", scheme.group(1) + " "), ("var", cred))
                    if scheme is not None
                    else (("var", cred),)
                )
                continue
            headers[key] = tuple(
                (kind, state.credential(text) if kind == "var" else text) for kind, text in template
            )
            continue
        headers[key] = tuple(_option_part(state, part) for part in template)
    return tuple(headers.items()), content_type


def _option_part(state: _State, part: TemplatePart) -> TemplatePart:
    """A part of a fixed header or query value: a variable is a client-level option, or a dynamic
    variable (made fresh for each request); text stays."""
    kind, text = part
    if kind != "var":
        return part
    if text in DYNAMIC:
        return ("dynamic", text)
    return ("var", state.option(text))


JSON_COMMENT_RE = re.compile(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/', re.DOTALL)


def loads_lenient(text: str) -> Any:
    """Parse JSON; failing that, JSON with // and /* */ comments (Postman allows them in bodies)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        stripped = JSON_COMMENT_RE.sub(lambda m: m.group(1) or "", text)
        return json.loads(stripped)


def value_template(state: _State, value_text: str, *, missing: list[str] | None = None) -> Template:
    """A body string holding `{{variables}}` as Postman fills it when it sends: a dynamic variable
    made fresh ("dynamic"), a credential from the client ("var"), another variable's value written
    out, one with no value left as written (and named in `missing`)."""
    parts: list[TemplatePart] = []
    for kind, text in parse_template(value_text):
        if kind == "var":
            if text in DYNAMIC:
                parts.append(("dynamic", text))
                continue
            if state.is_secret_var(text):
                parts.append(("var", state.credential(text)))
                continue
            value = state.var_value(text)
            if value is None:
                if missing is not None:
                    missing.append(text)
                value = "{{" + text + "}}"
            kind, text = "text", value
        if parts and kind == "text" and parts[-1][0] == "text":
            parts[-1] = ("text", parts[-1][1] + text)
        else:
            parts.append((kind, text))
    return tuple(parts)


def with_placeholders(text: str) -> tuple[str, dict[str, tuple[str, bool, str]]]:
    """JSON text with each `{{variable}}` stood in by a placeholder: inside a string, a marker in
    the string; in value position (`"count": {{count}}`), a string holding only the marker.
    Returns the text and, per marker, (variable, inside a string, the original text)."""
    nonce = "zgenvar"
    while nonce in text:
        nonce += "x"
    pieces: list[str] = []
    slots: dict[str, tuple[str, bool, str]] = {}
    pos, in_string, escaped = 0, False, False
    for number, match in enumerate(VAR_RE.finditer(text)):
        before = text[pos : match.start()]
        for char in before:
            if escaped:
                escaped = False
            elif in_string and char == "\\":
                escaped = True
            elif char == '"':
                in_string = not in_string
        marker = f"{nonce}{number}{nonce}"
        slots[marker] = (match.group(1), in_string, match.group(0))
        pieces.append(before)
        pieces.append(marker if in_string else f'"{marker}"')
        pos = match.end()
    pieces.append(text[pos:])
    return "".join(pieces), slots


def json_body_with_variables(state: _State, text: str, content_type: str) -> Body:
    """A JSON body holding `{{variables}}`, parsed with each one typed: inside a string a string,
    in value position the type of the variable's value, else Any. Credentials become client-level
    values the client fills into the body; other variables keep their collection defaults."""
    substituted, slots = with_placeholders(text)
    parsed = loads_lenient(substituted)
    marker_re = re.compile("|".join(re.escape(marker) for marker in slots))
    fills: list[tuple[tuple[str, ...], str]] = []
    defaults: list[tuple[tuple[str, ...], Any]] = []
    untyped: list[tuple[str, ...]] = []
    fresh: list[tuple[tuple[str, ...], Slot]] = []

    def restore(value: str) -> str:
        """Text around markers: the variable's default, or the `{{variable}}` as written."""

        def one(match: re.Match[str]) -> str:
            key, _, original = slots[match.group(0)]
            default = state.var_value(key)
            return default if default is not None else original

        return marker_re.sub(one, value)

    def scalar(path: tuple[str, ...]) -> bool:
        return bool(path) and "[]" not in path

    def walk(node: Any, path: tuple[str, ...]) -> Any:
        if isinstance(node, dict):
            return {restore(key): walk(item, (*path, restore(key))) for key, item in node.items()}
        if isinstance(node, list):
            return [walk(item, (*path, "[]")) for item in node]
        if not isinstance(node, str) or not marker_re.search(node):
            return node
        if node not in slots:
            # Text around variables (`"order-{{$guid}}"`): made when the call is sent where it
            # holds a dynamic variable or a credential, as Postman fills it.
            template = value_template(
                state, marker_re.sub(lambda match: slots[match.group(0)][2], node)
            )
            if scalar(path) and any(kind != "text" for kind, _ in template):
                fresh.append((path, Slot(template)))
            return restore(node)
        key, in_string, _ = slots[node]
        secret = state.is_secret_var(key) or (bool(path) and looks_secret(path[-1]))
        if key in DYNAMIC and scalar(path):
            fresh.append((path, Slot((("dynamic", key),), bare=not in_string)))
        if in_string:
            if secret:
                if scalar(path):
                    fills.append((path, state.credential(key)))
                return ""
            default = state.var_value(key)
            if default is not None and scalar(path):
                defaults.append((path, default))
            return default if default is not None else ""
        raw = DYNAMIC_BARE.get(key) if key.startswith("$") else state.var_value(key)
        try:
            value = json.loads(raw) if raw is not None and not secret else None
        except (json.JSONDecodeError, RecursionError):
            value = None
        if value is None or isinstance(value, (dict, list)):
            untyped.append(path)
            return None
        if scalar(path) and not key.startswith("$"):
            defaults.append((path, value))  # (a dynamic variable's sample types it, no more)
        return value

    example = walk(parsed, ())
    return Body(
        "json",
        content_type,
        example,
        fills=tuple(fills),
        defaults=tuple(defaults),
        untyped=tuple(untyped),
        fresh=tuple(fresh),
    )


def warn_missing(state: _State, place: str, missing: list[str], message: str) -> None:
    """One warning naming the variables without a value (`{{a}}`, `{{b}}`) in `message`'s {}."""
    if missing:
        names = ", ".join(f"`{{{{{name}}}}}`" for name in sorted(set(missing)))
        state.warn(place, message.format(names))


def graphql_query(state: _State, query: Any, place: str) -> str:
    """A GraphQL query as Postman sends it: each `{{variable}}` in it (`user(phone: "{{phone}}")`)
    replaced by the variable's value; one with no value (or a secret) stays as written, with a
    warning (the server would get the braces)."""
    if not isinstance(query, str):
        return ""
    missing: list[str] = []

    def one(match: re.Match[str]) -> str:
        value = state.var_value(match.group(1))
        if value is None:
            missing.append(match.group(1))
            return match.group(0)
        return value

    resolved = VAR_RE.sub(one, query)
    warn_missing(
        state,
        place,
        missing,
        "the GraphQL query holds {} with no value; sent as written unless the call passes its"
        " own query",
    )
    return resolved


def graphql_variables(state: _State, raw: Any, place: str) -> Any:
    """The variables of a GraphQL body as Postman sends them (None: none), from their JSON text
    (or, as some exporters write them, the object itself): each string holding `{{variables}}`
    filled as Postman fills it (a `Slot` where the value is made when the call is sent), a bare
    `{{variable}}` in value position its value's JSON, a literal credential left out."""
    if isinstance(raw, str):
        if not raw.strip():
            return None  # (Postman sends no `variables` key)
        substituted, slots = with_placeholders(raw)
        try:
            parsed = loads_lenient(substituted)
        except (json.JSONDecodeError, RecursionError) as exc:
            state.warn(place, f"the GraphQL variables do not parse as JSON ({exc}); none are sent")
            return None
    else:
        parsed, slots = raw, {}
    if parsed is None:
        return None
    if not isinstance(parsed, dict):
        state.warn(place, "the GraphQL variables are not a JSON object; none are sent")
        return None
    marker_re = re.compile("|".join(re.escape(marker) for marker in slots) or r"(?!)")
    missing: list[str] = []

    def walk(node: Any, key: str) -> Any:
        if isinstance(node, dict):
            return {
                marker_re.sub(lambda m: slots[m.group(0)][2], name): walk(item, name)
                for name, item in node.items()
            }
        if isinstance(node, list):
            return [walk(item, key) for item in node]
        if not isinstance(node, str):
            return node
        if node in slots and not slots[node][1]:  # bare, in value position
            name = slots[node][0]
            if name in DYNAMIC:
                return Slot((("dynamic", name),), bare=True)
            if state.is_secret_var(name):
                return Slot((("var", state.credential(name)),))
            value = state.var_value(name)
            if value is None:
                missing.append(name)
                return None
            try:
                return json.loads(value)
            except (json.JSONDecodeError, RecursionError):
                return value
        text = marker_re.sub(lambda m: slots[m.group(0)][2], node)
        if not VAR_RE.search(text):
            if text and (looks_secret(key) or secret_value(key, text)):
                cred = state.literal_secret(
                    re.sub(
                        r"[^a-z0-9]+", "_", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).lower()
                    ).strip("_")
                    or "secret",
                    f"{place} (GraphQL variable `{key}`)",
                    f"GraphQL variable `{key}`",
                    text,
                )
                return Slot((("var", cred),))
            return text
        template = value_template(state, text, missing=missing)
        if all(kind == "text" for kind, _ in template):
            return "".join(part for _, part in template)
        return Slot(template)

    variables = walk(parsed, "")
    warn_missing(
        state,
        place,
        missing,
        "the GraphQL variables hold {} with no value (sent as written in a string, as null"
        " elsewhere) unless the call passes its own variables",
    )
    return variables


def parse_body(state: _State, raw: Any, content_type: str | None, place: str) -> Body | None:
    if not isinstance(raw, dict) or raw.get("disabled") is True:
        return None
    mode = raw.get("mode")
    if mode == "raw":
        text = raw.get("raw")
        if not isinstance(text, str) or not text.strip():
            return None
        options = raw.get("options")
        language = ""
        if isinstance(options, dict) and isinstance(options.get("raw"), dict):
            lang = options["raw"].get("language")
            language = lang if isinstance(lang, str) else ""
        is_json = language in JSON_LANGS or (
            content_type is not None and "json" in content_type.lower()
        )
        if not language and content_type is None and text.lstrip()[:1] in ("{", "["):
            is_json = True
        if is_json:
            try:
                if VAR_RE.search(text):
                    return json_body_with_variables(state, text, content_type or "application/json")
                return Body("json", content_type or "application/json", loads_lenient(text))
            except (json.JSONDecodeError, RecursionError) as exc:
                state.warn(
                    place, f"request body claims JSON but does not parse ({exc}); sent as text"
                )
        default_type = (
            "application/json"
            if is_json
            else {
                "xml": "application/xml",
                "html": "text/html",
                "javascript": "application/javascript",
            }.get(language, "text/plain")
        )
        return Body("text", content_type or default_type, text)
    if mode in ("urlencoded", "formdata"):
        fields: dict[str, FormField] = {}
        fills: list[tuple[tuple[str, ...], str]] = []
        defaults: list[tuple[tuple[str, ...], Any]] = []
        form_fresh: list[tuple[tuple[str, ...], Slot]] = []
        entries = raw.get(mode)
        for entry in entries if isinstance(entries, list) else []:
            if (
                not isinstance(entry, dict)
                or not isinstance(entry.get("key"), str)
                or not entry["key"]
            ):
                continue
            key = entry["key"]
            if key in fields:
                continue
            is_file = mode == "formdata" and entry.get("type") == "file"
            fields[key] = FormField(
                key,
                is_file,
                entry.get("disabled") is not True,
                description_text(entry.get("description")),
            )
            value = entry.get("value")
            if is_file or entry.get("disabled") is True or not isinstance(value, str):
                continue
            if any(match.group(1) in DYNAMIC for match in VAR_RE.finditer(value)):
                # (`nonce={{$guid}}`, `ref=r-{{$timestamp}}`: made when the call is sent)
                form_fresh.append(((key,), Slot(value_template(state, value))))
                continue
            var = VAR_RE.fullmatch(value.strip())
            if var is None:
                continue
            # A field that is one `{{variable}}` (client_id={{clientId}}) is filled in as Postman
            # fills it, unless the call sets it: a credential from the client, else its default.
            name = var.group(1)
            if state.is_secret_var(name) or looks_secret(key):
                fills.append(((key,), state.credential(name)))
            elif (default := state.var_value(name)) is not None:
                defaults.append(((key,), default))
        if not fields:  # (as an empty raw body: nothing to send, no argument to ask for)
            return None
        form_type = "application/x-www-form-urlencoded" if mode == "urlencoded" else None
        return Body(
            mode,
            form_type,
            None,
            tuple(fields.values()),
            fills=tuple(fills),
            defaults=tuple(defaults),
            fresh=tuple(form_fresh),
        )
    if mode == "file":
        return Body("file", content_type or "application/octet-stream")
    if mode == "graphql":
        graphql = raw.get("graphql")
        if not isinstance(graphql, dict):
            graphql = {}
        name = graphql.get("operationName")
        return Body(
            "graphql",
            "application/json",
            graphql_query(state, graphql.get("query"), place),
            operation_name=name if isinstance(name, str) and name.strip() else None,
            variables=graphql_variables(state, graphql.get("variables"), place),
        )
    return None


# ---------------------------------------------------------------- saved responses


def example_status(state: _State, response: dict[str, Any], place: str) -> int:
    code = response.get("code")
    if isinstance(code, int) and 100 <= code <= 599:
        return code
    if isinstance(code, str) and code.isdigit() and 100 <= int(code) <= 599:
        return int(code)
    status = response.get("status")
    if isinstance(status, str):
        text = status.strip().lower()
        if text in STATUS_BY_PHRASE:
            return STATUS_BY_PHRASE[text]
        match = re.match(r"^(\d{3})\b", text)
        if match and 100 <= int(match.group(1)) <= 599:
            return int(match.group(1))
    state.warn(place, "saved response has no status code; treated as a 200 success example")
    return 200


NO_CONTENT = frozenset({204, 205, 304})  # statuses that carry no body


def classify(
    content_type: str,
    preview: str,
    body: str,
    *,
    saved: bool = True,
    status: int = 200,
    headers: tuple[tuple[str, str], ...] = (),
) -> ExampleKind:
    """The kind of a saved body. An empty one is "empty" (the response had no body) unless what
    was saved says otherwise: a body the collection did not save (no `body` key, as converters
    write) or a JSON content type is "unsaved" (its content unknown: it adds `None` to what the
    other examples show, or is `Any` when none shows a body), and a binary
    content type is "binary" (Postman saves no binary body). A no-content status, or a
    `Content-Length: 0`, is "empty" whatever else."""
    lowered = content_type.lower()
    if not body.strip():
        length = next((value for key, value in headers if key.lower() == "content-length"), "")
        if status in NO_CONTENT or length.strip() == "0":
            return "empty"
        if not saved or "json" in lowered:
            return "unsaved"
        if lowered and not any(marker in lowered for marker in TEXT_TYPES):
            return "binary"
        return "empty"
    if "json" in lowered or (not lowered and preview == "json"):
        return "json"
    if any(marker in lowered for marker in TEXT_TYPES) or (not lowered and preview in TEXT_LANGS):
        return "text"
    if lowered:
        return "binary"
    return "json" if body.lstrip()[:1] in ("{", "[") else "text"


def with_dynamic_samples(text: str) -> str:
    """A saved JSON body (a mock server's template: `"id": {{$randomInt}}`) with each Postman
    dynamic variable that gives a number, written bare, or a UUID or timestamp, alone in a string,
    replaced by a sample of its value; any other template written bare where a value goes
    (`{{$pathSegments '2'}}`, `{{$randomBsNoun}}`, `{{id}}`: no JSON as written, no knowable type)
    by null; everything else as written."""
    substituted, slots = with_placeholders(text)
    if not any(key in DYNAMIC_IN_STRING or not in_string for key, in_string, _ in slots.values()):
        return text
    pieces, pos = [], 0
    for marker, (key, in_string, original) in slots.items():
        start = substituted.index(marker, pos)
        quoted = not in_string  # (a bare variable's marker stands in quotes)
        begin, end = (
            (start - 1, start + len(marker) + 1) if quoted else (start, start + len(marker))
        )
        pieces.append(substituted[pos:begin])
        whole = in_string and substituted[start - 1 : start] == '"'
        whole = whole and substituted[start + len(marker) : start + len(marker) + 1] == '"'
        if quoted:
            pieces.append(DYNAMIC_BARE.get(key, "null"))
        elif whole and key in DYNAMIC_IN_STRING:
            pieces.append(DYNAMIC_IN_STRING[key])
        else:
            pieces.append(original)
        pos = end
    pieces.append(substituted[pos:])
    return "".join(pieces)


def parse_examples(state: _State, raw: Any, place: str) -> list[Example]:
    examples: list[Example] = []
    if isinstance(raw, dict):
        state.warn(
            f"{place} / response",
            "`response` is an object, not a list of saved responses; read as one saved response",
        )
        raw = [raw]
    elif raw is not None and not isinstance(raw, list):
        state.warn(
            f"{place} / response",
            f"`response` is {json_kind(raw)}, not a list of saved responses; left out",
        )
    for position, response in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(response, dict):
            state.warn(
                f"{place} / response {position + 1}",
                f"a saved response is {json_kind(response)}, not an object; left out",
            )
            continue
        raw_name = response.get("name")
        name = raw_name if isinstance(raw_name, str) else ""
        where = f"{place} / response {name or '(unnamed)'!r}"
        headers = tuple(header_entries(response.get("header")))
        content_type = next((value for key, value in headers if key.lower() == "content-type"), "")
        body_raw = response.get("body")
        body = (
            body_raw
            if isinstance(body_raw, str)
            else ("" if body_raw is None else json.dumps(body_raw))
        )
        # A byte order mark is no part of the content (Postman keeps one that a server sent; JSON
        # parsers of bytes, httpx's among them, drop it)
        body = body.removeprefix("\ufeff")
        preview = response.get("_postman_previewlanguage")
        status = example_status(state, response, where)
        kind = classify(
            content_type,
            preview if isinstance(preview, str) else "",
            body,
            saved="body" in response,
            status=status,
            headers=headers,
        )
        parsed: Any = None
        if kind == "json" and "{{" in body:
            body = with_dynamic_samples(body)
        if kind == "json":
            try:
                parsed = json.loads(body)
            except (json.JSONDecodeError, RecursionError) as exc:
                state.warn(
                    where,
                    f"saved body claims JSON but does not parse ({exc}); kept as a raw text fixture and left out of inference",
                )
                kind = "text"
        body, parsed = redact_body(body, parsed, kind == "json")
        headers = redact_headers(headers)
        examples.append(
            Example(
                name=name,
                place=where,
                status=status,
                headers=headers,
                body=body,
                content_type=content_type or ("application/json" if kind == "json" else ""),
                kind=kind,
                parsed=parsed,
            )
        )
    return examples


# ---------------------------------------------------------------- the per-request memo

# A rebuild after a small edit reads the same requests as the last build: a NormalizeMemo keeps,
# per request, what reading it gave (the Operation, what it changed in _State, the warnings), under
# a digest of everything reading it reads: the item's JSON value (key order included), its folder
# path and inherited auth, the file name and variables, and the parts of _State it reads as they
# are when it starts: client_vars (whole, sorted: nothing reads its order, the Api sorts it), hosts,
# and which hosts host_counts holds (host_var only tests membership, then adds one). Not in the key: the pointer (read_request reads it only for a
# ZgenError, and a call that raised is never recorded), the counts themselves and host_order (the
# record adds to them: its count increments and its appended hosts), secrets_found (only ever
# appended to: the record appends the same). So an upstream change that these miss (a request
# added or removed with a known host) still hits, and any other (a new credential, a folder's
# auth, a variable) misses: the memo never answers for different inputs.
# Only read_request is memoized: walk_items, folder auth and the collection-level steps always run.

MEMO_FORMAT = "zgen-normalize-memo-3"

_Warned = tuple[
    str, str, str, str, str
]  # what Diagnostics.warn got: file, place, message, request, folder
_VarEntry = tuple[str, str, str | None, bool, str]  # client_vars key and its ClientVar's fields
# What one read_request call changed in _State (which only ever adds): the client_vars entries it
# set (in dict order), what it added to host counts, what it appended to host_order and
# secrets_found, the hosts it added.
_Delta = tuple[
    tuple[_VarEntry, ...],
    tuple[tuple[str, int], ...],
    tuple[str, ...],
    tuple[str, ...],
    tuple[str, ...],
]
_Record = tuple[Operation, _Delta, tuple[_Warned, ...]]


class NormalizeMemo:
    """Per-request results of the last `normalize` call that was given this memo (`records`, by
    the digest of the request's inputs). Persisted with marshal of plain data, never pickle: the
    file lives in the user's output folder, and reading it runs no code.

    The bytes are those of a tuple of (key, record bytes) pairs, each record marshalled on its
    own: a rebuild after a small change writes back the bytes it read of every record it reused
    (`blobs`) instead of turning each Operation back into plain tuples and marshalling it again."""

    def __init__(self) -> None:
        self.records: dict[bytes, _Record] = {}
        # After a `normalize` call: per request, in the order of the Api's operations, the digest
        # of everything its Operation is made from (its record's key; None for a request that
        # has none), which later stages may key their own memos by.
        self.keys: tuple[bytes | None, ...] = ()
        # key -> the marshalled plain form of records[key], when known (read, or already made)
        self.blobs: dict[bytes, bytes] = {}

    def to_bytes(self) -> bytes:
        blobs: dict[bytes, bytes] = {}
        for key, record in self.records.items():
            blob = self.blobs.get(key)
            if blob is None:
                op, delta, warned = record
                try:
                    blob = marshal.dumps((_operation_plain(op), delta, warned))
                except ValueError:  # a body nested too deep for marshal: keep the others
                    continue
            blobs[key] = blob
        self.blobs = blobs  # (the next call, in a watch session, reuses them all)
        return marshal.dumps((MEMO_FORMAT, tuple(blobs.items())))

    @classmethod
    def resumed(cls, last: NormalizeMemo) -> NormalizeMemo:
        """A memo holding the records `last` ended with, as they are in memory (normalize gives
        a memo new records; it never changes those it read)."""
        memo = cls()
        memo.records = last.records
        memo.blobs = last.blobs
        return memo

    @classmethod
    def from_bytes(cls, data: bytes) -> NormalizeMemo:
        """The memo `to_bytes` wrote; an empty one for anything else (garbage, truncated, another
        format, a value of the wrong type anywhere)."""
        memo = cls()
        # Reading creates a few hundred thousand containers (the saved bodies), none of them in a
        # cycle: the cyclic collector, run on every few hundred, made reading N=2000 three times
        # slower. It is switched back on as it was.
        try:
            with paused_gc():
                tag, entries = _tuple(marshal.loads(data), 2)
                if tag != MEMO_FORMAT:
                    return memo
                records: dict[bytes, _Record] = {}
                blobs: dict[bytes, bytes] = {}
                for entry in _tuple(entries):
                    key, blob = _tuple(entry, 2)
                    if not isinstance(key, bytes) or not isinstance(blob, bytes):
                        raise ValueError("key")
                    op, delta, warned = _tuple(marshal.loads(blob), 3)
                    records[key] = (_operation_from(op), _delta_from(delta), _warned_from(warned))
                    blobs[key] = blob
        except (EOFError, ValueError, TypeError, RecursionError):
            return memo
        memo.records = records
        memo.blobs = blobs
        return memo


def remembered_request(
    state: _State,
    item: dict[str, Any],
    folders: tuple[str, ...],
    inherited: AuthSpec | None,
    pointer: str,
    name: str,
    place: str,
) -> Operation:
    """read_request, answered from the memo's last call when every input is the same."""
    assert state.memo_last is not None and state.memo_now is not None
    client_vars = state.client_vars
    # (pointer is left out of the key: see above)
    try:
        key = value_digest(
            (
                state.fixed_digest,
                folders,
                _auth_plain(inherited),
                tuple(_var_entry(k, client_vars[k]) for k in sorted(client_vars)),
                tuple(sorted(state.host_counts)),
                tuple(sorted(state.hosts)),
                item,
            )
        )
    except ValueError:  # a value marshal cannot write (not JSON, or nested too deep): no memo
        state.op_keys.append(None)
        return read_request(state, item, folders, inherited, pointer, name, place)
    state.op_keys.append(key)
    record = state.memo_now.get(key) or state.memo_last.get(key)
    if record is not None:
        operation, delta, warned = record
        var_entries, counts, order, secrets, hosts = delta
        for k, var_key, default, secret, description in var_entries:
            state.client_vars[k] = ClientVar(var_key, default, secret, description)
        for host, added in counts:
            state.host_counts[host] += added
        state.host_order.extend(order)
        state.secrets_found.extend(secrets)
        state.hosts.update(hosts)
        for file, where, message, request, folder in warned:
            state.diagnostics.warn(file, where, message, request=request, folder=folder)
        state.memo_now[key] = record
        return operation
    hosts_before = set(state.hosts)
    vars_before = dict(state.client_vars)
    counts_before = dict(state.host_counts)
    order_before, secrets_before = len(state.host_order), len(state.secrets_found)
    state.captured = []
    try:
        operation = read_request(state, item, folders, inherited, pointer, name, place)
        captured = tuple(state.captured)
    finally:
        state.captured = None
    delta = (
        tuple(_var_entry(k, v) for k, v in state.client_vars.items() if vars_before.get(k) != v),
        tuple(
            (h, n - counts_before.get(h, 0))
            for h, n in state.host_counts.items()
            if counts_before.get(h) != n
        ),
        tuple(state.host_order[order_before:]),
        tuple(state.secrets_found[secrets_before:]),
        tuple(sorted(state.hosts - hosts_before)),
    )
    if not _holds_credentials(operation):
        state.memo_now[key] = (operation, delta, captured)
    return operation


def _holds_credentials(operation: Operation) -> bool:
    """Whether the request body the collection shows holds a credential (the IR keeps it, the
    output redacts it): such a request is not remembered, so that no credential is written to the
    build cache; it is read again on every build."""
    body = operation.body
    if body is None:
        return False
    if body.mode == "json" and isinstance(body.example, (dict, list)):
        return redact_json(body.example)[1]
    if isinstance(body.example, str):
        return redact_text(body.example) != body.example
    return False


def _var_entry(key: str, var: ClientVar) -> _VarEntry:
    return (key, var.key, var.default, var.secret, var.description)


# Operations to plain tuples (marshal writes them) and back, checking every value's type.


def _auth_plain(auth: AuthSpec | None) -> tuple[Any, ...] | None:
    if auth is None:
        return None
    return (auth.kind, auth.postman_type, auth.location, auth.name, auth.prefix, auth.credentials)


def _operation_plain(op: Operation) -> tuple[Any, ...]:
    body = op.body
    return (
        op.place,
        op.folders,
        op.name,
        op.method,
        op.host,
        op.path,
        tuple(
            (p.key, p.location, p.required, p.default, p.description, p.multiple) for p in op.params
        ),
        op.query,
        op.headers,
        (
            None
            if body is None
            else (
                body.mode,
                body.content_type,
                body.example,
                tuple((f.key, f.is_file, f.required, f.description) for f in body.fields),
                body.fills,
                body.defaults,
                body.untyped,
                tuple((path, (slot.template, slot.bare)) for path, slot in body.fresh),
                body.operation_name,
                _slots_plain(body.variables),
            )
        ),
        _auth_plain(op.auth),
        op.description,
        tuple(
            (e.name, e.place, e.status, e.headers, e.body, e.content_type, e.kind, e.parsed)
            for e in op.examples
        ),
    )


def _tuple(value: Any, length: int | None = None) -> tuple[Any, ...]:
    if not isinstance(value, tuple) or (length is not None and len(value) != length):
        raise ValueError("expected a tuple")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a str")
    return value


def _opt_str(value: Any) -> str | None:
    return None if value is None else _str(value)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected a bool")
    return value


def _one_of(value: Any, allowed: tuple[str, ...]) -> Any:
    if value not in allowed or not isinstance(value, str):
        raise ValueError("unexpected value")
    return value


# (The checks of the tuples every record holds many of give back the tuple they checked: marshal
# made it, immutable, and making it again would double the time of reading a memo.)


def _strs(value: Any) -> tuple[str, ...]:
    if type(value) is not tuple or not all(type(text) is str for text in value):
        raise ValueError("expected a tuple of str")
    return value


_PART_KINDS = ("text", "var", "dynamic")


def _template(value: Any) -> Template:
    if type(value) is not tuple:
        raise ValueError("expected a tuple")
    for part in value:
        if (
            type(part) is not tuple
            or len(part) != 2
            or type(part[0]) is not str
            or part[0] not in _PART_KINDS
            or type(part[1]) is not str
        ):
            raise ValueError("expected a template part")
    return value


def _named_templates(value: Any) -> tuple[tuple[str, Template], ...]:
    checked: tuple[tuple[str, Template], ...] = _str_keyed_pairs(
        value, _template, "a named template"
    )
    return checked


def _str_pairs(value: Any) -> tuple[tuple[str, str], ...]:
    checked: tuple[tuple[str, str], ...] = _str_keyed_pairs(value, _str, "a pair of str")
    return checked


def _str_keyed_pairs(value: Any, second: Callable[[Any], Any], what: str) -> Any:
    """`value` when it is a tuple of (str, x) pairs whose x `second` accepts (it raises
    ValueError for any other)."""
    if type(value) is not tuple:
        raise ValueError("expected a tuple")
    for pair in value:
        if type(pair) is not tuple or len(pair) != 2 or type(pair[0]) is not str:
            raise ValueError(f"expected {what}")
        second(pair[1])
    return value


_JSON_SCALARS = (str, int, float, bool, type(None))


def _json(value: Any) -> Any:
    """A JSON value as json.loads gives it (dict, list, str, int, float, bool, None), checked
    all the way down without recursion (only containers go on the stack: bodies are mostly
    leaves, and this runs over every saved body when a memo is read). Raises ValueError, or
    TypeError for a key that is not a str."""
    stack = [value]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is dict:
            "".join(node)  # (a TypeError for a key that is not a str: a loop in C, not a generator)
            children = node.values()
        elif kind is list:
            children = node
        elif kind in _JSON_SCALARS:
            continue
        else:
            raise ValueError("not JSON")
        for child in children:
            child_kind = type(child)
            if child_kind is dict or child_kind is list:
                stack.append(child)
            elif child_kind not in _JSON_SCALARS:
                raise ValueError("not JSON")
    return value


def _auth_from(value: Any) -> AuthSpec | None:
    if value is None:
        return None
    kind, postman_type, location, name, prefix, credentials = _tuple(value, 6)
    return AuthSpec(
        _one_of(kind, ("bearer", "basic", "apikey", "oauth2", "unsupported")),
        _str(postman_type),
        _one_of(location, ("header", "query")),
        _str(name),
        _str(prefix),
        _strs(credentials),
    )


def _body_from(value: Any) -> Body | None:
    if value is None:
        return None
    mode, content_type, example, fields, fills, defaults, untyped, fresh, op_name, variables = (
        _tuple(value, 10)
    )
    return Body(
        _one_of(mode, ("json", "text", "urlencoded", "formdata", "file", "graphql")),
        _opt_str(content_type),
        _json(example),
        tuple(
            FormField(_str(k), _bool(is_file), _bool(required), _str(desc))
            for k, is_file, required, desc in (_tuple(f, 4) for f in _tuple(fields))
        ),
        tuple((_strs(path), _str(key)) for path, key in (_tuple(f, 2) for f in _tuple(fills))),
        tuple((_strs(path), _json(v)) for path, v in (_tuple(d, 2) for d in _tuple(defaults))),
        tuple(_strs(path) for path in _tuple(untyped)),
        tuple(
            (_strs(path), _slot_from(slot)) for path, slot in (_tuple(f, 2) for f in _tuple(fresh))
        ),
        _opt_str(op_name),
        _slots_from(variables),
    )


def _slot_from(value: Any) -> Slot:
    template, bare = _tuple(value, 2)
    return Slot(_template(template), _bool(bare))


def _slots_plain(value: Any) -> Any:
    """A JSON value holding `Slot`s, with each as a tuple (JSON has none) for marshal."""
    if isinstance(value, Slot):
        return (value.template, value.bare)
    if isinstance(value, dict):
        return {key: _slots_plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_slots_plain(item) for item in value]
    return value


def _slots_from(value: Any) -> Any:
    if isinstance(value, tuple):
        return _slot_from(value)
    if isinstance(value, dict):
        return {_str(key): _slots_from(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_slots_from(item) for item in value]
    return _json(value)


def _example_from(value: Any) -> Example:
    name, place, status, headers, body, content_type, kind, parsed = _tuple(value, 8)
    if not isinstance(status, int) or isinstance(status, bool):
        raise ValueError("expected a status code")
    return Example(
        _str(name),
        _str(place),
        status,
        _str_pairs(headers),
        _str(body),
        _str(content_type),
        _one_of(kind, ("json", "text", "binary", "empty", "unsaved")),
        _json(parsed),
    )


def _operation_from(value: Any) -> Operation:
    place, folders, name, method, host, path, params, query, headers, body, auth, desc, examples = (
        _tuple(value, 13)
    )
    return Operation(
        place=_str(place),
        folders=_strs(folders),
        name=_str(name),
        method=_str(method),
        host=_str(host),
        path=_template(path),
        params=tuple(
            Param(
                _str(k),
                _one_of(location, ("path", "query")),
                _bool(required),
                _opt_str(default),
                _str(description),
                _bool(multiple),
            )
            for k, location, required, default, description, multiple in (
                _tuple(p, 6) for p in _tuple(params)
            )
        ),
        query=_named_templates(query),
        headers=_named_templates(headers),
        body=_body_from(body),
        auth=_auth_from(auth),
        description=_str(desc),
        examples=tuple(_example_from(example) for example in _tuple(examples)),
    )


def _delta_from(value: Any) -> _Delta:
    var_entries, counts, order, secrets, hosts = _tuple(value, 5)
    entries: list[_VarEntry] = []
    for entry in _tuple(var_entries):
        k, key, default, secret, description = _tuple(entry, 5)
        entries.append((_str(k), _str(key), _opt_str(default), _bool(secret), _str(description)))
    checked_counts: list[tuple[str, int]] = []
    for entry in _tuple(counts):
        host, count = _tuple(entry, 2)
        if not isinstance(count, int) or isinstance(count, bool):
            raise ValueError("expected a count")
        checked_counts.append((_str(host), count))
    return (tuple(entries), tuple(checked_counts), _strs(order), _strs(secrets), _strs(hosts))


def _warned_from(value: Any) -> tuple[_Warned, ...]:
    result: list[_Warned] = []
    for entry in _tuple(value):
        file, place, message, request, folder = _tuple(entry, 5)
        result.append((_str(file), _str(place), _str(message), _str(request), _str(folder)))
    return tuple(result)

"""The generated client's runtime against a real HTTP server on loopback (pytest-httpserver).

One small collection is built once for the module and imported; every behaviour is exercised through
both the generated Client and AsyncClient: retries and Retry-After, timeouts, connection errors, the
error hierarchy, each auth scheme as Postman sends it, token refresh, uploads, downloads, raw and
streamed responses.
"""

from __future__ import annotations

import asyncio
import email.utils
import importlib
import io
import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from conftest import collection, request, response
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response
from zgen.pipeline import build

PACKAGE = "rt_api"
MODES = ["sync", "async"]


def bearer(var: str = "token") -> dict[str, Any]:
    return {
        "type": "bearer",
        "bearer": [{"key": "token", "value": "{{" + var + "}}", "type": "string"}],
    }


def oauth2(*entries: tuple[str, str]) -> dict[str, Any]:
    return {"type": "oauth2", "oauth2": [{"key": key, "value": value} for key, value in entries]}


def apikey(name: str, where: str) -> dict[str, Any]:
    entries = [("key", name), ("value", "{{api_key}}"), ("in", where)]
    return {"type": "apikey", "apikey": [{"key": key, "value": value} for key, value in entries]}


OK = [response("OK", 200, {"ok": True})]
COLLECTION = collection(
    {
        "name": "Items",
        "item": [
            request(
                "Get Item",
                "{{baseUrl}}/items/:item_id",
                auth=bearer(),
                responses=[
                    response("Found", 200, {"id": "1", "name": "x"}),
                    response(
                        "Missing",
                        404,
                        {"code": "NOT_FOUND", "message": "no such item", "status": "error"},
                    ),
                ],
            ),
            request(
                "Create Item",
                "{{baseUrl}}/items",
                method="POST",
                auth=bearer(),
                body={
                    "mode": "raw",
                    "raw": '{"name": "x"}',
                    "options": {"raw": {"language": "json"}},
                },
                responses=[response("Created", 201, {"id": "1", "name": "x"})],
            ),
        ],
    },
    request(
        "Basic Check",
        "{{baseUrl}}/basic",
        auth={
            "type": "basic",
            "basic": [
                {"key": "username", "value": "{{username}}"},
                {"key": "password", "value": "{{password}}"},
            ],
        },
        responses=OK,
    ),
    request(
        "Key Header", "{{baseUrl}}/key-header", auth=apikey("X-API-Key", "header"), responses=OK
    ),
    request("Key Query", "{{baseUrl}}/key-query", auth=apikey("api_key", "query"), responses=OK),
    request(
        "Zoho Token",
        "{{baseUrl}}/zoho",
        auth=oauth2(
            ("accessToken", "{{access_token}}"),
            ("headerPrefix", "Zoho-oauthtoken"),
            ("addTokenTo", "header"),
        ),
        responses=OK,
    ),
    request(
        "OAuth Query",
        "{{baseUrl}}/oauth-query",
        auth=oauth2(("accessToken", "{{access_token}}"), ("addTokenTo", "queryParams")),
        responses=OK,
    ),
    request(
        "Upload File",
        "{{baseUrl}}/upload",
        method="POST",
        auth=bearer(),
        body={
            "mode": "formdata",
            "formdata": [
                {"key": "file", "type": "file", "src": "data.csv"},
                {"key": "note", "type": "text", "value": "hi"},
            ],
        },
        responses=[response("Uploaded", 200, {"file_id": "f1"})],
    ),
    request(
        "Download File",
        "{{baseUrl}}/download",
        auth=bearer(),
        responses=[response("Zip", 200, "PK\u0003\u0004data", "application/zip")],
    ),
    request(
        "Put Blob",
        "{{baseUrl}}/blob",
        method="PUT",
        auth=bearer(),
        body={"mode": "file", "file": {"src": "blob.bin"}},
        responses=[response("Stored", 200, {"size": 3})],
    ),
    variable=[{"key": "baseUrl", "value": "http://127.0.0.1:9"}],
)


@pytest.fixture(scope="module")
def rt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The generated package, built once and imported into this process."""
    folder = tmp_path_factory.mktemp("runtime")
    source = folder / "runtime.json"
    source.write_text(json.dumps(COLLECTION), encoding="utf-8")
    output = folder / "out"
    report = build([source], output, packages={source: PACKAGE})
    assert report is not None
    sys.path.insert(0, str(output))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(output))
        for name in [
            name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")
        ]:
            del sys.modules[name]


@pytest.fixture
def fast_retries(rt: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """Shorter backoff (the policy is unchanged: same statuses, same number of attempts)."""
    monkeypatch.setattr(rt._base, "INITIAL_RETRY_DELAY", 0.01)


@pytest.fixture(autouse=True)
def no_env_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TOKEN", "ACCESS_TOKEN", "API_KEY", "USERNAME", "PASSWORD", "BASE_URL"):
        monkeypatch.delenv(f"RT_API_{name}", raising=False)


class Script:
    """A request handler answering with the given responses in turn (the last one repeats)."""

    def __init__(self, *responses: Response | Callable[[Request], Response]) -> None:
        self.responses = list(responses)
        self.requests: list[Request] = []
        self.arrivals: list[float] = []

    def __call__(self, req: Request) -> Response:
        self.arrivals.append(time.monotonic())
        req.get_data()  # keep the body readable after the handler returns
        self.requests.append(req)
        item = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        return item(req) if callable(item) and not isinstance(item, Response) else item


def ok(body: Any = None, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps({"ok": True} if body is None else body),
        status,
        headers,
        content_type="application/json",
    )


def serve(
    server: HTTPServer,
    path: str,
    *responses: Response | Callable[[Request], Response],
    method: str = "",
) -> Script:
    script = Script(*responses)
    server.expect_request(path, method=method or "__ALL").respond_with_handler(script)
    return script


def run(rt: ModuleType, mode: str, action: Callable[[Any], Any], **options: Any) -> Any:
    """Make a Client or AsyncClient against the options and run `action(client)` with it."""
    if mode == "sync":
        with rt.Client(**options) as client:
            return action(client)

    async def main() -> Any:
        async with rt.AsyncClient(**options) as client:
            return await action(client)

    return asyncio.run(main())


def base(server: HTTPServer) -> str:
    return server.url_for("/").rstrip("/")


def get_item(client: Any) -> Any:
    return client.items.get_item(item_id="1")


# ---------------------------------------------------------------- retries


@pytest.mark.parametrize("mode", MODES)
def test_429_with_retry_after_is_retried_after_the_delay(
    rt: ModuleType, httpserver: HTTPServer, mode: str
) -> None:
    script = serve(
        httpserver,
        "/items/1",
        ok({"code": "LIMIT"}, 429, {"Retry-After": "1"}),
        ok({"id": "1", "name": "x"}),
    )
    item = run(rt, mode, get_item, base_url=base(httpserver), token="t")
    assert item.name == "x"
    assert len(script.requests) == 2
    assert script.arrivals[1] - script.arrivals[0] >= 1.0


@pytest.mark.parametrize("mode", MODES)
def test_503_503_200_succeeds_with_defaults(
    rt: ModuleType, httpserver: HTTPServer, fast_retries: None, mode: str
) -> None:
    script = serve(
        httpserver, "/items/1", ok(status=503), ok(status=503), ok({"id": "1", "name": "x"})
    )
    assert run(rt, mode, get_item, base_url=base(httpserver), token="t").id == "1"
    assert len(script.requests) == 3


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("max_retries", [0, 1, 2, 4])
def test_endless_500_raises_after_one_plus_max_retries(
    rt: ModuleType, httpserver: HTTPServer, fast_retries: None, mode: str, max_retries: int
) -> None:
    script = serve(httpserver, "/items/1", ok({"code": "BOOM", "message": "down"}, 500))
    with pytest.raises(rt.InternalServerError) as caught:
        run(rt, mode, get_item, base_url=base(httpserver), token="t", max_retries=max_retries)
    assert len(script.requests) == 1 + max_retries
    assert caught.value.status_code == 500
    assert caught.value.code == "BOOM"
    assert caught.value.message == "down"


def test_default_max_retries_is_two(
    rt: ModuleType, httpserver: HTTPServer, fast_retries: None
) -> None:
    script = serve(httpserver, "/items/1", ok(status=502))
    with pytest.raises(rt.InternalServerError):
        run(rt, "sync", get_item, base_url=base(httpserver), token="t")
    assert len(script.requests) == 3


@pytest.mark.parametrize("mode", MODES)
def test_post_is_not_retried_unless_asked(
    rt: ModuleType, httpserver: HTTPServer, fast_retries: None, mode: str
) -> None:
    script = serve(
        httpserver, "/items", ok(status=503), ok(status=503), ok({"id": "2", "name": "y"}, 201)
    )

    def create(client: Any) -> Any:
        return client.items.create_item(body={"name": "y"})

    with pytest.raises(rt.InternalServerError):
        run(rt, mode, create, base_url=base(httpserver), token="t")
    assert len(script.requests) == 1
    assert (
        run(rt, mode, create, base_url=base(httpserver), token="t", retry_all_methods=True).id
        == "2"
    )
    assert len(script.requests) == 3
    assert json.loads(script.requests[-1].get_data()) == {"name": "y"}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(
    rt: ModuleType, httpserver: HTTPServer, fast_retries: None, mode: str, status: int
) -> None:
    script = serve(httpserver, "/items/1", ok({"code": "NO"}, status), ok({"id": "1", "name": "x"}))
    with pytest.raises(rt.ApiStatusError) as caught:
        run(rt, mode, get_item, base_url=base(httpserver), token="t")
    assert caught.value.status_code == status
    assert len(script.requests) == 1


@pytest.mark.parametrize("status", [408, 409])
def test_408_and_409_are_retried(
    rt: ModuleType, httpserver: HTTPServer, fast_retries: None, status: int
) -> None:
    script = serve(httpserver, "/items/1", ok(status=status), ok({"id": "1", "name": "x"}))
    assert run(rt, "sync", get_item, base_url=base(httpserver), token="t").name == "x"
    assert len(script.requests) == 2


def test_retry_delay_honours_retry_after_forms(rt: ModuleType) -> None:
    delay = rt._base.retry_delay
    assert delay(0, httpx.Headers({"retry-after": "3"})) == 3.0
    assert delay(0, httpx.Headers({"retry-after-ms": "250"})) == 0.25
    soon = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 0.0 < delay(0, httpx.Headers({"retry-after": soon})) <= 30.0
    past = email.utils.formatdate(time.time() - 30, usegmt=True)
    assert delay(0, httpx.Headers({"retry-after": past})) == 0.0
    assert delay(0, httpx.Headers({"retry-after": "3600"})) == rt._base.MAX_RETRY_AFTER
    for junk in ("nan", "soon", "inf", "-inf"):
        value = delay(0, httpx.Headers({"retry-after": junk}))
        assert 0.0 <= value <= rt._base.MAX_RETRY_AFTER
    backoff = [delay(attempt, None) for attempt in range(6)]
    assert all(
        0.75 * min(0.5 * 2**n, 8.0) <= d <= min(0.5 * 2**n, 8.0) for n, d in enumerate(backoff)
    )


# ---------------------------------------------------------------- timeouts and connection errors


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("where", ["client", "call"])
def test_slow_response_raises_timeout_error(
    rt: ModuleType, httpserver: HTTPServer, mode: str, where: str
) -> None:
    release = threading.Event()

    def slow(req: Request) -> Response:
        release.wait(10)
        return ok({"id": "1", "name": "x"})

    serve(httpserver, "/items/1", slow)
    options: dict[str, Any] = {"base_url": base(httpserver), "token": "t", "max_retries": 0}
    if where == "client":
        options["timeout"] = 0.3
        action = get_item
    else:

        def action(client: Any) -> Any:
            return client.items.get_item(item_id="1", timeout=httpx.Timeout(0.3))

    try:
        with pytest.raises(rt.ApiTimeoutError) as caught:
            run(rt, mode, action, **options)
    finally:
        release.set()
    assert isinstance(caught.value, rt.ApiConnectionError)
    assert isinstance(caught.value.__cause__, httpx.TimeoutException)


def test_default_timeout(rt: ModuleType) -> None:
    client = rt.Client(token="t")
    try:
        assert client.timeout == httpx.Timeout(60.0, connect=10.0)
    finally:
        client.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize("mode", MODES)
def test_refused_connection_raises_connection_error(
    rt: ModuleType, fast_retries: None, mode: str
) -> None:
    with pytest.raises(rt.ApiConnectionError) as caught:
        run(rt, mode, get_item, base_url=f"http://127.0.0.1:{free_port()}", token="t")
    assert not isinstance(caught.value, rt.ApiTimeoutError)
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


@pytest.mark.parametrize("mode", MODES)
def test_connection_error_then_success_is_retried(
    rt: ModuleType, httpserver: HTTPServer, fast_retries: None, mode: str
) -> None:
    attempts: list[httpx.Request] = []

    class FlakyTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
        """Refuses the first connection, then forwards to the real server."""

        def __init__(self) -> None:
            self.sync = httpx.HTTPTransport()
            self.async_ = httpx.AsyncHTTPTransport()

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            attempts.append(request)
            if len(attempts) == 1:
                raise httpx.ConnectError("refused", request=request)
            return self.sync.handle_request(request)

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            attempts.append(request)
            if len(attempts) == 1:
                raise httpx.ConnectError("refused", request=request)
            return await self.async_.handle_async_request(request)

    serve(httpserver, "/items/1", ok({"id": "1", "name": "x"}))
    transport = FlakyTransport()
    http: httpx.Client | httpx.AsyncClient = (
        httpx.Client(transport=transport)
        if mode == "sync"
        else httpx.AsyncClient(transport=transport)
    )
    assert (
        run(rt, mode, get_item, base_url=base(httpserver), token="t", http_client=http).name == "x"
    )
    assert len(attempts) == 2


@pytest.mark.parametrize("mode", MODES)
def test_httpx_errors_never_leak(
    rt: ModuleType, httpserver: HTTPServer, fast_retries: None, mode: str
) -> None:
    loop = serve(httpserver, "/items/1", Response("", 302, {"Location": "/items/1"}))
    with pytest.raises(rt.ApiConnectionError) as redirects:
        run(rt, mode, get_item, base_url=base(httpserver), token="t")
    assert isinstance(redirects.value.__cause__, httpx.TooManyRedirects)
    assert len(loop.requests) > 1
    httpserver.clear()
    serve(
        httpserver,
        "/items/1",
        Response(
            b"not gzip at all", 200, {"Content-Encoding": "gzip"}, content_type="application/json"
        ),
    )
    with pytest.raises(rt.ApiConnectionError) as decoding:
        run(rt, mode, get_item, base_url=base(httpserver), token="t")
    assert isinstance(decoding.value.__cause__, httpx.DecodingError)
    with pytest.raises(rt.ApiError) as invalid:
        run(rt, mode, get_item, base_url="http://[::1", token="t")
    assert isinstance(invalid.value.__cause__, httpx.InvalidURL)
    with pytest.raises(rt.ApiConnectionError) as protocol:
        run(rt, mode, get_item, base_url="ftp://127.0.0.1", token="t")
    assert isinstance(protocol.value.__cause__, httpx.UnsupportedProtocol)

    def raise_for_status(resp: httpx.Response) -> None:
        resp.raise_for_status()

    httpserver.clear()
    serve(httpserver, "/items/1", ok({"code": "NOT_FOUND"}, 404))
    http: httpx.Client | httpx.AsyncClient
    if mode == "sync":
        http = httpx.Client(event_hooks={"response": [raise_for_status]})
    else:

        async def async_raise_for_status(resp: httpx.Response) -> None:
            resp.raise_for_status()

        http = httpx.AsyncClient(event_hooks={"response": [async_raise_for_status]})
    with pytest.raises(rt.NotFoundError):
        run(rt, mode, get_item, base_url=base(httpserver), token="t", http_client=http)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("mode", MODES)
def test_status_error_carries_the_parsed_body(
    rt: ModuleType, httpserver: HTTPServer, mode: str
) -> None:
    body = {"code": "NOT_FOUND", "message": "no such item", "status": "error"}
    serve(httpserver, "/items/1", ok(body, 404, {"X-Request-Id": "r1"}))
    with pytest.raises(rt.NotFoundError) as caught:
        run(rt, mode, get_item, base_url=base(httpserver), token="t")
    error = caught.value
    assert isinstance(error, rt.ApiStatusError) and isinstance(error, rt.ApiError)
    assert (error.status_code, error.code, error.message) == (404, "NOT_FOUND", "no such item")
    assert error.headers["x-request-id"] == "r1"
    assert json.loads(error.body) == body
    assert error.json == body
    assert isinstance(error.parsed, rt.GetItemError)
    assert error.parsed.status == "error"


# ---------------------------------------------------------------- auth


def answer_ok(client: Any, method: str) -> Any:
    return getattr(client, method)()


@pytest.mark.parametrize("mode", MODES)
def test_each_auth_scheme_is_sent_as_postman_sends_it(
    rt: ModuleType, httpserver: HTTPServer, mode: str
) -> None:
    bearer_script = serve(httpserver, "/items/1", ok({"id": "1", "name": "x"}))
    basic_script = serve(httpserver, "/basic", ok())
    header_script = serve(httpserver, "/key-header", ok())
    query_script = serve(httpserver, "/key-query", ok())
    zoho_script = serve(httpserver, "/zoho", ok())
    oauth_query_script = serve(httpserver, "/oauth-query", ok())

    async def each_async(client: Any) -> None:
        await client.items.get_item(item_id="1")
        for method in ("basic_check", "key_header", "key_query", "zoho_token", "o_auth_query"):
            await getattr(client, method)()

    def each(client: Any) -> Any:
        if mode == "async":
            return each_async(client)
        client.items.get_item(item_id="1")
        for method in ("basic_check", "key_header", "key_query", "zoho_token", "o_auth_query"):
            getattr(client, method)()
        return None

    credentials = {
        "token": "tok",
        "username": "Aladdin",
        "password": "open sesame",
        "api_key": "k3y",
        "access_token": "1000.abc",
    }
    run(rt, mode, each, base_url=base(httpserver), **credentials)
    assert bearer_script.requests[0].headers["Authorization"] == "Bearer tok"
    assert basic_script.requests[0].headers["Authorization"] == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    assert header_script.requests[0].headers["X-API-Key"] == "k3y"
    assert "Authorization" not in header_script.requests[0].headers
    assert query_script.requests[0].args.to_dict() == {"api_key": "k3y"}
    assert "Authorization" not in query_script.requests[0].headers
    assert zoho_script.requests[0].headers["Authorization"] == "Zoho-oauthtoken 1000.abc"
    assert oauth_query_script.requests[0].args.to_dict() == {"access_token": "1000.abc"}
    assert "Authorization" not in oauth_query_script.requests[0].headers


@pytest.mark.parametrize("mode", MODES)
def test_prefix_and_header_overrides(rt: ModuleType, httpserver: HTTPServer, mode: str) -> None:
    script = serve(httpserver, "/items/1", ok({"id": "1", "name": "x"}))
    run(rt, mode, get_item, base_url=base(httpserver), token="tok", auth_prefix="Zoho-oauthtoken")
    assert script.requests[-1].headers["Authorization"] == "Zoho-oauthtoken tok"
    run(
        rt,
        mode,
        get_item,
        base_url=base(httpserver),
        token="tok",
        auth_header="X-Token",
        auth_prefix="",
    )
    assert script.requests[-1].headers["X-Token"] == "tok"
    assert "Authorization" not in script.requests[-1].headers


@pytest.mark.parametrize("mode", MODES)
def test_credentials_from_environment(
    rt: ModuleType, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    script = serve(httpserver, "/items/1", ok({"id": "1", "name": "x"}))
    monkeypatch.setenv("RT_API_BASE_URL", base(httpserver))
    monkeypatch.setenv("RT_API_TOKEN", "from-env")
    run(rt, mode, get_item)
    assert script.requests[-1].headers["Authorization"] == "Bearer from-env"
    run(rt, mode, get_item, token="from-arg")
    assert script.requests[-1].headers["Authorization"] == "Bearer from-arg"


@pytest.mark.parametrize("mode", MODES)
def test_missing_credential_names_the_argument_and_variable(
    rt: ModuleType, httpserver: HTTPServer, mode: str
) -> None:
    with pytest.raises(rt.ApiError, match="RT_API_TOKEN"):
        run(rt, mode, get_item, base_url=base(httpserver))


@pytest.mark.parametrize("mode", MODES)
def test_callable_credential_is_read_for_every_request(
    rt: ModuleType, httpserver: HTTPServer, mode: str
) -> None:
    script = serve(httpserver, "/items/1", ok({"id": "1", "name": "x"}))
    tokens = iter(["one", "two"])

    async def twice_async(client: Any) -> None:
        await get_item(client)
        await get_item(client)

    def twice(client: Any) -> Any:
        if mode == "async":
            return twice_async(client)
        get_item(client)
        get_item(client)
        return None

    run(rt, mode, twice, base_url=base(httpserver), token=lambda: next(tokens))
    assert [r.headers["Authorization"] for r in script.requests] == ["Bearer one", "Bearer two"]


class TokenServer:
    """Accepts only the current token; `rotate()` expires it, as Zoho does after an hour."""

    def __init__(self) -> None:
        self.current = "old"
        self.issued = 0

    def rotate(self) -> None:
        self.current = f"expired-{self.issued}"

    def issue(self) -> str:
        self.issued += 1
        self.current = f"fresh-{self.issued}"
        return self.current

    def check(self, req: Request, body: Any) -> Response:
        if req.headers.get("Authorization") != f"Zoho-oauthtoken {self.current}":
            return ok({"code": "INVALID_TOKEN", "message": "invalid oauth token"}, 401)
        return ok(body)


@pytest.mark.parametrize("mode", MODES)
def test_token_refresh_on_401_keeps_a_long_job_polling(
    rt: ModuleType, httpserver: HTTPServer, mode: str
) -> None:
    tokens = TokenServer()
    statuses = iter(["IN_PROGRESS", "IN_PROGRESS", "COMPLETED"])

    def poll(req: Request) -> Response:
        response = tokens.check(req, None)
        if response.status_code == 200:
            status = next(statuses)
            if status == "IN_PROGRESS":
                tokens.rotate()  # the token expires between two polls
            return ok({"id": "job", "name": status})
        return response

    script = serve(httpserver, "/items/job", poll)
    refreshes: list[str] = []

    def refresh() -> str:
        refreshes.append("sync")
        return tokens.issue()

    async def async_refresh() -> str:
        refreshes.append("async")
        return tokens.issue()

    async def until_done_async(client: Any) -> list[str]:
        seen: list[str] = []
        while not seen or seen[-1] != "COMPLETED":
            seen.append((await client.items.get_item(item_id="job")).name)
        return seen

    def until_done(client: Any) -> Any:
        if mode == "async":
            return until_done_async(client)
        seen: list[str] = []
        while not seen or seen[-1] != "COMPLETED":
            seen.append(client.items.get_item(item_id="job").name)
        return seen

    seen = run(
        rt,
        mode,
        until_done,
        base_url=base(httpserver),
        token="old",
        auth_prefix="Zoho-oauthtoken",
        on_unauthorized=refresh if mode == "sync" else async_refresh,
    )
    assert seen == ["IN_PROGRESS", "IN_PROGRESS", "COMPLETED"]
    assert refreshes == [mode, mode]
    sent = [r.headers["Authorization"] for r in script.requests]
    assert sent == [
        "Zoho-oauthtoken old",
        "Zoho-oauthtoken old",
        "Zoho-oauthtoken fresh-1",
        "Zoho-oauthtoken fresh-1",
        "Zoho-oauthtoken fresh-2",
    ]


@pytest.mark.parametrize("mode", MODES)
def test_refresh_hook_may_update_a_callable_credential(
    rt: ModuleType, httpserver: HTTPServer, mode: str
) -> None:
    tokens = TokenServer()
    tokens.rotate()
    store = {"token": "old"}

    def refresh() -> None:
        store["token"] = tokens.issue()

    serve(httpserver, "/zoho", lambda req: tokens.check(req, None))
    result = run(
        rt,
        mode,
        lambda client: client.zoho_token(),
        base_url=base(httpserver),
        access_token=lambda: store["token"],
        on_unauthorized=refresh,
    )
    assert result.ok is True
    assert store["token"] == "fresh-1"


@pytest.mark.parametrize("mode", MODES)
def test_second_401_after_refresh_raises(rt: ModuleType, httpserver: HTTPServer, mode: str) -> None:
    script = serve(
        httpserver, "/items/1", ok({"code": "INVALID_TOKEN", "message": "invalid oauth token"}, 401)
    )
    calls: list[int] = []

    def refresh() -> str:
        calls.append(1)
        return f"new-{len(calls)}"

    with pytest.raises(rt.AuthenticationError) as caught:
        run(rt, mode, get_item, base_url=base(httpserver), token="old", on_unauthorized=refresh)
    assert caught.value.code == "INVALID_TOKEN"
    assert len(calls) == 1
    assert [r.headers["Authorization"] for r in script.requests] == ["Bearer old", "Bearer new-1"]


@pytest.mark.parametrize("mode", MODES)
def test_any_httpx_auth_replaces_the_collection_auth(
    rt: ModuleType, httpserver: HTTPServer, mode: str
) -> None:
    class Signed(httpx.Auth):
        def auth_flow(
            self, request: httpx.Request
        ) -> Generator[httpx.Request, httpx.Response, None]:
            request.headers["X-Signature"] = "sig"
            yield request

    script = serve(httpserver, "/items/1", ok({"id": "1", "name": "x"}))
    run(rt, mode, get_item, base_url=base(httpserver), auth=Signed())
    assert script.requests[0].headers["X-Signature"] == "sig"
    assert "Authorization" not in script.requests[0].headers


# ---------------------------------------------------------------- bodies


def upload_handler(req: Request) -> Response:
    upload = req.files["file"]
    return ok({"file_id": f"{upload.filename}:{upload.read().decode()}:{req.form.get('note')}"})


@pytest.mark.parametrize("mode", MODES)
def test_multipart_upload_of_a_real_file(
    rt: ModuleType, httpserver: HTTPServer, tmp_path: Path, mode: str
) -> None:
    script = serve(httpserver, "/upload", upload_handler, method="POST")
    path = tmp_path / "records.csv"
    path.write_bytes(b"id,name\n1,x\n")

    def upload(value: Any, note: str | None = "hi") -> Callable[[Any], Any]:
        form = {"file": value} if note is None else {"file": value, "note": note}
        return lambda client: client.upload_file(form=form)

    options = {"base_url": base(httpserver), "token": "t"}
    assert run(rt, mode, upload(path), **options).file_id == "records.csv:id,name\n1,x\n:hi"
    with path.open("rb") as handle:
        assert (
            run(rt, mode, upload(handle, None), **options).file_id
            == "records.csv:id,name\n1,x\n:None"
        )
    assert run(rt, mode, upload(("a.csv", b"1,2")), **options).file_id == "a.csv:1,2:hi"
    assert (
        run(rt, mode, upload(("b.zip", io.BytesIO(b"PK"), "application/zip")), **options).file_id
        == "b.zip:PK:hi"
    )
    assert run(rt, mode, upload(b"raw"), **options).file_id.endswith(":raw:hi")
    assert script.requests[0].headers["Authorization"] == "Bearer t"
    assert script.requests[0].mimetype == "multipart/form-data"
    assert script.requests[3].files["file"].mimetype == "application/zip"


@pytest.mark.parametrize("mode", MODES)
def test_binary_upload_and_download(
    rt: ModuleType, httpserver: HTTPServer, tmp_path: Path, mode: str
) -> None:
    payload = bytes(range(256)) * 64
    blob = serve(httpserver, "/blob", lambda req: ok({"size": len(req.get_data())}), method="PUT")
    serve(httpserver, "/download", Response(payload, 200, content_type="application/zip"))
    path = tmp_path / "blob.bin"
    path.write_bytes(payload)
    options = {"base_url": base(httpserver), "token": "t"}
    assert run(rt, mode, lambda client: client.put_blob(content=path), **options).size == len(
        payload
    )
    assert run(rt, mode, lambda client: client.put_blob(content=b"abc"), **options).size == 3
    assert blob.requests[0].get_data() == payload
    assert blob.requests[0].headers["Content-Type"] == "application/octet-stream"
    downloaded = run(rt, mode, lambda client: client.download_file(), **options)
    assert isinstance(downloaded, bytes) and downloaded == payload


# ---------------------------------------------------------------- raw and streamed responses


@pytest.mark.parametrize("mode", MODES)
def test_raw_response_has_status_headers_and_parsed_result(
    rt: ModuleType, httpserver: HTTPServer, mode: str
) -> None:
    serve(httpserver, "/items/1", ok({"id": "1", "name": "x"}, 200, {"X-Request-Id": "r1"}))
    raw = run(
        rt,
        mode,
        lambda client: client.with_raw_response.items.get_item(item_id="1"),
        base_url=base(httpserver),
        token="t",
    )
    assert isinstance(raw, rt.RawResponse)
    assert raw.status_code == 200
    assert raw.headers["x-request-id"] == "r1"
    assert raw.parsed.name == "x"
    assert isinstance(raw.http_response, httpx.Response)


def test_a_client_makes_its_raw_and_streaming_wrappers_on_first_use(rt: ModuleType) -> None:
    """A client of a large API made every method's raw and streaming wrapper in its constructor
    (Sabre's 1,077 requests: 50 ms per client, 10 times its generated tests' run time); they are
    made on first use, once."""
    for kind in (rt.Client, rt.AsyncClient):
        client = kind(base_url="https://api.test", token="t")
        assert "with_raw_response" not in vars(client)
        assert "with_streaming_response" not in vars(client)
        raw = client.with_raw_response
        assert client.with_raw_response is raw and callable(raw.items.get_item)
        assert client.with_streaming_response is client.with_streaming_response


def test_streamed_download(rt: ModuleType, httpserver: HTTPServer) -> None:
    payload = b"PK\x03\x04" + bytes(100_000)
    serve(httpserver, "/download", Response(payload, 200, content_type="application/zip"))
    with rt.Client(base_url=base(httpserver), token="t") as client:
        with client.with_streaming_response.download_file() as streamed:
            assert not streamed.is_stream_consumed
            assert streamed.headers["content-type"] == "application/zip"
            assert b"".join(streamed.iter_bytes(chunk_size=4096)) == payload
        assert streamed.is_closed


def test_async_streamed_download(rt: ModuleType, httpserver: HTTPServer) -> None:
    payload = b"PK\x03\x04" + bytes(100_000)
    serve(httpserver, "/download", Response(payload, 200, content_type="application/zip"))

    async def main() -> tuple[bytes, bool]:
        async with rt.AsyncClient(base_url=base(httpserver), token="t") as client:
            async with client.with_streaming_response.download_file() as streamed:
                chunks = [chunk async for chunk in streamed.aiter_bytes()]
            return b"".join(chunks), streamed.is_closed

    body, closed = asyncio.run(main())
    assert body == payload and closed


@pytest.mark.parametrize("mode", MODES)
def test_streamed_error_status_raises_with_the_body(
    rt: ModuleType, httpserver: HTTPServer, fast_retries: None, mode: str
) -> None:
    serve(httpserver, "/download", ok({"code": "NOT_FOUND", "message": "gone"}, 404))

    async def stream_async(client: Any) -> None:
        async with client.with_streaming_response.download_file():
            pass

    def stream(client: Any) -> Any:
        if mode == "async":
            return stream_async(client)
        with client.with_streaming_response.download_file():
            pass
        return None

    with pytest.raises(rt.NotFoundError) as caught:
        run(rt, mode, stream, base_url=base(httpserver), token="t")
    assert caught.value.message == "gone"

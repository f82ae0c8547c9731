"""Auto-pagination: detection of each scheme from the collection, the [tool.zgen] overrides, and the
generated iterators against a real HTTP server on loopback (pytest-httpserver), sync and async.

Every collection here is written inline; the Zoho CRM ones follow the shape of Zoho's own
`GET /crm/v8/{module}` (records) and `GET /crm/v8/users` requests.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import collection, request, response
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response
from zgen.cli import main
from zgen.diagnostics import Diagnostics, ZgenError
from zgen.paging import Paging, detect, detect_operation
from zgen.pipeline import SourceSettings, analyze, build

PACKAGE = "pg_api"
MODES = ["sync", "async"]


def query(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in pairs]


def url(path: str, *pairs: tuple[str, str]) -> dict[str, Any]:
    """A Postman url object on {{base}} with query parameters."""
    parts = [part for part in path.strip("/").split("/") if part]
    raw = "{{base}}/" + "/".join(parts)
    return {"raw": raw, "host": ["{{base}}"], "path": parts, "query": query(*pairs)}


def get(name: str, target: dict[str, Any], body: Any, headers: dict[str, str] | None = None) -> Any:
    saved = response("OK", 200, body)
    for key, value in (headers or {}).items():
        saved["header"].append({"key": key, "value": value})
    return request(name, target, responses=[saved])


RECORD = {"id": "4150868000000224005", "Last_Name": "Boyle", "Email": "b@example.com"}
ZOHO_INFO = {
    "per_page": 2,
    "count": 2,
    "page": 1,
    "more_records": True,
    "next_page_token": "c8582xx9e7c2",
    "page_token_expiry": "2024-07-01T10:00:00+05:30",
}
ZOHO_RECORDS = get(
    "Get Records",
    {
        **url("/crm/v8/:module", ("fields", "Last_Name,Email"), ("page", "8157")),
        "query": query(
            ("fields", "Last_Name,Email"),
            ("page", "8157"),
            ("per_page", "8157"),
            ("page_token", "string"),
        ),
        "variable": [{"key": "module", "value": "Leads"}],
    },
    {"data": [RECORD, RECORD], "info": ZOHO_INFO},
)
ZOHO_USERS = get(
    "Get Users",
    url("/crm/v8/users", ("type", "ActiveUsers"), ("page", "1"), ("per_page", "2")),
    {
        "users": [{"id": "1", "full_name": "A"}],
        "info": {"per_page": 2, "count": 1, "page": 1, "more_records": False},
    },
)
ITEM = {"id": "i1", "name": "one"}

REQUESTS = [
    {"name": "Zoho", "item": [ZOHO_RECORDS, ZOHO_USERS]},
    get(
        "List Offset",
        url("/offset", ("offset", "0"), ("limit", "2")),
        {"items": [ITEM, ITEM], "total": 5},
    ),
    {
        **get(
            "List Tweets",
            url("/2/tweets", ("query", "zgen"), ("next_token", "")),
            {
                "data": [{"id": "1", "text": "hi"}],
                "meta": {"result_count": 1, "next_token": "b26v"},
            },
        ),
        "request": {
            "method": "GET",
            "url": url("/2/tweets", ("query", "zgen"), ("next_token", "")),
            "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "{{token}}"}]},
        },
    },
    get(
        "List Members",
        url("/members", ("cursor", ""), ("limit", "2")),
        {"members": [ITEM], "response_metadata": {"next_cursor": "dXNlcjpV"}},
    ),
    get(
        "List Files",
        url("/files", ("pageToken", ""), ("pageSize", "2")),
        {"kind": "drive#fileList", "files": [ITEM], "nextPageToken": "~!!~AI9"},
    ),
    get(
        "List Customers",
        url("/v1/customers", ("limit", "2"), ("starting_after", "")),
        {"object": "list", "data": [{"id": "cus_1", "email": "a@b.c"}], "has_more": True},
    ),
    get(
        "List Results",
        url("/results", ("page", "1")),
        {
            "count": 3,
            "next": "https://api.test/results?page=2",
            "previous": None,
            "results": [ITEM],
        },
    ),
    get(
        "List Articles",
        url("/articles"),
        {"data": [ITEM], "links": {"self": "https://api.test/articles", "next": "/articles?p=2"}},
    ),
    get(
        "List Entries",
        url("/entries"),
        {"entries": [ITEM], "links": [{"rel": "next", "href": "https://api.test/entries?p=2"}]},
    ),
    get(
        "List Repos",
        url("/repos", ("per_page", "2"), ("page", "1")),
        [ITEM, ITEM],
        {"Link": '<https://api.test/repos?page=2&per_page=2>; rel="next"'},
    ),
    # Look paged, but are not: a page parameter of a single object; a page parameter and a list
    # but no end signal; two lists; a cursor parameter without a next cursor.
    get("Get Report", url("/report", ("page", "1")), {"id": "r1", "total": 3, "title": "x"}),
    get("List Tags", url("/tags", ("page", "1")), {"tags": [ITEM]}),
    get(
        "List Both",
        url("/both", ("page", "1")),
        {"left": [ITEM], "right": [ITEM], "has_more": False},
    ),
    get("List Events", url("/events", ("cursor", "")), {"events": [ITEM], "cursor_kind": "x"}),
]
COLLECTION = collection(
    *REQUESTS, name="Paged API", variable=[{"key": "base", "value": "http://127.0.0.1:9"}]
)
PAGED = {
    "Zoho / Get Records": ("cursor", "page_token", ("data",), ("info", "next_page_token")),
    "Zoho / Get Users": ("page", "page", ("users",), None),
    "List Offset": ("offset", "offset", ("items",), None),
    "List Tweets": ("cursor", "next_token", ("data",), ("meta", "next_token")),
    "List Members": ("cursor", "cursor", ("members",), ("response_metadata", "next_cursor")),
    "List Files": ("cursor", "pageToken", ("files",), ("nextPageToken",)),
    "List Customers": ("cursor", "starting_after", ("data",), None),
    "List Results": ("next_url", None, ("results",), ("next",)),
    "List Articles": ("next_url", None, ("data",), ("links", "next")),
    "List Entries": ("next_url", None, ("entries",), ("links",)),
    "List Repos": ("link_header", None, (), None),
}


def write(tmp: Path, data: dict[str, Any]) -> Path:
    source = tmp / "paged.json"
    source.write_text(json.dumps(data), encoding="utf-8")
    return source


def detected(tmp: Path, data: dict[str, Any], overrides: Any = None) -> dict[str, Paging]:
    settings = SourceSettings(overrides={"paging": overrides} if overrides is not None else {})
    analysis = analyze(write(tmp, data), Diagnostics(), settings)
    return {
        op.place: found
        for op, found in zip(analysis.api.operations, analysis.paging, strict=True)
        if found is not None
    }


# ---------------------------------------------------------------- detection


def test_each_scheme_is_detected_and_nothing_else(tmp_path: Path) -> None:
    found = detected(tmp_path, COLLECTION)
    assert {place: (p.scheme, p.param, p.items, p.next) for place, p in found.items()} == PAGED
    zoho = found["Zoho / Get Records"]
    assert zoho.more == ("info", "more_records")
    assert "page_token" in zoho.evidence and "$.info.next_page_token" in zoho.evidence
    assert found["Zoho / Get Users"].more == ("info", "more_records")
    assert found["List Offset"].total == ("total",) and found["List Offset"].size_param == "limit"
    assert found["List Customers"].cursor_key == "id"
    assert found["List Customers"].more == ("has_more",)


def test_detect_shares_one_shape_table_with_the_same_result(tmp_path: Path) -> None:
    """`detect` builds the shapes-by-id table once for every request; each request's paging is
    what `detect_operation` finds when it builds the table itself."""
    analysis = analyze(write(tmp_path, COLLECTION), Diagnostics(), SourceSettings())
    api, inferred = analysis.api, analysis.inferred
    found, _ = detect(api, inferred)
    alone = tuple(
        detect_operation(op, inferred.operations[index].response, inferred)
        for index, op in enumerate(api.operations)
    )
    assert found == alone
    assert any(paging is not None for paging in found)


def test_a_page_parameter_without_items_or_end_signal_is_not_paged(tmp_path: Path) -> None:
    found = detected(tmp_path, COLLECTION)
    for place in ("Get Report", "List Tags", "List Both", "List Events"):
        assert place not in found


def test_a_next_field_that_is_no_url_is_not_a_next_url(tmp_path: Path) -> None:
    data = collection(
        get("List", url("/l"), {"items": [ITEM], "next": "page two"}),
        get("Numbers", url("/n"), {"items": [ITEM], "next": 2}),
        variable=[{"key": "base", "value": "https://api.test"}],
    )
    assert detected(tmp_path, data) == {}


# ---------------------------------------------------------------- overrides


def test_override_switches_paging_off_and_on(tmp_path: Path) -> None:
    found = detected(
        tmp_path,
        COLLECTION,
        [
            {"request": "Zoho / Get Users", "scheme": "none"},
            {"request": "List Tags", "scheme": "page", "param": "page"},
            {"request": "Get Report", "scheme": "none"},
        ],
    )
    assert "Zoho / Get Users" not in found
    tags = found["List Tags"]
    assert (tags.scheme, tags.param, tags.items) == ("page", "page", ("tags",))
    assert tags.evidence.startswith("override: ")


def test_override_corrects_the_scheme(tmp_path: Path) -> None:
    found = detected(
        tmp_path,
        COLLECTION,
        [
            {
                "request": "Zoho / Get Records",
                "scheme": "page",
                "param": "page",
                "more": "$.info.more_records",
            },
            {
                "request": "List Both",
                "scheme": "page",
                "param": "page",
                "items": "$.right",
                "more": "$.has_more",
            },
        ],
    )
    records = found["Zoho / Get Records"]
    assert (records.scheme, records.param, records.more) == (
        "page",
        "page",
        ("info", "more_records"),
    )
    assert found["List Both"].items == ("right",)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"request": "Nope", "scheme": "page", "param": "page"}, "no request 'Nope'"),
        ({"request": "List Tags", "scheme": "pages"}, "`scheme` must be one of"),
        ({"request": "List Tags", "scheme": "page"}, "needs `param`"),
        ({"request": "List Tags", "scheme": "page", "param": "p"}, "'p' is not a query parameter"),
        ({"request": "List Tags", "scheme": "page", "param": "page", "items": "data"}, "JSON path"),
        (
            {"request": "List Tags", "scheme": "page", "param": "page", "items": "$.nope"},
            "is not a list",
        ),
        ({"request": "List Tags", "scheme": "cursor", "param": "page"}, "needs `next`"),
        ({"request": "List Tags", "scheme": "none", "param": "page"}, "with scheme none"),
        ({"request": "List Tags", "scheme": "page", "parm": "page"}, "unknown key `parm`"),
        ({"scheme": "page"}, "needs `request`"),
    ],
)
def test_override_errors_name_the_file_and_the_entry(
    tmp_path: Path, entry: dict[str, Any], message: str
) -> None:
    with pytest.raises(ZgenError) as raised:
        detected(tmp_path, COLLECTION, [entry])
    line = raised.value.line()
    assert line.startswith("pyproject.toml: [tool.zgen] overrides.paging[0]"), line
    assert message in line
    assert "\n" not in line


def test_bad_override_exits_2_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, COLLECTION)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.zgen]\noutput = "out"\n\n[[tool.zgen.collections]]\npath = "paged.json"\n\n'
        '[[tool.zgen.collections.overrides.paging]]\nrequest = "List Tags"\nscheme = "pages"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "pyproject.toml: [tool.zgen] overrides.paging[0]" in result.stderr
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- the generated iterators


@pytest.fixture(scope="module")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The generated package, built once and imported into this process."""
    folder = tmp_path_factory.mktemp("paging")
    source = write(folder, COLLECTION)
    output = folder / "out"
    build([source], output, packages={source: PACKAGE})
    sys.path.insert(0, str(output))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(output))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


class Pages:
    """A handler answering each request with the next of the given bodies (the last repeats)."""

    def __init__(self, *answers: Callable[[Request], Response] | Any) -> None:
        self.answers = list(answers)
        self.requests: list[Request] = []

    def __call__(self, req: Request) -> Response:
        self.requests.append(req)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Response):
            return answer
        body = answer(req) if callable(answer) else answer
        if isinstance(body, Response):
            return body
        return Response(json.dumps(body), 200, content_type="application/json")

    def args(self, key: str) -> list[str | None]:
        return [req.args.get(key) for req in self.requests]


def serve(server: HTTPServer, path: str, *answers: Any) -> Pages:
    handler = Pages(*answers)
    server.expect_request(path).respond_with_handler(handler)
    return handler


def run(
    pg: ModuleType, mode: str, server: HTTPServer, action: Callable[[Any], Any], **options: Any
) -> Any:
    """`action(client)` on a Client, or on an AsyncClient (where it returns an async iterable,
    collected into a list)."""
    base = server.url_for("/").rstrip("/")
    if mode == "sync":
        with pg.Client(base_url=base, **options) as client:
            return list(action(client))

    async def main() -> Any:
        async with pg.AsyncClient(base_url=base, **options) as client:
            return [item async for item in action(client)]

    return asyncio.run(main())


def records(start: int, count: int) -> list[dict[str, str]]:
    return [{**RECORD, "id": str(n), "Last_Name": f"L{n}"} for n in range(start, start + count)]


def zoho_page(page: int, more: bool, token: str | None) -> dict[str, Any]:
    info = {**ZOHO_INFO, "page": page, "more_records": more, "next_page_token": token}
    return {"data": records(page * 10, 2), "info": info}


@pytest.mark.parametrize("mode", MODES)
def test_zoho_records_by_page_token(pg: ModuleType, httpserver: HTTPServer, mode: str) -> None:
    handler = serve(
        httpserver,
        "/crm/v8/Leads",
        zoho_page(1, True, "t2"),
        zoho_page(2, True, "t3"),
        zoho_page(3, False, None),
    )
    items = run(pg, mode, httpserver, lambda c: c.zoho.iter_get_records(module="Leads"))
    assert [item.id for item in items] == ["10", "11", "20", "21", "30", "31"]
    assert all(isinstance(item, pg.models.ZohoGetRecordsData) for item in items)
    assert items[0].last_name == "L10"
    assert len(handler.requests) == 3
    assert handler.args("page_token") == [None, "t2", "t3"]
    assert handler.args("page") == [None, None, None]  # the collection's sample value is not sent
    assert handler.args("fields") == ["Last_Name,Email"] * 3  # other arguments stay


@pytest.mark.parametrize("mode", MODES)
def test_zoho_users_by_page_number(pg: ModuleType, httpserver: HTTPServer, mode: str) -> None:
    def users(req: Request) -> dict[str, Any]:
        page = int(req.args["page"])
        info = {"per_page": 2, "count": 2, "page": page, "more_records": page < 3}
        return {"users": [{"id": f"{page}a", "full_name": "A"}], "info": info}

    handler = serve(httpserver, "/crm/v8/users", users)
    items = run(pg, mode, httpserver, lambda c: c.zoho.iter_get_users(type="ActiveUsers"))
    assert [item.id for item in items] == ["1a", "2a", "3a"]
    assert handler.args("page") == ["1", "2", "3"]
    assert handler.args("type") == ["ActiveUsers"] * 3


@pytest.mark.parametrize("mode", MODES)
def test_pages_are_typed_results(pg: ModuleType, httpserver: HTTPServer, mode: str) -> None:
    serve(httpserver, "/crm/v8/Leads", zoho_page(1, True, "t2"), zoho_page(2, False, None))
    pages = run(pg, mode, httpserver, lambda c: c.zoho.get_records_pages(module="Leads"))
    assert [page.number for page in pages] == [1, 2]
    assert isinstance(pages[0].parsed, pg.models.ZohoGetRecordsResponse)
    assert pages[1].parsed.info.more_records is False
    assert [item.id for item in pages[1].items] == ["20", "21"]
    assert pages[0].http_response.status_code == 200


def offset_answer(req: Request) -> dict[str, Any]:
    offset, limit = int(req.args["offset"]), int(req.args.get("limit", "2"))
    return {
        "items": [{"id": str(n), "name": "x"} for n in range(offset, min(offset + limit, 5))],
        "total": 5,
    }


@pytest.mark.parametrize("mode", MODES)
def test_offset_limit_stops_at_the_total(pg: ModuleType, httpserver: HTTPServer, mode: str) -> None:
    handler = serve(httpserver, "/offset", offset_answer)
    items = run(pg, mode, httpserver, lambda c: c.iter_list_offset(limit="2"))
    assert [item.id for item in items] == ["0", "1", "2", "3", "4"]
    assert handler.args("offset") == ["0", "2", "4"]


@pytest.mark.parametrize("mode", MODES)
def test_offset_short_page_ends(pg: ModuleType, httpserver: HTTPServer, mode: str) -> None:
    handler = serve(
        httpserver,
        "/offset",
        {"items": [ITEM, ITEM, ITEM], "total": 100},
        {"items": [ITEM], "total": 100},
        {"items": [ITEM, ITEM, ITEM], "total": 100},
    )
    items = run(pg, mode, httpserver, lambda c: c.iter_list_offset(limit="3"))
    assert len(items) == 4
    assert handler.args("offset") == ["0", "3"]


CURSOR_CASES = [
    (
        "iter_list_tweets",
        "/2/tweets",
        "next_token",
        lambda n, token: {
            "data": [{"id": str(n), "text": "t"}],
            "meta": {"result_count": 1, "next_token": token},
        },
    ),
    (
        "iter_list_members",
        "/members",
        "cursor",
        lambda n, token: {
            "members": [{"id": str(n), "name": "m"}],
            "response_metadata": {"next_cursor": token or ""},
        },
    ),
    (
        "iter_list_files",
        "/files",
        "pageToken",
        lambda n, token: {
            "kind": "drive#fileList",
            "files": [{"id": str(n), "name": "f"}],
            **({"nextPageToken": token} if token else {}),
        },
    ),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("method", "path", "param", "page"), CURSOR_CASES)
def test_cursor_schemes(
    pg: ModuleType,
    httpserver: HTTPServer,
    mode: str,
    method: str,
    path: str,
    param: str,
    page: Callable[[int, str | None], Any],
) -> None:
    handler = serve(httpserver, path, page(1, "c2"), page(2, "c3"), page(3, None))
    items = run(pg, mode, httpserver, lambda c: getattr(c, method)(), token="secret")
    assert [item.id for item in items] == ["1", "2", "3"]
    assert handler.args(param) == [None, "c2", "c3"]
    if method == "iter_list_tweets":  # the one request with auth: every page carries it
        assert [r.headers.get("Authorization") for r in handler.requests] == ["Bearer secret"] * 3


@pytest.mark.parametrize("mode", MODES)
def test_starting_after_the_last_item(pg: ModuleType, httpserver: HTTPServer, mode: str) -> None:
    def customers(first: int, more: bool) -> dict[str, Any]:
        data = [{"id": f"cus_{n}", "email": "a@b.c"} for n in (first, first + 1)]
        return {"object": "list", "data": data, "has_more": more}

    handler = serve(httpserver, "/v1/customers", customers(1, True), customers(3, False))
    items = run(pg, mode, httpserver, lambda c: c.iter_list_customers())
    assert [item.id for item in items] == ["cus_1", "cus_2", "cus_3", "cus_4"]
    assert handler.args("starting_after") == [None, "cus_2"]


def next_url_answers(
    path: str, shape: Callable[[int, str | None], Any]
) -> Callable[[Request], Any]:
    def answer(req: Request) -> Any:
        page = int(req.args.get("p", "1"))
        nxt = f"{req.host_url.rstrip('/')}{path}?p={page + 1}" if page < 3 else None
        return shape(page, nxt)

    return answer


NEXT_URL_CASES = [
    (
        "iter_list_results",
        "/results",
        lambda n, nxt: {
            "count": 3,
            "next": nxt,
            "previous": None,
            "results": [{"id": str(n), "name": "r"}],
        },
    ),
    (
        "iter_list_articles",
        "/articles",
        # a relative next link, resolved against the page's own URL
        lambda n, nxt: {
            "data": [{"id": str(n), "name": "a"}],
            "links": {"self": "/articles", "next": f"/articles?p={n + 1}" if nxt else None},
        },
    ),
    (
        "iter_list_entries",
        "/entries",
        lambda n, nxt: {
            "entries": [{"id": str(n), "name": "e"}],
            "links": [{"rel": "self", "href": "x"}]
            + ([{"rel": "next", "href": nxt}] if nxt else []),
        },
    ),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("method", "path", "shape"), NEXT_URL_CASES)
def test_next_url_schemes(
    pg: ModuleType,
    httpserver: HTTPServer,
    mode: str,
    method: str,
    path: str,
    shape: Callable[[int, str | None], Any],
) -> None:
    handler = serve(httpserver, path, next_url_answers(path, shape))
    items = run(pg, mode, httpserver, lambda c: getattr(c, method)())
    assert [item.id for item in items] == ["1", "2", "3"]
    assert handler.args("p") == [None, "2", "3"]


@pytest.mark.parametrize("mode", MODES)
def test_link_header(pg: ModuleType, httpserver: HTTPServer, mode: str) -> None:
    def repos(req: Request) -> Response:
        page = int(req.args.get("page", "1"))
        headers = {}
        if page < 3:
            headers["Link"] = f'<{req.host_url}repos?page={page + 1}&per_page=2>; rel="next"'
        body = [{"id": f"{page}{n}", "name": "r"} for n in "ab"]
        return Response(json.dumps(body), 200, headers, content_type="application/json")

    handler = serve(httpserver, "/repos", repos)
    items = run(pg, mode, httpserver, lambda c: c.iter_list_repos(per_page="2"))
    assert [item.id for item in items] == ["1a", "1b", "2a", "2b", "3a", "3b"]
    assert handler.args("page") == [None, "2", "3"]


@pytest.mark.parametrize("mode", MODES)
def test_next_url_on_another_host_is_not_followed(
    pg: ModuleType, httpserver: HTTPServer, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    handler = serve(
        httpserver,
        "/results",
        {
            "count": 3,
            "next": "https://elsewhere.example/results?page=2",
            "previous": None,
            "results": [ITEM],
        },
    )
    with caplog.at_level(logging.WARNING):
        items = run(pg, mode, httpserver, lambda c: c.iter_list_results())
    assert len(items) == 1 and len(handler.requests) == 1
    assert "another host" in caplog.text


# ---------------------------------------------------------------- never endless, retried, limited


@pytest.mark.parametrize("mode", MODES)
def test_a_repeated_cursor_ends_with_a_warning(
    pg: ModuleType, httpserver: HTTPServer, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    handler = serve(
        httpserver,
        "/2/tweets",
        {"data": [{"id": "1", "text": "t"}], "meta": {"result_count": 1, "next_token": "same"}},
        {"data": [{"id": "2", "text": "t"}], "meta": {"result_count": 1, "next_token": "same"}},
    )
    with caplog.at_level(logging.WARNING):
        items = run(pg, mode, httpserver, lambda c: c.iter_list_tweets(), token="t")
    assert [item.id for item in items] == ["1", "2"]
    assert len(handler.requests) == 2
    assert "same cursor twice" in caplog.text


@pytest.mark.parametrize("mode", MODES)
def test_an_empty_page_ends(pg: ModuleType, httpserver: HTTPServer, mode: str) -> None:
    handler = serve(
        httpserver,
        "/crm/v8/Leads",
        zoho_page(1, True, "t2"),
        {"data": [], "info": {**ZOHO_INFO, "more_records": True, "next_page_token": "t3"}},
    )
    items = run(pg, mode, httpserver, lambda c: c.zoho.iter_get_records())
    assert len(items) == 2 and len(handler.requests) == 2


@pytest.mark.parametrize("mode", MODES)
def test_the_same_page_again_ends_with_a_warning(
    pg: ModuleType, httpserver: HTTPServer, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A server ignoring the page parameter, always claiming more: stops after the second page."""
    info = {"per_page": 2, "count": 1, "page": 1, "more_records": True}
    page = {"users": [{"id": "1", "full_name": "A"}], "info": info}
    handler = serve(httpserver, "/crm/v8/users", page)
    with caplog.at_level(logging.WARNING):
        items = run(pg, mode, httpserver, lambda c: c.zoho.iter_get_users())
    assert len(items) == 2 and len(handler.requests) == 2
    assert "same page twice" in caplog.text


@pytest.mark.parametrize("mode", MODES)
def test_429_mid_way_is_retried(
    pg: ModuleType, httpserver: HTTPServer, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pg._base, "INITIAL_RETRY_DELAY", 0.01)
    limited = Response(json.dumps({"code": "LIMIT"}), 429, content_type="application/json")
    handler = serve(
        httpserver,
        "/crm/v8/Leads",
        zoho_page(1, True, "t2"),
        limited,
        zoho_page(2, True, "t3"),
        zoho_page(3, False, None),
    )
    items = run(pg, mode, httpserver, lambda c: c.zoho.iter_get_records())
    assert [item.id for item in items] == ["10", "11", "20", "21", "30", "31"]
    assert handler.args("page_token") == [None, "t2", "t2", "t3"]


@pytest.mark.parametrize("mode", MODES)
def test_max_pages_and_max_items(pg: ModuleType, httpserver: HTTPServer, mode: str) -> None:
    def users(req: Request) -> dict[str, Any]:
        page = int(req.args["page"])
        found = [{"id": f"{page}{n}", "full_name": "A"} for n in "abc"]
        info = {"per_page": 3, "count": 3, "page": page, "more_records": True}
        return {"users": found, "info": info}

    handler = serve(httpserver, "/crm/v8/users", users)
    items = run(pg, mode, httpserver, lambda c: c.zoho.iter_get_users(max_pages=2))
    assert [item.id for item in items] == ["1a", "1b", "1c", "2a", "2b", "2c"]
    assert len(handler.requests) == 2
    items = run(pg, mode, httpserver, lambda c: c.zoho.iter_get_users(max_items=4))
    assert [item.id for item in items] == ["1a", "1b", "1c", "2a"]
    assert len(handler.requests) == 4


@pytest.mark.parametrize("mode", MODES)
def test_every_page_carries_auth_and_options(
    pg: ModuleType, httpserver: HTTPServer, mode: str
) -> None:
    handler = serve(
        httpserver, "/crm/v8/Leads", zoho_page(1, True, "t2"), zoho_page(2, False, None)
    )
    items = run(
        pg,
        mode,
        httpserver,
        lambda c: c.zoho.iter_get_records(extra_headers={"X-Trace": "abc"}, timeout=5),
    )
    assert len(items) == 4
    assert [req.headers.get("X-Trace") for req in handler.requests] == ["abc", "abc"]


def test_not_paged_requests_get_no_iterator(pg: ModuleType) -> None:
    for name in ("get_report", "list_tags", "list_both", "list_events"):
        assert hasattr(pg.Client, name)
        assert not hasattr(pg.Client, f"iter_{name}")
        assert not hasattr(pg.Client, f"{name}_pages")
    assert hasattr(pg.Client, "iter_list_offset") and hasattr(pg.AsyncClient, "list_offset_pages")


# ---------------------------------------------------------------- names and hostile keys


def test_iterator_names_yield_to_existing_methods(tmp_path: Path, build_collection: Any) -> None:
    page = {"users": [ITEM], "info": {"more_records": False}}
    data = collection(
        {
            "name": "Users",
            "item": [
                get("Get Users", url("/users", ("page", "1")), page),
                get("Iter Get Users", url("/other"), {"id": "1"}),
            ],
        },
        variable=[{"key": "base", "value": "https://api.test"}],
    )
    _, output = build_collection(data, package="named_api")
    source = (output / "named_api" / "client.py").read_text(encoding="utf-8")
    # the request's own method keeps its name; the iterator yields
    assert "def iter_get_users(\n        self, **options" in source
    assert "def iter_get_users_(\n" in source
    assert "def get_users_pages(\n" in source


def test_hostile_keys_reach_the_code_only_as_literals(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    key = 'page"]) or __import__("os")  #'
    listed = 'it\'ems"""\\'
    data = collection(
        get(
            "List items",
            {
                "raw": "{{base}}/list",
                "host": ["{{base}}"],
                "path": ["list"],
                "query": query((key, "1")),
            },
            {listed: [ITEM], "has_more": True},
        ),
        variable=[{"key": "base", "value": "https://api.test"}],
    )
    source = write(tmp_path, data)
    output = tmp_path / "out"
    overrides = {"paging": [{"request": "List items", "scheme": "page", "param": key}]}
    settings = SourceSettings(package="hostile_paged", overrides=overrides)
    report = build([source], output, settings={source: settings})
    assert [place for place, _, _ in report.packages[0].paged] == ["List items"]
    handler = serve(
        httpserver, "/list", {listed: [ITEM], "has_more": True}, {listed: [], "has_more": False}
    )
    code = (
        "import hostile_paged\n"
        f"client = hostile_paged.Client(base_url={httpserver.url_for('/').rstrip('/')!r})\n"
        "print(len(list(client.iter_list_items())))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=output, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"
    assert handler.args(key) == ["1", "2"]

"""normalize: Postman's quirks to the IR, on small inline collections."""

from __future__ import annotations

from typing import Any

from conftest import collection, request, response
from zgen.diagnostics import Diagnostics
from zgen.ir import Api
from zgen.load import LoadedCollection
from zgen.normalize import normalize

URL = "https://api.example.com"


def run(data: dict[str, Any]) -> tuple[Api, list[str]]:
    diagnostics = Diagnostics()
    api = normalize(LoadedCollection("api.json", "api", data, "v2.1"), diagnostics)
    return api, [w.line() for w in diagnostics.warnings]


def test_query_parameter_named_like_a_path_parameter_is_sent_in_the_path() -> None:
    url = {
        "raw": f"{URL}/templates/:id?id=1",
        "host": ["api", "example", "com"],
        "protocol": "https",
        "path": ["templates", ":id"],
        "query": [{"key": "id", "value": "1"}],
        "variable": [{"key": "id", "value": "1"}],
    }
    item = request("Get Template", "")
    item["request"]["url"] = url
    api, warnings = run(collection(item))
    params = api.operations[0].params
    assert [(p.key, p.location) for p in params] == [("id", "path")]
    assert warnings == [
        "warning: api.json: Get Template: query parameter `id` has the name of a path parameter; it is sent in the path only"
    ]


def test_bare_string_request_and_non_standard_method() -> None:
    data = collection(
        {"name": "Plain", "request": f"{URL}/plain"},
        request("Purge Cache", f"{URL}/cache", method="purge"),
    )
    api, _ = run(data)
    assert [(op.method, op.path) for op in api.operations] == [
        ("GET", (("text", "/plain"),)),
        ("PURGE", (("text", "/cache"),)),
    ]


def test_saved_response_status_from_code_or_status_text() -> None:
    responses = [
        {"name": "made", "status": "Created", "header": [], "body": ""},
        {"name": "gone", "status": "404 Not Found", "header": [], "body": ""},
        {"name": "who knows", "header": [], "body": ""},
        {**response("ok", 200, {"a": 1}), "code": "202"},
    ]
    api, warnings = run(collection(request("Get", f"{URL}/x", responses=responses)))
    assert [e.status for e in api.operations[0].examples] == [201, 404, 200, 202]
    assert warnings == [
        "warning: api.json: Get / response 'who knows': saved response has no status code; treated as a 200 success example"
    ]


def test_body_kinds() -> None:
    responses = [
        response("json", 200, {"a": 1}),
        response("xml", 200, "<a/>", "application/xml"),
        response("html", 200, "<p>hi</p>", "text/html; charset=utf-8"),
        response("pdf", 200, "%PDF-1.4", "application/pdf"),
        response("empty", 204, ""),
        response("broken", 200, '{"a": 1,}'),
    ]
    api, warnings = run(collection(request("Get", f"{URL}/x", responses=responses)))
    assert [e.kind for e in api.operations[0].examples] == [
        "json",
        "text",
        "text",
        "binary",
        "empty",
        "text",
    ]
    assert len(warnings) == 1
    assert "Get / response 'broken': saved body claims JSON but does not parse" in warnings[0]


def test_a_byte_order_mark_before_a_saved_body_is_no_part_of_it() -> None:
    """Some servers send a UTF-8 BOM before their JSON, and Postman keeps it: the body is still
    JSON (httpx's parser of the bytes drops the mark), not text left out of inference."""
    saved = response("ok", 200, '\ufeff{"a": 1}')
    api, warnings = run(collection(request("Get", f"{URL}/x", responses=[saved])))
    (example,) = api.operations[0].examples
    assert (example.kind, example.parsed, example.body) == ("json", {"a": 1}, '{"a": 1}')
    assert warnings == []


def test_variables_a_pre_request_script_computes_are_warned_about() -> None:
    """`pm.environment.set('signature', ...)` in a pre-request script, then `{{signature}}` in a
    header: Postman computes it before each send; the client made it a constant argument without a
    word."""
    script = [
        "var ts = Date.now();",
        "pm.environment.set('timestamp', ts);",
        'postman.setEnvironmentVariable("signature", sign(ts));',
        "pm.collectionVariables.set(`unused`, 1);",
    ]
    item = request(
        "Signed",
        "https://api.example.com/orders?ts={{timestamp}}",
        header=[{"key": "X-Signature", "value": "{{signature}}"}],
    )
    item["event"] = [{"listen": "prerequest", "script": {"exec": script}}, "not an event"]
    folder = {"name": "Orders", "item": [item]}
    diagnostics = Diagnostics()
    data = collection(folder, name="Scripts")
    normalize(LoadedCollection("s.json", "s", data, "v2.1"), diagnostics)
    warned = [w.message for w in diagnostics.warnings if "pre-request script" in w.message]
    assert len(warned) == 1, warned
    assert "`{{signature}}`, `{{timestamp}}` are set by a pre-request script" in warned[0]
    assert "unused" not in warned[0]


def test_an_empty_auth_object_inherits_without_a_warning() -> None:
    """`"auth": {}` (a real collection's request; exporters write it for an auth never set)."""
    item = request("A", "https://api.example.com/a", auth={})
    data = collection(
        item,
        name="Auth",
        auth={"type": "bearer", "bearer": [{"key": "token", "value": "{{token}}"}]},
    )
    diagnostics = Diagnostics()
    api = normalize(LoadedCollection("a.json", "a", data, "v2.1"), diagnostics)
    assert not diagnostics.warnings
    assert api.operations[0].auth is not None and api.operations[0].auth.kind == "bearer"

"""A request without a saved response is tested too: its test sends the request through the real
client (sync and async) and checks what went on the wire, answered with an empty 204. Most
collections in the wild save no responses at all: their package's tests must still run (pytest
exits 5 when a folder holds no test) and check every request. Empty form bodies ask for nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import Builder, collection, request, response, run_generated_tests, type_checks

URL = "{{baseUrl}}"


def _form(mode: str, *fields: dict[str, Any]) -> dict[str, Any]:
    return {"mode": mode, mode: list(fields)}


def _raw(text: str, language: str) -> dict[str, Any]:
    return {"mode": "raw", "raw": text, "options": {"raw": {"language": language}}}


# Every kind of request body, a path variable, a query built from a variable, a fixed header and
# bearer auth: none of these requests has a saved response, but one in another folder has.
ALONE = collection(
    {
        "name": "Things",
        "item": [
            request(
                "Get Thing",
                {
                    "raw": f"{URL}/things/:thing_id?expand={{{{expand}}}}&limit=5",
                    "host": [URL],
                    "path": ["things", ":thing_id"],
                    "query": [
                        {"key": "expand", "value": "{{expand}}"},
                        {"key": "limit", "value": "5"},
                    ],
                    "variable": [{"key": "thing_id", "value": "t-1"}],
                },
                header=[{"key": "X-Tenant", "value": "acme"}],
            ),
            request(
                "Create Thing",
                f"{URL}/things",
                method="POST",
                body=_raw(json.dumps({"name": "a", "tags": ["x"]}), "json"),
            ),
            request("Note", f"{URL}/notes", method="PUT", body=_raw("<note/>", "xml")),
            request(
                "Login",
                f"{URL}/login",
                method="POST",
                body=_form("urlencoded", {"key": "user", "value": "u"}),
            ),
            request(
                "Upload",
                f"{URL}/files",
                method="POST",
                body=_form("formdata", {"key": "file", "type": "file", "src": "a.txt"}),
            ),
            request("Ping Form", f"{URL}/ping", method="POST", body=_form("formdata")),
            request("Ping Encoded", f"{URL}/ping2", method="POST", body=_form("urlencoded")),
            request(
                "Search",
                f"{URL}/graphql",
                method="POST",
                body={"mode": "graphql", "graphql": {"query": "{ things { id } }"}},
            ),
            request("Remove Thing", f"{URL}/things/1", method="DELETE"),
        ],
    },
    request("Status", f"{URL}/status", responses=[response("ok", 200, {"up": True})]),
    auth={"type": "bearer", "bearer": [{"key": "token", "value": "{{token}}"}]},
    variable=[
        {"key": "baseUrl", "value": "https://api.example.com/v1"},
        {"key": "expand", "value": "owner"},
    ],
)
ALONE_REQUESTS = 9


def test_every_request_without_a_saved_response_gets_a_test(build_collection: Builder) -> None:
    report, out = build_collection(ALONE, package="alone")
    assert report.packages[0].tests == ALONE_REQUESTS + 1
    assert report.packages[0].responses == 1
    package = out / "alone"
    tests = "".join(path.read_text() for path in sorted((package / "tests").glob("test_*.py")))
    assert tests.count("\ndef test_") == ALONE_REQUESTS + 1
    alone = sorted(path.stem for path in (package / "fixtures").glob("*__request.json"))
    assert len(alone) == ALONE_REQUESTS
    fixture = json.loads((package / "fixtures" / "things__get_thing__request.json").read_text())
    assert (fixture["status"], fixture["kind"], fixture["body"]) == (204, "empty", "")
    assert fixture["request"]["method"] == "GET"
    assert fixture["request"]["path"] == "/things/t-1"
    assert sorted(map(tuple, fixture["request"]["query"])) == [
        ("expand", "owner"),
        ("limit", "5"),
    ]
    assert ["X-Tenant", "acme"] in fixture["request"]["headers"]
    # the empty forms ask for no argument, and send no body
    client = (package / "client.py").read_text()
    assert "def ping_form(self, **options" in client
    assert "def ping_encoded(self, **options" in client
    assert "PingFormForm" not in client

    result = run_generated_tests(out, "-p", "no:randomly", "alone/tests")
    assert result.returncode == 0, result.stdout[-3000:]
    assert f"{ALONE_REQUESTS + 1} passed" in result.stdout
    for checked in type_checks(out, ["alone"]):  # mypy --strict and pyright
        assert checked.returncode == 0, checked.stdout[-3000:]


@pytest.mark.parametrize(
    "change",
    ["path", "query", "header", "method"],
)
def test_a_request_alone_test_fails_when_another_request_is_sent(
    change: str, build_collection: Builder
) -> None:
    """The test of a request alone checks the wire: a fixture that expects another request (as a
    runtime that sent another would) fails it, and only it."""
    _, out = build_collection(ALONE, package="alone")
    path = out / "alone" / "fixtures" / "things__get_thing__request.json"
    fixture = json.loads(path.read_text())
    expected = fixture["request"]
    if change == "path":
        expected["path"] = "/things/t-2"
    elif change == "query":
        expected["query"] = [["expand", "owner"]]
    elif change == "header":
        expected["headers"].append(["X-Tenant-Region", "eu"])
    else:
        expected["method"] = "POST"
    path.write_text(json.dumps(fixture))
    result = run_generated_tests(out, "-p", "no:randomly", "alone/tests")
    assert result.returncode == 1, result.stdout[-3000:]
    assert result.stdout.count("FAILED") == 1, result.stdout[-3000:]
    assert "test_things__get_thing__request" in result.stdout


def test_a_collection_without_any_saved_response_has_passing_tests(
    build_collection: Builder,
) -> None:
    data = collection(request("Health", "https://api.example.com/health"))
    report, out = build_collection(data, package="bare")
    assert report.packages[0].responses == 0 and report.packages[0].tests == 1
    result = run_generated_tests(out, "-p", "no:randomly", "bare/tests")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "1 passed" in result.stdout


def test_an_example_named_request_keeps_its_own_fixture_name(build_collection: Builder) -> None:
    """A saved response named "request" is a saved response: its fixture is not the test of a
    request alone, and the names of the two kinds never clash."""
    data = collection(
        request("A", "https://api.example.com/a", responses=[response("request", 200, {"a": 1})]),
        request("B", "https://api.example.com/b"),
    )
    _, out = build_collection(data, package="named")
    fixtures = sorted(path.stem for path in (out / "named" / "fixtures").glob("*.json"))
    assert fixtures == ["a__request", "b__request"]
    saved = json.loads((out / "named" / "fixtures" / "a__request.json").read_text())
    assert saved["status"] == 200
    result = run_generated_tests(out, "-p", "no:randomly", "named/tests")
    assert result.returncode == 0, result.stdout[-3000:]

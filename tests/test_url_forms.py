"""URL objects in every form the Postman schemas allow (and real collections write) reach the wire
as Postman sends them: a path element that holds several segments (v2.0: `entries/:word_id`), a
path variable named by `id`, a host given as a string with its protocol and port, query values
kept percent-encoded as written in the URL. Each was wrong on a real collection: a `:variable`
sent literally, https downgraded to http, a port dropped, `%7B%7D` sent as `%257B%257D`."""

from __future__ import annotations

from typing import Any

from conftest import (
    Builder,
    collection,
    import_generated,
    request,
    response,
    run_generated_tests,
)
from zgen.diagnostics import Diagnostics
from zgen.ir import Api
from zgen.load import LoadedCollection
from zgen.normalize import normalize

V20 = "https://schema.getpostman.com/json/collection/v2.0.0/collection.json"


def _url(**fields: Any) -> dict[str, Any]:
    return {"protocol": "https", "host": "api.example.com", **fields}


def _api(*items: dict[str, Any], schema: str = "v2.1") -> Api:
    data = collection(*items, name="Forms")
    return normalize(LoadedCollection("f.json", "f", data, schema), Diagnostics())


def _path(api: Api, index: int) -> str:
    return "".join(
        text if kind == "text" else "{" + text + "}" for kind, text in api.operations[index].path
    )


def test_a_path_element_with_several_segments_is_split() -> None:
    api = _api(
        request(
            "Word",
            _url(
                path=["api", "v1", "entries/:source_lang/:word_id"],
                variable=[{"id": "source_lang", "value": "en"}, {"key": "word_id", "value": "ace"}],
            ),
        ),
        request("Slashes", _url(path=["/v2/", "things"])),
        schema="v2.0",
    )
    assert _path(api, 0) == "/api/v1/entries/{source_lang}/{word_id}"
    params = {p.key: (p.location, p.default) for p in api.operations[0].params}
    assert params == {"source_lang": ("path", "en"), "word_id": ("path", "ace")}
    assert _path(api, 1) == "/v2//things"  # (an empty segment stays, as Postman sends it)


def test_a_host_string_keeps_its_protocol_and_port() -> None:
    api = _api(
        request("Secure", _url(port="8443", path=["a"])),
        request("Plain port", _url(protocol="http", port=443, path=["b"])),
        request("Scheme in host", _url(host="https://api.example.com", path=["c"])),
        request("No protocol", {"raw": "https://api.example.com/d", "host": "api.example.com"}),
    )
    hosts = {var.key: var.default for var in api.variables}
    assert [hosts[op.host] for op in api.operations] == [
        "https://api.example.com:8443",
        "http://api.example.com:443",
        "https://api.example.com",
        "https://api.example.com",
    ]


def test_percent_encoded_query_values_are_sent_as_postman_sends_them(
    build_collection: Builder,
) -> None:
    url = {
        "raw": "https://api.example.com/search?filter=%7B%7D&q=a%20b&100%25=x&plain=a+b",
        "host": ["api", "example", "com"],
        "protocol": "https",
        "path": ["search"],
        "query": [
            {"key": "filter", "value": "%7B%7D"},
            {"key": "q", "value": "a%20b"},
            {"key": "100%25", "value": "x"},
            {"key": "plain", "value": "100%"},  # (not an escape: kept)
        ],
    }
    api = _api(request("Search", url))
    defaults = {p.key: p.default for p in api.operations[0].params}
    assert defaults == {"filter": "{}", "q": "a b", "100%": "x", "plain": "100%"}
    data = collection(request("Search", url, responses=[response("ok", 200, {"n": 1})]), name="Enc")
    _, out = build_collection(data, package="enc")
    result = run_generated_tests(out, "-p", "no:randomly", "enc/tests")
    assert result.returncode == 0, result.stdout[-3000:]
    check = (
        "import httpx\nfrom enc import Client\nsent = []\n"
        "def answer(r):\n    sent.append(r)\n    return httpx.Response(200, json={'n': 1})\n"
        "Client(http_client=httpx.Client(transport=httpx.MockTransport(answer))).search()\n"
        "print(sent[0].url.query.decode())\n"
    )
    shown = import_generated(out, "enc", check)
    assert shown.returncode == 0, shown.stderr[-2000:]
    query = shown.stdout.strip()
    assert "filter=%7B%7D" in query and "%257B" not in query, query
    assert "q=a+b" in query or "q=a%20b" in query, query

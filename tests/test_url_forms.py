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


def test_a_user_and_password_in_the_url_are_basic_auth_never_code(
    build_collection: Builder,
) -> None:
    """`https://user:pass@host/...` (in the raw URL, or as v2.1's `url.auth`): Postman sends basic
    auth; the user and password were copied into the base URL's default and its argument's name."""
    raw_only = "https://bob:hunter2hunter2@other.example.com/v1/ping"
    as_object = {
        "raw": "https://admin:s3cr3tPa55@legacy.example.com/status",
        "protocol": "https",
        "auth": {"user": "admin", "password": "s3cr3tPa55"},
        "host": ["legacy", "example", "com"],
        "path": ["status"],
    }
    ping = response("ok", 200, {"pong": True})
    data = collection(
        request("Ping", raw_only, responses=[ping]),
        request("Status", as_object, responses=[response("ok", 200, {"up": True})]),
        name="Userinfo",
    )
    api = normalize(LoadedCollection("u.json", "u", data, "v2.1"), Diagnostics())
    for op in api.operations:
        assert op.auth is not None and op.auth.kind == "basic", op.auth
    defaults = " ".join(f"{var.key}={var.default}" for var in api.variables)
    assert "hunter2" not in defaults and "s3cr3t" not in defaults and "bob" not in defaults
    _, out = build_collection(data, package="userinfo")
    source = "".join(path.read_text() for path in (out / "userinfo").rglob("*.py"))
    for secret in ("hunter2", "s3cr3tPa55", "bob", "admin"):
        assert secret not in source, secret
    result = run_generated_tests(out, "-p", "no:randomly", "userinfo/tests")
    assert result.returncode == 0, result.stdout[-3000:]
    check = (
        "import httpx\nfrom userinfo import Client\nsent = []\n"
        "def answer(r):\n    sent.append(r)\n    return httpx.Response(200, json={'pong': True})\n"
        "t = httpx.Client(transport=httpx.MockTransport(answer))\n"
        "Client(http_client=t, username='u', password='p').ping()\n"
        "print(sent[0].url, sent[0].headers['authorization'])\n"
    )
    shown = import_generated(out, "userinfo", check)
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert shown.stdout.split() == ["https://other.example.com/v1/ping", "Basic", "dTpw"]


def test_a_user_beside_the_requests_own_auth_is_left_out() -> None:
    item = request("Ping", "https://bob:pw@other.example.com/ping")
    item["request"]["auth"] = {"type": "bearer", "bearer": [{"key": "token", "value": "{{tok}}"}]}
    diagnostics = Diagnostics()
    data = collection(item, name="Userinfo")
    api = normalize(LoadedCollection("u.json", "u", data, "v2.1"), diagnostics)
    assert api.operations[0].auth is not None and api.operations[0].auth.kind == "bearer"
    assert all("bob" not in str(var.default) for var in api.variables)
    assert any("names a user and password" in w.message for w in diagnostics.warnings)


def test_a_plus_in_a_literal_query_value_is_a_plus(build_collection: Builder) -> None:
    """Postman sends `?tz=+02:00&phone=+15551234567&email=a+tag@x.com` as written, and servers read
    each `+` as a space: what the collection's author meant is the plus (an offset, a phone number,
    plus-addressing), so the default is the value as written and the client sends the plus escaped
    (`%2B`); `%20` or `%2B` in the collection say which is meant and are decoded."""
    url = {
        "raw": "https://api.example.com/find?tz=+02:00&phone=+15551234567&email=a+tag@x.com&q=a%20b",
        "host": ["api", "example", "com"],
        "protocol": "https",
        "path": ["find"],
        "query": [
            {"key": "tz", "value": "+02:00"},
            {"key": "phone", "value": "+15551234567"},
            {"key": "email", "value": "a+tag@x.com"},
            {"key": "q", "value": "a%20b"},
        ],
    }
    api = _api(request("Find", url))
    defaults = {p.key: p.default for p in api.operations[0].params}
    assert defaults == {"tz": "+02:00", "phone": "+15551234567", "email": "a+tag@x.com", "q": "a b"}
    data = collection(request("Find", url, responses=[response("ok", 200, {"n": 1})]), name="Plus")
    _, out = build_collection(data, package="plus")
    check = (
        "import httpx\nfrom plus import Client\nsent = []\n"
        "def answer(r):\n    sent.append(r)\n    return httpx.Response(200, json={'n': 1})\n"
        "Client(http_client=httpx.Client(transport=httpx.MockTransport(answer))).find()\n"
        "print(sent[0].url.query.decode())\n"
    )
    shown = import_generated(out, "plus", check)
    assert shown.returncode == 0, shown.stderr[-2000:]
    query = shown.stdout.strip()
    assert "tz=%2B02%3A00" in query and "phone=%2B15551234567" in query, query
    assert "email=a%2Btag%40x.com" in query, query


def test_an_empty_user_in_the_url_is_no_auth() -> None:
    """`https://@host/...` names no user: no basic auth, no credential asked for."""
    api = _api(request("Empty user", "https://@api.example.com/a"))
    assert api.operations[0].auth is None
    assert [var.default for var in api.variables] == ["https://api.example.com"]


def test_a_query_key_without_a_value_is_a_flag_that_stays_on(build_collection: Builder) -> None:
    """`?verbose&page=`: Postman sends the flag `verbose` (its query entry's value is null); the
    client left it out, as it leaves out the blank `page=` for the call to fill."""
    raw = "https://api.example.com/flags?verbose&page="
    structured = {
        "raw": raw,
        "host": ["api", "example", "com"],
        "protocol": "https",
        "path": ["flags"],
        "query": [{"key": "verbose", "value": None}, {"key": "page", "value": ""}],
    }
    for url in (raw, structured):
        defaults = {p.key: p.default for p in _api(request("Flags", url)).operations[0].params}
        assert defaults == {"verbose": "", "page": None}, url
    data = collection(request("Flags", raw, responses=[response("ok", 200, {"n": 1})]), name="Flag")
    _, out = build_collection(data, package="flag")
    check = (
        "import httpx\nfrom flag import Client\nsent = []\n"
        "def answer(r):\n    sent.append(r)\n    return httpx.Response(200, json={'n': 1})\n"
        "Client(http_client=httpx.Client(transport=httpx.MockTransport(answer))).flags()\n"
        "print(sent[0].url.query.decode())\n"
    )
    shown = import_generated(out, "flag", check)
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert shown.stdout.strip() == "verbose="

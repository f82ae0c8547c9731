"""A variable used as a URL host or base is a host, never a secret, whatever its name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import Builder, collection, import_generated, request, response, run_generated_tests
from zgen.diagnostics import Diagnostics
from zgen.load import LoadedCollection
from zgen.normalize import looks_secret, normalize

# Names that read like credentials (`auth`, `token`, `session`) but hold a server's URL.
HOSTS = [
    "authServer",
    "tokenServer",
    "authService",
    "authApi",
    "oauthServer",
    "sessionService",
    "keycloak_auth",
]


def hosts_collection() -> dict[str, Any]:
    items = [
        request(
            f"Token from {name}",
            "{{" + name + "}}/oauth/token",
            method="POST",
            auth={"type": "bearer", "bearer": [{"key": "token", "value": "{{access_token}}"}]},
            responses=[response("ok", 200, {"access_token": "abc", "expires_in": 3600})],
        )
        for name in HOSTS
    ]
    items.append(request("Me", "{{baseUrl}}/me", responses=[response("ok", 200, {"id": "1"})]))
    return collection(
        *items,
        name="Hosts",
        variable=[
            {"key": "baseUrl", "value": "https://api.example.test"},
            *({"key": name, "value": f"https://{name.lower()}.example.test/"} for name in HOSTS),
        ],
    )


def test_every_name_reads_like_a_credential() -> None:
    # Otherwise the test would not test anything.
    assert all(looks_secret(name) for name in HOSTS)


def test_host_variables_keep_their_urls_and_are_not_credentials() -> None:
    diagnostics = Diagnostics()
    data = hosts_collection()
    api = normalize(LoadedCollection("hosts.json", "hosts", data, "v2.1"), diagnostics)
    by_key = {var.key: var for var in api.variables}
    for name in HOSTS:
        assert by_key[name].secret is False, name
        assert by_key[name].default == f"https://{name.lower()}.example.test", name
    assert by_key["access_token"].secret is True
    assert not [w for w in diagnostics.warnings if "secret" in w.message], diagnostics.warnings


def test_host_variables_build_and_their_tests_pass(build_collection: Builder) -> None:
    report, output = build_collection(hosts_collection(), package="hosts")
    assert not [w for w in report.diagnostics.warnings if "secret" in w.message]
    client = (output / "hosts" / "client.py").read_text(encoding="utf-8")
    # The first host is the base URL; every other one is a client-level value with its default.
    assert 'default_base_url="https://authserver.example.test"' in client
    assert " oauth_server: str | None = None," in client
    assert "_server: _base.Credential" not in client
    assert "access_token: Fills the `Authorization` header (the credential)" in client
    assert "auth_api: Fills the base URL of `client.token_from_auth_api()`." in client
    assert "Default: https://authapi.example.test." in client
    result = run_generated_tests(output)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert f"{len(HOSTS) + 1} passed" in result.stdout
    code = (
        "import hosts, json\n"
        "client = hosts.Client()\n"
        "print(json.dumps({name: client._value(name) for name in ("
        + ", ".join(repr(n) for n in ("token_server", "keycloak_auth", "session_service"))
        + ")}))\n"
    )
    shown = import_generated(output, "hosts", code)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == {
        "token_server": "https://tokenserver.example.test",
        "keycloak_auth": "https://keycloak_auth.example.test",
        "session_service": "https://sessionservice.example.test",
    }


def test_a_host_variable_marked_secret_is_still_a_host_without_its_value(tmp_path: Path) -> None:
    data = collection(
        request("Token", "{{authServer}}/oauth/token", method="POST"),
        variable=[{"key": "authServer", "value": "https://auth.internal", "type": "secret"}],
    )
    diagnostics = Diagnostics()
    api = normalize(LoadedCollection("h.json", "h", data, "v2.1"), diagnostics)
    (var,) = api.variables
    assert (var.key, var.secret, var.default) == ("authServer", False, None)
    assert "https://auth.internal" not in json.dumps([str(v) for v in api.variables])


def _defaults(variables: list[dict[str, Any]], url: str, **fields: Any) -> dict[str, Any]:
    """Each client-level value's default, after normalizing one request to `url`."""
    data = collection(request("Get", url, **fields), name="Nested", variable=variables)
    api = normalize(LoadedCollection("n.json", "n", data, "v2.1"), Diagnostics())
    return {var.key: var.default for var in api.variables}


def test_variables_in_a_variable_are_resolved_as_postman_sends_them() -> None:
    """`baseUrl` is `https://{{tenant}}.{{region}}.example.com` (a real vendor collection's
    style): its default is the URL Postman would call, not the text with braces."""
    variables = [
        {"key": "tenant", "value": "acme"},
        {"key": "region", "value": "{{zone}}"},  # (two levels deep)
        {"key": "zone", "value": "eu"},
        {"key": "baseUrl", "value": "https://{{tenant}}.{{region}}.example.com/"},
        {"key": "api", "value": "{{baseUrl}}v2"},
        {"key": "user", "value": "{{me}}"},
        {"key": "me", "value": "u-1"},
    ]
    assert _defaults(variables, "{{baseUrl}}/widgets")["baseUrl"] == "https://acme.eu.example.com"
    assert _defaults(variables, "{{api}}/widgets")["api"] == "https://acme.eu.example.com/v2"
    found = _defaults(variables, "{{baseUrl}}/widgets?owner={{user}}")
    assert found["user"] == "u-1"


def test_a_variable_that_refers_to_no_value_has_no_default() -> None:
    """An unknown, secret or circular reference leaves the value to the caller: never a default
    with braces in it (a URL that cannot resolve), never the secret."""
    variables = [
        {"key": "unknown", "value": "https://{{nowhere}}.example.com"},
        {"key": "keyed", "value": "https://example.com/{{apiKey}}"},
        {"key": "apiKey", "value": "k-123456"},
        {"key": "loop", "value": "https://{{back}}.example.com"},
        {"key": "back", "value": "{{loop}}"},
        {"key": "dynamic", "value": "https://{{$guid}}.example.com"},
    ]
    for key in ("unknown", "keyed", "loop", "dynamic"):
        found = _defaults(variables, "{{" + key + "}}/x")
        assert found[key] is None, key
        assert not any("k-123456" in str(value) for value in found.values())


def test_a_nested_base_url_builds_and_its_tests_pass(build_collection: Builder) -> None:
    data = collection(
        request("Get widget", "{{baseUrl}}/widgets/1", responses=[response("ok", 200, {"id": 1})]),
        name="Nested",
        variable=[
            {"key": "tenant", "value": "acme"},
            {"key": "baseUrl", "value": "https://{{tenant}}.example.com"},
        ],
    )
    _, out = build_collection(data, package="nested")
    client = (out / "nested" / "client.py").read_text(encoding="utf-8")
    assert 'default_base_url="https://acme.example.com"' in client
    assert "{{" not in client
    result = run_generated_tests(out, "-p", "no:randomly", "nested/tests")
    assert result.returncode == 0, result.stdout[-3000:]


def test_a_path_glued_to_a_base_url_ending_in_a_slash_shares_its_base() -> None:
    """`{{baseUrl}}v1/merchants` with `baseUrl` = `https://api.example.com/` (a real collection's
    style): Postman sends `https://api.example.com/v1/merchants`. The variable is the host, `v1`
    the path: one `base_url` argument, not a second base URL for the glued requests."""
    data = collection(
        request("Merchants", "{{baseUrl}}v1/merchants"),
        request("Health", {"raw": "{{baseUrl}}health", "host": ["{{baseUrl}}health"]}),
        request("Status", "{{baseUrl}}/status"),
        request("Zone", "{{zone}}.example.com/x"),  # a host name glued to a variable: kept
        request("Bare", "{{bare}}v2/y"),  # a value without a trailing slash: kept as written
        name="Glued",
        variable=[
            {"key": "baseUrl", "value": "https://api.example.com/"},
            {"key": "zone", "value": "https://eu"},
            {"key": "bare", "value": "https://api.example.com"},
        ],
    )
    api = normalize(LoadedCollection("g.json", "g", data, "v2.1"), Diagnostics())
    paths = {op.name: "".join(text for _, text in op.path) for op in api.operations}
    hosts = {op.name: op.host for op in api.operations}
    assert paths == {
        "Merchants": "/v1/merchants",
        "Health": "/health",
        "Status": "/status",
        "Zone": "/x",
        "Bare": "/y",
    }
    assert hosts["Merchants"] == hosts["Health"] == hosts["Status"] == "baseUrl"
    assert hosts["Zone"] == "{{zone}}.example.com"
    assert hosts["Bare"] == "{{bare}}v2"

"""Auth as vendor collections write it: a scheme the client does not generate (digest, AWS
Signature, Hawk, NTLM, EdgeGrid, JWT...) never sends a request unsigned, the user's httpx.Auth is
used wherever it is given, and a scheme's settings are not taken for credentials."""

from __future__ import annotations

import json
from typing import Any

from conftest import Builder, collection, import_generated, request, response, run_generated_tests
from zgen.diagnostics import Diagnostics
from zgen.load import LoadedCollection
from zgen.normalize import normalize


def params(**values: str) -> list[dict[str, str]]:
    return [{"key": key, "value": value, "type": "string"} for key, value in values.items()]


DIGEST = {"type": "digest", "digest": params(username="{{user}}", password="{{pass}}")}
JWT = {
    "type": "jwt",
    "jwt": params(algorithm="HS256", secret="{{jwtSecret}}", addTokenTo="header", payload="{}"),
}

DATA = collection(
    {
        "name": "Signed",
        "auth": DIGEST,  # inherited by the folder's requests
        "item": [
            request(
                "Get thing",
                "https://api.example.com/things/1",
                responses=[response("ok", 200, {"id": 1})],
            ),
            request("Open thing", "https://api.example.com/open", auth={"type": "noauth"}),
        ],
    },
    request("Jwt thing", "https://api.example.com/jwt", auth=JWT),
    name="Vendor",
)

CALLS = """
import json
import httpx
from vendor import Client
from vendor.errors import ApiError

sent = []
def answer(request):
    sent.append(request.headers.get("authorization"))
    return httpx.Response(200, json={"id": 1})

def client(**kwargs):
    kwargs.setdefault("http_client", httpx.Client(transport=httpx.MockTransport(answer)))
    return Client(**kwargs)

results = []
try:
    client().signed.get_thing()
    results.append("sent")
except ApiError as exc:
    results.append(str(exc))
client().signed.open_thing()  # noauth: nothing to sign
client(auth=httpx.BasicAuth("u", "p")).signed.get_thing()
signed_http = httpx.Client(transport=httpx.MockTransport(answer), auth=httpx.BasicAuth("h", "p"))
client(http_client=signed_http).jwt_thing()
client(default_headers={"Authorization": "Bearer mine"}).jwt_thing()
print(json.dumps([results, sent]))
"""


def test_a_scheme_the_client_does_not_generate_never_sends_a_request_unsigned(
    build_collection: Builder,
) -> None:
    """The client sent a digest-auth request with no Authorization at all (a 401 at best, in
    silence); now the call raises, naming the scheme and `auth=`, unless the request is signed:
    by `auth=`, by the http_client's own auth (which the client used to drop), or by an
    Authorization header the caller sets. The generated tests still pass."""
    report, out = build_collection(DATA, package="vendor")
    warned = [w for w in report.diagnostics.warnings if "is not generated" in w.message]
    assert sorted(w.place for w in warned) == ["Jwt thing", "Signed"]  # one per place set
    result = import_generated(out, "vendor", CALLS)
    assert result.returncode == 0, result.stderr[-3000:]
    (refused,), sent = json.loads(result.stdout)
    assert "digest auth" in refused and "auth=" in refused
    assert sent == [None, "Basic dTpw", "Basic aDpw", "Bearer mine"]
    tests = run_generated_tests(out, "-p", "no:randomly", "vendor/tests")
    assert tests.returncode == 0, tests.stdout[-3000:]


def test_settings_of_an_auth_scheme_are_not_credentials() -> None:
    """`addTokenTo: header` in a JWT auth was reported as "a literal secret (jwt `addTokenTo`)"."""
    diagnostics = Diagnostics()
    normalize(LoadedCollection("v.json", "v", DATA, "v2.1"), diagnostics)
    messages = [w.message for w in diagnostics.warnings]
    assert not any("literal secret" in m for m in messages), messages


def test_an_apikey_auth_without_a_key_name_says_what_it_sends() -> None:
    data: dict[str, Any] = collection(
        request(
            "Get",
            "https://api.example.com/x",
            auth={"type": "apikey", "apikey": params(value="{{apiKey}}")},
        )
    )
    diagnostics = Diagnostics()
    api = normalize(LoadedCollection("k.json", "k", data, "v2.1"), diagnostics)
    auth = api.operations[0].auth
    assert auth is not None and (auth.location, auth.name) == ("header", "X-API-Key")
    assert any("names no key" in w.message for w in diagnostics.warnings)


def test_an_apikey_name_from_a_variable_and_an_oauth2_prefix_are_sent_as_postman_sends_them(
    build_collection: Builder,
) -> None:
    """`key: {{tenantHeader}}` sent a header named `{{tenantHeader}}`; `headerPrefix: " Bearer "`
    sent `" Bearer  <token>"` (Postman trims the prefix)."""
    data = collection(
        request(
            "Keyed",
            "https://api.example.com/k",
            auth={"type": "apikey", "apikey": params(key="{{tenantHeader}}", value="{{apiKey}}")},
        ),
        request(
            "Unnamed",
            "https://api.example.com/u",
            auth={"type": "apikey", "apikey": params(key="{{nameless}}", value="{{apiKey}}")},
        ),
        request(
            "Prefixed",
            "https://api.example.com/p",
            auth={
                "type": "oauth2",
                "oauth2": params(accessToken="{{tok}}", headerPrefix=" Bearer "),
            },
        ),
        name="Keys",
        variable=[{"key": "tenantHeader", "value": "X-Tenant-Key"}],
    )
    report, out = build_collection(data, package="keys")
    assert any(
        "`{{nameless}}`" in w.message or "'{{nameless}}'" in w.message
        for w in report.diagnostics.warnings
    )
    calls = (
        "import httpx, json\nfrom keys import Client\nsent = []\n"
        "def answer(r):\n    sent.append(dict(r.headers))\n    return httpx.Response(200)\n"
        "c = Client(http_client=httpx.Client(transport=httpx.MockTransport(answer)),"
        " api_key='K', tok='T')\n"
        "c.keyed(); c.unnamed(); c.prefixed()\nprint(json.dumps(sent))\n"
    )
    result = import_generated(out, "keys", calls)
    assert result.returncode == 0, result.stderr[-3000:]
    keyed, unnamed, prefixed = json.loads(result.stdout)
    assert keyed["x-tenant-key"] == "K" and not any("{" in name for name in keyed)
    assert unnamed["x-api-key"] == "K"
    assert prefixed["authorization"] == "Bearer T"

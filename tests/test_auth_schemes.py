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

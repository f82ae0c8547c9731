"""Credentials recognised by their value: known formats under any name, random-looking values under
key-ish names; ids, hashes, dates and words stay. All values here are made up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import collection, request, run_generated_tests
from zgen.credentials import keyish_name, known_format, random_value, secret_value
from zgen.redact import REDACTED, redact_headers, redact_json, redact_text

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ6Z2VuLXRlc3QiLCJpYXQiOjE3MDAwMDAwMDB9"
    ".q7Zx2LmRk9Wp4Nc8Vb3Hd6Tf1Ys5Ga0JeXo3Ku7Mi2"
)
HEX_KEY = "0123456789abcdef0123456789abcdef"
STRIPE_LIKE = "sk_live_Zq9fakeK3y0nly4Tests00Xy"
UUID = "6f1c1a52-8a47-4a3c-9a77-1f0e0f3d2b10"
OBJECT_ID = "64b7f0c2e1a2b3c4d5e6f7a8"
SHA = "9fceb02d0ae598e95dc970b74767f19372d61af8"
RANDOM_24 = "x8Kp2Lq9Vw4Zr7Tn3Mb6Yc1H"

POSITIVES = [
    ("data", JWT),  # a JWT under any name
    ("x-custom", "Bearer " + JWT),
    ("note", "Bearer 9fQ2xLw7Rk3vTz8yB1nH5cJd"),  # an opaque bearer token
    ("x-custom", "Basic YWRhOnpnZW4tdGVzdC1wYXNz"),  # ada:zgen-test-pass
    ("config", STRIPE_LIKE),
    ("value", "rk_test_Zq9fakeRestr1ctedKey00"),
    ("aws", "AKIAZGENTEST1234ABCD"),
    ("x", "ASIAZGENTEST5678WXYZ"),
    ("maps", "AIzaZgenFakeKey_0123456789abcdefghijKLM"),
    ("gh", "ghp_ZgenFake0123456789abcdefghijKLMNOPqr"),
    ("gh", "github_pat_11ZGENFAKE0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"),
    ("slack", "xoxb-1234567890-0987654321-zgenFakeTokenValue"),
    ("gitlab", "glpat-zgenFakeToken0123456789"),
    ("mail", "SG.zgenFakeKeyId012345.zgenFakeSecretPart0123456789abcdefghijKLMNOP"),
    ("llm", "sk-proj-Zq9f4K3y0L7mN2pR8sT1uV6wX3yA5bC0dE9"),
    ("pem", "-----BEGIN RSA PRIVATE KEY-----\nMIIEzgenfake\n-----END RSA PRIVATE KEY-----"),
    ("blob", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA"),
    ("hook", "whsec_ZgenFakeWebhookSecret0123456789ab"),
    ("registry", "npm_ZgenFake0123456789abcdefghijKLMNOPqr"),
    ("appid", HEX_KEY),  # OpenWeatherMap's key: 32 hex digits
    ("app_id", "7c2f9e41b8a03d5e6f1a2b3c4d5e6f70"),
    ("AppKey", "Q3vT9xLm2RkW8pZc4NbY7sHd"),
    ("X-App-Key", RANDOM_24),
    ("key2", "x8Kp2Lq9Vw4Zr7Tn3Mb6Yc1Hf5Gd"),
    ("sig", "hR4nT8vQ2mK6pX9wZ3bL7cF1dJ5sY0aE"),
    ("signature", "pQ7x+Lm2/Rk9Wz4Nc8Vb3Hd6Tf1Ys5Ga0Je="),
    ("code", "4/0AfJohXk9Lm2Qr7Tz3Wp8Vn6Yb1Hc5Gd"),  # an OAuth authorization code
    ("api_hash", "a3f5c7e9b1d2f4a6c8e0b2d4f6a8c0e2"),
    ("consumerKey", "Xk3Lm9Qp2Rt7Vw4Zn8Yb"),
    ("client_sig", "Zr7Tn3Mb6Yc1Hf5GdX8Kp2Lq"),
]

NEGATIVES = [
    ("id", UUID),
    ("app_id", UUID),  # a UUID is an id, even under a key-ish name
    ("user_id", OBJECT_ID),
    ("app_id", OBJECT_ID),
    ("sha", SHA),
    ("commit", SHA),
    ("ref", "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0"),
    ("etag", '"33a64df551425fcc55e4d42a148795d9f25f8c2"'),
    ("content_hash", "d41d8cd98f00b204e9800998ecf8427e"),
    ("checksum", "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"),
    ("next_cursor", "dXNlcjpVMEc5V0ZYTjZMQTI0NDg="),
    ("x-custom", HEX_KEY),  # a key under a neutral name: only known formats count there
    ("url", "https://api.example.test/v1/items?page=2&key=abc"),
    ("email", "ada.lovelace@example.test"),
    ("created_at", "2024-01-15T10:30:00Z"),
    ("key", "2024-01-15T10:30:00.123Z"),
    ("key", "20240115"),
    ("key", "status"),
    ("code", "invalid_request_error"),
    ("code", "ERR_RATE_LIMIT_EXCEEDED"),
    ("sort_key", RANDOM_24),
    ("Idempotency-Key", RANDOM_24),
    ("public_key", RANDOM_24),
    ("description", "The quick brown fox jumps over the lazy dog 42 times"),
    ("status", "ACTIVE"),
    ("phone", "+14155550123"),
    ("app_key", "1234567890123456"),  # digits only
    ("token_type", "Bearer"),
    ("note", "Bearer YOUR_ACCESS_TOKEN"),  # a placeholder
    ("www-authenticate", 'Basic realm="api"'),
    ("x-custom", "Basic aGVsbG8gd29ybGQ="),  # "hello world": no user:password
    ("version", "v2.14.3-build.20240115"),
    ("app_key", "myApplicationKey2024"),  # words and a number
    ("app_key", "short1A"),
    ("sku", "sk-this-is-a-long-product-slug-name-here"),
    ("path", f"/users/{OBJECT_ID}/avatar.png"),
    ("appid", "weather-demo-app"),
    ("request_id", "req_8f14e45fceea167a5a36dedd"),
    ("keyword", "x8Kp2Lq9Vw4Zr7Tn3Mb6Yc1Hf5Gd"),
    ("image", "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"),
]


def test_the_tables_are_large_enough() -> None:
    assert len(POSITIVES) >= 25 and len(NEGATIVES) >= 25


@pytest.mark.parametrize(("name", "value"), POSITIVES)
def test_values_that_are_credentials(name: str, value: str) -> None:
    assert secret_value(name, value), (name, value, known_format(value), random_value(value))


@pytest.mark.parametrize(("name", "value"), NEGATIVES)
def test_values_that_are_not_credentials(name: str, value: str) -> None:
    assert not secret_value(name, value), (name, value, known_format(value), random_value(value))


@pytest.mark.parametrize(
    "name",
    ["appid", "app_id", "appId", "X-App-Key", "key2", "apikey", "sig", "signature", "code", "api_hash",
     "consumer_key", "clientSecret", "hmac"],
)  # fmt: skip
def test_keyish_names(name: str) -> None:
    assert keyish_name(name)


@pytest.mark.parametrize(
    "name",
    ["id", "user_id", "account_id", "sha", "ref", "commit", "etag", "hash", "content_hash", "sort_key",
     "idempotency-key", "public_key", "keyword", "x-custom", "cursor", "request_id"],
)  # fmt: skip
def test_names_that_are_not_keyish(name: str) -> None:
    assert not keyish_name(name)


def test_redaction_by_value_in_saved_responses() -> None:
    body = {"data": JWT, "list": [STRIPE_LIKE, "plain"], "appid": HEX_KEY, "id": UUID, "sha": SHA}
    redacted, changed = redact_json(body)
    assert changed
    assert redacted == {
        "data": REDACTED,
        "list": [REDACTED, "plain"],
        "appid": REDACTED,
        "id": UUID,
        "sha": SHA,
    }
    assert redact_json(JWT) == (REDACTED, True)
    text = f'{{"x": "{JWT}", "appid": "{HEX_KEY}", "id": "{UUID}", broken'
    once = redact_text(text)
    assert JWT not in once and HEX_KEY not in once and UUID in once
    assert redact_text(once) == once
    form = f"appid={HEX_KEY}&ref={SHA}&k={STRIPE_LIKE}"
    assert redact_text(form) == f"appid={REDACTED}&ref={SHA}&k={REDACTED}"
    pem = (
        "key:\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEzgenfake\n-----END EC PRIVATE KEY-----\nend"
    )
    assert redact_text(pem) == f"key:\n{REDACTED}\nend"
    headers = (("X-Custom", JWT), ("ETag", f'"{SHA}"'), ("X-Request-Id", UUID))
    assert redact_headers(headers) == (
        ("X-Custom", REDACTED),
        ("ETag", f'"{SHA}"'),
        ("X-Request-Id", UUID),
    )


SHARE_KEY = "Hf5GdX8Kp2Lq9Vw4Zr7Tn3Mb"
SIGNATURE = "pQ7xLm2Rk9Wz4Nc8Vb3Hd6Tf1Ys5Ga0Je"
E2E_SECRETS = {
    "query appid": HEX_KEY,
    "header JWT": JWT,
    "variable Stripe-like": STRIPE_LIKE,
    "path share_key": SHARE_KEY,
    "request body signature": SIGNATURE,
    "saved body JWT": JWT.replace("q7Zx", "r8Ay"),
}


def e2e_collection() -> dict[str, object]:
    saved_body = {
        "id": UUID,
        "owner": OBJECT_ID,
        "commit": SHA,
        "session": {"data": E2E_SECRETS["saved body JWT"], "kind": "web"},
    }
    return collection(
        request(
            "Weather",
            {
                "raw": f"https://api.example.test/users/:user_id/weather?q=Paris&appid={HEX_KEY}&ref={SHA}&tenant={{{{tenant}}}}",
                "protocol": "https",
                "host": ["api", "example", "test"],
                "path": ["users", ":user_id", "weather"],
                "query": [
                    {"key": "q", "value": "Paris"},
                    {"key": "appid", "value": HEX_KEY},
                    {"key": "ref", "value": SHA},
                    {"key": "tenant", "value": "{{tenant}}"},
                ],
                "variable": [{"key": "user_id", "value": OBJECT_ID}],
            },
            header=[
                {"key": "X-Custom", "value": JWT},
                {"key": "X-Billing", "value": "{{billing}}"},
                {"key": "X-Trace", "value": UUID},
            ],
            responses=[
                {
                    "name": "ok",
                    "code": 200,
                    "header": [{"key": "Content-Type", "value": "application/json"}],
                    "body": json.dumps(saved_body),
                }
            ],
        ),
        request(
            "Share",
            {
                "raw": f"https://api.example.test/shares/:share_key?sha={SHA}",
                "protocol": "https",
                "host": ["api", "example", "test"],
                "path": ["shares", ":share_key"],
                "query": [{"key": "sha", "value": SHA}],
                "variable": [{"key": "share_key", "value": SHARE_KEY}],
            },
            method="POST",
            body={
                "mode": "raw",
                "raw": json.dumps({"payload": {"signature": SIGNATURE}, "user": UUID}),
                "options": {"raw": {"language": "json"}},
            },
            responses=[
                {
                    "name": "shared",
                    "code": 200,
                    "header": [{"key": "Content-Type", "value": "application/json"}],
                    "body": json.dumps({"ok": True, "id": UUID}),
                }
            ],
        ),
        name="Value Secrets",
        variable=[
            {"key": "billing", "value": STRIPE_LIKE},
            {"key": "tenant", "value": UUID},
        ],
    )


@pytest.fixture(scope="module")
def built_values(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    from zgen.pipeline import build

    root = tmp_path_factory.mktemp("secret_values")
    source = root / "values.json"
    source.write_text(json.dumps(e2e_collection()), encoding="utf-8")
    report = build([source], root / "out")
    return root / "out", [warning.line() for warning in report.diagnostics.warnings]


def test_no_value_secret_in_any_generated_file(built_values: tuple[Path, list[str]]) -> None:
    out, _ = built_values
    package = out / "value_secrets"
    files = [path for path in package.rglob("*") if path.is_file()]
    names = {path.relative_to(package).as_posix() for path in files}
    assert {"client.py", "API.md", "__init__.py", "tests/test_root.py"} <= names
    assert any(name.startswith("fixtures/") for name in names)
    leaks = [
        (tag, path.relative_to(out).as_posix())
        for path in out.rglob("*")
        if path.is_file()
        for tag, value in E2E_SECRETS.items()
        if value.encode() in path.read_bytes()
    ]
    assert leaks == []


def test_each_value_secret_is_warned_about(built_values: tuple[Path, list[str]]) -> None:
    _, warnings = built_values
    secret_warnings = [line for line in warnings if "literal secret" in line]
    for place in [
        "Weather (query `appid`)",
        "Weather (header `X-Custom`)",
        "variable `billing`",
        "Share (path variable `share_key`)",
    ]:
        assert sum(place in line for line in secret_warnings) == 1, (place, secret_warnings)
    assert len(secret_warnings) == 4, secret_warnings


def test_ordinary_ids_stay_defaults(built_values: tuple[Path, list[str]]) -> None:
    out, _ = built_values
    client = (out / "value_secrets" / "client.py").read_text(encoding="utf-8")
    for value in (OBJECT_ID, SHA, "Paris"):  # path and query defaults
        assert f'= "{value}"' in client, value
    assert f'"tenant": (tenant, "{UUID}")' in client  # a client-level value's default
    assert f'("X-Trace", ("{UUID}",))' in client  # a fixed header
    assert "billing: _base.Credential | None" in client
    fixtures = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in (out / "value_secrets" / "fixtures").glob("*.json")
    ]
    ok = next(data for data in fixtures if data["name"] == "ok")
    body = json.loads(ok["body"])
    assert body == {
        "id": UUID,
        "owner": OBJECT_ID,
        "commit": SHA,
        "session": {"data": REDACTED, "kind": "web"},
    }
    shared = next(data for data in fixtures if data["name"] == "shared")
    assert shared["request"]["body"] == {"payload": {"signature": REDACTED}, "user": UUID}


def test_generated_tests_pass_without_the_values(built_values: tuple[Path, list[str]]) -> None:
    out, _ = built_values
    result = run_generated_tests(out)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "value",
    [
        value
        for _, value in POSITIVES
        if known_format(value) and not value.startswith(("Bearer", "Basic", "-----"))
    ],
)
def test_known_formats_are_redacted_inside_text(value: str) -> None:
    text = f"<p>key: {value}</p>\nnext={value}&x=1"
    redacted = redact_text(text)
    assert value not in redacted
    assert redacted == f"<p>key: {REDACTED}</p>\nnext={REDACTED}&x=1"


@pytest.mark.parametrize(
    "value",
    ["<your-api-key>", "<string>", "<Bearer Token>", "{token}", "[API KEY]", "YOUR_API_KEY",
     "your-access-token", "api-key-goes-here", "xxxxxxxx", "****", "changeme", "REPLACE_ME"],
)  # fmt: skip
def test_placeholders_are_no_secrets_to_warn_about(value: str) -> None:
    """Collections ship `<your-api-key>` and `YOUR_ACCESS_TOKEN` for the reader to fill in (a real
    vendor collection's every variable): each was warned about as 'a literal secret'."""
    from zgen.credentials import placeholder

    assert placeholder(value)


@pytest.mark.parametrize(
    "value", ["s3cr3t-9f8e7d6c5b4a", "sk_live_abc", "hunter2", "youngster", "xx", "<a>b"]
)
def test_values_that_are_not_placeholders(value: str) -> None:
    from zgen.credentials import placeholder

    assert not placeholder(value)


def test_a_placeholder_credential_is_an_argument_without_a_warning() -> None:
    from conftest import collection, request
    from zgen.diagnostics import Diagnostics
    from zgen.load import LoadedCollection
    from zgen.normalize import normalize

    data = collection(
        request(
            "A",
            "https://api.example.com/a?api_key=xxxxxxxx",
            header=[{"key": "Authorization", "value": "Bearer <your token here>"}],
        ),
        name="Placeholders",
        variable=[{"key": "apiKey", "value": "<your-api-key>"}],
        auth={"type": "bearer", "bearer": [{"key": "token", "value": "<Bearer Token>"}]},
    )
    diagnostics = Diagnostics()
    api = normalize(LoadedCollection("p.json", "p", data, "v2.1"), diagnostics)
    assert not [w for w in diagnostics.warnings if "secret" in w.message]
    secrets = {var.key: var.default for var in api.variables if var.secret}
    assert secrets == {"api_key": None, "bearer_token": None, "token": None}

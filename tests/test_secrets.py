"""Literal credentials in a collection never reach the output; zgen warns; fixtures show a placeholder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import collection, request, run_generated_tests
from zgen.normalize import looks_secret
from zgen.redact import REDACTED, redact_json, redact_text

SECRETS: dict[str, str] = {}


def secret(tag: str) -> str:
    """A distinctive secret string, remembered so the output can be searched for it."""
    value = f"Sekr3t{tag}Zq9"
    SECRETS[tag] = value
    return value


def auth(kind: str, params: dict[str, str]) -> dict[str, Any]:
    return {
        "type": kind,
        kind: [{"key": key, "value": value, "type": "string"} for key, value in params.items()],
    }


def saved(
    name: str, headers: list[tuple[str, str]], body: str, content_type: str = "application/json"
) -> dict[str, Any]:
    return {
        "name": name,
        "code": 200,
        "header": [
            {"key": "Content-Type", "value": content_type},
            *({"key": k, "value": v} for k, v in headers),
        ],
        "body": body,
    }


def planted() -> dict[str, Any]:
    """A collection with a literal credential in every place a credential can hide."""
    token_body = {
        "access_token": secret("BodyAccess"),
        "refresh_token": secret("BodyRefresh"),
        "accessToken": "6f1c1a52-8a47-4a3c-9a77-1f0e0f3d2b10",  # a UUID: the model must not demand one
        "token_type": "bearer",
        "expires_in": 3600,
        "user": {
            "name": "Ada",
            "api_key": secret("BodyApiKey"),
            "password": secret("BodyPassword"),
        },
        "sessions": [{"session_token": secret("BodySession"), "id": 1}],
        "next_page_token": "cursor-2",
    }
    secrets_in_headers = [
        ("Set-Cookie", "sid=" + secret("SetCookie") + "; HttpOnly"),
        ("Authorization", "Bearer " + secret("RespAuth")),
        ("Cookie", "c=" + secret("RespCookie")),
        ("X-Api-Key", secret("RespApiKey")),
    ]
    SECRETS["BodyUuid"] = str(token_body["accessToken"])
    items = [
        request(
            "Login",
            "https://api.example.test/login",
            method="POST",
            auth=auth("bearer", {"token": secret("Bearer")}),
            body={
                "mode": "raw",
                "raw": json.dumps({"user": "ada", "password": secret("ReqBodyPassword")}),
                "options": {"raw": {"language": "json"}},
            },
            responses=[saved("ok", secrets_in_headers, json.dumps(token_body))],
        ),
        request(
            "Token form",
            "https://api.example.test/token",
            auth=auth("basic", {"username": secret("BasicUser"), "password": secret("BasicPass")}),
            responses=[
                saved(
                    "form",
                    [],
                    f"access_token={secret('FormToken')}&token_type=bearer",
                    "text/plain",
                )
            ],
        ),
        request(
            "Broken json",
            "https://api.example.test/broken",
            auth=auth("apikey", {"key": "X-Key", "value": secret("ApiKeyHeader"), "in": "header"}),
            responses=[
                saved("broken", [], '{"access_token": "' + secret("BrokenJson") + '", oops')
            ],
        ),
        request(
            "Api key in query",
            "https://api.example.test/q",
            auth=auth("apikey", {"key": "key", "value": secret("ApiKeyQuery"), "in": "query"}),
        ),
        request(
            "OAuth 2",
            "https://api.example.test/o",
            auth=auth(
                "oauth2",
                {
                    "accessToken": secret("OAuth2At"),
                    "clientSecret": secret("OAuth2Cs"),
                    "refreshToken": secret("OAuth2Rt"),
                },
            ),
        ),
        request(
            "Digest",
            "https://api.example.test/d",
            auth=auth("digest", {"username": "u", "password": secret("DigestPass")}),
        ),
        request(
            "AWS",
            "https://api.example.test/aws",
            auth=auth(
                "awsv4",
                {
                    "accessKey": secret("AwsAk"),
                    "secretKey": secret("AwsSk"),
                    "sessionToken": secret("AwsSt"),
                },
            ),
        ),
        request(
            "Hawk",
            "https://api.example.test/h",
            auth=auth("hawk", {"authId": "id", "authKey": secret("HawkKey")}),
        ),
        request(
            "NTLM",
            "https://api.example.test/n",
            auth=auth("ntlm", {"username": "u", "password": secret("NtlmPass")}),
        ),
        request(
            "OAuth 1",
            "https://api.example.test/o1",
            auth=auth(
                "oauth1",
                {
                    "consumerKey": secret("O1Ck"),
                    "consumerSecret": secret("O1Cs"),
                    "token": secret("O1Tok"),
                    "tokenSecret": secret("O1Ts"),
                },
            ),
        ),
        request(
            "EdgeGrid",
            "https://api.example.test/e",
            auth=auth(
                "edgegrid",
                {
                    "accessToken": secret("EgAt"),
                    "clientToken": secret("EgCt"),
                    "clientSecret": secret("EgCs"),
                },
            ),
        ),
        request(
            "JWT",
            "https://api.example.test/j",
            auth=auth("jwt", {"secret": secret("JwtSecret"), "payload": "{}"}),
        ),
        request(
            "Headers",
            "https://api.example.test/hdr",
            header=[
                {"key": "Authorization", "value": "Bearer " + secret("HdrAuth")},
                {"key": "Cookie", "value": "sid=" + secret("HdrCookie")},
                {"key": "X-API-Key", "value": secret("HdrApiKey")},
                {"key": "X-Auth-Token", "value": secret("HdrXAuth")},
                {"key": "Proxy-Authorization", "value": "Basic " + secret("HdrProxy")},
            ],
        ),
        request(
            "Query",
            f"https://api.example.test/query?api_key={secret('QApiKey')}&access_token={secret('QAccess')}&page_token=p2&apiKey={secret('QApiKeyCamel')}",
        ),
        request(
            "Uses vars",
            "{{baseUrl}}/v?key={{apiKey}}",
            header=[{"key": "Authorization", "value": "Bearer {{token}}"}],
            auth=auth("basic", {"username": "{{user}}", "password": "{{password}}"}),
        ),
    ]
    variables = [
        {"key": "baseUrl", "value": "https://api.example.test"},
        {"key": "token", "value": secret("VarToken")},
        {"key": "apiKey", "value": secret("VarApiKey")},
        {"key": "client_secret", "value": secret("VarClientSecret")},
        {"key": "password", "value": secret("VarPassword")},
        {"key": "user", "value": secret("VarUserMarkedSecret"), "type": "secret"},
        {"key": "refresh_token", "value": secret("VarRefresh")},
    ]
    return collection(
        *items,
        name="Planted Secrets",
        variable=variables,
        auth=auth("bearer", {"token": secret("CollectionBearer")}),
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    from zgen.pipeline import build

    root = tmp_path_factory.mktemp("secrets")
    source = root / "planted.json"
    source.write_text(json.dumps(planted()), encoding="utf-8")
    report = build([source], root / "out")
    return root / "out", [warning.line() for warning in report.diagnostics.warnings]


def test_no_secret_anywhere_in_the_output(built: tuple[Path, list[str]]) -> None:
    out, _ = built
    files = [path for path in out.rglob("*") if path.is_file()]
    assert len(files) > 8
    leaks = [
        (tag, path.relative_to(out).as_posix())
        for path in files
        for tag, value in SECRETS.items()
        if value.encode() in path.read_bytes()
    ]
    assert leaks == []


def test_the_secrets_are_warned_about(built: tuple[Path, list[str]]) -> None:
    _, warnings = built
    secret_warnings = [line for line in warnings if "literal secret" in line]
    for place in ["collection auth", "Login (auth bearer)", "Token form (auth basic)", "(auth apikey)", "(auth oauth2)", "(auth digest)",
                  "(auth awsv4)", "(auth hawk)", "(auth ntlm)", "(auth oauth1)", "(auth edgegrid)", "(auth jwt)",
                  "header `Authorization`", "header `Cookie`", "header `X-API-Key`", "header `X-Auth-Token`", "header `Proxy-Authorization`",
                  "query `api_key`", "query `access_token`", "query `apiKey`",
                  "variable `token`", "variable `apiKey`", "variable `client_secret`", "variable `password`", "variable `user`",
                  "variable `refresh_token`"]:  # fmt: skip
        assert any(place in line for line in secret_warnings), place
    assert all(line.startswith("warning: planted.json: ") for line in secret_warnings)


def test_pagination_token_is_not_a_secret(built: tuple[Path, list[str]]) -> None:
    out, warnings = built
    assert not any("page_token" in line for line in warnings)
    client = (out / "planted_secrets" / "client.py").read_text(encoding="utf-8")
    assert "page_token: str | None = 'p2'" in client.replace('"', "'")


def test_redacted_values_show_a_placeholder(built: tuple[Path, list[str]]) -> None:
    out, _ = built
    fixtures = {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in (out / "planted_secrets" / "fixtures").glob("*.json")
    }
    ok = next(data for data in fixtures.values() if data["name"] == "ok")
    headers = dict(ok["headers"])
    for name in ("Set-Cookie", "Authorization", "Cookie", "X-Api-Key"):
        assert headers[name] == REDACTED
    body = json.loads(ok["body"])
    assert body["access_token"] == body["refresh_token"] == body["accessToken"] == REDACTED
    assert body["user"] == {"name": "Ada", "api_key": REDACTED, "password": REDACTED}
    assert body["sessions"] == [{"session_token": REDACTED, "id": 1}]
    assert (
        body["token_type"] == "bearer"
        and body["expires_in"] == 3600
        and body["next_page_token"] == "cursor-2"
    )
    form = next(data for data in fixtures.values() if data["name"] == "form")
    assert form["body"] == f"access_token={REDACTED}&token_type=bearer"
    broken = next(data for data in fixtures.values() if data["name"] == "broken")
    assert broken["body"] == f'{{"access_token": "{REDACTED}", oops'


def test_credentials_become_constructor_arguments(built: tuple[Path, list[str]]) -> None:
    out, _ = built
    base = (out / "planted_secrets" / "client.py").read_text(encoding="utf-8") + (
        out / "planted_secrets" / "_base.py"
    ).read_text(encoding="utf-8")
    for name in (
        "token",
        "username",
        "password",
        "api_key",
        "access_token",
        "bearer_token",
        "cookie",
        "x_api_key",
    ):
        assert (
            f"{name}: _base.Credential | None" in base or f"{name}: Credential | None" in base
        ), name
    # `Authorization: Bearer <token>` written out as a header: the caller passes the token (as
    # for bearer auth), the scheme word stays; it took the whole header value ("Bearer ..."), and
    # a token passed alone went out without its scheme.
    assert '("Authorization", ("Bearer ", _base.Value("bearer_token")))' in base


def test_generated_tests_pass_with_redacted_fixtures(built: tuple[Path, list[str]]) -> None:
    out, _ = built
    result = run_generated_tests(out)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "name",
    ["page_token", "pageToken", "nextPageToken", "next_page_token", "$skiptoken", "continuationToken", "syncToken",
     "max_tokens", "author", "authorId", "auth_url", "tokenUrl", "token_type", "expires_in", "sort_key", "idempotency-key"],
)  # fmt: skip
def test_names_that_are_not_credentials(name: str) -> None:
    assert not looks_secret(name)


@pytest.mark.parametrize(
    "name",
    ["token", "access_token", "refreshToken", "api_key", "apiKey", "X-API-Key", "key", "client_secret", "password",
     "Authorization", "authToken", "x-auth-token", "secretKey", "Ocp-Apim-Subscription-Key", "session_id", "Cookie", "csrf_token"],
)  # fmt: skip
def test_names_that_are_credentials(name: str) -> None:
    assert looks_secret(name)


def test_redact_json_is_iterative_and_copies() -> None:
    deep: Any = {"access_token": "x"}
    for _ in range(20_000):
        deep = {"a": [deep]}
    redacted, changed = redact_json(deep)
    assert changed
    node = redacted
    for _ in range(20_000):
        node = node["a"][0]
    assert node == {"access_token": REDACTED}
    original = deep
    for _ in range(20_000):
        original = original["a"][0]
    assert original == {"access_token": "x"}


def test_redact_text_is_idempotent() -> None:
    text = '{"access_token": "abc\\"def", "x": 1} refresh_token=zzz&a=b'
    once = redact_text(text)
    assert "abc" not in once and "zzz" not in once
    assert redact_text(once) == once

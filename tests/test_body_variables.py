"""JSON bodies holding `{{variables}}`: typed like any other body, credentials filled in by the client."""

from __future__ import annotations

import importlib
import inspect
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import Builder, collection, import_generated, request, response, run_generated_tests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response
from zgen.diagnostics import Diagnostics
from zgen.ir import Api
from zgen.load import LoadedCollection
from zgen.normalize import normalize, with_placeholders

PACKAGE = "payments"
CREDENTIALS = '"client_id": "{{client_id}}", "secret": "{{secret_key}}"'


def raw_json(text: str) -> dict[str, Any]:
    return {"mode": "raw", "raw": text, "options": {"raw": {"language": "json"}}}


def post(name: str, path: str, fields: str, saved: Any) -> dict[str, Any]:
    return request(
        name,
        "{{base_url}}" + path,
        method="POST",
        header=[{"key": "Content-Type", "value": "application/json"}],
        body=raw_json("{" + CREDENTIALS + (", " + fields if fields else "") + "}"),
        responses=[response("OK", 200, saved)],
    )


# Shaped like a payments API: every JSON body carries the client's id and secret, some carry bare
# `{{count}}`-style values (not JSON until the variable is substituted), strings around variables.
PAYMENTS = collection(
    {
        "name": "Accounts",
        "item": [
            post("Get accounts", "/accounts/get", "", {"accounts": [{"id": "a1"}]}),
            post(
                "Get balance",
                "/accounts/balance/get",
                '"options": {"account_ids": ["{{account_id}}"]}',
                {"accounts": [{"id": "a1", "balance": 1.5}]},
            ),
        ],
    },
    {
        "name": "Transactions",
        "item": [
            post(
                "Get transactions",
                "/transactions/get",
                '"count": {{count}}, "offset": {{offset}}, "start_date": "{{start_date}}"',
                {"transactions": [], "total": 0},
            ),
            post(
                "Sync transactions",
                "/transactions/sync",
                '"cursor": "c-{{cursor}}", "options": {"include_personal": {{personal}}}',
                {"added": [], "next_cursor": "x"},
            ),
        ],
    },
    post("Create link token", "/link/token/create", '"user": {"id": "{{user_id}}"}', {"t": "x"}),
    name="Payments",
    variable=[
        {"key": "base_url", "value": "https://sandbox.payments.test"},
        {"key": "client_id", "value": ""},
        {"key": "secret_key", "value": ""},
        {"key": "count", "value": "10"},
        {"key": "start_date", "value": "2024-01-01"},
        {"key": "personal", "value": "true"},
    ],
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, ModuleType]]:
    from zgen.pipeline import build

    folder = tmp_path_factory.mktemp("payments")
    source = folder / "payments.json"
    source.write_text(json.dumps(PAYMENTS), encoding="utf-8")
    output = folder / "out"
    build([source], output, packages={source: PACKAGE})
    sys.path.insert(0, str(output))
    try:
        yield output, importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(output))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def methods(client: Any) -> list[tuple[str, Any]]:
    found = []
    for attr in ("accounts", "transactions"):
        namespace = getattr(client, attr)
        found += [(f"{attr}.{name}", getattr(namespace, name)) for name in vars(type(namespace))]
    found.append(("create_link_token", client.create_link_token))
    return [(name, m) for name, m in found if not name.split(".")[-1].startswith("_")]


def test_every_method_takes_a_typed_body(built: tuple[Path, ModuleType]) -> None:
    _, payments = built
    client = payments.Client(base_url="https://x.test")
    found = methods(client)
    assert len(found) == 5
    for name, method in found:
        annotation = inspect.signature(method).parameters["body"].annotation
        assert annotation.startswith("models.") and "| Mapping[str, Any]" in annotation, name
        assert "content" not in inspect.signature(method).parameters, name


def test_credentials_are_client_arguments_and_model_fields_optional(
    built: tuple[Path, ModuleType],
) -> None:
    _, payments = built
    parameters = inspect.signature(payments.Client).parameters
    assert "client_id" in parameters and "secret_key" in parameters
    assert "Credential" in parameters["secret_key"].annotation
    assert "Credential" in parameters["client_id"].annotation
    # The request models need neither credential: the client fills them in.
    client = payments.Client(base_url="https://x.test")
    annotation = inspect.signature(client.transactions.get_transactions).parameters["body"]
    request_model = getattr(payments.models, annotation.annotation.split()[0].split(".")[1])
    request_model(offset=1)  # only the bare variable with no value is left to the call
    fields = request_model.model_fields
    assert fields["count"].annotation is not None and "int" in str(fields["count"].annotation)
    assert fields["start_date"].annotation == str | None  # a "{{variable}}" is a string
    # Collection defaults of other body variables are the model's defaults.
    made = request_model(offset=1)
    assert (made.count, made.start_date, made.client_id, made.secret) == (
        10,
        "2024-01-01",
        None,
        None,
    )
    assert made.model_dump(exclude_unset=True) == {"offset": 1}
    assert "Any" in str(fields["offset"].annotation)  # bare, with no value to type it by


# One answer that every saved response's model accepts (extra keys are kept, not rejected).
ANSWER = {"accounts": [], "transactions": [], "total": 0, "added": [], "next_cursor": "", "t": ""}


def wire(httpserver: HTTPServer) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    def handler(req: Request) -> Response:
        seen.append(json.loads(req.get_data()))
        return Response(json.dumps(ANSWER), 200, content_type="application/json")

    for path in (
        "/accounts/get",
        "/accounts/balance/get",
        "/transactions/get",
        "/transactions/sync",
        "/link/token/create",
    ):
        httpserver.expect_request(path, method="POST").respond_with_handler(handler)
    return seen


def test_the_client_fills_both_credentials_into_every_body_on_the_wire(
    built: tuple[Path, ModuleType], httpserver: HTTPServer
) -> None:
    _, payments = built
    seen = wire(httpserver)
    base = httpserver.url_for("/").rstrip("/")
    with payments.Client(base_url=base, client_id="cid-1", secret_key="s3cr3t") as client:
        for _, method in methods(client):
            method(body={})
        client.transactions.get_transactions(body=payments.models.GetTransactionsRequest(offset=5))
        client.accounts.get_accounts(body={"secret": "per-call"})
    assert len(seen) == 7
    for body in seen:
        assert body["client_id"] == "cid-1"
    assert [body["secret"] for body in seen] == ["s3cr3t"] * 6 + ["per-call"]
    # Collection defaults of other body variables are filled in too, unless the call sets them.
    transactions = [body for body in seen if "offset" in body or "count" in body]
    assert transactions[-1] == {
        "client_id": "cid-1",
        "secret": "s3cr3t",
        "offset": 5,
        "count": 10,
        "start_date": "2024-01-01",
    }


def test_credentials_come_from_the_environment(
    built: tuple[Path, ModuleType], httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, payments = built
    seen = wire(httpserver)
    monkeypatch.setenv("PAYMENTS_CLIENT_ID", "env-id")
    monkeypatch.setenv("PAYMENTS_SECRET_KEY", "env-secret")
    with payments.Client(base_url=httpserver.url_for("/").rstrip("/")) as client:
        client.create_link_token(body={"user": {"id": "u"}})
    assert seen == [{"client_id": "env-id", "secret": "env-secret", "user": {"id": "u"}}]


def test_generated_tests_pass(built: tuple[Path, ModuleType]) -> None:
    output, _ = built
    result = run_generated_tests(output)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout


def normalized(body: str, variables: list[dict[str, Any]]) -> Api:
    data = collection(
        request("Post", "https://api.test/x", method="POST", body=raw_json(body)),
        variable=variables,
    )
    return normalize(LoadedCollection("api.json", "api", data, "v2.1"), Diagnostics())


@pytest.mark.parametrize(
    ("text", "inside"),
    [
        ('{"a": "{{x}}"}', [True]),
        ('{"a": {{x}}}', [False]),
        ('{"a": "say \\"{{x}}\\"", "b": {{y}}}', [True, False]),
        ('[{{x}}, "{{y}}", "\\\\", {{z}}]', [False, True, False]),
        ('{"a": "{{x}}-{{y}}", "b": [{{z}}]}', [True, True, False]),
    ],
)
def test_placeholders_know_strings_from_value_positions(text: str, inside: list[bool]) -> None:
    substituted, slots = with_placeholders(text)
    json.loads(substituted)
    assert [slot[1] for slot in slots.values()] == inside


def test_variable_types_defaults_and_secrets() -> None:
    api = normalized(
        '{"n": {{n}}, "flag": {{flag}}, "raw": {{raw}}, "name": "{{name}}", "password": "{{pw}}",'
        ' "items": [{"token": "{{api_token}}"}], "note": "id-{{name}}", // a comment\n'
        ' "deep": {"api_key": "{{key}}"}}',
        [
            {"key": "n", "value": "3"},
            {"key": "flag", "value": "false"},
            {"key": "name", "value": "Ada"},
            {"key": "pw", "value": ""},
        ],
    )
    body = api.operations[0].body
    assert body is not None and body.mode == "json"
    assert body.example == {
        "n": 3,
        "flag": False,
        "raw": None,
        "name": "Ada",
        "password": "",
        "items": [{"token": ""}],
        "note": "id-Ada",
        "deep": {"api_key": ""},
    }
    assert body.untyped == (("raw",),)
    assert dict(body.defaults) == {("n",): 3, ("flag",): False, ("name",): "Ada"}
    # `password` is a credential by its JSON key, `key` by its variable: both filled in; one
    # inside a list cannot be, and stays an ordinary string field.
    assert dict(body.fills) == {("password",): "pw", ("deep", "api_key"): "key"}
    secrets = {var.key for var in api.variables if var.secret}
    assert {"pw", "key"} <= secrets and "name" not in secrets and "n" not in secrets


def test_a_body_that_does_not_parse_even_with_placeholders_is_text(
    build_collection: Builder,
) -> None:
    data = collection(
        request(
            "Post",
            "https://api.test/x",
            method="POST",
            body=raw_json('{"a": {{x}} "b": 1}'),
        )
    )
    report, output = build_collection(data, package="broken_body")
    source = (output / "broken_body" / "client.py").read_text(encoding="utf-8")
    assert "content: str | bytes" in source
    assert any("does not parse" in w.message for w in report.diagnostics.warnings)


def test_variables_in_a_graphql_query_are_sent_with_their_values() -> None:
    """A real collection writes its variables into the GraphQL query text
    (`user(phone: "{{phone}}")`): Postman sends their values; the client sent the braces."""
    query = 'query { user(phone: "{{phone}}", email: "{{email}}", key: "{{apiToken}}") { id } }'
    data = collection(
        request(
            "Get Subscriber",
            "https://api.example.com/graphql",
            method="POST",
            body={"mode": "graphql", "graphql": {"query": query, "variables": ""}},
        ),
        name="Gql",
        variable=[
            {"key": "phone", "value": "+15551234567"},
            {"key": "apiToken", "value": "abc"},
        ],
    )
    diagnostics = Diagnostics()
    api = normalize(LoadedCollection("g.json", "g", data, "v2.1"), diagnostics)
    body = api.operations[0].body
    assert body is not None and body.mode == "graphql"
    assert body.example == (
        'query { user(phone: "+15551234567", email: "{{email}}", key: "{{apiToken}}") { id } }'
    )
    warned = [w.message for w in diagnostics.warnings if "GraphQL query" in w.message]
    assert warned and "{{email}}" in warned[0] and "{{apiToken}}" in warned[0]


def test_form_fields_that_are_variables_are_filled_in_as_postman_fills_them(
    build_collection: Builder,
) -> None:
    """An OAuth token request's urlencoded form (`client_id={{clientId}}`,
    `client_secret={{clientSecret}}`, `scope={{scope}}`): Postman sends the variables' values; the
    client sent only the fields the call named. Credentials come from the client, other variables
    keep their collection values, and what the call sets wins."""
    data = collection(
        request(
            "Token",
            "https://auth.example.com/oauth/token",
            method="POST",
            body={
                "mode": "urlencoded",
                "urlencoded": [
                    {"key": "grant_type", "value": "client_credentials"},
                    {"key": "client_secret", "value": "{{clientSecret}}"},
                    {"key": "scope", "value": "{{scope}}"},
                    {"key": "nonce", "value": "{{$guid}}"},
                    {"key": "old", "value": "{{scope}}", "disabled": True},
                ],
            },
            responses=[response("ok", 200, {"access_token": "abc"})],
        ),
        name="Forms",
        variable=[{"key": "clientSecret", "value": ""}, {"key": "scope", "value": "read write"}],
    )
    api = normalize(LoadedCollection("f.json", "f", data, "v2.1"), Diagnostics())
    body = api.operations[0].body
    assert body is not None
    assert body.fills == ((("client_secret",), "clientSecret"),)
    assert body.defaults == ((("scope",), "read write"),)
    _, out = build_collection(data, package="formfills")
    client = (out / "formfills" / "client.py").read_text(encoding="utf-8")
    assert "client_secret: Fills the `client_secret` form field of `client.token()`" in client
    check = (
        "import httpx\nfrom formfills import Client\nsent = []\n"
        "def answer(r):\n    sent.append(r)\n    return httpx.Response(200, json={'access_token': 'a'})\n"
        "c = Client(http_client=httpx.Client(transport=httpx.MockTransport(answer)),"
        " client_secret='s3')\n"
        "c.token(form={'grant_type': 'client_credentials'})\n"
        "c.token(form={'grant_type': 'x', 'scope': 'mine'})\n"
        "print(sent[0].content.decode())\nprint(sent[1].content.decode())\n"
    )
    shown = import_generated(out, "formfills", check)
    assert shown.returncode == 0, shown.stderr[-2000:]
    uuid4 = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    first, second = shown.stdout.split()
    # `nonce={{$guid}}` is made fresh for each call, as Postman makes it
    assert re.fullmatch(
        f"grant_type=client_credentials&client_secret=s3&nonce=({uuid4})&scope=read\\+write", first
    )
    assert re.fullmatch(f"grant_type=x&scope=mine&client_secret=s3&nonce=({uuid4})", second)
    assert first.split("nonce=")[1][:36] != second.split("nonce=")[1][:36]

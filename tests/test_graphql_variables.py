"""A GraphQL request's variables (`body.graphql.variables`, a JSON text) are sent as Postman sends
them when the call gives none: the method had `variables=None` and sent `"variables": null`, and
its operation name was never sent."""

from __future__ import annotations

import json
import re
from typing import Any

from conftest import Builder, collection, import_generated, request, response
from zgen.diagnostics import Diagnostics
from zgen.ir import Slot
from zgen.load import LoadedCollection
from zgen.normalize import normalize

UUID4 = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
QUERY = "query GetUser($id: ID!, $first: Int) { user(id: $id) { name } }"
VARIABLES = """{
  "id": "{{userId}}",
  "first": {{first}},
  "token": "{{apiToken}}",
  "ref": "r-{{$guid}}",
  "n": {{$randomInt}},
  "tags": ["a", "{{$timestamp}}"],
  "secretKey": "sk_live_abcdefghijklmnop1234"
}"""


def graphql(variables: Any, operation_name: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"query": QUERY, "variables": variables}
    if operation_name is not None:
        body["operationName"] = operation_name
    return {"mode": "graphql", "graphql": body}


DATA = collection(
    request(
        "Get user",
        "{{baseUrl}}/graphql",
        method="POST",
        body=graphql(VARIABLES, "GetUser"),
        responses=[response("ok", 200, {"data": {"user": {"name": "Ann"}}})],
    ),
    request("Plain", "{{baseUrl}}/graphql", method="POST", body=graphql("")),
    name="Gql",
    variable=[
        {"key": "baseUrl", "value": "https://api.example.com"},
        {"key": "userId", "value": "42"},
        {"key": "first", "value": "10"},
        {"key": "apiToken", "value": "tok-secret-value"},
    ],
)

CALLS = """
import json
import httpx
from gql import Client

sent = []
answers = iter([503, 200, 200, 200, 200, 200])

def answer(request):
    sent.append(json.loads(request.content))
    return httpx.Response(next(answers), json={"data": {"user": {"name": "Ann"}}},
                          headers={"Retry-After": "0"})

client = Client(
    http_client=httpx.Client(transport=httpx.MockTransport(answer)),
    api_token="T0K",
    secret_key="SK",
    retry_all_methods=True,
)
client.get_user()  # 503, then retried
client.get_user()
client.get_user(variables={"id": "7"})
client.get_user(variables=None)
client.plain()
print(json.dumps(sent))
"""


def test_the_collections_graphql_variables_are_sent_when_the_call_gives_none(
    build_collection: Builder,
) -> None:
    report, out = build_collection(DATA, package="gql")
    client = (out / "gql" / "client.py").read_text(encoding="utf-8")
    assert "variables: Mapping[str, Any] | NotGiven | None = NOT_GIVEN" in client
    assert "variables: Mapping[str, Any] | None = None" in client  # (Plain: it has none)
    assert "tok-secret-value" not in client and "sk_live_" not in client  # never copied
    assert "Left out, the collection's are sent:" in client  # documented
    assert any("GraphQL variable `secretKey`" in w.message for w in report.diagnostics.warnings)
    result = import_generated(out, "gql", CALLS)
    assert result.returncode == 0, result.stderr[-3000:]
    first, retried, second, own, none, plain = json.loads(result.stdout)
    assert first == retried, "a retry sends the same body, its fresh values included"
    for body in (first, second):
        assert body["query"] == QUERY and body["operationName"] == "GetUser"
        variables = body["variables"]
        assert {k: variables[k] for k in ("id", "first", "token", "secretKey")} == {
            "id": "42",
            "first": 10,
            "token": "T0K",
            "secretKey": "SK",
        }
        assert re.fullmatch("r-" + UUID4, variables["ref"])
        assert isinstance(variables["n"], int) and 0 <= variables["n"] <= 1000
        assert variables["tags"][0] == "a" and re.fullmatch(r"\d{10,}", variables["tags"][1])
    assert first["variables"]["ref"] != second["variables"]["ref"], "a new call, a fresh value"
    assert own == {"query": QUERY, "operationName": "GetUser", "variables": {"id": "7"}}
    assert none == {"query": QUERY, "operationName": "GetUser"}
    assert plain == {"query": QUERY}, "empty variables: Postman sends no `variables` key"


def test_graphql_variables_in_the_ir() -> None:
    diagnostics = Diagnostics()
    api = normalize(LoadedCollection("g.json", "g", DATA, "v2.1"), diagnostics)
    body = api.operations[0].body
    assert body is not None and body.operation_name == "GetUser"
    assert body.variables == {
        "id": "42",
        "first": 10,
        "token": Slot((("var", "apiToken"),)),
        "ref": Slot((("text", "r-"), ("dynamic", "$guid"))),
        "n": Slot((("dynamic", "$randomInt"),), bare=True),
        "tags": ["a", Slot((("dynamic", "$timestamp"),))],
        "secretKey": Slot((("var", "secret_key"),)),
    }
    assert api.operations[1].body is not None and api.operations[1].body.variables is None


def test_graphql_variables_written_as_an_object_or_unparsable() -> None:
    """Some exporters write the variables as the object itself; text that is not JSON sends none,
    with a warning; a variable with no value is named."""
    data = collection(
        request("A", "https://api.test/graphql", method="POST", body=graphql({"id": "{{x}}"})),
        request("B", "https://api.test/graphql", method="POST", body=graphql("{id: 1")),
        request("C", "https://api.test/graphql", method="POST", body=graphql('{"n": {{nope}}}')),
        variable=[{"key": "x", "value": "1"}],
    )
    diagnostics = Diagnostics()
    api = normalize(LoadedCollection("g.json", "g", data, "v2.1"), diagnostics)
    bodies = [op.body for op in api.operations]
    assert [b.variables if b is not None else "-" for b in bodies] == [
        {"id": "1"},
        None,
        {"n": None},
    ]
    messages = [w.message for w in diagnostics.warnings]
    assert any("do not parse as JSON" in m for m in messages)
    assert any("{{nope}}" in m for m in messages)

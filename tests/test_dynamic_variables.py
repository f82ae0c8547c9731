"""Postman's dynamic variables in a fixed header or query value (`Idempotency-Key: {{$guid}}`,
`?ts={{$timestamp}}`) are made fresh for each call, as Postman makes them when it sends: not a
client option that, left unset, drops the header, and, set, sends one key for every request (a
real payments collection had exactly that)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import Builder, collection, import_generated, request, response, run_generated_tests
from zgen.diagnostics import Diagnostics
from zgen.ir import Api
from zgen.load import LoadedCollection
from zgen.normalize import normalize

UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")

DATA = collection(
    request(
        "Create transfer",
        {
            "raw": "https://api.example.com/transfers?ts={{$timestamp}}&n=n-{{$randomInt}}",
            "host": ["api", "example", "com"],
            "path": ["transfers"],
            "query": [
                {"key": "ts", "value": "{{$timestamp}}"},
                {"key": "n", "value": "n-{{$randomInt}}"},
            ],
        },
        method="POST",
        header=[
            {"key": "Idempotency-Key", "value": "{{$guid}}"},
            {"key": "X-Sent-At", "value": "{{$isoTimestamp}}"},
            {"key": "X-Trace", "value": "t-{{$randomUUID}}"},
            {"key": "X-Name", "value": "{{$randomFirstName}}"},  # (no runtime form: an option)
        ],
        responses=[response("created", 201, {"id": "tr_1"})],
    ),
    name="Payments",
)

CALLS = """
import httpx
from payments import Client

sent = []
answers = iter([503, 201, 201])

def answer(request):
    sent.append(request)
    return httpx.Response(next(answers), json={"id": "tr_1"}, headers={"Retry-After": "0"})

client = Client(
    http_client=httpx.Client(transport=httpx.MockTransport(answer)), retry_all_methods=True
)
client.create_transfer()  # 503, then retried: 201
client.create_transfer()
for request in sent:
    print(request.headers["Idempotency-Key"], request.headers["X-Sent-At"],
          request.headers["X-Trace"], request.url.params["ts"], request.url.params["n"],
          request.headers.get("X-Name"))
"""


def test_dynamic_variables_are_made_fresh_for_each_call(build_collection: Builder) -> None:
    _, out = build_collection(DATA, package="payments")
    client = (out / "payments" / "client.py").read_text(encoding="utf-8")
    assert '_base.Fresh("$guid")' in client
    assert "guid" not in client.split("def __init__", 1)[1].split(") -> None", 1)[0]
    assert "random_first_name: str | None = None" in client  # (not one Postman makes: an option)
    result = import_generated(out, "payments", CALLS)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line.split(" ") for line in result.stdout.splitlines()]
    assert len(rows) == 3
    keys = [row[0] for row in rows]
    assert all(UUID4.fullmatch(key) for key in keys)
    assert keys[0] == keys[1] != keys[2], "a retry sends the call's key again; a new call a new one"
    for _, sent_at, trace, ts, number, name in rows:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", sent_at)
        assert trace.startswith("t-") and UUID4.fullmatch(trace[2:])
        assert re.fullmatch(r"\d{10,}", ts)
        assert re.fullmatch(r"n-\d+", number) and 0 <= int(number[2:]) <= 1000
        assert name == "None"


@pytest.mark.parametrize("made", ["intact", '"x"', "str(uuid.uuid1())"])
def test_the_generated_tests_check_the_form_of_a_fresh_value(
    made: str, build_collection: Builder, tmp_path: Path
) -> None:
    _, built = build_collection(DATA, package="payments")
    out = tmp_path / "copy"
    shutil.copytree(built, out)
    base = out / "payments" / "_base.py"
    source = base.read_text(encoding="utf-8")
    last = "        return str(uuid.uuid4())  # $guid, $randomUUID\n"
    assert source.count(last) == 1
    if made != "intact":
        base.write_text(source.replace(last, f"        return {made}\n"), encoding="utf-8")
    result = run_generated_tests(out, "-p", "no:randomly", "payments/tests")
    if made == "intact":
        assert result.returncode == 0, result.stdout[-3000:]
    else:
        assert result.returncode == 1 and "header 'Idempotency-Key'" in result.stdout, made


def _mock_template_api() -> Api:
    """A mock server's example (Postman fills dynamic variables in a saved body when it answers)
    and a request body with bare dynamic variables: the body did not parse (the result was `str`)
    and the bare values were `Any`."""
    saved = {
        "name": "ok",
        "code": 201,
        "status": "Created",
        "header": [{"key": "Content-Type", "value": "application/json"}],
        "body": '{"id": {{$randomInt}}, "ref": "{{$guid}}", "at": "{{$isoTimestamp}}",'
        ' "email": "{{$randomEmail}}", "note": "x {{$guid}}", "path_id": {{$pathSegments \'2\'}},'
        ' "noun": {{$randomBsNoun}}, "user": {{userId}}, "price": {{$randomPrice}}}',
    }
    body = '{"count": {{$randomInt}}, "ts": {{$timestamp}}, "email": "{{$randomEmail}}"}'
    data = collection(
        request(
            "Create",
            "https://api.example.com/things",
            method="POST",
            header=[{"key": "Content-Type", "value": "application/json"}],
            body={"mode": "raw", "raw": body},
            responses=[saved],
        ),
        name="Mock",
    )
    return normalize(LoadedCollection("m.json", "m", data, "v2.1"), Diagnostics())


def test_dynamic_variables_in_a_saved_body_stand_for_samples_of_their_type() -> None:
    example = _mock_template_api().operations[0].examples[0]
    assert example.kind == "json"
    assert example.parsed == {
        "id": 42,
        "ref": "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
        "at": "2024-01-01T00:00:00.000Z",
        "email": "{{$randomEmail}}",  # (no form to sample: kept as written)
        "note": "x {{$guid}}",
        # written bare where a value goes, with no knowable type (GoFundMe Pro's mock examples):
        # null, so the rest of the body is typed; the whole body was text and the result `str`
        "path_id": None,
        "noun": None,
        "user": None,
        "price": 42.5,
    }


def test_a_bare_dynamic_variable_in_a_request_body_has_its_type_and_no_fixed_default() -> None:
    body = _mock_template_api().operations[0].body
    assert body is not None
    assert body.example == {"count": 42, "ts": 1700000000, "email": ""}
    assert body.untyped == () and body.defaults == ()


def test_a_dynamic_variable_in_a_path_is_made_fresh_unless_the_call_passes_it() -> None:
    """`/users/{{$randomUUID}}/items`: Postman sends a fresh value; the call had to pass one."""
    data = collection(request("Items", "https://api.example.com/users/{{$randomUUID}}/items"))
    api = normalize(LoadedCollection("p.json", "p", data, "v2.1"), Diagnostics())
    (param,) = api.operations[0].params
    assert (param.key, param.required, param.default) == ("$randomUUID", False, None)
    assert param.description == "Left out (None), a fresh `{{$randomUUID}}`, as Postman sends it."
    assert ("dynamic", "$randomUUID") in api.operations[0].path


BODIES = collection(
    request(
        "Create order",
        "https://api.example.com/orders/{{$randomUUID}}/items",
        method="POST",
        header=[{"key": "Content-Type", "value": "application/json"}],
        body={
            "mode": "raw",
            "raw": '{"ref": "order-{{$guid}}", "id": "{{$guid}}", "count": {{$randomInt}},'
            ' "at": "{{$isoTimestamp}}", "meta": {"ts": "{{$timestamp}}"}, "name": "x"}',
            "options": {"raw": {"language": "json"}},
        },
        responses=[response("created", 201, {"ok": True})],
    ),
    request(
        "Send form",
        "https://api.example.com/form",
        method="POST",
        body={
            "mode": "urlencoded",
            "urlencoded": [
                {"key": "nonce", "value": "{{$guid}}"},
                {"key": "ts", "value": "t{{$timestamp}}"},
                {"key": "a", "value": "b"},
            ],
        },
        responses=[response("ok", 200, {"ok": True})],
    ),
    name="Shop",
)

BODY_CALLS = """
import json
import httpx
from shop import Client

sent = []
answers = iter([503, 201, 201, 201, 503, 200, 200])

def answer(request):
    sent.append(request)
    return httpx.Response(next(answers), json={"ok": True}, headers={"Retry-After": "0"})

client = Client(
    http_client=httpx.Client(transport=httpx.MockTransport(answer)), retry_all_methods=True
)
client.create_order(body={"name": "y"})  # 503, then retried
client.create_order(body={"name": "y"})
client.create_order(body={"ref": "mine", "count": 3, "meta": {}}, random_uuid="u-1")
client.send_form(form={"a": "c"})  # 503, then retried
client.send_form(form={"a": "c", "nonce": "n"})
for request in sent:
    body = request.content.decode()
    print(json.dumps([request.url.path, json.loads(body) if body.startswith("{") else body]))
"""


def test_dynamic_variables_in_bodies_and_paths_are_made_fresh_for_each_call(
    build_collection: Builder,
) -> None:
    """A JSON body string (whole or in part), a bare JSON value, a form field and a path segment
    holding a dynamic variable: Postman sends a fresh value; the client sent "" (or the number 42's
    type with no value, or the field left out) and required the path segment. A retry sends the
    same value; what the call sets wins."""
    _, out = build_collection(BODIES, package="shop")
    result = import_generated(out, "shop", BODY_CALLS)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    (p1, b1), (p1r, b1r), (p2, b2), (p3, b3), (_, b4), (p5, b5), (_, b6) = rows
    assert (p1, b1) == (p1r, b1r), "a retry sends the same path and body"
    uuid = UUID4.pattern
    for path, body in ((p1, b1), (p2, b2)):
        assert re.fullmatch(f"/orders/{uuid}/items", path)
        assert re.fullmatch(f"order-{uuid}", body["ref"]) and UUID4.fullmatch(body["id"])
        assert isinstance(body["count"], int) and 0 <= body["count"] <= 1000
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["at"])
        assert re.fullmatch(r"\d{10,}", body["meta"]["ts"]) and body["name"] == "y"
    assert p1 != p2 and b1["id"] != b2["id"], "a new call, new values"
    assert p3 == "/orders/u-1/items"
    assert b3["ref"] == "mine" and b3["count"] == 3 and b3["meta"]["ts"]  # (the call's own win)
    assert b4 == b5 and p5 == "/form"
    form = dict(pair.split("=") for pair in b4.split("&"))
    assert UUID4.fullmatch(form["nonce"]) and re.fullmatch(r"t\d{10,}", form["ts"])
    assert form["a"] == "c"
    assert dict(pair.split("=") for pair in b6.split("&"))["nonce"] == "n"

"""normalize with a NormalizeMemo gives what normalize gives without one (the Api and the
warnings, in order), whatever changed since the memo's call; and the memo reads back what it
wrote, or nothing."""

from __future__ import annotations

import copy
import json
import marshal
from collections.abc import Callable
from typing import Any

import pytest
from conftest import collection, request, response
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zgen import normalize as normalize_module
from zgen.diagnostics import Diagnostics, Warning, ZgenError
from zgen.environment import EnvironmentValues
from zgen.ir import Api
from zgen.load import LoadedCollection
from zgen.normalize import MEMO_FORMAT, NormalizeMemo, normalize

Result = tuple[Api, list[Warning]]


def run(
    data: dict[str, Any],
    memo: NormalizeMemo | None = None,
    environment: EnvironmentValues | None = None,
) -> Result:
    diagnostics = Diagnostics()
    loaded = LoadedCollection("api.json", "api", data, "v2.1")
    api = normalize(loaded, diagnostics, environment=environment, memo=memo)
    return api, diagnostics.warnings


def bearer(token: str) -> dict[str, Any]:
    return {"type": "bearer", "bearer": [{"key": "token", "value": token}]}


def base() -> dict[str, Any]:
    """Folders with and without auth, host variables, a credential, body variables, and requests
    that warn (a saved response without a status, one whose JSON does not parse)."""
    no_status = response("odd", 200, {"ok": True})
    del no_status["code"]
    broken = response("broken", 500, "{not json")
    return collection(
        {
            "name": "Users",
            "auth": bearer("{{token}}"),
            "item": [
                request(
                    "List users",
                    "{{host}}/users?page=1",
                    responses=[response("ok", 200, {"users": [{"id": 1, "name": "a"}]})],
                ),
                request(
                    "Get user",
                    "{{host}}/users/:id",
                    header=[{"key": "X-Org", "value": "{{org}}"}],
                    responses=[
                        response("ok", 200, {"id": 1, "name": "a"}),
                        response("missing", 404, {"error": "no such user"}),
                        no_status,
                    ],
                ),
            ],
        },
        {
            "name": "Orders",
            "item": [
                request(
                    "Create order",
                    "{{other}}/orders",
                    method="POST",
                    body={
                        "mode": "raw",
                        "raw": '{"item": "{{item_id}}", "n": {{count}}, "key": "{{api_key}}"}',
                        "options": {"raw": {"language": "json"}},
                    },
                    responses=[response("created", 201, {"id": "o1"}), broken],
                )
            ],
        },
        request(
            "Ping",
            "https://api.example.test/ping",
            header=[{"key": "X-Sid", "value": "{{sid}}"}],
            responses=[response("ok", 200, "pong", "text/plain")],
        ),
        variable=[
            {"key": "host", "value": "https://api.example.test/v1"},
            {"key": "other", "value": "https://orders.example.test"},
            {"key": "org", "value": "acme"},
            {"key": "count", "value": "3"},
            {"key": "item_id", "value": "x1"},
        ],
    )


def assert_same_with_memo(
    before: dict[str, Any],
    after: dict[str, Any],
    env_before: EnvironmentValues | None = None,
    env_after: EnvironmentValues | None = None,
) -> None:
    """A memo of `before`, used on `after` (as kept in memory and as read back from its bytes),
    gives what `after` gives without a memo."""
    memo = NormalizeMemo()
    assert run(before, memo, env_before) == run(before, None, env_before)
    stored = memo.to_bytes()
    expected = run(after, None, env_after)
    assert run(after, memo, env_after) == expected
    assert run(after, NormalizeMemo.from_bytes(stored), env_after) == expected


def edit_response(data: dict[str, Any]) -> None:
    data["item"][0]["item"][1]["response"][0]["body"] = json.dumps({"id": 2, "name": "b", "x": []})


def add_request(data: dict[str, Any]) -> None:
    data["item"][0]["item"].insert(
        1,
        request(
            "Token",
            "{{auth_server}}/oauth/token",
            method="POST",
            header=[{"key": "X-Tenant", "value": "{{tenant}}"}],
            responses=[response("ok", 200, {"access_token": "abc", "expires_in": 3600})],
        ),
    )


def remove_request(data: dict[str, Any]) -> None:
    del data["item"][0]["item"][0]


def move_request(data: dict[str, Any]) -> None:
    moved = data["item"][0]["item"].pop(1)
    data["item"][1]["item"].append(moved)


def move_to_front(data: dict[str, Any]) -> None:
    data["item"].insert(0, data["item"].pop())


def folder_auth_kind(data: dict[str, Any]) -> None:
    # The same credential variable: the state the requests start from does not change, only the
    # auth they inherit.
    data["item"][0]["auth"] = {
        "type": "apikey",
        "apikey": [{"key": "key", "value": "X-Key"}, {"key": "value", "value": "{{token}}"}],
    }


def folder_auth_literal(data: dict[str, Any]) -> None:
    data["item"][0]["auth"] = bearer("literal-token-123")


def variable_value(data: dict[str, Any]) -> None:
    data["variable"][2]["value"] = "globex"
    data["variable"][3]["value"] = "not json"


def variable_secret(data: dict[str, Any]) -> None:
    data["variable"][2]["type"] = "secret"


def literal_secret(data: dict[str, Any]) -> None:
    data["item"][0]["item"][1]["request"]["header"].append(
        {"key": "Authorization", "value": "Bearer abc.def.ghi"}
    )


def new_host_variable(data: dict[str, Any]) -> None:
    data["item"][2]["request"]["url"] = "{{status_host}}/ping"


def folder_renamed(data: dict[str, Any]) -> None:
    data["item"][1]["name"] = "Purchases"


def later_folder_makes_a_credential(data: dict[str, Any]) -> None:
    # Orders' auth makes `sid` a credential before Ping (after Orders) uses it as an option; the
    # requests Ping starts from differ only in that client-level value.
    data["item"][1]["auth"] = bearer("{{sid}}")


def later_host_variable(data: dict[str, Any]) -> None:
    # `api_key` becomes a host (every request sees the hosts of the whole collection): the body
    # of Create order, before it, fills it in as a value, no longer as a credential.
    data["item"].append(request("Status", "{{api_key}}/status"))


def reorder_keys(data: dict[str, Any]) -> None:
    item = data["item"][0]["item"][1]
    data["item"][0]["item"][1] = dict(reversed(item.items()))


VARIANTS: dict[str, Callable[[dict[str, Any]], None]] = {
    "unchanged": lambda data: None,
    "response edited": edit_response,
    "request added": add_request,
    "request removed": remove_request,
    "request moved": move_request,
    "request moved to the front": move_to_front,
    "folder auth kind changed": folder_auth_kind,
    "folder auth literal": folder_auth_literal,
    "collection variable changed": variable_value,
    "collection variable marked secret": variable_secret,
    "literal secret added": literal_secret,
    "new host variable": new_host_variable,
    "item keys reordered": reorder_keys,
    "folder renamed": folder_renamed,
    "later folder makes a credential": later_folder_makes_a_credential,
    "later host variable": later_host_variable,
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_memo_of_a_collection_used_on_a_variant(variant: str) -> None:
    after = base()
    VARIANTS[variant](after)
    assert_same_with_memo(base(), after)
    assert_same_with_memo(after, base())


@pytest.mark.parametrize(
    "env_before, env_after",
    [
        (None, {"org": ("initech", False)}),
        ({"org": ("initech", False)}, {"org": ("umbrella", False)}),
        ({"org": ("initech", False)}, {"org": ("initech", True)}),
        ({"host": ("https://staging.test", False)}, None),
    ],
)
def test_memo_with_a_changed_environment(
    env_before: EnvironmentValues | None, env_after: EnvironmentValues | None
) -> None:
    assert_same_with_memo(base(), base(), env_before, env_after)


def counting_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The places of the requests normalize reads (not answered from a memo)."""
    read: list[str] = []
    original = normalize_module.read_request

    def counted(*args: Any) -> Any:
        read.append(args[-1])
        return original(*args)

    monkeypatch.setattr(normalize_module, "read_request", counted)
    return read


def test_only_changed_requests_are_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    memo = NormalizeMemo()
    run(base(), memo)
    read = counting_reads(monkeypatch)
    run(base(), memo)
    assert read == []
    edited = base()
    edit_response(edited)
    assert run(edited, memo) == run(edited)  # the second call reads everything (no memo)
    assert read[:1] == ["Users / Get user"] and len(read) == 1 + 4
    read.clear()
    run(edited, NormalizeMemo.from_bytes(memo.to_bytes()))
    assert read == []


def test_a_new_credential_upstream_misses_the_requests_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    memo = NormalizeMemo()
    run(base(), memo)
    changed = base()
    literal_secret(changed)  # in Users / Get user: a credential every later request starts with
    read = counting_reads(monkeypatch)
    run(changed, memo)
    assert read == ["Users / Get user", "Orders / Create order", "Ping"]


def test_requests_added_or_removed_upstream_keep_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    memo = NormalizeMemo()
    run(base(), memo)
    smaller = base()
    remove_request(smaller)  # Get user now creates `host`; the requests after it start as before
    read = counting_reads(monkeypatch)
    assert run(smaller, memo) == run(smaller)
    assert read[:1] == ["Users / Get user"] and len(read) == 1 + 3
    read.clear()
    memo = NormalizeMemo()
    run(base(), memo)
    larger = base()
    larger["item"].insert(0, request("First", "{{host}}/first"))
    read.clear()
    assert run(larger, memo) == run(larger)
    # List users now finds `host` made (by First): the others start from what they started from
    assert read[:2] == ["First", "Users / List users"] and len(read) == 2 + 5


def test_a_host_first_seen_later_is_counted_as_new() -> None:
    # `alt` is made by an option (a header) before Last uses it as its host: the client-level
    # values Last starts from are the same with or without First, only the hosts counted differ.
    # (A record of Last made with First would not add `alt` to the hosts in order.)
    with_first = collection(
        request("First", "{{alt}}/a"),
        request("Header", "https://x.test/h", header=[{"key": "X-Alt", "value": "{{alt}}"}]),
        request("Last", "{{alt}}/b"),
        request("Again", "{{alt}}/c"),  # `alt` the base URL: the most used host
        variable=[{"key": "alt", "value": "https://alt.test"}],
    )
    without_first = copy.deepcopy(with_first)
    del without_first["item"][0]
    assert_same_with_memo(with_first, without_first)
    assert_same_with_memo(without_first, with_first)


def test_memo_holds_only_the_last_calls_records() -> None:
    memo = NormalizeMemo()
    run(base(), memo)
    assert len(memo.records) == 4
    smaller = base()
    edit_response(smaller)
    remove_request(smaller)
    run(smaller, memo)
    assert len(memo.records) == 3
    run(collection(request("Only", "https://x.test/only")), memo)
    assert len(memo.records) == 1


def test_bytes_round_trip() -> None:
    memo = NormalizeMemo()
    run(base(), memo)
    again = NormalizeMemo.from_bytes(memo.to_bytes())
    assert again.records == memo.records
    # (marshal's bytes depend on which objects are shared, so the values are compared, not bytes)
    assert NormalizeMemo.from_bytes(again.to_bytes()).records == memo.records


def memo_bytes(*entries: Any) -> bytes:
    """A memo file's bytes: each (key, operation, delta, warnings) record marshalled on its own
    (see NormalizeMemo.to_bytes)."""
    blobs = tuple((key, marshal.dumps(tuple(record))) for key, *record in entries)
    return marshal.dumps((MEMO_FORMAT, blobs))


def test_the_bytes_of_reused_records_are_written_back_as_read() -> None:
    """The fast path of to_bytes (a record read from the last bytes is written back as it was
    read) gives what making every record's bytes again gives."""
    memo = NormalizeMemo()
    run(base(), memo)
    read = NormalizeMemo.from_bytes(memo.to_bytes())
    before = set(read.blobs.values())
    edited = base()
    edited["item"][2]["request"]["description"] = "edited"
    run(edited, read)
    fast = read.to_bytes()
    kept = before & {blob for _, blob in marshal.loads(fast)[1]}
    assert len(kept) == len(read.records) - 1 > 0  # every record but the edited one's
    slow = NormalizeMemo()
    slow.records = read.records
    assert (
        NormalizeMemo.from_bytes(fast).records == NormalizeMemo.from_bytes(slow.to_bytes()).records
    )
    assert NormalizeMemo.from_bytes(fast).records == run_memo(edited).records


def run_memo(data: dict[str, Any]) -> NormalizeMemo:
    memo = NormalizeMemo()
    run(data, memo)
    return memo


def test_unreadable_bytes_give_an_empty_memo() -> None:
    memo = NormalizeMemo()
    run(base(), memo)
    good = memo.to_bytes()
    (key, blob), *rest = marshal.loads(good)[1]
    op, delta, warned = marshal.loads(blob)
    bad_op = list(op)
    bad_op[12] = ((*op[12][0][:7], {1, 2}),)  # a set where a parsed body goes
    bad_keys = [list(op) for _ in range(3)]
    for bad, parsed in zip(
        bad_keys, [{1: "x"}, [{"a": {(1,): 2}}], {"a": [{None: 1}]}], strict=True
    ):
        bad[12] = ((*op[12][0][:7], parsed),)  # a key that is not a str, at any depth
    wrong = [
        b"",
        b"garbage",
        good[: len(good) // 2],
        good[:-1],
        marshal.dumps(("another-format", ())),
        marshal.dumps((MEMO_FORMAT, [])),
        memo_bytes(("key", op, delta, warned)),
        memo_bytes((key, op[:-1], delta, warned)),
        memo_bytes((key, tuple(bad_op), delta, warned)),
        *(memo_bytes((key, tuple(bad), delta, warned)) for bad in bad_keys),
        memo_bytes((key, op, delta, ((1, 2, 3, 4, 5),))),
        memo_bytes((key, op, (((), (("h", True),), (), (), ())), warned)),
        marshal.dumps((MEMO_FORMAT, ((key, (op, delta, warned)),))),  # a record not as bytes
        marshal.dumps((MEMO_FORMAT, ((key, blob[:-1]),))),  # a record's bytes truncated
        marshal.dumps((MEMO_FORMAT, ((key, b"garbage"),))),
        marshal.dumps((MEMO_FORMAT, ((key, marshal.dumps((op, delta))),))),
        marshal.dumps((MEMO_FORMAT, ((key, marshal.dumps(compile("1", "x", "eval"))),))),
        marshal.dumps({"records": 1}),
        marshal.dumps(compile("1", "x", "eval")),
    ]
    for data in wrong:
        assert NormalizeMemo.from_bytes(data).records == {}, data[:40]
    # (the control: a record of the right form)
    assert len(NormalizeMemo.from_bytes(memo_bytes((key, op, delta, warned))).records) == 1
    assert len(NormalizeMemo.from_bytes(good).records) == 1 + len(rest)


def test_values_marshal_cannot_write_are_read_without_memo() -> None:
    data = base()
    deep: Any = "leaf"
    for _ in range(3000):
        deep = [deep]
    data["item"][2]["request"]["description"] = {"content": "x", "nested": deep}
    memo = NormalizeMemo()
    assert run(data, memo) == run(data)
    assert len(memo.records) == 3
    assert run(data, NormalizeMemo.from_bytes(memo.to_bytes())) == run(data)


def test_an_error_is_raised_again_not_remembered() -> None:
    data = base()
    data["item"][2]["request"]["method"] = "NOT A METHOD"
    memo = NormalizeMemo()
    for _ in range(2):
        with pytest.raises(ZgenError, match="invalid HTTP method"):
            run(data, memo)


# ---------------------------------------------------------------- property

NAMES = st.sampled_from(["a", "b", "Users", "List", ""])
HOSTS = st.sampled_from(
    ["{{host}}", "{{alt}}", "https://api.example.test", "{{host}}/v2", "", "{{token}}"]
)
HEADER_KEYS = st.sampled_from(["X-Org", "Authorization", "X-Api-Key", "Accept", "Cookie"])
VALUES = st.sampled_from(
    ["{{org}}", "{{token}}", "Bearer {{token}}", "literal-secret-123", "plain", "", "{{alt}}"]
)
VAR_KEYS = st.sampled_from(["host", "alt", "org", "token", "api_key", "count"])
AUTHS = st.sampled_from(
    [
        None,
        bearer("{{token}}"),
        bearer("hardcoded"),
        {"type": "noauth"},
        {"type": "basic", "basic": [{"key": "username", "value": "{{org}}"}]},
        {"type": "hawk", "hawk": [{"key": "authKey", "value": "k3y"}]},
        "not an auth",
    ]
)
BODIES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from(["x", "token", "{{org}}"]),
    lambda inner: st.lists(inner, max_size=2)
    | st.dictionaries(st.sampled_from(["id", "token", "name"]), inner, max_size=2),
    max_leaves=5,
)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "header": [
            {"key": k, "value": v}
            for k, v in draw(st.lists(st.tuples(HEADER_KEYS, VALUES), max_size=2))
        ]
    }
    auth = draw(AUTHS)
    if auth is not None:
        fields["auth"] = auth
    if draw(st.booleans()):
        fields["body"] = {
            "mode": "raw",
            "raw": draw(st.sampled_from(['{"a": {{count}}}', '{"t": "{{token}}"}', "{bad", "x"])),
        }
    path = draw(st.sampled_from(["/items", "/items/:id", "/{{org}}/x", "?api_key=abc&page=1", ""]))
    responses = [
        response(draw(NAMES), draw(st.sampled_from([200, 404])), draw(BODIES))
        for _ in range(draw(st.integers(0, 2)))
    ]
    return request(
        draw(NAMES), draw(HOSTS) + path, method=draw(st.sampled_from(["GET", "POST"])),
        responses=responses, **fields,
    )  # fmt: skip


@st.composite
def collections(draw: st.DrawFn) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(0, 2))):
        folder: dict[str, Any] = {
            "name": draw(NAMES),
            "item": draw(st.lists(requests(), max_size=3)),
        }
        auth = draw(AUTHS)
        if auth is not None:
            folder["auth"] = auth
        items.append(folder)
    items.extend(draw(st.lists(requests(), max_size=3)))
    variables = [
        {"key": k, "value": v}
        for k, v in draw(st.lists(st.tuples(VAR_KEYS, st.sampled_from(["1", "x", "https://h.test", ""])), max_size=4))
    ]  # fmt: skip
    return collection(*items, variable=variables, auth=draw(AUTHS))


def requests_of(items: list[Any]) -> list[dict[str, Any]]:
    found = []
    for item in items:
        if "item" in item:
            found.extend(requests_of(item["item"]))
        else:
            found.append(item)
    return found


@st.composite
def variants(draw: st.DrawFn, data: dict[str, Any]) -> dict[str, Any]:
    """`data` changed a few of the ways a collection changes between builds."""
    changed = copy.deepcopy(data)
    for _ in range(draw(st.integers(1, 3))):
        found = requests_of(changed["item"])
        how = draw(st.sampled_from(["response", "remove", "add", "move", "variable", "auth"]))
        if how == "response" and found:
            item = draw(st.sampled_from(found))
            item["response"] = [response("new", 200, draw(BODIES))]
        elif how == "remove" and changed["item"]:
            del changed["item"][draw(st.integers(0, len(changed["item"]) - 1))]
        elif how == "add":
            changed["item"].insert(draw(st.integers(0, len(changed["item"]))), draw(requests()))
        elif how == "move" and changed["item"]:
            moved = changed["item"].pop(draw(st.integers(0, len(changed["item"]) - 1)))
            changed["item"].insert(draw(st.integers(0, len(changed["item"]))), moved)
        elif how == "variable":
            changed["variable"].append({"key": draw(VAR_KEYS), "value": draw(VALUES)})
        elif how == "auth":
            changed["auth"] = draw(AUTHS)
    return changed


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_memo_property(data: st.DataObject) -> None:
    before = data.draw(collections())
    after = data.draw(variants(before))
    assert_same_with_memo(before, after)
    assert_same_with_memo(before, before)


@pytest.mark.parametrize(
    "body",
    [
        {
            "mode": "raw",
            "raw": json.dumps({"user": "ada", "password": "Sekr3tPw"}),
            "options": {"raw": {"language": "json"}},
        },
        {"mode": "raw", "raw": "grant_type=password&password=Sekr3tPw"},
    ],
)
def test_a_request_whose_body_holds_a_credential_is_not_remembered(body: dict[str, Any]) -> None:
    """The IR keeps the body the collection shows (the output redacts it): the memo, written to
    the build cache, must not, so that request is read again on every build."""
    data = collection(
        request("Login", "https://api.example.test/login", method="POST", body=body),
        request("Ping", "https://api.example.test/ping"),
    )
    memo = NormalizeMemo()
    first = run(data, memo)
    assert len(memo.records) == 1  # Ping only
    kept = memo.to_bytes()
    assert b"Sekr3tPw" not in kept
    again = NormalizeMemo.from_bytes(kept)
    assert run(data, again) == first

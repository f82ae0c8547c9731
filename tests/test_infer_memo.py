"""The inference memo (issue 14): a rebuild replays the records an earlier build left for the
requests whose inputs did not change, and gets what inferring every request gets: the same
Inferred value and the same warnings in the same order, whatever changed between the builds."""

from __future__ import annotations

import dataclasses
import functools
import gc
import marshal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zgen.diagnostics import Diagnostics, Warning
from zgen.infer import (
    ANY,
    MAX_BODY_DEPTH,
    MEMO_FORMAT,
    NULL,
    InferMemo,
    Inferred,
    Overrides,
    TypeRef,
    infer,
)
from zgen.ir import Api, Body, Example, ExampleKind, Operation
from zgen.load import load
from zgen.normalize import normalize

CORPUS = Path(__file__).parent / "corpus"
# Collections with many shapes shared between requests, circular references, and warnings.
FILES = ["user_api_v2_issue175.json", "postman_api.json", "twitter_api_v2.json"]


def corpus_api(name: str) -> Api:
    diagnostics = Diagnostics()
    return normalize(load(CORPUS / name, diagnostics), diagnostics)


def run(
    api: Api,
    memo: InferMemo | None = None,
    overrides: Overrides | None = None,
    policy: str = "seen",
) -> tuple[Inferred, list[Warning]]:
    diagnostics = Diagnostics()
    inferred = infer(api, diagnostics, overrides, policy, memo)
    return inferred, diagnostics.warnings


def records_of(api: Api, overrides: Overrides | None = None, policy: str = "seen") -> InferMemo:
    memo = InferMemo()
    run(api, memo, overrides, policy)
    return memo


def with_new_key(api: Api) -> Api:
    """`api` with one saved response given a new nested key (the first JSON object body)."""
    for index, op in enumerate(api.operations):
        for position, example in enumerate(op.examples):
            if example.kind == "json" and isinstance(example.parsed, dict):
                parsed = {**example.parsed, "zz_new": {"inner": [{"id": 1}], "at": None}}
                examples = list(op.examples)
                examples[position] = dataclasses.replace(example, parsed=parsed)
                ops = list(api.operations)
                ops[index] = dataclasses.replace(op, examples=tuple(examples))
                return dataclasses.replace(api, operations=tuple(ops))
    raise AssertionError("no JSON object body")


def with_request_added(api: Api) -> Api:
    first = api.operations[0]
    added = dataclasses.replace(first, name="Added", place=f"{first.place} (added)")
    ops = list(api.operations)
    ops.insert(len(ops) // 2, added)
    return dataclasses.replace(api, operations=tuple(ops))


def with_request_removed(api: Api) -> Api:
    ops = list(api.operations)
    del ops[len(ops) // 3]
    return dataclasses.replace(api, operations=tuple(ops))


def reordered(api: Api) -> Api:
    return dataclasses.replace(api, operations=api.operations[::-1])


def with_folder_renamed(api: Api) -> Api:
    """Every request of the first request's top folder moved to a folder of another name."""
    top = next(op.folders[0] for op in api.operations if op.folders)
    ops = []
    for op in api.operations:
        if op.folders and op.folders[0] == top:
            folders = ("Renamed", *op.folders[1:])
            op = dataclasses.replace(op, folders=folders, place=" / ".join((*folders, op.name)))
        ops.append(op)
    return dataclasses.replace(api, operations=tuple(ops))


EDITS = [with_new_key, with_request_added, with_request_removed, reordered, with_folder_renamed]


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("policy", ["seen", "all"])
def test_a_memo_of_the_same_collection_replays_every_request(name: str, policy: str) -> None:
    api = corpus_api(name)
    memo = records_of(api, policy=policy)
    records = dict(memo.records)
    assert run(api, memo, policy=policy) == run(api, policy=policy)
    # Nothing was inferred again: every record is the one the first build made.
    assert memo.records.keys() == records.keys()
    assert all(memo.records[key] is records[key] for key in records)


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("edit", EDITS, ids=lambda edit: edit.__name__)
def test_a_memo_of_an_earlier_collection_gives_what_inferring_gives(name: str, edit: Any) -> None:
    before = corpus_api(name)
    after = edit(before)
    memo = InferMemo.from_bytes(records_of(before).to_bytes())
    assert run(after, memo) == run(after)
    # Afterwards the memo holds this call's requests only, as a memo made from scratch would.
    assert memo.records == records_of(after).records


def test_a_changed_body_is_inferred_again_and_the_others_replayed() -> None:
    before = corpus_api("postman_api.json")
    after = with_new_key(before)
    memo = records_of(before)
    old = dict(memo.records)
    got, _ = run(after, memo)
    assert any("zz_new" in order for shape in got.shapes for order in shape.orders)
    fresh = [key for key in memo.records if key not in old]
    assert len(fresh) == 1  # the changed request's record
    assert all(memo.records[key] is old[key] for key in memo.records if key in old)


def test_a_memo_holds_only_the_last_calls_requests() -> None:
    api = corpus_api("postman_api.json")
    memo = records_of(api)
    assert len(memo) == len(records_of(api).records) > 1
    smaller = dataclasses.replace(api, operations=api.operations[:3])
    run(smaller, memo)
    assert memo.records == records_of(smaller).records
    assert len(memo) <= 3
    run(dataclasses.replace(api, operations=()), memo)
    assert len(memo) == 0


def test_overrides_and_policy_are_inputs_of_a_record() -> None:
    api = corpus_api("postman_api.json")
    place = next(op.place for op in api.operations if any(e.kind == "json" for e in op.examples))
    overrides = Overrides(types={(place, "response", "$"): ("dict",)})
    memo = records_of(api)
    for wanted, policy in [(overrides, "seen"), (None, "all"), (overrides, "all"), (None, "seen")]:
        assert run(api, memo, wanted, policy) == run(api, None, wanted, policy)


# --- persistence ---------------------------------------------------------------------------


def test_to_bytes_and_from_bytes_round_trip() -> None:
    memo = records_of(corpus_api("user_api_v2_issue175.json"))
    data = memo.to_bytes()
    again = InferMemo.from_bytes(data)
    assert len(again) == len(memo) > 0
    assert again.records == memo.records
    assert InferMemo.from_bytes(again.to_bytes()).records == memo.records


def test_the_bytes_of_reused_records_are_written_back_as_read() -> None:
    """The fast path of to_bytes (a record read from the last bytes is written back as it was
    read) gives what marshalling every record again gives."""
    api = corpus_api("user_api_v2_issue175.json")
    read = InferMemo.from_bytes(records_of(api).to_bytes())
    before = set(read.blobs.values())
    edited = with_new_key(api)
    run(edited, read)
    fast = read.to_bytes()
    kept = before & set(marshal.loads(fast)[1].values())
    assert 0 < len(kept) < len(read.records)  # the records of the unchanged requests
    assert (
        InferMemo.from_bytes(fast).records
        == InferMemo.from_bytes(InferMemo(read.records).to_bytes()).records
    )
    assert InferMemo.from_bytes(fast).records == records_of(edited).records


def valid_bytes() -> bytes:
    return records_of(corpus_api("postman_api.json")).to_bytes()


@functools.cache
def a_record() -> tuple[Any, ...]:
    memo = records_of(corpus_api("postman_api.json"))
    return next(record for record in memo.records.values() if record[0])


def replaced(record: tuple[Any, ...], position: int, value: Any) -> tuple[Any, ...]:
    return (*record[:position], value, *record[position + 1 :])


def broken_records() -> list[Any]:
    """Records of the right overall form with one part wrong."""
    record = a_record()
    adds = record[0]
    role, path, order, row, linked = adds[-1]
    last = len(adds) - 1

    def with_last_add(add: tuple[Any, ...]) -> tuple[Any, ...]:
        return replaced(record, 0, (*adds[:-1], add))

    def with_field_type(ref: Any) -> tuple[Any, ...]:
        key, _, required, default = row[0]
        return with_last_add((role, path, order, ((key, ref, required, default), *row[1:]), linked))

    return [
        record[:5],
        list(record),
        replaced(record, 1, -1),
        replaced(record, 1, "3"),
        with_last_add((role, path, order, row)),
        with_last_add(("reply", path, order, row, linked)),
        with_last_add((role, list(path), order, row, linked)),
        with_last_add((role, path, order, row, 1)),
        with_last_add((role, path, order, row, list(linked))),
        with_field_type(("model", last)),  # a shape refers to itself or a later one
        with_field_type(("model", -1)),
        with_field_type(("recursive", record[1])),  # a token the record never used
        with_field_type(("list", ["str"])),  # unhashable
        with_field_type(("list",)),
        with_field_type(("strr",)),
        with_field_type(None),
        # A row whose positions of the types with ids are not those given.
        with_last_add((role, path, order, ((row[0][0], ("model", 0), True, ()),), ())),
        with_last_add((role, path, order, ((row[0][0], ("str",), True, ()),), (0,))),
        with_last_add((role, path, order, ((row[0][0], ("str",), 1, ()),), ())),
        with_last_add((role, path, order, ((row[0][0], ("str",), True, ([],)),), ())),
        with_last_add((role, path, order, ((row[0][0], ("str",), True, (1, 2)),), ())),
        replaced(record, 2, ((0, len(adds)),)),
        replaced(record, 2, ((record[1], 0),)),
        replaced(record, 3, (("place", 1),)),
        replaced(record, 4, (("a", "b"),)),
        replaced(record, 4, (("a", "body", "$"),)),
        replaced(record, 5, (None, ("json",), None)),
        replaced(record, 5, (("model", len(adds)), ("json",), None, None)),
        replaced(record, 5, (None, ("jsonish",), None, None)),
        replaced(record, 5, (None, (["json"],), None, None)),
    ]


def test_a_record_of_the_right_form_is_kept() -> None:
    """The control of the test below: the record it breaks, and one like those it makes."""
    record = a_record()
    role, path, order, row, _ = record[0][-1]
    simple = ((row[0][0], ("str",), True, ("x",)),)
    other = replaced(record, 0, (*record[0][:-1], (role, path, order, simple, ())))
    assert len(InferMemo.from_bytes(memo_bytes({b"d" * 20: record, b"e" * 20: other}))) == 2


def memo_bytes(records: dict[Any, Any]) -> bytes:
    """A memo file's bytes: each record marshalled on its own (see InferMemo.to_bytes)."""
    return marshal.dumps((MEMO_FORMAT, {key: marshal.dumps(r) for key, r in records.items()}))


@pytest.mark.parametrize("index", range(len(broken_records())))
def test_a_record_of_the_wrong_form_gives_an_empty_memo(index: int) -> None:
    record = broken_records()[index]
    data = memo_bytes({b"d" * 20: a_record(), b"e" * 20: record})
    assert len(InferMemo.from_bytes(data)) == 0


def test_anything_else_gives_an_empty_memo() -> None:
    data = valid_bytes()
    assert len(InferMemo.from_bytes(data)) > 0
    others = [
        b"",
        b"garbage",
        data[:-1],
        data[: len(data) // 2],
        data[:1],
        marshal.dumps(("zgen-infer-memo/1", InferMemo.from_bytes(data).records)),
        marshal.dumps((MEMO_FORMAT, [])),
        marshal.dumps((MEMO_FORMAT, {"text key": a_record()})),
        memo_bytes({"text key": a_record()}),
        marshal.dumps((MEMO_FORMAT, {b"d": a_record()})),  # a record not as bytes
        memo_bytes({b"d": a_record()})[:-3],  # truncated in a record's bytes
        marshal.dumps((MEMO_FORMAT, {b"d": marshal.dumps(a_record())[:-1]})),
        marshal.dumps((MEMO_FORMAT, {b"d": b"garbage"})),
        marshal.dumps((MEMO_FORMAT,)),
        marshal.dumps([MEMO_FORMAT, {}]),
        marshal.dumps(compile("print('hello')", "memo", "exec")),
        marshal.dumps((MEMO_FORMAT, {b"d": compile("1", "memo", "eval")})),
        memo_bytes({b"d": compile("1", "memo", "eval")}),
    ]
    for other in others:
        assert len(InferMemo.from_bytes(other)) == 0


# --- property: any earlier build, any change -----------------------------------------------

PLACES = ["Users / Get User", "Users / List Users", "Items / Get Item"]
FOLDERS = [("Users",), ("Items",), ()]
KEYS = ["id", "user", "users", "items", "item", "key_0", "name"]
CIRCULAR = [
    "<Circular reference to #/components/schemas/User detected>",
    "<Circular reference to #/components/schemas/Item detected>",
    "<Circular reference to #/components/schemas/Nothing detected>",
]
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.sampled_from([1.5, 1.0]),
    st.sampled_from(["x", "2024-01-02", "2024-01-02T03:04:05Z", *CIRCULAR]),
)


def deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"user": value}
    return value


def containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)
    )


JSON = st.one_of(
    st.recursive(SCALAR, containers, max_leaves=12),
    st.sampled_from(
        [
            deep(MAX_BODY_DEPTH + 1),
            deep(MAX_BODY_DEPTH - 1),
            [],
            {"items": []},
            {"user": {"id": 1, "user": CIRCULAR[0]}},
            {"users": [{"id": 1, "users": [CIRCULAR[0]], "item": {"item": CIRCULAR[1]}}]},
            {"items": [{"item": {"items": CIRCULAR[1], "id": None}}]},
        ]
    ),
)
PATHS = [("id",), ("user",), ("user", "id"), ("name",), ("items",)]
EXAMPLES = st.builds(
    lambda name, status, kind, parsed: Example(
        name, f"r {name}", status, (), "", "", kind, parsed if kind == "json" else None
    ),
    st.sampled_from(["ok", "other"]),
    st.sampled_from([200, 201, 404, 500]),
    st.sampled_from(["json", "json", "text", "binary", "empty"]),
    JSON,
)
# Request bodies whose keys meet the paths of the fills, defaults and untyped variables drawn.
BODY_EXAMPLES = st.one_of(
    JSON,
    st.sampled_from(
        [
            {"id": 1, "user": {"id": "x", "name": None}, "name": "n", "items": []},
            {"user": {"id": 2}, "items": [{"id": 1}], "name": 3},
        ]
    ),
)
BODIES = st.one_of(
    st.none(),
    st.builds(lambda text: Body("text", "text/plain", text), st.just("raw")),
    st.builds(
        lambda example, fills, defaults, untyped: Body(
            "json",
            "application/json",
            example,
            fills=fills,
            defaults=defaults,
            untyped=untyped,
        ),
        BODY_EXAMPLES,
        st.lists(st.tuples(st.sampled_from(PATHS), st.just("token")), max_size=2).map(tuple),
        st.lists(
            st.tuples(st.sampled_from(PATHS), st.sampled_from(["d", 3, 2.5, True])), max_size=2
        ).map(tuple),
        st.lists(st.sampled_from(PATHS), max_size=2).map(tuple),
    ),
)


def operation(
    place: str, folders: tuple[str, ...], examples: list[Example], body: Body | None
) -> Operation:
    return Operation(
        place=place,
        folders=folders,
        name=place.rsplit(" / ", 1)[-1],
        method="GET",
        host="base",
        path=(("text", "/x"),),
        params=(),
        query=(),
        headers=(),
        body=body,
        auth=None,
        description="",
        examples=tuple(examples),
    )


OPERATIONS = st.builds(
    operation,
    st.sampled_from(PLACES),
    st.sampled_from(FOLDERS),
    st.lists(EXAMPLES, max_size=3),
    BODIES,
)


def api_of(operations: list[Operation]) -> Api:
    return Api("api.json", "api", "API", "", (), "base", tuple(operations))


FIELD = st.tuples(
    st.sampled_from(PLACES),
    st.sampled_from(["response", "error", "request"]),
    st.sampled_from(["$.id", "$.user", "$.user.id", "$.items[]", "$.users[].user"]),
)
TYPES: list[TypeRef] = [("str",), ("int",), ("list", ANY), ("union", (("int",), NULL)), ("dict",)]
OVERRIDES = st.builds(
    lambda types, optional, root: Overrides(
        types={**types, **({(PLACES[0], "response", "$"): ("dict",)} if root else {})},
        optional=frozenset(optional),
    ),
    st.dictionaries(FIELD, st.sampled_from(TYPES), max_size=3),
    st.sets(FIELD, max_size=3),
    st.booleans(),
)


@st.composite
def builds(draw: st.DrawFn) -> tuple[Api, Overrides | None, str]:
    """A collection of requests drawn from a small pool (so that some are alike), with overrides
    and a policy."""
    pool = draw(st.lists(OPERATIONS, min_size=1, max_size=4))
    chosen = draw(st.lists(st.sampled_from(pool), max_size=5))
    overrides = draw(st.one_of(st.none(), OVERRIDES))
    return api_of(chosen), overrides, draw(st.sampled_from(["seen", "all"]))


def edited(draw: st.DrawFn, op: Operation) -> Operation:
    """`op` with one of its inputs changed (a saved response's, the request body's, or its own)."""
    examples = list(op.examples)
    body = op.body
    change = draw(
        st.sampled_from(
            ["place", "folders", "status", "kind", "example place", "parsed", "body"]
            + (["example", "fills", "defaults", "untyped"] if body and body.mode == "json" else [])
        )
    )
    if change == "place":
        return dataclasses.replace(op, place=draw(st.sampled_from(PLACES)))
    if change == "folders":
        return dataclasses.replace(op, folders=draw(st.sampled_from(FOLDERS)))
    if change == "body":
        return dataclasses.replace(op, body=draw(BODIES))
    if change in ("example", "fills", "defaults", "untyped"):
        other = draw(BODIES.filter(lambda other: other is not None and other.mode == "json"))
        assert body is not None and other is not None
        return dataclasses.replace(
            op, body=dataclasses.replace(body, **{change: getattr(other, change)})
        )
    if not examples:
        return dataclasses.replace(op, examples=(draw(EXAMPLES),))
    position = draw(st.integers(0, len(examples) - 1))
    example = examples[position]
    if change == "status":
        example = dataclasses.replace(example, status=draw(st.sampled_from([200, 201, 404, 500])))
    elif change == "kind":
        kind: ExampleKind = draw(st.sampled_from(["json", "text", "binary", "empty"]))
        example = dataclasses.replace(
            example, kind=kind, parsed=draw(JSON) if kind == "json" else None
        )
    elif change == "example place":
        example = dataclasses.replace(example, place=draw(st.sampled_from(["r ok", "r other"])))
    else:
        example = dataclasses.replace(example, parsed=draw(JSON))
    examples[position] = example
    return dataclasses.replace(op, examples=tuple(examples))


@st.composite
def two_builds(
    draw: st.DrawFn,
) -> tuple[tuple[Api, Overrides | None, str], tuple[Api, Overrides | None, str]]:
    """An earlier build, and a later one: another collection, or the same with a few changes."""
    first = draw(builds())
    if draw(st.integers(0, 4)) == 0:
        return first, draw(builds())
    api, overrides, policy = first
    ops = list(api.operations)
    for _ in range(draw(st.integers(1, 2))):
        change = draw(
            st.sampled_from(
                ["edit", "edit", "edit", "add", "remove", "order", "overrides", "policy"]
            )
        )
        if change == "edit" and ops:
            index = draw(st.integers(0, len(ops) - 1))
            ops[index] = edited(draw, ops[index])
        elif change == "add":
            ops.insert(draw(st.integers(0, len(ops))), draw(OPERATIONS))
        elif change == "remove" and ops:
            del ops[draw(st.integers(0, len(ops) - 1))]
        elif change == "order":
            ops = draw(st.permutations(ops))
        elif change == "overrides":
            overrides = draw(st.one_of(st.none(), OVERRIDES))
        elif change == "policy":
            policy = "all" if policy == "seen" else "seen"
    return first, (api_of(ops), overrides, policy)


@settings(max_examples=400, deadline=None)
@given(two_builds())
def test_a_memo_of_any_earlier_build_gives_what_inferring_gives(
    builds: tuple[tuple[Api, Overrides | None, str], tuple[Api, Overrides | None, str]],
) -> None:
    (before, before_overrides, before_policy), (after, overrides, policy) = builds
    memo = InferMemo.from_bytes(records_of(before, before_overrides, before_policy).to_bytes())
    assert run(after, memo, overrides, policy) == run(after, None, overrides, policy)
    assert memo.records == records_of(after, overrides, policy).records
    # A record round-trips through bytes unchanged.
    assert InferMemo.from_bytes(memo.to_bytes()).records == memo.records


def test_the_property_meets_the_cases_it_is_for() -> None:
    """What the property draws reaches every rule: a recursive reference, the depth limit, an
    array seen only empty, a field seen only as null, a request body's fills, defaults and
    untyped variables, overrides of a type and of optional."""
    ops = [
        operation(
            PLACES[0],
            FOLDERS[0],
            [
                Example("ok", "r ok", 200, (), "", "", "json", {"user": {"user": CIRCULAR[0]}}),
                Example("ok", "r ok", 200, (), "", "", "json", deep(MAX_BODY_DEPTH + 1)),
                Example("ok", "r ok", 200, (), "", "", "json", {"items": [], "id": None}),
            ],
            Body(
                "json",
                "application/json",
                {"user": {"id": "x"}, "name": 1, "id": None},
                fills=((("user", "id"), "token"),),
                defaults=((("name",), 3),),
                untyped=(("id",),),
            ),
        )
    ]
    overrides = Overrides(
        types={(PLACES[0], "response", "$.user.user"): ("str",)},
        optional=frozenset({(PLACES[0], "request", "$.user")}),
    )
    api = api_of(ops)
    inferred, warnings = run(api)
    messages = " ".join(warning.message for warning in warnings)
    assert "deeper than" in messages and "only empty" in messages and "only as null" in messages
    twice = api_of(ops * 2)  # the second replayed after the first, its tokens offset
    for wanted, policy in [(None, "seen"), (overrides, "all")]:
        memo = records_of(twice, wanted, policy)
        assert run(twice, memo, wanted, policy) == run(twice, None, wanted, policy)
    assert "recursive" in repr(inferred.shapes)
    assert {usage.role for shape in inferred.shapes for usage in shape.usages} == {
        "response",
        "request",
    }


def base_operation() -> Operation:
    """A request each of whose inputs shows in what inference gives."""
    return operation(
        PLACES[0],
        FOLDERS[0],
        [
            Example("ok", "r ok", 200, (), "", "", "json", {"id": 1, "user": {"id": "a"}}),
            Example("deep", "r deep", 200, (), "", "", "json", deep(MAX_BODY_DEPTH + 1)),
            Example("error", "r error", 404, (), "", "", "json", {"message": "no"}),
        ],
        Body(
            "json",
            "application/json",
            {"id": 1, "user": {"id": "x", "name": "n"}, "name": "n", "items": [1]},
            fills=((("user", "id"), "token"),),
            defaults=((("name",), "n"),),
            untyped=(("id",),),
        ),
    )


def with_example(op: Operation, position: int, **changes: Any) -> Operation:
    examples = list(op.examples)
    examples[position] = dataclasses.replace(examples[position], **changes)
    return dataclasses.replace(op, examples=tuple(examples))


def with_body(op: Operation, **changes: Any) -> Operation:
    assert op.body is not None
    return dataclasses.replace(op, body=dataclasses.replace(op.body, **changes))


CHANGES: dict[str, Callable[[Operation], Operation]] = {
    "place": lambda op: dataclasses.replace(op, place=PLACES[1]),
    "status": lambda op: with_example(op, 0, status=500),
    "kind": lambda op: with_example(op, 0, kind="text", parsed=None),
    "saved body": lambda op: with_example(op, 0, parsed={"id": 1, "user": None}),
    "saved response place": lambda op: with_example(op, 1, place="r deeper"),
    "request body": lambda op: with_body(op, example={"id": 1, "user": {"id": 2}}),
    "fills": lambda op: with_body(op, fills=()),
    "defaults": lambda op: with_body(op, defaults=((("name",), 3),)),
    "untyped": lambda op: with_body(op, untyped=()),
    "body mode": lambda op: with_body(op, mode="text"),
}


@pytest.mark.parametrize("change", CHANGES)
def test_every_input_of_a_request_is_part_of_its_record(change: str) -> None:
    before = base_operation()
    after = CHANGES[change](before)
    overrides = Overrides(optional=frozenset({(PLACES[0], "response", "$.user")}))
    # The request after another one (its tokens offset), and the change shows in the result.
    first = operation(
        PLACES[2], (), [Example("ok", "r", 200, (), "", "", "json", {"a": {"b": 1}})], None
    )
    apis = [api_of([first, op, op]) for op in (before, after)]
    assert run(apis[0], None, overrides) != run(apis[1], None, overrides)
    memo = records_of(apis[0], overrides)
    assert run(apis[1], memo, overrides) == run(apis[1], None, overrides)


def test_reading_a_memo_leaves_the_garbage_collector_as_it_was() -> None:
    data = valid_bytes()
    assert gc.isenabled()
    InferMemo.from_bytes(data)
    InferMemo.from_bytes(b"garbage")
    assert gc.isenabled()
    gc.disable()
    try:
        InferMemo.from_bytes(data)
        assert not gc.isenabled()
    finally:
        gc.enable()

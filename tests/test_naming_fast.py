"""The memoized word functions of naming.py give what their plain forms gave.

Each `reference_*` below is the function as it was before it was memoized (and, for
`collapse_runs`, before it computed singular forms once per pass and stopped early when no word
occurs twice); hypothesis checks the fast forms against them.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from zgen.infer import FieldShape, Inferred, Role, Shape, Usage
from zgen.naming import (
    LONG_NAME,
    MAX_WORDS,
    PATH_KEYS,
    RESERVED_CLASSES,
    ROLE_RANK,
    claim_gone,
    class_name,
    collapse_runs,
    field_base,
    field_names,
    key_path_names,
    non_ascii_words,
    pascal,
    path_parts,
    shape_candidates,
    singular,
    snake,
    structural_keys,
    transliterated,
    unique,
    words,
)


def reference_words(text: str) -> list[str]:
    text = transliterated(text)
    text = re.sub(r"([A-Z]{2,})s(?![a-z])", lambda m: m.group(1).capitalize() + "s", text)
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)
    text = re.sub(r"(?<=[0-9])(?=[A-Z][a-z])", " ", text)
    text = re.sub(r"(?<![A-Z0-9])([0-9]+)(?=[A-Z](?![A-Z][a-z]))", r"\1 ", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    return [w.lower() for w in re.findall(r"[A-Za-z0-9]+", text)]


def reference_collapse_runs(parts: list[str]) -> list[str]:
    result = list(parts)
    changed = True
    while changed:
        changed = False
        for size in range(1, len(result) // 2 + 1):
            for start in range(len(result) - 2 * size + 1):
                first = [singular(w) for w in result[start : start + size]]
                second = [singular(w) for w in result[start + size : start + 2 * size]]
                if first == second and not all(w.isdigit() for w in first):
                    del result[start : start + size]
                    changed = True
                    break
            if changed:
                break
    return result


def reference_class_name(parts: list[str]) -> str:
    name = pascal(reference_collapse_runs(parts))
    if name[:1].isdigit():
        name = "Model" + name
    if name in RESERVED_CLASSES or not name:
        name += "Model"
    return name


def reference_path_parts(path: tuple[str, ...]) -> list[list[str]]:
    parts: list[list[str]] = []
    for index, key in enumerate(path):
        if key == "[]":
            if index == 0:
                parts.append(["item"])
            elif parts and parts[-1]:
                parts[-1] = [*parts[-1][:-1], singular(parts[-1][-1])]
            continue
        parts.append(words(key)[:MAX_WORDS] or non_ascii_words(key))
    return parts


def reference_shape_candidates(
    shape: Shape, prefixes: list[list[str]], keys: int | None = PATH_KEYS
) -> list[tuple[str, Usage, int]]:
    found: list[tuple[str, Usage, int]] = []
    for position, usage in enumerate(shape.usages):
        parts = reference_path_parts(usage.path)
        role: list[str] = {"response": [], "error": ["error"], "request": ["request"]}[usage.role]
        if usage.role == "response" and not parts:
            role = ["response"]
        name = reference_class_name(
            [*prefixes[usage.op], *role, *(w for part in parts for w in part)]
        )
        if keys is not None:
            for count in range(keys, 0, -1):
                short = [*prefixes[usage.op], *role, *(w for part in parts[-count:] for w in part)]
                name = reference_class_name(short)
                if len(name) <= LONG_NAME:
                    break
            prefix = prefixes[usage.op]
            while len(name) > LONG_NAME and len(prefix) > 2:
                prefix = [prefix[0], *prefix[2:]]
                name = reference_class_name(
                    [*prefix, *role, *(w for part in parts[-1:] for w in part)]
                )
        found.append((name, usage, position))
    found.sort(key=lambda c: (ROLE_RANK[c[1].role], len(c[0]), c[0], c[2]))
    return found


def reference_key_path_names(shape: Shape) -> list[str]:
    found: set[tuple[int, str]] = set()
    for usage in shape.usages:
        if usage.role != "response":
            continue
        parts = reference_path_parts(usage.path)
        if usage.path[:1] == ("[]",):
            parts = parts[1:]
        for depth in range(1, len(parts) + 1):
            if not all(parts[-depth:]):
                break
            name = reference_class_name([w for part in parts[-depth:] for w in part])
            if not name[:1].isdigit() and not name.startswith("Model"):
                found.add((depth, name))
    return [name for _, name in sorted(found)]


# Few distinct words, plurals and numbers among them, so that runs repeat often.
WORD = st.sampled_from(
    [
        *("user", "users", "item", "items", "address", "addresses", "status", "1", "2", "a"),
        *("s", "history", "histories", "box", "boxes", "data", "list", "error", "response"),
    ]
)
KEY = st.one_of(
    st.sampled_from(["[]", "data", "Users", "lineItems", "RESTAPIs", "2", "", "日本", "__x"]),
    st.text(max_size=12),
)
PATH = st.lists(KEY, max_size=6).map(tuple)
ROLE: st.SearchStrategy[Role] = st.sampled_from(["response", "error", "request"])


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=40))
def test_words_as_before(text: str) -> None:
    assert words(text) == reference_words(text)
    assert snake(text, prefix="x") == snake(text, prefix="x")  # cached: the same value again


@settings(max_examples=600, deadline=None)
@given(st.lists(WORD, max_size=14))
def test_collapse_runs_as_before(parts: list[str]) -> None:
    assert collapse_runs(parts) == reference_collapse_runs(parts)
    assert class_name(parts) == reference_class_name(parts)


@settings(max_examples=400, deadline=None)
@given(PATH)
def test_path_parts_as_before(path: tuple[str, ...]) -> None:
    assert path_parts(path) == reference_path_parts(path)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(WORD, max_size=9), min_size=1, max_size=3),
    st.lists(st.tuples(st.integers(0, 2), ROLE, PATH), min_size=1, max_size=5),
    st.sampled_from([None, 0, 1, PATH_KEYS, 3]),
)
def test_shape_names_as_before(
    prefixes: list[list[str]], usages: list[tuple[int, Role, tuple[str, ...]]], keys: int | None
) -> None:
    shape = Shape(
        0,
        (),
        tuple(Usage(op % len(prefixes), role, path) for op, role, path in usages),
        (),
    )
    assert shape_candidates(shape, prefixes, keys) == reference_shape_candidates(
        shape, prefixes, keys
    )
    assert key_path_names(shape) == reference_key_path_names(shape)


def test_cached_values_cannot_be_changed_by_a_caller() -> None:
    found = words("getUserByID")
    found.append("changed")
    assert words("getUserByID") == ["get", "user", "by", "id"]
    parts = path_parts(("users", "[]", "address"))
    parts[0].append("changed")
    assert path_parts(("users", "[]", "address")) == [["user"], ["address"]]
    runs = collapse_runs(["backup", "history", "history"])
    runs.append("changed")
    assert collapse_runs(["backup", "history", "history"]) == ["backup", "history"]


def reference_field_names(order: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    taken: set[str] = set()
    chosen: dict[str, str] = {}
    for key in sorted(order, key=lambda k: (field_base(k) != k, k)):
        chosen[key] = unique(field_base(key), taken)
    return tuple((key, chosen[key]) for key in order)


FIELD_KEY = st.one_of(
    st.sampled_from(
        ["id", "Id", "ID", "user_id", "userId", "class", "model_x", "dict", "_x", "a b"]
    ),
    st.text(max_size=8),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(FIELD_KEY, max_size=8, unique=True).map(tuple))
def test_field_names_as_before(order: tuple[str, ...]) -> None:
    shape = Shape(0, (), (), (order,))
    assert field_names(shape, order) == reference_field_names(order)


def test_structural_keys_are_remembered_per_inferred_object() -> None:
    def inferred(key: str) -> Inferred:
        field = FieldShape(key, ("str",), True)
        return Inferred((Shape(0, (field,), (Usage(0, "response", ()),), ((key,),)),), ())

    first = inferred("a")
    keys = structural_keys(first)
    assert keys == {0: "'a':str"}
    keys[0] = "changed"  # a caller's copy
    assert structural_keys(first) == {0: "'a':str"}
    second = inferred("b")  # an equal-looking but new object is never served the old keys
    assert structural_keys(second) == {0: "'b':str"}
    del first, second
    assert structural_keys(inferred("c")) == {0: "'c':str"}


def reference_claim_gone(
    gone: list[str],
    claim_order: list[Shape],
    candidates: dict[int, list[tuple[str, Usage, int]]],
    names: dict[int, str],
    taken: set[str],
    canonical_usage: dict[int, int],
) -> None:
    for name in gone:
        for shape in claim_order:
            if shape.id in names:
                continue
            position = next((p for n, _, p in candidates[shape.id] if n == name), None)
            if position is not None:
                names[shape.id] = name
                taken.add(name)
                canonical_usage[shape.id] = position
                break


CLASS = st.sampled_from(["A", "B", "C", "D", "E", "F"])


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.lists(CLASS, max_size=5), max_size=8),
    st.lists(CLASS, unique=True).map(sorted),
    st.dictionaries(st.integers(0, 7), CLASS, max_size=3),
    st.randoms(use_true_random=False),
)
def test_claim_gone_as_before(
    shape_names: list[list[str]], gone: list[str], named: dict[int, str], order: Any
) -> None:
    usage = Usage(0, "response", ())
    shapes = [Shape(index, (), (), ()) for index in range(len(shape_names))]
    candidates = {
        index: [(name, usage, position) for position, name in enumerate(found)]
        for index, found in enumerate(shape_names)
    }
    claim_order = list(shapes)
    order.shuffle(claim_order)
    results = []
    for claim in (claim_gone, reference_claim_gone):
        names = {k: v for k, v in named.items() if k < len(shapes)}
        taken = set(names.values())
        canonical = {k: -1 for k in names}
        claim(gone, claim_order, candidates, names, taken, canonical)
        results.append((names, taken, canonical))
    assert results[0] == results[1]

"""infer's fast paths give what the plain forms gave: the direct schema builder against genson,
string formats and nesting depth against the functions as they were."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from zgen.infer import (
    DATE_RE,
    DATETIME_RE,
    UUID_RE,
    Builder,
    depth,
    merged_schema,
    string_formats,
)


def genson_schema(samples: list[Any]) -> dict[str, Any]:
    builder = Builder()
    for sample in samples:
        builder.add_object(sample)
    schema: dict[str, Any] = builder.to_schema()
    return schema


# Strings that carry a format, a converter's circular reference, or nothing; few keys, so that
# samples meet at the same places with different kinds of value.
TEXT = st.one_of(
    st.sampled_from(
        [
            "2024-01-02",
            "2024-01-02T03:04:05Z",
            "2024-01-02T03:04:05.123+02:00",
            "2024-13-45",
            "0f8fad5b-d9cb-469f-a165-70867728950e",
            "<Circular reference to #/components/schemas/User detected>",
            "<Circular reference to #/components/schemas/Pet detected>",
            "",
            "x",
        ]
    ),
    st.text(max_size=6),
)
SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT, st.just(1.0)
)
KEY = st.sampled_from(["a", "b", "id", "items", "key_0", "Ünï", ""])
JSON = st.recursive(
    SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEY, inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(JSON, max_size=4))
def test_merged_schema_is_genson_schema(samples: list[Any]) -> None:
    merged = merged_schema(samples)
    expected = genson_schema(samples)
    assert merged == expected
    # Same keys in the same order everywhere (the order of properties is the order of fields).
    assert repr(merged) == repr(expected)


class Text(str):
    pass


def test_a_value_json_does_not_give_goes_to_genson() -> None:
    samples: list[Any] = [{"a": Text("2024-01-02"), "b": 1}, {"a": "x"}]
    assert merged_schema(samples) == genson_schema(samples)
    assert merged_schema([{"a": Text("x")}]) == genson_schema([{"a": Text("x")}])


def reference_string_formats(value: str) -> set[str]:
    formats: set[str] = set()
    if DATETIME_RE.match(value):
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
            formats.add("date-time")
        except ValueError:
            pass
    elif DATE_RE.match(value):
        try:
            date.fromisoformat(value)
            formats.add("date")
        except ValueError:
            pass
    elif UUID_RE.match(value):
        try:
            uuid.UUID(value)
            formats.add("uuid")
        except ValueError:
            pass
    return formats


@settings(max_examples=1000, deadline=None)
@given(
    st.one_of(
        TEXT,
        st.text(alphabet="0123456789abcdefABCDEF-:TZz+.\n \u0660\u0661\u00b2", max_size=40),
        st.datetimes().map(lambda d: d.isoformat()),
        st.uuids().map(str),
    )
)
def test_string_formats_as_before(value: str) -> None:
    assert string_formats(value) == reference_string_formats(value)


def reference_depth(value: Any, limit: int) -> int:
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        if isinstance(node, dict):
            stack.extend((child, level + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, level + 1) for child in node)
    return deepest


@settings(max_examples=500, deadline=None)
@given(JSON, st.integers(0, 6))
def test_depth_as_before(value: Any, limit: int) -> None:
    assert depth(value, limit) == reference_depth(value, limit)

"""The render stage's fast paths give what the plain code they stand for gives."""

from __future__ import annotations

import itertools
import json
import textwrap
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from zgen.format import (
    _BLACK_STYLE_CUT,
    _MORE_BLANK_LINES,
    alias_lines,
    alias_piece,
    black_style_cut,
)
from zgen.render import fill, fixture_json, printable

MANY = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def slow_printable(text: str) -> str:
    return "".join(
        ch for ch in text if ch == "\n" or (ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF)
    )


@MANY
@given(st.text() | st.text(alphabet="ab \n\t\x00\x0b\u2028\u00a0\ud800\udfff日", max_size=20))
def test_printable_is_the_character_filter(text: str) -> None:
    assert printable(text) == slow_printable(text)


@MANY
@given(
    body=st.text(alphabet="ab  -\t\x0b\u00a0日", max_size=40) | st.text(max_size=30),
    width=st.integers(1, 40),
    lead=st.sampled_from(["", "- ", "10. ", "*   "]),
)
def test_fill_is_textwrap(body: str, width: int, lead: str) -> None:
    expected = textwrap.wrap(
        body,
        width=width,
        initial_indent=lead,
        subsequent_indent=" " * len(lead),
        break_long_words=False,
        break_on_hyphens=False,
    )
    assert fill(body, width, lead) == expected


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers() | st.integers(-(10**30), 10**30),
    st.floats(),  # NaN and the infinities too, as json.dumps writes them
    st.text(),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=6), children, max_size=4),
    ),
    max_leaves=25,
)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


@MANY
@given(JSON_VALUES)
def test_fixture_json_is_json_dumps(value: Any) -> None:
    assert fixture_json(value) == dumps(value)


def test_fixture_json_leaves_other_values_to_json_dumps() -> None:
    values: list[Any] = [{1: "a", 2: [True]}, {"a": {None: 1.5}}, [{"k": {"a": {}}}], "plain"]
    for value in values:
        assert fixture_json(value) == dumps(value)
    deep: Any = []
    for _ in range(200):
        deep = [deep, {"a": deep}] if len(str(deep)) < 50 else [deep]
    assert fixture_json(deep) == dumps(deep)


# --- format.py's fast paths ---------------------------------------------------------------------

ALIAS_LINES = st.sampled_from(
    [
        "Alias = Model",
        "Other = Model",
        "__all__ = [",
        '    "Model",',
        "    'Single',",
        '    "class",',
        "]",
        "",
        "class = Model",
        "x = (",
        "Long" + "N" * 90 + " = Model",
        '    "Wide\u00e9",',
        '    "two\\"quote",',
        '    "open',
        'close",',
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(ALIAS_LINES, min_size=1, max_size=12), st.sampled_from(["", "\n", "\n\n"]))
@example(["__all__ = [", '    "Model",', "]", "", "", "Alias = Model"], "\n")
@example(["__all__ = [", '    "open', 'close",', "]"], "")  # (a string is on one line)
@example(["__all__ = [", '    "Model",', "]", "", "", "", "Alias = Model"], "")
def test_a_piece_taken_whole_is_what_the_line_by_line_check_gives(
    lines: list[str], end: str
) -> None:
    piece = "\n".join(lines) + end
    assert alias_piece(piece) == alias_lines(piece.rstrip("\n"))


CUT_TEXT = st.text(alphabet=["\n", " ", "#", "a", "\t", "\x1c", "\xa0", "("], max_size=60)


@settings(max_examples=500, deadline=None)
@given(CUT_TEXT)
def test_black_style_cuts_are_the_regex_s(source: str) -> None:
    cut = black_style_cut(source)
    if _MORE_BLANK_LINES.search(source):
        assert cut is None
        return
    bounds = [0, *(match.end() for match in _BLACK_STYLE_CUT.finditer(source)), len(source)]
    assert cut == [source[a:b] for a, b in itertools.pairwise(bounds)]

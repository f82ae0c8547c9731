"""The first implementation of `layout.statement`, scanning the code a character at a time: kept
as the reference the faster one in generator/zgen/layout.py is tested against
(tests/test_layout.py, `test_statement_is_the_reference_one`). Not used by zgen."""

from __future__ import annotations

import re
from dataclasses import dataclass

from zgen.layout import INDENT, LINE_LENGTH, width

CLOSING = {")": "(", "]": "[", "}": "{"}
NAME = r"[A-Za-z_][A-Za-z0-9_]*"
# What may stand before a bracket black splits at (its contents left out): an item's keyword,
# `await`, a dotted callee with subscripts; a statement may start with `return` or a target.
CALL_HEAD_RE = re.compile(rf"(?:{NAME}=)?(?:await )?{NAME}(?:\.{NAME}|\[\])*\(")
DISPLAY_HEAD_RE = re.compile(rf"(?:{NAME}=)?[(\[{{]")
STATEMENT_PREFIX_RE = re.compile(rf"(?:return |{NAME}(?:\.{NAME})* = )?")
METHOD_TRAILER_RE = re.compile(rf"\)\.{NAME}\(\)\Z")


class Unsure(Exception):
    """Black might lay the code out some other way than `statement` knows."""


def _pairs(code: str) -> dict[int, int]:
    """The closing bracket of each opening bracket of `code` (one line of Python in black's
    spacing), by index; raises Unsure on comments, triple quotes or unbalanced brackets."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    index = 0
    while index < len(code):
        char = code[index]
        if char in "\"'":
            if code.startswith(char * 3, index):
                raise Unsure("a triple-quoted string")
            end = index + 1
            while end < len(code) and code[end] != char:
                end += 2 if code[end] == "\\" else 1
            if end >= len(code):
                raise Unsure("an unterminated string")
            index = end + 1
            continue
        if char == "#":
            raise Unsure("a comment")
        if char in "([{":
            stack.append(index)
        elif char in CLOSING:
            if not stack or code[stack[-1]] != CLOSING[char]:
                raise Unsure("unbalanced brackets")
            pairs[stack.pop()] = index
        index += 1
    if stack:
        raise Unsure("unbalanced brackets")
    return pairs


@dataclass(frozen=True)
class _Split:
    """Code that ends in a bracket pair black may split at: head (up to the opening bracket),
    the items between the brackets, the tail (the closing bracket and what follows)."""

    head: str
    items: tuple[_Split | _Sum | str, ...]
    tail: str
    display: bool  # a tuple, list, dict or set display: exploded whenever it is split
    one_tuple: bool  # `(x,)`


@dataclass(frozen=True)
class _Sum:
    """Operands joined by ` + ` (a path built of literal text and quoted arguments)."""

    operands: tuple[str, ...]


def _skeleton(code: str, start: int, end: int, pairs: dict[int, int]) -> str:
    """code[start:end] with the contents of every bracket pair left out."""
    out: list[str] = []
    index = start
    while index < end:
        out.append(code[index])
        if code[index] in "([{" and index in pairs:
            index = pairs[index]
            continue
        if code[index] in "\"'":
            close = index + 1
            while code[close] != code[index]:
                close += 2 if code[close] == "\\" else 1
            out.append(code[index])
            index = close + 1
            continue
        index += 1
    return "".join(out)


def _items(code: str, start: int, end: int, pairs: dict[int, int]) -> list[tuple[int, int]]:
    """The spans of the comma-separated items of code[start:end] (an empty last one when the
    items end with a comma)."""
    spans: list[tuple[int, int]] = []
    index = item = start
    while index < end:
        char = code[index]
        if char in "([{":
            index = pairs[index] + 1
            continue
        if char in "\"'":
            close = index + 1
            while code[close] != char:
                close += 2 if code[close] == "\\" else 1
            index = close + 1
            continue
        if char == ",":
            spans.append((item, index))
            item = index + 2 if code.startswith(", ", index) else index + 1
            index = item
            continue
        index += 1
    spans.append((item, end))
    return spans


def _parse(
    code: str, start: int, end: int, pairs: dict[int, int], statement: bool
) -> _Split | _Sum | str:
    """code[start:end] as a split black may make at its last bracket pair, or as an atom (code
    black would not split the way `_lay` does: it is then laid out only when it fits)."""
    text = code[start:end]
    if not statement and " + " in _skeleton(code, start, end, pairs):
        return _sum(code, start, end, pairs)
    close = end - 1
    tail_start = end - 1
    if statement:
        # `call(...).items()`: black skips the empty brackets and splits at the call's
        trailer = METHOD_TRAILER_RE.search(text)
        if trailer is not None:
            close = tail_start = start + trailer.start()
    if close < start or code[close] not in CLOSING:
        return text
    opening = next((o for o, c in pairs.items() if c == close), None)
    if opening is None or opening < start:
        return text
    skeleton = _skeleton(code, start, opening + 1, pairs)
    if statement:
        prefix = STATEMENT_PREFIX_RE.match(skeleton)
        skeleton = skeleton[prefix.end() if prefix else 0 :]
    display = DISPLAY_HEAD_RE.fullmatch(skeleton) is not None
    if not display and (code[opening] != "(" or CALL_HEAD_RE.fullmatch(skeleton) is None):
        return text
    spans = _items(code, opening + 1, close, pairs)
    one_tuple = False
    if len(spans) > 1 and spans[-1][0] == spans[-1][1]:
        spans.pop()  # a trailing comma: magic unless it makes a one-tuple
        one_tuple = display and code[opening] == "(" and len(spans) == 1
        if not one_tuple:
            raise Unsure("a magic trailing comma")
    if len(spans) == 1 and spans[0][0] == spans[0][1]:
        return text  # empty brackets
    if any(s == e for s, e in spans):
        raise Unsure("an empty item")
    items = tuple(_parse(code, s, e, pairs, False) for s, e in spans)
    return _Split(code[start : opening + 1], items, code[tail_start:end], display, one_tuple)


def _sum(code: str, start: int, end: int, pairs: dict[int, int]) -> _Sum | str:
    """code[start:end] as the operands of a sum, or as an atom when it holds other operators."""
    operands: list[str] = []
    index = operand = start
    while index < end:
        char = code[index]
        if char in "([{":
            index = pairs[index] + 1
        elif char in "\"'":
            close = index + 1
            while code[close] != char:
                close += 2 if code[close] == "\\" else 1
            index = close + 1
        elif code.startswith(" + ", index):
            operands.append(code[operand:index])
            index = operand = index + 3
        elif char == " ":
            return code[start:end]  # another operator, or a keyword
        else:
            index += 1
    operands.append(code[operand:end])
    return _Sum(tuple(operands))


def _flat(item: _Split | _Sum | str) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, _Sum):
        return " + ".join(item.operands)
    comma = "," if item.one_tuple else ""
    return f"{item.head}{', '.join(_flat(part) for part in item.items)}{comma}{item.tail}"


class _LongHead(Unsure):
    """The line that opens the last bracket pair is over the line length."""


def _lay(item: _Split | _Sum | str, indent: int, suffix: str) -> list[str]:
    """Black's lines for `item` + `suffix` at `indent` (item is a statement, or one line of the
    items of an exploded bracket pair, then `suffix` is its comma)."""
    pad = " " * indent
    flat = f"{pad}{_flat(item)}{suffix}"
    if width(flat) <= LINE_LENGTH:
        return [flat]
    if isinstance(item, str):
        raise Unsure("an atom over the line length")
    if isinstance(item, _Sum):
        # inside brackets black splits at the operators first: one operand per line
        lines = [pad + item.operands[0], *(f"{pad}+ {operand}" for operand in item.operands[1:])]
        lines[-1] += suffix
        if any(width(line) > LINE_LENGTH for line in lines):
            raise Unsure("an operand over the line length")
        return lines
    head, tail = pad + item.head, pad + item.tail + suffix
    if width(head) > LINE_LENGTH:
        raise _LongHead("a head over the line length")
    if width(tail) > LINE_LENGTH:
        raise Unsure("a head or tail over the line length")
    inner = indent + len(INDENT)
    items = item.items
    if len(items) == 1:
        # no comma to split at: black splits the item itself (a one-tuple keeps its comma)
        return [head, *_lay(items[0], inner, "," if item.one_tuple else ""), tail]
    if not item.display:
        body = " " * inner + ", ".join(_flat(part) for part in items)
        if width(body) <= LINE_LENGTH:
            return [head, body, tail]
    return [head, *(line for part in items for line in _lay(part, inner, ",")), tail]


_MAGIC_COMMA = re.compile(r",\s*[)\]}]")


def statement(code: str, indent: int = 0) -> str | None:
    """Black's layout of one simple statement at `indent` spaces (code on one line, in black's
    spacing and quotes, without the indentation), lines joined, the first one unindented; None
    when black might lay it out otherwise.

    It knows assignments (`name = ...`, `self.name = ...`), `return` and expression statements
    whose code ends in a call or a display (optionally followed by one `.method()`): black splits
    at that last bracket pair, then puts the items on one line, or one per line with a trailing
    comma (displays always), each in turn split the same way. Items with operators, lambdas,
    comprehensions or subscripts are taken as atoms: laid out when they fit, else None.
    """
    if "\n" in code or code != code.strip():
        return None
    if width(" " * indent + code) <= LINE_LENGTH and not _MAGIC_COMMA.search(code):
        return code  # black leaves a line that fits as it is (no trailing comma to keep it split)
    try:
        pairs = _pairs(code)
        tree = _parse(code, 0, len(code), pairs, True)
        try:
            lines = _lay(tree, indent, "")
        except _LongHead:
            # black's second opinion: the value of an assignment or a return in parentheses,
            # taken when every line then fits
            prefix = STATEMENT_PREFIX_RE.match(code)
            if prefix is None or not prefix.group() or not isinstance(tree, _Split) or tree.display:
                return None
            if code.startswith("await ", prefix.end()):
                return None  # black keeps `await` on the first line
            if any(bracket in tree.head[prefix.end() : -1] for bracket in "([{"):
                return None  # black would first try splitting at the callee's brackets
            value = _parse(code, prefix.end(), len(code), pairs, False)
            pad = " " * indent
            if width(f"{pad}{prefix.group()}(") > LINE_LENGTH:
                return None
            lines = [f"{pad}{prefix.group()}(", *_lay(value, indent + len(INDENT), ""), f"{pad})"]
    except Unsure:
        return None
    return "\n".join(lines)[indent:]

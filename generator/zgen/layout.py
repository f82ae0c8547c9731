"""Black's layout of a bracketed construct (a call, a signature, a literal), computed directly.

For the templates to emit code that black leaves unchanged (black remains the formatter of
record: tests/test_black_identity.py checks every generated file). The rules are black's (stable
style, line length 100) for one statement that ends in one bracket pair whose items are separated
by commas:

- the whole statement on one line when it fits;
- else the items on one line of their own, indented one level, between the head and the tail
  (never for a literal list, tuple, dict or set, and never for a signature with one parameter,
  which black explodes with a trailing comma);
- else one item per line, each followed by a comma (black's magic trailing comma).

When black would do something else (an item or the head or tail too long for its line, a
bracket in the tail, an item already ending in a comma), `bracketed` returns None: the caller
keeps the code for black to format.
"""

from __future__ import annotations

from collections.abc import Sequence

LINE_LENGTH = 100
INDENT = "    "
BRACKETS = {"(": ")", "[": "]", "{": "}"}


def bracketed(
    head: str,
    items: Sequence[str],
    tail: str,
    *,
    indent: int = 0,
    literal: bool = False,
    signature: bool = False,
) -> str | None:
    """Black's layout of `head` + `items` joined by commas + `tail`, at `indent` spaces (no newline
    at the end), or None when black would lay it out some other way.

    `head` ends with the opening bracket (`def get(`, `result = client.call(`, `VALUES = [`) and
    `tail` starts with the matching closing one (`)`, `) -> Model:`, `]`). `literal` says the
    brackets make a list, tuple, dict or set display; `signature` that they hold the parameters of
    a `def`.
    """
    if not head or head[-1] not in BRACKETS or not tail or tail[0] != BRACKETS[head[-1]]:
        return None
    if head[-1] != "(" and not literal:
        return None  # a subscript: black's trailing comma rules differ there
    if any(ch in tail[1:] for ch in "()[]{}#") or "#" in head:
        return None  # black would weigh splitting at the tail's brackets; comments attach
    if any(not item or item != item.strip() or item.endswith(",") for item in items):
        return None  # a magic trailing comma, or spacing black would change
    if any("\n" in part for part in (head, tail, *items)):
        return None
    pad = " " * indent
    one = f"{pad}{head}{', '.join(items)}{tail}"
    if len(one) <= LINE_LENGTH:
        return one
    if not items or len(pad + head) > LINE_LENGTH or len(pad + tail) > LINE_LENGTH:
        return None
    inner = pad + INDENT
    if not literal and not (signature and len(items) == 1):
        body = inner + ", ".join(items)
        if len(body) <= LINE_LENGTH:
            return f"{pad}{head}\n{body}\n{pad}{tail}"
    lines = [f"{inner}{item}," for item in items]
    if any(len(line) > LINE_LENGTH for line in lines):
        return None
    return "\n".join([pad + head, *lines, pad + tail])

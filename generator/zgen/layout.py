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

import re
from collections.abc import Sequence

from black.strings import str_width

LINE_LENGTH = 100
INDENT = "    "
BRACKETS = {"(": ")", "[": "]", "{": "}"}


def string_literal(text: str) -> str:
    """A str literal of `text` as black spells it: repr's escapes, in double quotes unless that
    takes more backslashes than single quotes (black's rule: never add escapes, prefer `"`)."""
    spelled = repr(text)
    if spelled[0] == '"' or text.count('"') > text.count("'"):
        return spelled  # repr chose double quotes already, or they would add escapes
    return '"' + re.sub(r'\\.|"', _requote, spelled[1:-1]) + '"'


def _requote(match: re.Match[str]) -> str:
    """One escape sequence or double quote of a single-quoted repr, as it reads in double quotes."""
    token = match.group()
    return {"\\'": "'", '"': '\\"'}.get(token, token)


# A head of a call that takes one argument: a dotted name and its opening bracket.
_CALL_HEAD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\(")


def nested_call(
    heads: Sequence[str], call: str, arguments: Sequence[str], *, indent: int = 0
) -> str | None:
    """Black's layout of the expression statement `heads[0]heads[1]...call(arguments))...)`: calls
    nested in one another, each with one argument, the innermost `call` (which ends with its
    opening bracket, e.g. `lambda client: client.jobs.get(`) with `arguments`; at `indent` spaces,
    no newline at the end. On one line when it fits, else the outermost call opened on its line,
    the rest one level deeper laid out the same way and its closing bracket on a line of its own;
    the innermost call split as `bracketed` splits a call.

    None when black would lay it out otherwise: a head that is not a dotted name with its
    bracket, an argument that is not one plain expression, a line that cannot be made to fit.
    """
    if not all(_CALL_HEAD.fullmatch(head) for head in heads) or not call.endswith("("):
        return None
    if not _plain_argument(call + ")") or not all(_plain_argument(item) for item in arguments):
        return None
    pad = " " * indent
    one = f"{pad}{''.join(heads)}{call}{', '.join(arguments)}{')' * (len(heads) + 1)}"
    if str_width(one) <= LINE_LENGTH:
        return one
    if not heads:
        return _split_call(call, arguments, indent)
    rest = nested_call(heads[1:], call, arguments, indent=indent + len(INDENT))
    if rest is None:
        return None
    return f"{pad}{heads[0]}\n{rest}\n{pad})"


def _split_call(call: str, arguments: Sequence[str], indent: int) -> str | None:
    """A call too long for its line split as black splits it (as `bracketed` does, measured in
    columns as black measures them): the arguments on one line of their own, else one per line
    with a trailing comma."""
    pad = " " * indent
    inner = pad + INDENT
    if not arguments or str_width(pad + call) > LINE_LENGTH:
        return None
    body = inner + ", ".join(arguments)
    if str_width(body) <= LINE_LENGTH:
        return f"{pad}{call}\n{body}\n{pad})"
    lines = [f"{inner}{item}," for item in arguments]
    if any(str_width(line) > LINE_LENGTH for line in lines):
        return None
    return "\n".join([pad + call, *lines, pad + ")"])


def _plain_argument(text: str) -> bool:
    """Whether black keeps `text` on one line when it fits, as the only argument of a call: no
    newline, comment or outer whitespace, brackets balanced, no comma outside them and none
    before a closing bracket (a magic trailing comma)."""
    if not text or text != text.strip() or "\n" in text:
        return False
    if re.search(r",\s*[)\]}]", text):
        return False
    depth = 0
    quote = ""
    escaped = False
    for char in text:
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth < 0:
                return False
        elif (char == "," and depth == 0) or char == "#":
            return False
    return depth == 0 and not quote


def bare_def(name: str, returns: str, *, indent: int = 0) -> str | None:
    """Black's layout of `def name() -> returns:` (no parameters, a plain return annotation), at
    `indent` spaces: one line when it fits, else the annotation alone in parentheses on the next
    line; None when neither fits (black formats it)."""
    if not name.isidentifier() or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", returns):
        return None
    pad = " " * indent
    one = f"{pad}def {name}() -> {returns}:"
    if len(one) <= LINE_LENGTH:
        return one
    if len(f"{pad}def {name}() -> (") > LINE_LENGTH or len(pad + INDENT + returns) > LINE_LENGTH:
        return None
    return f"{pad}def {name}() -> (\n{pad}{INDENT}{returns}\n{pad}):"


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

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
from dataclasses import dataclass

from black.strings import str_width

from .memo import persisted

LINE_LENGTH = 100
INDENT = "    "
BRACKETS = {"(": ")", "[": "]", "{": "}"}


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
    if text and not _ARGUMENT_SPECIAL_RE.search(text) and text == text.strip():
        # no string, comma or comment: only the brackets matter (most arguments have none)
        brackets = _NOT_BRACKET_RE.sub("", text)
        return not brackets or _plain_scan(brackets)
    return _plain_scan(text)


_ARGUMENT_SPECIAL_RE = re.compile(r"[\"',#\n]")
_NOT_BRACKET_RE = re.compile(r"[^()\[\]{}]+")


def _plain_scan(text: str) -> bool:
    """`_plain_argument`, a character at a time."""
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
    if width(one) <= LINE_LENGTH:
        return one
    if not items or width(pad + head) > LINE_LENGTH or width(pad + tail) > LINE_LENGTH:
        return None
    inner = pad + INDENT
    # one item of a literal has no comma for black to split at: it keeps it without one
    if (not literal or len(items) == 1) and not (signature and len(items) == 1):
        body = inner + ", ".join(items)
        if width(body) <= LINE_LENGTH:
            return f"{pad}{head}\n{body}\n{pad}{tail}"
        if literal:
            return None
    lines = [f"{inner}{item}," for item in items]
    if any(width(line) > LINE_LENGTH for line in lines):
        return None
    return "\n".join([pad + head, *lines, pad + tail])


# --- Literals, docstrings and whole statements in black's style -------------------------------


def width(text: str) -> int:
    """The width black measures a line by (East Asian wide characters count twice)."""
    return len(text) if text.isascii() else str_width(text)


def string_literal(text: str) -> str:
    """`repr(text)` with black's quotes: double quotes unless that needs more escapes."""
    plain = repr(text)
    if plain[0] == '"':  # holds a ' and no ": black keeps it (double quotes already)
        return plain
    body = plain[1:-1]
    if "'" not in text:
        return plain if '"' in text else f'"{body}"'
    if text.count('"') > text.count("'"):
        return plain
    # every ' of the body is escaped (\') and no " is: swap which one is escaped
    return '"' + body.replace("\\'", "'").replace('"', '\\"') + '"'


def float_literal(value: float) -> str:
    """`repr(value)` as black writes the number (no `+` in the exponent)."""
    return repr(value).replace("e+", "e")


DOCSTRING_BACKSLASH_RE = re.compile(r"\\\s*\n")


# (cached: the sync and the async method of a request have the same docstring, and a rebuild
# takes the docstrings it had from its build cache)
@persisted("docstring_literals")
def docstring_literal(body: str, indent: int, close_on_own_line: bool = False) -> str:
    """The triple-quoted docstring black makes of `body` (escaped text, see render.docstring,
    lines unindented) at `indent` spaces: the first line carries no indentation (the template
    writes it), the others are indented; `close_on_own_line` puts the closing quotes on a line of
    their own (after a last blank line)."""
    pad = " " * indent
    lines = body.split("\n")
    text = lines[0] + "".join(f"\n{pad}{line}" if line else "\n" for line in lines[1:])
    if close_on_own_line:
        text += f"\n{pad}"
    naive = f'"""{text}"""'
    if DOCSTRING_BACKSLASH_RE.search(naive):
        return naive  # black leaves such a docstring as it is
    return f'"""{_black_docstring(text, pad)}"""'


def _black_docstring(docstring: str, pad: str) -> str:
    """black.linegen's docstring rules (stable style), for a body without backslash-newlines."""
    started = bool(docstring)
    if "\n" in docstring:
        lines = docstring.split("\n")
        least = min(
            (len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()),
            default=None,
        )
        trimmed = [lines[0].strip()]
        if least is not None:
            last = len(lines) - 2
            for index, line in enumerate(lines[1:]):
                stripped = line[least:].rstrip()
                trimmed.append(pad + stripped if stripped or index == last else "")
        docstring = "\n".join(trimmed)
    else:
        docstring = docstring.strip()
    if docstring:
        if docstring[0] == '"':
            docstring = " " + docstring
        if docstring[-1] == '"':
            docstring += " "
    elif started:
        docstring = " "
    lines = docstring.splitlines()
    last_length = len(lines[-1]) if docstring and not docstring.endswith("\n") else 0
    if len(lines) > 1 and last_length + 3 > LINE_LENGTH and len(pad) + 3 <= LINE_LENGTH:
        docstring += "\n" + pad
    return docstring


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


# The code is scanned by jumping from one character that matters to the next with these
# patterns (a character at a time in Python was most of the render stage's time); the first,
# character-by-character implementation is kept in tests/layout_reference.py, and
# tests/test_layout.py checks that both lay out the same statements.
# A string (a backslash escapes the next character), a quote that opens none, a bracket or `#`.
_TOKEN_RE = re.compile(r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|["'()\[\]{}#]""", re.DOTALL)
_OPENING_RE = re.compile(r"[\"'(\[{]")
_ITEM_RE = re.compile(r"[\"'(\[{,]")
_OPERAND_RE = re.compile(r"[\"'(\[{ ]")


@dataclass(frozen=True)
class _Scan:
    """One line of Python in black's spacing, with where each bracket pair and string ends."""

    code: str
    pairs: dict[int, int]  # the index of each opening bracket -> that of its closing one
    openings: dict[int, int]  # the other way round
    strings: dict[int, int]  # the index of each string's opening quote -> its closing quote's


def _scan(code: str) -> _Scan:
    """The bracket pairs and strings of `code`; raises Unsure on comments, triple quotes,
    unterminated strings or unbalanced brackets."""
    pairs: dict[int, int] = {}
    openings: dict[int, int] = {}
    strings: dict[int, int] = {}
    stack: list[int] = []
    for token in _TOKEN_RE.finditer(code):
        index = token.start()
        char = code[index]
        if char in "\"'":
            if code.startswith(char * 3, index):
                raise Unsure("a triple-quoted string")
            if token.end() == index + 1:
                raise Unsure("an unterminated string")  # a quote that closes no string
            strings[index] = token.end() - 1
        elif char == "#":
            raise Unsure("a comment")
        elif char in "([{":
            stack.append(index)
        else:
            if not stack or code[stack[-1]] != CLOSING[char]:
                raise Unsure("unbalanced brackets")
            opening = stack.pop()
            pairs[opening] = index
            openings[index] = opening
    if stack:
        raise Unsure("unbalanced brackets")
    return _Scan(code, pairs, openings, strings)


@dataclass(frozen=True)
class _Split:
    """Code that ends in a bracket pair black may split at: head (up to the opening bracket),
    the items between the brackets, the tail (the closing bracket and what follows)."""

    head: str
    items: tuple[_Split | _Sum | str, ...]
    tail: str
    display: bool  # a tuple, list, dict or set display: exploded whenever it is split
    one_tuple: bool  # `(x,)`
    flat: str  # the whole on one line (see _flat)


@dataclass(frozen=True)
class _Sum:
    """Operands joined by ` + ` (a path built of literal text and quoted arguments)."""

    operands: tuple[str, ...]
    flat: str  # the whole on one line (see _flat)


def _skeleton(scan: _Scan, start: int, end: int) -> str:
    """code[start:end] with the contents of every bracket pair and string left out."""
    code = scan.code
    out: list[str] = []
    index = start
    while index < end:
        found = _OPENING_RE.search(code, index, end)
        if found is None:
            out.append(code[index:end])
            break
        at = found.start()
        if code[at] in "([{":
            out.append(code[index : at + 1])
            index = scan.pairs[at]  # the closing bracket is copied next, when before `end`
        else:
            out.append(code[index:at] + code[at] * 2)
            index = scan.strings[at] + 1
    return "".join(out)


def _items(scan: _Scan, start: int, end: int) -> list[tuple[int, int]]:
    """The spans of the comma-separated items of code[start:end] (an empty last one when the
    items end with a comma)."""
    code = scan.code
    spans: list[tuple[int, int]] = []
    index = item = start
    while (found := _ITEM_RE.search(code, index, end)) is not None:
        at = found.start()
        char = code[at]
        if char == ",":
            spans.append((item, at))
            item = index = at + 2 if code.startswith(", ", at) else at + 1
        elif char in "([{":
            index = scan.pairs[at] + 1
        else:
            index = scan.strings[at] + 1
    spans.append((item, end))
    return spans


def _parse(scan: _Scan, start: int, end: int, statement: bool) -> _Split | _Sum | str:
    """code[start:end] as a split black may make at its last bracket pair, or as an atom (code
    black would not split the way `_lay` does: it is then laid out only when it fits)."""
    code = scan.code
    text = code[start:end]
    if not statement:
        # the same items recur from statement to statement (an auth scheme, a path, a call's
        # arguments in the sync and the async method): an item parses the same wherever it is
        if text in _PARSED:
            known = _PARSED[text]
            if known is None:
                raise Unsure("as before")
            return known
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[text] = None  # until parsed: Unsure if parsing raises it
        parsed = _parse_item(scan, start, end)
        _PARSED[text] = parsed
        return parsed
    return _parse_item(scan, start, end, statement)


# Items already parsed (None: Unsure), by their text; emptied when it grows past _PARSED_MAX.
_PARSED: dict[str, _Split | _Sum | str | None] = {}
_PARSED_MAX = 20_000


def _parse_item(scan: _Scan, start: int, end: int, statement: bool = False) -> _Split | _Sum | str:
    """`_parse` itself."""
    code = scan.code
    text = code[start:end]
    # (a ` + ` of the skeleton is one of the text: what it leaves out sits between brackets or
    # quotes it keeps)
    if not statement and " + " in text and " + " in _skeleton(scan, start, end):
        return _sum(scan, start, end)
    close = end - 1
    tail_start = end - 1
    if statement:
        # `call(...).items()`: black skips the empty brackets and splits at the call's
        trailer = METHOD_TRAILER_RE.search(text)
        if trailer is not None:
            close = tail_start = start + trailer.start()
    if close < start or code[close] not in CLOSING:
        return text
    opening = scan.openings.get(close)
    if opening is None or opening < start:
        return text
    skeleton = _skeleton(scan, start, opening + 1)
    if statement:
        prefix = STATEMENT_PREFIX_RE.match(skeleton)
        skeleton = skeleton[prefix.end() if prefix else 0 :]
    display = DISPLAY_HEAD_RE.fullmatch(skeleton) is not None
    if not display and (code[opening] != "(" or CALL_HEAD_RE.fullmatch(skeleton) is None):
        return text
    spans = _items(scan, opening + 1, close)
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
    items = tuple([_parse(scan, s, e, False) for s, e in spans])
    head, tail = code[start : opening + 1], code[tail_start:end]
    comma = "," if one_tuple else ""
    flat = f"{head}{', '.join([_flat(part) for part in items])}{comma}{tail}"
    return _Split(head, items, tail, display, one_tuple, flat)


def _sum(scan: _Scan, start: int, end: int) -> _Sum | str:
    """code[start:end] as the operands of a sum, or as an atom when it holds other operators."""
    code = scan.code
    operands: list[str] = []
    index = operand = start
    while (found := _OPERAND_RE.search(code, index, end)) is not None:
        at = found.start()
        char = code[at]
        if char in "([{":
            index = scan.pairs[at] + 1
        elif char in "\"'":
            index = scan.strings[at] + 1
        elif code.startswith(" + ", at):
            operands.append(code[operand:at])
            index = operand = at + 3
        else:
            return code[start:end]  # another operator, or a keyword
    operands.append(code[operand:end])
    return _Sum(tuple(operands), " + ".join(operands))


def _flat(item: _Split | _Sum | str) -> str:
    """The item on one line (items joined by `, `, operands by ` + `)."""
    return item if isinstance(item, str) else item.flat


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
        body = " " * inner + ", ".join([_flat(part) for part in items])
        if width(body) <= LINE_LENGTH:
            return [head, body, tail]
    return [head, *[line for part in items for line in _lay(part, inner, ",")], tail]


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
        scan = _scan(code)
        tree = _parse(scan, 0, len(code), True)
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
            value = _parse(scan, prefix.end(), len(code), False)
            pad = " " * indent
            if width(f"{pad}{prefix.group()}(") > LINE_LENGTH:
                return None
            lines = [f"{pad}{prefix.group()}(", *_lay(value, indent + len(INDENT), ""), f"{pad})"]
    except Unsure:
        return None
    return "\n".join(lines)[indent:]


def signature(head: str, params: Sequence[str], tail: str, indent: int = 0) -> str | None:
    """Black's layout of a `def` line (black splits it at the parameters' brackets: the tail may
    hold brackets, as in `) -> list[Model]:`), the first line unindented; None when black might
    lay it out otherwise (a parameter or the tail too long for its line)."""
    pad = " " * indent
    if any(not p or p != p.strip() or "#" in p or "\n" in p for p in params) or not params:
        return None
    one = f"{pad}{head}{', '.join(params)}{tail}"
    if width(one) <= LINE_LENGTH:
        return one[indent:]
    if width(pad + head) > LINE_LENGTH:
        return None
    closing = [pad + tail]
    if width(pad + tail) > LINE_LENGTH:
        # black splits the return annotation at its last subscript when that is all it takes
        match = RETURN_SUBSCRIPT_RE.fullmatch(tail)
        if match is None:
            return None
        closing = [pad + match.group(1), pad + INDENT + match.group(2), pad + "]:"]
        if any(width(line) > LINE_LENGTH for line in closing):
            return None
    inner = pad + INDENT
    if len(params) > 1:
        body = inner + ", ".join(params)
        if width(body) <= LINE_LENGTH:
            return "\n".join([head, body, *closing])
    lines = [f"{inner}{param}," for param in params]
    if any(width(line) > LINE_LENGTH for line in lines):
        return None
    return "\n".join([head, *lines, *closing])


# `) -> name.Name[items]:` with no other bracket in the items
RETURN_SUBSCRIPT_RE = re.compile(rf"(\) -> {NAME}(?:\.{NAME})*\[)([^\[\]()]+)\]:")

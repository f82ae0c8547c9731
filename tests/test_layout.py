"""layout.bracketed gives black's bytes, or None: checked against black over many generated inputs."""

from __future__ import annotations

import ast

import black
import layout_reference
from black.parsing import InvalidInput
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zgen import layout
from zgen.format import BLACK_MODE, already_black
from zgen.layout import (
    LINE_LENGTH,
    bare_def,
    bracketed,
    docstring_literal,
    float_literal,
    nested_call,
    signature,
    statement,
    string_literal,
)
from zgen.render import docstring

SAME = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SAME
@given(st.text(max_size=40) | st.text(alphabet="'\"\\ab\n", max_size=12))
def test_string_literals_are_spelled_as_black_spells_them(text: str) -> None:
    spelled = string_literal(text)
    assert ast.literal_eval(spelled) == text
    source = f"x = {spelled}\n"
    assert black.format_str(source, mode=black.Mode(line_length=1000)) == source


WORDS = st.from_regex(r"[a-z][a-z0-9_]{0,14}", fullmatch=True).filter(
    lambda name: name not in {"if", "in", "is", "or", "as", "def", "for", "and", "not", "del"}
)
DOTTED = st.lists(WORDS, min_size=1, max_size=4).map(".".join)
WIDE_STRINGS = st.text(alphabet="abc XYZ/_-:#,()日本", max_size=30).map(string_literal)
INNER_ARGS = st.one_of(
    WORDS,
    WIDE_STRINGS,
    st.tuples(WORDS, WIDE_STRINGS).map(lambda pair: f"{pair[0]}={pair[1]}"),
    st.tuples(WORDS, WORDS).map(lambda pair: f'{pair[0]}={{"{pair[1]}": b""}}'),
    st.tuples(WORDS, WORDS).map(lambda pair: f"{pair[0]}=saved.{pair[1]}"),
)


@SAME
@given(
    heads=st.lists(DOTTED.map(lambda name: f"{name}("), max_size=3),
    call=DOTTED,
    arguments=st.lists(INNER_ARGS, max_size=6),
    lambda_=st.booleans(),
    depth=st.integers(0, 3),
)
def test_nested_calls(
    heads: list[str], call: str, arguments: list[str], lambda_: bool, depth: int
) -> None:
    call = f"lambda client: client.{call}(" if lambda_ else f"{call}("
    lines = [f"{'    ' * level}def f{level}():" for level in range(depth)]
    indent = 4 * depth
    inner = call + ", ".join(arguments) + ")"
    naive = "\n".join([*lines, " " * indent + "".join(heads) + inner + ")" * len(heads), ""])
    try:
        expected = black.format_str(naive, mode=BLACK_MODE)
    except InvalidInput:
        return  # the drawn arguments are not valid here
    laid = nested_call(heads, call, arguments, indent=indent)
    if laid is None:
        return
    assert "\n".join([*lines, laid, ""]) == expected


def test_nested_calls_leave_to_black_what_they_cannot_vouch_for() -> None:
    assert nested_call(["f("], "lambda client: client." + "x" * 90 + "(", [], indent=4) is None
    assert nested_call(["f("], "g(", ["a, b"]) is None  # not one argument
    assert nested_call(["f("], "g(", ["a", "b,"]) is None  # a magic trailing comma
    assert nested_call(["f[0]("], "g(", ["a"]) is None  # not a plain name
    assert nested_call(["f("], "g(", ["x" * 100]) is None  # an argument too long for any line
    heads = ["saved.assert_result(", "saved.call("]
    assert nested_call(heads, "lambda client: x(", ["a=1"], indent=4) == (
        "    saved.assert_result(saved.call(lambda client: x(a=1)))"
    )
    wide = '"' + "日" * 30 + '"'  # 32 characters, 62 columns
    laid = nested_call(["saved.call("], "lambda client: client.method(", [wide], indent=4)
    assert laid == f"    saved.call(\n        lambda client: client.method({wide})\n    )"


@SAME
@given(
    name=st.from_regex(r"[a-z][a-z0-9_]{55,105}", fullmatch=True),
    returns=st.sampled_from(["None", "SavedResponse", "models.Something", "x" * 90]),
    method=st.booleans(),
)
def test_bare_defs(name: str, returns: str, method: bool) -> None:
    indent = 4 if method else 0
    body = " " * (indent + 4) + '"""Doc."""\n' + " " * (indent + 4) + "return load()\n"
    head = "class A:\n" if method else ""
    naive = f"{head}{' ' * indent}@pytest.fixture\n{' ' * indent}def {name}() -> {returns}:\n{body}"
    laid = bare_def(name, returns, indent=indent)
    if laid is None:
        return
    ours = f"{head}{' ' * indent}@pytest.fixture\n{laid}\n{body}"
    assert ours == black.format_str(naive, mode=BLACK_MODE)


@SAME
@given(
    name=WORDS,
    form=st.from_regex(r"[A-Z][A-Za-z0-9]{0,60}", fullmatch=True),
    keys=st.lists(st.text(alphabet="abcXYZ_-' ", max_size=25), max_size=9),
    files=st.lists(st.booleans(), min_size=9, max_size=9),
)
def test_annotated_dicts(name: str, form: str, keys: list[str], files: list[bool]) -> None:
    items = [
        f"{string_literal(key)}: {'b' if file else ''}\"{'' if file else '1'}\""
        for key, file in zip(keys, files, strict=False)
    ]
    check("def f():\n    @\n", f"{name}: forms.{form} = {{", items, "}", literal=True)


NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,24}", fullmatch=True).filter(
    lambda name: name not in {"if", "in", "is", "or", "as", "def", "for", "and", "not", "del"}
)
TYPES = st.sampled_from(
    ["str", "int", "Model", "str | None", "list[str]", "dict[str, Any]", "Unpack[RequestOptions]"]
)
STRINGS = st.text(alphabet="abcdefghij XYZ/_-{}:", max_size=40).map(lambda text: f'"{text}"')
VALUES = st.one_of(
    NAMES,
    STRINGS,
    st.integers(0, 10**9).map(str),
    st.sampled_from(["None", "True", "self._client", "options", 'params.get("x")']),
    st.tuples(NAMES, NAMES).map(lambda pair: f"{pair[0]}.{pair[1]}"),
    st.tuples(NAMES, NAMES).map(lambda pair: f"{pair[0]}({pair[1]})"),
)
ARGUMENTS = st.one_of(
    VALUES,
    st.tuples(NAMES, VALUES).map(lambda pair: f"{pair[0]}={pair[1]}"),
    VALUES.map(lambda value: f"**{value}" if value.isidentifier() else value),
)
PARAMETERS = st.one_of(
    NAMES,
    st.tuples(NAMES, TYPES).map(lambda pair: f"{pair[0]}: {pair[1]}"),
    st.tuples(NAMES, TYPES).map(lambda pair: f"{pair[0]}: {pair[1]} = None"),
    st.just("*"),
    st.just("**options: Unpack[RequestOptions]"),
)


def check(source: str, head: str, items: list[str], tail: str, **kinds: bool) -> None:
    """`source` is the whole module, with `@` where the construct goes (at the indent of `@`)."""
    line = next(line for line in source.splitlines() if "@" in line)
    indent = len(line) - len(line.lstrip())
    laid = bracketed(head, items, tail, indent=indent, **kinds)
    naive = source.replace("@", f"{head}{', '.join(items)}{tail}".strip(), 1)
    try:
        expected = black.format_str(naive, mode=BLACK_MODE)
    except InvalidInput:
        return  # the drawn items are not valid here (two `*`, `**` before `*`, ...)
    if laid is None:
        return
    ours = source.replace(" " * indent + "@", laid, 1)
    assert ours == expected, f"layout differs from black:\n{ours}\n---\n{expected}"
    assert all(len(line) <= LINE_LENGTH for line in laid.splitlines())


SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(
    name=NAMES,
    parameters=st.lists(PARAMETERS, max_size=8),
    returns=st.sampled_from(["", " -> None", " -> Model", " -> str | None"]),
    method=st.booleans(),
    asynchronous=st.booleans(),
)
def test_signatures(
    name: str, parameters: list[str], returns: str, method: bool, asynchronous: bool
) -> None:
    params = ["self", *parameters] if method else parameters
    keyword = "async def" if asynchronous else "def"
    head, tail = f"{keyword} {name}(", f"){returns}:"
    source = "class A:\n    @\n        return None\n" if method else "@\n    return None\n"
    check(source, head, params, tail, signature=True)


@SETTINGS
@given(
    target=st.one_of(st.just(""), NAMES.map(lambda name: f"{name} = "), st.just("return ")),
    function=st.tuples(NAMES, NAMES).map(lambda pair: f"{pair[0]}.{pair[1]}"),
    arguments=st.lists(ARGUMENTS, max_size=14),
    depth=st.integers(0, 3),
)
def test_calls(target: str, function: str, arguments: list[str], depth: int) -> None:
    if target == "return ":
        depth = max(depth, 1)
    lines = [f"{'    ' * level}def f{level}():" for level in range(depth)]
    source = "\n".join([*lines, "    " * depth + "@", ""])
    check(source, f"{target}{function}(", arguments, ")")


@SETTINGS
@given(
    target=NAMES,
    items=st.lists(VALUES, max_size=10),
    kind=st.sampled_from(["[]", "{}"]),
)
def test_literals(target: str, items: list[str], kind: str) -> None:
    check("@\n", f"{target.upper()} = {kind[0]}", items, kind[1], literal=True)


def test_long_items_are_left_to_black() -> None:
    assert bracketed("f(", ["x" * 120], ")") is None
    assert bracketed("f(", ["a,"], ")") is None
    assert bracketed("f(", ["a"], "]") is None
    assert bracketed("def f(", ["a"], ")") == "def f(a)"
    for head, item, tail in (("X = [", "x" * 95, "]"), ("X = {", '"k": ' + "v" * 90, "}")):
        source = f"{head}{item}{tail}\n"
        laid = bracketed(head, [item], tail, literal=True)
        assert laid is not None and laid + "\n" == black.format_str(source, mode=BLACK_MODE)
    wide = '"' + "日" * 45 + '"'  # 47 characters, 92 columns
    laid = bracketed("call(", [wide, wide], ")")
    assert laid is not None and laid + "\n" == black.format_str(
        f"call({wide}, {wide})\n", mode=BLACK_MODE
    )


STATEMENTS = st.one_of(
    st.tuples(NAMES, NAMES).map(lambda pair: f"{pair[0]} = {pair[1]}\n"),
    st.tuples(NAMES, st.lists(st.text(alphabet="abcXYZ_ -'\\", max_size=12), max_size=4)).map(
        lambda pair: f"{pair[0]} = [\n" + "".join(f'    "{s}",\n' for s in pair[1]) + "]\n"
    ),
    st.tuples(NAMES, st.lists(st.text(alphabet='abcXYZ_ -"\\', max_size=12), max_size=4)).map(
        lambda pair: f"{pair[0]} = [\n" + "".join(f"    '{s}',\n" for s in pair[1]) + "]\n"
    ),
    st.tuples(
        st.from_regex(r"[A-Z][A-Za-z]{30,100}", fullmatch=True),
        st.from_regex(r"[A-Z][A-Za-z]{30,100}", fullmatch=True),
    ).map(lambda pair: f"{pair[0]} = {pair[1]}\n"),
    st.just("\n"),
    st.just("x  =  y\n"),
    st.just("class A:\n    x: int\n"),
)


@SETTINGS
@given(st.lists(STATEMENTS, min_size=1, max_size=12))
def test_pieces_taken_as_already_black_are_what_black_gives(statements: list[str]) -> None:
    piece = "".join(statements)
    laid = already_black(piece)
    try:
        expected = black.format_str(piece, mode=BLACK_MODE)
    except InvalidInput:
        assert laid is None
        return
    assert laid is None or laid == expected


# --- statement, signature, string_literal, docstring_literal ------------------------------------

LONG_NAMES = st.from_regex(r"[a-z][a-z0-9_]{30,90}", fullmatch=True)
SUMS = st.lists(
    st.one_of(STRINGS, NAMES.map(lambda name: f"quote({name})")), min_size=2, max_size=8
).map(" + ".join)
ATOMS = st.one_of(
    NAMES,
    SUMS,
    STRINGS,
    st.integers(0, 10**12).map(str),
    st.sampled_from(["None", "options", "models.Thing | None", '"/a/" + quote(x)', "b[0]"]),
    st.tuples(NAMES, NAMES).map(lambda pair: f"{pair[0]}.{pair[1]}"),
    st.text(alphabet="ab 漢字", min_size=1, max_size=30).map(lambda text: f'"{text}"'),
)


def _expression(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    args = st.lists(
        st.one_of(children, st.tuples(NAMES, children).map(lambda p: f"{p[0]}={p[1]}")),
        max_size=6,
    )
    return st.one_of(
        st.tuples(NAMES, NAMES, args).map(lambda t: f"{t[0]}.{t[1]}({', '.join(t[2])})"),
        st.tuples(LONG_NAMES, args).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(NAMES, st.lists(children, min_size=1, max_size=3), args).map(
            lambda t: f"{t[0]}[{', '.join(t[1])}]({', '.join(t[2])})"
        ),
        st.lists(children, max_size=5).map(
            lambda items: f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
        ),
        st.lists(children, max_size=5).map(lambda items: f"[{', '.join(items)}]"),
        st.tuples(NAMES, children).map(lambda p: f"await {p[0]}({p[1]})"),
    )


EXPRESSIONS = st.recursive(ATOMS, _expression, max_leaves=16)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prefix=st.one_of(
        st.sampled_from(["", "X_CONSTANT = ", "self.name = ", "return ", "return await "]),
        LONG_NAMES.map(lambda name: f"self.{name} = "),
    ),
    expression=EXPRESSIONS,
    trailer=st.sampled_from(["", ".items()"]),
    depth=st.integers(0, 4),
)
def test_statements(prefix: str, expression: str, trailer: str, depth: int) -> None:
    if trailer and not expression.endswith(")"):
        trailer = ""
    code = f"{prefix}{expression}{trailer}"
    if code.startswith('"'):
        return  # a docstring, not a statement
    depth = max(depth, 1) if prefix.startswith("return") or "await" in code else depth
    lines = [f"{'    ' * level}async def f{level}():" for level in range(depth)]
    naive = "\n".join([*lines, "    " * depth + code, ""])
    try:
        expected = black.format_str(naive, mode=BLACK_MODE)
    except InvalidInput:
        return
    laid = statement(code, indent=4 * depth)
    if laid is None:
        return
    ours = "\n".join([*lines, "    " * depth + laid, ""])
    assert ours == expected, f"layout differs from black:\n{ours}\n---\n{expected}"


# Code as the templates write it, and anything else a line may hold (stray quotes, backslashes,
# brackets, commas, comments): the fast scanner must agree with the reference one everywhere.
ODD_CODE = st.text(alphabet="ab_ =+.,:()[]{}\"'\\#", max_size=40)
ODD_PARTS = st.one_of(EXPRESSIONS, ODD_CODE, st.sampled_from(["(", ")", ",", ", ", " + ", '"']))


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prefix=st.sampled_from(["", "x = ", "self.name = ", "return ", "return await "]),
    parts=st.lists(ODD_PARTS, min_size=1, max_size=4),
    trailer=st.sampled_from(["", ".items()", ",)", ", )"]),
    indent=st.sampled_from([0, 4, 8, 60, 96]),
)
def test_statement_is_the_reference_one(
    prefix: str, parts: list[str], trailer: str, indent: int
) -> None:
    """layout.statement scans with regular expressions: it lays out every line as the first,
    character-by-character implementation (tests/layout_reference.py) does."""
    code = prefix + "".join(parts) + trailer
    assert statement(code, indent) == layout_reference.statement(code, indent)
    # again: its items are now remembered (layout._PARSED)
    assert statement(code, indent) == layout_reference.statement(code, indent)
    long = code + " + " + "x" * 100  # over the line length: always parsed
    assert statement(long, indent) == layout_reference.statement(long, indent)
    call = f"{prefix}f({', '.join(parts)}, {'y' * 90})"
    assert statement(call, indent) == layout_reference.statement(call, indent)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ODD_CODE | INNER_ARGS | st.text(max_size=12))
def test_plain_arguments_fast_path(text: str) -> None:
    assert layout._plain_argument(text) == layout._plain_scan(text)


def test_statement_lays_out_nested_calls() -> None:
    code = (
        '_NAME = _base.Operation("POST", _base.ResponseSpec(json=models.CreateBulkWriteJobResponse, '
        'request="Bulk Write / Create Bulk Write Job"), error_type=models.CreateBulkWriteJobError, '
        'headers=(("feature", ("bulk-write",)), ("X-CRM-ORG", (_base.Value("org_id"),))))'
    )
    assert statement(code) == black.format_str(code, mode=BLACK_MODE).rstrip("\n")
    assert statement("x = f(a, b,)") is None  # a magic trailing comma
    assert statement("x = " + "a" * 100) is None


@SETTINGS
@given(
    name=NAMES,
    parameters=st.lists(PARAMETERS, min_size=1, max_size=8),
    returns=st.sampled_from(
        [
            "",
            " -> None",
            " -> list[Model]",
            " -> SyncPages[models.Page, models.Item]",
            " -> _base.SyncPages[models.ListSubscriptionWarehousesResponse, models.ListWarehouses]",
            " -> _base.AsyncPages[models.ListSubscriptionWarehousesResponse, models.ListSubscriptionWarehousesData]",
            " -> Pages[models.ListSubscriptionWarehousesResponseXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX, models.ListSubscriptionData]",
        ]
    ),
    asynchronous=st.booleans(),
    depth=st.integers(0, 2),
)
def test_signature(
    name: str, parameters: list[str], returns: str, asynchronous: bool, depth: int
) -> None:
    keyword = "async def" if asynchronous else "def"
    head, tail = f"{keyword} {name}(", f"){returns}:"
    lines = [f"{'    ' * level}class C{level}:" for level in range(depth)]
    naive_line = f"{head}{', '.join(parameters)}{tail}"
    source = "\n".join([*lines, "    " * depth + "@", "    " * (depth + 1) + "return None", ""])
    try:
        expected = black.format_str(source.replace("@", naive_line), mode=BLACK_MODE)
    except InvalidInput:
        return
    laid = signature(head, parameters, tail, indent=4 * depth)
    if laid is None:
        return
    assert source.replace("@", laid) == expected


@SETTINGS
@given(st.text(max_size=30))
def test_string_literals_are_blacks(text: str) -> None:
    source = f"x = {text!r}\n"
    assert black.format_str(source, mode=BLACK_MODE) == f"x = {string_literal(text)}\n"


@SETTINGS
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_literals_are_blacks(value: float) -> None:
    source = f"x = {value!r}\n"
    assert black.format_str(source, mode=BLACK_MODE) == f"x = {float_literal(value)}\n"


DOC_LINES = st.lists(
    st.one_of(
        st.just(""),
        st.text(alphabet='ab "\\ 漢', max_size=12),
        st.text(alphabet="ab ", min_size=90, max_size=99),
        st.from_regex(r" {1,6}[a-z]{1,8}", fullmatch=True),
    ),
    min_size=1,
    max_size=5,
)


@SETTINGS
@given(lines=DOC_LINES, depth=st.integers(0, 2), own_line=st.booleans())
def test_docstrings_are_blacks(lines: list[str], depth: int, own_line: bool) -> None:
    body = docstring("\n".join(lines))
    heads = [f"{'    ' * level}class C{level}:" for level in range(depth)]
    pad = "    " * depth
    text = body.split("\n")
    naive = text[0] + "".join(f"\n{pad}{line}" if line else "\n" for line in text[1:])
    naive = f'{pad}"""{naive}' + (f"\n{pad}" if own_line else "") + '"""'
    source = "\n".join([*heads, naive, ""]) if depth else naive + "\n"
    if depth == 0:
        source = naive + "\n"
    try:
        expected = black.format_str(source, mode=BLACK_MODE)
    except InvalidInput:
        return
    ours = "\n".join([*heads, pad + docstring_literal(body, 4 * depth, own_line), ""])
    assert ours == expected

"""layout.bracketed gives black's bytes, or None: checked against black over many generated inputs."""

from __future__ import annotations

import ast

import black
from black.parsing import InvalidInput
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zgen.format import BLACK_MODE, already_black
from zgen.layout import LINE_LENGTH, bare_def, bracketed, nested_call, string_literal

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

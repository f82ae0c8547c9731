"""format.model_class lays out datamodel-code-generator's model classes as black would, without
calling black, or declines (None): checked against black over generated classes of many shapes."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import black
from black.parsing import InvalidInput
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zgen.format import BLACK_MODE, already_black, model_class
from zgen.render import docstring, export_order

IDENTIFIERS = st.one_of(
    st.from_regex(r"[a-z][a-z0-9_]{0,30}", fullmatch=True),
    st.sampled_from(["class", "None", "from_", "in", "id", "x" * 70]),
)
CLASS_NAMES = st.from_regex(r"[A-Z][A-Za-z0-9]{0,60}", fullmatch=True)
BASES = st.sampled_from(["ApiModel", "BaseModel", "pkg._base.ApiModel"])
ATOMS = (
    st.sampled_from(["str", "int", "float", "bool", "Any", "AwareDatetime", "None"]) | CLASS_NAMES
)


def _annotations(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        children.map(lambda inner: f"list[{inner}]"),
        children.map(lambda inner: f"dict[str, {inner}]"),
        st.lists(children, min_size=2, max_size=4).map(" | ".join),
        children.map(lambda inner: f"{inner} | None"),
    )


# Mostly the shapes the generator writes (so that many classes are laid out), some that black
# would change or that do not parse (which model_class must refuse).
ANNOTATIONS = st.one_of(
    st.recursive(ATOMS, _annotations, max_leaves=6),
    st.sampled_from(["list[ str ]", "int|None", "dict[str,Any]", "list[int,]", "Literal['a']"]),
)
PLAIN_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
ALIASES = st.one_of(st.from_regex(r"[A-Za-z0-9_$ .:/-]{0,60}", fullmatch=True), PLAIN_TEXT)
VALUES = st.one_of(
    st.just(""),
    st.just(" = None"),
    ALIASES.map(lambda alias: f" = Field(None, alias={alias!r})"),
    ALIASES.map(lambda alias: f" = Field(..., alias={alias!r})"),
    ALIASES.map(lambda alias: f" = Field(..., alias='{alias}')"),  # unescaped: may not parse
    st.sampled_from([" = 'text'", " = 1000", " = Field(default_factory=list)"]),
)
GOOD_FIELDS = st.tuples(
    st.from_regex(r"[a-z][a-z0-9_]{0,40}", fullmatch=True).filter(lambda name: name != "in"),
    st.recursive(ATOMS, _annotations, max_leaves=5),
    st.one_of(
        st.just(""),
        st.just(" = None"),
        st.tuples(st.sampled_from(["None", "..."]), ALIASES).map(
            lambda pair: f" = Field({pair[0]}, alias='{pair[1]}')"
        ),
    ),
).map(lambda f: f"    {f[0]}: {f[1]}{f[2]}")
ANY_FIELDS = st.tuples(IDENTIFIERS, ANNOTATIONS, VALUES).map(lambda f: f"    {f[0]}: {f[1]}{f[2]}")
FIELDS = st.one_of(GOOD_FIELDS, GOOD_FIELDS, GOOD_FIELDS, GOOD_FIELDS, ANY_FIELDS)
DOCS = st.one_of(
    st.just(None),
    st.from_regex(r"[A-Za-z0-9 `().,_-]{1,150}", fullmatch=True).map(docstring),
    st.text(max_size=300).map(docstring),
    st.sampled_from(["Part of the 200 response of `client.a.b()`.", 'ends in a quote"', "a\\b"]),
    st.text(max_size=80),  # not through the docstring filter: control characters, quotes
)


@st.composite
def model_classes(draw: st.DrawFn) -> str:
    lines = [f"class {draw(CLASS_NAMES)}({draw(BASES)}):"]
    doc = draw(DOCS)
    if doc is not None:
        lines.append('    """')
        lines.extend(f"    {line}" if line else "" for line in doc.split("\n"))
        lines.append('    """')
        if draw(st.booleans()):
            lines.append("")
    lines.extend(draw(st.lists(FIELDS, min_size=0, max_size=3)))
    return "\n".join(lines) + "\n" * draw(st.integers(1, 3))


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model_classes())
def test_model_classes_laid_out_without_black_are_what_black_gives(piece: str) -> None:
    laid = model_class(piece)
    if laid is None:
        return
    try:
        expected = black.format_str(piece, mode=BLACK_MODE)
    except InvalidInput as exc:
        raise AssertionError(f"model_class vouched for code that does not parse:\n{piece}") from exc
    assert laid == expected


def test_the_shapes_datamodel_code_generator_writes_are_laid_out_without_black() -> None:
    piece = (
        "class JobDetails(ApiModel):\n"
        '    """\n'
        "    Part of the 200 response of `client.bulk_write.job_details()`.\n"
        '    """\n'
        "    status: str\n"
        "    created_by: CreatedBy | None = None\n"
        "    field_mappings: list[FieldMapping] = Field(..., alias='Field_Mappings')\n"
        "    a_field_with_a_name_long_enough_to_need_a_split: list[JobDetailsResourceFieldMapping]"
        " = Field(None, alias='A_Field_With_A_Name_Long_Enough')\n\n\n"
    )
    laid = already_black(piece)
    assert laid is not None
    assert laid == black.format_str(piece, mode=BLACK_MODE)
    assert 'alias="Field_Mappings"' in laid and "= Field(\n        None," in laid


def test_shapes_black_would_treat_otherwise_are_left_to_black() -> None:
    assert model_class("class A(ApiModel):\n    x: int = 'text'\n") is None
    assert model_class("class A(ApiModel):\n    x: int|None\n") is None
    assert model_class("class A(ApiModel):\n    pass\n") is None
    assert model_class("class A(ApiModel):\n    x: int  # comment\n") is None
    assert model_class("def f() -> None:\n    x: int\n") is None


def test_lines_are_measured_as_black_measures_them() -> None:
    """Wide characters count twice: a line of 70 characters can be over black's limit."""
    alias = "日本" * 15
    piece = f"class A(ApiModel):\n    name: str | None = Field(None, alias='{alias}')\n"
    assert len(piece.split("\n")[1]) <= 100
    laid = model_class(piece)
    assert laid == black.format_str(piece, mode=BLACK_MODE)
    assert laid is not None and "= Field(\n" in laid


RUFF = [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated"]


def test_export_order_is_the_order_ruff_wants(tmp_path: Path) -> None:
    """`__all__` lists are sorted by export_order, and ruff (RUF022) accepts them: names that
    differ in numbers, with leading zeros too (a fixture name cut to length ends in a hex digest:
    `..._05734f8f` goes before `..._2cefe7ad`), capitals and underscores, names without a digit
    (export_order's short way), and a capital alone (`Z`: a class to ruff, not a constant)."""
    stems = ["x_05734f8f", "x_2cefe7ad", "x_479c53b3", "x_0", "x_00", "x_007", "x_10", "x_9"]
    stems += ["Model2", "Model10", "Model02", "MODEL_1", "MODEL_01", "a__b", "a_b", "ab", "a0b"]
    stems += [f"fixture_{n}_{m}" for n in ("0", "01", "1", "10", "010") for m in ("a", "0a")]
    stems += ["Zeta", "alpha", "ALPHA", "alpha_beta", "AlphaBeta", "_private", "a", "Z", "_A"]
    random.Random(7).shuffle(stems)
    names = sorted(stems, key=export_order)
    module = tmp_path / "exports.py"
    module.write_text("__all__ = [\n" + "".join(f'    "{n}",\n' for n in names) + "]\n")
    result = subprocess.run(
        [*RUFF, "--select", "RUF022", str(module)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout


_EXPORT_NAME = st.from_regex(r"_{0,2}[A-Za-z][A-Za-z0-9_]{0,5}", fullmatch=True)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(_EXPORT_NAME, min_size=2, max_size=30, unique=True))
def test_any_names_sorted_by_export_order_are_in_the_order_ruff_wants(
    tmp_path: Path, names: list[str]
) -> None:
    """The same for names of any case, digits and underscores (one ruff run per list)."""
    module = tmp_path / "exports.py"
    ordered = sorted(names, key=export_order)
    module.write_text("__all__ = [\n" + "".join(f'    "{n}",\n' for n in ordered) + "]\n")
    result = subprocess.run(
        [*RUFF, "--select", "RUF022", str(module)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout

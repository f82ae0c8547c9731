"""The piecewise compile check (zgen.compilecheck): it never passes a module that does not compile
whole, it names the line of the error, and a rebuild compiles only the pieces that changed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import collection, output_files, request, response
from hypothesis import given, settings
from hypothesis import strategies as st
from zgen import compilecheck, pipeline
from zgen.diagnostics import Diagnostics, InternalError

# Top-level snippets, each with the blank lines black leaves before it: statements that compile,
# ones that do not, and ones that compile only in context (a clause, a future import, a string or
# bracket that a cut falls into, a decorator without its def, a backslash continuation).
SNIPPETS = [
    "x = 1",
    "class A:\n    x: int = 1",
    "def f(a: int) -> int:\n    return a",
    "@decorator\ndef g() -> None:\n    pass",
    "@decorator",
    "if x:\n    y = 1",
    "else:\n    y = 2",
    "try:\n    pass",
    "except ValueError:\n    pass",
    "from __future__ import annotations",
    "import os",
    'doc = """text\n\n\nclass Inside:\n    pass\n"""',
    'doc = """text\n\nclass Inside:\n    pass\n"""',
    "@decorator\n\ndef spaced() -> None:\n    pass",
    "if y:\n    z = 1\n\nelif z:\n    z = 2",
    "total = 1 + \\\n\nvalue",
    'doc = """open',
    'close = 1\n"""',
    "call(\n    1,",
    "value)",
    "x = 1 + \\",
    "def h(x: (y := 1)) -> None:\n    pass",
    "def k():\n    x = 1\n\n\n# a comment at the margin\n    return x",
    "return 1",
    "nonlocal q",
    "x = (yield)",
    "a b",
    "print('\\0')",
    "lambda: (yield)",
    "def w():\n    global v\n    v = 1",
    "def d(a, a):\n    pass",
]


def whole_compiles(source: str) -> bool:
    return not compilecheck.compile_errors([("m.py", source)])


def passes(source: str, last: bytes | None = None) -> bool:
    """Whether the piecewise check lets `source` through (no piece fails alone)."""
    planned = compilecheck.plan({"m.py": source}, last)
    return not compilecheck.failing(planned.tasks)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(SNIPPETS), min_size=1, max_size=6),
    st.booleans(),
    st.sampled_from(["\n\n\n", "\n\n"]),
)
def test_the_check_passes_exactly_the_modules_that_compile(
    parts: list[str], future: bool, blank: str
) -> None:
    source = blank.join(parts) + "\n"
    if future:
        source = '"""Doc."""\n\nfrom __future__ import annotations\n\n\n' + source
    # a piece that fails alone sends the module to the whole compile, whose answer counts: the
    # check as a whole passes exactly the modules that compile
    if passes(source):
        assert whole_compiles(source), source
    if not whole_compiles(source):
        assert not passes(source), source


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(SNIPPETS), min_size=1, max_size=5))
def test_kept_pieces_are_not_compiled_again_and_the_answer_holds(parts: list[str]) -> None:
    source = "\n\n\n".join(parts) + "\n"
    first = compilecheck.plan({"m.py": source}, None)
    failed = set(compilecheck.failing(first.tasks))
    again = compilecheck.plan({"m.py": source}, first.kept(failed))
    if failed:
        assert again.tasks == first.tasks  # nothing of a failing module is kept
    else:
        assert again.tasks == []
    assert passes(source, first.kept(failed)) == passes(source)


def test_only_the_changed_piece_is_compiled_again() -> None:
    head = '"""Doc."""\n\nfrom __future__ import annotations'
    pieces = [f"class M{i}:\n    x: int = {i}" for i in range(5)]
    source = "\n\n\n".join([head, *pieces]) + "\n"
    first = compilecheck.plan({"m.py": source, "data.json": "{"}, None)
    assert [path for path, _, _ in first.tasks] == ["m.py"]  # not the JSON file
    assert first.tasks[0][2] == [*pieces[:4], pieces[4] + "\n"]
    kept = first.kept(set())
    changed = source.replace("x: int = 2", "x: str = 'two'")
    again = compilecheck.plan({"m.py": changed}, kept)
    assert again.tasks == [("m.py", head, ["class M2:\n    x: str = 'two'"])]
    # the head decides how every piece compiles (its __future__ imports): a new head, all again
    headless = changed.replace("from __future__ import annotations", "import os")
    assert len(compilecheck.plan({"m.py": headless}, kept).tasks[0][2]) == 5


def test_a_constant_among_constants_is_compiled_again_alone() -> None:
    """client.py's operation constants stand one blank line apart: each is a piece of its own."""
    head = '"""Doc."""\n\nfrom __future__ import annotations\n\nimport os'
    constants = [f"_OP_{i} = call({i}, path='/x/{i}')" for i in range(4)]
    source = head + "\n\n" + "\n\n".join(constants) + "\n\n\nclass C:\n    x: int = 1\n"
    first = compilecheck.plan({"m.py": source}, None)
    assert first.tasks[0][1] == head  # to the last import
    assert first.tasks[0][2][:4] == constants
    changed = source.replace("call(2,", "call(20,")
    again = compilecheck.plan({"m.py": changed}, first.kept(set()))
    assert again.tasks == [("m.py", first.tasks[0][1], ["_OP_2 = call(20, path='/x/2')"])]


def test_the_head_s_future_features_apply_to_every_piece() -> None:
    # a named expression in an annotation compiles, except under `from __future__ import
    # annotations`
    piece = "def h(x: (y := 1)) -> None:\n    pass\n"
    assert passes("import os\n\n\n" + piece)
    assert not passes("from __future__ import annotations\n\n\n" + piece)
    assert not whole_compiles("from __future__ import annotations\n\n\n" + piece)


def test_a_future_import_after_the_head_is_not_cut_away() -> None:
    source = "x = 1\n\n\nfrom __future__ import annotations\n"
    assert compilecheck.cut(source) == (source, [])
    assert not passes(source)


@pytest.mark.parametrize("last", [b"", b"garbage", b"\xe9\x00\x00\x00\x00", None])
def test_a_damaged_record_compiles_everything(last: bytes | None) -> None:
    source = "x = 1\n\n\ny = 2\n"
    assert compilecheck.plan({"m.py": source}, last).tasks == [("m.py", "x = 1", ["y = 2\n"])]


def test_a_piece_failing_alone_in_a_module_that_compiles_is_not_an_error(tmp_path: Path) -> None:
    analysis = pipeline.analyze(_collection(tmp_path), Diagnostics())
    source = 'doc = """one\n\n\nclass Inside:\n    pass\n"""\n'
    assert not passes(source)
    memos = pipeline.Memos()
    checks = pipeline.Checks(analysis, {"ping/doc.py": source}, memos=memos)
    checks.finish()  # no error
    # ... and nothing of it is kept: the next build compiles it again
    assert compilecheck.plan({"ping/doc.py": source}, memos.now[pipeline.COMPILED]).tasks


def test_an_error_names_the_line_in_the_whole_module(tmp_path: Path) -> None:
    analysis = pipeline.analyze(_collection(tmp_path), Diagnostics())
    source = "x = 1\n\n\ny = 2\n\n\nz = (\n"
    with pytest.raises(InternalError, match=r"ping/bad\.py line 7"):
        pipeline.Checks(analysis, {"ping/bad.py": source}).finish()


def _collection(tmp_path: Path) -> Path:
    data: dict[str, Any] = {
        "info": {
            "name": "Ping",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "item": [{"name": "Ping", "request": {"method": "GET", "url": "https://example.com/ping"}}],
    }
    path = tmp_path / "ping.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _api(note: object) -> dict[str, Any]:
    return collection(
        *(
            request(
                f"Get thing {i}",
                f"{{{{base_url}}}}/things/{i}",
                responses=[response("ok", 200, {"id": str(i), "note": note if i == 0 else "n"})],
            )
            for i in range(8)
        ),
        variable=[{"key": "base_url", "value": "https://api.example.com"}],
    )


def test_a_rebuild_compiles_only_the_changed_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled: list[str] = []
    real = compilecheck.failing

    def counting(tasks: list[compilecheck.Task]) -> list[str]:
        compiled.extend(piece for _, _, pieces in tasks for piece in pieces)
        return real(tasks)

    monkeypatch.setattr(compilecheck, "failing", counting)
    source = tmp_path / "api.json"
    out = tmp_path / "out"
    source.write_text(json.dumps(_api("text")), encoding="utf-8")
    pipeline.build([source], out)
    first = len(compiled)
    compiled.clear()
    uncached = tmp_path / "uncached"  # the same rebuild without the build cache
    shutil.copytree(out, uncached, ignore=shutil.ignore_patterns(".zgen-cache"))
    # the first request's note becomes a number: its model changes (and what refers to it)
    source.write_text(json.dumps(_api(12)), encoding="utf-8")
    pipeline.build([source], out)
    assert compiled and len(compiled) < first / 4
    assert any("note: int" in piece for piece in compiled)
    pipeline.build([source], uncached)
    assert output_files(out) == output_files(uncached)

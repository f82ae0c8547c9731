"""Builds are atomic: a failure at any point leaves the previous output exactly as it was."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import black
import pytest
import zgen.format
import zgen.pipeline
import zgen.render
import zgen.write
from conftest import collection, request, response
from zgen.pipeline import build
from zgen.write import apply

Snapshot = dict[str, bytes | None]


def snapshot(folder: Path) -> Snapshot:
    """Every file (bytes) and folder (None) under folder, hidden ones included."""
    return {
        path.relative_to(folder).as_posix(): (path.read_bytes() if path.is_file() else None)
        for path in sorted(folder.rglob("*"))
    }


def first_version() -> dict[str, Any]:
    return collection(
        {
            "name": "Users",
            "item": [
                request(
                    "List users",
                    "https://api.example.test/users",
                    responses=[response("ok", 200, {"users": [{"id": 1}]})],
                ),
                request(
                    "Get user",
                    "https://api.example.test/users/:id",
                    responses=[response("found", 200, {"id": 1, "name": "Ada"})],
                ),
            ],
        },
        {
            "name": "Orders",
            "item": [
                request(
                    "List orders",
                    "https://api.example.test/orders",
                    responses=[response("ok", 200, [{"id": 7}])],
                )
            ],
        },
        name="Shop",
    )


def second_version() -> dict[str, Any]:
    """Changes files, adds a folder, and removes the Orders folder (its files and fixtures)."""
    return collection(
        {
            "name": "Users",
            "item": [
                request(
                    "List users",
                    "https://api.example.test/users",
                    responses=[response("ok", 200, {"users": [{"id": 1, "email": "a@x.test"}]})],
                ),
                request(
                    "Get user",
                    "https://api.example.test/users/:id",
                    responses=[response("missing", 404, {"code": "NOT_FOUND"})],
                ),
            ],
        },
        {
            "name": "Payments",
            "item": [
                request(
                    "Pay",
                    "https://api.example.test/pay",
                    method="POST",
                    responses=[response("ok", 201, {"paid": True})],
                )
            ],
        },
        name="Shop",
    )


@pytest.fixture
def previous(tmp_path: Path) -> tuple[Path, Path, Snapshot]:
    """An output folder holding a build of the first version; the source now holds the second."""
    source = tmp_path / "shop.json"
    source.write_text(json.dumps(first_version()), encoding="utf-8")
    out = tmp_path / "out"
    build([source], out)
    source.write_text(json.dumps(second_version()), encoding="utf-8")
    return source, out, snapshot(out)


def fail_on_call(
    real: Callable[..., Any], n: int, error: BaseException
) -> tuple[Callable[..., Any], list[int]]:
    """A wrapper of `real` that raises `error` on its n-th call (1-based) and passes every other call."""
    calls = [0]

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == n:
            raise error
        return real(*args, **kwargs)

    return wrapper, calls


def test_the_second_version_changes_adds_and_removes(
    previous: tuple[Path, Path, Snapshot], tmp_path: Path
) -> None:
    """The scenario is worth testing: a clean build of the second version writes, changes and removes files."""
    source, out, before = previous
    shutil.copytree(out, tmp_path / "clean")
    build([source], tmp_path / "clean")
    after = snapshot(tmp_path / "clean")
    assert {k for k in before if "orders" in k} and not {k for k in after if "orders" in k}
    assert {k for k in after if "payments" in k} and not {k for k in before if "payments" in k}
    assert any(before[k] != after[k] for k in before.keys() & after.keys())


def test_failure_while_rendering(
    previous: tuple[Path, Path, Snapshot], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A second collection fails in render after the first rendered: nothing is written."""
    source, out, before = previous
    other = tmp_path / "other.json"
    other.write_text(
        json.dumps(collection(request("Ping", "https://x.test/ping"), name="Other")),
        encoding="utf-8",
    )
    wrapper, calls = fail_on_call(zgen.render.render, 2, RuntimeError("render exploded"))
    monkeypatch.setattr(zgen.pipeline, "render", wrapper)
    with pytest.raises(RuntimeError, match="render exploded"):
        build([source, other], out)
    assert calls[0] == 2
    assert snapshot(out) == before


@pytest.mark.parametrize(
    ("module", "name", "n"),
    [
        (zgen.format, "vouched_piece", 1),
        (zgen.format, "vouched_piece", 6),
        (black, "format_str", 1),
    ],
)
def test_failure_while_formatting(
    previous: tuple[Path, Path, Snapshot],
    monkeypatch: pytest.MonkeyPatch,
    module: Any,
    name: str,
    n: int,
) -> None:
    """black, or the check of a piece rendered in black's style, raises on its n-th call: nothing
    is written."""
    source, out, before = previous
    templates = None
    if module is black:  # the built-in templates render in black's style: black runs on the
        # output of a user's template
        templates = out.parent / "templates"
        templates.mkdir()
        text = (zgen.render.builtin_templates() / "conftest.py.jinja").read_text(encoding="utf-8")
        (templates / "conftest.py.jinja").write_text(text + "X = 1\n", encoding="utf-8")
    wrapper, calls = fail_on_call(getattr(module, name), n, RuntimeError("format exploded"))
    monkeypatch.setattr(module, name, wrapper)
    with pytest.raises(RuntimeError, match="format exploded"):
        build([source], out, workers=1, templates=templates)
    assert calls[0] == n
    assert snapshot(out) == before


def planned(source: Path, out: Path) -> zgen.write.Plan:
    """The plan of the second version, computed without writing anything."""
    report = build([source], out, check=True)
    assert report.plan.write and report.plan.remove
    return report.plan


def count_calls(
    monkeypatch: pytest.MonkeyPatch, target: Any, name: str, run: Callable[[], None]
) -> int:
    wrapper, calls = fail_on_call(getattr(target, name), 0, RuntimeError("never"))
    monkeypatch.setattr(target, name, wrapper)
    run()
    monkeypatch.undo()
    return calls[0]


def test_failure_of_any_move_into_place(
    previous: tuple[Path, Path, Snapshot], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """os.replace fails on its k-th call, for every k of a whole apply: the folder is as it was."""
    source, out, before = previous
    plan = planned(source, out)
    pristine = tmp_path / "pristine"
    shutil.copytree(out, pristine)
    total = count_calls(monkeypatch, os, "replace", lambda: apply(plan))
    assert total >= len(plan.write)
    for k in range(1, total + 1):
        shutil.rmtree(out)
        shutil.copytree(pristine, out)
        wrapper, _ = fail_on_call(os.replace, k, OSError(28, "No space left on device"))
        monkeypatch.setattr(os, "replace", wrapper)
        with pytest.raises(OSError, match="No space left"):
            apply(plan)
        monkeypatch.undo()
        assert (
            snapshot(out) == before
        ), f"os.replace failing on call {k} of {total} changed the output"


def test_failure_while_staging(
    previous: tuple[Path, Path, Snapshot], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Writing a temporary file fails (disk full) midway: no temporary file or folder is left behind."""
    source, out, before = previous
    plan = planned(source, out)
    total = len(plan.write)
    for k in (1, total // 2, total):
        wrapper, _ = fail_on_call(tempfile.mkstemp, k, OSError(28, "No space left on device"))
        monkeypatch.setattr(tempfile, "mkstemp", wrapper)
        with pytest.raises(OSError, match="No space left"):
            apply(plan)
        monkeypatch.undo()
        assert snapshot(out) == before, f"mkstemp failing on call {k} changed the output"


def test_interrupt_while_building(
    previous: tuple[Path, Path, Snapshot], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C during the build (KeyboardInterrupt from render) leaves the output as it was."""
    source, out, before = previous
    wrapper, _ = fail_on_call(zgen.render.render, 1, KeyboardInterrupt())
    monkeypatch.setattr(zgen.pipeline, "render", wrapper)
    with pytest.raises(KeyboardInterrupt):
        build([source], out)
    assert snapshot(out) == before


def test_a_successful_build_after_a_failure(
    previous: tuple[Path, Path, Snapshot], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """After a failed build, the next build gives the same bytes as a build that never failed."""
    source, out, _ = previous
    clean = tmp_path / "clean"
    shutil.copytree(out, clean)
    build([source], clean)
    wrapper, _ = fail_on_call(os.replace, 2, OSError(5, "I/O error"))
    monkeypatch.setattr(os, "replace", wrapper)
    with pytest.raises(OSError):
        build([source], out)
    monkeypatch.undo()
    build([source], out)
    assert snapshot(out) == snapshot(clean)

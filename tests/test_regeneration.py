"""Regeneration: the same bytes every time, only changed files written, stale files removed, --check."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import black
import pytest
import zgen.format
import zgen.modelgen
import zgen.pipeline
from conftest import CORPUS, REPO, collection, output_files, request, response
from zgen.buildcache import CACHE_DIR
from zgen.format import BLACK_MODE, format_many, format_source, split_top_level
from zgen.pipeline import build
from zgen.write import MANIFEST, apply

ZGEN = [sys.executable, "-m", "zgen"]  # (the command as installed: zgen.cli.run)
Tree = dict[str, bytes]


def mtimes(folder: Path) -> dict[str, int]:
    return {
        p.relative_to(folder).as_posix(): p.stat().st_mtime_ns
        for p in folder.rglob("*")
        if p.is_file() and CACHE_DIR not in p.relative_to(folder).parts
    }


def shop(*, with_orders: bool = True, extra_field: bool = False) -> dict[str, Any]:
    """A small collection with folders, variables, path parameters, saved responses and an error body."""
    user: dict[str, Any] = {
        "id": 1,
        "name": "Ada",
        "created_at": "2024-01-02T03:04:05Z",
        "tags": ["a"],
        "address": {"city": "X", "zip": "1"},
    }
    if extra_field:
        user["nickname"] = "ada"
    error = {"code": "NOT_FOUND", "message": "no such thing", "details": {"id": "9"}}
    folders: list[dict[str, Any]] = [
        {
            "name": "Users",
            "item": [
                request(
                    "List users",
                    "{{base_url}}/users?page=1&per_page=20",
                    responses=[response("ok", 200, {"users": [user], "next": None})],
                ),
                request(
                    "Get user",
                    "{{base_url}}/users/:user_id",
                    responses=[response("found", 200, user), response("missing", 404, error)],
                ),
                request(
                    "Create user",
                    "{{base_url}}/users",
                    method="POST",
                    body={
                        "mode": "raw",
                        "raw": json.dumps({"name": "Ada"}),
                        "options": {"raw": {"language": "json"}},
                    },
                ),
            ],
        }
    ]
    if with_orders:
        folders.append(
            {
                "name": "Orders",
                "item": [
                    request(
                        "List orders",
                        "{{base_url}}/orders",
                        responses=[
                            response("ok", 200, [{"id": 7, "total": 1.5, "user": {"id": 1}}])
                        ],
                    ),
                    request(
                        "Cancel order",
                        "{{base_url}}/orders/:order_id/cancel",
                        method="POST",
                        responses=[response("gone", 404, error)],
                    ),
                ],
            }
        )
    return collection(
        *folders,
        name="Shop API",
        variable=[
            {"key": "base_url", "value": "https://shop.example.test/v1"},
            {"key": "token", "value": ""},
        ],
        auth={"type": "bearer", "bearer": [{"key": "token", "value": "{{token}}"}]},
    )


def write_source(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path


# ---------------------------------------------------------------- determinism


@pytest.mark.slow
def test_same_bytes_under_three_hash_seeds_and_two_working_directories(tmp_path: Path) -> None:
    source = write_source(tmp_path / "shop.json", shop())
    outputs: list[Tree] = []
    runs = [("0", tmp_path), ("1", tmp_path), ("4242", tmp_path / "elsewhere" / "deeper")]
    for index, (seed, cwd) in enumerate(runs):
        cwd.mkdir(parents=True, exist_ok=True)
        out = tmp_path / f"out{index}"
        given = (
            os.path.relpath(source, cwd) if index % 2 else str(source)
        )  # relative and absolute paths
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [*ZGEN, "build", "-q", given, "-o", str(out)],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(output_files(out))
    assert outputs[0] == outputs[1] == outputs[2]
    assert len(outputs[0]) > 10
    for name, content in outputs[0].items():
        text = content.decode("utf-8")
        assert str(tmp_path) not in text, f"{name} holds an absolute path"
        assert "/tmp" not in text and "\\Users\\" not in text
    header = outputs[0]["shop_api/client.py"].decode().splitlines()[0]
    assert header.startswith(f"# Generated by zgen {zgen.__version__} from 'shop.json'")


@pytest.mark.slow
def test_corpus_collection_is_the_same_under_another_hash_seed(tmp_path: Path) -> None:
    source = CORPUS / "postman_echo.json"
    outputs = []
    for seed in ("1", "77"):
        out = tmp_path / f"out{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [*ZGEN, "build", "-q", str(source), "-o", str(out)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(output_files(out))
    assert outputs[0] == outputs[1]


# ---------------------------------------------------------------- writing only what changed


def test_second_build_writes_nothing_and_calls_no_formatter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_source(tmp_path / "shop.json", shop())
    out = tmp_path / "out"
    first = build([source], out)
    assert first.files_written > 10 and first.formatted > 5 and first.reused == 0
    before = mtimes(out)

    def no_black(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("black called on a build with nothing changed")

    monkeypatch.setattr(black, "format_str", no_black)
    second = build([source], out)  # the inputs are unchanged: no stage runs (see buildcache)
    assert second.files_written == 0 and second.files_removed == 0
    assert second.formatted == 0 and second.files_unchanged == first.files_written
    assert mtimes(out) == before
    # Without the build cache, every stage runs, and every file is reused as it is on disk.
    shutil.rmtree(out / CACHE_DIR)
    third = build([source], out)
    assert third.files_written == 0 and third.files_removed == 0
    assert third.formatted == 0 and third.reused == first.formatted
    assert mtimes(out) == before


def test_unchanged_models_skip_datamodel_code_generator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """models.py is keyed by what it depends on: unchanged, it is reused without running the
    model generator; edited by hand, it is assembled again from the classes the manifest recorded;
    changed in the collection, the generator runs over the changed models (and those they use) only.
    """
    import zgen.modelgen
    import zgen.pipeline

    source = write_source(tmp_path / "shop.json", shop())
    out = tmp_path / "out"
    build([source], out)
    pristine = output_files(out)
    real = zgen.modelgen.ModelsInput.raw
    calls: list[list[str]] = []

    def counted(self: zgen.modelgen.ModelsInput) -> str:
        calls.append(sorted(self.document["$defs"]))
        return real(self)

    monkeypatch.setattr(zgen.modelgen.ModelsInput, "raw", counted)
    assert build([source], out).files_written == 0 and calls == []
    models = out / "shop_api" / "models.py"
    models.write_text(models.read_text(encoding="utf-8") + "\nHACK = 1\n", encoding="utf-8")
    assert build([source], out).files_written == 1 and calls == []
    assert output_files(out) == pristine
    monkeypatch.setattr(zgen.modelgen, "code_version", lambda: "another version of the generator")
    report = build([source], out, workers=1)  # the generator's calls are counted in this process
    assert len(calls) == 1, "a new version of the model generator must run again"
    assert report.model_groups_generated == report.model_groups > 1
    assert [path.name for path in report.plan.write] == [MANIFEST]  # same models, new keys recorded
    write_source(source, shop(extra_field=True))
    report = build([source], out, workers=1)
    assert len(calls) == 2 and models.read_bytes() != pristine["shop_api/models.py"]
    assert 0 < report.model_groups_generated < report.model_groups
    assert "ListUser" in calls[1] and len(calls[1]) < len(calls[0])  # the user shape changed
    assert not any(name.startswith("Orders") for name in calls[1])


def test_changed_source_formats_only_the_changed_files(tmp_path: Path) -> None:
    source = write_source(tmp_path / "shop.json", shop())
    out = tmp_path / "out"
    build([source], out)
    before = output_files(out)
    write_source(source, shop(extra_field=True))
    report = build([source], out, workers=1)
    changed = {name for name, content in output_files(out).items() if before.get(name) != content}
    assert "shop_api/models.py" in changed and MANIFEST in "".join(changed)
    assert "shop_api/_base.py" not in changed and "shop_api/errors.py" not in changed
    assert 0 < report.formatted < report.formatted + report.reused
    assert report.reused >= 3  # _base.py, errors.py, testing.py at least


def test_a_hand_edited_file_is_formatted_again_not_reused(tmp_path: Path) -> None:
    source = write_source(tmp_path / "shop.json", shop())
    out = tmp_path / "out"
    build([source], out)
    pristine = output_files(out)
    target = out / "shop_api" / "errors.py"
    target.write_text(target.read_text() + "\nHACK = 1\n", encoding="utf-8")
    report = build([source], out)
    assert report.files_written == 1 and report.formatted == 1
    assert output_files(out) == pristine


def test_removing_a_request_gives_what_a_fresh_build_gives(tmp_path: Path) -> None:
    source = write_source(tmp_path / "shop.json", shop())
    out = tmp_path / "out"
    build([source], out)
    assert any("orders" in name for name in output_files(out))
    write_source(source, shop(with_orders=False))
    # A fresh build that sees only the first build's manifest (the model names it published,
    # which stay importable) writes the same files: nothing of the removed request is left.
    fresh = tmp_path / "fresh"
    (fresh / "shop_api").mkdir(parents=True)
    shutil.copy(out / "shop_api" / ".zgen-manifest.json", fresh / "shop_api")
    report = build([source], out)
    assert report.files_removed >= 2  # the orders fixtures and their test module
    build([source], fresh)
    assert output_files(out) == output_files(fresh)
    assert not any("orders" in name for name in output_files(out))
    assert not (out / "shop_api" / "tests" / "test_orders.py").exists()


def test_a_file_zgen_did_not_write_survives_a_rebuild(tmp_path: Path) -> None:
    source = write_source(tmp_path / "shop.json", shop())
    out = tmp_path / "out"
    build([source], out)
    mine = out / "shop_api" / "tests" / "test_my_own.py"
    mine.write_text("def test_mine() -> None:\n    pass\n", encoding="utf-8")
    notes = out / "shop_api" / "fixtures" / "NOTES.md"
    notes.write_text("my notes\n", encoding="utf-8")
    beside = out / "README.md"
    beside.write_text("hello\n", encoding="utf-8")
    write_source(source, shop(with_orders=False))
    build([source], out)
    assert mine.read_text() == "def test_mine() -> None:\n    pass\n"
    assert notes.read_text() == "my notes\n" and beside.read_text() == "hello\n"


def test_a_manifest_naming_files_outside_the_package_deletes_nothing_there(tmp_path: Path) -> None:
    source = write_source(tmp_path / "shop.json", shop())
    out = tmp_path / "out"
    build([source], out)
    victim = out / "victim.txt"
    victim.write_text("keep me\n", encoding="utf-8")
    manifest = out / "shop_api" / MANIFEST
    data = json.loads(manifest.read_text())
    data["files"] += ["../victim.txt", "/etc/hostname", "tests/../../victim.txt"]
    manifest.write_text(json.dumps(data), encoding="utf-8")
    build([source], out)
    assert victim.read_text() == "keep me\n"


def test_emptied_folders_are_pruned_inside_the_package_only(tmp_path: Path) -> None:
    source = write_source(
        tmp_path / "shop.json",
        collection(
            request("Ping", "https://x.test/ping", responses=[response("ok", 200, {"ok": True})]),
            name="Ping",
        ),
    )
    out = tmp_path / "out"
    build([source], out)
    assert (out / "ping" / "fixtures").is_dir()
    # (a request without a saved response has a fixture too: the collection loses its request)
    write_source(source, collection(name="Ping"))
    build([source], out)
    assert not (out / "ping" / "fixtures").exists()
    assert (out / "ping" / "client.py").is_file()


# ---------------------------------------------------------------- --check


def test_check_passes_on_a_fresh_build_and_names_the_stale_file(tmp_path: Path) -> None:
    source = write_source(tmp_path / "shop.json", shop())
    out = tmp_path / "out"
    done = subprocess.run(
        [*ZGEN, "build", "-q", str(source), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    check = subprocess.run(
        [*ZGEN, "build", "--check", str(source), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "up to date" in check.stdout

    write_source(source, shop(extra_field=True))
    before, stamps = output_files(out), mtimes(out)
    stale = subprocess.run(
        [*ZGEN, "build", "--check", str(source), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert stale.returncode == 1
    assert "shop_api/models.py" in stale.stdout  # the unified diff names the file
    assert "+    nickname: str" in stale.stdout
    assert f"stale: {out / 'shop_api' / 'models.py'}" in stale.stderr
    assert output_files(out) == before and mtimes(out) == stamps  # nothing written


def test_check_reports_a_file_that_would_be_removed(tmp_path: Path) -> None:
    source = write_source(tmp_path / "shop.json", shop())
    out = tmp_path / "out"
    build([source], out)
    write_source(source, shop(with_orders=False))
    report = build([source], out, check=True)
    assert out / "shop_api" / "tests" / "test_orders.py" in report.plan.stale
    assert any("test_orders.py" in diff and "/dev/null" in diff for diff in report.plan.diffs)
    assert (out / "shop_api" / "tests" / "test_orders.py").exists()
    assert report.files_written == 0 and report.files_removed == 0


# ---------------------------------------------------------------- apply is all or nothing


def test_a_failed_move_puts_every_file_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_source(tmp_path / "shop.json", shop())
    out = tmp_path / "out"
    build([source], out)
    before = output_files(out)
    write_source(source, shop(with_orders=False, extra_field=True))
    plan = build([source], out, check=True).plan
    assert plan.write and plan.remove
    real = os.replace
    calls = [0]

    def flaky(src: Any, dst: Any) -> None:
        calls[0] += 1
        if calls[0] == len(plan.write) + 1:  # the first removal, after every file was moved in
            raise OSError(5, "I/O error")
        real(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(OSError, match="I/O error"):
        apply(plan)
    monkeypatch.undo()
    assert output_files(out) == before  # no backup or temporary file left either
    assert not [p.name for p in out.rglob("*") if p.name.endswith((".zgen-tmp", ".zgen-backup"))]


# ---------------------------------------------------------------- formatting in pieces


@pytest.mark.slow
def test_piecewise_formatting_is_what_black_gives_for_the_whole_file(tmp_path: Path) -> None:
    from zgen.diagnostics import Diagnostics
    from zgen.modelgen import generate_models
    from zgen.pipeline import analyze
    from zgen.render import environment, render

    checked = 0
    for source in (
        write_source(tmp_path / "shop.json", shop()),
        CORPUS / "gotowebinar_v2.json",
        CORPUS / "pcg_http_test_collection.json",
    ):
        analysis = analyze(source, Diagnostics())
        package = render(
            analysis.api,
            analysis.inferred,
            analysis.names,
            generate_models(analysis.inferred, analysis.names),
            environment(None),
        )
        for path, text in package.files.items():
            if path.endswith(".py") and text.strip():
                assert format_source(path, text) == black.format_str(text, mode=BLACK_MODE), path
                checked += 1
    assert checked > 20


def test_split_keeps_comments_stubs_and_decorators_with_their_neighbours() -> None:
    source = (
        '"""Doc."""\nimport os\nX = 1\n\n\n# about f\ndef f():\n    pass\n\n\n@decorator\nclass A:\n    x: int\n'
        "def g(): ...\ndef h(): ...\n\n\nclass B:\n    pass\n"
        'class C:\n    x: int\nALIAS = C\nOTHER = B\n\n__all__ = ["C"]\n'
    )
    pieces = split_top_level(source)
    assert pieces[-1] == 'ALIAS = C\nOTHER = B\n\n__all__ = ["C"]\n'  # cut after a class
    assert "".join(pieces) == source
    assert pieces[0].endswith("def f():\n    pass\n\n\n")  # no cut between a comment and its def
    assert pieces[1].startswith("@decorator\nclass A:")
    assert any(
        "def g(): ...\ndef h(): ...\n\n\nclass B" in piece for piece in pieces
    )  # no cut after a stub
    assert format_source("m.py", source) == black.format_str(source, mode=BLACK_MODE)


def test_parallel_formatting_gives_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    client = (REPO / "generator" / "zgen" / "write.py").read_text(encoding="utf-8")
    sources = {"a.py": client, "b.py": client.replace("def ", "def x_"), "c.py": "x  =  1\n"}
    sequential = format_many(sources, workers=1)
    monkeypatch.setattr(zgen.format, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(zgen.format, "BATCH_BYTES", 2_000)
    seen: list[tuple[int, int]] = []
    parallel = format_many(
        sources, workers=2, progress=lambda done, total: seen.append((done, total))
    )
    assert parallel == sequential
    assert sequential["a.py"] == black.format_str(client, mode=BLACK_MODE)
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1] > 3


def test_committed_manifest_records_formatting(tmp_path: Path) -> None:
    source = write_source(tmp_path / "shop.json", shop())
    out = tmp_path / "out"
    build([source], out)
    data = json.loads((out / "shop_api" / MANIFEST).read_text())
    assert data["generator"] == "zgen"
    assert "client.py" in data["files"] and "fixtures/users__get_user__found.json" in data["files"]
    assert set(data["formatted"]) == {
        f for f in data["files"] if f.endswith(".py") and (out / "shop_api" / f).stat().st_size
    }


# ---------------------------------------------------------------- this repository


def test_bare_build_check_in_a_copy_of_the_repository_reproduces_generated(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    copy.mkdir()
    shutil.copy(REPO / "pyproject.toml", copy / "pyproject.toml")
    shutil.copytree(REPO / "collections", copy / "collections")
    shutil.copytree(
        REPO / "generated",
        copy / "generated",
        # (without the build cache, as in a fresh clone: the check builds in full)
        ignore=shutil.ignore_patterns("__pycache__", ".mypy_cache", ".pytest_cache", CACHE_DIR),
    )
    done = subprocess.run(
        [*ZGEN, "build", "--check"], cwd=copy, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "up to date" in done.stdout


def test_files_in_black_style_are_cut_without_a_parse_and_joined_back_unchanged() -> None:
    from zgen.format import join_formatted, vouched_pieces

    source = (
        '"""Module.\n\n\nText at the margin inside the docstring."""\n\nimport x\n\n\n'
        "class A:\n    x: int\n\n\n@decorator\ndef f() -> None:\n    pass\n\n\n# a comment\nY = 1\n"
    )
    pieces = vouched_pieces(source)
    assert pieces is not None and len(pieces) == 4  # the docstring's blank lines cut too
    assert join_formatted(laid for _, laid in pieces) == source
    assert vouched_pieces(source.replace("x: int", "x: int = " + "1 + " * 30 + "1")) is None
    assert vouched_pieces(source.replace("\n\n\nclass", "\n\n\n\nclass")) is None


def test_models_files_are_cut_without_a_parse_where_a_parse_cuts_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """models.py as rendered (the built-in template around datamodel-code-generator's classes) is
    cut at its top-level double blank lines without a parse: the same pieces as the parse's, with
    the aliases apart from the last class (so that they need no black)."""
    from zgen.format import black_style_cut

    rendered: list[str] = []
    real = zgen.format.format_packages

    def spy(output: Path, packages: dict[str, dict[str, str]], **kwargs: Any) -> Any:
        rendered.extend(
            text
            for files in packages.values()
            for p, text in files.items()
            if p.endswith("/models.py")
        )
        return real(output, packages, **kwargs)

    monkeypatch.setattr(zgen.pipeline, "format_packages", spy)
    for index, data in enumerate([shop(extra_field=True), shop(with_orders=False)]):
        build([write_source(tmp_path / f"shop{index}.json", data)], tmp_path / f"out{index}")
    assert len(rendered) == 2
    for text in rendered:
        assert text.count("\nclass ") > 3
        pieces = black_style_cut(text)
        assert pieces is not None and pieces == split_top_level(text)
        last_class = [piece for piece in pieces if piece.startswith("class ")][-1]
        assert "__all__" not in last_class and " = " not in last_class.split("\n")[0]


def test_files_get_the_mode_any_program_would_give_them(tmp_path: Path) -> None:
    """Written through a private temporary file, a generated file still gets the mode of a new
    file under the user's umask (0644 under 022), and keeps the mode a user gave it."""
    source = write_source(tmp_path / "shop.json", shop())
    out = tmp_path / "out"
    old = os.umask(0o027)
    try:
        build([source], out)
    finally:
        os.umask(old)
    files = [p for p in out.rglob("*") if p.is_file() and CACHE_DIR not in p.parts]
    assert files and {p.stat().st_mode & 0o777 for p in files} == {0o640}
    models = out / "shop_api" / "models.py"
    models.chmod(0o664)
    write_source(source, shop(extra_field=True))
    report = build([source], out)
    assert models in report.plan.write and models.stat().st_mode & 0o777 == 0o664


@pytest.mark.parametrize("name", ["user_api_v2_issue175.json", "twitter_api_v2.json"])
def test_model_groups_from_the_references_noted_are_those_found_in_the_schemas(name: str) -> None:
    """models_input notes the models each model refers to as it makes their schemas (a fast
    path); the groups are those made from what the schemas show (`_references`)."""
    from zgen.diagnostics import Diagnostics
    from zgen.render import model_docs

    analysis = zgen.pipeline.analyze(CORPUS / name, Diagnostics())
    docs = model_docs(analysis.api, analysis.inferred, analysis.names)
    fast = zgen.modelgen.models_input(analysis.inferred, analysis.names, docs)
    assert fast.references is not None
    assert any(fast.references.values())  # (a collection whose models refer to others)
    slow = zgen.modelgen.ModelsInput(fast.document, fast.aliases, fast.package)
    assert fast.groups() == slow.groups()
    assert fast.references == {
        name: zgen.modelgen._references(schema) for name, schema in fast.document["$defs"].items()
    }

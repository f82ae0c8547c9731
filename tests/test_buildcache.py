"""The no-change shortcut (zgen.buildcache): a build whose inputs and output files are those of the
last build skips every stage and reports what the last one reported; any change to an input, or
to a file of the output, builds in full and gives the bytes of a fresh build."""

from __future__ import annotations

import importlib.metadata
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import zgen.buildcache
import zgen.pipeline
import zgen.render
from conftest import collection, output_files, request, response
from zgen.buildcache import CACHE_DIR, SHAPING_LIBRARIES, library_version
from zgen.diagnostics import ZgenError
from zgen.pipeline import SourceSettings, build
from zgen.write import MANIFEST


def api() -> dict[str, Any]:
    return collection(
        request(
            "Get Widget",
            "{{base_url}}/widgets/:id",
            responses=[
                response("ok", 200, {"id": "7", "name": "w", "note": None, "tags": []}),
                response("missing", 404, {"code": "NOT_FOUND", "message": "no"}),
            ],
        ),
        request(
            "List Widgets",
            "{{base_url}}/widgets?page=1",
            responses=[response("ok", 200, {"data": [{"id": "7"}], "more": False})],
        ),
        variable=[{"key": "base_url", "value": "https://api.example.com"}],
    )


@pytest.fixture
def analyses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The collections analysed (the stage the shortcut skips), in order."""
    seen: list[str] = []
    real = zgen.pipeline.analyze

    def spy(source: Path, *args: Any, **kwargs: Any) -> zgen.pipeline.Analysis:
        seen.append(source.name)
        return real(source, *args, **kwargs)

    monkeypatch.setattr(zgen.pipeline, "analyze", spy)
    return seen


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_an_unchanged_build_skips_every_stage_and_reports_what_the_last_one_did(
    tmp_path: Path, analyses: list[str]
) -> None:
    source = write(tmp_path / "api.json", api())
    out = tmp_path / "out"
    first = build([source], out)
    assert analyses == ["api.json"] and first.files_written > 10
    before = output_files(out)

    second = build([source], out)
    assert analyses == ["api.json"], "the second build must not analyse the collection again"
    assert second.files_written == 0 and second.files_removed == 0
    assert second.files_unchanged == first.files_written
    assert second.packages == first.packages
    assert second.diagnostics.warnings == first.diagnostics.warnings
    assert any("seen only as null" in w.message for w in second.diagnostics.warnings)
    assert output_files(out) == before
    check = build([source], out, check=True)
    assert not check.plan.stale and analyses == ["api.json"]


def test_the_cache_is_not_output(tmp_path: Path) -> None:
    source = write(tmp_path / "api.json", api())
    out = tmp_path / "out"
    build([source], out, check=True)
    assert not (out / CACHE_DIR).exists(), "--check writes nothing, not even the cache"
    build([source], out)
    assert (out / CACHE_DIR / ".gitignore").read_text().splitlines()[-1] == "*"
    # Without the cache the next build is full, and finds nothing to change.
    for path in (out / CACHE_DIR).iterdir():
        path.unlink()
    (out / CACHE_DIR).rmdir()
    assert not build([source], out).plan.stale


def _edit_response(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    data["item"][0]["response"][0]["body"] = json.dumps({"id": "7", "name": "w", "size": 3})
    write(path, data)


def _edit_generated(out: Path) -> None:
    client = next(out.glob("*/client.py"))
    client.write_text(client.read_text(encoding="utf-8") + "# edited by hand\n", encoding="utf-8")


def _delete_generated(out: Path) -> None:
    next(out.glob("*/tests/conftest.py")).unlink()


def _edit_manifest(out: Path) -> None:
    manifest = next(out.glob(f"*/{MANIFEST}"))
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("\n", "\n ", 1))


def _damage_record(out: Path) -> None:
    next((out / CACHE_DIR).glob("*.json")).write_text("{not json")


def _other_zgen(out: Path) -> None:
    real = zgen.buildcache.code_digest()
    zgen.buildcache.code_digest = lambda: real + "-another-zgen"


CHANGES: dict[str, tuple[Callable[[Path], None], Callable[[Path], None]]] = {
    # name: (change made to the source folder, change made to the output folder)
    "a saved response edited": (_edit_response, lambda out: None),
    "a generated file edited by hand": (lambda src: None, _edit_generated),
    "a generated file deleted": (lambda src: None, _delete_generated),
    "the manifest edited": (lambda src: None, _edit_manifest),
    "the cache record damaged": (lambda src: None, _damage_record),
    "another version of zgen": (lambda src: None, _other_zgen),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_any_change_builds_in_full_and_gives_the_bytes_of_a_fresh_build(
    tmp_path: Path, analyses: list[str], change: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(zgen.buildcache, "code_digest", zgen.buildcache.code_digest)
    source = write(tmp_path / "api.json", api())
    out = tmp_path / "out"
    build([source], out)
    edit_source, edit_output = CHANGES[change]
    edit_source(source)
    edit_output(out)
    if change != "another version of zgen":
        assert build([source], out, check=True).plan.stale or change == "the cache record damaged"
    build([source], out)
    assert analyses[-1] == "api.json" and len(analyses) >= 2, "the change must be seen"
    fresh = tmp_path / "fresh"
    (tmp_path / "elsewhere").mkdir()
    build([write(tmp_path / "elsewhere" / "api.json", json.loads(source.read_text()))], fresh)
    assert output_files(out) == output_files(fresh)
    count = len(analyses)
    assert not build([source], out).plan.write and len(analyses) == count, "then unchanged again"


def test_settings_environment_and_templates_are_inputs(tmp_path: Path, analyses: list[str]) -> None:
    source = write(tmp_path / "api.json", api())
    env = tmp_path / "dev.postman_environment.json"
    env.write_text(json.dumps({"values": [{"key": "base_url", "value": "https://a.example"}]}))
    templates = tmp_path / "templates"
    templates.mkdir()
    out = tmp_path / "out"

    def run(**given: Any) -> None:
        build([source], out, settings={source: SourceSettings(**given)})

    run(environment=env, templates=templates)
    run(environment=env, templates=templates)
    assert len(analyses) == 1
    env.write_text(json.dumps({"values": [{"key": "base_url", "value": "https://b.example"}]}))
    run(environment=env, templates=templates)
    assert len(analyses) == 2, "an edited environment file is an input"
    (templates / "README.md").write_text("a note beside the templates\n")
    run(environment=env, templates=templates)
    assert len(analyses) == 3, "a file added to the templates folder is an input"
    run(environment=env, templates=templates, optional="all")
    assert len(analyses) == 4, "the type policy is an input"
    run(environment=env, templates=templates, optional="all", package="widgets")
    assert len(analyses) == 5, "the package name is an input"
    run(environment=env, templates=templates, optional="all", package="widgets")
    assert len(analyses) == 5


def test_a_kept_package_still_collides_with_another_of_its_name(
    tmp_path: Path, analyses: list[str]
) -> None:
    first = write(tmp_path / "one.json", api())
    second = write(tmp_path / "two.json", api())
    out = tmp_path / "out"
    build([first], out)
    with pytest.raises(ZgenError, match=r"is also built from one\.json"):
        build([first, second], out)


def test_the_file_name_is_an_input(tmp_path: Path, analyses: list[str]) -> None:
    """Every generated header names the collection's file: a renamed file builds again."""
    first = write(tmp_path / "api.json", api())
    out = tmp_path / "out"
    build([first], out)
    renamed = first.rename(tmp_path / "widgets.json")
    build([renamed], out)
    assert analyses == ["api.json", "widgets.json"]
    client = next(out.glob("*/client.py")).read_text(encoding="utf-8")
    assert "from 'widgets.json'" in client


def test_compiled_templates_are_kept_for_the_next_build_and_a_damaged_one_is_compiled_again(
    tmp_path: Path,
) -> None:
    from zgen.render import _new_environment

    source = write(tmp_path / "api.json", api())
    out = tmp_path / "out"
    zgen.render._builtin_environment.cache_clear()  # so that this process compiles them again
    build([source], out)
    kept = sorted((out / CACHE_DIR / "jinja").glob("*.cache"))
    assert kept, "the build kept none of the templates it compiled"

    def fresh(output: Path) -> zgen.buildcache.TemplateCache:
        cache = zgen.buildcache.TemplateCache(output)
        env = _new_environment(None)  # a new process's environment: nothing compiled yet
        env.bytecode_cache = cache
        env.get_template("client.py.jinja")
        env.get_template("test_module.py.jinja")
        return cache

    assert fresh(out).pending == {}  # both taken from the cache, none compiled
    for path in kept:
        path.write_bytes(path.read_bytes()[:40] + b"\0garbage")
    again = fresh(out)
    assert len(again.pending) == 2  # damaged: compiled again, and rendered all the same
    again.save()
    assert fresh(out).pending == {}


def test_a_check_or_a_failed_build_keeps_no_compiled_template(tmp_path: Path) -> None:
    source = write(tmp_path / "api.json", api())
    zgen.render._builtin_environment.cache_clear()  # so that this process compiles them again
    build([source], tmp_path / "checked", check=True)
    assert not (tmp_path / "checked").exists()
    broken = write(tmp_path / "broken.json", {"info": {"name": "x"}, "item": "not a list"})
    zgen.render._builtin_environment.cache_clear()
    with pytest.raises(ZgenError):
        build([source, broken], tmp_path / "failed")
    assert not (tmp_path / "failed").exists()


@pytest.mark.parametrize("library", SHAPING_LIBRARIES)
def test_a_library_version_is_what_importlib_metadata_gives(library: str) -> None:
    assert library_version(library) == importlib.metadata.version(library)


def test_workers_start_before_the_parse_only_for_a_big_collection_not_built_from_these_inputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "api.json"
    source.write_text(json.dumps(api()), encoding="utf-8")
    out = tmp_path / "out"
    build([source], out)
    inputs = zgen.pipeline._inputs_key(source, SourceSettings())
    assert inputs is not None
    assert zgen.buildcache.recorded(out, inputs)
    assert not zgen.buildcache.recorded(out, "0" * 64)
    assert not zgen.buildcache.recorded(tmp_path / "nothing here", inputs)
    # small: never early (the request count decides after the parse)
    assert not zgen.pipeline._early_pool(out, source, inputs)
    monkeypatch.setattr(zgen.pipeline, "POOL_EARLY_BYTES", 10)
    assert not zgen.pipeline._early_pool(out, source, inputs)  # built from these inputs
    assert zgen.pipeline._early_pool(out, source, "0" * 64)  # other inputs
    assert zgen.pipeline._early_pool(tmp_path / "new", source, inputs)  # a first build
    # a build whose workers started early gives the bytes of one whose did not
    started: list[int] = []
    real = zgen.pipeline._WorkerPool

    def pool(count: int) -> Any:
        started.append(count)
        return real(count)

    monkeypatch.setattr(zgen.pipeline, "_WorkerPool", pool)
    early = tmp_path / "early"
    build([source], early, workers=2)
    assert started == [2]
    assert output_files(early) == output_files(out)
    build([source], early, workers=2)  # unchanged: skipped, no worker started
    assert started == [2]

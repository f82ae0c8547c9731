"""Incremental rebuilds: one saved response edited redoes only what depends on it, and gives the
bytes of a fresh build (datamodel-code-generator over the changed group of models only, black over
the changed pieces only)."""

from __future__ import annotations

import copy
import importlib.util
import json
import multiprocessing
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import zgen.modelgen
import zgen.pipeline
from conftest import REPO, collection, request, response
from conftest import output_files as tree
from hypothesis import given, settings
from hypothesis import strategies as st
from zgen.pipeline import build
from zgen.write import MANIFEST


def _synth() -> Callable[..., dict[str, Any]]:
    spec = importlib.util.spec_from_file_location("zgen_bench_synth", REPO / "benchmarks/synth.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    make: Callable[..., dict[str, Any]] = module.make_collection
    return make


def requests(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for item in items:
        if "item" in item:
            found.extend(requests(item["item"]))
        elif item.get("response"):
            found.append(item)
    return found


def piece_keys(folder: Path) -> set[str]:
    """Every piece key the manifests of `folder` record."""
    keys: set[str] = set()
    for manifest in folder.glob(f"*/{MANIFEST}"):
        for record in json.loads(manifest.read_text(encoding="utf-8"))["formatted"].values():
            keys.update(entry.split(":")[0] for entry in record[2].split())
    return keys


def model_keys(folder: Path) -> set[str]:
    """The keys of the models the manifests of `folder` record (one per model class)."""
    keys: set[str] = set()
    for manifest in folder.glob(f"*/{MANIFEST}"):
        keys.update(json.loads(manifest.read_text(encoding="utf-8"))["model_cache"]["groups"])
    return keys


def add_key(body: Any) -> Any:
    body["zgen_added_key"] = {"nested": [1, 2]}
    return body


def deep(body: Any, change: Callable[[Any], Any]) -> Any:
    if isinstance(body, dict):
        return {key: deep(value, change) for key, value in body.items()}
    if isinstance(body, list):
        return [deep(value, change) for value in body]
    return change(body)


def retype_values(body: Any) -> Any:
    """Every string value in the body becomes a number: the shapes' types change."""
    return deep(body, lambda value: 7 if isinstance(value, str) else value)


def change_values(body: Any) -> Any:
    """The same shapes with other numbers: no model changes, only what carries the values."""
    return deep(
        body,
        lambda value: value * 3 + 1 if type(value) in (int, float) else value,
    )


EDITS: dict[str, Callable[[Any], Any]] = {
    "a key added": add_key,
    "types changed": retype_values,
    "values changed": change_values,
}


@pytest.mark.slow
@pytest.mark.parametrize("which", [0, -1])
@pytest.mark.parametrize("edit", list(EDITS))
def test_one_saved_response_edited_rebuilds_only_what_depends_on_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: str, which: int
) -> None:
    original = _synth()(24, seed=3)
    changed = copy.deepcopy(original)
    target = requests(changed["item"])[which]
    saved = next(r for r in target["response"] if isinstance(json.loads(r["body"]), dict))
    saved["body"] = json.dumps(EDITS[edit](json.loads(saved["body"])), indent=2)

    source = tmp_path / "api.json"
    source.write_text(json.dumps(original), encoding="utf-8")
    out = tmp_path / "out"
    first = build([source], out)
    assert first.model_groups > 3 and first.model_groups_generated == first.model_groups
    before = tree(out)
    keys_before = piece_keys(out)
    models_before = model_keys(out)

    # The model names the first build published: an input of any later build of the package
    # (kept importable), so the fresh build below starts from them too, and from nothing else.
    published = {
        manifest.parent.name: {
            key: value
            for key, value in json.loads(manifest.read_text(encoding="utf-8")).items()
            if key in ("generator", "models", "aliases")
        }
        for manifest in out.glob("*/.zgen-manifest.json")
    }
    source.write_text(json.dumps(changed), encoding="utf-8")
    real = zgen.modelgen.ModelsInput.raw
    generated: list[list[str]] = []

    def counted(self: zgen.modelgen.ModelsInput) -> str:
        generated.append(sorted(self.document["$defs"]))
        return real(self)

    monkeypatch.setattr(zgen.modelgen.ModelsInput, "raw", counted)
    report = build([source], out, workers=1)  # the generator's calls are counted in this process
    after = tree(out)
    monkeypatch.undo()

    (tmp_path / "elsewhere").mkdir()
    fresh_source = tmp_path / "elsewhere" / "api.json"
    fresh_source.write_text(json.dumps(changed), encoding="utf-8")
    fresh = tmp_path / "fresh"
    for package, names in published.items():
        (fresh / package).mkdir(parents=True)
        (fresh / package / ".zgen-manifest.json").write_text(json.dumps(names), encoding="utf-8")
    build([fresh_source], fresh)
    assert after == tree(fresh), "an incremental rebuild must give the bytes of a fresh build"
    assert not build([source], out, check=True).plan.stale

    # Only the files whose bytes change are written; the runtime and most test modules are not.
    differ = {name for name in after if before.get(name) != after[name]}
    written = {p.relative_to(out).as_posix() for p in report.plan.write}
    assert written == differ and report.files_removed == 0
    assert any(name.endswith(".json") and "/fixtures/" in name for name in written)
    assert len(written) <= 8 < len(after)
    # black ran only over pieces no file of the last build had; the rest was cut from disk.
    assert report.pieces_formatted == len(piece_keys(out) - keys_before)
    # (a changed type also changes the pieces that name the model: its aliases, `__all__`)
    assert report.pieces_reused > 5 * report.pieces_formatted or report.formatted == 0
    # datamodel-code-generator ran at most once, over the models whose schema (or that of a model
    # they refer to) changed, and the models these refer to.
    new_models = model_keys(out) - models_before
    assert report.model_groups_generated == len(new_models)
    if edit == "values changed":
        assert generated == [] and not new_models
        assert not any(name.endswith("/models.py") for name in written)
    else:
        assert len(generated) == 1 and 0 < len(new_models) <= len(generated[0])
        models = next(text for name, text in after.items() if name.endswith("/models.py"))
        # A model is keyed by its own schema and the names of the models it refers to: an edit
        # regenerates the models it changes (and those renamed by it), not every model that
        # refers to them; the generator sees those only as stand-ins.
        assert 2 * len(generated[0]) < models.count(b"\nclass ")


def small(note: str) -> dict[str, Any]:
    """Two folders; `note` goes into one saved response of the second."""
    user = {"id": 1, "name": "Ada", "address": {"city": "X"}, "tags": [{"k": "v"}]}
    order = {"id": 2, "total": 9.5, "lines": [{"sku": "A", "qty": 1}], "note": note}
    return collection(
        {
            "name": "Users",
            "item": [
                request("Get user", "{{base}}/users/:id", responses=[response("ok", 200, user)])
            ],
        },
        {
            "name": "Orders",
            "item": [
                request("Get order", "{{base}}/orders/:id", responses=[response("ok", 200, order)])
            ],
        },
    )


def build_into(folder: Path, data: dict[str, Any]) -> Path:
    """Build `data` (as api.json in `folder`) into folder/out."""
    folder.mkdir(exist_ok=True)
    source = folder / "api.json"
    source.write_text(json.dumps(data), encoding="utf-8")
    build([source], folder / "out")
    return folder / "out"


@pytest.mark.parametrize(
    "damage",
    ["models record not JSON", "models record of another shape", "hand-edited client and models"],
)
def test_a_damaged_record_or_hand_edited_file_still_gives_a_fresh_build(
    tmp_path: Path, damage: str
) -> None:
    """What the last build recorded is used only where it can be trusted: a record that is not
    one is ignored, and no piece is cut from a file edited since it was written."""
    out = build_into(tmp_path / "a", small("first"))
    manifest = out / "test_api" / MANIFEST
    data = json.loads(manifest.read_text(encoding="utf-8"))
    if damage == "models record not JSON":
        data["model_cache"] = "garbage"
    elif damage == "models record of another shape":
        data["model_cache"]["groups"] = {
            key: {"Other": ["x", []]} for key in data["model_cache"]["groups"]
        }
    manifest.write_text(json.dumps(data), encoding="utf-8")
    if damage == "hand-edited client and models":
        for name in ("client.py", "models.py"):
            path = out / "test_api" / name
            path.write_text(path.read_text(encoding="utf-8").replace("\n\n\n", "\n\n\n# x\n"))
    rebuilt = build_into(tmp_path / "a", small("second, a number: 1"))
    fresh = build_into(tmp_path / "b", small("second, a number: 1"))
    assert tree(rebuilt) == tree(fresh)


@pytest.mark.slow
def test_a_first_build_in_halves_gives_the_bytes_of_one_generator_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many models are generated in two halves (the second in another process): the same bytes
    as one call over all of them, whatever the number of processes."""
    source = tmp_path / "api.json"
    source.write_text(json.dumps(_synth()(24, seed=5)), encoding="utf-8")
    real = zgen.modelgen.ModelsInput.raw
    calls: list[int] = []

    def counted(self: zgen.modelgen.ModelsInput) -> str:
        calls.append(len(self.document["$defs"]))
        return real(self)

    monkeypatch.setattr(zgen.modelgen.ModelsInput, "raw", counted)
    whole = build([source], tmp_path / "whole", workers=1)
    assert len(calls) == 1 and whole.model_groups == calls[0] > 20
    monkeypatch.setattr(zgen.modelgen, "HALVES_MIN_MODELS", 2)
    calls.clear()
    build([source], tmp_path / "halves", workers=1)
    assert len(calls) == 2 and sum(calls) >= whole.model_groups  # stand-ins come on top
    build([source], tmp_path / "halves-in-two-processes", workers=2)
    expected = tree(tmp_path / "whole")
    assert tree(tmp_path / "halves") == expected
    assert tree(tmp_path / "halves-in-two-processes") == expected


_MODEL_NAMES = ["Alpha", "Beta", "Gamma"]


@st.composite
def _models_inputs(draw: st.DrawFn) -> zgen.modelgen.ModelsInput:
    """A small models input: models that may refer to each other, field names (some owned by no
    model), now and then a key besides `$defs`, one of two packages."""
    names = draw(st.lists(st.sampled_from(_MODEL_NAMES), unique=True, max_size=3))
    defs: dict[str, Any] = {}
    for name in names:
        properties: dict[str, Any] = {}
        for key in draw(st.lists(st.sampled_from(["id", "x"]), unique=True, max_size=2)):
            target = draw(st.sampled_from([None, *names]))
            kind = draw(st.sampled_from(["string", "integer"]))
            properties[key] = {"$ref": f"#/$defs/{target}"} if target else {"type": kind}
        defs[name] = {"type": "object", "title": name, "properties": properties}
    owners = [*names, "Omega"]  # (Omega: a field name no model owns)
    aliases = {
        f"{owner}.{key}": field
        for owner, key, field in draw(
            st.lists(
                st.tuples(st.sampled_from(owners), st.sampled_from(["id", "x"]), st.just("y")),
                max_size=2,
            )
        )
    }
    document: dict[str, Any] = {"$defs": defs}
    if draw(st.booleans()):
        document["description"] = draw(st.sampled_from(["a", "b"]))
    return zgen.modelgen.ModelsInput(document, aliases, draw(st.sampled_from(["p", "q"])))


@settings(max_examples=300, deadline=None)
@given(_models_inputs(), _models_inputs())
def test_the_models_key_is_the_same_exactly_when_the_input_is(
    one: zgen.modelgen.ModelsInput, other: zgen.modelgen.ModelsInput
) -> None:
    """The key models.py is recorded by (made from the models' group keys, not the document's
    text) tells any two inputs apart: a model, a field, a field name (owned by a model or not),
    the models' order, a key besides `$defs`, the package."""

    def plain(item: zgen.modelgen.ModelsInput) -> str:
        # (the order of the models counts; zgen writes a model's fields, and its field names, in
        # one order: sorted, see schema_document)
        models = list(item.document["$defs"])
        return json.dumps([models, item.document, item.aliases, item.package], sort_keys=True)

    assert (one.key() == other.key()) == (plain(one) == plain(other))


@pytest.mark.parametrize("halves", [False, True])
def test_models_generated_in_worker_processes_during_the_render_give_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, halves: bool
) -> None:
    """A big collection's models are generated in worker processes (started before the analysis,
    working while the package renders): the bytes of a build in this process alone."""
    source = tmp_path / "api.json"
    source.write_text(json.dumps(_synth()(12, seed=3)), encoding="utf-8")
    build([source], tmp_path / "here", workers=1)
    if halves:
        monkeypatch.setattr(zgen.modelgen, "HALVES_MIN_MODELS", 2)
    monkeypatch.setattr(zgen.pipeline, "POOL_MIN_REQUESTS", 1)
    started: list[int] = []
    real = zgen.modelgen.ModelsInput.start

    def spy(self: zgen.modelgen.ModelsInput, *args: Any, **kwargs: Any) -> Any:
        generation = real(self, *args, **kwargs)
        started.append(len(generation.futures))
        return generation

    monkeypatch.setattr(zgen.modelgen.ModelsInput, "start", spy)
    report = build([source], tmp_path / "workers", workers=2)
    assert started == [2 if halves else 1], "the calls must have gone to the worker processes"
    assert report.model_groups_generated == report.model_groups > 5
    assert tree(tmp_path / "workers") == tree(tmp_path / "here")
    # and a second build finds nothing to do
    assert not build([source], tmp_path / "workers", workers=2).plan.write


def test_a_worker_still_starting_when_the_build_is_done_is_stopped_not_waited_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker whose start-up (loading the model generator) outlasts the work is stopped: the
    build neither waits for it nor hangs, and gives the bytes of a build in one process."""
    source = tmp_path / "api.json"
    source.write_text(json.dumps(_synth()(12, seed=3)), encoding="utf-8")
    build([source], tmp_path / "here", workers=1)
    claim, waited = tmp_path / "first-worker", tmp_path / "waited"
    real = zgen.modelgen.warm_up

    def slow_second(*args: Any) -> None:
        try:
            claim.touch(exist_ok=False)  # the first worker starts as usual...
        except FileExistsError:
            threading.Event().wait(30)  # ...the others take long to start
            waited.touch()  # (only if the build waited for them)
        real(*args)

    monkeypatch.setattr(zgen.pipeline, "warm_up", slow_second)
    monkeypatch.setattr(zgen.pipeline, "POOL_MIN_REQUESTS", 1)
    children = set(multiprocessing.active_children())
    build([source], tmp_path / "workers", workers=3)
    assert tree(tmp_path / "workers") == tree(tmp_path / "here")
    assert set(multiprocessing.active_children()) <= children  # every worker is gone
    assert not waited.exists(), "the build waited for a worker that had no task"


def test_later_workers_load_the_generator_after_the_first_one_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the first worker loads the model generator, the others wait (the analysis has the
    other core): each later worker starts loading only when the first is done."""
    real = zgen.modelgen.warm_up

    def logged(*args: Any) -> None:
        started = time.monotonic()
        real(*args)
        (tmp_path / f"warm-{os.getpid()}").write_text(f"{started} {time.monotonic()}")

    monkeypatch.setattr(zgen.pipeline, "warm_up", logged)
    pool = zgen.pipeline._WorkerPool(3)
    try:
        deadline = time.monotonic() + 60
        while len(list(tmp_path.glob("warm-*"))) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        pool.shutdown()
    spans = sorted(tuple(map(float, path.read_text().split())) for path in tmp_path.glob("warm-*"))
    assert len(spans) == 3
    first_done = spans[0][1]
    assert all(start >= first_done for start, _ in spans[1:])


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_a_session_s_rebuilds_after_edit_after_edit_are_what_builds_in_new_processes_give(
    tmp_path: Path, workers: int
) -> None:
    """`zgen build --watch` keeps its stage memos in memory from one build to the next: each of a
    run of edits (every kind, to the first and the last request, and back) builds in the session
    the bytes a build in a new process gives from the same folder."""
    original = _synth()(60, seed=5)
    versions = [original]
    for edit in EDITS.values():
        for which in (0, -1):
            changed = copy.deepcopy(versions[-1])
            target = requests(changed["item"])[which]
            saved = next(r for r in target["response"] if isinstance(json.loads(r["body"]), dict))
            saved["body"] = json.dumps(edit(json.loads(saved["body"])), indent=2)
            versions.append(changed)
    versions.append(original)
    source = tmp_path / "api.json"
    out = tmp_path / "out"
    with zgen.pipeline.Session() as session:
        for step, version in enumerate(versions):
            cold = tmp_path / f"cold{step}"
            if out.exists():  # the folder as the session's last build left it, without its cache
                shutil.copytree(out, cold, ignore=shutil.ignore_patterns(".zgen-cache"))
            source.write_text(json.dumps(version), encoding="utf-8")
            build([source], out, workers=workers, session=session)
            if step:
                build([source], cold, workers=workers)
                assert tree(out) == tree(cold), f"step {step}"

"""End to end: the bundled collection builds into exactly the committed generated/ package."""

from __future__ import annotations

import datetime
import gc
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import zgen.modelgen
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st
from zgen.buildcache import CACHE_DIR
from zgen.cli import read_config
from zgen.diagnostics import ZgenError
from zgen.pipeline import build

COLLECTIONS = sorted((REPO / "collections").glob("*.json"))
CONFIG = read_config(REPO)
assert CONFIG is not None
SETTINGS = {source: CONFIG.settings[source.resolve()] for source in COLLECTIONS}


def test_build_matches_committed_generated_folder() -> None:
    report = build(COLLECTIONS, REPO / "generated", check=True, settings=SETTINGS)
    assert report.plan.stale == [], f"generated/ is stale: {report.plan.stale}"
    assert report.files_unchanged > 10


def test_fresh_build_is_byte_for_byte_the_committed_folder(tmp_path: Path) -> None:
    """A build with nothing on disk to reuse (no format or model cache) writes exactly generated/.

    Only the manifest is there: the model names it records as published stay importable."""
    for manifest in (REPO / "generated").glob("*/.zgen-manifest.json"):
        (tmp_path / manifest.parent.name).mkdir()
        shutil.copy(manifest, tmp_path / manifest.parent.name / manifest.name)
    build(COLLECTIONS, tmp_path, settings=SETTINGS)

    def tree(root: Path) -> dict[str, bytes]:
        return {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in root.rglob("*")
            if p.is_file()
            and not {"__pycache__", ".mypy_cache", CACHE_DIR} & set(p.relative_to(root).parts)
        }

    assert tree(tmp_path) == tree(REPO / "generated")


def test_second_build_rewrites_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = build(COLLECTIONS, out, settings=SETTINGS)
    assert first.files_written > 10
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    second = build(COLLECTIONS, out, settings=SETTINGS)
    assert second.files_written == 0 and second.files_removed == 0
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == mtimes


def test_one_generated_test_per_saved_response() -> None:
    report = build(COLLECTIONS, REPO / "generated", check=True, settings=SETTINGS)
    tests_dir = REPO / "generated" / "zoho_crm_bulk_write" / "tests"
    count = sum(
        text.count("\ndef test_") for text in (p.read_text() for p in tests_dir.glob("test_*.py"))
    )
    assert count == sum(p.responses for p in report.packages) == 12


def test_seed_success_response_is_a_typed_model() -> None:
    from zoho_crm_bulk_write import models
    from zoho_crm_bulk_write.testing import SavedResponse

    saved = SavedResponse.load("bulk_write__job_details__success_response")
    with saved.client() as client:
        job = client.bulk_write.job_details(job_id="4150868000005350003")
    assert isinstance(job, models.BulkWriteJobDetailsResponse)
    assert job.resource[0].file.added_count == 9
    assert job.created_by.name == "Patricia Boyle"
    assert job.created_time == datetime.datetime(2021, 5, 11, 7, 8, 29, tzinfo=datetime.UTC)
    assert saved.requests[-1].url.path == "/crm/bulk/v2.1/write/4150868000005350003"
    assert saved.requests[-1].headers["Authorization"] == "Bearer test-credential"


def test_seed_authentication_failure_raises_the_401_class() -> None:
    from zoho_crm_bulk_write import ApiStatusError, AuthenticationError, models
    from zoho_crm_bulk_write.testing import SavedResponse

    saved = SavedResponse.load("bulk_write__job_details__authentication_failure")
    with saved.client() as client, pytest.raises(AuthenticationError) as caught:
        client.bulk_write.job_details(job_id="4150868000005350003")
    error = caught.value
    assert isinstance(error, ApiStatusError)
    assert error.status_code == 401
    assert error.code == "AUTHENTICATION_FAILURE"
    assert error.message == "Authentication failed"
    assert isinstance(error.parsed, models.ErrorResponse)


def test_zoho_oauth_prefix_reaches_the_request() -> None:
    from zoho_crm_bulk_write.testing import SavedResponse

    saved = SavedResponse.load("bulk_write__create_bulk_write_job__success")
    with saved.client() as client:
        created = client.bulk_write.create_bulk_write_job(body={"operation": "insert"})
    assert created.details.created_by.name == "Patricia Boyle"
    request = saved.requests[-1]
    assert request.headers["Authorization"] == "Zoho-oauthtoken test-credential"
    assert request.method == "POST"
    assert request.content == b'{"operation":"insert"}'


@pytest.mark.parametrize("content", [b"not json at all {", b"[1, 2, 3]"])
def test_bad_input_leaves_output_untouched(tmp_path: Path, content: bytes) -> None:
    from click.testing import CliRunner
    from zgen.cli import main

    out = tmp_path / "out"
    shutil.copytree(REPO / "generated", out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    result = CliRunner().invoke(main, ["build", str(bad), "-o", str(out)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "bad.json" in lines[0] and "Traceback" not in result.output
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_polling_a_running_job_parses_without_result() -> None:
    """[tool.zgen] makes `result` and `resource[].code` optional: a running job has neither."""
    import httpx
    from zoho_crm_bulk_write import Client
    from zoho_crm_bulk_write.testing import SavedResponse

    finished = SavedResponse.load("bulk_write__job_details__success_response").json
    running = {**finished, "status": "IN PROGRESS"}
    del running["result"]
    running["resource"] = [{k: v for k, v in finished["resource"][0].items() if k != "code"}]
    bodies = [running, finished]

    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=bodies.pop(0))

    with Client(
        access_token="t", http_client=httpx.Client(transport=httpx.MockTransport(respond))
    ) as client:
        first = client.bulk_write.job_details(job_id="1")
        second = client.bulk_write.job_details(job_id="1")
    assert first.status == "IN PROGRESS" and first.result is None and first.resource[0].code is None
    assert second.result is not None and second.result.download_url.endswith(".zip")


def test_collection_builds_the_same_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run from elsewhere, a collection still gets the [tool.zgen] settings of its own project."""
    from click.testing import CliRunner
    from zgen.cli import main

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        main, ["build", "--check", "-q", *map(str, COLLECTIONS), "-o", str(REPO / "generated")]
    )
    assert result.exit_code == 0, result.output


def test_job_details_is_the_seed_request_exactly() -> None:
    """collections/ holds the seed document's "Job Details" item as given, in a "Bulk Write" folder.

    tests/fixtures/seed_job_details_item.json is the "Postman Collection Item JSON" of the seed
    document the project started from (the user's Zoho CRM request with its six saved responses),
    cut out of that page unchanged."""
    import json

    item = json.loads(
        (REPO / "tests" / "fixtures" / "seed_job_details_item.json").read_text(encoding="utf-8")
    )
    data = json.loads(
        (REPO / "collections" / "zoho_crm_bulk_write.json").read_text(encoding="utf-8")
    )
    folder = next(entry for entry in data["item"] if entry["name"] == "Bulk Write")
    assert next(entry for entry in folder["item"] if entry["name"] == "Job Details") == item
    assert len(item["response"]) == 6


def test_a_manifest_is_parsed_once_per_build_and_read_again_after(tmp_path: Path) -> None:
    from zgen.write import MANIFEST, read_manifest, reading_manifests

    package = tmp_path / "pkg"
    package.mkdir()
    (package / MANIFEST).write_text('{"files": ["a.py"]}', encoding="utf-8")
    with reading_manifests():
        first = read_manifest(package)
        (package / MANIFEST).write_text('{"files": ["b.py"]}', encoding="utf-8")
        assert read_manifest(package) is first  # a build's stages share one reading
    assert read_manifest(package).files == ["b.py"]  # outside a build, the file as it is now
    assert read_manifest(package) is not read_manifest(package)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab/.\\", max_size=12))
def test_the_fast_path_check_of_a_written_path_agrees_with_the_full_one(path: str) -> None:
    from pathlib import PurePosixPath

    from zgen.write import _within, safe_relative

    rel = PurePosixPath(path)
    refused = rel.is_absolute() or any(p in ("", ".", "..") for p in rel.parts) or "\\" in path
    if refused:
        with pytest.raises(RuntimeError):
            safe_relative(path)
    else:
        assert safe_relative(path) == rel
    inside = f"pkg/{path}"
    try:
        expected = PurePosixPath(inside).relative_to("pkg").as_posix()
    except ValueError:
        return
    assert _within(inside, "pkg") == expected


GC_NOTES = "ZGEN_TEST_GC_NOTES"  # a folder where a worker notes whether its collector is on
_REAL_GENERATE = zgen.modelgen._generate


def _generate_noting_the_collector(*args: Any) -> Any:
    """zgen.modelgen._generate, noting first whether the collector is on (a function of the
    module, not of the test: the worker receives it by name)."""
    folder = os.environ.get(GC_NOTES)
    if folder:
        (Path(folder) / f"task-gc-{os.getpid()}").write_text(str(gc.isenabled()))
    return _REAL_GENERATE(*args)


def test_the_garbage_collector_is_paused_during_a_build_and_on_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    import zgen.modelgen
    import zgen.pipeline
    import zgen.render
    from conftest import collection, request, response

    seen: list[bool] = []
    real_render = zgen.render.render

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return real_render(*args, **kwargs)

    def warm(*args: Any) -> None:  # in each worker: is its collector on while it loads?
        (tmp_path / f"worker-gc-{os.getpid()}").write_text(str(gc.isenabled()))
        zgen.modelgen.warm_up()

    monkeypatch.setattr(zgen.pipeline, "render", spy)
    monkeypatch.setattr(zgen.pipeline, "warm_up", warm)
    monkeypatch.setenv(GC_NOTES, str(tmp_path))  # ... and while it runs a task?
    monkeypatch.setattr(zgen.modelgen, "_generate", _generate_noting_the_collector)
    monkeypatch.setattr(zgen.pipeline, "POOL_MIN_REQUESTS", 1)
    data = collection(request("Ping", "{{host}}/ping", responses=[response("ok", 200, {"a": 1})]))
    source = tmp_path / "api.json"
    source.write_text(json.dumps(data), encoding="utf-8")
    assert gc.isenabled()
    build([source], tmp_path / "out", workers=2)
    assert seen == [False] and gc.isenabled()
    # off while a worker loads the generator (the objects it makes live as long as the worker),
    # on for its tasks
    workers = [p.read_text() for p in tmp_path.glob("worker-gc-*")]
    assert workers and set(workers) == {"False"}
    tasks = [p.read_text() for p in tmp_path.glob("task-gc-*")]
    assert tasks and set(tasks) == {"True"}
    source.write_text("{ not json", encoding="utf-8")
    with pytest.raises(ZgenError):
        build([source], tmp_path / "out")
    assert gc.isenabled()

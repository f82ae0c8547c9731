"""Shared helpers for zgen's own tests: small inline collections built into temporary folders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import black
import pytest
from hypothesis import settings
from zgen.buildcache import CACHE_DIR
from zgen.format import BLACK_MODE
from zgen.pipeline import BuildReport, build

# In CI the property tests draw the same examples on every run (a failure there is reproducible
# and a submission cannot fail on a draw it never saw); locally they explore new ones each run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "corpus"
V21 = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"


@dataclass(frozen=True)
class CorpusBuild:
    report: BuildReport
    output: Path


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> CorpusBuild:
    """The whole corpus, built once for the tests that read it (each package named as its file)."""
    sources = sorted(CORPUS.glob("*.json"))
    output = tmp_path_factory.mktemp("corpus")
    report = build(sources, output, packages={source: source.stem for source in sources})
    return CorpusBuild(report, output)


def type_checks(cwd: Path, targets: list[str]) -> list[subprocess.CompletedProcess[str]]:
    """mypy --strict and pyright over `targets` (run side by side, each with the output it gave)."""
    commands = [
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", "/dev/null"],
        [sys.executable, "-m", "pyright", "--threads", "--pythonpath", sys.executable],
    ]
    running = [
        subprocess.Popen(
            [*command, *targets],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    done = []
    for process in running:
        out, err = process.communicate(timeout=900)
        done.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return done


def changed_by_black(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    return black.format_str(text, mode=BLACK_MODE) != text


def unchanged_by_black(folder: Path) -> tuple[int, list[str]]:
    """How many Python files under `folder` there are, and those black would change (black runs
    on the files in parallel processes)."""
    files = sorted(path for path in folder.rglob("*.py") if "__pycache__" not in path.parts)
    with ProcessPoolExecutor(max_workers=max(1, min(os.cpu_count() or 1, 8))) as pool:
        verdicts = list(pool.map(changed_by_black, files, chunksize=4))
    changed = [
        path.relative_to(folder).as_posix()
        for path, verdict in zip(files, verdicts, strict=True)
        if verdict
    ]
    return len(files), changed


def output_files(folder: Path) -> dict[str, bytes]:
    """The files builds wrote into `folder`, by relative path (zgen's build cache is not output)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and CACHE_DIR not in p.relative_to(folder).parts
    }


def collection(*items: dict[str, Any], name: str = "Test API", **extra: Any) -> dict[str, Any]:
    """A v2.1 collection around the given items."""
    return {"info": {"name": name, "schema": V21}, "item": list(items), **extra}


def request(
    name: str,
    url: str | dict[str, Any],
    *,
    method: str = "GET",
    responses: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A request item; `fields` go into the request object (header, body, auth...)."""
    return {
        "name": name,
        "request": {"method": method, "url": url, **fields},
        "response": responses or [],
    }


def response(
    name: str, code: int, body: Any, content_type: str = "application/json"
) -> dict[str, Any]:
    """A saved response; dict and list bodies are serialised as JSON."""
    text = body if isinstance(body, str) else json.dumps(body)
    return {
        "name": name,
        "code": code,
        "status": "",
        "header": [{"key": "Content-Type", "value": content_type}],
        "body": text,
    }


Builder = Callable[..., tuple[BuildReport, Path]]


@pytest.fixture
def build_collection(tmp_path: Path) -> Builder:
    """Write a collection dict to a file and build it; returns the report and the output folder."""

    def run(
        data: dict[str, Any], *, file: str = "api.json", package: str | None = None
    ) -> tuple[BuildReport, Path]:
        source = tmp_path / file
        source.write_text(json.dumps(data), encoding="utf-8")
        output = tmp_path / "out"
        report = build([source], output, packages={source: package} if package else None)
        return report, output

    return run


def run_generated_tests(output: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run pytest inside a generated output folder, in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=output,
        capture_output=True,
        text=True,
        timeout=600,
    )


def import_generated(output: Path, package: str, code: str) -> subprocess.CompletedProcess[str]:
    """Run Python code with the output folder on sys.path, in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=output,
        capture_output=True,
        text=True,
        timeout=300,
        env=None,
    )

"""Real world: every collection in ../shared/corpus builds, passes `mypy --strict` and its own tests.

All 25 packages are built into one folder (their package names are the file stems), type-checked
by one mypy run and tested by one pytest run: much faster than 25 of each.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import CORPUS
from zgen.diagnostics import Diagnostics
from zgen.infer import infer
from zgen.load import load
from zgen.naming import assign
from zgen.normalize import normalize
from zgen.pipeline import BuildReport, build

SOURCES = sorted(CORPUS.glob("*.json"))
EXPECTED_COLLECTIONS = 25


@dataclass(frozen=True)
class CorpusBuild:
    report: BuildReport
    output: Path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> CorpusBuild:
    output = tmp_path_factory.mktemp("corpus")
    report = build(SOURCES, output, packages={source: source.stem for source in SOURCES})
    return CorpusBuild(report, output)


def test_corpus_is_there() -> None:
    assert len(SOURCES) == EXPECTED_COLLECTIONS, f"expected {EXPECTED_COLLECTIONS} collections in {CORPUS}"


def test_every_collection_builds(corpus: CorpusBuild) -> None:
    built = {summary.package for summary in corpus.report.packages}
    assert built == {source.stem for source in SOURCES}
    for package in built:
        assert (corpus.output / package / "__init__.py").is_file()
        assert (corpus.output / package / "py.typed").is_file()


def test_warnings_name_the_collection(corpus: CorpusBuild) -> None:
    files = {source.name for source in SOURCES}
    for warning in corpus.report.diagnostics.warnings:
        assert warning.file in files or warning.file.endswith(".toml"), warning.line()
        assert warning.place, warning.line()


def test_mypy_strict_is_clean(corpus: CorpusBuild) -> None:
    packages = sorted(summary.package for summary in corpus.report.packages)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", "/dev/null", *packages],
        cwd=corpus.output,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]


def test_generated_tests_pass_one_per_saved_response(corpus: CorpusBuild) -> None:
    report_file = corpus.output / "junit.xml"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", f"--junitxml={report_file}"],
        cwd=corpus.output,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    ran: Counter[str] = Counter()
    for case in ET.parse(report_file).getroot().iter("testcase"):
        package = case.get("classname", "").split(".")[0]
        outcome = [child.tag for child in case if child.tag in ("skipped", "failure", "error")]
        assert not outcome, f"{case.get('classname')}::{case.get('name')}: {outcome}"
        ran[package] += 1
    for summary in corpus.report.packages:
        assert summary.tests == summary.responses
        assert ran[summary.package] == summary.responses, summary.package


def test_no_class_name_ends_in_a_digit_unless_its_key_does() -> None:
    for source in SOURCES:
        diagnostics = Diagnostics()
        api = normalize(load(source, diagnostics), diagnostics)
        inferred = infer(api, diagnostics)
        names = assign(api, inferred, source.stem)
        for shape in inferred.shapes:
            name = names.models[shape.id]
            if not name[-1].isdigit():
                continue
            keys = [key for usage in shape.usages for key in usage.path if key != "[]"]
            assert any(usage.path and usage.path[-1][-1:].isdigit() for usage in shape.usages), (
                f"{source.name}: class {name} ends in a digit but its JSON key does not ({keys[-1:]})"
            )

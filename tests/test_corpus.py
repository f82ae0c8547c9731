"""Real world: every collection in tests/corpus builds, passes `mypy --strict` and its own tests.

All 24 packages are built into one folder (their package names are the file stems), type-checked
by one mypy run and tested by one pytest run: much faster than 24 of each.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import (
    CORPUS,
    REPO,
    CorpusBuild,
    collection,
    request,
    response,
    unchanged_by_black,
)
from zgen.diagnostics import Diagnostics, warning_lines
from zgen.infer import infer
from zgen.load import load
from zgen.naming import assign
from zgen.normalize import normalize
from zgen.stats import rows_from_report, table

pytestmark = pytest.mark.slow

SOURCES = sorted(CORPUS.glob("*.json"))
EXPECTED_COLLECTIONS = 24


def test_corpus_is_there() -> None:
    assert (
        len(SOURCES) == EXPECTED_COLLECTIONS
    ), f"expected {EXPECTED_COLLECTIONS} collections in {CORPUS}"


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


MAX_WARNING_LINES = 20


def test_no_collection_prints_more_than_twenty_warning_lines(corpus: CorpusBuild) -> None:
    """Without -v, warnings of a kind in one top-level folder are one line with their counts."""
    warnings = corpus.report.diagnostics.warnings
    for source in SOURCES:
        own = [warning for warning in warnings if warning.file == source.name]
        lines = warning_lines(own)
        assert len(lines) <= MAX_WARNING_LINES, f"{source.name}: {len(lines)} lines\n" + "\n".join(
            lines
        )
        assert len(warning_lines(own, verbose=True)) == len(own)
    assert max(
        len(warning_lines([w for w in warnings if w.file == s.name])) for s in SOURCES
    ) < max(
        sum(1 for w in warnings if w.file == s.name) for s in SOURCES
    ), "grouping made no collection's warnings shorter"


def test_mypy_strict_is_clean(corpus: CorpusBuild) -> None:
    packages = sorted(summary.package for summary in corpus.report.packages)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            "/dev/null",
            *packages,
        ],
        cwd=corpus.output,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]


def test_pyright_is_clean(corpus: CorpusBuild) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pyright", "--threads", "--pythonpath", sys.executable, "."],
        cwd=corpus.output,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]


def test_black_leaves_every_file_as_it_is(corpus: CorpusBuild) -> None:
    """Black is the formatter of record (see test_black_identity.py)."""
    count, changed = unchanged_by_black(corpus.output)
    assert count > 100 and changed == []


def test_ruff_is_clean(corpus: CorpusBuild) -> None:
    """The generated code passes this project's ruff rules (typographic quotes in docstrings that
    quote the collection aside, as for generated/)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--no-cache",
            "--config",
            str(REPO / "pyproject.toml"),
            "--extend-ignore",
            "RUF001,RUF002,RUF003",
            ".",
        ],
        cwd=corpus.output,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]


def test_generated_tests_pass_one_per_saved_response_or_request(corpus: CorpusBuild) -> None:
    """A test per saved response, and one per request that saved none (the request it sends)."""
    report_file = corpus.output / "junit.xml"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            f"--junitxml={report_file}",
        ],
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
    alone = 0
    for summary in corpus.report.packages:
        assert summary.tests >= summary.responses and summary.tests >= summary.requests
        assert ran[summary.package] == summary.tests, summary.package
        alone += summary.tests - summary.responses
    assert alone > 0  # (most real collections save responses for some requests only)


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
            assert any(
                usage.path and usage.path[-1][-1:].isdigit() for usage in shape.usages
            ), f"{source.name}: class {name} ends in a digit but its JSON key does not ({keys[-1:]})"


def test_docs_table_matches_what_zgen_stats_prints(corpus: CorpusBuild) -> None:
    """docs/corpus.md holds `zgen stats ... --markdown --no-timings`; the figures must still hold."""
    expected = table(rows_from_report(corpus.report, corpus.output), markdown=True, timings=False)
    committed = (REPO / "docs" / "corpus.md").read_text(encoding="utf-8")
    assert (
        expected in committed
    ), "docs/corpus.md is stale: run `zgen stats tests/corpus/*.json --markdown --no-timings`"


def test_stats_command_prints_one_row_per_collection(tmp_path: Path) -> None:
    from zgen.cli import main

    source = tmp_path / "small.json"
    data = collection(
        request(
            "Get Thing",
            "https://api.example.com/thing",
            responses=[response("ok", 200, {"a": None})],
        ),
        request(
            "List", "https://api.example.com/things", responses=[response("ok", 200, [{"b": 1}])]
        ),
    )
    source.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(main, ["stats", str(source), "--markdown", "--no-timings"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "| collection | requests | paged | models | saved responses | tests | warnings"
        " | warning lines | classes | names > 50 chars | longest name | repeated word runs |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        "| small.json | 2 | 0 | 2 | 2 | 2 | 1 | 1 | 2 | 0.0% | 16 | 0 |",
        "| total | 2 | 0 | 2 | 2 | 2 | 1 | 1 | 2 | 0.0% | 16 | 0 |",
    ]
    timed = CliRunner().invoke(main, ["stats", str(source)])
    assert (
        timed.exit_code == 0
        and "build time (s)" in timed.output
        and str(tmp_path) not in timed.output
    )

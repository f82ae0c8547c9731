"""Figures for a set of collections: requests, paged requests, models, saved responses, tests,
warnings, build time.

`zgen stats` builds each collection into a temporary folder and prints one row per collection.
The rows hold nothing that changes from run to run except the build time, which can be left out
(`--no-timings`) to get a table that can be committed and compared.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import warning_lines
from .naming import LONG_NAME, repeated_run
from .pipeline import BuildReport, PackageSummary, build

TEST_RE = re.compile(r"^(?:async )?def (test_\w+)\(", re.MULTILINE)
CLASS_RE = re.compile(r"^class (\w+)\(", re.MULTILINE)


@dataclass(frozen=True)
class NameFigures:
    """How a package's model class names read: how many, how many are long, the longest, and how
    many repeat a run of words (`BackupHistoryHistory`)."""

    classes: int = 0
    long: int = 0
    longest: int = 0
    repeated: int = 0

    @property
    def long_share(self) -> float:
        return 100.0 * self.long / self.classes if self.classes else 0.0


def name_figures(package_dir: Path) -> NameFigures:
    """The name figures of the classes a generated package's models.py defines."""
    path = package_dir / "models.py"
    names = CLASS_RE.findall(path.read_text(encoding="utf-8")) if path.exists() else []
    return NameFigures(
        classes=len(names),
        long=sum(1 for name in names if len(name) > LONG_NAME),
        longest=max((len(name) for name in names), default=0),
        repeated=sum(1 for name in names if repeated_run(name)),
    )


@dataclass(frozen=True)
class Row:
    collection: str  # the file name, never a path
    requests: int
    models: int
    responses: int
    tests: int
    warnings: int
    warning_lines: int  # the lines `zgen build` prints for them without -v (grouped)
    seconds: float | None = None
    paged: tuple[tuple[str, str, str], ...] = ()  # (request place, scheme, evidence)
    names: NameFigures = NameFigures()


def count_tests(package_dir: Path) -> int:
    """Test functions written into a generated package's tests/ folder."""
    return sum(
        len(TEST_RE.findall(path.read_text(encoding="utf-8")))
        for path in sorted((package_dir / "tests").glob("test_*.py"))
    )


def rows_from_report(report: BuildReport, output: Path) -> list[Row]:
    """One row per package of a finished build (written to `output`)."""
    rows = []
    for summary in report.packages:
        rows.append(row_for(summary, report, output))
    return sorted(rows, key=lambda row: row.collection)


def row_for(
    summary: PackageSummary, report: BuildReport, output: Path, seconds: float | None = None
) -> Row:
    name = Path(summary.source).name
    own = [warning for warning in report.diagnostics.warnings if Path(warning.file).name == name]
    return Row(
        collection=name,
        requests=summary.requests,
        models=summary.models,
        responses=summary.responses,
        tests=count_tests(output / summary.package),
        warnings=len(own),
        warning_lines=len(warning_lines(own)),
        seconds=seconds,
        paged=summary.paged,
        names=name_figures(output / summary.package),
    )


def collect(sources: list[Path]) -> list[Row]:
    """Build each collection on its own, in a temporary folder, and measure it."""
    rows: list[Row] = []
    for source in sources:
        with tempfile.TemporaryDirectory(prefix="zgen-stats-") as folder:
            start = time.perf_counter()
            report = build([source], Path(folder))
            seconds = time.perf_counter() - start
            rows.extend(
                row_for(summary, report, Path(folder), seconds) for summary in report.packages
            )
    return sorted(rows, key=lambda row: row.collection)


HEADINGS = (
    "collection",
    "requests",
    "paged",
    "models",
    "saved responses",
    "tests",
    "warnings",
    "warning lines",
    "classes",
    f"names > {LONG_NAME} chars",
    "longest name",
    "repeated word runs",
)


def by_scheme(paged: Iterable[tuple[str, str, str]]) -> str:
    """`cursor 1, page 3`: paged requests counted by scheme."""
    counts = Counter(scheme for _, scheme, _ in paged)
    return ", ".join(f"{scheme} {count}" for scheme, count in sorted(counts.items()))


def paged_list(rows: list[Row]) -> str:
    """Every paged request with its evidence (for `zgen stats -v`)."""
    return "".join(
        f"{row.collection}: {place}: {scheme}: {evidence}\n"
        for row in rows
        for place, scheme, evidence in row.paged
    )


def table(rows: list[Row], *, markdown: bool, timings: bool) -> str:
    """The rows and a total line, as a Markdown table or as aligned text."""
    headings = [*HEADINGS, "build time (s)"] if timings else list(HEADINGS)
    total = Row(
        "total",
        sum(r.requests for r in rows),
        sum(r.models for r in rows),
        sum(r.responses for r in rows),
        sum(r.tests for r in rows),
        sum(r.warnings for r in rows),
        sum(r.warning_lines for r in rows),
        sum(r.seconds or 0.0 for r in rows) if timings else None,
        tuple(entry for r in rows for entry in r.paged),
        NameFigures(
            sum(r.names.classes for r in rows),
            sum(r.names.long for r in rows),
            max((r.names.longest for r in rows), default=0),
            sum(r.names.repeated for r in rows),
        ),
    )
    cells = []
    for row in [*rows, total]:
        line = [
            row.collection,
            *(
                str(v)
                for v in (
                    row.requests,
                    len(row.paged),
                    row.models,
                    row.responses,
                    row.tests,
                    row.warnings,
                    row.warning_lines,
                )
            ),
            str(row.names.classes),
            f"{row.names.long_share:.1f}%",
            str(row.names.longest),
            str(row.names.repeated),
        ]
        if timings:
            line.append(f"{row.seconds or 0.0:.1f}")
        cells.append(line)
    if markdown:
        out = ["| " + " | ".join(headings) + " |", "|---" + "|--:" * (len(headings) - 1) + "|"]
        out += ["| " + " | ".join(line) + " |" for line in cells]
        if total.paged:
            out += ["", f"Paged requests by scheme: {by_scheme(total.paged)}."]
        return "\n".join(out) + "\n"
    widths = [max(len(text) for text in column) for column in zip(headings, *cells, strict=True)]
    lines = [headings, *cells]
    return (
        "\n".join(
            "  ".join(
                text.ljust(w) if i == 0 else text.rjust(w)
                for i, (text, w) in enumerate(zip(line, widths, strict=True))
            )
            for line in lines
        )
        + "\n"
        + (f"paged requests by scheme: {by_scheme(total.paged)}\n" if total.paged else "")
    )

"""The whole build: load -> normalize -> infer -> names -> render -> format -> write."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import Diagnostics, ZgenError
from .infer import infer
from .load import DEFAULT_MAX_BYTES, load
from .modelgen import generate_models
from .naming import assign
from .normalize import normalize
from .render import environment, render
from .write import Plan, apply, format_source, plan

STAGES = ("load", "normalize", "infer", "names", "render", "format", "write")


@dataclass
class PackageSummary:
    package: str
    source: str
    requests: int
    models: int
    responses: int
    tests: int


@dataclass
class BuildReport:
    packages: list[PackageSummary] = field(default_factory=list)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    timings: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    plan: Plan = field(default_factory=Plan)
    checked: bool = False

    @property
    def files_written(self) -> int:
        return 0 if self.checked else len(self.plan.write)

    @property
    def files_unchanged(self) -> int:
        return len(self.plan.unchanged)

    @property
    def files_removed(self) -> int:
        return 0 if self.checked else len(self.plan.remove)


@contextmanager
def _timed(report: BuildReport, stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        report.timings[stage] += time.perf_counter() - start


def build(
    sources: list[Path],
    output: Path,
    *,
    check: bool = False,
    packages: dict[Path, str] | None = None,
    templates: Path | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> BuildReport:
    """Build every collection into `output`; with `check`, only compare. Raises ZgenError on bad input.

    Nothing is written unless every collection built: a failure leaves the output folder as it was.
    """
    report = BuildReport(checked=check)
    diagnostics = report.diagnostics
    env = environment(templates)
    rendered: dict[str, dict[str, str]] = {}
    origin: dict[str, str] = {}
    for source in sources:
        with _timed(report, "load"):
            loaded = load(source, diagnostics, max_bytes=max_bytes)
        with _timed(report, "normalize"):
            api = normalize(loaded, diagnostics)
        with _timed(report, "infer"):
            inferred = infer(api, diagnostics)
        with _timed(report, "names"):
            names = assign(api, inferred, (packages or {}).get(source))
        if names.package in rendered:
            raise ZgenError(
                loaded.file, "", f"package name {names.package!r} is also built from {origin[names.package]}; name one of them in [tool.zgen]"
            )
        with _timed(report, "infer"):
            models_source = generate_models(inferred, names)
        with _timed(report, "render"):
            package = render(api, inferred, names, models_source, env)
        with _timed(report, "format"):
            rendered[package.package] = {path: format_source(path, content) for path, content in package.files.items()}
        origin[package.package] = loaded.file
        report.packages.append(
            PackageSummary(
                package=package.package,
                source=loaded.file,
                requests=len(api.operations),
                models=len(inferred.shapes),
                responses=sum(len(op.examples) for op in api.operations),
                tests=sum(len(op.examples) for op in api.operations),
            )
        )
    with _timed(report, "write"):
        report.plan = plan(output, rendered, diff=check)
        if not check:
            apply(report.plan)
    return report

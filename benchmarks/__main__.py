"""``python -m benchmarks``: build-time, memory, rebuild, peer and client-overhead figures.

Every zgen build runs in a fresh child process (``python -c <script>``) that
calls ``zgen.pipeline.build`` and prints its report as JSON; the parent takes
the child's wall time and peak RSS from ``os.wait4``.  The zgen measured is
the one in this repository (``generator/`` first on ``PYTHONPATH``), not
whatever is installed.

Benchmarks print figures and assert nothing: the exit code is 0 unless the
command line is wrong.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import peer as peer_mod
from benchmarks._proc import run_measured
from benchmarks.synth import count_responses, edit_one_response, write_collection

__all__ = ["build_in_child", "default_workdir", "main", "markdown", "write_readme"]

REPO = Path(__file__).resolve().parent.parent
STAGES = ("load", "normalize", "infer", "paging", "names", "models", "render", "format", "write")
README = Path(__file__).resolve().parent / "README.md"
BEGIN = "<!-- benchmarks:begin -->"
END = "<!-- benchmarks:end -->"
MARK = "@@ZGEN_BENCH@@"

GOAL_PEER_RATIO = 0.5
GOAL_SCALING = 4.5
GOAL_PEAK_MB = 500.0
GOAL_REBUILD_PCT = 10.0
GOAL_CHANGE_PCT = 15.0  # rebuild after one saved response changed, at N=500
GOAL_OVERHEAD = 0.8


def default_workdir() -> Path:
    return Path(os.environ.get("ZGEN_BENCH_DIR", "/tmp/zgen-bench"))


# ---------------------------------------------------------------------------
# building in a child process

_CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from pathlib import Path
from zgen.pipeline import build
t_import = time.perf_counter() - t0
t1 = time.perf_counter()
report = build([Path(sys.argv[1])], output=Path(sys.argv[2]), check=False)
t_build = time.perf_counter() - t1
timings = {str(k): float(v) for k, v in dict(getattr(report, "timings", {}) or {}).items()}
out = {
    "import_s": t_import,
    "build_s": t_build,
    "timings": timings,
    "files_written": int(getattr(report, "files_written", -1)),
    "files_unchanged": int(getattr(report, "files_unchanged", -1)),
    "files_removed": int(getattr(report, "files_removed", -1)),
    "formatted": int(getattr(report, "formatted", -1)),
    "pieces_formatted": int(getattr(report, "pieces_formatted", -1)),
    "pieces_reused": int(getattr(report, "pieces_reused", -1)),
    "model_groups": int(getattr(report, "model_groups", -1)),
    "model_groups_generated": int(getattr(report, "model_groups_generated", -1)),
    "self_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
}
print("@@ZGEN_BENCH@@" + json.dumps(out), flush=True)
# the process ends as the zgen command ends (without the interpreter's teardown)
from zgen.cli import hard_exit
hard_exit(0)
"""


# `zgen build --watch`: the first build, then the edited collection, the first one again and the
# edited one again, each a one-change rebuild, in the same process, its worker processes (the
# model generator loaded) and stage memos kept; as the watch does, each build runs with the
# garbage collector off, and what it leaves is collected, and its stage memos written, before the
# next one, which starts two polls later (the watch builds a change once a poll has seen it
# settled: never sooner than that after the last build). The median rebuild is reported.
_WATCH_CHILD = r"""
import gc, json, sys, time
from pathlib import Path
from zgen.pipeline import Session, build
from zgen.watch import POLL_SECONDS
first, edited, output = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
rebuilds = []
with Session() as session:
    gc.disable()
    build([first], output=output, check=False, session=session)
    for source in (edited, first, edited):
        gc.collect()
        session.flush()
        time.sleep(2 * POLL_SECONDS)
        t1 = time.perf_counter()
        report = build([source], output=output, check=False, session=session)
        rebuilds.append((time.perf_counter() - t1, report))
    gc.enable()
t_build, report = sorted(rebuilds, key=lambda entry: entry[0])[1]
out = {
    "import_s": 0.0,
    "build_s": t_build,
    "timings": {str(k): float(v) for k, v in report.timings.items()},
    "files_written": report.files_written,
    "files_unchanged": report.files_unchanged,
    "files_removed": report.files_removed,
    "formatted": report.formatted,
    "pieces_formatted": report.pieces_formatted,
    "pieces_reused": report.pieces_reused,
    "model_groups": report.model_groups,
    "model_groups_generated": report.model_groups_generated,
    "self_maxrss_kb": 0,
}
print("@@ZGEN_BENCH@@" + json.dumps(out), flush=True)
"""


def zgen_available() -> str | None:
    """None if this repo's zgen pipeline exists, else the reason it does not."""
    if not (REPO / "generator" / "zgen" / "pipeline.py").exists():
        return f"{REPO / 'generator' / 'zgen' / 'pipeline.py'} does not exist yet"
    return None


@dataclass
class BuildResult:
    ok: bool
    error: str = ""
    wall_s: float = 0.0  # whole child process: interpreter start, imports, build()
    build_s: float = 0.0  # build() alone, timed inside the child
    import_s: float = 0.0
    peak_rss_mb: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    files_written: int = 0
    files_unchanged: int = 0
    files_removed: int = 0
    formatted: int = 0  # Python files black formatted (some pieces of)
    pieces_formatted: int = 0
    pieces_reused: int = 0
    model_groups: int = 0
    model_groups_generated: int = 0


def _child_env(scratch: Path) -> dict[str, str]:
    env = dict(os.environ)
    source = str(REPO / "generator")  # the import name is the folder: generator/zgen
    env["PYTHONPATH"] = os.pathsep.join(p for p in (source, env.get("PYTHONPATH", "")) if p)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def build_in_child(
    collection: Path,
    out_dir: Path,
    *,
    fresh: bool,
    scratch: Path | None = None,
    then: Path | None = None,
) -> BuildResult:
    """Run one zgen build of ``collection`` into ``out_dir`` in a child process; with ``then``,
    the build of that collection after it, in the same process, as `zgen build --watch` does (the
    result is the second build's)."""
    if fresh and out_dir.exists():
        shutil.rmtree(out_dir)
    scratch = scratch or out_dir.parent
    args = [_CHILD, str(collection), str(out_dir)]
    if then is not None:
        args = [_WATCH_CHILD, str(collection), str(then), str(out_dir)]
    res = run_measured([sys.executable, "-c", *args], cwd=scratch, env=_child_env(scratch))
    line = next((ln for ln in res.stdout.splitlines() if ln.startswith(MARK)), None)
    if res.returncode != 0 or line is None:
        tail = (res.stderr or res.stdout).strip().splitlines()[-6:]
        return BuildResult(
            False,
            error=f"exit {res.returncode}: " + " | ".join(tail),
            wall_s=res.wall_s,
            peak_rss_mb=res.peak_rss_mb,
        )
    data: dict[str, Any] = json.loads(line[len(MARK) :])
    return BuildResult(
        True,
        wall_s=res.wall_s,
        build_s=float(data["build_s"]),
        import_s=float(data["import_s"]),
        peak_rss_mb=max(res.peak_rss_mb, data["self_maxrss_kb"] / 1024),
        timings={str(k): float(v) for k, v in data["timings"].items()},
        files_written=int(data["files_written"]),
        files_unchanged=int(data["files_unchanged"]),
        files_removed=int(data["files_removed"]),
        formatted=int(data.get("formatted", -1)),
        pieces_formatted=int(data.get("pieces_formatted", -1)),
        pieces_reused=int(data.get("pieces_reused", -1)),
        model_groups=int(data.get("model_groups", -1)),
        model_groups_generated=int(data.get("model_groups_generated", -1)),
    )


_MODEL_CLASS = re.compile(r"^class\s+\w+\s*\(([^)]*)\)", re.MULTILINE)


def count_zgen_models(out_dir: Path) -> int:
    """Model classes in the generated packages' models.py: classes deriving from a *Model base
    (the package's ApiModel, or pydantic's BaseModel/RootModel)."""
    total = 0
    for path in out_dir.rglob("models.py"):
        text = path.read_text(encoding="utf-8", errors="replace")
        total += sum(1 for bases in _MODEL_CLASS.findall(text) if "Model" in bases)
    return total


# ---------------------------------------------------------------------------
# the run


@dataclass
class SizeResult:
    n: int
    responses: int
    collection_kib: int
    full: BuildResult
    rebuild: BuildResult | None = None
    changed: BuildResult | None = None  # rebuild after one saved response changed
    watched: BuildResult | None = None  # the same, in the process of the first build (--watch)
    models: int = 0

    @property
    def watched_pct_build(self) -> float | None:
        if self.watched is None or not self.watched.ok or not self.full.build_s:
            return None
        return 100.0 * self.watched.build_s / self.full.build_s

    @property
    def changed_pct_build(self) -> float | None:
        if self.changed is None or not self.changed.ok or not self.full.build_s:
            return None
        return 100.0 * self.changed.build_s / self.full.build_s

    @property
    def changed_pct_wall(self) -> float | None:
        if self.changed is None or not self.changed.ok or not self.full.wall_s:
            return None
        return 100.0 * self.changed.wall_s / self.full.wall_s

    @property
    def rebuild_pct_build(self) -> float | None:
        if self.rebuild is None or not self.rebuild.ok or not self.full.build_s:
            return None
        return 100.0 * self.rebuild.build_s / self.full.build_s

    @property
    def rebuild_pct_wall(self) -> float | None:
        if self.rebuild is None or not self.rebuild.ok or not self.full.wall_s:
            return None
        return 100.0 * self.rebuild.wall_s / self.full.wall_s


@dataclass
class Run:
    sizes: list[SizeResult] = field(default_factory=list)
    zgen_skip: str | None = None
    peer_n: int = 500
    peer: peer_mod.PeerResult | None = None
    peer_tools: peer_mod.PeerTools | None = None
    peer_skip: str | None = None
    overhead: Any = None  # client_overhead.OverheadResult
    overhead_skip: str | None = None
    startup: float | None = None  # a new process's first model generator call (s)
    load_start: str = "n/a"  # 1-minute load average before and after the run
    load_end: str = "n/a"

    def size(self, n: int) -> SizeResult | None:
        return next((s for s in self.sizes if s.n == n and s.full.ok), None)


def _fmt(value: float | None, spec: str = ".2f", suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{suffix}"


def _stages_line(timings: dict[str, float]) -> str:
    keys = [*STAGES, *sorted(set(timings) - set(STAGES))]
    return "  ".join(f"{k} {timings.get(k, 0.0):.2f}" for k in keys)


def bench_size(n: int, seed: int, work: Path, zgen_ok: bool) -> SizeResult:
    coll_path = work / f"collection-{n}.json"
    coll = write_collection(str(coll_path), n, seed)
    _, responses = count_responses(coll)
    kib = coll_path.stat().st_size // 1024
    print(f"\nN={n}: {n} requests, {responses} saved responses, collection {kib} KiB", flush=True)
    if not zgen_ok:
        return SizeResult(n, responses, kib, BuildResult(False, error="zgen not available"))
    out = work / f"out-{n}"
    full = build_in_child(coll_path, out, fresh=True, scratch=work)
    result = SizeResult(n, responses, kib, full)
    if not full.ok:
        print(f"  full build FAILED: {full.error}", flush=True)
        return result
    result.models = count_zgen_models(out)
    stages = _stages_line(full.timings)
    print(
        f"  full build : {full.wall_s:.2f} s wall (imports {full.import_s:.2f} s, build() "
        f"{full.build_s:.2f} s), peak RSS {full.peak_rss_mb:.0f} MB, files written "
        f"{full.files_written}, model classes {result.models}",
        flush=True,
    )
    print(f"  stages (s) : {stages}", flush=True)
    rebuild = build_in_child(coll_path, out, fresh=False, scratch=work)
    result.rebuild = rebuild
    if not rebuild.ok:
        print(f"  no-change rebuild FAILED: {rebuild.error}", flush=True)
        return result
    print(
        f"  no-change  : {rebuild.wall_s:.2f} s wall (build() {rebuild.build_s:.2f} s) = "
        f"{_fmt(result.rebuild_pct_build, '.1f', '%')} of full build() "
        f"({_fmt(result.rebuild_pct_wall, '.1f', '%')} by wall); written "
        f"{rebuild.files_written}, unchanged {rebuild.files_unchanged}, removed "
        f"{rebuild.files_removed}",
        flush=True,
    )
    print(f"  stages (s) : {_stages_line(rebuild.timings)}", flush=True)
    # The same collection with one saved response edited, under the same file name (the name is
    # in every generated file's header), built into the same folder.
    edited_dir = work / "edited"
    edited_dir.mkdir(exist_ok=True)
    edited_path = edited_dir / coll_path.name
    edited = json.loads(coll_path.read_text(encoding="utf-8"))
    request = edit_one_response(edited)
    edited_path.write_text(json.dumps(edited, indent=1, ensure_ascii=False), encoding="utf-8")
    # Three one-change rebuilds, each in a new process: the edited collection, the first one
    # again, the edited one again (as the --watch row does in one process); the median is
    # reported (a single sample moved by a fifth from run to run).
    changes = [build_in_child(edited_path, out, fresh=False, scratch=work)]
    for source in (coll_path, edited_path):
        if changes[-1].ok:
            changes.append(build_in_child(source, out, fresh=False, scratch=work))
    failed = [one for one in changes if not one.ok]
    changed = failed[0] if failed else sorted(changes, key=lambda one: one.build_s)[1]
    result.changed = changed
    if not changed.ok:
        print(f"  one-change rebuild FAILED: {changed.error}", flush=True)
        return result
    print(
        f"  one change : the median of 3 rebuilds, each in a new process: {changed.wall_s:.2f} s "
        f"wall (build() {changed.build_s:.2f} s; all {', '.join(f'{one.build_s:.2f}' for one in changes)}) = "
        f"{_fmt(result.changed_pct_build, '.1f', '%')} of full build() "
        f"({_fmt(result.changed_pct_wall, '.1f', '%')} by wall); a saved response of "
        f"{request!r} edited; written {changed.files_written}, unchanged "
        f"{changed.files_unchanged}; black over {changed.pieces_formatted} piece(s) of "
        f"{changed.formatted} file(s) ({changed.pieces_reused} reused); models generated "
        f"{changed.model_groups_generated} of {changed.model_groups}",
        flush=True,
    )
    print(f"  stages (s) : {_stages_line(changed.timings)}", flush=True)
    watched = build_in_child(
        coll_path, work / "watched", fresh=True, scratch=work, then=edited_path
    )
    result.watched = watched
    if not watched.ok:
        print(f"  one change in --watch FAILED: {watched.error}", flush=True)
        return result
    print(
        f"  --watch    : the same change built again in the first build's process (median of "
        f"3): build() {watched.build_s:.2f} s = {_fmt(result.watched_pct_build, '.1f', '%')} of full build(); "
        f"written {watched.files_written}, models generated {watched.model_groups_generated}",
        flush=True,
    )
    print(f"  stages (s) : {_stages_line(watched.timings)}", flush=True)
    return result


_STARTUP = r"""
import time
from zgen import modelgen
started = time.perf_counter()
modelgen.warm_up()
print("@@ZGEN_BENCH@@%.4f" % (time.perf_counter() - started), flush=True)
"""


def bench_startup(run: Run, work: Path) -> None:
    """The model generator's start-up in a new process (zgen's modules already imported)."""
    times = []
    for _ in range(3):
        res = run_measured([sys.executable, "-c", _STARTUP], cwd=work, env=_child_env(work))
        line = next((ln for ln in res.stdout.splitlines() if ln.startswith(MARK)), None)
        if res.returncode != 0 or line is None:
            print("  model generator start-up: FAILED", flush=True)
            return
        times.append(float(line[len(MARK) :]))
    run.startup = statistics.median(times)
    print(f"\nmodel generator start-up in a new process: {run.startup:.2f} s", flush=True)


def bench_peer(run: Run, n: int, seed: int, work: Path) -> None:
    print(f"\npeer pipeline on N={n} (postman-to-openapi -> openapi-python-client)", flush=True)
    tools = peer_mod.ensure_peer()
    if isinstance(tools, str):
        run.peer_skip = tools
        print(f"  SKIPPED peer: {tools}", flush=True)
        return
    run.peer_tools = tools
    coll_path = work / f"collection-{n}.json"
    if not coll_path.exists():
        write_collection(str(coll_path), n, seed)
    res = peer_mod.run_peer(tools, coll_path, work / f"peer-{n}")
    run.peer = res
    if not res.ok:
        print(f"  peer FAILED: {res.error}", flush=True)
        return
    print(
        f"  postman-to-openapi {tools.p2o_version}: {res.convert_s:.2f} s (peak RSS "
        f"{res.convert_rss_mb:.0f} MB, spec {res.spec_bytes // 1024} KiB)\n"
        f"  openapi-python-client {tools.opc_version} generate: {res.generate_s:.2f} s "
        f"(peak RSS {res.generate_rss_mb:.0f} MB)\n"
        f"  peer total {res.total_s:.2f} s, model classes {res.model_classes}, files "
        f"{res.files_written}",
        flush=True,
    )
    mine = run.size(n)
    if mine is not None:
        print(
            f"  zgen / peer = {mine.full.wall_s:.2f} / {res.total_s:.2f} = "
            f"{mine.full.wall_s / res.total_s:.2f}",
            flush=True,
        )


def bench_overhead(run: Run, seed: int, work: Path, calls: int) -> None:
    from benchmarks import client_overhead as co

    print("\ngenerated client overhead (loopback JSON server)", flush=True)
    n = 40
    coll_path = work / "collection-overhead.json"
    coll = write_collection(str(coll_path), n, seed)
    out = work / "out-overhead"
    build = build_in_child(coll_path, out, fresh=True, scratch=work)
    if not build.ok:
        run.overhead_skip = f"zgen build failed: {build.error}"
        print(f"  SKIPPED overhead: {run.overhead_skip}", flush=True)
        return
    try:
        res = co.measure_overhead(out, coll, work, calls=calls)
    except Exception as exc:  # report and go on: benchmarks assert nothing
        run.overhead_skip = f"{type(exc).__name__}: {exc}"
        print(f"  overhead FAILED: {run.overhead_skip}", flush=True)
        return
    run.overhead = res
    print(
        f"  {res.method}: {res.generated_per_s:,.0f} calls/s (median "
        f"{res.generated_median_us:.0f} us) vs raw httpx {res.raw_per_s:,.0f} calls/s "
        f"(median {res.raw_median_us:.0f} us): ratio {res.ratio:.2f}, {res.calls} calls each",
        flush=True,
    )


# ---------------------------------------------------------------------------
# the markdown report


def loadavg() -> str:
    """The 1-minute load average, as text."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "n/a"


def _status(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "missed")


def markdown(run: Run, seed: int) -> str:
    lines: list[str] = []
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    lines.append(
        f"Measured {now} on {os.cpu_count()} cores (`os.cpu_count()`), Python "
        f"{platform.python_version()}, {platform.system()} {platform.machine()}; "
        f"synthetic collections seed {seed}; load average {run.load_start} at the start and "
        f"{run.load_end} at the end of the run (other work on the machine skews the times)."
    )
    lines.append("")
    if run.zgen_skip:
        lines.append(f"zgen not measured: {run.zgen_skip}")
        lines.append("")
    sizes = [s for s in run.sizes if s.full.ok]
    if sizes:
        head = "| zgen build | " + " | ".join(f"N={s.n}" for s in sizes) + " |"
        lines += [head, "|---|" + "---:|" * len(sizes)]

        def row(label: str, cells: list[str]) -> None:
            lines.append(f"| {label} | " + " | ".join(cells) + " |")

        row("saved responses", [str(s.responses) for s in sizes])
        row("collection size (KiB)", [str(s.collection_kib) for s in sizes])
        row("full build, process wall (s)", [f"{s.full.wall_s:.2f}" for s in sizes])
        row("… imports (s)", [f"{s.full.import_s:.2f}" for s in sizes])
        row("… build() (s)", [f"{s.full.build_s:.2f}" for s in sizes])
        for stage in STAGES:
            row(f"… stage {stage} (s)", [_fmt(s.full.timings.get(stage)) for s in sizes])
        row("peak RSS (MB)", [f"{s.full.peak_rss_mb:.0f}" for s in sizes])
        row("files written", [str(s.full.files_written) for s in sizes])
        row("model classes", [str(s.models) for s in sizes])
        row(
            "no-change rebuild, build() (s)",
            [_fmt(s.rebuild.build_s if s.rebuild and s.rebuild.ok else None) for s in sizes],
        )
        row("… % of full build()", [_fmt(s.rebuild_pct_build, ".1f", "%") for s in sizes])
        row(
            "no-change rebuild, process wall (s)",
            [_fmt(s.rebuild.wall_s if s.rebuild and s.rebuild.ok else None) for s in sizes],
        )
        row("… % of full process wall", [_fmt(s.rebuild_pct_wall, ".1f", "%") for s in sizes])
        row(
            "rebuild files written / unchanged",
            [
                (
                    f"{s.rebuild.files_written} / {s.rebuild.files_unchanged}"
                    if s.rebuild and s.rebuild.ok
                    else "n/a"
                )
                for s in sizes
            ],
        )
        row(
            "one saved response changed, rebuild build() (s, median of 3)",
            [_fmt(s.changed.build_s if s.changed and s.changed.ok else None) for s in sizes],
        )
        row("… % of full build()", [_fmt(s.changed_pct_build, ".1f", "%") for s in sizes])
        row("… % of full process wall", [_fmt(s.changed_pct_wall, ".1f", "%") for s in sizes])
        for stage in STAGES:
            row(
                f"… stage {stage} (s)",
                [_fmt(s.changed.timings.get(stage) if s.changed else None) for s in sizes],
            )
        row(
            "… files written / pieces black formatted / models generated",
            [
                (
                    f"{s.changed.files_written} / {s.changed.pieces_formatted} / "
                    f"{s.changed.model_groups_generated}"
                    if s.changed and s.changed.ok
                    else "n/a"
                )
                for s in sizes
            ],
        )
        row(
            "one saved response changed, in `zgen build --watch`, build() (s)",
            [_fmt(s.watched.build_s if s.watched and s.watched.ok else None) for s in sizes],
        )
        row("… % of full build()", [_fmt(s.watched_pct_build, ".1f", "%") for s in sizes])
        for stage in STAGES:
            row(
                f"… stage {stage} (s)",
                [_fmt(s.watched.timings.get(stage) if s.watched else None) for s in sizes],
            )
        lines.append("")
        if run.startup is not None:
            lines.append(
                f"A new process's first datamodel-code-generator call (its lazy imports and "
                f"pydantic's model building, over a one-model schema) took {run.startup:.2f} s "
                "(median of 3): a rebuild that generates any model waits at least that long after "
                "its worker processes start."
            )
            lines.append("")

    mine = run.size(run.peer_n)
    lines.append(f"| pipeline, N={run.peer_n} | time (s) | peak RSS (MB) | model classes | files |")
    lines.append("|---|---:|---:|---:|---:|")
    if mine is not None:
        lines.append(
            f"| zgen build (process wall) | {mine.full.wall_s:.2f} | {mine.full.peak_rss_mb:.0f} "
            f"| {mine.models} | {mine.full.files_written} |"
        )
    if run.peer is not None and run.peer.ok and run.peer_tools is not None:
        p, t = run.peer, run.peer_tools
        lines.append(
            f"| postman-to-openapi {t.p2o_version} (to OpenAPI YAML) | {p.convert_s:.2f} "
            f"| {p.convert_rss_mb:.0f} | | |"
        )
        lines.append(
            f"| openapi-python-client {t.opc_version} generate | {p.generate_s:.2f} "
            f"| {p.generate_rss_mb:.0f} | {p.model_classes} | {p.files_written} |"
        )
        lines.append(
            f"| peer total | {p.total_s:.2f} | {p.peak_rss_mb:.0f} | {p.model_classes} "
            f"| {p.files_written} |"
        )
        if mine is not None:
            lines.append(f"| **zgen / peer** | **{mine.full.wall_s / p.total_s:.2f}** | | | |")
    else:
        reason = run.peer_skip or (run.peer.error if run.peer else "not run")
        lines.append(f"| peer | skipped: {reason} | | | |")
    lines.append("")

    if run.overhead is not None:
        o = run.overhead
        lines.append("| client call (loopback) | calls/s | median (us) |")
        lines.append("|---|---:|---:|")
        lines.append(
            f"| generated `{o.method}(...)` | {o.generated_per_s:,.0f} "
            f"| {o.generated_median_us:.0f} |"
        )
        lines.append(
            f"| raw `httpx.Client().get(url).json()` | {o.raw_per_s:,.0f} | {o.raw_median_us:.0f} |"
        )
        lines.append(f"| **generated / raw** | **{o.ratio:.2f}** | |")
    else:
        lines.append(f"Client overhead not measured: {run.overhead_skip or 'not run'}")
    lines.append("")

    # goals
    s500, s2000 = run.size(500), run.size(2000)
    peer_ratio = (
        s500.full.wall_s / run.peer.total_s
        if s500 and run.peer and run.peer.ok and run.peer_n == 500
        else None
    )
    scaling = s2000.full.wall_s / s500.full.wall_s if s500 and s2000 else None
    peak = s2000.full.peak_rss_mb if s2000 else None
    rebuild_pcts = [s.rebuild_pct_build for s in sizes if s.rebuild_pct_build is not None]
    worst_rebuild = max(rebuild_pcts) if rebuild_pcts else None
    changed = s500.changed_pct_build if s500 else None
    watched = s500.watched_pct_build if s500 else None
    overhead = run.overhead.ratio if run.overhead is not None else None
    lines.append("| goal | target | measured | status |")
    lines.append("|---|---|---:|---|")
    lines.append(
        f"| 500 requests vs peer (process wall) | zgen <= {GOAL_PEER_RATIO} x peer "
        f"| {_fmt(peer_ratio, '.2f', ' x')} "
        f"| {_status(None if peer_ratio is None else peer_ratio <= GOAL_PEER_RATIO)} |"
    )
    lines.append(
        f"| 2,000 requests vs 500 (process wall) | <= {GOAL_SCALING} x "
        f"| {_fmt(scaling, '.2f', ' x')} "
        f"| {_status(None if scaling is None else scaling <= GOAL_SCALING)} |"
    )
    lines.append(
        f"| 2,000 requests peak memory | < {GOAL_PEAK_MB:.0f} MB | {_fmt(peak, '.0f', ' MB')} "
        f"| {_status(None if peak is None else peak < GOAL_PEAK_MB)} |"
    )
    lines.append(
        f"| no-change rebuild (build(), worst size) | < {GOAL_REBUILD_PCT:.0f}% of full "
        f"| {_fmt(worst_rebuild, '.1f', '%')} "
        f"| {_status(None if worst_rebuild is None else worst_rebuild < GOAL_REBUILD_PCT)} |"
    )
    lines.append(
        f"| one saved response changed, 500 requests (build()) | <= {GOAL_CHANGE_PCT:.0f}% of full "
        f"| {_fmt(changed, '.1f', '%')} "
        f"| {_status(None if changed is None else changed <= GOAL_CHANGE_PCT)} |"
    )
    lines.append(
        f"| the same, in `zgen build --watch` (build()) | <= {GOAL_CHANGE_PCT:.0f}% of full "
        f"| {_fmt(watched, '.1f', '%')} "
        f"| {_status(None if watched is None else watched <= GOAL_CHANGE_PCT)} |"
    )
    lines.append(
        f"| client overhead | >= {GOAL_OVERHEAD} x raw httpx | {_fmt(overhead, '.2f', ' x')} "
        f"| {_status(None if overhead is None else overhead >= GOAL_OVERHEAD)} |"
    )
    return "\n".join(lines) + "\n"


def write_readme(table: str, path: Path = README) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    block = f"{BEGIN}\n{table}{END}"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + block + tail
    else:
        text = (text.rstrip("\n") + "\n\n## Results\n\n" if text else "") + block + "\n"
    path.write_text(text, encoding="utf-8")


def _sizes(value: str) -> list[int]:
    try:
        sizes = [int(v) for v in value.split(",") if v.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"bad --sizes {value!r}") from exc
    if not sizes or any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"bad --sizes {value!r}")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description="zgen build and client benchmarks"
    )
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=[100, 500, 2000],
        help="comma-separated request counts (default 100,500,2000)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--peer-size",
        type=int,
        default=500,
        help="requests in the collection given to the peer pipeline",
    )
    parser.add_argument("--no-peer", action="store_true", help="skip the peer pipeline")
    parser.add_argument("--no-overhead", action="store_true", help="skip the client overhead")
    parser.add_argument("--calls", type=int, default=2000, help="client calls per side")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="scratch folder (default $ZGEN_BENCH_DIR or /tmp/zgen-bench)",
    )
    parser.add_argument(
        "--write-readme",
        action="store_true",
        help="write the table into benchmarks/README.md between its markers",
    )
    args = parser.parse_args(argv)

    work: Path = (args.workdir or default_workdir()).resolve()
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    run = Run(peer_n=args.peer_size, load_start=loadavg())
    run.zgen_skip = zgen_available()
    print(
        f"zgen benchmarks: sizes {args.sizes}, seed {args.seed}, workdir {work}, "
        f"{os.cpu_count()} cores, load average {run.load_start}",
        flush=True,
    )
    if run.zgen_skip:
        print(f"zgen SKIPPED: {run.zgen_skip}", flush=True)

    for n in args.sizes:
        run.sizes.append(bench_size(n, args.seed, work, run.zgen_skip is None))
    if run.zgen_skip is None:
        bench_startup(run, work)
    if not args.no_peer:
        bench_peer(run, args.peer_size, args.seed, work)
    else:
        run.peer_skip = "--no-peer"
    if args.no_overhead:
        run.overhead_skip = "--no-overhead"
    elif run.zgen_skip:
        run.overhead_skip = run.zgen_skip
    else:
        bench_overhead(run, args.seed, work, args.calls)

    run.load_end = loadavg()
    table = markdown(run, args.seed)
    print(f"\n{table}", flush=True)
    print(f"total benchmark time {time.perf_counter() - started:.0f} s", flush=True)
    if args.write_readme:
        write_readme(table)
        print(f"wrote {README}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

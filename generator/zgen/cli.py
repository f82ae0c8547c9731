"""The command line: `zgen build`, `zgen diff`, `zgen --version`."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sys
import threading
import time
import tomllib
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import click

from . import __version__
from .diagnostics import Diagnostics, InternalError, ZgenError, warning_lines
from .format import Progress
from .infer import POLICIES
from .load import DEFAULT_MAX_BYTES
from .memo import paused_gc
from .pipeline import BuildReport, Session, SourceSettings
from .pipeline import build as run_build
from .watch import stop_on_sigterm, watch

# A progress bar is shown on a terminal when formatting has at least this many pieces to do.
PROGRESS_MIN_PIECES = 60
CHECK_DIFF_LINES = 40  # per stale file
CHECK_DIFF_TOTAL = 400  # over all stale files


@dataclass(frozen=True)
class ProjectConfig:
    sources: list[Path]
    packages: dict[Path, str]
    output: Path | None
    templates: Path | None
    environment: Path | None = None
    settings: dict[Path, SourceSettings] = field(default_factory=dict)  # keyed by resolved path


def _optional_path(
    root: Path, table: dict[str, Any], key: str, file: Path, place: str
) -> Path | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ZgenError(str(file), place, f"`{key}` must be a path (a string)")
    return root / value


def _policy(table: dict[str, Any], default: str, file: Path, place: str) -> str:
    value = table.get("optional", default)
    if value not in POLICIES:
        raise ZgenError(
            str(file), place, f"`optional` must be one of {', '.join(POLICIES)}; found {value!r}"
        )
    return str(value)


def read_config(root: Path) -> ProjectConfig | None:
    """[tool.zgen] of ./pyproject.toml, if there is one.

    ```toml
    [tool.zgen]
    output = "generated"          # default output folder
    templates = "templates/zgen"  # optional, for every collection
    environment = "env.json"      # optional, for every collection
    optional = "seen"             # or "all": every response field `T | None = None`

    [[tool.zgen.collections]]
    path = "collections/api.json"
    package = "my_api"            # optional
    environment = "collections/prod.postman_environment.json"  # optional
    templates = "my_templates"    # optional
    optional = "all"              # optional: this collection's type policy
    overrides = { ... }           # optional, passed to the naming and inference stages
    ```
    """
    path = root / "pyproject.toml"
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ZgenError(str(path), "", f"cannot read: {exc}") from None
    tool = data.get("tool")
    section: Any = tool.get("zgen") if isinstance(tool, dict) else None
    if not isinstance(section, dict):
        return None
    templates = _optional_path(root, section, "templates", path, "[tool.zgen]")
    environment = _optional_path(root, section, "environment", path, "[tool.zgen]")
    output = _optional_path(root, section, "output", path, "[tool.zgen]")
    policy = _policy(section, "seen", path, "[tool.zgen]")
    entries = section.get("collections", [])
    if not isinstance(entries, list):
        raise ZgenError(
            str(path),
            "[tool.zgen] collections",
            "must be a list of tables ([[tool.zgen.collections]])",
        )
    sources: list[Path] = []
    packages: dict[Path, str] = {}
    settings: dict[Path, SourceSettings] = {}
    for index, entry in enumerate(entries):
        place = f"[tool.zgen] collections[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise ZgenError(str(path), place, "needs a `path`")
        source = root / entry["path"]
        sources.append(source)
        package = entry.get("package")
        if package is not None and (not isinstance(package, str) or not package.isidentifier()):
            raise ZgenError(str(path), place, "`package` must be a Python identifier")
        if package is not None:
            packages[source] = package
        overrides = entry.get("overrides", {})
        if not isinstance(overrides, dict):
            raise ZgenError(str(path), place, "`overrides` must be a table")
        settings[source.resolve()] = SourceSettings(
            package=package,
            environment=_optional_path(root, entry, "environment", path, place) or environment,
            templates=_optional_path(root, entry, "templates", path, place) or templates,
            overrides=overrides,
            config_file=str(path),
            optional=_policy(entry, policy, path, place),
        )
    return ProjectConfig(sources, packages, output, templates, environment, settings)


class _Progress:
    """A click progress bar over the formatting stage, opened once there is enough to show."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None
        self.shown = 0

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < PROGRESS_MIN_PIECES:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="zgen: formatting", file=sys.stdout)
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def owning_settings(source: Path, config: ProjectConfig | None) -> SourceSettings | None:
    """The [tool.zgen] settings of a collection: from ./pyproject.toml when it lists the file,
    else from the nearest pyproject.toml above the file that lists it, so a collection builds
    the same from any working directory."""
    resolved = source.resolve()
    if config is not None and resolved in config.settings:
        return config.settings[resolved]
    for folder in resolved.parents:
        if (folder / "pyproject.toml").is_file():
            found = read_config(folder)
            if found is not None and resolved in found.settings:
                return found.settings[resolved]
    return None


@click.group()
@click.version_option(__version__, prog_name="zgen")
def main() -> None:
    """zgen: typed Python clients, fixtures and tests from Postman collections."""


def run() -> NoReturn:
    """The `zgen` command (and `python -m zgen`): `main`, then the process ends without tearing
    the interpreter down. Freeing every module and what the build left takes 0.05-0.1 s after a
    build of 500 requests, work nothing needs once the output is flushed (mypy ends the same
    way). An uncaught exception (Ctrl-C, a bug) ends the process as Python ends it."""
    try:
        main()  # (click's standalone mode always ends in SystemExit)
        status: object = 0
    except SystemExit as done:
        status = done.code
    hard_exit(status)


def hard_exit(status: object) -> NoReturn:
    """End the process with `status` as sys.exit would (None: 0; another non-int: printed to
    stderr, 1), once stdout and stderr are flushed, without running the interpreter's teardown
    (atexit handlers, freeing the modules): call it only when nothing is left to do."""
    if status is None:
        code = 0
    elif isinstance(status, int):
        code = status
    else:
        print(status, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # (a closed pipe, as with `zgen build | head`)
            continue
    os._exit(code)


@main.command()
@click.argument("collections", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="Output folder (default: generated/).",
)
@click.option(
    "--check", is_flag=True, help="Write nothing; exit 1 and show a diff if the output is stale."
)
@click.option(
    "--templates",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="A folder of templates layered over the built-in ones.",
)
@click.option(
    "--environment",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="A Postman environment file: defaults for the collection's variables (secrets are never copied).",
)
@click.option(
    "--max-bytes",
    type=int,
    default=DEFAULT_MAX_BYTES,
    show_default=True,
    help="Refuse collection files larger than this.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Processes for formatting (default: the CPUs available, up to 8).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Print stage timings, every file written and every warning (grouped by default).",
)
@click.option(
    "--watch",
    is_flag=True,
    help="After the build, build again whenever an input changes, until Ctrl-C (the model "
    "generator stays loaded: a small change rebuilds in a fraction of the first build's time).",
)
def build(
    collections: tuple[Path, ...],
    output: Path | None,
    check: bool,
    templates: Path | None,
    environment: Path | None,
    max_bytes: int,
    jobs: int | None,
    quiet: bool,
    verbose: bool,
    watch: bool,
) -> None:
    """Build a client package from each COLLECTION (Postman v2.0 / v2.1 JSON).

    With no COLLECTION, builds what [tool.zgen] in ./pyproject.toml lists.
    """
    request = BuildRequest(collections, output, check, templates, environment, max_bytes, jobs)
    if watch:
        if check:
            click.echo("zgen: error: --watch and --check cannot be combined", err=True)
            sys.exit(2)
        watch_builds(request, quiet, verbose)
        return
    start = time.perf_counter()
    progress = _Progress(enabled=not quiet and sys.stdout.isatty())
    try:
        report, out, _ = request.run(progress)
    except InternalError as exc:
        progress.close()
        click.echo(f"zgen: {exc.line()}", err=True)
        sys.exit(1)
    except ZgenError as exc:
        progress.close()
        click.echo(f"zgen: error: {exc.line()}", err=True)
        sys.exit(2)
    progress.close()
    if not print_report(report, out, quiet, verbose, time.perf_counter() - start):
        sys.exit(1)


@dataclass(frozen=True)
class BuildRequest:
    """What `zgen build` was asked (its arguments and options), to run once or again and again."""

    collections: tuple[Path, ...]
    output: Path | None
    check: bool
    templates: Path | None
    environment: Path | None
    max_bytes: int
    jobs: int | None

    def run(
        self, progress: Progress | None = None, session: Session | None = None
    ) -> tuple[BuildReport, Path, list[Path]]:
        """Build (raises ZgenError, InternalError): the report, the output folder and the inputs
        the build read (to watch)."""
        root = Path.cwd()
        config = read_config(root)
        sources = list(self.collections)
        if not sources and config is not None:
            sources = config.sources
        if not sources:
            raise ZgenError(
                "zgen build",
                "",
                "no collection given, and no [tool.zgen] collections in ./pyproject.toml",
            )
        out = self.output or (config.output if config and config.output else Path("generated"))
        settings: dict[Path, SourceSettings] = {}
        for source in sources:
            configured = owning_settings(source, config)
            settings[source] = SourceSettings(
                package=configured.package if configured else None,
                environment=self.environment
                or (configured.environment if configured else None)
                or (config.environment if config else None),
                templates=self.templates
                or (configured.templates if configured else None)
                or (config.templates if config else None),
                overrides=configured.overrides if configured else {},
                config_file=configured.config_file if configured else "pyproject.toml",
                optional=configured.optional if configured else "seen",
            )
        inputs = [root / "pyproject.toml", *sources]
        for chosen in settings.values():
            inputs += [path for path in (chosen.environment, chosen.templates) if path is not None]
            if chosen.config_file != "pyproject.toml":
                inputs.append(Path(chosen.config_file))
        report = run_build(
            sources,
            out,
            check=self.check,
            settings=settings,
            max_bytes=self.max_bytes,
            workers=self.jobs,
            progress=progress,
            session=session,
        )
        return report, out, inputs


def print_report(
    report: BuildReport, out: Path, quiet: bool, verbose: bool, elapsed: float
) -> bool:
    """What a build did, as `zgen build` prints it; False when --check found stale files."""
    if not quiet:
        for line in warning_lines(report.diagnostics.warnings, verbose):
            click.echo(line, err=True)
    if verbose:
        print_timings(report)
    if report.checked:
        stale = report.plan.stale
        if stale:
            print_check_diff(report)
            for path in stale:
                click.echo(f"stale: {path}", err=True)
            click.echo(
                f"zgen: {len(stale)} file(s) out of date; run `zgen build` and commit the result",
                err=True,
            )
            return False
        if not quiet:
            click.echo(f"zgen: {out} is up to date ({report.files_unchanged} files)")
        return True
    if verbose:
        print_paged(report)
        for path in sorted(report.plan.write):
            click.echo(f"wrote {path}")
        for path in report.plan.remove:
            click.echo(f"removed {path}")
    if not quiet:
        print_summary(report, elapsed)
    return True


def watch_builds(request: BuildRequest, quiet: bool, verbose: bool) -> None:
    """`zgen build --watch`: build, then again after each change of an input, until Ctrl-C (or
    SIGTERM). A build that fails prints its error and the watch goes on."""
    stop = threading.Event()
    first = [Path.cwd() / "pyproject.toml", *request.collections]  # (known before a build)
    watched: list[Path] = []

    def run() -> list[Path]:
        start = time.perf_counter()
        try:
            # The collector stays off after the build (see pipeline.build) until the watch waits:
            # what the build leaves behind is collected then, not at the end of the build.
            with paused_gc():
                report, out, inputs = request.run(session=session)
        except InternalError as exc:
            click.echo(f"zgen: {exc.line()}", err=True)
        except ZgenError as exc:
            click.echo(f"zgen: error: {exc.line()}", err=True)
        except BrokenProcessPool:  # (the next build starts new workers: see Session.pool)
            click.echo(
                "zgen: a worker process died during the build; nothing was written", err=True
            )
        else:
            print_report(report, out, quiet, verbose, time.perf_counter() - start)
            watched[:] = inputs
        if not watched:  # the first build failed before it knew its inputs
            watched[:] = first
        if not quiet:
            click.echo(f"zgen: watching {len(set(watched))} input(s) for changes; Ctrl-C to stop")
        gc.collect()
        session.flush()  # the stage memos to the build cache, while the watch waits
        return watched

    def announce(paths: list[Path]) -> None:
        if not quiet:
            click.echo(f"zgen: {', '.join(str(path) for path in paths)} changed; building again")

    stop_on_sigterm(stop)
    with Session() as session, contextlib.suppress(KeyboardInterrupt):
        watch(run, first, stop=stop, announce=announce)
    if not quiet:
        click.echo("zgen: stopped watching")


def print_timings(report: BuildReport) -> None:
    click.echo(
        "timings: "
        + ", ".join(f"{stage} {seconds:.2f}s" for stage, seconds in report.timings.items())
    )
    click.echo(
        f"black: {report.formatted} file(s) formatted, {report.reused} unchanged since the last build"
        f" ({report.pieces_formatted} piece(s) formatted, {report.pieces_reused} reused); models:"
        f" {report.model_groups_generated} of {report.model_groups} generated"
    )


def print_check_diff(report: BuildReport) -> None:
    shown = 0
    for index, diff in enumerate(report.plan.diffs):
        lines = diff.splitlines()
        if shown >= CHECK_DIFF_TOTAL:
            click.echo(f"... and {len(report.plan.diffs) - index} more stale file(s)")
            return
        click.echo(
            "\n".join(lines[:CHECK_DIFF_LINES]) + ("\n..." if len(lines) > CHECK_DIFF_LINES else "")
        )
        shown += min(len(lines), CHECK_DIFF_LINES)


def print_paged(report: BuildReport) -> None:
    """Every request found paged, with the evidence (or the override)."""
    for pkg in report.packages:
        for place, scheme, evidence in pkg.paged:
            click.echo(f"paged: {pkg.package}: {place}: {scheme}: {evidence}")


def print_summary(report: BuildReport, elapsed: float) -> None:
    from .stats import by_scheme

    for pkg in report.packages:
        paged = [(place, scheme, "") for place, scheme, _ in pkg.paged]
        click.echo(
            f"zgen: {pkg.package} from {pkg.source}: {pkg.requests} requests"
            f"{f' ({len(paged)} paged: {by_scheme(paged)})' if paged else ''}, {pkg.models} models, "
            f"{pkg.responses} saved responses, {pkg.tests} tests"
        )
    click.echo(
        f"zgen: {len(report.packages)} package(s), {len(report.diagnostics.warnings)} warning(s); "
        f"{report.files_written} written, {report.files_unchanged} unchanged, {report.files_removed} removed "
        f"in {elapsed:.1f}s"
    )


@main.command()
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to print the changes.",
)
@click.option(
    "--environment",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="A Postman environment file used for both versions.",
)
def diff(old: Path, new: Path, output_format: str, environment: Path | None) -> None:
    """Compare two versions of a collection as an API.

    Lists requests added, removed or renamed, parameters added, removed or made required, and
    response model fields added, removed or changed in type. Exits 1 when a change breaks code
    written against OLD, 0 otherwise (2 on bad input).
    """
    from .diff import compare, render_text

    try:
        settings = SourceSettings(environment=environment)
        result = compare(old, new, Diagnostics(), settings)
    except ZgenError as exc:
        click.echo(f"zgen: error: {exc.line()}", err=True)
        sys.exit(2)
    if output_format == "json":
        click.echo(json.dumps(result.as_json(), indent=2, sort_keys=True))
    else:
        click.echo(render_text(result), nl=False)
    sys.exit(1 if result.breaking else 0)


@main.command()
@click.argument(
    "collections",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option("--markdown", is_flag=True, help="Print a Markdown table.")
@click.option(
    "-v", "--verbose", is_flag=True, help="Also list every paged request with the evidence."
)
@click.option(
    "--timings/--no-timings",
    default=True,
    show_default=True,
    help="Include each build's time (changes from run to run).",
)
def stats(collections: tuple[Path, ...], markdown: bool, verbose: bool, timings: bool) -> None:
    """Build each COLLECTION into a temporary folder and print a table of figures.

    One row per collection: requests, paged requests, models, saved responses, generated tests,
    warnings and build time; paged requests are also counted by scheme. Warnings are counted, not
    printed.
    """
    from .stats import collect, paged_list, table

    try:
        rows = collect(list(collections))
    except ZgenError as exc:
        click.echo(f"zgen: error: {exc.line()}", err=True)
        sys.exit(2)
    click.echo(table(rows, markdown=markdown, timings=timings), nl=False)
    if verbose:
        click.echo(paged_list(rows), nl=False)

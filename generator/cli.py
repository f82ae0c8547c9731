"""The command line: `zgen build`, `zgen --version`."""

from __future__ import annotations

import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from . import __version__
from .diagnostics import ZgenError
from .load import DEFAULT_MAX_BYTES
from .pipeline import build as run_build


@dataclass(frozen=True)
class ProjectConfig:
    sources: list[Path]
    packages: dict[Path, str]
    output: Path | None
    templates: Path | None


def read_config(root: Path) -> ProjectConfig | None:
    """[tool.zgen] of ./pyproject.toml, if there is one."""
    path = root / "pyproject.toml"
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ZgenError(str(path), "", f"cannot read: {exc}") from None
    section: Any = data.get("tool", {}).get("zgen")
    if not isinstance(section, dict):
        return None
    sources: list[Path] = []
    packages: dict[Path, str] = {}
    for index, entry in enumerate(section.get("collections", [])):
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise ZgenError(str(path), f"[tool.zgen] collections[{index}]", "needs a `path`")
        source = root / entry["path"]
        sources.append(source)
        if isinstance(entry.get("package"), str):
            packages[source] = entry["package"]
    output = root / section["output"] if isinstance(section.get("output"), str) else None
    templates = root / section["templates"] if isinstance(section.get("templates"), str) else None
    return ProjectConfig(sources, packages, output, templates)


@click.group()
@click.version_option(__version__, prog_name="zgen")
def main() -> None:
    """zgen: typed Python clients, fixtures and tests from Postman collections."""


@main.command()
@click.argument("collections", nargs=-1, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="Output folder (default: generated/).")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 and show a diff if the output is stale.")
@click.option("--templates", type=click.Path(path_type=Path, file_okay=False), default=None, help="A folder of templates layered over the built-in ones.")
@click.option("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, show_default=True, help="Refuse collection files larger than this.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.option("-v", "--verbose", is_flag=True, help="Print stage timings and every file written.")
def build(
    collections: tuple[Path, ...],
    output: Path | None,
    check: bool,
    templates: Path | None,
    max_bytes: int,
    quiet: bool,
    verbose: bool,
) -> None:
    """Build a client package from each COLLECTION (Postman v2.0 / v2.1 JSON).

    With no COLLECTION, builds what [tool.zgen] in ./pyproject.toml lists.
    """
    start = time.perf_counter()
    try:
        config = read_config(Path.cwd())
        sources = list(collections)
        packages: dict[Path, str] = {}
        if config is not None:
            packages = {src.resolve(): name for src, name in config.packages.items()}
            if not sources:
                sources = config.sources
        if not sources:
            raise ZgenError("zgen build", "", "no collection given, and no [tool.zgen] collections in ./pyproject.toml")
        out = output or (config.output if config and config.output else Path("generated"))
        tpl = templates or (config.templates if config else None)
        by_source = {src: packages[src.resolve()] for src in sources if src.resolve() in packages}
        report = run_build(sources, out, check=check, packages=by_source, templates=tpl, max_bytes=max_bytes)
    except ZgenError as exc:
        click.echo(f"zgen: error: {exc.line()}", err=True)
        sys.exit(2)
    if not quiet:
        for warning in report.diagnostics.warnings:
            click.echo(warning.line(), err=True)
    elapsed = time.perf_counter() - start
    if check:
        stale = report.plan.stale
        if stale:
            for diff in report.plan.diffs:
                lines = diff.splitlines()
                click.echo("\n".join(lines[:40]) + ("\n..." if len(lines) > 40 else ""))
            for path in stale:
                click.echo(f"stale: {path}", err=True)
            click.echo(f"zgen: {len(stale)} file(s) out of date; run `zgen build` and commit the result", err=True)
            sys.exit(1)
        if not quiet:
            click.echo(f"zgen: {out} is up to date ({report.files_unchanged} files)")
        return
    if verbose:
        for path in sorted(report.plan.write):
            click.echo(f"wrote {path}")
        for path in report.plan.remove:
            click.echo(f"removed {path}")
        click.echo("timings: " + ", ".join(f"{stage} {seconds:.2f}s" for stage, seconds in report.timings.items()))
    if not quiet:
        for pkg in report.packages:
            click.echo(
                f"zgen: {pkg.package} from {pkg.source}: {pkg.requests} requests, {pkg.models} models, "
                f"{pkg.responses} saved responses, {pkg.tests} tests"
            )
        click.echo(
            f"zgen: {len(report.packages)} package(s), {len(report.diagnostics.warnings)} warning(s); "
            f"{report.files_written} written, {report.files_unchanged} unchanged, {report.files_removed} removed "
            f"in {elapsed:.1f}s"
        )

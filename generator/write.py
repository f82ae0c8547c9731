"""Stage 7: format with black, compare with what is on disk, write only what changed, atomically."""

from __future__ import annotations

import difflib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import black

from .diagnostics import ZgenError

MANIFEST = ".zgen-manifest.json"
BLACK_MODE = black.Mode(target_versions={black.TargetVersion.PY311}, line_length=100)


def format_source(path: str, source: str) -> str:
    """Black-format Python source; other files pass through."""
    if not path.endswith(".py") or not source.strip():
        return source
    try:
        return black.format_str(source, mode=BLACK_MODE)
    except black.InvalidInput as exc:  # a bug in zgen, never the user's input
        raise RuntimeError(f"zgen produced invalid Python in {path}: {exc}") from exc


@dataclass
class Plan:
    """What a build would change in the output folder."""

    write: dict[Path, str] = field(default_factory=dict)
    unchanged: list[Path] = field(default_factory=list)
    remove: list[Path] = field(default_factory=list)
    diffs: list[str] = field(default_factory=list)

    @property
    def stale(self) -> list[Path]:
        return sorted([*self.write, *self.remove])


def safe_relative(path: str) -> PurePosixPath:
    rel = PurePosixPath(path)
    if rel.is_absolute() or any(part in ("", ".", "..") for part in rel.parts):
        raise RuntimeError(f"refusing to write outside the output folder: {path!r}")
    return rel


def read_manifest(package_dir: Path) -> list[str]:
    try:
        data = json.loads((package_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    files = data.get("files") if isinstance(data, dict) else None
    return [f for f in files if isinstance(f, str)] if isinstance(files, list) else []


def plan(output: Path, packages: dict[str, dict[str, str]], *, diff: bool) -> Plan:
    """Compare the formatted files of each package with the output folder."""
    result = Plan()
    for package, files in sorted(packages.items()):
        package_dir = output / package
        if package_dir.exists() and not (package_dir / MANIFEST).exists() and any(package_dir.iterdir()):
            raise ZgenError(str(package_dir), "", "folder exists and was not written by zgen (no manifest); refusing to overwrite it")
        wanted = dict(files)
        listing = sorted(PurePosixPath(p).relative_to(package).as_posix() for p in wanted)
        wanted[f"{package}/{MANIFEST}"] = json.dumps({"generator": "zgen", "files": listing}, indent=2) + "\n"
        for rel, content in sorted(wanted.items()):
            target = output / safe_relative(rel)
            try:
                current = target.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                current = None
            if current == content:
                result.unchanged.append(target)
                continue
            result.write[target] = content
            if diff:
                result.diffs.append(
                    "".join(
                        difflib.unified_diff(
                            (current or "").splitlines(keepends=True),
                            content.splitlines(keepends=True),
                            f"a/{rel}",
                            f"b/{rel}",
                            n=1,
                        )
                    )
                )
        for old in read_manifest(package_dir):
            rel = f"{package}/{old}"
            if rel not in wanted:
                target = output / safe_relative(rel)
                if target.is_file():
                    result.remove.append(target)
                    if diff:
                        result.diffs.append(f"--- a/{rel}\n+++ /dev/null (no longer generated)\n")
    return result


def apply(result: Plan) -> None:
    """Write every changed file to a temporary sibling first, then move them all into place."""
    staged: list[tuple[Path, Path]] = []
    try:
        for target, content in sorted(result.write.items()):
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".zgen-tmp", dir=target.parent)
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(content)
            staged.append((Path(tmp), target))
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, target in staged:
        os.replace(tmp, target)
    for target in result.remove:
        target.unlink(missing_ok=True)
        parent = target.parent
        while parent.exists() and not any(parent.iterdir()) and parent.name != "":
            parent.rmdir()
            parent = parent.parent

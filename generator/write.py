"""Stage 7: format with black, compare with what is on disk, write only what changed, atomically.

Formatting is the costly step of a build, so it is done as little as possible:

- a Python file is formatted in pieces (one per top-level class or function, cut only where black
  itself puts two blank lines), so big files spread over several processes; the result is the
  same bytes black gives for the whole file, whatever the number of processes;
- the manifest of each package records, per Python file, a hash of the unformatted source and of
  the formatted result; when the source is unchanged and the file on disk still has the recorded
  hash, the file on disk is reused and black is not called at all.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import importlib.metadata
import itertools
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import black
from black.mode import Mode, TargetVersion
from black.parsing import InvalidInput

from .diagnostics import ZgenError

MANIFEST = ".zgen-manifest.json"
BLACK_MODE = Mode(target_versions={TargetVersion.PY311}, line_length=100)
# What the formatted result depends on besides the source: black's major version (its stable
# style changes only with it) and the mode. Part of every recorded source hash.
FORMAT_KEY = f"black {importlib.metadata.version('black').split('.')[0]}; line length {BLACK_MODE.line_length}; py311\n"
# Below this many bytes to format, starting processes costs more than it saves.
PARALLEL_MIN_BYTES = 200_000
BATCH_BYTES = 64_000

Progress = Callable[[int, int], None]  # (units done, units in all)
FormatRecord = tuple[str, str]  # (hash of the unformatted source, hash of the formatted file)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def source_key(source: str) -> str:
    return digest(FORMAT_KEY + source)


def _black(path: str, source: str) -> str:
    try:
        return black.format_str(source, mode=BLACK_MODE)
    except InvalidInput as exc:  # a bug in zgen, never the user's input
        raise RuntimeError(f"zgen produced invalid Python in {path}: {exc}") from exc


def split_top_level(source: str) -> list[str]:
    """Cut Python source before top-level classes and functions that black separates by two blank lines.

    A cut is made only where nothing but blank lines stands between the previous statement and
    the definition (no comment that black could attach to either side), and never after a
    one-line stub (`def f(): ...`), whose spacing black treats specially.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return [source]  # black reports it
    lines = source.splitlines(keepends=True)
    cuts: list[int] = []
    for previous, node in zip(tree.body, tree.body[1:], strict=False):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(previous, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and is_stub(previous):
            continue
        first = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
        end = previous.end_lineno or previous.lineno
        if first <= end or any(line.strip() for line in lines[end : first - 1]):
            continue
        cuts.append(first - 1)
    if not cuts:
        return [source]
    bounds = [0, *cuts, len(lines)]
    return ["".join(lines[start:stop]) for start, stop in itertools.pairwise(bounds)]


def is_stub(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> bool:
    return (
        len(node.body) == 1
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
        and node.body[0].value.value is Ellipsis
    )


def join_formatted(pieces: Iterable[str]) -> str:
    """Formatted pieces back into one module: two blank lines between pieces, as black puts them."""
    return "\n\n".join(piece for piece in pieces if piece)


def format_source(path: str, source: str) -> str:
    """Black-format Python source (piece by piece, same bytes as a whole-file run); other files pass through."""
    if not path.endswith(".py") or not source.strip():
        return source
    return join_formatted(_black(path, piece) for piece in split_top_level(source))


def _format_batch(batch: list[tuple[str, str]]) -> list[str]:
    """Worker: format each (path, piece)."""
    return [_black(path, piece) for path, piece in batch]


def default_workers() -> int:
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        count = os.cpu_count() or 1
    return max(1, min(count, 8))


def format_many(
    sources: dict[str, str], *, workers: int | None = None, progress: Progress | None = None
) -> dict[str, str]:
    """Format many Python files, in parallel processes when there is enough to format."""
    pieces: list[tuple[str, str]] = []
    owner: list[str] = []
    for path, source in sorted(sources.items()):
        for piece in split_top_level(source):
            pieces.append((path, piece))
            owner.append(path)
    batches: list[list[tuple[str, str]]] = []
    size = 0
    for item in pieces:
        if not batches or size >= BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(item)
        size += len(item[1])
    total = sum(len(piece) for _, piece in pieces)
    count = workers if workers is not None else default_workers()
    results: list[list[str]] = []
    done = 0
    if progress is not None:
        progress(0, len(pieces))
    if count > 1 and len(batches) > 1 and total >= PARALLEL_MIN_BYTES:
        with ProcessPoolExecutor(max_workers=min(count, len(batches))) as pool:
            for result in pool.map(_format_batch, batches):
                results.append(result)
                done += len(result)
                if progress is not None:
                    progress(done, len(pieces))
    else:
        for batch in batches:
            results.append(_format_batch(batch))
            done += len(batch)
            if progress is not None:
                progress(done, len(pieces))
    formatted: dict[str, list[str]] = {path: [] for path in sources}
    for path, piece in zip(owner, (piece for result in results for piece in result), strict=True):
        formatted[path].append(piece)
    return {path: join_formatted(formatted[path]) for path in sources}


def read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


@dataclass
class Formatted:
    """The formatted files of every package, with what the manifests will record."""

    packages: dict[str, dict[str, str]] = field(default_factory=dict)
    records: dict[str, dict[str, FormatRecord]] = field(default_factory=dict)  # package -> file -> record
    formatted: int = 0  # files black formatted in this build
    reused: int = 0  # files taken from disk, black not called


def reusable(output: Path, path: str, key: str) -> bool:
    """Whether the file on disk is what the last build formatted from a source with this key."""
    package, _, inner = path.partition("/")
    record = read_manifest(output / package).formatted.get(inner)
    if record is None or record[0] != key:
        return False
    current = read_text(output / safe_relative(path))
    return current is not None and digest(current) == record[1]


def format_packages(
    output: Path,
    packages: dict[str, dict[str, str]],
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    source_keys: Mapping[str, str] | None = None,
) -> Formatted:
    """Format the rendered files of each package, reusing what is on disk when its source is unchanged.

    `source_keys` gives, for some paths, the key to record instead of the hash of the source (a file
    whose source is costly to produce is keyed by its inputs, see pipeline.build).
    """
    result = Formatted()
    jobs: dict[str, str] = {}
    keys: dict[str, tuple[str, str, str]] = {}  # path -> (package, file in package, source key)
    for package, files in sorted(packages.items()):
        previous = read_manifest(output / package).formatted
        out: dict[str, str] = {}
        result.packages[package] = out
        result.records[package] = {}
        for path, source in files.items():
            if not path.endswith(".py") or not source.strip():
                out[path] = source
                continue
            inner = PurePosixPath(path).relative_to(package).as_posix()
            key = (source_keys or {}).get(path) or source_key(source)
            record = previous.get(inner)
            if record is not None and record[0] == key:
                current = read_text(output / safe_relative(path))
                if current is not None and digest(current) == record[1]:
                    out[path] = current
                    result.records[package][inner] = record
                    result.reused += 1
                    continue
            jobs[path] = source
            keys[path] = (package, inner, key)
            out[path] = ""  # filled below, keeping the order of the files
    for path, text in format_many(jobs, workers=workers, progress=progress).items():
        package, inner, key = keys[path]
        result.packages[package][path] = text
        result.records[package][inner] = (key, digest(text))
    result.formatted = len(jobs)
    return result


@dataclass
class Plan:
    """What a build would change in the output folder."""

    write: dict[Path, str] = field(default_factory=dict)
    unchanged: list[Path] = field(default_factory=list)
    remove: list[Path] = field(default_factory=list)
    diffs: list[str] = field(default_factory=list)
    roots: list[Path] = field(default_factory=list)  # the package folders: nothing above them is touched

    @property
    def stale(self) -> list[Path]:
        return sorted([*self.write, *self.remove])


def safe_relative(path: str) -> PurePosixPath:
    rel = PurePosixPath(path)
    if rel.is_absolute() or any(part in ("", ".", "..") for part in rel.parts) or "\\" in path:
        raise RuntimeError(f"refusing to write outside the output folder: {path!r}")
    return rel


@dataclass
class Manifest:
    files: list[str] = field(default_factory=list)
    formatted: dict[str, FormatRecord] = field(default_factory=dict)


def read_manifest(package_dir: Path) -> Manifest:
    """The manifest zgen left in a package; entries that could point outside it are ignored."""
    text = read_text(package_dir / MANIFEST)
    try:
        data = json.loads(text) if text is not None else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return Manifest()
    manifest = Manifest()
    files = data.get("files")
    for entry in files if isinstance(files, list) else []:
        if isinstance(entry, str) and is_safe(entry):
            manifest.files.append(entry)
    formatted = data.get("formatted")
    for name, record in (formatted.items() if isinstance(formatted, dict) else ()):
        if (
            is_safe(name)
            and isinstance(record, list)
            and len(record) == 2
            and all(isinstance(item, str) for item in record)
        ):
            manifest.formatted[name] = (record[0], record[1])
    return manifest


def is_safe(path: str) -> bool:
    try:
        safe_relative(path)
    except RuntimeError:
        return False
    return True


def manifest_text(files: Iterable[str], records: dict[str, FormatRecord]) -> str:
    data = {
        "generator": "zgen",
        "files": sorted(files),
        "formatted": {name: list(record) for name, record in sorted(records.items())},
    }
    return json.dumps(data, indent=2) + "\n"


def plan(
    output: Path,
    packages: dict[str, dict[str, str]],
    *,
    diff: bool,
    records: dict[str, dict[str, FormatRecord]] | None = None,
) -> Plan:
    """Compare the formatted files of each package with the output folder."""
    result = Plan()
    for package, files in sorted(packages.items()):
        package_dir = output / package
        result.roots.append(package_dir)
        if package_dir.exists() and not (package_dir / MANIFEST).exists() and any(package_dir.iterdir()):
            raise ZgenError(str(package_dir), "", "folder exists and was not written by zgen (no manifest); refusing to overwrite it")
        wanted = dict(files)
        listing = [PurePosixPath(p).relative_to(package).as_posix() for p in wanted]
        wanted[f"{package}/{MANIFEST}"] = manifest_text(listing, (records or {}).get(package, {}))
        for rel, content in sorted(wanted.items()):
            target = output / safe_relative(rel)
            current = read_text(target)
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
                            f"a/{rel}" if current is not None else "/dev/null",
                            f"b/{rel}",
                            n=1,
                        )
                    )
                )
        for old in read_manifest(package_dir).files:
            rel = f"{package}/{old}"
            if rel not in wanted:
                target = output / safe_relative(rel)
                if target.is_file() and not target.is_symlink():
                    result.remove.append(target)
                    if diff:
                        result.diffs.append(f"--- a/{rel}\n+++ /dev/null (no longer generated)\n")
    return result


def _backup(target: Path) -> Path | None:
    """A copy of an existing file beside it (a hard link when possible); None when there is no file."""
    if not target.exists():
        return None
    backup = target.with_name(f".{target.name}.{os.getpid()}.zgen-backup")
    backup.unlink(missing_ok=True)
    try:
        os.link(target, backup)
    except OSError:
        shutil.copy2(target, backup)
    return backup


def _make_parents(target: Path, created: list[Path]) -> None:
    missing = []
    parent = target.parent
    while not parent.exists():
        missing.append(parent)
        parent = parent.parent
    for folder in reversed(missing):
        folder.mkdir()
        created.append(folder)


def apply(result: Plan) -> None:
    """Write every changed file to a temporary sibling, then move them all into place.

    Each move is atomic. If any step fails, every file already moved is put back from its backup,
    removed files come back, new files and folders go, and the error is raised: the output folder
    is as it was.
    """
    created: list[Path] = []
    staged: list[tuple[Path, Path]] = []
    backups: list[tuple[Path, Path | None]] = []  # (target, backup or None when the file is new)
    removed: list[tuple[Path, Path]] = []  # (target, backup)
    try:
        for target, content in sorted(result.write.items()):
            _make_parents(target, created)
            fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".zgen-tmp", dir=target.parent)
            staged.append((Path(temporary), target))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(content)
        for tmp, target in staged:
            backups.append((target, _backup(target)))
            os.replace(tmp, target)
        for target in result.remove:
            kept = target.with_name(f".{target.name}.{os.getpid()}.zgen-backup")
            os.replace(target, kept)
            removed.append((target, kept))
    except BaseException:
        _rollback(staged, backups, removed, created)
        raise
    for _, maybe in backups:
        if maybe is not None:
            maybe.unlink(missing_ok=True)
    for _, kept in removed:
        kept.unlink(missing_ok=True)
    for target in result.remove:
        _prune(target.parent, result.roots)


def _rollback(
    staged: list[tuple[Path, Path]],
    backups: list[tuple[Path, Path | None]],
    removed: list[tuple[Path, Path]],
    created: list[Path],
) -> None:
    for target, kept in reversed(removed):
        os.replace(kept, target)
    for target, backup in reversed(backups):
        if backup is None:
            target.unlink(missing_ok=True)
        else:
            os.replace(backup, target)
            # rename() does nothing when both names are links to one file (the move never happened)
            backup.unlink(missing_ok=True)
    for tmp, _ in staged:
        tmp.unlink(missing_ok=True)
    for folder in reversed(created):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _prune(folder: Path, roots: list[Path]) -> None:
    """Remove folders left empty, up to (not including) the package folder that holds them."""
    root = next((r for r in roots if folder == r or r in folder.parents), None)
    if root is None:
        return
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent

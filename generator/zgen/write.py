"""Stage 7b: compare the formatted files with what is on disk, write only what changed, atomically.

Each package carries `.zgen-manifest.json`: the files zgen wrote there (so a file it no longer
produces is removed, and files the user added are never touched) and, per Python file, the
format record that lets the next build reuse the formatted file or its pieces (see format.py), and
each generated model class, for the next build's model generation (see modelgen.py).
"""

from __future__ import annotations

import contextvars
import difflib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from .diagnostics import ZgenError

if TYPE_CHECKING:
    from .naming import Published

MANIFEST = ".zgen-manifest.json"
# (hash of the unformatted source, hash of the formatted file, "piece:length ..." of its pieces)
FormatRecord = tuple[str, str, str]


def read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def read_bytes(path: Path) -> bytes | None:
    """The file's bytes (None when it cannot be read): a third of read_text's time, for the
    thousand files a build compares with what it made (os.read of the size fstat gives, without
    the buffered reader and the decoder)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        size = os.fstat(fd).st_size
        data = os.read(fd, size + 1)
        if len(data) <= size:  # (all of it: a regular file's read is short only at its end)
            return data
        chunks = [data]  # it grew since fstat (or is not a regular file): read to its end
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


@dataclass
class Plan:
    """What a build would change in the output folder."""

    write: dict[Path, str] = field(default_factory=dict)
    unchanged: list[Path] = field(default_factory=list)
    remove: list[Path] = field(default_factory=list)
    diffs: list[str] = field(default_factory=list)
    roots: list[Path] = field(
        default_factory=list
    )  # the package folders: nothing above them is touched
    # per package built, every file it should hold (the manifest among them), by path within it
    contents: dict[str, dict[str, str]] = field(default_factory=dict)
    # ... and their UTF-8 bytes where plan made them (to compare them with the disk)
    encoded: dict[str, dict[str, bytes]] = field(default_factory=dict)

    @property
    def stale(self) -> list[Path]:
        return sorted([*self.write, *self.remove])


def safe_relative(path: str) -> PurePosixPath:
    if _plain(path):
        return PurePosixPath(path)  # (the check below, for the paths zgen writes: 2,000 a build)
    rel = PurePosixPath(path)
    if rel.is_absolute() or any(part in ("", ".", "..") for part in rel.parts) or "\\" in path:
        raise RuntimeError(f"refusing to write outside the output folder: {path!r}")
    return rel


def _plain_parts(path: str) -> bool:
    return all(part not in ("", ".", "..") for part in path.split("/"))


def _plain(path: str) -> bool:
    """Whether a path is relative, with no empty, `.` or `..` part and no backslash: one that
    safe_relative takes as it is (checked without making a path object of it)."""
    return bool(path) and path[0] != "/" and "\\" not in path and _plain_parts(path)


@dataclass
class Manifest:
    files: list[str] = field(default_factory=list)
    formatted: dict[str, FormatRecord] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)  # published class name -> shape digest
    aliases: dict[str, str] = field(default_factory=dict)  # published alias -> shape digest
    methods: dict[str, str] = field(default_factory=dict)  # request key -> its method name
    model_cache: dict[str, Any] | None = None  # what modelgen.ModelsCache records, as JSON


# Inside `reading_manifests()`, each manifest is parsed once (a build asks for one several times,
# and a big package's is a megabyte of JSON); the Manifest objects are then shared: read-only.
_READ: contextvars.ContextVar[dict[Path, Manifest] | None] = contextvars.ContextVar(
    "zgen_manifests", default=None
)


@contextmanager
def reading_manifests() -> Iterator[None]:
    """Within this block every manifest is read once: for a build's stages before it writes."""
    token = _READ.set({})
    try:
        yield
    finally:
        _READ.reset(token)


def read_manifest(package_dir: Path) -> Manifest:
    """The manifest zgen left in a package; entries that could point outside it are ignored."""
    read = _READ.get()
    if read is None:
        return _read_manifest(package_dir)
    found = read.get(package_dir)
    if found is None:
        found = read[package_dir] = _read_manifest(package_dir)
    return found


def _read_manifest(package_dir: Path) -> Manifest:
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
            and len(record) in (2, 3)
            and all(isinstance(item, str) for item in record)
        ):
            manifest.formatted[name] = (record[0], record[1], record[2] if len(record) > 2 else "")
    for key, target in (("models", manifest.models), ("aliases", manifest.aliases)):
        entries = data.get(key)
        for name, digest in entries.items() if isinstance(entries, dict) else ():
            if isinstance(name, str) and name.isidentifier() and isinstance(digest, str):
                target[name] = digest
    methods = data.get("methods")
    for key, name in methods.items() if isinstance(methods, dict) else ():
        if isinstance(key, str) and isinstance(name, str) and name.isidentifier():
            manifest.methods[key] = name
    cache = data.get("model_cache")
    if isinstance(cache, dict):
        manifest.model_cache = cache
    return manifest


def is_safe(path: str) -> bool:
    if _plain(path):  # (a manifest's thousand paths: no path object made for each)
        return True
    try:
        safe_relative(path)
    except RuntimeError:
        return False
    return True


def manifest_text(
    files: Iterable[str],
    records: dict[str, FormatRecord],
    models: Published | None = None,
    model_cache: dict[str, Any] | None = None,
) -> str:
    data: dict[str, Any] = {
        "generator": "zgen",
        "files": sorted(files),
        "formatted": {name: list(record) for name, record in sorted(records.items())},
    }
    if models is not None and (models.classes or models.aliases):
        data["models"] = dict(sorted(models.classes.items()))
        data["aliases"] = dict(sorted(models.aliases.items()))
    if models is not None and models.methods:
        data["methods"] = dict(sorted(models.methods.items()))
    if model_cache:
        data["model_cache"] = model_cache
    return indented_json(data) + "\n"


def indented_json(value: Any) -> str:
    """json.dumps(value, indent=2), in 60% of its time for a manifest (a megabyte of JSON for a
    big package, made by every build): json's C encoder does not indent, and its Python one
    makes a generator per container and yields token by token; this appends the parts to one
    list. Strings are encoded by json's own (C) function; anything but str keys and plain JSON
    values (a NaN, another type) is left to json.dumps."""
    parts: list[str] = []
    try:
        _indented(value, "\n", parts)
    except _NotPlain:
        return json.dumps(value, indent=2)
    return "".join(parts)


class _NotPlain(Exception):
    """A value _indented leaves to json.dumps."""


_ENCODE_STR = json.encoder.encode_basestring_ascii  # (what json.dumps uses: ensure_ascii)
_INFINITY = float("inf")


def _indented(value: Any, newline: str, parts: list[str]) -> None:
    """Append `value` as json.dumps(indent=2) writes it at the indentation `newline` ends with."""
    kind = type(value)
    if kind is str:
        parts.append(_ENCODE_STR(value))
    elif kind is dict or kind is list or kind is tuple:
        if not value:
            parts.append("{}" if kind is dict else "[]")
            return
        inner = newline + "  "
        separator = ("{" if kind is dict else "[") + inner
        for item in value:
            parts.append(separator)
            separator = "," + inner
            if kind is dict:
                if type(item) is not str:
                    raise _NotPlain
                parts.append(_ENCODE_STR(item))
                parts.append(": ")
                item = value[item]
            if type(item) is str:  # (most values: spared a call)
                parts.append(_ENCODE_STR(item))
            else:
                _indented(item, inner, parts)
        parts.append(newline + ("}" if kind is dict else "]"))
    elif value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif kind is int:
        parts.append(int.__repr__(value))
    elif kind is float and -_INFINITY < value < _INFINITY:
        parts.append(float.__repr__(value))
    else:
        raise _NotPlain


def plan(
    output: Path,
    packages: dict[str, dict[str, str]],
    *,
    diff: bool,
    records: dict[str, dict[str, FormatRecord]] | None = None,
    models: Mapping[str, Published] | None = None,
    model_cache: Mapping[str, dict[str, Any]] | None = None,
    kept: Mapping[str, Iterable[str]] | None = None,
    on_disk: Mapping[str, str] | None = None,
) -> Plan:
    """Compare the formatted files of each package with the output folder. `kept` are packages
    known to be unchanged (see buildcache), with their files: counted as unchanged, not read;
    `on_disk`, files read from the output folder in this build already (path -> text)."""
    result = Plan()
    for package, listing in sorted((kept or {}).items()):
        result.unchanged.extend(output / package / rel for rel in listing)
    for package, files in sorted(packages.items()):
        package_dir = output / package
        result.roots.append(package_dir)
        if (
            package_dir.exists()
            and not (package_dir / MANIFEST).exists()
            and any(package_dir.iterdir())
        ):
            raise ZgenError(
                str(package_dir),
                "",
                "folder exists and was not written by zgen (no manifest); refusing to overwrite it",
            )
        wanted = dict(files)
        listing = [_within(p, package) for p in wanted]
        wanted[f"{package}/{MANIFEST}"] = manifest_text(
            listing,
            (records or {}).get(package, {}),
            (models or {}).get(package),
            (model_cache or {}).get(package),
        )
        result.contents[package] = {
            _within(rel, package): content for rel, content in wanted.items()
        }
        encoded = result.encoded[package] = {}
        for rel, content in sorted(wanted.items()):
            target = output / (rel if _plain(rel) else safe_relative(rel))
            current = (on_disk or {}).get(rel)
            if current is None:
                # Most files are as the last build wrote them: the same bytes say so. Any other
                # file is compared as text, as read_text gives it (with universal newlines: a
                # file whose only difference is its line ends is left as it is).
                data = _utf8(content)
                if data is not None:
                    encoded[_within(rel, package)] = data
                    if read_bytes(target) == data:
                        result.unchanged.append(target)
                        continue
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


def _utf8(text: str) -> bytes | None:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # (a lone surrogate: writing the file fails as it did)
        return None


def _within(path: str, package: str) -> str:
    """A generated file's path within its package (`path` starts with the package's folder)."""
    inner = path.removeprefix(f"{package}/")
    if inner == path or not _plain_parts(inner):
        return PurePosixPath(path).relative_to(package).as_posix()
    return inner


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
    new_file_mode = _new_file_mode()
    try:
        for target, content in sorted(result.write.items()):
            _make_parents(target, created)
            fd, temporary = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=".zgen-tmp", dir=target.parent
            )
            staged.append((Path(temporary), target))
            # mkstemp makes the file private (0600): give it the mode of the file it replaces,
            # or that of a new file under the user's umask, as any other program writing it would
            try:
                mode = os.stat(target).st_mode & 0o7777
            except OSError:
                mode = new_file_mode
            os.fchmod(fd, mode)
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


def _new_file_mode() -> int:
    """The mode `open()` gives a new file: 0666 without the bits of the process's umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


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

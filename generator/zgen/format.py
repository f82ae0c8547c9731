"""Stage 7a: format generated Python with black, as little as possible.

- a Python file is formatted in pieces (one per top-level class or function, cut only where black
  itself puts two blank lines), so big files spread over several processes; the result is the
  same bytes black gives for the whole file, whatever the number of processes;
- the manifest of each package records, per Python file, a hash of the unformatted source and of
  the formatted result; when the source is unchanged and the file on disk still has the recorded
  hash, the file on disk is reused and black is not called at all;
- it also records, per file, the hash of each unformatted piece and the length of its formatted
  text: a piece whose text is unchanged (in any file of the package) is cut from the file on disk
  (when that file still has its recorded hash) instead of being formatted again, so an edit to
  one request formats only the pieces it changed.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import itertools
import keyword
import os
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import black
from black.mode import Mode, TargetVersion
from black.parsing import InvalidInput

from .layout import width
from .write import FormatRecord, read_manifest, read_text, safe_relative

BLACK_MODE = Mode(target_versions={TargetVersion.PY311}, line_length=100)
# What the formatted result and the recorded pieces depend on besides the source: black's major
# version (its stable style changes only with it), the mode and this module's code (how files are
# cut into pieces). Part of every recorded source hash.
FORMAT_KEY = (
    f"black {importlib.metadata.version('black').split('.')[0]}; line length"
    f" {BLACK_MODE.line_length}; py311;"
    f" {hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]}\n"
)
# Below this many bytes to format, starting processes costs more than it saves.
PARALLEL_MIN_BYTES = 200_000
BATCH_BYTES = 64_000

Progress = Callable[[int, int], None]  # (units done, units in all)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def source_key(source: str) -> str:
    return digest(FORMAT_KEY + source)


INDENT = "    "
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A piece `alias_piece` takes as it is: `name = name` lines and lists of double-quoted strings, at
# most two blank lines between them.
_ALIAS_LINE = r"[A-Za-z_][A-Za-z0-9_]* = [A-Za-z_][A-Za-z0-9_]*"
_DOUBLE_QUOTED_LIST = r'[A-Za-z_][A-Za-z0-9_]* = \[\n(?:    "[^"\\\'\n]*",\n)+\]'
_ALIAS_BLOCK = f"(?:{_ALIAS_LINE}|{_DOUBLE_QUOTED_LIST})"
_ALIAS_PIECE = re.compile(f"{_ALIAS_BLOCK}(?:\\n{{1,3}}{_ALIAS_BLOCK})*")
_ALIAS = re.compile(_ALIAS_LINE)  # one such line
_LIST_START = re.compile(r"[A-Za-z_][A-Za-z0-9_]* = \[")
_LIST_ITEM = re.compile(r'    "[^"\\\']*",')
_LIST_ITEM_SINGLE = re.compile(r"    '[^\"\\']*',")  # black's quotes are double


def already_black(piece: str) -> str | None:
    """What black makes of a piece of one of the shapes black's rules are simple for (see
    `alias_piece` and `model_class`), without calling black; None for anything else."""
    return alias_piece(piece) or model_class(piece)


# A model class as datamodel-code-generator writes it (tested against black in
# tests/test_model_layout.py): the class line, a docstring, then fields such as
# `name: list[Item] | None = Field(None, alias='Name')`.
_CLASS_LINE = re.compile(r"class [A-Za-z_][A-Za-z0-9_]*\([A-Za-z_][A-Za-z0-9_.]*\):")
_ANNOTATION_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*|\[|\]|, | \| ")
_FIELD = re.compile(
    r"    (?P<name>[A-Za-z_][A-Za-z0-9_]*): (?P<annotation>[A-Za-z0-9_.\[\], |]+?)"
    r"(?: = (?P<value>None|Field\((?:None|\.\.\.), alias='(?P<alias>[^'\"\\]*)'\)))?"
)
_DOC_LINE = re.compile(r"    [^\s\\](?:[^\\]*[^\s\\])?")


def _plain_annotation(text: str) -> bool:
    """Whether an annotation is names, subscripts and unions spaced as black spaces them."""
    tokens = _ANNOTATION_TOKEN.findall(text)
    if "".join(tokens) != text:
        return False
    depth = 0
    previous = ""
    for token in tokens:
        if token == "[":
            if not previous or not (previous[-1].isalnum() or previous[-1] == "_"):
                return False
            depth += 1
        elif token == "]":
            if depth == 0 or previous in ("[", ", ", " | "):
                return False
            depth -= 1
        elif token in (", ", " | "):
            if previous in ("", "[", ", ", " | ") or (token == ", " and depth == 0):
                return False
        elif previous and previous not in ("[", ", ", " | "):
            return False
        if keyword.iskeyword(token) and token != "None":
            return False
        previous = token
    return depth == 0 and previous not in (", ", " | ")


def model_class(piece: str) -> str | None:
    """What black makes of a model class of datamodel-code-generator's plain shape: a class line,
    an optional docstring (its quotes on lines of their own), then one or more fields whose
    annotations are names, subscripts and unions and whose value is None or `Field(None|...,
    alias='...')`. Black puts the alias in double quotes and one blank line after the docstring.
    None for any other shape, or for a line black would split."""
    lines = piece.rstrip("\n").split("\n")
    limit = BLACK_MODE.line_length
    if not _CLASS_LINE.fullmatch(lines[0]) or width(lines[0]) > limit:
        return None
    out = [lines[0]]
    index = 1
    if index < len(lines) and lines[index] == '    """':
        end = index + 1
        while end < len(lines) and lines[end] != '    """':
            line = lines[end]
            if not _DOC_LINE.fullmatch(line) or '"""' in line or not line.isprintable():
                return None
            end += 1
        if end >= len(lines) or end == index + 1 or lines[end - 1].endswith('"'):
            return None
        out.extend(lines[index : end + 1])
        out.append("")
        index = end + 1
        if index < len(lines) and not lines[index]:
            index += 1
    fields = lines[index:]
    if not fields:
        return None
    for line in fields:
        match = _FIELD.fullmatch(line)
        if match is None or keyword.iskeyword(match["name"]):
            return None
        if match["alias"] is not None and not match["alias"].isprintable():
            return None
        if not _plain_annotation(match["annotation"]):
            return None
        if match["alias"] is not None:
            line = line[: match.start("alias") - 1] + f'"{match["alias"]}")'
        if width(line) > limit:
            if match["alias"] is None:
                return None
            # black splits at the call's bracket: its arguments on a line of their own
            head, _, arguments = line.partition(" = Field(")
            head = f"{head} = Field("
            arguments = f"        {arguments[:-1]}"
            if width(head) > limit or width(arguments) > limit:
                return None
            line = f"{head}\n{arguments}\n    )"
        out.append(line)
    return "\n".join(out) + "\n"


def alias_piece(piece: str) -> str | None:
    """What black makes of a piece that is only `name = name` lines and lists of plain strings one
    per line with a trailing comma (at most two blank lines between them): the piece itself, without
    its trailing blank lines, its strings in double quotes, a name too long for its line in
    parentheses. None for anything else (black formats it)."""
    body = piece.rstrip("\n")
    limit = BLACK_MODE.line_length
    # The names of the whole piece looked at once: most pieces hold no keyword, and when, in
    # addition, every line is short and every string in double quotes, black leaves the piece as
    # it is: one match over the whole piece tells (models.py's `__all__` and aliases at 500
    # requests: 7,500 lines, 12 ms one by one).
    keywords = any(keyword.iskeyword(word) for word in set(_NAME.findall(body)))
    if (
        not keywords
        and body.isascii()
        and _ALIAS_PIECE.fullmatch(body)
        and max(map(len, body.split("\n"))) <= limit
    ):
        return body + "\n"
    return alias_lines(body, keywords)


def alias_lines(body: str, keywords: bool = True) -> str | None:
    """`alias_piece` of a piece (its trailing blank lines dropped), line by line; `keywords`:
    whether a line may hold a keyword (False: the piece holds none)."""
    limit = BLACK_MODE.line_length
    lines = body.split("\n")
    blank = 0
    in_list = False
    items = 0
    for index, line in enumerate(lines):
        if width(line) > limit and (in_list or not _ALIAS.fullmatch(line)):
            return None
        if in_list:
            if _LIST_ITEM.fullmatch(line):
                items += 1
            elif _LIST_ITEM_SINGLE.fullmatch(line):
                items += 1
                lines[index] = f'    "{line[5:-2]}",'
            elif line == "]" and items:
                in_list = False
            else:
                return None
            continue
        if not line:
            blank += 1
            if blank > 2:
                return None
            continue
        blank = 0
        if _LIST_START.fullmatch(line):
            in_list, items = True, 0
        elif not _ALIAS.fullmatch(line):
            return None
        elif width(line) > limit:  # black wraps the name in parentheses when that makes it fit
            name, value = line.split(" = ")
            if len(name) + 4 > limit:
                return None
            if len(INDENT + value) <= limit:
                lines[index] = f"{name} = (\n{INDENT}{value}\n)"
        if keywords and any(keyword.iskeyword(word) for word in _NAME.findall(line)):
            return None
    if in_list or not lines[0]:
        return None
    return "\n".join(lines) + "\n"


def vouched_piece(piece: str) -> str | None:
    """A piece of a file the renderer wrote in black's style, as black leaves it (the piece itself,
    trailing blank lines dropped); None when a code line is over the limit (the renderer lays out
    what fits and leaves the rest on one line for black to split). Comment lines may be long: black
    leaves them as they are."""
    limit = BLACK_MODE.line_length
    for line in piece.split("\n"):
        if width(line) > limit and not line.lstrip().startswith("#"):
            return None
    return piece.rstrip("\n") + "\n"


# Where a file in black's style has two blank lines before a line at the top level: black's cuts.
_BLACK_STYLE_CUT = re.compile(r"(?<=[^\n])\n\n\n(?=[^\s#])")
_MORE_BLANK_LINES = re.compile(r"\n\n\n\n+(?=[^\s#])")


def black_style_cut(source: str) -> list[str] | None:
    """A file cut at its top-level double blank lines (before a line at the margin that is not a
    comment), without parsing it; None when a run of more blank lines makes a parse necessary.
    Joined, the pieces give back the source. Where no line inside a string starts at the margin
    after two blank lines, these are the cuts of `split_top_level`."""
    if _MORE_BLANK_LINES.search(source):
        return None  # more than black's two blank lines: only a parse tells whether in a string
    # The matches of _BLACK_STYLE_CUT, found with str.find (the regex, its look-behind tried at
    # every character, took 12 ms over models.py at 500 requests and 27 ms over client.py).
    bounds = [0]
    at = source.find("\n\n\n")
    while at != -1:
        end = at + 3
        after = source[end : end + 1]
        if at > 0 and source[at - 1] != "\n" and after and not after.isspace() and after != "#":
            bounds.append(end)
            at = source.find("\n\n\n", end)
        else:
            at = source.find("\n\n\n", at + 1)
    bounds.append(len(source))
    return [source[start:stop] for start, stop in itertools.pairwise(bounds)]


def vouched_pieces(source: str) -> list[tuple[str, str]] | None:
    """A file rendered in black's style cut at its top-level double blank lines, without parsing
    it, with each piece as black leaves it; None when a piece has a long code line (the file is
    then cut by `split_top_level`, so that such pieces are whole statements for black). Joined
    again, the pieces give back the source (a cut inside a string would change nothing)."""
    cut = black_style_cut(source)
    if cut is None:
        return None
    result = []
    for piece in cut:
        laid = vouched_piece(piece)
        if laid is None:
            return None
        result.append((piece, laid))
    return result


def _black(path: str, source: str) -> str:
    try:
        return black.format_str(source, mode=BLACK_MODE)
    except InvalidInput as exc:  # a bug in zgen, never the user's input
        raise RuntimeError(f"zgen produced invalid Python in {path}: {exc}") from exc


def split_top_level(source: str) -> list[str]:
    """Cut Python source where black puts two blank lines at the top level: before classes and
    functions, and before an assignment that follows one.

    A cut is made only where nothing but blank lines stands between the previous statement and
    the next (no comment that black could attach to either side), and never after a one-line stub
    (`def f(): ...`), whose spacing black treats specially.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return [source]  # black reports it
    lines = source.splitlines(keepends=True)
    cuts: list[int] = []
    definitions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    for previous, node in zip(tree.body, tree.body[1:], strict=False):
        if isinstance(previous, definitions) and is_stub(previous):
            continue
        if isinstance(node, definitions):
            first = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
        elif isinstance(previous, definitions) and isinstance(node, ast.Assign):
            first = node.lineno  # after a class or function, black puts two blank lines too
        else:
            continue
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


def format_source(path: str, source: str, *, vouched: bool = False) -> str:
    """Black-format Python source (piece by piece, same bytes as a whole-file run); other files
    pass through. `vouched`: the source is in black's style, only its long pieces need black."""
    if not path.endswith(".py") or not source or source.isspace():
        return source
    return join_formatted(_format_piece(path, piece, vouched) for piece in split_top_level(source))


def _format_piece(path: str, piece: str, vouched: bool) -> str:
    return (vouched and vouched_piece(piece)) or already_black(piece) or _black(path, piece)


def _format_batch(batch: list[tuple[str, str]]) -> list[str]:
    """Worker: format each (path, piece)."""
    return [already_black(piece) or _black(path, piece) for path, piece in batch]


def default_workers() -> int:
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        count = os.cpu_count() or 1
    return max(1, min(count, 8))


def piece_key(piece: str) -> str:
    return digest(FORMAT_KEY + piece)[:16]


Reuse = Callable[[str], str | None]  # piece key -> its formatted text from the last build, if known


def format_pieces(
    sources: dict[str, str],
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    reuse: Reuse | None = None,
    vouched: Collection[str] = (),
    pool: Executor | None = None,
    cut: Collection[str] = (),
) -> tuple[dict[str, list[tuple[str, str]]], int]:
    """Format many Python files piece by piece, in parallel processes when there is enough to
    format: per file, (key, formatted text) of each piece, and how many pieces black formatted.
    A piece that `reuse` knows, or that stands twice, is not formatted again; a piece of a
    `vouched` path (rendered in black's style) is taken as it is when it has no long code line.
    The paths in `cut` have no line at the margin inside a string after two blank lines (models.py
    as the built-in template and datamodel-code-generator write it): they are cut without a parse.
    """
    keyed: dict[str, list[tuple[str, str]]] = {}
    done_pieces: dict[str, str] = {}
    todo: dict[str, tuple[str, str]] = {}  # piece key -> (path, piece), in order
    for path, source in sorted(sources.items()):
        keyed[path] = []
        trusted = path in vouched
        laid_out = vouched_pieces(source) if trusted else None
        if laid_out is not None:
            for piece, as_is in laid_out:
                key = piece_key(piece)
                keyed[path].append((key, piece))
                done_pieces.setdefault(key, as_is)
            continue
        quick = black_style_cut(source) if path in cut else None
        for piece in quick if quick is not None else split_top_level(source):
            key = piece_key(piece)
            keyed[path].append((key, piece))
            if key in done_pieces or key in todo:
                continue
            laid = vouched_piece(piece) if trusted else None
            if laid is not None:
                done_pieces[key] = laid
                continue
            known = reuse(key) if reuse is not None else None
            if known is not None:
                done_pieces[key] = known
            else:
                todo[key] = (path, piece)
    pieces = list(todo.values())
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
        with ExitStack() as stack:
            if pool is None:
                pool = stack.enter_context(ProcessPoolExecutor(min(count, len(batches))))
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
    done_pieces.update(zip(todo, (piece for result in results for piece in result), strict=True))
    formatted = {
        path: [(key, done_pieces[key]) for key, _ in items] for path, items in keyed.items()
    }
    return formatted, len(pieces)


def format_many(
    sources: dict[str, str], *, workers: int | None = None, progress: Progress | None = None
) -> dict[str, str]:
    """Format many Python files, in parallel processes when there is enough to format."""
    formatted, _ = format_pieces(sources, workers=workers, progress=progress)
    return {path: join_formatted(text for _, text in formatted[path]) for path in sources}


def pieces_record(pieces: list[tuple[str, str]]) -> str:
    """What the manifest keeps of a file's pieces: each one's key and formatted length."""
    return " ".join(f"{key}:{len(text)}" for key, text in pieces)


class PieceCache:
    """The formatted pieces of a package's last build, cut from its files on disk on demand."""

    def __init__(self, package_dir: Path, records: Mapping[str, FormatRecord]) -> None:
        self.package_dir = package_dir
        self.records = records
        self.where: dict[str, tuple[str, int, int]] = {}  # piece key -> (file, start, stop)
        for inner, record in sorted(records.items()):
            offset = 0
            for entry in record[2].split():
                key, _, length = entry.partition(":")
                if not length.isdigit():
                    break
                stop = offset + int(length)
                self.where.setdefault(key, (inner, offset, stop))
                if stop > offset:
                    offset = stop + 2  # the two newlines join_formatted puts between pieces
        self.texts: dict[str, str | None] = {}

    def __call__(self, key: str) -> str | None:
        found = self.where.get(key)
        if found is None:
            return None
        inner, start, stop = found
        if inner not in self.texts:
            text = read_text(self.package_dir / safe_relative(inner))
            ok = text is not None and digest(text) == self.records[inner][1]
            self.texts[inner] = text if ok else None
        text = self.texts[inner]
        return text[start:stop] if text is not None else None


@dataclass
class Formatted:
    """The formatted files of every package, with what the manifests will record."""

    packages: dict[str, dict[str, str]] = field(default_factory=dict)
    records: dict[str, dict[str, FormatRecord]] = field(
        default_factory=dict
    )  # package -> file -> record
    formatted: int = 0  # files black formatted (some of their pieces) in this build
    reused: int = 0  # files taken from disk, black not called
    pieces_formatted: int = 0  # pieces black formatted
    pieces_reused: int = 0  # pieces of formatted files cut from the last build's files


def unchanged_files(
    output: Path,
    package: str,
    files: Mapping[str, str],
    previous: Mapping[str, FormatRecord] | None = None,
    source_keys: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The Python files of a package that the last build formatted from the same source, as they
    are on disk (path -> text), when the disk still holds what it wrote: they need no formatting,
    and no other check, again. `previous` are the manifest's format records, when read already."""
    if previous is None:
        previous = read_manifest(output / package).formatted
    found: dict[str, str] = {}
    for path, source in files.items():
        if not path.endswith(".py"):
            continue
        record = previous.get(PurePosixPath(path).relative_to(package).as_posix())
        if record is None or not record[2]:
            continue  # not recorded, or by a zgen that kept no pieces
        if record[0] != ((source_keys or {}).get(path) or source_key(source)):
            continue
        current = read_text(output / safe_relative(path))
        if current is not None and digest(current) == record[1]:
            found[path] = current
    return found


def reusable(output: Path, path: str, key: str) -> bool:
    """Whether the file on disk is what the last build formatted from a source with this key."""
    package = path.partition("/")[0]
    return path in unchanged_files(output, package, {path: ""}, source_keys={path: key})


def format_packages(
    output: Path,
    packages: dict[str, dict[str, str]],
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    source_keys: Mapping[str, str] | None = None,
    vouched: Collection[str] = (),
    pool: Executor | None = None,
    known: Mapping[str, Mapping[str, str]] | None = None,
    cut: Collection[str] = (),
) -> Formatted:
    """Format the rendered files of each package, reusing what is on disk when its source is unchanged.

    `source_keys` gives, for some paths, the key to record instead of the hash of the source (a file
    whose source is costly to produce is keyed by its inputs, see pipeline.build); `vouched` names
    the paths rendered in black's style (see render.black_style); `pool`, worker processes to use
    (otherwise they are started when there is enough to format); `known`, per package, what
    `unchanged_files` found (when the caller asked already); `cut`, see format_pieces.
    """
    result = Formatted()
    jobs: dict[str, str] = {}
    keys: dict[str, tuple[str, str, str]] = {}  # path -> (package, file in package, source key)
    caches: dict[str, PieceCache] = {}
    for package, files in sorted(packages.items()):
        previous = read_manifest(output / package).formatted
        out: dict[str, str] = {}
        result.packages[package] = out
        result.records[package] = {}
        unchanged = (
            known[package]
            if known is not None and package in known
            else unchanged_files(output, package, files, previous, source_keys)
        )
        for path, source in files.items():
            if not path.endswith(".py") or not source or source.isspace():
                out[path] = source
                continue
            inner = PurePosixPath(path).relative_to(package).as_posix()
            key = (source_keys or {}).get(path) or source_key(source)
            if path in unchanged:
                out[path] = unchanged[path]
                result.records[package][inner] = previous[inner]
                result.reused += 1
                continue
            jobs[path] = source
            keys[path] = (package, inner, key)
            out[path] = ""  # filled below, keeping the order of the files
        caches[package] = PieceCache(output / package, previous)

    def reuse(key: str) -> str | None:
        for cache in caches.values():
            found = cache(key)
            if found is not None:
                return found
        return None

    formatted, result.pieces_formatted = format_pieces(
        jobs,
        workers=workers,
        progress=progress,
        reuse=reuse,
        vouched=vouched,
        pool=pool,
        cut=cut,
    )
    for path, pieces in formatted.items():
        package, inner, key = keys[path]
        text = join_formatted(piece for _, piece in pieces)
        result.packages[package][path] = text
        result.records[package][inner] = (key, digest(text), pieces_record(pieces))
        result.pieces_reused += len(pieces)
    result.pieces_reused -= result.pieces_formatted
    result.formatted = len(jobs)
    return result

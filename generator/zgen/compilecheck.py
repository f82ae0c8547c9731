"""The compile check of generated modules, piece by piece, remembering what compiled.

Every generated module is compiled before anything is written (code that does not compile is a
bug in zgen, reported as such). A rebuild after a small change changes a few pieces of a few
modules, models.py among them (650 KB at 500 requests, 0.15 s to compile whole): only the pieces
the last build did not compile are compiled again.

A module is cut at the blank lines before a line at the margin that starts a statement (`cut`).
Each piece is compiled alone, with the `__future__` features the first piece (the head: the
docstring and the future imports) turns on. If every piece compiles alone, the module compiles:
a cut inside a string or a bracket, after a decorator or a backslash, or before a clause that
continues a statement (`else:`), leaves a piece that does not compile alone, and the head runs
to the last piece that holds `__future__` (a future import compiles alone, but not after other
statements). When a piece does not compile alone, the module is compiled whole, and that answer
counts: it names the line of the error.
"""

from __future__ import annotations
import __future__

import hashlib
import marshal
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

# Blank lines before a line at the margin that starts a statement: where a module is cut. (A
# blank line at least: black's two between definitions, and the one between the operation
# constants of client.py, so that a change to one constant does not compile them all again.)
CUT_RE = re.compile(r"\n\n+(?=[A-Za-z_@])")
FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag
VERSION = b"python %d.%d\n" % sys.version_info[:2]  # what compiles differs between versions

# (path, head, the pieces after it to compile): one module's compile task
Task = tuple[str, str, list[str]]


def cut(source: str) -> tuple[str, list[str]]:
    """The head of a module and the pieces after it. The head runs to its last import, or the last
    piece that holds `__future__` (the features it turns on apply to every piece after it): a
    future import is never cut away from the head, nor the docstring before the imports."""
    spans: list[tuple[int, int]] = []
    start = 0
    for blank in CUT_RE.finditer(source):
        spans.append((start, blank.start()))
        start = blank.end()
    spans.append((start, len(source)))
    last = max((i for i, (a, b) in enumerate(spans) if _in_head(source[a:b])), default=0)
    return source[: spans[last][1]], [source[a:b] for a, b in spans[last + 1 :]]


def _in_head(piece: str) -> bool:
    """Whether a piece belongs to the head: an import, or a piece that mentions `__future__`.
    (The module's docstring comes before its imports: a blank line in it is not cut.)"""
    return piece.startswith(("import ", "from ")) or "__future__" in piece


def _digest(prefix: bytes, text: str) -> bytes:
    hashed = hashlib.blake2b(prefix, digest_size=20)
    hashed.update(text.encode("utf-8", "surrogatepass"))
    return hashed.digest()


def failing(tasks: list[Task]) -> list[str]:
    """The paths of the tasks with a piece (or head) that does not compile alone (in a worker
    process or here)."""
    failed = []
    for path, head, pieces in tasks:
        try:
            flags = compile(head, path, "exec", dont_inherit=True).co_flags & FUTURE_FLAGS
            for piece in pieces:
                compile(piece, path, "exec", flags=flags, dont_inherit=True)
        except (SyntaxError, ValueError):
            failed.append(path)
    return failed


def compile_errors(batch: list[tuple[str, str]]) -> list[tuple[str, int, str]]:
    """(path, line, message) of each (path, source) that does not compile whole."""
    errors = []
    for path, source in batch:
        try:
            compile(source, path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            errors.append((path, getattr(exc, "lineno", None) or 0, str(getattr(exc, "msg", exc))))
    return errors


@dataclass
class Plan:
    """What to compile of a package's modules, given the pieces that compiled last time."""

    tasks: list[Task] = field(default_factory=list)
    keys: dict[str, list[bytes]] = field(default_factory=dict)  # path -> its pieces' keys

    def kept(self, failed: set[str]) -> bytes:
        """The keys of the pieces that compiled, for the next build (those of a module with a
        piece that failed alone are left out)."""
        return marshal.dumps(
            sorted(key for path, keys in self.keys.items() if path not in failed for key in keys)
        )


def plan(files: Mapping[str, str], last: bytes | None) -> Plan:
    """The compile tasks of the Python modules among `files`; `last`: the keys the last build
    kept (see Plan.kept), or None."""
    compiled: set[bytes] = set()
    if last:
        try:
            found = marshal.loads(last)
        except (EOFError, ValueError, TypeError):
            found = None
        if isinstance(found, list):
            compiled = {key for key in found if isinstance(key, bytes)}
    result = Plan()
    for path, source in sorted(files.items()):
        if not path.endswith(".py"):
            continue
        head, pieces = cut(source)
        head_key = _digest(VERSION, head)
        keys = [head_key, *(_digest(head_key, piece) for piece in pieces)]
        result.keys[path] = keys
        todo = [piece for piece, key in zip(pieces, keys[1:], strict=True) if key not in compiled]
        if todo or head_key not in compiled:
            result.tasks.append((path, head, todo))
    return result

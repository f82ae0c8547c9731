"""Results of pure functions, carried from one build of a package to the next.

A rebuild after a small change asks the render stage's helpers the same questions as the last
build did, a few thousand times (the layout of each call statement, the fixture file of each
saved response). A `Memo` answers those it answered last time from what it kept (see
buildcache.read_memo: the file is valid only for the zgen that wrote it, so a result can only
differ if the function is not pure), and computes the others.

Only what this build asked is kept for the next one, so a memo never grows past one build's
questions. Keys and values are plain data (str, int, bytes, tuples of them): kept with marshal,
whose reading runs no code.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import marshal
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, ParamSpec, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
P = ParamSpec("P")
R = TypeVar("R")


class Memo(Generic[K, V]):
    """One function's answers: the last build's (`last`) and this build's so far (`now`). The key
    must determine the answer: it holds every input the function reads (its arguments or what
    they are derived from)."""

    def __init__(self) -> None:
        self._last: dict[K, V] | None = {}  # None: not read from `read` yet (see `last`)
        self.now: dict[K, V] = {}
        self.read: bytes | None = None  # the bytes of the last build's answers (see `start`)
        self.computed = False  # whether this build computed an answer (one `last` lacked)

    @property
    def last(self) -> dict[K, V]:
        """The last build's answers, read from their bytes when first asked for: a memo this
        build asks nothing is never read (the render stage may not ask some, after a small
        change)."""
        if self._last is None:
            self._last = {}
            try:
                with paused_gc():
                    entries = marshal.loads(self.read or b"")
            except (EOFError, ValueError, TypeError):
                entries = None
            if isinstance(entries, dict):
                self._last = entries
            else:
                self.read = None
        return self._last

    def get(self, key: K, compute: Callable[[], V]) -> V:
        found = self.now.get(key)
        if found is None:
            last = self._last
            found = (self.last if last is None else last).get(key)
            if found is None:
                found = compute()
                self.computed = True
            self.now[key] = found
        return found

    def start(self, kept: bytes | None) -> None:
        """Begin a package's build with what its last build kept (None: nothing); the bytes are
        read when the first question comes (see `last`)."""
        self.now = {}
        self._last, self.read = (None, kept) if kept else ({}, None)
        self.computed = False

    def resume(self, entries: dict[K, V]) -> None:
        """Begin a package's build with the answers its last build in this process asked
        (`handover`), as they are in memory."""
        self.now, self._last = {}, entries
        self.read, self.computed = None, False

    def handover(self) -> dict[K, V]:
        """What this build asked, for the next one; the memo is then empty (its entries are freed
        when the caller lets them go, not walked by the garbage collector after the build)."""
        return self.handover_kept()[0]

    def handover_kept(self) -> tuple[dict[K, V], Callable[[], bytes]]:
        """`handover`, and how to make the entries' bytes for the build cache: the bytes `start`
        read when this build asked exactly the questions the last one did (it computed nothing,
        so each entry came from `last`, and as many: the same keys and answers), which spares
        marshalling them again after a small change."""
        entries, read, last = self.now, self.read, self._last
        if last is None or self.computed or len(entries) != len(last):
            read = None  # (never read: this build asked nothing, and keeps nothing)
        self.now, self._last = {}, {}
        self.read, self.computed = None, False
        if read is not None:
            kept = read
            return entries, lambda: kept
        return entries, functools.partial(marshal.dumps, entries)

    def kept(self) -> bytes:
        """What this build asked, for the next one, as kept in the build cache (see handover)."""
        return self.handover_kept()[1]()


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector off for a while: loading many objects that hold no cycles
    (a memo's entries) would otherwise run it again and again over the whole heap."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


# The memos kept with a package's build, by name (pipeline starts and keeps each of them).
MEMOS: dict[str, Memo[Any, Any]] = {}


def named(name: str) -> Memo[Any, Any]:
    """A new memo, kept with every package's build under `name`."""
    assert name not in MEMOS, name
    memo: Memo[Any, Any] = Memo()
    MEMOS[name] = memo
    return memo


def persisted(name: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A pure function of plain positional arguments, its answers kept in the memo `name` (in
    place of functools.cache: the next build of the package takes them from the build cache)."""

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        memo = named(name)

        @functools.wraps(function)
        def remembered(*args: P.args, **kwargs: P.kwargs) -> R:
            if kwargs:
                return function(*args, **kwargs)
            result: R = memo.get(args, lambda: function(*args, **kwargs))
            return result

        return remembered

    return decorate


def value_digest(value: Any) -> bytes:
    """A digest of a plain value (str, bytes, numbers, None, tuples, lists, dicts of them), as a
    memo key: equal values give equal digests in any process. marshal version 2 writes a value
    the same way whatever else refers to its parts (version 3+ marks objects by reference count)
    and tags each with its type (1, 1.0 and True differ). Raises ValueError for anything else, or
    a value nested too deep."""
    return hashlib.sha256(marshal.dumps(value, 2)).digest()

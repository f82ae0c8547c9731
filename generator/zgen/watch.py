"""`zgen build --watch`: build, then build again whenever an input changes, until stopped.

The inputs are a handful of files (the collections, environment files, pyproject.toml, the files
of a templates folder): they are polled (their size, times and inode, a few times a second),
which sees a file replaced by a rename as an editor or an export saves it, on any file system. A
change is built once the files have stopped changing for one poll (an export written in several
steps is built once, whole). The build process stays the same, so what a build keeps in memory
(the worker processes with the model generator loaded, the stage memos: see pipeline.Session) is
there for the next one.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

POLL_SECONDS = 0.25

# What the poll sees of one input: for a file, (size, mtime, ctime, inode); for a folder, that
# of each file under it; None when it is missing or cannot be read.
Seen = tuple[object, ...] | None


def _stat(path: Path) -> tuple[int, int, int, int]:
    found = path.stat()
    return (found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino)


def seen(path: Path) -> Seen:
    """What the poll sees of `path` now."""
    try:
        if path.is_dir():
            return tuple(
                (str(inner.relative_to(path)), _stat(inner))
                for inner in sorted(path.rglob("*"))
                if inner.is_file()
            )
        return _stat(path)
    except OSError:
        return None


def snapshot(paths: Iterable[Path]) -> dict[Path, Seen]:
    return {path: seen(path) for path in sorted(set(paths))}


def changed(before: dict[Path, Seen], after: dict[Path, Seen]) -> list[Path]:
    """The inputs that differ between two snapshots (added or dropped ones too)."""
    return [
        path
        for path in sorted(before.keys() | after.keys())
        if before.get(path, ()) != after.get(path, ())
    ]


def watch(
    run: Callable[[], Iterable[Path]],
    first: Iterable[Path],
    *,
    stop: threading.Event,
    announce: Callable[[list[Path]], None] = lambda paths: None,
    poll: float = POLL_SECONDS,
) -> None:
    """Call `run` (a build; it returns the inputs to watch), then again after each change of those
    inputs (`announce` is told which changed), until `stop` is set. `first`: the inputs known
    before the first build (what is seen of them then counts: a change made while the build runs
    starts the next one)."""
    now = snapshot(first)
    before = _after(run(), now)
    while not stop.wait(poll):
        now = snapshot(before)
        if now == before:
            continue
        while not stop.wait(poll):  # settled: one poll without a further change
            again = snapshot(now)
            if again == now:
                break
            now = again
        else:
            return
        announce(changed(before, now))
        before = _after(run(), now)


def _after(inputs: Iterable[Path], now: dict[Path, Seen]) -> dict[Path, Seen]:
    """What counts as seen of a build's `inputs`: what was seen before it ran (`now`), so that a
    change made while it ran starts the next build; inputs it found new are seen after it."""
    wanted = set(inputs)
    return {**snapshot(wanted - now.keys()), **{path: now[path] for path in wanted & now.keys()}}


def stop_on_sigterm(stop: threading.Event) -> None:
    """Make SIGTERM end the watch as Ctrl-C does (so the worker processes are stopped)."""

    def handler(signum: int, frame: object) -> None:
        stop.set()
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread() and os.name == "posix":
        signal.signal(signal.SIGTERM, handler)

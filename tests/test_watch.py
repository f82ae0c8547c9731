"""`zgen build --watch`: a change of an input builds again (once, when it has settled, with what a
cold `zgen build` gives), a failing build prints its error and the watch goes on, Ctrl-C stops it
and its worker processes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest
import zgen.buildcache
from conftest import REPO, collection, output_files, request, response
from zgen.buildcache import memo_path
from zgen.diagnostics import ZgenError
from zgen.pipeline import Session, _WorkerPool, build
from zgen.watch import changed, snapshot, watch

POLL = 0.02


def _watching(
    run: Callable[[], list[Path]], first: list[Path]
) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=watch, args=(run, first), kwargs={"stop": stop, "poll": POLL})
    thread.start()
    return thread, stop


def _until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_change_builds_again_once_and_a_change_during_a_build_is_not_missed(
    tmp_path: Path,
) -> None:
    source = tmp_path / "api.json"
    source.write_text("1", encoding="utf-8")
    runs: list[str] = []

    def run() -> list[Path]:
        runs.append(source.read_text(encoding="utf-8"))
        if len(runs) == 1:
            source.write_text("2", encoding="utf-8")  # changed while the first build runs
        return [source]

    thread, stop = _watching(run, [source])
    try:
        _until(lambda: len(runs) == 2)
        time.sleep(10 * POLL)
        assert runs == ["1", "2"]  # built again, once
        # several writes in a row (an export written in steps): one build, of the last
        for text in ("3", "4", "5"):
            source.write_text(text, encoding="utf-8")
            time.sleep(POLL / 4)
        _until(lambda: len(runs) == 3)
        time.sleep(10 * POLL)
        assert runs == ["1", "2", "5"]
        # a file replaced by a rename (as editors save) is a change
        replacement = tmp_path / "api.json.new"
        replacement.write_text("6", encoding="utf-8")
        replacement.replace(source)
        _until(lambda: len(runs) == 4)
        assert runs[-1] == "6"
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def test_inputs_a_build_found_are_watched_from_then_on(tmp_path: Path) -> None:
    source, environment = tmp_path / "api.json", tmp_path / "env.json"
    source.write_text("{}", encoding="utf-8")
    runs: list[int] = []

    def run() -> list[Path]:
        runs.append(len(runs))
        return [source, environment]  # (environment.json does not exist yet)

    thread, stop = _watching(run, [source])
    try:
        _until(lambda: len(runs) == 1)
        time.sleep(5 * POLL)
        environment.write_text("{}", encoding="utf-8")  # appears: a change
        _until(lambda: len(runs) == 2)
        environment.unlink()  # gone: a change
        _until(lambda: len(runs) == 3)
    finally:
        stop.set()
        thread.join(10)


def test_a_snapshot_sees_each_file_of_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    (folder / "inner").mkdir(parents=True)
    (folder / "inner" / "client.py.jinja").write_text("a", encoding="utf-8")
    before = snapshot([folder, tmp_path / "missing"])
    assert before[tmp_path / "missing"] is None
    (folder / "inner" / "client.py.jinja").write_text("ab", encoding="utf-8")
    assert changed(before, snapshot([folder, tmp_path / "missing"])) == [folder]


def _api(note: Any, count: int) -> dict[str, Any]:
    return collection(
        *(
            request(
                f"Get thing {i}",
                f"{{{{base_url}}}}/things/{i}",
                responses=[response("ok", 200, {"id": str(i), "note": note if i == 0 else "n"})],
            )
            for i in range(count)
        ),
        variable=[{"key": "base_url", "value": "https://api.example.com"}],
    )


def test_a_session_s_rebuild_gives_what_a_cold_build_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Enough requests for worker processes: the session's rebuild takes its workers (the model
    generator loaded) and the stage memos in memory, writes the bytes a build in a new process
    writes, and the memos it writes at `flush` serve a build in a new process."""
    source = tmp_path / "api.json"
    out, cold = tmp_path / "out", tmp_path / "cold"
    source.write_text(json.dumps(_api("text", 60)), encoding="utf-8")
    read: list[str] = []
    real_read = zgen.buildcache.read_memo

    def reading(output: Path, package: str) -> dict[str, bytes]:
        read.append(package)
        return real_read(output, package)

    monkeypatch.setattr(zgen.buildcache, "read_memo", reading)
    with Session() as session:
        build([source], out, workers=2, session=session)
        assert read == ["test_api"]  # the first build reads the build cache
        memo = memo_path(out, "test_api")
        assert not memo.exists()  # written while the watch waits
        session.flush()
        written = memo.read_bytes()
        pool = session.pool(2)
        shutil.copytree(out, cold, ignore=shutil.ignore_patterns(".zgen-cache"))
        source.write_text(json.dumps(_api(12, 60)), encoding="utf-8")
        report = build([source], out, workers=2, session=session)
        assert read == ["test_api"]  # the rebuild takes them from memory
        assert session.pool(2) is pool  # the same processes
        assert report.model_groups_generated >= 1
        assert memo.read_bytes() == written
        processes = list(pool._processes.values())
        # a build that fails leaves the session's memos as they were
        source.write_text("{", encoding="utf-8")
        with pytest.raises(ZgenError):
            build([source], out, workers=2, session=session)
        source.write_text(json.dumps(_api(12, 60)), encoding="utf-8")
    assert memo.read_bytes() != written  # close wrote the rebuild's
    assert processes and not any(process.is_alive() for process in processes)  # closed: stopped
    build([source], cold, workers=2)
    assert output_files(out) == output_files(cold)
    # the memos the session wrote serve a build in a new process: the same bytes again
    shutil.copytree(out / ".zgen-cache", cold / ".zgen-cache", dirs_exist_ok=True)
    source.write_text(json.dumps(_api("other", 60)), encoding="utf-8")
    build([source], out, workers=2)
    build([source], cold, workers=2)
    assert output_files(out) == output_files(cold)


class Watch:
    """`zgen build --watch` in a child process, its output read as it comes."""

    def __init__(self, cwd: Path, *args: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO / "generator")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "zgen", "build", "--watch", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, count: int = 1) -> None:
        _until(lambda: sum(text in line for line in self.lines) >= count, timeout=60)

    def children(self) -> list[int]:
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                found.append(int(stat.parent.name))
        return found

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(30)
        self.reader.join(10)
        return code


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_the_command_builds_on_each_change_goes_on_after_an_error_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    source = tmp_path / "api.json"
    source.write_text(json.dumps(_api("text", 60)), encoding="utf-8")
    watch_run = Watch(tmp_path, "api.json", "-o", "out")
    try:
        watch_run.wait_for("watching 2 input(s)")
        assert any("60 requests" in line for line in watch_run.lines)
        assert watch_run.children(), "the build's worker processes are kept"
        cold = tmp_path / "cold"
        shutil.copytree(tmp_path / "out", cold, ignore=shutil.ignore_patterns(".zgen-cache"))

        source.write_text("{not json", encoding="utf-8")
        watch_run.wait_for("zgen: error: api.json")
        watch_run.wait_for("watching 2 input(s)", 2)  # and it goes on

        source.write_text(json.dumps(_api(12, 60)), encoding="utf-8")
        watch_run.wait_for("60 requests", 2)
        watch_run.wait_for("watching 2 input(s)", 3)
    finally:
        code = watch_run.stop()
    assert code == 0, watch_run.lines
    assert watch_run.lines[-1] == "zgen: stopped watching"
    assert not any("Traceback" in line for line in watch_run.lines), watch_run.lines
    assert watch_run.children() == []
    build([source], cold)
    assert output_files(tmp_path / "out") == output_files(cold)


def test_watch_and_check_cannot_be_combined(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "zgen", "build", "--watch", "--check", "api.json"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO / "generator")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr == "zgen: error: --watch and --check cannot be combined\n"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_ctrl_c_during_a_build_stops_it_and_its_workers_at_once(tmp_path: Path) -> None:
    """The workers ignore Ctrl-C (each would print a traceback); the build stops them itself."""
    source = tmp_path / "api.json"
    source.write_text(json.dumps(_api("text", 400)), encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "zgen", "build", "api.json", "-o", "out"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO / "generator")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    watcher = Watch.__new__(Watch)
    watcher.process = process
    _until(lambda: len(watcher.children()) >= 2 or process.poll() is not None, timeout=60)
    assert process.poll() is None, "the build ended before it could be interrupted"
    workers = watcher.children()
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C: every process of the group
    _, err = process.communicate(timeout=60)
    assert process.returncode != 0
    assert "Traceback" not in err, err
    assert not (tmp_path / "out").exists()  # nothing half-written
    _until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), timeout=10)


def test_killing_the_pool_stops_a_running_task_instead_of_waiting_for_it() -> None:
    pool = _WorkerPool(2)
    running = pool.submit(time.sleep, 120)
    _until(running.running)
    processes = list(pool._processes.values())
    pool.kill()
    with pytest.raises(BrokenProcessPool):
        running.result(timeout=60)
    assert not any(process.is_alive() for process in processes)


def test_a_session_replaces_workers_that_died(tmp_path: Path) -> None:
    source = tmp_path / "api.json"
    source.write_text(json.dumps(_api("text", 60)), encoding="utf-8")
    out, cold = tmp_path / "out", tmp_path / "cold"
    with Session() as session:
        build([source], out, workers=2, session=session)
        pool = session.pool(2)
        for process in list(pool._processes.values()):
            assert process.pid is not None
            os.kill(process.pid, signal.SIGKILL)  # (as the kernel's out-of-memory killer would)
        _until(lambda: bool(getattr(pool, "_broken", False)))
        shutil.copytree(out, cold, ignore=shutil.ignore_patterns(".zgen-cache"))
        source.write_text(json.dumps(_api(12, 60)), encoding="utf-8")
        build([source], out, workers=2, session=session)
        assert session.pool(2) is not pool
    build([source], cold, workers=2)
    assert output_files(out) == output_files(cold)

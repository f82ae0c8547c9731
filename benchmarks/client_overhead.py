"""Generated-client overhead: calls/s of a zgen client method vs raw httpx.

A small JSON server (``http.server.ThreadingHTTPServer``, HTTP/1.1 keep-alive)
runs in a child process bound to 127.0.0.1 on a free port and answers every
GET with the same fixed JSON body: the saved success example of the request
under test, so the generated method parses and validates a body it was
generated for.  The server stops by itself after ``--max-serve-s`` seconds.

Both sides use one keep-alive ``httpx.Client`` each and make the same number of
calls (bounded by count and by time), interleaved in rounds so drift in the
machine's speed hits both alike:

* raw:       ``http.get(url).json()``
* generated: ``client.<folder>.<method>(**required_kwargs)``

Run alone (needs zgen installed): ``python -m benchmarks.client_overhead``.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "OverheadResult",
    "find_client_method",
    "json_server",
    "measure_overhead",
    "pick_request",
]

ID_VALUE = "4150868000005350003"


# ---------------------------------------------------------------------------
# the server (runs in a child process: python -m benchmarks.client_overhead --serve)


def _serve(body_file: Path, max_serve_s: float) -> None:
    body = body_file.read_bytes()
    # One write per response (status line, headers and body together) and no
    # Nagle: separate small writes on a keep-alive connection meet the peer's
    # delayed ACK and cost ~40 ms a call.
    response = (
        b"HTTP/1.1 200 OK\r\n"
        b"Content-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n"
        b"Connection: keep-alive\r\n\r\n" + body
    )

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            self.wfile.write(response)

        do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()

    stop = threading.Event()

    def watch_stdin() -> None:  # the parent closes our stdin (or dies) when done
        sys.stdin.read()
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        stop.wait(timeout=max_serve_s)  # and we stop by ourselves at the deadline
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def json_server(body: bytes, scratch: Path, max_serve_s: float = 300.0) -> Iterator[str]:
    """Start the fixed-body JSON server in a child process; yield its base URL."""
    scratch.mkdir(parents=True, exist_ok=True)
    body_file = scratch / "overhead-body.json"
    body_file.write_bytes(body)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "benchmarks.client_overhead",
            "--serve",
            str(body_file),
            "--max-serve-s",
            str(max_serve_s),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().strip())
        yield f"http://127.0.0.1:{port}"
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------------------
# choosing the request and finding its generated method


def pick_request(collection: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """Return (folder path, item) of the first GET request inside a folder whose
    URL has an id path variable and whose first example is a 200 JSON body."""
    fallback: tuple[list[str], dict[str, Any]] | None = None

    def walk(
        items: list[dict[str, Any]], folders: list[str]
    ) -> tuple[list[str], dict[str, Any]] | None:
        nonlocal fallback
        for item in items:
            if "item" in item:
                found = walk(item["item"], [*folders, item["name"]])
                if found:
                    return found
                continue
            req = item.get("request", {})
            responses = item.get("response", [])
            if not folders or req.get("method") != "GET" or not responses:
                continue
            if responses[0].get("code") != 200:
                continue
            path = req.get("url", {}).get("path", [])
            if any(seg.startswith(":") for seg in path) and len(path) == 2:
                return folders, item
            if fallback is None:
                fallback = (folders, item)
        return None

    found = walk(collection["item"], [])
    if found:
        return found
    if fallback:
        return fallback
    raise ValueError("no GET request with a 200 example inside a folder")


def _snake(name: str) -> str:
    out: list[str] = []
    for ch in name:
        if ch.isalnum():
            out.append(ch.lower())
        elif out and out[-1] != "_":
            out.append("_")
    return "".join(out).strip("_")


def find_package(out_dir: Path) -> str:
    """Name of the generated package in ``out_dir`` (the one exporting Client)."""
    names = sorted(
        p.parent.name
        for p in out_dir.glob("*/__init__.py")
        if "Client" in p.read_text(encoding="utf-8", errors="replace")
    )
    if not names:
        raise FileNotFoundError(f"no generated package exporting Client under {out_dir}")
    return names[0]


def _fill_kwargs(func: Callable[..., Any], overrides: dict[str, Any]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for name, param in inspect.signature(func).parameters.items():
        if name in ("self", "args", "kwargs"):
            continue
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if name in overrides:
            kwargs[name] = overrides[name]
        elif param.default is inspect.Parameter.empty and param.kind != param.POSITIONAL_ONLY:
            kwargs[name] = ID_VALUE
    return kwargs


def make_client(module: Any, base_url: str, http: httpx.Client) -> Any:
    client_cls = module.Client
    kwargs = _fill_kwargs(
        client_cls, {"base_url": base_url, "http_client": http, "token": "bench-token"}
    )
    for name in ("base_url", "http_client"):
        kwargs.setdefault(name, base_url if name == "base_url" else http)
    return client_cls(**kwargs)


def find_client_method(client: Any, folders: list[str], request_name: str) -> Callable[..., Any]:
    """Resolve ``client.<folder>...<request>``; folder/method names are snake_cased
    (exact name first, then a case-insensitive match on the snake form)."""
    target: Any = client
    for folder in folders:
        target = _attr(target, folder)
    method = _attr(target, request_name)
    if not callable(method):
        raise AttributeError(f"{request_name!r} is not callable on {target!r}")
    return method  # type: ignore[no-any-return]


def _attr(obj: Any, name: str) -> Any:
    snake = _snake(name)
    if hasattr(obj, snake):
        return getattr(obj, snake)
    for attr in dir(obj):
        if not attr.startswith("_") and _snake(attr) == snake:
            return getattr(obj, attr)
    raise AttributeError(f"{type(obj).__name__} has no attribute for {name!r} (tried {snake!r})")


# ---------------------------------------------------------------------------
# measurement


@dataclass(frozen=True)
class OverheadResult:
    method: str  # e.g. client.contacts.get_contact
    calls: int  # per side
    raw_per_s: float
    generated_per_s: float
    raw_median_us: float
    generated_median_us: float

    @property
    def ratio(self) -> float:
        """generated calls/s over raw calls/s (1.0 = no overhead)."""
        return self.generated_per_s / self.raw_per_s if self.raw_per_s else 0.0


def _run_round(fn: Callable[[], Any], n: int, times: list[float]) -> float:
    start = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return time.perf_counter() - start


def measure_overhead(
    out_dir: Path,
    collection: dict[str, Any],
    scratch: Path,
    *,
    calls: int = 2000,
    max_seconds: float = 3.0,
    rounds: int = 5,
) -> OverheadResult:
    """Measure a generated method vs raw httpx against a loopback JSON server.

    ``out_dir`` holds the generated package built from ``collection``.  At most
    ``calls`` calls per side, and each side stops adding rounds once it has
    spent ``max_seconds``.
    """
    folders, item = pick_request(collection)
    body = item["response"][0]["body"].encode("utf-8")
    json.loads(body)  # must be JSON

    sys.path.insert(0, str(out_dir))
    package = find_package(out_dir)
    module = importlib.import_module(package)

    with json_server(body, scratch) as base_url:
        # the same headers as the generated client sends (bearer token, Accept)
        raw_http = httpx.Client(
            headers={"Authorization": "Bearer bench-token", "Accept": "application/json"}
        )
        gen_http = httpx.Client()
        try:
            client = make_client(module, base_url, gen_http)
            method = find_client_method(client, folders, item["name"])
            path_vars = {
                _snake(seg[1:]): ID_VALUE
                for seg in item["request"]["url"]["path"]
                if seg.startswith(":")
            }
            kwargs = _fill_kwargs(method, path_vars)
            raw_url = (
                base_url
                + "/"
                + "/".join(
                    ID_VALUE if seg.startswith((":", "{{")) else seg
                    for seg in item["request"]["url"]["path"]
                )
            )

            def raw() -> Any:
                return raw_http.get(raw_url).json()

            def generated() -> Any:
                return method(**kwargs)

            for _ in range(50):  # warm up both (connections, imports, validators)
                raw()
                generated()
            per_round = max(1, calls // rounds)
            raw_times: list[float] = []
            gen_times: list[float] = []
            raw_total = gen_total = 0.0
            for _ in range(rounds):
                if raw_total < max_seconds:
                    raw_total += _run_round(raw, per_round, raw_times)
                if gen_total < max_seconds:
                    gen_total += _run_round(generated, per_round, gen_times)
        finally:
            raw_http.close()
            gen_http.close()

    label = "client." + ".".join(_snake(f) for f in folders) + "." + _snake(item["name"])
    raw_times.sort()
    gen_times.sort()
    return OverheadResult(
        method=label,
        calls=min(len(raw_times), len(gen_times)),
        raw_per_s=len(raw_times) / raw_total,
        generated_per_s=len(gen_times) / gen_total,
        raw_median_us=raw_times[len(raw_times) // 2] * 1e6,
        generated_median_us=gen_times[len(gen_times) // 2] * 1e6,
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.client_overhead")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--max-serve-s", type=float, default=300.0, help=argparse.SUPPRESS)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.serve:
        _serve(args.serve, args.max_serve_s)
        return 0

    from benchmarks.__main__ import build_in_child, default_workdir
    from benchmarks.synth import make_collection, write_collection

    work: Path = args.workdir or default_workdir()
    coll_path = work / "collection-overhead.json"
    work.mkdir(parents=True, exist_ok=True)
    write_collection(str(coll_path), 40, seed=1)
    out = work / "out-overhead"
    build = build_in_child(coll_path, out, fresh=True)
    if not build.ok:
        print(f"zgen build failed: {build.error}")
        return 1
    res = measure_overhead(out, make_collection(40, seed=1), work, calls=args.calls)
    print(
        f"{res.method}: generated {res.generated_per_s:,.0f} calls/s "
        f"(median {res.generated_median_us:.0f} us), raw httpx {res.raw_per_s:,.0f} calls/s "
        f"(median {res.raw_median_us:.0f} us), ratio {res.ratio:.2f} ({res.calls} calls each)"
    )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main(sys.argv[1:]))

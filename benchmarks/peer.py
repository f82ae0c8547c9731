"""The peer pipeline: postman-to-openapi (npm) then openapi-python-client (PyPI).

Both tools are installed into a scratch folder (``$ZGEN_BENCH_PEER_DIR``, by
default ``/tmp/zgen-bench-peer``), never into the project's environment:

* ``npm install --prefix <dir>/npm postman-to-openapi@3.0.1``
* ``python -m venv <dir>/venv`` + ``pip install openapi-python-client==…``

If either cannot be installed (no node/npm, registry unreachable, ...),
``ensure_peer`` returns a reason string and the caller prints a skip message.

Run alone: ``python -m benchmarks.peer [N]`` converts and generates a client
for a synthetic collection of N requests (default 500) and prints the times.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

from benchmarks._proc import run_measured

__all__ = ["PeerResult", "PeerTools", "count_model_classes", "ensure_peer", "peer_dir", "run_peer"]

P2O_VERSION = "3.0.1"
OPC_VERSION = os.environ.get("ZGEN_BENCH_OPC_VERSION", "0.29.1")


def peer_dir() -> Path:
    return Path(os.environ.get("ZGEN_BENCH_PEER_DIR", "/tmp/zgen-bench-peer"))


@dataclass(frozen=True)
class PeerTools:
    node: str
    p2o_cli: Path  # postman-to-openapi's bin/cli.js
    opc: Path  # openapi-python-client console script
    venv_bin: Path  # put on PATH so the generator's ruff post-hooks are found
    p2o_version: str
    opc_version: str


@dataclass(frozen=True)
class PeerResult:
    convert_s: float  # postman-to-openapi: collection -> OpenAPI YAML
    generate_s: float  # openapi-python-client generate (incl. its ruff post-hooks)
    convert_rss_mb: float
    generate_rss_mb: float
    model_classes: int
    files_written: int
    spec_bytes: int
    warnings: int  # "WARNING"/"Unable to parse" lines from the generator
    ok: bool
    error: str = ""

    @property
    def total_s(self) -> float:
        return self.convert_s + self.generate_s

    @property
    def peak_rss_mb(self) -> float:
        return max(self.convert_rss_mb, self.generate_rss_mb)


def _run(cmd: list[str], log: list[str], timeout: float = 600.0) -> bool:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.append(f"{' '.join(cmd)}: {exc}")
        return False
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        log.append(f"{' '.join(cmd)} exited {proc.returncode}: " + " | ".join(tail))
        return False
    return True


def _installed_npm_version(pkg_json: Path) -> str | None:
    try:
        data = json.loads(pkg_json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    version = data.get("version")
    return version if isinstance(version, str) else None


def _opc_version(python: Path) -> str | None:
    try:
        proc = subprocess.run(
            [
                str(python),
                "-c",
                "import importlib.metadata as m; print(m.version('openapi-python-client'))",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else None


def ensure_peer(root: Path | None = None, *, quiet: bool = False) -> PeerTools | str:
    """Install (if needed) the peer tools under ``root``; return them or a skip reason."""
    root = root or peer_dir()
    log: list[str] = []

    def say(msg: str) -> None:
        if not quiet:
            print(f"  [peer] {msg}", flush=True)

    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        return "node/npm not found on PATH"
    root.mkdir(parents=True, exist_ok=True)

    npm_prefix = root / "npm"
    pkg_json = npm_prefix / "node_modules" / "postman-to-openapi" / "package.json"
    if _installed_npm_version(pkg_json) != P2O_VERSION:
        say(f"npm install postman-to-openapi@{P2O_VERSION} into {npm_prefix}")
        ok = _run(
            [
                npm,
                "install",
                "--prefix",
                str(npm_prefix),
                "--no-audit",
                "--no-fund",
                "--loglevel",
                "error",
                f"postman-to-openapi@{P2O_VERSION}",
            ],
            log,
        )
        if not ok or _installed_npm_version(pkg_json) != P2O_VERSION:
            return "could not install postman-to-openapi from npm: " + "; ".join(log)
    p2o_cli = pkg_json.parent / "bin" / "cli.js"

    venv_dir = root / "venv"
    bin_dir = venv_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    if not python.exists():
        say(f"creating venv {venv_dir}")
        try:
            venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
        except (OSError, subprocess.CalledProcessError) as exc:
            return f"could not create a venv for openapi-python-client: {exc}"
    opc_version = _opc_version(python)
    if opc_version != OPC_VERSION:
        say(f"pip install openapi-python-client=={OPC_VERSION} into {venv_dir}")
        ok = _run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                f"openapi-python-client=={OPC_VERSION}",
            ],
            log,
        )
        opc_version = _opc_version(python)
        if not ok or opc_version is None:
            return "could not install openapi-python-client from PyPI: " + "; ".join(log)
    opc = bin_dir / "openapi-python-client"
    if not opc.exists():
        return f"openapi-python-client console script missing at {opc}"
    return PeerTools(node, p2o_cli, opc, bin_dir, P2O_VERSION, opc_version)


_CLASS_RE = re.compile(r"^class\s+\w+", re.MULTILINE)


def count_model_classes(package_root: Path) -> int:
    """Count top-level ``class`` statements in the generated models/ modules."""
    total = 0
    for path in package_root.rglob("*.py"):
        if "models" in path.relative_to(package_root).parts:
            total += len(_CLASS_RE.findall(path.read_text(encoding="utf-8", errors="replace")))
    return total


def run_peer(tools: PeerTools, collection: Path, workdir: Path) -> PeerResult:
    """Convert ``collection`` to OpenAPI with p2o, then generate a client from it."""
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    spec = workdir / "openapi.yml"
    out = workdir / "client"

    conv = run_measured(
        [tools.node, str(tools.p2o_cli), str(collection), "-f", str(spec)], cwd=workdir
    )
    if conv.returncode != 0 or not spec.exists():
        msg = (conv.stderr or conv.stdout).strip().splitlines()[-3:]
        return PeerResult(
            conv.wall_s,
            0.0,
            conv.peak_rss_mb,
            0.0,
            0,
            0,
            0,
            0,
            False,
            "postman-to-openapi failed: " + " | ".join(msg),
        )

    env = dict(os.environ)
    env["PATH"] = f"{tools.venv_bin}{os.pathsep}{env.get('PATH', '')}"
    env.pop("VIRTUAL_ENV", None)
    gen = run_measured(
        [
            str(tools.opc),
            "generate",
            "--path",
            str(spec),
            "--output-path",
            str(out),
            "--overwrite",
            "--meta",
            "setup",
        ],
        cwd=workdir,
        env=env,
    )
    text = gen.stdout + gen.stderr
    warnings = sum(
        1 for line in text.splitlines() if "WARNING" in line or "Unable to parse" in line
    )
    if gen.returncode != 0 or not out.exists():
        msg = text.strip().splitlines()[-3:]
        return PeerResult(
            conv.wall_s,
            gen.wall_s,
            conv.peak_rss_mb,
            gen.peak_rss_mb,
            0,
            0,
            spec.stat().st_size,
            warnings,
            False,
            "openapi-python-client failed: " + " | ".join(msg),
        )
    files = sum(1 for p in out.rglob("*") if p.is_file())
    return PeerResult(
        conv.wall_s,
        gen.wall_s,
        conv.peak_rss_mb,
        gen.peak_rss_mb,
        count_model_classes(out),
        files,
        spec.stat().st_size,
        warnings,
        True,
    )


def main(argv: list[str]) -> int:
    from benchmarks.synth import write_collection

    n = int(argv[0]) if argv else 500
    tools = ensure_peer()
    if isinstance(tools, str):
        print(f"peer skipped: {tools}")
        return 0
    work = peer_dir() / f"run-{n}"
    work.mkdir(parents=True, exist_ok=True)
    coll = work.parent / f"collection-{n}.json"
    write_collection(str(coll), n)
    res = run_peer(tools, coll, work)
    print(
        f"postman-to-openapi {tools.p2o_version} + openapi-python-client {tools.opc_version}, N={n}"
    )
    print(
        f"  convert  {res.convert_s:7.2f} s  peak RSS {res.convert_rss_mb:6.0f} MB  spec {res.spec_bytes // 1024} KiB"
    )
    print(f"  generate {res.generate_s:7.2f} s  peak RSS {res.generate_rss_mb:6.0f} MB")
    print(
        f"  total    {res.total_s:7.2f} s  model classes {res.model_classes}  files {res.files_written}"
        f"  warnings {res.warnings}"
    )
    if not res.ok:
        print(f"  FAILED: {res.error}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

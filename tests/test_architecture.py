"""docs/architecture.md names every module of the zgen package, and the repository stands alone."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "generator" / "zgen"
ARCHITECTURE = REPO / "docs" / "architecture.md"


def test_every_module_has_a_line_in_the_architecture_doc() -> None:
    documented = set(re.findall(r"^\| `([\w.]+\.py)` \|", ARCHITECTURE.read_text("utf-8"), re.M))
    modules = {path.name for path in PACKAGE.glob("*.py")}
    assert modules - documented == set(), "add a line for each new module to docs/architecture.md"
    assert documented - modules == set(), "docs/architecture.md names modules that do not exist"


def test_python_m_zgen_lists_the_commands() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "zgen", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("build", "diff", "stats"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.M), result.stdout


def test_tests_import_the_working_tree() -> None:
    """Whatever is installed, the tests run generator/zgen as it is now (pytest's pythonpath)."""
    import zgen

    assert Path(zgen.__file__).resolve().parent == PACKAGE.resolve()


def test_no_tracked_file_refers_outside_the_repository() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True, check=False
    )
    if tracked.returncode != 0:  # not a git checkout (an unpacked sdist): check every file
        files = [p for p in REPO.rglob("*") if p.is_file() and ".git" not in p.parts]
    else:
        files = [REPO / name for name in tracked.stdout.split("\0") if name]
    needle = "../" + "shared"
    offenders = [
        str(path.relative_to(REPO))
        for path in files
        if path.is_file() and needle in path.read_text("utf-8", errors="replace")
    ]
    assert offenders == []


def test_the_runtime_errors_module_maps_statuses_as_naming_does() -> None:
    """errors.py is real source copied into every package; the generated tests name the error class
    of each saved status through naming.STATUS_ERRORS, so the two tables must agree."""
    from zgen.naming import STATUS_ERRORS
    from zgen.templates import errors

    table = {status: cls.__name__ for status, cls in errors._BY_STATUS.items()}
    assert table == STATUS_ERRORS

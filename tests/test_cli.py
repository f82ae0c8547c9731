"""The command line: [tool.zgen] configuration, --check, -q / -v, the summary, templates, progress."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import REPO, collection, request, response
from zgen.cli import _Progress, main, read_config
from zgen.diagnostics import ZgenError

SECRET = "live-secret-token-0000"


def ping(name: str = "Ping API") -> dict[str, Any]:
    return collection(
        {
            "name": "Health",
            "item": [
                request(
                    "Ping",
                    "{{host}}/ping",
                    responses=[response("ok", 200, {"ok": True, "at": "2024-01-02"})],
                )
            ],
        },
        name=name,
        variable=[{"key": "host", "value": "https://ping.example.test"}],
    )


def project(root: Path, toml: str, **collections: dict[str, Any]) -> Path:
    (root / "collections").mkdir(parents=True)
    for stem, data in collections.items():
        (root / "collections" / f"{stem}.json").write_text(json.dumps(data), encoding="utf-8")
    (root / "pyproject.toml").write_text(toml, encoding="utf-8")
    return root


def test_bare_build_reads_tool_zgen_with_environment_and_templates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(
        tmp_path / "proj",
        """
[tool.zgen]
output = "out"

[[tool.zgen.collections]]
path = "collections/ping.json"
package = "pinger"
environment = "envs/prod.json"
templates = "tpl"

[[tool.zgen.collections]]
path = "collections/other.json"
""",
        ping=ping(),
        other=ping("Other API"),
    )
    (root / "envs").mkdir()
    (root / "envs" / "prod.json").write_text(
        json.dumps(
            {
                "values": [
                    {
                        "key": "host",
                        "value": "https://prod.example.test",
                        "type": "default",
                        "enabled": True,
                    },
                    {"key": "token", "value": SECRET, "type": "secret"},
                ]
            }
        ),
        encoding="utf-8",
    )
    (root / "tpl").mkdir()
    (root / "tpl" / "conftest.py.jinja").write_text(
        (REPO / "docs" / "examples" / "templates" / "conftest.py.jinja").read_text(),
        encoding="utf-8",
    )
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["build"])
    assert result.exit_code == 0, result.output
    assert "zgen: 2 package(s)" in result.output
    pinger = root / "out" / "pinger"
    assert "https://prod.example.test" in (pinger / "client.py").read_text()
    assert (
        "def live_client() -> Iterator[Client]:" in (pinger / "tests" / "conftest.py").read_text()
    )
    other = root / "out" / "other_api"
    assert (
        "https://ping.example.test" in (other / "client.py").read_text()
    )  # no environment for this one
    assert "live_client" not in (other / "tests" / "conftest.py").read_text()
    # (every file, the build cache's binary ones too)
    secret = SECRET.encode()
    assert not [p for p in (root / "out").rglob("*") if p.is_file() and secret in p.read_bytes()]
    check = CliRunner().invoke(main, ["build", "--check"])
    assert check.exit_code == 0 and "up to date" in check.output


def test_command_line_options_win_over_the_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(
        tmp_path / "proj",
        '[tool.zgen]\noutput = "out"\n\n[[tool.zgen.collections]]\npath = "collections/ping.json"\npackage = "pinger"\n',
        ping=ping(),
    )
    env = tmp_path / "staging.json"
    env.write_text(
        json.dumps({"values": [{"key": "host", "value": "https://staging.example.test"}]}),
        encoding="utf-8",
    )
    monkeypatch.chdir(root)
    result = CliRunner().invoke(
        main, ["build", "-q", "collections/ping.json", "-o", "elsewhere", "--environment", str(env)]
    )
    assert result.exit_code == 0, result.output
    assert result.output == ""
    assert (
        "https://staging.example.test" in (root / "elsewhere" / "pinger" / "client.py").read_text()
    )
    assert not (root / "out").exists()


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[tool.zgen]\ncollections = 3\n", "must be a list"),
        ("[[tool.zgen.collections]]\npackage = 'x'\n", "needs a `path`"),
        (
            "[[tool.zgen.collections]]\npath = 'a.json'\npackage = 'not an identifier'\n",
            "Python identifier",
        ),
        (
            "[[tool.zgen.collections]]\npath = 'a.json'\nenvironment = 3\n",
            "`environment` must be a path",
        ),
        (
            "[[tool.zgen.collections]]\npath = 'a.json'\noverrides = 'x'\n",
            "`overrides` must be a table",
        ),
        ("[tool.zgen\n", "cannot read"),
    ],
)
def test_bad_configuration_is_one_line_and_exit_two(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str, message: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(ZgenError, match=message):
        read_config(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build"])
    assert result.exit_code == 2
    assert message.split("`")[0] in result.output and len(result.output.strip().splitlines()) == 1


def test_overrides_are_read_from_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[[tool.zgen.collections]]\npath = "a.json"\n[tool.zgen.collections.overrides.models]\nUsersGetUser = "User"\n',
        encoding="utf-8",
    )
    config = read_config(tmp_path)
    assert config is not None
    assert config.settings[(tmp_path / "a.json").resolve()].overrides == {
        "models": {"UsersGetUser": "User"}
    }


def test_no_collection_and_no_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build"])
    assert result.exit_code == 2 and "no collection given" in result.output


def test_summary_verbose_and_check(tmp_path: Path) -> None:
    source = tmp_path / "ping.json"
    source.write_text(json.dumps(ping()), encoding="utf-8")
    out = tmp_path / "out"
    runner = CliRunner()
    first = runner.invoke(main, ["build", str(source), "-o", str(out), "-v"])
    assert first.exit_code == 0, first.output
    timings = next(line for line in first.output.splitlines() if line.startswith("timings: "))
    for stage in (
        "load",
        "normalize",
        "infer",
        "paging",
        "names",
        "models",
        "render",
        "format",
        "write",
    ):
        assert f"{stage} " in timings
    assert f"wrote {out / 'ping_api' / 'client.py'}" in first.output
    assert (
        "zgen: ping_api from ping.json: 1 requests, 1 models, 1 saved responses, 1 tests"
        in first.output
    )
    assert "written, 0 unchanged, 0 removed in" in first.output
    second = runner.invoke(main, ["build", str(source), "-o", str(out), "-v"])
    assert "0 written" in second.output and "0 file(s) formatted" in second.output
    assert runner.invoke(main, ["build", "--check", str(source), "-o", str(out)]).exit_code == 0
    (out / "ping_api" / "client.py").write_text("# edited\n", encoding="utf-8")
    stale = runner.invoke(main, ["build", "--check", "-q", str(source), "-o", str(out)])
    assert stale.exit_code == 1
    assert "--- a/ping_api/client.py" in stale.output and "+++ b/ping_api/client.py" in stale.output
    assert f"stale: {out / 'ping_api' / 'client.py'}" in stale.output
    assert (out / "ping_api" / "client.py").read_text() == "# edited\n"


def test_no_progress_bar_when_not_a_terminal(tmp_path: Path) -> None:
    source = tmp_path / "ping.json"
    source.write_text(json.dumps(ping()), encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(source), "-o", str(tmp_path / "out")])
    assert "formatting" not in result.output


def test_progress_bar_on_a_terminal_for_big_builds(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = io.StringIO()
    monkeypatch.setattr("sys.stdout", screen)
    small = _Progress(enabled=True)
    small(0, 5)
    small(5, 5)
    small.close()
    assert screen.getvalue() == ""
    big = _Progress(enabled=True)
    for done in range(0, 121, 30):
        big(done, 120)
    big.close()
    assert "zgen: formatting" in screen.getvalue()
    silent = _Progress(enabled=False)
    silent(0, 500)
    silent.close()


def test_overrides_in_the_configuration_reach_naming_and_inference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(
        tmp_path / "proj",
        """
[tool.zgen]
output = "out"

[[tool.zgen.collections]]
path = "collections/ping.json"
package = "pinger"

[tool.zgen.collections.overrides.models]
HealthPingResponse = "PingResult"

[[tool.zgen.collections.overrides.fields]]
request = "Health / Ping"
path = "$.at"
type = "str"
""",
        ping=ping(),
    )
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["build", "-q"])
    assert result.exit_code == 0, result.output
    models = (root / "out" / "pinger" / "models.py").read_text()
    assert "class PingResult(ApiModel):" in models
    assert "at: str" in models and "datetime" not in models


def test_a_bad_override_is_one_line_naming_pyproject(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(
        tmp_path / "proj",
        '[[tool.zgen.collections]]\npath = "collections/ping.json"\n[tool.zgen.collections.overrides.models]\nHealthPingResponse = "not a class"\n',
        ping=ping(),
    )
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["build", "-q", "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert (
        "pyproject.toml" in result.output and "overrides.models.HealthPingResponse" in result.output
    )
    assert not (tmp_path / "out").exists()


def _command(tmp_path: Path, *args: str, before: str = "") -> subprocess.CompletedProcess[str]:
    """`zgen ARGS` as the installed command runs it (zgen.cli.run), after the Python `before`."""
    code = (
        f"import sys\n{before}\nfrom zgen.cli import run\nsys.argv = ['zgen', *sys.argv[1:]]\nrun()"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_command_ends_without_teardown_with_the_status_and_output_of_main(
    tmp_path: Path,
) -> None:
    """The `zgen` command ends the process once its output is flushed: no interpreter teardown
    (an atexit handler never runs), the exit status and the output those of `main`."""
    teardown = "import atexit; atexit.register(print, 'TEARDOWN')"
    shown = _command(tmp_path, "--version", before=teardown)
    assert shown.returncode == 0 and "zgen, version" in shown.stdout
    assert "TEARDOWN" not in shown.stdout
    source = tmp_path / "api.json"
    source.write_text(
        json.dumps(collection(request("Get thing", "https://api.example.com/thing"))),
        encoding="utf-8",
    )
    built = _command(tmp_path, "build", str(source), "-o", "out", before=teardown)
    assert built.returncode == 0, built.stderr
    assert "written, 0 unchanged, 0 removed in" in built.stdout  # (block-buffered: flushed)
    assert "TEARDOWN" not in built.stdout and (tmp_path / "out").is_dir()
    stale = _command(tmp_path, "build", "--check", "missing.json", "-o", "out")
    assert stale.returncode == 2
    assert stale.stderr.startswith("zgen: error: ") and len(stale.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("status", "code", "printed"), [(None, 0, ""), (3, 3, ""), ("stopped", 1, "stopped\n")]
)
def test_hard_exit_ends_as_sys_exit_would(
    tmp_path: Path, status: object, code: int, printed: str
) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; print('out', end=''); from zgen.cli import hard_exit; hard_exit({status!r})",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stdout, result.stderr) == (code, "out", printed)

"""Edges of the command line: bad output and template folders, unknown schema versions, odd saved
responses, repeated query keys, grouped warnings, and generated code that does not compile."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from conftest import V21, collection, import_generated, request, response
from zgen import pipeline
from zgen.cli import main
from zgen.diagnostics import Diagnostics, InternalError, Warning, warning_lines
from zgen.render import RenderedPackage

URL = "https://api.example.test"


def write(folder: Path, data: dict[str, Any], name: str = "api.json") -> Path:
    source = folder / name
    source.write_text(json.dumps(data), encoding="utf-8")
    return source


def ping() -> dict[str, Any]:
    return collection(
        request("Ping", f"{URL}/ping", responses=[response("ok", 200, {"ok": True})]),
        name="Ping",
    )


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, ["build", *args])


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_output_naming_a_file_is_one_line_and_exit_two(tmp_path: Path) -> None:
    source = write(tmp_path, ping())
    target = tmp_path / "taken.txt"
    target.write_text("mine\n", encoding="utf-8")
    result = invoke(str(source), "-o", str(target))
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"zgen: error: {target}: is a file, not an output folder: name a folder with -o"
    ]
    assert target.read_text(encoding="utf-8") == "mine\n"


@pytest.mark.parametrize("configured", [False, True])
def test_a_missing_templates_folder_is_one_line_and_exit_two(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, configured: bool
) -> None:
    source = write(tmp_path, ping())
    missing = tmp_path / "no-such-templates"
    monkeypatch.chdir(tmp_path)
    if configured:
        (tmp_path / "pyproject.toml").write_text(
            '[tool.zgen]\ntemplates = "no-such-templates"\n', encoding="utf-8"
        )
        result = invoke(str(source), "-o", "out")
    else:
        result = invoke(str(source), "-o", "out", "--templates", str(missing))
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"zgen: error: {missing}: no such templates folder"
    ]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "schema",
    [
        "https://schema.getpostman.com/json/collection/v3.0.0/collection.json",
        "https://example.test/my-own-schema.json",
    ],
)
def test_an_unknown_schema_version_is_a_warning_then_best_effort(
    tmp_path: Path, schema: str
) -> None:
    data = ping()
    data["info"]["schema"] = schema
    result = invoke(str(write(tmp_path, data)), "-o", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert f"warning: api.json: /info/schema: unknown schema version {schema!r}" in result.output
    assert (tmp_path / "out" / "ping" / "client.py").is_file()


def test_known_schema_versions_are_not_warned_about(tmp_path: Path) -> None:
    for version in ("v2.0.0", "v2.1.0"):
        data = ping()
        data["info"]["schema"] = V21.replace("v2.1.0", version)
        result = invoke(str(write(tmp_path, data)), "-o", str(tmp_path / "out"))
        assert result.exit_code == 0 and "warning:" not in result.output, result.output


def test_a_response_object_instead_of_a_list_is_a_warning_with_its_place(tmp_path: Path) -> None:
    item = request("Get thing", f"{URL}/thing")
    item["response"] = response("Found", 200, {"id": 1})
    odd = request("Get other", f"{URL}/other")
    odd["response"] = "not a response"
    data = collection({"name": "Things", "item": [item, odd]}, name="Things")
    output = tmp_path / "out"
    result = invoke(str(write(tmp_path, data)), "-o", str(output))
    assert result.exit_code == 0, result.output
    assert (
        "warning: api.json: Things / Get thing / response: `response` is an object, not a list of "
        "saved responses; read as one saved response"
    ) in result.output
    assert (
        "warning: api.json: Things / Get other / response: `response` is a string" in result.output
    )
    # Best effort: the object is read as the one saved response it is.
    assert (output / "things" / "fixtures" / "things__get_thing__found.json").is_file()


def test_repeated_query_keys_are_one_list_sent_as_repeated_keys(tmp_path: Path) -> None:
    data = collection(
        request(
            "Search",
            {
                "raw": f"{URL}/search?tag=a&tag=b&q=x&off=1",
                "host": ["api", "example", "test"],
                "protocol": "https",
                "path": ["search"],
                "query": [
                    {"key": "tag", "value": "a"},
                    {"key": "tag", "value": "b"},
                    {"key": "q", "value": "x"},
                    {"key": "off", "value": "1"},
                    {"key": "off", "value": "2", "disabled": True},
                ],
            },
            responses=[response("ok", 200, {"ok": True})],
        ),
        name="Search",
    )
    output = tmp_path / "out"
    assert invoke(str(write(tmp_path, data)), "-o", str(output)).exit_code == 0
    source = (output / "search" / "client.py").read_text(encoding="utf-8")
    assert source.count("tag: list[str] | None = None") == 2  # sync and async
    assert "q: str | None = 'x'" in source.replace('"', "'")
    assert "off: str | None = '1'" in source.replace('"', "'")
    code = (
        "import httpx, search\n"
        "seen = []\n"
        "def answer(request):\n"
        "    seen.append(str(request.url))\n"
        "    return httpx.Response(200, json={'ok': True})\n"
        "client = search.Client(http_client=httpx.Client(transport=httpx.MockTransport(answer)))\n"
        "client.search(tag=['a', 'b'])\n"
        "client.search()\n"
        "print(seen)\n"
    )
    result = import_generated(output, "search", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(
        [f"{URL}/search?tag=a&tag=b&q=x&off=1", f"{URL}/search?q=x&off=1"]
    )
    assert httpx.URL(f"{URL}/search?tag=a&tag=b").params.get_list("tag") == ["a", "b"]


@pytest.mark.parametrize("in_workers", [False, True])
def test_generated_code_that_does_not_compile_is_never_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_workers: bool
) -> None:
    """The compile check runs here, or in the worker processes (beside the format stage)."""
    if in_workers:
        monkeypatch.setattr(pipeline, "POOL_MIN_REQUESTS", 1)
    data = collection(
        {
            "name": "Users",
            "item": [
                request("List users", f"{URL}/users", responses=[response("ok", 200, [])]),
                request("Get user", f"{URL}/users/:id", responses=[response("ok", 200, {})]),
            ],
        },
        name="Users",
    )
    source = write(tmp_path, data)
    output = tmp_path / "out"
    assert invoke(str(source), "-o", str(output)).exit_code == 0
    before = snapshot(output)
    real_render = pipeline.render  # type: ignore[attr-defined]

    def broken(*args: Any, **kwargs: Any) -> RenderedPackage:
        package = real_render(*args, **kwargs)
        path = f"{package.package}/client.py"
        text = package.files[path]
        assert "    def get_user(self, *, id: str" in text
        package.files[path] = text.replace(
            "    def get_user(self, *, id: str", "    def get_user(self, *, id: str, id: str", 1
        )
        return package

    monkeypatch.setattr(pipeline, "render", broken)
    data["item"][0]["item"].append(request("Delete user", f"{URL}/users/:id", method="DELETE"))
    write(tmp_path, data)
    result = invoke(str(source), "-o", str(output), "-j", "2" if in_workers else "1")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("zgen: internal error: api.json: generated code does not compile: ")
    assert "request 'Users / Get user'" in lines[0] and "users/client.py line " in lines[0]
    assert "duplicate argument 'id'" in lines[0]
    assert snapshot(output) == before


def test_check_compiles_names_the_file_when_no_request_is_known(tmp_path: Path) -> None:
    analysis = pipeline.analyze(write(tmp_path, ping()), Diagnostics())
    with pytest.raises(InternalError) as caught:
        pipeline.check_compiles(analysis, {"ping/extra.py": "x = (\n", "ping/data.json": "{"})
    assert "generated code does not compile: ping/extra.py line 1" in caught.value.line()
    assert "request" not in caught.value.line()
    pipeline.check_compiles(analysis, {"ping/ok.py": "x = 1\n", "ping/data.json": "{"})


def null_fields_collection() -> dict[str, Any]:
    def get(name: str) -> dict[str, Any]:
        body = {"id": 1, "a": None, "b": None, "c": {"d": None}}
        return request(name, f"{URL}/{name}", responses=[response("ok", 200, body)])

    return collection(
        {"name": "Alpha", "item": [get("one"), get("two"), {"name": "Deep", "item": [get("x")]}]},
        {"name": "Beta", "item": [get("three")]},
        request(
            "Top",
            f"{URL}/top",
            method="POST",
            body={"mode": "raw", "raw": "{bad", "options": {"raw": {"language": "json"}}},
        ),
        name="Nulls",
    )


def test_warnings_are_grouped_by_kind_and_folder_and_listed_with_v(tmp_path: Path) -> None:
    source = write(tmp_path, null_fields_collection())
    grouped = invoke(str(source), "-o", str(tmp_path / "out"))
    assert grouped.exit_code == 0, grouped.output
    warnings = [line for line in grouped.output.splitlines() if line.startswith("warning:")]
    assert warnings == [
        next(line for line in warnings if "Top: request body claims JSON" in line),
        "warning: api.json: Alpha: 9 fields seen only as null in 3 requests: typed Any; -v lists them",
        "warning: api.json: Beta: 3 fields seen only as null in 1 request: typed Any; -v lists them",
    ]
    verbose = invoke(str(source), "-o", str(tmp_path / "out"), "-v")
    listed = [line for line in verbose.output.splitlines() if line.startswith("warning:")]
    assert len(listed) == 13
    assert "warning: api.json: Alpha / Deep / x response `$.c.d`: field seen only as null" in (
        "\n".join(listed)
    )
    assert "-v lists them" not in verbose.output
    quiet = invoke(str(source), "-o", str(tmp_path / "out"), "-q")
    assert "warning:" not in quiet.output


def test_a_kind_seen_once_keeps_its_own_line() -> None:
    one = Warning(
        "a.json", "F / R response `$.x`", "field seen only as null; typed as Any", "F / R", "F"
    )
    other = Warning("a.json", "F / S", "some other thing", "F / S", "F")
    same_elsewhere = Warning("b.json", "F / R", "some other thing", "F / R", "F")
    assert warning_lines([one, other, same_elsewhere]) == [
        one.line(),
        other.line(),
        same_elsewhere.line(),
    ]
    assert warning_lines([other, other]) == [
        "warning: a.json: F: some other thing (2 places in 1 request); -v lists them"
    ]

"""Bad input: one clear line naming the file (and the place), exit code 2, output folder untouched."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from click.testing import CliRunner
from conftest import V21, collection, request, response
from zgen.cli import main
from zgen.diagnostics import Diagnostics
from zgen.load import MAX_FOLDER_DEPTH, LoadedCollection
from zgen.normalize import normalize

GOOD = collection(
    request(
        "List users",
        "https://api.example.test/users",
        responses=[response("ok", 200, {"users": [{"id": 1}]})],
    ),
    name="Good API",
)


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file (bytes) and folder (None) under folder, by relative path."""
    return {
        path.relative_to(folder).as_posix(): (path.read_bytes() if path.is_file() else None)
        for path in sorted(folder.rglob("*"))
    }


@pytest.fixture(scope="module")
def good_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a good build, built once and copied by each test."""
    root = tmp_path_factory.mktemp("good")
    source = root / "good.json"
    source.write_text(json.dumps(GOOD), encoding="utf-8")
    result = CliRunner().invoke(
        main, ["build", str(source), "-o", str(root / "out"), "-q"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return root / "out"


Writer = Callable[[Path], Path]


def run_bad(tmp_path: Path, good_output: Path, make: Writer) -> tuple[str, Path]:
    """Build the bad input into a copy of a good output folder; return the one error line."""
    out = tmp_path / "out"
    shutil.copytree(good_output, out)
    before = snapshot(out)
    assert any(name.endswith("client.py") for name in before)
    source = make(tmp_path)
    result = CliRunner().invoke(
        main, ["build", str(source), "-o", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("zgen: error: ")
    assert source.name in lines[0]
    assert snapshot(out) == before
    return lines[0], source


def write_bytes(name: str, data: bytes) -> Writer:
    def make(tmp_path: Path) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return make


def write_json(name: str, data: object) -> Writer:
    return write_bytes(name, json.dumps(data).encode("utf-8"))


def test_empty_file(tmp_path: Path, good_output: Path) -> None:
    line, _ = run_bad(tmp_path, good_output, write_bytes("empty.json", b""))
    assert "empty" in line


def test_whitespace_only_file(tmp_path: Path, good_output: Path) -> None:
    line, _ = run_bad(tmp_path, good_output, write_bytes("blank.json", b"  \n\t\n"))
    assert "empty" in line


def test_not_utf8(tmp_path: Path, good_output: Path) -> None:
    data = b'{"info": {"name": "caf\xe9"}, "item": []}'
    line, _ = run_bad(tmp_path, good_output, write_bytes("latin1.json", data))
    assert "not UTF-8" in line
    assert f"byte {data.index(0xE9)}" in line


def test_json_syntax_error_has_line_and_column(tmp_path: Path, good_output: Path) -> None:
    line, _ = run_bad(
        tmp_path, good_output, write_bytes("syntax.json", b'{\n  "info": {},\n  "item": [,]\n}\n')
    )
    assert "invalid JSON" in line
    assert "line 3 column 12" in line


def test_truncated_json(tmp_path: Path, good_output: Path) -> None:
    line, _ = run_bad(
        tmp_path, good_output, write_bytes("cut.json", json.dumps(GOOD)[:40].encode())
    )
    assert "invalid JSON" in line
    assert "line 1 column" in line


def test_json_array(tmp_path: Path, good_output: Path) -> None:
    line, _ = run_bad(tmp_path, good_output, write_json("array.json", [GOOD]))
    assert "found an array" in line


@pytest.mark.parametrize("value", [3, "text", None, True])
def test_json_scalar(tmp_path: Path, good_output: Path, value: object) -> None:
    line, _ = run_bad(tmp_path, good_output, write_json("scalar.json", value))
    assert "expected a Postman collection (a JSON object)" in line


def test_object_without_item(tmp_path: Path, good_output: Path) -> None:
    line, _ = run_bad(tmp_path, good_output, write_json("noitem.json", {"info": {"name": "x"}}))
    assert "no `item`" in line


def test_item_not_a_list(tmp_path: Path, good_output: Path) -> None:
    line, _ = run_bad(
        tmp_path, good_output, write_json("itemobj.json", {"info": {"name": "x"}, "item": {"a": 1}})
    )
    assert "/item" in line


def test_v1_collection(tmp_path: Path, good_output: Path) -> None:
    v1 = {
        "id": "5f0c4a4e",
        "name": "Old API",
        "order": ["r1"],
        "requests": [{"id": "r1", "name": "Get", "method": "GET", "url": "https://x.test/"}],
    }
    line, _ = run_bad(tmp_path, good_output, write_json("v1.json", v1))
    assert "v1 collection" in line
    assert "v2.1" in line
    assert "postman-collection-transformer convert" in line


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"openapi": "3.0.3", "info": {"title": "x"}, "paths": {}}, "OpenAPI document"),
        ({"swagger": "2.0", "info": {"title": "x"}, "paths": {}}, "Import > OpenAPI"),
        (
            {
                "name": "prod",
                "values": [{"key": "a", "value": "1"}],
                "_postman_variable_scope": "environment",
            },
            "--environment",
        ),
        ({"version": 1, "collections": [], "environments": []}, "data dump"),
        ({"name": "x"}, "no `item` list"),
    ],
)
def test_what_a_file_that_is_no_collection_is_and_what_to_do(
    tmp_path: Path, good_output: Path, data: dict[str, object], says: str
) -> None:
    """The usual wrong files (an OpenAPI document, an environment, a data dump) are named as such,
    with what to do instead."""
    line, _ = run_bad(tmp_path, good_output, write_json("wrong.json", data))
    assert "not a Postman collection" in line and says in line


def test_the_postman_apis_answer_builds_as_its_collection(tmp_path: Path) -> None:
    """GET /collections/{uid} of the Postman API answers {"collection": {...}}: saved as it is, it
    builds as the collection (the same package as the collection alone)."""
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"collection": GOOD}), encoding="utf-8")
    plain = tmp_path / "plain" / "wrapped.json"
    plain.parent.mkdir()
    plain.write_text(json.dumps(GOOD), encoding="utf-8")
    for source, out in ((wrapped, "a"), (plain, "b")):
        result = CliRunner().invoke(main, ["build", str(source), "-o", str(tmp_path / out), "-q"])
        assert result.exit_code == 0, result.output
    built = [
        {rel: data for rel, data in snapshot(tmp_path / out).items() if ".zgen-cache" not in rel}
        for out in ("a", "b")
    ]
    assert built[0] == built[1] and any(rel.endswith("client.py") for rel in built[0])


def test_v1_schema_url(tmp_path: Path, good_output: Path) -> None:
    data = {
        "info": {
            "name": "x",
            "schema": "https://schema.getpostman.com/json/collection/v1.0.0/collection.json",
        },
        "item": [],
    }
    line, _ = run_bad(tmp_path, good_output, write_json("v1schema.json", data))
    assert "v1 collection" in line


@pytest.mark.parametrize("bad", [5, ["GET", "https://x.test"], True])
def test_request_of_wrong_type(tmp_path: Path, good_output: Path, bad: object) -> None:
    data = collection({"name": "folder", "item": [{"name": "r", "request": bad}]})
    line, _ = run_bad(tmp_path, good_output, write_json("request.json", data))
    assert "/item/0/item/0/request:" in line
    assert "expected a request object" in line


@pytest.mark.parametrize("bad", [5, ["https://x.test"], 1.5])
def test_url_of_wrong_type(tmp_path: Path, good_output: Path, bad: object) -> None:
    data = collection({"name": "r", "request": {"method": "GET", "url": bad}})
    line, _ = run_bad(tmp_path, good_output, write_json("url.json", data))
    assert "/item/0/request/url:" in line
    assert "expected a URL" in line


def test_item_of_wrong_type(tmp_path: Path, good_output: Path) -> None:
    line, _ = run_bad(
        tmp_path,
        good_output,
        write_json("itemtype.json", collection(cast(dict[str, Any], "just a string"))),
    )
    assert "/item/0:" in line


def test_deep_json_does_not_recurse_to_death(tmp_path: Path, good_output: Path) -> None:
    depth = 200_000
    data = b'{"info": {"name": "x"}, "item": [], "x": ' + b"[" * depth + b"]" * depth + b"}"
    line, _ = run_bad(tmp_path, good_output, write_bytes("deep.json", data))
    assert "nesting is too deep" in line


def test_deep_json_objects(tmp_path: Path, good_output: Path) -> None:
    depth = 100_000
    data = b'{"a":' * depth + b"1" + b"}" * depth
    line, _ = run_bad(tmp_path, good_output, write_bytes("deepobj.json", data))
    assert "nesting is too deep" in line


@pytest.mark.parametrize("depth", [MAX_FOLDER_DEPTH + 1, 300, 5000])
def test_deep_folders(tmp_path: Path, good_output: Path, depth: int) -> None:
    folders = (
        '{"name": "f", "item": [' * depth
        + '{"name": "r", "request": "https://x.test/"}'
        + "]}" * depth
    )
    data = ('{"info": {"name": "x"}, "item": [' + folders + "]}").encode()
    line, _ = run_bad(tmp_path, good_output, write_bytes("folders.json", data))
    assert "too deep" in line or f"nested more than {MAX_FOLDER_DEPTH} deep" in line
    assert len(line) < 300


def test_missing_file(tmp_path: Path, good_output: Path) -> None:
    line, source = run_bad(tmp_path, good_output, lambda tmp: tmp / "missing.json")
    assert "no such file" in line
    assert not source.exists()


def test_directory(tmp_path: Path, good_output: Path) -> None:
    def make(tmp: Path) -> Path:
        folder = tmp / "folder.json"
        folder.mkdir()
        return folder

    line, _ = run_bad(tmp_path, good_output, make)
    assert "is a directory" in line


def test_over_max_bytes(tmp_path: Path, good_output: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(good_output, out)
    before = snapshot(out)
    source = tmp_path / "big.json"
    source.write_text(json.dumps(GOOD), encoding="utf-8")
    result = CliRunner().invoke(
        main, ["build", str(source), "-o", str(out), "--max-bytes", "100"], catch_exceptions=False
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "zgen: error: big.json: file is over the limit of 100 bytes (raise --max-bytes)"
    ]
    assert snapshot(out) == before


def test_bad_second_collection_writes_nothing(tmp_path: Path, good_output: Path) -> None:
    """With several collections, one bad file stops the build before anything is written."""
    out = tmp_path / "out"
    shutil.copytree(good_output, out)
    before = snapshot(out)
    good = tmp_path / "other.json"
    good.write_text(
        json.dumps(collection(request("Ping", "https://x.test/ping"), name="Other API")),
        encoding="utf-8",
    )
    bad = tmp_path / "bad.json"
    bad.write_text("[]", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["build", str(good), str(bad), "-o", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert "bad.json" in result.stderr
    assert snapshot(out) == before


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    source = tmp_path / "bom.json"
    source.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD).encode("utf-8"))
    result = CliRunner().invoke(
        main, ["build", str(source), "-o", str(tmp_path / "out")], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "good_api" / "client.py").is_file()


def test_error_is_one_line_from_the_real_script(tmp_path: Path, good_output: Path) -> None:
    """The installed `zgen` script, in a fresh process: one line on stderr, exit 2, no traceback."""
    out = tmp_path / "out"
    shutil.copytree(good_output, out)
    before = snapshot(out)
    source = tmp_path / "broken.json"
    source.write_bytes(b'{"item": [}')
    script = Path(sys.executable).with_name("zgen")
    result = subprocess.run(
        [str(script), "build", str(source), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "zgen: error: broken.json: line 1 column 11: invalid JSON: Expecting value"
    ]
    assert snapshot(out) == before


def test_input_kinds_are_named_as_json_names_them(tmp_path: Path, good_output: Path) -> None:
    """Messages say `null`, `a string`, `an array`... (what the file holds), not Python's types."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    line, _ = run_bad(tmp_path / "a", good_output, write_json("null.json", {**GOOD, "item": None}))
    assert "expected a list of items, found null" in line
    line, _ = run_bad(tmp_path / "b", good_output, write_json("text.json", "text"))
    assert "found a string" in line and "str" not in line.replace("string", "")


def test_a_saved_response_that_is_not_an_object_is_warned_about() -> None:
    data = {
        "info": {"name": "W", "schema": V21},
        "item": [{"name": "R", "request": {"url": "https://x.test/a"}, "response": ["oops", 3]}],
    }
    diagnostics = Diagnostics()
    normalize(LoadedCollection("w.json", "w", data, "v2.1"), diagnostics)
    lines = [w.line() for w in diagnostics.warnings]
    assert any("response 1" in line and "is a string, not an object" in line for line in lines)
    assert any("response 2" in line and "is a number, not an object" in line for line in lines)

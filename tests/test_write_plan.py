"""The write stage's fast paths: write.plan compares each file with the disk by its bytes first
(what it finds unchanged, changed or missing is what comparing the text as read_text reads it
finds), and the manifest's JSON is what json.dumps(indent=2) writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zgen.write import (
    MANIFEST,
    indented_json,
    is_safe,
    manifest_text,
    plan,
    read_bytes,
    read_text,
    safe_relative,
)


def test_read_bytes_gives_the_file_or_none(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"caf\xc3\xa9\r\nx")
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "folder").mkdir()
    assert read_bytes(tmp_path / "a.txt") == b"caf\xc3\xa9\r\nx"
    assert read_bytes(tmp_path / "empty") == b""
    assert read_bytes(tmp_path / "folder") is None
    assert read_bytes(tmp_path / "missing") is None


def test_the_bytes_fast_path_finds_what_comparing_text_finds(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / MANIFEST).write_text("{}\n")
    files = {
        "same.py": "x = 1\n",
        "crlf.py": "y = 2\nz = 3\n",  # on disk with CRLF: the same text for read_text
        "changed.py": "a = 1\n",
        "invalid.json": '"caf\u00e9"\n',  # on disk not UTF-8
        "new.md": "# new\n",
        "surrogate.json": '"\ud800"\n',  # no UTF-8 bytes: compared as text
    }
    (package / "same.py").write_bytes(b"x = 1\n")
    (package / "crlf.py").write_bytes(b"y = 2\r\nz = 3\r\n")
    (package / "changed.py").write_bytes(b"a = 2\n")
    (package / "invalid.json").write_bytes(b'"caf\xe9"\n')
    (package / "surrogate.json").write_bytes(b"other\n")
    wanted = {f"pkg/{rel}": text for rel, text in files.items()}
    result = plan(tmp_path, {"pkg": wanted}, diff=True)
    unchanged = {path.name for path in result.unchanged}
    written = {path.name for path in result.write}
    for rel, text in files.items():
        slow = read_text(package / rel) == text
        assert (rel in unchanged) == slow and (rel in written) != slow, rel
    assert unchanged == {"same.py", "crlf.py"}
    encoded = result.encoded["pkg"]
    assert all(encoded[rel] == files[rel].encode() for rel in files if rel != "surrogate.json")
    assert "surrogate.json" not in encoded
    assert len(result.diffs) == len(written)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities among them: left to json.dumps
    | st.text(),
    lambda inner: st.lists(inner)
    | st.tuples(inner, inner)
    | st.dictionaries(st.text(), inner)
    | st.dictionaries(st.integers() | st.none(), inner, max_size=2),  # keys json turns to text
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_indented_json_is_what_json_dumps_writes(value: Any) -> None:
    assert indented_json(value) == json.dumps(value, indent=2)


def test_a_manifest_is_what_json_dumps_writes() -> None:
    records = {"a.py": ("k1", "k2", "p:1 q:2"), "b/c.py": ("k3", "k4", "")}
    text = manifest_text(["b/c.py", "a.py"], dict(records), None, {"groups": {"x": {"A": ["s"]}}})
    data = json.loads(text)
    assert text == json.dumps(data, indent=2) + "\n"
    assert data["files"] == ["a.py", "b/c.py"] and data["formatted"]["a.py"] == list(
        records["a.py"]
    )


@pytest.mark.parametrize(
    "path",
    ["a/b.py", "x", "ü/x.py", "", "/abs", "a/../b", "./a", "a//b", "a\\b", "..", "a/.", "a/"],
)
def test_a_path_is_safe_as_safe_relative_says_and_joins_as_it_does(path: str) -> None:
    try:
        rel = safe_relative(path)
    except RuntimeError:
        assert not is_safe(path)
        return
    assert is_safe(path)
    assert Path("/out") / path == Path("/out") / rel

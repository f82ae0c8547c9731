"""Stage memos (zgen.memo, buildcache.read_memo): a rebuild takes the answers of pure functions
that the last build of the package computed, computes only the new questions, and gives the bytes
of a fresh build; a memo that is damaged or from another zgen is not used."""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import marshal
from pathlib import Path
from typing import Any

import pytest
import zgen.infer
import zgen.modelgen
import zgen.normalize
import zgen.render
from conftest import collection, output_files, request, response
from hypothesis import given, settings
from hypothesis import strategies as st
from zgen.buildcache import MEMO_TAG, memo_path, read_memo, write_memo
from zgen.memo import Memo, value_digest
from zgen.pipeline import build


def test_a_memo_computes_each_new_question_once_and_keeps_only_this_builds() -> None:
    calls: list[str] = []

    def upper(text: str) -> str:
        calls.append(text)
        return text.upper()

    memo: Memo[str, str] = Memo()
    memo.start(None)
    answers = [memo.get(t, functools.partial(upper, t)) for t in ("a", "b", "a")]
    assert answers == ["A", "B", "A"]
    assert calls == ["a", "b"]
    kept = memo.kept()
    memo.start(kept)  # the next build
    assert memo.get("b", lambda: upper("b")) == "B" and calls == ["a", "b"]  # from the last build
    assert memo.get("c", lambda: upper("c")) == "C" and calls == ["a", "b", "c"]
    assert marshal.loads(memo.kept()) == {"b": "B", "c": "C"}  # "a" was not asked again
    for damaged in (b"", b"\x00garbage", kept[:-3], marshal.dumps([1, 2])):
        memo.start(damaged)
        assert memo.last == {}


def test_a_memo_asked_the_last_builds_questions_keeps_the_bytes_it_read() -> None:
    memo: Memo[str, str] = Memo()
    memo.start(None)
    for text in ("a", "b"):
        memo.get(text, text.upper)
    kept = memo.kept()
    memo.start(kept)
    for text in ("b", "a", "b"):
        memo.get(text, lambda: "never computed")
    assert memo.kept() is kept  # the same questions: the bytes read, not marshalled again
    # Any other questions: the bytes of this build's answers.
    for asked, wanted in [(("a",), {"a": "A"}), (("a", "b", "c"), {"a": "A", "b": "B", "c": "C"})]:
        memo.start(kept)
        for text in asked:
            memo.get(text, text.upper)
        assert marshal.loads(memo.kept()) == wanted
    memo.start(kept)  # a build that asks nothing reads nothing, and keeps nothing
    assert memo._last is None
    assert marshal.loads(memo.kept()) == {}
    memo.start(kept[:-2])  # damaged bytes: found so at the first question, and not kept
    assert memo.get("a", "a".upper) == "A" and memo.computed
    assert marshal.loads(memo.kept()) == {"a": "A"}
    memo.resume({"a": "A", "b": "B"})  # (in memory, no bytes were read)
    memo.get("a", "A".lower)
    memo.get("b", "A".lower)
    assert marshal.loads(memo.kept()) == {"a": "A", "b": "B"}


def api(note: str, count: int = 6) -> dict[str, Any]:
    """`count` requests, every other one sending a JSON body; `note` is in the first's response."""
    sent = {"data": [{"name": "a", "tags": ["x", "y"], "owner": {"id": "1", "name": "b"}}]}
    return collection(
        *(
            request(
                f"Get thing {i}",
                f"{{{{base_url}}}}/things/{i}/:id?limit=10&with=all",
                method="POST" if i % 2 else "GET",
                responses=[
                    response("ok", 200, {"id": str(i), "note": note if i == 0 else "same"}),
                    response("missing", 404, {"code": "NOT_FOUND", "message": "no"}),
                ],
                **(
                    {"body": {"mode": "raw", "raw": json.dumps(sent), "options": JSON_OPTIONS}}
                    if i % 2
                    else {}
                ),
            )
            for i in range(count)
        ),
        variable=[{"key": "base_url", "value": "https://api.example.com"}],
    )


JSON_OPTIONS = {"raw": {"language": "json"}}


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many fixture files, statement layouts, requests' inferences and requests read were
    computed (not taken from a memo)."""
    counts = {"fixtures": 0, "layouts": 0, "inferred": 0, "read": 0}
    real_fixture, real_layout = zgen.render.fixture_data, zgen.render._statement_layout
    real_record = zgen.infer._record

    def record(*args: Any) -> Any:
        counts["inferred"] += 1
        return real_record(*args)

    monkeypatch.setattr(zgen.infer, "_record", record)
    real_read = zgen.normalize.read_request

    def read(*args: Any) -> Any:
        counts["read"] += 1
        return real_read(*args)

    monkeypatch.setattr(zgen.normalize, "read_request", read)

    def fixture(*args: Any) -> str:
        counts["fixtures"] += 1
        return real_fixture(*args)

    def layout(*args: Any) -> str:
        counts["layouts"] += 1
        return real_layout(*args)

    monkeypatch.setattr(zgen.render, "fixture_data", fixture)
    monkeypatch.setattr(zgen.render, "_statement_layout", layout)
    return counts


def write(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("damage", [None, "garbage", "another zgen", "deleted"])
def test_a_rebuild_computes_only_what_changed_and_gives_the_bytes_of_a_fresh_build(
    tmp_path: Path, computed: dict[str, int], damage: str | None
) -> None:
    source = write(tmp_path / "a" / "api.json", api("first"))
    out = tmp_path / "a" / "out"
    build([source], out)
    assert computed["fixtures"] == 12 and computed["layouts"] > 12
    assert computed["inferred"] == 6 and computed["read"] == 6
    first_layouts = computed["layouts"]
    memo = next(out.glob(".zgen-cache/*.memo"))
    assert memo == memo_path(out, "test_api")
    if damage == "garbage":
        data = memo.read_bytes()
        memo.write_bytes(data[: data.index(b"\n") + 1] + b"\x00" * 40)
    elif damage == "another zgen":
        memo.write_bytes(memo.read_bytes().replace(MEMO_TAG, MEMO_TAG + b"0", 1))
    elif damage == "deleted":
        memo.unlink()

    for key in computed:
        computed[key] = 0
    write(source, api("second"))
    build([source], out)
    if damage is None:
        assert computed["fixtures"] == 2  # the edited request's (its two saved responses)
        assert computed["inferred"] == 1  # its request's bodies only
        assert computed["read"] == 1  # its request only
        assert computed["layouts"] < first_layouts / 4
    else:
        assert computed["fixtures"] == 12 and computed["layouts"] == first_layouts
        assert computed["inferred"] == 6 and computed["read"] == 6
    fresh = tmp_path / "b" / "out"
    build([write(tmp_path / "b" / "api.json", api("second"))], fresh)
    assert output_files(out) == output_files(fresh)


def test_a_memo_file_cut_short_or_damaged_gives_no_memos(tmp_path: Path) -> None:
    parts = {"normalize": marshal.dumps((1, 2)), "layouts": b"\n.\n" * 3, "empty": b""}
    write_memo(tmp_path, "pkg", parts)
    assert read_memo(tmp_path, "pkg") == parts
    path = memo_path(tmp_path, "pkg")
    data = path.read_bytes()
    damaged = [data[:cut] for cut in range(len(data))]
    damaged += [
        data + b"x",
        data.replace(b"layouts 9", b"layouts 99"),  # a length past the end
        data.replace(b"layouts 9", b"layouts 9" * 20),  # ... far past it (nothing is allocated)
        data.replace(b"layouts 9", b"layouts 8"),  # ... short of it
        data.replace(b"layouts 9", b"lay outs 9"),
        data.replace(b"empty 0", b"normalize 0"),  # a memo twice
        data.replace(b"empty 0", b"empty x"),
    ]
    for wrong in damaged:
        path.write_bytes(wrong)
        assert read_memo(tmp_path, "pkg") == {}, wrong


def test_a_check_writes_no_memo_and_a_memo_is_per_package(tmp_path: Path) -> None:
    source = write(tmp_path / "api.json", api("x"))
    build([source], tmp_path / "checked", check=True)
    assert not (tmp_path / "checked").exists()
    other = copy.deepcopy(api("y", count=2))
    other["info"]["name"] = "Other API"
    build([source, write(tmp_path / "other.json", other)], tmp_path / "out")
    memos = sorted(p.name for p in (tmp_path / "out" / ".zgen-cache").glob("*.memo"))
    assert memos == ["other_api.memo", "test_api.memo"]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(JSON)
def test_a_memo_key_depends_on_the_value_only_not_on_how_its_objects_are_shared(
    value: Any,
) -> None:
    """The class of the bug where a key was marshal's default output (its bytes change with the
    objects' reference counts): the digest of a value, of a copy of it, and of a container that
    holds it several times over (shared objects) agree; values that differ differ."""
    copied = json.loads(json.dumps(value))
    held = [value, value, copied]  # `value` shared three times, then its copy
    assert value_digest(value) == value_digest(copied)
    assert value_digest(held) == value_digest([copied, copied, json.loads(json.dumps(value))])
    assert value_digest(value) != value_digest([value])
    assert len({value_digest(1), value_digest(1.0), value_digest(True), value_digest("1")}) == 4


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(JSON_VALUES, min_size=1, max_size=4))
def test_a_model_key_from_the_memo_is_the_key_of_its_json(parts: list[Any]) -> None:
    """modelgen's keys are digests of sorted JSON; the memo answers by a digest of the parts."""
    memo = zgen.modelgen.JSON_KEYS
    direct = hashlib.sha256(
        json.dumps(parts, sort_keys=True).encode("utf-8", "surrogatepass")
    ).hexdigest()[:24]
    memo.start(None)
    assert zgen.modelgen._json_key(parts) == direct
    memo.start(memo.kept())  # the next build: from the memo
    assert value_digest(parts) in memo.last
    assert zgen.modelgen._json_key(copy.deepcopy(parts)) == direct

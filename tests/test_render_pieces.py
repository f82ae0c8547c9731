"""The render stage's pieces per request (render.PIECES): a rebuild makes the code, API.md entry and
tests of the requests whose inputs changed, takes the others' from the last build, and gives the
bytes of a fresh build; a request's key changes with every input its pieces are made from."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import zgen.render
from conftest import REPO, collection, output_files, request, response
from zgen.buildcache import CACHE_DIR
from zgen.diagnostics import Diagnostics
from zgen.naming import Names
from zgen.pipeline import analyze, build
from zgen.render import request_keys


def api(note: str = "same", extra: dict[str, Any] | None = None, base: str = "") -> dict[str, Any]:
    """Four requests in two folders, one paged, one with a JSON body; `note` is in the first's
    response, `extra` keys in the second's."""
    owner = {"id": "1", "name": "b"}
    items = [
        request(
            f"Get thing {i}",
            f"{{{{base_url}}}}/things/{i}/:id?limit=10",
            method="POST" if i == 3 else "GET",
            responses=[
                response(
                    "ok",
                    200,
                    {
                        "id": str(i),
                        "note": note if i == 0 else "same",
                        "owner": owner,
                        **((extra or {}) if i == 1 else {}),
                    },
                ),
                response("missing", 404, {"code": "NOT_FOUND", "message": "no"}),
            ],
            **(
                {"body": {"mode": "raw", "raw": json.dumps({"a": [1]}), "options": JSON_OPTIONS}}
                if i == 3
                else {}
            ),
        )
        for i in range(4)
    ]
    paged = request(
        "List things",
        "{{base_url}}/things?page=1",
        responses=[response("ok", 200, {"data": [owner], "page": 1, "total_pages": 3})],
    )
    return collection(
        {"name": "first", "item": items[:2]},
        {"name": "second", "item": [*items[2:], paged]},
        variable=[{"key": "base_url", "value": base or "https://api.example.com"}],
    )


JSON_OPTIONS = {"raw": {"language": "json"}}


def write(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def views(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The requests (by place) whose view the render stage made."""
    made: list[str] = []
    real = zgen.render.operation_view

    def view(api: Any, index: int, *args: Any, **kwargs: Any) -> Any:
        made.append(api.operations[index].place)
        return real(api, index, *args, **kwargs)

    monkeypatch.setattr(zgen.render, "operation_view", view)
    return made


def rebuilt_with_and_without_memos(
    tmp_path: Path, first: dict[str, Any], second: dict[str, Any]
) -> None:
    """Build `first`, then `second` into the same folder, twice: with the build cache the first
    build left, and without it (every piece made again; the names the first build published
    stay in both, through the package's manifest): the same bytes."""
    outs = []
    for side in ("kept", "made"):
        source = write(tmp_path / side / "api.json", first)
        out = tmp_path / side / "out"
        build([source], out)
        if side == "made":
            shutil.rmtree(out / CACHE_DIR)
        write(source, second)
        build([source], out)
        outs.append(output_files(out))
    assert outs[0] == outs[1]


def test_a_rebuild_makes_the_view_of_the_edited_request_only(
    tmp_path: Path, views: list[str]
) -> None:
    source = write(tmp_path / "a" / "api.json", api("first"))
    out = tmp_path / "a" / "out"
    build([source], out)
    assert len(views) == 5  # every request's, once
    views.clear()
    write(source, api("second"))  # a value in the first request's saved response
    build([source], out)
    assert views == ["first / Get thing 0"]
    fresh = tmp_path / "b" / "out"
    build([write(tmp_path / "b" / "api.json", api("second"))], fresh)
    assert output_files(out) == output_files(fresh)


@pytest.mark.parametrize(
    "second",
    [
        pytest.param(api(extra={"more": 1}), id="a model of one request changed"),
        pytest.param(api(base="https://other.example.com"), id="a client-level value changed"),
        pytest.param(
            collection(*api()["item"][::-1], variable=api()["variable"]), id="folders reordered"
        ),
        pytest.param(
            collection(api()["item"][1], variable=api()["variable"]), id="a folder removed"
        ),
    ],
)
def test_a_rebuild_after_any_change_gives_the_bytes_of_one_without_memos(
    tmp_path: Path, second: dict[str, Any]
) -> None:
    rebuilt_with_and_without_memos(tmp_path, api(), second)


def test_a_user_template_is_never_taken_from_the_pieces_of_the_built_in_one(
    tmp_path: Path, views: list[str]
) -> None:
    source = write(tmp_path / "api.json", api())
    out = tmp_path / "out"
    build([source], out)
    templates = tmp_path / "templates"
    templates.mkdir()
    builtin = (REPO / "templates" / "client.py.jinja").read_text(encoding="utf-8")
    marked = builtin.replace(
        "{% macro method(op, is_async) %}\n", "{% macro method(op, is_async) %}\n    # mine\n", 1
    )
    assert marked != builtin
    (templates / "client.py.jinja").write_text(marked, encoding="utf-8")
    views.clear()
    build([source], out, templates=templates)
    client = (out / "test_api" / "client.py").read_text(encoding="utf-8")
    assert client.count("    # mine\n") == 2 * 5  # each request's sync and async method
    assert len(views) == 5
    shutil.rmtree(templates)
    build([source], out)  # the built-in templates again: as a fresh build
    fresh = tmp_path / "fresh"
    build([source], fresh)
    assert output_files(out) == output_files(fresh)


def test_a_request_s_key_holds_every_input_of_its_pieces(tmp_path: Path) -> None:
    """Each name or type the render stage gives a request changes its key, and only its own."""
    analysis = analyze(write(tmp_path / "api.json", api()), Diagnostics())
    api_ir, inferred, names, paging = (
        analysis.api,
        analysis.inferred,
        analysis.names,
        analysis.paging,
    )
    digests = [bytes([index]) * 32 for index in range(len(api_ir.operations))]
    before = request_keys(api_ir, inferred, names, paging, digests)
    assert None not in before and len(set(before)) == len(before)
    assert request_keys(api_ir, inferred, names, paging, digests) == before  # deterministic
    target = 1
    returned = inferred.operations[target].response
    assert returned is not None and returned[0] == "model"
    renamed_model = {**names.models, returned[1]: "Renamed"}
    per_request: dict[str, Any] = {
        "methods": "renamed",
        "body_arg": "payload",
        "forms": "Form",
        "test_modules": "test_other",
        "op_namespace": ("other",),
        "fixtures": ("other_fixture", "other_error"),
        "params": {"id": "other_id"},
    }
    changes: list[Names] = []
    for field, value in per_request.items():
        values = tuple(value if i == target else old for i, old in enumerate(getattr(names, field)))
        changes.append(dataclasses.replace(names, **{field: values}))  # type: ignore[arg-type]
    for changed in changes:
        after = request_keys(api_ir, inferred, changed, paging, digests)
        assert [a == b for a, b in zip(after, before, strict=True)] == [
            i != target for i in range(len(before))
        ]
    # the name of a model it returns (shared with other requests: theirs change too)
    after = request_keys(
        api_ir, inferred, dataclasses.replace(names, models=renamed_model), paging, digests
    )
    assert after[target] != before[target]
    # what normalize made of it
    other = [*digests]
    other[target] = b"\xff" * 32
    after = request_keys(api_ir, inferred, names, paging, other)
    assert [a == b for a, b in zip(after, before, strict=True)] == [
        i != target for i in range(len(before))
    ]
    # a client-level value: every request's
    moved = dataclasses.replace(
        names, client_vars={k: f"{v}_x" for k, v in names.client_vars.items()}
    )
    after = request_keys(api_ir, inferred, moved, paging, digests)
    assert all(a != b for a, b in zip(after, before, strict=True))
    # a request whose Operation has no digest keeps nothing
    none = request_keys(api_ir, inferred, names, paging, [None, *digests[1:]])
    assert none[0] is None and none[1:] == before[1:]
    # the paged request's paging
    paged = next(i for i, found in enumerate(paging) if found is not None)
    unpaged = [None if i == paged else found for i, found in enumerate(paging)]
    after = request_keys(api_ir, inferred, names, unpaged, digests)
    assert [a == b for a, b in zip(after, before, strict=True)] == [
        i != paged for i in range(len(before))
    ]


def test_a_test_module_is_made_of_its_cases_the_header_and_the_package_alone(
    tmp_path: Path,
) -> None:
    """A test module is kept whole by its requests' keys and the header (see render_tests): its
    template must read nothing else (the environment's undefined is strict: anything else
    raises)."""
    analysis = analyze(write(tmp_path / "api.json", api()), Diagnostics())
    env = zgen.render.environment(None)
    cases = zgen.render.TestCase(
        "test_x", "x", "client.things.get_x", ['id="1"'], "NotFoundError", False, []
    )
    header = zgen.render.header_comment(analysis.api)
    text = zgen.render.test_module(
        env, {"header": header, "package": analysis.names.package}, [cases]
    )
    assert text.startswith(header) and "def test_x(" in text

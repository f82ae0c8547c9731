"""What the models promise: evidence merged across requests, converter artifacts, field names and
the `optional` type policy, each on an inline collection built end to end."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, Builder, collection, request, response, run_generated_tests, type_checks
from zgen.diagnostics import Diagnostics
from zgen.infer import infer
from zgen.ir import Api
from zgen.load import LoadedCollection
from zgen.naming import assign, field_names
from zgen.normalize import normalize
from zgen.pipeline import SourceSettings, build

CIRCULAR = "<Circular reference to #/components/schemas/{}>"


def circular(name: str) -> str:
    return CIRCULAR.format(name).replace(">", " detected>")


def api_of(data: dict[str, Any]) -> Api:
    loaded = LoadedCollection("api.json", "api", data, "v2.1")
    return normalize(loaded, Diagnostics())


def models_source(output: Path, package: str = "api") -> str:
    return (output / package / "models.py").read_text(encoding="utf-8")


def run_python(output: Path, code: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=output, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr


RULES = collection(
    request(
        "Get Rule",
        "https://api.test/rules/1",
        responses=[
            response(
                "ok",
                200,
                {
                    "id": "r1",
                    "criteria": {
                        "group_operator": "and",
                        "group": [circular("Criteria"), circular("Criteria")],
                        "field": {"api_name": "Last_Name", "parent": circular("Criteria")},
                    },
                    "layout": circular("Layout"),
                    "mapping": {"key_0": "a", "key_1": 2, "key_12": None},
                    "mappings": [{"key_0": {"x": 1}}, {"key_1": [1]}],
                    "owner": {"id": "7", "key_0": 1, "key_1": "x"},
                },
            )
        ],
    )
)


def test_converter_artifacts(build_collection: Builder) -> None:
    report, output = build_collection(RULES, package="api")
    source = models_source(output)
    # The placeholder is the enclosing object of that name, however deep it is written.
    assert "    group: list[GetRuleCriteria]\n" in source
    assert "    parent: GetRuleCriteria | None\n" in source
    # No enclosing `Layout`: Any, with a warning naming the place.
    assert "    layout: Any\n" in source
    assert any(
        "`$.layout`" in w.place and "'Layout'" in w.message for w in report.diagnostics.warnings
    )
    # Invented keys: a free-form object.
    assert "    mapping: dict[str, Any]\n" in source
    assert "    mappings: list[dict[str, Any]]\n" in source
    # Beside declared keys, they are the converter's examples of additional properties: extra
    # keys of the model, not fields.
    owner = source.split("class GetRuleOwner(ApiModel):")[1].split("\nclass ")[0]
    assert re.findall(r"^    (\w+):", owner, re.M) == ["id"]
    assert "Key0" not in source and "key_0" not in source
    # The recursive model validates a real (recursive) body; the saved body, which holds the
    # placeholders, is replayed tolerantly by the generated tests, which pass.
    run_python(
        output,
        "from api import GetRuleResponse as GetRule\n"
        "rule = GetRule.model_validate({'id': 'r', 'layout': 1, 'mapping': {'a': 1}, 'mappings': [], 'owner': {'id': '1', 'key_0': 2},"
        " 'criteria': {'group_operator': 'or', 'field': {'api_name': 'x', 'parent': {"
        "'group_operator': 'and', 'group': [], 'field': {'api_name': 'y', 'parent': None}}},"
        " 'group': [{'group_operator': 'and', 'group': [], 'field': {'api_name': 'z',"
        " 'parent': None}}]}})\n"
        "assert type(rule.criteria.group[0]).__name__ == 'GetRuleCriteria'\n"
        "assert rule.criteria.field.parent.field.api_name == 'y'\n"
        "assert rule.owner.model_extra == {'key_0': 2}\n",
    )
    result = run_generated_tests(output)
    assert result.returncode == 0, result.stdout[-3000:]


@pytest.mark.parametrize("prefix", ["", "<", "x"])
def test_a_string_like_a_placeholder_is_a_string(prefix: str) -> None:
    data = collection(
        request(
            "Get",
            "https://api.test/x",
            responses=[
                response("a", 200, {"criteria": {"group": [prefix + circular("Criteria")[1:]]}}),
                response("b", 200, {"criteria": {"group": [circular("Criteria"), "plain"]}}),
            ],
        )
    )
    api = api_of(data)
    inferred = infer(api, Diagnostics())
    group = next(f for s in inferred.shapes for f in s.fields if f.key == "group")
    assert group.type == ("list", ("str",))


def test_a_key_keeps_its_name_unless_it_clashes(build_collection: Builder) -> None:
    body = {
        # plain identifiers that shadow nothing in a class body keep their names
        "uuid": "7d8e0a5c-3c2b-4d6e-9f10-1a2b3c4d5e6f",
        "type": "t",
        "self": "s",
        "id": 1,
        "field": "f",
        "match": "m",
        "any": 1,
        # real clashes: BaseModel attributes, names the annotations use, keywords, model_*
        "json": "j",
        "schema": "s",
        "copy": 1,
        "dict": {"a": 1},
        "str": "s",
        "date": "2024-01-02",
        "class": "c",
        "model_name": "m",
        # not snake_case, or private-looking: snake_case names
        "createdTime": "x",
        "_links": {"self": "x"},
    }
    data = collection(
        request("Get Thing", "https://api.test/t", responses=[response("ok", 200, body)])
    )
    api = api_of(data)
    inferred = infer(api, Diagnostics())
    names = assign(api, inferred)
    top = next(s for s in inferred.shapes if any(f.key == "uuid" for f in s.fields))
    chosen = dict(field_names(top, top.orders[0]))
    assert chosen == dict(names.fields[top.id])
    kept = ["uuid", "type", "self", "id", "field", "match", "any"]
    assert {key: chosen[key] for key in kept} == {key: key for key in kept}
    assert chosen["json"] == "json_" and chosen["schema"] == "schema_"
    assert chosen["copy"] == "copy_" and chosen["dict"] == "dict_" and chosen["str"] == "str_"
    assert chosen["date"] == "date_" and chosen["class"] == "class_"
    assert chosen["model_name"] == "field_model_name"
    assert chosen["createdTime"] == "created_time" and chosen["_links"] == "links"
    _, output = build_collection(data, package="api")
    source = models_source(output)
    assert "    uuid: UUID\n" in source and "    self: str\n" in source
    run_python(
        output,
        "from api import GetThingResponse as GetThing\n"
        f"thing = GetThing.model_validate({body!r})\n"
        "assert str(thing.uuid).startswith('7d8e') and thing.self == 's' and thing.type == 't'\n"
        "assert thing.json_ == 'j' and thing.class_ == 'c' and thing.date_.year == 2024\n"
        f"assert thing.model_dump(mode='json', by_alias=True) == {body!r}\n",
    )
    result = run_generated_tests(output)
    assert result.returncode == 0, result.stdout[-3000:]


def test_a_key_missing_from_another_requests_samples_is_optional() -> None:
    owner = {"id": "1", "name": "n"}
    contact = {"id": "1", "email": "e"}
    data = collection(
        request("A", "https://api.test/a", responses=[response("ok", 200, {"owner": owner})]),
        request(
            "B",
            "https://api.test/b",
            responses=[
                response("one", 200, {"owner": owner}),
                response("two", 200, {"owner": {"id": "1"}}),
            ],
        ),
        request("C", "https://api.test/c", responses=[response("ok", 200, {"owner": contact})]),
        request(
            "D",
            "https://api.test/d",
            responses=[
                response("bad", 400, {"owner": contact}),
                response("worse", 400, {"owner": {"id": "1"}}),
            ],
        ),
    )
    api = api_of(data)
    inferred = infer(api, Diagnostics())
    owners = {
        (frozenset(u.op for u in s.usages), frozenset(u.role for u in s.usages)): {
            f.key: f.required for f in s.fields
        }
        for s in inferred.shapes
        if s.usages and s.usages[0].path == ("owner",)
    }
    assert owners == {
        # A saw `name` every time, B once without: one class for both, `name` optional.
        (frozenset({0, 1}), frozenset({"response"})): {"id": True, "name": False},
        # C's own samples always had `email`; D's error samples lacked it once: they stay apart.
        (frozenset({2}), frozenset({"response"})): {"id": True, "email": True},
        (frozenset({3}), frozenset({"error"})): {"id": True, "email": False},
    }
    names = assign(api, inferred)
    assert sorted(alias for alias, _ in names.aliases) == ["BOwner", "BResponse"]


@pytest.mark.slow
def test_optional_all_is_clean_under_mypy_and_pyright(tmp_path: Path) -> None:
    """optional = "all": every response field `T | None = None`; the packages of collections/ and
    of a few corpus collections still pass mypy --strict, pyright and their own (strict) tests."""
    sources = [
        REPO / "collections" / "zoho_crm_bulk_write.json",
        *(
            REPO / "tests" / "corpus" / name
            for name in ("postman_echo.json", "gotowebinar_v2.json", "pdfco_api.json")
        ),
    ]
    inline = tmp_path / "rules.json"
    inline.write_text(json.dumps(RULES), encoding="utf-8")
    sources.append(inline)
    output = tmp_path / "out"
    settings = {source: SourceSettings(package=source.stem, optional="all") for source in sources}
    report = build(sources, output, settings=settings)
    packages = sorted(summary.package for summary in report.packages)
    models = models_source(output, "zoho_crm_bulk_write")
    assert "    status: str | None = None\n" in models
    assert "    created_time: AwareDatetime | None = None\n" in models
    # Request bodies keep their types; every response and error field may be absent.
    blocks = re.split(r"^class ", models, flags=re.M)[1:]
    response_blocks = [block for block in blocks if "Request" not in block.split("(")[0]]
    assert response_blocks and all(": str\n" not in block for block in response_blocks)
    assert any(": str\n" in block for block in blocks if "Request" in block.split("(")[0])
    for checked in type_checks(output, packages):
        assert checked.returncode == 0, checked.stdout[-5000:] + checked.stderr[-2000:]
    result = run_generated_tests(output)
    assert result.returncode == 0, result.stdout[-3000:]


def test_optional_is_read_from_tool_zgen(tmp_path: Path) -> None:
    from zgen.cli import read_config
    from zgen.diagnostics import ZgenError

    (tmp_path / "pyproject.toml").write_text(
        '[tool.zgen]\noptional = "all"\n\n[[tool.zgen.collections]]\npath = "a.json"\n\n'
        '[[tool.zgen.collections]]\npath = "b.json"\noptional = "seen"\n',
        encoding="utf-8",
    )
    config = read_config(tmp_path)
    assert config is not None
    policies = {path.name: s.optional for path, s in config.settings.items()}
    assert policies == {"a.json": "all", "b.json": "seen"}
    (tmp_path / "pyproject.toml").write_text('[tool.zgen]\noptional = "some"\n', encoding="utf-8")
    with pytest.raises(ZgenError, match="`optional` must be one of seen, all"):
        read_config(tmp_path)

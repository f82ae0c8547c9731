"""Model inference (issue 4): one test per rule, on small inline collections."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import Builder, collection, import_generated, request, response, run_generated_tests
from zgen.diagnostics import Diagnostics, ZgenError
from zgen.infer import ANY, Inferred, Overrides, TypeRef, infer, parse_overrides, parse_type
from zgen.ir import Api
from zgen.load import LoadedCollection
from zgen.modelgen import generate_models
from zgen.naming import Names, assign
from zgen.normalize import normalize

URL = "https://api.example.com"


def analyze(
    data: dict[str, Any], overrides: Overrides | None = None
) -> tuple[Api, Inferred, Names, Diagnostics]:
    diagnostics = Diagnostics()
    api = normalize(LoadedCollection("api.json", "api", data, "v2.1"), diagnostics)
    inferred = infer(api, diagnostics, overrides)
    return api, inferred, assign(api, inferred, "api", overrides), diagnostics


def one(*bodies: Any, status: int = 200) -> dict[str, Any]:
    """A collection with one request `Get Thing` whose saved responses are `bodies`."""
    return collection(
        request(
            "Get Thing",
            f"{URL}/thing",
            responses=[response(f"r{i}", status, b) for i, b in enumerate(bodies)],
        )
    )


def fields(inferred: Inferred, names: Names, model: str) -> dict[str, tuple[TypeRef, bool]]:
    """key -> (type, required) of the model class called `model`."""
    shape_id = next(i for i, name in names.models.items() if name == model)
    return {f.key: (f.type, f.required) for f in inferred.shapes[shape_id].fields}


def model_ref(names: Names, model: str) -> TypeRef:
    return ("model", next(i for i, name in names.models.items() if name == model))


def warnings(diagnostics: Diagnostics) -> list[str]:
    return [w.line() for w in diagnostics.warnings]


def test_key_in_every_sample_is_required_others_optional() -> None:
    _, inferred, names, _ = analyze(one({"id": 1, "name": "a"}, {"id": 2}))
    assert fields(inferred, names, "GetThingResponse") == {
        "id": (("int",), True),
        "name": (("str",), False),
    }
    source = generate_models(inferred, names)
    assert "name: str | None = None" in source


def test_null_in_some_samples_is_optional_type() -> None:
    _, inferred, names, _ = analyze(one({"note": "x"}, {"note": None}))
    assert fields(inferred, names, "GetThingResponse")["note"] == (
        ("union", (("str",), ("null",))),
        True,
    )
    assert "note: str | None" in generate_models(inferred, names)


def test_only_null_accepts_anything_and_warns_with_place() -> None:
    _, inferred, names, diagnostics = analyze(one({"deleted_at": None}, {"deleted_at": None}))
    assert fields(inferred, names, "GetThingResponse")["deleted_at"] == (ANY, True)
    assert any(
        "Get Thing" in w and "$.deleted_at" in w and "only as null" in w
        for w in warnings(diagnostics)
    )


def test_int_and_float_become_float() -> None:
    _, inferred, names, _ = analyze(one({"price": 1}, {"price": 2.5}))
    assert fields(inferred, names, "GetThingResponse")["price"] == (("float",), True)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["2024-01-02T03:04:05Z", "2024-01-02T03:04:05.123+02:00"], ("datetime",)),
        (["2017-01-01T12:02:01+0000", "2017-01-01T12:02:01-0530"], ("datetime",)),
        (["2024-01-02", "1999-12-31"], ("date",)),
        (["123e4567-e89b-12d3-a456-426614174000"], ("uuid",)),
        (["2024-01-02T03:04:05Z", "soon"], ("str",)),  # not every sample matches
        (["2024-01-02", "2024-01-02T03:04:05Z"], ("str",)),  # two different formats
        (["2024-01-02T03:04:05"], ("str",)),  # no offset: not RFC 3339
        (["00123", "123"], ("str",)),  # zip codes and ids stay strings
        (["true", "false"], ("str",)),
    ],
)
def test_strings_stay_strings_unless_every_sample_has_a_format(
    values: list[str], expected: TypeRef
) -> None:
    _, inferred, names, _ = analyze(one(*({"value": v} for v in values)))
    assert fields(inferred, names, "GetThingResponse")["value"] == (expected, True)


def test_array_items_of_all_samples_merge_into_one_model() -> None:
    _, inferred, names, _ = analyze(
        one({"users": [{"id": 1}, {"id": 2, "email": "a@b"}]}, {"users": [{"id": 3, "age": 4}]})
    )
    assert fields(inferred, names, "GetThingResponse")["users"] == (
        ("list", model_ref(names, "GetThingUser")),
        True,
    )
    assert fields(inferred, names, "GetThingUser") == {
        "id": (("int",), True),
        "email": (("str",), False),
        "age": (("int",), False),
    }


def test_empty_array_is_list_any_with_a_warning_unless_other_samples_say_more() -> None:
    _, inferred, names, diagnostics = analyze(
        one({"tags": [], "ids": []}, {"tags": [], "ids": [1]})
    )
    assert fields(inferred, names, "GetThingResponse")["tags"] == (("list", ANY), True)
    assert fields(inferred, names, "GetThingResponse")["ids"] == (("list", ("int",)), True)
    assert [w for w in warnings(diagnostics) if "only empty" in w] == [
        "warning: api.json: Get Thing response `$.tags`: array seen only empty; typed as list[Any]"
    ]


def test_array_of_mixed_scalars_is_a_union() -> None:
    _, inferred, names, _ = analyze(one({"values": [1, "a", True]}))
    kind, members = fields(inferred, names, "GetThingResponse")["values"][0]
    assert kind == "list"
    assert members[0] == "union" and set(members[1]) == {("int",), ("str",), ("bool",)}


def test_top_level_array_returns_list_of_item() -> None:
    _, inferred, names, _ = analyze(one([{"id": 1}, {"id": 2}]))
    assert inferred.operations[0].response == ("list", model_ref(names, "GetThingItem"))


def test_nested_arrays() -> None:
    _, inferred, names, _ = analyze(one({"grid": [[1, 2], [3.5]], "pages": [[{"n": 1}], []]}))
    assert fields(inferred, names, "GetThingResponse")["grid"] == (
        ("list", ("list", ("float",))),
        True,
    )
    assert fields(inferred, names, "GetThingResponse")["pages"] == (
        ("list", ("list", model_ref(names, "GetThingPage"))),
        True,
    )


def test_identical_shapes_across_requests_are_one_model() -> None:
    error = {"code": "INVALID", "message": "bad", "details": {}}
    data = collection(
        *(
            request(
                name,
                f"{URL}/{name}",
                responses=[response("ok", 200, {name: 1}), response("bad", 400, error)],
            )
            for name in ("alpha", "beta", "gamma")
        )
    )
    _, inferred, names, _ = analyze(data)
    errors = {inferred.operations[i].error for i in range(3)}
    assert errors == {model_ref(names, "ErrorResponse")}
    # Each request's own name for the shared body still imports.
    assert {"AlphaError", "BetaError", "GammaError"} <= {
        alias for alias, target in names.aliases if target == "ErrorResponse"
    }


def test_success_and_error_bodies_are_inferred_apart() -> None:
    data = collection(
        request(
            "Get Thing",
            f"{URL}/thing",
            responses=[
                response("ok", 200, {"id": 1}),
                response("missing", 404, {"error": "not found"}),
            ],
        )
    )
    _, inferred, names, _ = analyze(data)
    assert fields(inferred, names, "GetThingResponse") == {"id": (("int",), True)}
    assert fields(inferred, names, "GetThingError") == {"error": (("str",), True)}


def test_names_are_readable_paths_without_numbers() -> None:
    body = {"data": [{"details": {"resource": {"file": {"name": "a.csv"}}}}]}
    data = collection(
        {
            "name": "Bulk Write",
            "item": [
                request("Job Details", f"{URL}/jobs/:id", responses=[response("ok", 200, body)])
            ],
        }
    )
    _, _, names, _ = analyze(data)
    # A nested model is named by the request and its last two keys; a repeated word reads once.
    assert sorted(names.models.values()) == [
        "BulkWriteJobDetailsData",
        "BulkWriteJobDetailsDataDetails",
        "BulkWriteJobDetailsResource",
        "BulkWriteJobDetailsResourceFile",
        "BulkWriteJobDetailsResponse",
    ]


def test_a_digit_from_the_request_name_does_not_end_a_class_name() -> None:
    data = collection(
        request(
            "OTA_PingRQ 1.0.0",
            f"{URL}/ping",
            responses=[response("ok", 200, {"ok": True, "v2": {"a": 1}})],
        )
    )
    _, _, names, _ = analyze(data)
    assert sorted(names.models.values()) == ["OtaPingRq100Response", "OtaPingRq100V2"]


AWKWARD = {
    "$id": "x1",
    "api-name": "Deals",
    "from": "2024-01-01",
    "class": "A",
    "1st": True,
    "with space": 2,
    "_type": "t",
    "_private": "p",
    "__dunder": 3,
    "Owner": "O",
    "owner": "o",
    "model_config": 1,
    "model_fields": 2,
    "json": {"a": 1},
    "schema": [1, "a"],
    "dict": 1.5,
    "validate": False,
    "copy": None,
    "when": "2024-01-02T03:04:05.120+01:00",
    "uid": "123e4567-e89b-12d3-a456-426614174000",
}


def test_awkward_keys_become_valid_aliased_fields() -> None:
    _, _, names, _ = analyze(one(AWKWARD))
    shape_id = next(i for i, name in names.models.items() if name == "GetThingResponse")
    chosen = dict(names.fields[shape_id])
    assert all(name.isidentifier() and not name.startswith("_") for name in chosen.values())
    assert len(set(chosen.values())) == len(chosen)
    assert chosen["owner"] == "owner" and chosen["Owner"] != "owner"
    assert chosen["from"] == "from_" and chosen["class"] == "class_"
    for key in ("model_config", "json", "schema", "dict", "validate", "copy", "model_fields"):
        assert chosen[key] != key


def test_awkward_keys_and_extra_keys_round_trip(build_collection: Builder) -> None:
    live = {**AWKWARD, "brand_new": {"nested": [1]}}
    data = collection(
        request(
            "Get Thing",
            f"{URL}/thing",
            responses=[
                response("ok", 200, AWKWARD),
                response("other", 200, {**AWKWARD, "when": "2024-05-06T00:00:00Z"}),
            ],
        )
    )
    _, output = build_collection(data, package="awkward")
    result = run_generated_tests(output)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
    code = (
        "import json\n"
        "from awkward.models import GetThingResponse as GetThing\n"
        f"data = json.loads({json.dumps(live)!r})\n"
        "thing = GetThing.model_validate(data)\n"
        "dumped = thing.model_dump(mode='json', by_alias=True, exclude_unset=True)\n"
        "assert set(dumped) == set(data), set(dumped) ^ set(data)\n"
        "assert dumped['brand_new'] == {'nested': [1]} and dumped['$id'] == 'x1' and dumped['_private'] == 'p'\n"
        "assert dumped['Owner'] == 'O' and dumped['owner'] == 'o' and dumped['model_config'] == 1\n"
        "print('ok')\n"
    )
    checked = import_generated(output, "awkward", code)
    assert checked.stdout.strip() == "ok", checked.stderr


def test_json_request_body_becomes_a_typed_model() -> None:
    data = collection(
        request(
            "Create Thing",
            f"{URL}/things",
            method="POST",
            body={
                "mode": "raw",
                "raw": '{"name": "a", "tags": ["x"]}',
                "options": {"raw": {"language": "json"}},
            },
        )
    )
    _, inferred, names, _ = analyze(data)
    assert inferred.operations[0].request == model_ref(names, "CreateThingRequest")
    assert fields(inferred, names, "CreateThingRequest") == {
        "name": (("str",), True),
        "tags": (("list", ("str",)), True),
    }


# ---------------------------------------------------------------- overrides


def test_override_sets_the_type_at_a_json_path_and_renames_a_model() -> None:
    raw = {
        "models": {"GetThingUser": "User"},
        "fields": [
            {"request": "Get Thing", "path": "$.users[].zip", "type": "str"},
            {"request": "Get Thing", "path": "$.users[].seen", "type": "datetime | None"},
            {"request": "Get Thing", "path": "$.code", "type": "int", "body": "error"},
        ],
    }
    overrides = parse_overrides(raw)
    data = collection(
        request(
            "Get Thing",
            f"{URL}/thing",
            responses=[
                response("ok", 200, {"users": [{"zip": 12345, "seen": None}]}),
                response("bad", 400, {"code": "12"}),
            ],
        )
    )
    _, inferred, names, diagnostics = analyze(data, overrides)
    assert "User" in names.models.values() and "GetThingUser" not in names.models.values()
    assert fields(inferred, names, "User") == {
        "zip": (("str",), True),
        "seen": (("union", (("datetime",), ("null",))), True),
    }
    assert fields(inferred, names, "GetThingError") == {"code": (("int",), True)}
    assert not diagnostics.warnings
    assert "class User(ApiModel)" in generate_models(inferred, names)


def test_override_that_matches_nothing_warns() -> None:
    overrides = parse_overrides({"fields": [{"request": "Nope", "path": "$.x", "type": "str"}]})
    _, _, _, diagnostics = analyze(one({"x": 1}), overrides)
    assert any("Nope" in w and "matched no" in w for w in warnings(diagnostics))


@pytest.mark.parametrize(
    "raw",
    [
        {"models": {"GetThingResponse": "not a name"}},
        {"fields": [{"request": "Get Thing", "path": "x", "type": "str"}]},
        {"fields": [{"request": "Get Thing", "path": "$.x", "type": "string"}]},
        {"fields": [{"request": "Get Thing", "path": "$.x", "type": "str", "body": "reply"}]},
        {"fields": [{"path": "$.x", "type": "str"}]},
    ],
)
def test_bad_overrides_are_user_errors(raw: dict[str, Any]) -> None:
    with pytest.raises(ZgenError, match=r"\[tool.zgen\] overrides"):
        parse_overrides(raw)


def test_rename_of_an_unknown_model_is_a_user_error() -> None:
    with pytest.raises(ZgenError, match="no generated model is named 'Missing'"):
        analyze(one({"x": 1}), parse_overrides({"models": {"Missing": "Found"}}))


def test_parse_type() -> None:
    assert parse_type("list[int | None]") == ("list", ("union", (("int",), ("null",))))
    assert parse_type("any") == ANY
    assert parse_type("list[") is None
    assert parse_type("str]") is None


def test_overrides_reach_the_models_source() -> None:
    """A renamed model and an overridden field reach models.py through the one naming pass."""
    overrides = parse_overrides(
        {
            "models": {"GetThingResponse": "Thing"},
            "fields": [{"request": "Get Thing", "path": "$.n", "type": "float"}],
        }
    )
    _, inferred, names, _ = analyze(one({"n": 1}), overrides)
    source = generate_models(inferred, names)
    assert "class Thing(ApiModel)" in source and "n: float" in source


def test_override_makes_a_key_optional_and_keeps_its_inferred_type() -> None:
    overrides = parse_overrides(
        {
            "fields": [
                {"request": "Get Thing", "path": "$.result", "optional": True},
                {"request": "Get Thing", "path": "$.items[].code", "optional": True, "type": "int"},
            ]
        }
    )
    _, inferred, names, diagnostics = analyze(
        one({"result": {"url": "u"}, "items": [{"code": 1}]}), overrides
    )
    assert fields(inferred, names, "GetThingResponse")["result"] == (
        model_ref(names, "GetThingResult"),
        False,
    )
    assert fields(inferred, names, "GetThingItem") == {"code": (("int",), False)}
    assert not diagnostics.warnings


@pytest.mark.parametrize(
    "entry",
    [
        {"request": "Get Thing", "path": "$", "optional": True},
        {"request": "Get Thing", "path": "$.x", "optional": "yes"},
    ],
)
def test_bad_optional_overrides_are_user_errors(entry: dict[str, Any]) -> None:
    with pytest.raises(ZgenError, match=r"\[tool.zgen\] overrides"):
        parse_overrides({"fields": [entry]})

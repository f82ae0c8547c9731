"""The naming pass: readable, keyword-safe, collision-free and stable names."""

from __future__ import annotations

import keyword
from typing import Any

import pytest
from conftest import collection, request, response
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zgen.diagnostics import Diagnostics
from zgen.infer import Inferred, TypeRef, infer
from zgen.ir import Api
from zgen.load import LoadedCollection
from zgen.naming import Names, Published, assign, published_models, snake, structural_keys, words
from zgen.normalize import normalize

URL = "https://api.example.com"


def stages(data: dict[str, Any], published: Published | None = None) -> tuple[Api, Inferred, Names]:
    diagnostics = Diagnostics()
    api = normalize(LoadedCollection("api.json", "api", data, "v2.1"), diagnostics)
    inferred = infer(api, diagnostics)
    return api, inferred, assign(api, inferred, "api", published=published)


def test_words_and_snake_case() -> None:
    assert words("getUserByID v2") == ["get", "user", "by", "id", "v2"]
    assert snake("1st page", prefix="call") == "call_1st_page"
    assert snake("class", prefix="call") == "class_"
    assert snake("", prefix="call") == "call"
    assert snake("Ünïcödé name", prefix="x") == "unicode_name"
    # other scripts are spelled in ASCII (anyascii), symbols and emoji dropped; text of symbols
    # alone is its code points
    assert snake("日本", prefix="x") == "ri_ben"
    assert snake("获取用户信息", prefix="x") == "huo_qu_yong_hu_xin_xi"
    assert snake("Пользователи", prefix="x") == "polzovateli"
    assert snake("Straße 🚀", prefix="x") == "strasse"
    assert snake("User\u2019s list", prefix="x") == "users_list"
    assert snake("用户ID", prefix="x") == "yong_hu_id"
    assert snake("🚀✨", prefix="x") == "u1f680_u2728"


def test_method_names_from_awkward_request_names() -> None:
    data = collection(
        request("Get the list of all users, sorted by name.", f"{URL}/users"),
        request("/v1/orders/{id}", f"{URL}/orders/1"),
        request("2 step verification", f"{URL}/verify", method="POST"),
        request("", f"{URL}/things/:thing_id", method="DELETE"),
        {"name": "import", "item": [request("return", f"{URL}/return")]},
        request("Update", f"{URL}/a", method="PUT"),
        request("Update", f"{URL}/b", method="PATCH"),
    )
    api, _, names = stages(data)
    by_name = dict(zip((op.name for op in api.operations), names.methods, strict=False))
    assert (
        by_name["Get the list of all users, sorted by name."]
        == "get_the_list_of_all_users_sorted_by_name"
    )
    assert by_name["/v1/orders/{id}"] == "v1_orders_id"
    assert by_name["2 step verification"] == "call_2_step_verification"
    assert by_name[""] == "delete_things"
    assert names.op_namespace[4] == ("import_",) and names.methods[4] == "return_"
    assert names.methods[5:] == ("update_put", "update_patch")
    for name in names.methods:
        assert name.isidentifier() and not keyword.iskeyword(name)


def test_fields_are_identifiers_and_unique() -> None:
    body = {
        "fooBar": 1,
        "foo_bar": 2,
        "FOO BAR": 3,
        "": 4,
        "$": 5,
        "None": 6,
        "self": 7,
        "model_dump": 8,
    }
    _, inferred, names = stages(
        collection(request("Get", f"{URL}/x", responses=[response("ok", 200, body)]))
    )
    chosen = [name for _, name in names.fields[inferred.shapes[0].id]]
    assert len(set(chosen)) == len(chosen)
    for name in chosen:
        assert (
            name.isidentifier()
            and not keyword.iskeyword(name)
            and not name.startswith(("_", "model_"))
        )
    assert dict(names.fields[inferred.shapes[0].id])["foo_bar"] == "foo_bar"


def test_names_do_not_depend_on_request_order() -> None:
    first = request(
        "Get User", f"{URL}/users/1", responses=[response("ok", 200, {"address": {"city": "x"}})]
    )
    second = request(
        "Get User Address", f"{URL}/users/1/address", responses=[response("ok", 200, {"city": 1})]
    )
    _, _, one = stages(collection(first, second))
    _, _, other = stages(collection(second, first))
    assert sorted(one.models.values()) == sorted(other.models.values())
    assert sorted(one.aliases) == sorted(other.aliases)


# ---------------------------------------------------------------- stability property

KEYS = ["id", "name", "tags", "address", "items", "created_at", "owner", "data"]
EXISTING_NAMES = [
    "Get User",
    "List Orders",
    "Create Order",
    "Delete Item",
    "Find Things",
    "Update Profile",
    "Search",
    "Upload File",
]
ADDED_NAMES = ["Zeta Probe", "Omega Scan", "Kappa Sync", "Lambda Ping"]
FOLDERS = ["Users", "Orders", "Admin Tools"]
ERROR = {"code": "INVALID", "message": "bad request", "details": {}}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(0, 2, allow_nan=False).map(lambda f: round(f, 1)),
    st.sampled_from(["a", "2024-01-02", "2024-01-02T03:04:05Z", "x y"]),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.sampled_from(KEYS), children, max_size=3)
    ),
    max_leaves=6,
)
objects = st.dictionaries(st.sampled_from(KEYS), values, min_size=1, max_size=4)
bodies = st.one_of(objects, st.lists(objects, min_size=1, max_size=2))


@st.composite
def request_items(draw: st.DrawFn, name: str) -> dict[str, Any]:
    responses = [
        response(f"ok {i}", 200, body) for i, body in enumerate(draw(st.lists(bodies, max_size=2)))
    ]
    if draw(st.booleans()):
        responses.append(response("error", 400, ERROR))
    method = draw(st.sampled_from(["GET", "POST", "DELETE"]))
    return request(
        name, f"{URL}/{name.lower().replace(' ', '/')}/:id", method=method, responses=responses
    )


@st.composite
def collections_and_addition(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    names = draw(st.lists(st.sampled_from(EXISTING_NAMES), min_size=1, max_size=6, unique=True))
    folders: dict[str | None, list[dict[str, Any]]] = {}
    for name in names:
        folders.setdefault(draw(st.sampled_from([None, *FOLDERS])), []).append(
            draw(request_items(name))
        )
    added = draw(request_items(draw(st.sampled_from(ADDED_NAMES))))
    where = draw(st.sampled_from(sorted(folders, key=lambda f: f or "")))
    position = draw(st.integers(0, len(folders[where])))
    before = build_items(folders)
    folders[where] = [*folders[where][:position], added, *folders[where][position:]]
    return before, build_items(folders)


def build_items(folders: dict[str | None, list[dict[str, Any]]]) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for folder, requests in folders.items():
        if folder is None:
            items.extend(requests)
        else:
            items.append({"name": folder, "item": list(requests)})
    return collection(*items)


def becomes_at_most_optional(before: Any, after: Any) -> bool:
    """The same fields, except that a required key may have become optional (never the reverse):
    what more evidence (a new request's samples of a shared shape) may do to a model."""
    if before is None or after is None or len(before) != len(after):
        return False
    return all(
        (b[0], b[1], b[3]) == (a[0], a[1], a[3]) and (b[2] or not a[2])
        for b, a in zip(before, after, strict=True)
    )


def surface(
    data: dict[str, Any], published: Published | None = None
) -> tuple[dict[str, Any], dict[Any, Any], Published]:
    """Every importable model name with its fields, and every method with its signature and types,
    and what the build publishes (the manifest's models), as the next build reads it.

    Model references inside types are written as the referenced model's structure, so a class that
    is shared under a new name (its old name staying importable as an alias) compares equal.
    Whether a key is required is left out of the structure: the samples of a new request may make
    a key optional (see `becomes_at_most_optional`).
    """
    api, inferred, names = stages(data, published)
    keys = structural_keys(inferred)

    def text(ref: TypeRef | None) -> str:
        if ref is None:
            return "-"
        if ref[0] == "model":
            return "{" + keys[ref[1]].replace("?:", ":") + "}"
        if ref[0] == "list":
            return f"list[{text(ref[1])}]"
        if ref[0] == "union":
            return " | ".join(text(member) for member in ref[1])
        return str(ref[0])

    classes: dict[str, Any] = {}
    for shape in inferred.shapes:
        field_names = dict(names.fields[shape.id])
        classes[names.models[shape.id]] = sorted(
            (field_names[f.key], f.key, f.required, text(f.type)) for f in shape.fields
        )
    for alias, target in names.aliases:
        classes[alias] = classes[target]
    methods = {}
    for index, op in enumerate(api.operations):
        types = inferred.operations[index]
        methods[(op.folders, op.name)] = (
            names.op_namespace[index],
            names.methods[index],
            sorted(names.params[index].items()),
            names.body_arg[index],
            text(types.response),
            types.response_kinds,
            text(types.error),
            text(types.request),
        )
    return classes, methods, published_models(inferred, names)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@pytest.mark.slow
@given(collections_and_addition())
def test_adding_a_request_changes_no_existing_model_or_method(
    pair: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    before, after = pair
    # The second build reads what the first published (the package's manifest), as in real use.
    classes_before, methods_before, published = surface(before)
    classes_after, methods_after, _ = surface(after, published)
    for name, fields in classes_before.items():
        assert name in classes_after, f"model {name} disappeared"
        assert becomes_at_most_optional(fields, classes_after[name]), f"model {name} changed"
    for key, method in methods_before.items():
        assert methods_after[key] == method, f"method of {key} changed"
    assert len(methods_after) == len(methods_before) + 1


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@pytest.mark.slow
@given(collections_and_addition())
def test_removing_a_request_changes_no_remaining_model_or_method(
    pair: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    smaller, larger = pair
    classes_large, methods_large, published = surface(larger)
    classes_small, methods_small, _ = surface(smaller, published)
    for key, method in methods_small.items():
        assert methods_large[key] == method
    # A model the smaller collection has is the same model in the larger one, under the same name.
    for name, fields in classes_small.items():
        assert becomes_at_most_optional(fields, classes_large.get(name)), f"model {name} differs"


def test_a_model_never_takes_a_name_the_package_itself_uses() -> None:
    """models.py imports ApiModel, __init__ exports Client and the error classes: a request named
    like one of them, or a shared shape under such a key, gets a model named otherwise."""
    shared = {"client": {"id": 1}, "api_model": {"x": 1}}
    data = collection(
        request("Api Model", "https://api.test/a", responses=[response("ok", 200, shared)]),
        request("Not Found Error", "https://api.test/b", responses=[response("ok", 200, shared)]),
        request("Client", "https://api.test/c", responses=[response("ok", 200, {"c": 1})]),
    )
    _, _, names = stages(data)
    models = set(names.models.values()) | {alias for alias, _ in names.aliases}
    assert models.isdisjoint({"ApiModel", "NotFoundError", "Client"})
    assert {"ApiModelModel", "ClientModel", "ClientResponse"} <= models

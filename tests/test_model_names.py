"""Model and package names taken from the data: short, without repeated words, shared shapes named
from their own keys, and names a build published kept by the next one (through the manifest)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, Builder, collection, import_generated, request, response
from hypothesis import example, given, settings
from hypothesis import strategies as st
from zgen.diagnostics import Diagnostics
from zgen.infer import FieldShape, Shape, infer
from zgen.load import LoadedCollection
from zgen.naming import (
    LONG_NAME,
    Names,
    assign,
    collapse_runs,
    collision_name,
    package_name,
    pascal,
    repeated_run,
)
from zgen.naming import words as split_words
from zgen.normalize import normalize

URL = "https://api.example.com"


def names_of(data: dict[str, Any]) -> Names:
    diagnostics = Diagnostics()
    api = normalize(LoadedCollection("api.json", "api", data, "v2.1"), diagnostics)
    return assign(api, infer(api, diagnostics), "api")


def everything(names: Names) -> set[str]:
    return set(names.models.values()) | {alias for alias, _ in names.aliases}


def test_acronyms_stay_whole_in_package_and_class_words() -> None:
    assert package_name("Zoho CRM REST APIs v8") == "zoho_crm_rest_apis_v8"
    assert split_words("List APIs") == ["list", "apis"]
    assert split_words("getURLsList") == ["get", "urls", "list"]
    # every name made of words: namespaces and methods too (`External APIs` was `external_ap_is`)
    assert split_words("userIDs") == ["user", "ids"]
    names = names_of(
        collection(
            request("Get", f"{URL}/a", responses=[response("ok", 200, {"myAPIs": {"a": 1}})])
        )
    )
    assert "GetMyApis" in names.models.values()


def test_every_name_keeps_plural_acronyms_and_digit_acronyms_whole() -> None:
    """One word split serves every name: a folder, a request, a field key and the package (a real
    collection's `External APIs` folder was `client.external_ap_is`, `C2M` was `c2_m`)."""
    data = collection(
        {
            "name": "External APIs",
            "item": [
                request(
                    "List URLs",
                    f"{URL}/urls",
                    responses=[response("ok", 200, {"userIDs": [1], "S3Bucket": "b"})],
                )
            ],
        },
        name="C2M B2B APIs",
    )
    names = names_of(data)
    assert names.op_namespace == (("external_apis",),)
    assert names.namespaces[("external_apis",)] == "ExternalApis"
    assert names.methods == ("list_urls",)
    fields = dict(next(iter(names.fields.values())))
    assert fields == {"userIDs": "user_ids", "S3Bucket": "s3_bucket"}
    assert package_name("C2M B2B APIs") == "c2m_b2b_apis"
    table = {
        "v2API": ["v2", "api"],
        "Web3API": ["web3", "api"],
        "EC2Instance": ["ec2", "instance"],
        "E2E tests": ["e2e", "tests"],
        "getAPIsStatus": ["get", "apis", "status"],
        "HTTPServer": ["http", "server"],
        "ISO8601Date": ["iso8601", "date"],
        "page2Token": ["page2", "token"],
        "2FA": ["2", "fa"],
        "with 3DSecure": ["with", "3d", "secure"],
        "3DModel": ["3d", "model"],
    }
    assert {text: split_words(text) for text in table} == table


def test_repeated_word_runs_collapse() -> None:
    assert collapse_runs(["backup", "history", "history"]) == ["backup", "history"]
    assert collapse_runs(["get", "shift", "hour", "shift", "hour"]) == ["get", "shift", "hour"]
    assert collapse_runs(["shift", "hours", "shift", "hour"]) == ["shift", "hour"]
    assert collapse_runs(["document", "2", "document", "2", "pricing"]) == [
        "document",
        "2",
        "pricing",
    ]
    assert collapse_runs(["version", "1", "1"]) == ["version", "1", "1"]  # numbers only: kept
    assert collapse_runs(["rq", "1", "0", "0"]) == ["rq", "1", "0", "0"]  # digits are no words
    assert repeated_run("BackupHistoryHistory") and not repeated_run("BackupHistory")


def test_folder_words_the_request_repeats_are_dropped() -> None:
    job = {"details": {"id": "1", "created_by": {"id": "2", "name": "a"}}}
    names = names_of(
        collection(
            {
                "name": "Bulk Write",
                "item": [
                    request(
                        "Create Bulk Write Job",
                        f"{URL}/w",
                        method="POST",
                        responses=[response("ok", 201, job)],
                    ),
                ],
            },
            {
                "name": "Shift Hours",
                "item": [
                    request(
                        "Get Shift Hour",
                        f"{URL}/s",
                        responses=[response("ok", 200, {"shift_hours": [{"a": 1}]})],
                    ),
                ],
            },
            {
                "name": "Backup",
                "item": [
                    request(
                        "Backup History",
                        f"{URL}/b",
                        responses=[response("ok", 200, {"history": [{"b": 1}]})],
                    ),
                ],
            },
        )
    )
    models = set(names.models.values())
    assert {"CreateBulkWriteJobResponse", "CreateBulkWriteJobDetails"} <= models
    assert "GetShiftHour" in models and "BackupHistory" in models
    assert not any(name.startswith("BulkWriteCreate") for name in everything(names))
    assert not any(repeated_run(name) for name in everything(names))


def test_top_level_success_bodies_read_as_responses() -> None:
    names = names_of(
        collection(
            request(
                "Upload File",
                f"{URL}/u",
                method="POST",
                responses=[response("ok", 200, {"id": 1}), response("bad", 400, {"e": 1})],
            ),
            request("Job Details", f"{URL}/j", responses=[response("ok", 200, {"id": "x"})]),
        )
    )
    assert {"UploadFileResponse", "UploadFileError", "JobDetailsResponse"} <= set(
        names.models.values()
    )


def test_a_whole_body_keeps_its_name_from_the_object_under_a_key_of_the_same_word() -> None:
    """`{"error": {...}}` (a real collection's 400s) and `{"response": {...}}`: the object under
    the key collapses to the same words as the body, and took `<Request>Error` (the body became
    `AppAuthErrorWithErrorQueriesLog`, the class `Raises:` names and callers catch)."""
    error = {"error": {"client_id": ["required"]}, "queries_log": []}
    data = collection(
        request(
            "App Auth",
            f"{URL}/a",
            method="POST",
            responses=[response("ok", 200, {"token": "t"}), response("bad", 400, error)],
        ),
        request("Status", f"{URL}/s", responses=[response("ok", 200, {"response": {"a": 1}})]),
    )
    diagnostics = Diagnostics()
    api = normalize(LoadedCollection("api.json", "api", data, "v2.1"), diagnostics)
    inferred = infer(api, diagnostics)
    names = assign(api, inferred, "api")
    by_path = {
        (usage.role, usage.path): names.models[shape.id]
        for shape in inferred.shapes
        for usage in shape.usages
    }
    assert by_path[("error", ())] == "AppAuthError"
    assert by_path[("response", ())] == "StatusResponse"
    assert by_path[("error", ("error",))] != "AppAuthError"


def test_a_shared_shape_is_named_from_its_own_key_path_where_that_is_unique() -> None:
    person = {"id": "1", "name": "Ada"}
    names = names_of(
        collection(
            {
                "name": "Attachments",
                "item": [
                    request(
                        "Delete Attachment",
                        f"{URL}/a",
                        method="DELETE",
                        responses=[
                            response(
                                "ok",
                                200,
                                {
                                    "data": [{"details": {"created_by": person}}],
                                    "file": {"size": 1},
                                },
                            )
                        ],
                    ),
                ],
            },
            {
                "name": "Bulk Write",
                "item": [
                    request(
                        "Job Details",
                        f"{URL}/j",
                        responses=[
                            response(
                                "ok",
                                200,
                                {
                                    "created_by": person,
                                    "resource": [{"file": {"name": "a.csv", "count": 1}}],
                                },
                            )
                        ],
                    ),
                    request(
                        "Job Status",
                        f"{URL}/s",
                        responses=[
                            response(
                                "ok",
                                200,
                                {
                                    "resource": [{"file": {"name": "b.csv", "count": 2}}],
                                },
                            )
                        ],
                    ),
                ],
            },
        )
    )
    models = set(names.models.values())
    assert {"CreatedBy", "ResourceFile"} <= models
    # the requests' own names for it stay importable
    assert ("BulkWriteJobDetailsCreatedBy", "CreatedBy") in names.aliases


def field_types(names: Names, data: dict[str, Any]) -> dict[str, str]:
    """Each field key of the collection's shapes -> the class name of the shape it holds."""
    diagnostics = Diagnostics()
    api = normalize(LoadedCollection("api.json", "api", data, "v2.1"), diagnostics)
    inferred = infer(api, diagnostics)
    named = assign(api, inferred, "api")
    assert named.models == names.models
    found: dict[str, str] = {}
    for shape in inferred.shapes:
        for f in shape.fields:
            ref = f.type
            while ref[0] == "list":
                ref = ref[1]
            if ref[0] == "model":
                found[f.key] = named.models[ref[1]]
    return found


ADDRESS = {"street": "1 Main St", "city": "Springfield", "zip": "12345"}


def test_a_shape_under_keys_that_end_alike_is_named_by_what_they_share() -> None:
    """`shipping_address: BillingAddress` reads as a bug: a shape held by keys that end in the same
    words is named by those words, in any key spelling, for objects and arrays of them; the
    request's own names stay importable."""
    order = {
        "billing_address": ADDRESS,
        "shippingAddress": ADDRESS,
        "pickup_points": [{"lat": 1.5, "lng": 2.5}],
        "dropPoints": [{"lat": 3.5, "lng": 4.5}],
    }
    data = collection(
        request("Get Order", f"{URL}/o", responses=[response("ok", 200, order)]),
    )
    names = names_of(data)
    types = field_types(names, data)
    assert types["billing_address"] == types["shippingAddress"] == "GetOrderAddress"
    assert types["pickup_points"] == types["dropPoints"] == "GetOrderPoint"
    assert {("GetOrderBillingAddress", "GetOrderAddress")} <= set(names.aliases)
    assert ("GetOrderShippingAddress", "GetOrderAddress") in names.aliases


def test_a_shape_that_several_requests_share_under_alike_keys_is_named_by_the_shared_words() -> (
    None
):
    data = collection(
        request(
            "Get Order",
            f"{URL}/o",
            responses=[response("ok", 200, {"billing_address": ADDRESS, "id": 1})],
        ),
        request(
            "Get Customer",
            f"{URL}/c",
            responses=[response("ok", 200, {"home_address": ADDRESS, "work_address": ADDRESS})],
        ),
    )
    names = names_of(data)
    types = field_types(names, data)
    assert {types[k] for k in ("billing_address", "home_address", "work_address")} == {"Address"}


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        # nothing shared: the shortest of the keys' own names, as before
        (("subtotal", "tax", "total"), "GetOrderTax"),
        # what they share is a connective, not a name
        (("created_by", "modified_by"), "GetOrderCreatedBy"),
        # one key: its own name
        (("billing_address",), "GetOrderBillingAddress"),
    ],
)
def test_keys_that_share_no_naming_word_keep_their_own_names(
    keys: tuple[str, ...], expected: str
) -> None:
    body = {key: {"amount": 1, "currency": "EUR"} for key in keys}
    data = collection(request("Get Order", f"{URL}/o", responses=[response("ok", 200, body)]))
    names = names_of(data)
    types = field_types(names, data)
    assert {types[key] for key in keys} == {expected}


def test_a_key_path_two_shapes_claim_names_neither() -> None:
    names = names_of(
        collection(
            request("Get A", f"{URL}/a", responses=[response("ok", 200, {"owner": {"id": 1}})]),
            request("Get B", f"{URL}/b", responses=[response("ok", 200, {"owner": {"id": 1}})]),
            request("Get C", f"{URL}/c", responses=[response("ok", 200, {"owner": {"x": "s"}})]),
            request("Get D", f"{URL}/d", responses=[response("ok", 200, {"owner": {"x": "s"}})]),
        )
    )
    models = set(names.models.values())
    assert "Owner" not in models and {"GetAOwner", "GetCOwner"} <= models


words = st.lists(
    st.sampled_from(
        [
            "Document",
            "Parser",
            "Auto",
            "Extract",
            "Invoices",
            "Orders",
            "Statements",
            "Booking",
            "Refundable",
            "Create",
            "Get",
            "Flight",
            "Pricing",
            "Qualifiers",
            "V1",
            "2",
            "2024",
        ]
    ),
    min_size=1,
    max_size=9,
).map(" ".join)
keys = st.sampled_from(
    ["flightPricingQualifiers", "formsOfPayment", "card_holder", "address", "retailingFilter"]
)


@settings(max_examples=60, deadline=None)
@given(folders=st.lists(words, max_size=3), name=words, path=st.lists(keys, min_size=1, max_size=4))
# (a word given way to fit brought two runs together: FlightFlightPricingQualifiersCIBJ)
@example(folders=["Flight"], name="Document", path=["flightPricingQualifiers"] * 4)
def test_names_stay_short_however_long_the_folders_requests_and_paths(
    folders: list[str], name: str, path: list[str]
) -> None:
    body: Any = {"leaf": 1}
    for key in reversed(path):
        body = {key: body}
    item: dict[str, Any] = request(
        name,
        f"{URL}/x",
        method="POST",
        responses=[response("ok", 200, body)],
        body={"mode": "raw", "raw": json.dumps(body), "options": {"raw": {"language": "json"}}},
    )
    for folder in reversed(folders):
        item = {"name": folder, "item": [item]}
    names = names_of(collection(item))
    for model in names.models.values():
        assert model.isidentifier() and len(model) <= LONG_NAME, model
        assert not repeated_run(model), model


SHARED = {"created_by": {"id": "1", "name": "Ada"}}


def two_requests(*, contested: bool) -> dict[str, Any]:
    items = [
        request("Get A", f"{URL}/a", responses=[response("ok", 200, SHARED)]),
        request("Get B", f"{URL}/b", responses=[response("ok", 200, {"x": 1, **SHARED})]),
    ]
    if contested:
        other = {"created_by": {"email": "a@b.c"}}
        items += [
            request("Get C", f"{URL}/c", responses=[response("ok", 200, other)]),
            request("Get D", f"{URL}/d", responses=[response("ok", 200, {"y": 1, **other})]),
        ]
    return collection(*items)


def exported(out: Path, package: str) -> set[str]:
    text = (out / package / "models.py").read_text(encoding="utf-8")
    return set(re.findall(r'^    "(\w+)",$', text.split("__all__ = [")[1], re.MULTILINE))


def test_a_published_name_survives_a_change_that_would_rename_it(build_collection: Builder) -> None:
    """`CreatedBy` is published; two new requests contest the key path. The manifest keeps it."""
    _, out = build_collection(two_requests(contested=False))
    assert "CreatedBy" in exported(out, "test_api")
    manifest = json.loads((out / "test_api" / ".zgen-manifest.json").read_text())
    assert "CreatedBy" in manifest["models"]
    _, out = build_collection(two_requests(contested=True))
    assert "CreatedBy" in exported(out, "test_api")
    check = import_generated(
        out,
        "test_api",
        "from test_api import CreatedBy, GetAResponse\n"
        "r = GetAResponse.model_validate({'created_by': {'id': '1', 'name': 'Ada'}})\n"
        "assert isinstance(r.created_by, CreatedBy)\n",
    )
    assert check.returncode == 0, check.stderr


def test_a_fresh_build_names_the_contested_shapes_from_their_requests(
    build_collection: Builder,
) -> None:
    _, out = build_collection(two_requests(contested=True))
    assert "CreatedBy" not in exported(out, "test_api")


@pytest.mark.parametrize(
    "old",
    ["BulkWriteJobDetails", "BulkWriteUploadFile", "BulkWriteCreateBulkWriteJobDetailsCreatedBy"],
)
def test_names_the_committed_package_published_before_stay_importable(old: str) -> None:
    assert old in exported(REPO / "generated", "zoho_crm_bulk_write")


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda body: {**body, "added": True}, id="a key added"),
        pytest.param(lambda body: {k: v for k, v in body.items() if k != "email"}, id="a key gone"),
        pytest.param(lambda body: {**body, "age": "forty"}, id="a type changed"),
        pytest.param(
            lambda body: {**body, "owner": {**body["owner"], "team": "x"}}, id="a nested key added"
        ),
    ],
)
def test_a_changed_saved_response_keeps_every_published_name(tmp_path: Path, edit: Any) -> None:
    """The everyday change: a saved response of a request is edited. Its models' shapes (and so
    their digests in the manifest) change, yet every class keeps its name and every name the
    first build published stays importable."""
    from zgen.pipeline import build
    from zgen.write import read_manifest

    body = {"id": 1, "email": "a@b.c", "age": 40, "owner": {"id": 2, "name": "n"}}

    def data(saved: dict[str, Any]) -> dict[str, Any]:
        return collection(
            request("Get user", f"{URL}/users/1", responses=[response("ok", 200, saved)]),
            request("List teams", f"{URL}/teams", responses=[response("ok", 200, {"n": 1})]),
        )

    source = tmp_path / "api.json"
    out = tmp_path / "out"
    source.write_text(json.dumps(data(body)), encoding="utf-8")
    build([source], out, packages={source: "api"})
    before = read_manifest(out / "api")
    source.write_text(json.dumps(data(edit(body))), encoding="utf-8")
    build([source], out, packages={source: "api"})
    after = read_manifest(out / "api")
    assert set(before.models) <= set(after.models), "a class was renamed"
    assert set(before.aliases) <= set(after.aliases) | set(after.models)


NAME_WORD = st.sampled_from(
    ["various", "modify", "booking", "remove", "request", "traveler", "ktn", "rn", "v2", "identity"]
)
KEY = st.sampled_from(["givenName", "birth_date", "ancillaries", "x", "documentNumber", "id"])


def made_of(text: str, pieces: list[str]) -> bool:
    """Whether `text` is some of `pieces`, whole and in order."""
    if not text:
        return True
    return any(
        text.startswith(piece) and made_of(text[len(piece) :], pieces[i + 1 :])
        for i, piece in enumerate(pieces)
    )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(NAME_WORD, min_size=1, max_size=14),
    st.lists(KEY, min_size=0, max_size=3, unique=True),
)
def test_a_collision_name_is_short_and_made_of_whole_words(
    name_words: list[str], keys: list[str]
) -> None:
    """The last resort of a shape whose every candidate is taken (a vendor's many near-identical
    request bodies): the candidate, `With` and the shape's keys, the request's words giving way
    to fit LONG_NAME; letters from the shape's structure only when the name is taken or cannot
    fit, and then after whole words (it was `...RequeDBKJ`, cut in the middle of a word)."""
    name = pascal(name_words)
    shape = Shape(0, tuple(FieldShape(k, ("str",), True) for k in keys), (), ())
    identity = {0: ",".join(keys)}
    pieces = [*(pascal([w]) for w in name_words), "With", *(pascal(split_words(k)) for k in keys)]
    if not keys:
        pieces.append("Empty")
    for taken in (set(), {collision_name(name, shape, identity, set())}):
        found = collision_name(name, shape, identity, set(taken))
        assert len(found) <= LONG_NAME and found.isidentifier() and found not in taken
        assert found.startswith(pascal(name_words[:1]))
        readable = found
        if taken or not made_of(found, pieces):
            readable = found[:-4]  # letters from the shape's structure, after whole words
            assert found[-4:].isalpha() and found[-4:].isupper()
        assert made_of(readable, pieces), found
        if not taken and len(name_words) <= 4 and readable == found:
            assert found.startswith(name)  # (a short name keeps every word)

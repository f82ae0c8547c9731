"""Method names: at most about 40 characters (80 where a shorter cut would lose what sets a request
apart from another of its namespace), cut at a word boundary, never ending on a connective, unique
within their namespace (a clash numbered), and stable when other requests are added."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from conftest import Builder, collection, request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zgen.diagnostics import Diagnostics
from zgen.infer import infer
from zgen.load import LoadedCollection
from zgen.naming import (
    CONNECTIVES,
    LONG_METHOD_CHARS,
    MAX_METHOD_CHARS,
    assign,
    cut_method_name,
    sibling_cuts,
)
from zgen.normalize import normalize

URL = "https://api.example.test"


def methods(data: dict[str, Any]) -> dict[str, str]:
    diagnostics = Diagnostics()
    api = normalize(LoadedCollection("a.json", "a", data, "v2.1"), diagnostics)
    names = assign(api, infer(api, diagnostics), "a")
    return {op.place: method for op, method in zip(api.operations, names.methods, strict=True)}


def test_a_long_name_is_cut_at_a_word_and_not_on_a_connective() -> None:
    found = methods(
        collection(
            request(
                "Get list of customers under the MSP account based on limit and offset", f"{URL}/c"
            ),
            request("Retrieve the details of a single order by its identifier and the", f"{URL}/o"),
            request("Get the list of all users, sorted by name.", f"{URL}/users"),
        )
    )
    assert list(found.values()) == [
        "get_list_of_customers_under_the_msp",
        "retrieve_the_details_of_a_single_order",
        "get_the_list_of_all_users_sorted_by_name",  # 40 characters: kept whole
    ]


def test_names_cut_to_the_same_words_stay_unique_and_stable() -> None:
    first = request("Update the customer record with the new billing address now", f"{URL}/a")
    second = request(
        "Update the customer record with the new billing address later", f"{URL}/b", method="PUT"
    )
    third = request(
        "Update the customer record with the new billing address today", f"{URL}/c", method="PUT"
    )
    other = request("Delete every customer record of an account at once, for good", f"{URL}/d")
    together = methods(collection(first, second, third))
    assert len(set(together.values())) == 3
    for name in together.values():
        assert name.startswith("update_the_customer_record_with_the_new")
    # A cut name depends on its own request only: adding an unrelated one changes nothing.
    alone = methods(collection(first, {"name": "F", "item": [second]}))
    more = methods(collection(first, {"name": "F", "item": [second, other]}))
    assert alone.items() <= more.items()
    assert alone == {
        "Update the customer record with the new billing address now": (
            "update_the_customer_record_with_the_new"
        ),
        "F / Update the customer record with the new billing address later": (
            "update_the_customer_record_with_the_new"
        ),
    }


WORD = st.sampled_from(
    ["get", "list", "of", "the", "customer", "and", "by", "account", "x", "based", "on", "v2", "a"]
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(WORD, min_size=1, max_size=25))
def test_cut_method_names_property(parts: list[str]) -> None:
    name = "_".join(parts)
    cut = cut_method_name(name)
    assert name.startswith(cut)
    assert len(cut) <= MAX_METHOD_CHARS or "_" not in cut
    if cut != name:
        assert name[len(cut)] == "_"  # cut at a word boundary
        words = cut.split("_")
        assert words[-1] not in CONNECTIVES or len(words) == 1
    else:
        assert len(name) <= MAX_METHOD_CHARS


def test_a_cut_that_would_lose_what_sets_a_request_apart_is_not_made() -> None:
    """Two requests of a namespace that differ only after the 40th character keep the words that
    tell them apart (a real collection had `estimate_the_transaction_cost()` for "...for a token"
    beside `estimate_the_transaction_cost_for_a_card()`); a clash that is left is numbered, never
    settled with a trailing underscore."""
    diagnostics = Diagnostics()
    data = collection(
        request("Estimate the transaction cost for a card", f"{URL}/e", method="POST"),
        request("Estimate the transaction cost for a token", f"{URL}/e", method="POST"),
        request("Get list of customers under the MSP account based on limit", f"{URL}/c"),
        request("Same", f"{URL}/s"),
        request("Same", f"{URL}/s"),
        request("Same", f"{URL}/s"),
    )
    api = normalize(LoadedCollection("a.json", "a", data, "v2.1"), diagnostics)
    found = assign(api, infer(api, diagnostics), "a").methods
    assert list(found) == [
        "estimate_the_transaction_cost_for_a_card",
        "estimate_the_transaction_cost_for_a_token",
        "get_list_of_customers_under_the_msp",  # (no sibling shares the cut: cut as before)
        "same_get_s",
        "same_get_s_2",
        "same_get_s_3",
    ]


def reference_sibling_cuts(full: list[str], ns_paths: list[tuple[str, ...]]) -> list[str]:
    """The rule as written: a cut loses when another full name of the namespace is the cut, or
    starts with its words."""
    bases = []
    for index, name in enumerate(full):
        cut = cut_method_name(name)
        lost = cut != name and any(
            ns_paths[other] == ns_paths[index]
            and full[other] != name
            and (full[other] == cut or full[other].startswith(cut + "_"))
            for other in range(len(full))
        )
        bases.append(cut_method_name(name, LONG_METHOD_CHARS) if lost else cut)
    return bases


LONG_WORDS = st.sampled_from(["estimate", "the", "transaction", "cost", "for", "a", "card", "x1"])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(LONG_WORDS, min_size=1, max_size=14), st.sampled_from(["", "f"])),
        max_size=12,
    )
)
def test_sibling_cuts_follow_the_rule(requests: list[tuple[list[str], str]]) -> None:
    full = ["_".join(parts) for parts, _ in requests]
    ns_paths: list[tuple[str, ...]] = [(folder,) if folder else () for _, folder in requests]
    assert sibling_cuts(full, ns_paths) == reference_sibling_cuts(full, ns_paths)


def built_methods(out: Path, package: str = "test_api") -> list[str]:
    text = (out / package / "client.py").read_text(encoding="utf-8")
    found = re.findall(r"^    def (\w+)\(", text.split("class AsyncUsersResource", 1)[0], re.M)
    return [name for name in found if name != "__init__"]


GET_USER = request("Get User", f"{URL}/users/:id")
ESTIMATE = request("Estimate the transaction cost of a payment for a token", f"{URL}/est/token")


def users(*items: dict[str, Any]) -> dict[str, Any]:
    return collection({"name": "Users", "item": list(items)})


def test_a_request_added_beside_another_does_not_rename_it(build_collection: Builder) -> None:
    """Users' code calls the methods of the last build: a request added later, whose name clashes
    with one (a second `Get User`) or shares its cut (`... for a card`), is named around it. A fresh
    build, with nothing published, names them all by the rule."""
    clash = request("Get User", f"{URL}/users/by-email")
    card = request("Estimate the transaction cost of a payment for a card", f"{URL}/est/card")
    _, out = build_collection(users(GET_USER, ESTIMATE))
    assert built_methods(out) == ["get_user", "estimate_the_transaction_cost"]
    manifest = json.loads((out / "test_api" / ".zgen-manifest.json").read_text(encoding="utf-8"))
    assert manifest["methods"]["users get_user GET /users/{id}"] == "get_user"
    _, out = build_collection(users(GET_USER, ESTIMATE, clash, card))
    kept = built_methods(out)
    assert kept[:2] == ["get_user", "estimate_the_transaction_cost"]
    assert len(set(kept)) == 4 and "get_user" not in kept[2:]
    fresh = methods(users(GET_USER, ESTIMATE, clash, card))
    assert "get_user" not in fresh.values()  # (the rule alone renames both clashing requests)
    # a request renamed, moved or sent elsewhere is another request: the rule names it
    renamed = request("Fetch User", f"{URL}/users/:id")
    _, out = build_collection(users(renamed, ESTIMATE))
    assert built_methods(out) == ["fetch_user", "estimate_the_transaction_cost"]


def test_a_published_method_name_is_kept_only_where_it_is_safe(build_collection: Builder) -> None:
    """The manifest is a file anyone can edit: a name that is no identifier, a keyword, a reserved
    method or a name another request keeps is not taken; two requests of the same key keep none."""
    _, out = build_collection(users(GET_USER, ESTIMATE))
    path = out / "test_api" / ".zgen-manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for bad in ("get_user(); import os", "class", "with_raw_response", "Get_User", "estimate"):
        manifest["methods"] = {
            "users get_user GET /users/{id}": bad,
            "users estimate_the_transaction_cost_of_a_payment_for_a_token GET /est/token": "estimate",
        }
        path.write_text(json.dumps(manifest), encoding="utf-8")
        _, out = build_collection(users(GET_USER, ESTIMATE))
        expected = "estimate_the_transaction_cost" if bad == "estimate" else "estimate"
        assert built_methods(out) == ["get_user", expected]
        manifest = json.loads(path.read_text(encoding="utf-8"))
    twin = request("Get User", f"{URL}/users/:id")
    manifest["methods"] = {"users get_user GET /users/{id}": "the_user"}
    path.write_text(json.dumps(manifest), encoding="utf-8")
    _, out = build_collection(users(GET_USER, twin))
    assert "the_user" not in built_methods(out)


def test_a_name_every_folder_uses_is_kept_in_each(build_collection: Builder) -> None:
    """Method names are unique within a namespace, not across them: `get_user` in two folders is
    kept in both when a second `Get User` joins one of them (a claim counted across folders made
    the manifest's `get_user` ambiguous, and both were renamed)."""
    admins = request("Get User", f"{URL}/admins/:id")
    clash = request("Get User", f"{URL}/users/by-email")

    def two_folders(*extra: dict[str, Any]) -> dict[str, Any]:
        return collection(
            {"name": "Users", "item": [GET_USER, *extra]}, {"name": "Admins", "item": [admins]}
        )

    _, out = build_collection(two_folders())
    client = (out / "test_api" / "client.py").read_text(encoding="utf-8")
    assert client.count("def get_user(") == 4  # (sync and async, in each folder)
    _, out = build_collection(two_folders(clash))
    client = (out / "test_api" / "client.py").read_text(encoding="utf-8")
    assert client.count("def get_user(") == 4
    assert "    def get_user_get_users_by_email(" in client

"""`zgen diff OLD NEW`: each kind of API change, whether it breaks code written against OLD, exit codes."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import collection, request, response
from zgen.cli import main
from zgen.diagnostics import Diagnostics
from zgen.diff import compare

USER = {"id": 1, "name": "Ada", "address": {"city": "Paris"}}


def old_version() -> dict[str, Any]:
    return collection(
        {
            "name": "Users",
            "item": [
                request(
                    "List users",
                    "https://api.example.test/users?page=1",
                    responses=[response("ok", 200, {"users": [USER]})],
                ),
                request(
                    "Get user",
                    {
                        "raw": "https://api.example.test/users/:id",
                        "host": ["api", "example", "test"],
                        "protocol": "https",
                        "path": ["users", ":id"],
                        "variable": [{"key": "id", "value": "42"}],
                    },
                    responses=[response("ok", 200, USER)],
                ),
                request(
                    "Delete user", "https://api.example.test/users/:id/delete", method="DELETE"
                ),
            ],
        },
        name="Users API",
    )


def users(data: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = data["item"][0]["item"]
    return items


def by_name(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(item for item in users(data) if item["name"] == name)


def set_body(item: dict[str, Any], body: Any) -> None:
    item["response"][0]["body"] = json.dumps(body)


def remove_request(data: dict[str, Any]) -> None:
    data["item"][0]["item"] = [item for item in users(data) if item["name"] != "Delete user"]


def add_request(data: dict[str, Any]) -> None:
    users(data).append(request("Create user", "https://api.example.test/users", method="POST"))


def rename_request(data: dict[str, Any]) -> None:
    by_name(data, "Get user")["name"] = "Fetch user"


def add_optional_param(data: dict[str, Any]) -> None:
    by_name(data, "List users")["request"][
        "url"
    ] = "https://api.example.test/users?page=1&sort=name"


def remove_param(data: dict[str, Any]) -> None:
    by_name(data, "List users")["request"]["url"] = "https://api.example.test/users"


def make_param_required(data: dict[str, Any]) -> None:
    by_name(data, "Get user")["request"]["url"]["variable"] = [{"key": "id", "value": ""}]


def add_field(data: dict[str, Any]) -> None:
    set_body(by_name(data, "Get user"), {**USER, "email": "ada@example.test"})


def remove_field(data: dict[str, Any]) -> None:
    set_body(by_name(data, "Get user"), {"id": 1, "address": {"city": "Paris"}})


def change_field_type(data: dict[str, Any]) -> None:
    set_body(by_name(data, "Get user"), {**USER, "id": "1"})


def change_nested_field_type(data: dict[str, Any]) -> None:
    set_body(by_name(data, "List users"), {"users": [{**USER, "address": {"city": 75}}]})


CASES: list[tuple[Callable[[dict[str, Any]], None], str, str, bool]] = [
    (remove_request, "request-removed", "users.delete_user", True),
    (add_request, "request-added", "users.create_user", False),
    (rename_request, "request-renamed", "users.get_user", True),
    (add_optional_param, "param-added", "sort", False),
    (remove_param, "param-removed", "page", True),
    (make_param_required, "param-required", "id", True),
    (add_field, "field-added", "email", False),
    (remove_field, "field-removed", "name", True),
    (change_field_type, "field-type", "id", True),
    (change_nested_field_type, "field-type", "users[].address.city", True),
]


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "kind", "subject", "breaking"), CASES, ids=[case[0].__name__ for case in CASES]
)
def test_each_kind_of_change(
    tmp_path: Path,
    change: Callable[[dict[str, Any]], None],
    kind: str,
    subject: str,
    breaking: bool,
) -> None:
    old = write(tmp_path / "old.json", old_version())
    data = copy.deepcopy(old_version())
    change(data)
    new = write(tmp_path / "new.json", data)
    result = compare(old, new, Diagnostics())
    kinds = [
        (c.kind, c.subject if c.kind.startswith(("param", "field")) else c.request)
        for c in result.changes
    ]
    assert (kind, subject) in kinds, kinds
    assert result.breaking is breaking
    run = CliRunner().invoke(main, ["diff", str(old), str(new)])
    assert run.exit_code == (1 if breaking else 0), run.output
    assert subject.split(".")[-1] in run.output
    if breaking:
        assert "BREAKING" in run.output


def test_rename_names_both_accessors(tmp_path: Path) -> None:
    old = write(tmp_path / "old.json", old_version())
    data = old_version()
    rename_request(data)
    result = compare(old, write(tmp_path / "new.json", data), Diagnostics())
    renamed = [c for c in result.changes if c.kind == "request-renamed"]
    assert [(c.old, c.new) for c in renamed] == [("users.get_user", "users.fetch_user")]
    assert not [c for c in result.changes if c.kind in ("request-added", "request-removed")]


def test_a_request_added_beside_one_of_the_same_name_breaks_nothing(tmp_path: Path) -> None:
    """NEW is named as a rebuild over OLD's package names it: the existing `get_user` stays (a
    fresh naming would call both `get_user_get_users...` and report a breaking rename)."""
    old = write(tmp_path / "old.json", old_version())
    data = old_version()
    users(data).append(request("Get user", "https://api.example.test/users/by-email/:email"))
    result = compare(old, write(tmp_path / "new.json", data), Diagnostics())
    assert [(c.kind, c.request) for c in result.changes] == [
        ("request-added", "users.get_user_get_users_by_email")
    ]
    assert not result.breaking


def test_no_change_exits_zero(tmp_path: Path) -> None:
    old = write(tmp_path / "old.json", old_version())
    new = write(tmp_path / "new.json", old_version())
    run = CliRunner().invoke(main, ["diff", str(old), str(new)])
    assert run.exit_code == 0
    assert "no changes" in run.output and "0 change(s), 0 breaking" in run.output


def test_json_format(tmp_path: Path) -> None:
    old = write(tmp_path / "old.json", old_version())
    data = old_version()
    remove_request(data)
    add_field(data)
    run = CliRunner().invoke(
        main, ["diff", str(old), str(write(tmp_path / "new.json", data)), "--format", "json"]
    )
    assert run.exit_code == 1
    report = json.loads(run.output)
    assert report["breaking"] is True
    kinds = {(c["kind"], c["breaking"]) for c in report["changes"]}
    assert ("request-removed", True) in kinds and ("field-added", False) in kinds
    assert set(report["changes"][0]) == {"kind", "request", "subject", "breaking", "old", "new"}


def test_bad_input_exits_two(tmp_path: Path) -> None:
    old = write(tmp_path / "old.json", old_version())
    bad = tmp_path / "bad.json"
    bad.write_text("{nope", encoding="utf-8")
    run = CliRunner().invoke(main, ["diff", str(old), str(bad)])
    assert run.exit_code == 2
    assert "bad.json" in run.output and "invalid JSON" in run.output

"""Postman environment files: defaults for variables, and never a secret in generated code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import collection, request, response
from zgen.diagnostics import Diagnostics, ZgenError
from zgen.environment import load_environment, merge_environment, parse_environment
from zgen.load import load
from zgen.normalize import normalize
from zgen.pipeline import build

SECRET = "s3cr3t-VALUE-never-in-code"
API_KEY = "AKIA-not-a-real-key-9876"


def env_file(path: Path, values: list[dict[str, Any]]) -> Path:
    path.write_text(
        json.dumps(
            {
                "id": "x",
                "name": "Production",
                "values": values,
                "_postman_variable_scope": "environment",
            }
        ),
        encoding="utf-8",
    )
    return path


def zoho_like() -> dict[str, Any]:
    return collection(
        request(
            "Get record",
            "{{api-domain}}/crm/v8/{{module}}/:id",
            header=[
                {"key": "X-Org", "value": "{{org-id}}"},
                {"key": "X-Api-Key", "value": "{{api_key}}"},
            ],
            responses=[response("ok", 200, {"id": "1"})],
        ),
        name="CRM",
        variable=[
            {"key": "api-domain", "value": "https://www.zohoapis.com"},
            {"key": "org-id", "value": ""},
            {"key": "module", "value": "Leads"},
        ],
        auth={"type": "bearer", "bearer": [{"key": "token", "value": "{{access-token}}"}]},
    )


def values() -> list[dict[str, Any]]:
    return [
        {
            "key": "api-domain",
            "value": "https://www.zohoapis.eu",
            "type": "default",
            "enabled": True,
        },
        {"key": "org-id", "value": "org-4711", "type": "default", "enabled": True},
        {"key": "module", "value": "Contacts", "type": "default", "enabled": False},
        {"key": "access-token", "value": SECRET, "type": "secret", "enabled": True},
        {"key": "api_key", "value": API_KEY, "type": "default", "enabled": True},
        {"key": "session", "value": SECRET + "2", "type": "default", "enabled": True},
    ]


def all_text(folder: Path) -> str:
    """Every file under `folder`, the build cache's binary files among them, as text."""
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in sorted(folder.rglob("*")) if p.is_file()
    )


def test_parse_skips_disabled_and_marks_secrets() -> None:
    parsed = parse_environment("env.json", {"values": values()})
    assert parsed["api-domain"] == ("https://www.zohoapis.eu", False)
    assert parsed["access-token"] == (SECRET, True)
    assert "module" not in parsed


def test_merge_lays_environment_over_collection_and_drops_secret_values() -> None:
    merged = merge_environment(
        {"a": ("1", False, "doc a"), "b": ("2", False, ""), "c": ("3", True, "")},
        {
            "a": ("10", False),
            "b": ("", False),
            "c": ("30", False),
            "d": ("x", True),
            "e": ("5", False),
        },
    )
    assert merged["a"] == ("10", False, "doc a")
    assert merged["b"] == ("2", False, "")  # an empty environment value keeps the collection's
    assert merged["c"] == ("", True, "")  # secret in the collection stays secret, value dropped
    assert merged["d"] == ("", True, "")
    assert merged["e"] == ("5", False, "")


def test_environment_supplies_defaults_to_normalize(tmp_path: Path) -> None:
    source = tmp_path / "crm.json"
    source.write_text(json.dumps(zoho_like()), encoding="utf-8")
    env = load_environment(env_file(tmp_path / "prod.postman_environment.json", values()))
    api = normalize(load(source, Diagnostics()), Diagnostics(), environment=env)
    by_key = {var.key: var for var in api.variables}
    assert by_key["api-domain"].default == "https://www.zohoapis.eu"
    assert by_key["org-id"].default == "org-4711"
    assert by_key["access-token"].secret and by_key["access-token"].default is None
    assert by_key["api_key"].secret and by_key["api_key"].default is None
    plain = normalize(load(source, Diagnostics()), Diagnostics())
    assert {var.key: var for var in plain.variables}[
        "api-domain"
    ].default == "https://www.zohoapis.com"


def test_build_with_environment_writes_defaults_but_no_secret(tmp_path: Path) -> None:
    source = tmp_path / "crm.json"
    source.write_text(json.dumps(zoho_like()), encoding="utf-8")
    env = env_file(tmp_path / "prod.json", values())
    out = tmp_path / "out"
    build([source], out, environment=env)
    text = all_text(out)
    assert "https://www.zohoapis.eu" in text and "org-4711" in text
    assert SECRET not in text and API_KEY not in text
    assert "https://www.zohoapis.com" not in (out / "crm" / "client.py").read_text()


def test_environment_variable_missing_from_the_collection_is_a_default_too(tmp_path: Path) -> None:
    source = tmp_path / "api.json"
    source.write_text(
        json.dumps(collection(request("Ping", "{{host}}/ping"), name="Ping")), encoding="utf-8"
    )
    out = tmp_path / "out"
    build(
        [source],
        out,
        environment=env_file(
            tmp_path / "env.json",
            [{"key": "host", "value": "https://ping.example.test", "type": "default"}],
        ),
    )
    assert "https://ping.example.test" in (out / "ping" / "client.py").read_text()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"[1, 2]", "not a Postman environment"),
        (b'{"values": [{"value": "x"}]}', "non-empty string `key`"),
        (b'{"values": ["x"]}', "expected an object"),
        (b"{not json", "invalid JSON"),
    ],
)
def test_bad_environment_file_is_one_error_and_writes_nothing(
    tmp_path: Path, content: bytes, message: str
) -> None:
    source = tmp_path / "api.json"
    source.write_text(
        json.dumps(collection(request("Ping", "https://x.test/ping"), name="Ping")),
        encoding="utf-8",
    )
    env = tmp_path / "env.json"
    env.write_bytes(content)
    with pytest.raises(ZgenError, match=message) as caught:
        build([source], tmp_path / "out", environment=env)
    assert "env.json" in caught.value.line()
    assert not (tmp_path / "out").exists()


def test_missing_environment_file(tmp_path: Path) -> None:
    source = tmp_path / "api.json"
    source.write_text(
        json.dumps(collection(request("Ping", "https://x.test/ping"), name="Ping")),
        encoding="utf-8",
    )
    with pytest.raises(ZgenError, match="no such environment file"):
        build([source], tmp_path / "out", environment=tmp_path / "nope.json")

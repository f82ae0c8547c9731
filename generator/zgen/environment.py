"""Postman environment files: defaults for a collection's variables, secrets left out.

A Postman environment export is `{"name": ..., "values": [{"key", "value", "type", "enabled"}]}`,
`type` being "default" or "secret" (older exports say "text"). Enabled values become defaults of
the collection's variables, as Postman itself would resolve them (an environment value wins over
the collection's own). A value typed secret, and the value of any variable whose name says it
holds a credential, never reaches generated code: the variable becomes a credential argument.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .diagnostics import ZgenError
from .load import parse_json

# key -> (value, marked secret)
EnvironmentValues = dict[str, tuple[str, bool]]
MAX_ENVIRONMENT_BYTES = 16 * 1024 * 1024


def load_environment(path: Path) -> EnvironmentValues:
    """Read a Postman environment file; raise ZgenError naming the file and the place."""
    if not path.is_file():
        raise ZgenError(str(path), "", "no such environment file")
    try:
        size = path.stat().st_size
        if size > MAX_ENVIRONMENT_BYTES:
            raise ZgenError(
                path.name,
                "",
                f"environment file is {size} bytes, over the limit of {MAX_ENVIRONMENT_BYTES}",
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise ZgenError(str(path), "", f"cannot read: {exc.strerror or exc}") from None
    return parse_environment(path.name, parse_json(path.name, raw))


def parse_environment(file: str, data: Any) -> EnvironmentValues:
    if not isinstance(data, dict) or not isinstance(data.get("values"), list):
        raise ZgenError(
            file, "/", "not a Postman environment: expected an object with a `values` list"
        )
    result: EnvironmentValues = {}
    for index, entry in enumerate(data["values"]):
        if not isinstance(entry, dict):
            raise ZgenError(
                file, f"/values/{index}", f"expected an object, found {type(entry).__name__}"
            )
        key = entry.get("key")
        if not isinstance(key, str) or not key:
            raise ZgenError(file, f"/values/{index}", "needs a non-empty string `key`")
        if entry.get("enabled") is False:
            continue
        value = entry.get("value")
        text = value if isinstance(value, str) else ("" if value is None else json.dumps(value))
        result[key] = (text, entry.get("type") == "secret")
    return result


def merge_environment(
    variables: dict[str, tuple[str, bool, str]], environment: EnvironmentValues | None
) -> dict[str, tuple[str, bool, str]]:
    """Collection variables (key -> value, secret, description) with an environment's values laid over.

    A non-empty environment value replaces the collection's value; a secret one (in either) is
    kept only as a mark, with its value dropped, so no later stage can take it for a default.
    """
    merged = dict(variables)
    for key, (value, secret) in (environment or {}).items():
        old_value, old_secret, description = merged.get(key, ("", False, ""))
        if secret or old_secret:
            merged[key] = ("", True, description)
        elif value:
            merged[key] = (value, False, description)
        else:
            merged[key] = (old_value, False, description)
    return merged

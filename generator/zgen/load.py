"""Stage 1: bytes to JSON, with the collection's schema version detected."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostics, ZgenError, json_kind

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
MAX_FOLDER_DEPTH = 64


@dataclass(frozen=True)
class LoadedCollection:
    """A parsed collection file: its display name (the file name), data and schema version."""

    file: str
    stem: str
    data: dict[str, Any]
    version: str


def load(
    path: Path, diagnostics: Diagnostics, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> LoadedCollection:
    """Read and parse one collection file; raise ZgenError naming the file and the place."""
    file = path.name
    if not path.exists():
        raise ZgenError(str(path), "", "no such file")
    if path.is_dir():
        raise ZgenError(str(path), "", "is a directory, not a collection file")
    try:
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        raise ZgenError(str(path), "", f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:
        raise ZgenError(
            file, "", f"file is over the limit of {max_bytes} bytes (raise --max-bytes)"
        )
    data = parse_json(file, raw)
    if (
        isinstance(data, dict)
        and "item" not in data
        and isinstance(data.get("collection"), dict)
        and "item" in data["collection"]
    ):
        # The Postman API's answer (GET /collections/{uid}): the collection under "collection";
        # the places messages name are within it
        data = data["collection"]
    return LoadedCollection(
        file, path.stem, check_collection(file, path.stem, data, diagnostics), detect_version(data)
    )


def parse_json(file: str, raw: bytes) -> Any:
    """Decode UTF-8 (a BOM is accepted) and parse JSON, reporting line and column on errors."""
    if not raw.strip():
        raise ZgenError(file, "", "file is empty; expected a Postman collection (JSON)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ZgenError(file, f"byte {exc.start}", "file is not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ZgenError(
            file, f"line {exc.lineno} column {exc.colno}", f"invalid JSON: {exc.msg}"
        ) from None
    except RecursionError:
        raise ZgenError(file, "", "JSON nesting is too deep to be a Postman collection") from None


def detect_version(data: dict[str, Any]) -> str:
    info = data.get("info")
    schema = info.get("schema", "") if isinstance(info, dict) else ""
    if isinstance(schema, str):
        for version in ("v2.1", "v2.0", "v1"):
            if f"/{version}" in schema:
                return version.lstrip("v")
    return "unknown"


def check_collection(file: str, stem: str, data: Any, diagnostics: Diagnostics) -> dict[str, Any]:
    """Check the top-level shape: an object with an `item` list, and not a v1 collection."""
    if not isinstance(data, dict):
        raise ZgenError(
            file, "/", f"expected a Postman collection (a JSON object), found {json_kind(data)}"
        )
    if detect_version(data) == "1" or ("requests" in data and "item" not in data):
        raise ZgenError(
            file,
            "/",
            "this is a Postman v1 collection; zgen reads v2.0 and v2.1. Export it again from Postman as "
            "Collection v2.1, or convert it: npx postman-collection-transformer convert "
            "-i in.json -o out.json -j 1.0.0 -p 2.1.0",
        )
    if "item" not in data:
        raise ZgenError(file, "/", f"not a Postman collection: {what_it_is(data)}")
    if not isinstance(data["item"], list):
        raise ZgenError(file, "/item", f"expected a list of items, found {json_kind(data['item'])}")
    if not isinstance(data.get("info"), dict):
        diagnostics.warn(
            file, "/info", f"no `info` block; naming the package after the file ({stem!r})"
        )
    else:
        schema = data["info"].get("schema")
        if isinstance(schema, str) and schema.strip() and detect_version(data) == "unknown":
            shown = schema if len(schema) <= 120 else f"{schema[:117]}..."
            diagnostics.warn(
                file,
                "/info/schema",
                f"unknown schema version {shown!r}: zgen reads Postman v2.0 and v2.1; building it as v2.1",
            )
    check_depth(file, data)
    return data


def what_it_is(data: dict[str, Any]) -> str:
    """What a JSON object that is no collection looks like, and what to do (for the message)."""
    if "openapi" in data or "swagger" in data:
        return (
            "this is an OpenAPI document; zgen reads Postman collections. Import it into Postman "
            "(Import > OpenAPI), then export the collection as Collection v2.1"
        )
    if data.get("_postman_variable_scope") == "environment" or (
        isinstance(data.get("values"), list) and "name" in data
    ):
        return "this is a Postman environment; pass it with --environment, beside the collection"
    if isinstance(data.get("collections"), list):
        return (
            "this is a Postman data dump (a list of collections); export each collection on its "
            "own as Collection v2.1"
        )
    return "the object has no `item` list"


def check_depth(file: str, data: dict[str, Any]) -> None:
    """Reject folder nesting deeper than any real collection, without recursing."""
    stack: list[tuple[Any, str, int]] = [(data["item"], "/item", 1)]
    while stack:
        items, pointer, depth = stack.pop()
        if depth > MAX_FOLDER_DEPTH:
            shown = pointer if len(pointer) <= 80 else f"{pointer[:40]}...{pointer[-30:]}"
            raise ZgenError(file, shown, f"folders nested more than {MAX_FOLDER_DEPTH} deep")
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            if isinstance(item, dict) and isinstance(item.get("item"), list):
                stack.append((item["item"], f"{pointer}/{index}/item", depth + 1))

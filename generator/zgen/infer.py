"""Stage 4a: infer JSON types from saved bodies, and gather identical shapes into one registry.

Samples are merged with genson (plus a string strategy that detects formats only when every
sample matches). The merged schema is turned into TypeRefs: hashable type expressions whose
objects point into a registry of structurally unique shapes. Names come later, from naming.
A rebuild can pass the `InferMemo` of the last build: the requests whose inputs did not change
are replayed from their records instead of inferred again.
"""

from __future__ import annotations

import marshal
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from genson import SchemaBuilder
from genson.schema.strategies import String

from .diagnostics import Diagnostics, ZgenError
from .ir import Api, ExampleKind, Operation
from .memo import paused_gc, value_digest

# A type expression: ("str",), ("list", item), ("union", (a, b)), ("model", shape_id), ...
TypeRef = tuple[Any, ...]
Role = Literal["response", "error", "request"]

ANY: TypeRef = ("any",)
NULL: TypeRef = ("null",)
# RFC 3339, and its offset written without the colon (`+0000`, as Facebook's and Jira's APIs
# write it; pydantic reads both); a time without an offset is no instant, and stays a string
DATETIME_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:?\d{2})$"
)
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MAX_BODY_DEPTH = 60
# Artifacts of Postman's OpenAPI converter (openapi-to-postmanv2): where a schema recurses it writes
# this string instead of the value, and it invents the keys key_0, key_1, ... for a free-form object.
CIRCULAR_RE = re.compile(r"^<Circular reference to #/components/schemas/([^<>]+) detected>$")
INVENTED_KEY_RE = re.compile(r"^key_\d+$")
FORMAT_TYPES: dict[str, TypeRef] = {
    "date-time": ("datetime",),
    "date": ("date",),
    "uuid": ("uuid",),
}
# The type policy of response fields, from [tool.zgen] `optional`: "seen" (keys present in every
# sample are required, as seen), "all" (every field of a success or error body is `T | None = None`).
POLICIES = ("seen", "all")


def string_formats(value: str) -> set[str]:
    formats: set[str] = set()
    first = value[:1]
    if not first or not (first.isdecimal() or first in "abcdef"):
        # Each pattern starts with a digit (`\d`: a Unicode decimal, as `isdecimal`) or, a UUID,
        # with a lower-case hex letter: most strings are ruled out by their first character.
        return formats
    if DATETIME_RE.match(value):
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
            formats.add("date-time")
        except ValueError:
            pass
    elif DATE_RE.match(value):
        try:
            date.fromisoformat(value)
            formats.add("date")
        except ValueError:
            pass
    elif UUID_RE.match(value):
        try:
            uuid.UUID(value)
            formats.add("uuid")
        except ValueError:
            pass
    return formats


class FormattedString(String):  # type: ignore[misc]
    """A string schema that keeps a format only if every sample has it."""

    def __init__(self, node_class: Any) -> None:
        super().__init__(node_class)
        self.formats: set[str] | None = None
        self.circular: set[str] | None = None

    def add_object(self, obj: Any) -> None:
        super().add_object(obj)
        found = string_formats(obj)
        self.formats = found if self.formats is None else self.formats & found
        match = CIRCULAR_RE.match(obj)
        names = {match.group(1)} if match else set()
        self.circular = names if self.circular is None else self.circular & names

    def to_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = super().to_schema()
        if self.formats:
            schema["format"] = sorted(self.formats)[0]
        if self.circular:
            schema["x-circular"] = sorted(self.circular)[0]
        return schema


class Builder(SchemaBuilder):  # type: ignore[misc]
    EXTRA_STRATEGIES = (FormattedString,)


# genson's schema of a list of samples, built directly. genson sends every value of every sample
# through its strategy classes (a search of them per value), which was half of this stage's time;
# `merged_schema` keeps one small record per kind of value seen at each place, in the order first
# seen (genson's active strategies), and gives the same dict as `Builder` (tests/test_infer_fast.py
# checks it against genson). A value of another type than parsed JSON holds goes to genson itself.
SCHEMA_URI = SchemaBuilder.DEFAULT_URI
_Node = dict[str, Any]  # kind ("null", "boolean", "number", "string", "array", "object") -> record


class _NotJson(Exception):
    """A value that is not one of the types `json.loads` gives: genson decides what it means."""


def merged_schema(samples: list[Any]) -> dict[str, Any]:
    """`Builder` fed every sample, then `to_schema()`."""
    root: _Node = {}
    try:
        for sample in samples:
            _add(root, sample)
    except _NotJson:
        builder = Builder()
        for sample in samples:
            builder.add_object(sample)
        schema: dict[str, Any] = builder.to_schema()
        return schema
    return {"$schema": SCHEMA_URI, **_node_schema(root)}


def _add(node: _Node, value: Any) -> None:
    kind = type(value)
    if kind is dict:
        record = node.get("object")
        if record is None:
            node["object"] = record = ({}, set(value))  # properties, keys in every object
        else:
            record[1].intersection_update(value)
        properties: dict[str, _Node] = record[0]
        for key, item in value.items():
            child = properties.get(key)
            if child is None:
                properties[key] = child = {}
            _add(child, item)
    elif kind is list:
        items = node.get("array")
        if items is None:
            node["array"] = items = {}
        for item in value:
            _add(items, item)
    elif kind is str:
        record = node.get("string")
        if record is None:
            match = CIRCULAR_RE.match(value)
            node["string"] = [string_formats(value), {match.group(1)} if match else set()]
        else:
            # FormattedString keeps the formats (circular names) every sample has: once none is
            # left none comes back, and the value need not be looked at.
            if record[0]:
                record[0] &= string_formats(value)
            if record[1]:
                match = CIRCULAR_RE.match(value)
                record[1] &= {match.group(1)} if match else set()
    elif kind is int or kind is float:
        if node.get("number") != "number":
            node["number"] = "number" if kind is float else "integer"
    elif kind is bool:
        node["boolean"] = None
    elif value is None:
        node["null"] = None
    else:
        raise _NotJson


def _node_schema(node: _Node) -> dict[str, Any]:
    """genson's SchemaNode.to_schema: the kinds whose schema is a bare type merge into one `type`."""
    types: set[str] = set()
    schemas: list[dict[str, Any]] = []
    for kind, record in node.items():
        schema: dict[str, Any]
        if kind == "object":
            properties, required = record
            schema = {"type": "object"}
            if properties:
                schema["properties"] = {key: _node_schema(sub) for key, sub in properties.items()}
            if required:
                schema["required"] = sorted(required)
        elif kind == "array":
            schema = {"type": "array"}
            if record:
                schema["items"] = _node_schema(record)
        elif kind == "string":
            schema = {"type": "string"}
            if record[0]:
                schema["format"] = sorted(record[0])[0]
            if record[1]:
                schema["x-circular"] = sorted(record[1])[0]
        else:
            schema = {"type": record if kind == "number" else kind}
        if len(schema) == 1:
            types.add(schema["type"])
        else:
            schemas.append(schema)
    if types:
        schemas.insert(0, {"type": types.pop() if len(types) == 1 else sorted(types)})
    if len(schemas) == 1:
        return schemas[0]
    return {"anyOf": schemas} if schemas else {}


ROLES: tuple[Role, ...] = ("response", "error", "request")
SIMPLE_TYPES: dict[str, TypeRef] = {
    "str": ("str",),
    "int": ("int",),
    "float": ("float",),
    "bool": ("bool",),
    "datetime": ("datetime",),
    "date": ("date",),
    "uuid": ("uuid",),
    "UUID": ("uuid",),
    "any": ANY,
    "Any": ANY,
    "None": NULL,
    "null": NULL,
    "dict": ("dict",),
}


@dataclass(frozen=True)
class Overrides:
    """Corrections from [tool.zgen] for the cases where a guess is wrong.

    `models` renames a generated class; `types` sets the type at a JSON path of one request's body,
    keyed by (request place "Folder / Request", body role, JSON path "$.data[].id").
    """

    file: str = "pyproject.toml"
    models: Mapping[str, str] = field(default_factory=dict)
    types: Mapping[tuple[str, Role, str], TypeRef] = field(default_factory=dict)
    optional: frozenset[tuple[str, Role, str]] = frozenset()


def parse_type(text: str) -> TypeRef | None:
    """A type written in an override: `str`, `int | None`, `list[datetime]`, `any`..."""
    text = text.strip()
    members: list[str] = []
    level, start = 0, 0
    for index, char in enumerate(text):
        level += {"[": 1, "]": -1}.get(char, 0)
        if level < 0:
            return None
        if char == "|" and level == 0:
            members.append(text[start:index])
            start = index + 1
    members.append(text[start:])
    if level != 0:
        return None
    if len(members) > 1:
        parsed = [parse_type(member) for member in members]
        if any(member is None for member in parsed):
            return None
        return union([member for member in parsed if member is not None])
    if text.startswith("list[") and text.endswith("]"):
        item = parse_type(text[5:-1])
        return None if item is None else ("list", item)
    if text == "list":
        return ("list", ANY)
    return SIMPLE_TYPES.get(text)


def parse_overrides(raw: Mapping[str, Any], file: str = "pyproject.toml") -> Overrides:
    """Read the `overrides` table of one [[tool.zgen.collections]] entry.

    ```toml
    [tool.zgen.collections.overrides.models]
    GetUserAddress = "Address"            # generated class name = the name you want

    [[tool.zgen.collections.overrides.fields]]
    request = "Users / Get User"          # the request: its folders and name, joined by " / "
    path = "$.data[].zip"                 # JSON path in the body; [] is an array item, $ the body
    type = "str"                          # str int float bool datetime date uuid any dict list[T] T | None
    body = "response"                     # response (default), error or request
    optional = true                       # the key may be absent (with or without `type`)
    ```
    """
    place = "[tool.zgen] overrides"
    models: dict[str, str] = {}
    raw_models = raw.get("models", {})
    if not isinstance(raw_models, Mapping):
        raise ZgenError(file, f"{place}.models", 'expected a table of `GeneratedName = "NewName"`')
    for old, new in raw_models.items():
        if not isinstance(new, str) or not new.isidentifier() or not new[:1].isupper():
            raise ZgenError(
                file,
                f"{place}.models.{old}",
                f"{new!r} is not a class name (PascalCase identifier)",
            )
        models[str(old)] = new
    types: dict[tuple[str, Role, str], TypeRef] = {}
    optional: set[tuple[str, Role, str]] = set()
    raw_fields = raw.get("fields", [])
    if not isinstance(raw_fields, list):
        raise ZgenError(file, f"{place}.fields", "expected an array of tables")
    for index, entry in enumerate(raw_fields):
        where = f"{place}.fields[{index}]"
        if not isinstance(entry, Mapping):
            raise ZgenError(file, where, "expected a table with `request`, `path` and `type`")
        request, path, type_text = entry.get("request"), entry.get("path", "$"), entry.get("type")
        role = entry.get("body", "response")
        if not isinstance(request, str) or not request:
            raise ZgenError(
                file, where, 'needs `request`: the request\'s folders and name, joined by " / "'
            )
        if not isinstance(path, str) or not path.startswith("$"):
            raise ZgenError(
                file,
                where,
                f"`path` must be a JSON path starting with `$`, like `$.data[].id`; found {path!r}",
            )
        if role not in ROLES:
            raise ZgenError(
                file, where, f"`body` must be one of {', '.join(ROLES)}; found {role!r}"
            )
        make_optional = entry.get("optional", False)
        if not isinstance(make_optional, bool):
            raise ZgenError(
                file, where, f"`optional` must be true or false; found {make_optional!r}"
            )
        if make_optional:
            if path == "$":
                raise ZgenError(file, where, "`optional` needs the path of a key, like `$.result`")
            optional.add((request, role, path))
            if type_text is None:
                continue
        parsed = parse_type(type_text) if isinstance(type_text, str) else None
        if parsed is None:
            raise ZgenError(
                file,
                where,
                f"`type` {type_text!r} is not one of str, int, float, bool, datetime, date, uuid, any, dict, list[T], T | None",
            )
        types[(request, role, path)] = parsed
    return Overrides(file, models, types, frozenset(optional))


@dataclass(frozen=True)
class FieldShape:
    key: str
    type: TypeRef
    required: bool
    default: tuple[Any, ...] = ()  # (value,) for a request field with a collection default


@dataclass(frozen=True)
class Usage:
    """Where a shape occurs: an operation, the role of the body, and the JSON key path."""

    op: int
    role: Role
    path: tuple[str, ...]  # keys; "[]" marks an array item


@dataclass(frozen=True)
class Shape:
    id: int
    fields: tuple[FieldShape, ...]  # sorted by key: the structural identity
    usages: tuple[Usage, ...]
    orders: tuple[tuple[str, ...], ...]  # field order as first seen, one per usage


@dataclass(frozen=True)
class OperationTypes:
    response: TypeRef | None  # merged JSON success type, None when no JSON success sample
    response_kinds: tuple[ExampleKind, ...]
    error: TypeRef | None
    request: TypeRef | None


@dataclass(frozen=True)
class Inferred:
    shapes: tuple[Shape, ...]
    operations: tuple[OperationTypes, ...]


class _Registry:
    def __init__(self) -> None:
        self.ids: dict[tuple[Any, ...], int] = {}
        self.fields: list[tuple[FieldShape, ...]] = []
        self.usages: list[list[Usage]] = []
        self.orders: list[list[tuple[str, ...]]] = []

    def add(self, fields: list[FieldShape], usage: Usage) -> int:
        ordered = tuple(sorted(fields, key=lambda f: f.key))
        key = tuple((f.key, f.type, f.required, f.default) for f in ordered)
        shape_id = self.ids.get(key)
        if shape_id is None:
            shape_id = len(self.fields)
            self.ids[key] = shape_id
            self.fields.append(ordered)
            self.usages.append([])
            self.orders.append([])
        self.usages[shape_id].append(usage)
        self.orders[shape_id].append(tuple(f.key for f in fields))
        return shape_id

    def add_row(
        self, key: tuple[tuple[Any, ...], ...], usage: Usage, order: tuple[str, ...]
    ) -> int:
        """`add` of the fields whose registry key (sorted by field key) and order are given: the
        replay of a memo's record has them at hand, without FieldShapes to make and sort."""
        shape_id = self.ids.get(key)
        if shape_id is None:
            shape_id = len(self.fields)
            self.ids[key] = shape_id
            self.fields.append(tuple(FieldShape(*entry) for entry in key))
            self.usages.append([])
            self.orders.append([])
        self.usages[shape_id].append(usage)
        self.orders[shape_id].append(order)
        return shape_id


def depth(value: Any, limit: int) -> int:
    """The nesting depth of a JSON value, computed without recursion, stopping past limit."""
    deepest = 1
    if deepest > limit:
        return deepest
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        # Only containers are stacked: a container with any child is one level deeper than itself.
        for child in children:
            deepest = max(deepest, level + 1)
            if deepest > limit:
                return deepest
            if isinstance(child, (dict, list)):
                stack.append((child, level + 1))
    return deepest


class _Inferrer:
    def __init__(
        self, api: Api, diagnostics: Diagnostics, overrides: Overrides, policy: str = "seen"
    ) -> None:
        self.api = api
        self.diagnostics = diagnostics
        self.registry = _Registry()
        self.overrides = overrides
        self.policy = policy
        self.used: set[tuple[str, Role, str]] = set()
        self.current: int | None = None  # the operation being inferred, for warnings
        # Objects being converted, innermost last: (the key that names each, its frame token); a
        # circular-reference string refers to one as ("recursive", token), made a shape id later.
        self.frames: list[tuple[str, int]] = []
        self.frame_shapes: dict[int, int] = {}
        self.next_token = 0

    def warn(self, place: str, message: str) -> None:
        op = self.api.operations[self.current] if self.current is not None else None
        self.diagnostics.warn(
            self.api.file,
            place,
            message,
            request=op.place if op else "",
            folder=" / ".join(op.folders) if op else "",
        )

    def samples(self, values: list[tuple[str, Any]]) -> list[Any]:
        kept = []
        for place, value in values:
            if depth(value, MAX_BODY_DEPTH) > MAX_BODY_DEPTH:
                self.warn(
                    place, f"body nests deeper than {MAX_BODY_DEPTH} levels; left out of inference"
                )
            else:
                kept.append(value)
        return kept

    def merged(
        self, op_index: int, role: Role, values: list[tuple[str, Any]], place: str
    ) -> TypeRef | None:
        samples = self.samples(values)
        if not samples:
            return None
        schema = merged_schema(samples)
        return self.convert(schema, op_index, role, (), place)

    def convert(
        self, schema: dict[str, Any], op: int, role: Role, path: tuple[str, ...], place: str
    ) -> TypeRef:
        if self.overrides.types:
            wanted = (self.api.operations[op].place, role, "$" + path_text(path))
            override = self.overrides.types.get(wanted)
            if override is not None:
                self.used.add(wanted)
                return override
        body = self.api.operations[op].body if role == "request" else None
        if body is not None and path in body.untyped:
            return ANY  # a bare `{{variable}}` with no value to type it by
        if (
            body is not None
            and body.defaults
            and any(at == path and isinstance(v, str) for at, v in body.defaults)
        ):
            return ("str",)  # a `"{{variable}}"` is a string, whatever its default looks like
        if "anyOf" in schema:
            members = [self.convert(sub, op, role, path, place) for sub in schema["anyOf"]]
            return union(members)
        kind = schema.get("type")
        if isinstance(kind, list):
            members = [
                self.convert({**schema, "type": single}, op, role, path, place) for single in kind
            ]
            return union(members)
        if kind is None:
            return ANY
        if kind == "null":
            return NULL
        if kind == "string":
            if "x-circular" in schema:
                return self.circular(str(schema["x-circular"]), path, place)
            return FORMAT_TYPES.get(str(schema.get("format") or ""), ("str",))
        if kind == "integer":
            return ("int",)
        if kind == "number":
            return ("float",)
        if kind == "boolean":
            return ("bool",)
        if kind == "array":
            items = schema.get("items")
            if not items:
                self.warn(f"{place} {json_path(path)}", "array seen only empty; typed as list[Any]")
                return ("list", ANY)
            return ("list", self.convert(items, op, role, (*path, "[]"), place))
        if kind == "object":
            properties: dict[str, Any] = schema.get("properties") or {}
            if not properties or all(invented_key(key) for key in properties):
                return ("dict",)
            if any(invented_key(key) for key in properties):
                # The converter's examples of additional properties beside the declared ones: not
                # fields (they stay reachable as extra keys of the model).
                properties = {key: sub for key, sub in properties.items() if not invented_key(key)}
            required = set(schema.get("required") or ())
            fields = []
            token = self.next_token
            self.next_token += 1
            self.frames.append((frame_name(path), token))
            try:
                for key, sub in properties.items():
                    sub_type = self.convert(sub, op, role, (*path, key), place)
                    if sub_type == NULL:
                        self.warn(
                            f"{place} {json_path((*path, key))}",
                            "field seen only as null; typed as Any",
                        )
                        sub_type = ANY
                    is_required = key in required
                    default: tuple[Any, ...] = ()
                    if (
                        body is not None
                        and body.fills
                        and any(filled == (*path, key) for filled, _ in body.fills)
                    ):
                        is_required = False  # the client fills it in when the call does not
                    if body is not None and body.defaults:
                        default = next(
                            ((value,) for at, value in body.defaults if at == (*path, key)), ()
                        )
                        is_required = is_required and not default
                    if is_required and self.overrides.optional:
                        wanted = (
                            self.api.operations[op].place,
                            role,
                            "$" + path_text((*path, key)),
                        )
                        if wanted in self.overrides.optional:
                            self.used.add(wanted)
                            is_required = False
                    if self.policy == "all" and role != "request":
                        is_required = False
                        sub_type = union([sub_type, NULL])
                    fields.append(FieldShape(key, sub_type, is_required, default))
            finally:
                self.frames.pop()
            shape_id = self.registry.add(fields, Usage(op, role, path))
            self.frame_shapes[token] = shape_id
            return ("model", shape_id)
        return ANY

    def circular(self, schema_name: str, path: tuple[str, ...], place: str) -> TypeRef:
        """The enclosing object a converter's circular-reference string stands for, or Any."""
        wanted = "".join(re.findall(r"[a-z0-9]+", schema_name.lower()))
        for name, token in reversed(self.frames):
            if name and (name == wanted or singular_text(name) == singular_text(wanted)):
                # A recursion ends somewhere: a field (not an array item) that recurses may be null.
                found: TypeRef = ("recursive", token)
                return found if path[-1:] == ("[]",) else union([found, NULL])
        self.warn(
            f"{place} {json_path(path)}",
            f"a converter's circular reference to {schema_name!r} has no enclosing object of"
            " that name; typed as Any",
        )
        return ANY

    def operation(self, index: int, op: Operation) -> OperationTypes:
        self.current = index
        success = [e for e in op.examples if e.status < 400]
        errors = [e for e in op.examples if e.status >= 400]
        kinds: list[ExampleKind] = []
        for example in success:
            if example.kind not in kinds:
                kinds.append(example.kind)
        order = {"json": 0, "text": 1, "binary": 2, "empty": 3, "unsaved": 4}
        kinds.sort(key=lambda k: order[k])
        response = self.merged(
            index,
            "response",
            [(e.place, e.parsed) for e in success if e.kind == "json"],
            f"{op.place} response",
        )
        error = self.merged(
            index,
            "error",
            [(e.place, e.parsed) for e in errors if e.kind == "json"],
            f"{op.place} error",
        )
        request = None
        if op.body is not None and op.body.mode == "json":
            request = self.merged(
                index, "request", [(op.place, op.body.example)], f"{op.place} request body"
            )
        if "json" in kinds and response is None:
            kinds.remove("json")
        return OperationTypes(response, tuple(kinds), error, request)


def holds_circular(value: Any) -> bool:
    """Whether a body holds a converter's circular-reference placeholder anywhere."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str) and CIRCULAR_RE.match(node):
            return True
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def invented_key(key: str) -> bool:
    """A key the converter invented (INVENTED_KEY_RE); the prefix test rules out most keys fast."""
    return key.startswith("key_") and INVENTED_KEY_RE.match(key) is not None


def frame_name(path: tuple[str, ...]) -> str:
    """The name of the object at a path, from the key that holds it, as lower-case letters."""
    keys = [part for part in path if part != "[]"]
    return "".join(re.findall(r"[a-z0-9]+", keys[-1].lower())) if keys else ""


def singular_text(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def path_text(path: tuple[str, ...]) -> str:
    return "".join("[]" if part == "[]" else f".{part}" for part in path)


def json_path(path: tuple[str, ...]) -> str:
    return f"`${path_text(path)}`"


def union(members: list[TypeRef]) -> TypeRef:
    flat: list[TypeRef] = []
    for member in members:
        for item in member[1] if member[0] == "union" else (member,):
            if item not in flat:
                flat.append(item)
    if ANY in flat:
        return ANY
    if ("int",) in flat and ("float",) in flat:
        flat.remove(("int",))
    if len(flat) == 1:
        return flat[0]
    return ("union", tuple(sorted(flat, key=lambda t: (t == NULL, repr(t)))))


def infer(
    api: Api,
    diagnostics: Diagnostics,
    overrides: Overrides | None = None,
    policy: str = "seen",
    memo: InferMemo | None = None,
) -> Inferred:
    """The types of every body. With a `memo` (the records of an earlier build), a request whose
    inputs are unchanged is replayed from its record instead of inferred; afterwards the memo
    holds the records of this call's requests only. The result is the same either way."""
    inferrer = _Inferrer(api, diagnostics, overrides or Overrides(), policy)
    if memo is None:
        ops = tuple(inferrer.operation(index, op) for index, op in enumerate(api.operations))
    else:
        ops = tuple(_memoized(inferrer, memo))
    for request, role, path in sorted(
        (set(inferrer.overrides.types) | inferrer.overrides.optional) - inferrer.used
    ):
        diagnostics.warn(
            inferrer.overrides.file,
            f"[tool.zgen] overrides.fields {request} {role} `{path}`",
            f"matched no {role} body of {api.file}; check the request place and the JSON path",
        )
    registry = inferrer.registry
    frames = inferrer.frame_shapes
    shapes = [
        Shape(
            i,
            resolved_fields(registry.fields[i], frames),
            tuple(registry.usages[i]),
            tuple(registry.orders[i]),
        )
        for i in range(len(registry.fields))
    ]
    return merge_evidence(shapes, list(ops))


def resolved_fields(
    fields: tuple[FieldShape, ...], frames: Mapping[int, int]
) -> tuple[FieldShape, ...]:
    """`fields` with their frame tokens resolved (see resolve_frames): the same objects where
    there is nothing to resolve (most fields: no new FieldShape for each, on every build)."""
    if not frames:  # (no circular reference in the collection: no token anywhere)
        return fields
    resolved = [(f, resolve_frames(f.type, frames)) for f in fields]
    if all(ref is f.type for f, ref in resolved):
        return fields
    return tuple(
        f if ref is f.type else FieldShape(f.key, ref, f.required, f.default) for f, ref in resolved
    )


def resolve_frames(ref: TypeRef, frames: Mapping[int, int]) -> TypeRef:
    """A type with each circular reference's frame token replaced by the shape id of its object
    (`ref` itself when it holds none)."""
    kind = ref[0]
    if kind == "recursive":
        return ("recursive", frames[ref[1]])
    if kind == "list":
        item = resolve_frames(ref[1], frames)
        return ref if item is ref[1] else ("list", item)
    if kind == "union":
        members = tuple(resolve_frames(member, frames) for member in ref[1])
        if all(new is old for new, old in zip(members, ref[1], strict=True)):
            return ref
        return ("union", members)
    return ref


def renumber(ref: TypeRef, ids: Mapping[int, int]) -> TypeRef:
    kind = ref[0]
    if kind in ("model", "recursive"):
        new = ids[ref[1]]
        return ref if new == ref[1] else (kind, new)  # the same value, without a new tuple
    if kind == "list":
        item = renumber(ref[1], ids)
        return ref if item is ref[1] else ("list", item)
    if kind == "union":
        members = tuple(dict.fromkeys(renumber(member, ids) for member in ref[1]))
        if len(members) == 1:
            return members[0]
        return ("union", tuple(sorted(members, key=lambda t: (t == NULL, repr(t)))))
    return ref


def merge_evidence(shapes: list[Shape], ops: list[OperationTypes]) -> Inferred:
    """One shape for the samples of every request that has it: shapes of success bodies (or of
    error bodies: those stay apart) with the same keys and types are one, and a key missing
    from any of their samples is optional. Repeated, since a merge can make parents equal.
    Request bodies are examples the collection's author wrote, not evidence: they stay apart."""
    ids = {shape.id: shape.id for shape in shapes}
    families: list[tuple[str, Shape]] = []
    for shape in shapes:
        roles = {usage.role for usage in shape.usages}
        if "request" in roles:
            continue
        # A shape some success body has is a success shape: error samples never relax it.
        families.append(("response" if "response" in roles else "error", shape))
    while True:
        groups: dict[tuple[Any, ...], list[Shape]] = {}
        for family, shape in families:
            structure = tuple((f.key, renumber(f.type, ids)) for f in shape.fields)
            groups.setdefault((family, structure), []).append(shape)
        merged = False
        for group in groups.values():
            keep = min(shape.id for shape in group)
            for shape in group:
                if ids[shape.id] != keep:
                    ids[shape.id] = keep
                    merged = True
        if not merged:
            break
    if all(old == new for old, new in ids.items()):
        return Inferred(tuple(shapes), tuple(ops))
    kept = sorted({ids[shape.id] for shape in shapes})
    position = {shape_id: index for index, shape_id in enumerate(kept)}
    compact = {old: position[ids[old]] for old in ids}
    members: dict[int, list[Shape]] = {}
    for shape in shapes:
        members.setdefault(compact[shape.id], []).append(shape)
    result = []
    for new_id in range(len(kept)):
        group = members[new_id]
        first = group[0]
        fields = []
        for index, f in enumerate(first.fields):
            ref = renumber(f.type, compact)
            required = f.required and all(other.fields[index].required for other in group[1:])
            # (the field itself where nothing changes: most fields, when few shapes merge)
            same = ref is f.type and required == f.required
            fields.append(f if same else FieldShape(f.key, ref, required, f.default))
        if (
            len(group) == 1
            and new_id == first.id
            and all(new is old for new, old in zip(fields, first.fields, strict=True))
        ):
            result.append(first)
            continue
        usages = tuple(usage for shape in group for usage in shape.usages)
        orders = tuple(order for shape in group for order in shape.orders)
        result.append(Shape(new_id, tuple(fields), usages, orders))
    new_ops = tuple(
        OperationTypes(
            None if op.response is None else renumber(op.response, compact),
            op.response_kinds,
            None if op.error is None else renumber(op.error, compact),
            None if op.request is None else renumber(op.request, compact),
        )
        for op in ops
    )
    return Inferred(tuple(result), new_ops)


# The inference memo (a rebuild after a small change): `_Inferrer.operation` reads only its own
# request, the overrides of that request's place and the policy, and leaves its mark on the shared
# state through `registry.add`, frame tokens, `frame_shapes`, `warn` and `used`. A record is that
# mark made with a fresh local state (shape ids = the index of the `add` call, tokens from 0);
# replaying it into the shared state gives what running `operation` there gives: the global
# registry dedups the replayed fields as it would have dedup'd the computed ones, and tokens are
# offset by the shared `next_token` (they are part of the registry's keys).
#
# A record, as plain data (marshal writes and reads it, and it is the memo file's content):
# (adds, tokens, frame_shapes, warnings, used, (response, response_kinds, error, request)) with
#   adds: ((role, path, order, row, linked), ...): the keys in the order seen, the fields'
#     registry key ((key, type, required, default), ...) sorted by key, the positions in it of
#     the types that hold a shape id or token (the others are the global registry's as they are)
#   tokens: the number of frame tokens used; frame_shapes: ((local token, local shape id), ...)
#   warnings: ((place, message), ...) in order; used: the override keys it used, sorted
# and every type with local ("model", shape id) and ("recursive", token) refs.
Record = tuple[Any, ...]
MEMO_FORMAT = "zgen-infer-memo/3"
_SIMPLE_KINDS = frozenset(
    ("str", "int", "float", "bool", "datetime", "date", "uuid", "any", "null", "dict")
)
_KINDS = frozenset(("json", "text", "binary", "empty", "unsaved"))
_DEFAULT_TYPES = (str, int, float, bool)  # of the JSON scalars normalize takes as defaults


class InferMemo:
    """Per-request inference records of an earlier build, keyed by the digest of their inputs.

    The bytes are those of a dict of key -> record bytes, each record marshalled on its own: a
    rebuild after a small change writes back the bytes it read of every record it reused
    (`blobs`) instead of marshalling them all again."""

    def __init__(self, records: Mapping[bytes, Record] | None = None) -> None:
        self.records: dict[bytes, Record] = dict(records or {})
        # key -> the marshalled form of records[key], when known (read, or already made)
        self.blobs: dict[bytes, bytes] = {}

    def __len__(self) -> int:
        return len(self.records)

    def to_bytes(self) -> bytes:
        blobs: dict[bytes, bytes] = {}
        for key, record in self.records.items():
            blob = self.blobs.get(key)
            blobs[key] = marshal.dumps(record) if blob is None else blob
        self.blobs = blobs  # (the next call, in a watch session, reuses them all)
        return marshal.dumps((MEMO_FORMAT, blobs))

    @classmethod
    def resumed(cls, last: InferMemo) -> InferMemo:
        """A memo holding the records `last` ended with, as they are in memory (records are
        tuples, and infer gives a memo new records)."""
        memo = cls(last.records)
        memo.blobs = last.blobs
        return memo

    @classmethod
    def from_bytes(cls, data: bytes) -> InferMemo:
        """The memo `to_bytes` wrote, or an empty memo for anything else. marshal builds plain
        values and never runs code (a code object it may build is rejected, never called)."""
        # marshal makes a tuple per type and field, and every few hundred new tuples the cyclic
        # garbage collector looks at them all (and at the rest of the heap): with it paused the
        # loading takes a fifth of the time at 2000 requests. Plain tuples make no cycles.
        try:
            with paused_gc():
                loaded = marshal.loads(data)
                if not (
                    type(loaded) is tuple
                    and len(loaded) == 2
                    and loaded[0] == MEMO_FORMAT
                    and type(loaded[1]) is dict
                ):
                    return cls()
                blobs: dict[Any, Any] = loaded[1]
                records: dict[bytes, Record] = {}
                known: set[Any] = set()
                texts: set[Any] = set()
                for digest, blob in blobs.items():
                    if type(digest) is not bytes or type(blob) is not bytes:
                        return cls()
                    record = marshal.loads(blob)
                    if not _valid_record(record, known, texts):
                        return cls()
                    records[digest] = record
        except (EOFError, ValueError, TypeError):  # (TypeError: an unhashable value in a type)
            return cls()
        memo = cls()
        memo.records = records
        memo.blobs = blobs
        return memo


def _memoized(inferrer: _Inferrer, memo: InferMemo) -> list[OperationTypes]:
    """`inferrer.operation` for every request, replayed from the memo where it can be."""
    keys = _DigestKeys(inferrer.overrides, inferrer.policy)
    old = memo.records
    new: dict[bytes, Record] = {}
    ops = []
    for index, op in enumerate(inferrer.api.operations):
        digest = keys.digest(op)
        if digest is None:  # inputs marshal cannot write (never from parsed JSON): no record
            ops.append(inferrer.operation(index, op))
            continue
        record = new.get(digest) or old.get(digest)
        if record is None:
            record = _record(inferrer, index, op)
        new[digest] = record
        ops.append(_replay(inferrer, index, record))
    memo.records = new
    return ops


class _DigestKeys:
    """The digest of everything `_Inferrer.operation` reads for one request."""

    def __init__(self, overrides: Overrides, policy: str) -> None:
        self.policy = policy
        types: dict[str, list[tuple[str, str, TypeRef]]] = {}
        for (request, role, path), wanted in overrides.types.items():
            types.setdefault(request, []).append((role, path, wanted))
        optional: dict[str, list[tuple[str, str]]] = {}
        for request, role, path in overrides.optional:
            optional.setdefault(request, []).append((role, path))
        self.overrides = {
            place: (
                tuple(sorted(types.get(place, ()), key=lambda entry: entry[:2])),
                tuple(sorted(optional.get(place, ()))),
            )
            for place in set(types) | set(optional)
        }

    def digest(self, op: Operation) -> bytes | None:
        body = op.body
        inputs = (
            MEMO_FORMAT,
            MAX_BODY_DEPTH,
            self.policy,
            op.place,
            op.folders,  # warnings take them from the request at hand: not needed, but cheap
            tuple(
                (e.status, e.kind, e.place, e.parsed) if e.kind == "json" else (e.status, e.kind)
                for e in op.examples
            ),
            (
                (body.example, body.untyped, body.defaults, body.fills)
                if body is not None and body.mode == "json"
                else None
            ),
            self.overrides.get(op.place),
        )
        try:
            return value_digest(inputs)
        except ValueError:  # not a plain value, or nested too deep for marshal
            return None


class _AddLog(_Registry):
    """A registry that dedups nothing: the local shape id of an `add` is its index."""

    def __init__(self) -> None:
        self.adds: list[tuple[Any, ...]] = []

    def add(self, fields: list[FieldShape], usage: Usage) -> int:
        ordered = sorted(fields, key=lambda f: f.key)
        row = tuple((f.key, f.type, f.required, f.default) for f in ordered)
        linked = tuple(i for i, f in enumerate(ordered) if _holds_ids(f.type))
        self.adds.append((usage.role, usage.path, tuple(f.key for f in fields), row, linked))
        return len(self.adds) - 1


def _holds_ids(ref: TypeRef) -> bool:
    """Whether a type holds a shape id or a frame token."""
    kind = ref[0]
    if kind == "model" or kind == "recursive":
        return True
    if kind == "list":
        return _holds_ids(ref[1])
    if kind == "union":
        return any(_holds_ids(member) for member in ref[1])
    return False


class _Recorder(_Inferrer):
    """An inferrer with a fresh local state that keeps its warnings instead of reporting them."""

    def __init__(self, parent: _Inferrer) -> None:
        super().__init__(parent.api, parent.diagnostics, parent.overrides, parent.policy)
        self.log = _AddLog()
        self.registry = self.log
        self.warnings: list[tuple[str, str]] = []

    def warn(self, place: str, message: str) -> None:
        self.warnings.append((place, message))


def _record(inferrer: _Inferrer, index: int, op: Operation) -> Record:
    recorder = _Recorder(inferrer)
    types = recorder.operation(index, op)
    return (
        tuple(recorder.log.adds),
        recorder.next_token,
        tuple(recorder.frame_shapes.items()),
        tuple(recorder.warnings),
        tuple(sorted(recorder.used)),
        (types.response, types.response_kinds, types.error, types.request),
    )


def _replay(inferrer: _Inferrer, index: int, record: Record) -> OperationTypes:
    """What `inferrer.operation(index, op)` does, from the record of that request."""
    adds, tokens, frame_shapes, warnings, used, (response, kinds, error, request) = record
    inferrer.current = index
    offset = inferrer.next_token
    inferrer.next_token += tokens
    ids: list[int] = []
    registry = inferrer.registry
    for role, path, order, row, linked in adds:
        if linked:
            entries = list(row)
            for position in linked:
                key, ref, required, default = entries[position]
                entries[position] = (key, _global_ref(ref, ids, offset), required, default)
            row = tuple(entries)
        ids.append(registry.add_row(row, Usage(index, role, path), order))
    for token, local in frame_shapes:
        inferrer.frame_shapes[token + offset] = ids[local]
    for place, message in warnings:
        inferrer.warn(place, message)
    inferrer.used.update(used)
    return OperationTypes(
        None if response is None else _global_ref(response, ids, offset),
        kinds,
        None if error is None else _global_ref(error, ids, offset),
        None if request is None else _global_ref(request, ids, offset),
    )


def _global_ref(ref: TypeRef, ids: list[int], offset: int) -> TypeRef:
    """A recorded type with its local shape ids and tokens made those of the shared state."""
    kind = ref[0]
    if kind == "model":
        return ("model", ids[ref[1]])
    if kind == "recursive":
        return ("recursive", ref[1] + offset)
    if kind == "list":
        return ("list", _global_ref(ref[1], ids, offset))
    if kind == "union":
        # `union` again: its order (and which members are equal) may depend on the shape ids.
        return union([_global_ref(member, ids, offset) for member in ref[1]])
    return ref


def _valid_ref(ref: Any, shapes: int, tokens: int) -> bool:
    """A type a record may hold: shape ids below `shapes`, tokens below `tokens`."""
    if type(ref) is not tuple or not ref:
        return False
    kind = ref[0]
    if kind in ("model", "recursive"):
        limit = shapes if kind == "model" else tokens
        return len(ref) == 2 and type(ref[1]) is int and 0 <= ref[1] < limit
    if kind == "list":
        return len(ref) == 2 and _valid_ref(ref[1], shapes, tokens)
    if kind == "union":
        return (
            len(ref) == 2
            and type(ref[1]) is tuple
            and all(_valid_ref(member, shapes, tokens) for member in ref[1])
        )
    return len(ref) == 1 and type(kind) is str and kind in _SIMPLE_KINDS


def _valid_text_tuple(value: Any) -> bool:
    return type(value) is tuple and all(type(item) is str for item in value)


def _valid_record(record: Any, known: set[Any], texts: set[Any]) -> bool:
    """Whether a value read from a memo file is a record `_replay` can use (see `Record`).
    `known` holds the types and plain rows found valid that hold no shape id or token (valid in
    any record), `texts` the tuples of str found valid: most fields have one of a few types,
    many requests share shapes, and a set lookup is cheaper than a check (a record file's check
    is part of every rebuild's time)."""
    if type(record) is not tuple or len(record) != 6:
        return False
    adds, tokens, frame_shapes, warnings, used, types = record
    if type(adds) is not tuple or type(tokens) is not int or tokens < 0:
        return False
    for shape, add in enumerate(adds):
        if type(add) is not tuple or len(add) != 5:
            return False
        role, path, order, row, linked = add
        if role not in ROLES or type(row) is not tuple or type(linked) is not tuple:
            return False
        # (the paths and key orders of shapes many requests share: looked up as the rows are)
        if path not in texts:
            if not _valid_text_tuple(path):
                return False
            texts.add(path)
        if order not in texts:
            if not _valid_text_tuple(order):
                return False
            texts.add(order)
        if not linked and row in known:  # the same fields (a shape of many requests) found valid
            continue
        positions = []
        for position, entry in enumerate(row):
            if type(entry) is not tuple or len(entry) != 4:
                return False
            key, ref, required, default = entry
            if (
                type(key) is not str
                or type(required) is not bool
                or type(default) is not tuple
                or (default and (len(default) > 1 or type(default[0]) not in _DEFAULT_TYPES))
            ):
                return False
            if ref not in known:
                if not _valid_ref(ref, shape, tokens):
                    return False
                if _holds_ids(ref):
                    positions.append(position)
                else:
                    known.add(ref)
        if tuple(positions) != linked:
            return False
        if not linked:
            known.add(row)
    if type(frame_shapes) is not tuple or not all(
        type(pair) is tuple
        and len(pair) == 2
        and type(pair[0]) is int
        and 0 <= pair[0] < tokens
        and type(pair[1]) is int
        and 0 <= pair[1] < len(adds)
        for pair in frame_shapes
    ):
        return False
    if type(warnings) is not tuple or not all(
        type(pair) is tuple and len(pair) == 2 and _valid_text_tuple(pair) for pair in warnings
    ):
        return False
    if type(used) is not tuple or not all(
        type(key) is tuple and len(key) == 3 and _valid_text_tuple(key) and key[1] in ROLES
        for key in used
    ):
        return False
    if type(types) is not tuple or len(types) != 4:
        return False
    response, kinds, error, request = types
    return (
        all(ref is None or _valid_ref(ref, len(adds), tokens) for ref in (response, error, request))
        and type(kinds) is tuple
        and all(type(kind) is str and kind in _KINDS for kind in kinds)
    )

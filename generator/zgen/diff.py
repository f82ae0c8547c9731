"""`zgen diff OLD NEW`: what changed between two versions of a collection, as an API.

Both versions go through the same stages as a build (load, normalize, infer, names), so a request
is known by what code calls: its accessor on the client (`client.bulk_write.job_details`), its
keyword arguments as the generated method declares them, and the fields of its response model.

A change breaks code written against OLD when a request is removed or renamed, a parameter is
removed or made required (or added as required), or a response field is removed or changes type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostics
from .infer import Shape, TypeRef
from .naming import published_models
from .pipeline import Analysis, SourceSettings, analyze
from .render import operation_view

SIMPLE_TYPES = {
    "any": "Any",
    "null": "None",
    "str": "str",
    "int": "int",
    "float": "float",
    "bool": "bool",
    "dict": "dict[str, Any]",
    "datetime": "datetime",
    "date": "date",
    "uuid": "UUID",
}


@dataclass(frozen=True)
class Change:
    kind: str  # request-added | request-removed | request-renamed | param-added | param-removed |
    #            param-required | field-added | field-removed | field-type
    request: str  # the accessor in OLD (in NEW for an added request)
    subject: str  # the request's route, the parameter or the field path
    breaking: bool
    old: str = ""
    new: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "request": self.request,
            "subject": self.subject,
            "breaking": self.breaking,
            "old": self.old,
            "new": self.new,
        }


@dataclass
class DiffResult:
    old: str
    new: str
    changes: list[Change] = field(default_factory=list)

    @property
    def breaking(self) -> bool:
        return any(change.breaking for change in self.changes)

    def as_json(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "breaking": self.breaking,
            "changes": [change.as_json() for change in self.changes],
        }


@dataclass(frozen=True)
class Endpoint:
    """One request as code sees it."""

    accessor: str
    method: str
    route: str  # the path with parameters as {key}
    shape: tuple[str, str]  # (method, path with every parameter as {}): what a rename keeps
    params: dict[str, tuple[bool, str]]  # argument -> (required, annotation)
    fields: dict[str, str]  # field path in the response -> its type


def endpoints(analysis: Analysis) -> dict[str, Endpoint]:
    api, inferred, names = analysis.api, analysis.inferred, analysis.names
    shapes = {shape.id: shape for shape in inferred.shapes}
    result: dict[str, Endpoint] = {}
    for index, op in enumerate(api.operations):
        accessor = ".".join((*names.op_namespace[index], names.methods[index]))
        view = operation_view(api, index, inferred, names, set())
        params = {arg.name: (arg.default is None, arg.annotation) for arg in view.args}
        fields: dict[str, str] = {}
        response = inferred.operations[index].response
        if response is not None:
            fields["(response)"] = type_text(response)
            flatten(response, "", shapes, names.fields, fields)
        route = (
            "".join(text if kind == "text" else "{" + text + "}" for kind, text in op.path) or "/"
        )
        pattern = "".join(text if kind == "text" else "{}" for kind, text in op.path) or "/"
        result[accessor] = Endpoint(
            accessor, op.method, route, (op.method, pattern), params, fields
        )
    return result


def type_text(ref: TypeRef) -> str:
    """A type as code sees it; every model is `object` (its fields are compared one by one)."""
    kind = ref[0]
    if kind == "model":
        return "object"
    if kind == "list":
        return f"list[{type_text(ref[1])}]"
    if kind == "union":
        return " | ".join(type_text(member) for member in ref[1])
    return SIMPLE_TYPES.get(kind, str(kind))


def flatten(
    ref: TypeRef,
    prefix: str,
    shapes: dict[int, Shape],
    field_names: dict[int, tuple[tuple[str, str], ...]],
    out: dict[str, str],
    seen: frozenset[int] = frozenset(),
) -> None:
    kind = ref[0]
    if kind == "list":
        flatten(ref[1], f"{prefix}[]", shapes, field_names, out, seen)
    elif kind == "union":
        for member in ref[1]:
            flatten(member, prefix, shapes, field_names, out, seen)
    elif kind == "model" and ref[1] not in seen:
        shape = shapes[ref[1]]
        attrs = dict(field_names.get(shape.id, ()))
        for shape_field in shape.fields:
            path = (
                f"{prefix}.{attrs.get(shape_field.key, shape_field.key)}"
                if prefix
                else attrs.get(shape_field.key, shape_field.key)
            )
            text = type_text(shape_field.type)
            if not shape_field.required and "None" not in text.split(" | "):
                text += " | None"
            out[path] = text
            flatten(shape_field.type, path, shapes, field_names, out, seen | {ref[1]})


def compare(
    old: Path, new: Path, diagnostics: Diagnostics, settings: SourceSettings | None = None
) -> DiffResult:
    """Compare two collection files; raises ZgenError on bad input. NEW is named as a build over
    OLD's package names it: what OLD published (method and model names) stays where it can."""
    first = analyze(old, diagnostics, settings)
    second = analyze(
        new, diagnostics, settings, published=published_models(first.inferred, first.names)
    )
    return compare_endpoints(endpoints(first), endpoints(second), str(old), str(new))


def compare_endpoints(
    before: dict[str, Endpoint], after: dict[str, Endpoint], old: str = "OLD", new: str = "NEW"
) -> DiffResult:
    result = DiffResult(old, new)
    pairs: list[tuple[Endpoint, Endpoint]] = []
    gone = [before[name] for name in sorted(before) if name not in after]
    arrived = [after[name] for name in sorted(after) if name not in before]
    for name in sorted(before):
        if name in after:
            pairs.append((before[name], after[name]))
    for endpoint in gone:
        twin = next((candidate for candidate in arrived if candidate.shape == endpoint.shape), None)
        if twin is None:
            result.changes.append(
                Change(
                    "request-removed",
                    endpoint.accessor,
                    f"{endpoint.method} {endpoint.route}",
                    True,
                )
            )
            continue
        arrived.remove(twin)
        result.changes.append(
            Change(
                "request-renamed",
                endpoint.accessor,
                f"{endpoint.method} {endpoint.route}",
                True,
                endpoint.accessor,
                twin.accessor,
            )
        )
        pairs.append((endpoint, twin))
    for endpoint in arrived:
        result.changes.append(
            Change("request-added", endpoint.accessor, f"{endpoint.method} {endpoint.route}", False)
        )
    for was, now in pairs:
        result.changes.extend(compare_params(was, now))
        result.changes.extend(compare_fields(was, now))
    order = {"request": 0, "param": 1, "field": 2}
    result.changes.sort(key=lambda c: (order[c.kind.split("-")[0]], c.request, c.subject, c.kind))
    return result


def compare_params(was: Endpoint, now: Endpoint) -> list[Change]:
    changes: list[Change] = []
    for name, (required, annotation) in was.params.items():
        if name not in now.params:
            changes.append(Change("param-removed", was.accessor, name, True, annotation, ""))
        elif now.params[name][0] and not required:
            changes.append(
                Change("param-required", was.accessor, name, True, "optional", "required")
            )
    for name, (required, annotation) in now.params.items():
        if name not in was.params:
            changes.append(
                Change(
                    "param-added",
                    was.accessor,
                    name,
                    required,
                    "",
                    annotation + ("" if required else " (optional)"),
                )
            )
    return changes


def compare_fields(was: Endpoint, now: Endpoint) -> list[Change]:
    changes: list[Change] = []
    for path, text in was.fields.items():
        if path not in now.fields:
            changes.append(Change("field-removed", was.accessor, path, True, text, ""))
        elif now.fields[path] != text:
            changes.append(Change("field-type", was.accessor, path, True, text, now.fields[path]))
    for path, text in now.fields.items():
        if path not in was.fields:
            changes.append(Change("field-added", was.accessor, path, False, "", text))
    return changes


# How each kind of change reads in the text report.
CHANGE_TEXT = {
    "request-added": "added request {where} ({subject})",
    "request-removed": "removed request {where} ({subject})",
    "request-renamed": "renamed request {old} -> {new} ({subject})",
    "param-added": "added parameter {where}({subject}: {new})",
    "param-removed": "removed parameter {where}({subject})",
    "param-required": "parameter {where}({subject}) is now required",
    "field-added": "added field {where} -> {subject}: {new}",
    "field-removed": "removed field {where} -> {subject}: {old}",
    "field-type": "changed type of {where} -> {subject}: {old} -> {new}",
}


def render_text(result: DiffResult) -> str:
    lines = [f"zgen diff: {result.old} -> {result.new}"]
    for change in result.changes:
        mark = "  BREAKING" if change.breaking else ""
        text = CHANGE_TEXT[change.kind].format(
            where=change.request, subject=change.subject, old=change.old, new=change.new
        )
        lines.append(f"  {text}{mark}")
    breaking = sum(1 for change in result.changes if change.breaking)
    if not result.changes:
        lines.append("  no changes to the API")
    lines.append(f"{len(result.changes)} change(s), {breaking} breaking")
    return "\n".join(lines) + "\n"

"""Stage 6: build the view of each generated file from the IR and names, and render the templates.

Decisions are made here, in Python; the templates only place what they are given. Text from the
collection enters source code only through `literal` (a Python string literal built with repr, in
black's quotes) and `docstring` (an escaped docstring body); identifiers come only from the naming
pass.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import json
import keyword
import math
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

from . import __version__, layout
from .infer import Inferred, Shape, TypeRef, Usage, holds_circular
from .ir import Api, AuthSpec, Body, Example, Operation, Slot, Template
from .layout import (
    bare_def,
    docstring_literal,
    float_literal,
    statement,
    string_literal,
    width,
)
from .memo import Memo, named, paused_gc, persisted, value_digest
from .naming import RESERVED_NAMES, STATUS_ERRORS, Names
from .paging import PAGING_PARAMS, Paging, norm
from .redact import redact_body, redact_headers

TEST_BASE_URL = "https://api.test"
DROPPED_FIXTURE_HEADERS = {"content-encoding", "transfer-encoding", "content-length", "connection"}


def literal(value: Any) -> str:
    """A Python literal for a value from the collection: str, int, float, bool, None, tuples
    (strings spelled as black spells them)."""
    if isinstance(value, str):
        return string_literal(value)  # repr, with black's quotes
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        return (
            float_literal(value)
            if value == value and value not in (float("inf"), float("-inf"))
            else "None"
        )
    if isinstance(value, tuple):
        inner = ", ".join(literal(item) for item in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    raise TypeError(f"no literal for {type(value).__name__}")


def printable(text: str) -> str:
    """`text` without its characters other than newlines that are not printable (control
    characters, lone surrogates: no surrogate is printable)."""
    if text.replace("\n", "").isprintable():
        return text  # the common case, checked in one call instead of a character at a time
    return "".join(
        ch for ch in text if ch == "\n" or (ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF)
    )


def docstring(text: str) -> str:
    """Text made safe inside a triple-quoted docstring: no escapes, no closing quotes, no NULs."""
    text = printable(text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4))
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    lines = [line.rstrip() for line in text.strip().split("\n")]
    text = "\n".join(lines)
    if text.endswith('"'):
        text += " "
    return text


LINE_LENGTH = 100
LIST_ITEM_RE = re.compile(r"^(\s*)([-*+]|\d+[.)])\s+")


def wrap_markdown(text: str, width: int) -> list[str]:
    """Collection text (Markdown) as lines of at most `width` characters where words allow:
    paragraphs and list items are filled; code blocks, tables, headings and quotes are kept."""
    return list(_wrapped_markdown(text, width))


# The same texts recur (argument entries of many methods): each is wrapped once, and a rebuild
# takes the wrapping of the texts it had from its build cache.
@persisted("wrapped_markdown")
def _wrapped_markdown(text: str, width: int) -> tuple[str, ...]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4)
    # What a docstring keeps (see `docstring`): other control characters are not whitespace here.
    text = printable(text).strip()
    out: list[str] = []
    paragraph: list[str] = []
    fenced = False

    def flush() -> None:
        if paragraph:
            match = LIST_ITEM_RE.match(paragraph[0])
            lead = match.group(0) if match else ""
            body = " ".join(line.strip() for line in [paragraph[0][len(lead) :], *paragraph[1:]])
            out.extend(fill(body, max(width, 20), lead) or [lead.rstrip()])
            paragraph.clear()

    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            flush()
            fenced = not fenced
            out.append(line.rstrip())
        elif fenced or (line.startswith("    ") and not paragraph):
            out.append(line.rstrip())
        elif not stripped:
            flush()
            if out and out[-1]:
                out.append("")
        elif stripped.startswith(("|", "#", ">")) or re.fullmatch(r"[-=*_ ]{3,}", stripped):
            flush()
            out.append(line.rstrip())
        elif LIST_ITEM_RE.match(line):
            flush()
            paragraph.append(line)
        else:
            paragraph.append(line)
    flush()
    while out and not out[-1]:
        out.pop()
    return tuple(out)


# What textwrap takes for whitespace besides the space.
TEXTWRAP_SPACE_RE = re.compile(r"[\t\n\x0b\x0c\r]")


def fill(body: str, width: int, lead: str) -> list[str]:
    """`body` filled to `width` after `lead` (list items: continuation lines under the text)."""
    fits_one_line = bool(body) and len(lead) + len(body) <= width and body == body.strip()
    if fits_one_line and not TEXTWRAP_SPACE_RE.search(body):
        # textwrap would give this one line: most entries are short (and textwrap is slow)
        return [lead + body]
    return textwrap.wrap(
        body,
        width=width,
        initial_indent=lead,
        subsequent_indent=" " * len(lead),
        break_long_words=False,
        break_on_hyphens=False,
    )


def doc_entry(name: str, text: str, width: int) -> list[str]:
    """A `name: text` entry of an Args/Raises section: wrapped, continuation lines indented."""
    lines = wrap_markdown(f"{name}: {text}", width - 8)
    return [f"    {lines[0]}", *(f"        {line}" if line else "" for line in lines[1:])]


@functools.lru_cache(maxsize=65536)  # pure; every model name is sorted by it several times
def export_order(name: str) -> tuple[int, tuple[tuple[int, int, int | str], ...]]:
    """The order of names in `__all__` and import lists that isort and ruff expect:
    CONSTANTS, then Classes, then the rest, each in natural order (Model2 before Model10; a
    number with a leading zero compares digit by digit, before the others, as in ruff's natural
    order: `x_05f` before `x_2c`)."""
    # (a capital alone is a class to ruff, not a constant)
    category = 0 if len(name) > 1 and name.isupper() else 1 if name[:1].isupper() else 2
    if _DIGIT(name) is None:  # (most names: one part)
        return category, ((1, 0, name),) if name else ()
    natural = tuple(
        (
            ((0, 0, part) if part[0] == "0" else (0, 1, int(part)))
            if part.isdigit()
            else (1, 0, part)
        )
        for part in _DIGITS_SPLIT(name)
        if part
    )
    return category, natural


_DIGIT = re.compile(r"\d").search
_DIGITS_SPLIT = re.compile(r"(\d+)").split


PLAIN_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def plain_field_key(key: str) -> bool:
    """Whether a form key may stand as a TypedDict field as written: plain ASCII, no keyword,
    no dunder. Any other key is written as a string literal (functional TypedDict syntax)."""
    return (
        PLAIN_KEY_RE.fullmatch(key) is not None
        and not keyword.iskeyword(key)
        and not keyword.issoftkeyword(key)
        and not key.startswith("__")
    )


def header_comment(api: Api) -> str:
    return f"# Generated by zgen {__version__} from {api.file!r}. Do not edit by hand: run `zgen build` again."


@dataclass
class Arg:
    name: str
    annotation: str
    default: str | None  # Python expression, None when required
    doc: str


@dataclass
class PagingView:
    iter_method: str  # yields the items
    pages_method: str  # yields the pages
    page_type: str  # annotation of a page's parsed body
    item_type: str  # annotation of an item
    args: list[Arg]  # the method's arguments, paging parameters defaulting to None
    doc: str

    @functools.cached_property  # (used by the sync and the async methods)
    def params(self) -> list[str]:
        """The parameters of both iterator methods, as written in their signatures."""
        limits = ["max_pages: int | None = None", "max_items: int | None = None"]
        return method_params(self.args, limits)

    @functools.cached_property  # (used by the sync and the async methods)
    def forward(self) -> str:
        """The arguments the items method passes on to the pages method."""
        names = [f"{arg.name}={arg.name}" for arg in self.args]
        return ", ".join([*names, "max_pages=max_pages", "max_items=max_items", "**options"])


@dataclass
class OpView:
    constant: str  # name of the module-level Operation
    operation: list[tuple[str, str]]  # arguments of its _base.Operation(...)
    method: str
    doc: str
    args: list[Arg]
    returns: str
    call: list[tuple[str, str]]  # arguments of the runtime `_call`
    arg_docs: list[tuple[str, str]] = field(default_factory=list)
    paging: PagingView | None = None
    route: str = ""
    error: str = "None"
    raises: list[tuple[str, list[int]]] = field(default_factory=list)

    @functools.cached_property  # (used by the sync and the async methods)
    def params(self) -> list[str]:
        """The method's parameters, as written in its signature."""
        return method_params(self.args)

    @functools.cached_property  # (used by the sync and the async methods)
    def call_text(self) -> str:
        """The arguments of its runtime `_call`, as written."""
        return ", ".join(f"{key}={value}" if key else value for key, value in self.call)

    @functools.cached_property  # (used by the sync and the async methods)
    def operation_text(self) -> str:
        """The arguments of its `_base.Operation(...)`, as written."""
        return ", ".join(f"{key}={value}" if key else value for key, value in self.operation)


def method_params(args: list[Arg], extra: Sequence[str] = ()) -> list[str]:
    """`self`, the keyword-only arguments (`name: annotation = default`), `extra` and the
    request options, as a signature lists them."""
    written = [
        f"{arg.name}: {arg.annotation}" + (f" = {arg.default}" if arg.default is not None else "")
        for arg in args
    ]
    star = ["*"] if args else []
    return ["self", *star, *written, *extra, "**options: Unpack[_base.RequestOptions]"]


class OpEntry:
    """A request as the templates see it: its `OpView`, made on first use (any attribute of the
    view reads through). Its method and constant names, and the digest of everything its code is
    made from (`key`, None when unknown), come without the view: a rebuild takes the pieces of an
    unchanged request from its memo by that key (see `kept_call`) and never makes its view."""

    __slots__ = ("_make", "_view", "constant", "imports", "key", "method")

    def __init__(
        self, method: str, constant: str, key: bytes | None, make: Callable[[set[str]], OpView]
    ) -> None:
        self.method = method
        self.constant = constant
        self.key = key
        self.imports: set[str] = set()  # the modules its view's annotations need (when made)
        self._make = make
        self._view: OpView | None = None

    def view_of(self) -> OpView:
        """The view (made now if it was not)."""
        if self._view is None:
            self._view = self._make(self.imports)
        return self._view

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # (the slots not yet set, and dunders: not the view's)
            raise AttributeError(name)
        return getattr(self.view_of(), name)

    def release(self) -> None:
        """Let go of the view and of what it is made from (the analysed collection): see
        `released`."""
        self._view = None
        self._make = _released


def _released(imports: set[str]) -> OpView:
    raise RuntimeError("the view of a request was asked for after the render")


def released(root: NamespaceView) -> None:
    """Empty the namespace tree once every template is rendered. Jinja's render contexts are in
    reference cycles (a template's macros refer to its context), which only the garbage collector
    frees, and the build pauses the collector (see pipeline.build): what they hold would outlive
    the build and be freed by the first collection after it, walked object by object."""
    for node in (root, *flatten(root)):
        for entry in node.ops:
            entry.release()
        node.ops.clear()
        node.children.clear()


@dataclass
class NamespaceView:
    attr: str
    cls: str
    ops: list[OpEntry]
    children: list[NamespaceView]
    doc: str = ""  # the class docstring (escaped, lines after the first unindented)
    path: tuple[str, ...] = ()  # attribute names from the client
    kept: bool = False  # its pieces are kept per request (see PIECES)


def accessor(names: Names, index: int) -> str:
    """`client.bulk_write.job_details`: how a request is reached from the client."""
    return ".".join(("client", *names.op_namespace[index], names.methods[index]))


def uses_text(accessors: list[str]) -> str:
    """`of every request`, or the methods (the first three, and how many more)."""
    shown = ", ".join(f"`{name}()`" for name in accessors[:3])
    more = f" and {len(accessors) - 3} more" if len(accessors) > 3 else ""
    return f"{shown}{more}"


def client_var_uses(api: Api, names: Names, key: str) -> list[str]:
    """What a client-level value fills, in words: headers, query keys, auth, hosts."""
    filled: dict[str, list[str]] = {}
    for index, op in enumerate(api.operations):
        where: list[str] = []
        for header, template in op.headers:
            if ("var", key) in template:
                where.append(f"the `{header}` header")
        for query_key, template in op.query:
            if ("var", key) in template:
                where.append(f"the `{query_key}` query key")
        if op.auth is not None and key in op.auth.credentials:
            place = "header" if op.auth.location == "header" else "query key"
            where.append(f"the `{op.auth.name}` {place} (the credential)")
        body = op.body
        for path, filled_key in body.fills if body is not None else ():
            if filled_key == key and body is not None:
                field = "form" if body.mode in ("urlencoded", "formdata") else "body"
                where.append(f"the `{'.'.join(path)}` {field} field")
        if op.host == key:
            where.append("the base URL")
        for item in where:
            filled.setdefault(item, []).append(accessor(names, index))
    total = len(api.operations)
    return [
        f"{item} of {'every request' if len(used) == total and total > 1 else uses_text(used)}"
        for item, used in filled.items()
    ]


def client_arg_doc(
    api: Api, names: Names, key: str, description: str, secret: bool, default: str | None = None
) -> str:
    parts = [description.strip().rstrip(".") if description.strip() else ""]
    uses = client_var_uses(api, names, key)
    if uses:
        parts.append("Fills " + "; ".join(uses))
    elif not parts[0]:
        parts.append("A credential" if secret else "A client-level value")
    parts.append(f"Read from `{names.env_prefix}_{names.client_vars[key].upper()}` when not given")
    if default is not None and not secret:
        parts.append(f"Default: {default}")
    return ". ".join(part for part in parts if part) + "."


def annotation(ref: TypeRef, names: Names, imports: set[str]) -> str:
    kind = ref[0]
    if kind in ("model", "recursive"):  # recursive: a model that contains itself
        return f"models.{names.models[ref[1]]}"
    if kind == "list":
        return f"list[{annotation(ref[1], names, imports)}]"
    if kind == "union":
        return " | ".join(annotation(member, names, imports) for member in ref[1])
    if kind in ("datetime", "date"):
        imports.add("datetime")
        return f"datetime.{kind}"
    if kind == "uuid":
        imports.add("uuid")
        return "uuid.UUID"
    return {
        "any": "Any",
        "null": "None",
        "str": "str",
        "int": "int",
        "float": "float",
        "bool": "bool",
        "dict": "dict[str, Any]",
    }[kind]


def template_expr(template: Template, var_names: dict[str, str]) -> str:
    """A fixed header or query value: literal text, client-level values and values made fresh for
    each call, as a tuple."""
    parts = [
        (
            literal(text)
            if kind == "text"
            else (
                f"_base.Fresh({literal(text)})"
                if kind == "dynamic"
                else f"_base.Value({literal(var_names[text])})"
            )
        )
        for kind, text in template
    ]
    return tuple_expr(parts)


def slot_expr(slot: Slot, var_names: dict[str, str]) -> str:
    """A value made when the call is sent: a dynamic variable's JSON value (`_base.Fresh(...)`),
    or a string of parts (a tuple, as a fixed header's)."""
    if slot.bare and len(slot.template) == 1 and slot.template[0][0] == "dynamic":
        return f"_base.Fresh({literal(slot.template[0][1])})"
    return template_expr(slot.template, var_names)


def json_expr(value: Any, var_names: dict[str, str]) -> str:
    """A JSON value from the collection as a Python display, its `Slot`s as `slot_expr`s."""
    if isinstance(value, Slot):
        return slot_expr(value, var_names)
    if isinstance(value, dict):
        items = ", ".join(
            f"{literal(key)}: {json_expr(item, var_names)}" for key, item in value.items()
        )
        return "{" + items + "}"
    if isinstance(value, list):
        return "[" + ", ".join(json_expr(item, var_names) for item in value) + "]"
    return literal(value)


def json_preview(value: Any, var_names: dict[str, str], limit: int = 240) -> str:
    """A JSON value from the collection as a docstring shows it: a value made when the call is
    sent as `{{$guid}}`, a client-level value as `{{name}}` (the constructor argument)."""

    def shown(node: Any) -> Any:
        if isinstance(node, Slot):
            return "".join(
                (
                    text
                    if kind == "text"
                    else "{{" + (var_names[text] if kind == "var" else text) + "}}"
                )
                for kind, text in node.template
            )
        if isinstance(node, dict):
            return {key: shown(item) for key, item in node.items()}
        if isinstance(node, list):
            return [shown(item) for item in node]
        return node

    text = json.dumps(shown(value), ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def tuple_expr(parts: Sequence[str]) -> str:
    """A tuple display of Python expressions: `(a,)`, `(a, b)` (no magic trailing comma)."""
    return f"({parts[0]},)" if len(parts) == 1 else f"({', '.join(parts)})"


def operation_constant(names: Names, index: int) -> str:
    """The private module-level name of an operation's constant: _FOLDER__METHOD."""
    return "_" + "__".join(
        part.upper() for part in (*names.op_namespace[index], names.methods[index])
    )


def auth_expr(auth: AuthSpec | None, var_names: dict[str, str]) -> str | None:
    if auth is None:
        return None
    if auth.kind == "unsupported":
        return f'_base.AuthScheme("unsupported", postman_type={literal(auth.postman_type)})'
    creds = tuple(var_names[key] for key in auth.credentials)
    return (
        f"_base.AuthScheme({literal(auth.kind)}, {literal(auth.location)}, {literal(auth.name)}, "
        f"{literal(auth.prefix)}, {literal(creds)})"
    )


def response_types(
    op_types: Any, names: Names, imports: set[str], place: str = ""
) -> tuple[str, str, str]:
    """The return annotation, the ResponseSpec expression and the error type expression."""
    kinds = op_types.response_kinds
    members: list[str] = []
    spec: list[str] = []
    if op_types.response is not None and "json" in kinds:
        json_ann = annotation(op_types.response, names, imports)
        members.append(json_ann)
        spec.append(f"json={json_ann}")
    if "text" in kinds:
        members.append("str")
        spec.append("text=True")
    if "binary" in kinds:
        members.append("bytes")
        spec.append("binary=True")
    if "empty" in kinds:
        members.append("None")
        spec.append("empty=True")
    if "unsaved" in kinds:
        # Content the collection did not keep: what the other examples show, or None when the
        # body is empty (the runtime reads an empty body so); anything when nothing else shows.
        members.append("None" if members else "Any")
        spec.append("unsaved=True")
    if op_types.response is not None and "json" in kinds and place:
        spec.append(f"request={literal(place)}")
    returns = " | ".join(dict.fromkeys(members)) if members and "Any" not in members else "Any"
    error = annotation(op_types.error, names, imports) if op_types.error is not None else "None"
    return returns, f"_base.ResponseSpec({', '.join(spec)})", error


def paging_expr(paging: Paging) -> str:
    """The `_base.Paging(...)` of a paged request (keys from the collection only as literals)."""
    parts = [literal(paging.scheme), f"items={literal(paging.items)}"]
    for key in ("param", "next", "more", "total", "total_pages", "size_param", "cursor_key"):
        value = getattr(paging, key)
        if value is not None:
            parts.append(f"{key}={literal(value)}")
    return f"_base.Paging({', '.join(parts)})"


def paging_view(
    op: Operation,
    paging: Paging,
    methods: tuple[str, str],
    method: str,
    args: list[Arg],
    params: dict[str, str],
    page_type: str,
    names: Names,
    imports: set[str],
) -> PagingView:
    """The iterator methods of a paged request: the same arguments as the method, except that the
    paging parameters default to None (the collection's sample values would pin one page)."""
    steering = {p.key for p in op.params if p.location == "query" and norm(p.key) in PAGING_PARAMS}
    steering |= {key for key in (paging.param, paging.size_param) if key is not None}
    by_name = {name: key for key, name in params.items()}
    paged_args = [
        Arg(a.name, a.annotation, "None", a.doc) if by_name.get(a.name) in steering else a
        for a in args
    ]
    return PagingView(
        iter_method=methods[0],
        pages_method=methods[1],
        page_type=page_type,
        item_type=annotation(paging.item_type, names, imports),
        args=paged_args,
        doc=docstring(f"Every item of `{method}`, page after page."),
    )


def operation_view(
    api: Api,
    index: int,
    inferred: Inferred,
    names: Names,
    imports: set[str],
    paging: Paging | None = None,
) -> OpView:
    op = api.operations[index]
    var_names = names.client_vars
    params = names.params[index]
    args: list[Arg] = []
    path_parts: list[str] = []
    for kind, text in op.path:
        path_parts.append(
            literal(path_text(text))
            if kind == "text"
            else (
                f"_base.quote(_base.fresh({params[text]}, {literal(text)}))"
                if kind == "dynamic"
                else f"_base.quote({params[text]})"
            )
        )
    path_expr = " + ".join(path_parts) if path_parts else literal("")
    fresh_path = {text for kind, text in op.path if kind == "dynamic"}
    for param in op.params:
        name = params[param.key]
        if param.key in fresh_path:
            args.append(Arg(name, "str | None", "None", param.description))
        elif param.location == "path":
            args.append(
                Arg(
                    name,
                    "str",
                    literal(param.default) if param.default is not None else None,
                    param.description,
                )
            )
        elif param.multiple:
            args.append(Arg(name, "list[str] | None", "None", param.description))
        else:
            args.append(Arg(name, "str | None", literal(param.default), param.description))
    body_arg = names.body_arg[index]
    constant: list[tuple[str, str]] = [("", literal(op.method))]
    constant_name = operation_constant(names, index)
    call: list[tuple[str, str]] = [("", constant_name), ("", path_expr), ("", "options")]
    returns, spec, error = response_types(inferred.operations[index], names, imports, op.place)
    constant.append(("", spec))
    if error != "None":
        constant.append(("error_type", error))
    if op.host != api.base_url:
        constant.append(("host", literal(var_names[op.host])))
    auth = auth_expr(op.auth, var_names)
    if auth is not None:
        constant.append(("auth", auth))
    if op.headers:
        items = [f"({literal(k)}, {template_expr(v, var_names)})" for k, v in op.headers]
        constant.append(("headers", tuple_expr(items)))
    if op.query:
        items = [f"({literal(k)}, {template_expr(v, var_names)})" for k, v in op.query]
        constant.append(("query", tuple_expr(items)))
    query = [(literal(p.key), params[p.key]) for p in op.params if p.location == "query"]
    if query:
        call.append(("query", "{" + ", ".join(f"{k}: {v}" for k, v in query) + "}"))
    body = op.body
    if body is not None:
        request_type = inferred.operations[index].request
        if body.mode == "json":
            ann = "Any"
            body_doc = "The JSON request body."
            if request_type is not None and request_type[0] == "model":
                model = annotation(request_type, names, imports)
                ann = f"{model} | Mapping[str, Any]"
                body_doc = f"The JSON request body: a `{model}` or a mapping of the same keys."
            args.append(Arg(body_arg, ann, None, body_doc))
            call.append(("json", body_arg))
        elif body.mode == "text":
            args.append(Arg(body_arg, "str | bytes", None, "The request body."))
            call.append(("content", body_arg))
        elif body.mode == "file":
            args.append(
                Arg(body_arg, "_base.FileContent", None, "The file to send as the request body.")
            )
            call.append(("content", body_arg))
        elif body.mode == "graphql":
            args.append(Arg(body_arg, "str", literal(body.example or ""), "The GraphQL query."))
            graphql: list[str] = []
            if body.operation_name is not None:
                graphql.append(f"operation_name={literal(body.operation_name)}")
            if body.variables is None:
                args.append(
                    Arg(
                        "variables",
                        "Mapping[str, Any] | None",
                        "None",
                        "The GraphQL variables; None sends none.",
                    )
                )
            else:
                graphql.append(f"variables={json_expr(body.variables, var_names)}")
                preview = json_preview(body.variables, var_names)
                args.append(
                    Arg(
                        "variables",
                        "Mapping[str, Any] | NotGiven | None",
                        "NOT_GIVEN",
                        "The GraphQL variables. Left out, the collection's are sent:"
                        f" `{preview}` (`{{{{name}}}}`: the client's value, `{{{{$...}}}}`: made"
                        " fresh for each call, as Postman makes it); None sends none.",
                    )
                )
            constant.append(("graphql", f"_base.GraphQL({', '.join(graphql)})"))
            call.append(("json", f'{{"query": {body_arg}, "variables": variables}}'))
        else:
            args.append(
                Arg(
                    body_arg,
                    f"forms.{names.forms[index]}",
                    None,
                    f"The form fields (`forms.{names.forms[index]}`).",
                )
            )
            call.append(("data", body_arg))
            file_keys = tuple(f.key for f in body.fields if f.is_file)
            if file_keys:
                constant.append(("files", literal(file_keys)))
        fills = (
            [(path, f"_base.Value({literal(var_names[key])})") for path, key in body.fills]
            + [(path, slot_expr(slot, var_names)) for path, slot in body.fresh]
            + [(path, literal(value)) for path, value in body.defaults]
        )
        if fills:
            items = [f"({literal(path)}, {value})" for path, value in fills]
            constant.append(("body_fills", tuple_expr(items)))
        if body.content_type and body.mode in ("json", "text", "file", "urlencoded"):
            constant.append(("content_type", literal(body.content_type)))
    required = [a for a in args if a.default is None]
    optional = [a for a in args if a.default is not None]
    ordered = required + optional
    view: PagingView | None = None
    methods = names.paging_methods[index] if names.paging_methods else None
    if paging is not None and methods is not None:
        response = inferred.operations[index].response
        assert response is not None  # a paged request has a JSON body with a list
        constant.append(("paging", paging_expr(paging)))
        page_type = annotation(response, names, imports)
        view = paging_view(
            op, paging, methods, names.methods[index], ordered, params, page_type, names, imports
        )
    return OpView(
        constant=constant_name,
        operation=constant,
        method=names.methods[index],
        doc=docstring(
            "\n".join(method_doc(op, route(op, params), ordered, returns, error, LINE_LENGTH - 8))
        ),
        args=ordered,
        returns=returns,
        call=call,
        arg_docs=[(a.name, docstring(a.doc)) for a in ordered if a.doc.strip()],
        paging=view,
        route=route(op, params),
        error=error,
        raises=raised_errors(op),
    )


def route(op: Operation, params: dict[str, str]) -> str:
    """`GET /crm/bulk/v2.1/write/{job_id}`: the method and the path, parameters by argument name."""
    path = "".join(text if kind == "text" else "{" + params[text] + "}" for kind, text in op.path)
    return f"{op.method} {path if path.startswith('/') else '/' + path}"


def raised_errors(op: Operation) -> list[tuple[str, list[int]]]:
    """The error classes of the statuses of the saved error responses, with those statuses."""
    found: dict[str, list[int]] = {}
    for example in op.examples:
        if example.status >= 400:
            statuses = found.setdefault(status_error_class(example.status), [])
            if example.status not in statuses:
                statuses.append(example.status)
    return sorted((cls, sorted(statuses)) for cls, statuses in found.items())


def statuses_text(statuses: list[int]) -> str:
    return ", ".join(str(status) for status in statuses)


def method_doc(
    op: Operation, route_text: str, args: list[Arg], returns: str, error: str, width: int
) -> list[str]:
    """A method's docstring (unescaped, unindented): route, description, Args, Returns, Raises."""
    lines = [f"`{route_text}`"]
    if op.description.strip():
        lines += ["", *wrap_markdown(op.description, width)]
    if args:
        lines += ["", "Args:"]
        for arg in args:
            text = arg.doc.strip() or (
                "A path parameter."
                if arg.annotation == "str"
                else (
                    "A query parameter; None leaves it out."
                    if arg.annotation == "str | None"
                    else "The request body."
                )
            )
            lines += doc_entry(arg.name, text, width)
    success = sorted({e.status for e in op.examples if e.status < 400})
    what = f"the parsed {statuses_text(success)} response" if success else "the parsed response"
    lines += ["", "Returns:", *doc_entry(returns, f"{what}.", width)]
    lines += ["", "Raises:"]
    parsed = f"; `.parsed` holds `{error}`" if error != "None" else ""
    for cls, statuses in raised_errors(op):
        lines += doc_entry(cls, f"on a {statuses_text(statuses)} response{parsed}.", width)
    lines += doc_entry(
        "ApiError", "on any other error status, a timeout or a lost connection.", width
    )
    return lines


def namespace_tree(
    api: Api,
    inferred: Inferred,
    names: Names,
    paging: Sequence[Paging | None] = (),
    keys: Sequence[bytes | None] = (),
) -> NamespaceView:
    """The client's namespaces and their requests (`keys`: see request_keys)."""
    root = NamespaceView("", "", [], [], kept=bool(keys))
    nodes: dict[tuple[str, ...], NamespaceView] = {(): root}
    folder_docs = {folder.path: folder.description for folder in api.folders}
    ns_folders: dict[tuple[str, ...], tuple[str, ...]] = {}
    for index, op in enumerate(api.operations):
        ns = names.op_namespace[index]
        for depth in range(1, len(ns) + 1):
            ns_folders.setdefault(ns[:depth], op.folders[:depth])
    for path in sorted(names.namespaces):
        description = folder_docs.get(ns_folders.get(path, ()), "").strip()
        lines = (
            wrap_markdown(description, LINE_LENGTH - 4)
            if description
            else [f"Requests of the `{path[-1]}` folder."]
        )
        node = NamespaceView(
            path[-1],
            names.namespaces[path] + "Resource",
            [],
            [],
            docstring("\n".join(lines)),
            path,
            kept=bool(keys),
        )
        nodes[path] = node
        nodes[path[:-1]].children.append(node)
    for index in range(len(api.operations)):
        nodes[names.op_namespace[index]].ops.append(
            OpEntry(
                names.methods[index],
                operation_constant(names, index),
                keys[index] if keys else None,
                functools.partial(
                    operation_view,
                    api,
                    index,
                    inferred,
                    names,
                    paging=paging[index] if paging else None,
                ),
            )
        )
    return root


# Per request, the pieces of generated code and text made from it alone (its methods and
# constant in client.py, its API.md entry, its fixture files and test cases, what its code
# imports), by the digest of everything they are made from (see request_keys); and the pieces made
# of requests alone (a namespace's classes, a test module), by their requests' keys. A rebuild
# after a small change makes the pieces of the few requests it touched, and takes the others from
# the last build (see memo.Memo).
PIECES: Memo[tuple[Any, ...], Any] = named("pieces")


def request_keys(
    api: Api,
    inferred: Inferred,
    names: Names,
    paging: Sequence[Paging | None],
    digests: Sequence[bytes | None],
) -> list[bytes | None]:
    """Per request, the digest of every input of its pieces (None: not kept): `digests`, the
    digest of what its Operation is made from (normalize's memo keys), with the names and types
    the render stage gives it and the client-level values every request reads. A model is in the
    key by its name: a request's code holds the names of its models, never their fields."""
    if len(digests) != len(api.operations):
        return [None] * len(api.operations)
    shared = value_digest(
        (
            api.base_url,
            tuple(sorted(names.client_vars.items())),
            tuple(sorted(test_values(api, names).items())),
            names.package,
        )
    )
    keys: list[bytes | None] = []
    for index, digest in enumerate(digests):
        if digest is None:
            keys.append(None)
            continue
        types = inferred.operations[index]
        found = paging[index] if paging else None
        parts = (
            shared,
            digest,
            names.op_namespace[index],
            names.methods[index],
            tuple(names.params[index].items()),
            names.body_arg[index],
            names.forms[index],
            names.paging_methods[index] if names.paging_methods else None,
            names.fixtures[index],
            names.test_modules[index],
            types.response_kinds,
            tuple(named_ref(ref, names) for ref in (types.response, types.error, types.request)),
            None if found is None else paging_plain(found, names),
        )
        try:
            keys.append(value_digest(parts))
        except ValueError:
            keys.append(None)
    return keys


def named_ref(ref: TypeRef | None, names: Names) -> Any:
    """A type as plain data, each model by its class name (not by its shape's number, which a
    change elsewhere in the collection may shift)."""
    if ref is None:
        return None
    kind = ref[0]
    if kind in ("model", "recursive"):
        return (kind, names.models[ref[1]])
    if kind == "list":
        return (kind, named_ref(ref[1], names))
    if kind == "union":
        return (kind, tuple(named_ref(member, names) for member in ref[1]))
    return ref


def paging_plain(found: Paging, names: Names) -> tuple[Any, ...]:
    """Every field of a request's paging as plain data (its item type by name: see named_ref)."""
    return tuple(
        (
            named_ref(found.item_type, names)
            if item.name == "item_type"
            else getattr(found, item.name)
        )
        for item in dataclasses.fields(found)
    )


def kept_call(piece: str, op: OpEntry, is_async: bool, macro: Callable[..., str]) -> str:
    """A template macro's text for a request (`macro(op, is_async)`), taken from the last build
    when the request's key is the same (see PIECES)."""
    if op.key is None:
        return str(macro(op, is_async))
    text: str = PIECES.get((op.key, piece, is_async), lambda: str(macro(op, is_async)))
    return text


def kept_namespace(ns: NamespaceView, macro: Callable[[NamespaceView], str]) -> str:
    """A template macro's text for a namespace (its classes: `macro(ns)`), taken from the last
    build when its requests' keys, its docstring and its children are the same (see PIECES)."""
    keys = tuple(op.key for op in ns.ops)
    if not ns.kept or None in keys:
        return str(macro(ns))
    children = tuple((child.attr, child.cls) for child in ns.children)
    key = ("namespace", ns.attr, ns.cls, ns.doc, children, keys)
    text: str = PIECES.get(key, lambda: str(macro(ns)))
    return text


Facts = tuple[bool, bool, bool, tuple[str, ...]]


def request_facts(entry: OpEntry) -> Facts:
    """What the module header needs to know of a request's code: whether it refers to models,
    to `Any`, whether it pages, and the modules it imports."""

    def made() -> Facts:
        op = entry.view_of()
        annotations = (op.returns, *(arg.annotation for arg in op.args))
        return (
            any("models." in text for text in (*annotations, *(v for _, v in op.operation))),
            any(
                re.search(r"\bAny\b", text)
                for text in (*annotations, *((op.paging.item_type,) if op.paging else ()))
            ),
            op.paging is not None,
            tuple(sorted(entry.imports)),
        )

    if entry.key is None:
        return made()
    found: Facts = PIECES.get((entry.key, "facts"), made)
    return found


def flatten(node: NamespaceView) -> list[NamespaceView]:
    result: list[NamespaceView] = []
    for child in node.children:
        result.extend(flatten(child))
        result.append(child)
    return result


def model_docs(api: Api, inferred: Inferred, names: Names) -> dict[str, str]:
    """Each class's docstring, made of names and statuses only: where its shape occurs
    (`The 200 response of `client.bulk_write.job_details()`.`)."""
    docs: dict[str, str] = {}
    for shape in inferred.shapes:
        first = min(shape.usages, key=lambda u: (ROLE_ORDER[u.role], u.op, u.path))
        # Each place reads differently by its request (its accessor), its role and where in the
        # body the shape is: the places are counted without writing each.
        count = len({(u.op, u.role, _place_kind(u.path)) for u in shape.usages})
        place = usage_place(api, names, first)
        more = f" (and {count - 1} more)" if count > 1 else ""
        text = f"{place[:1].upper()}{place[1:]}{more}."
        docs[names.models[shape.id]] = docstring("\n".join(wrap_markdown(text, LINE_LENGTH - 4)))
    return docs


def _place_kind(path: tuple[str, ...]) -> int:
    """Where a shape is in a body: the body itself, an item of it, or part of it."""
    return 0 if not path else 1 if path == ("[]",) else 2


def usage_place(api: Api, names: Names, usage: Usage) -> str:
    """Where a shape occurs, in words (`the 200 response of `client.jobs.get()``)."""
    op = api.operations[usage.op]
    call = f"`{accessor(names, usage.op)}()`"
    if usage.role == "request":
        what = f"the request body of {call}"
    else:
        errors = usage.role == "error"
        statuses = sorted({e.status for e in op.examples if (e.status >= 400) == errors})
        kind = "error response" if errors else "response"
        what = f"the {statuses_text(statuses)} {kind} of {call}".replace("the  ", "the ")
    kind_of = _place_kind(usage.path)
    return what if kind_of == 0 else f"an item of {what}" if kind_of == 1 else f"part of {what}"


ROLE_ORDER = {"response": 0, "error": 1, "request": 2}


def markdown_types(text: str, anchors: dict[str, str]) -> str:
    """A type annotation for API.md, each model linked to its section."""
    parts = re.split(r"(models\.\w+)", text)
    out = []
    for part in parts:
        if part.startswith("models.") and part[7:] in anchors:
            out.append(f"[`{part[7:]}`](#{anchors[part[7:]]})")
        elif part:
            out.append(f"`{part}`")
    return "".join(out)


def code_span(text: str) -> str:
    """`text` as a Markdown code span, whatever backticks or line breaks it holds."""
    if text and "`" not in text and text.isprintable():
        return f"`{text}`"
    text = " ".join(text.splitlines()) or " "
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def model_fields(
    shape: Shape, names: Names, anchors: dict[str, str], typed: dict[tuple[TypeRef, bool], str]
) -> list[tuple[str, str, str]]:
    """API.md's lines of a model: (field name, its type linked, its JSON key where another), in
    the order of models.py. `typed`: each type's text so far, by (type, required)."""
    by_key = {f.key: f for f in shape.fields}
    found = []
    for key, name in names.fields[shape.id]:
        field_shape = by_key[key]
        linked = typed.get((field_shape.type, field_shape.required))
        if linked is None:
            text = annotation(field_shape.type, names, set())
            if not field_shape.required and "None" not in text.split(" | "):
                text += " | None"
            linked = typed[(field_shape.type, field_shape.required)] = markdown_types(text, anchors)
        shown = (code_span(key) if key else '`""`') if key != name else ""
        found.append((name, linked, shown))
    return found


REFERENCE_FIELDS = ("accessor", "signature", "route", "params", "returns", "raises")


def reference_entry(
    view: Callable[[], OpView], prefix: str, anchors: dict[str, str]
) -> tuple[Any, ...]:
    """A request's entry in API.md (the values of REFERENCE_FIELDS): `prefix`, how its namespace
    is reached from the client. A model links to its section by its name (`anchors`), which is
    in the request's key (see request_keys)."""
    op = view()
    params = [(arg.name, arg.annotation, arg.default) for arg in op.args]
    signature = ", ".join(
        f"{arg.name}: {arg.annotation}" + (f" = {arg.default}" if arg.default else "")
        for arg in op.args
    )
    parsed = markdown_types(op.error, anchors) if op.error != "None" else ""
    raises = ", ".join(
        f"`{cls}` ({', '.join(str(s) for s in statuses)})" for cls, statuses in op.raises
    )
    if raises and parsed:
        raises += f"; `.parsed` is {parsed}"
    return (
        f"{prefix}.{op.method}",
        f"{prefix}.{op.method}({'*, ' if signature else ''}{signature}) -> {op.returns}",
        op.route,
        params,
        markdown_types(op.returns, anchors),
        raises,
    )


def api_reference(
    root: NamespaceView, names: Names, inferred: Inferred
) -> tuple[list[dict[str, Any]], list[Any]]:
    """The view of API.md: every namespace with its methods, and every model with its fields and
    aliases."""
    anchors = {name: name.lower() for name in names.models.values()}
    for alias, target in names.aliases:
        anchors[alias] = target.lower()
    namespaces = []
    for node in (root, *sorted(flatten(root), key=lambda n: n.path)):
        prefix = ".".join(("client", *node.path))
        ops = []
        for entry in node.ops:
            made = functools.partial(reference_entry, entry.view_of, prefix, anchors)
            found = made() if entry.key is None else PIECES.get((entry.key, "reference"), made)
            ops.append(dict(zip(REFERENCE_FIELDS, found, strict=True)))
        if ops or node is not root:
            namespaces.append(
                {
                    "title": f"`{prefix}`",
                    "description": (
                        node.doc
                        if node.doc and not node.doc.startswith("Requests of the `")
                        else ""
                    ),
                    "ops": ops,
                }
            )
    aliases: dict[str, list[str]] = {}
    for alias, target in names.aliases:
        aliases.setdefault(target, []).append(alias)
    shapes = {names.models[shape.id]: shape for shape in inferred.shapes}
    typed: dict[tuple[TypeRef, bool], str] = {}
    models = [
        {
            "name": name,
            "aliases": ", ".join(f"`{alias}`" for alias in sorted(aliases.get(name, []))),
            "fields": model_fields(shapes[name], names, anchors, typed) if name in shapes else [],
        }
        for name in sorted(names.models.values(), key=export_order)
    ]
    return namespaces, models


TEST_CREDENTIAL = "test-credential"


def test_values(api: Api, names: Names) -> dict[str, str]:
    """The value the generated tests give each client-level value (ClientVar key -> value)."""
    values = {}
    for var in api.variables:
        name = names.client_vars[var.key]
        if var.secret:
            values[var.key] = TEST_CREDENTIAL
        elif var.key == api.base_url or any(op.host == var.key for op in api.operations):
            values[var.key] = TEST_BASE_URL
        else:
            values[var.key] = var.default if var.default else f"test-{name}"
    return values


def expected_wire(op: Operation, values: dict[str, str]) -> tuple[list[list[str]], list[list[str]]]:
    """The query entries and headers the request of an operation must carry in the tests: the
    fixed ones, and the auth as the runtime sends it with the test credential."""

    def text(template: Template) -> str:
        # (a value made fresh for each call is expected as its variable: see testing.py's `same`)
        return "".join(
            (
                part
                if kind == "text"
                else "{{" + part + "}}" if kind == "dynamic" else values.get(part, "")
            )
            for kind, part in template
        )

    query = [[key, text(template)] for key, template in op.query]
    # Query parameters with a default in the collection are sent when the call leaves them out.
    query += [
        [p.key, p.default] for p in op.params if p.location == "query" and p.default is not None
    ]
    headers = [[key, text(template)] for key, template in op.headers]
    auth = op.auth
    if auth is not None and auth.kind != "unsupported" and auth.credentials:
        if auth.kind == "basic":
            user, password = (values.get(key, TEST_CREDENTIAL) for key in auth.credentials[:2])
            token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
            headers.append(["Authorization", f"Basic {token}"])
        else:
            secret = values.get(auth.credentials[0], TEST_CREDENTIAL)
            if auth.location == "query":
                query.append([auth.name, secret])
            else:
                headers.append([auth.name, f"{auth.prefix} {secret}" if auth.prefix else secret])
    # A later header replaces an earlier one of the same name (the auth comes after the fixed ones).
    last = {key.lower(): [key, value] for key, value in headers}
    return query, list(last.values())


def fixture_data(
    example: Example,
    method: str,
    path: str,
    wire: tuple[list[list[str]], list[list[str]]] = ([], []),
    body: Any = None,
) -> str:
    """The fixture file of a saved response: the response, and the request it answers (with the
    body the test sends, when that is saved data rather than code: `body`, None for none). (Not
    kept on its own: a request's fixture files are kept with its other pieces, PIECES.)"""
    headers = [
        list(pair)
        for pair in redact_headers(example.headers)
        if pair[0].lower() not in DROPPED_FIXTURE_HEADERS
    ]
    saved, _ = redact_body(example.body, example.parsed, example.kind == "json")
    request: dict[str, Any] = {"method": method, "path": path, "query": wire[0], "headers": wire[1]}
    if body is not None:
        request["body"] = body
    data = {
        "name": example.name,
        "place": example.place,
        "status": example.status,
        "kind": example.kind,
        "content_type": example.content_type,
        "headers": headers,
        "body": saved,
        "request": request,
    }
    return fixture_json(data) + "\n"


def fixture_json(data: Any) -> str:
    """`json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)`, written faster: with an
    indent, json.dumps runs its pure-Python generators (a good part of the render stage over a
    thousand fixtures). This writes the same bytes for the JSON values a fixture holds (str keys;
    str, int, float, bool, None, lists, tuples, dicts), and leaves anything else to json.dumps
    (tests/test_render_fast_paths.py checks both agree)."""
    out: list[str] = []
    try:
        _json_chunks(data, "\n", out)
    except (_NotPlainJson, RecursionError):
        return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    return "".join(out)


class _NotPlainJson(Exception):
    """A value fixture_json leaves to json.dumps."""


def _json_scalar(value: Any) -> str | None:
    """A str, None, bool, int or float as json.dumps writes it; None for anything else."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        if value != value:
            return "NaN"
        if value in (math.inf, -math.inf):
            return "Infinity" if value > 0 else "-Infinity"
        return float.__repr__(value)
    return None


def _json_chunks(value: Any, newline: str, out: list[str]) -> None:
    """`value` as json.dumps writes it with indent=2 and sort_keys, its lines after the first
    starting with `newline` (a newline and the indentation of the value's own line)."""
    scalar = _json_scalar(value)
    if scalar is not None:
        out.append(scalar)
        return
    kind = type(value)
    inner = newline + "  "
    if kind is list or kind is tuple:
        if not value:
            out.append("[]")
            return
        out.append("[")
        separator = inner
        for item in value:
            # a string item written here: most items are (one call fewer each)
            if type(item) is str:
                out.append(separator + encode_basestring(item))
            else:
                out.append(separator)
                _json_chunks(item, inner, out)
            separator = "," + inner
        out.append(newline + "]")
    elif kind is dict:
        if not value:
            out.append("{}")
            return
        if any(type(key) is not str for key in value):
            raise _NotPlainJson("a key other than a str")
        out.append("{")
        separator = inner
        for key in sorted(value):
            item = value[key]
            if type(item) is str:
                out.append(f"{separator}{encode_basestring(key)}: {encode_basestring(item)}")
            else:
                out.append(f"{separator}{encode_basestring(key)}: ")
                _json_chunks(item, inner, out)
            separator = "," + inner
        out.append(newline + "}")
    else:
        raise _NotPlainJson(kind.__name__)


def path_text(text: str) -> str:
    """Literal path text from the collection, percent-encoded where a URL path cannot hold it as is.

    Already-encoded `%XX` and every character a path may carry stay; spaces, `#`, `?`, control and
    non-ASCII characters are encoded, and so are `.` and `..` segments (which an HTTP client would
    otherwise resolve away), so the request goes to the path the collection names.
    """
    encoded = re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", quote(text, safe="/:@!$&'()*+,;=-._~%"))
    return "/".join(
        piece.replace(".", "%2E") if piece in (".", "..") else piece for piece in encoded.split("/")
    )


def sample_path(op: Operation, values: dict[str, str]) -> str:
    return "".join(
        path_text(text) if kind == "text" else quote(values[text], safe="")
        for kind, text in op.path
    )


# How a generated test passes a body kept in its fixture file (see body_sample): a local it
# reads first (`body = saved.request_body`).
SAVED_BODY = "body"


def body_sample(body: Body) -> tuple[str, Any]:
    """The body argument a generated test passes, and the body its fixture file keeps for it (None
    for none): the collection's example where there is one (credentials redacted), so the request
    is sent as the collection shows it. A JSON or text example is data in the fixture file (read
    back as `saved.request_body` into the test's `body`), not a literal in the test's code."""
    if body.mode == "json":
        if isinstance(body.example, (dict, list)):
            _, redacted = redact_body("", body.example, True)
            return SAVED_BODY, redacted
        return "{}", None
    if body.mode == "text":
        text = redact_body(body.example, None, False)[0] if isinstance(body.example, str) else ""
        return SAVED_BODY, text
    if body.mode == "file":
        return 'b""', None
    if body.mode in ("urlencoded", "formdata"):
        return SAVED_FORM, None
    return "", None


# How a generated test passes a form body: a local it builds first (see form_setup).
SAVED_FORM = "form"


def form_setup(body: Body, form_class: str) -> str:
    """The statement that builds a test's form body (`form: forms.<Name> = {...}`, a text field
    "1" and a file field empty), as black lays it out at the test body's indentation."""
    empty_file, text_value = 'b""', literal("1")
    items = [f"{literal(f.key)}: {empty_file if f.is_file else text_value}" for f in body.fields]
    head = f"{SAVED_FORM}: forms.{form_class} = {{"
    laid = bracketed(head, items, "}", indent=4, literal=True)
    return (laid or head + ", ".join(items) + "}").lstrip(" ")


@dataclass
class TestCase:
    name: str
    fixture: str
    method: str  # the method on `client`, e.g. `client.jobs.get`
    arguments: list[str]  # e.g. `job_id="1"`
    error_class: str | None
    lenient: bool = False  # the saved body holds a converter's placeholder: replayed tolerantly
    # statements before the call (black's layout, first line unindented): reading the request
    # body kept in the fixture file into `body`, or building the form body `form`
    setup: list[str] = field(default_factory=list)

    @property
    def signature(self) -> str:
        """The test function's `def` line(s), as black lays them out."""
        head, items, tail = f"def {self.name}(", [f"{self.fixture}: SavedResponse"], ") -> None:"
        laid = bracketed(head, items, tail, signature=True)
        return laid if laid is not None else f"{head}{items[0]}{tail}"

    def replay(self, run: str, indent: int) -> str:
        """The statement that replays the call through `saved.call` or `saved.run` (`run`), with
        its check when the response is a success, as black lays it out at `indent` (without the
        indentation of its first line). A statement black would split further stays on one line:
        its piece goes through black."""
        heads = [f"saved.{run}("] if self.error_class else ["saved.assert_result(", f"saved.{run}("]
        call = f"lambda client: {self.method}("
        laid = nested_call(heads, call, self.arguments, indent=indent)
        if laid is None:
            laid = "".join(heads) + call + ", ".join(self.arguments) + ")" * (len(heads) + 1)
        return laid.lstrip(" ")


def status_error_class(status: int) -> str:
    """The error class the generated client raises for a status (as errors.status_error_class does)."""
    if status >= 500:
        return "InternalServerError"
    return STATUS_ERRORS.get(status, "ClientError")


def sample_value(default: str | None) -> str:
    """The value a generated test passes for a path parameter."""
    return default if default is not None else "1"


def environment(user_templates: Path | None) -> jinja2.Environment:
    """The Jinja environment over a user's templates folder (then the built-in templates), or
    over the built-in ones alone: that one made once per process, so that each template is
    compiled once (Jinja still reloads a template whose file changed)."""
    if user_templates is None:
        return _builtin_environment()
    return _new_environment(user_templates)


@functools.cache
def _builtin_environment() -> jinja2.Environment:
    return _new_environment(None)


def _new_environment(user_templates: Path | None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if user_templates is not None:
        loaders.append(jinja2.FileSystemLoader(str(user_templates)))
    loaders.append(jinja2.FileSystemLoader(str(builtin_templates())))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["literal"] = literal
    env.filters["docstring"] = docstring
    env.globals["layout"] = layout_call
    env.globals["code"] = code_call
    env.globals["signature"] = signature_call
    env.globals["doc"] = docstring_literal
    env.globals["fits"] = fits
    env.globals["kept"] = kept_call
    env.globals["kept_namespace"] = kept_namespace
    return env


def fits(text: str, indent: int = 0) -> bool:
    """Whether `text` at `indent` spaces fits black's line length."""
    return width(text) + indent <= LINE_LENGTH


def code_call(code: str, indent: int = 0) -> str:
    """Black's layout of one simple statement (see layout.statement), for the templates; where
    black might lay it out some other way, the statement on one line (black then formats it)."""
    return LAYOUTS.get((code, indent), lambda: _statement_layout(code, indent))


def _statement_layout(code: str, indent: int) -> str:
    laid = statement(code, indent)
    return code if laid is None else laid


# The layout module's other constructs, through the same memo (None, "black lays it out some
# other way", kept as ""):


def bracketed(
    head: str,
    items: Sequence[str],
    tail: str,
    *,
    indent: int = 0,
    literal: bool = False,
    signature: bool = False,
) -> str | None:
    """layout.bracketed (see there)."""
    key = ("bracketed", head, tuple(items), tail, indent, literal, signature)
    laid = LAYOUTS.get(
        key,
        lambda: layout.bracketed(
            head, items, tail, indent=indent, literal=literal, signature=signature
        )
        or "",
    )
    return laid or None


def signature(head: str, params: Sequence[str], tail: str, indent: int = 0) -> str | None:
    """layout.signature (see there)."""
    key = ("signature", head, tuple(params), tail, indent)
    return LAYOUTS.get(key, lambda: layout.signature(head, params, tail, indent) or "") or None


def nested_call(
    heads: Sequence[str], call: str, arguments: Sequence[str], *, indent: int = 0
) -> str | None:
    """layout.nested_call (see there)."""
    key = ("nested_call", tuple(heads), call, tuple(arguments), indent)
    laid = LAYOUTS.get(key, lambda: layout.nested_call(heads, call, arguments, indent=indent) or "")
    return laid or None


# The statements laid out (a few thousand calls in a big collection's client.py) by the last
# build: a rebuild takes those it asks again (see memo.Memo).
LAYOUTS: Memo[tuple[Any, ...], str] = named("layouts")
CIRCULAR: Memo[bytes, bool] = named(
    "circular"
)  # whether a saved JSON body holds a circular reference


def signature_call(head: str, params: Sequence[str], tail: str, indent: int = 0) -> str:
    """Black's layout of a `def` line (see layout.signature), else the line as it is."""
    laid = signature(head, params, tail, indent)
    return f"{head}{', '.join(params)}{tail}" if laid is None else laid


def layout_call(head: str, items: Sequence[str], tail: str, indent: int = 0, **kinds: bool) -> str:
    """Black's layout of a bracketed construct (see layout.bracketed: `literal`, `signature`), for
    the templates; where black would lay it out some other way, the construct on one line (a line
    over the limit sends its piece through black, see format.vouched_piece)."""
    laid = bracketed(head, items, tail, indent=indent, **kinds)
    if laid is not None:
        return laid.lstrip(" ")
    return f"{head}{', '.join(items)}{tail}"


# A built-in template whose first line is this comment renders code in black's style: its
# Python files skip black, piece by piece, unless a piece has a code line over the limit.
BLACK_STYLE = "{# zgen: black-style #}"


def black_style(env: jinja2.Environment, name: str) -> bool:
    """Whether `name` renders in black's style: a built-in template (not one of a user's
    `--templates` folder) that says so, or a built-in runtime module (kept black-formatted by CI).
    """
    filename = builtin_template(env, name)
    if filename is None:
        return False
    if name in RUNTIME_MODULES:
        return True
    return filename.read_text(encoding="utf-8").startswith(BLACK_STYLE)


def builtin_template(env: jinja2.Environment, name: str) -> Path | None:
    """The file of template `name` when it is a built-in one (not one of a user's `--templates`)."""
    assert env.loader is not None
    _, filename, _ = env.loader.get_source(env, name)
    if filename is None or Path(filename).parent.resolve() != builtin_templates().resolve():
        return None
    return Path(filename)


# The runtime of every generated package: real Python modules of zgen (`zgen.templates._base`,
# `zgen.templates.errors`), linted, type-checked and tested as such, copied as they are.
RUNTIME_MODULES = ("_base.py", "errors.py")


def runtime_source(env: jinja2.Environment, module: str, header: str) -> str:
    """A runtime module as it is (a user's template folder may replace it), under the header."""
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, module)
    return f"{header}\n{source}"


def builtin_templates() -> Path:
    """The templates shipped inside the zgen package (a real folder in any install)."""
    return Path(str(files("zgen.templates")))


@dataclass(frozen=True)
class RenderedPackage:
    package: str
    # relative path inside the output folder -> content (python files unformatted)
    files: dict[str, str]
    # the Python files rendered in black's style (see black_style): black runs only on their
    # pieces with a code line over the limit
    vouched: frozenset[str] = frozenset()


def render(
    api: Api,
    inferred: Inferred,
    names: Names,
    models_source: str,
    env: jinja2.Environment,
    paging: Sequence[Paging | None] = (),
    digests: Sequence[bytes | None] = (),
) -> RenderedPackage:
    """Every file of the package (models.py holds `models_source`). `digests`: per request, the
    digest of what its Operation is made from (see request_keys); with them, the pieces of a
    request the last build made from the same inputs are taken from the build cache."""
    # Rendering allocates many short-lived objects and makes no garbage cycles worth collecting:
    # the collector, left on, walks the build's whole heap (the analysed collection) meanwhile.
    with paused_gc():
        return _render(api, inferred, names, models_source, env, paging, digests)


# The templates whose pieces are kept per request (see PIECES): only when they are the built-in
# ones (a user's template is not part of the build cache's key).
KEPT_TEMPLATES = ("client.py.jinja", "API.md.jinja", "test_module.py.jinja")


def _render(
    api: Api,
    inferred: Inferred,
    names: Names,
    models_source: str,
    env: jinja2.Environment,
    paging: Sequence[Paging | None],
    digests: Sequence[bytes | None],
) -> RenderedPackage:
    pkg = names.package
    header = header_comment(api)
    keep = all(builtin_template(env, name) for name in KEPT_TEMPLATES)
    keys = request_keys(api, inferred, names, paging, digests) if keep and digests else ()
    root = namespace_tree(api, inferred, names, paging, keys)
    entries = [op for node in (root, *flatten(root)) for op in node.ops]
    facts = [request_facts(op) for op in entries]
    imports: set[str] = {"functools"}  # (the client's cached_property)
    imports.update(module for fact in facts for module in fact[3])
    var_names = names.client_vars
    client_args = []
    for var in api.variables:
        name = var_names[var.key]
        if name == "base_url":
            continue
        client_args.append(
            {
                "name": name,
                "annotation": "_base.Credential | None" if var.secret else "str | None",
                "default": None if var.secret else var.default,
                "secret": var.secret,
                "doc": docstring(
                    "\n".join(
                        doc_entry(
                            name,
                            client_arg_doc(
                                api, names, var.key, var.description, var.secret, var.default
                            ),
                            LINE_LENGTH - 8,
                        )
                    )
                ),
            }
        )
    prefixes = sorted({op.auth.prefix for op in api.operations if op.auth and op.auth.prefix})
    auth_prefix_doc = docstring(", ".join(f"`{prefix}`" for prefix in prefixes)) if prefixes else ""
    base_default = next((v.default for v in api.variables if v.key == api.base_url), None)
    model_names = sorted(
        {*names.models.values(), *(alias for alias, _ in names.aliases)}, key=export_order
    )
    form_views = []
    for index, op in enumerate(api.operations):
        if names.forms[index] and op.body is not None:
            form_views.append(
                {
                    "name": names.forms[index],
                    "fields": [
                        (f.key, "FileInput" if f.is_file else "str") for f in op.body.fields
                    ],
                    "class_syntax": all(plain_field_key(f.key) for f in op.body.fields),
                    "doc": docstring(f"Form fields of {op.place}."),
                }
            )
    context: dict[str, Any] = {
        "header": header,
        "status_errors": sorted(STATUS_ERRORS.items()),
        "reserved_names": RESERVED_NAMES,
        "package": pkg,
        "title": api.title,
        "api_doc": docstring(
            "\n".join(wrap_markdown(api.description or api.title, LINE_LENGTH - 4))
        ),
        "env_prefix": names.env_prefix,
        "root": root,
        "namespaces": flatten(root),
        "operations": sorted(entries, key=lambda op: op.constant),
        "uses_models": any(fact[0] for fact in facts),
        "uses_paging": any(fact[2] for fact in facts),
        "uses_any": any(fact[1] for fact in facts),
        "client_args": client_args,
        "auth_prefix_doc": auth_prefix_doc,
        "env_doc": "\n".join(
            wrap_markdown(
                "Every argument may be left out and read from the environment instead: "
                + ", ".join(
                    f"`{names.env_prefix}_{str(name).upper()}`"
                    for name in ["base_url", *(arg["name"] for arg in client_args)]
                )
                + ".",
                LINE_LENGTH - 4,
            )
        ),
        "base_default": base_default,
        "imports": sorted(imports),
        "models_source": models_source,
        "model_names": model_names,
        "aliases": names.aliases,
        "forms": sorted(form_views, key=lambda form: export_order(form["name"])),
        "forms_use_files": any(
            f.is_file
            for index, op in enumerate(api.operations)
            if names.forms[index] and op.body
            for f in op.body.fields
        ),
    }
    context["api_namespaces"], context["api_models"] = api_reference(root, names, inferred)
    context["title_md"] = re.sub(r"[\\`*_\[\]<>#|]", "", " ".join(api.title.split())) or pkg
    out: dict[str, str] = {}
    out[f"{pkg}/API.md"] = env.get_template("API.md.jinja").render(context)
    for template, target in (
        ("__init__.py.jinja", "__init__.py"),
        ("client.py.jinja", "client.py"),
        ("models.py.jinja", "models.py"),
    ):
        out[f"{pkg}/{target}"] = env.get_template(template).render(context)
    for module in RUNTIME_MODULES:
        out[f"{pkg}/{module}"] = runtime_source(env, module, header)
    if form_views:
        out[f"{pkg}/forms.py"] = env.get_template("forms.py.jinja").render(context)
    out[f"{pkg}/py.typed"] = ""
    out.update(render_tests(api, inferred, names, env, context, keys))
    # (each template looked at once: the test modules share one)
    styled: dict[str, bool] = {}
    for path in out:
        if path.endswith(".py") and (name := source_template(pkg, path)) not in styled:
            styled[name] = black_style(env, name)
    vouched = frozenset(
        path for path in out if path.endswith(".py") and styled[source_template(pkg, path)]
    )
    released(root)
    return RenderedPackage(pkg, out, vouched)


def source_template(package: str, path: str) -> str:
    """The template (or runtime module) a generated Python file is rendered from."""
    inner = path.removeprefix(f"{package}/")
    if inner in RUNTIME_MODULES:
        return inner
    if inner.startswith("tests/") and inner != "tests/conftest.py":
        return "test_module.py.jinja"
    return f"{inner.removeprefix('tests/')}.jinja"


FIXTURE_FIELDS = ("name", "signature", "doc", "load")  # a fixture's entry in testing.py


def request_tests(
    op: Operation, index: int, names: Names, wire_values: dict[str, str]
) -> tuple[tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]:
    """What a request adds to the tests, as plain data: its fixture files (fixture name, text),
    its fixtures' entries in testing.py (FIXTURE_FIELDS) and its test cases (test module, then
    the fields of a TestCase)."""
    files: list[tuple[str, str]] = []
    rows: list[tuple[str, str, str, str]] = []
    cases: list[tuple[Any, ...]] = []
    params = names.params[index]
    values = {p.key: sample_value(p.default) for p in op.params if p.location == "path"}
    path = sample_path(op, values)
    args = [
        f"{params[p.key]}={literal(values[p.key])}"
        for p in op.params
        if p.location == "path" and p.default is None
    ]
    saved_body = None
    setup: list[str] = []
    if op.body is not None:
        body_arg = names.body_arg[index]
        sample, saved_body = body_sample(op.body)
        if sample:
            args.append(f"{body_arg}={sample}")
        if sample == SAVED_BODY:
            setup.append(f"{SAVED_BODY} = saved.request_body")
        elif sample == SAVED_FORM:
            setup.append(form_setup(op.body, names.forms[index]))
    accessor = ".".join(("client", *names.op_namespace[index], names.methods[index]))
    # A request without a saved response is tested alone: the request it sends, answered
    # with an empty 204 (the fixture of a request alone, named so by the naming pass).
    examples = op.examples or (Example("request", op.place, 204, (), "", "", "empty"),)
    for position, example in enumerate(examples):
        fixture = names.fixtures[index][position]
        files.append(
            (
                fixture,
                fixture_data(example, op.method, path, expected_wire(op, wire_values), saved_body),
            )
        )
        # Wrapped to the line length, each line at the function body's indentation (as black
        # re-indents the lines of a docstring); spaces mean nothing here.
        title = (
            f"{example.place} ({example.status})"
            if op.examples
            else f"{op.place}: the request it sends (the collection saved no response)"
        )
        doc = "\n    ".join(fill(title, LINE_LENGTH - 10, ""))
        load = bracketed("return SavedResponse.load(", [literal(fixture)], ")", indent=4)
        signature = bare_def(fixture, "SavedResponse")
        rows.append(
            (
                fixture,
                signature or f"def {fixture}() -> SavedResponse:",
                docstring(doc),
                (load or f"return SavedResponse.load({literal(fixture)})").lstrip(" "),
            )
        )
        error = status_error_class(example.status) if example.status >= 400 else None
        lenient = (
            error is None
            and example.kind == "json"
            and CIRCULAR.get(  # (normalize derives `parsed` from the body text)
                value_digest(example.body), functools.partial(holds_circular, example.parsed)
            )
        )
        cases.append(
            (
                names.test_modules[index],
                f"test_{fixture}",
                fixture,
                accessor,
                tuple(args),
                error,
                lenient,
                tuple(setup),
            )
        )
    return tuple(files), tuple(rows), tuple(cases)


def render_tests(
    api: Api,
    inferred: Inferred,
    names: Names,
    env: jinja2.Environment,
    context: dict[str, Any],
    keys: Sequence[bytes | None] = (),
) -> dict[str, str]:
    pkg = names.package
    out: dict[str, str] = {}
    fixtures: list[dict[str, str]] = []
    modules: dict[str, list[TestCase]] = {}
    module_keys: dict[str, list[bytes | None]] = {}  # the keys of its cases' requests
    host_names = sorted({names.client_vars[op.host] for op in api.operations} - {"base_url"})
    secret_names = sorted(names.client_vars[v.key] for v in api.variables if v.secret)
    wire_values = test_values(api, names)
    value_args = sorted(
        (names.client_vars[v.key], literal(wire_values[v.key]))
        for v in api.variables
        if not v.secret
        and names.client_vars[v.key] != "base_url"
        and names.client_vars[v.key] not in host_names
    )
    for index, op in enumerate(api.operations):
        made = functools.partial(request_tests, op, index, names, wire_values)
        key = keys[index] if keys else None
        files, rows, cases = made() if key is None else PIECES.get((key, "tests"), made)
        out.update((f"{pkg}/fixtures/{fixture}.json", text) for fixture, text in files)
        fixtures.extend(dict(zip(FIXTURE_FIELDS, row, strict=True)) for row in rows)
        for module, name, fixture, method, args, error, lenient, setup in cases:
            modules.setdefault(module, []).append(
                TestCase(name, fixture, method, list(args), error, lenient, list(setup))
            )
            module_keys.setdefault(module, []).append(key)
    test_context = {
        **context,
        "fixtures": fixtures,
        "testing_exports": sorted(
            ["SavedResponse", "same_json", *(f["name"] for f in fixtures)], key=export_order
        ),
        "test_base_url": TEST_BASE_URL,
        "host_names": host_names,
        "secret_names": secret_names,
        "value_args": value_args,
        # A request whose auth the client does not generate refuses to go unsigned; the test
        # clients sign nothing, on purpose (a no-op httpx.Auth on their http client).
        "unsigned_auth": any(
            op.auth is not None and op.auth.kind == "unsupported" for op in api.operations
        ),
    }
    out[f"{pkg}/testing.py"] = env.get_template("testing.py.jinja").render(test_context)
    out[f"{pkg}/tests/__init__.py"] = ""
    out[f"{pkg}/tests/conftest.py"] = env.get_template("conftest.py.jinja").render(test_context)
    for module, cases in sorted(modules.items()):
        module_text = functools.partial(test_module, env, test_context, cases)
        # A module of requests whose pieces are kept is kept whole (see PIECES): its template
        # reads its cases, the header and the package (tests/test_render_pieces.py checks).
        kept = None if None in module_keys[module] else tuple(module_keys[module])
        text: str = (
            module_text()
            if not keys or kept is None
            else PIECES.get(("test_module", module, context["header"], kept), module_text)
        )
        out[f"{pkg}/tests/{module}.py"] = text
    return out


def test_module(
    env: jinja2.Environment, test_context: dict[str, Any], cases: list[TestCase]
) -> str:
    """A test module, of the cases of its requests."""
    errors_used = sorted({case.error_class for case in cases if case.error_class})
    return env.get_template("test_module.py.jinja").render(
        {
            **test_context,
            "cases": cases,
            "errors_used": errors_used,
            "package_imports": [
                module
                for module, used in (
                    ("errors", bool(errors_used)),
                    (
                        "forms",
                        any(line.startswith(f"{SAVED_FORM}: ") for c in cases for line in c.setup),
                    ),
                )
                if used
            ],
        }
    )

"""Stage 4b: which requests page their results, and how, from the IR and the inferred types.

A request is paged when one of its query parameters and a field of its saved success response
match a known scheme, and the response holds exactly one list of items:

- `page`: a page number parameter (`page`, `page_number`...) and an end signal in the body: a
  more flag (`more_records`, `has_more`...), a total page count or a total item count;
- `offset`: an offset parameter (`offset`, `skip`...) and a page size parameter, a total or a
  more flag (a short page also ends it);
- `cursor`: a cursor or page token parameter (`cursor`, `page_token`, `next_token`,
  `pagination_token`, `pageToken`...) and a next cursor in the body (`next_cursor`,
  `next_page_token`, `meta.next_token`...), or `starting_after` with a more flag (the next cursor is
  then the last item's `id`);
- `next_url`: a next page URL in the body (`next`, `links.next`, `_links.next.href`, a `links`
  list with `rel: next`);
- `link_header`: a saved response carrying `Link: <...>; rel="next"`.

Detection is conservative: a `page` parameter of an endpoint without a list of items, or without
an end signal, is not paged. [tool.zgen] overrides declare, correct or switch off the result per
request. No Postman knowledge here: only `ir.Api` and `infer.Inferred`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal, get_args

from .diagnostics import ZgenError
from .infer import ANY, NULL, FieldShape, Inferred, Shape, TypeRef, union
from .ir import Api, Operation
from .naming import words

Scheme = Literal["page", "offset", "cursor", "next_url", "link_header"]
SCHEMES: tuple[Scheme, ...] = get_args(Scheme)
KeyPath = tuple[str, ...]

PAGE_PARAMS = frozenset(
    {"page", "page_number", "page_no", "pageno", "page_num", "pagenum", "page_index"}
)
OFFSET_PARAMS = frozenset({"offset", "skip", "start_index", "startindex"})
SIZE_PARAMS = frozenset(
    {
        "per_page",
        "perpage",
        "limit",
        "page_size",
        "pagesize",
        "size",
        "max_results",
        "maxresults",
        "results_per_page",
        "top",
        "take",
    }
)
CURSOR_PARAMS = frozenset(
    {
        "cursor",
        "page_token",
        "pagetoken",
        "next_token",
        "pagination_token",
        "continuation_token",
        "continuation",
        "marker",
        "after",
        "page_cursor",
    }
)
ITEM_CURSOR_PARAMS = frozenset({"starting_after"})
NEXT_CURSOR_FIELDS = frozenset(
    {
        "next_cursor",
        "next_page_token",
        "next_token",
        "next_page_cursor",
        "continuation_token",
        "next_continuation_token",
        "next_marker",
        "end_cursor",
    }
)
MORE_FIELDS = frozenset(
    {
        "more_records",
        "has_more",
        "has_next",
        "has_next_page",
        "has_more_items",
        "has_more_results",
        "more",
        "more_items",
    }
)
TOTAL_FIELDS = frozenset(
    {"total", "total_count", "total_results", "total_items", "total_records", "total_size"}
)
TOTAL_PAGES_FIELDS = frozenset({"total_pages", "page_count", "num_pages", "last_page", "pages"})
NEXT_URL_FIELDS = frozenset(
    {"next", "next_url", "next_page_url", "next_link", "next_href", "odata_next_link"}
)
LINK_LIST_FIELDS = frozenset({"links", "link"})
# Every parameter that steers paging: an iterator method sends none of them unless asked.
PAGING_PARAMS = PAGE_PARAMS | OFFSET_PARAMS | SIZE_PARAMS | CURSOR_PARAMS | ITEM_CURSOR_PARAMS
LINK_NEXT_RE = re.compile(r"""rel\s*=\s*"?[^";,]*\bnext\b""", re.IGNORECASE)
MAX_FIELD_DEPTH = 3  # key levels searched for page fields: info.more_records, _links.next.href


@dataclass(frozen=True)
class Paging:
    """How one request pages: what the generated iterator sends and reads."""

    scheme: Scheme
    items: KeyPath  # key path of the item list in the body; () when the body is the list
    item_type: TypeRef
    param: str | None = None  # the query key carrying the page number, offset or cursor
    next: KeyPath | None = None  # key path of the next cursor or next URL (or `links` list)
    more: KeyPath | None = None  # key path of the more flag
    total: KeyPath | None = None  # key path of the total item count
    total_pages: KeyPath | None = None  # key path of the total page count
    size_param: str | None = None  # the query key of the page size
    cursor_key: str | None = None  # item key whose last value is the next cursor
    evidence: str = ""


@dataclass(frozen=True)
class PagingOverride:
    """A [tool.zgen] `overrides.paging` entry: `scheme` None switches paging off."""

    request: str
    place: str  # where in the config file, for messages
    scheme: Scheme | None
    param: str | None = None
    items: KeyPath | None = None
    next: KeyPath | None = None
    more: KeyPath | None = None
    total: KeyPath | None = None
    total_pages: KeyPath | None = None
    size_param: str | None = None
    cursor_key: str | None = None


@dataclass(frozen=True)
class PagingOverrides:
    file: str = "pyproject.toml"
    entries: tuple[PagingOverride, ...] = ()


@functools.lru_cache(maxsize=65536)  # pure; the same keys are asked of every request's body
def norm(key: str) -> str:
    """A key compared by its words: `nextPageToken`, `next-page-token` -> `next_page_token`."""
    return "_".join(words(key))


def path_text(path: KeyPath) -> str:
    return "$" + "".join(f".{key}" for key in path)


PATH_KEYS = ("items", "next", "more", "total", "total_pages")
TEXT_KEYS = ("param", "size_param", "cursor_key")


def parse_path(text: object, file: str, where: str, key: str) -> KeyPath:
    if not isinstance(text, str) or not text.startswith("$") or "[" in text or ".." in text:
        raise ZgenError(
            file, where, f"`{key}` must be a JSON path of keys like `$.info.next`; found {text!r}"
        )
    return tuple(part for part in text[1:].split(".") if part) if text != "$" else ()


def parse_overrides(raw: object, file: str = "pyproject.toml") -> PagingOverrides:
    """Read `[[tool.zgen.collections.overrides.paging]]` entries.

    ```toml
    [[tool.zgen.collections.overrides.paging]]
    request = "Records / List Records"   # folders and request name, joined by " / "
    scheme = "cursor"                    # page offset cursor next_url link_header, or "none": off
    param = "page_token"                 # the query parameter of the page number, offset or cursor
    items = "$.data"                     # the item list ("$": the body is the list)
    next = "$.info.next_page_token"      # the next cursor or next URL
    more = "$.info.more_records"         # optional: a flag that is false on the last page
    total = "$.meta.total"               # optional: the total item count
    total_pages = "$.meta.pages"         # optional: the total page count
    size_param = "per_page"              # optional: the page size parameter (a short page ends)
    cursor_key = "id"                    # optional: the next cursor is the last item's key
    ```
    """
    place = "[tool.zgen] overrides.paging"
    if raw is None:
        return PagingOverrides(file)
    if not isinstance(raw, list):
        raise ZgenError(file, place, "expected an array of tables ([[...overrides.paging]])")
    entries: list[PagingOverride] = []
    seen: set[str] = set()
    allowed = {"request", "scheme", *PATH_KEYS, *TEXT_KEYS}
    for index, entry in enumerate(raw):
        where = f"{place}[{index}]"
        if not isinstance(entry, Mapping):
            raise ZgenError(file, where, "expected a table with `request` and `scheme`")
        unknown = sorted(set(entry) - allowed)
        if unknown:
            raise ZgenError(
                file, where, f"unknown key `{unknown[0]}`; expected {', '.join(sorted(allowed))}"
            )
        request = entry.get("request")
        if not isinstance(request, str) or not request:
            raise ZgenError(
                file, where, 'needs `request`: the request\'s folders and name, joined by " / "'
            )
        if request in seen:
            raise ZgenError(file, where, f"{request!r} has another paging override above")
        seen.add(request)
        scheme = entry.get("scheme")
        if scheme not in (*SCHEMES, "none", False):
            raise ZgenError(
                file,
                where,
                f"`scheme` must be one of {', '.join(SCHEMES)} or none; found {scheme!r}",
            )
        if scheme in ("none", False):
            extra = sorted(set(entry) - {"request", "scheme"})
            if extra:
                raise ZgenError(file, where, f"`{extra[0]}` given with scheme none")
            entries.append(PagingOverride(request, where, None))
            continue
        texts: dict[str, str | None] = {}
        for key in TEXT_KEYS:
            value = entry.get(key)
            if value is not None and (not isinstance(value, str) or not value):
                raise ZgenError(file, where, f"`{key}` must be a non-empty string; found {value!r}")
            texts[key] = value
        paths = {
            key: parse_path(entry[key], file, where, key) if key in entry else None
            for key in PATH_KEYS
        }
        entries.append(
            PagingOverride(
                request,
                where,
                scheme,
                param=texts["param"],
                items=paths["items"],
                next=paths["next"],
                more=paths["more"],
                total=paths["total"],
                total_pages=paths["total_pages"],
                size_param=texts["size_param"],
                cursor_key=texts["cursor_key"],
            )
        )
    return PagingOverrides(file, tuple(entries))


def strip_null(ref: TypeRef) -> TypeRef:
    if ref[0] == "union":
        members = [member for member in ref[1] if member != NULL]
        return members[0] if len(members) == 1 else ref
    return ref


class _Response:
    """The inferred success body of one request, searched for page fields."""

    def __init__(self, ref: TypeRef | None, shapes: Mapping[int, Shape]) -> None:
        self.ref = strip_null(ref) if ref is not None else None
        self.shapes = shapes
        self.fields: list[tuple[KeyPath, TypeRef]] = list(self._walk(self.ref, ()))

    def _walk(self, ref: TypeRef | None, path: KeyPath) -> Iterator[tuple[KeyPath, TypeRef]]:
        if ref is None or ref[0] != "model" or len(path) >= MAX_FIELD_DEPTH:
            return
        for field in self.shapes[ref[1]].fields:
            sub = strip_null(field.type)
            yield (*path, field.key), sub
            yield from self._walk(sub, (*path, field.key))

    def resolve(self, path: KeyPath) -> TypeRef | None:
        ref = self.ref
        for key in path:
            if ref is None or ref[0] != "model":
                return None
            found = next((f for f in self.shapes[ref[1]].fields if f.key == key), None)
            ref = strip_null(found.type) if found is not None else None
        return ref

    def named(self, names: frozenset[str], kinds: tuple[str, ...]) -> list[KeyPath]:
        """Paths of fields whose key is one of `names` and whose type is one of `kinds`."""
        return [
            path
            for path, ref in self.fields
            if norm(path[-1]) in names and (ref[0] in kinds or (ref == ANY and "any" in kinds))
        ]

    def is_link_list(self, ref: TypeRef) -> bool:
        item = strip_null(ref[1]) if ref[0] == "list" else None
        if item is None or item[0] != "model":
            return False
        keys = {f.key for f in self.shapes[item[1]].fields}
        return "rel" in keys and bool(keys & {"href", "url"})

    def item_lists(self) -> list[tuple[KeyPath, TypeRef]]:
        """The candidate item lists: the body itself, else its top-level lists, else the lists one
        level down; lists seen only empty count only when no other list does."""
        if self.ref is not None and self.ref[0] == "list":
            return [((), self.ref[1])]
        for level in (1, 2):
            found = [
                (path, ref[1])
                for path, ref in self.fields
                if len(path) == level and ref[0] == "list" and not self.is_link_list(ref)
            ]
            typed = [entry for entry in found if entry[1] != ANY]
            found = typed or found
            if found:
                return found
        return []


def example_values(op: Operation, path: KeyPath) -> list[Any]:
    """The values at a key path in the saved success bodies."""
    values = []
    for example in op.examples:
        if example.status >= 400 or example.kind != "json":
            continue
        node: Any = example.parsed
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        values.append(node)
    return values


def looks_like_url(value: Any) -> bool:
    return isinstance(value, str) and (
        value.startswith(("http://", "https://", "/", "?")) or "://" in value
    )


def _first(paths: list[KeyPath], prefer: str = "") -> KeyPath | None:
    if not paths:
        return None
    preferred = [path for path in paths if prefer and prefer in norm(path[-1])]
    return sorted(preferred or paths, key=lambda p: (len(p), p))[0]


def _ends(response: _Response) -> dict[str, KeyPath | None]:
    return {
        "more": _first(response.named(MORE_FIELDS, ("bool",))),
        "total": _first(response.named(TOTAL_FIELDS, ("int",))),
        "total_pages": _first(response.named(TOTAL_PAGES_FIELDS, ("int",))),
    }


def _end_text(paging: Paging) -> str:
    ends = [
        f"{label} `{path_text(path)}`"
        for label, path in (
            ("more flag", paging.more),
            ("total", paging.total),
            ("total pages", paging.total_pages),
        )
        if path is not None
    ]
    if paging.size_param:
        ends.append(f"a short page (`{paging.size_param}`)")
    return "; ends on " + ", ".join(ends) if ends else ""


def describe(paging: Paging) -> str:
    """The evidence of a detection, in one line."""
    items = f"items `{path_text(paging.items)}`"
    if paging.scheme in ("page", "offset"):
        head = f"query `{paging.param}`"
    elif paging.scheme == "cursor":
        source = (
            f"last item's `{paging.cursor_key}`"
            if paging.cursor_key
            else f"`{path_text(paging.next or ())}`"
        )
        head = f"query `{paging.param}` <- {source}"
    elif paging.scheme == "next_url":
        head = f"next URL `{path_text(paging.next or ())}`"
    else:
        head = 'header `Link: rel="next"`'
    return f"{head}; {items}{_end_text(paging)}"


def detect_operation(
    op: Operation,
    response_ref: TypeRef | None,
    inferred: Inferred,
    shapes: Mapping[int, Shape] | None = None,
) -> Paging | None:
    """The paging of one request, or None when the evidence is not there. `shapes`: the shapes of
    `inferred` by id, when the caller has them (`detect` makes the table once, not per request)."""
    if shapes is None:
        shapes = {shape.id: shape for shape in inferred.shapes}
    response = _Response(response_ref, shapes)
    lists = response.item_lists()
    if len(lists) != 1:
        return None
    items, item_type = lists[0]
    query = {norm(p.key): p.key for p in op.params if p.location == "query"}

    def param(names: frozenset[str]) -> str | None:
        found = sorted(key for word, key in query.items() if word in names)
        return found[0] if found else None

    ends = _ends(response)
    size = param(SIZE_PARAMS)
    base = Paging(
        "page",
        items,
        item_type,
        size_param=size,
        more=ends["more"],
        total=ends["total"],
        total_pages=ends["total_pages"],
    )
    candidates: list[Paging] = []
    cursor = param(CURSOR_PARAMS)
    if cursor is not None:
        found = response.named(NEXT_CURSOR_FIELDS, ("str", "any"))
        nested_after = [p for p in response.named(frozenset({"after"}), ("str",)) if len(p) > 1]
        nxt = _first(found, norm(cursor)) or _first(nested_after)
        if nxt is not None:
            candidates.append(replace(base, scheme="cursor", param=cursor, next=nxt))
    starting = param(ITEM_CURSOR_PARAMS)
    item_ref = strip_null(item_type)
    if starting is not None and ends["more"] is not None and item_ref[0] == "model":
        keys = {f.key for f in inferred.shapes[item_ref[1]].fields}
        if "id" in keys:
            candidates.append(replace(base, scheme="cursor", param=starting, cursor_key="id"))
    page = param(PAGE_PARAMS)
    if page is not None and any(ends.values()):
        candidates.append(replace(base, scheme="page", param=page))
    offset = param(OFFSET_PARAMS)
    if offset is not None and (size is not None or ends["more"] or ends["total"]):
        candidates.append(replace(base, scheme="offset", param=offset))
    urls = [
        path
        for path in response.named(NEXT_URL_FIELDS, ("str", "any"))
        if all(v is None or looks_like_url(v) for v in example_values(op, path))
        and any(looks_like_url(v) for v in example_values(op, path))
    ]
    hrefs = [
        (*path, "href")
        for path, ref in response.fields
        if norm(path[-1]) in NEXT_URL_FIELDS
        and ref[0] == "model"
        and response.resolve((*path, "href")) == ("str",)
    ]
    link_lists = [
        path
        for path, ref in response.fields
        if norm(path[-1]) in LINK_LIST_FIELDS and response.is_link_list(ref)
    ]
    nxt = _first(urls) or _first(hrefs) or _first(link_lists)
    if nxt is not None:
        candidates.append(replace(base, scheme="next_url", next=nxt))
    if any(
        name.lower() == "link" and LINK_NEXT_RE.search(value)
        for example in op.examples
        if example.status < 400
        for name, value in example.headers
    ):
        candidates.append(replace(base, scheme="link_header"))
    if not candidates:
        return None
    chosen = candidates[0]
    if chosen.scheme in ("cursor", "next_url", "link_header"):
        chosen = replace(chosen, total=None, total_pages=None)
    if chosen.scheme in ("cursor", "next_url", "link_header") or chosen.size_param is None:
        chosen = replace(chosen, size_param=None)
    return replace(chosen, evidence=describe(chosen))


def apply_override(
    op: Operation,
    detected: Paging | None,
    override: PagingOverride,
    response_ref: TypeRef | None,
    inferred: Inferred,
    file: str,
) -> Paging | None:
    """The paging an override asks for, checked against the request and its inferred body."""
    if override.scheme is None:
        return None
    where = override.place

    def fail(message: str) -> ZgenError:
        return ZgenError(file, where, f"{override.request}: {message}")

    response = _Response(response_ref, {shape.id: shape for shape in inferred.shapes})
    start = (
        detected
        if detected is not None and detected.scheme == override.scheme
        else Paging(override.scheme, (), ANY)
    )
    if detected is not None and detected.scheme != override.scheme:
        start = replace(start, more=detected.more, total=detected.total, items=detected.items)
    items = override.items if override.items is not None else start.items
    if override.items is None and (detected is None or detected.scheme != override.scheme):
        lists = response.item_lists()
        if len(lists) != 1:
            raise fail("name the item list with `items` (the response has no single list)")
        items = lists[0][0]
    item_list = response.resolve(items)
    if item_list is None or item_list[0] != "list":
        raise fail(f"`items` {path_text(items)} is not a list in the saved response")
    paging = replace(
        start,
        items=items,
        item_type=item_list[1],
        param=override.param or start.param,
        next=override.next or start.next,
        more=override.more or start.more,
        total=override.total or start.total,
        total_pages=override.total_pages or start.total_pages,
        size_param=override.size_param or start.size_param,
        cursor_key=override.cursor_key or start.cursor_key,
    )
    query = {p.key for p in op.params if p.location == "query"}
    for key, text in (("param", paging.param), ("size_param", paging.size_param)):
        if text is not None and text not in query:
            raise fail(f"`{key}` {text!r} is not a query parameter of the request")
    if paging.scheme in ("page", "offset", "cursor") and paging.param is None:
        raise fail(f"scheme {paging.scheme} needs `param`: the query parameter it sets")
    if paging.scheme in ("next_url", "cursor") and paging.next is None and not paging.cursor_key:
        raise fail(f"scheme {paging.scheme} needs `next`: where the body holds the next value")
    for key, value in (
        ("next", paging.next),
        ("more", paging.more),
        ("total", paging.total),
        ("total_pages", paging.total_pages),
    ):
        if value is not None and response.resolve(value) is None:
            raise fail(f"`{key}` {path_text(value)} is not a field of the saved response")
    paging = replace(paging, evidence="")
    return replace(paging, evidence="override: " + describe(paging))


def relax(inferred: Inferred, found: tuple[Paging | None, ...]) -> Inferred:
    """The types with each next cursor and next URL optional and nullable: the last page has
    none, though every saved page showed one."""
    shapes = {shape.id: shape for shape in inferred.shapes}
    loose: set[tuple[int, str]] = set()
    for index, paging in enumerate(found):
        if paging is None or paging.next is None:
            continue
        response = _Response(inferred.operations[index].response, shapes)
        parent = response.resolve(paging.next[:-1])
        if parent is not None and parent[0] == "model":
            loose.add((parent[1], paging.next[-1]))
    if not loose:
        return inferred
    changed = []
    for shape in inferred.shapes:
        fields = tuple(
            (
                FieldShape(f.key, f.type if f.type == ANY else union([f.type, NULL]), False)
                if (shape.id, f.key) in loose
                else f
            )
            for f in shape.fields
        )
        changed.append(replace(shape, fields=fields))
    return replace(inferred, shapes=tuple(changed))


def detect(
    api: Api, inferred: Inferred, overrides: PagingOverrides | None = None
) -> tuple[tuple[Paging | None, ...], Inferred]:
    """Per operation: how it pages, or None; and the types, each next cursor made optional."""
    chosen = {entry.request: entry for entry in (overrides.entries if overrides else ())}
    places = {op.place for op in api.operations}
    for request, entry in chosen.items():
        if request not in places:
            assert overrides is not None
            raise ZgenError(overrides.file, entry.place, f"no request {request!r} in {api.file}")
    result: list[Paging | None] = []
    shapes = {shape.id: shape for shape in inferred.shapes}
    for index, op in enumerate(api.operations):
        ref = inferred.operations[index].response
        detected = detect_operation(op, ref, inferred, shapes)
        if op.place in chosen:
            assert overrides is not None
            detected = apply_override(op, detected, chosen[op.place], ref, inferred, overrides.file)
        result.append(detected)
    found = tuple(result)
    return found, relax(inferred, found)

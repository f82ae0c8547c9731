"""Stage 5: the one pass that gives every public name.

Names are derived from what the collection calls things, made keyword-safe and unique, and
chosen so that adding a request never renames anything that already existed: method and model
names depend only on the request's own folder path and name; a shape that several requests share
gets one class, and every request's own name for it stays importable as an alias.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import keyword
import re
import sys
import unicodedata
import weakref
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from anyascii import anyascii

from .diagnostics import ZgenError
from .infer import Inferred, Overrides, Role, Shape, TypeRef, Usage
from .ir import Api, Operation
from .memo import persisted

MAX_WORDS = 12
MAX_METHOD_CHARS = 40  # a method name is cut at a word boundary after this many characters
# Words a cut method name must not end on: the phrase would read unfinished.
CONNECTIVES = frozenset(
    {
        "and",
        "or",
        "of",
        "the",
        "to",
        "by",
        "for",
        "with",
        "on",
        "in",
        "under",
        "based",
        "using",
        "a",
    }
    | {"an", "from", "at", "as", "via", "into", "per", "if", "when", "which", "that", "its"}
)

# The names the templates themselves use in generated code, in ONE table: for each name, the kinds
# of identifier that may not take it (a collection name that would gets a trailing underscore).
#   param      an argument of a generated method (the signature and the call in its body)
#   method     a method of a generated class (its class body resolves annotations first)
#   attr       an attribute of the client or of a namespace (a folder)
#   client_arg an argument of Client(...) / AsyncClient(...)
# render.py passes the table to the templates as `reserved_names`.
_SIGNATURE = {"self", "cls", "options", "cast", "_base", "models", "forms", "typing", "httpx"}
_REQUEST_OPTIONS = {"timeout", "extra_headers", "extra_query"}  # the keys of **options
_PAGING_ARGS = {"max_pages", "max_items"}  # the limits of iter_<method>() and <method>_pages()
_BODY_ARGS = {"body", "content", "form", "query", "variables"}
_ANNOTATIONS = {
    "str",
    "bytes",
    "int",
    "float",
    "bool",
    "list",
    "dict",
    "Any",
    "Mapping",
    "Unpack",
    "datetime",
    "uuid",
    "models",
    "forms",
    "_base",
    "httpx",
}
_CLIENT_ATTRS = {
    "with_raw_response",
    "with_streaming_response",
    "close",
    "aclose",
    "base_url",
    "timeout",
    "max_retries",
    "auth",
    "http_client",
    "request",
    "copy",
    "default_headers",
}
_CLIENT_ARGS = {
    "self",
    "super",
    "base_url",
    "timeout",
    "max_retries",
    "http_client",
    "auth",
    "auth_header",
    "auth_prefix",
    "default_headers",
    "retry_all_methods",
    "on_unauthorized",
}
RESERVED_NAMES: dict[str, frozenset[str]] = {
    name: frozenset(
        kind
        for kind, names in (
            ("param", _SIGNATURE | _REQUEST_OPTIONS | _PAGING_ARGS | {"Any"}),
            ("method", _ANNOTATIONS | _CLIENT_ATTRS),
            ("attr", _CLIENT_ATTRS),
            ("client_arg", _CLIENT_ARGS),
        )
        if name in names
    )
    for name in sorted(
        _SIGNATURE
        | _REQUEST_OPTIONS
        | _PAGING_ARGS
        | _BODY_ARGS
        | _ANNOTATIONS
        | _CLIENT_ATTRS
        | _CLIENT_ARGS
    )
}


def reserved(kind: str) -> set[str]:
    """The names a kind of identifier may not take (see RESERVED_NAMES)."""
    return {name for name, kinds in RESERVED_NAMES.items() if kind in kinds}


RESERVED_CLIENT_ATTRS = reserved("attr")
RESERVED_METHODS = reserved("method")
RESERVED_PARAMS = reserved("param")
RESERVED_CLIENT_ARGS = reserved("client_arg")
# The error class the generated package raises for each status; other 4xx: ClientError, 5xx:
# InternalServerError. errors.py.jinja and the generated tests both take it from here.
STATUS_ERRORS = {
    400: "BadRequestError",
    401: "AuthenticationError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    409: "ConflictError",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
}
# Names the generated package defines or imports next to the models: no model may take them.
RESERVED_CLASSES = {
    "Client",
    "AsyncClient",
    "BaseModel",
    "ConfigDict",
    "Field",
    "RootModel",
    "AwareDatetime",
    "Any",
    "UUID",
    "TypedDict",
    "NotRequired",
    "Required",
    "Literal",
    "Optional",
    "Union",
    "None",
    "True",
    "False",
    "ApiError",
    "ApiStatusError",
    "ApiConnectionError",
    "ApiTimeoutError",
    "ApiResponseValidationError",
    "ClientError",
    "InternalServerError",
    "RawResponse",
    "ApiModel",
    *STATUS_ERRORS.values(),
    "FileInput",
    "Timeout",
    "NotGiven",
    "Annotated",
    "Mapping",
    "Sequence",
    "IO",
    "Path",
    "Enum",
}
# What a field may not be called: the public attributes of pydantic.BaseModel (`model_*` aside,
# handled apart) and the names the models module binds that a field annotation may use. Any other
# identifier shadows nothing in a class body and stays the field's name (`uuid`, `self`, `type`).
RESERVED_FIELDS = {
    "dict",
    "json",
    "copy",
    "parse_obj",
    "parse_raw",
    "parse_file",
    "from_orm",
    "schema",
    "schema_json",
    "construct",
    "validate",
    "update_forward_refs",
    "str",
    "int",
    "float",
    "bool",
    "list",
    "date",
    "datetime",
}


# The word functions below are pure and run for every candidate name of every shape (hundreds of
# thousands of calls on a large collection, and again when a rebuild names the models a second
# time with the published names), over a few thousand distinct inputs: each is memoized. The
# cached forms return tuples; the public ones a fresh list, so no caller can change a cached value.
WORD_CACHE = 1 << 16  # entries per memoized function: far more than the distinct words of a build
# Word boundaries: lower-case to upper-case (`userId`); a run of digits to a capitalised word
# (`S3Bucket`, `EC2Instance`); a run of digits to capitals unless capitals come before the digits
# too (`v2API` splits, `C2M`, `B2B`, `E2E` stay one word) or one capital then a capitalised word
# follows (`3DSecure`: 3d, secure); capitals to a capitalised word
# (`HTTPServer`). A plural acronym stays whole (`APIs`, `userIDs`, `getURLsList`: apis, ids, urls,
# not ap, is).
ACRONYM_PLURAL_RE = re.compile(r"([A-Z]{2,})s(?![a-z])")
CAMEL_RE = re.compile(
    r"[a-z](?=[A-Z])|[0-9](?=[A-Z][a-z])|(?<![A-Z0-9])[0-9]+(?=[A-Z](?![A-Z][a-z]))"
)
CAPS_RE = re.compile(r"([A-Z]+)([A-Z][a-z])")
WORD_RE = re.compile(r"[A-Za-z0-9]+")


def transliterated(text: str) -> str:
    """ASCII for text with other letters: each letter, digit or mark spelled in ASCII (anyascii:
    `用户` -> YongHu, `Пользователи` -> Polzovateli, `données` -> donnees); symbols and emoji
    dropped."""
    return "".join(
        (
            char
            if char.isascii()
            else (anyascii(char).replace("'", "") if unicodedata.category(char)[0] in "LNM" else "")
        )
        for char in unicodedata.normalize("NFKC", text)
    )


@functools.lru_cache(maxsize=WORD_CACHE)
def _words(text: str) -> tuple[str, ...]:
    if not text.isascii():
        text = transliterated(text)
    text = ACRONYM_PLURAL_RE.sub(lambda m: m.group(1).capitalize() + "s", text)
    text = CAMEL_RE.sub(r"\g<0> ", text)
    text = CAPS_RE.sub(r"\1 \2", text)
    return tuple(w.lower() for w in WORD_RE.findall(text))


def words(text: str) -> list[str]:
    """Split any text into lower-case ASCII words, breaking camelCase."""
    return list(_words(text))


@functools.lru_cache(maxsize=WORD_CACHE)
def _collapse_runs(parts: tuple[str, ...]) -> tuple[str, ...]:
    result = list(parts)
    changed = True
    while changed:
        changed = False
        forms = [singular(w) for w in result]  # once per pass (the pass ends at a change)
        if len(set(forms)) == len(forms):
            break  # a run that repeats repeats its first word: with no word twice, none does
        for size in range(1, len(result) // 2 + 1):
            for start in range(len(result) - 2 * size + 1):
                first = forms[start : start + size]
                if first == forms[start + size : start + 2 * size] and not all(
                    w.isdigit() for w in first
                ):
                    del result[start : start + size]
                    changed = True
                    break
            if changed:
                break
    return tuple(result)


def collapse_runs(parts: list[str]) -> list[str]:
    """Drop a run of words that repeats the run just before it (`backup history history` ->
    `backup history`; `shift hours shift hour` -> `shift hour`; `document 2 document 2` ->
    `document 2`), comparing singular forms; a run of numbers only stays (`version 1 1`)."""
    return list(_collapse_runs(tuple(parts)))


def repeated_run(name: str) -> bool:
    """Whether a PascalCase name repeats a run of words right after itself."""
    parts = words(name)
    return collapse_runs(parts) != parts


PREFIX_CHARS = 30  # a request's part of its model names, at most (where words allow)
LONG_NAME = 50  # a class name longer than this reads badly in a hover or a signature
PATH_KEYS = 2  # a nested model is named by its last keys (the whole path when those collide)


def model_prefix_words(
    folders: tuple[str, ...], method: str, limit: int = PREFIX_CHARS
) -> list[str]:
    """The words that start a request's model names: its folders' words, less those the request's
    own name repeats (`Bulk Write / Create Bulk Write Job` -> create bulk write job); when that is
    longer than `limit` characters, the outer folders' words go first, then the request's last."""
    own = words(method)
    seen = {singular(w) for w in own}
    kept = [w for folder in folders for w in words(folder) if singular(w) not in seen]
    result = collapse_runs([*kept, *own])
    while len(result) > len(own) and (len("".join(result)) > limit or result[0][:1].isdigit()):
        result = result[1:]
    while len("".join(result)) > limit and len(result) > 2:
        result = [result[0], *result[2:]]  # the first word (often the verb) and the last ones
    return result


def non_ascii_words(text: str) -> list[str]:
    """Stable words for text with no ASCII letters or digits: its code points in hex."""
    return [f"u{ord(ch):x}" for ch in text if not ch.isspace()][:MAX_WORDS]


@functools.lru_cache(maxsize=WORD_CACHE)  # pure; asked for every field key of every shape
def snake(text: str, *, prefix: str) -> str:
    """A snake_case identifier; `prefix` is used when the text starts with a digit or is empty."""
    parts = words(text)[:MAX_WORDS] or non_ascii_words(text)
    name = "_".join(parts)
    if not name:
        return prefix
    if name[0].isdigit():
        name = f"{prefix}_{name}"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        name += "_"
    return name


def pascal(parts: Iterable[str]) -> str:
    return "".join(word[:1].upper() + word[1:] for word in parts)


@functools.lru_cache(maxsize=WORD_CACHE)
def singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def numbered(name: str, taken: set[str]) -> str:
    """`name`, or the first of `name_2`, `name_3`... that is free (taken then)."""
    found, count = name, 1
    while found in taken:
        count += 1
        found = f"{name}_{count}"
    taken.add(found)
    return found


def unique(name: str, taken: set[str], suffix: str = "_") -> str:
    while name in taken:
        name += suffix
    taken.add(name)
    return name


@dataclass(frozen=True)
class Names:
    package: str
    env_prefix: str
    client_vars: dict[str, str]  # ClientVar key -> constructor argument / attribute
    namespaces: dict[tuple[str, ...], str]  # namespace path -> resource class stem
    op_namespace: tuple[tuple[str, ...], ...]  # per operation: its namespace path (attribute names)
    methods: tuple[str, ...]  # per operation
    params: tuple[dict[str, str], ...]  # per operation: param key -> argument name
    body_arg: tuple[str, ...]  # per operation: argument name of the body ("" when none)
    prefixes: tuple[str, ...]  # per operation: PascalCase stem of its type names
    models: dict[int, str]  # shape id -> class name
    aliases: tuple[tuple[str, str], ...]  # (alias, class name), sorted
    fields: dict[int, tuple[tuple[str, str], ...]]  # shape id -> ((key, field name), ...) in order
    forms: tuple[str, ...]  # per operation: TypedDict name of its form body ("" when none)
    fixtures: tuple[tuple[str, ...], ...]  # per operation, per example: fixture name
    test_modules: tuple[str, ...]  # per operation: module name of its tests
    # per operation: (items iterator, pages iterator) method names of a paged request, else None
    paging_methods: tuple[tuple[str, str] | None, ...] = ()
    # per operation: what identifies it to the next build, which keeps its method name (see
    # request_key); "" for a request that another one of the same key makes ambiguous
    method_keys: tuple[str, ...] = ()


# A package must not shadow a module its own code, its tests or Python import (the output folder
# goes on sys.path), nor be a name Windows reserves for devices (`con/` cannot be created there).
# Names removed from the standard library since 3.11 stay listed so every version gives the same name.
SHADOWED_MODULES = frozenset(sys.stdlib_module_names) | {
    "asynchat",
    "asyncore",
    "distutils",
    "imp",
    "smtpd",
    "aifc",
    "audioop",
    "cgi",
    "cgitb",
    "chunk",
    "crypt",
    "imghdr",
    "mailcap",
    "msilib",
    "nis",
    "nntplib",
    "ossaudiodev",
    "pipes",
    "sndhdr",
    "spwd",
    "sunau",
    "telnetlib",
    "uu",
    "xdrlib",
    "lib2to3",
    "annotationlib",
    "compression",
    "httpx",
    "httpcore",
    "h11",
    "anyio",
    "sniffio",
    "certifi",
    "idna",
    "pydantic",
    "pydantic_core",
    "typing_extensions",
    "annotated_types",
    "pytest",
    "pluggy",
    "iniconfig",
    "packaging",
    "zgen",
    "conftest",
    "test",
    "tests",
    "site",
    "setup",
    "sitecustomize",
    "usercustomize",
}
WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
)


def file_stem(name: str, limit: int) -> str:
    """A name that is also a file or folder name, kept short enough for every file system."""
    if len(name) <= limit:
        return name
    return f"{name[: limit - 9].rstrip('_')}_{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def package_name(title: str) -> str:
    name = file_stem(snake(" ".join(words(title)) or title, prefix="api"), 60)
    if name in SHADOWED_MODULES or name in WINDOWS_RESERVED:
        name = f"{name}_api"
    return name


def client_var_names(api: Api) -> dict[str, str]:
    taken = set(RESERVED_CLIENT_ARGS)
    result = {api.base_url: "base_url"}
    for var in sorted(api.variables, key=lambda v: v.key):
        if var.key == api.base_url:
            continue
        if "://" in var.key or var.key.startswith("http"):
            stem = snake(re.sub(r"^[a-z]+://", "", var.key), prefix="host") + "_url"
        else:
            stem = snake(var.key, prefix="var")
        result[var.key] = unique(stem, taken)
    return result


def cut_method_name(name: str, limit: int = MAX_METHOD_CHARS) -> str:
    """A method name of at most about `limit` characters: cut at a word boundary, and never
    ending on a connective (`..._based_on_limit_and` reads unfinished)."""
    if len(name) <= limit:
        return name
    parts = name.split("_")
    kept: list[str] = []
    for part in parts:
        if kept and len("_".join((*kept, part))) > limit:
            break
        kept.append(part)
    while len(kept) > 1 and (kept[-1] in CONNECTIVES or not kept[-1]):
        kept.pop()
    return "_".join(kept)


LONG_METHOD_CHARS = 80  # a cut name that would lose what sets it apart is cut here instead


def method_full_name(op: Operation) -> str:
    """A request's method name before it is cut: its name, else its method and path words."""
    if words(op.name):
        return snake(op.name, prefix="call")
    path_words = [text for kind, text in op.path if kind == "text"]
    return snake(f"{op.method} {' '.join(path_words)}", prefix="call")


def sibling_cuts(full: list[str], ns_paths: list[tuple[str, ...]]) -> list[str]:
    """Each request's method name before clashes are settled, from its full name (see
    method_full_name): cut to MAX_METHOD_CHARS, unless the cut would drop what sets it apart from
    a request of its namespace (`..._for_a_token` cut to `estimate_the_transaction_cost` beside
    `..._for_a_card`): then cut to LONG_METHOD_CHARS."""
    cut = [cut_method_name(name) for name in full]
    names_in: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for index, path in enumerate(ns_paths):
        names_in[path].add(full[index])
    # (sorted once per namespace: the full names that start with a cut are one run of them)
    ordered = {path: sorted(found) for path, found in names_in.items()}
    bases = list(cut)
    for index, path in enumerate(ns_paths):
        if cut[index] == full[index]:
            continue
        names = ordered[path]
        # Another full name is the cut itself, or starts with its words: the run of names that
        # start with `cut_` holds this one's own full name and, if the cut loses, another.
        start = bisect.bisect_left(names, cut[index] + "_")
        end = bisect.bisect_left(names, cut[index] + "`")  # ("`" follows "_")
        if cut[index] in names_in[path] or end - start > 1:
            bases[index] = cut_method_name(full[index], LONG_METHOD_CHARS)
    return bases


METHOD_NAME_RE = re.compile(r"[a-z][a-z0-9_]*")


def request_key(ns: tuple[str, ...], full_name: str, op: Operation) -> str:
    """What identifies a request from one build to the next: its namespace, its name (in full:
    method_full_name), its method and its path (the names of its path variables included). A
    request renamed, moved or sent elsewhere is another request."""
    path = "".join(text if kind == "text" else "{" + text + "}" for kind, text in op.path)
    return f"{'.'.join(ns)} {full_name} {op.method} {path}"


def operation_names(
    api: Api, published: Mapping[str, str] | None = None
) -> tuple[list[tuple[str, ...]], list[str], dict[tuple[str, ...], str], list[str]]:
    """Each request's namespace path and method name, the resource class stem of each namespace,
    and each request's key (see request_key). A request the last build named (`published`: its
    key -> its method name) keeps that name while it is free: a request added beside it, whose
    name would clash with or extend it, is named around it (its users' code keeps working)."""
    ns_paths = [
        tuple(snake(folder, prefix="group") for folder in op.folders) for op in api.operations
    ]
    all_ns = sorted({path[:i] for path in ns_paths for i in range(1, len(path) + 1)})
    children: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for path in all_ns:
        children[path[:-1]].add(path[-1])
    # A folder named like a reserved client attribute keeps its name with a trailing underscore.
    renamed = {
        path: (
            *path[:-1],
            (
                path[-1] + "_"
                if path[-1] in RESERVED_CLIENT_ATTRS or path[-1].startswith("_")
                else path[-1]
            ),
        )
        for path in all_ns
    }

    def fix(path: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(renamed[path[: i + 1]][-1] for i in range(len(path)))

    ns_paths = [fix(path) for path in ns_paths]
    groups: dict[tuple[tuple[str, ...], str], list[int]] = defaultdict(list)
    full = [method_full_name(op) for op in api.operations]
    for index, base in enumerate(sibling_cuts(full, ns_paths)):
        groups[(ns_paths[index], base)].append(index)
    methods = [""] * len(api.operations)
    taken_in: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for path in all_ns:
        taken_in[fix(path[:-1])].add(fix(path)[-1])
    keys = [request_key(ns_paths[i], full[i], op) for i, op in enumerate(api.operations)]
    counts = Counter(keys)
    keys = [key if counts[key] == 1 else "" for key in keys]
    # (a name two requests of one namespace claim goes to neither; `list` in every folder is fine)
    claims = Counter((key.split(" ", 1)[0], name) for key, name in (published or {}).items())
    for index, key in enumerate(keys):
        kept = (published or {}).get(key) if key else None
        taken = taken_in[ns_paths[index]]
        if (
            kept is not None
            and claims[(".".join(ns_paths[index]), kept)] == 1
            and METHOD_NAME_RE.fullmatch(kept)
            and kept not in taken
            and kept not in RESERVED_METHODS
            and not keyword.iskeyword(kept)
        ):
            methods[index] = kept
            taken.add(kept)
    for (ns, base), members in sorted(groups.items()):
        taken = taken_in[ns]
        for index in members:
            if methods[index]:
                continue  # (kept from the last build)
            op = api.operations[index]
            name = base
            if len(members) > 1 or name in taken or name in RESERVED_METHODS:
                name = f"{base}_{snake(op.method, prefix='call')}"
                same = [i for i in members if api.operations[i].method == op.method]
                if len(same) > 1:
                    path_words = "_".join(
                        words(" ".join(text for kind, text in op.path if kind == "text"))
                    )
                    name = f"{name}_{path_words}" if path_words else name
            methods[index] = numbered(name, taken)
    classes: dict[tuple[str, ...], str] = {}
    class_taken: set[str] = set()
    for path in sorted({fix(p) for p in all_ns}):
        classes[path] = unique(
            pascal(w for part in path for w in words(part)) or "Group", class_taken, "Group"
        )
    return ns_paths, methods, classes, keys


def param_names(op: Operation) -> tuple[dict[str, str], str]:
    taken = set(RESERVED_PARAMS)
    body_arg = ""
    if op.body is not None:
        body_arg = {"json": "body", "text": "content", "file": "content", "graphql": "query"}.get(
            op.body.mode, "form"
        )
        taken.add(body_arg)
        if op.body.mode == "graphql":
            taken.add("variables")
    result: dict[str, str] = {}
    for param in op.params:
        result[param.key] = unique(snake(param.key, prefix="param"), taken)
    return result, body_arg


ROLE_RANK = {"response": 0, "error": 1, "request": 2}


def path_parts(path: tuple[str, ...]) -> list[list[str]]:
    """The words of each key of a JSON path; an array item makes the key before it singular."""
    return [list(part) for part in _path_parts(path)]


@functools.lru_cache(maxsize=WORD_CACHE)  # pure; the same paths recur across shapes and passes
def _path_parts(path: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    parts: list[tuple[str, ...]] = []
    for index, key in enumerate(path):
        if key == "[]":
            if index == 0:
                parts.append(("item",))
            elif parts and parts[-1]:
                parts[-1] = (*parts[-1][:-1], singular(parts[-1][-1]))
            continue
        parts.append(tuple(words(key)[:MAX_WORDS] or non_ascii_words(key)))
    return tuple(parts)


def class_name(parts: list[str]) -> str:
    return _class_name(tuple(parts))


@persisted("class_names")  # pure, and asked again for each candidate of each usage
def _class_name(parts: tuple[str, ...]) -> str:
    name = pascal(_collapse_runs(parts))
    if name[:1].isdigit():
        name = "Model" + name
    if name in RESERVED_CLASSES or not name:
        name += "Model"
    return name


def shape_candidates(
    shape: Shape, prefixes: list[list[str]], keys: int | None = PATH_KEYS
) -> list[tuple[str, Usage, int]]:
    """A name per usage: the request's words, the role, the last `keys` keys of the path (all of
    them when `keys` is None). A success body at the top reads as the response
    (`UploadFileResponse`), an error body as `...Error`, a request body as `...Request`; nested
    shapes add their keys (`JobDetailsResourceFile`)."""
    found = [
        (usage_name(tuple(prefixes[usage.op]), usage.role, usage.path, keys), usage, position)
        for position, usage in enumerate(shape.usages)
    ]
    # A shape under several keys that end alike (billing_address, shipping_address) is also named
    # by what they share (`GetOrderAddress`): shorter, so it comes first, and true of every key.
    common = common_key_words(shape.usages)
    for position, usage in enumerate(shape.usages) if common else ():
        path = with_last_key(usage.path, common)
        if path is not None:
            prefix = tuple(prefixes[usage.op])
            found.append((usage_name(prefix, usage.role, path, keys), usage, position))
    # Response names read best, then error names, then request names; the shortest first.
    found.sort(key=lambda c: (ROLE_RANK[c[1].role], len(c[0]), c[0], c[2]))
    return found


def common_key_words(usages: Sequence[Usage]) -> tuple[str, ...]:
    """The words that end the last key of every usage (`address` for billing_address and
    shippingAddress), when the shape has two keys or more and they share a word that names
    something (not `by` of created_by and modified_by); () otherwise."""
    if len(usages) < 2:
        return ()  # (most shapes: one usage)
    lasts = {parts[-1] for usage in usages if (parts := _path_parts(usage.path)) and parts[-1]}
    if len(lasts) < 2:
        return ()
    first, *others = lasts
    size = 0
    while size < len(first) and all(
        size < len(other) and other[-1 - size] == first[-1 - size] for other in others
    ):
        size += 1
    common = first[len(first) - size :]
    if all(word in CONNECTIVES or word[:1].isdigit() or len(word) < 2 for word in common):
        return ()
    return common


def with_last_key(path: tuple[str, ...], common: tuple[str, ...]) -> tuple[str, ...] | None:
    """`path` with its last key named by `common` alone (an array item stays one); None when the
    path has no key or its last key already is that."""
    index = next((i for i in range(len(path) - 1, -1, -1) if path[i] != "[]"), None)
    if index is None or _path_parts(path)[-1] == common:
        return None
    return (*path[:index], "_".join(common), *path[index + 1 :])


@persisted("usage_names")  # pure; a rebuild asks for every name a second time
def usage_name(
    prefix: tuple[str, ...], role_name: Role, path: tuple[str, ...], keys: int | None
) -> str:
    """The name `shape_candidates` gives one usage (see there)."""
    parts = _path_parts(path)
    role = {"response": (), "error": ("error",), "request": ("request",)}[role_name]
    if role_name == "response" and not parts:
        role = ("response",)
    name = _class_name((*prefix, *role, *(w for part in parts for w in part)))
    if keys is not None:
        # The last keys, as many as read well: the last two, or the last one in a long name.
        for count in range(keys, 0, -1):
            name = _class_name((*prefix, *role, *(w for part in parts[-count:] for w in part)))
            if len(name) <= LONG_NAME:
                break
        while len(name) > LONG_NAME and len(prefix) > 2:
            # Still long: the request's words give way, as in model_prefix_words.
            prefix = (prefix[0], *prefix[2:])
            name = _class_name((*prefix, *role, *(w for part in parts[-1:] for w in part)))
    return name


def key_path_names(shape: Shape) -> list[str]:
    """Names of a shape from its own key path, shortest first (`CreatedBy`, `DetailsCreatedBy`),
    from the paths where it is a success body; none for a body at the top."""
    found = {
        found
        for usage in shape.usages
        if usage.role == "response"
        for found in _key_path_names(usage.path)
    }
    # the name of what its keys share first (`Address`), see shape_candidates
    common = common_key_words(shape.usages)
    shared = {
        found
        for usage in shape.usages
        if common
        and usage.role == "response"
        and (path := with_last_key(usage.path, common)) is not None
        for found in _key_path_names(path)
    }
    return [name for _, name in sorted(shared)] + [name for _, name in sorted(found - shared)]


@persisted("key_path_names")  # pure; the same paths recur across shapes and passes
def _key_path_names(path: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
    """(depth, name) of each name `key_path_names` takes from one success path."""
    parts = _path_parts(path)
    if path[:1] == ("[]",):
        parts = parts[1:]  # an item of a top-level array has no key of its own
    found = []
    for depth in range(1, len(parts) + 1):
        if not all(parts[-depth:]):
            break  # a key without words names nothing
        name = _class_name(tuple(w for part in parts[-depth:] for w in part))
        if not name[:1].isdigit() and not name.startswith("Model"):
            found.append((depth, name))
    return tuple(found)


def model_names(
    inferred: Inferred,
    prefixes: list[list[str]],
    taken: set[str],
    published: Published | None = None,
) -> tuple[dict[int, str], list[tuple[str, str]], dict[int, int]]:
    """Choose one class name per shape, and the aliases that keep every request's own names."""
    candidates = {shape.id: shape_candidates(shape, prefixes) for shape in inferred.shapes}
    names: dict[int, str] = {}
    canonical_usage: dict[int, int] = {}
    identity = structural_keys(inferred)
    digests = digests_of(identity)
    # Candidates are claimed in an order that depends only on each shape, never on request order;
    # of two shapes with one name, a whole body first: `{"error": {...}}` is `<Request>Error`, and
    # the object under its `error` key (whose name collapses to the same words) yields.
    claim_order = sorted(
        inferred.shapes,
        key=lambda s: (candidates[s.id][0][0], bool(candidates[s.id][0][1].path), identity[s.id]),
    )
    published_aliases: list[tuple[str, int]] = []
    reserved: dict[str, int] = {}  # a published name -> the shape it belongs to
    if published is not None:
        # A class an earlier build published keeps its name while its shape exists; no other
        # shape may take a published name.
        by_digest: dict[str, str] = {}
        for name, digest in sorted(published.classes.items()):
            by_digest.setdefault(digest, name)
        for shape in inferred.shapes:
            name = by_digest.get(digests[shape.id], "")
            if name.isidentifier() and name not in taken:
                names[shape.id] = name
                taken.add(name)
                canonical_usage[shape.id] = candidates[shape.id][0][2]
        shape_of = {digest: shape_id for shape_id, digest in sorted(digests.items(), reverse=True)}
        for name, digest in sorted(published.aliases.items()):
            if digest in shape_of and name.isidentifier() and name not in taken:
                published_aliases.append((name, shape_of[digest]))
                reserved[name] = shape_of[digest]
        # A published class whose shape changed (a saved response gained a key, more evidence made
        # a key optional) keeps its name: the name goes to the first shape, in claim order, that
        # has it among its own candidates (the changed shape: names come from the request and the
        # key path, which a changed body keeps), never to a shape that does not.
        gone = sorted(
            name
            for name in published.classes
            if name.isidentifier() and name not in taken and name not in reserved
        )
        claim_gone(gone, claim_order, candidates, names, taken, canonical_usage)
        # An alias of such a class follows it.
        holder = {name: shape_id for shape_id, name in names.items()}
        for name, digest in sorted(published.aliases.items()):
            follows = holder.get(by_digest.get(digest, ""))
            gone_alias = digest not in shape_of and name.isidentifier() and name not in taken
            if gone_alias and follows is not None:
                published_aliases.append((name, follows))
                reserved[name] = follows
    sticky = set(names)
    # The error body most requests share is `ErrorResponse`.
    shared_errors = [
        shape
        for shape in inferred.shapes
        if len({u.op for u in shape.usages}) > 1
        and all(u.role == "error" and not u.path for u in shape.usages)
    ]
    if shared_errors and not any(shape.id in sticky for shape in shared_errors):
        best = max(
            shared_errors,
            key=lambda s: (
                len({u.op for u in s.usages}),
                [-ord(c) for c in min(n for n, _, _ in candidates[s.id])],
            ),
        )
        names[best.id] = unique("ErrorResponse", taken, "Model")
        canonical_usage[best.id] = candidates[best.id][0][2]
    for shape in claim_order:
        if shape.id in names:
            continue
        for name, _, position in candidates[shape.id]:
            if name not in taken and reserved.get(name, shape.id) == shape.id:
                names[shape.id] = name
                taken.add(name)
                canonical_usage[shape.id] = position
                break
        else:
            for name, _, position in shape_candidates(shape, prefixes, None):
                if len(name) > LONG_NAME:
                    continue  # a readable name from the shape's own keys, below, instead
                if name not in taken and reserved.get(name, shape.id) == shape.id:
                    names[shape.id] = name
                    taken.add(name)
                    canonical_usage[shape.id] = position
                    break
            else:
                name, _, position = candidates[shape.id][0]
                names[shape.id] = collision_name(name, shape, identity, taken | set(reserved))
            taken.add(names[shape.id])
            canonical_usage[shape.id] = position
    name_shared_by_key_path(inferred, candidates, names, taken, sticky)
    class_names = set(names.values())
    aliases: set[tuple[str, str]] = {
        (name, names[shape_id])
        for name, shape_id in published_aliases
        if name != names[shape_id] and name not in class_names
    }
    taken.update(name for name, _ in aliases)
    owner = {name: shape_id for shape_id, name in names.items()}
    for shape in inferred.shapes:
        for name, _, _ in candidates[shape.id]:
            if name != names[shape.id] and name not in taken:
                aliases.add((name, names[shape.id]))
            elif owner.get(name, shape.id) != shape.id:
                # Another shape holds the name: this shape's own variant of it stays importable, so
                # a shape once named so keeps that name when a new request lends it another.
                variant = collision_name(name, shape, identity, set())
                if variant != names[shape.id] and variant not in taken:
                    aliases.add((variant, names[shape.id]))
    alias_names: set[str] = set()
    kept = []
    for alias, target in sorted(aliases):
        if alias not in alias_names:
            alias_names.add(alias)
            kept.append((alias, target))
    taken.update(alias_names)
    return names, kept, canonical_usage


def claim_gone(
    gone: list[str],
    claim_order: list[Shape],
    candidates: Mapping[int, list[tuple[str, Usage, int]]],
    names: dict[int, str],
    taken: set[str],
    canonical_usage: dict[int, int],
) -> None:
    """Each name in `gone` (in order) goes to the first shape in claim order that has no name yet
    and has it among its candidates, with the position of its first candidate of that name."""
    # Each name's claimants in claim order: one pass over the candidates, not one per gone name
    # (a rebuild after a change to many bodies has many gone names: that was quadratic).
    wanted = set(gone)
    claimants: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for shape in claim_order if gone else ():
        firsts: dict[str, int] = {}
        for candidate, _, position in candidates[shape.id]:
            if candidate in wanted:
                firsts.setdefault(candidate, position)
        for candidate, position in firsts.items():
            claimants[candidate].append((shape.id, position))
    for name in gone:
        for shape_id, position in claimants[name]:
            if shape_id not in names:
                names[shape_id] = name
                taken.add(name)
                canonical_usage[shape_id] = position
                break


def name_shared_by_key_path(
    inferred: Inferred,
    candidates: dict[int, list[tuple[str, Usage, int]]],
    names: dict[int, str],
    taken: set[str],
    keep: set[int],
) -> None:
    """A success shape that several requests share is named from its own key path (`CreatedBy`,
    `ResourceFile`) where no other shape of the collection has that key-path name, instead of the
    first claimant's request name (which stays importable as an alias)."""
    by_key: dict[str, set[int]] = defaultdict(set)
    paths = {shape.id: key_path_names(shape) for shape in inferred.shapes}
    for shape_id, found in paths.items():
        for name in found:
            by_key[name].add(shape_id)
    request_names = {name for found in candidates.values() for name, _, _ in found}
    for shape in sorted(inferred.shapes, key=lambda s: names[s.id]):
        if len({u.op for u in shape.usages}) < 2 or shape.id in keep:
            continue
        for name in paths[shape.id]:
            if by_key[name] == {shape.id} and name not in taken and name not in request_names:
                taken.discard(names[shape.id])
                names[shape.id] = name
                taken.add(name)
                break


def collision_name(name: str, shape: Shape, identity: dict[int, str], taken: set[str]) -> str:
    """The name of a shape whose every candidate another shape holds: the candidate and the shape's
    own keys (`GetUserAddressWithTags`), so it depends on this shape alone, never on which other
    requests exist; letters from its structure are added only if that, too, is taken, or the name
    cannot be made short enough. At most LONG_NAME characters, cut at whole words: the request's
    words give way first (as in usage_name), the role and the last key stay."""
    keys = [pascal(words(f.key)[:MAX_WORDS] or non_ascii_words(f.key)) for f in shape.fields[:3]]
    while len(keys) > 1 and len(f"{name}With{''.join(keys)}") > LONG_NAME:
        keys.pop()  # as many of its keys as a readable name holds
    tail = f"With{''.join(keys)}" if keys else "Empty"
    parts = CAPITAL_WORD_RE.findall(name) or [name]
    stem = shortened(parts, tail, LONG_NAME)
    fits = stem.endswith(tail)
    if fits and stem not in taken:
        return stem
    digest = hashlib.sha256(identity[shape.id].encode("utf-8", "surrogatepass")).hexdigest()
    letters = "".join(chr(ord("A") + int(c, 16)) for c in digest)
    start = 0 if fits else 4  # (as earlier zgen versions named it)
    for offset in [*range(start, len(letters) - 3, 4), *range(0, start, 4)]:
        found = shortened(parts, tail, LONG_NAME - 4) + letters[offset : offset + 4]
        if found not in taken:
            taken.add(found)
            return found
    return unique(found, taken, "X")


# The words of a class name as written (each from a capital on): joined, they are the name again.
CAPITAL_WORD_RE = re.compile(r"[A-Z][^A-Z]*|[^A-Z]+")


def shortened(parts: list[str], tail: str, room: int) -> str:
    """`parts` and then `tail` within `room` characters where possible: words after the first give
    way (the last three stay; no run of words twice in a row), then `tail`, then whatever is
    over."""
    parts = list(parts)
    while len("".join(parts)) + len(tail) > room and len(parts) > 4:
        del parts[1]
        # (a word given way may bring two runs of the same words together: `Flight Document
        # Flight Pricing` -> `Flight Pricing`, not `Flight Flight Pricing`)
        parts = collapse_runs(parts)
    if len("".join(parts)) + len(tail) <= room:
        return "".join(parts) + tail
    kept = parts[:1]
    for part in parts[1:]:
        if len("".join([*kept, part])) > room:
            break
        kept.append(part)
    return "".join(kept)[:room]


# structural_keys of the last Inferred asked about, by identity: a build asks for the same one up to
# three times (naming, the rebuild's naming with the published names, the manifest's digests), and
# an Inferred is immutable. The weak reference tells a new object that reuses an id from the old.
_last_keys: list[tuple[weakref.ref[Inferred], dict[int, str]]] = []


def structural_keys(inferred: Inferred) -> dict[int, str]:
    """A text per shape that depends only on its structure (not on shape ids), for tie-breaks."""
    if _last_keys and _last_keys[0][0]() is inferred:
        return dict(_last_keys[0][1])
    keys = _structural_keys(inferred)
    _last_keys[:] = [(weakref.ref(inferred), keys)]
    return dict(keys)


def _structural_keys(inferred: Inferred) -> dict[int, str]:
    by_id = {shape.id: shape for shape in inferred.shapes}
    done: dict[int, str] = {}
    return {shape.id: _shape_key(shape.id, by_id, done) for shape in inferred.shapes}


# (functions of their own, not closures of _structural_keys: two closures that call each other
# are a reference cycle, which would keep the shapes alive until a garbage collection)
def _shape_key(shape_id: int, by_id: dict[int, Shape], done: dict[int, str]) -> str:
    if shape_id not in done:
        fields = by_id[shape_id].fields
        done[shape_id] = ",".join(
            f"{f.key!r}{'' if f.required else '?'}:{_type_key(f.type, by_id, done)}" for f in fields
        )
    return done[shape_id]


def _type_key(ref: TypeRef, by_id: dict[int, Shape], done: dict[int, str]) -> str:
    if ref[0] == "model":
        return "{" + _shape_key(ref[1], by_id, done) + "}"
    if ref[0] == "list":
        return "[" + _type_key(ref[1], by_id, done) + "]"
    if ref[0] == "union":
        return "|".join(sorted(_type_key(member, by_id, done) for member in ref[1]))
    return str(ref[0])


def rename_models(
    models: dict[int, str],
    aliases: list[tuple[str, str]],
    renames: Mapping[str, str],
    taken: set[str],
    file: str,
) -> list[tuple[str, str]]:
    """Apply [tool.zgen] model renames; aliases that pointed at a renamed class follow it."""
    by_name = {name: shape_id for shape_id, name in models.items()}
    moved: dict[str, str] = {}
    for old, new in sorted(renames.items()):
        place = f"[tool.zgen] overrides.models.{old}"
        if old not in by_name:
            raise ZgenError(file, place, f"no generated model is named {old!r}")
        if new == old:
            continue
        if (
            new in RESERVED_CLASSES
            or new in by_name
            or (new in taken and new not in {a for a, _ in aliases})
        ):
            raise ZgenError(file, place, f"{new!r} is already the name of another class")
        models[by_name.pop(old)] = new
        by_name[new] = -1
        taken.add(new)
        moved[old] = new
    kept = []
    for alias, target in aliases:
        target = moved.get(target, target)
        if alias in by_name or alias == target:
            continue
        kept.append((alias, target))
    return kept


def shape_digests(inferred: Inferred) -> dict[int, str]:
    """A short digest of each shape's structure: how a manifest recognises a published model."""
    return digests_of(structural_keys(inferred))


def digests_of(keys: Mapping[int, str]) -> dict[int, str]:
    """`shape_digests` from the shapes' structural keys."""
    return {
        shape_id: hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        for shape_id, key in keys.items()
    }


@dataclass(frozen=True)
class Published:
    """The model names an earlier build of the package published (from its manifest), each with the
    digest of its shape: a class keeps its name while its shape exists, an alias stays importable.
    """

    classes: Mapping[str, str]
    aliases: Mapping[str, str]
    methods: Mapping[str, str] = field(default_factory=dict)  # request key -> its method name


def published_models(inferred: Inferred, names: Names) -> Published:
    """What this build publishes, for the package's manifest."""
    digests = shape_digests(inferred)
    by_name = {name: shape_id for shape_id, name in names.models.items()}
    aliases = {
        alias: digests[by_name[target]] for alias, target in names.aliases if target in by_name
    }
    return Published(
        dict(sorted((name, digests[shape_id]) for name, shape_id in by_name.items())),
        dict(sorted(aliases.items())),
        dict(
            sorted(
                (key, name)
                for key, name in zip(names.method_keys, names.methods, strict=False)
                if key
            )
        ),
    )


def legacy_models(inferred: Inferred, names: Names, published: Iterable[str]) -> dict[str, str]:
    """The published names of a package built before manifests recorded its models (zgen 0.1's
    names: the folder and request words, the role and the key path), with their shapes' digests."""
    wanted = set(published)
    digests = shape_digests(inferred)
    found: dict[str, str] = {}
    for shape in inferred.shapes:
        for usage in shape.usages:
            suffix = {"response": "", "error": "Error", "request": "Request"}[usage.role]
            parts = path_parts(tuple(key for key in usage.path))
            name = names.prefixes[usage.op] + suffix + "".join(pascal(part) for part in parts)
            if name[-1:].isdigit() and not (parts and parts[-1] and parts[-1][-1][-1:].isdigit()):
                name += "Response"
            if name in wanted:
                found.setdefault(name, digests[shape.id])
    return found


def field_names(shape: Shape, order: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The attribute name of each key: the key itself when it is a snake_case identifier that
    shadows nothing (`uuid`, `type`, `self`); its snake_case form otherwise, with `_` appended only
    on a real clash (a keyword, a BaseModel attribute, a type the annotations use)."""
    return _field_names(order)


@persisted("field_names")  # pure: the same key orders recur across shapes and passes
def _field_names(order: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    taken: set[str] = set()
    chosen: dict[str, str] = {}
    # Keys already in snake_case keep their plain name; the others yield.
    for key in sorted(order, key=lambda k: (field_base(k) != k, k)):
        chosen[key] = unique(field_base(key), taken)
    return tuple((key, chosen[key]) for key in order)


@functools.lru_cache(maxsize=WORD_CACHE)  # pure; asked for every key of every shape
def field_base(key: str) -> str:
    """A key's field name before de-duplication."""
    plain = key.isidentifier() and key.isascii() and key == key.lower() and "__" not in key
    name = key if plain and not key.startswith("_") else snake(key, prefix="field")
    if name.startswith("model_"):
        # pydantic reserves `model_*` (a trailing underscore is not enough: `model_dump_` clashes).
        return f"field_{name}"
    if keyword.iskeyword(name) or name in RESERVED_FIELDS:
        return name + "_"
    return name


def fixture_names(
    api: Api, ns_paths: list[tuple[str, ...]], methods: list[str]
) -> tuple[tuple[str, ...], ...]:
    """Per request, a fixture name per saved response; a request without any has one fixture,
    the request alone (`<method>__request`)."""
    taken: set[str] = set()
    result = []
    for index, op in enumerate(api.operations):
        stem = "__".join((*ns_paths[index], methods[index]))
        names = []
        for example in op.examples:
            base = file_stem(
                f"{stem}__{snake(example.name, prefix='response') if words(example.name) else 'response'}",
                120,
            )
            name = (
                base if base not in taken else unique(f"{base}_{example.status}", taken, "_again")
            )
            taken.add(name)
            names.append(name)
        if not op.examples:  # the fixture of the test of the request alone (see render_tests)
            names.append(unique(file_stem(f"{stem}__request", 120), taken, "_again"))
        result.append(tuple(names))
    return tuple(result)


def paging_method_names(
    ns_paths: list[tuple[str, ...]], methods: list[str], paged: Collection[int]
) -> tuple[tuple[str, str] | None, ...]:
    """`iter_<method>` and `<method>_pages` of each paged request, unique in its namespace (next
    to its methods and sub-namespaces, which keep their names)."""
    taken: dict[tuple[str, ...], set[str]] = defaultdict(lambda: set(RESERVED_CLIENT_ATTRS))
    for path, method in zip(ns_paths, methods, strict=True):
        taken[path].add(method)
        for depth in range(len(path)):
            taken[path[:depth]].add(path[depth])
    result: list[tuple[str, str] | None] = [None] * len(methods)
    for index in sorted(paged, key=lambda i: (ns_paths[i], methods[i])):
        names = taken[ns_paths[index]]
        method = methods[index]
        result[index] = (unique(f"iter_{method}", names), unique(f"{method}_pages", names))
    return tuple(result)


def assign(
    api: Api,
    inferred: Inferred,
    package: str | None = None,
    overrides: Overrides | None = None,
    paged: Collection[int] = (),
    published: Published | None = None,
) -> Names:
    pkg = package or package_name(api.title)
    ns_paths, methods, classes, method_keys = operation_names(
        api, published.methods if published is not None else None
    )
    model_prefixes = [
        model_prefix_words(api.operations[i].folders, methods[i]) for i in range(len(methods))
    ]
    # Requests whose shortened words meet keep all of theirs.
    counts = Counter(tuple(prefix) for prefix in model_prefixes)
    for i, prefix in enumerate(model_prefixes):
        if counts[tuple(prefix)] > 1:
            model_prefixes[i] = model_prefix_words(api.operations[i].folders, methods[i], 10**6)
    prefixes = [
        pascal(w for part in (*ns_paths[i], methods[i]) for w in words(part))
        for i in range(len(methods))
    ]
    taken = set(RESERVED_CLASSES) | {f"{stem}Resource" for stem in classes.values()}
    forms = []
    for index, op in enumerate(api.operations):
        if op.body is not None and op.body.mode in ("urlencoded", "formdata"):
            forms.append(unique(prefixes[index] + "Form", taken, "Form"))
        else:
            forms.append("")
    models, aliases, canonical = model_names(inferred, model_prefixes, taken, published)
    if overrides is not None and overrides.models:
        aliases = rename_models(models, aliases, overrides.models, taken, overrides.file)
    fields = {
        shape.id: field_names(shape, shape.orders[canonical[shape.id]]) for shape in inferred.shapes
    }
    params, body_args = (
        zip(*(param_names(op) for op in api.operations), strict=True)
        if api.operations
        else ((), ())
    )
    test_modules = tuple(file_stem("test_" + (ns[0] if ns else "root"), 100) for ns in ns_paths)
    return Names(
        package=pkg,
        env_prefix=pkg.upper(),
        client_vars=client_var_names(api),
        namespaces=classes,
        op_namespace=tuple(ns_paths),
        methods=tuple(methods),
        params=tuple(params),
        body_arg=tuple(body_args),
        prefixes=tuple(prefixes),
        models=models,
        aliases=tuple(aliases),
        fields=fields,
        forms=tuple(forms),
        fixtures=fixture_names(api, ns_paths, methods),
        test_modules=test_modules,
        paging_methods=paging_method_names(ns_paths, methods, paged),
        method_keys=tuple(method_keys),
    )

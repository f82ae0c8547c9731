"""Injection-proof by construction: property tests with hostile text in every part of a collection.

Two tiers, so CI runs enough examples without building hundreds of packages:

- cheap (200 examples each): the `literal` and `docstring` filters on arbitrary text, and whole
  collections rendered (every stage but black and the disk) whose Python compiles, uses only
  identifiers from the naming pass and calls nothing dangerous;
- heavy (a few examples, each a batch of collections in ONE build): the package is formatted and
  written, imported in a fresh interpreter under an audit hook that fails on any file written or
  process started, passes its own generated tests, and keeps every value intact where it is data.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from conftest import V21, run_generated_tests
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from zgen.credentials import secret_value
from zgen.diagnostics import Diagnostics
from zgen.infer import infer
from zgen.load import LoadedCollection, check_collection
from zgen.modelgen import generate_models
from zgen.naming import assign
from zgen.normalize import VAR_RE, looks_secret, normalize
from zgen.pipeline import build
from zgen.redact import redact_json
from zgen.render import docstring, environment, literal, render

CHEAP = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# No shrinking in the heavy tier: each example is a build and two interpreters; the failing batch is printed whole.
HEAVY = settings(
    max_examples=10,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

PAYLOADS = [
    '"', "'", '"""', "'''", '\\', '\\"""', "\\'''", '"""\nimport os\n"""', "\n", "\r\n", "\r", "\t", "\x00", "\x0b\x0c",
    "\u2028", "\u2029", "\ufeff", "\x85", "{{x}}", "{{ 7*7 }}", "{% for x in y %}", "{% endfor %}", "{# c #}", "${x}",
    "__import__('os').system('touch pwned')", '"); __import__("os").system("touch pwned"); ("',
    "'); __import__('os').system('touch pwned') #", '"""); exec("import os"); ("""', "\\N{BULLET}", "\\u0041",
    "\\x00", "# -*- coding: latin-1 -*-", "#!", "def f(): pass", "class X: pass", "lambda: 0", "@decorator",
    "f'{__import__(\"os\")}'", "*/", "-->", "</script>", "../..", "/", "?", "&", "=", "#", ":", "%00", "%2e%2e",
    "None", "True", "self", "class", "import", "__init__", "__class__", "base_url", "timeout", "client",
    "😀", "ǅ", "ß", "İ", "ﬀ", "\u0301", "١٢٣", "日本語", " ", "",
]  # fmt: skip
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=24)
hostile_text = st.one_of(
    st.sampled_from(PAYLOADS),
    any_text,
    st.lists(st.one_of(st.sampled_from(PAYLOADS), any_text), min_size=2, max_size=4).map("".join),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | hostile_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3),
    max_leaves=8,
)
json_bodies = st.dictionaries(hostile_text, json_values, min_size=1, max_size=4)
DANGEROUS_CALLS = {
    "__import__",
    "eval",
    "exec",
    "compile",
    "breakpoint",
    "system",
    "popen",
    "Popen",
    "spawnl",
    "execv",
}
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    method = draw(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]))
    segments = draw(st.lists(hostile_text, max_size=3))
    path_vars = []
    if draw(st.booleans()):
        key = draw(hostile_text)
        segments.append(":" + key)
        path_vars.append(
            {"key": key, "value": draw(hostile_text), "description": draw(hostile_text)}
        )
    query = [
        {"key": k, "value": v, "description": d}
        for k, v, d in draw(
            st.lists(st.tuples(hostile_text, hostile_text, hostile_text), max_size=3)
        )
    ]
    headers = [
        {"key": k, "value": v}
        for k, v in draw(st.lists(st.tuples(hostile_text, hostile_text), max_size=3))
    ]
    request: dict[str, Any] = {
        "method": method,
        "description": draw(hostile_text),
        "url": {
            "raw": "https://api.example.test/" + "/".join(segments),
            "protocol": "https",
            "host": ["api", "example", "test"],
            "path": segments,
            "query": query,
            "variable": path_vars,
        },
        "header": headers,
    }
    if method != "GET" and draw(st.booleans()):
        request["body"] = {
            "mode": "raw",
            "raw": json.dumps(draw(json_bodies)),
            "options": {"raw": {"language": "json"}},
        }
    responses = [
        {
            "name": draw(hostile_text),
            "code": draw(st.sampled_from([200, 201, 400, 404, 422, 500])),
            "header": [{"key": "Content-Type", "value": "application/json"}],
            "body": json.dumps(draw(json_bodies)),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    return {"name": draw(hostile_text), "request": request, "response": responses}


@st.composite
def collections(draw: st.DrawFn) -> dict[str, Any]:
    folders = [
        {
            "name": draw(hostile_text),
            "description": draw(hostile_text),
            "item": draw(st.lists(requests(), min_size=1, max_size=2)),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    return {
        "info": {"name": draw(hostile_text), "description": draw(hostile_text), "schema": V21},
        "item": [*folders, *draw(st.lists(requests(), min_size=1, max_size=2))],
        "variable": [
            {"key": k, "value": v}
            for k, v in draw(st.lists(st.tuples(hostile_text, hostile_text), max_size=3))
        ],
    }


def rendered(data: dict[str, Any]) -> dict[str, str]:
    """Every stage but black and the disk: the package's files as rendered."""
    diagnostics = Diagnostics()
    loaded = LoadedCollection(
        "hostile.json",
        "hostile",
        check_collection("hostile.json", "hostile", data, diagnostics),
        "2.1",
    )
    api = normalize(loaded, diagnostics)
    inferred = infer(api, diagnostics)
    names = assign(api, inferred, None)
    return render(api, inferred, names, generate_models(inferred, names), environment(None)).files


def check_code(path: str, source: str) -> None:
    """The source compiles; every identifier is plain ASCII; nothing dangerous is called."""
    tree = ast.parse(compile(source, path, "exec", ast.PyCF_ONLY_AST))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Name):
            names.append(node.id)
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.arg, ast.keyword)) and node.arg is not None:
            names.append(node.arg)
        elif isinstance(node, ast.alias):
            names.extend(part for part in node.name.split(".") if part != "*")
        for name in names:
            assert IDENTIFIER.match(name), f"{path}: identifier {name!r}"
        if isinstance(node, ast.Call):
            func = node.func
            called = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr if isinstance(func, ast.Attribute) else ""
            )
            assert called not in DANGEROUS_CALLS, f"{path}: calls {called}"


# ---------------------------------------------------------------- cheap tier: 200 examples each


@CHEAP
@given(st.one_of(hostile_text, st.text(st.characters(exclude_categories=["Cs"]))))
def test_literal_round_trips(text: str) -> None:
    source = literal(text)
    assert ast.literal_eval(source) == text
    tree = ast.parse(f"x = {source}\n")
    assert len(tree.body) == 1 and isinstance(tree.body[0], ast.Assign)
    assert isinstance(tree.body[0].value, ast.Constant)


def cleaned(text: str) -> str:
    """What a docstring keeps of a text: printable characters, lines without trailing blanks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4)
    text = "".join(ch for ch in text if ch == "\n" or ch.isprintable())
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


@CHEAP
@given(st.one_of(hostile_text, st.text(st.characters(exclude_categories=["Cs"]))))
def test_docstring_is_one_constant_keeping_the_text(text: str) -> None:
    body = docstring(text)
    for indent in ("", "    "):
        source = f'def f():\n{indent or "    "}"""{body}"""\n    return 1\n'
        tree = ast.parse(source)
        function = tree.body[0]
        assert isinstance(function, ast.FunctionDef) and len(function.body) == 2
        expr = function.body[0]
        assert isinstance(expr, ast.Expr) and isinstance(expr.value, ast.Constant)
        value = expr.value.value
        assert isinstance(value, str)
        assert value.rstrip(" ") == cleaned(text).rstrip(" ") or value == cleaned(text) + " "


@pytest.mark.slow
@CHEAP
@given(collections())
def test_rendered_package_compiles_and_calls_nothing(data: dict[str, Any]) -> None:
    files = rendered(data)
    assert any(path.endswith("/client.py") for path in files)
    for path, content in files.items():
        assert not path.startswith(("/", "..")) and "/../" not in path
        if path.endswith(".py"):
            check_code(path, content)
        elif path.endswith(".json"):
            json.loads(content)


# ---------------------------------------------------------------- heavy tier: a few batched examples

AUDITED_IMPORT = textwrap.dedent("""
    import importlib, os, sys

    FORBIDDEN = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
                 "pty.spawn", "socket.connect", "os.remove", "os.rename", "os.mkdir", "shutil.rmtree")
    WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    events = []

    def hook(event, args):
        if event.startswith(FORBIDDEN):
            events.append(event)
            raise RuntimeError("forbidden at import: " + event)
        if event == "open":
            mode, flags = args[1], args[2]
            if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (isinstance(flags, int) and flags & WRITE_FLAGS):
                events.append("open for writing: " + repr(args[0]))
                raise RuntimeError("forbidden at import: write " + repr(args[0]))

    sys.addaudithook(hook)
    for package in sys.argv[1:]:
        for module in ("", ".client", ".models", ".errors", "._base", ".testing"):
            importlib.import_module(package + module)
    print("EVENTS", events)
    """)


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def docstrings(source: str) -> list[str]:
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                found.append(doc)
    return found


def expected_bodies(data: dict[str, Any]) -> list[Any]:
    """Every saved body of the collection, as its fixture must hold it (credentials redacted)."""
    bodies = []
    stack = list(data["item"])
    while stack:
        item = stack.pop()
        stack.extend(item.get("item", []))
        for saved in item.get("response", []):
            bodies.append(redact_json(json.loads(saved["body"]))[0])
    return bodies


def plain_query_values(data: dict[str, Any]) -> list[str]:
    """Query values that must reach the client as data, unchanged: argument defaults."""
    values = []
    stack = list(data["item"])
    while stack:
        item = stack.pop()
        stack.extend(item.get("item", []))
        if "request" in item:
            # a query key that names a `:path` variable of the same request is sent in the path
            segments = item["request"]["url"]["path"]
            path_keys = {
                segment[1:] for segment in segments if segment.startswith(":") and len(segment) > 1
            }
            path_keys |= {
                match.group(1) for segment in segments for match in VAR_RE.finditer(segment)
            }
            seen: set[str] = set(path_keys)
            # keys and values as sent: percent escapes decoded (the client encodes what it sends)
            query = [
                {**entry, "key": unescaped(entry["key"]), "value": unescaped(entry["value"])}
                for entry in item["request"]["url"]["query"]
            ]
            # a key sent more than once with literal values is one list parameter, no default
            repeated = Counter(
                entry["key"]
                for entry in query
                if entry.get("disabled") is not True
                and not VAR_RE.search(str(entry["value"] or ""))
                and not looks_secret(str(entry["key"]))
                and not secret_value(str(entry["key"]), str(entry["value"] or ""))
            )
            for entry in query:
                key, value = entry["key"], entry["value"]
                first = key not in seen
                seen.add(key)
                if (
                    first
                    and repeated[key] < 2
                    and key
                    and value
                    and "{{" not in value
                    and "}}" not in value
                    and not looks_secret(key)
                    and not secret_value(key, value)  # (a credential by its value: left out)
                ):
                    values.append(value)
    return values


def unescaped(text: Any) -> Any:
    """Text with its percent escapes decoded, when it holds any."""
    if isinstance(text, str) and re.search(r"%[0-9A-Fa-f]{2}", text):
        return unquote(text)
    return text


def descriptions(data: dict[str, Any]) -> list[str]:
    found = []
    stack = list(data["item"])
    while stack:
        item = stack.pop()
        stack.extend(item.get("item", []))
        if "request" in item and cleaned(item["request"]["description"]):
            found.append(cleaned(item["request"]["description"]))
    return found


def string_constants(source: str) -> set[str]:
    return {
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


@pytest.mark.slow
@HEAVY
@given(batch=st.lists(collections(), min_size=4, max_size=4))
def test_built_packages_import_safely_pass_their_tests_and_keep_data(
    batch: list[dict[str, Any]], tmp_path_factory: Any
) -> None:
    root = tmp_path_factory.mktemp("hostile")
    sources = []
    for index, data in enumerate(batch):
        source = root / f"hostile_{index}.json"
        source.write_text(json.dumps(data), encoding="utf-8")
        sources.append(source)
    out = root / "out"
    packages = {source: f"hostile_{index}" for index, source in enumerate(sources)}
    build(sources, out, packages=packages)
    before = files_of(root)

    result = subprocess.run(
        [sys.executable, "-B", "-c", AUDITED_IMPORT, *packages.values()],
        cwd=out, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "EVENTS []" in result.stdout
    assert files_of(root) == before, "importing the packages created or changed a file"

    for index, data in enumerate(batch):
        package = out / f"hostile_{index}"
        client = (package / "client.py").read_text(encoding="utf-8")
        for path in package.rglob("*.py"):
            check_code(str(path), path.read_text(encoding="utf-8"))
        # saved bodies are data: each fixture holds exactly the saved body (credentials redacted)
        saved = [json.loads(p.read_text(encoding="utf-8")) for p in package.glob("fixtures/*.json")]
        # (a request without a saved response has a fixture of its own, with no body)
        fixtures = [json.loads(f["body"]) for f in saved if f["kind"] != "empty"]
        expected = expected_bodies(data)
        assert sorted(map(json.dumps, fixtures)) == sorted(json.dumps(body) for body in expected)
        # a description is documentation: every line of it is in a docstring (wrapped: every
        # word, in order, whatever the line breaks)
        docs = " ".join(" ".join(docstrings(client)).split())
        for description in descriptions(data):
            for line in description.split("\n"):
                assert " ".join(line.split()) in docs, line
        # a query value is data: it is an argument default, intact
        constants = string_constants(client)
        for value in plain_query_values(data):
            assert value in constants, value

    tests = run_generated_tests(out)
    any_fixture = any(out.glob("*/fixtures/*.json"))
    assert tests.returncode == (0 if any_fixture else 5), (
        tests.stdout[-4000:] + tests.stderr[-2000:]
    )
    assert files_of(root).keys() >= before.keys()


# ---------------------------------------------------------------- what the property tests found


def test_header_that_http_cannot_carry_is_left_out_with_a_warning() -> None:
    data = {
        "info": {"name": "h", "schema": V21},
        "item": [
            {
                "name": "r",
                "request": {
                    "method": "GET",
                    "url": "https://x.test/",
                    "header": [
                        {"key": "X-Ok", "value": "fine"},
                        {"key": "Bad Name°", "value": "x"},
                        {"key": "X-Crlf", "value": "a\r\nInjected: yes"},
                    ],
                },
            }
        ],
    }
    diagnostics = Diagnostics()
    loaded = LoadedCollection(
        "h.json", "h", check_collection("h.json", "h", data, diagnostics), "2.1"
    )
    api = normalize(loaded, diagnostics)
    assert [key for key, _ in api.operations[0].headers] == ["X-Ok"]
    messages = [warning.message for warning in diagnostics.warnings]
    assert any("not a valid HTTP header name" in message for message in messages)
    assert any("value HTTP cannot carry" in message for message in messages)


def test_url_with_a_newline_in_its_path_is_data() -> None:
    """A raw URL with a newline once crashed the URL splitter; the text is now kept and encoded."""
    files = rendered(
        {
            "info": {"name": "n", "schema": V21},
            "item": [
                {
                    "name": "r",
                    "request": {"method": "GET", "url": 'https://x.test/a"""\nimport os\n"""'},
                }
            ],
        }
    )
    client = next(content for path, content in files.items() if path.endswith("/client.py"))
    assert "/a%22%22%22%0Aimport%20os%0A%22%22%22" in client


def test_dot_segments_are_sent_not_resolved() -> None:
    """`..` in a collection's path is data: encoded, so httpx does not resolve it to another path."""
    files = rendered(
        {
            "info": {"name": "d", "schema": V21},
            "item": [{"name": "r", "request": {"method": "GET", "url": "https://x.test/../a/./b"}}],
        }
    )
    client = next(content for path, content in files.items() if path.endswith("/client.py"))
    assert "/%2E%2E/a/%2E/b" in client

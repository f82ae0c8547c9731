"""No generated signature, call or class can hold a duplicate or shadow a name it uses.

One collection names its parameters, variables, folders, requests, body keys and form fields after
every name of naming.RESERVED_NAMES (the one table of the names the templates use), every Python
keyword and soft keyword, and every builtin; its package builds, imports, passes mypy --strict and
pyright, and its own generated tests pass.
"""

from __future__ import annotations

import ast
import builtins
import json
import keyword
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    collection,
    import_generated,
    request,
    response,
    run_generated_tests,
    type_checks,
)
from zgen.naming import RESERVED_NAMES, RESERVED_PARAMS, assign
from zgen.pipeline import build

pytestmark = pytest.mark.slow

PACKAGE = "reserved_api"
NAMES = sorted(
    {
        *RESERVED_NAMES,
        *keyword.kwlist,
        *keyword.softkwlist,
        *dir(builtins),
        "Options",
        "OPTIONS",
        "Body",
    }
)
URL = "{{base_url}}"


def hostile() -> dict[str, Any]:
    ok = [response("ok", 200, {"id": 1})]
    folders = [
        {
            "name": name,
            "item": [request(name, f"{URL}/things/:{name}", responses=ok)],
        }
        for name in NAMES
    ]
    roots = [
        request(
            name,
            {"raw": f"{URL}/items?{name}=1", "query": [{"key": name, "value": "1"}]},
            responses=ok,
        )
        for name in NAMES
    ]
    body = {name: 1 for name in NAMES}
    with_bodies = [
        request(
            "json body",
            f"{URL}/json/:body",
            method="POST",
            header=[{"key": f"X-{i}", "value": "{{" + name + "}}"} for i, name in enumerate(NAMES)],
            body={
                "mode": "raw",
                "raw": json.dumps(body),
                "options": {"raw": {"language": "json"}},
            },
            responses=[response("ok", 200, body)],
        ),
        request(
            "form body",
            f"{URL}/form?form=1&content=2&self=3",
            method="POST",
            body={"mode": "urlencoded", "urlencoded": [{"key": n, "value": "1"} for n in NAMES]},
            responses=ok,
        ),
        request(
            "file body",
            f"{URL}/file?content=1&options=2",
            method="PUT",
            body={"mode": "file", "file": {}},
            responses=ok,
        ),
        request(
            "graphql body",
            f"{URL}/graphql?query=1&variables=2",
            method="POST",
            body={"mode": "graphql", "graphql": {"query": "{ a }"}},
            responses=ok,
        ),
    ]
    return collection(
        *folders,
        *roots,
        *with_bodies,
        name="Reserved",
        variable=[
            {"key": "base_url", "value": "https://api.example.test"},
            *({"key": name, "value": "v"} for name in NAMES),
        ],
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reserved")
    source = folder / "reserved.json"
    source.write_text(json.dumps(hostile()), encoding="utf-8")
    output = folder / "out"
    build([source], output, packages={source: PACKAGE})
    return output


def test_the_collection_names_everything_after_every_reserved_name() -> None:
    assert {
        "options",
        "body",
        "form",
        "content",
        "self",
        "cls",
        "models",
        "_base",
        "timeout",
    } <= set(RESERVED_NAMES)
    assert len(NAMES) > 200


def test_no_signature_holds_a_duplicate_or_a_name_its_body_uses(built: Path) -> None:
    tree = ast.parse((built / PACKAGE / "client.py").read_text(encoding="utf-8"))
    methods = 0
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name != "__init__":
            if node.decorator_list:  # (the client's with_raw_response, made on first use)
                assert node.name in ("with_raw_response", "with_streaming_response"), node.name
                continue
            names = [arg.arg for arg in (*node.args.args, *node.args.kwonlyargs)]
            assert len(names) == len(set(names)), node.name
            assert names[0] == "self" and not set(names[1:]) & RESERVED_PARAMS, (node.name, names)
            assert node.args.kwarg is not None and node.args.kwarg.arg == "options"
            methods += 1
    assert methods >= 2 * (2 * len(NAMES) + 4)


def test_the_package_imports_and_every_name_is_reachable(built: Path) -> None:
    code = (
        f"import {PACKAGE} as api\n"
        "client = api.Client(**{name: 'v' for name in api.Client.__init__.__code__.co_varnames"
        " if name not in ('self', 'timeout', 'max_retries', 'http_client', 'auth', 'auth_header',"
        " 'auth_prefix', 'default_headers', 'retry_all_methods', 'on_unauthorized', 'base_url')"
        " and name in api.Client.__init__.__annotations__})\n"
        "print(len([n for n in vars(api.Client) if not n.startswith('_')]))\n"
    )
    result = import_generated(built, PACKAGE, code)
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout) >= len(NAMES)


def test_mypy_strict_and_pyright_are_clean(built: Path) -> None:
    for checked in type_checks(built, [PACKAGE]):
        assert checked.returncode == 0, checked.stdout[-5000:] + checked.stderr[-2000:]


def test_its_own_generated_tests_pass(built: Path) -> None:
    result = run_generated_tests(built)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert f"{2 * len(NAMES) + 4} passed" in result.stdout


def test_the_naming_pass_reserves_from_the_one_table() -> None:
    from zgen.diagnostics import Diagnostics
    from zgen.infer import infer
    from zgen.load import LoadedCollection
    from zgen.normalize import normalize

    data = collection(
        request(
            "m",
            {
                "raw": "https://x.test/a?options=1&Options=2&body=3",
                "query": [
                    {"key": "options", "value": "1"},
                    {"key": "Options", "value": "2"},
                    {"key": "self", "value": "3"},
                ],
            },
        ),
        request("list", "https://x.test/b"),
        request("options", "https://x.test/c", method="OPTIONS"),
    )
    diagnostics = Diagnostics()
    api = normalize(LoadedCollection("a.json", "a", data, "v2.1"), diagnostics)
    names = assign(api, infer(api, diagnostics))
    assert names.params[0] == {"options": "options_", "Options": "options__", "self": "self_"}
    # `list` would shadow the annotation `list[...]` in its class body; `options` is only a param.
    assert names.methods[1:] == ("list_get", "options")

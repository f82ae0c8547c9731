"""What a reader of a generated package sees: method docstrings (route, Args, Returns, Raises,
wrapped), constructor and resource docs, class docstrings, and API.md listing every method."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import REPO, Builder, collection, request, response

GENERATED = REPO / "generated"
LINE_LENGTH = 100
URL = "https://api.example.com"


def run_code(folder: Path, code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=folder, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def docstring_lines(source: str) -> list[tuple[int, str]]:
    """Every line of every docstring of a module, as it stands in the file (with its indent)."""
    lines = source.splitlines()
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                first, last = body[0].lineno, body[0].end_lineno or body[0].lineno
                found.extend((number, lines[number - 1]) for number in range(first, last + 1))
    return found


def test_help_of_job_details_shows_route_args_returns_and_raises() -> None:
    text = run_code(
        GENERATED,
        "import pydoc\n"
        "from zoho_crm_bulk_write import Client\n"
        "client = Client(access_token='t', org_id='1')\n"
        "print(pydoc.render_doc(client.bulk_write.job_details, renderer=pydoc.plaintext))\n",
    )
    assert "`GET /crm/bulk/v2.1/write/{job_id}`" in text
    assert "To get the details of a bulk write job performed previously." in text
    args = text.index("Args:")
    returns = text.index("Returns:")
    raises = text.index("Raises:")
    assert args < returns < raises
    assert "job_id:" in text[args:returns]
    assert "models.BulkWriteJobDetailsResponse" in text[returns:raises]
    assert re.search(r"AuthenticationError: on a 401 response; `\.parsed` holds", text[raises:])
    assert "NotFoundError: on a 404 response" in text[raises:]
    assert "`models.ErrorResponse`" in text[raises:]
    source = (GENERATED / "zoho_crm_bulk_write" / "client.py").read_text(encoding="utf-8")
    for number, line in docstring_lines(source):
        assert len(line) <= LINE_LENGTH, f"client.py:{number} is {len(line)} characters"


def test_constructor_says_what_each_value_fills_and_where_it_is_read_from() -> None:
    source = (GENERATED / "zoho_crm_bulk_write" / "client.py").read_text(encoding="utf-8")
    init = source[source.index("class Client(") :]
    init = init[init.index('"""Create a client.') :]
    init = init[: init.index('"""', 5)]
    org = init[init.index("org_id:") : init.index("timeout:")]
    assert "`X-CRM-ORG` header of `client.bulk_write.upload_file()`" in org
    assert "ZOHO_CRM_BULK_WRITE_ORG_ID" in org
    token = init[init.index("access_token:") : init.index("content_domain:")]
    assert "`Authorization` header" in token and "every request" in token
    assert "ZOHO_CRM_BULK_WRITE_ACCESS_TOKEN" in token
    assert "a client-level value" not in init


LONG_DESCRIPTION = (
    "Lists the **widgets** of an account, newest first. " * 6
    + "\n\nOptions:\n\n- `state`: only widgets in this state; "
    + "one of active, retired or pending, and nothing else at all " * 2
    + "\n- `limit`: at most this many\n\n```json\n"
    + '{"id": 1, "name": "a widget whose name is long", "state": "active", "extra": "'
    + "x" * 40
    + '"}\n```\n'
)


def widgets() -> dict[str, Any]:
    item = request(
        "List widgets",
        {
            "raw": f"{URL}/widgets?state=active",
            "host": ["api", "example", "com"],
            "path": ["widgets"],
            "query": [
                {
                    "key": "state",
                    "value": "active",
                    "description": "Only widgets in this state. " * 8,
                }
            ],
        },
        responses=[
            response("ok", 200, [{"id": 1}]),
            response("nope", 403, {"error": "forbidden"}),
        ],
        header=[{"key": "X-Tenant", "value": "{{tenant}}"}],
        auth={"type": "bearer", "bearer": [{"key": "token", "value": "{{token}}"}]},
    )
    item["request"]["description"] = LONG_DESCRIPTION
    return collection(
        {
            "name": "Widgets",
            "description": "Widgets: the *things* an account owns.",
            "item": [item],
        },
        request("Ping", f"{URL}/ping", responses=[response("ok", 200, {"ok": True})]),
        name="Widget Store",
        variable=[{"key": "tenant", "value": ""}, {"key": "token", "value": ""}],
    )


def test_docstrings_wrap_at_the_line_length_and_keep_markdown_blocks(
    build_collection: Builder,
) -> None:
    _, out = build_collection(widgets())
    source = (out / "widget_store" / "client.py").read_text(encoding="utf-8")
    code_line = '{"id": 1, "name": "a widget whose name is long", "state": "active", "extra": "'
    for number, line in docstring_lines(source):
        if code_line not in line:  # a code block is kept as written
            assert len(line) <= LINE_LENGTH, f"client.py:{number}: {line}"
    method = source[source.index("def list_widgets(") :]
    doc = method[method.index('"""') : method.index('"""', method.index('"""') + 3)]
    assert "`GET /widgets`" in doc
    assert "        - `state`: only widgets in this state;" in doc  # a list item stays one
    assert "        ```json\n" in doc and code_line in doc
    assert "            state: Only widgets in this state." in doc
    assert "PermissionDeniedError: on a 403 response" in doc
    assert "`X-Tenant` header" in source and "WIDGET_STORE_TENANT" in source
    assert "Zoho" not in source  # nothing of another API in a generic docstring
    resource = source[source.index("class WidgetsResource:") :]
    assert resource.split('"""')[1] == "Widgets: the *things* an account owns."
    models = (out / "widget_store" / "models.py").read_text(encoding="utf-8")
    assert "An item of the 200 response of `client.widgets.list_widgets()`." in models
    assert "The 403 error response of `client.widgets.list_widgets()`." in models
    assert "The 200 response of `client.ping()`." in models


def client_methods(folder: Path, package: str) -> set[str]:
    """Every request method of the generated Client, found by walking its namespaces."""
    code = f"""
import inspect, json
from {package} import Client
from {package}._base import SyncClientBase

found = []
def walk(obj, path):
    for name, value in sorted(vars(obj).items()):
        if name.startswith("_") or name.startswith("with_"):
            continue
        if type(value).__name__.endswith("Resource"):
            walk(value, path + [name])
    for name, value in inspect.getmembers(type(obj), inspect.isfunction):
        if not name.startswith("_") and name not in vars(SyncClientBase) and name not in ("close",):
            if type(obj) is not Client or name not in dir(SyncClientBase):
                found.append(".".join(["client", *path, name]))
walk(Client(base_url="https://x.test"), [])
print(json.dumps(sorted(found)))
"""
    return set(json.loads(run_code(folder, code)))


def api_md_methods(text: str) -> set[str]:
    return set(re.findall(r"^### `(client\.[\w.]+)\(\)`$", text, re.MULTILINE))


def test_api_md_lists_every_method_of_the_client(build_collection: Builder) -> None:
    _, out = build_collection(widgets())
    for folder, package in ((out, "widget_store"), (GENERATED, "zoho_crm_bulk_write")):
        text = (folder / package / "API.md").read_text(encoding="utf-8")
        methods = client_methods(folder, package)
        assert methods and api_md_methods(text) == methods
        # every model link points at a section of the file
        anchors = {heading.lower() for heading in re.findall(r"^### (\w+)$", text, re.MULTILINE)}
        links = set(re.findall(r"\]\(#(\w+)\)", text))
        assert links and links <= anchors
    # every model's section lists its fields as the class declares them, keys where they differ
    for folder, package in ((out, "widget_store"), (GENERATED, "zoho_crm_bulk_write")):
        text = (folder / package / "API.md").read_text(encoding="utf-8")
        listed = {
            section.split("\n", 1)[0]: re.findall(
                r"^- `(\w+)`: .*?(?: \(key `(.*)`\))?$", section, re.M
            )
            for section in text.split("\n### ")[1:]
            if "Route:" not in section
        }
        declared = json.loads(
            run_code(
                folder,
                f"import json, pydantic, {package}.models as m\n"
                "print(json.dumps({name: [[f, i.alias if i.alias and i.alias != f else '']"
                " for f, i in cls.model_fields.items()] for name, cls in vars(m).items()"
                " if isinstance(cls, type) and issubclass(cls, pydantic.BaseModel)"
                " and cls.__module__ == m.__name__ and cls.__name__ == name}))",
            )
        )
        assert declared and listed.keys() >= declared.keys()
        for name, fields in declared.items():
            assert [list(pair) for pair in listed[name]] == fields, name
    text = (GENERATED / "zoho_crm_bulk_write" / "API.md").read_text(encoding="utf-8")
    assert "- Route: `GET /crm/bulk/v2.1/write/{job_id}`" in text
    assert "`AuthenticationError` (401)" in text
    init = (GENERATED / "zoho_crm_bulk_write" / "__init__.py").read_text(encoding="utf-8")
    assert "API.md" in init


def test_api_md_links_a_model_that_contains_itself(build_collection: Builder) -> None:
    """A converter's circular-reference placeholder is a reference to the enclosing model: its
    field in API.md links that model (listing it raised KeyError)."""
    body = {
        "criteria": {
            "field": "Email",
            "group": ["<Circular reference to #/components/schemas/Criteria detected>"],
        }
    }
    data = collection(
        request("Get Rule", f"{URL}/rules/1", responses=[response("ok", 200, body)]),
        name="Rules",
    )
    _, out = build_collection(data)
    text = (out / "rules" / "API.md").read_text(encoding="utf-8")
    section = text.split("\n### GetRuleCriteria\n", 1)[1].split("\n### ", 1)[0]
    assert "- `group`: `list[`[`GetRuleCriteria`](#getrulecriteria)`]`" in section

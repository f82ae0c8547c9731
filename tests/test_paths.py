"""Package, module and fixture file names are sanitised; nothing is written outside the output folder."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from conftest import Builder, collection, request, response
from zgen.buildcache import CACHE_DIR
from zgen.naming import package_name
from zgen.pipeline import build

HOSTILE = [
    "../../x",
    "../../../../../../tmp/zgen-escape",
    "/tmp/zgen-absolute",
    "C:\\Windows\\System32\\x",
    "\\\\server\\share\\x",
    "..",
    ".",
    "",
    "   ",
    "CON",
    "nul",
    "LPT1",
    "aux.json",
    "~root",
    "$HOME/x",
    "a/b/c",
    "tests",
    "httpx",
    "asyncio",
    "__init__",
    "fixtures",
    ".zgen-manifest.json",
    "x" * 5000,
    "word " * 400,
    "\x00\x01\x7f",
    "😀/../😀",
    "ÄÖÜ ßtraße",
]
SAFE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def hostile_collection(name: str, others: list[str]) -> dict[str, object]:
    """`name` is the collection's; it and every name in `others` also name folders, requests and responses."""
    folders = [
        {
            "name": other,
            "item": [
                request(
                    other,
                    f"https://api.example.test/{other}",
                    responses=[response(other, 200, {"ok": True})],
                ),
                request(
                    "plain",
                    "https://api.example.test/plain",
                    responses=[response(other, 404, {"code": "x"})],
                ),
            ],
        }
        for other in [name, *others]
    ]
    return collection(
        *folders,
        request(name, "https://api.example.test/root", responses=[response(name, 200, [1])]),
        name=name,
    )


def files_under(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*")}


@pytest.mark.parametrize(
    ("name", "others"),
    [
        (
            "../../x",
            HOSTILE,
        ),  # every hostile name as a folder, request and response name, in one build
        ("/tmp/zgen-absolute", []),
        ("", []),
        ("CON", []),
        ("x" * 5000, []),
        ("\x00/..", []),
    ],
    ids=["all-hostile-names", "absolute", "empty", "CON", "long", "nul-dotdot"],
)
def test_nothing_written_outside_the_output_folder(
    name: str, others: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    (work / "deep" / "er").mkdir(parents=True)
    monkeypatch.chdir(work / "deep" / "er")
    source = work / "collection.json"
    source.write_text(json.dumps(hostile_collection(name, others)), encoding="utf-8")
    outside = files_under(tmp_path)
    out = work / "deep" / "er" / "out"
    escape_targets = [Path("/tmp/zgen-escape"), Path("/tmp/zgen-absolute"), Path("/tmp/x")]
    existed = {target: target.exists() for target in escape_targets}
    report = build([source], Path("out"))
    created = files_under(tmp_path) - outside
    assert created, "the build wrote nothing"
    assert all(path == out or out in path.parents for path in created), sorted(
        map(str, created - {out})
    )[:5]
    assert {target: target.exists() for target in escape_targets} == existed
    (package,) = [summary.package for summary in report.packages]
    assert SAFE_NAME.match(package) and len(package) <= 64
    assert sorted(p.name for p in out.iterdir()) == sorted([package, CACHE_DIR])
    cached = {p.name for p in (out / CACHE_DIR).iterdir()}
    assert cached - {"jinja"} == {".gitignore", f"{package}.json", f"{package}.memo"}
    # (compiled templates, when this process compiled them: named by Jinja's hex digest)
    assert all(re.fullmatch(r"[0-9a-f]+\.cache", p.name) for p in out.glob(f"{CACHE_DIR}/jinja/*"))
    for path in (out / package).rglob("*"):
        rel = path.relative_to(out / package)
        assert all(
            SAFE_NAME.match(part.removesuffix(".py").removesuffix(".json"))
            or part in ("py.typed", ".zgen-manifest.json", "API.md")
            for part in rel.parts
        ), rel
        assert len(path.name) <= 130
        assert path.name.split(".")[0].lower() not in {"con", "prn", "aux", "nul", "lpt1", "com1"}


@pytest.mark.parametrize(
    ("title", "expected"),
    [("CON", "con_api"), ("nul", "nul_api"), ("COM1", "com1_api"), ("httpx", "httpx_api"), ("pydantic", "pydantic_api"),
     ("asyncio", "asyncio_api"), ("json", "json_api"), ("tests", "tests_api"), ("", "api"), ("Zoho CRM", "zoho_crm")],
)  # fmt: skip
def test_package_names_do_not_shadow_or_collide_with_device_names(
    title: str, expected: str
) -> None:
    assert package_name(title) == expected


def test_long_names_are_shortened_deterministically() -> None:
    long = "y" * 10_000
    assert package_name(long) == package_name(long)
    assert len(package_name(long)) <= 64
    assert package_name(long) != package_name("y" * 9_999)


def test_output_folder_with_odd_characters(tmp_path: Path) -> None:
    """The output folder itself may have any name; files go only inside it."""
    source = tmp_path / "c.json"
    source.write_text(json.dumps(hostile_collection("Odd", [])), encoding="utf-8")
    out = tmp_path / "out 'quoted' \"x\" $(touch pwned) ;"
    build([source], out)
    assert (out / "odd" / "client.py").is_file()
    assert not (tmp_path / "pwned").exists()
    assert sorted(os.listdir(tmp_path)) == sorted(["c.json", out.name])


def test_a_path_parameter_with_a_default_is_documented_as_one(build_collection: Builder) -> None:
    """`/users/:id` with the value 42 (or `{{model}}` with a collection value): its argument has
    that default, and its docstring said "The request body."."""
    data = collection(
        request(
            "Get user",
            {
                "raw": "https://api.example.com/users/:id",
                "host": ["api", "example", "com"],
                "protocol": "https",
                "path": ["users", ":id"],
                "variable": [{"key": "id", "value": "42"}],
            },
        ),
        name="Paths",
    )
    _, out = build_collection(data, package="pathdoc")
    source = (out / "pathdoc" / "client.py").read_text(encoding="utf-8")
    assert 'id: str = "42"' in source
    assert "id: A path parameter." in source and "The request body." not in source

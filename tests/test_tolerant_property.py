"""Property: every saved success example of the corpus and of collections/, changed the ways real
responses differ from it (a key dropped, a value nulled, a key added, a scalar of another type, at
any depth), still returns through the generated client, and gives back what was received; with
`strict=True` the same call raises ApiResponseValidationError naming exactly the paths the
lenient call logged (and passes when it logged none).

Every package is built once for the module; each case replays the variant through the generated
test of that saved response (so through the real Client and AsyncClient, and their checks).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import importlib
import inspect
import json
import logging
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import CORPUS, REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zgen.infer import holds_circular
from zgen.pipeline import build

pytestmark = pytest.mark.slow

SOURCES = [*sorted(CORPUS.glob("*.json")), *sorted((REPO / "collections").glob("*.json"))]


@dataclass(frozen=True)
class Case:
    package: str
    fixture: str
    test: Callable[[Any], object]
    saved: Any  # the package's testing.SavedResponse
    body: Any


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Case]]:
    output = tmp_path_factory.mktemp("tolerant")
    packages = {source: f"tol_{source.stem}" for source in SOURCES}
    report = build(SOURCES, output, packages=packages)
    sys.path.insert(0, str(output))
    try:
        found: list[Case] = []
        for summary in sorted(report.packages, key=lambda s: s.package):
            testing = importlib.import_module(f"{summary.package}.testing")
            for module_path in sorted((output / summary.package / "tests").glob("test_*.py")):
                module = importlib.import_module(f"{summary.package}.tests.{module_path.stem}")
                for name, test in sorted(vars(module).items()):
                    if not name.startswith("test_") or not callable(test):
                        continue
                    (fixture,) = inspect.signature(test).parameters
                    saved = testing.SavedResponse.load(fixture)
                    if saved.status >= 400 or saved.kind != "json":
                        continue
                    body = json.loads(saved.body)
                    if holds_circular(body):
                        continue
                    found.append(Case(summary.package, fixture, test, saved, body))
        yield found
    finally:
        sys.path.remove(str(output))
        for name in list(sys.modules):
            if name.startswith("tol_"):
                del sys.modules[name]


def test_every_collection_has_success_examples(cases: list[Case]) -> None:
    assert len({case.package for case in cases}) >= 15
    assert "tol_zoho_crm_bulk_write" in {case.package for case in cases}


Path_ = tuple[Any, ...]  # keys and list indices from the body's root


def positions(value: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from positions(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from positions(item, (*path, index))


def replace_at(body: Any, path: Path_, change: Callable[[Any, Any], None]) -> Any:
    """A copy of the body with `change(parent, key)` applied at path (the root has no parent)."""
    root = {"$": copy.deepcopy(body)}
    parent: Any = root
    key: Any = "$"
    for part in path:
        parent, key = parent[key], part
    change(parent, key)
    return root["$"]


def mutate(kind: str, added: Any, parent: Any, key: Any) -> None:
    if kind == "drop":
        del parent[key]
    elif kind == "null":
        parent[key] = None
    elif kind == "add":
        parent[key]["zgen_added"] = added
    else:
        parent[key] = other_type(parent[key])


def other_type(value: Any) -> Any:
    """A value of another JSON type that no declared scalar type would coerce it from."""
    if isinstance(value, str):
        return {"zgen_unexpected": 1}
    return "zgen-unexpected"


@st.composite
def variants(draw: st.DrawFn, body: Any) -> Any:
    """The body with one to three changes: a key dropped, a value nulled, a key added, a scalar
    of another type, anywhere."""
    for _ in range(draw(st.integers(1, 3))):
        places = list(positions(body))
        path, value = draw(st.sampled_from(places))
        kinds = ["null"]
        if path and isinstance(path[-1], str):
            kinds.append("drop")
        if isinstance(value, dict):
            kinds.append("add")
        if not isinstance(value, (dict, list)):
            kinds.append("retype")
        kind = draw(st.sampled_from(kinds))
        added: Any = draw(st.sampled_from([None, 1, "x", [1, {"a": None}], {"n": {"m": []}}]))
        body = replace_at(body, path, functools.partial(mutate, kind, added))
    return body


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.paths: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        _, _, rest = record.getMessage().partition(" at $")
        self.paths.add("$" + rest.split(" (", 1)[0])


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_variants_of_every_saved_success_body(cases: list[Case], data: st.DataObject) -> None:
    case = data.draw(st.sampled_from(cases), label="saved response")
    variant = data.draw(variants(case.body), label="variant")
    text = json.dumps(variant)
    logger = logging.getLogger(case.package)
    handler = Collect()
    logger.addHandler(handler)
    try:
        # Lenient: returns, and the generated test's check holds: the result is what was received.
        case.test(dataclasses.replace(case.saved, body=text, strict=False, requests=[]))
    finally:
        logger.removeHandler(handler)
    errors = importlib.import_module(f"{case.package}.errors")
    strict = dataclasses.replace(case.saved, body=text, strict=True, requests=[])
    if not handler.paths:
        case.test(strict)
        return
    with pytest.raises(errors.ApiResponseValidationError) as caught:
        case.test(strict)
    assert set(caught.value.paths) == handler.paths


def test_an_unchanged_body_logs_nothing(cases: list[Case]) -> None:
    for case in cases:
        logger = logging.getLogger(case.package)
        handler = Collect()
        logger.addHandler(handler)
        try:
            case.test(dataclasses.replace(case.saved, strict=False, requests=[]))
        finally:
            logger.removeHandler(handler)
        assert not handler.paths, (case.fixture, handler.paths)


def test_dropping_every_key_still_returns_the_model(cases: list[Case]) -> None:
    """The most a response can differ from its example: an empty object (or array of them)."""
    for case in cases:
        emptied: Any = {} if isinstance(case.body, dict) else [{} for _ in case.body]
        if emptied == case.body or not isinstance(case.body, (dict, list)):
            continue
        if isinstance(case.body, list) and not all(isinstance(i, dict) for i in case.body):
            continue
        text = json.dumps(emptied)
        case.test(dataclasses.replace(case.saved, body=text, strict=False, requests=[]))

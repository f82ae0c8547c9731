"""Black is the formatter of record: every generated Python file is already what black makes of it,
whole. Today this checks that formatting in pieces gives black's bytes; it is also the guard that
lets the renderer emit black's layout itself and skip black where it can vouch for it."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, unchanged_by_black
from zgen.pipeline import build

pytestmark = pytest.mark.slow


# (the corpus's packages: in test_corpus.py, with the other tests of the corpus's one build)


def _synth() -> Callable[..., dict[str, Any]]:
    spec = importlib.util.spec_from_file_location("zgen_bench_synth", REPO / "benchmarks/synth.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    make: Callable[..., dict[str, Any]] = module.make_collection
    return make


def test_committed_generated_folder_is_black_formatted() -> None:
    count, changed = unchanged_by_black(REPO / "generated")
    assert count > 5 and changed == []


@pytest.mark.parametrize("requests", [100, 500])
def test_synthetic_benchmark_packages_are_black_formatted(tmp_path: Path, requests: int) -> None:
    source = tmp_path / f"collection-{requests}.json"
    source.write_text(json.dumps(_synth()(requests, seed=0)), encoding="utf-8")
    build([source], tmp_path / "out")
    count, changed = unchanged_by_black(tmp_path / "out")
    assert count > 20 and changed == []

"""The generated tests check the wire request: they fail when the runtime stops sending the auth
header or a fixed header of the collection (`X-CRM-ORG`), or sends another query."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import REPO, run_generated_tests

PACKAGE = "zoho_crm_bulk_write"
AUTH = "        token = self._apply_auth(auth, request_headers, params)\n"

BREAKS = {
    "intact": (AUTH, AUTH),
    "no auth header": (AUTH, "        token = self._apply_auth(auth, {}, params)\n"),
    "no X-CRM-ORG": (AUTH, AUTH + '        request_headers.pop("X-CRM-ORG", None)\n'),
    "an extra query key": (AUTH, AUTH + '        params["debug"] = "1"\n'),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(BREAKS))
def test_generated_tests_fail_when_the_runtime_sends_another_request(
    case: str, tmp_path: Path
) -> None:
    out = tmp_path / "generated"
    shutil.copytree(REPO / "generated", out)
    base = out / PACKAGE / "_base.py"
    source = base.read_text(encoding="utf-8")
    old, new = BREAKS[case]
    assert source.count(old) == 1
    base.write_text(source.replace(old, new), encoding="utf-8")
    result = run_generated_tests(out, "-p", "no:randomly", f"{PACKAGE}/tests")
    if case == "intact":
        assert result.returncode == 0, result.stdout[-3000:]
        return
    assert result.returncode == 1, result.stdout[-3000:]
    # every request of the collection sends the auth header; only upload_file sends X-CRM-ORG
    failed = result.stdout.count("FAILED")
    assert failed == (12 if case != "no X-CRM-ORG" else 3), result.stdout[-3000:]

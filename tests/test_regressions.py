"""Specs that once broke the compiler or Flink: each now gives its diagnostic or plans in Flink."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipegen import api

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "tests" / "regressions").glob("*.pgl"))


@pytest.fixture(scope="module")
def planner(flink_jars):
    from pipegen.engine.flink import FlinkPlanner

    with FlinkPlanner(jars=flink_jars) as p:
        yield p


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_regression(case: Path, planner) -> None:
    text = case.read_text(encoding="utf-8")
    expect = re.findall(r"^# expect: (\w+)", text, re.M)
    result = api.compile_text(text, case.name, ("local",))
    codes = [d.code for d in result.diagnostics]
    assert codes == expect, [d.message for d in result.diagnostics]
    if not result.ok:
        return
    assert [d.message for d in api.validate_with_flink(result, planner=planner)] == []

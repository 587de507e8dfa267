"""Flink's own planner accepts every statement generated from every example spec (one JVM for all)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipegen import api

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.pgl"))


@pytest.fixture(scope="module")
def planner(flink_jars):
    from pipegen.engine.flink import FlinkPlanner

    with FlinkPlanner(jars=flink_jars) as p:
        yield p


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_flink_plans_every_statement(spec: Path, planner) -> None:
    """As `validate --engine flink` plans them (each spec in a database of its own, in the module's one JVM)."""
    result = api.compile_text(spec.read_text(encoding="utf-8"), spec.name, ("local",))
    assert result.ok
    diags = api.validate_with_flink(result, planner=planner)
    assert [d.message for d in diags] == []
    assert any(s.phase == "insert" for s in result.statements["local"])


def test_flink_error_maps_to_spec_line(flink_jars) -> None:
    """A statement Flink rejects is reported at the spec line that produced it (E601)."""
    text = (ROOT / "specs" / "fraud_detection.pgl").read_text(encoding="utf-8")
    result = api.compile_text(text, "fraud_detection.pgl", ("local",))
    bad = result.statements["local"]
    # Break one generated view on purpose: Flink must reject it and point at its spec statement.
    view = next(i for i, s in enumerate(bad) if s.phase == "view")
    broken = bad[view].__class__(bad[view].file, bad[view].phase, bad[view].sql.replace("FROM", "FROM no_such_table, ", 1),
                                 bad[view].origin, bad[view].line)
    result.statements["local"] = [*bad[:view], broken, *bad[view + 1:]]
    diags = api.validate_with_flink(result, flink_jars)
    assert diags and diags[0].code == "E601"
    origin = result.check.spec.statement(broken.origin)
    assert diags[0].span.line == origin.span.line
    assert "no_such_table" in diags[0].message

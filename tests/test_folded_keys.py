"""Every upsert sink resolves conflicts on its key (ON CONFLICT DO DEDUPLICATE), and no other sink does; in
Flink's own plan that costs nothing where Flink finds the sink's key as its input's upsert key (no upsert
materializer), and Flink materializes exactly where a filter folds the key away (class AJ, regression 50)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipegen import api

ROOT = Path(__file__).resolve().parent.parent
FOLDED = ROOT / "tests" / "regressions" / "50_keys_folded_by_filters.pgl"
SPECS = [s for s in sorted((ROOT / "specs").glob("*.pgl")) + sorted((ROOT / "tests" / "regressions").glob("*.pgl"))
         if "# expect: E" not in s.read_text(encoding="utf-8")]  # those refused on purpose write no SQL


def _inserts(sql: str) -> dict[str, str]:
    """Each sink's INSERT, by the sink's name."""
    return {part.split("`")[1]: part for part in sql.split("INSERT INTO ")[1:]}


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_every_upsert_sink_resolves_conflicts_and_no_other_sink_does(spec: Path) -> None:
    text = spec.read_text(encoding="utf-8")
    result = api.compile_text(text, spec.name, ("local",))
    assert result.ok, [d.message for d in result.diagnostics]
    sinks = [s for s in result.check.spec.statements if type(s).__name__ == "Sink"]
    inserts: dict[str, str] = {}
    for st in result.statements["local"]:
        inserts.update(_inserts(st.sql))
    assert set(inserts) == {s.name for s in sinks}
    for s in sinks:
        assert ("ON CONFLICT DO DEDUPLICATE" in inserts[s.name]) == (s.mode == "upsert"), s.name


def _materialized(planner, spec: Path) -> dict[str, bool]:
    """Each upsert sink of ``spec`` (local target), and whether Flink's plan materializes its upserts."""
    from pipegen.engine.flink import planning_statements

    checked = api.check(spec.read_text(encoding="utf-8"), spec.name)
    statements = [s.sql for s in planning_statements(checked.analysis, "local")]
    isolate = [f"CREATE DATABASE IF NOT EXISTS keys_{spec.stem}", f"USE keys_{spec.stem}"]
    out: dict[str, bool] = {}
    for res in planner.plan([*isolate, *statements]):
        assert res.ok, res.message
        for m in re.finditer(r"Sink\(table=\[[^\]]*\.(\w+)\], fields=\[[^\]]*\](.*)", res.plan):
            if "conflictStrategy=[DEDUPLICATE]" in m.group(2):
                out[m.group(1)] = "upsertMaterialize=[true]" in m.group(2)
    return out


@pytest.fixture(scope="module")
def planner(flink_jars):
    from pipegen.engine.flink import FlinkPlanner

    with FlinkPlanner(jars=flink_jars) as p:
        yield p


def test_resolving_conflicts_costs_nothing_where_flink_finds_the_key(planner) -> None:
    examples = sorted((ROOT / "specs").glob("*.pgl"))
    found = {f"{spec.stem}.{sink}": m for spec in examples for sink, m in _materialized(planner, spec).items()}
    assert found and not any(found.values()), found  # the examples' upsert sinks: the same plan, no materializer
    folded = _materialized(planner, FOLDED)
    assert {s for s, m in folded.items() if m} == {
        "no_year_out", "one_sku_out", "listed_sku_out", "between_sku_out", "having_sku_out", "after_filter_out",
        "again_out"}
    assert len(folded) > 7  # the near misses and the stages no row reaches: resolved, with nothing to materialize

"""Flink's own planner accepts every statement generated from every example spec, for both targets (one JVM)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flink_types import type_disagreements

from pipegen import api

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.pgl"))
TARGETS = ("local", "cloud")


@pytest.fixture(scope="module")
def planner(flink_jars):
    from pipegen.engine.flink import FlinkPlanner

    with FlinkPlanner(jars=flink_jars) as p:
        yield p


class Recording:
    """The module's planner, keeping what it was given and what it answered."""

    def __init__(self, planner) -> None:
        self.planner = planner
        self.calls: list[tuple[list[str], list]] = []

    def plan(self, statements):
        results = self.planner.plan(statements)
        self.calls.append((list(statements), results))
        return results


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_flink_plans_every_statement(spec: Path, target: str, planner) -> None:
    """As `validate --engine flink` plans them: each spec and target in a database of its own, in one JVM."""
    result = api.compile_text(spec.read_text(encoding="utf-8"), spec.name)
    assert result.ok
    recording = Recording(planner)
    diags = api.validate_with_flink(result, planner=recording, targets=(target,))
    assert [d.message for d in diags] == []
    if target == "local":  # every stage has the column types its sinks' tables and Avro schemas are written with
        assert type_disagreements(planner, result, target) == []
    # It was planned, all of it: the target's statements after the two that make its database.
    ((sent, results),) = recording.calls
    statements = result.statements[target]
    assert sent[:2] == [f"CREATE DATABASE IF NOT EXISTS {sent[1][4:]}", sent[1]] and sent[1].endswith(f"_{target}")
    assert len(sent) == len(statements) + 2
    for st, sql, res in zip(statements, sent[2:], results[2:]):
        assert res.ok and res.action == ("explain" if st.phase == "insert" else "execute"), (st.file, res)
        if st.phase in ("view", "insert"):
            assert sql == st.sql, f"{st.file} is planned exactly as written to sql/{target}/"
    insert = results[-1]
    assert statements[-1].phase == "insert" and insert.plan
    for st in statements:
        if st.phase == "sink" and st.sql.startswith("CREATE TABLE"):  # not the ALTER TABLEs that follow it
            table = st.sql.split("\n", 1)[0].split(" (")[0].rsplit(" ", 1)[-1].strip("`")
            assert f"default_catalog.{sent[1][4:]}.{table}" in insert.plan, (table, insert.plan[:300])


@pytest.mark.parametrize("target", TARGETS)
def test_flink_error_maps_to_spec_line_and_target(target: str, planner) -> None:
    """A statement Flink rejects is reported at the spec line that produced it, in its target's folder (E601)."""
    text = (ROOT / "specs" / "fraud_detection.pgl").read_text(encoding="utf-8")
    result = api.compile_text(text, "fraud_detection.pgl")
    bad = result.statements[target]
    # Break one generated view on purpose: Flink must reject it and point at its spec statement.
    view = next(i for i, s in enumerate(bad) if s.phase == "view")
    broken = bad[view].__class__(bad[view].file, bad[view].phase,
                                 bad[view].sql.replace("FROM", "FROM no_such_table, ", 1),
                                 bad[view].origin, bad[view].line)
    result.statements[target] = [*bad[:view], broken, *bad[view + 1:]]
    diags = api.validate_with_flink(result, planner=planner)
    assert diags and {d.code for d in diags} == {"E601"}
    origin = result.check.spec.statement(broken.origin)
    assert diags[0].span.line == origin.span.line
    assert diags[0].message.startswith(f"Flink rejects sql/{target}/{broken.file} line ")
    assert "no_such_table" in diags[0].message
    other = "cloud" if target == "local" else "local"
    assert not [d for d in diags if f"sql/{other}/" in d.message], "the other target plans"


def test_validate_with_its_own_planner(flink_jars) -> None:
    """Without a planner given, validate_with_flink starts its own (as the command does) and plans both targets."""
    result = api.compile_text((ROOT / "specs" / "iot_monitoring.pgl").read_text(encoding="utf-8"), "iot.pgl")
    assert api.validate_with_flink(result, flink_jars) == []

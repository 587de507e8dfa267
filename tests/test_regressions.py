"""Specs that once broke the compiler or Flink: each now gives its diagnostic or plans in Flink."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flink_types import type_disagreements

from pipegen import api
from pipegen.compiler import ir

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "tests" / "regressions").glob("*.pgl"))


@pytest.fixture(scope="module")
def planner(flink_jars):
    from pipegen.engine.flink import FlinkPlanner

    with FlinkPlanner(jars=flink_jars) as p:
        yield p


def cloud_name_clash(case: Path) -> set[str]:
    """On the cloud target a table is named after its topic; a topic that is also a stage's name would clash with
    the stage's view (Flink then found a view where the sink should be: "Sink '...' does not exists"). The cloud
    target names every view `<pipeline>_<stage>` (and `<pipeline>_<stage>_view2` where that is a topic)."""
    result = api.check(case.read_text(encoding="utf-8"), case.name)
    if not result.ok:
        return set()  # a case that ends in its diagnostics is not planned
    spec = result.spec
    topics = {st.topic for st in spec.statements if isinstance(st, ir.Source | ir.Sink)}
    return topics & {st.name for st in spec.statements if not isinstance(st, ir.Source | ir.Sink)}


PLANNED = [pytest.param(case, target, id=f"{case.stem}-{target}") for case in CASES for target in ("local", "cloud")]


def test_cases_name_views_like_topics() -> None:
    """The cases plan views named like a topic on the cloud target, so the fix of that clash is planned."""
    clashing = [case.stem for case in CASES if cloud_name_clash(case)]
    assert len(clashing) >= 3, clashing
    result = api.compile_text((ROOT / "tests" / "regressions" / f"{clashing[0]}.pgl").read_text(encoding="utf-8"),
                              "x.pgl", ("cloud",))
    spec = api.check(result.files["pipeline.pgl"], "x.pgl").spec
    topics = {st.topic for st in spec.statements if isinstance(st, ir.Source | ir.Sink)}
    views = {result.files[v].splitlines()[0] for v in result.files if "create_view" in v}
    for stage in cloud_name_clash(ROOT / "tests" / "regressions" / f"{clashing[0]}.pgl"):
        assert f"CREATE VIEW IF NOT EXISTS `{spec.pipeline.name}_{stage}` AS" in views, views
    assert not {v.split("`")[1] for v in views} & topics


@pytest.mark.parametrize(("case", "target"), PLANNED)
def test_regression(case: Path, target: str, planner) -> None:
    """Its diagnostics, or the target's SQL planned by Flink (as `validate --engine flink` plans it)."""
    text = case.read_text(encoding="utf-8")
    expect = re.findall(r"^# expect: (\w+)", text, re.M)
    result = api.compile_text(text, case.name)
    codes = [d.code for d in result.diagnostics]
    assert codes == expect, [d.message for d in result.diagnostics]
    if not result.ok:
        return
    if target not in result.statements:  # a target with no equivalent for the spec is left out, and says so
        assert any(d.code == "W604" and f"sql/{target}/" in d.message for d in result.diagnostics)
        return
    assert [d.message for d in api.validate_with_flink(result, planner=planner, targets=(target,))] == []
    if target == "local":  # and every stage has the column types the sinks' tables and schemas are written with
        assert type_disagreements(planner, result, target) == []


JOINED = [p for p in sorted((ROOT / "specs").glob("*.pgl")) + CASES if "\njoin " in p.read_text(encoding="utf-8")]
QUALIFIED = re.compile(r"(`[^`]+`)(?:\.`[^`]+`)+")  # `table`.`column`[.`field`...]: the first part is the table
FROM = re.compile(r"^(?:FROM|(?:LEFT )?JOIN) (`[^`]+`)", re.MULTILINE)


@pytest.mark.parametrize("spec", JOINED, ids=[p.stem for p in JOINED])
def test_a_join_qualifies_columns_with_the_names_of_its_from_clause(spec: Path) -> None:
    """The cloud target names a table after its topic: a join's columns must be qualified by that name, not by the
    spec's stream name (Flink: "Table 'binance_quotes' not found"). Checked without Flink, for both targets."""
    result = api.compile_text(spec.read_text(encoding="utf-8"), spec.name)
    assert result.ok
    checked = 0
    for target, statements in result.statements.items():
        for st in statements:
            if st.phase != "view" or not isinstance(result.check.spec.statement(st.origin), ir.Join):
                continue
            tables = set(FROM.findall(st.sql))
            assert len(tables) == 2, st.sql
            used = {m.group(1) for m in QUALIFIED.finditer(st.sql)}
            assert used and used <= tables, (target, st.file, used - tables)
            checked += 1
    assert checked >= len(result.statements)  # a join view on every target written


PATTERNED = [p for p in sorted((ROOT / "specs").glob("*.pgl")) + CASES
             if "\npattern " in p.read_text(encoding="utf-8") and "# expect:" not in p.read_text(encoding="utf-8")]
PAIR = re.compile(r"`([^`]+)`\.`[^`]+`(\.`)?")


@pytest.mark.parametrize("spec", PATTERNED, ids=[p.stem for p in PATTERNED])
def test_a_pattern_partitions_in_its_inputs_order_and_reads_no_nested_field(spec: Path) -> None:
    """Flink reads a pattern's key in its input's column order and writes it in PARTITION BY's, so another order
    swaps the keys' values (regression 23); and it resolves no nested field inside MATCH_RECOGNIZE (regression 21).
    Checked without Flink, for both targets: PARTITION BY follows the input, the select the spec, and inside
    MATCH_RECOGNIZE every qualified column is a variable's plain column."""
    result = api.compile_text(spec.read_text(encoding="utf-8"), spec.name)
    assert result.ok
    analysis = result.check.analysis
    checked = 0
    for target, statements in result.statements.items():
        for st in statements:
            pattern = result.check.spec.statement(st.origin)
            if st.phase != "view" or not isinstance(pattern, ir.Pattern):
                continue
            inp = [c.name for c in analysis.relations[pattern.input].columns]
            keys = [p.path[0] for p in pattern.partition_by]
            part = re.search(r"PARTITION BY (.*)", st.sql)
            assert (re.findall(r"`([^`]+)`", part.group(1)) if part else []) == sorted(keys, key=inp.index), st.sql
            select = re.search(r"^SELECT (.*)$", st.sql, re.M).group(1)
            out = [c.name for c in analysis.relations[pattern.name].columns]
            assert select == "*" and sorted(keys, key=inp.index) == keys or re.findall(r"`([^`]+)`", select) == out
            body = st.sql.split("MATCH_RECOGNIZE (", 1)[1]
            variables = {t.variable for t in pattern.sequence}
            assert all(m.group(1) in variables and not m.group(2) for m in PAIR.finditer(body)), body
            checked += 1
    assert checked >= len(result.statements)

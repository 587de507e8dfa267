"""What Flink plans is what PipeGen ships: the targets' planning option changes table declarations only (no JVM).

`validate --engine flink` compiles the spec with the target's `planning` option (tables declared with connectors
and formats open-source Flink has); these tests pin down what that option may change, for every example spec.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipegen import api
from pipegen.compiler.dialect import lit
from pipegen.engine.flink import planning_statements

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.pgl"))


def compiled(spec: Path) -> api.Compiled:
    result = api.compile_text(spec.read_text(encoding="utf-8"), spec.name)
    assert result.ok
    return result


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_local_planning_swaps_only_the_avro_format(spec: Path) -> None:
    result = compiled(spec)
    shipped = result.statements["local"]
    planned = planning_statements(result.check.analysis, "local", result.settings)
    assert [(s.file, s.phase, s.origin, s.line) for s in planned] == [
        (s.file, s.phase, s.origin, s.line) for s in shipped]
    for s, p in zip(shipped, planned):
        if s.phase not in ("source", "sink"):
            assert p.sql == s.sql, f"{s.file}: a view or insert is planned exactly as it is written"
            continue
        # Line for line: only the lines of the Avro format differ, and each becomes its JSON counterpart.
        before, after = s.sql.split("\n"), p.sql.split("\n")
        assert len(before) == len(after), s.file
        for b, a in zip(before, after):
            if "avro-confluent" not in b:
                assert a == b, s.file
        swapped = {(b.strip(), a.strip()) for b, a in zip(before, after) if a != b}
        assert swapped <= {
            ("'value.format' = 'avro-confluent',", "'value.format' = 'json',"),
            ("'key.format' = 'avro-confluent',", "'key.format' = 'json',"),
            ("'value.avro-confluent.url' = 'http://schema-registry:8081'",
             "'value.json.timestamp-format.standard' = 'ISO-8601'"),
            ("'key.avro-confluent.url' = 'http://schema-registry:8081',",
             "'key.json.timestamp-format.standard' = 'ISO-8601',"),
        }, s.file
        assert "avro" not in p.sql


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_cloud_planning_declares_each_topic_with_the_kafka_connector_of_its_changelog(spec: Path) -> None:
    result = compiled(spec)
    shipped = result.statements["cloud"]
    planned = planning_statements(result.check.analysis, "cloud")
    assert [(s.file, s.phase, s.origin, s.line) for s in planned] == [
        (s.file, s.phase, s.origin, s.line) for s in shipped]
    tables = {st.name: st for st in result.check.spec.statements if st.kind in ("source", "sink")}
    for s, p in zip(shipped, planned):
        if s.phase not in ("source", "sink"):
            assert p.sql == s.sql, f"{s.file}: a view or insert is planned exactly as it is written"
            continue
        st = tables[s.origin]
        if s.sql.startswith("ALTER TABLE"):
            if " MODIFY WATERMARK FOR " in s.sql:
                assert p.sql == s.sql, s.file
            else:  # Confluent's options (changelog mode, value.fields-include); in planning, what the table has
                assert " SET ('changelog.mode' = " in s.sql, s.file
                assert p.sql == s.sql.split(" SET (")[0] + f" SET ('topic' = {lit(st.topic)})", s.file
            continue
        # The table's name, columns, watermark and key are those of the file, line for line.
        head, _, with_shipped = s.sql.partition("\n)\n")
        planned_head, _, with_planned = p.sql.partition("\n)\n")
        assert planned_head == head, s.file
        distributed = with_shipped.startswith("DISTRIBUTED BY HASH(")
        assert distributed == bool(st.key), s.file
        # No open-source sink takes DISTRIBUTED BY (SupportsBucketing): the line is left out for sinks only.
        keeps = distributed and s.phase == "source"
        assert with_planned.split("\n")[0] == (with_shipped.split("\n")[0] if keeps else "WITH ("), s.file
        upsert = "'changelog.mode' = 'upsert'" in with_shipped
        assert upsert == (st.mode == "upsert")
        connector = "upsert-kafka" if upsert else "kafka"
        assert f"  'connector' = '{connector}',\n  'topic' = {lit(st.topic)}," in with_planned, s.file
        assert "'value.format' = 'json'" in with_planned and "registry" not in with_planned
        assert ("'key.format' = 'json'" in with_planned) == bool(st.key)
        assert ("'key.fields'" in with_planned) == bool(st.key and not upsert)


def test_the_shipped_views_and_inserts_are_the_ones_planned() -> None:
    """Given the compiled statements, their views and inserts are used as they are; only tables are swapped."""
    result = compiled(ROOT / "specs" / "fraud_detection.pgl")
    shipped = result.statements["local"]
    marked = [s.__class__(s.file, s.phase, s.sql + " -- as compiled", s.origin, s.line) for s in shipped]
    planned = planning_statements(result.check.analysis, "local", result.settings, marked)
    for m, p in zip(marked, planned):
        assert (p.sql == m.sql) == (m.phase not in ("source", "sink")), m.file
    with pytest.raises(ValueError):
        planning_statements(result.check.analysis, "local", result.settings, marked[1:])


def test_planning_does_not_change_what_is_written() -> None:
    """The option lives on the target: compiling the project afterwards gives the same files."""
    spec = ROOT / "specs" / "crypto_arbitrage.pgl"
    before = compiled(spec).files
    planning_statements(compiled(spec).check.analysis, "local")
    assert compiled(spec).files == before

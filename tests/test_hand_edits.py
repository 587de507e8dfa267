"""A person edits a spec by hand: each edit gives correct output or a diagnostic on the right line."""

from __future__ import annotations

from pathlib import Path

from pipegen import api
from pipegen.compiler import ir

ROOT = Path(__file__).resolve().parent.parent
BASE = (ROOT / "tests" / "data" / "fraud.pgl").read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_add_a_measure_compiles_and_reaches_sql_and_schema() -> None:
    edited = BASE.replace("    tx_count     = count(*)\n",
                          "    tx_count     = count(*)\n    avg_amount   = avg(amount)\n")
    result = api.compile_text(edited, "fraud.pgl")
    assert result.ok, result.diagnostics
    assert "AVG(CAST(`amount` AS DOUBLE)) AS `avg_amount`" in result.files["sql/local/pipeline.sql"]
    assert '"name": "avg_amount"' in result.files["schemas/fraud_alerts-value.avsc"]


def test_typo_in_a_field_points_at_its_line() -> None:
    edited = BASE.replace("total_amount = sum(amount)", "total_amount = sum(amuont)")
    result = api.compile_text(edited, "fraud.pgl")
    assert not result.ok
    [d] = [d for d in result.diagnostics if d.severity == "error"]
    assert d.code == "E104" and d.span.line == line_of(edited, "amuont")
    assert d.hint == "did you mean `amount`?"


def test_renamed_field_in_the_source_points_at_each_use() -> None:
    edited = BASE.replace("    user_id         string", "    customer_id     string")
    result = api.compile_text(edited, "fraud.pgl")
    errors = [d for d in result.diagnostics if d.severity == "error"]
    assert {d.span.line for d in errors} >= {line_of(edited, "group by user_id")}
    assert all(d.code in ("E104", "E403") for d in errors)


def test_removed_watermark_is_reported_at_the_window() -> None:
    edited = BASE.replace("event_time `timestamp` watermark 5 s", "event_time `timestamp`").replace(
        "event_time timestamp watermark 5 s", "event_time timestamp")
    result = api.compile_text(edited, "fraud.pgl")
    [d] = [d for d in result.diagnostics if d.severity == "error"]
    assert d.code == "E302"
    assert d.span.line == line_of(edited, "window tumble")
    assert "watermark" in d.hint


def test_json_schema_of_the_ir_validates_a_parsed_spec() -> None:
    schema = api.ir_json_schema()
    assert "span" not in str(schema)
    spec = api.parse(BASE)
    again = ir.validate_json(ir.to_json(spec))
    assert again == spec

"""Tests for pipegen.engine.flink: real PyFlink (apache-flink 2.3.0) + real Kafka connector jars.

These tests are intentionally NOT skipped when PyFlink/Java are missing: CI
installs them, and a missing install must fail loudly.

Jars: the ``flink_jars`` fixture (``$PIPEGEN_FLINK_JARS`` if set, else the
jars PipeGen fetches into the user cache on first use).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipegen.engine import flink
from pipegen.engine.flink import (
    FlinkPlanner,
    FlinkUnavailable,
    PlanResult,
    connector_jars,
    describe_java_error,
)

REPO = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def kafka_jars(flink_jars) -> list[Path]:
    jars = [Path(j) for j in flink_jars]
    names = " ".join(j.name for j in jars)
    assert "flink-connector-kafka" in names and "kafka-clients" in names, names
    return jars


@pytest.fixture(scope="module")
def planner(kafka_jars):
    with FlinkPlanner(kafka_jars) as p:
        yield p


def source_ddl(name: str) -> str:
    return f"""CREATE TABLE {name} (
  order_id BIGINT,
  customer STRING,
  amount DECIMAL(10, 2),
  order_time TIMESTAMP(3),
  WATERMARK FOR order_time AS order_time - INTERVAL '5' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = '{name}',
  'properties.bootstrap.servers' = 'localhost:9092',
  'properties.group.id' = 'pipegen',
  'scan.startup.mode' = 'earliest-offset',
  'value.format' = 'json'
);"""


def sink_ddl(name: str) -> str:
    return f"""CREATE TABLE {name} (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  customer STRING,
  order_count BIGINT,
  total DECIMAL(38, 2)
) WITH (
  'connector' = 'kafka',
  'topic' = '{name}',
  'properties.bootstrap.servers' = 'localhost:9092',
  'value.format' = 'json'
);"""


def tumble_view(name: str, source: str) -> str:
    return f"""CREATE TEMPORARY VIEW {name} AS
SELECT window_start, window_end, customer,
       COUNT(*) AS order_count, SUM(amount) AS total
FROM TABLE(TUMBLE(TABLE {source}, DESCRIPTOR(order_time), INTERVAL '1' MINUTE))
GROUP BY window_start, window_end, customer;"""


def assert_clean(message: str) -> None:
    assert message
    assert "\n" not in message
    assert "at org.apache" not in message
    assert "py4j" not in message.lower()
    assert not message.startswith("org.apache")
    assert "Exception:" not in message


def assert_all_ok(results: list[PlanResult]) -> None:
    bad = [(r.index, r.message) for r in results if not r.ok]
    assert not bad, bad


# ------------------------------------------------------------ planning (JVM)


def test_source_view_sink_insert_plan_ok(planner):
    results = planner.plan(
        [
            source_ddl("orders_a"),
            tumble_view("orders_a_per_minute", "orders_a"),
            sink_ddl("orders_a_sink"),
            "INSERT INTO orders_a_sink\nSELECT * FROM orders_a_per_minute;",
        ]
    )
    assert_all_ok(results)
    assert [r.index for r in results] == [0, 1, 2, 3]
    assert [r.action for r in results] == ["execute", "execute", "execute", "explain"]
    assert "orders_a_sink" in results[3].plan
    assert all(r.seconds >= 0 for r in results)
    assert all(r.line is None and r.column is None for r in results)


def test_statement_set_with_two_sinks_plans_ok(planner):
    results = planner.plan(
        [
            source_ddl("orders_b"),
            tumble_view("orders_b_per_minute", "orders_b"),
            sink_ddl("orders_b_sink1"),
            sink_ddl("orders_b_sink2"),
            """EXECUTE STATEMENT SET
BEGIN
  INSERT INTO orders_b_sink1 SELECT * FROM orders_b_per_minute;
  INSERT INTO orders_b_sink2
  SELECT window_start, window_end, customer, order_count, total
  FROM orders_b_per_minute WHERE total > 100;
END;""",
        ]
    )
    assert_all_ok(results)
    assert results[-1].action == "explain"
    assert "orders_b_sink1" in results[-1].plan and "orders_b_sink2" in results[-1].plan


def test_unknown_column_reports_message_and_position(planner):
    results = planner.plan(
        [
            source_ddl("orders_c"),
            sink_ddl("orders_c_sink"),
            """INSERT INTO orders_c_sink
SELECT window_start, window_end, customer, COUNT(*), SUM(amount)
FROM TABLE(TUMBLE(TABLE orders_c, DESCRIPTOR(order_time), INTERVAL '1' MINUTE))
WHERE no_such_column > 0
GROUP BY window_start, window_end, customer""",
        ]
    )
    assert results[0].ok and results[1].ok
    bad = results[2]
    assert not bad.ok
    assert "no_such_column" in bad.message
    assert (bad.line, bad.column) == (4, 7)
    assert_clean(bad.message)


def test_syntax_error_is_one_clean_line(planner):
    results = planner.plan(["INSERT INTO orders_x_sink\nSELEC * FRM orders_x;"])
    (bad,) = results
    assert not bad.ok
    assert_clean(bad.message)
    assert bad.action == "explain"


def test_syntax_error_with_position(planner):
    (bad,) = planner.plan(["SELECT 1 FROM orders_a WHERE customer = 'x"])
    assert not bad.ok
    assert_clean(bad.message)
    assert (bad.line, bad.column) == (1, 39)
    assert "Was expecting" not in bad.message or len(bad.message) < 200


def test_failed_create_does_not_stop_later_statements(planner):
    results = planner.plan(
        [
            "CREATE TABLE orders_d (a INT, WATERMARK FOR nope AS nope) WITH ('connector' = 'datagen')",
            "CREATE TABLE orders_d_ok (a INT) WITH ('connector' = 'datagen')",
            "INSERT INTO orders_d_ok SELECT a FROM orders_d",
        ]
    )
    assert [r.ok for r in results] == [False, True, False]
    assert "nope" in results[0].message
    assert "orders_d" in results[2].message
    for r in results:
        if not r.ok:
            assert_clean(r.message)


def test_view_with_unknown_column_fails_at_create(planner):
    (bad,) = planner.plan(["CREATE TEMPORARY VIEW orders_g AS\nSELECT customer,\n       bogus\nFROM orders_a"])
    assert not bad.ok and bad.action == "execute"
    assert "bogus" in bad.message
    assert (bad.line, bad.column) == (3, 8)
    assert_clean(bad.message)


def test_kafka_source_without_startup_mode_needs_group_id(planner):
    """Real connector check: default startup mode 'group-offsets' needs properties.group.id."""
    results = planner.plan(
        [
            """CREATE TABLE orders_h (id BIGINT) WITH (
  'connector' = 'kafka',
  'topic' = 'h',
  'properties.bootstrap.servers' = 'localhost:9092',
  'value.format' = 'json'
)""",
            "SELECT * FROM orders_h",
        ]
    )
    assert results[0].ok and not results[1].ok
    assert "group.id" in results[1].message
    assert_clean(results[1].message)


def test_format_factory_error_names_the_table(planner):
    results = planner.plan(
        [
            """CREATE TABLE orders_e (a INT) WITH (
  'connector' = 'kafka',
  'topic' = 't',
  'properties.bootstrap.servers' = 'localhost:9092',
  'value.format' = 'no-such-format'
)""",
            "INSERT INTO orders_e SELECT 1",
        ]
    )
    assert results[0].ok
    assert not results[1].ok
    assert "orders_e" in results[1].message and "no-such-format" in results[1].message
    assert_clean(results[1].message)


def test_ctas_is_only_explained_and_never_runs_a_job(planner):
    results = planner.plan(
        [
            source_ddl("orders_f"),
            "CREATE TABLE orders_f_copy WITH ('connector' = 'blackhole') AS SELECT * FROM orders_f",
            "SET 'table.exec.source.idle-timeout' = '10 s';",
            "  -- only a comment\n;",
            "EXPLAIN PLAN FOR SELECT * FROM orders_f",
        ]
    )
    assert_all_ok(results)
    assert [r.action for r in results] == ["execute", "explain", "set", "skip", "execute"]


def test_no_console_output(planner, capfd):
    planner.plan(["SELEC 1", "SELECT nope FROM nowhere"])
    out, err = capfd.readouterr()
    assert out == "" and err == ""


# --------------------------------------------------------- pure (no JVM)


def test_describe_java_error_from_stack_trace_text():
    text = (
        "An error occurred while calling o8.explainSql.\n"
        ": org.apache.flink.table.api.ValidationException: SQL validation failed. "
        "From line 3, column 3 to line 3, column 6: Column 'nope' not found in any table\n"
        "\tat org.apache.flink.table.planner.calcite.FlinkPlannerImpl.validate(FlinkPlannerImpl.scala:119)\n"
        "\tat java.base/java.lang.Thread.run(Thread.java:840)\n"
        "Caused by: org.apache.calcite.runtime.CalciteContextException: From line 3, column 3 "
        "to line 3, column 6: Column 'nope' not found in any table\n"
        "\tat java.base/jdk.internal.reflect.NativeConstructorAccessorImpl.newInstance0(Native Method)\n"
        "\t... 10 more\n"
        "Caused by: org.apache.calcite.sql.validate.SqlValidatorException: "
        "Column 'nope' not found in any table\n"
        "\t... 20 more\n"
    )
    message, line, column = describe_java_error(RuntimeError(text))
    assert message == "Column 'nope' not found in any table"
    assert (line, column) == (3, 3)


def test_describe_java_error_parse_error_text():
    text = (
        "org.apache.flink.table.api.SqlParserException: SQL parse failed. "
        'Encountered "FRM" at line 2, column 10.\nWas expecting one of:\n    <EOF> \n'
        '    "EXCEPT" ...\n    "FETCH" ...\n    "FROM" ...\n    "GROUP" ...\n    "LIMIT" ...\n'
        "\tat org.apache.flink.table.planner.parse.CalciteParser.parseSqlList(CalciteParser.java:81)\n"
    )
    message, line, column = describe_java_error(RuntimeError(text))
    assert message == 'Encountered "FRM" at line 2, column 10.'
    assert (line, column) == (2, 10)


def test_connector_jars(tmp_path, monkeypatch):
    a = tmp_path / "a.jar"
    a.write_bytes(b"")
    d = tmp_path / "dir"
    d.mkdir()
    (d / "b.jar").write_bytes(b"")
    (d / "c.txt").write_bytes(b"")
    assert connector_jars([str(a), d]) == [a.resolve(), (d / "b.jar").resolve()]
    assert connector_jars([]) == []
    monkeypatch.setenv(flink.JARS_ENV, os.pathsep.join([str(d), str(a)]))
    assert connector_jars() == [(d / "b.jar").resolve(), a.resolve()]
    monkeypatch.setenv(flink.JARS_ENV, str(tmp_path / "missing"))
    with pytest.raises(FlinkUnavailable) as exc:
        connector_jars()
    assert "missing" in exc.value.message and exc.value.hint
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FlinkUnavailable):
        connector_jars([empty])
    monkeypatch.delenv(flink.JARS_ENV)
    assert connector_jars(fetch=False) == []


def test_unavailable_without_pyflink(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyflink", None)  # import pyflink -> ImportError
    with pytest.raises(FlinkUnavailable) as exc:
        FlinkPlanner([]).start()
    assert "pipegen[flink]" in exc.value.hint


def test_unavailable_without_java(monkeypatch):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(FlinkUnavailable) as exc:
        FlinkPlanner([]).start()
    assert "Java" in exc.value.message


def test_unavailable_without_jars(monkeypatch, tmp_path):
    """No jars given or cached, and none to be had from the package index (pip reads an empty folder only)."""
    monkeypatch.delenv(flink.JARS_ENV, raising=False)
    monkeypatch.setenv("PIPEGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))
    with pytest.raises(FlinkUnavailable) as exc:
        FlinkPlanner().start()
    assert "could not download" in exc.value.message
    assert flink.JARS_ENV in exc.value.hint


def test_module_imports_without_pyflink():
    code = (
        "import sys; sys.modules['pyflink'] = None\n"
        "import pipegen.engine.flink as f\n"
        "assert 'pyflink' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr

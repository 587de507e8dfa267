"""Run statements and one bounded query in a fresh PyFlink JVM; write the query's rows as JSON.

    python tests/flink_collect.py JOB.json OUT.json

JOB.json: ``{"statements": [...], "query": "SELECT ...", "config": {key: value}}``. The TableEnvironment is
:class:`pipegen.engine.flink.FlinkPlanner`'s (the connector jars of ``$PIPEGEN_FLINK_JARS`` or PipeGen's cache on
``pipeline.jars``, the JVM's logs in a file); every statement is run with ``execute_sql`` as given (DDL only: a
statement that starts a job is an error), then the query is run with ``execute().collect()``. OUT.json:
``{"rows": [[...], ...], "kinds": [...]}``, each row's values in the query's column order and its RowKind.
Exit 1 with the Flink error on stderr when a statement or the query fails.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(job_path: str, out_path: str) -> int:
    from pipegen.engine.flink import FlinkPlanner, describe_java_error

    job = json.loads(Path(job_path).read_text())
    planner = FlinkPlanner()
    planner.start()
    tenv = planner._tenv
    for key, value in job.get("config", {}).items():
        tenv.get_config().set(key, value)
    for i, sql in enumerate(job["statements"]):
        try:
            result = tenv.execute_sql(sql)
        except Exception as exc:  # noqa: BLE001 - reported as Flink says it
            print(f"statement {i} failed: {describe_java_error(exc)[0]}\n{sql}", file=sys.stderr)
            return 1
        if result.get_job_client() is not None:
            print(f"statement {i} started a job:\n{sql}", file=sys.stderr)
            return 1
    rows, kinds = [], []
    try:
        with tenv.sql_query(job["query"]).execute().collect() as results:
            for row in results:
                rows.append([v if v is None or isinstance(v, (str, int, float, bool)) else str(v) for v in row])
                kinds.append(str(row.get_row_kind()))
    except Exception as exc:  # noqa: BLE001
        print(f"the query failed: {describe_java_error(exc)[0]}\n{exc}", file=sys.stderr)
        return 1
    Path(out_path).write_text(json.dumps({"rows": rows, "kinds": kinds}))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))

"""The submission of a deploy, in a worker process of its own: ``python -m pipegen.deploy.submit CONFIG.json``.

PyFlink's TableEnvironment with ``execution.target: remote`` builds the job graph here (the planner, the
Kafka connector jars from ``pipeline.jars``) and submits it to the cluster's REST API with the jars; the job
then runs on the cluster, whatever happens to this process. The worker reports one JSON line on its stdout:
``{"event": "submitted", "job_id": ...}`` or ``{"event": "error", "message": ..., "statement": N}``, and ends.
The JVM's own output goes to the deploy's log folder, never to the protocol.

A worker, not the CLI's own process: PyFlink keeps one JVM per Python process, and ending the process ends
that JVM (the job is on the cluster by then).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any


def _say(out: Any, **event: Any) -> None:
    out.write(json.dumps(event) + "\n")
    out.flush()


def main(config_path: str) -> int:
    config = json.loads(Path(config_path).read_text(encoding="utf-8"))
    log_dir = Path(config["log_dir"])
    out = os.fdopen(os.dup(1), "w", buffering=1)
    fd = os.open(log_dir / "jvm-stdout.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the process's life
    os.environ["PIPEGEN_FLINK_LOG_DIR"] = str(log_dir)

    from pipegen.engine.flink import FlinkPlanner, FlinkUnavailable, describe_java_error

    planner = FlinkPlanner(config["jars"])
    try:
        tenv = planner.table_env
    except FlinkUnavailable as e:
        _say(out, event="error", message=e.message, hint=e.hint, statement=None)
        os._exit(2)
    conf = tenv.get_config()
    for key, value in config["settings"].items():
        conf.set(key, value)
    conf.set("table.dml-sync", "false")
    client = None
    for i, sql in enumerate(config["statements"]):
        try:
            result = tenv.execute_sql(sql)
        except Exception as exc:  # noqa: BLE001 - a Java exception from the planner or the submission
            message, line, _ = describe_java_error(exc)
            _say(out, event="error", message=message, statement=i, line=line)
            os._exit(1)
        if result.get_job_client() is not None:
            client = result.get_job_client()
    if client is None:
        _say(out, event="error", message="no statement started a job", statement=None)
        os._exit(1)
    _say(out, event="submitted", job_id=str(client.get_job_id()))
    out.close()
    os._exit(0)  # the JVM's threads would keep a normal exit waiting


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

"""The Flink job of a run, in a worker process of its own: ``python -m pipegen.run.job CONFIG.json``.

The worker starts PyFlink's local execution (one JVM, a mini cluster with its REST API on a loopback port),
executes the statements of the config in order, and reports on its stdout as JSON lines:
``{"event": "running", "job_id": ..., "rest_port": ...}`` once the job is submitted, then
``{"event": "stopped"}`` after it cancelled the job, or ``{"event": "error", "message": ..., "statement":
N}``. It cancels the job and ends when its stdin closes (the run is over, or the run process died). The JVM's
own output goes to the run's log folder, never to the protocol.

A worker process, not the run's own: PyFlink keeps one JVM per Python process, and ending the process ends
the JVM with everything it started, whatever state it is in.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

from pipegen.run.broker import free_port


PORT_TRIES = 5


def _lost_port(message: str) -> bool:
    return "BindException" in message or "Could not start rest endpoint" in message


def say(out: Any, **event: Any) -> None:
    out.write(json.dumps(event) + "\n")
    out.flush()


def submit(config: dict[str, Any]) -> tuple[Any, Any, int]:
    """Start PyFlink with the config's jars and settings, execute its statements, and return (the protocol's
    stream, the job client, 0); on a failure it has said so on the protocol and returns (stream, None, code).
    Shared by this worker and a deploy's (``pipegen.deploy.submit``)."""
    log_dir = Path(config["log_dir"])
    # The protocol keeps the real stdout; fds 1 and 2 (which the JVM inherits) go to the log.
    out = os.fdopen(os.dup(1), "w", buffering=1)
    fd = os.open(log_dir / "jvm-stdout.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the process's life
    os.environ["PIPEGEN_FLINK_LOG_DIR"] = str(log_dir)

    from pipegen.engine.flink import FlinkPlanner, FlinkUnavailable, describe_java_error

    planner = FlinkPlanner(config.get("jars"), quick_jit=False)  # a JVM that runs a job keeps the full JIT
    try:
        tenv = planner.table_env
    except FlinkUnavailable as e:
        say(out, event="error", message=e.message, hint=e.hint, statement=None)
        return out, None, 2
    conf = tenv.get_config()
    for key, value in config["settings"].items():
        conf.set(key, value)
    conf.set("table.dml-sync", "false")
    client = None
    for i, sql in enumerate(config["statements"]):
        for attempt in range(PORT_TRIES):
            try:
                result = tenv.execute_sql(sql)
                break
            except Exception as exc:  # noqa: BLE001 - a Java exception from the planner or the job's submission
                message, line, _ = describe_java_error(exc)
                if "rest.port" in config["settings"] and _lost_port(message) and attempt + 1 < PORT_TRIES:
                    # The port was free when the run chose it and another process took it before the mini
                    # cluster bound it (seen in CI with several runs at once): take another one.
                    port = str(free_port())
                    config["settings"]["rest.port"] = port
                    conf.set("rest.port", port)
                    continue
                say(out, event="error", message=message, statement=i, line=line)
                return out, None, 1
        if result.get_job_client() is not None:
            client = result.get_job_client()
    if client is None:
        say(out, event="error", message="no statement started a job", statement=None)
        return out, None, 1
    return out, client, 0


def main(config_path: str) -> int:
    config = json.loads(Path(config_path).read_text(encoding="utf-8"))
    out, client, code = submit(config)
    if code:
        return code
    say(out, event="running", job_id=str(client.get_job_id()), rest_port=int(config["settings"]["rest.port"]))

    done = threading.Event()

    def watch_stdin() -> None:
        try:
            sys.stdin.read()
        finally:
            done.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    done.wait()
    try:
        client.cancel().result(20)
    except Exception:  # noqa: BLE001, S110 - the job may have ended or failed already
        pass
    say(out, event="stopped")
    out.close()
    os._exit(0)  # the JVM's threads would keep a normal exit waiting


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

"""`pipegen deploy --sql-gateway URL` against a STAND-IN for the Flink SQL Gateway.

The gateway's jar (flink-sql-gateway) is not in PyPI's apache-flink package (its lib/ and opt/ hold the SQL
client and the gateway's API classes only, not ``org.apache.flink.table.gateway.SqlGateway``), so no real
gateway can be started here. The stand-in below is a loopback ``http.server`` that answers as the gateway's
documented REST API does (apache/flink docs/static/generated/rest_v3_sql_gateway.yml, and the serializers of
its answers): ``/v1/api_versions``, ``/v4/info``, sessions opened with properties and closed, statements taken as
operations that are RUNNING, then FINISHED (or ERROR), results with ``resultType``, ``isQueryResult``,
``jobID``, ``resultKind``, ``results`` and ``nextResultUri``, an ERROR's exception as an HTTP 500
``{"errors": ["Internal server error.", "<Exception on server side: ...>"]}``, a request to a closed session
answered as Flink answers it (500, "Session '...' does not exist."), and 404 ``Not found`` for any other path.
It runs no SQL: what is checked is what PipeGen sends (the session's properties, the statements and their
order, one statement set for two sinks, the session closed in every case) and what it prints.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SPEC = """\
pipeline click_counts {
  description "Clicks passed through, and counted per page every 10 seconds"
  parallelism 2
  checkpoint 2 s
}

source clicks {
  topic "clicks"
  format json
  fields {
    click_id  uuid          "Click id"
    page      string        "Page clicked"
    ts        timestamp(3)  "When"
  }
  event_time ts watermark 2 s
}

aggregate page_counts from clicks {
  window tumble(ts, 10 s)
  group by page
  measures {
    clicks = count(*)
  }
}

sink all_clicks from clicks {
  topic "all-clicks"
  format json
}

sink page_count_sink from page_counts {
  topic "page-counts"
  format json
}
"""
JOB_ID = "3f1a2b4c5d6e7f8091a2b3c4d5e6f708"
STACK = ("<Exception on server side:\norg.apache.flink.table.gateway.api.utils.SqlGatewayException: "
         "org.apache.flink.table.gateway.api.utils.SqlGatewayException: Failed to fetchResults.\n"
         "\tat org.apache.flink.table.gateway.rest.handler.statement.FetchResultsHandler.handleRequest("
         "FetchResultsHandler.java:91)\n"
         "Caused by: org.apache.flink.table.gateway.service.utils.SqlExecutionException: Failed to execute the "
         "operation {op}.\n"
         "\tat org.apache.flink.table.gateway.service.operation.OperationManager$Operation.processThrowable("
         "OperationManager.java:414)\n"
         "Caused by: org.apache.flink.table.api.ValidationException: Could not find any factory for identifier "
         "'kafka' that implements 'org.apache.flink.table.factories.DynamicTableFactory' in the classpath.\n"
         "\tat org.apache.flink.table.factories.FactoryUtil.discoverFactory(FactoryUtil.java:617)\n"
         "\t... 19 more\n\nEnd of exception on server side>")


# ------------------------------------------------------------------------------------------- the stand-in
class StandIn:
    """A loopback stand-in for the SQL Gateway's REST endpoint (see the module's docstring)."""

    def __init__(self, fail_on: str | None = None, expire_after: int | None = None, closed_status: int = 500):
        self.fail_on = fail_on  # a statement containing this ends in ERROR
        self.expire_after = expire_after  # the session is gone after this many statements
        # Flink's handlers answer a request to a closed session with 500 (the SqlGatewayException of an unknown
        # session is not a RestHandlerException); a proxy in front of it, or another version, may say 404
        self.closed_status = closed_status
        self.insert_status_fails = False  # the gateway fails while the insert runs
        self.sessions: dict[str, dict] = {}  # handle -> {"properties", "name", "closed"}
        self.statements: list[str] = []
        self.ops: dict[str, dict] = {}  # handle -> {"sql", "polls", "final"}
        self.requests: list[tuple[str, str]] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # noqa: ANN002 - quiet
                pass

            def do_GET(self):  # noqa: N802
                stand_in.handle(self, "GET")

            def do_POST(self):  # noqa: N802
                stand_in.handle(self, "POST")

            def do_DELETE(self):  # noqa: N802
                stand_in.handle(self, "DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:  # noqa: ANN002
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def send(h: BaseHTTPRequestHandler, code: int, body: dict) -> None:
        raw = json.dumps(body).encode()
        h.send_response(code)
        h.send_header("Content-Type", "application/json; charset=UTF-8")
        h.send_header("Content-Length", str(len(raw)))
        h.end_headers()
        h.wfile.write(raw)

    def handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = json.loads(h.rfile.read(length) or b"{}") if length else {}
        path, _, query = h.path.partition("?")
        self.requests.append((method, path))
        parts = path.strip("/").split("/")
        if not parts or parts[0] not in ("v1", "v2", "v3", "v4"):
            return self.send(h, 404, {"errors": [f"Not found: {path}"]})
        v, rest = parts[0], parts[1:]
        if method == "GET" and rest == ["api_versions"]:
            return self.send(h, 200, {"versions": ["V1", "V2", "V3", "V4"]})
        if method == "GET" and rest == ["info"]:
            return self.send(h, 200, {"productName": "Apache Flink", "version": "2.3.0"})
        if method == "POST" and rest == ["sessions"]:
            handle = str(uuid.uuid4())
            self.sessions[handle] = {"properties": body.get("properties", {}), "name": body.get("sessionName"),
                                     "closed": False}
            return self.send(h, 200, {"sessionHandle": handle})
        if len(rest) < 2 or rest[0] != "sessions":
            return self.send(h, 404, {"errors": [f"Not found: {path}"]})
        session = self.sessions.get(rest[1])
        if session is None or session["closed"]:
            return self.send(h, 500, {"errors": ["Internal server error.", (
                "<Exception on server side:\norg.apache.flink.table.gateway.api.utils.SqlGatewayException: "
                "org.apache.flink.table.gateway.api.utils.SqlGatewayException: Failed to getSession.\n"
                "Caused by: org.apache.flink.table.gateway.service.utils.SqlExecutionException: Session "
                f"'{rest[1]}' does not exist.\n\tat org.apache.flink.table.gateway.service.session."
                "SessionManagerImpl.getSession(SessionManagerImpl.java:143)\n\nEnd of exception on server side>")]})
        if method == "DELETE" and len(rest) == 2:
            session["closed"] = True
            return self.send(h, 200, {"status": "CLOSED"})
        if method == "POST" and rest[2:] == ["statements"]:
            self.statements.append(body["statement"])
            if self.expire_after is not None and len(self.statements) > self.expire_after:
                session["closed"] = True
                return self.handle_closed(h, rest[1])
            op = str(uuid.uuid4())
            final = "ERROR" if self.fail_on and self.fail_on in body["statement"] else "FINISHED"
            self.ops[op] = {"sql": body["statement"], "polls": 0, "final": final}
            return self.send(h, 200, {"operationHandle": op})
        if len(rest) >= 5 and rest[2] == "operations" and rest[3] in self.ops:
            op = self.ops[rest[3]]
            if method == "GET" and rest[4] == "status":
                if self.insert_status_fails and op["sql"].startswith("EXECUTE STATEMENT SET"):
                    return self.send(h, 503, {"errors": ["Service temporarily unavailable due to an ongoing "
                                                         "leader election. Please refresh."]})
                op["polls"] += 1
                return self.send(h, 200, {"status": "RUNNING" if op["polls"] == 1 else op["final"]})
            if method == "POST" and rest[4] == "cancel":
                op["final"] = "CANCELED"
                return self.send(h, 200, {"status": "CANCELED"})
            if method == "GET" and rest[4] == "result":
                assert v == "v1" or "rowFormat=JSON" in query, h.path  # required from v2 on
                return self.result(h, v, rest[1], rest[3], op, int(rest[5]))
        return self.send(h, 404, {"errors": [f"Not found: {path}"]})

    def handle_closed(self, h: BaseHTTPRequestHandler, handle: str) -> None:
        return self.send(h, self.closed_status, {"errors": ["Internal server error.", (
            "<Exception on server side:\norg.apache.flink.table.gateway.api.utils.SqlGatewayException: "
            "Failed to executeStatement.\nCaused by: org.apache.flink.table.gateway.service.utils."
            f"SqlExecutionException: Session '{handle}' does not exist.\n\nEnd of exception on server side>")]})

    def result(self, h: BaseHTTPRequestHandler, v: str, session: str, op_id: str, op: dict, token: int) -> None:
        if op["final"] == "ERROR":
            return self.send(h, 500, {"errors": ["Internal server error.", STACK.replace("{op}", op_id)]})
        base = f"/{v}/sessions/{session}/operations/{op_id}/result"
        if token == 0 and op.get("not_ready_sent") is None:
            op["not_ready_sent"] = True  # the first fetch: not ready yet, as for a statement still running
            return self.send(h, 200, {"resultType": "NOT_READY", "nextResultUri": f"{base}/0?rowFormat=JSON"})
        if token > 0:
            return self.send(h, 200, {"resultType": "EOS", "isQueryResult": False, "resultKind": "SUCCESS",
                                      "results": {"columns": [], "rowFormat": "JSON", "data": []}})
        insert = op["sql"].lstrip().upper().startswith(("INSERT", "EXECUTE STATEMENT SET"))
        column = "job id" if insert else "result"
        body = {"resultType": "PAYLOAD", "isQueryResult": False,
                "resultKind": "SUCCESS_WITH_CONTENT" if insert else "SUCCESS",
                "results": {"columns": [{"name": column, "logicalType": {"type": "VARCHAR", "nullable": True,
                                                                         "length": 2147483647}, "comment": None}],
                            "rowFormat": "JSON",
                            "data": [{"kind": "INSERT", "fields": [JOB_ID if insert else "OK"]}]},
                "nextResultUri": f"{base}/1?rowFormat=JSON"}
        if insert:
            body["jobID"] = JOB_ID
        return self.send(h, 200, body)


# ------------------------------------------------------------------------------------------- helpers
def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    return e


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipegen.cli", *args], capture_output=True, text=True,
                          timeout=120, env=env(), cwd=ROOT)


def one_error(r: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit 2, one error line and one hint line after the progress lines, no traceback; the error line."""
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    lines = lines[next((i for i, ln in enumerate(lines) if ln.startswith("error: ")), 0):]
    assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("  = hint: "), r.stderr
    for n in needles:
        assert n in lines[0], r.stderr
    return lines[0]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("gateway")
    spec = tmp / "click_counts.pgl"
    spec.write_text(SPEC, encoding="utf-8")
    out = tmp / "project"
    r = cli("compile", str(spec), "-o", str(out), "-q")
    assert r.returncode == 0, r.stderr
    return out


def project_statements(project: Path) -> list[str]:
    files = sorted(p for p in (project / "sql" / "local").glob("[0-9]*.sql"))
    return [p.read_text(encoding="utf-8").rstrip().removesuffix(";") for p in files]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------------------------------- tests
def test_deploy_through_the_gateway(project: Path) -> None:
    with StandIn() as gw:
        r = cli("deploy", str(project), "--sql-gateway", gw.url)
    assert r.returncode == 0, r.stderr
    assert f"deployed click_counts: job {JOB_ID} submitted through the SQL Gateway at {gw.url}" in r.stdout
    # status and stop: the JobManager of config/local.yaml (the stack's, whose gateway this is) unless given
    assert f"pipegen status {project} --flink-url http://localhost:8082" in r.stdout
    # one session, with the project's settings as its properties, closed at the end
    assert len(gw.sessions) == 1
    (session,) = gw.sessions.values()
    assert session["properties"] == {"pipeline.name": "click_counts", "parallelism.default": "2",
                                     "execution.checkpointing.interval": "2000 ms"}
    assert session["closed"]
    # the project's statements, in order, as compiled; the two inserts are one statement set
    assert gw.statements == project_statements(project)
    assert gw.statements[-1].startswith("EXECUTE STATEMENT SET\nBEGIN\nINSERT INTO `all_clicks`")
    assert sum(s.lstrip().startswith(("INSERT", "EXECUTE")) for s in gw.statements) == 1
    # every operation polled to its end (RUNNING first); the newest API version both know
    assert all(op["polls"] >= 2 for op in gw.ops.values())
    assert all(p.startswith("/v4/") for m, p in gw.requests if p != "/v1/api_versions")


def test_resume_from_a_savepoint_is_a_session_property(project: Path, tmp_path: Path) -> None:
    sp = tmp_path / "savepoint-abc"
    sp.mkdir()
    (sp / "_metadata").write_bytes(b"x")
    with StandIn() as gw:
        r = cli("deploy", str(project), "--sql-gateway", gw.url, "--from-savepoint", str(tmp_path))
    assert r.returncode == 0, r.stderr
    (session,) = gw.sessions.values()
    assert session["properties"]["execution.savepoint.path"] == str(sp)
    assert f"resumed from {sp}" in r.stdout


def test_a_statement_in_error_closes_the_session_and_submits_nothing_after(project: Path) -> None:
    with StandIn(fail_on="CREATE TABLE `all_clicks`") as gw:
        r = cli("deploy", str(project), "--sql-gateway", gw.url)
    line = one_error(r, "Flink refused sql/local/", "_create_sink_all_clicks.sql",
                     "Could not find any factory for identifier 'kafka'")
    assert "Caused by" not in line and "\tat " not in line
    assert "pipegen fetch-jars" in r.stderr
    (session,) = gw.sessions.values()
    assert session["closed"]
    assert gw.statements[-1].startswith("CREATE TABLE `all_clicks`")
    assert not any(s.startswith(("INSERT", "EXECUTE")) for s in gw.statements)


def test_a_gateway_failing_during_the_insert_says_a_job_may_run(project: Path) -> None:
    with StandIn() as gw:
        gw.insert_status_fails = True
        r = cli("deploy", str(project), "--sql-gateway", gw.url)
    one_error(r, f"the SQL Gateway at {gw.url} refused the status of sql/local/05_insert_statement_set.sql: "
                 "Service temporarily unavailable")
    assert (f"the insert may have started a job: pipegen status {project} --flink-url http://localhost:8082 "
            f"lists it, pipegen stop {project} --flink-url http://localhost:8082 stops it") in r.stderr
    (session,) = gw.sessions.values()
    assert session["closed"]


@pytest.mark.parametrize("closed_status", [500, 404])
def test_a_session_the_gateway_closed_is_one_line(project: Path, closed_status: int) -> None:
    with StandIn(expire_after=2, closed_status=closed_status) as gw:
        r = cli("deploy", str(project), "--sql-gateway", gw.url)
    one_error(r, f"the SQL Gateway at {gw.url} closed the session of this deploy", "does not exist")
    assert len(gw.statements) == 3


def test_no_gateway_at_the_url(project: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    r = cli("deploy", str(project), "--sql-gateway", url)
    one_error(r, f"no Flink SQL Gateway answers at {url}", "refused")
    assert "--sql-gateway http://HOST:8083" in r.stderr


def test_something_else_at_the_url(project: Path) -> None:
    class NotFound(BaseHTTPRequestHandler):  # a JobManager, say: 404 for paths it does not have
        def log_message(self, *args):  # noqa: ANN002
            pass

        def do_GET(self):  # noqa: N802
            StandIn.send(self, 404, {"errors": [f"Not found: {self.path}"]})

    server = ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        r = cli("deploy", str(project), "--sql-gateway", url)
    finally:
        server.shutdown()
        server.server_close()
    one_error(r, f"{url} is not a Flink SQL Gateway", "404")


def test_a_running_job_of_the_project_is_refused_when_the_cluster_is_given(project: Path) -> None:
    """With --flink-url (the gateway's cluster; here a loopback stand-in for its JobManager's /overview and
    /jobs/overview) a job of the project that runs already is refused before any session is opened."""
    class JobManager(BaseHTTPRequestHandler):
        def log_message(self, *args):  # noqa: ANN002
            pass

        def do_GET(self):  # noqa: N802
            if self.path == "/overview":
                return StandIn.send(self, 200, {"flink-version": "2.3.0", "taskmanagers": 1})
            if self.path == "/jobs/overview":
                return StandIn.send(self, 200, {"jobs": [{"jid": JOB_ID, "name": "click_counts", "state": "RUNNING",
                                                          "start-time": 1, "duration": 5}]})
            return StandIn.send(self, 404, {"errors": ["Not found"]})

    server = ThreadingHTTPServer(("127.0.0.1", 0), JobManager)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        jm = f"http://127.0.0.1:{server.server_address[1]}"
        with StandIn() as gw:
            r = cli("deploy", str(project), "--sql-gateway", gw.url, "--flink-url", jm)
    finally:
        server.shutdown()
        server.server_close()
    one_error(r, f"job {JOB_ID} of click_counts is already RUNNING on {jm}")
    assert f"pipegen stop {project} --flink-url {jm}" in r.stderr
    assert gw.sessions == {}


def test_jars_do_not_go_through_a_gateway(project: Path) -> None:
    with StandIn() as gw:
        r = cli("deploy", str(project), "--sql-gateway", gw.url, "--jars", "/tmp")
    one_error(r, "--jars goes with a job submitted to the JobManager")
    assert gw.sessions == {}


@pytest.mark.parametrize("submitted", [False, True], ids=["before-the-job", "after-the-job"])
def test_an_interrupted_insert_leaves_no_job(project: Path, monkeypatch, submitted: bool) -> None:  # noqa: ANN001
    """Ctrl-C while the insert is being submitted: the operation is cancelled or, when it had started the job,
    the job is stopped (``STOP JOB``); the session is closed either way."""
    from pipegen.deploy import gateway
    from pipegen.deploy.command import DeployOptions

    real_wait = gateway.Gateway.wait

    def wait(self, session, op, what, timeout=gateway.OPERATION_TIMEOUT):  # noqa: ANN001
        if what.endswith("insert_statement_set.sql"):
            if submitted:
                self.status(session, op)  # RUNNING; the stand-in's next answer is FINISHED
            raise KeyboardInterrupt
        return real_wait(self, session, op, what, timeout)

    monkeypatch.setattr(gateway.Gateway, "wait", wait)
    with StandIn() as gw:
        with pytest.raises(KeyboardInterrupt):
            gateway.deploy(DeployOptions(project), gw.url, lambda _: None, lambda _: None)
    (session,) = gw.sessions.values()
    assert session["closed"]
    insert = next(op for op in gw.ops.values() if op["sql"].startswith("EXECUTE STATEMENT SET"))
    if submitted:
        assert gw.statements[-1] == f"STOP JOB '{JOB_ID}'"
    else:
        assert insert["final"] == "CANCELED"
        assert gw.statements[-1].startswith("EXECUTE STATEMENT SET")

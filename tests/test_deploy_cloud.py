"""`pipegen deploy/status/stop --target cloud` against a stand-in for Confluent Cloud's Flink statements API.

Confluent Cloud cannot run here, so these tests talk to :class:`Statements`, a loopback HTTP server that answers
as the documented API does (docs.confluent.io, "Statements (sql/v1)": create, read, list and delete a statement
under ``/sql/v1/organizations/{org}/environments/{env}/statements``; HTTP Basic with the Flink API key; a
statement's ``status.phase`` PENDING, then COMPLETED for DDL or RUNNING for an INSERT, or FAILED with its
``status.detail``; errors as ``{"errors": [{"status", "detail"}]}``; 401 for a wrong key; 409 for a name in use;
429 with a relative ``Retry-After``; PATCH with a JSON Patch (``application/json-patch+json``) of
``/spec/stopped``: a running statement is STOPPING, then STOPPED, and resumed, PENDING then RUNNING; a
statement that is not running cannot be stopped, 400). It is a stand-in: it plans nothing, it checks what
PipeGen sends (order, names, SQL, properties, compute pool, credentials) and answers as Confluent documents.
The SQL itself is planned in Flink in tests/test_examples_flink.py.
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipegen import api
from pipegen.cli import app

ORG = "0b6c5d39-5e1f-4d50-9d0d-1f1c9c7a2b11"
ENV = "env-a1b2c3"
POOL = "lfcp-x9y8z7"
KEY, SECRET = "FLINKKEY123", "s3cr3t-never-printed"

SPEC = """\
pipeline cloud_orders {
  description "Big orders, counted per minute"
}

source orders {
  topic "orders"
  fields {
    order_id  string
    customer  string
    amount    double
    ts        timestamp(3)
  }
  key order_id
  event_time ts watermark 5 s
}

transform big from orders {
  where amount > 100
}

sink big_out from big {
  topic "big-orders"
}
"""


class Statements:
    """A loopback stand-in for the statements API of one organization and environment."""

    def __init__(self, fail: dict[str, str] | None = None, throttle: int = 0, pending_polls: int = 0):
        self.statements: dict[str, dict] = {}
        self.requests: list[tuple[str, str, dict | None]] = []
        self.fail = fail or {}  # a regex of the SQL -> the detail of its FAILED status
        self.throttle = throttle  # how many requests answer 429 first
        self.pending_polls = pending_polls  # reads that still see PENDING after a create
        self.polls: dict[str, int] = {}
        self.hold = ""  # SQL that starts so (say "INSERT") stays PENDING
        self.throttled_at: list[float] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _send(self, code: int, body: dict | None = None, headers: dict[str, str] | None = None) -> None:
                raw = json.dumps(body).encode() if body is not None else b""
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.send_header("X-Request-Id", uuid.uuid4().hex)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

            def _error(self, code: int, detail: str, headers: dict[str, str] | None = None) -> None:
                self._send(code, {"errors": [{"id": uuid.uuid4().hex, "status": str(code), "detail": detail}]},
                           headers)

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                with outer.lock:
                    outer.requests.append((method, self.path, body))
                    if method == "PATCH" and self.headers.get("Content-Type") != "application/json-patch+json":
                        code, payload, headers = 415, "Unsupported Media Type", None
                    else:
                        code, payload, headers = outer.answer(method, self.path, self.headers.get("Authorization"),
                                                              body)
                if code >= 400:
                    self._error(code, payload, headers)
                else:
                    self._send(code, payload, headers)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

            def do_PATCH(self) -> None:
                self._handle("PATCH")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Statements:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- the documented behaviour ---------------------------------------------------------------------------
    def answer(self, method: str, path: str, auth: str | None, body: dict | None):
        if self.throttle > 0:
            self.throttle -= 1
            self.throttled_at.append(time.monotonic())
            return 429, "Too Many Requests", {"Retry-After": "1", "rate-limit-remaining": "0"}
        good = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
        if auth != good:
            return 401, "Unauthorized", {"WWW-Authenticate": 'Basic error="invalid_key"'}
        m = re.fullmatch(r"/sql/v1/organizations/([^/]+)/environments/([^/]+)/statements(?:/([^/?]+))?(\?.*)?", path)
        if not m or m.group(1) != ORG or m.group(2) != ENV:
            return 404, "Not Found", None
        name = m.group(3)
        if name is None and method == "GET":
            return 200, {"api_version": "sql/v1", "kind": "StatementList", "metadata": {"next": ""},
                         "data": list(self.statements.values())[:1]}, None
        if name is None and method == "POST":
            return self.create(body)
        st = self.statements.get(name)
        if st is None:
            return 404, f"Statement '{name}' not found", None
        if method == "DELETE":
            del self.statements[name]
            return 202, None, None
        if method == "PATCH":
            return self.patch(st, body)
        return 200, self.advance(st), None

    def patch(self, st: dict, ops):
        if not (isinstance(ops, list) and len(ops) == 1 and ops[0].get("op") == "replace"
                and ops[0].get("path") == "/spec/stopped" and isinstance(ops[0].get("value"), bool)):
            return 400, f"invalid JSON Patch: {ops!r}", None
        stop, phase = ops[0]["value"], st["status"]["phase"]
        if stop and phase not in ("PENDING", "RUNNING", "FAILING"):
            return 400, f"Statement '{st['name']}' is {phase}: only a running statement can be stopped", None
        if not stop and phase != "STOPPED":
            return 400, f"Statement '{st['name']}' is {phase}: only a stopped statement can be resumed", None
        st["spec"]["stopped"] = stop
        if stop:
            st["status"] = {"phase": "STOPPING", "detail": "Statement is stopping."}
        self.polls[st["name"]] = 0
        return 200, st, None

    def create(self, body: dict):
        name, spec = body["name"], body["spec"]
        if name in self.statements:
            return 409, f"Statement name '{name}' already in use", None
        st = {"api_version": "sql/v1", "kind": "Statement", "name": name, "organization_id": ORG,
              "environment_id": ENV, "metadata": {"self": f"{self.url}/sql/v1/organizations/{ORG}/environments/"
                                                          f"{ENV}/statements/{name}", "uid": uuid.uuid4().hex},
              "spec": spec, "status": {"phase": "PENDING", "detail": ""}}
        self.statements[name] = st
        self.polls[name] = 0
        return 200, st, None

    def advance(self, st: dict) -> dict:
        name = st["name"]
        self.polls[name] = self.polls.get(name, 0) + 1
        held = bool(self.hold) and st["spec"]["statement"].startswith(self.hold)
        if st["status"]["phase"] == "STOPPING":
            st["status"] = {"phase": "STOPPED", "detail": "Statement stopped by user."}
        elif st["status"]["phase"] == "STOPPED" and st["spec"].get("stopped") is False:
            st["status"] = {"phase": "PENDING", "detail": "Statement is being resumed."}
        if st["status"]["phase"] == "PENDING" and self.polls[name] > self.pending_polls and not held:
            sql = st["spec"]["statement"]
            failing = next((d for pat, d in self.fail.items() if re.search(pat, sql)), None)
            if failing:
                st["status"] = {"phase": "FAILED", "detail": failing}
            elif sql.startswith(("INSERT", "EXECUTE STATEMENT SET")):
                st["status"] = {"phase": "RUNNING", "detail": "Statement is running."}
            else:
                st["status"] = {"phase": "COMPLETED", "detail": "Command completed."}
        return st

    def posted(self) -> list[str]:
        return [b["name"] for m, _, b in self.requests if m == "POST"]

    def deleted(self) -> list[str]:
        return [p.rsplit("/", 1)[1] for m, p, _ in self.requests if m == "DELETE"]

    def patched(self) -> list[tuple[str, bool]]:
        return [(p.rsplit("/", 1)[1], b[0]["value"]) for m, p, b in self.requests if m == "PATCH"]


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    compiled = api.compile_text(SPEC, "pipeline.pgl")
    assert compiled.ok, compiled.diagnostics
    out = tmp_path / "proj"
    api.write(compiled, out)
    return out


def cloud_env(url: str, **over: str) -> dict[str, str]:
    env = {"CONFLUENT_ORGANIZATION_ID": ORG, "CONFLUENT_ENVIRONMENT_ID": ENV, "CONFLUENT_COMPUTE_POOL_ID": POOL,
           "CONFLUENT_KAFKA_CLUSTER": "lkc-555", "CONFLUENT_FLINK_API_KEY": KEY,
           "CONFLUENT_FLINK_API_SECRET": SECRET, "CONFLUENT_FLINK_REST_ENDPOINT": url}
    env.update(over)
    return env


def run(args: list[str], env: dict[str, str]):
    """The CLI with only these CONFLUENT_* variables (None unsets the caller's)."""
    unset = {k: None for k in os.environ if k.startswith("CONFLUENT_")}
    result = CliRunner().invoke(app, args, env={**unset, **env}, catch_exceptions=False)
    assert SECRET not in result.output, "the secret is never printed"
    assert "Traceback" not in result.output
    return result


def files(project: Path) -> list[Path]:
    return sorted((project / "sql" / "cloud").glob("[0-9]*.sql"))


def test_cloud_deploy_status_stop(project: Path) -> None:
    """Each file is one statement, sent in order with its name, the pool and the properties, and waited for;
    a second deploy reuses them all; status lists them; stop deletes them, the INSERT first."""
    with Statements(pending_polls=1) as cc:
        got = run(["deploy", str(project), "--target", "cloud"], cloud_env(cc.url))
        assert got.exit_code == 0, got.output
        sqls = [f.read_text(encoding="utf-8").removesuffix(";\n") for f in files(project)]
        posts = [b for m, _, b in cc.requests if m == "POST"]
        assert [b["spec"]["statement"] for b in posts] == sqls
        names = [b["name"] for b in posts]
        assert names[0] == "pipegen-cloud-orders-create-source-orders"
        assert names[-1] == "pipegen-cloud-orders-insert-big-out"
        pipeline_sql = (project / "sql" / "cloud" / "pipeline.sql").read_text(encoding="utf-8")
        assert all(f"SET 'client.statement-name' = '{n}';" in pipeline_sql for n in names)
        for b in posts:
            assert b["spec"]["compute_pool_id"] == POOL
            assert b["spec"]["properties"] == {"sql.current-catalog": ENV, "sql.current-database": "lkc-555",
                                               "sql.local-time-zone": "UTC"}
            assert b["organization_id"] == ORG and b["environment_id"] == ENV
        # one at a time: each statement is read until done before the next one is created
        order = [(m, (b or {}).get("name") or p.rsplit("/", 1)[-1]) for m, p, b in cc.requests if m != "GET"
                 or "/statements/" in p]
        for i, name in enumerate(names[1:], start=1):
            created = order.index(("POST", name))
            assert ("GET", names[i - 1]) in order[:created]
        assert "pipegen-cloud-orders-insert-big-out is RUNNING" in got.output
        assert got.output.count(": COMPLETED (statement ") == len(names) - 1

        again = run(["deploy", str(project), "--target", "cloud"], cloud_env(cc.url))
        assert again.exit_code == 0, again.output
        assert cc.posted() == names, "a second deploy creates no statement"
        assert again.output.count("exists, reused") == len(names)

        status = run(["status", str(project), "--target", "cloud"], cloud_env(cc.url))
        assert status.exit_code == 0
        assert "07_insert_big_out.sql: RUNNING (statement pipegen-cloud-orders-insert-big-out)" in status.output
        assert "01_create_source_orders.sql: COMPLETED" in status.output

        # stop: the INSERT is stopped with its state, nothing is deleted
        insert = "pipegen-cloud-orders-insert-big-out"
        stop = run(["stop", str(project), "--target", "cloud"], cloud_env(cc.url))
        assert stop.exit_code == 0, stop.output
        assert cc.patched() == [(insert, True)] and cc.deleted() == []
        assert f"stopped cloud_orders: {insert} is STOPPED on Confluent Cloud, its state kept" in stop.output
        assert f"resume it: pipegen deploy {project} --target cloud" in stop.output
        status = run(["status", str(project), "--target", "cloud"], cloud_env(cc.url))
        assert f"07_insert_big_out.sql: STOPPED (statement {insert}): Statement stopped by user." in status.output
        again = run(["stop", str(project), "--target", "cloud"], cloud_env(cc.url))
        assert again.exit_code == 0 and f"nothing of cloud_orders runs on Confluent Cloud ({insert} is STOPPED)" \
            in again.output and len(cc.patched()) == 1

        # deploy resumes it where it stopped: the same statement, no new one
        resumed = run(["deploy", str(project), "--target", "cloud"], cloud_env(cc.url))
        assert resumed.exit_code == 0, resumed.output
        assert cc.patched() == [(insert, True), (insert, False)] and cc.posted() == names
        assert f"07_insert_big_out.sql: RUNNING (statement {insert} resumed where it stopped)" in resumed.output
        assert cc.statements[insert]["status"]["phase"] == "RUNNING"

        # stop --delete: every statement deleted, the INSERT first
        gone = run(["stop", str(project), "--target", "cloud", "--delete"], cloud_env(cc.url))
        assert gone.exit_code == 0, gone.output
        assert cc.deleted()[0] == insert and sorted(cc.deleted()) == sorted(names)
        assert cc.statements == {}
        after = run(["status", str(project), "--target", "cloud"], cloud_env(cc.url))
        assert "no statement of cloud_orders on Confluent Cloud" in after.output
        local = run(["stop", str(project), "--delete"], cloud_env(cc.url))
        assert local.exit_code == 2 and local.output.startswith("error: --delete is for --target cloud")


def test_a_failed_statement_is_one_line_and_what_this_deploy_created_is_deleted(project: Path) -> None:
    detail = "SQL validation failed. Error from line 1, column 8 to line 1, column 20. Column 'amount' not found."
    with Statements(fail={r"^CREATE VIEW": detail}) as cc:
        got = run(["deploy", str(project), "--target", "cloud"], cloud_env(cc.url))
        assert got.exit_code == 2, got.output
        lines = [ln for ln in got.output.splitlines() if ln.startswith(("error:", "  = hint:"))]
        assert len(lines) == 2, got.output
        assert lines[0] == ("error: Confluent Cloud failed 04_create_view_big.sql (statement "
                            f"pipegen-cloud-orders-create-view-big): {detail}")
        assert "the 4 statement(s) this deploy created were deleted" in lines[1]
        assert cc.statements == {}, "nothing half-submitted is left behind"
        assert len(cc.posted()) == 4


def test_a_failed_statement_of_an_earlier_deploy_is_replaced(project: Path) -> None:
    with Statements(fail={r"^INSERT": "Kafka topic big-orders: authorization failed"}) as cc:
        first = run(["deploy", str(project), "--target", "cloud"], cloud_env(cc.url))
        assert first.exit_code == 2 and "authorization failed" in first.output
        cc.fail = {}
        cc.statements["pipegen-cloud-orders-create-source-orders"] = {
            "name": "pipegen-cloud-orders-create-source-orders", "spec": {"statement": "CREATE TABLE old"},
            "status": {"phase": "FAILED", "detail": "old"}}
        second = run(["deploy", str(project), "--target", "cloud"], cloud_env(cc.url))
        assert second.exit_code == 0, second.output
        assert "pipegen-cloud-orders-create-source-orders" in cc.deleted()
        assert len(cc.statements) == len(files(project))


def test_a_view_whose_sql_changed_is_dropped_and_created_again(project: Path) -> None:
    with Statements() as cc:
        assert run(["deploy", str(project), "--target", "cloud"], cloud_env(cc.url)).exit_code == 0
        assert run(["stop", str(project), "--target", "cloud"], cloud_env(cc.url)).exit_code == 0
        assert run(["deploy", str(project), "--target", "cloud"], cloud_env(cc.url)).exit_code == 0
        view = "pipegen-cloud-orders-create-view-big"
        cc.statements[view]["spec"]["statement"] = "CREATE VIEW IF NOT EXISTS `cloud_orders_big` AS SELECT 1"
        # while the pipeline runs with other SQL, deploy refuses
        got = run(["deploy", str(project), "--target", "cloud"], cloud_env(cc.url))
        assert got.exit_code == 2 and "pipegen stop" in got.output and "04_create_view_big.sql differs" in got.output
        # stopped, then deployed: the changed project replaces the stopped INSERT (its state cannot carry over)
        assert run(["stop", str(project), "--target", "cloud"], cloud_env(cc.url)).exit_code == 0
        before = len(cc.requests)
        got = run(["deploy", str(project), "--target", "cloud"], cloud_env(cc.url))
        assert got.exit_code == 0, got.output
        posted = [b["spec"]["statement"] for m, _, b in cc.requests[before:] if m == "POST"]
        assert posted[0] == "DROP VIEW IF EXISTS `cloud_orders_big`"
        assert posted[1].startswith("CREATE VIEW IF NOT EXISTS `cloud_orders_big` AS")
        deleted = [p.rsplit("/", 1)[1] for m, p, _ in cc.requests[before:] if m == "DELETE"]
        assert posted[-1].startswith("INSERT INTO") and deleted[0] == "pipegen-cloud-orders-insert-big-out", \
            "the stopped INSERT goes first, before the views it reads are changed"
        assert "was stopped, and the project changed since: it is replaced" in got.output
        assert not [1 for m, _, b in cc.requests[before:] if m == "PATCH"], "a changed project is not resumed"
        assert f"{view}-drop" not in cc.statements


def test_an_expired_key_is_one_line_with_the_fix(project: Path) -> None:
    with Statements() as cc:
        got = run(["deploy", str(project), "--target", "cloud"], cloud_env(cc.url, CONFLUENT_FLINK_API_SECRET="old"))
        assert got.exit_code == 2
        assert got.output.startswith("error: Confluent Cloud refused the Flink API key in CONFLUENT_FLINK_API_KEY "
                                     "(401: wrong or expired: Unauthorized)")
        assert "confluent api-key create --resource flink" in got.output
        assert cc.posted() == []


def test_429_is_retried_after_its_retry_after(project: Path) -> None:
    with Statements(throttle=2) as cc:
        t0 = time.monotonic()
        got = run(["status", str(project), "--target", "cloud"], cloud_env(cc.url))
        assert got.exit_code == 0, got.output
        assert len(cc.throttled_at) == 2 and time.monotonic() - t0 >= 2.0, "each Retry-After (1 s) was waited"
    with Statements(throttle=100) as cc:
        got = run(["deploy", str(project), "--target", "cloud"], cloud_env(cc.url))
        assert got.exit_code == 2
        assert "error: Confluent Cloud kept answering 429 (rate limit) after 5 retries" in got.output
        assert cc.statements == {}


def test_a_wrong_url_or_nothing_there_is_one_line(project: Path) -> None:
    with Statements() as cc:
        got = run(["deploy", str(project), "--target", "cloud"], cloud_env(cc.url, CONFLUENT_ENVIRONMENT_ID="env-zz"))
        assert got.exit_code == 2
        assert "knows no statements API for organization" in got.output and "env-zz" in got.output

    class Html(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<html>hello</html>")

        def log_message(self, *args) -> None:
            pass

    web = ThreadingHTTPServer(("127.0.0.1", 0), Html)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    try:
        got = run(["deploy", str(project), "--target", "cloud"], cloud_env(f"http://127.0.0.1:{web.server_address[1]}"))
        assert got.exit_code == 2 and "did not answer as Confluent's Flink statements API does" in got.output
    finally:
        web.shutdown()
        web.server_close()

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    got = run(["deploy", str(project), "--target", "cloud"], cloud_env(f"http://127.0.0.1:{closed}"))
    assert got.exit_code == 2
    assert got.output.startswith(f"error: cannot reach Confluent Cloud's Flink endpoint http://127.0.0.1:{closed}")


def test_settings_come_from_the_environment_only(project: Path) -> None:
    got = run(["deploy", str(project), "--target", "cloud"], {"CONFLUENT_ORGANIZATION_ID": ORG})
    assert got.exit_code == 2
    first = got.output.splitlines()[0]
    assert first.startswith("error: Confluent Cloud settings missing from the environment: CONFLUENT_ENVIRONMENT_ID, "
                            "CONFLUENT_COMPUTE_POOL_ID, CONFLUENT_KAFKA_CLUSTER, CONFLUENT_FLINK_API_KEY, "
                            "CONFLUENT_FLINK_API_SECRET, CONFLUENT_FLINK_REST_ENDPOINT")
    # the endpoint from the cloud and region
    from pipegen.deploy.cloud import CloudConfig

    cfg = CloudConfig.from_env({**cloud_env(""), "CONFLUENT_CLOUD_PROVIDER": "AWS",
                                "CONFLUENT_CLOUD_REGION": "us-east-1"})
    assert cfg.endpoint == "https://flink.us-east-1.aws.confluent.cloud"
    assert SECRET not in repr(cfg)
    got = run(["stop", str(project), "--target", "cloud", "--savepoint", "/tmp"], cloud_env("http://x"))
    assert got.exit_code == 2 and got.output.startswith("error: --savepoint is for a Flink cluster")


def test_an_edited_file_is_not_deployed(project: Path) -> None:
    f = files(project)[3]
    f.write_text(f.read_text(encoding="utf-8").replace("100", "1000"), encoding="utf-8")
    with Statements() as cc:
        got = run(["deploy", str(project), "--target", "cloud"], cloud_env(cc.url))
        assert got.exit_code == 2 and "is not what pipeline.pgl compiles to" in got.output
        assert cc.requests == []


def test_the_real_command_and_ctrl_c(project: Path) -> None:
    """`pipegen deploy --target cloud` as a process: Ctrl-C while the INSERT is PENDING ends with 130, and the
    statements it created are deleted."""
    import signal
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFLUENT_")}
    with Statements(pending_polls=0) as cc:
        env.update(cloud_env(cc.url), PYTHONPATH=os.pathsep.join([str(root), env.get("PYTHONPATH", "")]))
        cc.hold = "INSERT"
        p = subprocess.Popen([sys.executable, "-m", "pipegen.cli", "deploy", str(project), "--target", "cloud"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        deadline = time.monotonic() + 60
        while "pipegen-cloud-orders-insert-big-out" not in cc.posted() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
        assert p.returncode == 130, (out, err)
        assert "interrupted: the 7 statement(s) this deploy created were deleted" in err
        assert "Traceback" not in err and SECRET not in out + err
        assert cc.statements == {}

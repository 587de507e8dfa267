"""`pipegen deploy --sql-gateway URL`: the project's statements through a Flink SQL Gateway's REST API.

One session per deploy, opened with the project's settings as its properties (``pipeline.name``, parallelism,
checkpoints, state TTL, the savepoint to resume from); the statements of ``sql/local/`` in their order
(functions, tables, views, then the insert, which is one ``EXECUTE STATEMENT SET`` when there are several
sinks), each polled until FINISHED; the job id read from the insert's result; the session closed. The job runs
on the gateway's cluster after that, whatever happens to the session. ``status`` and ``stop`` talk to that
cluster's JobManager, as for a deploy with ``--flink-url``.

A failure closes the session, so nothing half-submitted is left: a statement before the insert created only
session objects (temporary tables and views). An interrupt while the insert runs cancels it, and stops the job
when it had started (``STOP JOB``); where that cannot be done the error names the job and how to stop it.

The REST API (v1 to v4: ``/v1/api_versions``, ``/info``, ``/sessions``, ``.../statements``,
``.../operations/{op}/status``, ``.../operations/{op}/result/{token}``, ``.../operations/{op}/cancel``) is
Flink's own: docs/static/generated/rest_v3_sql_gateway.yml in apache/flink. An error answer is
``{"errors": ["Internal server error.", "<Exception on server side: ... stack ...>"]}``; its message is the
deepest ``Caused by`` of that stack, on one line.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from pipegen import httpjson
from pipegen.deploy.errors import DeployError
from pipegen.deploy.rest import _first_line

OPERATION_TIMEOUT = 300.0  # seconds for one statement (an insert plans and submits its job: 5-30 s)
POLL = 0.2  # seconds between two status requests
KNOWN_VERSIONS = ("v1", "v2", "v3", "v4")
GATEWAY_HINT = "give the SQL Gateway's REST address (port 8083 by default), e.g. --sql-gateway http://HOST:8083"

Echo = Callable[[str], None]


def normalize_url(url: str) -> str:
    """``http://HOST:PORT`` without a trailing slash; a bare ``HOST:PORT`` gets ``http://``."""
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = "http://" + url
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeployError(f"--sql-gateway {url} is not an http(s) address", GATEWAY_HINT)
    return url


class Gateway:
    """``Gateway("http://localhost:8083")``: sessions, statements and their operations."""

    def __init__(self, url: str, timeout: float = 10.0):
        self.url = normalize_url(url)
        self.timeout = timeout
        self.version = "v1"

    # -- plumbing -------------------------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: Any = None, what: str = "") -> Any:
        try:
            return httpjson.call(self.url + path, method, body, timeout=self.timeout)
        except urllib.error.HTTPError as e:
            raise self._refused(e, method, path, what) from None
        except httpjson.Unreachable as e:
            reason = e.reason
            text = (getattr(reason, "strerror", None) or str(reason) or "no answer").lower()
            raise DeployError(f"no Flink SQL Gateway answers at {self.url} ({text})",
                              "start it (docker compose up in the project starts one on port 8083, or Flink's "
                              "bin/sql-gateway.sh start) or " + GATEWAY_HINT) from None
        except httpjson.NotJson:
            raise DeployError(f"{self.url} answered {path.split('?')[0]} with something that is not JSON: it is "
                              "not a Flink SQL Gateway", GATEWAY_HINT) from None

    def _refused(self, e: urllib.error.HTTPError, method: str, path: str, what: str) -> DeployError:
        message = _error_message(e)
        if "does not exist" in message and "Session" in message:
            return DeployError(f"the SQL Gateway at {self.url} closed the session of this deploy ({message})",
                               "deploy again; if it happens again, raise the gateway's "
                               "sql-gateway.session.idle-timeout")
        if e.code == 404:
            return DeployError(f"{self.url} is not a Flink SQL Gateway ({method} {path.split('?')[0]}: "
                               f"HTTP 404 {message})", GATEWAY_HINT)
        err = DeployError(f"Flink refused {what}: {message}" if what.startswith("sql/") else
                          f"the SQL Gateway at {self.url} refused {what or method + ' ' + path}: {message}",
                          _hint_for(message))
        err.http_status = e.code
        return err

    # -- the gateway ----------------------------------------------------------------------------------------
    def connect(self) -> str:
        """Check that a SQL Gateway answers, take the newest API version both know; Flink's version."""
        got = self._call("GET", "/v1/api_versions")  # served by every version of the gateway
        versions = [str(v).lower() for v in got.get("versions", [])] if isinstance(got, dict) else []
        usable = [v for v in KNOWN_VERSIONS if v in versions]
        if not usable:
            raise DeployError(f"{self.url} is not a Flink SQL Gateway (its /v1/api_versions lists no version)",
                              GATEWAY_HINT)
        self.version = usable[-1]
        info = self._call("GET", f"/{self.version}/info")
        return str(info.get("version", "?")) if isinstance(info, dict) else "?"

    def open_session(self, name: str, properties: dict[str, str]) -> str:
        got = self._call("POST", f"/{self.version}/sessions", {"sessionName": name, "properties": properties},
                         "the session")
        handle = got.get("sessionHandle") if isinstance(got, dict) else None
        if not handle:
            raise DeployError(f"{self.url} opened no session (no sessionHandle in its answer)", GATEWAY_HINT)
        return str(handle)

    def close_session(self, session: str) -> None:
        self._call("DELETE", f"/{self.version}/sessions/{session}")

    def execute(self, session: str, sql: str, what: str) -> str:
        got = self._call("POST", f"/{self.version}/sessions/{session}/statements", {"statement": sql}, what)
        op = got.get("operationHandle") if isinstance(got, dict) else None
        if not op:
            raise DeployError(f"the SQL Gateway at {self.url} took {what} but gave no operationHandle",
                              GATEWAY_HINT)
        return str(op)

    def status(self, session: str, op: str, what: str = "") -> str:
        got = self._call("GET", f"/{self.version}/sessions/{session}/operations/{op}/status",
                         what=f"the status of {what}" if what else "")
        return str(got.get("status", "UNKNOWN")).upper()

    def cancel(self, session: str, op: str) -> None:
        self._call("POST", f"/{self.version}/sessions/{session}/operations/{op}/cancel")

    def wait(self, session: str, op: str, what: str, timeout: float = OPERATION_TIMEOUT) -> None:
        """Until the operation is FINISHED; its error as a DeployError when it is not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.status(session, op, what)
            if state == "FINISHED":
                return
            if state == "ERROR":
                # the operation's exception comes back as the answer to a fetch of its result
                self.result(session, op, what)
                raise DeployError(f"Flink refused {what} (its operation is ERROR, no reason given)",
                                  "see the SQL Gateway's log")
            if state in ("CANCELED", "CLOSED", "TIMEOUT"):
                raise DeployError(f"{what} ended {state} on the SQL Gateway at {self.url}",
                                  "see the SQL Gateway's log; the gateway's sql-gateway.worker settings may be "
                                  "too small for the project")
            time.sleep(POLL)
        raise DeployError(f"{what} was not done within {timeout:.0f} s on the SQL Gateway at {self.url}",
                          "see the SQL Gateway's log; check that its cluster has free task slots")

    def result(self, session: str, op: str, what: str) -> dict[str, Any]:
        """The first page of the operation's result that is ready (``PAYLOAD`` or ``EOS``)."""
        path = f"/{self.version}/sessions/{session}/operations/{op}/result/0"
        deadline = time.monotonic() + OPERATION_TIMEOUT
        while True:
            got = self._call("GET", path + ("" if "rowFormat" in path or self.version == "v1" else
                                            "?rowFormat=JSON"), what=what)
            if not isinstance(got, dict):
                raise DeployError(f"the SQL Gateway at {self.url} answered the result of {what} with no object",
                                  GATEWAY_HINT)
            if got.get("resultType") != "NOT_READY":
                return got
            nxt = got.get("nextResultUri")
            if nxt:
                path = nxt if nxt.startswith("/") else "/" + nxt
            if time.monotonic() > deadline:
                raise DeployError(f"the result of {what} was not ready within {OPERATION_TIMEOUT:.0f} s",
                                  "see the SQL Gateway's log")
            time.sleep(POLL)

    def job_id(self, session: str, op: str, what: str) -> str | None:
        """The job an insert started: ``jobID`` of its result, else its one ``job id`` row."""
        got = self.result(session, op, what)
        if got.get("jobID"):
            return str(got["jobID"])
        data = (got.get("results") or {}).get("data") or []
        if data and isinstance(data[0], dict) and data[0].get("fields"):
            return str(data[0]["fields"][0])
        return None


def _error_message(e: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(e.read() or b"{}")
    except ValueError:
        body = {}
    errors = body.get("errors") if isinstance(body, dict) else None
    if not errors:
        return f"HTTP {e.code} {e.reason}"
    # ["Internal server error.", "<Exception on server side:\n...stack...\nEnd of exception on server side>"]
    detail = [str(x) for x in errors if str(x).strip() != "Internal server error."]
    text = "\n".join(detail) or str(errors[0])
    text = "\n".join(ln for ln in text.splitlines()
                     if not ln.strip().startswith(("<Exception on server side", "End of exception on server side")))
    return _first_line(text) or str(errors[0])


def _hint_for(message: str) -> str:
    if "Could not find any factory" in message:
        return ("the gateway's cluster lacks a connector jar: fetch them (pipegen fetch-jars) and put them in "
                "the lib/ folder of the gateway and of its cluster, then restart both")
    if "avro-confluent" in message:
        return ("the avro-confluent format is not in Flink's own distribution: put flink-sql-avro-confluent-"
                "registry in the lib/ folder of the gateway and of its cluster")
    if "savepoint" in message.lower():
        return "check the savepoint path (the gateway's cluster must be able to read it) and that it is this pipeline's"
    return "see the SQL Gateway's log; the statement is in the project's sql/local/"


# ------------------------------------------------------------------------------------------- deploy
def deploy(opts: Any, url: str, echo: Echo, status: Echo) -> int:
    """``pipegen deploy PROJECT --sql-gateway URL``; ``opts`` is a ``command.DeployOptions``."""
    from pipegen.compiler.targets.local import pipeline_settings
    from pipegen.deploy.command import _savepoint_to_resume, _statements, flink_url

    if opts.jars:
        raise DeployError("--jars goes with a job submitted to the JobManager; a SQL Gateway uses the jars of "
                          "its own lib/ folder",
                          "put the connector jars in the lib/ folder of the gateway and of its cluster, and "
                          "leave --jars out")
    gw = Gateway(url)
    savepoint = _savepoint_to_resume(opts.from_savepoint) if opts.from_savepoint else None
    spec, statements, _ = _statements(opts)
    name = spec.pipeline.name
    properties = dict(pipeline_settings(spec.pipeline))
    if savepoint:
        properties["execution.savepoint.path"] = savepoint
    jobmanager = flink_url(opts.flink_url, opts.project)  # the gateway's cluster, for status and stop
    stop_hint = f"pipegen stop {opts.project} --flink-url {jobmanager}"
    if opts.flink_url:
        _refuse_a_second_job(jobmanager, name, opts.project)
    version = gw.connect()
    status(f"submitting {name} through the SQL Gateway at {gw.url} (Flink {version}, REST API {gw.version})"
           + (f" from {savepoint}" if savepoint else ""))
    session = gw.open_session(f"pipegen-{name}", properties)
    try:
        job_id = _run(gw, session, statements, status, stop_hint)
    finally:
        _close_quietly(gw, session)  # a job the insert started runs on; the session's tables and views go
    if job_id is None:
        raise DeployError(f"the insert was accepted but the SQL Gateway at {gw.url} gave no job id",
                          f"pipegen status {opts.project} --flink-url {jobmanager} lists the project's jobs "
                          "(--flink-url: the JobManager of the gateway's cluster)")
    echo(f"deployed {name}: job {job_id} submitted through the SQL Gateway at {gw.url}")
    if savepoint:
        echo(f"  resumed from {savepoint}")
    echo(f"  watch it: pipegen status {opts.project} --flink-url {jobmanager}")
    echo("  (status and stop use the JobManager REST API of the gateway's cluster: give its address as --flink-url)")
    return 0


def _refuse_a_second_job(url: str, name: str, project: Any) -> None:
    """With ``--flink-url`` (the gateway's cluster) given, deploy refuses a second job of the project, as a
    deploy to the JobManager does; without it the gateway's cluster is not known here."""
    from pipegen.deploy.rest import JobManager

    jm = JobManager(url)
    jm.overview()
    running = [j for j in jm.jobs(name) if j.active]
    if running:
        j = running[0]
        raise DeployError(f"job {j.job_id} of {name} is already {j.state} on {jm.url}",
                          f"stop it first: pipegen stop {project} --flink-url {jm.url} [--savepoint DIR]")


def _run(gw: Gateway, session: str, statements: list[Any], status: Echo, stop_hint: str) -> str | None:
    """Every statement in order; the insert's job id. An interrupt during the insert leaves no job running."""
    job_id = None
    for st in statements:
        what = f"sql/local/{st.file}"
        status(f"  {what}")
        op = gw.execute(session, st.sql, what)
        if st.phase != "insert":
            gw.wait(session, op, what)
            continue
        try:
            gw.wait(session, op, what)
            job_id = gw.job_id(session, op, what)
        except KeyboardInterrupt:
            _undo_insert(gw, session, op, what, stop_hint)
            raise
        except DeployError as e:
            if not str(e).startswith("Flink refused"):  # not an insert in ERROR: it may have started the job
                status_hint = stop_hint.replace("pipegen stop", "pipegen status", 1)
                e.hint = (f"the insert may have started a job: {status_hint} lists it, {stop_hint} stops it; "
                          + e.hint)
            raise
    return job_id


def _undo_insert(gw: Gateway, session: str, op: str, what: str, stop_hint: str) -> None:
    """Cancel an insert that is still being submitted; stop the job of one that was."""
    job_id = None
    try:
        if gw.status(session, op) == "FINISHED":
            job_id = gw.job_id(session, op, what)
        else:
            gw.cancel(session, op)
            if gw.status(session, op) == "FINISHED":
                job_id = gw.job_id(session, op, what)
        if job_id:
            stop = gw.execute(session, f"STOP JOB '{job_id}'", f"STOP JOB '{job_id}'")
            gw.wait(session, stop, f"STOP JOB '{job_id}'", 60.0)
    except DeployError as e:
        _close_quietly(gw, session)
        started = f"job {job_id} was started" if job_id else "the insert may have started a job"
        raise DeployError(f"interrupted: {started} and could not be stopped through the gateway ({e})",
                          f"stop it with: {stop_hint} (the JobManager of the gateway's cluster)",
                          code=130) from None


def _close_quietly(gw: Gateway, session: str) -> None:
    try:
        gw.close_session(session)
    except DeployError:
        pass

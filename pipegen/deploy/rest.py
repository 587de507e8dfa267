"""The JobManager's REST API, as much of it as deploy, status and stop need (urllib; JSON in and out).

Every failure is a :class:`DeployError` of one line: no cluster at the URL, an answer that is not Flink's, or
Flink's own message (the first line of its Java error, without the stack).
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from pipegen import httpjson
from pipegen.deploy.errors import DeployError

# A job in one of these states holds (or will hold) the cluster's slots: deploy refuses a second one.
ACTIVE = ("INITIALIZING", "CREATED", "RUNNING", "FAILING", "CANCELLING", "RESTARTING", "SUSPENDED", "RECONCILING")
TERMINAL = ("FINISHED", "CANCELED", "FAILED")


def normalize_url(url: str) -> str:
    """``http://HOST:PORT`` without a trailing slash; a bare ``HOST:PORT`` gets ``http://``."""
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = "http://" + url
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeployError(f"--flink-url {url} is not an http(s) address",
                          "give the JobManager's REST address, e.g. --flink-url http://localhost:8081")
    return url


@dataclass
class JobInfo:
    """One job of the cluster, as ``/jobs/overview`` lists it."""

    job_id: str
    name: str
    state: str
    start_ms: int
    duration_ms: int

    @property
    def active(self) -> bool:
        return self.state in ACTIVE


class JobManager:
    """``JobManager("http://localhost:8081").jobs()`` and friends."""

    def __init__(self, url: str, timeout: float = 10.0):
        self.url = normalize_url(url)
        self.timeout = timeout

    # -- plumbing -------------------------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: Any = None) -> Any:
        try:
            return httpjson.call(self.url + path, method, body, timeout=self.timeout)
        except urllib.error.HTTPError as e:
            err = DeployError(f"Flink at {self.url} refused {method} {path.split('?')[0]}: {_flink_message(e)}",
                              self._hint_for(e.code))
            err.http_status = e.code
            raise err from None
        except httpjson.Unreachable as e:
            raise DeployError(f"no Flink cluster answers at {self.url} ({_reason(e.reason)})",
                              "start the cluster (docker compose up in the project, or Flink's "
                              "bin/start-cluster.sh) or give its REST address: --flink-url http://HOST:8081"
                              ) from None
        except httpjson.NotJson:
            raise DeployError(f"{self.url} answered {path.split('?')[0]} with something that is not JSON: "
                              "it is not a Flink JobManager",
                              "give the JobManager's REST address (its web UI), e.g. --flink-url http://HOST:8081"
                              ) from None

    @staticmethod
    def _hint_for(code: int) -> str:
        if code == 404:
            return "check that --flink-url is the JobManager's REST address (its web UI), e.g. http://HOST:8081"
        return "see the JobManager's log for the details"

    def get(self, path: str) -> Any:
        return self._call("GET", path)

    # -- the cluster ----------------------------------------------------------------------------------------
    def overview(self) -> dict[str, Any]:
        """``/overview``: Flink's version, task managers and slots. Checks that a JobManager answers."""
        try:
            got = self.get("/overview")
        except DeployError as e:
            if getattr(e, "http_status", None) != 404:
                raise
            got = None
        if not isinstance(got, dict) or "flink-version" not in got:
            raise DeployError(f"{self.url} is not a Flink JobManager (its /overview has no flink-version)",
                              "give the JobManager's REST address (its web UI), e.g. --flink-url http://HOST:8081")
        return got

    def jobs(self, name: str | None = None) -> list[JobInfo]:
        """The cluster's jobs (newest first), only those called ``name`` when given."""
        got = self.get("/jobs/overview").get("jobs", [])
        found = [JobInfo(j["jid"], j.get("name", ""), j.get("state", "UNKNOWN"), int(j.get("start-time", 0)),
                         int(j.get("duration", 0))) for j in got]
        found = [j for j in found if name is None or j.name == name]
        return sorted(found, key=lambda j: j.start_ms, reverse=True)

    def job(self, job_id: str) -> dict[str, Any]:
        return self.get(f"/jobs/{job_id}")

    def web_link(self, job_id: str, running: bool = True) -> str:
        return f"{self.url}/#/job/{'running' if running else 'completed'}/{job_id}/overview"

    def cause(self, job_id: str) -> str:
        """The newest exception the job reported (its first line), or ''."""
        try:
            got = self.get(f"/jobs/{job_id}/exceptions")
        except DeployError:
            return ""
        entries = (got.get("exceptionHistory") or {}).get("entries") or []
        text = entries[0].get("stacktrace", "") if entries else got.get("root-exception") or ""
        return _first_line(text)

    # -- figures --------------------------------------------------------------------------------------------
    def records(self, job_id: str, vertices: list[dict[str, Any]]) -> tuple[int | None, int | None]:
        """(records read by the sources, records written by the sinks) of a running job, or None where the
        cluster has no such metric (yet: it refreshes them every 10 s by default)."""
        read = written = None
        for v in vertices:
            vid = v["id"]
            base = f"/jobs/{job_id}/vertices/{vid}/subtasks/metrics"
            ids = [m["id"] for m in self.get(base)
                   if _is_source_in(m["id"]) or m["id"].endswith("__Writer.numRecordsSend")]
            if not ids:
                continue
            for m in self.get(f"{base}?get={','.join(ids)}&agg=sum"):
                n = int(m.get("sum", 0))
                if m["id"].endswith("__Writer.numRecordsSend"):
                    written = (written or 0) + n
                else:
                    read = (read or 0) + n
        return read, written

    def warm_metrics(self, job_id: str) -> None:
        """Ask for the job's metrics once, so that the JobManager fetches fresh ones (see ``status``)."""
        for v in self.job(job_id).get("vertices", []):
            self.get(f"/jobs/{job_id}/vertices/{v['id']}/subtasks/metrics")

    def last_checkpoint(self, job_id: str) -> dict[str, Any] | None:
        """The newest completed checkpoint or savepoint: ``{'id', 'savepoint', 'ms', 'path'}``; before the first
        one of a resumed job, the savepoint it resumed from (``'restored': True``); else None."""
        latest = self.get(f"/jobs/{job_id}/checkpoints").get("latest") or {}
        done = [c for c in (latest.get("completed"), latest.get("savepoint")) if c]
        restored = latest.get("restored")
        if not done and restored:
            return {"id": restored.get("id"), "savepoint": bool(restored.get("is_savepoint")), "restored": True,
                    "ms": restored.get("restore_timestamp", 0), "path": restored.get("external_path")}
        if not done:
            return None
        c = max(done, key=lambda c: c.get("latest_ack_timestamp", 0))
        return {"id": c.get("id"), "savepoint": bool(c.get("is_savepoint")), "ms": c.get("latest_ack_timestamp", 0),
                "path": c.get("external_path")}

    # -- stopping -------------------------------------------------------------------------------------------
    def cancel(self, job_id: str, timeout: float = 60.0) -> str:
        """Cancel the job and wait for it to end; its final state."""
        self._call("PATCH", f"/jobs/{job_id}?mode=cancel")
        return self.wait_terminal(job_id, timeout)

    def stop_with_savepoint(self, job_id: str, target_dir: str, timeout: float = 180.0) -> str:
        """Stop the job with a savepoint in ``target_dir`` (as the cluster sees it); the savepoint's path."""
        trigger = self._call("POST", f"/jobs/{job_id}/stop", {"targetDirectory": target_dir, "drain": False})
        request = trigger.get("request-id")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.get(f"/jobs/{job_id}/savepoints/{request}")
            if (got.get("status") or {}).get("id") == "COMPLETED":
                op = got.get("operation") or {}
                if op.get("location"):
                    self.wait_terminal(job_id, 60.0)
                    return op["location"]
                cause = op.get("failure-cause") or {}
                raise DeployError(f"Flink could not stop job {job_id} with a savepoint: "
                                  f"{_first_line(cause.get('stack-trace') or cause.get('class') or 'no cause given')}",
                                  "check that the cluster can write the folder; the job keeps running")
            time.sleep(0.5)
        raise DeployError(f"the savepoint of job {job_id} was not done within {timeout:.0f} s",
                          f"see the job's checkpoints in the web UI: {self.web_link(job_id)}")

    def wait_terminal(self, job_id: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        state = "UNKNOWN"
        while time.monotonic() < deadline:
            state = self.job(job_id).get("state", "UNKNOWN")
            if state in TERMINAL:
                return state
            time.sleep(0.5)
        raise DeployError(f"job {job_id} is still {state} after {timeout:.0f} s",
                          f"see it in the web UI: {self.web_link(job_id)}")


_JAVA_PREFIX = re.compile(r"^(?:[a-z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error)?:\s*")


def _first_line(text: str) -> str:
    """The message of a Java error text, without its class names and stack: its deepest 'Caused by' that
    says something, else its first line."""
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    messages = [ln for ln in lines if not ln.startswith(("at ", "..."))]
    causes = [ln[len("Caused by: "):] for ln in messages if ln.startswith("Caused by: ")]
    for cand in [*reversed(causes), *messages[:1]]:
        msg = cand
        while _JAVA_PREFIX.match(msg):
            msg = _JAVA_PREFIX.sub("", msg, count=1)
        if msg:
            return msg[:300]
    return (messages[0] if messages else "")[:300]


def _flink_message(e: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(e.read() or b"{}")
    except ValueError:
        body = {}
    errors = body.get("errors") if isinstance(body, dict) else None
    if errors:
        return _first_line(str(errors[0])) or f"HTTP {e.code}"
    return f"HTTP {e.code} {e.reason}"


def _reason(reason: Any) -> str:
    text = getattr(reason, "strerror", None) or str(reason)
    return text.lower() if text else "no answer"


def _is_source_in(metric_id: str) -> bool:
    """``Source__KafkaSource-default_catalog_default_database_clicks.numRecordsIn``: records a source read."""
    return metric_id.startswith("Source__") and metric_id.endswith(".numRecordsIn")

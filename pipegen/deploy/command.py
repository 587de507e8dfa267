"""`pipegen deploy`, `status` and `stop` from their options to their output lines; the CLI only parses flags.

- deploy: the project's statements, compiled for the broker the cluster reaches (``config/local.yaml``'s
  ``kafka.bootstrap_servers``, or ``--bootstrap-servers``), submitted as one job (one statement set when there
  are several sinks) by PyFlink in a worker process (``pipegen.deploy.submit``), then watched until it runs.
- status and stop: the JobManager's REST API only. A project's jobs are the cluster's jobs named after its
  pipeline (``pipeline.name``).

A plain savepoint path is a folder on this machine and is checked here; a URI (``file:///...``, ``s3://...``)
is the cluster's own path and is passed as it is (a cluster in a container or on another machine).
"""

from __future__ import annotations

import dataclasses

import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipegen.deploy.errors import DeployError
from pipegen.deploy.rest import JobManager, JobInfo, normalize_url

SUBMIT_TIMEOUT = 300.0  # seconds for the worker's JVM to start, plan and submit (measured: 20-40 s here)
RUNNING_TIMEOUT = 120.0  # seconds for a submitted job to have every task RUNNING (measured: 3-10 s here)
DEFAULT_URL = "http://localhost:8081"

Echo = Callable[[str], None]


@dataclass
class DeployOptions:
    project: Path
    flink_url: str | None = None
    bootstrap_servers: str | None = None
    schema_registry: str | None = None
    from_savepoint: str | None = None
    jars: list[str] | None = None
    kafka_config: str | None = None  # a Kafka client properties file (TLS, SASL) for the job's Kafka tables


# ------------------------------------------------------------------------------------------- the project
def flink_url(given: str | None, project: Path) -> str:
    """``--flink-url`` (or $PIPEGEN_FLINK_URL, which the CLI reads), else config/local.yaml's ``flink.web_ui``
    (the generated stack's JobManager), else http://localhost:8081."""
    if given:
        return normalize_url(given)
    conf = _local_yaml(project)
    url = (conf.get("flink") or {}).get("web_ui") if isinstance(conf.get("flink"), dict) else None
    return normalize_url(str(url) if url else DEFAULT_URL)


def _local_yaml(project: Path) -> dict[str, Any]:
    path = project / "config" / "local.yaml"
    if not path.is_file():
        return {}
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise DeployError(f"cannot read {path}: {str(e).splitlines()[0]}",
                          "fix the file, or give the addresses as flags (--flink-url, --bootstrap-servers)") from None
    return data if isinstance(data, dict) else {}


def pipeline_name(project: Path) -> str:
    """The name of the project's pipeline: its jobs on the cluster carry it."""
    from pipegen import api

    spec_file = project / "pipeline.pgl"
    if not spec_file.is_file():
        raise DeployError(f"{project} is not a compiled PipeGen project (no pipeline.pgl)",
                          f"give the project folder, or compile one first: pipegen compile SPEC.pgl -o {project}")
    try:
        text = spec_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise DeployError(f"cannot read {spec_file}: {e}", "check the file's permissions and encoding") from None
    result = api.check(text, str(spec_file))
    if result.spec is None:
        raise DeployError(f"{spec_file} has errors", f"see them with: pipegen validate {spec_file}", code=1)
    return result.spec.pipeline.name


def _statements(opts: DeployOptions) -> tuple[Any, list[Any], dict[str, str]]:
    """(spec, statements, SET settings) of the job, for the broker and registry the cluster reaches."""
    from pipegen.compiler.project import build_statements
    from pipegen.compiler.targets.base import Settings
    from pipegen.run import client_config
    from pipegen.run.errors import RunError
    from pipegen.run.session import load_project

    conf = _local_yaml(opts.project)
    kafka = conf.get("kafka") if isinstance(conf.get("kafka"), dict) else {}
    registry = conf.get("schema_registry") if isinstance(conf.get("schema_registry"), dict) else {}
    bootstrap = opts.bootstrap_servers or str(kafka.get("bootstrap_servers") or "localhost:9092")
    registry_url = opts.schema_registry or str(registry.get("url") or "http://localhost:8081")
    try:
        # the checks of `pipegen run`: a compiled project whose sql/local/ is what pipeline.pgl compiles to,
        # reading and writing Kafka topics
        project = load_project(opts.project, bootstrap)
    except RunError as e:
        raise DeployError(str(e), e.hint, e.code) from None
    # the project's own tables (formats as the spec says), for this broker and registry
    settings = Settings({"bootstrap_servers": bootstrap, "schema_registry_url": registry_url})
    statements, _ = build_statements(project.analysis, ("local",), settings)["local"]
    try:
        client = client_config.load(opts.kafka_config, librdkafka=False)
    except RunError as e:
        raise DeployError(str(e), e.hint, e.code) from None
    statements = [dataclasses.replace(st, sql=client.with_tables(st.sql)) for st in statements]
    return project.spec, statements, project.settings


def _savepoint_to_resume(given: str) -> str:
    """The savepoint to start from: a URI as it is; a plain path must be a savepoint (a folder with
    ``_metadata``) or a folder holding some (the newest is taken), on this machine."""
    if "://" in given:
        return given
    path = Path(given).expanduser().resolve()
    if not path.is_dir():
        raise DeployError(f"--from-savepoint {given}: no such folder",
                          "give the folder `pipegen stop --savepoint DIR` wrote to (or the savepoint-* inside "
                          "it); for a cluster elsewhere give its path as a URI: file:///..., s3://...")
    if (path / "_metadata").is_file():
        return str(path)
    found = sorted((p for p in path.glob("savepoint-*") if (p / "_metadata").is_file()),
                   key=lambda p: p.stat().st_mtime, reverse=True)
    if not found:
        raise DeployError(f"--from-savepoint {given}: no savepoint in that folder (no _metadata, no savepoint-*)",
                          "give the folder `pipegen stop --savepoint DIR` wrote to")
    return str(found[0])


# ------------------------------------------------------------------------------------------- deploy
def deploy(opts: DeployOptions, echo: Echo, status: Echo) -> int:
    # what can be checked here first, then the cluster
    jm = JobManager(flink_url(opts.flink_url, opts.project))
    savepoint = _savepoint_to_resume(opts.from_savepoint) if opts.from_savepoint else None
    spec, statements, settings = _statements(opts)
    name = spec.pipeline.name
    jars = _jars(opts.jars)
    version = jm.overview()["flink-version"]
    running = [j for j in jm.jobs(name) if j.active]
    if running:
        j = running[0]
        raise DeployError(f"job {j.job_id} of {name} is already {j.state} on {jm.url}",
                          f"stop it first: pipegen stop {opts.project} --flink-url {jm.url} [--savepoint DIR]")
    settings = dict(settings)
    settings.update(_remote_settings(jm.url))
    if savepoint:
        settings["execution.savepoint.path"] = savepoint
    status(f"submitting {name} to Flink {version} at {jm.url}" + (f" from {savepoint}" if savepoint else ""))
    t0, since_ms = time.monotonic(), int(time.time() * 1000) - 5000
    try:
        job_id = _submit([s.sql for s in statements], settings, jars, [s.file for s in statements])
    except KeyboardInterrupt:
        # the worker may have submitted already: a job of this deploy is not left behind
        _cancel_new(jm, name, since_ms)
        raise
    submitted_s = time.monotonic() - t0
    try:
        state = _wait_running(jm, job_id)
    except KeyboardInterrupt:
        _cancel_quietly(jm, job_id)
        raise
    echo(f"deployed {name}: job {job_id} is {state} on {jm.url} (submitted in {submitted_s:.0f} s, "
         f"running {time.monotonic() - t0 - submitted_s:.0f} s later)")
    echo(f"  web UI: {jm.web_link(job_id)}")
    if savepoint:
        echo(f"  resumed from {savepoint}")
    echo(f"  watch it: pipegen status {opts.project} --flink-url {jm.url}")
    return 0


def _jars(explicit: list[str] | None) -> list[str]:
    from pipegen.engine.flink import FlinkUnavailable, _find_java, connector_jars

    try:
        import pyflink  # noqa: F401
    except ImportError:
        raise DeployError("PyFlink is not installed: deploy builds the job with it",
                          "install the extra: pip install 'pipegen[flink]'") from None
    if _find_java() is None:
        raise DeployError("Java not found (no JAVA_HOME, no `java` on PATH): deploy builds the job with Flink",
                          "install a Java 17 runtime (e.g. apt-get install openjdk-17-jre-headless) and put `java` "
                          "on PATH or set JAVA_HOME")
    try:
        return [str(j) for j in connector_jars(explicit)]
    except FlinkUnavailable as e:
        raise DeployError(e.message, e.hint) from None


def _remote_settings(url: str) -> dict[str, str]:
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    out = {"execution.target": "remote", "rest.address": parts.hostname or "localhost", "rest.port": str(port)}
    if parts.scheme == "https":
        out["security.ssl.rest.enabled"] = "true"
    if parts.path:
        out["rest.path"] = parts.path
    return out


def _submit(statements: list[str], settings: dict[str, str], jars: list[str], files: list[str]) -> str:
    """The job id, once the worker submitted the job; a DeployError with Flink's reason otherwise."""
    work = Path(tempfile.mkdtemp(prefix="pipegen-deploy-"))
    keep = True
    try:
        cfg = work / "submit.json"
        cfg.write_text(json.dumps({"statements": statements, "settings": settings, "jars": jars,
                                   "log_dir": str(work)}, indent=1), encoding="utf-8")
        with open(work / "worker.log", "wb") as log:
            worker = subprocess.Popen([sys.executable, "-m", "pipegen.deploy.submit", str(cfg)],
                                      stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                                      start_new_session=True, text=True)
        try:
            line = _read_line(worker, SUBMIT_TIMEOUT)
        except KeyboardInterrupt:
            _end(worker, 0)
            raise
        finally:
            _end(worker)
        if line is None:
            raise DeployError(f"Flink did not build and submit the job within {SUBMIT_TIMEOUT:.0f} s",
                              f"see the logs in {work}")
        event = json.loads(line) if line.strip() else {"event": "error", "message": "the submitting JVM ended",
                                                        "statement": None}
        if event["event"] != "submitted":
            i = event.get("statement")
            where = f" ({files[i]})" if isinstance(i, int) else ""
            raise DeployError(f"Flink refused the job{where}: {event['message']}",
                              event.get("hint") or _refusal_hint(event["message"], work))
        keep = False
        return event["job_id"]
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def _refusal_hint(message: str, work: Path) -> str:
    if "avro-confluent" in message:
        return ("the avro-confluent format is not in Flink's PyPI package: give its jar "
                "(flink-sql-avro-confluent-registry) with --jars, and put it in the cluster's lib/ too")
    if "savepoint" in message.lower():
        return "check the savepoint path (the cluster must be able to read it) and that it is this pipeline's"
    return f"see the logs in {work}"


def _read_line(worker: subprocess.Popen, timeout: float) -> str | None:
    out: list[str] = []
    t = threading.Thread(target=lambda: out.append(worker.stdout.readline()), daemon=True)
    t.start()
    t.join(timeout)
    return out[0] if out else None


def _end(worker: subprocess.Popen, grace: float = 10.0) -> None:
    """Wait ``grace`` seconds for the worker to end, then kill it and its JVM."""
    import os
    import signal

    try:
        worker.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(worker.pid, signal.SIGKILL)
        except OSError:
            pass
        worker.wait(5)


def _wait_running(jm: JobManager, job_id: str) -> str:
    """Wait until every task of the job runs; a job that fails or restarts first is cancelled (nothing is
    left behind half-started) and reported with its cause."""
    deadline = time.monotonic() + RUNNING_TIMEOUT
    while time.monotonic() < deadline:
        job = jm.job(job_id)
        state = job.get("state", "UNKNOWN")
        vertices = job.get("vertices", [])
        if state == "RUNNING" and vertices and all(v.get("status") == "RUNNING" for v in vertices):
            return state
        if state in ("FAILING", "FAILED", "RESTARTING", "CANCELED", "CANCELLING", "FINISHED"):
            cause = jm.cause(job_id)
            _cancel_quietly(jm, job_id)
            raise DeployError(f"job {job_id} is {state} right after its start" + (f": {cause}" if cause else ""),
                              "it was cancelled; check that the cluster reaches the broker "
                              "(--bootstrap-servers, as the cluster sees it) and see the job's exceptions in the "
                              f"web UI: {jm.web_link(job_id, running=False)}")
        time.sleep(0.5)
    _cancel_quietly(jm, job_id)
    raise DeployError(f"job {job_id} did not have every task RUNNING within {RUNNING_TIMEOUT:.0f} s; it was "
                      "cancelled", "check that the cluster has free task slots (pipegen status lists its jobs)")


def _cancel_new(jm: JobManager, name: str, since_ms: int) -> None:
    try:
        for j in jm.jobs(name):
            if j.active and j.start_ms >= since_ms:
                _cancel_quietly(jm, j.job_id)
    except DeployError:
        pass


def _cancel_quietly(jm: JobManager, job_id: str) -> None:
    try:
        jm.cancel(job_id, 30.0)
    except DeployError:
        pass


# ------------------------------------------------------------------------------------------- status
def status(project: Path, url: str | None, echo: Echo) -> int:
    name = pipeline_name(project)
    jm = JobManager(flink_url(url, project))
    jm.overview()
    jobs = jm.jobs(name)
    if not jobs:
        echo(f"no job of {name} on {jm.url}")
        echo(f"  deploy it: pipegen deploy {project} --flink-url {jm.url}")
        return 0
    # The JobManager fetches its task managers' metrics when asked, if its copy is older than
    # metrics.fetcher.update-interval (10 s by default), and answers with the old copy meanwhile: ask once,
    # give the fetch a second, then read.
    if any(j.state == "RUNNING" for j in jobs):
        for j in jobs:
            if j.state == "RUNNING":
                jm.warm_metrics(j.job_id)
        time.sleep(1.0)
    rows = [("JOB", "STATE", "UPTIME", "RECORDS IN", "RECORDS OUT", "LAST CHECKPOINT")]
    rows += [_status_row(jm, j) for j in jobs]
    echo(f"{name} on {jm.url}:")
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        echo("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    for j in jobs:
        if j.state in ("FAILING", "FAILED", "RESTARTING"):
            cause = jm.cause(j.job_id)
            echo(f"  {j.job_id} is {j.state}" + (f": {cause}" if cause else ""))
        if j.active:
            echo(f"  web UI: {jm.web_link(j.job_id)}")
    return 0


def _status_row(jm: JobManager, j: JobInfo) -> tuple[str, ...]:
    read = written = None
    checkpoint = "-"
    try:
        if j.state == "RUNNING":
            read, written = jm.records(j.job_id, jm.job(j.job_id).get("vertices", []))
        last = jm.last_checkpoint(j.job_id)
    except DeployError:
        last = None
    if last is not None and last.get("restored"):
        checkpoint = f"none yet (resumed from {last['path']})"
    elif last is not None:
        ago = max(0.0, time.time() - last["ms"] / 1000)
        checkpoint = f"{'savepoint' if last['savepoint'] else 'checkpoint'} {last['id']}, {_span(ago)} ago"
    return (j.job_id, j.state, _span(j.duration_ms / 1000), _count(read), _count(written), checkpoint)


def _span(seconds: float) -> str:
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def _count(n: int | None) -> str:
    return "-" if n is None else f"{n:,}"


# ------------------------------------------------------------------------------------------- stop
def stop(project: Path, url: str | None, savepoint_dir: str | None, echo: Echo, status: Echo) -> int:
    name = pipeline_name(project)
    jm = JobManager(flink_url(url, project))
    target = _savepoint_target(savepoint_dir) if savepoint_dir else None
    jm.overview()
    active = [j for j in jm.jobs(name) if j.active]
    if not active:
        raise DeployError(f"no job of {name} is running on {jm.url}",
                          f"pipegen status {project} --flink-url {jm.url} lists its jobs")
    for j in active:
        if target is None:
            status(f"cancelling job {j.job_id}")
            state = jm.cancel(j.job_id)
            echo(f"stopped {name}: job {j.job_id} is {state}")
            continue
        status(f"stopping job {j.job_id} with a savepoint in {target}")
        location = jm.stop_with_savepoint(j.job_id, target)
        resume = location[len("file:"):] if location.startswith("file:/") else location
        echo(f"stopped {name}: job {j.job_id} with a savepoint at {location}")
        echo(f"  resume it: pipegen deploy {project} --flink-url {jm.url} --from-savepoint {resume}")
    return 0


def _savepoint_target(given: str) -> str:
    if "://" in given:
        return given
    path = Path(given).expanduser().resolve()
    if not path.is_dir():
        raise DeployError(f"--savepoint {given}: no such folder",
                          f"create it first (mkdir -p {given}); for a cluster in a container or on another "
                          "machine give its own path as a URI: file:///..., s3://...")
    return str(path)

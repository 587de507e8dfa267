"""`pipegen deploy/status/stop --target cloud`: the project's ``sql/cloud/`` as statements of Confluent Cloud for
Apache Flink, through its statements REST API (``/sql/v1/organizations/{org}/environments/{env}/statements``).

- deploy: one statement at a time, in the order of the files; each DDL statement is waited for until it is
  COMPLETED, the INSERT until it is RUNNING (or FAILED). Statement names come from the project
  (``targets.cloud.statement_name``), so a second deploy finds the first one's statements: one with the same
  SQL is reused, never duplicated. When a statement fails, or the API refuses a call, the statements this
  deploy created are deleted again (the tables and views they made stay: a statement's record is not its
  result), and the error says so, or names the ones it could not delete.
- status: each statement of the project with its phase and Confluent's detail.
- stop: the INSERT stopped (``spec.stopped`` set through the API's PATCH, a JSON Patch of ``/spec/stopped``):
  Confluent keeps its state and offsets, and the next deploy resumes it where it stopped when nothing of the
  project changed (the same PATCH, ``false``); a changed project replaces it, without the old state.
  ``stop --delete`` deletes the project's statements instead, the INSERT first.

Everything comes from the environment, never from a file (see :data:`ENV`); the key and secret are sent as
HTTP Basic credentials and never printed.

A client of its own on urllib, as ``rest.py`` is for the JobManager, not PyPI's ``confluent-sql`` (0.7.0,
Confluent's DB-API driver for this API, read on 2026-12-01): it does create, read, list and delete statements,
but retries a 429 only on GET and without its Retry-After ("Honoring a Retry-After header on 429/503 is out of
scope", its retry.py), treats an existing statement name as an error, and brings httpx with four more
packages (5.8 MB); ``import confluent_sql`` took 350-600 ms here against 90-130 ms for urllib and json.
``confluent-flink-table-api-python-plugin`` is a fork of PyFlink 1.20 (its own ``pyflink`` package and jars)
that would replace the apache-flink 2.3 PipeGen plans with.
"""

from __future__ import annotations

import base64
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipegen import httpjson
from pipegen.deploy.errors import DeployError

Echo = Callable[[str], None]

# What deploy, status and stop read from the environment (config/cloud.yaml names the same variables).
ENV = {
    "organization": "CONFLUENT_ORGANIZATION_ID",
    "environment": "CONFLUENT_ENVIRONMENT_ID",
    "compute_pool": "CONFLUENT_COMPUTE_POOL_ID",
    "database": "CONFLUENT_KAFKA_CLUSTER",
    "api_key": "CONFLUENT_FLINK_API_KEY",
    "api_secret": "CONFLUENT_FLINK_API_SECRET",
}
ENDPOINT_ENV = "CONFLUENT_FLINK_REST_ENDPOINT"  # else https://flink.<region>.<provider>.confluent.cloud
PROVIDER_ENV, REGION_ENV = "CONFLUENT_CLOUD_PROVIDER", "CONFLUENT_CLOUD_REGION"

DDL_TIMEOUT = 180.0  # seconds for a CREATE / ALTER to be COMPLETED
INSERT_TIMEOUT = 600.0  # seconds for an INSERT to be RUNNING (a compute pool may have to scale up first)
RATE_LIMIT_RETRIES = 5
RATE_LIMIT_WAIT_MAX = 60.0  # seconds, at most, for one Retry-After
TERMINAL = ("COMPLETED", "FAILED", "STOPPED")


@dataclass(frozen=True)
class CloudConfig:
    organization: str
    environment: str
    compute_pool: str
    database: str
    endpoint: str
    api_key: str = field(repr=False)
    api_secret: str = field(repr=False)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, *, deploying: bool = True) -> CloudConfig:
        """The settings, from the environment; every one missing is named in one error."""
        env = dict(os.environ if env is None else env)
        need = [k for k in ENV if deploying or k not in ("compute_pool", "database")]
        missing = [ENV[k] for k in need if not env.get(ENV[k], "").strip()]
        endpoint = env.get(ENDPOINT_ENV, "").strip()
        if not endpoint:
            provider, region = env.get(PROVIDER_ENV, "").strip().lower(), env.get(REGION_ENV, "").strip().lower()
            if provider and region:
                endpoint = f"https://flink.{region}.{provider}.confluent.cloud"
            else:
                missing.append(f"{ENDPOINT_ENV} (or {PROVIDER_ENV} and {REGION_ENV})")
        if missing:
            raise DeployError(f"Confluent Cloud settings missing from the environment: {', '.join(missing)}",
                              "export them (config/cloud.yaml lists them), e.g. export "
                              f"{missing[0].split(' ')[0]}=...; IDs are in the Cloud Console or `confluent "
                              "environment list`, `confluent flink compute-pool list`")
        endpoint = endpoint.rstrip("/")
        parts = urllib.parse.urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DeployError(f"{ENDPOINT_ENV}={endpoint} is not an http(s) address",
                              "set it to the region's Flink endpoint, e.g. https://flink.us-east-1.aws.confluent.cloud")
        return cls(**{k: env.get(ENV[k], "").strip() for k in ENV}, endpoint=endpoint)


# ------------------------------------------------------------------------------------------- the API
class Statements:
    """The statements of one environment: ``get``, ``create``, ``delete``, each one HTTP call (429s retried
    after their Retry-After). Every failure is a one-line :class:`DeployError`."""

    def __init__(self, cfg: CloudConfig, timeout: float = 30.0, sleep: Callable[[float], None] = time.sleep):
        self.cfg = cfg
        self.base = (f"{cfg.endpoint}/sql/v1/organizations/{urllib.parse.quote(cfg.organization)}"
                     f"/environments/{urllib.parse.quote(cfg.environment)}/statements")
        self.timeout = timeout
        self.sleep = sleep
        token = base64.b64encode(f"{cfg.api_key}:{cfg.api_secret}".encode()).decode()
        self._auth = f"Basic {token}"

    def _call(self, method: str, path: str = "", body: Any = None, missing_ok: bool = False,
              content_type: str = "application/json") -> Any:
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            try:
                return httpjson.call(self.base + path, method, body, timeout=self.timeout, content_type=content_type,
                                     headers={"Authorization": self._auth, "Accept": "application/json"})
            except urllib.error.HTTPError as e:
                if e.code == 404 and missing_ok:
                    return None
                if e.code == 429 and attempt < RATE_LIMIT_RETRIES:
                    self.sleep(_retry_after(e.headers.get("Retry-After"), attempt))
                    continue
                raise self._http_error(method, e) from None
            except httpjson.Unreachable as e:
                raise DeployError(f"cannot reach Confluent Cloud's Flink endpoint {self.cfg.endpoint} "
                                  f"({getattr(e.reason, 'strerror', None) or e.reason})",
                                  f"check {ENDPOINT_ENV} (or {PROVIDER_ENV} and {REGION_ENV}: the compute pool's "
                                  "cloud and region) and this machine's network") from None
            except httpjson.NotJson:
                raise DeployError(f"{self.cfg.endpoint} did not answer as Confluent's Flink statements API does "
                                  "(not JSON)", f"set {ENDPOINT_ENV} to the region's Flink endpoint, e.g. "
                                  "https://flink.us-east-1.aws.confluent.cloud") from None
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _http_error(self, method: str, e: urllib.error.HTTPError) -> DeployError:
        detail = _detail(e)
        env = self.cfg.environment
        if e.code == 401:
            err = DeployError(f"Confluent Cloud refused the Flink API key in {ENV['api_key']} (401: wrong or "
                              f"expired{': ' + detail if detail else ''})",
                              "create a Flink API key for the compute pool's region (confluent api-key create "
                              f"--resource flink --environment {env} --cloud CLOUD --region REGION) and export "
                              f"{ENV['api_key']} and {ENV['api_secret']}")
        elif e.code == 403:
            err = DeployError(f"the Flink API key may not manage statements in environment {env} (403"
                              f"{': ' + detail if detail else ''})",
                              "give its owner the FlinkDeveloper role in that environment, or use a key of "
                              "one who has it")
        elif e.code == 404:
            err = DeployError(f"Confluent Cloud knows no statements API for organization {self.cfg.organization}, "
                              f"environment {env} at {self.cfg.endpoint} (404{': ' + detail if detail else ''})",
                              f"check {ENV['organization']}, {ENV['environment']} and {ENDPOINT_ENV} (the region "
                              "of the compute pool)")
        elif e.code == 429:
            err = DeployError(f"Confluent Cloud kept answering 429 (rate limit) after {RATE_LIMIT_RETRIES} "
                              "retries", "wait a minute, then run the same command again")
        elif e.code >= 500:
            err = DeployError(f"Confluent Cloud failed {method} with {e.code}{': ' + detail if detail else ''}",
                              "try again in a few minutes (https://status.confluent.cloud)")
        else:
            err = DeployError(f"Confluent Cloud refused the statement ({e.code}{': ' + detail if detail else ''})",
                              "fix pipeline.pgl, compile again and deploy")
        err.http_status = e.code
        return err

    def check(self) -> None:
        """One list call: the endpoint, the organization, the environment and the key are right."""
        self._call("GET", "?page_size=1")

    def get(self, name: str) -> dict[str, Any] | None:
        return self._call("GET", f"/{urllib.parse.quote(name)}", missing_ok=True)

    def create(self, name: str, sql: str, properties: dict[str, str]) -> dict[str, Any]:
        spec = {"statement": sql, "properties": properties, "compute_pool_id": self.cfg.compute_pool,
                "stopped": False}
        return self._call("POST", "", {"name": name, "organization_id": self.cfg.organization,
                                       "environment_id": self.cfg.environment, "spec": spec})

    def delete(self, name: str) -> None:
        self._call("DELETE", f"/{urllib.parse.quote(name)}", missing_ok=True)

    def set_stopped(self, name: str, stopped: bool) -> dict[str, Any]:
        """Stop (``True``) or resume a statement: a JSON Patch of its ``spec.stopped``, as Confluent documents."""
        return self._call("PATCH", f"/{urllib.parse.quote(name)}",
                          [{"op": "replace", "path": "/spec/stopped", "value": stopped}],
                          content_type="application/json-patch+json")


def _retry_after(header: str | None, attempt: int) -> float:
    """Confluent's Retry-After is in seconds (relative); without one, 1, 2, 4... seconds."""
    try:
        wait = float(header) if header is not None else 2.0 ** attempt
    except ValueError:
        wait = 2.0 ** attempt
    return max(0.0, min(wait, RATE_LIMIT_WAIT_MAX))


def _detail(e: urllib.error.HTTPError) -> str:
    """Confluent's error text: ``{"errors": [{"detail": ...}]}`` (its API's error format), else ``message``."""
    try:
        body = json.loads(e.read() or b"{}")
    except (ValueError, OSError):
        return ""
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return _one_line(str(errors[0].get("detail") or errors[0].get("title") or ""))
        return _one_line(str(body.get("message") or body.get("error") or ""))
    return ""


def _one_line(text: str) -> str:
    return " ".join(text.split())[:400]


def _phase(st: dict[str, Any] | None) -> str:
    return str(((st or {}).get("status") or {}).get("phase") or "UNKNOWN")


def _status_detail(st: dict[str, Any] | None) -> str:
    return _one_line(str(((st or {}).get("status") or {}).get("detail") or ""))


def _sql_of(st: dict[str, Any]) -> str:
    return str((st.get("spec") or {}).get("statement") or "")


# ------------------------------------------------------------------------------------------- the project
@dataclass(frozen=True)
class CloudStatement:
    file: str  # under sql/cloud/
    name: str  # on Confluent Cloud
    phase: str  # source | view | sink | insert | ...
    sql: str
    drop: str | None = None  # how to remove what it made, when it is a view: DROP VIEW IF EXISTS ...


@dataclass(frozen=True)
class CloudProject:
    path: Path
    pipeline: str
    statements: list[CloudStatement]
    properties: dict[str, str]  # the SET lines of pipeline.sql, for every statement


def load(project: Path) -> CloudProject:
    """The project's cloud statements, as ``pipeline.pgl`` compiles them, once ``sql/cloud/`` is checked to be
    just that (a statement is immutable on Confluent Cloud: what runs there is what the files say)."""
    from pipegen import api
    from pipegen.compiler.targets.cloud import CloudTarget, statement_name

    spec_file = project / "pipeline.pgl"
    if not spec_file.is_file() or not (project / "sql" / "cloud").is_dir():
        raise DeployError(f"{project} is not a compiled PipeGen project with a cloud target (no pipeline.pgl "
                          "and sql/cloud/)", f"compile one first: pipegen compile SPEC.pgl -o {project}")
    try:
        text = spec_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise DeployError(f"cannot read {spec_file}: {e}", "check the file's permissions and encoding") from None
    checked = api.check(text, str(spec_file))
    built = api.build(checked, ("cloud",), required=True) if checked.ok else None
    if built is None or not built.ok:
        diags = (built.diagnostics if built is not None else checked.diagnostics)
        first = next(d for d in diags if d.severity == "error")
        raise DeployError(f"{spec_file}:{first.span.line if first.span else 1}: {first.code} {first.message}",
                          f"fix the spec, then: pipegen compile {spec_file} -o {project} --force", code=1)
    spec = checked.spec
    target = CloudTarget(checked.analysis)
    out = []
    for st in built.statements["cloud"]:
        f = project / "sql" / "cloud" / st.file
        try:
            on_disk = f.read_text(encoding="utf-8")
        except OSError:
            on_disk = None
        if on_disk != st.sql + ";\n":
            raise DeployError(f"{f} is not what pipeline.pgl compiles to (edited, or compiled by another version)",
                              f"compile the project again: pipegen compile {spec_file} -o {project} --force")
        out.append(CloudStatement(st.file, statement_name(spec.pipeline.name, st.file), st.phase, st.sql,
                                  target.drop_of(st)))
    return CloudProject(project, spec.pipeline.name, out, target.properties())


# ------------------------------------------------------------------------------------------- deploy
class _Run:
    """One deploy: what it created, so that a failure can take it back."""

    def __init__(self, api: Statements, echo: Echo, status: Echo, poll: float):
        self.api, self.echo, self.status, self.poll = api, echo, status, poll
        self.created: list[str] = []

    def submit(self, name: str, sql: str, properties: dict[str, str], what: str) -> dict[str, Any]:
        try:
            got = self.api.create(name, sql, properties)
        except DeployError as e:
            if getattr(e, "http_status", None) != 409:
                raise DeployError(f"{what}: {e}", e.hint, e.code) from None
            # made meanwhile by someone else (409 Conflict): it is theirs, not this run's
            got = self.api.get(name) or {}
        else:
            self.created.append(name)
        return got

    def wait(self, name: str, st: dict[str, Any], insert: bool, what: str) -> dict[str, Any]:
        """Until the DDL is COMPLETED, or the INSERT RUNNING; a FAILED one is an error with Confluent's detail."""
        deadline = time.monotonic() + (INSERT_TIMEOUT if insert else DDL_TIMEOUT)
        delay = min(0.25, self.poll)  # a DDL statement is done in a second or two: look again soon, then every poll
        while True:
            phase = _phase(st)
            if phase == "FAILED" or phase == "FAILING":
                raise DeployError(f"Confluent Cloud failed {what}: {_status_detail(st) or phase}",
                                  "fix pipeline.pgl (or the topic's schema it reads), compile again and deploy")
            if phase == "COMPLETED" or (insert and phase == "RUNNING"):
                return st
            if phase == "DELETING" or (phase == "STOPPED" and (st.get("spec") or {}).get("stopped") is not False):
                raise DeployError(f"{what} is {phase} on Confluent Cloud", "deploy again")
            if time.monotonic() > deadline:
                raise DeployError(f"{what} is still {phase} after {INSERT_TIMEOUT if insert else DDL_TIMEOUT:.0f} s"
                                  + (f" ({_status_detail(st)})" if _status_detail(st) else ""),
                                  "check the compute pool (confluent flink compute-pool describe "
                                  f"{self.api.cfg.compute_pool}): it may be at its CFU limit")
            time.sleep(delay)
            delay = min(delay * 2, self.poll)
            st = self.api.get(name) or {"status": {"phase": "DELETING"}}

    def take_back(self) -> str:
        """Delete what this run created, newest first; what the user is told about it."""
        left = []
        for name in reversed(self.created):
            try:
                self.api.delete(name)
            except DeployError:
                left.append(name)
        done = len(self.created) - len(left)
        if not self.created:
            return "this deploy created no statement"
        if not left:
            return (f"the {done} statement(s) this deploy created were deleted (tables and views they made stay; "
                    "deploying again reuses them)")
        return (f"these statements of this deploy remain, delete them: confluent flink statement delete "
                f"{' '.join(left)} --environment {self.api.cfg.environment}")


def deploy(project: Path, echo: Echo, status: Echo, *, poll: float = 1.0, env: dict[str, str] | None = None) -> int:
    cfg = CloudConfig.from_env(env)
    proj = load(project)
    api = Statements(cfg)
    api.check()
    props = {**proj.properties, "sql.current-catalog": cfg.environment, "sql.current-database": cfg.database}
    status(f"deploying {proj.pipeline} to Confluent Cloud: environment {cfg.environment}, compute pool "
           f"{cfg.compute_pool}, database {cfg.database} ({len(proj.statements)} statements)")
    existing = {s.name: api.get(s.name) for s in proj.statements}
    changed = [s for s in proj.statements if existing[s.name] is not None and _sql_of(existing[s.name]) != s.sql]
    insert = next((s for s in proj.statements if s.phase == "insert"), None)
    if insert is not None and changed and _phase(existing[insert.name]) in ("RUNNING", "PENDING"):
        raise DeployError(f"{proj.pipeline} runs on Confluent Cloud with other SQL than sql/cloud/ "
                          f"({changed[0].file} differs)",
                          f"stop it first: pipegen stop {project} --target cloud, then deploy again")
    run = _Run(api, echo, status, poll)
    if insert is not None and changed and _phase(existing[insert.name]) == "STOPPED":
        # it cannot resume on other SQL: it goes first, before the views it reads are changed under it
        status(f"  note: {insert.name} was stopped, and the project changed since: it is replaced, and the new "
               "statement starts without the old one's state")
        api.delete(insert.name)
        _wait_gone(run, insert.name)
        existing[insert.name] = None
    try:
        for s in proj.statements:
            _deploy_one(run, s, existing[s.name], props)
    except (DeployError, KeyboardInterrupt) as e:
        outcome = run.take_back()
        if isinstance(e, KeyboardInterrupt):
            status(f"interrupted: {outcome}")
            raise
        raise DeployError(str(e), f"{e.hint}; {outcome}" if e.hint else outcome, e.code) from None
    if insert is not None:
        echo(f"deployed {proj.pipeline}: {insert.name} is RUNNING on Confluent Cloud (environment "
             f"{cfg.environment})")
    else:
        echo(f"deployed {proj.pipeline}: every statement is COMPLETED on Confluent Cloud")
    echo(f"  watch it: pipegen status {project} --target cloud")
    if insert is not None:
        echo(f"  or: confluent flink statement describe {insert.name} --environment {cfg.environment}")
    return 0


def _deploy_one(run: _Run, s: CloudStatement, old: dict[str, Any] | None, props: dict[str, str]) -> None:
    """A stopped INSERT still here is of an unchanged project (``deploy`` deleted a changed one's): it goes on
    where it stopped."""
    what = f"{s.file} (statement {s.name})"
    insert = s.phase == "insert"
    if old is not None and _sql_of(old) == s.sql and _phase(old) in ("COMPLETED", "RUNNING", "PENDING"):
        st = run.wait(s.name, old, insert, what)
        run.echo(f"  {s.file}: {_phase(st)} (statement {s.name} exists, reused)")
        return
    if old is not None and insert and _sql_of(old) == s.sql and _phase(old) == "STOPPED":
        run.status(f"  resuming {s.name} (stopped)")
        st = run.wait(s.name, run.api.set_stopped(s.name, False), insert, what)
        run.echo(f"  {s.file}: {_phase(st)} (statement {s.name} resumed where it stopped)")
        return
    if old is not None:
        # a record of an earlier deploy (other SQL, or failed, or stopped): statements are immutable, so it goes;
        # a view it made is dropped too, as CREATE VIEW IF NOT EXISTS would keep the old one
        run.api.delete(s.name)
        if s.sql.startswith("CREATE TABLE") and _sql_of(old) != s.sql:
            run.status(f"  note: {s.file} differs from the statement of an earlier deploy; CREATE TABLE IF NOT EXISTS "
                       "keeps the table as it is (change it with ALTER TABLE; DROP TABLE deletes its topic)")
        if s.drop and _sql_of(old) != s.sql:
            drop = f"{s.name[:63 - len('-drop')].rstrip('-')}-drop"
            run.api.delete(drop)
            got = run.submit(drop, s.drop, props, f"{s.drop} (statement {drop})")
            run.wait(drop, got, False, f"{s.drop} (statement {drop})")
            run.api.delete(drop)
            run.created.remove(drop)
        _wait_gone(run, s.name)
    st = run.wait(s.name, run.submit(s.name, s.sql, props, what), insert, what)
    run.echo(f"  {s.file}: {_phase(st)} (statement {s.name})")


def _wait_gone(run: _Run, name: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while run.api.get(name) is not None:
        if time.monotonic() > deadline:
            raise DeployError(f"statement {name} of an earlier deploy is still being deleted after {timeout:.0f} s",
                              "deploy again in a minute")
        time.sleep(run.poll)


# ------------------------------------------------------------------------------------------- status, stop
def status(project: Path, echo: Echo, *, env: dict[str, str] | None = None) -> int:
    cfg = CloudConfig.from_env(env, deploying=False)
    proj = load(project)
    api = Statements(cfg)
    found = [(s, api.get(s.name)) for s in proj.statements]
    if all(st is None for _, st in found):
        echo(f"no statement of {proj.pipeline} on Confluent Cloud (environment {cfg.environment})")
        return 0
    echo(f"{proj.pipeline} on Confluent Cloud (environment {cfg.environment}):")
    for s, st in found:
        if st is None:
            echo(f"  {s.file}: not deployed")
            continue
        detail = _status_detail(st)
        echo(f"  {s.file}: {_phase(st)} (statement {s.name}){': ' + detail if detail else ''}")
    return 0


def stop(project: Path, echo: Echo, status_line: Echo, *, env: dict[str, str] | None = None,
         delete: bool = False, poll: float = 1.0) -> int:
    """The INSERT stopped (its state kept: the next deploy resumes it), or with ``delete`` every statement of the
    project deleted, the INSERT first."""
    cfg = CloudConfig.from_env(env, deploying=False)
    proj = load(project)
    api = Statements(cfg)
    # the INSERT first: it reads the views and writes the sinks
    order = sorted(proj.statements, key=lambda s: s.phase != "insert")
    found = [(s, api.get(s.name)) for s in order]
    found = [(s, st) for s, st in found if st is not None]
    if not found:
        raise DeployError(f"no statement of {proj.pipeline} is on Confluent Cloud (environment {cfg.environment})",
                          f"pipegen status {project} --target cloud lists them")
    if delete:
        for s, st in found:
            status_line(f"deleting {s.name} ({_phase(st)})")
            api.delete(s.name)
        echo(f"stopped {proj.pipeline}: deleted its {len(found)} statement(s) on Confluent Cloud; its tables, "
             "views and topics stay")
        return 0
    inserts = [(s, st) for s, st in found if s.phase == "insert"]
    live = [(s, st) for s, st in inserts if _phase(st) in ("RUNNING", "PENDING", "FAILING", "STOPPING")]
    if not live:
        what = ", ".join(f"{s.name} is {_phase(st)}" for s, st in inserts) or "its INSERT is not deployed"
        echo(f"nothing of {proj.pipeline} runs on Confluent Cloud ({what})")
        echo(f"  delete its statements: pipegen stop {project} --target cloud --delete")
        return 0
    for s, st in live:
        status_line(f"stopping {s.name} ({_phase(st)})")
        st = api.set_stopped(s.name, True)
        deadline = time.monotonic() + DDL_TIMEOUT
        while _phase(st) != "STOPPED":
            if _phase(st) in ("FAILED", "COMPLETED", "DELETING"):
                raise DeployError(f"{s.name} is {_phase(st)} instead of STOPPED on Confluent Cloud"
                                  + (f" ({_status_detail(st)})" if _status_detail(st) else ""),
                                  f"see pipegen status {project} --target cloud")
            if time.monotonic() > deadline:
                raise DeployError(f"{s.name} is still {_phase(st)} after {DDL_TIMEOUT:.0f} s (asked to stop)",
                                  f"see pipegen status {project} --target cloud; it stops on its own")
            time.sleep(poll)
            st = api.get(s.name) or {"status": {"phase": "DELETING"}}
        echo(f"stopped {proj.pipeline}: {s.name} is STOPPED on Confluent Cloud, its state kept")
    echo(f"  resume it: pipegen deploy {project} --target cloud (where it stopped, if the project is unchanged)")
    echo(f"  or delete its statements: pipegen stop {project} --target cloud --delete")
    return 0

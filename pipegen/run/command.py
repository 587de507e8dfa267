"""`pipegen run` from its flags to its exit code; the CLI only parses the flags.

Exit codes: 0 the run ended (at the end of its duration) with every sink row valid; 1 the project's spec has
errors; 2 the run could not start or the job failed (a user or environment problem, one line with the fix);
3 sink rows failed their schema check (PipeGen wrote SQL and schemas that disagree: a defect); 130 stopped
by Ctrl-C (or SIGTERM), after the same clean stop and summary.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pipegen.run.errors import RunError
from pipegen.run.plan import PlanError, make_plan, parse_time, parse_traffic


@dataclass
class RunOptions:
    project: Path
    duration: str = "2m"
    message_rate: float | None = None
    traffic_pattern: str | None = None
    speed: float | None = None
    seed: int = 1
    late: float = 0.01
    dry_run: bool = False
    keep_data: bool = False
    jars: list[str] | None = None
    dashboard_port: int | None = None
    report: Path | None = None
    bootstrap_servers: str | None = None  # the user's Kafka ("config": config/local.yaml's); None: embedded
    schema_registry: str | None = None
    recreate_topics: bool = False
    parallelism: int = 1
    kafka_config: str | None = None  # a Kafka client properties file: TLS, SASL


def _java_ok() -> bool:
    from pipegen.engine.flink import _find_java

    return _find_java() is not None


def execute(opts: RunOptions, echo: Callable[[str], None], status_err: Callable[[str], None]) -> int:
    from pipegen.run.live import plan_lines, summary_lines
    from pipegen.run.session import Session

    from pipegen.run import kafka

    project, plan = _prepare(opts)
    user = kafka.resolve(opts.project, opts.bootstrap_servers, opts.schema_registry, opts.recreate_topics,
                         opts.kafka_config)
    broker = user.describe(project.spec) if user is not None else None
    _check_report_path(opts.report)
    if opts.dry_run:
        for line in plan_lines(plan, str(opts.project), broker):
            echo(line)
        return 0
    _check_engine()
    if user is not None:  # the cluster answers, and its Avro topics can be run, before anything is made
        kafka.check(user, project.spec, _jars(opts.jars))
    for line in plan_lines(plan, str(opts.project), broker):
        status_err(line)
    session = Session(project, plan, jars=opts.jars, keep_data=opts.keep_data, kafka=user,
                      parallelism=plan.parallelism)
    metrics = _metrics(session, plan, project, broker)
    board = _dashboard(opts, project, metrics, status_err)
    interrupted = False

    def on_term(signum, frame):  # noqa: ANN001, ARG001
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, on_term)
    live = _Live(plan, status_err)
    try:
        session.run(live.update, live.status)
    except KeyboardInterrupt:
        interrupted = True
        session.close()
    finally:
        live.stop()
        signal.signal(signal.SIGTERM, old)
        if board is not None:
            board.stop()
    stats = session.stats
    if interrupted:
        echo("interrupted: the job was cancelled and the broker stopped" if user is None
             else "interrupted: the job was cancelled; the topics on your Kafka are kept")
    for line in summary_lines(stats, plan, session.reconciliation):
        echo(line)
    _write_report(opts.report, project, metrics, echo)
    if opts.keep_data:
        echo(f"run data kept in {session.dir}")
    if stats.errors and not interrupted:
        hint = f"run again with --keep-data to keep the logs ({session.dir})"
        if session.broker_lost and user is not None:
            hint = f"check that your Kafka at {user.bootstrap} is up, then run again (the job was cancelled)"
        raise RunError(f"the run did not complete: {stats.errors[0]}", hint)
    failed = sum(s.failed for s in stats.sinks.values())
    if failed:
        echo(f"error: {failed} sink rows failed their Avro schema check: the SQL and the schemas PipeGen wrote "
             "disagree; this is a bug in PipeGen, please report it with the spec")
        return 3
    return 130 if interrupted else 0


def _prepare(opts: RunOptions):  # noqa: ANN202 - (RunProject, RunPlan)
    from pipegen.run.session import load_project

    try:
        duration = parse_time(opts.duration, "--duration")
        traffic = parse_traffic(opts.traffic_pattern, duration)
        project = load_project(opts.project)
        plan = make_plan(project.spec, duration=duration, message_rate=opts.message_rate, traffic=traffic,
                         speed=opts.speed, seed=opts.seed, late_share=opts.late, parallelism=opts.parallelism)
    except PlanError as e:
        raise RunError(str(e), e.hint) from None
    return project, plan


def _check_engine() -> None:
    if not _java_ok():
        raise RunError("Java not found (no JAVA_HOME, no `java` on PATH): Flink needs it",
                       "install a Java 17 runtime (e.g. apt-get install openjdk-17-jre-headless) and put `java` "
                       "on PATH or set JAVA_HOME")
    try:
        import pyflink  # noqa: F401
    except ImportError:
        raise RunError("PyFlink is not installed", "install the extra: pip install 'pipegen[flink]'") from None


def _jars(explicit: list[str] | None) -> list[str]:
    from pipegen.engine.flink import FlinkUnavailable, connector_jars

    try:
        return [str(j) for j in connector_jars(explicit)]
    except FlinkUnavailable as e:
        raise RunError(e.message, e.hint) from None


def _metrics(session, plan, project, broker=None) -> Callable[[], dict]:  # noqa: ANN001
    from pipegen.run.dashboard import pipeline_graph

    from pipegen.run.live import plan_lines

    graph = pipeline_graph(project.spec)
    config = plan_lines(plan, str(project.path), broker)

    def metrics() -> dict:
        m = session.stats.snapshot()
        m.update(duration_s=plan.duration, speed=plan.speed, pipeline=graph, reconciliation=session.reconciliation,
                 config=config)
        return m
    return metrics


def _dashboard(opts: RunOptions, project, metrics, status_err):  # noqa: ANN001, ANN202
    if opts.dashboard_port is None:
        return None
    from pipegen.run.dashboard import Dashboard

    board = Dashboard(opts.dashboard_port, project.spec.pipeline.name, metrics)
    board.start()
    status_err(f"dashboard: {board.url}")
    return board


def _write_report(path: Path | None, project, metrics, echo) -> None:  # noqa: ANN001
    if path is None:
        return
    from pipegen.run.dashboard import write_report

    try:
        write_report(path, project.spec.pipeline.name, metrics())
    except OSError as e:
        raise RunError(f"cannot write the report {path}: {e.strerror}", "choose another path: --report FILE") from None
    echo(f"report: {path}")


def _check_report_path(path: Path | None) -> None:
    """Refuse a report path that cannot be written before the run, not after it."""
    if path is None:
        return
    if path.is_dir():
        raise RunError(f"--report {path} is a folder", f"give a file name, e.g. --report {path / 'report.html'}")
    if not path.parent.is_dir():
        raise RunError(f"--report {path}: no folder {path.parent}", "create it first, or choose another path")
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise RunError(f"--report {path}: {path.parent} is not writable", "choose another path: --report FILE")


class _Live:
    """The rich live view on a terminal; on anything else a progress line every 5 seconds (stderr)."""

    def __init__(self, plan, status_err: Callable[[str], None]):  # noqa: ANN001
        from rich.console import Console

        self.plan = plan
        self.status_err = status_err
        self.console = Console(stderr=True)
        self.live = None
        self.last_line = 0.0

    def status(self, text: str) -> None:
        if self.live is None:
            self.status_err(text)

    def update(self, stats) -> None:  # noqa: ANN001
        from pipegen.run.live import progress_line, view

        if self.console.is_terminal:
            if self.live is None:
                from rich.live import Live

                self.live = Live(view(stats, self.plan), console=self.console, refresh_per_second=2,
                                 transient=False)
                self.live.start()
            else:
                self.live.update(view(stats, self.plan))
        elif time.monotonic() - self.last_line >= 5:
            self.last_line = time.monotonic()
            self.status_err(progress_line(stats))

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None


def _stdout_ok() -> bool:
    return sys.stdout is not None

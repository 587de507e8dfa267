"""One run of a compiled project: broker, topics, the Flink job, the producer, the sinks read back, the
figures, and a clean stop (job cancelled, JVM and broker ended, temporary data removed) whatever happens.

The project's processing statements (functions, views, inserts) run exactly as they are in ``sql/local/``:
the run compiles ``pipeline.pgl`` again for the loopback broker and refuses to start when those statements
differ from the files (the project was edited or compiled by another version). Only the tables' connector
options differ: the loopback broker's address, and JSON values (no ``avro-confluent`` format jar for Flink
can be had without Maven; the Avro schemas are still checked, on the rows read back).

On the user's own Kafka (``kafka``) the session starts no broker: the schemas are registered, the topics
found or created, and the job's sources and the sinks' reader start at the offsets the topics had then.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipegen.compiler import ir
from pipegen.run.broker import INSTALL_HINT, Broker, free_port
from pipegen.run.errors import RunError
from pipegen.run.kafka import Codec, Topics, UserKafka
from pipegen.run.plan import RunPlan, sinks, sources
from pipegen.run.reconcile import checks as reconcile_checks
from pipegen.run.reconcile import reconcile
from pipegen.run.results import SinkChecker, ts_millis
from pipegen.run.stats import SinkStats, SourceStats, Stats

JOB_START_TIMEOUT = 240.0  # seconds for the JVM to start and the job to be submitted (measured: 5-65 s here)
DRAIN_QUIET = 3.0  # after the traffic, wait until the sinks were quiet this long ...
DRAIN_MAX = 30.0  # ... or this long at most
TICK = 0.01  # seconds between two batches of the producer
# Tansu answers a fetch with no new data only when the fetch's wait is over, even if records arrive meanwhile
# (measured: produce-to-consume 155 ms median, 502 ms at most with Kafka's 500 ms wait, 11 ms with 10 ms), so
# Flink's source and the sink reader ask with a short wait: 50 ms, as 10 ms cost Flink and the broker 0.09 and
# 0.07 of a core more in an idle run (bench/results/run.md). Run-only: a real broker answers as data arrives.
FETCH_WAIT_MS = 50
SOURCE_OPTIONS = {"properties.fetch.max.wait.ms": str(FETCH_WAIT_MS)}
# Job settings for latency (Flink's defaults in brackets): watermarks emitted every 50 ms (200 ms), network
# buffers flushed every 20 ms (100 ms); each hop of a watermark to the window that it closes waits for both.
LATENCY_SETTINGS = {"pipeline.auto-watermark-interval": "50 ms", "execution.buffer-timeout.interval": "20 ms"}


# ------------------------------------------------------------------------------------------- the project
@dataclass
class RunProject:
    path: Path
    spec: ir.Spec
    analysis: Any
    statements: list[Any]  # targets.base.Statement, for the loopback broker
    settings: dict[str, str]  # SET lines of the run
    schemas: dict[str, dict[str, Any]]  # sink name -> value schema


def load_project(path: Path, bootstrap: str = "127.0.0.1:9092", group: str = "pipegen-run",
                 registry_url: str | None = None) -> RunProject:
    """The project, its tables for ``bootstrap``: with JSON values, or with a ``registry_url`` Avro ones."""
    from pipegen.compiler.project import build_statements
    from pipegen.compiler.targets.base import Settings

    spec_file, result = _read_project(path)
    spec = result.spec
    _check_origins(spec)
    settings = Settings({"bootstrap_servers": bootstrap, "schema_registry_url": registry_url or "http://127.0.0.1:1"})
    stmts, _preamble = build_statements(result.analysis, ("local",), settings,
                                        planning=registry_url is None)["local"]
    _check_unchanged(path, spec_file, stmts)
    run_settings = {"pipeline.name": spec.pipeline.name, "parallelism.default": "1", **LATENCY_SETTINGS}
    if spec.pipeline.checkpoint is not None:
        run_settings["execution.checkpointing.interval"] = f"{spec.pipeline.checkpoint.millis} ms"
    if spec.pipeline.state_ttl is not None:
        run_settings["table.exec.state.ttl"] = f"{spec.pipeline.state_ttl.millis} ms"
    schemas = {}
    for k in sinks(spec):
        f = path / "schemas" / f"{k.name}-value.avsc"
        try:
            schemas[k.name] = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise RunError(f"cannot read the sink schema {f}: {e}",
                           f"compile the project again: pipegen compile {spec_file} -o {path} --force") from None
    # A run's source tables read as their own consumer group.
    stmts = [_regroup(st, group) for st in stmts]
    return RunProject(path, spec, result.analysis, stmts, run_settings, schemas)


def _read_project(path: Path) -> tuple[Path, Any]:
    from pipegen import api

    if not path.exists():
        raise RunError(f"no project at {path}", f"compile one first: pipegen compile SPEC.pgl -o {path}")
    if not path.is_dir():
        raise RunError(f"{path} is a file, not a project folder",
                       f"compile it first: pipegen compile {path} -o PROJECT_DIR, then pipegen run PROJECT_DIR")
    spec_file = path / "pipeline.pgl"
    if not spec_file.is_file() or not (path / "sql" / "local").is_dir():
        raise RunError(f"{path} is not a compiled PipeGen project (no pipeline.pgl and sql/local/)",
                       f"compile one first: pipegen compile SPEC.pgl -o {path}")
    try:
        text = spec_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RunError(f"cannot read {spec_file}: {e}", "check the file's permissions and encoding") from None
    result = api.check(text, str(spec_file))
    if not result.ok:
        first = next(d for d in result.diagnostics if d.severity == "error")
        raise RunError(f"{spec_file}:{first.span.line if first.span else 1}: {first.code} {first.message}",
                       f"fix the spec, then: pipegen compile {spec_file} -o {path} --force", code=1)
    return spec_file, result


def _check_origins(spec: ir.Spec) -> None:
    for s in sources(spec):
        if s.jdbc is not None or s.files is not None:
            what = "a jdbc table" if s.jdbc is not None else "files"
            raise RunError(f"source {s.name} reads {what}; pipegen run feeds Kafka topics (and datagen) only",
                           "run it on its real origin with the generated sql/local/ (docker compose up), "
                           "or give the source a topic to try it here")
    for k in sinks(spec):
        if k.topic is None:
            raise RunError(f"sink {k.name} writes files; pipegen run reads sinks from Kafka topics only",
                           "give the sink a topic to try it here, or run sql/local/ on the docker stack")


def _check_unchanged(path: Path, spec_file: Path, stmts: list[Any]) -> None:
    """The processing statements run as they are in sql/local/: refuse a project whose files differ."""
    for st in stmts:
        if st.phase in ("view", "insert", "function"):
            f = path / "sql" / "local" / st.file
            try:
                on_disk = f.read_text(encoding="utf-8")
            except OSError:
                on_disk = None
            if on_disk != st.sql + ";\n":
                raise RunError(f"{f} is not what pipeline.pgl compiles to (edited, or compiled by another version)",
                               f"compile the project again: pipegen compile {spec_file} -o {path} --force")


def _regroup(st: Any, group: str) -> Any:
    if st.phase != "source":
        return st
    import dataclasses
    import re

    from pipegen.run.client_config import with_kafka_options

    sql = re.sub(r"('properties\.group\.id' = ')[^']*(')", lambda m: m.group(1) + group + m.group(2), st.sql)
    return dataclasses.replace(st, sql=with_kafka_options(sql, SOURCE_OPTIONS))


# ------------------------------------------------------------------------------------------- Flink's REST API
class FlinkRest:
    """The job's figures from the mini cluster's REST API: state, records read per source, late records
    dropped, the lowest watermark."""

    def __init__(self, port: int, job_id: str):
        self.base = f"http://127.0.0.1:{port}"
        self.job_id = job_id
        self.vertices: list[dict[str, Any]] = []
        self._metric_ids: dict[str, list[str]] = {}

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.base + path, timeout=3) as r:  # noqa: S310 - loopback only
            return json.loads(r.read())

    def state(self) -> str:
        job = self.get(f"/jobs/{self.job_id}")
        self.vertices = job.get("vertices", [])
        return job.get("state", "UNKNOWN")

    def checkpoints(self) -> tuple[int, int, int, str]:
        """(completed, failed, never started, the newest failure's message) of the job's checkpoints. Flink
        counts a checkpoint it could not trigger as failed, with no entry in its history: at the job's start, a
        trigger before every task runs is one ("Checkpoint triggering task ... is not being executed at the
        moment" in its log, measured 2026-12-02)."""
        try:
            got = self.get(f"/jobs/{self.job_id}/checkpoints")
        except (OSError, ValueError):
            return 0, 0, 0, ""
        counts = got.get("counts") or {}
        failed = (got.get("latest") or {}).get("failed") or {}
        message = str(failed.get("failure_message", ""))[:200]
        started = sum(1 for h in got.get("history") or [] if h.get("status") == "FAILED")
        total_failed = int(counts.get("failed", 0))
        never = max(0, total_failed - started) if not message else 0
        return int(counts.get("completed", 0)), total_failed - never, never, message

    def cause(self) -> str:
        """The newest exception the job reported (its class and first line), or ''."""
        try:
            got = self.get(f"/jobs/{self.job_id}/exceptions")
        except (OSError, ValueError):
            return ""
        entries = (got.get("exceptionHistory") or {}).get("entries") or []
        text = entries[0].get("stacktrace", "") if entries else got.get("root-exception") or ""
        first = text.strip().splitlines()[0] if text.strip() else ""
        return first[:300]

    def _metrics(self, vid: str, suffixes: tuple[str, ...]) -> dict[str, float]:
        ids = self._metric_ids.get(vid)
        if ids is None:
            listed = self.get(f"/jobs/{self.job_id}/vertices/{vid}/subtasks/metrics")
            ids = [m["id"] for m in listed if m["id"].endswith(suffixes)]
            if listed:
                self._metric_ids[vid] = ids
        if not ids:
            return {}
        got = self.get(f"/jobs/{self.job_id}/vertices/{vid}/subtasks/metrics?get={','.join(ids)}&agg=sum,min")
        return {m["id"]: m for m in got}

    def figures(self) -> dict[str, Any]:
        """{'read': {table: records}, 'late_dropped': N, 'watermark': ms}"""
        read: dict[str, int] = {}
        dropped = 0
        watermark = None
        for v in self.vertices:
            vid = v["id"]
            got = self._metrics(vid, (".numRecordsIn", "numLateRecordsDropped", "currentInputWatermark"))
            for mid, m in got.items():
                if mid.endswith("numLateRecordsDropped"):
                    dropped += int(m.get("sum", 0))
                elif mid.endswith("currentInputWatermark") and "." not in mid:
                    w = m.get("min")
                    if w is not None and w > -(2**62):
                        watermark = int(w) if watermark is None else min(watermark, int(w))
                elif mid.startswith("Source__") and mid.endswith(".numRecordsIn"):
                    read[mid] = int(m.get("sum", 0))
        return {"read": read, "late_dropped": dropped, "watermark": watermark}


# ------------------------------------------------------------------------------------------- the session
class Session:
    """``Session(project, plan).run(view)``; ``view(stats)`` is called about once a second."""

    def __init__(self, project: RunProject, plan: RunPlan, *, jars: list[str] | None = None,
                 keep_data: bool = False, data_dir: Path | None = None, kafka: UserKafka | None = None,
                 parallelism: int = 1):
        self.project = project
        self.kafka = kafka  # the user's Kafka, else None: the embedded broker
        self.parallelism = parallelism  # of the job, and the partitions of each topic it reads or writes
        self.broker_lost = False
        self.codec = Codec()
        self.topics = Topics()
        self.plan = plan
        self.jars = jars
        self.keep_data = keep_data
        self.dir = data_dir or Path(tempfile.mkdtemp(prefix="pipegen-run-"))
        self.stats = Stats()
        self.broker: Broker | None = None
        self.worker: subprocess.Popen | None = None
        self.rest: FlinkRest | None = None
        self.stop_traffic = threading.Event()
        self.stop_all = threading.Event()
        self.threads: list[threading.Thread] = []
        from pipegen.run.synth import Synth  # numpy: the flink extra's

        self.synth = Synth(project.spec, plan.seed, plan.late_share, late_by_ms=self._late_by_ms(), plan=plan)
        self.wall0 = 0.0
        self.et0_ms = 0
        self.reconciliation: list[str] = []
        self.checks = reconcile_checks(project.spec)
        self.count_columns = {c.sink: c.column for c in self.checks if c.kind == "count"}

    def _late_by_ms(self) -> int:
        from pipegen.run.plan import time_bound

        bound, _ = time_bound(self.project.spec)
        # beyond the longest window, plus two seconds of the wall clock for the watermark to get there
        return int((max(bound, 1.0) + 2.0 * self.plan.speed) * 1000)

    # -- event time ---------------------------------------------------------------------------------------
    def clock_ms(self, wall: float | None = None) -> int:
        w = time.time() if wall is None else wall
        return self.et0_ms + int((w - self.wall0) * 1000 * self.plan.speed)

    def wall_of(self, event_ms: int) -> float:
        return self.wall0 + (event_ms - self.et0_ms) / 1000 / self.plan.speed

    # -- the run ------------------------------------------------------------------------------------------
    def run(self, view: Callable[[Stats], None], status: Callable[[str], None]) -> Stats:
        try:
            self._start(status)
            self._traffic(view)
            status("traffic over: waiting for the last rows")
            self._drain(view)
            self._final_figures()
        finally:
            self.close()
        return self.stats

    def _start(self, status: Callable[[str], None]) -> None:
        try:
            from confluent_kafka.admin import AdminClient, NewTopic  # noqa: F401
        except ImportError:
            raise RunError("confluent-kafka is not installed", INSTALL_HINT) from None
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.kafka is None:
            status("starting the broker")
            self.broker = Broker(self.dir / "broker.log")
            self.broker.start()
            self._create_topics()
            self.project = load_project(self.project.path, self.broker.bootstrap, f"pipegen-run-{os.getpid()}")
        else:
            self._user_kafka(status)
        status("starting Flink (one JVM) and submitting the job")
        self._start_job()
        status("job running: writing versioned tables")
        self.wall0 = time.time()
        self.et0_ms = int(self.wall0 * 1000)
        self._write_tables()
        self.stats.started = time.time()
        self.wall0 = self.stats.started
        self.et0_ms = int(self.wall0 * 1000)
        for target in (self._produce, self._consume, self._poll_flink):
            t = threading.Thread(target=self._guard(target), daemon=True, name=target.__name__)
            t.start()
            self.threads.append(t)

    def _guard(self, fn: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                fn()
            except Exception as e:  # noqa: BLE001 - shown in the view and the summary, and the run stops
                self.stats.error(f"{fn.__name__.strip('_')}: {type(e).__name__}: {e}")
                self.stop_traffic.set()
        return run

    @property
    def bootstrap(self) -> str:
        return self.kafka.bootstrap if self.kafka is not None else self.broker.bootstrap

    def _user_kafka(self, status: Callable[[str], None]) -> None:
        """Schemas registered, topics found or created, the job's sources from the topics' offsets now."""
        from pipegen.run import kafka

        self.codec = kafka.register(self.kafka, self.project.spec, self.project.path)
        self.topics = kafka.prepare_topics(self.kafka, kafka.topics(self.project.spec))
        status(self.topics.describe())
        project = load_project(self.project.path, self.kafka.bootstrap, f"pipegen-run-{os.getpid()}",
                               self.kafka.registry_url if self.codec.avro else None)
        statements = [dataclasses.replace(st, sql=self.kafka.client.with_tables(st.sql))
                      for st in kafka.from_offsets(project.statements, self.topics.start)]
        self.project = dataclasses.replace(project, statements=statements)

    def _client(self, **more: Any) -> dict[str, Any]:
        """A confluent-kafka client's settings for the run's broker, or the user's Kafka (with its TLS, SASL)."""
        if self.kafka is not None:
            return self.kafka.conf(**more)
        return {"bootstrap.servers": self.bootstrap, "log_level": 0, **more}

    def _create_topics(self) -> None:
        from confluent_kafka.admin import AdminClient, NewTopic

        admin = AdminClient({"bootstrap.servers": self.broker.bootstrap, "log_level": 0})
        topics = sorted({s.topic for s in sources(self.project.spec) if s.topic} |
                        {k.topic for k in sinks(self.project.spec) if k.topic})
        futures = admin.create_topics([NewTopic(t, self.parallelism, 1) for t in topics], request_timeout=15)
        for t, f in futures.items():
            try:
                f.result(15)
            except Exception as e:  # noqa: BLE001
                raise RunError(f"cannot create topic {t} on the run's broker: {e}",
                               f"see {self.dir / 'broker.log'}") from None

    def _start_job(self) -> None:
        from pipegen.engine.flink import connector_jars, FlinkUnavailable

        try:
            jars = [str(j) for j in connector_jars(self.jars)]
        except FlinkUnavailable as e:
            raise RunError(e.message, e.hint) from None
        rest_port = free_port()
        settings = dict(self.project.settings)
        settings["parallelism.default"] = str(self.parallelism)
        settings.update({"rest.port": str(rest_port), "rest.address": "127.0.0.1",
                         "rest.bind-address": "127.0.0.1",
                         # the REST API's figures are at most a second old (Flink's default: 10 s)
                         "metrics.fetcher.update-interval": "1000",
                         # a trial run on a busy laptop goes on when a checkpoint fails; the summary counts them
                         "execution.checkpointing.tolerable-failed-checkpoints": "1000000"})
        config = {"statements": [s.sql for s in self.project.statements], "settings": settings, "jars": jars,
                  "log_dir": str(self.dir)}
        cfg = self.dir / "job.json"
        # only its owner may read it: a --kafka-config's password is in the tables' options
        fd = os.open(cfg, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(json.dumps(config, indent=1))
        self.worker = subprocess.Popen([sys.executable, "-m", "pipegen.run.job", str(cfg)], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=open(self.dir / "worker.log", "wb"),
                                       start_new_session=True, text=True)
        line = self._read_worker(JOB_START_TIMEOUT)
        event = json.loads(line) if line else {"event": "error", "message": "the Flink worker ended"}
        if event["event"] == "error":
            i = event.get("statement")
            where = f" ({self.project.statements[i].file})" if isinstance(i, int) else ""
            raise RunError(f"Flink refused the job{where}: {event['message']}",
                           event.get("hint") or f"see {self.dir / 'flink-pipegen-python'}*.log")
        self.stats.job_id = event["job_id"]
        self.rest = FlinkRest(event["rest_port"], event["job_id"])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                state = self.rest.state()
            except (OSError, urllib.error.URLError, ValueError):
                state = "STARTING"
            self.stats.job_state = state
            if state == "RUNNING" and self.rest.vertices and all(
                    v.get("status") == "RUNNING" for v in self.rest.vertices):
                return
            if state in ("FAILED", "CANCELED", "FINISHED"):
                raise RunError(f"the Flink job is {state} before any event", f"see the logs in {self.dir}")
            time.sleep(0.25)
        raise RunError("the Flink job did not reach RUNNING within 60 s", f"see the logs in {self.dir}")

    def _read_worker(self, timeout: float) -> str | None:
        assert self.worker is not None and self.worker.stdout is not None
        out: list[str] = []

        def read() -> None:
            out.append(self.worker.stdout.readline())

        t = threading.Thread(target=read, daemon=True)
        t.start()
        t.join(timeout)
        if not out:
            raise RunError(f"Flink did not start the job within {timeout:.0f} s", f"see the logs in {self.dir}")
        return out[0].strip() or None

    # -- producing ----------------------------------------------------------------------------------------
    def _producer(self) -> Any:
        from confluent_kafka import Producer

        # linger.ms 5 and librdkafka's default batches (10,000 messages, 1 MB): measured against the loopback
        # broker in bench/results/run.md, longer lingers and larger batches were no faster
        return Producer(self._client(**{"linger.ms": 5, "error_cb": self._kafka_error,
                                        "queue.buffering.max.messages": 1_000_000, "enable.idempotence": False}))

    def _write_tables(self) -> None:
        plans = {p.name: p for p in self.plan.sources}
        producer = self._producer()
        for s in sources(self.project.spec):
            if s.datagen:
                continue
            self.stats.sources[s.name] = SourceStats(s.name, plans[s.name].rate)
            if plans[s.name].table:
                n = 0
                for key, row in self.synth.table_rows(s.name, self.et0_ms - 1000):
                    value, key = self.codec.table_row(s.name, key, row)
                    _send(producer, s.topic, [value], [key] if key else None)
                    n += 1
                    if n % 10_000 == 0:
                        producer.poll(0)
                self.stats.sources[s.name].table_rows = n
        producer.flush(30)
        for k in sinks(self.project.spec):
            self.stats.sinks[k.name] = SinkStats(k.name, k.topic or "")

    def _produce(self) -> None:
        """Every TICK: the events each source owes at its rate (and the traffic pattern's factor), made as one
        batch at the run's clock and produced message by message, then one poll for the delivery reports."""
        producer = self._producer()
        fed = [(p, self.synth.sources[p.name], self.stats.sources[p.name])
               for p in self.plan.sources if p.topic is not None]
        topic = {s.name: s.topic for s in sources(self.project.spec)}
        owed = [0.0] * len(fed)
        last = time.time()
        while not self.stop_traffic.is_set():
            now = time.time()
            t = now - self.stats.started
            if t >= self.plan.duration:
                break
            dt = now - last
            last = now
            factor = self.plan.traffic.factor(t)
            self.stats.phase = self.plan.traffic.phase(t)
            clock = self.clock_ms(now)
            for i, (p, gen, st) in enumerate(fed):
                owed[i] += p.rate * factor * dt
                n = int(owed[i])
                owed[i] -= n
                for batch in gen.take(clock, n):
                    if batch.late.any():  # known before a row of them can come back
                        late = batch.event_ms[batch.late]
                        st.late += len(late)
                        st.late_ms.frombytes(late.astype("=i8").tobytes())
                        self.stats.late_event_ms.update(late.tolist())
                    _send(producer, topic[p.name], self.codec.values(p.name, batch), self.codec.keys(p.name, batch))
                    st.event_ms.frombytes(batch.event_ms.astype("=i8").tobytes())
                    st.produced += batch.n
            producer.poll(0)
            time.sleep(max(0.0, TICK - (time.time() - now)))
        deadline = time.time() + 30
        while producer.flush(0.5) and not self.broker_lost and time.time() < deadline:
            pass

    def _kafka_error(self, err: Any) -> None:
        """A client's error that is not about one message: all brokers down ends the run with that as its error,
        once a fresh metadata request has failed too (a closed idle connection is not a broker gone)."""
        from confluent_kafka import KafkaError
        from confluent_kafka.admin import AdminClient

        if err.code() != KafkaError._ALL_BROKERS_DOWN or self.broker_lost or self.stop_all.is_set():
            return
        try:
            AdminClient(self._client()).list_topics(timeout=5)
            return
        except Exception:  # noqa: BLE001 - a KafkaException: it is gone
            pass
        self.broker_lost = True
        where = f"your Kafka at {self.bootstrap}" if self.kafka is not None else "the run's broker"
        self.stats.error(f"{where} stopped answering ({err.str()})")
        self.stop_traffic.set()

    # -- reading the sinks --------------------------------------------------------------------------------
    def _consume(self) -> None:
        from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

        spec = self.project.spec
        consumer = Consumer(self._client(**{"group.id": f"pipegen-read-{os.getpid()}", "enable.auto.commit": False,
                                            "error_cb": self._kafka_error, "fetch.wait.max.ms": FETCH_WAIT_MS}))
        by_topic: dict[str, list[ir.Sink]] = {}
        for k in sinks(spec):
            by_topic.setdefault(k.topic, []).append(k)
        # the user's topics from where they were when the run began; the embedded broker's from the start
        start = self.topics.start
        consumer.assign([TopicPartition(t, p, o) for t in by_topic for p, o in sorted(start[t].items())]
                        if self.kafka is not None else
                        [TopicPartition(t, i, OFFSET_BEGINNING) for t in by_topic for i in range(self.parallelism)])
        checkers = {k.name: SinkChecker(self.project.schemas[k.name]) for k in sinks(spec)}
        timing = {k.name: self._timing(k) for k in sinks(spec)}
        try:
            while not self.stop_all.is_set():
                msg = consumer.poll(0.2)
                if msg is None or msg.error():
                    continue
                arrival = time.time()
                for k in by_topic[msg.topic()]:
                    self._row(k, msg, arrival, checkers[k.name], timing[k.name])
        finally:
            consumer.close()

    def _timing(self, k: ir.Sink) -> tuple[str, str | None, int]:
        """How a sink row's latency is measured: ('window', 'window_end', watermark ms) from the moment its
        window could close; ('event', column, 0) from its event time; ('none', None, 0)."""
        rel = self.project.analysis.relations[k.name]
        names = {c.name for c in rel.columns}
        wm = int(max((s.watermark.millis for s in sources(self.project.spec) if s.watermark), default=0))
        if "window_end" in names:
            return "window", "window_end", wm
        if rel.event_time and rel.event_time in names:
            return "event", rel.event_time, 0
        # a stage that keeps no time attribute (a join) may still carry a source's event time
        for s in sources(self.project.spec):
            if s.event_time and s.event_time in names:
                return "event", s.event_time, 0
        return "none", None, 0

    def _row(self, k: ir.Sink, msg: Any, arrival: float, checker: SinkChecker, timing: tuple) -> None:
        st = self.stats.sinks[k.name]
        raw = msg.value()
        with self.stats.lock:
            if st.first_row_s is None:
                st.first_row_s = round(arrival - self.stats.started, 3)
            if raw is None:
                st.deletes += 1
                return
        try:
            row = self.codec.sink_row(k.name, raw)
        except ValueError as e:
            reason = str(e)
            row = None
        else:
            reason = checker.check(row)
        kind, column, wm = timing
        latency = None
        window = None
        if reason is None and column is not None and isinstance(row.get(column), str):
            try:
                ms = ts_millis(row[column])
            except ValueError:
                ms = None
            if ms is not None:
                if kind == "window":
                    latency = arrival - self.wall_of(ms + wm)
                    window = (row.get("window_start"), row[column])
                elif ms in self.stats.late_event_ms:
                    # an event written late on purpose: its event time is behind by more than the longest window
                    with self.stats.lock:
                        st.late_rows += 1
                else:
                    latency = arrival - self.wall_of(ms)
        with self.stats.lock:
            st.rows += 1
            if reason is not None:
                st.failed += 1
                st.failures.append({"reason": reason, "row": raw[:300].decode("utf-8", "replace")})
                return
            st.samples.append(row)
            if latency is not None:
                st.latencies.append(round(latency, 4))
            if window is not None:
                st.windows.add(window)
                if latency is not None:
                    st.window_latencies.setdefault(window[1], []).append(round(latency, 4))
                col = self.count_columns.get(k.name)
                if col is not None and isinstance(row.get(col), int):
                    st.counts.append((ms, row[col]))

    # -- Flink's figures ----------------------------------------------------------------------------------
    def _poll_flink(self) -> None:
        while not self.stop_all.is_set():
            self._flink_once()
            self.stop_all.wait(1.0)

    def _flink_once(self) -> None:
        if self.rest is None:
            return
        try:
            state = self.rest.state()
            figures = self.rest.figures()
        except (OSError, urllib.error.URLError, ValueError, KeyError):
            return
        with self.stats.lock:
            self.stats.job_state = state
            self.stats.late_dropped = figures["late_dropped"]
            self.stats.watermark_ms = figures["watermark"]
            for name, st in self.stats.sources.items():
                got = [v for mid, v in figures["read"].items() if _source_metric_table(mid) == name]
                if got:
                    st.read_by_flink = sum(got)
        if state in ("RESTARTING", "FAILING", "FAILED") and self.stats.job_state_seen != state:
            cause = self.rest.cause()
            self.stats.error(f"the Flink job is {state}" + (f": {cause}" if cause else ""))
        self.stats.job_state_seen = state
        if state in ("FAILED", "CANCELED") and not self.stop_all.is_set():
            self.stats.error(f"the Flink job is {state}: see the logs in {self.dir}")
            self.stop_traffic.set()

    def _traffic(self, view: Callable[[Stats], None]) -> None:
        next_tick = time.time() + 1
        while not self.stop_traffic.is_set() and self.stats.elapsed() < self.plan.duration:
            time.sleep(max(0.0, min(0.2, next_tick - time.time())))
            if time.time() >= next_tick:
                next_tick += 1
                t = self.stats.elapsed()
                target = sum(p.rate for p in self.plan.sources if p.topic) * self.plan.traffic.factor(t)
                self.stats.tick(target)
                view(self.stats)
        self.stop_traffic.set()

    def _drain(self, view: Callable[[Stats], None]) -> None:
        """After the traffic: wait until Flink has read every event and the sinks were quiet for DRAIN_QUIET
        seconds, DRAIN_MAX at most (a job that fell behind is reported with its lag)."""
        for t in self.threads:
            if t.name == "_produce":
                t.join(35)
        start = time.time()
        last_count, quiet_since = -1, time.time()
        while time.time() - start < DRAIN_MAX and not self.broker_lost:
            count = sum(s.rows + s.deletes for s in self.stats.sinks.values())
            behind = any(s.read_by_flink is not None and s.read_by_flink < s.produced + s.table_rows
                         for s in self.stats.sources.values())
            if count != last_count or behind:
                last_count, quiet_since = count, time.time()
            elif time.time() - quiet_since >= DRAIN_QUIET:
                break
            time.sleep(0.25)
            view(self.stats)

    def _final_figures(self) -> None:
        self._flink_once()
        if self.rest is not None:
            done, failed, never, cause = self.rest.checkpoints()
            if failed:
                self.stats.notes.append(f"{failed} of {done + failed} checkpoints failed (the run goes on past them)"
                                        + (f"; the last: {cause}" if cause else ""))
            elif never:
                self.stats.notes.append(f"{done} checkpoint{'s' if done != 1 else ''} completed; {never} could not "
                                        "be triggered (Flink counts them as failed: a trigger before every task "
                                        "runs, as at the job's start, is one)")
        self.reconciliation = reconcile(self.checks, self.stats)

    # -- stop ---------------------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop everything this session started, in any state; safe to call twice."""
        self.stop_traffic.set()
        self.stop_all.set()
        for t in self.threads:
            t.join(5)
        w, self.worker = self.worker, None
        if w is not None:
            try:
                if w.stdin:
                    w.stdin.close()  # the worker cancels the job and ends
                w.wait(25)
            except (subprocess.TimeoutExpired, OSError):
                pass
            if w.poll() is None:
                _kill_group(w)
        if self.broker is not None:
            self.broker.stop()
            self.broker = None
        if not self.keep_data:
            shutil.rmtree(self.dir, ignore_errors=True)


def _send(producer: Any, topic: str, values: list[Any], keys: list[Any] | None) -> None:
    """Produce each message (confluent-kafka takes one at a time); when its queue is full, wait for room."""
    i, n = 0, len(values)
    produce = producer.produce
    while i < n:
        try:
            if keys is None:
                for i in range(i, n):
                    produce(topic, values[i])
            else:
                for i in range(i, n):
                    produce(topic, values[i], keys[i])
            i = n
        except BufferError:
            producer.poll(0.05)


def _kill_group(p: subprocess.Popen) -> None:
    import signal

    try:
        os.killpg(p.pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        pass


def _source_metric_table(metric_id: str) -> str:
    """``Source__KafkaSource-default_catalog_default_database_payments.numRecordsIn`` -> ``payments``."""
    import re

    m = re.match(r"Source__(?:[A-Za-z]+Source-)?(?:default_catalog_default_database_)?(.+)\.numRecordsIn$",
                 metric_id)
    return m.group(1) if m else ""

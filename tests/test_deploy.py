"""`pipegen deploy`, `status` and `stop` on a real Flink cluster. Nothing here is simulated:

- a standalone cluster started from the apache-flink package's own ``bin/start-cluster.sh``, with a generated
  ``config.yaml`` in a temporary FLINK_CONF_DIR (127.0.0.1 only, free ports, its own log and pid folders);
- the Tansu broker of ``pipegen run`` on loopback, and confluent-kafka producing and reading back;
- a two-sink spec (one statement set) with 10-second tumble windows, deployed, seen RUNNING and emitting, stopped
  with a savepoint, fed while stopped, resumed from the savepoint: every window is written exactly once, with
  the count of the events in it, and every event passes through exactly once;
- the user errors (no cluster at the URL, something else at the URL, a job already running, no savepoint
  folder, no Java, a statement Flink refuses) are one line with the fix, exit 2, and submit nothing;
- the cluster is stopped in a ``finally`` and no process of the test is left behind.

Measured on the shared 2-core build machine (2026-12-01), printed by the test (``pytest -s``): the cluster is
up in 21-57 s (18-34 s of it ``start-cluster.sh``, which runs its Java config parser several times) with both
JVMs at 510-530 MB; a deploy takes 23-39 s (PyFlink's JVM starts, plans and submits in 16-32 s), and the job
has every task RUNNING 3-6 s after that; a stop with a savepoint takes 2-3 s. The whole file: 2.5-3 minutes.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest

pytest.importorskip("pyflink")
pytest.importorskip("confluent_kafka")

ROOT = Path(__file__).resolve().parent.parent

SPEC = """\
# Clicks passed through, and counted per page every 10 seconds; checkpointed every 2 seconds.
pipeline click_counts {
  description "Clicks passed through, and counted per page every 10 seconds"
  checkpoint 2 s
}

source clicks {
  topic "clicks"
  format FORMAT
  fields {
    click_id  uuid          "Click id"
    page      string        "Page clicked"
    user_id   string        "Who clicked"
    ts        timestamp(3)  "When"
  }
  event_time ts watermark 2 s
}

transform tagged from clicks {
  select {
    *
    section = upper(page)
  }
}

aggregate page_counts from clicks {
  window tumble(ts, 10 s)
  group by page
  measures {
    clicks = count(*)
  }
}

sink all_clicks from tagged {
  topic "all-clicks"
  format FORMAT
}

sink page_count_sink from page_counts {
  topic "page-counts"
  format FORMAT
}
"""
TOPICS = ("clicks", "all-clicks", "page-counts")
T0_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z, on a window boundary
PAGES = ("home", "cart", "pay")
JOB_ID = re.compile(r"\b[0-9a-f]{32}\b")


# ------------------------------------------------------------------------------------------- helpers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 400) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipegen.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def one_error(r: subprocess.CompletedProcess, *needles: str) -> str:
    """An exit 2 ending in one error line and one hint line (after progress lines, if any), no traceback; the
    error line."""
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    lines = lines[next((i for i, ln in enumerate(lines) if ln.startswith("error: ")), 0):]
    assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("  = hint: "), r.stderr
    assert "Traceback" not in r.stderr
    for n in needles:
        assert n in lines[0], r.stderr
    return lines[0]


def compile_project(tmp: Path, fmt: str = "json") -> Path:
    spec = tmp / f"click_counts_{fmt}.pgl"
    spec.write_text(SPEC.replace("FORMAT", fmt), encoding="utf-8")
    out = tmp / f"project_{fmt}"
    r = cli("compile", str(spec), "-o", str(out), "-q")
    assert r.returncode == 0, r.stderr
    return out


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def processes_mentioning(text: str) -> list[int]:
    """Live processes whose command line holds ``text`` (a folder only this test uses)."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (d / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in cmd and state != "Z":
            found.append(int(d.name))
    return found


class Cluster:
    """A standalone Flink session cluster from the apache-flink package: one JobManager, one TaskManager with
    two slots, on 127.0.0.1 and free ports; everything it writes is under ``root``."""

    def __init__(self, root: Path):
        import pyflink
        import yaml

        self.home = Path(pyflink.__file__).parent
        self.root = root
        self.conf, self.log, self.pid = root / "conf", root / "log", root / "pid"
        for d in (self.conf, self.log, self.pid):
            d.mkdir(parents=True)
        self.port = free_port()
        shipped = yaml.safe_load((self.home / "conf" / "config.yaml").read_text())
        config = {
            "env": {"java": {"opts": {"all": shipped["env"]["java"]["opts"]["all"]}},
                    "pid": {"dir": str(self.pid)}, "log": {"dir": str(self.log)}},
            "jobmanager": {"bind-host": "127.0.0.1", "rpc": {"address": "127.0.0.1", "port": free_port()},
                           "memory": {"process": {"size": "1024m"}}},
            "taskmanager": {"bind-host": "127.0.0.1", "host": "127.0.0.1", "numberOfTaskSlots": 2,
                            "memory": {"process": {"size": "1024m"}}},
            "rest": {"address": "127.0.0.1", "bind-address": "127.0.0.1", "port": self.port},
            "parallelism": {"default": 1},
        }
        (self.conf / "config.yaml").write_text(yaml.safe_dump(config))
        (self.conf / "masters").write_text(f"127.0.0.1:{self.port}\n")
        (self.conf / "workers").write_text("127.0.0.1\n")
        for name in ("log4j.properties", "log4j-console.properties", "log4j-cli.properties", "logback.xml"):
            (self.conf / name).write_text((self.home / "conf" / name).read_text())
        self.env = dict(os.environ, FLINK_CONF_DIR=str(self.conf), FLINK_LOG_DIR=str(self.log),
                        FLINK_PID_DIR=str(self.pid))
        self.started_s = self.script_s = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def overview(self) -> dict:
        import urllib.request

        with urllib.request.urlopen(self.url + "/overview", timeout=2) as r:  # noqa: S310 - loopback
            return json.loads(r.read())

    def jobs(self) -> list[dict]:
        import urllib.request

        with urllib.request.urlopen(self.url + "/jobs/overview", timeout=5) as r:  # noqa: S310 - loopback
            return json.loads(r.read())["jobs"]

    def start(self, timeout: float = 240.0) -> None:
        t0 = time.monotonic()
        r = subprocess.run([str(self.home / "bin" / "start-cluster.sh")], env=self.env, capture_output=True,
                           text=True, timeout=timeout)
        assert r.returncode == 0, r.stdout + r.stderr
        self.script_s = time.monotonic() - t0
        while time.monotonic() - t0 < timeout:
            try:
                if self.overview().get("slots-total", 0) >= 2:
                    self.started_s = time.monotonic() - t0
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"the cluster did not come up in {timeout:.0f} s; logs in {self.log}")

    def pids(self) -> list[int]:
        return [int(p) for f in self.pid.glob("*.pid") for p in f.read_text().split() if p.isdigit()]

    def stop(self) -> None:
        """stop-cluster.sh, then SIGKILL for whatever of the cluster still runs."""
        known = set(self.pids()) | set(processes_mentioning(str(self.root)))
        try:
            subprocess.run([str(self.home / "bin" / "stop-cluster.sh")], env=self.env, capture_output=True,
                           timeout=120)
        except subprocess.TimeoutExpired:
            pass
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and alive(known):
            time.sleep(0.5)
        for p in alive(known | set(processes_mentioning(str(self.root)))):
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass


def alive(pids: set[int]) -> set[int]:
    out = set()
    for p in pids:
        try:
            state = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            out.add(p)
    return out


def produce(bootstrap: str, first: int, n: int) -> list[dict]:
    """``n`` clicks, one every 100 ms of event time from ``T0_MS + first * 100``; the clicks."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "log_level": 0})
    clicks = []
    for i in range(first, first + n):
        ts = datetime.fromtimestamp((T0_MS + i * 100) / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        click = {"click_id": str(uuid.uuid4()), "page": PAGES[i % 3], "user_id": f"u{i % 7}", "ts": ts}
        producer.produce("clicks", json.dumps(click).encode())
        clicks.append(click)
    assert producer.flush(30) == 0
    return clicks


def eventually(check, timeout: float = 30.0) -> bool:
    """True once ``check()`` holds, polled for ``timeout`` seconds (what ends asynchronously: a cancelled job,
    a process that is exiting)."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)


def read_topic(bootstrap: str, topic: str, want: int, timeout: float = 120.0, settle: float = 4.0) -> list[dict]:
    """Every row of ``topic`` once at least ``want`` are there (and ``settle`` seconds more, to catch extras)."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"test-{uuid.uuid4()}", "log_level": 0,
                         "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    rows: list[dict] = []
    deadline, settled = time.monotonic() + timeout, None
    try:
        while time.monotonic() < deadline:
            msg = consumer.poll(0.2)
            if msg is not None and not msg.error() and msg.value() is not None:
                rows.append(json.loads(msg.value()))
            if len(rows) >= want and settled is None:
                settled = time.monotonic() + settle
            if settled is not None and time.monotonic() >= settled:
                break
    finally:
        consumer.close()
    return rows


def window_counts(clicks: list[dict], watermark_ms: int) -> dict[tuple[str, str], int]:
    """{(window_start, page): clicks} of the 10-second windows a watermark of ``watermark_ms`` has closed."""
    out: dict[tuple[str, str], int] = {}
    for c in clicks:
        ms = int(datetime.strptime(c["ts"], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=timezone.utc).timestamp() * 1000)
        start = ms - ms % 10_000
        if start + 10_000 - 1 <= watermark_ms:
            key = (datetime.fromtimestamp(start / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"), c["page"])
            out[key] = out.get(key, 0) + 1
    return out


def status_row(stdout: str, job_id: str) -> list[str]:
    for line in stdout.splitlines():
        if line.strip().startswith(job_id):
            return re.split(r"\s{2,}", line.strip())
    raise AssertionError(f"job {job_id} not in:\n{stdout}")


# ------------------------------------------------------------------------------------------- without a cluster
def test_errors_before_any_cluster(tmp_path: Path) -> None:
    """No cluster at the URL, something else there, a savepoint folder that does not exist, no Java: one line
    with the fix, exit 2."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    import threading

    project = compile_project(tmp_path)
    nobody = f"http://127.0.0.1:{free_port()}"
    for command in (["deploy", str(project)], ["status", str(project)], ["stop", str(project)]):
        one_error(cli(*command, "--flink-url", nobody), "no Flink cluster answers at", "connection refused")

    class NotFlink(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(404)
            self.end_headers()
            self.wfile.write(b"<html>not here</html>")

        def log_message(self, *args) -> None:  # noqa: ANN002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), NotFlink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        one_error(cli("status", str(project), "--flink-url", f"http://127.0.0.1:{server.server_port}"),
                  "is not a Flink JobManager")
    finally:
        server.shutdown()

    missing = tmp_path / "no-such-folder"
    one_error(cli("stop", str(project), "--flink-url", nobody, "--savepoint", str(missing)),
              "--savepoint", "no such folder")
    one_error(cli("deploy", str(project), "--flink-url", nobody, "--from-savepoint", str(missing)),
              "--from-savepoint", "no such folder")
    empty = tmp_path / "empty"
    empty.mkdir()
    one_error(cli("deploy", str(project), "--flink-url", nobody, "--from-savepoint", str(empty)),
              "no savepoint in that folder")
    one_error(cli("deploy", str(project), "--flink-url", "ftp://x"), "is not an http(s) address")
    one_error(cli("status", str(tmp_path), "--flink-url", nobody), "is not a compiled PipeGen project")

    no_java = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    no_java["PATH"] = str(tmp_path / "empty")
    one_error(cli("deploy", str(project), "--flink-url", nobody, env=no_java), "Java not found")


# ------------------------------------------------------------------------------------------- on a cluster
def test_deploy_status_stop_resume_on_a_cluster(tmp_path: Path) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic

    from pipegen.run.broker import Broker

    root = tmp_path / "cl"  # everything the cluster and the deploys write: no process may mention it at the end
    env = dict(os.environ, TMPDIR=str(root / "tmp"))
    (root / "tmp").mkdir(parents=True)
    project = compile_project(tmp_path)
    avro_project = compile_project(tmp_path, "avro")
    timings: dict[str, float] = {}
    cluster = Cluster(root / "flink")
    broker = Broker(tmp_path / "broker.log")
    try:
        broker.start()
        admin = AdminClient({"bootstrap.servers": broker.bootstrap, "log_level": 0})
        for f in admin.create_topics([NewTopic(t, 1, 1) for t in TOPICS]).values():
            f.result(15)
        cluster.start()
        timings["cluster start"] = cluster.started_s
        timings["of it start-cluster.sh"] = cluster.script_s
        timings["cluster RSS MB"] = sum(rss_mb(p) for p in cluster.pids())
        flags = ["--flink-url", cluster.url, "--bootstrap-servers", broker.bootstrap]

        r = cli("status", str(project), "--flink-url", cluster.url, env=env)
        assert r.returncode == 0 and "no job of click_counts" in r.stdout, r.stderr

        # a statement Flink refuses (no avro-confluent format here): one line, nothing submitted
        r = cli("deploy", str(avro_project), *flags, env=env)
        one_error(r, "Flink refused the job", "avro-confluent")
        assert cluster.jobs() == []

        # deploy: the job id and the web UI link, every task RUNNING
        t0 = time.monotonic()
        r = cli("deploy", str(project), *flags, env=env)
        timings["deploy"] = time.monotonic() - t0
        assert r.returncode == 0, r.stderr
        first = JOB_ID.search(r.stdout).group()
        took = re.search(r"submitted in (\d+) s, running (\d+) s later", r.stdout)
        timings["submitted"], timings["then RUNNING"] = float(took.group(1)), float(took.group(2))
        assert f"{cluster.url}/#/job/running/{first}/overview" in r.stdout
        assert [(j["jid"], j["state"], j["name"]) for j in cluster.jobs()] == [(first, "RUNNING", "click_counts")]
        one_error(cli("deploy", str(project), *flags, env=env), f"job {first} of click_counts is already RUNNING")

        # emitting: every click passes through, the windows the watermark closed are counted
        batch1 = produce(broker.bootstrap, 0, 600)  # 0 s to 59.9 s of event time
        assert len(read_topic(broker.bootstrap, "all-clicks", 600)) == 600
        closed1 = window_counts(batch1, T0_MS + 59_900 - 2_000)
        assert len(read_topic(broker.bootstrap, "page-counts", len(closed1))) == len(closed1) == 15

        # status: RUNNING, records in and out, a checkpoint (the spec checkpoints every 2 s)
        deadline, row = time.monotonic() + 60, []
        while time.monotonic() < deadline:
            r = cli("status", str(project), "--flink-url", cluster.url, env=env)
            assert r.returncode == 0, r.stderr
            row = status_row(r.stdout, first)
            if row[3] == "600" and row[4] == f"{600 + 15:,}" and row[5].startswith("checkpoint"):
                break
            time.sleep(2)
        assert row[1] == "RUNNING" and row[3] == "600" and row[4] == "615", row
        assert re.fullmatch(r"checkpoint \d+, \d+s ago", row[5]), row

        # stop with a savepoint; feed the topic while the job is stopped
        savepoints = tmp_path / "savepoints"
        savepoints.mkdir()
        t0 = time.monotonic()
        r = cli("stop", str(project), "--flink-url", cluster.url, "--savepoint", str(savepoints), env=env)
        timings["stop with savepoint"] = time.monotonic() - t0
        assert r.returncode == 0, r.stderr
        assert f"stopped click_counts: job {first} with a savepoint at file:{savepoints}/savepoint-" in r.stdout
        assert {j["jid"]: j["state"] for j in cluster.jobs()} == {first: "FINISHED"}
        batch2 = produce(broker.bootstrap, 600, 300)  # 60 s to 89.9 s

        # resume from the folder (its newest savepoint): every window once, with its count; every click once
        t0 = time.monotonic()
        r = cli("deploy", str(project), *flags, "--from-savepoint", str(savepoints), env=env)
        timings["deploy from savepoint"] = time.monotonic() - t0
        assert r.returncode == 0, r.stderr
        assert f"resumed from {savepoints}/savepoint-" in r.stdout
        second = JOB_ID.search(r.stdout).group()
        assert second != first
        clicks = read_topic(broker.bootstrap, "all-clicks", 900)
        assert sorted(c["click_id"] for c in clicks) == sorted(c["click_id"] for c in batch1 + batch2)
        closed = window_counts(batch1 + batch2, T0_MS + 89_900 - 2_000)
        windows = read_topic(broker.bootstrap, "page-counts", len(closed))
        keys = [(w["window_start"], w["page"]) for w in windows]
        assert len(keys) == len(set(keys)) == len(closed) == 24, sorted(keys)
        assert {(w["window_start"], w["page"]): w["clicks"] for w in windows} == closed

        # cancel; nothing left to stop
        r = cli("stop", str(project), "--flink-url", cluster.url, env=env)
        assert r.returncode == 0 and f"job {second} is CANCELED" in r.stdout, r.stderr
        one_error(cli("stop", str(project), "--flink-url", cluster.url, env=env), "no job of click_counts is running")
        r = cli("status", str(project), "--flink-url", cluster.url, env=env)
        assert status_row(r.stdout, second)[1] == "CANCELED" and status_row(r.stdout, first)[1] == "FINISHED"

        # Ctrl-C while the job is being submitted: exit 130, no job and no process of the deploy left
        # SIGINT as on a terminal, even where the tests run as a background job (which a shell starts with it ignored)
        p = subprocess.Popen([sys.executable, "-m", "pipegen.cli", "deploy", str(project), *flags], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        assert p.stderr.readline().startswith("submitting click_counts")
        time.sleep(5)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=120)
        assert p.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
        # a job that reached the cluster is cancelled (CANCELLING for a moment), and the worker's JVM ends
        assert eventually(lambda: not [j for j in cluster.jobs() if j["state"] not in ("FINISHED", "CANCELED",
                                                                                        "FAILED")]), cluster.jobs()
        assert eventually(lambda: processes_mentioning(str(root / "tmp")) == []), processes_mentioning(str(root))
    finally:
        cluster.stop()
        broker.stop()
        print("\nmeasured: " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    assert eventually(lambda: processes_mentioning(str(root)) == []), processes_mentioning(str(root))
    assert eventually(lambda: alive(set(cluster.pids())) == set())

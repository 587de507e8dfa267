"""Benchmarks of `pipegen run` (issue 10): the synthetic producer, and the fraud example on the embedded stack.

    python -m bench.run_pipeline                     # producer, then the fraud example at rising rates
    python -m bench.run_pipeline --only producer
    python -m bench.run_pipeline --rates 1000,2000,4000 --seconds 20
    python -m bench.run_pipeline --only fraud --rates 2000 --compare      # Kafka's and Flink's defaults, then the run's
    python -m bench.run_pipeline --only fraud --rates 20000 --parallelism 1,2

1. **producer** - events of the fraud example's `payments` source made by `pipegen.run.synth` in one process
   (one core), in batches of 1,000 (what one 10 ms tick of the run's producer makes at 100,000/s): the
   columns only, as rows, as JSON text (what the run sends), as rows encoded by orjson (the alternative to
   the JSON text), as Avro datums written by fastavro's schemaless writer, and as Avro binary made column by
   column (`Batch.avro`, byte for byte fastavro's; the body of the Confluent wire format). Median of 5 runs of
   100,000 events, with min and max, in events per CPU second of the process (one core's worth, the figure
   the machine's load disturbs least) and per wall second. Target: 100,000 Avro events/s.
2. **fraud** - `pipegen run` of specs/fraud_detection.pgl for `--seconds` at each rate of `--rates`, the producer
   beside the job: the rate the producer achieved, the events Flink had not read yet when the traffic stopped
   (its lag), how long after the traffic's end it had read them all, what it read after the drain, the
   latency percentiles of the sink rows (from the moment a window can close to the row on the sink topic),
   the peak memory (RSS) of the whole run (the Python process, the broker and the Flink worker with its JVM,
   sampled every 0.5 s), and the cores each used during the traffic (CPU seconds per second: the Python
   process with the producer, Flink's worker and JVM, the broker). The highest steady rate is the highest at
   which the producer kept its rate (95%) and Flink kept up: it had read every event within 3 s of the
   traffic's end (its REST figures are up to 2 s old). Targets: 50,000 events/s on 2 cores; p99 under 1 s at
   half that rate. The latency is also given for the first window that closed (the JVM still warming up) and
   for the later ones. ``--parallelism 1,2`` runs each rate at each parallelism (the topics get as many
   partitions); ``--compare`` runs each rate first with Kafka's and Flink's defaults for the settings the run
   changes for latency (``session.FETCH_WAIT_MS``, ``SOURCE_OPTIONS``, ``LATENCY_SETTINGS``), then with the
   run's own.

Figures drift with the machine's load: the table says the load average when it ran.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Flink kept up when it had read every event within this many seconds of the traffic's end: its REST figures
# are up to a second old (metrics.fetcher.update-interval) and the run reads them once a second
CAUGHT_UP = 3.0


def producer(runs: int = 5, n: int = 100_000, batch: int = 1000) -> list[tuple[str, float, float, float, float]]:
    """(label, median events per CPU second, min, max, median events per wall second) of each form."""
    import fastavro
    import orjson

    from pipegen import api
    from pipegen.compiler import avro
    from pipegen.run.synth import Synth

    spec = api.check((ROOT / "specs" / "fraud_detection.pgl").read_text()).spec
    schema = avro.source_schema(spec, spec.statement("payments"))
    parsed = fastavro.parse_schema(schema)
    buf = io.BytesIO()

    def fastavro_(b):
        out = []
        for d in b.datums():
            buf.seek(0)
            buf.truncate()
            fastavro.schemaless_writer(buf, parsed, d)
            out.append(buf.getvalue())
        return out

    forms = (
        ("made (columns only)", lambda b: None),
        ("made + rows (dicts)", lambda b: b.rows()),
        ("made + JSON text, value and key (what the run sends)", lambda b: (b.json(), b.json_keys())),
        ("made + rows + orjson.dumps (the alternative to the JSON text)",
         lambda b: [orjson.dumps(r) for r in b.rows()]),
        ("made + Avro datums + fastavro schemaless_writer", fastavro_),
        ("made + Avro binary (Batch.avro)", lambda b: b.avro(schema)),
    )
    rows = []
    for label, fn in forms:
        cpu, wall = [], []
        for r in range(runs):
            g = Synth(spec, r, 0.01, 30_000).sources["payments"]
            g.take(1_800_000_000_000 - 60_000, 1)
            c, t = time.process_time(), time.perf_counter()
            for i in range(n // batch):
                for b in g.take(1_800_000_000_000 + i * 10, batch):
                    fn(b)
            cpu.append(n / (time.process_time() - c))
            wall.append(n / (time.perf_counter() - t))
        rows.append((label, statistics.median(cpu), min(cpu), max(cpu), statistics.median(wall)))
    return rows


def loop_ns() -> float:
    """CPU ns per iteration of an empty Python loop: how slow this machine is right now."""
    c = time.process_time()
    for _ in range(5_000_000):
        pass
    return (time.process_time() - c) / 5_000_000 * 1e9


def _tree(pid: int) -> dict[int, tuple[int, float, str]]:
    """{pid: (RSS bytes, CPU seconds, what)} of ``pid`` and every process below it; what is 'python' (this
    process: producer, sink reader, figures), 'broker' or 'flink' (the worker and its JVM)."""
    parents: dict[int, int] = {}
    info: dict[int, tuple[int, float]] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(d.name)] = int(stat[1])
            info[int(d.name)] = (int(stat[21]) * os.sysconf("SC_PAGE_SIZE"), (int(stat[11]) + int(stat[12])) / tick)
        except (OSError, IndexError, ValueError):
            pass
    out, todo = {}, [pid]
    while todo:
        p = todo.pop()
        if p in info:
            what = "python" if p == pid else "flink"
            if p != pid:
                try:
                    what = "broker" if b"tansu" in (Path("/proc") / str(p) / "cmdline").read_bytes() else what
                except OSError:
                    pass
            out[p] = (*info[p], what)
        todo += [c for c, parent in parents.items() if parent == p]
    return out


DEFAULTS = {"FETCH_WAIT_MS": 500, "SOURCE_OPTIONS": {}, "LATENCY_SETTINGS": {}}  # Kafka's and Flink's own


@contextlib.contextmanager
def _defaults(on: bool):
    """The run with Kafka's and Flink's defaults for what ``pipegen.run.session`` sets for latency."""
    from pipegen.run import session

    saved = {k: getattr(session, k) for k in DEFAULTS}
    if on:
        for k, v in DEFAULTS.items():
            setattr(session, k, v)
    try:
        yield
    finally:
        for k, v in saved.items():
            setattr(session, k, v)


def fraud(rate: int, seconds: float, parallelism: int = 1, defaults: bool = False) -> dict:
    with _defaults(defaults):
        return _fraud(rate, seconds, parallelism)


def _fraud(rate: int, seconds: float, parallelism: int) -> dict:
    from pipegen import api
    from pipegen.run.plan import make_plan
    from pipegen.run.session import Session, load_project
    from pipegen.run.stats import percentile

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "fraud"
        compiled = api.compile_text((ROOT / "specs" / "fraud_detection.pgl").read_text())
        api.write(compiled, out)
        project = load_project(out)
        plan = make_plan(project.spec, duration=seconds, message_rate=rate, seed=1)
        session = Session(project, plan, parallelism=parallelism)
        peak = [0]
        cpu: dict[int, tuple[float, str]] = {}  # pid -> (CPU seconds, what), at the last sample
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                tree = _tree(os.getpid())
                peak[0] = max(peak[0], sum(rss for rss, _, _ in tree.values()))
                cpu.update({p: (c, what) for p, (_, c, what) in tree.items()})
                stop.wait(0.5)

        threading.Thread(target=sample, daemon=True).start()
        at_end: dict = {}
        at_start: dict = {}

        def view(stats) -> None:
            if not at_start:  # the first second of traffic: the JVM's start-up is behind
                at_start.update(_by_what(cpu), wall=time.time())
            s = stats.sources["payments"]
            if not at_end and stats.elapsed() >= seconds - 0.5:
                at_end.update(_by_what(cpu), produced=s.produced, read=s.read_by_flink, wall=time.time())
            if at_end and "caught_up" not in at_end and s.read_by_flink is not None and \
                    s.read_by_flink >= s.produced and stats.elapsed() >= seconds:
                at_end["caught_up"] = stats.elapsed() - seconds

        stats = session.run(view, lambda m: print(f"  {m}", file=sys.stderr))
        stop.set()
    s = stats.sources["payments"]
    p50, p95, p99, n = stats.latency()
    achieved = s.produced / seconds
    lag_end = (at_end.get("produced", 0) - (at_end.get("read") or 0)) if at_end else None
    span = (at_end.get("wall", 0) - at_start.get("wall", 0)) or 1.0
    used = {w: (at_end.get(w, 0.0) - at_start.get(w, 0.0)) / span for w in ("python", "flink", "broker")}
    wl = stats.sinks["fraud_alert_sink"].window_latencies
    ends = sorted(wl)
    first = sorted(wl[ends[0]]) if ends else []
    later = sorted(x for e in ends[1:] for x in wl[e])
    return {"rate": rate, "achieved": achieved, "produced": s.produced, "read_final": s.read_by_flink,
            "lag_at_end": lag_end, "p50": p50, "p95": p95, "p99": p99, "rows": n, "peak_rss_mb": peak[0] / 2**20,
            "cores": used, "caught_up": at_end.get("caught_up"), "windows": len(ends),
            "first_p50": percentile(first, 50), "first_p99": percentile(first, 99),
            "later_p50": percentile(later, 50), "later_p99": percentile(later, 99),
            "steady": achieved >= 0.95 * rate and at_end.get("caught_up") is not None
            and at_end["caught_up"] <= CAUGHT_UP}


def _by_what(cpu: dict[int, tuple[float, str]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for c, what in cpu.values():
        out[what] = out.get(what, 0.0) + c
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="producer,fraud")
    ap.add_argument("--rates", default="500,1000,2000,4000,8000")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--parallelism", default="1", help="the job's parallelisms to run each rate at, e.g. 1,2")
    ap.add_argument("--compare", action="store_true",
                    help="run each rate with Kafka's and Flink's defaults first, then with the run's settings")
    args = ap.parse_args()
    load = os.getloadavg()[0]
    print(f"# pipegen run benchmarks ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, load average {load:.1f}, "
          f"an empty Python loop {loop_ns():.0f} ns per iteration)\n")
    if "producer" in args.only:
        print("| producer (fraud payments, one process, batches of 1,000) | median events per CPU second | min | max "
              "| median events per wall second |\n|---|---|---|---|---|")
        for label, med, lo, hi, wall in producer():
            print(f"| {label} | {med:,.0f} | {lo:,.0f} | {hi:,.0f} | {wall:,.0f} |", flush=True)
        print()
    if "fraud" in args.only:
        print("| target rate/s | parallelism | settings | achieved/s | Flink lag when traffic stopped | all read after "
              "| read after drain | latency p50 / p95 / p99 | first window closed: p50 / p99 "
              "| later windows: p50 / p99 (windows) | sink rows | peak RSS of the run "
              "| cores used: Python / Flink / broker | load average | steady |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for rate in (int(r) for r in args.rates.split(",")):
            for par in (int(p) for p in args.parallelism.split(",")):
                for defaults in ((True, False) if args.compare else (False,)):
                    load = os.getloadavg()[0]
                    print(f"fraud at {rate}/s, parallelism {par} ... (load average {load:.1f})", file=sys.stderr)
                    r = fraud(rate, args.seconds, par, defaults)
                    print(_fraud_row(r, par, "defaults" if defaults else "run's", load), flush=True)


def _fraud_row(r: dict, par: int, settings: str, load: float) -> str:
    def ms(v):
        return "-" if v is None else f"{v * 1000:.0f} ms"
    c = r["cores"]
    up = "-" if r["caught_up"] is None else f"{r['caught_up']:.1f} s"
    return (f"| {r['rate']:,} | {par} | {settings} | {r['achieved']:,.0f} | "
            f"{r['lag_at_end'] if r['lag_at_end'] is not None else '-'} | {up} | "
            f"{r['read_final'] or 0:,} of {r['produced']:,} | {ms(r['p50'])} / {ms(r['p95'])} / {ms(r['p99'])} | "
            f"{ms(r['first_p50'])} / {ms(r['first_p99'])} | {ms(r['later_p50'])} / {ms(r['later_p99'])} "
            f"({r['windows'] - 1 if r['windows'] else 0}) | {r['rows']:,} | {r['peak_rss_mb']:,.0f} MB | "
            f"{c['python']:.2f} / {c['flink']:.2f} / {c['broker']:.2f} | {load:.1f}-{os.getloadavg()[0]:.1f} | "
            f"{'yes' if r['steady'] else 'no'} |")


if __name__ == "__main__":
    main()

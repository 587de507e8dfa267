"""Benchmarks of `pipegen run` (issue 10): the synthetic producer, and the fraud example on the embedded stack.

    python -m bench.run_pipeline                     # producer, then the fraud example at rising rates
    python -m bench.run_pipeline --only producer
    python -m bench.run_pipeline --rates 1000,2000,4000 --seconds 20

1. **producer** - events of the fraud example's `payments` source made by `pipegen.run.synth` in one process
   (one core): made only, made and encoded as JSON (what the run sends), made and encoded as Avro binary
   (fastavro's schemaless writer, the body of the Confluent wire format). Median of 5 runs of 20,000 events,
   with min and max. Target: 100,000 Avro events/s.
2. **fraud** - `pipegen run` of specs/fraud_detection.pgl for `--seconds` at each rate of `--rates`, the producer
   beside the job: the rate the producer achieved, the events Flink had read when the traffic stopped and after
   the drain (its lag), the latency percentiles of the sink rows (from the moment a window can close to the row
   on the sink topic), and the peak memory (RSS) of the whole run: the Python process, the broker and the Flink
   worker with its JVM, sampled every 0.5 s. The highest steady rate is the highest at which the producer kept
   its rate and Flink kept up (lag under one second of traffic when the traffic stopped). Targets: 50,000
   events/s on 2 cores; p99 under 1 s at half that rate.

Figures drift with the machine's load: the table says the load average when it ran.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def producer(runs: int = 5, n: int = 20_000) -> list[tuple[str, float, float, float]]:
    import fastavro

    from pipegen import api
    from pipegen.compiler import avro
    from pipegen.run.results import to_datum
    from pipegen.run.synth import Synth, encode

    spec = api.check((ROOT / "specs" / "fraud_detection.pgl").read_text()).spec
    schema = avro.source_schema(spec, spec.statement("payments"))
    parsed = fastavro.parse_schema(schema)

    def made(g):
        for i in range(n):
            g.event(1_800_000_000_000 + i)

    def json_(g):
        for i in range(n):
            encode(g.event(1_800_000_000_000 + i)[1])

    def avro_(g):
        buf = io.BytesIO()
        for i in range(n):
            buf.seek(0)
            fastavro.schemaless_writer(buf, parsed, to_datum(schema, g.event(1_800_000_000_000 + i)[1], ""))

    rows = []
    for label, fn in (("made", made), ("made + JSON", json_), ("made + Avro binary", avro_)):
        rates = []
        for r in range(runs):
            g = Synth(spec, r, 0.01, 30_000).sources["payments"]
            t = time.perf_counter()
            fn(g)
            rates.append(n / (time.perf_counter() - t))
        rows.append((label, statistics.median(rates), min(rates), max(rates)))
    return rows


def _tree_rss(pid: int) -> int:
    """RSS in bytes of ``pid`` and every process below it."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(d.name)] = int(stat[1])
            rss[int(d.name)] = int(stat[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            pass
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += [c for c, parent in parents.items() if parent == p]
    return total


def fraud(rate: int, seconds: float) -> dict:
    from pipegen import api
    from pipegen.run.plan import make_plan
    from pipegen.run.session import Session, load_project

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "fraud"
        compiled = api.compile_text((ROOT / "specs" / "fraud_detection.pgl").read_text())
        api.write(compiled, out)
        project = load_project(out)
        plan = make_plan(project.spec, duration=seconds, message_rate=rate, seed=1)
        session = Session(project, plan)
        peak = [0]
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], _tree_rss(os.getpid()))
                stop.wait(0.5)

        threading.Thread(target=sample, daemon=True).start()
        at_end: dict = {}

        def view(stats) -> None:
            if not at_end and stats.elapsed() >= seconds - 0.5:
                s = stats.sources["payments"]
                at_end.update(produced=s.produced, read=s.read_by_flink)

        stats = session.run(view, lambda m: print(f"  {m}", file=sys.stderr))
        stop.set()
    s = stats.sources["payments"]
    p50, p95, p99, n = stats.latency()
    achieved = s.produced / seconds
    lag_end = (at_end.get("produced", 0) - (at_end.get("read") or 0)) if at_end else None
    return {"rate": rate, "achieved": achieved, "produced": s.produced, "read_final": s.read_by_flink,
            "lag_at_end": lag_end, "p50": p50, "p95": p95, "p99": p99, "rows": n, "peak_rss_mb": peak[0] / 2**20,
            "steady": achieved >= 0.95 * rate and lag_end is not None and lag_end <= rate}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="producer,fraud")
    ap.add_argument("--rates", default="500,1000,2000,4000,8000")
    ap.add_argument("--seconds", type=float, default=30.0)
    args = ap.parse_args()
    load = os.getloadavg()[0]
    print(f"# pipegen run benchmarks ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, load average {load:.1f})\n")
    if "producer" in args.only:
        print("| producer (fraud payments, one process) | median events/s | min | max |\n|---|---|---|---|")
        for label, med, lo, hi in producer():
            print(f"| {label} | {med:,.0f} | {lo:,.0f} | {hi:,.0f} |")
        print()
    if "fraud" in args.only:
        print("| target rate/s | achieved/s | Flink lag when traffic stopped | read after drain "
              "| latency p50 / p95 / p99 | sink rows | peak RSS of the run | steady |\n"
              "|---|---|---|---|---|---|---|---|")
        for rate in (int(r) for r in args.rates.split(",")):
            print(f"fraud at {rate}/s ...", file=sys.stderr)
            r = fraud(rate, args.seconds)

            def ms(v):
                return "-" if v is None else f"{v * 1000:.0f} ms"
            print(f"| {rate:,} | {r['achieved']:,.0f} | {r['lag_at_end'] if r['lag_at_end'] is not None else '-'} | "
                  f"{r['read_final'] or 0:,} of {r['produced']:,} | {ms(r['p50'])} / {ms(r['p95'])} / {ms(r['p99'])} | "
                  f"{r['rows']:,} | {r['peak_rss_mb']:,.0f} MB | {'yes' if r['steady'] else 'no'} |", flush=True)


if __name__ == "__main__":
    main()

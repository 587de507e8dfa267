"""Where the fraud example's latency goes, window by window (issue 10).

    python -m bench.run_latency --rate 2000 --seconds 20 [--defaults]

One `pipegen run` of specs/fraud_detection.pgl; for each window whose rows reached the sink: its rows, and
for them the time from the moment the window could close (its end plus the watermark delay, in wall-clock
time at the run's speed) to Flink's send of the row (the record's timestamp, which Flink's Kafka sink leaves
to the producer's clock), from that moment to the row's arrival at the run's reader, and from Flink's send
to the arrival (the broker and the reader). ``--defaults``: with Kafka's and Flink's defaults for what the run
sets for latency (see bench.run_pipeline --compare).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

from bench.run_pipeline import ROOT, _defaults


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--defaults", action="store_true")
    args = ap.parse_args()
    from pipegen import api
    from pipegen.run import session as run_session
    from pipegen.run.plan import make_plan
    from pipegen.run.results import ts_millis

    rows: list[tuple[int, int, float]] = []  # (window end ms, Flink's send ms, arrival s)
    row = run_session.Session._row

    def record(self, k, msg, arrival, checker, timing):  # noqa: ANN001, ANN202
        v = json.loads(msg.value())
        rows.append((ts_millis(v["window_end"]), msg.timestamp()[1], arrival))
        return row(self, k, msg, arrival, checker, timing)

    run_session.Session._row = record
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp, _defaults(args.defaults):
        out = Path(tmp) / "fraud"
        api.write(api.compile_text((ROOT / "specs" / "fraud_detection.pgl").read_text()), out)
        project = run_session.load_project(out)
        plan = make_plan(project.spec, duration=args.seconds, message_rate=args.rate, seed=1)
        session = run_session.Session(project, plan)
        stats = session.run(lambda s: None, lambda m: print(f"  {m}", file=sys.stderr))
    wm = 5000
    print(f"fraud at {args.rate}/s for {args.seconds:g} s, x{plan.speed:g}, "
          f"{'defaults' if args.defaults else 'the run' + chr(39) + 's settings'}; "
          f"load average {load:.1f}-{os.getloadavg()[0]:.1f}\n")
    print("| window end (event s after start) | rows | close to Flink's send: min / median / max "
          "| close to arrival: min / median / max | Flink's send to arrival: median / max |\n|---|---|---|---|---|")
    by_end: dict[int, list[tuple[float, float, float]]] = {}
    for end, sent, arrival in rows:
        close = session.wall_of(end + wm)
        by_end.setdefault(end, []).append((sent / 1000 - close, arrival - close, arrival - sent / 1000))
    for end in sorted(by_end):
        f, a, r = zip(*by_end[end])
        print(f"| {(end - session.et0_ms) / 1000:.1f} | {len(f)} | {min(f):.2f} / {statistics.median(f):.2f} / "
              f"{max(f):.2f} s | {min(a):.2f} / {statistics.median(a):.2f} / {max(a):.2f} s | "
              f"{statistics.median(r):.3f} / {max(r):.3f} s |")
    p50, p95, p99, n = stats.latency()
    print(f"\nall {n} rows: p50 {p50:.3f} s, p95 {p95:.3f} s, p99 {p99:.3f} s")


if __name__ == "__main__":
    main()

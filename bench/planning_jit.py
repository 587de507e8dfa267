"""Planning every example (both targets) in a fresh JVM with C1 only (the planner's default) and with Flink's
full tiered JIT, alternately, and the medians of each.

    python -m bench.planning_jit [--rounds 3]

Each round starts two processes, one per mode, so both see about the same machine; the load average is printed
with each. Figures: JVM start (TableEnvironment created) and planning of all 16 examples' statements.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ONE = """
import glob, json, sys, time
from pipegen import api
from pipegen.engine.flink import FlinkPlanner, planning_statements
t0 = time.perf_counter()
with FlinkPlanner(quick_jit=sys.argv[1] == "quick") as p:
    t1 = time.perf_counter()
    n = 0
    for i, f in enumerate(sorted(glob.glob("specs/*.pgl"))):
        c = api.compile_text(open(f).read(), f, ("local", "cloud"))
        for tgt in ("local", "cloud"):
            rs = p.plan(["CREATE DATABASE IF NOT EXISTS d%d%s" % (i, tgt), "USE d%d%s" % (i, tgt),
                         *[s.sql for s in planning_statements(c.check.analysis, tgt)]])
            assert all(r.ok for r in rs), [r.message for r in rs if not r.ok][:1]
            n += len(rs)
    t2 = time.perf_counter()
print(json.dumps({"start": t1 - t0, "plan": t2 - t1, "statements": n}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    import json

    got: dict[str, list[dict]] = {"quick": [], "full": []}
    for r in range(args.rounds):
        for mode in ("quick", "full"):
            load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
            out = subprocess.run([sys.executable, "-c", ONE, mode], cwd=ROOT, capture_output=True, text=True,
                                 check=True).stdout.strip().splitlines()[-1]
            fig = json.loads(out)
            got[mode].append(fig)
            print(f"round {r + 1} {mode:5}  load {load:>5}  start {fig['start']:5.1f} s  plan {fig['plan']:5.1f} s"
                  f"  ({fig['statements']} statements)")
    med = {m: {k: statistics.median(f[k] for f in v) for k in ("start", "plan")} for m, v in got.items()}
    for m in ("quick", "full"):
        print(f"median {m:5}  start {med[m]['start']:5.1f} s  plan {med[m]['plan']:5.1f} s")
    print(f"C1 only / full JIT: start {med['quick']['start'] / med['full']['start']:.2f}, "
          f"plan {med['quick']['plan'] / med['full']['plan']:.2f}")


if __name__ == "__main__":
    main()

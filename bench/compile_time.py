"""Compile time of this tree, optionally against another revision, interleaved.

    python -m bench.compile_time [--before REV] [--rounds 10] [--runs 40]

(a) In process, each tree in a worker process of its own (``PYTHONPATH`` = the tree), after one untimed call:
``api.compile_text`` of a generated ~100-line spec; the same plus ``api.write`` into a folder (``force``);
and the config/schema emitting alone (``project._dump_yaml`` of the three YAML files and ``project._json`` of the
Avro schemas and a manifest-sized dict). (b) Whole processes: ``pipegen compile specs/fraud_detection.pgl -o DIR
--force`` and a bare ``python -c pass``, the order rotated each round; the difference is taken per round.

CPU times (the worker's ``process_time``, a child's user + system time) are less moved by other load than wall
times, so they are reported too. ``--before REV`` extracts that revision (``git archive``) to a temporary
folder and measures it in the same
rounds, alternating with this tree, so a drifting machine load moves both. Every figure is a median.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Runs inside a worker with PYTHONPATH set to the tree measured; prints one JSON line of times in ms.
WORKER = r"""
import json, shutil, sys, tempfile, time
from pathlib import Path
from pipegen import api
from pipegen.compiler import project
text, runs = Path(sys.argv[1]).read_text(encoding="utf-8"), int(sys.argv[2])
out = Path(tempfile.mkdtemp(prefix="pipegen-bench-"))
res = api.compile_text(text, "generated_100.pgl")
assert res.ok, [d.message for d in res.diagnostics][:3]
api.write(res, out / "p", force=True)  # untimed: yaml imported, templates and folder made
yaml_data = [__import__("yaml").safe_load(res.files[k]) for k in ("config/local.yaml", "config/cloud.yaml",
                                                                  ".pipegen.yaml")]
json_data = [json.loads(v) for k, v in res.files.items() if k.endswith(".avsc")]
json_data.append({"version": 1, "files": {k: "0" * 64 for k in res.files}})  # a manifest's shape
times = {"compile": [], "compile cpu": [], "compile+write": [], "emit": []}
for _ in range(runs):
    c0 = time.process_time()
    t0 = time.perf_counter()
    api.compile_text(text, "generated_100.pgl")
    t1 = time.perf_counter()
    times["compile cpu"].append((time.process_time() - c0) * 1e3)
    api.write(api.compile_text(text, "generated_100.pgl"), out / "p", force=True)
    t2 = time.perf_counter()
    for d in yaml_data:
        project._dump_yaml(d, "# h\n")
    for d in json_data:
        project._json(d)
    t3 = time.perf_counter()
    times["compile"].append((t1 - t0) * 1e3)
    times["compile+write"].append((t2 - t1) * 1e3)
    times["emit"].append((t3 - t2) * 1e3)
times["emit_files"] = [len(yaml_data) + len(json_data)]
shutil.rmtree(out, ignore_errors=True)
print(json.dumps({"pipegen": __import__("pipegen").__file__, **times}))
"""


def extract(rev: str) -> Path:
    dest = Path(tempfile.mkdtemp(prefix="pipegen-before-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def env_for(tree: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(tree)
    return env


def med(xs: list[float]) -> str:
    return f"{statistics.median(xs):.2f} ms (min {min(xs):.2f}, max {max(xs):.2f}, n={len(xs)})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.compile_time", description=__doc__.splitlines()[0])
    ap.add_argument("--before", help="a git revision to measure against (e.g. HEAD~1)")
    ap.add_argument("--rounds", type=int, default=10, help="rounds; each runs every tree once")
    ap.add_argument("--runs", type=int, default=40, help="in-process runs per tree per round")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.run import spec_of_lines

    trees = {"after": ROOT}
    tmp = Path(tempfile.mkdtemp(prefix="pipegen-bench-"))
    try:
        if args.before:
            trees = {"before": extract(args.before), "after": ROOT}
        spec_file = tmp / "generated_100.pgl"
        text = spec_of_lines(100)
        n_lines = len(text.splitlines())
        spec_file.write_text(text, encoding="utf-8")
        py = sys.executable
        pipegen = str(Path(py).parent / "pipegen")
        spec = str(ROOT / "specs" / "fraud_detection.pgl")
        inproc: dict[str, dict[str, list[float]]] = {t: {} for t in trees}
        # (b): "bare", and per tree a compile into a fresh DIR and a recompile over the project already there
        # (which reads its config/local.yaml, so PyYAML was imported there before this change too).
        kinds = ("fresh", "existing")
        wall: dict[str, list[float]] = {"bare": []} | {f"{t} {k}": [] for t in trees for k in kinds}
        cpu: dict[str, list[float]] = {n: [] for n in wall}  # the child's user + system time
        diffs: dict[str, list[float]] = {n: [] for n in wall if n != "bare"}
        for t, tree in trees.items():  # warm-up: .pyc files, the parser tables cache, the page cache
            subprocess.run([pipegen, "compile", spec, "-o", str(tmp / t), "--force"], env=env_for(tree), cwd=tree,
                           capture_output=True, check=True)
            probe = subprocess.run([py, "-c", "import pipegen; print(pipegen.__file__)"], env=env_for(tree), cwd=tree,
                                   capture_output=True, text=True, check=True).stdout
            if not probe.startswith(str(tree)):
                raise SystemExit(f"bench: {t} imports {probe.strip()}, not {tree}")
        for r in range(args.rounds):
            names = list(trees)
            names = names[r % len(names):] + names[:r % len(names)]
            for t in names:  # (a) in process
                p = subprocess.run([py, "-c", WORKER, str(spec_file), str(args.runs)], env=env_for(trees[t]),
                                   cwd=trees[t], capture_output=True, text=True, check=True)  # sys.path[0] is cwd
                got = json.loads(p.stdout)
                if not got.pop("pipegen").startswith(str(trees[t])):
                    raise SystemExit(f"bench: the {t} worker imported another pipegen")
                for k, xs in got.items():
                    inproc[t].setdefault(k, []).extend(xs)
            order = list(wall)
            order = order[r % len(order):] + order[:r % len(order)]
            this_round: dict[str, float] = {}
            for name in order:  # (b) whole processes
                t, _, kind = name.partition(" ")
                tree = ROOT if name == "bare" else trees[t]
                out = tmp / (f"{t}-{r}" if kind == "fresh" else t)
                argv_ = [py, "-c", "pass"] if name == "bare" else [pipegen, "compile", spec, "-o", str(out), "--force"]
                r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                t0 = time.perf_counter()
                subprocess.run(argv_, env=env_for(tree), cwd=tree, capture_output=True, check=True)
                this_round[name] = (time.perf_counter() - t0) * 1e3
                r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                wall[name].append(this_round[name])
                cpu[name].append((r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1e3)
            for name, xs in diffs.items():
                xs.append(this_round[name] - this_round["bare"])
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if "before" in trees:
            shutil.rmtree(trees["before"], ignore_errors=True)
    load = os.getloadavg()
    print(f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end; "
          f"Python {sys.version.split()[0]}; {args.rounds} rounds x {args.runs} in-process runs; the spec has "
          f"{n_lines} lines; emitting = {int(inproc['after']['emit_files'][0])} files\n")
    print("| figure | " + " | ".join(trees) + " |")
    print("|---|" + "---:|" * len(trees))
    for k, label in (("compile", "api.compile_text, ~100-line spec"),
                     ("compile cpu", "  the same, CPU time"),
                     ("compile+write", "compile_text + api.write (force), ~100-line spec"),
                     ("emit", "emitting 3 YAML + the JSON files alone")):
        print(f"| {label} | " + " | ".join(med(inproc[t][k]) for t in trees) + " |")
    print("| python -c pass (wall; CPU) | " + " | ".join(f"{med(wall['bare'])}; {med(cpu['bare'])}" for _ in trees)
          + " |")
    for kind, label in (("fresh", "into a fresh DIR"), ("existing", "over the existing project")):
        print(f"| pipegen compile fraud_detection.pgl -o DIR --force, {label} | "
              + " | ".join(med(wall[f"{t} {kind}"]) for t in trees) + " |")
        print("|   minus bare python (same round) | " + " | ".join(med(diffs[f"{t} {kind}"]) for t in trees) + " |")
        print("|   CPU time (user + system) | " + " | ".join(med(cpu[f"{t} {kind}"]) for t in trees) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

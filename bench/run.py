"""PipeGen benchmarks: compile, command start-up, Flink validation, constrained decoding.

    python -m bench.run [--quick] [--only compile,startup,flink,decode] [--models smollm2,gemma3] [--json out.json]

Prints one markdown table. Every figure is the median of several runs with the
min and max beside it; where two things are compared they are measured in the
same run, interleaved, and the ratio (or difference) is taken per pair, so a
drifting machine load moves both sides of a comparison together.
See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.pgl"))
# The `--describe` requests of the product doc (`pipegen init ... --describe "..." [--domain D]`), with their
# --domain, taken from the doc once into this file (so the bench reads nothing outside the repository).
DOC_REQUESTS = ROOT / "bench" / "doc_requests.jsonl"
SECTIONS = ("compile", "startup", "flink", "decode")


# ------------------------------------------------------------------ figures


@dataclass
class Row:
    section: str
    name: str
    unit: str  # "ms", "s", "tok/s", "x", "tokens"
    median: float
    min: float
    max: float
    runs: int
    p95: float | None = None
    ratio: str = ""  # a comparison, e.g. "0.93 (constrained / free)"
    target: str = ""  # the target and whether it was met
    note: str = ""


def p95(xs: list[float]) -> float:
    s = sorted(xs)
    return s[max(0, math.ceil(0.95 * len(s)) - 1)]


def row(section: str, name: str, unit: str, xs: list[float], *, with_p95: bool = False, ratio: str = "",
        target: str = "", note: str = "") -> Row:
    return Row(section, name, unit, statistics.median(xs), min(xs), max(xs), len(xs),
               p95(xs) if with_p95 else None, ratio, target, note)


def fmt(v: float | None, unit: str) -> str:
    if v is None:
        return ""
    if unit in ("ms", "s"):
        a = abs(v)
        if a >= 100:
            return f"{v:.0f} {unit}"
        if a >= 10:
            return f"{v:.1f} {unit}"
        return f"{v:.2f} {unit}"
    if unit == "tok/s":
        return f"{v:.1f} tok/s"
    if unit == "x":
        return f"{v:.2f}x"
    if unit == "tokens":
        return f"{v:.0f}"
    return f"{v:.3g} {unit}"


def table(rows: list[Row]) -> str:
    head = "| section | figure | median | p95 | min | max | runs | ratio / difference | target | note |"
    lines = [head, "|---|---|---:|---:|---:|---:|---:|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.section} | {r.name} | {fmt(r.median, r.unit)} | {fmt(r.p95, r.unit)} | "
                     f"{fmt(r.min, r.unit)} | {fmt(r.max, r.unit)} | {r.runs} | {r.ratio} | {r.target} | {r.note} |")
    return "\n".join(lines)


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def ms(seconds: float) -> float:
    return seconds * 1000.0


# ------------------------------------------------------------------ 1. compile


def generated_spec(stages: int) -> str:
    """A valid spec with ``stages`` stages: a chain of transforms (filters, projections, derived columns),
    ending in a windowed aggregate and a sink. Each stage is 5 to 8 lines, like the examples' stages."""
    parts = [
        f'pipeline generated_{stages} {{\n  description "A generated chain of {stages} stages"\n  domain iot\n}}\n',
        "source readings {\n"
        '  description "Sensor readings"\n'
        '  topic "readings"\n'
        "  format avro\n"
        "  fields {\n"
        '    reading_id   uuid          "Reading id"\n'
        '    device_id    string        "Device"\n'
        '    site         string        "Site"\n'
        '    temperature  double        "Celsius"\n'
        '    pressure     double?       "kPa"\n'
        '    status       enum(ok, warn, fail) "Device status"\n'
        '    reading_time timestamp(3)  "When it was read"\n'
        "  }\n"
        "  key device_id\n"
        "  event_time reading_time watermark 5 s\n"
        "}\n",
    ]
    prev = "readings"
    for i in range(stages - 1):
        name = f"stage_{i}"
        k = i % 3
        if k == 0:
            body = f"  where temperature > {i % 50} and status != \"warn\" or site in (\"s{i}\", \"t{i}\")\n"
        elif k == 1:
            body = ("  select {\n    reading_id\n    device_id\n    site\n"
                    f"    temperature = round(temperature * 1.01 + {i}, 2)\n    pressure = coalesce(pressure, 0.0)\n"
                    "    status\n    reading_time\n  }\n")
        else:
            body = (f"  description \"step {i}\"\n  where pressure is null or pressure < {1000 + i}\n")
        parts.append(f"transform {name} from {prev} {{\n{body}}}\n")
        prev = name
    parts.append(
        f"aggregate per_minute from {prev} {{\n  window tumble(reading_time, 1 min)\n  group by device_id\n"
        "  measures {\n    readings = count(*)\n    avg_temperature = avg(temperature)\n"
        "    max_pressure = max(pressure)\n  }\n}\n")
    parts.append('sink per_minute_out from per_minute {\n  topic "per-minute"\n  format avro\n}\n')
    return "\n".join(parts)


def spec_of_lines(lines: int) -> str:
    """A generated spec of about ``lines`` lines (the smallest stage count reaching it)."""
    n = 1
    while len(generated_spec(n).splitlines()) < lines:
        n += 1
    return generated_spec(n)


def time_compile(text: str, file: str, runs: int) -> list[float]:
    from pipegen import api

    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        res = api.compile_text(text, file)
        out.append(time.perf_counter() - t0)
        if not res.ok:
            raise SystemExit(f"bench: {file} does not compile: {[d.message for d in res.diagnostics][:3]}")
    return out


def bench_compile(quick: bool) -> list[Row]:
    from pipegen import api

    rows: list[Row] = []
    runs = 10 if quick else 30
    t0 = time.perf_counter()
    api.compile_text(SPECS[0].read_text(encoding="utf-8"), SPECS[0].name)  # first call: grammar, templates
    rows.append(row("compile", "first compile in a process (grammar and templates load)", "ms",
                    [ms(time.perf_counter() - t0)], note=SPECS[0].name))
    all_specs = []
    for p in SPECS:
        text = p.read_text(encoding="utf-8")
        xs = [ms(x) for x in time_compile(text, p.name, runs)]
        all_specs += xs
        rows.append(row("compile", f"{p.name} ({len(text.splitlines())} lines)", "ms", xs, with_p95=True,
                        note="local + cloud"))
    log("compile: examples done")
    text = spec_of_lines(100)
    n_lines = len(text.splitlines())
    xs = [ms(x) for x in time_compile(text, "generated_100.pgl", runs)]
    rows.append(row("compile", f"generated spec, {n_lines} lines", "ms", xs, with_p95=True,
                    target=_target(statistics.median(xs) < 10, "< 10 ms")))
    med_of: dict[int, float] = {}
    for stages, n in ((10, 10 if quick else 20), (100, 5 if quick else 10), (1000, 3 if quick else 5)):
        text = generated_spec(stages)
        xs = [ms(x) for x in time_compile(text, f"stages_{stages}.pgl", n)]
        med = statistics.median(xs)
        med_of[stages] = med
        tgt = _target(med < 1000, "< 1 s") if stages == 1000 else ""
        rows.append(row("compile", f"generated spec, {stages} stages ({len(text.splitlines())} lines)", "ms", xs,
                        target=tgt))
        growth = ""
        if stages == 1000:  # the cost of one more stage, 100 -> 1000 vs 10 -> 100: 1.0 when linear
            slope_hi = (med_of[1000] - med_of[100]) / 900
            slope_lo = (med_of[100] - med_of[10]) / 90
            growth = (f"{slope_hi / slope_lo:.2f} (ms per added stage: {slope_hi:.2f} from 100 to 1000 vs "
                      f"{slope_lo:.2f} from 10 to 100)")
        rows.append(row("compile", f"  per stage, {stages} stages", "ms", [x / stages for x in xs], ratio=growth,
                        target="linear: ratio ~1" if stages == 1000 else ""))
        log(f"compile: {stages} stages done")
    return rows


def _target(ok: bool, text: str) -> str:
    return f"{text}: {'met' if ok else 'MISSED'}"


# ------------------------------------------------------------------ 2. start-up


def bench_startup(quick: bool) -> list[Row]:
    py = sys.executable
    pipegen = str(Path(py).parent / "pipegen")
    if not Path(pipegen).exists():
        pipegen = shutil.which("pipegen") or pipegen
    spec = str(ROOT / "specs" / "fraud_detection.pgl")
    rounds = 5 if quick else 10
    tmp = Path(tempfile.mkdtemp(prefix="pipegen-bench-"))
    cmds = {
        "python -c pass": [py, "-c", "pass"],
        "pipegen --version": [pipegen, "--version"],
        "pipegen compile fraud_detection.pgl -o TMP -q": None,  # a fresh TMP each run
    }
    times: dict[str, list[float]] = {k: [] for k in cmds}
    # .pyc files written as a user's Python writes them (any non-empty PYTHONDONTWRITEBYTECODE, "0" too, stops it).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    try:
        # one untimed round: warm the page cache and the .pyc files
        subprocess.run([pipegen, "compile", spec, "-o", str(tmp / "warm"), "-q"], check=True, env=env,
                       capture_output=True)
        for r in range(rounds):
            names = list(cmds)
            names = names[r % 3:] + names[:r % 3]  # rotate the order: no command always runs first
            for name in names:
                argv = cmds[name] or [pipegen, "compile", spec, "-o", str(tmp / f"out{r}"), "-q"]
                t0 = time.perf_counter()
                p = subprocess.run(argv, env=env, capture_output=True, check=False)
                dt = time.perf_counter() - t0
                if p.returncode != 0:
                    raise SystemExit(f"bench: {' '.join(argv)} failed: {p.stderr.decode()[-500:]}")
                times[name].append(ms(dt))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    bare = times["python -c pass"]
    rows = [row("startup", "python -c pass (bare interpreter)", "ms", bare)]
    for name in list(cmds)[1:]:
        xs = times[name]
        diff = [x - b for x, b in zip(xs, bare)]
        rat = [x / b for x, b in zip(xs, bare)]
        rows.append(row("startup", name, "ms", xs, ratio=f"{statistics.median(rat):.1f}x bare python"))
        tgt = _target(statistics.median(diff) <= 300, "<= 300 ms over bare python") if "compile" in name else ""
        rows.append(row("startup", f"  {name.split(' ')[1]}: minus bare python (same round)", "ms", diff,
                        target=tgt))
    log("startup done")
    return rows


# ------------------------------------------------------------------ 3. Flink


def flink_jars() -> list[str]:
    """$PIPEGEN_FLINK_JARS, else the jars PipeGen keeps in the user cache (fetched on first use)."""
    from pipegen.engine.flink import connector_jars

    return [str(p) for p in connector_jars()]


def flink_worker() -> None:
    """One run in a fresh process (so the JVM start is measured each time): prints JSON on stdout."""
    from pipegen import api
    from pipegen.engine.flink import FlinkPlanner, planning_statements

    jars = flink_jars()
    statements = []
    for p in SPECS:
        c = api.compile_text(p.read_text(encoding="utf-8"), p.name, targets=("local",))
        assert c.ok, p
        statements.append((p.name, [s.sql for s in planning_statements(c.check.analysis, "local")]))
    out: dict = {"per_statement": [], "failed": [], "tenv": []}
    t_all = time.perf_counter()
    t0 = time.perf_counter()
    first = FlinkPlanner(jars=jars)
    first.start()
    out["jvm_start"] = time.perf_counter() - t0
    t_plan = time.perf_counter()
    for i, (name, sqls) in enumerate(statements):
        # a fresh TableEnvironment (catalog) per example, in the same JVM: the examples reuse table names
        planner = first if i == 0 else FlinkPlanner(jars=jars)
        t0 = time.perf_counter()
        planner.start()
        if i:
            out["tenv"].append(time.perf_counter() - t0)
        for r in planner.plan(sqls):
            out["per_statement"].append(r.seconds)
            if not r.ok:
                out["failed"].append(f"{name}#{r.index}: {r.message[:120]}")
        planner.close()
    out["planning"] = time.perf_counter() - t_plan
    out["total"] = time.perf_counter() - t_all
    out["statements"] = sum(len(s) for _, s in statements)
    print(json.dumps(out))


def bench_flink(quick: bool) -> list[Row]:
    runs = 2 if quick else 3
    results = []
    for i in range(runs):
        p = subprocess.run([sys.executable, "-m", "bench.run", "--_flink-worker"], cwd=ROOT, capture_output=True,
                           text=True, check=False)
        if p.returncode != 0:
            raise SystemExit(f"bench: the Flink run failed: {p.stderr[-2000:]}")
        results.append(json.loads(p.stdout.strip().splitlines()[-1]))
        log(f"flink: run {i + 1}/{runs} done")
    n = results[0]["statements"]
    failed = sorted({f for r in results for f in r["failed"]})
    per_stmt_med = [ms(statistics.median(r["per_statement"])) for r in results]
    per_stmt_max = [ms(max(r["per_statement"])) for r in results]
    note = f"{n} statements of {len(SPECS)} examples; " + (f"{len(failed)} REJECTED: {failed[:3]}" if failed
                                                           else "all planned")
    return [
        row("flink", "JVM start (first TableEnvironment)", "s", [r["jvm_start"] for r in results],
            note="py4j gateway + JVM, in a fresh process each run"),
        row("flink", "new TableEnvironment in a running JVM", "ms",
            [ms(statistics.median(r["tenv"])) for r in results], note="median per run"),
        row("flink", f"plan all {n} statements (JVM up)", "s", [r["planning"] for r in results], note=note),
        row("flink", "total: JVM start + plan everything", "s", [r["total"] for r in results]),
        row("flink", "per statement: median", "ms", per_stmt_med, note="the median statement of each run"),
        row("flink", "per statement: max", "ms", per_stmt_max, note="the slowest statement of each run "
            "(the first one pays for class loading)"),
    ]


# ------------------------------------------------------------------ 4. decoding


def doc_requests() -> list[tuple[str, str | None]]:
    """The (description, domain) of every `pipegen init ... --describe` in the product doc."""
    rows = [json.loads(line) for line in DOC_REQUESTS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(r["describe"], r["domain"]) for r in rows]


def _constrained_steps(events: list[tuple[int, float]]) -> dict:
    """Split one generate() call's progress events into sampled steps and forced (fast-forwarded) batches.

    The backend reports progress once per step: a step that adds one token sampled it (under the grammar's
    mask), a step that adds more fed a forced run in one batch. The first step also holds the set-up (grammar
    compile, prompt evaluation) and is reported apart."""
    sampled_n = forced_n = 0
    sampled_t = forced_t = 0.0
    prev_tok, prev_t = 0, 0.0
    first = events[0][1] if events else 0.0
    for i, (tok, t) in enumerate(events):
        added, dt = tok - prev_tok, t - prev_t
        if i > 0:
            if added == 1:
                sampled_n += 1
                sampled_t += dt
            elif added > 1:
                forced_n += added
                forced_t += dt
        prev_tok, prev_t = tok, t
    last = events[-1] if events else (0, 0.0)
    return {"first_step": first, "first_tokens": events[0][0] if events else 0, "sampled": sampled_n,
            "sampled_s": sampled_t, "forced": forced_n, "forced_s": forced_t, "tokens": last[0],
            "decode_s": last[1] - first}


def free_run(llm, prompt_tokens: list[int], n: int) -> tuple[float, float]:
    """The backend's loop without the grammar: argmax over the raw logits, one llm.eval per token.
    Returns (prompt seconds, decode seconds)."""
    import llama_cpp
    import numpy as np

    n_vocab = llm.n_vocab()
    t0 = time.perf_counter()
    llm.reset()
    llm.eval(prompt_tokens)
    t1 = time.perf_counter()
    for _ in range(n):
        ptr = llama_cpp.llama_get_logits_ith(llm.ctx, -1)
        logits = np.ctypeslib.as_array(ptr, shape=(n_vocab,)).astype(np.float32)[None, :]
        token = int(np.argmax(logits[0]))
        if not np.isfinite(logits[0, token]):
            raise RuntimeError("non-finite logits")
        llm.eval([token])
    return t1 - t0, time.perf_counter() - t1


def bench_decode(quick: bool, models: list[str]) -> list[Row]:
    from pipegen.backends.base import Progress
    from pipegen.backends.llamacpp import LlamaCppBackend

    from pipegen.domains import normalise
    from pipegen.generate import generate, plan_request
    from pipegen.generate import spec_prompt as build_prompt

    requests = doc_requests()
    if quick:
        requests = requests[:3]
    reps = 2 if quick else 3
    rows: list[Row] = []
    for model in models:
        backend = LlamaCppBackend(model)
        t0 = time.perf_counter()
        llm, _tok = backend.load()
        load_s = time.perf_counter() - t0
        rows.append(row("decode", f"{model}: load the model", "s", [load_s], note=f"{backend.model}, "
                        f"{backend.n_threads} threads; once per process"))
        # per-run figures, pooled over requests and repetitions
        free_e2e, free_dec, con_e2e, con_dec, con_sampled, con_forced_rate = [], [], [], [], [], []
        ratio_sampled, ratio_dec, ratio_e2e, to_first = [], [], [], []
        sampled_counts, forced_counts = [], []
        per_request: list[tuple[str, list[float], list[str]]] = []
        for i, (desc, domain) in enumerate(requests):
            dom, _ = normalise(domain)
            plan = plan_request(desc, dom)
            system, user = build_prompt(plan)
            prompt_tokens = llm.tokenize(backend.chat_prompt(llm, system, user).encode("utf-8"), add_bos=True,
                                         special=True)
            secs, notes = [], []
            for rep in range(reps):
                attempts: list[list[tuple[int, float]]] = []

                def on_progress(p: Progress, attempts=attempts) -> None:
                    if not attempts or p.tokens < attempts[-1][-1][0] or p.seconds < attempts[-1][-1][1]:
                        attempts.append([])
                    attempts[-1].append((p.tokens, p.seconds))

                t0 = time.perf_counter()
                res = generate(desc, domain, backend, on_progress=on_progress, seed=0)
                wall = time.perf_counter() - t0
                secs.append(wall)
                if rep == 0:
                    notes.append(("valid" if res.ok else "NOT valid") + f", {res.attempts} attempt(s), "
                                 f"{res.tokens} tokens")
                st = _constrained_steps(attempts[0]) if attempts else None
                if st is None or st["tokens"] < 2:
                    continue
                # the same number of tokens, decoded freely with the same llama.cpp loop, right after
                prompt_s, dec_s = free_run(llm, prompt_tokens, st["tokens"])
                f_e2e = st["tokens"] / (prompt_s + dec_s)
                f_dec = st["tokens"] / dec_s
                free_e2e.append(f_e2e)
                free_dec.append(f_dec)
                c_e2e = st["tokens"] / (st["first_step"] + st["decode_s"])
                c_dec = (st["tokens"] - st["first_tokens"]) / st["decode_s"] if st["decode_s"] > 0 else float("nan")
                con_e2e.append(c_e2e)
                con_dec.append(c_dec)
                to_first.append(ms(st["first_step"]))
                if st["sampled"]:
                    rate = st["sampled"] / st["sampled_s"]
                    con_sampled.append(rate)
                    ratio_sampled.append(rate / f_dec)
                if st["forced"]:
                    con_forced_rate.append(st["forced"] / st["forced_s"])
                ratio_dec.append(c_dec / f_dec)
                ratio_e2e.append(c_e2e / f_e2e)
                sampled_counts.append(st["sampled"])
                forced_counts.append(st["forced"])
            per_request.append((desc, secs, notes))
            log(f"decode {model}: request {i + 1}/{len(requests)} done")
        m = model
        rows += [
            row("decode", f"{m}: free decoding (no grammar), per token", "tok/s", free_dec,
                note="argmax over raw logits, llm.eval per token; prompt excluded"),
            row("decode", f"{m}: constrained, per sampled token", "tok/s", con_sampled,
                ratio=f"{statistics.median(ratio_sampled):.2f} (min {min(ratio_sampled):.2f}, max "
                      f"{max(ratio_sampled):.2f}) constrained / free",
                target=_target(statistics.median(ratio_sampled) >= 0.8, ">= 0.8"),
                note="mask + argmax + eval per token"),
            row("decode", f"{m}: constrained, forced tokens (fast-forward batches)", "tok/s", con_forced_rate,
                note="forced text fed to the model in one batch"),
            row("decode", f"{m}: constrained decode, all tokens", "tok/s", con_dec,
                ratio=f"{statistics.median(ratio_dec):.2f} constrained / free",
                note="sampled + forced after the first step"),
            row("decode", f"{m}: free, end to end (prompt + tokens)", "tok/s", free_e2e),
            row("decode", f"{m}: constrained, end to end", "tok/s", con_e2e,
                ratio=f"{statistics.median(ratio_e2e):.2f} constrained / free",
                note="grammar compile + prompt + tokens"),
            row("decode", f"{m}: constrained, time to the first token", "ms", to_first,
                note="grammar compile + prompt evaluation + first step"),
            row("decode", f"{m}: tokens per spec: sampled", "tokens", [float(x) for x in sampled_counts]),
            row("decode", f"{m}: tokens per spec: forced", "tokens", [float(x) for x in forced_counts]),
        ]
        for desc, secs, notes in per_request:
            short = desc if len(desc) <= 60 else desc[:57] + "..."
            rows.append(row("decode", f"{m}: time to a valid spec: \"{short}\"", "s", secs, note=notes[0]))
    return rows


# ------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repetitions, 3 generation requests")
    ap.add_argument("--only", default=",".join(SECTIONS), help="comma-separated: " + ",".join(SECTIONS))
    ap.add_argument("--models", default="smollm2", help="embedded models for the decode section: smollm2,gemma3")
    ap.add_argument("--json", dest="json_out", help="also write the figures as JSON to this file")
    ap.add_argument("--_flink-worker", dest="flink_worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.flink_worker:
        flink_worker()
        return 0
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        ap.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    rows: list[Row] = []
    started = time.perf_counter()
    for section in SECTIONS:
        if section not in only:
            continue
        log(f"{section} ...")
        if section == "compile":
            rows += bench_compile(args.quick)
        elif section == "startup":
            rows += bench_startup(args.quick)
        elif section == "flink":
            rows += bench_flink(args.quick)
        elif section == "decode":
            rows += bench_decode(args.quick, [m.strip() for m in args.models.split(",") if m.strip()])
    load = os.getloadavg()
    print(f"Machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end; "
          f"Python {sys.version.split()[0]}; {'quick' if args.quick else 'full'} run, "
          f"{time.perf_counter() - started:.0f} s.\n")
    print(table(rows))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"cores": os.cpu_count(), "loadavg": load, "quick": args.quick,
                                                   "rows": [asdict(r) for r in rows]}, indent=2) + "\n",
                                       encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

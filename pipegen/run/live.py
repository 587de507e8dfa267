"""What the user sees of a run: the plan (``--dry-run``), the live view while it runs (rich, on stderr), and
the summary at the end (stdout)."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from pipegen.run.plan import RunPlan, show_time
from pipegen.run.stats import Stats

WIRE_NOTE = ("values are JSON on the run's broker: no avro-confluent format jar for Flink can be had without "
             "Maven; every sink row is checked against its Avro schema instead")


def _ms(v: float | None) -> str:
    return "-" if v is None else (f"{v * 1000:.0f} ms" if v < 10 else f"{v:.1f} s")


def plan_lines(plan: RunPlan, project: str, broker: list[str] | None = None) -> list[str]:
    """The plan, as printed before the run; ``broker``: the lines that say where the topics are, when they are
    not on the embedded broker."""
    out = [f"run of {project}: {show_time(plan.duration)} of traffic, seed {plan.seed}",
           f"event time: {plan.speed:g}x the wall clock ({plan.speed_reason})",
           f"late events: {plan.late_share:.1%} written behind the watermark"]
    if plan.traffic.phases:
        out.append("traffic: " + ", ".join(p.label() for p in plan.traffic.phases) + "; else 100%")
    else:
        out.append("traffic: steady (100% of each source's rate)")
    out.append("sources:")
    for s in plan.sources:
        if s.topic is None:
            out.append(f"  {s.name:<24} {s.origin}")
            continue
        kind = "versioned table: every key first, then changes" if s.table else "stream"
        shape = ""
        if plan.traffic.phases:
            shape = "; " + ", ".join(f"{p.label().split(':')[0]} {s.rate * p.percent / 100:g}/s"
                                     for p in plan.traffic.phases)
        expected = s.rate * plan.traffic.mean_factor(plan.duration) * plan.duration
        out.append(f"  {s.name:<24} {s.origin}: {s.rate:g} events/s ({kind}){shape}; about {expected:,.0f} events")
    for pattern, ms in plan.regimes:
        out.append(f"pattern {pattern}: each key of its partition is anomalous for {show_time(ms / 1000)} of event "
                   f"time, then normal as long (its define asks for a minimum duration)")
    for h in plan.hot:
        if h.reachable:
            out.append(f"hot key: the having of {h.stage} needs {h.need:,} events of one key a "
                       f"{show_time(h.window_ms / 1000)} window: one key gets at least {h.share:.0%} of {h.source} "
                       f"in every other {show_time(h.window_ms / 1000)}")
    for note in plan.notes:
        out.append(f"note: {note}")
    out.append("sinks:")
    for name, where in plan.sinks:
        out.append(f"  {name:<24} {where}")
    if broker is None:
        out.append(f"engine: Apache Flink, local execution in one JVM, parallelism {plan.parallelism}; broker: Tansu "
                   f"on 127.0.0.1 ({plan.parallelism} partition{'s' if plan.parallelism > 1 else ''} a topic)")
        out.append(WIRE_NOTE)
    else:
        out.append(f"engine: Apache Flink, local execution in one JVM, parallelism {plan.parallelism}")
        out += broker
    return out


def view(stats: Stats, plan: RunPlan) -> Group:
    snap = stats.snapshot()
    head = Table.grid(padding=(0, 2))
    head.add_row(Text(f"{snap['elapsed_s']:.0f}s / {show_time(plan.duration)}", style="bold"),
                 f"phase: {snap['phase'] or '-'}", f"event time x{plan.speed:g}",
                 f"Flink job: {snap['job']['state']}")
    src = Table(title=None, box=None, pad_edge=False)
    for col in ("source", "produced", "rate/s", "target/s", "read by Flink", "lag", "late"):
        src.add_column(col, justify="right" if col != "source" else "left")
    series = snap["series"]
    rate = series[-1]["produce_rate"] if series else 0
    target = series[-1]["target_rate"] if series else 0
    for s in snap["sources"]:
        read = s["read_by_flink"]
        lag = "-" if read is None else f"{max(0, s['produced'] + s['table_rows'] - read):,}"
        share = s["produced"] / max(1, sum(x["produced"] for x in snap["sources"]))
        src.add_row(s["name"], f"{s['produced']:,}", f"{rate * share:,.0f}", f"{target * share:,.0f}",
                    "-" if read is None else f"{read:,}", lag, f"{s['late']:,}")
    snk = Table(box=None, pad_edge=False)
    for col in ("sink", "rows", "windows", "failed checks", "first row"):
        snk.add_column(col, justify="right" if col != "sink" else "left")
    for s in snap["sinks"]:
        snk.add_row(s["name"], f"{s['rows']:,}" + (f" (+{s['deletes']} deletes)" if s["deletes"] else ""),
                    f"{s['windows']:,}", f"{s['failed']:,}",
                    "-" if s["first_row_s"] is None else f"{s['first_row_s']:.1f}s")
    lat = snap["latency_s"]
    foot = Text(f"latency (event time to sink row): p50 {_ms(lat['p50'])}  p95 {_ms(lat['p95'])}  "
                f"p99 {_ms(lat['p99'])}   late events dropped by Flink: "
                f"{'-' if snap['late_dropped_by_flink'] is None else snap['late_dropped_by_flink']}")
    parts: list[Any] = [head, src, snk, foot]
    for e in snap["errors"]:
        parts.append(Text(f"error: {e}", style="red"))
    return Group(*parts)


def progress_line(stats: Stats) -> str:
    snap = stats.snapshot()
    produced = sum(s["produced"] for s in snap["sources"])
    rows = sum(s["rows"] for s in snap["sinks"])
    return (f"{snap['elapsed_s']:.0f}s  job {snap['job']['state']}  produced {produced:,}  sink rows {rows:,}  "
            f"{snap['phase']}")


def summary_lines(stats: Stats, plan: RunPlan, reconciliation: list[str]) -> list[str]:
    snap = stats.snapshot()
    series = snap["series"]
    traffic = min(snap["elapsed_s"], plan.duration)
    out = [f"ran {traffic:.1f} s of traffic at event time x{plan.speed:g}, then read the sinks until they were "
           f"quiet; Flink job {snap['job']['state']}"]
    for s in snap["sources"]:
        extra = f", {s['table_rows']:,} table rows first" if s["table_rows"] else ""
        read = "-" if s["read_by_flink"] is None else f"{s['read_by_flink']:,}"
        out.append(f"  source {s['name']}: produced {s['produced']:,} ({s['late']:,} late){extra}; "
                   f"read by Flink {read}")
        if s["read_by_flink"] is not None and s["read_by_flink"] < s["produced"] + s["table_rows"]:
            lag = s["produced"] + s["table_rows"] - s["read_by_flink"]
            out.append(f"    Flink was {lag:,} events behind on {s['name']} when the run ended: this machine did "
                       "not keep up with the rate (try a lower --message-rate)")
    for s in snap["sinks"]:
        first = "" if s["first_row_s"] is None else f", first after {s['first_row_s']:.1f} s"
        win = f", {s['windows']:,} windows" if s["windows"] else ""
        dele = f", {s['deletes']:,} deletes" if s["deletes"] else ""
        out.append(f"  sink {s['name']} ({s['topic']}): {s['rows']:,} rows{dele}{win}{first}; "
                   f"{s['failed']:,} failed the schema check")
        for f in s["failures"][:3]:
            out.append(f"    failed: {f['reason']}: {f['row'][:120]}")
    lat = snap["latency_s"]
    if lat["rows"]:
        late_rows = sum(s.get("late_rows", 0) for s in snap["sinks"])
        left = (f" ({late_rows:,} rows of late events left out: their event time is behind on purpose)"
                if late_rows else "")
        out.append(f"  latency from the moment a row could be emitted to the sink, {lat['rows']:,} rows: "
                   f"p50 {_ms(lat['p50'])}, p95 {_ms(lat['p95'])}, p99 {_ms(lat['p99'])}{left}")
    late = sum(s["late"] for s in snap["sources"])
    if late or snap["late_dropped_by_flink"]:
        flink = snap["late_dropped_by_flink"]
        out.append(f"  late events: {late:,} written behind the watermark by more than the longest window; Flink's "
                   f"numLateRecordsDropped: {'-' if flink is None else f'{flink:,}'} (it counts the records "
                   "its window operators drop, which after a local pre-aggregation are partial aggregates)")
    if series:
        achieved = [p["produce_rate"] for p in series[1:]] or [series[0]["produce_rate"]]
        out.append(f"  producer rate: mean {sum(achieved) / len(achieved):,.0f}/s against a mean target of "
                   f"{sum(p['target_rate'] for p in series) / len(series):,.0f}/s")
    out += [f"  {r}" for r in reconciliation]
    out += [f"  note: {n}" for n in snap["notes"]]
    out += [f"  error: {e}" for e in snap["errors"]]
    return out

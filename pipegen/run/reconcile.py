"""Counts that must add up, where the spec allows one: what was produced against what the sinks emitted.

- **Pass-through**: a sink fed from append sources through transforms with no ``where`` (and unions of
  them) emits exactly one row per event produced.
- **Count per tumble window**: a sink fed (through transforms with no ``where``) by a tumble-window
  aggregate with a ``count(*)`` measure, no ``where`` and no ``having``, over such a chain from one append
  source: the counts of its rows add up to the events produced before the end of the last window it emitted,
  less the late ones (written behind the watermark by more than the longest window, so every window drops
  them; see ``synth``). Flink's own ``numLateRecordsDropped`` is shown beside it: it counts dropped records
  of the operator, which after a two-phase (local-global) aggregation are partial aggregates, not events.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from pipegen.compiler import ir
from pipegen.run.stats import Stats


@dataclass(frozen=True)
class Check:
    kind: str  # "pass" | "count"
    sink: str
    sources: tuple[str, ...]
    column: str | None = None  # the count(*) measure


def _plain_chain(spec: ir.Spec, name: str) -> tuple[str, ...] | None:
    """The append sources a stage passes through unchanged in row count, or None."""
    st = spec.statement(name)
    if isinstance(st, ir.Source):
        ok = st.topic is not None and st.mode != "upsert" and st.format != "debezium_json"
        return (st.name,) if ok else None
    if isinstance(st, ir.Transform) and st.where is None:
        return _plain_chain(spec, st.input)
    if isinstance(st, ir.Union):
        parts = [_plain_chain(spec, i) for i in st.inputs]
        return None if any(p is None for p in parts) else tuple(x for p in parts for x in p)
    return None


def _windows(spec: ir.Spec) -> int:
    return sum(1 for st in spec.statements
               if isinstance(st, (ir.Aggregate, ir.Pattern)) and getattr(st, "window", None) is not None
               or isinstance(st, ir.Pattern))


def checks(spec: ir.Spec) -> list[Check]:
    out = []
    for k in (s for s in spec.statements if isinstance(s, ir.Sink)):
        if k.mode == "upsert":
            continue
        chain = _plain_chain(spec, k.input)
        if chain is not None:
            out.append(Check("pass", k.name, chain))
            continue
        st = spec.statement(k.input)
        while isinstance(st, ir.Transform) and st.where is None:
            if st.select is not None and not st.select.star:
                break  # the count column may be renamed or dropped: not followed
            st = spec.statement(st.input)
        if isinstance(st, ir.Aggregate) and isinstance(st.window, ir.Tumble) and st.where is None \
                and st.having is None and _windows(spec) == 1:
            src = _plain_chain(spec, st.input)
            col = next((m.name for m in st.measures if isinstance(m.expr, ir.Call) and m.expr.name == "count"
                        and m.expr.star), None)
            if src is not None and len(src) == 1 and col is not None:
                out.append(Check("count", k.name, src, col))
    return out


def reconcile(found: list[Check], stats: Stats) -> list[str]:
    lines = []
    for c in found:
        sink = stats.sinks[c.sink]
        if c.kind == "pass":
            produced = sum(stats.sources[s].produced for s in c.sources)
            mark = "holds" if produced == sink.rows else "DOES NOT HOLD"
            lines.append(f"reconciliation {mark}: {c.sink} emitted {sink.rows:,} rows for {produced:,} events "
                         f"produced by {', '.join(c.sources)} (a stage with no filter emits one row per event)")
        elif c.kind == "count" and sink.counts:
            last_end = max(end for end, _ in sink.counts)
            src = stats.sources[c.sources[0]]
            before = bisect.bisect_left(sorted(src.event_ms), last_end)
            late = bisect.bisect_left(sorted(src.late_ms), last_end)
            total = sum(n for _, n in sink.counts)
            mark = "holds" if total == before - late else "DOES NOT HOLD"
            lines.append(f"reconciliation {mark}: the {c.column} of {c.sink}'s {len(sink.counts):,} rows add up to "
                         f"{total:,}: {before:,} events of {c.sources[0]} fall in the closed windows, less "
                         f"{late:,} late ones")
    return lines

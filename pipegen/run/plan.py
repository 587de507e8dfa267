"""What a run will do, decided before anything starts: its duration, the traffic shape, how fast event time
runs, and each source's rate. Pure: `pipegen run --dry-run` prints it and starts nothing.

Times on the command line are written as the older Go tool wrote them: ``30s``, ``2m``, ``1m30s``, ``1h``,
``500ms``. A traffic pattern is ``start-end:rate%`` windows separated by commas, each applied to the
message rate (``2m-4m:500%,6m-8m:300%``: five times the rate from minute 2 to 4, three times from 6 to 8).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field

from pipegen.compiler import ir

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}

DEFAULT_RATE = 100  # events per second of a source with no `generate { rate N }`
MAX_PARALLELISM = 16  # one JVM's slots: a laptop's cores, with room
TABLE_SHARE = 0.1  # an upsert (versioned) table changes at this share of the stream rate
STARTUP_SHARE = 0.8  # share of the duration in which the windows are meant to fire


class PlanError(ValueError):
    """A flag that cannot be run: the message names the value; ``hint`` says how to write it."""

    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.hint = hint


def parse_time(text: str, what: str = "time") -> float:
    """Seconds of ``30s``, ``2m``, ``1m30s``, ``1h``, ``500ms``."""
    t = text.strip().lower()
    pos, total, seen = 0, 0.0, False
    for m in _PART.finditer(t):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNIT_S[m.group(2)]
        pos, seen = m.end(), True
    if not seen or pos != len(t):
        raise PlanError(f"{what} {text!r} is not a time", "write it like 30s, 2m, 1m30s or 1h")
    return total


def show_time(seconds: float) -> str:
    """The shortest of ``45s``, ``2m``, ``1m30s``, ``1h``, ``1.5s``, ``250ms``."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    if seconds != int(seconds):
        return f"{seconds:g}s"
    s = int(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return "".join(f"{v}{u}" for v, u in ((h, "h"), (m, "m"), (sec, "s")) if v) or "0s"


@dataclass(frozen=True)
class Phase:
    start: float  # seconds from the start of the traffic
    end: float
    percent: float

    def label(self) -> str:
        return f"{show_time(self.start)}-{show_time(self.end)}:{self.percent:g}%"


@dataclass(frozen=True)
class Traffic:
    """The load shape: windows of a changed rate; outside them the base rate (100%)."""

    phases: tuple[Phase, ...] = ()

    def factor(self, t: float) -> float:
        for p in self.phases:
            if p.start <= t < p.end:
                return p.percent / 100.0
        return 1.0

    def phase(self, t: float) -> str:
        for p in self.phases:
            if p.start <= t < p.end:
                return p.label()
        return "base rate (100%)"

    def mean_factor(self, duration: float) -> float:
        """The average of :meth:`factor` over ``duration`` (for the expected event count)."""
        extra = sum((min(p.end, duration) - p.start) * (p.percent / 100.0 - 1.0)
                    for p in self.phases if p.start < duration)
        return 1.0 + extra / duration if duration > 0 else 1.0


def parse_traffic(text: str | None, duration: float) -> Traffic:
    """``2m-4m:500%,6m-8m:300%``: each window's start and end, and its rate in percent of the base rate."""
    if text is None or not text.strip():
        return Traffic()
    fix = "write windows like 2m-4m:500%, separated by commas, in order and inside --duration"
    phases: list[Phase] = []
    for raw in text.split(","):
        part = raw.strip()
        m = re.fullmatch(r"([^-:]+)-([^:]+):\s*(-?[0-9]+(?:\.[0-9]+)?)\s*(%?)", part)
        if not m:
            raise PlanError(f"traffic window {part!r} is not start-end:rate%", fix)
        if not m.group(4):
            raise PlanError(f"traffic window {part!r} has no % after its rate", f"write {part}%")
        start = parse_time(m.group(1), "the start of traffic window")
        end = parse_time(m.group(2), "the end of traffic window")
        percent = float(m.group(3))
        if end <= start:
            raise PlanError(f"traffic window {part!r} ends before it starts", fix)
        if percent <= 0:
            raise PlanError(f"traffic window {part!r} has a rate of {m.group(3)}%, not above 0",
                            "give each window a rate above 0%, e.g. 2m-4m:50% for half the rate")
        if end > duration + 1e-9:
            raise PlanError(f"traffic window {part!r} ends after the run ({show_time(duration)})",
                            "end it within --duration, or make --duration longer")
        if phases and start < phases[-1].end:
            how = "overlaps" if start >= phases[-1].start else "comes before"
            raise PlanError(f"traffic window {part!r} {how} {phases[-1].label()!r}", fix)
        phases.append(Phase(start, end, percent))
    return Traffic(tuple(phases))


def time_bound(spec: ir.Spec) -> tuple[float, str]:
    """The spec's longest window, session gap, pattern bound or join interval, in seconds, and what it is."""
    best, what = 0.0, ""
    for st in spec.statements:
        cands: list[tuple[ir.Duration | None, str]] = []
        win = getattr(st, "window", None)
        if isinstance(win, (ir.Tumble, ir.Hop)):
            cands.append((win.size, f"the {win.kind} window of {st.name}"))
        elif isinstance(win, ir.Cumulate):
            cands.append((win.size, f"the cumulate window of {st.name}"))
        elif isinstance(win, ir.Session):
            cands.append((win.gap, f"the session gap of {st.name}"))
        if isinstance(st, ir.Pattern):
            cands.append((st.within, f"the pattern bound of {st.name}"))
        if isinstance(st, ir.Join):
            cands += [(st.before, f"the join interval of {st.name}"), (st.after, f"the join interval of {st.name}")]
        if isinstance(st, ir.Rolling) and isinstance(st.over, ir.OverRange):
            cands.append((st.over.preceding, f"the rolling range of {st.name}"))
        for d, label in cands:
            if d is not None and d.millis / 1000 > best:
                best, what = d.millis / 1000, label
    return best, what


def sources(spec: ir.Spec) -> list[ir.Source]:
    return [s for s in spec.statements if isinstance(s, ir.Source)]


def sinks(spec: ir.Spec) -> list[ir.Sink]:
    return [s for s in spec.statements if isinstance(s, ir.Sink)]


def max_watermark(spec: ir.Spec) -> float:
    return max((s.watermark.millis / 1000 for s in sources(spec) if s.watermark is not None), default=0.0)


def choose_speed(spec: ir.Spec, duration: float) -> tuple[float, str]:
    """Event time runs this many times faster than the wall clock, so the spec's longest window (gap, pattern
    bound) fires at least twice within ``duration``: three spans of it (the first may be cut) plus the largest
    watermark delay fit in ``STARTUP_SHARE`` of the run. Also the reason, for the plan."""
    bound, what = time_bound(spec)
    if bound <= 0:
        return 1.0, "no window, gap or pattern bound: event time runs with the clock"
    need = 3 * bound + max_watermark(spec)
    speed = max(1.0, float(math.ceil(need / (STARTUP_SHARE * duration))))
    return speed, (f"{what} is {show_time(bound)}: at {speed:g}x it fires at least twice in "
                   f"{show_time(duration)}")


# ------------------------------------------------------------------------------------------- logic that fires
HOT_MARGIN = 1.2  # a hot key gets this many times the events per window that its having needs
WHERE_PASS = 0.5  # share of a source's events assumed to pass the filters on the way to an aggregate
MAX_HOT_SHARE = 0.8  # at most this share of a source's events goes to one hot key
_BETWEEN_MS = {"seconds_between": 1000, "minutes_between": 60_000, "hours_between": 3_600_000,
               "days_between": 86_400_000}


def pattern_regime_ms(st: ir.Pattern) -> int | None:
    """How long (event time) a key of the pattern's partition stays in one regime, so that a sequence whose
    define asks for a minimum duration (``seconds_between(first(HOT.ts), ts) > 300``, ``ts - first(ts) >
    interval 5 min``) completes: twice the longest such duration, at most 80% of ``within``. None when no
    define asks for one (keys then switch regime every ten events or so)."""
    need = 0
    for d in st.defines:
        for node in _walk(d.condition):
            ms = _min_duration(node)
            if ms is not None:
                need = max(need, ms)
    if not need:
        return None
    span = math.ceil(2 * need / 1000) * 1000
    if st.within is not None:
        span = min(span, max(need + 1, int(st.within.millis * 0.8)))
    return span


def _min_duration(node: ir.Expr) -> int | None:
    """Milliseconds of ``x_between(a, b) > N`` or ``a - b > interval``, or None."""
    if not isinstance(node, ir.Binary) or node.op not in (">", ">=", "<", "<="):
        return None
    left, right, op = node.left, node.right, node.op
    if op in ("<", "<="):  # N < x_between(...)
        left, right = right, left
    if isinstance(left, ir.Call) and left.name in _BETWEEN_MS and isinstance(right, ir.NumberLit):
        whole = float(right.text) + (1 if op in (">", "<") else 0)  # x_between counts whole units
        return int(whole * _BETWEEN_MS[left.name])
    if isinstance(left, ir.Binary) and left.op == "-" and isinstance(right, ir.IntervalLit):
        return right.duration.millis + 1
    return None


def _walk(e: object):  # noqa: ANN202
    from pipegen.compiler.analyze.model import children

    yield e
    for c in children(e):
        yield from _walk(c)


@dataclass(frozen=True)
class HotKey:
    """In every other span of ``window_ms`` (aligned as the windows are), one key of ``stage``'s group by gets
    ``share`` of ``source``'s events, so that its count per window passes ``stage``'s having, which needs
    ``need`` events of one key in a window. ``share`` above ``MAX_HOT_SHARE``: it cannot be reached (a note
    says so) and the key gets ``MAX_HOT_SHARE``."""

    stage: str
    source: str
    window_ms: int
    need: int
    share: float

    @property
    def reachable(self) -> bool:
        return self.share <= MAX_HOT_SHARE


def having_need(st: ir.Aggregate) -> int | None:
    """Events of one group in one window that make ``having`` hold, by its count-like measures (``count(*)
    > N``, ``sum(case when .. then 3 else 1 end) / 10 > N``: each event adds at least the least of its
    branches); None when the having has no such bound (a sum of amounts, a distinct count)."""
    measures = {m.name: m.expr for m in st.measures}

    def need(e: ir.Expr) -> float | None:
        if isinstance(e, ir.Binary) and e.op in ("or", "and"):
            got = [x for x in (need(e.left), need(e.right)) if x is not None]
            if not got:
                return None
            return min(got) if e.op == "or" else max(got)
        if isinstance(e, ir.Binary) and e.op in (">", ">=", "<", "<="):
            left, right, op = e.left, e.right, e.op
            if op in ("<", "<="):
                left, right, op = right, left, {"<": ">", "<=": ">="}[op]
            expr = measures.get(left.path[-1]) if isinstance(left, ir.Column) and len(left.path) == 1 else left
            n = _number(right)
            per = _per_event(expr) if expr is not None else None
            if n is None or not per:
                return None
            events = n / per
            return math.floor(events) + 1 if op == ">" else math.ceil(events)
        return None

    got = need(st.having) if st.having is not None else None
    return int(got) if got is not None and got > 1 else None


def _per_event(e: ir.Expr) -> float | None:
    """The least that one event adds to a count-like measure, or None."""
    if isinstance(e, ir.Cast):
        return _per_event(e.operand)
    if isinstance(e, ir.Call) and e.name == "count" and not e.distinct:
        return 1.0
    if isinstance(e, ir.Call) and e.name == "sum" and len(e.args) == 1:
        return _least(e.args[0])
    if isinstance(e, ir.Binary) and e.op in ("/", "*") and _number(e.right):
        inner = _per_event(e.left)
        if inner is None:
            return None
        return inner / _number(e.right) if e.op == "/" else inner * _number(e.right)
    return None


def _least(e: ir.Expr) -> float | None:
    """The least value of a per-event expression made of numbers and cases (None: no bound above 0)."""
    if isinstance(e, ir.Cast):
        return _least(e.operand)
    n = _number(e)
    if n is not None:
        return n if n > 0 else None
    if isinstance(e, ir.Case) and e.otherwise is not None:
        got = [_least(w.result) for w in e.whens] + [_least(e.otherwise)]
        return min(got) if None not in got else None
    return None


def _number(e: ir.Expr) -> float | None:
    return float(e.text) if isinstance(e, ir.NumberLit) else None


def _window_ms(st: ir.Aggregate) -> int | None:
    w = st.window
    return w.size.millis if isinstance(w, (ir.Tumble, ir.Hop)) else None


def _upstream(spec: ir.Spec, name: str) -> tuple[set[str], bool]:
    """The sources a stage reads from, and whether a filter (a where) is on the way."""
    st = spec.statement(name)
    if st is None or isinstance(st, ir.Source):
        return ({name} if st is not None else set()), False
    found, filtered = set(), getattr(st, "where", None) is not None
    for i in ir.statement_inputs(st):
        s, f = _upstream(spec, i)
        found |= s
        filtered |= f
    return found, filtered


def hot_keys(spec: ir.Spec, planned: list[SourcePlan], speed: float) -> list[HotKey]:
    """The hot keys that make each count threshold of a having fire at the planned rates and speed: needed
    where the events of a window, shared over the pool of keys, would leave every key below the threshold
    (the synthetic producer compares the share with its own hottest key's and raises it only if needed)."""
    rates = {p.name: p.rate for p in planned if p.topic is not None and not p.table}
    out = []
    for st in spec.statements:
        if not isinstance(st, ir.Aggregate) or not st.group_by:
            continue
        need, window = having_need(st), _window_ms(st)
        if need is None or window is None:
            continue
        srcs, filtered = _upstream(spec, st.name)
        for src in sorted(srcs):
            if src not in rates:
                continue
            per_window = rates[src] * window / 1000 / speed * (WHERE_PASS if filtered else 1.0)
            out.append(HotKey(st.name, src, window, need, HOT_MARGIN * need / max(per_window, 1e-9)))
    return out


@dataclass(frozen=True)
class SourcePlan:
    name: str
    topic: str | None  # None: a source the run does not feed (datagen makes its own rows)
    rate: float  # events per second at 100%
    table: bool  # an upsert (versioned) table: its keys are written first, then changes at a low rate
    origin: str


@dataclass(frozen=True)
class RunPlan:
    duration: float
    speed: float
    speed_reason: str
    traffic: Traffic
    sources: tuple[SourcePlan, ...]
    sinks: tuple[tuple[str, str], ...]  # (sink name, where it writes)
    seed: int
    late_share: float
    notes: tuple[str, ...] = field(default_factory=tuple)
    hot: tuple[HotKey, ...] = ()  # keys made hot so that count thresholds in a having are passed
    regimes: tuple[tuple[str, int], ...] = ()  # (pattern, ms): its keys' regimes last this long in event time
    parallelism: int = 1  # of the job; the embedded broker's topics get as many partitions

    def rate_at(self, source: SourcePlan, t: float) -> float:
        return source.rate * self.traffic.factor(t)


def source_rate(src: ir.Source, message_rate: float | None) -> float:
    base = float(message_rate) if message_rate is not None else float(
        src.generate.rate if src.generate is not None and src.generate.rate else DEFAULT_RATE)
    return max(1.0, base * TABLE_SHARE) if src.mode == "upsert" else base


def make_plan(spec: ir.Spec, *, duration: float, message_rate: float | None = None, traffic: Traffic | None = None,
              speed: float | None = None, seed: int = 0, late_share: float = 0.01, parallelism: int = 1) -> RunPlan:
    if duration <= 0:
        raise PlanError("--duration must be above 0", "give a time like 30s or 2m")
    if message_rate is not None and message_rate <= 0:
        raise PlanError(f"--message-rate {message_rate:g} is not above 0", "give events per second, e.g. 100")
    if speed is not None and speed <= 0:
        raise PlanError(f"--speed {speed:g} is not above 0", "give a factor like 1 (the clock) or 60")
    if not 0 <= late_share < 1:
        raise PlanError(f"--late {late_share:g} is not a share between 0 and 1", "give e.g. 0.01 for 1%")
    if not 1 <= parallelism <= MAX_PARALLELISM:
        raise PlanError(f"--parallelism {parallelism} is not between 1 and {MAX_PARALLELISM}",
                        f"give 1 (the default) up to this machine's cores ({os.cpu_count() or 1})")
    if speed is None:
        speed, reason = choose_speed(spec, duration)
    else:
        reason = "set by --speed"
    planned = []
    notes = []
    for s in sources(spec):
        if s.datagen:
            planned.append(SourcePlan(s.name, None, 0.0, False, "datagen (Flink makes its rows)"))
            continue
        planned.append(SourcePlan(s.name, s.topic, source_rate(s, message_rate), s.mode == "upsert",
                                  f"topic {s.topic}" if s.topic is not None else "files"))
    for s in sources(spec):
        if s.jdbc is not None:
            notes.append(f"{s.name} is a jdbc table")
    hot = hot_keys(spec, planned, speed)
    regimes = tuple((st.name, ms) for st in spec.statements
                    if isinstance(st, ir.Pattern) and (ms := pattern_regime_ms(st)) is not None)
    for h in hot:
        if not h.reachable:
            rate = source_rate_of(planned, h.source)
            notes.append(f"the having of {h.stage} needs {h.need:,} events of one key in a "
                         f"{show_time(h.window_ms / 1000)} window; at {rate:g}/s of {h.source} and {speed:g}x a window "
                         f"gets about {h.need * HOT_MARGIN / h.share:,.0f} of them: it cannot be reached "
                         f"(--message-rate {math.ceil(rate * h.share / MAX_HOT_SHARE)} or a lower --speed would)")
    sink_list = tuple((k.name, f"topic {k.topic}" if k.topic is not None else f"files {k.files}") for k in sinks(spec))
    return RunPlan(duration, speed, reason, traffic or Traffic(), tuple(planned), sink_list, seed, late_share,
                   tuple(notes), tuple(hot), regimes, parallelism)


def source_rate_of(planned: list[SourcePlan] | tuple[SourcePlan, ...], name: str) -> float:
    return next(p.rate for p in planned if p.name == name)

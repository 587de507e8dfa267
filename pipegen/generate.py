"""Natural language -> spec: the generation loop of `pipegen init --describe`.

The model is never trusted. For the embedded model, decoding is constrained
by a grammar built for the request: the pipeline header and the source are
fixed text (from a domain template or the user's schema), and every choice
the model makes (stage kind, window and its size, keys, measures, filters,
thresholds) is one of a few candidates that make sense for the request:
durations and numbers that occur in it, fields of the source, aggregates its
words ask for. Every string the grammar allows is a valid `.pgl` spec, and
the compiler still checks it. JSON providers decode to the JSON Schema of the
IR instead; their JSON is validated by pydantic and printed as `.pgl`. Either
way the result goes through the compiler's checks, and the diagnostics go
back to the model for at most ``max_repairs`` more tries.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from pipegen import api
from pipegen.backends.base import BackendError, GenerationRequest, Progress
from pipegen.compiler import ir
from pipegen.compiler.diagnostics import Diagnostic, render_all
from pipegen.compiler.printer import name as q
from pipegen.compiler.printer import print_spec
from pipegen.compiler.printer import string as pgl_string
from pipegen.domains import GUIDANCE, SourceTemplate, TField, normalise, pick_template

UNITS = [
    (r"milliseconds?|millis|ms", "ms"), (r"seconds?|secs?|s", "s"), (r"minutes?|mins?|m", "min"),
    (r"hours?|hrs?|h", "h"), (r"days?|d", "d"),
]
DURATION_RE = re.compile(
    r"(\d+(?:\.\d+)?)\s*-?\s*(" + "|".join(p for p, _ in UNITS) + r")\b", re.I)
WORD_DURATIONS = [
    (r"\bhourly\b|\bper hour\b|\ban hour\b|\bevery hour\b|\beach hour\b|\blast hour\b", (1, "h")),
    (r"\bper minute\b|\ba minute\b|\bevery minute\b|\beach minute\b|\bminutely\b", (1, "min")),
    (r"\bdaily\b|\bper day\b|\ba day\b|\bevery day\b|\beach day\b|\btoday\b|\bsince midnight\b", (1, "d")),
    (r"\bper second\b|\bevery second\b|\ba second\b", (1, "s")),
]
NUMBER_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(\s*%)?")

AGG_WORDS = {
    "count": ("count", "counts", "number of", "how many", "frequency", "velocity", "burst", "bursts", "more than",
              "at least", "popular", "most"),
    "sum": ("total", "sum", "revenue", "spend", "spent", "amount of"),
    "avg": ("average", "mean", "avg", "moving average", "typical"),
    "max": ("max", "maximum", "peak", "highest"),
    "min": ("min", "minimum", "lowest"),
    "count_distinct": ("unique", "distinct", "different"),
}

STAGE_WORDS = {
    "session": ("session", "inactivity", "inactive", "idle gap", "gap of"),
    "rolling": ("moving average", "moving averages", "rolling", "running average", "smoothed", "trailing",
                "attach it to every", "to each reading", "to every reading"),
    "pattern": ("for more than", "for at least", "stays above", "stay above", "sustained", "consecutive", "in a row",
                "followed by", "for longer than", "remains above", "persist"),
    "hop": ("sliding", "hopping", "over the last", "every minute over", "trend", "trending", "velocity",
            "evaluated every", "refreshed every", "updated every", "over any"),
    "cumulate": ("cumulative", "so far today", "running total", "since midnight", "since the start of the day",
                 "progressive"),
    "dedup": ("duplicate", "dedup", "de-dup", "first occurrence", "exactly once", "deduplicate"),
    "latest": ("latest", "most recent", "current status", "last known", "compacted"),
    "filter_only": ("alert when", "alert whenever", "flag ", "whenever", "only the", "filter", "route every",
                    "forward", "exceeds", "above", "below", "over "),
    "topn": ("top ", "top-", "most popular", "the most", "the 5 ", "the 10 ", "the 3 ", "leaderboard", "best-selling", "best selling", "highest ranked", "ranking"),
    "running": ("profile", "profiles", "lifetime", "so far", "all-time", "all time", "running count",
                "preference"),
}


@dataclass
class Plan:
    """What the request allows: the fixed parts and the candidates for each choice."""

    name: str
    description: str
    domain: str | None
    source: SourceTemplate
    stage_kinds: list[str]
    durations: list[tuple[int, str]]
    numbers: list[str]
    keys: list[str]
    metrics: list[str]
    aggregates: list[str]
    symbols: list[tuple[str, str]]  # (enum field, symbol) pairs named in the request
    rows: list[int]
    limits: list[int]
    watermark_s: int = 5
    forced_measures: bool = False  # the request names its aggregates and fields: take all of them
    needs_having: bool = False
    join: JoinPlan | None = None

    @property
    def event_time(self) -> str:
        return self.source.event_time or ""


def _snake(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()
    if not s or s[0].isdigit():
        s = "p_" + s
    return s[:48]


def extract_durations(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for m in DURATION_RE.finditer(text):
        value, unit_text = m.group(1), m.group(2).lower()
        unit = next(u for p, u in UNITS if re.fullmatch(p, unit_text))
        if "." in value:
            ms = float(value) * {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}[unit]
            value, unit = str(int(ms)), "ms"
        d = (int(value), unit)
        if d not in out and d[0] > 0:
            out.append(d)
    for pattern, d in WORD_DURATIONS:
        if re.search(pattern, text, re.I) and d not in out:
            out.append(d)
    return out


def extract_numbers(text: str) -> list[str]:
    spans = [m.span() for m in DURATION_RE.finditer(text)]
    out: list[str] = []
    for m in NUMBER_RE.finditer(text):
        if any(a <= m.start() < b for a, b in spans):
            continue
        v = m.group(1)
        if v not in out:
            out.append(v)
    return out


def _mentions(text: str, field_name: str) -> bool:
    words = [w for w in field_name.split("_") if w not in ("id", "level", "minutes", "seconds", "score")] or [field_name]
    stem = lambda w: w[:-1] if w.endswith("s") and len(w) > 3 else w  # noqa: E731
    return all(re.search(r"\b" + re.escape(stem(w)), text) for w in words)


GENERIC = {"minute", "hour", "second", "day", "week", "window", "event", "events", "time", "request", "the", "a",
           "an", "each", "every", "reading", "readings", "record", "records", "message", "messages", "row", "stream",
           "span", "period", "interval", "batch", "one", "two", "its", "their", "his", "her", "user's", "and", "or",
           "count", "number", "kind", "type", "status", "data", "value", "values", "level", "rate", "way", "side",
           "moment", "spending", "amount", "amounts", "total", "sum", "average", "mean", "percent"}


def _singular(w: str) -> str:
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        return w[:-1]
    return w


def _with_request_fields(src: SourceTemplate, text: str) -> SourceTemplate:
    """Add the keys and measures a request names that the domain template lacks (e.g. "per store", "average energy")."""
    fields = list(src.fields)
    names = {f.name for f in fields}
    added = []
    for m in re.finditer(r"\b(?:per|by|for each|for every|each|every|of each)\s+([a-z]+)('s)?", text):
        word = _singular(m.group(1))
        if word in GENERIC or len(word) < 3 or any(_mentions(word, f.name) or word in f.name for f in fields):
            continue
        name = f"{word}_id"
        if name not in names:
            added.append(TField(name, "string", "key", f"{word.capitalize()} id"))
            names.add(name)
    for m in re.finditer(r"\b(?:average|avg|mean|total|sum of|maximum|max|minimum|min|peak|highest|lowest)\s+"
                         r"([a-z]+(?:_[a-z]+)?)", text):
        word = m.group(1)
        if word in GENERIC or len(word) < 3 or word in names or any(word in f.name for f in fields):
            continue
        added.append(TField(word, "double", "metric", word.replace("_", " ").capitalize()))
        names.add(word)
    if not added:
        return src
    at = next((i for i, f in enumerate(fields) if f.role == "time"), len(fields))
    return SourceTemplate(src.name, src.topic, src.description, src.triggers, tuple(fields[:at] + added + fields[at:]))


@dataclass
class JoinPlan:
    """A second source and how the request joins it: fixed text, decided from the request's words."""

    kind: str  # temporal | interval | regular
    key: str
    other: SourceTemplate
    within: tuple[int, str] | None = None  # interval joins: the right side within this time after the left


JOIN_CUES = ("enrich", "join ", "joined", "match each", "pair each", "look up", "looked up", "lookup",
             "in effect at", "as it was at")
ATTRIBUTES = ("tier", "country", "rate", "carrier", "tracking_number", "segment", "region", "status", "name")


def _join_plan(text: str, src: SourceTemplate, durations: list[tuple[int, str]]) -> JoinPlan | None:
    if not any(c in text for c in JOIN_CUES):
        return None
    m = (re.search(r"(?:keyed by|on|for the same|same)\s+([a-z][a-z0-9_]*_id|currency|[a-z]+_code)\b", text)
         or re.search(r"\b([a-z][a-z0-9]*_id)\b", text))
    key = m.group(1) if m else next((f.name for f in src.fields if f.role in ("key", "id")), "id")
    topic = re.search(r"(?:from|with)\s+(?:the\s+)?([a-z][a-z0-9_]*)\s+(?:changelog\s+)?(?:topic|stream|table)\b",
                      text)
    temporal = any(c in text for c in ("as it was", "in effect", "at order time", "at purchase time", "looked up",
                                        "changelog", "upsert", "lookup", "look up", "enrich"))
    within = re.search(r"within\s+(\d+)\s*-?\s*(seconds?|secs?|s|minutes?|mins?|hours?|h|days?)\b", text)
    if within and not temporal:
        unit = {"s": "s", "m": "min", "h": "h", "d": "d"}[within.group(2)[0]]
        kind, span = "interval", (int(within.group(1)), unit)
    elif temporal:
        kind, span = "temporal", None
    else:
        kind, span = "regular", None
    name = topic.group(1) if topic and topic.group(1) not in (src.name, "orders") else None
    if kind == "temporal":
        name = name or (key[:-3] + "s" if key.endswith("_id") else key + "_table")
        attrs = [a for a in ATTRIBUTES if a in text and a != key] or ["name"]
        fields = (TField(key, "string", "key", f"{key} of the row"),
                  *(TField(a, "double" if a == "rate" else "string", "label", a.replace("_", " ").capitalize())
                    for a in attrs),
                  TField("updated_at", "timestamp(3)", "time", "When this version became valid"))
        other = SourceTemplate(_snake(name), _snake(name).replace("_", "-"), f"Versions of {name}, keyed by {key}",
                               (), fields)
    else:
        name = name or (key[:-3] + "_events" if key.endswith("_id") else "other_events")
        if name == src.name:
            name = name + "_2"
        attrs = [a for a in ATTRIBUTES if a in text and a != key][:3]
        fields = (TField(key, "string", "key", f"{key} to match on"),
                  *(TField(a, "string", "label", a.replace("_", " ").capitalize()) for a in attrs),
                  TField("happened_at", "timestamp(3)", "time", "When it happened"))
        other = SourceTemplate(_snake(name), _snake(name).replace("_", "-"), f"Events of {name}", (), fields)
    return JoinPlan(kind, key, other, span)


# A threshold to offer when the request asks for one ("exceeds thresholds") but names no number.
DEFAULT_THRESHOLDS = {"iot": ("90",), "healthcare": ("120",), "fintech": ("10000",), "logistics": ("30",),
                      "ecommerce": ("100",), "gaming": ("1000",), "media": ("1000",)}


def plan_request(description: str, domain: str | None, source: SourceTemplate | None = None,
                 name: str | None = None) -> Plan:
    text = " " + description.lower() + " "
    src = source or pick_template(description, domain)
    kinds = [k for k, words in STAGE_WORDS.items() if any(w in text for w in words)]
    if re.search(r"\blast \d+ (readings|ticks|events|values|trades|measurements|samples)", text):
        kinds.append("rolling")
    if "filter_only" in kinds and (set(kinds) - {"filter_only"}):
        kinds.remove("filter_only")  # a stage kind named in the request wins over a plain filter
    if src.event_time is None:
        kinds = ["running"]  # without event time only running totals are possible
    if "hop" in kinds and ("cumulate" in kinds or "rolling" in kinds and "moving" in text):
        kinds.remove("hop")
    aggs_named = [a for a, words in AGG_WORDS.items() if any(re.search(r"\b" + re.escape(w) + r"\b", text) for w in words)]
    explicit_durations = bool(extract_durations(text))
    if kinds == ["filter_only"] and aggs_named:
        kinds = []  # "more than 5 payments" is a threshold on an aggregate, not on single events
    if not kinds:
        kinds = ["tumble"] if explicit_durations else ["running", "tumble"]
    elif "topn" in kinds and not set(kinds) & {"tumble", "hop", "session", "cumulate"}:
        kinds = kinds + ["tumble"]  # a top-N ranks the results of a windowed aggregate
    kinds = list(dict.fromkeys(kinds))
    if source is None:
        src = _with_request_fields(src, text)
    join = _join_plan(text, src, extract_durations(text)) if src.event_time else None
    if join is not None and all(f.name != join.key for f in src.fields):
        if source is not None:
            join = None  # the user's schema has no such field: no join
        else:
            at = next(i for i, f in enumerate(src.fields) if f.role == "time")
            fields = list(src.fields)
            fields.insert(at, TField(join.key, "string", "key", f"{join.key} to join on"))
            src = SourceTemplate(src.name, src.topic, src.description, src.triggers, tuple(fields))
    watermark_s = 5
    late = re.search(r"(?:late|lateness|out of order|out-of-order|delayed)[^.;]*?(\d+)\s*-?\s*(seconds?|secs?|s|minutes?|mins?)\b",
                     text) or re.search(r"(\d+)\s*-?\s*(seconds?|secs?|s|minutes?|mins?)\s+(?:late|of lateness|out of order)",
                                        text)
    if late:
        watermark_s = int(late.group(1)) * (60 if late.group(2).startswith("m") else 1)
        text = text.replace(late.group(0), " ")
    durations = extract_durations(text) or [(1, "min"), (5, "min")]
    numbers = [n for n in extract_numbers(description) if len(n) < 12]
    if not numbers and "pattern" in kinds:
        numbers = list(DEFAULT_THRESHOLDS.get(domain or "", ("100",)))
    keys_all = [f.name for f in src.fields if f.role == "key"]
    keys = [k for k in keys_all if _mentions(text, k)] or [f.name for f in src.fields if f.role == "key"]
    # "per category", "by device", "each player": the word after these names the group key.
    named = []
    for m in re.finditer(r"\b(?:per|by|for each|for every|each|every|of each)\s+([a-z_]+)(?:\s+([a-z_]+))?", text):
        # "per product category": the last word is the key when it is one, else the first.
        for word in (m.group(2), m.group(1)):
            hit = [k for k in keys if word and len(word) > 2 and (_singular(word) in k or _mentions(_singular(word), k))]
            if hit:
                named += [k for k in hit if k not in named]
                break
    if named:
        keys = named
    metrics_all = [f.name for f in src.fields if f.role == "metric"]
    metrics = [m for m in metrics_all if _mentions(text, m)] or metrics_all
    aggs = list(aggs_named)
    if "rolling" in kinds and "avg" not in aggs:
        aggs.append("avg")
    forced = bool(aggs) and (metrics != metrics_all or aggs == ["count"] or len(metrics_all) == 1)
    if not aggs:
        aggs = ["count", "avg", "sum", "max"]
    threshold = bool(re.search(r"more than|at least|exceed|above|over \d|greater than|fewer than|less than|below",
                               text))
    symbols = []
    for f in src.fields:
        m = re.match(r"enum\((.*)\)", f.type)
        if m:
            for sym in [s.strip() for s in m.group(1).split(",")]:
                if sym.replace("_", " ") in text or sym in text:
                    symbols.append((f.name, sym))
    ints = [int(n) for n in numbers if n.isdigit() and 1 <= int(n) <= 1000]
    rows = [n for n in ints if n >= 2] or [10, 20]
    limits = [n for n in ints if n <= 100] or [10]
    name = _snake(name) if name else (_snake(description.split(",")[0])[:32] or "pipeline")
    return Plan(name, description, domain, src, kinds, durations, numbers, keys, metrics, aggs, symbols, rows, limits,
                watermark_s, forced, threshold and bool(numbers) and bool(aggs_named), join)


# ----------------------------------------------------------------- grammar


def lit(text: str) -> str:
    """A Lark string literal."""
    return json.dumps(text)


class Grammar:
    def __init__(self) -> None:
        self.rules: dict[str, list[str]] = {}

    def add(self, name: str, alternatives: list[str]) -> str:
        if name not in self.rules:
            self.rules[name] = alternatives
        return name

    def text(self) -> str:
        return "\n".join(f"{n}: " + "\n    | ".join(alts) for n, alts in self.rules.items()) + "\n"


def _dur(d: tuple[int, str]) -> str:
    return f"{d[0]} {d[1]}"


def _metric_type(plan: Plan, name: str) -> str:
    return next(f.type for f in plan.source.fields if f.name == name)


def measure_items(plan: Plan, kinds: tuple[str, ...] = ("count", "sum", "avg", "max", "min", "count_distinct")
                  ) -> list[tuple[str, str]]:
    """(name, expression) pairs the model may pick as measures."""
    items: list[tuple[str, str]] = []
    aggs = [a for a in plan.aggregates if a in kinds]
    if "count" in aggs:
        items.append(("event_count", "count(*)"))
    for m in plan.metrics:
        for a in aggs:
            if a == "sum":
                items.append((f"total_{m}", f"sum({q(m)})"))
            elif a == "avg":
                items.append((f"avg_{m}", f"avg({q(m)})"))
            elif a == "max":
                items.append((f"max_{m}", f"max({q(m)})"))
            elif a == "min":
                items.append((f"min_{m}", f"min({q(m)})"))
    if "count_distinct" in aggs:
        for k in plan.keys[:2]:
            items.append((f"distinct_{k}", f"count(distinct {q(k)})"))
    if "duration" in plan.description.lower() and plan.source.event_time:
        et = q(plan.event_time)
        items.append(("duration_s", f"seconds_between(min({et}), max({et}))"))
    return items or [("event_count", "count(*)")]


def _subset_rule(g: Grammar, prefix: str, items: list[str]) -> str:
    """A rule for any non-empty subsequence of ``items`` (in order), so no measure appears twice."""
    n = len(items)
    for k in range(n - 1, -1, -1):
        rest = f" {prefix}_opt{k + 1}" if k + 1 < n else ""
        g.add(f"{prefix}_opt{k}", [f"{items[k]}{rest}"] + ([f"{prefix}_opt{k + 1}"] if k + 1 < n else ['""']))
    return g.add(prefix, [f"{items[k]}" + (f" {prefix}_opt{k + 1}" if k + 1 < n else "") for k in range(n)])


def _millis(d: tuple[int, str]) -> int:
    return d[0] * {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}[d[1]]


def _window_pairs(durations: list[tuple[int, str]]) -> list[tuple[tuple[int, str], tuple[int, str]]]:
    """(size, slide) pairs for hop windows, (size, step) for cumulate: the size a whole multiple (> 1) of the
    other. With none among the request's durations, the larger duration with a derived slide/step."""
    pairs = [(a, b) for a in durations for b in durations if _millis(a) > _millis(b) and _millis(a) % _millis(b) == 0]
    if not pairs:
        size = max(durations, key=_millis)
        for b in [(1, "s"), (10, "s"), (30, "s"), (1, "min"), (5, "min"), (15, "min"), (1, "h")][::-1]:
            if _millis(size) > _millis(b) and _millis(size) % _millis(b) == 0:
                pairs.append((size, b))
                break
        else:
            pairs.append((size, size))
    return pairs


def build_grammar(plan: Plan, head: str) -> str:
    """The Lark grammar (llguidance dialect) of every spec the model may write for this request."""
    g = Grammar()
    p, et = plan.name, q(plan.event_time)
    g.add("start", [f"{lit(head)} body"])
    if plan.join is not None:
        # The join is decided from the request's words (see _join_plan): fixed text.
        g.add("body", [lit(join_text(plan))])
        return g.text()
    g.add("dur", [lit(_dur(d)) for d in plan.durations])
    nums = plan.numbers or ["0"]
    g.add("num", [lit(n) for n in nums])
    g.add("key", [lit(q(k)) for k in plan.keys])
    items = measure_items(plan)
    for i, (n, e) in enumerate(items):
        g.add(f"m{i}", [lit(f"    {n} = {e}\n")])
    if plan.forced_measures:
        measures = g.add("ms", [" ".join(f"m{i}" for i in range(len(items)))])
    else:
        measures = _subset_rule(g, "ms", [f"m{i}" for i in range(len(items))])
    agg_exprs = [e for _n, e in items]
    having_alts = [lit("  having ") + f" {lit(e + ' > ')} num {lit(chr(10))}" for e in agg_exprs] if plan.numbers else []
    if having_alts:
        g.add("having", having_alts)
    # A number that bounds an aggregate ("more than 5 payments") is not also a bound on single events.
    numeric_where = bool(plan.numbers) and not plan.needs_having
    where_alts = [f"{lit('  where ' + q(m) + ' > ')} num {lit(chr(10))}" for m in plan.metrics] if numeric_where else []
    where_alts += [lit(f'  where {q(f)} = "{s}"\n') for f, s in plan.symbols]
    topic = f"{p.replace('_', '-')}-results"

    def sink_append(frm: str) -> str:
        return lit(f'\nsink {p}_results from {frm} {{\n  topic "{topic}"\n}}\n')

    def sink_upsert(frm: str, key: str) -> str:
        return lit(f'\nsink {p}_results from {frm} {{\n  topic "{topic}"\n  key {q(key)}\n  mode upsert\n}}\n')

    def stages(inp: str, tag: str) -> list[str]:
        alts = []
        win_alts = []
        kinds = plan.stage_kinds
        if "tumble" in kinds or not {"hop", "session", "cumulate"} & set(kinds):
            win_alts.append(f"{lit(f'tumble({et}, ')} dur {lit(')')}")
        if "hop" in kinds:
            win_alts += [lit(f"hop({et}, size {_dur(a)}, slide {_dur(b)})") for a, b in _window_pairs(plan.durations)]
        if "session" in kinds:
            win_alts.append(f"{lit(f'session({et}, ')} dur {lit(')')}")
        if "cumulate" in kinds:
            win_alts += [lit(f"cumulate({et}, step {_dur(b)}, size {_dur(a)})") for a, b in _window_pairs(plan.durations)]
        g.add("window", win_alts)
        opt_having = (" having" if plan.needs_having else " having?") if having_alts else ""
        windowed = (f"{lit(f'aggregate window_stats from {inp} {{' + chr(10) + '  window ')} window "
                    f"{lit(chr(10) + '  group by ')} key {lit(chr(10) + '  measures {' + chr(10))} {measures} "
                    f"{lit('  }' + chr(10))}{opt_having} {lit('}' + chr(10))}")
        # A request that asks for a pattern or a dedup gets that, not a window aggregate next to it.
        if set(kinds) & {"tumble", "hop", "session", "cumulate"} and not {"pattern", "dedup"} & set(kinds):
            alts.append(f"{windowed} {sink_append('window_stats')}")
        if "topn" in kinds:
            for i, (n, e) in enumerate(items):
                for lim in plan.limits:
                    # The same literals as `windowed` up to "}\n": llguidance lexes greedily, so a longer literal
                    # here would shadow the windowed alternative (it could never be picked).
                    top = (f"{lit(f'aggregate window_stats from {inp} {{' + chr(10) + '  window ')} window "
                           f"{lit(chr(10) + '  group by ')} key {lit(chr(10) + '  measures {' + chr(10))} m{i} "
                           f"{lit('  }' + chr(10))} {lit('}' + chr(10))}")
                    tail = f"\ntopn top_items from window_stats {{\n  order by {n} desc\n  limit {lim}\n}}\n"
                    alts.append(f"{top} {lit(tail)} {sink_append('top_items')}")
        if "running" in kinds:
            for k in plan.keys:
                head_r = f"aggregate running_totals from {inp} {{\n  group by {q(k)}\n  measures {{\n"
                alts.append(f"{lit(head_r)} {measures} {lit('  }' + chr(10))}{opt_having} {lit('}' + chr(10))} "
                            f"{sink_upsert('running_totals', k)}")
        if "rolling" in kinds:
            r_items = [i for i, (n, e) in enumerate(items) if not e.startswith("count(distinct")]
            rms = _subset_rule(g, "rms", [f"m{i}" for i in r_items]) if r_items else measures
            over = [f"{lit(f'range({et}, ')} dur {lit(')')}"] + [lit(f"rows({et}, {r})") for r in plan.rows]
            g.add("over", over)
            alts.append(f"{lit(f'rolling moving_stats from {inp} {{' + chr(10) + '  partition by ')} key "
                        f"{lit(chr(10) + '  window ')} over {lit(chr(10) + '  measures {' + chr(10))} {rms} "
                        f"{lit('  }' + chr(10) + '}' + chr(10))} {sink_append('moving_stats')}")
        if "pattern" in kinds and plan.numbers:
            for m in plan.metrics:
                for n in plan.numbers:
                    for d in plan.durations:
                        secs = _millis(d) // 1000
                        body = (f"pattern alerts from {inp} {{\n  partition by ")
                        qm = q(m)
                        rest = (f"\n  sequence high+ still_high\n  define {{\n    high       = {qm} > {n}\n"
                                f"    still_high = {qm} > {n} and seconds_between(first(high.{et}), {et}) >= "
                                f"{int(secs)}\n  }}\n  measures {{\n    started_at = first(high.{et})\n"
                                f"    alerted_at = last(still_high.{et})\n    peak_{m} = max(high.{qm})\n  }}\n}}\n")
                        alts.append(f"{lit(body)} key {lit(rest)} {sink_append('alerts')}")
        if "dedup" in kinds:
            ids = [f.name for f in plan.source.fields if f.role == "id"] or plan.keys
            for i in ids:
                d = f"dedup unique_events from {inp} {{\n  key {q(i)}\n  keep first\n}}\n"
                alts.append(f"{lit(d)} {sink_append('unique_events')}")
        if "latest" in kinds:
            for k in plan.keys:
                d = f"dedup latest from {inp} {{\n  key {q(k)}\n  keep last\n}}\n"
                alts.append(f"{lit(d)} {sink_upsert('latest', k)}")
        if "filter_only" in kinds and where_alts and inp == plan.source.name:
            alts.append(f"{lit(f'transform alerts from {inp} {{' + chr(10))} where {lit('}' + chr(10))} "
                        f"{sink_append('alerts')}")
        return alts

    if where_alts:
        g.add("where", where_alts)
    body = [f"{lit(chr(10))} st_src"]
    g.add("st_src", stages(plan.source.name, "src"))
    if where_alts:
        filt = f"{lit(chr(10))} {lit(f'transform filtered from {plan.source.name} {{' + chr(10))} where {lit('}' + chr(10) + chr(10))}"
        g.add("st_filtered", stages("filtered", "filtered"))
        body.append(f"{filt} st_filtered")
    g.add("body", body)
    return g.text()


def join_text(plan: Plan) -> str:
    """The join stage and its sink, decided from the request's words (see _join_plan)."""
    j = plan.join
    assert j is not None
    left, right, p = plan.source, j.other, plan.name
    let, ret = q(left.event_time or ""), q(right.event_time or "")
    kind = {"temporal": "kind temporal", "regular": "kind regular"}.get(j.kind, "")
    if j.kind == "interval":
        assert j.within is not None
        kind = f"kind interval(0 s, {_dur(j.within)})"
    items = [f"{left.name}.{q(f.name)}" for f in left.fields]
    taken = {f.name for f in left.fields}
    for f in right.fields:
        if f.name == j.key:
            continue
        if f.role == "time":
            if j.kind == "interval":
                items.append(f"{right.name}_at = {right.name}.{ret}")
                items.append(f"latency_s = seconds_between({left.name}.{let}, {right.name}.{ret})")
            continue
        items.append(f"{right.name}.{q(f.name)}" if f.name not in taken else
                     f"{right.name}_{f.name} = {right.name}.{q(f.name)}")
    select = "".join(f"    {i}\n" for i in items)
    return (f"\njoin joined from {left.name}, {right.name} {{\n  {kind}\n"
            f"  on {left.name}.{q(j.key)} = {right.name}.{q(j.key)}\n  select {{\n{select}  }}\n}}\n"
            f'\nsink {p}_results from joined {{\n  topic "{p.replace("_", "-")}-results"\n}}\n')


# ----------------------------------------------------------------- fixed text


def source_block(src: SourceTemplate, watermark_s: int = 5, upsert_key: str | None = None) -> str:
    width = max(len(q(f.name)) for f in src.fields)
    lines = [f"source {src.name} {{", f"  description {pgl_string(src.description)}", f"  topic {pgl_string(src.topic)}",
             "  format avro", "  fields {"]
    for f in src.fields:
        doc = f" {pgl_string(f.doc)}" if f.doc else ""
        lines.append(f"    {q(f.name).ljust(width)}  {f.type}{doc}")
    lines.append("  }")
    if upsert_key:
        lines += [f"  key {q(upsert_key)}", "  mode upsert"]
    if src.event_time:
        lines.append(f"  event_time {q(src.event_time)} watermark {watermark_s} s")
    lines += ["}", ""]
    return "\n".join(lines)


def head_text(plan: Plan) -> str:
    desc = " ".join(plan.description.split())[:400]
    lines = [f"pipeline {plan.name} {{", f"  description {pgl_string(desc)}"]
    if plan.domain:
        lines.append(f"  domain {plan.domain}")
    if plan.join is not None and plan.join.kind == "regular":
        # A regular join keeps both sides in state: bound it by the longest time the request names.
        ttl = max(plan.durations, key=_millis) if plan.durations else (1, "d")
        lines.append(f"  state_ttl {_dur(ttl)}")
    lines += ["}", "", source_block(plan.source, plan.watermark_s)]
    if plan.join is not None:
        lines.append(source_block(plan.join.other, plan.watermark_s, upsert_key=plan.join.key
                                  if plan.join.kind == "temporal" else None))
    return "\n".join(lines)


def template_from_fields(name: str, topic: str, doc: str, fields: tuple[ir.FieldDef, ...],
                         event_time: str | None) -> SourceTemplate:
    """A source template from the user's schema: its fields exactly, with roles guessed from their types."""
    from pipegen.compiler.printer import type_

    tfs = []
    for f in fields:
        t = type_(f.type, 0)
        text = " ".join(t.split()) + ("?" if f.nullable else "")
        if f.name == event_time:
            role = "time"
        elif isinstance(f.type, ir.PrimitiveType) and f.type.name in ("int", "long", "float", "double") or isinstance(
                f.type, ir.DecimalType):
            role = "metric"
        elif isinstance(f.type, (ir.PrimitiveType, ir.EnumType)) and not isinstance(f.type, ir.TimestampType):
            role = "id" if f.name.endswith("_id") and f.name.startswith(name[:3]) else "key"
        else:
            role = "other"
        tfs.append(TField(f.name, text, role, f.doc or ""))
    return SourceTemplate(name, topic, doc, (), tuple(tfs))


# ----------------------------------------------------------------- prompt

LANGUAGE_NOTES = """You write pipeline specs in the PipeGen language (.pgl) for Apache Flink.
A spec has a pipeline block, a source, processing stages and a sink. Stages:
- aggregate: `window tumble(ts, 1 min)` (fixed windows), `hop(ts, size 10 min, slide 1 min)` (sliding),
  `session(ts, 30 min)` (activity sessions), `cumulate(ts, step 1 min, size 1 h)` (growing totals); no window =
  running totals per key (the sink is then `mode upsert` with a `key`). `group by` a key field,
  `measures { name = count(*) ... }`, optional `having`.
- rolling: moving aggregates per row, `window range(ts, 5 min)` or `window rows(ts, 20)`.
- pattern: a condition that holds over time, e.g. above a threshold for more than 5 minutes.
- dedup: keep the first event per key. topn: the top N rows by a measure.
- transform: `where` filters events before the stage.
Pick the window kind, sizes, group key, measures and thresholds that the request asks for."""

EXAMPLES = [
    ("Alert when a card makes more than 5 payments within 30 seconds", "fintech",
     "aggregate window_stats from payments {\n  window tumble(event_time, 30 s)\n  group by card_id\n  measures {\n"
     "    event_count = count(*)\n  }\n  having count(*) > 5\n}\n"),
    ("Average temperature per device every 5 minutes, updated every minute", "iot",
     "aggregate window_stats from sensor_readings {\n  window hop(event_time, size 5 min, slide 1 min)\n"
     "  group by device_id\n  measures {\n    avg_temperature = avg(temperature)\n  }\n}\n"),
    ("Track user sessions with a 30 minute inactivity gap and count page views per session", "ecommerce",
     "aggregate window_stats from user_events {\n  window session(event_time, 30 min)\n  group by user_id\n"
     "  measures {\n    event_count = count(*)\n  }\n}\n"),
    ("Compute a 20-tick moving average of the price per symbol", "fintech",
     "rolling moving_stats from price_ticks {\n  partition by symbol\n  window rows(event_time, 20)\n"
     "  measures {\n    avg_price = avg(price)\n  }\n}\n"),
    ("Raise an alert when a patient's heart rate stays above 120 for more than 10 minutes", "healthcare",
     "pattern alerts from vital_signs {\n  partition by patient_id\n  sequence high+ still_high\n  define {\n"
     "    high       = heart_rate > 120\n    still_high = heart_rate > 120 and "
     "seconds_between(first(high.event_time), event_time) >= 600\n  }\n  measures {\n"
     "    started_at = first(high.event_time)\n    alerted_at = last(still_high.event_time)\n"
     "    peak_heart_rate = max(high.heart_rate)\n  }\n}\n"),
    ("Top 3 products by revenue every hour", "ecommerce",
     "aggregate window_stats from orders {\n  window tumble(order_time, 1 h)\n  group by product_id\n  measures {\n"
     "    total_amount = sum(amount)\n  }\n}\n\ntopn top_items from window_stats {\n  order by total_amount desc\n"
     "  limit 3\n}\n"),
    ("Keep a running total of spend per customer profile", "ecommerce",
     "aggregate running_totals from orders {\n  group by customer_id\n  measures {\n    total_amount = sum(amount)\n"
     "  }\n}\n"),
    ("Alert on every payment above 5000 from a new country", "fintech",
     "transform alerts from payments {\n  where amount > 5000\n}\n"),
    ("Drop duplicate order events and keep the first one", "ecommerce",
     "dedup unique_events from orders {\n  key order_id\n  keep first\n}\n"),
]


def pick_examples(description: str, k: int = 3) -> list[tuple[str, str, str]]:
    words = set(re.findall(r"[a-z]+", description.lower()))
    scored = sorted(EXAMPLES, key=lambda e: -len(words & set(re.findall(r"[a-z]+", e[0].lower()))))
    return scored[:k]


def build_prompt(plan: Plan, feedback: str | None = None) -> tuple[str, str]:
    system = LANGUAGE_NOTES
    if plan.domain in GUIDANCE:
        system += f"\nDomain {plan.domain}: {GUIDANCE[plan.domain]}."
    parts = []
    for req, _dom, stage in pick_examples(plan.description):
        parts.append(f"Request: {req}\nStages:\n{stage}")
    fields = ", ".join(f"{f.name} ({f.type.split('(')[0]})" for f in plan.source.fields)
    user = "\n".join(parts) + (f"\nRequest: {plan.description}\nSource `{plan.source.name}` fields: {fields}\n")
    if feedback:
        user += f"\nThe previous answer had these problems; avoid them:\n{feedback}\n"
    user += "Stages:\n"
    return system, user


def json_prompt(description: str, domain: str | None, schema_text: str, source_hint: str,
                feedback: str | None = None) -> tuple[str, str]:
    """The prompt for providers that decode to the JSON Schema of the IR."""
    from pathlib import Path

    examples = []
    root = Path(__file__).resolve().parent.parent / "specs"
    for name in ("fraud_detection", "factory_monitoring"):
        p = root / f"{name}.pgl"
        if p.exists():
            examples.append(ir.to_json(api.parse(p.read_text(encoding="utf-8")), exclude_none=True))
    system = (LANGUAGE_NOTES + "\nAnswer with one JSON object that follows this JSON Schema (the IR of a spec):\n"
              + schema_text)
    if domain in GUIDANCE:
        system += f"\nDomain {domain}: {GUIDANCE[domain]}."
    user = "".join(f"Example spec as JSON:\n{e}\n\n" for e in examples[:1])
    user += f"Request: {description}\n{source_hint}\n"
    if feedback:
        user += f"\nThe previous answer had these problems; fix them:\n{feedback}\n"
    return system, user


# ----------------------------------------------------------------- the loop


@dataclass
class GenerationResult:
    spec_text: str
    ok: bool
    diagnostics: list[Diagnostic] = field(default_factory=list)
    attempts: int = 0
    seconds: float = 0.0
    tokens: int = 0
    provider: str = ""
    model: str = ""
    error: str | None = None


def generate(description: str, domain: str | None, backend: Any, *, source: SourceTemplate | None = None,
             name: str | None = None, temperature: float = 0.0,
             max_repairs: int = 2, timeout_s: float = 600.0, on_progress: Callable[[Progress], None] | None = None,
             seed: int = 0) -> GenerationResult:
    """Ask ``backend`` for a spec; check it; feed diagnostics back. Raises BackendError on provider failure."""
    dom, _known = normalise(domain)
    plan = plan_request(description, dom, source, name)
    start = time.monotonic()
    feedback = None
    tokens = 0
    text = ""
    diags: list[Diagnostic] = []
    for attempt in range(1, max_repairs + 2):
        left = timeout_s - (time.monotonic() - start)
        if left <= 0:
            raise BackendError("timeout", "AI generation timed out", "Try a simpler description or use a more powerful model")
        if backend.output == "pgl":
            head = head_text(plan)
            system, user = build_prompt(plan, feedback)
            req = GenerationRequest(system=system, user=user, grammar=build_grammar(plan, head), max_tokens=700,
                                    timeout_s=left, seed=seed, temperature=temperature, on_progress=on_progress)
            gen = backend.generate(req)
            text = gen.text
        else:
            schema = api.ir_json_schema()
            source_hint = "Use this source exactly:\n" + source_block(plan.source, plan.watermark_s)
            system, user = json_prompt(description, dom, json.dumps(schema, separators=(",", ":")), source_hint,
                                       feedback)
            req = GenerationRequest(system=system, user=user, json_schema=schema, max_tokens=3000, timeout_s=left,
                                    seed=seed, temperature=temperature, on_progress=on_progress)
            gen = backend.generate(req)
            text = _json_to_pgl(gen.text)
        tokens += gen.tokens
        result = api.check(text, "pipeline.pgl")
        diags = result.diagnostics
        if result.ok:
            return GenerationResult(text, True, diags, attempt, time.monotonic() - start, tokens, gen.provider,
                                    gen.model)
        feedback = "\n".join(f"line {d.span.line if d.span else '?'}: {d.message}" +
                             (f" ({d.hint})" if d.hint else "") for d in diags if d.severity == "error")[:1500]
    return GenerationResult(text, False, diags, max_repairs + 1, time.monotonic() - start, tokens,
                            getattr(backend, "name", ""), getattr(backend, "model", ""))


def _json_to_pgl(text: str) -> str:
    """Provider JSON -> IR (pydantic) -> canonical .pgl; invalid JSON becomes a comment for the repair loop."""
    from pydantic import ValidationError

    try:
        spec = ir.validate_json(text)
    except ValidationError as e:
        errs = "; ".join(f"{'.'.join(str(x) for x in er['loc'])}: {er['msg']}" for er in e.errors()[:5])
        return f"# the model's JSON does not fit the IR: {errs}\n"
    return print_spec(spec)


def with_diagnostics_as_comments(text: str, diags: list[Diagnostic]) -> str:
    """The spec with its problems on top, so nothing the model produced is lost."""
    rendered = render_all(diags, text)
    comment = "".join(f"# {line}\n" if line else "#\n" for line in rendered.splitlines())
    return "# PipeGen could not make this spec valid; fix these problems and run `pipegen compile`:\n" + comment + \
        "\n" + text


def template_spec(name: str, domain: str | None, source: SourceTemplate | None = None) -> str:
    """The spec `pipegen init NAME` writes without --describe: the domain's typical source, counted per minute."""
    dom, _ = normalise(domain)
    plan = plan_request(f"A pipeline template for the {dom or 'generic'} domain", dom, source, name)
    text = head_text(plan)
    src = plan.source
    key = plan.keys[0] if plan.keys else None
    metric = plan.metrics[0] if plan.metrics else None
    p = plan.name
    measures = "    event_count = count(*)\n" + (f"    avg_{metric} = avg({q(metric)})\n" if metric else "")
    if src.event_time and key:
        stage = (f"aggregate per_minute from {src.name} {{\n  description \"Events per {key} and minute\"\n"
                 f"  window tumble({q(src.event_time)}, 1 min)\n  group by {q(key)}\n  measures {{\n{measures}  }}\n}}\n")
        sink = (f"\nsink {p}_results from per_minute {{\n  topic \"{p.replace('_', '-')}-results\"\n}}\n")
    else:
        group = key or src.fields[0].name
        stage = (f"aggregate running_totals from {src.name} {{\n  group by {q(group)}\n  measures {{\n{measures}  }}\n}}\n")
        sink = (f"\nsink {p}_results from running_totals {{\n  topic \"{p.replace('_', '-')}-results\"\n"
                f"  key {q(group)}\n  mode upsert\n}}\n")
    return text + "\n" + stage + sink

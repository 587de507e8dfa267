"""Measure how well `pipegen init --describe` turns requests in words into specs.

``pipegen eval CASES.jsonl`` reads one case per line::

    {"id": "...", "description": "...", "domain": "fintech", "expect": {"window": "tumble", ...}}

generates a spec for each description, and records whether it parses, passes
every check, plans in Flink (optional), and how many of the case's expected
*slots* it gets right. A slot is one thing a careful reader of the request
would put in the spec: the window kind and size, the group-by keys, the
aggregates, a filter, a join, a top-N... :func:`extract_slots` reads their
actual values from a spec's IR, :func:`score` compares them with a case's
``expect``, and :func:`run_eval` does the whole run and returns an
:class:`EvalReport` (markdown for the README, JSON for machines).

A generation that raises counts as a failed case (its message is recorded);
it never stops the run.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pipegen.compiler import ir
from pipegen.compiler.registry import Dispatch

__all__ = [
    "AGGREGATES", "DOMAINS", "EXPECT_KEYS", "JOIN_KINDS", "SINK_KINDS", "WINDOW_KINDS",
    "CaseResult", "EvalCase", "EvalCaseError", "EvalReport", "GenerateFn", "GenerationResult",
    "extract_slots", "load_cases", "parse_case", "request_names", "run_eval", "score", "spec_names",
]

WINDOW_KINDS = ("tumble", "hop", "session", "cumulate", "over", "none")
JOIN_KINDS = ("none", "regular", "interval", "temporal", "lookup")
SINK_KINDS = ("append", "upsert")
AGGREGATES = ("count", "sum", "avg", "min", "max", "count_distinct")
DOMAINS = ("ecommerce", "fintech", "iot", "gaming", "media", "healthcare", "logistics")

# Every slot, in the order reports list them.
EXPECT_KEYS = (
    "sources", "window", "window_size_s", "window_slide_s", "session_gap_s", "group_by", "aggregates",
    "filter", "having", "join", "dedup", "top_n", "pattern", "watermark_delay_s", "sink_kind",
)
_CASE_KEYS = {"id", "description", "domain", "expect", "origin", "names"}


# ------------------------------------------------------------------ slots


def _seconds(d: ir.Duration | None) -> int | float | None:
    if d is None:
        return None
    ms = d.millis
    return ms // 1000 if ms % 1000 == 0 else ms / 1000


def _flow_order(spec: ir.Spec) -> list[Any]:
    """Statements in data-flow order: every statement after the ones it reads; ties in source order.

    A statement may use a stream defined later in the file, so "the first
    aggregate" means the first one along the flow, not in the text.
    """
    by_name: dict[str, Any] = {}
    for st in spec.statements:
        by_name.setdefault(st.name, st)
    out: list[Any] = []
    done: set[int] = set()
    visiting: set[int] = set()

    def visit(st: Any) -> None:
        if id(st) in done or id(st) in visiting:
            return  # done, or a cycle (the checker reports it; keep source order)
        visiting.add(id(st))
        for name in ir.statement_inputs(st):
            dep = by_name.get(name)
            if dep is not None:
                visit(dep)
        visiting.discard(id(st))
        done.add(id(st))
        out.append(st)

    for st in spec.statements:
        visit(st)
    return out


def _walk(node: Any) -> Iterable[ir.Node]:
    """Every IR node under ``node`` (itself included), positions left out."""
    if isinstance(node, ir.Node):
        yield node
        for name in ir.value_fields(type(node)):
            yield from _walk(getattr(node, name))
    elif isinstance(node, (tuple, list)):
        for item in node:
            yield from _walk(item)


def _aggregate_calls(exprs: Iterable[Any]) -> set[str]:
    found: set[str] = set()
    for expr in exprs:
        for n in _walk(expr):
            if not isinstance(n, ir.Call):
                continue
            name = n.name.lower()
            if name == "count" and n.distinct:
                found.add("count_distinct")
            elif name in ("count", "sum", "avg", "min", "max"):
                found.add(name)
    return found


def extract_slots(spec: ir.Spec) -> dict[str, Any]:
    """The actual value of every slot (keys: :data:`EXPECT_KEYS`) in a spec.

    * ``window``: the kind of the *main* windowed stage: the first (along the
      data flow) aggregate with a window or ``rolling`` stage (``over``); an
      aggregate without a window, or no aggregate at all, is ``none``;
    * ``window_size_s``/``window_slide_s``: tumble size; hop size/slide;
      cumulate size/step; the range of a rolling window (None for ``rows``);
      ``session_gap_s``: the session gap;
    * ``group_by``: last path segment of the main stage's group-by (a rolling
      stage: its partition by; with no windowed stage, the first aggregate's);
    * ``aggregates``: count (also ``count(*)``), sum, avg, min, max and
      count_distinct (``count(distinct x)``) used anywhere in the measures
      (or a having) of aggregate, rolling and pattern stages;
    * ``filter``: a transform or aggregate has a ``where``; ``having``: an aggregate has one;
    * ``join``: the kind of the first join, or ``none``; ``dedup``/``pattern``: such a stage exists;
    * ``top_n``: the limit of the first topn stage, else False;
    * ``watermark_delay_s``: of the first source with a watermark;
    * ``sink_kind``: the mode of the first sink (append when not given; None without a sink).
    """
    found: dict[str, Any] = {"sources": 0, "aggregates": set(), "main": []}
    for st in _flow_order(spec):
        for key, value in SLOTS(st).items():
            if key == "sources":
                found[key] += value
            elif key == "aggregates":
                found[key] |= value
            elif key == "main":
                found[key].append(value)
            elif isinstance(value, bool) and key in ("filter", "having", "dedup", "pattern"):
                found[key] = found.get(key, False) or value
            else:
                found.setdefault(key, value)  # the first along the flow
    # The main stage: the first windowed one (aggregate with a window, or rolling), else the first aggregate.
    mains = sorted(found.pop("main"), key=lambda m: m[0])
    main = mains[0][1] if mains else {}
    return {
        "sources": found["sources"],
        "window": main.get("window", "none"),
        "window_size_s": main.get("window_size_s"),
        "window_slide_s": main.get("window_slide_s"),
        "session_gap_s": main.get("session_gap_s"),
        "group_by": main.get("group_by", []),
        "aggregates": sorted(found["aggregates"], key=AGGREGATES.index),
        "filter": found.get("filter", False),
        "having": found.get("having", False),
        "join": found.get("join", "none"),
        "dedup": found.get("dedup", False),
        "top_n": found.get("top_n", False),
        "pattern": found.get("pattern", False),
        "watermark_delay_s": found.get("watermark_delay_s"),
        "sink_kind": found.get("sink_kind"),
    }


# What each statement kind tells about the slots: a dict of slot values ("main" is a candidate for the main
# windowed stage: (rank, its window slots), lower rank first).
SLOTS = Dispatch("extract eval slots")


@SLOTS.register(ir.Source)
def _source_slots(st: ir.Source) -> dict[str, Any]:
    out: dict[str, Any] = {"sources": 1}
    if st.watermark is not None:
        out["watermark_delay_s"] = _seconds(st.watermark)
    return out


@SLOTS.register(ir.Transform)
def _transform_slots(st: ir.Transform) -> dict[str, Any]:
    return {"filter": st.where is not None}


WINDOW_SLOTS = Dispatch("eval slots of a window")
WINDOW_SLOTS.register(ir.Tumble)(lambda w: {"window": "tumble", "window_size_s": _seconds(w.size)})
WINDOW_SLOTS.register(ir.Hop)(
    lambda w: {"window": "hop", "window_size_s": _seconds(w.size), "window_slide_s": _seconds(w.slide)})
WINDOW_SLOTS.register(ir.Session)(lambda w: {"window": "session", "session_gap_s": _seconds(w.gap)})
WINDOW_SLOTS.register(ir.Cumulate)(
    lambda w: {"window": "cumulate", "window_size_s": _seconds(w.size), "window_slide_s": _seconds(w.step)})


@SLOTS.register(ir.Aggregate)
def _aggregate_slots(st: ir.Aggregate) -> dict[str, Any]:
    measured = [m.expr for m in st.measures] + ([st.having] if st.having is not None else [])
    window = WINDOW_SLOTS(st.window) if st.window is not None else {"window": "none"}
    main = (0 if st.window is not None else 1, {**window, "group_by": [c.path[-1] for c in st.group_by]})
    return {"filter": st.where is not None, "having": st.having is not None, "aggregates": _aggregate_calls(measured),
            "main": main}


@SLOTS.register(ir.Rolling)
def _rolling_slots(st: ir.Rolling) -> dict[str, Any]:
    size = _seconds(st.over.preceding) if isinstance(st.over, ir.OverRange) else None
    main = (0, {"window": "over", "window_size_s": size, "group_by": [c.path[-1] for c in st.partition_by]})
    return {"aggregates": _aggregate_calls(m.expr for m in st.measures), "main": main}


@SLOTS.register(ir.Join)
def _join_slots(st: ir.Join) -> dict[str, Any]:
    return {"join": st.join_kind}


@SLOTS.register(ir.Dedup)
def _dedup_slots(st: ir.Dedup) -> dict[str, Any]:
    return {"dedup": True}


@SLOTS.register(ir.TopN)
def _topn_slots(st: ir.TopN) -> dict[str, Any]:
    return {"top_n": st.limit}


@SLOTS.register(ir.Sort)
def _sort_slots(st: ir.Sort) -> dict[str, Any]:
    return {}  # rows put in time order fill no slot of the eval cases


@SLOTS.register(ir.Pattern)
def _pattern_slots(st: ir.Pattern) -> dict[str, Any]:
    return {"pattern": True, "aggregates": _aggregate_calls(m.expr for m in st.measures)}


@SLOTS.register(ir.Union)
def _union_slots(st: ir.Union) -> dict[str, Any]:
    return {}  # a merge of streams fills no slot of the eval cases


@SLOTS.register(ir.Unnest)
def _unnest_slots(st: ir.Unnest) -> dict[str, Any]:
    return {}  # a row per item fills no slot of the eval cases


@SLOTS.register(ir.Sink)
def _sink_slots(st: ir.Sink) -> dict[str, Any]:
    return {"sink_kind": st.mode or "append"}


def spec_names(spec: ir.Spec) -> set[str]:
    """Every name a spec gives a stream or a field: statement names, topics, source fields (nested ones too),
    the columns stages read, keys, select aliases and measure names. Descriptions and comments are not names."""
    out: set[str] = set()
    for n in _walk(spec.statements):
        for attr in ("name", "alias", "input", "left", "right"):
            v = getattr(n, attr, None)
            if isinstance(v, str) and not isinstance(n, ir.Call):
                out.add(v)
        if isinstance(n, ir.Column):
            out.update(n.path)
        if isinstance(n, (ir.Source, ir.Sink)):
            out.add(n.topic)
            out.update(n.key)
        if isinstance(n, ir.Source) and n.event_time:
            out.add(n.event_time)
        if isinstance(n, ir.Dedup):
            out.update(n.key)
    return out


def request_names(description: str) -> list[str]:
    """The identifiers a request names when its case lists none: words in backticks and snake_case words."""
    from pipegen.generate.words import identifiers

    return identifiers(description)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _match(key: str, want: Any, got: Any) -> bool:
    if key == "group_by":
        fields = [f.lower() for f in (got or [])]
        if not want:
            return not fields
        return all(any(h.lower() in f for f in fields) for h in want)
    if key == "aggregates":
        have = set(got or [])
        return not have if not want else set(want) <= have
    if key == "top_n":
        if want is True:
            return _is_number(got)
        if want is False:
            return got is False or got is None
        return _is_number(got) and got == want
    if key == "join":
        return got == want or (want == "lookup" and got == "temporal")
    if _is_number(want):
        return _is_number(got) and got == want
    return got == want


def score(expect: dict[str, Any], slots: dict[str, Any]) -> dict[str, bool]:
    """Per expected key, whether the spec's slot matches it.

    ``group_by``: every hint word is contained in the name of some group-by
    field (case-insensitive; an empty list: no grouping); ``aggregates``: all
    expected ones present, extras allowed (an empty list: no aggregation);
    ``top_n``: True matches any N, a number must be equal; ``join: lookup``
    matches a temporal join too; numbers compare exactly; anything else by equality.
    """
    return {key: _match(key, want, slots.get(key)) for key, want in expect.items()}


# ------------------------------------------------------------------ cases


class EvalCaseError(ValueError):
    """A line of a case file is not a valid case; ``line`` is 1-based."""

    def __init__(self, path: str, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


@dataclass(frozen=True)
class EvalCase:
    id: str
    description: str
    domain: str | None
    expect: dict[str, Any]
    line: int = 0
    origin: str | None = None
    # The identifiers the request names as streams and fields (None: the backticked and snake_case words).
    names: tuple[str, ...] | None = None

    @property
    def request_names(self) -> tuple[str, ...]:
        return self.names if self.names is not None else tuple(request_names(self.description))


def _check_expect(expect: Any) -> str | None:
    """What is wrong with an ``expect`` object, or None."""
    if not isinstance(expect, dict):
        return f"`expect` must be an object, not {type(expect).__name__}"
    for key, v in expect.items():
        if key not in EXPECT_KEYS:
            return f"unknown expect key `{key}` (known: {', '.join(EXPECT_KEYS)})"
        problem = _check_expect_value(key, v)
        if problem:
            return problem
    return _check_expect_slots(expect)


def _check_expect_value(key: str, v: Any) -> str | None:
    """What is wrong with the value of one (known) expect key, or None."""
    if key == "sources" and not (isinstance(v, int) and not isinstance(v, bool) and v >= 1):
        return f"expect.sources must be a whole number >= 1, not {v!r}"
    if key in ("window_size_s", "window_slide_s", "session_gap_s") and not (_is_number(v) and v > 0):
        return f"expect.{key} must be a number of seconds > 0, not {v!r}"
    if key == "watermark_delay_s" and not (_is_number(v) and v >= 0):
        return f"expect.watermark_delay_s must be a number of seconds >= 0, not {v!r}"
    if key == "window" and v not in WINDOW_KINDS:
        return f"bad window {v!r} (one of {', '.join(WINDOW_KINDS)})"
    if key == "join" and v not in JOIN_KINDS:
        return f"bad join {v!r} (one of {', '.join(JOIN_KINDS)})"
    if key == "sink_kind" and v not in SINK_KINDS:
        return f"bad sink_kind {v!r} (one of {', '.join(SINK_KINDS)})"
    if key == "group_by" and not (isinstance(v, list) and all(isinstance(h, str) and h.strip() for h in v)):
        return f"expect.group_by must be a list of hint words, not {v!r}"
    if key == "aggregates":
        return _check_aggregates(v)
    if key in ("filter", "having", "dedup", "pattern") and not isinstance(v, bool):
        return f"expect.{key} must be true or false, not {v!r}"
    if key == "top_n" and not (isinstance(v, bool) or (isinstance(v, int) and v >= 1)):
        return f"expect.top_n must be true, false or a whole number >= 1, not {v!r}"
    return None


def _check_aggregates(v: Any) -> str | None:
    if not isinstance(v, list):
        return f"expect.aggregates must be a list, not {v!r}"
    for a in v:
        if a not in AGGREGATES:
            return f"bad aggregate {a!r} (among {', '.join(AGGREGATES)})"
    if len(set(v)) != len(v):
        return f"expect.aggregates repeats a name: {v!r}"
    return None


def _check_expect_slots(expect: dict[str, Any]) -> str | None:
    """Slots that only make sense with some window kinds, or with an aggregation."""
    window = expect.get("window")
    if window is not None:
        if "session_gap_s" in expect and window != "session":
            return f"expect.session_gap_s needs window session, not {window}"
        if "window_slide_s" in expect and window not in ("hop", "cumulate"):
            return f"expect.window_slide_s needs window hop or cumulate, not {window}"
        if "window_size_s" in expect and window in ("session", "none"):
            return f"expect.window_size_s makes no sense with window {window}"
    if expect.get("aggregates") == [] and (expect.get("window") not in (None, "none") or expect.get("having")):
        return "expect.aggregates is empty (no aggregation) but a window or having is expected"
    return None


def parse_case(obj: Any, line: int = 0, path: str = "<cases>") -> EvalCase:
    """One decoded JSON line -> EvalCase; raises EvalCaseError saying what is wrong."""
    def fail(msg: str) -> EvalCaseError:
        return EvalCaseError(path, line, msg)

    if not isinstance(obj, dict):
        raise fail(f"a case must be a JSON object, not {type(obj).__name__}")
    unknown = sorted(set(obj) - _CASE_KEYS)
    if unknown:
        raise fail(f"unknown key `{unknown[0]}` (a case has: id, description, domain, expect, origin)")
    for key in ("id", "description"):
        if key not in obj:
            raise fail(f"missing `{key}`")
        if not isinstance(obj[key], str) or not obj[key].strip():
            raise fail(f"`{key}` must be a non-empty string")
    if "expect" not in obj:
        raise fail("missing `expect` (use {} when nothing is expected)")
    domain = obj.get("domain")
    if domain is not None and (not isinstance(domain, str) or not domain.strip()):
        raise fail("`domain` must be a non-empty string or null")
    origin = obj.get("origin")
    if origin is not None and not isinstance(origin, str):
        raise fail("`origin` must be a string")
    problem = _check_expect(obj["expect"])
    if problem:
        raise fail(f"case `{obj['id']}`: {problem}")
    names = obj.get("names")
    if names is not None:
        if not (isinstance(names, list) and all(isinstance(n, str) and n.strip() for n in names)):
            raise fail(f"case `{obj['id']}`: `names` must be a list of identifiers")
        missing = [n for n in names if n not in obj["description"]]
        if missing:
            raise fail(f"case `{obj['id']}`: `names` lists {missing[0]!r}, which the description does not contain")
    return EvalCase(obj["id"], obj["description"], domain, dict(obj["expect"]), line, origin,
                    tuple(names) if names is not None else None)


def load_cases(path: str | Path) -> list[EvalCase]:
    """Read a JSONL case file (blank lines and lines starting with `#` or `//` are skipped)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EvalCaseError(str(p), 0, "no such file") from None
    except UnicodeDecodeError as e:
        raise EvalCaseError(str(p), 0, f"not UTF-8 text (byte {e.start})") from None
    cases: list[EvalCase] = []
    seen: dict[str, int] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        s = raw.strip()
        if not s or s.startswith(("#", "//")):
            continue
        try:
            obj = json.loads(s)
        except json.JSONDecodeError as e:
            raise EvalCaseError(str(p), n, f"not valid JSON: {e.msg} (column {e.colno})") from None
        case = parse_case(obj, n, str(p))
        if case.id in seen:
            raise EvalCaseError(str(p), n, f"duplicate id `{case.id}` (first on line {seen[case.id]})")
        seen[case.id] = n
        cases.append(case)
    if not cases:
        raise EvalCaseError(str(p), 0, "no cases in the file")
    return cases


# ------------------------------------------------------------------ running


class GenerationResult(Protocol):
    """What a generate function returns (e.g. the result of ``pipegen.generate.generate``)."""

    spec_text: str
    seconds: float
    tokens: int


GenerateFn = Callable[[str, "str | None"], GenerationResult]


@dataclass
class CaseResult:
    id: str
    domain: str | None
    error: str | None = None  # the generation failed: its message
    parses: bool = False
    checks: bool = False  # parses and no error diagnostics
    plans: bool | None = None  # None: not planned (no jars given, or the spec has errors)
    diagnostics: list[str] = field(default_factory=list)  # error codes and messages, check then Flink
    expected: dict[str, Any] = field(default_factory=dict)
    slots: dict[str, Any] | None = None
    matched: dict[str, bool] = field(default_factory=dict)
    seconds: float = 0.0
    tokens: int | None = None
    spec_text: str | None = None
    names: tuple[str, ...] = ()  # identifiers the request names
    names_used: tuple[str, ...] = ()  # those the spec uses as stream or field names

    @property
    def slot_accuracy(self) -> float | None:
        """Matched / expected slots; None when the case expects nothing."""
        if not self.expected:
            return None
        return sum(self.matched.get(k, False) for k in self.expected) / len(self.expected)

    @property
    def exact(self) -> bool:
        """Every expected slot matched (a case that expects nothing: it checks clean)."""
        return all(self.matched.get(k, False) for k in self.expected) and self.checks

    @property
    def name_fidelity(self) -> float | None:
        """The share of the request's identifiers the spec uses as names; None when it names none."""
        return len(self.names_used) / len(self.names) if self.names else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "domain": self.domain, "error": self.error, "parses": self.parses,
            "checks": self.checks, "plans": self.plans, "diagnostics": self.diagnostics,
            "expected": self.expected, "slots": self.slots, "matched": self.matched,
            "slot_accuracy": self.slot_accuracy, "exact": self.exact, "names": list(self.names),
            "names_used": list(self.names_used), "name_fidelity": self.name_fidelity,
            "seconds": round(self.seconds, 3), "tokens": self.tokens,
            "spec_text": self.spec_text,
        }


def _rate(values: list[bool]) -> float | None:
    return sum(values) / len(values) if values else None


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{100 * v:.0f}%"


@dataclass
class EvalReport:
    provider: str
    cases_path: str
    rows: list[CaseResult]
    flink: bool = False  # whether specs were planned in Flink

    # ---- totals
    @property
    def cases(self) -> int:
        return len(self.rows)

    @property
    def errors(self) -> int:
        return sum(r.error is not None for r in self.rows)

    @property
    def parse_rate(self) -> float | None:
        return _rate([r.parses for r in self.rows])

    @property
    def check_rate(self) -> float | None:
        return _rate([r.checks for r in self.rows])

    @property
    def plan_rate(self) -> float | None:
        """Share of all cases whose spec Flink plans; None when Flink was not used."""
        if not self.flink:
            return None
        return _rate([bool(r.plans) for r in self.rows])

    @property
    def slot_accuracy(self) -> float | None:
        """Mean over the cases that expect something (a failed case counts 0)."""
        accs = [r.slot_accuracy for r in self.rows if r.slot_accuracy is not None]
        return statistics.fmean(accs) if accs else None

    @property
    def exact_rate(self) -> float | None:
        """Share of the cases whose every expected slot matched."""
        return _rate([r.exact for r in self.rows])

    @property
    def name_fidelity(self) -> float | None:
        """Identifiers the requests name that the specs use as names, over all identifiers named (pooled)."""
        named = sum(len(r.names) for r in self.rows)
        return sum(len(r.names_used) for r in self.rows) / named if named else None

    @property
    def per_slot(self) -> dict[str, tuple[int, int]]:
        """Per slot: (matched, expected) over every case that expects it."""
        out: dict[str, tuple[int, int]] = {}
        for key in EXPECT_KEYS:
            rows = [r for r in self.rows if key in r.expected]
            if rows:
                out[key] = (sum(r.matched.get(key, False) for r in rows), len(rows))
        return out

    @property
    def median_seconds(self) -> float | None:
        return statistics.median([r.seconds for r in self.rows]) if self.rows else None

    @property
    def total_seconds(self) -> float:
        return sum(r.seconds for r in self.rows)

    @property
    def total_tokens(self) -> int:
        return sum(r.tokens or 0 for r in self.rows)

    @property
    def median_tokens(self) -> float | None:
        toks = [r.tokens for r in self.rows if r.tokens is not None]
        return statistics.median(toks) if toks else None

    def totals(self) -> dict[str, Any]:
        return {
            "cases": self.cases, "generation_errors": self.errors, "parse_rate": self.parse_rate,
            "check_rate": self.check_rate, "plan_rate": self.plan_rate, "slot_accuracy": self.slot_accuracy,
            "exact_rate": self.exact_rate, "name_fidelity": self.name_fidelity,
            "per_slot": {k: {"matched": m, "expected": n, "accuracy": m / n} for k, (m, n) in self.per_slot.items()},
            "median_seconds": self.median_seconds, "total_seconds": round(self.total_seconds, 3),
            "median_tokens": self.median_tokens, "total_tokens": self.total_tokens,
        }

    def to_dict(self) -> dict[str, Any]:
        return {"provider": self.provider, "cases_path": self.cases_path, "flink": self.flink,
                "totals": self.totals(), "cases": [r.to_dict() for r in self.rows]}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_markdown(self, per_case: bool = True) -> str:
        """A summary table (and, with ``per_case``, one row per case) for the README."""
        med = self.median_seconds
        lines = [
            f"Provider `{self.provider}`, {self.cases} cases from `{Path(self.cases_path).name}`"
            + ("" if self.flink else " (not planned in Flink)") + ".",
            "",
            "| metric | value |",
            "|---|---|",
            f"| parses | {_pct(self.parse_rate)} |",
            f"| checks clean | {_pct(self.check_rate)} |",
            f"| plans in Flink | {_pct(self.plan_rate)} |",
            f"| slot accuracy (mean) | {_pct(self.slot_accuracy)} |",
            f"| every expected slot matched | {_pct(self.exact_rate)} |",
            f"| name fidelity | {'n/a' if self.name_fidelity is None else f'{self.name_fidelity:.2f}'} |",
            f"| generation errors | {self.errors} |",
            f"| median seconds per case | {'n/a' if med is None else f'{med:.1f}'} |",
            f"| total seconds | {self.total_seconds:.1f} |",
            f"| total tokens | {self.total_tokens} |",
            "",
            "| slot | accuracy | matched / expected |",
            "|---|---|---|",
        ]
        for key, (m, n) in self.per_slot.items():
            lines.append(f"| {key} | {_pct(m / n)} | {m} / {n} |")
        if per_case:
            yes = {True: "✓", False: "✗", None: "–"}
            lines += ["", "| case | domain | parses | checks | plans | slots | names | seconds | tokens | "
                          "missed / error |",
                      "|---|---|---|---|---|---|---|---|---|---|"]
            for r in self.rows:
                got = sum(r.matched.get(k, False) for k in r.expected)
                lost = [n for n in r.names if n not in r.names_used]
                missed = r.error or ", ".join([k for k in r.expected if not r.matched.get(k, False)] +
                                              [f"`{n}`" for n in lost])
                missed = missed.replace("|", "\\|").replace("\n", " ")
                if len(missed) > 80:
                    missed = missed[:77] + "..."
                lines.append(
                    f"| {r.id} | {r.domain or ''} | {yes[r.parses]} | {yes[r.checks]} | {yes[r.plans]} | "
                    f"{got}/{len(r.expected)} | {len(r.names_used)}/{len(r.names)} | {r.seconds:.1f} | "
                    f"{'' if r.tokens is None else r.tokens} | {missed} |")
        return "\n".join(lines) + "\n"


def _diag_line(d: Any) -> str:
    loc = f"{d.span.line}:{d.span.column} " if getattr(d, "span", None) is not None else ""
    return f"{loc}{d.code}: {d.message}"


def _error_message(e: BaseException) -> str:
    msg = getattr(e, "message", None) or str(e) or type(e).__name__
    hint = getattr(e, "hint", None)
    return f"{type(e).__name__}: {msg}" + (f" (hint: {hint})" if hint else "")


def evaluate_case(case: EvalCase, generate_fn: GenerateFn, flink_jars: list[str] | None = None,
                  planner: Any = None) -> CaseResult:
    """Generate, check, optionally plan, and score one case. Raises only when Flink cannot run here."""
    from pipegen import api

    row = CaseResult(case.id, case.domain, expected=dict(case.expect), names=case.request_names)
    start = time.perf_counter()
    try:
        gen = generate_fn(case.description, case.domain)
        text = gen.spec_text
        if not isinstance(text, str):
            raise TypeError(f"the generator returned {type(text).__name__} as spec_text, not str")
    except Exception as e:  # noqa: BLE001 - any generation failure is a failed case, never a crash
        row.seconds = time.perf_counter() - start
        row.error = _error_message(e)
        row.matched = {k: False for k in case.expect}
        return row
    row.seconds = float(getattr(gen, "seconds", None) or (time.perf_counter() - start))
    tokens = getattr(gen, "tokens", None)
    row.tokens = int(tokens) if tokens is not None else None
    row.spec_text = text

    result = api.check(text, f"{case.id}.pgl")
    row.parses = result.spec is not None
    row.checks = result.ok
    row.diagnostics = [_diag_line(d) for d in result.diagnostics if d.severity == "error"]
    if result.spec is not None:
        row.slots = extract_slots(result.spec)
        row.matched = score(case.expect, row.slots)
        used = spec_names(result.spec)
        row.names_used = tuple(n for n in row.names if n in used)
    else:
        row.matched = {k: False for k in case.expect}

    if flink_jars is not None and row.checks:
        from pipegen.engine.flink import FlinkUnavailable

        compiled = api.compile_text(text, "x.pgl", ("local",))
        if not compiled.ok:
            row.plans = False
            row.diagnostics += [_diag_line(d) for d in compiled.diagnostics if d.severity == "error"]
        else:
            try:
                diags = api.validate_with_flink(compiled, flink_jars, planner=planner)
            except FlinkUnavailable:
                raise
            except Exception as e:  # noqa: BLE001 - a planner crash on one spec fails that case only
                row.plans = False
                row.diagnostics.append(f"planning failed: {_error_message(e)}")
            else:
                row.plans = not diags
                row.diagnostics += [_diag_line(d) for d in diags]
    return row


def run_eval(cases_path: str | Path, generate_fn: GenerateFn, provider_name: str,
             flink_jars: list[str] | None = None, progress: Callable[[str], Any] | None = print) -> EvalReport:
    """Run every case of ``cases_path`` through ``generate_fn(description, domain)`` and score it.

    ``flink_jars`` (the Kafka connector jars, as for ``validate --engine flink``):
    also plan each clean spec in Flink. Raises :class:`EvalCaseError` for a bad
    case file and ``FlinkUnavailable`` when planning was asked for but Flink cannot run.
    """
    cases = load_cases(cases_path)
    rows: list[CaseResult] = []
    planner = None
    if flink_jars is not None:
        from pipegen import api

        planner = api.flink_planner(flink_jars)  # one JVM for the whole run
    try:
        for i, case in enumerate(cases, 1):
            row = evaluate_case(case, generate_fn, flink_jars, planner)
            rows.append(row)
            if progress is not None:
                progress(_progress_line(i, len(cases), row))
    finally:
        if planner is not None:
            planner.close()
    return EvalReport(provider_name, str(cases_path), rows, flink=flink_jars is not None)


def _progress_line(i: int, n: int, r: CaseResult) -> str:
    def mark(ok: bool) -> str:
        return "ok" if ok else "FAIL"

    head = f"[{i}/{n}] {r.id}:"
    if r.error is not None:
        return f"{head} generation error: {r.error}"
    parts = [f"parse {mark(r.parses)}", f"check {mark(r.checks)}"]
    if r.plans is not None:
        parts.append(f"plan {mark(r.plans)}")
    if r.expected:
        parts.append(f"slots {sum(r.matched.get(k, False) for k in r.expected)}/{len(r.expected)}")
    parts.append(f"{r.seconds:.1f} s")
    if r.tokens is not None:
        parts.append(f"{r.tokens} tokens")
    return f"{head} " + ", ".join(parts)

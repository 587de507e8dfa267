"""Synthetic events for every source of a spec, made so that the spec's logic fires.

Values come from the field's type and name (ids, amounts, currencies, countries, coordinates, ...), the
spec's ``generate { }`` hints (value ranges, enum weights), and what the spec does with the field:

- **Keys repeat.** A field the spec groups, partitions, joins or deduplicates by, or a topic's key, is drawn
  from a bounded pool with a skewed (Zipf-like) popularity, so some keys are hot and windows per key fill.
  Fields joined to each other (``on a.x = b.y``, traced back through the stages to the sources) share one
  pool, so join keys match across sources; the rows of a versioned (upsert) table are written for every key
  of its pool before the stream starts.
- **Thresholds are crossed.** Each comparison of a source field with a literal or with another field in a
  ``where``, ``having``, ``define`` or ``on`` (``amount > 500``, ``temperature > max_temperature``) is made
  true by a share of the events. Each key switches between a normal and an anomalous regime now and then (a
  regime lasts about ten events), so a pattern's sequence of conditions on one key completes. Where a
  pattern's define asks for a minimum duration (``seconds_between(first(HOT.ts), ts) > 300``), a key's
  regimes last a set span of event time instead (``plan.pattern_regime_ms``: twice that duration, within the
  pattern's ``within``).
- **Count thresholds are passed.** Where a ``having`` needs more events of one key in a window than the
  run's rate and speed give its hottest key (``plan.hot_keys``), one key gets the share that passes it, in
  every other span of the window's length (aligned as the windows are).
- **Strings the spec names appear**: ``status = "failed"`` or ``in ("a", "b")`` puts those values among the
  field's values.
- **Event time** is the run's clock (which may run faster than the wall clock, see ``plan.choose_speed``),
  out of order within half the watermark delay; a share of events (``late_share``) is late: behind the
  watermark by more than the spec's longest window (``late_by_ms``), so every window has closed on it and
  drops it, and the run can count them exactly.

Events are made in blocks of ``BLOCK``, column by column (numpy draws every field's values of a block at
once; see ``columns``), and handed out in batches by ``SourceGen.take(clock_ms, n)``: a batch is the next n
events at the run's clock, whose event times and lateness are decided from that clock. Everything is drawn
from ``random.Random(seed)`` and the numpy generators seeded from it, block by block: the same seed and spec
give the same events, however they are taken at one clock (a batch at a time, or one by one with
``event``). The event-time regimes and hot keys need the time of each event when its block is made: the
clock then, and the pace of the last block (the plan's rate and speed for the first).
A batch's values are the JSON that Flink's ``json`` format reads with ``timestamp-format.standard =
ISO-8601`` (``Batch.json``), the rows they are (``Batch.rows``), or Avro's binary encoding by the source's
schema (``Batch.avro``, byte for byte what fastavro writes).
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import json
import math
import random
import uuid as uuidlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pipegen.compiler import ir
from pipegen.compiler.analyze.model import children
from pipegen.run.plan import MAX_HOT_SHARE, RunPlan, pattern_regime_ms
from pipegen.run.columns import (DAY_MS, Arr, Bytes, Cat, Col, Map, Num, Rec, Str, Table, Time, avro_bytes, digits,
                                 objects, quoted, texts)

ANOMALY_START = 0.2  # share of keys that start in the anomalous regime
REGIME_FLIP = 0.1  # chance per event that a key's regime flips (a regime lasts about ten events)
CROSS_SHARE = 0.3  # share of events in the normal regime that still cross a threshold
NULL_SHARE = 0.05
DUPLICATE_SHARE = 0.05  # share of fresh ids (uuids) that repeat a recent one: dedup keys repeat

# ------------------------------------------------------------------------------------------- word lists
WORDS: dict[str, tuple[str, ...]] = {
    "country": ("US", "GB", "DE", "FR", "NL", "ES", "IT", "JP", "BR", "IN", "CA", "AU"),
    "currency": ("USD", "EUR", "GBP", "JPY", "CHF"),
    "city": ("London", "Berlin", "Paris", "Madrid", "Amsterdam", "New York", "Tokyo", "Toronto", "Sydney"),
    "category": ("electronics", "books", "grocery", "fashion", "toys", "home", "sports", "beauty"),
    "status": ("ok", "pending", "active", "completed", "failed"),
    "event_type": ("view", "click", "add_to_cart", "purchase", "search"),
    "action": ("view", "click", "add_to_cart", "purchase", "search"),
    "device": ("mobile", "desktop", "tablet"),
    "browser": ("chrome", "firefox", "safari", "edge"),
    "os": ("android", "ios", "windows", "macos", "linux"),
    "channel": ("web", "app", "store", "phone"),
    "region": ("eu-west", "eu-central", "us-east", "us-west", "ap-south"),
    "pair": ("BTC-USD", "ETH-USD", "SOL-USD", "ADA-USD", "XRP-USD"),
    "symbol": ("AAPL", "MSFT", "GOOG", "AMZN", "NVDA", "TSLA", "META"),
    "first_name": ("Ada", "Alan", "Grace", "Linus", "Margaret", "Dennis", "Barbara", "Ken"),
    "last_name": ("Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson"),
    "text": ("great product, fast delivery", "terrible service, never again", "okay, nothing special",
             "love it", "broken on arrival", "would buy again", "too expensive for what it is"),
}
ALIASES = {
    "country_code": "country", "nation": "country", "ccy": "currency", "town": "city", "state": "status",
    "type": "event_type", "kind": "event_type", "device_type": "device", "platform": "os", "ticker": "symbol",
    "instrument": "symbol", "firstname": "first_name", "lastname": "last_name", "surname": "last_name",
    "message": "text", "comment": "text", "review": "text", "content": "text", "body": "text", "tweet": "text",
    "post": "text", "segment": "category", "tier": "category", "sector": "category",
}


def _word_list(name: str) -> tuple[str, ...] | None:
    n = name.lower()
    for key in (n, ALIASES.get(n, "")):
        if key in WORDS:
            return WORDS[key]
    for key in sorted(WORDS, key=len, reverse=True):
        if n.endswith("_" + key) or n.startswith(key + "_"):
            return WORDS[key]
    for alias, key in ALIASES.items():
        if n.endswith("_" + alias):
            return WORDS[key]
    return None


# ------------------------------------------------------------------------------------------- what the spec does
@dataclass
class Usage:
    """What the spec does with each source field, keyed by (source, field name)."""

    pools: dict[tuple[str, str], int] = field(default_factory=dict)  # field -> pool id (shared by joined fields)
    thresholds: dict[tuple[str, str], list[tuple[str, float]]] = field(default_factory=dict)
    pairs: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)  # a > b: (op, b)
    strings: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    dedup: set[tuple[str, str]] = field(default_factory=set)
    regime_key: dict[str, tuple[str, ...]] = field(default_factory=dict)  # source -> fields of its regime key
    regime_ms: dict[str, int] = field(default_factory=dict)  # source -> event-time span of one regime, if set


class Lineage:
    """Which source fields a column of a stage comes from: plain column items are followed back through the
    stages (``x = merchant.country`` in a transform is ``country`` of the source's ``merchant``); a name that
    cannot be followed is looked up by name in every source."""

    def __init__(self, spec: ir.Spec):
        self.spec = spec
        self.sources = [s for s in spec.statements if isinstance(s, ir.Source)]

    def trace(self, stage: str, path: tuple[str, ...], depth: int = 0) -> set[tuple[str, str]]:
        st = self.spec.statement(stage)
        if st is None or depth > 50:
            return self.by_name(path[-1])
        if isinstance(st, ir.Source):
            return {(st.name, path[-1])} if _has_path(st.fields, path) else self.by_name(path[-1])
        inputs = ir.statement_inputs(st)
        if len(path) > 1 and path[0] in inputs:  # a qualified column of a join (or its pattern variable)
            return self.trace(path[0], path[1:], depth + 1)
        select = getattr(st, "select", None)
        if select is not None:
            for item in select.items:
                name = item.alias or (item.expr.path[-1] if isinstance(item.expr, ir.Column) else None)
                if name == path[0] and isinstance(item.expr, ir.Column):
                    inner = item.expr.path + path[1:]
                    if len(inner) > 1 and inner[0] in inputs:
                        return self.trace(inner[0], inner[1:], depth + 1)
                    return set().union(*(self.trace(i, inner, depth + 1) for i in inputs))
        found: set[tuple[str, str]] = set()
        for i in inputs:
            found |= self.trace(i, path, depth + 1)
        return found or self.by_name(path[-1])

    def by_name(self, name: str) -> set[tuple[str, str]]:
        return {(s.name, name) for s in self.sources if _has_name(s.fields, name)}


def _has_path(fields: tuple[ir.FieldDef, ...], path: tuple[str, ...]) -> bool:
    for f in fields:
        if f.name == path[0]:
            if len(path) == 1:
                return True
            return isinstance(f.type, ir.RecordType) and _has_path(f.type.fields, path[1:])
    return False


def _has_name(fields: tuple[ir.FieldDef, ...], name: str) -> bool:
    return any(f.name == name or (isinstance(f.type, ir.RecordType) and _has_name(f.type.fields, name))
               for f in fields)


_FLIP = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "=": "=", "!=": "!=", "<>": "<>"}


def _number(e: ir.Expr) -> float | None:
    if isinstance(e, ir.NumberLit):
        return float(e.text)
    if isinstance(e, ir.Neg) and isinstance(e.operand, ir.NumberLit):
        return -float(e.operand.text)
    return None


def _conditions(st: Any) -> list[tuple[ir.Expr, tuple[str, ...]]]:
    """The boolean expressions of a statement, with the stages their columns are read from."""
    out: list[tuple[ir.Expr, tuple[str, ...]]] = []
    inputs = ir.statement_inputs(st)
    for attr in ("where", "having", "on"):
        e = getattr(st, attr, None)
        if e is not None:
            out.append((e, inputs if attr != "having" else (st.name,)))
    if isinstance(st, ir.Pattern):
        out += [(d.condition, inputs) for d in st.defines]
    for item in getattr(getattr(st, "select", None), "items", ()) or ():
        out.append((item.expr, inputs))
    return out


def _walk(e: Any) -> Iterator[Any]:
    yield e
    for c in children(e):
        yield from _walk(c)


class _Union:
    def __init__(self) -> None:
        self.parent: dict[Any, Any] = {}

    def find(self, x: Any) -> Any:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, a: Any, b: Any) -> None:
        self.parent[self.find(a)] = self.find(b)


def usage(spec: ir.Spec) -> Usage:
    """What the spec does with each source field (see the module's docstring)."""
    return _Reader(spec).read()


class _Reader:
    def __init__(self, spec: ir.Spec):
        self.spec = spec
        self.lin = Lineage(spec)
        self.u = Usage()
        self.pools = _Union()
        self.keyed: set[tuple[str, str]] = set()

    def trace(self, stages: tuple[str, ...], col: ir.Column) -> set[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        for s in stages:
            found |= self.lin.trace(s, col.path)
        return found

    def read(self) -> Usage:
        u = self.u
        for st in self.spec.statements:
            if isinstance(st, ir.Source):
                self.keyed.update((st.name, k) for k in st.key)
            else:
                self.statement(st)
        ids: dict[Any, int] = {}
        roots = {self.pools.find(k) for k in self.keyed}
        for f in sorted(self.keyed | set(self.pools.parent)):
            if self.pools.find(f) in roots:
                u.pools[f] = ids.setdefault(self.pools.find(f), len(ids))
        for s in self.lin.sources:
            if s.name not in u.regime_key and s.key:
                u.regime_key[s.name] = s.key
        return u

    def statement(self, st: Any) -> None:
        inputs = ir.statement_inputs(st)
        key_cols = list(getattr(st, "group_by", ()) or ()) + list(getattr(st, "partition_by", ()) or ())
        if isinstance(st, ir.Dedup):  # its key: mostly fresh values, a share repeated (not a pool)
            for k in st.key:
                self.u.dedup |= self.trace(inputs, ir.Column(path=(k,)))
        for c in key_cols:
            self.keyed |= self.trace(inputs, c)
        if isinstance(st, ir.Pattern):
            span = pattern_regime_ms(st)
            for c in st.partition_by:
                for s, f in self.trace(inputs, c):
                    self.u.regime_key[s] = tuple(dict.fromkeys(self.u.regime_key.get(s, ()) + (f,)))
                    if span is not None:
                        self.u.regime_ms[s] = max(span, self.u.regime_ms.get(s, 0))
        for cond, stages in _conditions(st):
            for node in _walk(cond):
                if isinstance(node, ir.Binary) and node.op in _FLIP:
                    self.binary(node, stages)
                elif isinstance(node, ir.InList) and isinstance(node.operand, ir.Column):
                    self.in_list(node, stages)
                elif isinstance(node, ir.Between) and isinstance(node.operand, ir.Column):
                    self.between(node, stages)

    def binary(self, node: ir.Binary, stages: tuple[str, ...]) -> None:
        left, right = node.left, node.right
        if isinstance(left, ir.Column) and isinstance(right, ir.Column):
            a, b = self.trace(stages, left), self.trace(stages, right)
            for x, y in itertools.product(a, b):
                if x == y:
                    continue
                if node.op == "=":  # joined (or compared) fields share one pool of values
                    self.pools.join(x, y)
                    self.keyed.update((x, y))
                if x[0] == y[0]:
                    self.u.pairs.setdefault(x, []).append((node.op, y[1]))
            return
        for col, other, op in ((left, right, node.op), (right, left, _FLIP[node.op])):
            if isinstance(col, ir.Column):
                self.literal(self.trace(stages, col), op, other)

    def literal(self, fields: set[tuple[str, str]], op: str, other: ir.Expr) -> None:
        n = _number(other)
        for f in fields:
            if n is not None:
                self.u.thresholds.setdefault(f, []).append((op, n))
            elif isinstance(other, ir.StringLit):
                self.u.strings.setdefault(f, []).append(other.value)

    def in_list(self, node: ir.InList, stages: tuple[str, ...]) -> None:
        fields = self.trace(stages, node.operand)
        for item in node.items:
            self.literal(fields, "=", item)

    def between(self, node: ir.Between, stages: tuple[str, ...]) -> None:
        lo, hi = _number(node.low), _number(node.high)
        if lo is not None and hi is not None:
            for f in self.trace(stages, node.operand):
                self.u.thresholds.setdefault(f, []).append(("between", lo))
                self.u.thresholds.setdefault(f, []).append(("<=", hi))


# ------------------------------------------------------------------------------------------- generation
BLOCK = 4096  # events made at once, column by column (a batch never spans two blocks)
OP_UP, OP_DOWN, OP_EQ, OP_BETWEEN = 0, 1, 2, 3
_OPS = {">": OP_UP, ">=": OP_UP, "!=": OP_UP, "<>": OP_UP, "<": OP_DOWN, "<=": OP_DOWN, "=": OP_EQ,
        "between": OP_BETWEEN}
BOOLEANS = Table([False, True])


@dataclass
class Ctx:
    """What the columns of one block are made from: ``n`` events, the regime of each, the top-level columns
    made so far."""

    g: np.random.Generator
    n: int
    anomalous: np.ndarray
    cols: dict[str, Col] = field(default_factory=dict)
    times: np.ndarray | None = None  # the expected event time of each event (ms), where the pace is known


Gen = Callable[[Ctx], Col]


class Pool:
    """A bounded set of key values with a skewed popularity (weight 1/rank^1.1): some keys are hot."""

    def __init__(self, size: int, make: Callable[[int], Any], avro: Callable[[Any], Any] | None = None):
        self.values = [make(i) for i in range(size)]
        weights = np.array([1.0 / (i + 1) ** 1.1 for i in range(size)])
        self.cum = np.cumsum(weights / weights.sum())
        self.table = Table(self.values, avro)

    def draw(self, g: np.random.Generator, n: int) -> np.ndarray:
        return _pick(self.cum, g, n)


def _pick(cum: np.ndarray, g: np.random.Generator, n: int) -> np.ndarray:
    """n indices drawn by the cumulative weights ``cum``."""
    return np.minimum(np.searchsorted(cum, g.random(n), side="right"), len(cum) - 1)


def _iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def _prefix(name: str) -> str:
    base = name.lower()
    for suffix in ("_id", "_key", "_code", "_number", "_no", "id"):
        if base.endswith(suffix) and len(base) > len(suffix):
            return base[: -len(suffix)].strip("_") or base
    return base


def _numeric_base(name: str, t: ir.Type) -> tuple[float, float, str]:
    """(low, high, shape) by field name: shape is 'uniform', 'lognormal' (money) or 'normal'."""
    n = name.lower()
    table = [
        (("lat",), (35.0, 60.0, "uniform")), (("lon", "lng"), (-10.0, 30.0, "uniform")),
        (("temperature", "temp"), (10.0, 35.0, "normal")), (("humidity",), (30.0, 90.0, "uniform")),
        (("pressure",), (980.0, 1040.0, "uniform")), (("speed",), (0.0, 130.0, "uniform")),
        (("rating", "stars"), (1.0, 5.0, "uniform")), (("pct", "percent"), (0.0, 1.0, "uniform")),
        (("score", "ratio", "probability"), (0.0, 1.0, "uniform")), (("age",), (18.0, 90.0, "uniform")),
        (("quantity", "qty", "units", "count", "items"), (1.0, 10.0, "uniform")),
        (("amount", "price", "total", "cost", "revenue", "value", "balance", "bid", "ask", "fee"),
         (0.5, 5000.0, "lognormal")),
        (("size", "volume", "weight"), (0.1, 100.0, "lognormal")),
        (("duration", "latency", "ms"), (1.0, 2000.0, "lognormal")),
        (("level", "limit", "threshold", "max", "min", "capacity"), (50.0, 100.0, "uniform")),
    ]
    for words, result in table:
        if any(w == n or n.startswith(w + "_") or n.endswith("_" + w) or w in n.split("_") for w in words):
            return result
    if isinstance(t, ir.PrimitiveType) and t.name in ("int", "long"):
        return (0.0, 100.0, "uniform")
    return (0.0, 1000.0, "uniform")




def _draw_numbers(g: np.random.Generator, n: int, low: float, high: float, shape: str) -> np.ndarray:
    if shape == "lognormal":
        mid = math.sqrt(max(low, 0.01) * high)
        return np.clip(g.lognormal(math.log(mid / 4), 1.0, n), low, high)
    if shape == "normal":
        return np.clip(g.normal((low + high) / 2, (high - low) / 4, n), low, high)
    return g.uniform(low, high, n)


def _crossings(g: np.random.Generator, ops: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Values for which ``value op t`` holds (``between``: a little above the low end)."""
    n = len(t)
    step = np.maximum(np.abs(t) * g.uniform(0.02, 0.5, n), g.uniform(0.5, 2.0, n))
    return np.select([ops == OP_UP, ops == OP_DOWN, ops == OP_BETWEEN],
                     [t + step, t - step, t + np.abs(t) * g.random(n) * 0.1], t)


@dataclass
class Block:
    top: Rec  # the events' values
    key: Rec | None  # their topic key
    u_late: np.ndarray  # draws that decide, at the batch's clock, which events are late ...
    u_jitter: np.ndarray  # ... and how far each event's time is behind the clock


class Batch:
    """Events ``lo..hi`` of a block at one clock: their times (``event_ms``, epoch ms), which are late, and
    their values as rows, JSON messages or Avro datums."""

    def __init__(self, block: Block, lo: int, hi: int, event_ms: np.ndarray, late: np.ndarray):
        self.block, self.lo, self.hi = block, lo, hi
        self.n = hi - lo
        self.event_ms = event_ms
        self.late = late

    def rows(self) -> list[dict[str, Any]]:
        """The values as JSON objects (shared with the block: copy one before changing it)."""
        return self.block.top.get("py", self.lo, self.hi, self.event_ms)

    def keys(self) -> list[dict[str, Any] | None]:
        k = self.block.key
        return [None] * self.n if k is None else k.get("py", self.lo, self.hi, self.event_ms)

    def json(self) -> list[str]:
        """The values as JSON text (what ``encode`` writes, without its bytes)."""
        return self.block.top.get("js", self.lo, self.hi, self.event_ms)

    def json_keys(self) -> list[str] | None:
        k = self.block.key
        return None if k is None else k.get("js", self.lo, self.hi, self.event_ms)

    def datums(self) -> list[dict[str, Any]]:
        """The values as the Avro datums of the source's schema, for fastavro."""
        return self.block.top.get("av", self.lo, self.hi, self.event_ms)

    def avro(self, schema: dict[str, Any]) -> list[bytes]:
        """The values in Avro's binary encoding by the source's value schema (``avro.source_schema``): what
        fastavro's schemaless_writer writes of ``datums()``."""
        return avro_bytes(schema, self.block.top, self.lo, self.hi, self.event_ms)


class SourceGen:
    """Makes the events of one source: ``take(clock_ms, n)`` gives them in batches, ``event(clock_ms)`` one
    as (key, value, event time in ms, late)."""

    def __init__(self, src: ir.Source, u: Usage, pools: dict[int, Pool], rng: random.Random, late_share: float,
                 late_by_ms: int, levels: dict[Any, float] | None = None, pace_ms: float | None = None,
                 hot: list[tuple[str, int, float]] | None = None):
        self.src = src
        self.pace_ms = pace_ms  # event-time ms between two events, by the plan (None: not known)
        self.hot = hot or []  # (field, window ms, share): see plan.HotKey
        self.block_clock: int | None = None  # the clock when the current block was made
        self.regime_ms = u.regime_ms.get(src.name)
        self.regime_offsets: dict[Any, float] = {}
        self.levels = levels if levels is not None else {}
        self.u = u
        self.rng = rng
        self.g = np.random.default_rng(rng.getrandbits(64))
        self.pools = pools
        self.late_share = late_share
        self.late_by_ms = late_by_ms
        self.watermark_ms = src.watermark.millis if src.watermark is not None else 0
        self.recent: dict[str, list[Any]] = {}
        self.counters: dict[str, int] = {}
        self.start_ms: int | None = None
        self.regimes: dict[Any, bool] = {}
        self.regime_fields = u.regime_key.get(src.name, ())
        self.pooled = [f.name for f in src.fields if (src.name, f.name) in u.pools]
        gens = [(f.name, self._gen(f, src.name)) for f in src.fields]
        # key fields first: the regime of each event (and a price's level) follows its key
        self.first = [(n, g) for n, g in gens if n in self.pooled]
        self.rest = [(n, g) for n, g in gens if n not in self.pooled]
        self.names = [f.name for f in src.fields]
        self.key_fields = src.key if src.topic is not None else ()
        self.block: Block | None = None
        self.pos = 0

    # -- field generators ---------------------------------------------------------------------------------
    def _gen(self, f: ir.FieldDef, source: str) -> Gen:
        inner = self._gen_type(f.name, f.type, source)
        if f.nullable and f.name != self.src.event_time and (source, f.name) not in self.u.pools:
            def nullable(c: Ctx, inner: Gen = inner) -> Col:
                col = inner(c)
                nulls = c.g.random(c.n) < NULL_SHARE
                col.nulls = nulls if nulls.any() else None
                return col
            return nullable
        return inner

    def _pool_for(self, name: str, t: ir.Type, source: str) -> Pool | None:
        pid = self.u.pools.get((source, name))
        if pid is None:
            return None
        if pid not in self.pools:
            size = 200 if isinstance(t, ir.PrimitiveType) and t.name in ("string", "uuid", "int", "long") else 20
            words = None if name.lower().endswith(("id", "_key", "_code")) else _word_list(name)
            if words and isinstance(t, ir.PrimitiveType) and t.name == "string":
                self.pools[pid] = Pool(len(words), lambda i: words[i])
            else:
                self.pools[pid] = Pool(size, lambda i: _pool_value(name, t, i, self.rng), _avro_of(t))
        return self.pools[pid]

    def _gen_type(self, name: str, t: ir.Type, source: str) -> Gen:  # noqa: C901 - one branch per type
        key = (source, name)
        if isinstance(t, ir.RecordType):
            subs = [(f.name, self._gen(f, source)) for f in t.fields]
            return lambda c: Rec([(n, g(c)) for n, g in subs], c.n)
        if isinstance(t, ir.ArrayType):
            item = self._gen_type(name + "_item", t.items, source)

            def array(c: Ctx) -> Col:
                lens = c.g.integers(1, 5, c.n)
                return Arr(item(Ctx(c.g, int(lens.sum()), np.repeat(c.anomalous, lens))), lens)
            return array
        if isinstance(t, ir.MapType):
            val = self._gen_type(name + "_value", t.values, source)
            return lambda c: _map(c, val)
        pool = self._pool_for(name, t, source)
        if pool is not None:
            return lambda c: Cat(pool.table, pool.draw(c.g, c.n))
        if key in self.u.dedup and isinstance(t, ir.PrimitiveType) and t.name in ("string", "int", "long"):
            return self._dedup(name, t.name)
        if isinstance(t, ir.EnumType):
            return self._enum(name, t)
        if isinstance(t, ir.TimestampType):
            kind = "ts3" if t.precision == 3 else "ts6"
            if name == self.src.event_time:
                return lambda c: Time(kind, None, c.n)
            return lambda c: Time(kind, c.g.integers(0, 60_001, c.n), c.n)
        if isinstance(t, ir.DecimalType):
            num = self._number(name, t, key)
            return lambda c: Num("dec", np.round(num(c), t.scale), t.scale)
        assert isinstance(t, ir.PrimitiveType), t
        return self._primitive(name, t, key)

    def _dedup(self, name: str, kind: str) -> Gen:
        prefix = _prefix(name)

        def make(c: Ctx, m: int) -> list[Any]:
            start = self.counters.get(name, 0)
            self.counters[name] = start + m
            if kind != "string":
                return list(range(start + 1, start + m + 1))
            return [f"{prefix}-{i:08d}" for i in range(start + 1, start + m + 1)]

        if kind == "string":
            return lambda c: Str(self._fresh(c, name, make, DUPLICATE_SHARE))
        return lambda c: Num("int", np.array(self._fresh(c, name, make, DUPLICATE_SHARE), dtype=np.int64))

    def _enum(self, name: str, t: ir.EnumType) -> Gen:
        weights = dict.fromkeys(t.symbols, 1.0)
        for h in self.src.generate.hints if self.src.generate is not None else ():
            if isinstance(h, ir.WeightsHint) and h.field == name:
                weights = {w.symbol: float(w.weight.text) for w in h.weights if w.symbol in weights} or weights
        table = Table(list(weights))
        ws = np.array(list(weights.values()))
        cum = np.cumsum(ws / ws.sum())
        return lambda c: Cat(table, _pick(cum, c.g, c.n))

    def _primitive(self, name: str, t: ir.PrimitiveType, key: tuple[str, str]) -> Gen:
        kind = t.name
        if kind == "uuid":
            share = DUPLICATE_SHARE if key in self.u.dedup else DUPLICATE_SHARE / 10
            return lambda c: Str(self._fresh(c, name, _uuids, share))
        if kind == "string":
            return self._string(name, key)
        if kind == "boolean":
            share = 0.7 if name.lower().startswith(("is_", "has_")) else 0.5
            return lambda c: Cat(BOOLEANS, (c.g.random(c.n) < share).astype(np.intp))
        if kind == "bytes":
            return lambda c: Bytes(c.g.integers(0, 256, (c.n, 16), dtype=np.uint8))
        if kind == "date":
            return lambda c: Time("date", c.g.integers(0, 31, c.n) * DAY_MS, c.n)
        if kind == "time":
            return lambda c: Time("time", None, c.n)
        num = self._number(name, t, key)
        if kind in ("int", "long"):
            return lambda c: Num("int", np.rint(num(c)).astype(np.int64))
        return lambda c: Num("float", num(c))

    def _string(self, name: str, key: tuple[str, str]) -> Gen:
        spec_values = list(dict.fromkeys(self.u.strings.get(key, [])))
        base, table = _base_strings(name)
        if not spec_values:
            return base
        joined = Table(table.values + spec_values) if table is not None else None  # the base's, then the spec's

        def mixed(c: Ctx) -> Col:
            col = base(c)
            take = c.anomalous | (c.g.random(c.n) < 0.4)
            pick = c.g.integers(0, len(spec_values), c.n)
            if isinstance(col, Cat) and joined is not None:
                return Cat(joined, np.where(take, len(col.table) + pick, col.idx))
            assert isinstance(col, Str)
            return Str([spec_values[p] if t else v for v, t, p in zip(col.values, take.tolist(), pick.tolist())])
        return mixed

    def _number(self, name: str, t: ir.Type, key: tuple[str, str]) -> Callable[[Ctx], np.ndarray]:
        low, high, shape = _numeric_base(name, t)
        for h in self.src.generate.hints if self.src.generate is not None else ():
            if isinstance(h, ir.RangeHint) and h.field == name:
                low, high, shape = float(h.low), float(h.high), "uniform"
        thresholds = self.u.thresholds.get(key, [])
        if shape == "lognormal" and not thresholds and _is_price(name):
            return self._level(low, high)
        if isinstance(t, ir.PrimitiveType) and t.name in ("int", "long") and (low, high) == (0.0, 100.0) and \
                thresholds:
            high = max(high, max(abs(v) for _, v in thresholds) * 1.5)
        ops = np.array([_OPS[op] for op, _ in thresholds], dtype=np.int64)
        vals = np.array([v for _, v in thresholds], dtype=np.float64)

        def num(c: Ctx) -> np.ndarray:
            base = _draw_numbers(c.g, c.n, low, high, shape)
            if not thresholds:
                return base
            cross = c.anomalous | (c.g.random(c.n) < CROSS_SHARE)
            pick = c.g.integers(0, len(thresholds), c.n)
            return np.where(cross, _crossings(c.g, ops[pick], vals[pick]), base)
        return num

    def _level(self, low: float, high: float) -> Callable[[Ctx], np.ndarray]:
        """A price: each key (the row's first pooled field) has a level that drifts slowly, shared by every
        source that has that key, and each quote is within a fraction of a percent of it: bid and ask, or two
        exchanges' quotes of one pair, stay close and only now and then far enough apart to matter."""
        pid = self.u.pools.get((self.src.name, self.pooled[0])) if self.pooled else None

        def level(c: Ctx) -> np.ndarray:
            col = c.cols.get(self.pooled[0]) if self.pooled else None
            keys = col.idx.tolist() if isinstance(col, Cat) else [None] * c.n
            first = _draw_numbers(c.g, c.n, low, high, "lognormal").tolist()
            drift = (1 + c.g.normal(0, 0.0005, c.n)).tolist()
            quote = (1 + c.g.normal(0, 0.002, c.n)).tolist()
            levels = self.levels
            out = [0.0] * c.n
            for i, k in enumerate(keys):
                base = levels.get((pid, k))
                if base is None:
                    base = first[i]
                base *= drift[i]
                levels[(pid, k)] = base
                out[i] = base * quote[i]
            return np.array(out)
        return level

    def _fresh(self, c: Ctx, name: str, make: Callable[[Ctx, int], list[Any]], repeat_share: float) -> list[Any]:
        """New values, or (``repeat_share`` of the time) one of the last hundred new ones: duplicates, as an
        at-least-once producer makes them, for a dedup to remove."""
        recent = self.recent.get(name, [])
        repeat = c.g.random(c.n) < repeat_share
        if not recent:
            repeat[0] = False
        fresh = ~repeat
        new = make(c, int(fresh.sum()))
        known = recent + new
        made = np.cumsum(fresh) - fresh  # new values made before each event
        last = len(recent) + made  # the index in ``known`` of the next new value
        avail = np.minimum(100, last)
        back = (c.g.random(c.n) * avail).astype(np.int64) + 1
        idx = np.where(repeat, last - back, last)
        self.recent[name] = known[-100:]
        return objects(known)[idx].tolist()

    # -- events -------------------------------------------------------------------------------------------
    def _block(self, n: int = BLOCK, clock_ms: int | None = None) -> Block:
        g = self.g
        c = Ctx(g, n, np.zeros(n, dtype=bool), times=self._times(n, clock_ms))
        for name, gen in self.first:
            c.cols[name] = gen(c)
        self._hot_keys(c)
        c.anomalous = self._timed_regimes(c) if self.regime_ms and c.times is not None else self._regimes(c)
        for name, gen in self.rest:
            c.cols[name] = gen(c)
        self._apply_pairs(c)
        top = Rec([(name, c.cols[name]) for name in self.names], n)
        key = Rec([(k, c.cols[k]) for k in self.key_fields], n) if self.key_fields else None
        return Block(top, key, g.random(n), g.random(n))

    def _times(self, n: int, clock_ms: int | None) -> np.ndarray | None:
        """The expected event time of each event of a new block: from the clock, at the pace of the last block
        (how far the clock moved while its events were taken), else the plan's."""
        pace = self.pace_ms
        if clock_ms is not None and self.block_clock is not None and clock_ms > self.block_clock:
            pace = (clock_ms - self.block_clock) / BLOCK
        if clock_ms is not None:
            self.block_clock = clock_ms
        if pace is None or clock_ms is None:
            return None
        return clock_ms + np.arange(n) * pace

    def _hot_keys(self, c: Ctx) -> None:
        """One key (its pool's hottest) gets ``share`` of the events in every other window-long span."""
        if c.times is None:
            return
        for name, window_ms, share in self.hot:
            col = c.cols.get(name)
            pool = self._pool_for(name, _field_type(self.src, name), self.src.name)
            if not isinstance(col, Cat) or pool is None:
                continue
            p0 = float(pool.cum[0])
            s = min(share, MAX_HOT_SHARE)
            if s <= p0:
                continue  # the hottest key has that share already
            in_span = (c.times // window_ms) % 2 == 0
            pick = in_span & (c.g.random(c.n) < (s - p0) / (1 - p0))
            col.idx = np.where(pick, 0, col.idx)

    def _timed_regimes(self, c: Ctx) -> np.ndarray:
        """Each key's regime by event time: anomalous for ``regime_ms``, then normal as long, from an offset of
        its own."""
        cols = [c.cols[f] for f in self.regime_fields if isinstance(c.cols.get(f), Cat)]
        if cols:
            keys, of = np.unique(np.stack([col.idx for col in cols], axis=1), axis=0, return_inverse=True)
            of = of.reshape(c.n)
            names = [tuple(k) for k in keys.tolist()]
        else:
            of, names = np.zeros(c.n, dtype=np.int64), [()]
        span = float(self.regime_ms)
        offsets = np.array([self.regime_offsets.setdefault(k, self.rng.random() * 2 * span) for k in names])
        return ((c.times + offsets[of]) % (2 * span)) < span

    def _regimes(self, c: Ctx) -> np.ndarray:
        """Each key's regime, event by event: a key starts anomalous with ANOMALY_START, and flips with
        REGIME_FLIP at each of its events (per key: its first state, then the parity of its flips so far)."""
        cols = [c.cols[f] for f in self.regime_fields if isinstance(c.cols.get(f), Cat)]
        n = c.n
        start = c.g.random(n) < ANOMALY_START
        flip = c.g.random(n) < REGIME_FLIP
        if cols:
            keys, of = np.unique(np.stack([col.idx for col in cols], axis=1), axis=0, return_inverse=True)
            of = of.reshape(n)
            names = [tuple(k) if len(cols) > 1 else int(k[0]) for k in keys.tolist()]
        else:
            of, names = np.zeros(n, dtype=np.int64), [None]
        order = np.argsort(of, kind="stable")
        group = of[order]
        first = np.r_[True, group[1:] != group[:-1]]
        known = np.array([self.regimes.get(k) is not None for k in names])
        before = np.array([bool(self.regimes.get(k)) for k in names])
        # a key's first event here: its state flips if the key was seen before, else it is drawn
        f = flip[order].copy()
        f[first] &= known[group[first]]
        base = np.where(known, before, False)
        base[group[first]] = np.where(known[group[first]], before[group[first]], start[order][first])
        flips = np.cumsum(f)
        at_first = np.maximum.accumulate(np.where(first, np.arange(n), 0))
        since = flips - flips[at_first] + f[at_first]
        state = base[group] ^ (since % 2 == 1)
        out = np.empty(n, dtype=bool)
        out[order] = state
        last = np.r_[first[1:], True]
        for g_, s_ in zip(group[last].tolist(), state[last].tolist()):
            self.regimes[names[g_]] = s_
        return out

    def _apply_pairs(self, c: Ctx) -> None:
        """Field-to-field comparisons (``a > b``): in the anomalous regime they hold, otherwise mostly not."""
        for (source, a), rules in self.u.pairs.items():
            col = c.cols.get(a)
            if source != self.src.name or not isinstance(col, Num):
                continue
            for op, b in rules:
                other = c.cols.get(b)
                if not isinstance(other, Num) or op not in (">", ">=", "<", "<="):
                    continue
                want = c.anomalous | (c.g.random(c.n) < CROSS_SHARE)
                target = other.values.astype(np.float64)
                up, down = target + np.abs(target) * 0.05 + 1, target - np.abs(target) * 0.05 - 1
                v = np.where(want, up, down) if op in (">", ">=") else np.where(want, down, up)
                if col.kind == "int":
                    v = np.rint(v).astype(np.int64)
                elif col.kind == "dec":
                    v = np.round(v, col.scale)
                if other.nulls is not None:
                    v = np.where(other.nulls, col.values, v)
                col.values = v

    def take(self, clock_ms: int, n: int, late: bool = True) -> list[Batch]:
        """The next n events at ``clock_ms``, in batches (one per block they come from). An event is late
        (``late_share`` of them, once the run is past the windows a late event falls in) when ``late``."""
        if self.start_ms is None:
            self.start_ms = clock_ms
        may_be_late = late and self.late_share > 0 and clock_ms - self.start_ms > self.late_by_ms
        out = []
        while n > 0:
            if self.block is None or self.pos >= BLOCK:
                self.block, self.pos = self._block(clock_ms=clock_ms), 0
            lo = self.pos
            hi = min(BLOCK, lo + n)
            b = self.block
            jitter = b.u_jitter[lo:hi]
            if may_be_late:
                is_late = b.u_late[lo:hi] < self.late_share
            else:
                is_late = np.zeros(hi - lo, dtype=bool)
            on_time = clock_ms - (jitter * (self.watermark_ms // 2 + 1)).astype(np.int64)
            if is_late.any():  # behind the watermark by more than the longest window: every window has closed
                behind = clock_ms - self.watermark_ms - self.late_by_ms - \
                    (jitter * (self.late_by_ms + 1)).astype(np.int64)
                event_ms = np.where(is_late, behind, on_time)
            else:
                event_ms = on_time
            out.append(Batch(b, lo, hi, event_ms, is_late))
            self.pos = hi
            n -= hi - lo
        return out

    def event(self, clock_ms: int, late: bool = True) -> tuple[dict[str, Any] | None, dict[str, Any], int, bool]:
        (b,) = self.take(clock_ms, 1, late)
        return b.keys()[0], b.rows()[0], int(b.event_ms[0]), bool(b.late[0])


def _map(c: Ctx, val: Gen) -> Col:
    names = ("a", "b", "c", "d")
    sizes = c.g.integers(1, 4, c.n).tolist()
    order = np.argsort(c.g.random((c.n, len(names))), axis=1).tolist()
    keys = [tuple(names[j] for j in o[:s]) for o, s in zip(order, sizes)]
    lens = np.array(sizes, dtype=np.int64)
    return Map(keys, val(Ctx(c.g, int(lens.sum()), np.repeat(c.anomalous, lens))))


def _uuids(c: Ctx, m: int) -> list[str]:
    """m random (version 4) uuids as text."""
    b = c.g.integers(0, 256, (m, 16), dtype=np.uint8)
    b[:, 6] = (b[:, 6] & 0x0F) | 0x40
    b[:, 8] = (b[:, 8] & 0x3F) | 0x80
    h = b.tobytes().hex()
    return [f"{h[i:i + 8]}-{h[i + 8:i + 12]}-{h[i + 12:i + 16]}-{h[i + 16:i + 20]}-{h[i + 20:i + 32]}"
            for i in range(0, len(h), 32)]


def _base_strings(name: str) -> tuple[Gen, Table | None]:
    """The strings of a field by its name: a word list, or values made to look like emails, paths, ips, ids,
    names; with the table they are drawn from, if they are."""
    words = _word_list(name)
    n = name.lower()
    if words is not None:
        table = Table(list(words))
    elif "email" in n:
        table = Table([f"user{i}@example.com" for i in range(1, 501)])
    elif n in ("url", "page", "path", "page_url", "referrer"):
        table = Table([f"/products/{i}" for i in range(1, 301)])
    elif n.endswith("ip") or "ip_address" in n:
        def ips(c: Ctx) -> Col:
            a = c.g.integers(0, 256, (c.n, 2)).tolist()
            d = c.g.integers(1, 255, c.n).tolist()
            return Str([f"10.{x}.{y}.{z}" for (x, y), z in zip(a, d)])
        return ips, None
    elif n.endswith(("_id", "_key", "id")):
        prefix = _prefix(name)

        head = np.frombuffer((prefix + "-").encode("utf-8"), dtype=np.uint8)

        def ids(c: Ctx) -> Col:  # prefix-000123, made as one block of characters
            chars = np.hstack([np.broadcast_to(head, (c.n, len(head))), digits(c.g.integers(1, 100_001, c.n), 6)])
            return Str(texts(chars), js=texts(quoted(chars)))
        return ids, None
    elif "name" in n:
        table = Table([f"{a} {b}" for a in WORDS["first_name"] for b in WORDS["last_name"]])
    else:
        table = Table([f"{n}-{i}" for i in range(1, 51)])
    return (lambda c: Cat(table, c.g.integers(0, len(table), c.n))), table


def _avro_of(t: ir.Type) -> Callable[[Any], Any] | None:
    """How a pool's value is written as an Avro datum, where it is not as it is in JSON."""
    if isinstance(t, ir.DecimalType):
        return lambda v: decimal.Decimal(repr(round(float(v), t.scale)))
    return None


def _is_price(name: str) -> bool:
    parts = name.lower().split("_")
    return bool({"price", "bid", "ask", "close", "open", "high", "low", "last", "mid", "quote"} & set(parts))


def _pool_value(name: str, t: ir.Type, i: int, rng: random.Random) -> Any:
    if isinstance(t, ir.PrimitiveType):
        if t.name == "uuid":
            return str(uuidlib.UUID(int=rng.getrandbits(128), version=4))
        if t.name in ("int", "long"):
            return 1000 + i
        if t.name in ("float", "double"):
            return float(i)
        if t.name == "boolean":
            return i % 2 == 0
        return f"{_prefix(name)}-{i + 1:04d}"
    if isinstance(t, ir.EnumType):
        return t.symbols[i % len(t.symbols)]
    if isinstance(t, ir.DecimalType):
        return float(i)
    return f"{_prefix(name)}-{i + 1:04d}"


class Synth:
    """The generators of every source that the run feeds (datagen and jdbc sources are not fed)."""

    def __init__(self, spec: ir.Spec, seed: int, late_share: float, late_by_ms: int, plan: RunPlan | None = None):
        """``plan``: the run's rates and speed give the pace of event time (for event-time regimes) and its hot
        keys; without one, regimes switch by events and no key is made hot."""
        self.u = usage(spec)
        self.rng = random.Random(seed)
        self.pools: dict[int, Pool] = {}
        levels: dict[Any, float] = {}
        pace = {p.name: 1000 * plan.speed / p.rate for p in plan.sources if p.rate > 0} if plan else {}
        hot = _hot_fields(spec, plan.hot) if plan else {}
        self.sources = {
            s.name: SourceGen(s, self.u, self.pools, random.Random(self.rng.getrandbits(64)), late_share, late_by_ms,
                              levels, pace.get(s.name), hot.get(s.name))
            for s in spec.statements if isinstance(s, ir.Source) and not s.datagen and s.jdbc is None
        }

    def table_rows(self, name: str, clock_ms: int) -> Iterator[tuple[dict[str, Any] | None, dict[str, Any]]]:
        """One row per key of a versioned table's pool, written before the stream so a temporal join finds a
        version for every key: event time ``clock_ms`` (the start of the run, before any stream event)."""
        gen = self.sources[name]
        keys = gen.src.key
        pool_ids = [self.u.pools.get((name, k)) for k in keys]
        if not keys or None in pool_ids:
            return
        for values in itertools.product(*(gen._pool_for(k, _field_type(gen.src, k), name).values for k in keys)):
            _, row, _, _ = gen.event(clock_ms, late=False)
            row = {**row, **dict(zip(keys, values))}
            if gen.src.event_time:
                row[gen.src.event_time] = _iso(clock_ms)
            yield {k: row[k] for k in keys}, row


def _hot_fields(spec: ir.Spec, hot: tuple[Any, ...]) -> dict[str, list[tuple[str, int, float]]]:
    """source -> (field, window ms, share) of each hot key: the stage's group by, traced to that source's
    top-level fields."""
    lin = Lineage(spec)
    out: dict[str, list[tuple[str, int, float]]] = {}
    for h in hot:
        st = spec.statement(h.stage)
        for col in st.group_by:
            for s, f in set().union(*(lin.trace(i, col.path) for i in ir.statement_inputs(st))):
                if s == h.source and any(x.name == f for x in spec.statement(s).fields):
                    out.setdefault(s, []).append((f, h.window_ms, h.share))
    return out


def _field_type(src: ir.Source, name: str) -> ir.Type:
    return next(f.type for f in src.fields if f.name == name)


def encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

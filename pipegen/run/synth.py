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
  regime lasts about ten events), so a pattern's sequence of conditions on one key completes.
- **Strings the spec names appear**: ``status = "failed"`` or ``in ("a", "b")`` puts those values among the
  field's values.
- **Event time** is the run's clock (which may run faster than the wall clock, see ``plan.choose_speed``),
  out of order within half the watermark delay; a share of events (``late_share``) is late: behind the
  watermark by more than the spec's longest window (``late_by_ms``), so every window has closed on it and
  drops it, and the run can count them exactly.

Everything is drawn from one ``random.Random(seed)``: the same seed and spec give the same events.
Values are the JSON that Flink's ``json`` format reads with ``timestamp-format.standard = ISO-8601``.
"""

from __future__ import annotations

import base64
import bisect
import datetime as dt
import itertools
import json
import math
import random
import uuid as uuidlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pipegen.compiler import ir
from pipegen.compiler.analyze.model import children

Gen = Callable[["Ctx"], Any]

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
            for c in st.partition_by:
                for s, f in self.trace(inputs, c):
                    self.u.regime_key[s] = tuple(dict.fromkeys(self.u.regime_key.get(s, ()) + (f,)))
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
@dataclass
class Ctx:
    """The state while one event is made."""

    rng: random.Random
    event_ms: int
    anomalous: bool
    row: dict[str, Any] = field(default_factory=dict)


class Pool:
    """A bounded set of key values with a skewed popularity (weight 1/rank^1.1): some keys are hot."""

    def __init__(self, size: int, make: Callable[[int], Any]):
        self.values = [make(i) for i in range(size)]
        weights = [1.0 / (i + 1) ** 1.1 for i in range(size)]
        total = sum(weights)
        self.cum = list(itertools.accumulate(w / total for w in weights))

    def draw(self, rng: random.Random) -> Any:
        i = bisect.bisect_left(self.cum, rng.random())
        return self.values[min(i, len(self.values) - 1)]


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


def _draw_number(rng: random.Random, low: float, high: float, shape: str) -> float:
    if shape == "lognormal":
        mid = math.sqrt(max(low, 0.01) * high)
        v = rng.lognormvariate(math.log(mid / 4), 1.0)
        return min(max(v, low), high)
    if shape == "normal":
        v = rng.gauss((low + high) / 2, (high - low) / 4)
        return min(max(v, low), high)
    return rng.uniform(low, high)


def _crossing(rng: random.Random, op: str, t: float) -> float:
    """A value for which ``value op t`` holds."""
    step = max(abs(t) * rng.uniform(0.02, 0.5), rng.uniform(0.5, 2.0))
    if op in (">", ">="):
        return t + step
    if op in ("<", "<="):
        return t - step
    if op in ("!=", "<>"):
        return t + step
    return t


class SourceGen:
    """Makes the events of one source: ``event(event_ms)`` gives (key, value, event time in ms, late)."""

    def __init__(self, src: ir.Source, u: Usage, pools: dict[int, Pool], rng: random.Random, late_share: float,
                 late_by_ms: int, levels: dict[Any, float] | None = None):
        self.src = src
        self.levels = levels if levels is not None else {}
        self.u = u
        self.rng = rng
        self.pools = pools
        self.late_share = late_share
        self.late_by_ms = late_by_ms
        self.watermark_ms = src.watermark.millis if src.watermark is not None else 0
        self.recent: dict[str, list[Any]] = {}
        self.start_ms: int | None = None
        self.regimes: dict[Any, bool] = {}
        self.regime_fields = u.regime_key.get(src.name, ())
        self.fields = [(f.name, self._gen(f, src.name)) for f in src.fields]
        self.key_fields = src.key if src.topic is not None else ()

    # -- field generators ---------------------------------------------------------------------------------
    def _gen(self, f: ir.FieldDef, source: str) -> Gen:
        inner = self._gen_type(f.name, f.type, source)
        if f.nullable and f.name != self.src.event_time and (source, f.name) not in self.u.pools:
            def nullable(c: Ctx, inner: Gen = inner) -> Any:
                return None if c.rng.random() < NULL_SHARE else inner(c)
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
                self.pools[pid] = Pool(size, lambda i: _pool_value(name, t, i, self.rng))
        return self.pools[pid]

    def _gen_type(self, name: str, t: ir.Type, source: str) -> Gen:
        key = (source, name)
        if isinstance(t, ir.RecordType):
            subs = [(f.name, self._gen(f, source)) for f in t.fields]
            return lambda c: {n: g(c) for n, g in subs}
        if isinstance(t, ir.ArrayType):
            item = self._gen_type(name + "_item", t.items, source)
            return lambda c: [item(c) for _ in range(c.rng.randint(1, 4))]
        if isinstance(t, ir.MapType):
            val = self._gen_type(name + "_value", t.values, source)
            keys = ("a", "b", "c", "d")
            return lambda c: {k: val(c) for k in c.rng.sample(keys, c.rng.randint(1, 3))}
        pool = self._pool_for(name, t, source)
        if pool is not None:
            return lambda c: pool.draw(c.rng)
        if key in self.u.dedup and isinstance(t, ir.PrimitiveType) and t.name in ("string", "int", "long"):
            counter = itertools.count(1)
            prefix = _prefix(name)

            def make() -> Any:
                return next(counter) if t.name != "string" else f"{prefix}-{next(counter):08d}"
            return lambda c: self._fresh(c, name, make, DUPLICATE_SHARE)
        if isinstance(t, ir.EnumType):
            return self._enum(name, t)
        if isinstance(t, ir.TimestampType):
            if name == self.src.event_time:
                return lambda c: _iso(c.event_ms)
            return lambda c: _iso(c.event_ms - c.rng.randint(0, 60_000))
        if isinstance(t, ir.DecimalType):
            num = self._number(name, t, key)
            return lambda c: round(num(c), t.scale)
        assert isinstance(t, ir.PrimitiveType), t
        return self._primitive(name, t, key)

    def _enum(self, name: str, t: ir.EnumType) -> Gen:
        weights = dict.fromkeys(t.symbols, 1.0)
        for h in self.src.generate.hints if self.src.generate is not None else ():
            if isinstance(h, ir.WeightsHint) and h.field == name:
                weights = {w.symbol: float(w.weight.text) for w in h.weights if w.symbol in weights} or weights
        symbols, ws = list(weights), list(weights.values())
        return lambda c: c.rng.choices(symbols, ws)[0]

    def _primitive(self, name: str, t: ir.PrimitiveType, key: tuple[str, str]) -> Gen:
        kind = t.name
        if kind == "uuid":
            share = DUPLICATE_SHARE if key in self.u.dedup else DUPLICATE_SHARE / 10

            def make_uuid(c: Ctx) -> str:
                return str(uuidlib.UUID(int=c.rng.getrandbits(128), version=4))
            return lambda c: self._fresh(c, name, lambda: make_uuid(c), share)
        if kind == "string":
            return self._string(name, key)
        if kind == "boolean":
            share = 0.7 if name.lower().startswith(("is_", "has_")) else 0.5
            return lambda c: c.rng.random() < share
        if kind == "bytes":
            return lambda c: base64.b64encode(c.rng.randbytes(16)).decode("ascii")
        if kind == "date":
            return lambda c: _iso(c.event_ms - c.rng.randint(0, 30) * 86_400_000)[:10]
        if kind == "time":
            return lambda c: _iso(c.event_ms)[11:19]
        num = self._number(name, t, key)
        if kind in ("int", "long"):
            return lambda c: int(round(num(c)))
        return num

    def _string(self, name: str, key: tuple[str, str]) -> Gen:
        spec_values = list(dict.fromkeys(self.u.strings.get(key, [])))
        words = _word_list(name)
        n = name.lower()
        if words is None:
            if "email" in n:
                def base(c: Ctx) -> str:
                    return f"user{c.rng.randint(1, 500)}@example.com"
            elif n in ("url", "page", "path", "page_url", "referrer"):
                def base(c: Ctx) -> str:
                    return f"/products/{c.rng.randint(1, 300)}"
            elif n.endswith("ip") or "ip_address" in n:
                def base(c: Ctx) -> str:
                    return f"10.{c.rng.randint(0, 255)}.{c.rng.randint(0, 255)}.{c.rng.randint(1, 254)}"
            elif n.endswith(("_id", "_key", "id")):
                prefix = _prefix(name)
                def base(c: Ctx) -> str:
                    return f"{prefix}-{c.rng.randint(1, 100_000):06d}"
            elif "name" in n:
                def base(c: Ctx) -> str:
                    return f"{c.rng.choice(WORDS['first_name'])} {c.rng.choice(WORDS['last_name'])}"
            else:
                def base(c: Ctx) -> str:
                    return f"{n}-{c.rng.randint(1, 50)}"
        else:
            def base(c: Ctx) -> str:
                return c.rng.choice(words)
        if not spec_values:
            return base
        return lambda c: c.rng.choice(spec_values) if (c.anomalous or c.rng.random() < 0.4) else base(c)

    def _number(self, name: str, t: ir.Type, key: tuple[str, str]) -> Callable[[Ctx], float]:
        low, high, shape = _numeric_base(name, t)
        for h in self.src.generate.hints if self.src.generate is not None else ():
            if isinstance(h, ir.RangeHint) and h.field == name:
                low, high, shape = float(h.low), float(h.high), "uniform"
        thresholds = self.u.thresholds.get(key, [])
        if shape == "lognormal" and not thresholds and _is_price(name):
            return self._level(name, low, high)
        if isinstance(t, ir.PrimitiveType) and t.name in ("int", "long") and (low, high) == (0.0, 100.0) and \
                thresholds:
            high = max(high, max(abs(v) for _, v in thresholds) * 1.5)

        def num(c: Ctx) -> float:
            if thresholds and (c.anomalous or c.rng.random() < CROSS_SHARE):
                op, v = c.rng.choice(thresholds)
                if op == "between":
                    return v + abs(v) * c.rng.random() * 0.1
                return _crossing(c.rng, op, v)
            return _draw_number(c.rng, low, high, shape)
        return num

    def _level(self, name: str, low: float, high: float) -> Callable[[Ctx], float]:
        """A price: each key (the row's first pooled field) has a level that drifts slowly, shared by every
        source that has that key, and each quote is within a fraction of a percent of it: bid and ask, or two
        exchanges' quotes of one pair, stay close and only now and then far enough apart to matter."""
        pooled = [f.name for f in self.src.fields if (self.src.name, f.name) in self.u.pools]

        def level(c: Ctx) -> float:
            k = next((c.row.get(f) for f in pooled if f in c.row), None)
            pid = self.u.pools.get((self.src.name, pooled[0])) if pooled else None
            base = self.levels.get((pid, k))
            if base is None:
                base = _draw_number(c.rng, low, high, "lognormal")
            base *= 1 + c.rng.gauss(0, 0.0005)
            self.levels[(pid, k)] = base
            return base * (1 + c.rng.gauss(0, 0.002))
        return level

    def _fresh(self, c: Ctx, name: str, make: Callable[[], Any], repeat_share: float) -> Any:
        """A new value, or (``repeat_share`` of the time) one of the last hundred: duplicates, as an
        at-least-once producer makes them, for a dedup to remove."""
        recent = self.recent.setdefault(name, [])
        if recent and c.rng.random() < repeat_share:
            return c.rng.choice(recent)
        value = make()
        recent.append(value)
        if len(recent) > 100:
            del recent[0]
        return value

    # -- events -------------------------------------------------------------------------------------------
    def event(self, clock_ms: int) -> tuple[dict[str, Any] | None, dict[str, Any], int, bool]:
        rng = self.rng
        if self.start_ms is None:
            self.start_ms = clock_ms
        # Late only once the watermark is past the windows a late event falls in (not in the first ones).
        late = (self.late_share > 0 and clock_ms - self.start_ms > self.late_by_ms
                and rng.random() < self.late_share)
        if late:  # behind the watermark by more than the longest window: every window has closed on it
            event_ms = clock_ms - self.watermark_ms - self.late_by_ms - rng.randint(0, self.late_by_ms)
        elif self.watermark_ms:
            event_ms = clock_ms - rng.randint(0, self.watermark_ms // 2)
        else:
            event_ms = clock_ms
        c = Ctx(rng, event_ms, False)
        row: dict[str, Any] = {}
        regime_of: Any = None
        for name, gen in self.fields:
            c.row = row
            row[name] = gen(c)
            if name in self.regime_fields and all(f in row for f in self.regime_fields):
                regime_of = tuple(row[f] for f in self.regime_fields)
                c.anomalous = self._regime(regime_of)
        if not self.regime_fields:
            c.anomalous = self._regime(None)
        self._apply_regime(row, c)
        key = {k: row[k] for k in self.key_fields} if self.key_fields else None
        return key, row, event_ms, late

    def _regime(self, key: Any) -> bool:
        state = self.regimes.get(key)
        if state is None:
            state = self.rng.random() < ANOMALY_START
        elif self.rng.random() < REGIME_FLIP:
            state = not state
        self.regimes[key] = state
        return state

    def _apply_regime(self, row: dict[str, Any], c: Ctx) -> None:
        """Redraw the threshold fields now that the key's regime is known, and set field-to-field comparisons:
        in the anomalous regime they hold, otherwise mostly not."""
        if c.anomalous:
            for name, gen in self.fields:
                if (self.src.name, name) in self.u.thresholds and name not in self.regime_fields:
                    row[name] = gen(c)
        for (source, a), rules in self.u.pairs.items():
            if source != self.src.name or a not in row:
                continue
            for op, b in rules:
                if not isinstance(row.get(b), (int, float)) or not isinstance(row[a], (int, float)):
                    continue
                want = c.anomalous or c.rng.random() < CROSS_SHARE
                target = row[b]
                if op in (">", ">="):
                    v = target + abs(target) * 0.05 + 1 if want else target - abs(target) * 0.05 - 1
                elif op in ("<", "<="):
                    v = target - abs(target) * 0.05 - 1 if want else target + abs(target) * 0.05 + 1
                else:
                    continue
                row[a] = int(round(v)) if isinstance(row[a], int) and not isinstance(row[a], bool) else v


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

    def __init__(self, spec: ir.Spec, seed: int, late_share: float, late_by_ms: int):
        self.u = usage(spec)
        self.rng = random.Random(seed)
        self.pools: dict[int, Pool] = {}
        levels: dict[Any, float] = {}
        self.sources = {
            s.name: SourceGen(s, self.u, self.pools, random.Random(self.rng.getrandbits(64)), late_share, late_by_ms,
                              levels)
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
        gen.late_share, saved = 0.0, gen.late_share
        try:
            for values in itertools.product(*(gen._pool_for(k, _field_type(gen.src, k), name).values
                                              for k in keys)):
                key, row, _, _ = gen.event(clock_ms)
                row.update(zip(keys, values))
                if gen.src.event_time:
                    row[gen.src.event_time] = _iso(clock_ms)
                yield {k: row[k] for k in keys}, row
        finally:
            gen.late_share = saved


def _field_type(src: ir.Source, name: str) -> ir.Type:
    return next(f.type for f in src.fields if f.name == name)


def encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

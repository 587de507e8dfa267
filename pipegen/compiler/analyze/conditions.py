"""What a condition says for certain, read as Flink's planner (Calcite) simplifies it before planning: the
columns it fixes to one value, and whether it can hold at all. Only the top-level `and` of a condition is read,
and only comparisons of a column with literals; anything else may hold."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from .. import ir
from .. import types as T
from .model import calls

Value = Decimal | str | bool
ColumnType = Callable[[tuple[str, ...]], "T.SqlType | None"]
FLIP = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


INVERSE = {"=": "!=", "!=": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}


def conjuncts(e: ir.Expr) -> list[ir.Expr]:
    e = _simplified(e)
    if isinstance(e, ir.Binary) and e.op == "and":
        return conjuncts(e.left) + conjuncts(e.right)
    return [e]


def _simplified(e: ir.Expr) -> ir.Expr:
    """``c = true`` as ``c``; ``c = false``, ``c != true`` and ``not c`` as c turned round where that is one test
    (``not (x is null)`` is ``x is not null``, ``not (x > 3)`` is ``x <= 3``; the same under SQL's nulls), as
    Calcite simplifies them."""
    if isinstance(e, ir.Binary) and e.op in ("=", "!=") and isinstance(e.right, ir.BoolLit) != isinstance(
            e.left, ir.BoolLit):
        test, value = (e.left, e.right.value) if isinstance(e.right, ir.BoolLit) else (e.right, e.left.value)
        return _simplified(test) if value == (e.op == "=") else _negated(test)
    if isinstance(e, ir.Not):
        return _negated(e.operand)
    if isinstance(e, ir.Case):
        return _case_test(e)
    return e


def _case_test(e: ir.Case) -> ir.Expr:
    """A case of null tests (never null themselves) with true/false outcomes, as the one test it is:
    `case when x is not null then false else true end` is `x is null` (Calcite folds it so)."""
    if not isinstance(e.otherwise, ir.BoolLit) or not all(
            isinstance(w.condition, ir.IsNull) and isinstance(w.result, ir.BoolLit) for w in e.whens):
        return e
    out: ir.Expr = e.otherwise
    for w in reversed(e.whens):
        if isinstance(out, ir.BoolLit) and out.value == w.result.value:
            continue  # both ways the same
        if isinstance(out, ir.BoolLit):
            out = w.condition if w.result.value else _negated(w.condition)
        else:
            return e  # a test left after another: not one test
    return out


def _negated(e: ir.Expr) -> ir.Expr:
    e = _simplified(e)
    if isinstance(e, ir.Not):
        return _simplified(e.operand)
    if isinstance(e, ir.IsNull):
        return ir.IsNull(operand=e.operand, negated=not e.negated, span=e.span)
    if isinstance(e, ir.Binary) and e.op in INVERSE:
        return ir.Binary(op=INVERSE[e.op], left=e.left, right=e.right, span=e.span)
    if isinstance(e, ir.BoolLit):
        return ir.BoolLit(value=not e.value, span=e.span)
    return ir.Not(operand=e, span=e.span)


def literal(e: ir.Expr) -> Value | None:
    """The value of a number, string or boolean literal (a negated number too), else None."""
    if isinstance(e, ir.NumberLit):
        return Decimal(e.text)
    if isinstance(e, ir.Neg) and isinstance(e.operand, ir.NumberLit):
        return -Decimal(e.operand.text)
    if isinstance(e, ir.StringLit | ir.BoolLit):
        return e.value
    return None


def _comparison(e: ir.Expr) -> tuple[ir.Column, str, Value] | None:
    """``column op literal`` (or ``literal op column``, turned round)."""
    if not isinstance(e, ir.Binary) or e.op not in FLIP:
        return None
    if isinstance(e.left, ir.Column) and literal(e.right) is not None:
        return e.left, e.op, literal(e.right)  # type: ignore[return-value]
    if isinstance(e.right, ir.Column) and literal(e.left) is not None:
        return e.right, FLIP[e.op], literal(e.left)  # type: ignore[return-value]
    return None


def pinned(cond: ir.Expr | None) -> set[tuple[str, ...]]:
    """The columns ``cond`` fixes to one value: ``k = 3``, ``k in ("a")``, ``k is null``, ``k between 1 and 1``."""
    out: set[tuple[str, ...]] = set()
    for c in conjuncts(cond) if cond is not None else []:
        cmp = _comparison(c)
        if cmp is not None and cmp[1] == "=":
            out.add(cmp[0].path)
        elif isinstance(c, ir.InList) and not c.negated and isinstance(c.operand, ir.Column) and len(
                {literal(i) for i in c.items} - {None}) == 1 and all(literal(i) is not None for i in c.items):
            out.add(c.operand.path)
        elif isinstance(c, ir.IsNull) and not c.negated and isinstance(c.operand, ir.Column):
            out.add(c.operand.path)
        elif (isinstance(c, ir.Between) and not c.negated and isinstance(c.operand, ir.Column)
              and literal(c.low) is not None and _same(literal(c.low), literal(c.high))):
            out.add(c.operand.path)
    return out


def _same(a: Value | None, b: Value | None) -> bool:
    return a is not None and type(a) is type(b) and a == b


@dataclass
class _Range:
    """The values a column may still take: between ``low`` and ``high`` (each with whether it is included), one
    of ``points`` when given, none of ``excluded``."""

    low: tuple[Value, bool] | None = None
    high: tuple[Value, bool] | None = None
    points: set[Value] | None = None
    excluded: set[Value] = field(default_factory=set)
    kind: type | None = None

    def add(self, op: str, v: Value) -> bool:
        """Narrow by ``op v``; False when ``v`` cannot be compared with what is known (another kind of value)."""
        kind = Decimal if isinstance(v, Decimal) else type(v)
        if self.kind not in (None, kind):
            return False
        self.kind = kind
        if op == "=":
            self.points = {v} if self.points is None else self.points & {v}
        elif op == "!=":
            self.excluded.add(v)
        elif op in (">", ">="):
            if self.low is None or v > self.low[0] or (v == self.low[0] and op == ">"):
                self.low = (v, op == ">=")
        elif self.high is None or v < self.high[0] or (v == self.high[0] and op == "<"):
            self.high = (v, op == "<=")
        return True

    def empty(self) -> bool:
        if self.low is not None and self.high is not None:
            (lo, lo_in), (hi, hi_in) = self.low, self.high
            if lo > hi or (lo == hi and not (lo_in and hi_in)):  # type: ignore[operator]
                return True
        if self.points is None:
            return False
        return not [p for p in self.points - self.excluded if self._within(p)]

    def _within(self, v: Value) -> bool:
        if self.low is not None and (v < self.low[0] or (v == self.low[0] and not self.low[1])):  # type: ignore[operator]
            return False
        return not (self.high is not None and (v > self.high[0] or (v == self.high[0] and not self.high[1])))  # type: ignore[operator]


def _never_alone(c: ir.Expr, column_type: ColumnType) -> bool:
    """A conjunct that is false (or unknown, which a condition takes as false) whatever the row."""
    if isinstance(c, ir.NullLit) or (isinstance(c, ir.BoolLit) and not c.value):
        return True
    if isinstance(c, ir.Binary) and c.op in FLIP:
        if isinstance(c.left, ir.NullLit) or isinstance(c.right, ir.NullLit):
            return True  # a comparison with null is unknown
        if c.op in ("<", ">", "!=") and c.left == c.right and not calls([c.left]):
            return True  # `x < x` is false or unknown (a value without a call: nothing random in it)
    if isinstance(c, ir.IsNull) and isinstance(c.operand, ir.Column) and not c.negated:
        t = column_type(c.operand.path)
        return t is not None and not t.nullable
    if isinstance(c, ir.InList):  # `x not in (..., null)` is false or null, whatever x is
        nulls = [isinstance(i, ir.NullLit) for i in c.items]
        return any(nulls) if c.negated else all(nulls)
    if isinstance(c, ir.Case):  # every outcome false or null (a missing else is null)
        outcomes = [w.result for w in c.whens] + ([c.otherwise] if c.otherwise is not None else [])
        return all(isinstance(o, ir.NullLit) or (isinstance(o, ir.BoolLit) and not o.value) for o in outcomes)
    return False


def _narrowings(c: ir.Expr) -> list[tuple[ir.Column, str, Value]]:
    cmp = _comparison(c)
    if cmp is not None:
        return [cmp]
    if isinstance(c, ir.Between) and not c.negated and isinstance(c.operand, ir.Column):
        low, high = literal(c.low), literal(c.high)
        if low is not None and high is not None:
            return [(c.operand, ">=", low), (c.operand, "<=", high)]
    return []


def never_holds(cond: ir.Expr, column_type: ColumnType) -> list[ir.Expr]:
    """The conjuncts of ``cond`` that together can never hold (one that is false by itself, or those that ask
    one column for values no value has), or [] when it may hold. ``column_type`` gives a column's type (for
    `is null` of a column that is never null)."""
    parts = conjuncts(cond)
    for c in parts:
        if _never_alone(c, column_type):
            return [c]
    ranges: dict[tuple[str, ...], _Range] = {}
    used: dict[tuple[str, ...], list[ir.Expr]] = {}
    spoiled: set[tuple[str, ...]] = set()
    for c in parts:
        points = _points(c)
        for col, op, v in _narrowings(c) if points is None else []:
            if not ranges.setdefault(col.path, _Range()).add(op, v):
                spoiled.add(col.path)
            if c not in used.setdefault(col.path, []):
                used[col.path].append(c)
        if points is not None:
            col, values = points
            r = ranges.setdefault(col.path, _Range())
            kinds = {Decimal if isinstance(v, Decimal) else type(v) for v in values}
            if len(kinds) != 1 or r.kind not in (None, *kinds):
                spoiled.add(col.path)
                continue
            r.kind = kinds.pop()
            r.points = set(values) if r.points is None else r.points & set(values)
            used.setdefault(col.path, []).append(c)
    for path, r in ranges.items():
        if path not in spoiled and r.empty():
            return used[path]
    return []


def _points(c: ir.Expr) -> tuple[ir.Column, list[Value]] | None:
    """``column in (literals...)``: the column and the values (the null items, which match nothing, left out)."""
    if not (isinstance(c, ir.InList) and not c.negated and isinstance(c.operand, ir.Column)):
        return None
    values = [literal(i) for i in c.items if not isinstance(i, ir.NullLit)]
    if any(v is None for v in values):
        return None
    return c.operand, values  # type: ignore[return-value]


def describe(parts: list[ir.Expr]) -> str:
    from ..printer import expr

    if len(parts) == 1:
        return f"`{expr(parts[0])}` is never true"
    return " and ".join(f"`{expr(p)}`" for p in parts) + " are never true together"



def key_lost(cond: ir.Expr | None, keys: tuple[str, ...], fixed: frozenset[str], column_type: ColumnType) -> bool:
    """Whether Flink 2.3 plans a stage filtered by ``cond`` (keyed by ``keys``, the columns of ``fixed`` folded to
    one value already) with no upsert key at all: every key column folded (``where k = "a"`` of a ``k`` never null,
    ``k in ("a")``, ``k between 1 and 1``, ``k is null``; an equality of a nullable column is not folded), or a
    condition that never holds (``m = null``, ``m != null``: Flink plans no rows, "upsert key: none")."""
    if cond is not None and never_holds(cond, column_type):
        return True
    if not keys:
        return False
    folded = set(fixed)
    for path in pinned(cond):
        t = column_type(path)
        if len(path) == 1 and t is not None and not t.nullable:
            folded.add(path[0])
    return all(k in folded for k in keys)

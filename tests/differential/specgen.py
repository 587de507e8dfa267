"""Random well-typed pipeline specs, for the differential test against Flink's planner.

``generate(seed)`` builds one spec as IR (``pipegen.compiler.ir``) from a seeded ``random.Random``: one or two
sources, a chain of two to four stages (with the odd branch), one or more sinks. Every statement kind, window,
over frame, join kind, function and type of the language is drawn, with weights, so that a thousand seeds cover
them all (``features`` says what a spec holds; the test asserts the union).

How it stays well typed:

* the *shape* of each relation a stage reads (its columns and their types, event time, whether it is updating,
  its key, whether it is a windowed result) is what PipeGen's own analysis says about the statements generated
  so far (``analyze`` of the partial spec), so the generator never guesses how a stage changes a stream;
* expressions are built *by type* (``Exprs``): each node is chosen for the kind of value wanted (condition,
  number, whole number, string, timestamp, date...) from the columns in scope and the functions of
  ``pipegen.compiler.types.FUNCTIONS`` that yield it, with result types from ``types.call_result`` and
  ``types.numeric_result``; aggregates appear only in measures (outside them only grouped columns), navigation
  only in patterns;
* the time and changelog rules are followed: windows, rolling windows, dedup, patterns and interval joins read an
  append-only stream with event time; a temporal join reads a versioned table (an upsert source with event time,
  or a ``dedup ... keep last``) and compares its whole key; an updating stream goes to an upsert sink keyed like
  it.

Nothing is filtered through the checks: a spec the generator gets wrong is rejected by PipeGen and counted.
Seeds are plain integers, so a hypothesis strategy is ``st.integers(0, 2**32).map(generate)`` (``specs()``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from pipegen.compiler import ir
from pipegen.compiler import types as T
from pipegen.compiler.analyze import Analysis, Relation, analyze
from pipegen.compiler.functions import AGGREGATES, FUNCTIONS
from pipegen.compiler.printer import print_spec

# The 36 functions the generator was written for (the records hold more since; it does not yet make those).
ORIGINAL_FUNCTIONS = (
    "count", "sum", "avg", "min", "max", "stddev", "variance", "first_value", "last_value", "listagg", "abs",
    "round", "floor", "ceil", "sqrt", "power", "ln", "exp", "greatest", "least", "coalesce", "upper", "lower",
    "trim", "length", "concat", "substring", "replace", "date_format", "hour", "minute", "seconds_between",
    "minutes_between", "prev", "first", "last")


def call_result(name: str, args: list[T.SqlType], star: bool) -> tuple[T.SqlType | None, str | None]:
    """The result type of a call, from the function's record (the old ``types.call_result``)."""
    t = FUNCTIONS[name].result([] if star else args)
    return (None, t) if isinstance(t, str) else (t, None)

__all__ = ["REQUIRED_FEATURES", "Generated", "degenerate", "features", "generate", "generate_text", "shrink", "specs"]

# ------------------------------------------------------------------ small helpers

KINDS = ("bool", "int", "num", "str", "ts", "date", "time", "bytes")
SCALAR_KINDS = ("bool", "int", "num", "str", "ts", "date")  # what an expression is usually asked for


def kind_of(t: T.SqlType) -> str | None:
    return {
        "BOOLEAN": "bool", "INT": "int", "BIGINT": "int", "FLOAT": "num", "DOUBLE": "num", "DECIMAL": "num",
        "STRING": "str", "TIMESTAMP": "ts", "DATE": "date", "TIME": "time", "BYTES": "bytes",
        "ROW": "complex", "ARRAY": "complex", "MAP": "complex",
    }.get(t.base)


def fits(t: T.SqlType, want: str) -> bool:
    k = kind_of(t)
    return k == want or (want == "num" and k == "int")


def col(*path: str) -> ir.Column:
    return ir.Column(path=tuple(path))


def num(text: str | int) -> ir.NumberLit:
    return ir.NumberLit(text=str(text))


def dur(value: int, unit: str) -> ir.Duration:
    return ir.Duration(value=value, unit=unit)


@dataclass(frozen=True)
class Ref:
    """A column an expression may name: its path as written and its type."""

    path: tuple[str, ...]
    type: T.SqlType

    @property
    def kind(self) -> str | None:
        return kind_of(self.type)


def refs_of(rel: Relation, prefix: tuple[str, ...] = (), nested: bool = True) -> list[Ref]:
    """The columns of ``rel`` (and the fields of its records, two levels down), written with ``prefix``."""
    out: list[Ref] = []

    def walk(path: tuple[str, ...], t: T.SqlType, depth: int) -> None:
        out.append(Ref(path, t))
        if nested and t.base == "ROW" and depth < 2:
            for name, sub in t.fields:
                walk((*path, name), sub.with_null(sub.nullable or t.nullable), depth + 1)

    for c in rel.columns:
        walk((*prefix, c.name), c.type, 0)
    return out


LIT_STRINGS = ["a", "x", "USD", "EUR", "web", "it's", "100%", "", "ok", "north", "A_1", "\\", "é"]
LIKE_PATTERNS = ["a%", "%x%", "_b%", "%", "USD", "w_b", "100\\%"]
DATE_FORMATS = ["yyyy-MM-dd", "HH:mm", "yyyy-MM-dd HH:mm:ss", "EEE"]
UNITS = ["ms", "s", "min", "h", "d"]


# ------------------------------------------------------------------ expressions


class Exprs:
    """Typed expression builder over a scope.

    ``refs``: the columns allowed outside aggregates; ``agg_refs``: the columns allowed inside an aggregate
    (None: no aggregates here); ``nav``: pattern navigation (prev, first, last) is allowed;
    ``session``: first_value and last_value are not (Flink cannot merge them across sessions).
    """

    def __init__(self, rng: random.Random, refs: list[Ref], agg_refs: list[Ref] | None = None, nav: bool = False,
                 session: bool = False, nav_refs: list[Ref] | None = None) -> None:
        self.r = rng
        self.refs = refs
        self.agg_refs = agg_refs
        self.nav = nav
        self.session = session
        self.nav_refs = nav_refs if nav_refs is not None else refs

    # -------------------------------------------------- helpers
    def _of(self, want: str, refs: list[Ref] | None = None) -> list[Ref]:
        return [f for f in (self.refs if refs is None else refs) if fits(f.type, want)]

    def has(self, want: str) -> bool:
        return want in ("bool", "int", "num", "str", "ts", "date") or bool(self._of(want))

    def pick_kind(self, kinds: tuple[str, ...] = SCALAR_KINDS) -> str:
        weights = {"bool": 2, "int": 3, "num": 4, "str": 4, "ts": 2, "date": 1, "time": 1, "bytes": 1}
        ok = [k for k in kinds if self.has(k)]
        return self.r.choices(ok, [weights[k] for k in ok])[0]

    def literal(self, want: str) -> tuple[ir.Expr, T.SqlType]:
        r = self.r
        if want == "bool":
            return ir.BoolLit(value=r.random() < 0.5), T.BOOLEAN.with_null(False)
        if want == "int":
            v = r.choice([0, 1, 2, 3, 5, 10, 42, 100, 1000, 86400])
            return num(v), T.INT.with_null(False)
        if want == "num":
            if r.random() < 0.5:
                return self.literal("int")
            text = r.choice(["0.5", "1.5", "2.25", "10.0", "99.99", "0.001", "1000.5"])
            whole, frac = text.split(".")
            return num(text), T.SqlType("DECIMAL", False, precision=len(whole) + len(frac), scale=len(frac))
        if want == "str":
            return ir.StringLit(value=r.choice(LIT_STRINGS)), T.STRING.with_null(False)
        if want == "ts":
            p = r.choice([3, 3, 6])
            text = r.choice(["2024-01-01 00:00:00", "2025-06-30 12:34:56.789"])
            return ir.Cast(operand=ir.StringLit(value=text), to=ir.TimestampType(precision=p)), T.SqlType(
                "TIMESTAMP", False, precision=p)
        if want == "date":
            return ir.Cast(operand=ir.StringLit(value="2024-02-29"), to=ir.PrimitiveType(name="date")), T.SqlType(
                "DATE", False)
        if want == "time":
            return ir.Cast(operand=ir.StringLit(value="12:30:00"), to=ir.PrimitiveType(name="time")), T.SqlType(
                "TIME", False, precision=3)
        raise ValueError(want)

    def column(self, want: str) -> tuple[ir.Expr, T.SqlType] | None:
        cands = self._of(want)
        if not cands:
            return None
        f = self.r.choice(cands)
        return col(*f.path), f.type

    def leaf(self, want: str) -> tuple[ir.Expr, T.SqlType]:
        if self.r.random() < 0.75 or want == "bytes":
            got = self.column(want)
            if got is not None:
                return got
        if want == "bytes":
            raise LookupError("no bytes column")
        return self.literal(want)

    # -------------------------------------------------- by kind
    def gen(self, want: str, depth: int = 2) -> tuple[ir.Expr, T.SqlType]:
        if want in ("time", "bytes"):
            return self.leaf(want) if self._of(want) or want == "time" else self.literal("str")
        if depth <= 0 or self.r.random() < 0.3:
            return self.leaf(want)
        return getattr(self, f"_{want}")(depth - 1)

    def cond(self, depth: int = 2) -> tuple[ir.Expr, T.SqlType]:
        """A condition that names a column (or aggregates): no one filters on `"a" = "b"`."""
        return self.arg("bool", depth)

    def arg(self, want: str, depth: int) -> tuple[ir.Expr, T.SqlType]:
        """An expression over the columns, not a constant (computed columns, aggregates' arguments, conditions)."""
        for _ in range(10):
            e, t = self.gen(want, depth)
            if has_column(e):
                return e, t
        got = self.column(want)
        if got is not None:
            return got
        if want == "bool" and self.refs:
            return ir.IsNull(operand=col(*self.r.choice(self.refs).path), negated=True), T.BOOLEAN
        return e, t

    def col_kind(self, kinds: tuple[str, ...] = SCALAR_KINDS) -> str:
        """A kind of value there is a column of (a condition can always be made of a column)."""
        ok = tuple(k for k in kinds if self._of(k) or (k == "bool" and self.refs))
        return self.pick_kind(ok) if ok else self.pick_kind(kinds)

    def _bool(self, d: int) -> tuple[ir.Expr, T.SqlType]:  # noqa: C901 - one table of random choices; splitting it hides which choices go together
        r = self.r
        B = T.BOOLEAN
        choice = r.choices(["cmp", "and", "or", "not", "isnull", "between", "in", "like", "case", "col", "cmpnull"],
                           [8, 2, 2, 1, 2, 2, 2, 2, 1, 1, 0.2])[0]
        if choice == "cmp":
            k = self.col_kind(("int", "num", "str", "ts", "date", "time", "bool"))
            op = r.choice(["=", "!=", "<", "<=", ">", ">="] if k != "bool" else ["=", "!="])
            a, _ = self.arg(k, d)
            b, _ = self.gen(k, d)
            for _ in range(4):
                if b != a:
                    break
                b, _ = self.gen(k, d)
            return ir.Binary(op=op, left=a, right=b), B
        if choice in ("and", "or"):
            a, _ = self.gen("bool", d)
            b, _ = self.gen("bool", d)
            for _ in range(4):
                if b != a:
                    break
                b, _ = self.gen("bool", d)
            return ir.Binary(op=choice, left=a, right=b), B
        if choice == "not":
            a, _ = self.gen("bool", d)
            return ir.Not(operand=a), B
        if choice == "isnull":
            pool = self.refs
            if pool and r.random() < 0.7:
                f = r.choice(pool)
                a: ir.Expr = col(*f.path)
            else:
                a, _ = self.gen(self.pick_kind(), d)
            return ir.IsNull(operand=a, negated=r.random() < 0.5), B
        if choice == "between":
            k = self.col_kind(("int", "num", "str", "ts", "date"))
            a, _ = self.arg(k, d)
            lo, _ = self.literal(k) if k in ("int", "num", "str") and self.r.random() < 0.6 else self.gen(k, 0)
            hi, _ = self.literal(k) if k in ("int", "num", "str") and self.r.random() < 0.6 else self.gen(k, 0)
            if a == lo:
                lo, _ = self.literal(k)
            if a == hi:
                hi, _ = self.literal(k)
            return ir.Between(operand=a, low=lo, high=hi, negated=r.random() < 0.3), B
        if choice == "in":
            k = self.col_kind(("int", "num", "str"))
            a, _ = self.arg(k, d)
            items = tuple(self.literal(k)[0] for _ in range(r.randint(1, 4)))
            if r.random() < 0.1:
                items += (ir.NullLit(),)
            return ir.InList(operand=a, items=items, negated=r.random() < 0.3), B
        if choice == "like":
            a, _ = self.arg("str", d)
            return ir.Like(operand=a, pattern=r.choice(LIKE_PATTERNS), negated=r.random() < 0.3), B
        if choice == "case":
            return self._case("bool", d)
        if choice == "cmpnull":
            a, _ = self.gen(self.pick_kind(("int", "str")), d)
            return ir.Binary(op=r.choice(["=", "!="]), left=a, right=ir.NullLit()), B
        return self.leaf("bool")

    def _case(self, want: str, d: int) -> tuple[ir.Expr, T.SqlType]:
        r = self.r
        whens, types = [], []
        for _ in range(r.randint(1, 3)):
            c, _ = self.cond(d)
            v, t = self.gen(want, d)
            whens.append(ir.When(condition=c, result=v))
            types.append(t)
        otherwise = None
        roll = r.random()
        if roll < 0.7:
            otherwise, t = self.gen(want, d)
            types.append(t)
        elif roll < 0.8:
            otherwise = ir.NullLit()
            types.append(T.NULL)
        else:
            types.append(T.NULL)
        u = T.unify(types) or types[0]
        return ir.Case(whens=tuple(whens), otherwise=otherwise), u

    def _numeric(self, want: str, d: int) -> tuple[ir.Expr, T.SqlType]:
        r = self.r
        integral = want == "int"
        options = ["arith", "neg", "abs", "round", "floor", "ceil", "case", "coalesce", "greatest", "least", "length",
                   "hour", "minute", "seconds_between", "minutes_between", "cast", "mod"]
        weights = [8, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1]
        if not integral:
            options += ["sqrt", "power", "ln", "exp", "div"]
            weights += [1, 1, 1, 1, 2]
        choice = r.choices(options, weights)[0]
        if choice in ("arith", "div"):
            op = r.choice(["+", "-", "*"]) if choice == "arith" else "/"
            a, ta = self.gen(want, d)
            b, tb = self.gen(want, d)
            return ir.Binary(op=op, left=a, right=b), T.numeric_result(ta, tb)
        if choice == "mod":
            a, ta = self.gen("int", d)
            b, tb = self.gen("int", d)
            return ir.Binary(op="%", left=a, right=b), T.numeric_result(ta, tb)
        if choice == "neg":
            a, ta = self.gen(want, d)
            if r.random() < 0.2:
                a = ir.Neg(operand=a)  # -(-x)
            return ir.Neg(operand=a), ta
        if choice in ("abs", "floor", "ceil"):
            a, ta = self.gen(want, d)
            return ir.Call(name=choice, args=(a,)), ta.with_null(True)
        if choice == "round":
            a, ta = self.gen(want, d)
            args = (a,) if r.random() < 0.5 else (a, num(r.choice([0, 1, 2])))
            return ir.Call(name="round", args=args), ta.with_null(True)
        if choice in ("sqrt", "ln", "exp"):
            a, _ = self.gen("num", d)
            return ir.Call(name=choice, args=(a,)), T.DOUBLE
        if choice == "power":
            a, _ = self.gen("num", d)
            b, _ = self.gen("num", 0)
            return ir.Call(name="power", args=(a, b)), T.DOUBLE
        if choice == "case":
            return self._case(want, d)
        if choice in ("coalesce", "greatest", "least"):
            return self._variadic(choice, want, d)
        if choice == "length":
            a, _ = self.gen("str", d)
            return ir.Call(name="length", args=(a,)), T.INT
        if choice in ("hour", "minute"):
            a, _ = self.gen("ts", d)
            return ir.Call(name=choice, args=(a,)), T.BIGINT
        if choice in ("seconds_between", "minutes_between"):
            a, _ = self.gen("ts", d)
            b, _ = self.gen("ts", d)
            return ir.Call(name=choice, args=(a, b)), T.INT
        # cast
        src = r.choice(["int", "num", "str"] if integral else ["int", "num", "str", "bool"])
        a, ta = self.gen(src, d)
        to = self.numeric_type(integral)
        return ir.Cast(operand=a, to=to), T.from_spec(to, ta.nullable)

    def numeric_type(self, integral: bool) -> ir.Type:
        r = self.r
        if integral:
            return ir.PrimitiveType(name=r.choice(["int", "long"]))
        roll = r.random()
        if roll < 0.25:
            p = r.randint(1, 38)
            return ir.DecimalType(precision=p, scale=r.randint(0, p))
        return ir.PrimitiveType(name=r.choice(["int", "long", "float", "double", "double"]))

    def _variadic(self, name: str, want: str, d: int) -> tuple[ir.Expr, T.SqlType]:
        args, types = [], []
        for i in range(self.r.randint(2, 4)):
            if name == "coalesce" and i > 0 and self.r.random() < 0.15:
                args.append(ir.NullLit())
                types.append(T.NULL)
                continue
            # coalesce(<constant>, ...) is that constant: the first argument names a column
            a, t = self.arg(want, d) if name == "coalesce" and i == 0 else self.gen(want, d)
            args.append(a)
            types.append(t)
        t, _why = call_result(name, types, False)
        return ir.Call(name=name, args=tuple(args)), t or types[0]

    def _int(self, d: int) -> tuple[ir.Expr, T.SqlType]:
        return self._numeric("int", d)

    def _num(self, d: int) -> tuple[ir.Expr, T.SqlType]:
        return self._numeric("num", d)

    def _str(self, d: int) -> tuple[ir.Expr, T.SqlType]:
        r = self.r
        S = T.STRING
        choice = r.choices(["upper", "lower", "trim", "concat", "substring", "replace", "date_format", "coalesce",
                            "case", "cast"], [1, 1, 1, 2, 1, 1, 1, 1, 1, 2])[0]
        if choice in ("upper", "lower", "trim"):
            a, _ = self.gen("str", d)
            return ir.Call(name=choice, args=(a,)), S
        if choice == "concat":
            args = tuple(self.gen("str", d)[0] for _ in range(r.randint(2, 4)))
            return ir.Call(name="concat", args=args), S
        if choice == "substring":
            a, _ = self.gen("str", d)
            args = (a, num(r.randint(1, 4))) + ((num(r.randint(1, 5)),) if r.random() < 0.6 else ())
            return ir.Call(name="substring", args=args), S
        if choice == "replace":
            a, _ = self.gen("str", d)
            return ir.Call(name="replace", args=(a, self.literal("str")[0], self.gen("str", 0)[0])), S
        if choice == "date_format":
            a, _ = self.gen("ts", d)
            return ir.Call(name="date_format", args=(a, ir.StringLit(value=r.choice(DATE_FORMATS)))), S
        if choice == "coalesce":
            return self._variadic("coalesce", "str", d)
        if choice == "case":
            return self._case("str", d)
        k = self.pick_kind(("int", "num", "bool", "ts", "date", "time", "str"))
        a, ta = self.gen(k, d)
        return ir.Cast(operand=a, to=ir.PrimitiveType(name="string")), S.with_null(ta.nullable)

    def _ts(self, d: int) -> tuple[ir.Expr, T.SqlType]:
        r = self.r
        choice = r.choices(["plus", "minus", "iplus", "coalesce", "greatest", "case", "cast"], [3, 2, 1, 1, 1, 1, 1])[0]
        if choice in ("plus", "minus", "iplus"):
            a, ta = self.gen("ts", d)
            i = ir.IntervalLit(duration=self.duration(zero=False))
            if choice == "iplus":
                return ir.Binary(op="+", left=i, right=a), ta
            return ir.Binary(op="+" if choice == "plus" else "-", left=a, right=i), ta
        if choice in ("coalesce", "greatest"):
            return self._variadic(r.choice(["coalesce", "greatest", "least"]), "ts", d)
        if choice == "case":
            return self._case("ts", d)
        a, ta = self.gen("str", 0)
        p = r.choice([3, 6])
        return ir.Cast(operand=a, to=ir.TimestampType(precision=p)), T.SqlType("TIMESTAMP", True, precision=p)

    def _date(self, d: int) -> tuple[ir.Expr, T.SqlType]:
        r = self.r
        choice = r.choices(["cast_ts", "plus", "coalesce", "case"], [3, 1, 1, 1])[0]
        if choice == "cast_ts":
            a, ta = self.gen("ts", d)
            return ir.Cast(operand=a, to=ir.PrimitiveType(name="date")), T.SqlType("DATE", ta.nullable)
        if choice == "plus":
            a, ta = self.gen("date", d)
            return ir.Binary(op=r.choice(["+", "-"]), left=a,
                             right=ir.IntervalLit(duration=dur(r.randint(1, 30), "d"))), ta
        if choice == "coalesce":
            return self._variadic("coalesce", "date", d)
        return self._case("date", d)

    def duration(self, zero: bool = True, small: bool = False) -> ir.Duration:
        r = self.r
        unit = r.choices(UNITS, [1, 5, 4, 2, 1] if not small else [1, 5, 3, 1, 0])[0]
        value = r.choice([1, 1, 2, 5, 10, 15, 30, 90] + ([0] if zero else []))
        return dur(value, unit)

    # -------------------------------------------------- aggregates
    def agg_call(self, want: str) -> tuple[ir.Expr, T.SqlType]:
        """An aggregate yielding ``want`` (int, num, str, ts), over expressions of ``agg_refs``."""
        assert self.agg_refs is not None
        r = self.r
        inner = Exprs(r, self.agg_refs, nav=self.nav, session=self.session, nav_refs=self.nav_refs)
        if not inner._of(want):
            want = "int"  # nothing of that kind to aggregate: count
        depth = r.choice([0, 0, 1, 2])
        no_merge = self.session
        if want == "int":
            counts = not inner._of("int")
            choice = r.choices(["count*", "count", "distinct", "sum", "minmax"], [3, 2, 2, 0 if counts else 1,
                                                                                  0 if counts else 1])[0]
            if choice == "count*":
                return ir.Call(name="count", star=True), T.BIGINT.with_null(False)
            if choice in ("count", "distinct"):
                k = inner.col_kind(("int", "num", "str", "ts", "bool", "date"))
                a, _ = inner.arg(k, depth)
                return ir.Call(name="count", args=(a,), distinct=choice == "distinct"), T.BIGINT.with_null(False)
            a, ta = inner.arg("int", depth)
            name = "sum" if choice == "sum" else r.choice(["min", "max"])
            return ir.Call(name=name, args=(a,)), ta.with_null(True)
        if want == "num":
            names = ["sum", "avg", "min", "max", "stddev", "variance"] + ([] if no_merge else ["first_value",
                                                                                           "last_value"])
            name = r.choice(names)
            a, ta = inner.arg(r.choice(["num", "int"]) if inner._of("int") else "num", depth)
            if name == "sum" and r.random() < 0.2:
                return ir.Call(name="sum", args=(a,), distinct=True), call_result("sum", [ta], False)[0]
            t, _ = call_result(name, [ta], False)
            return ir.Call(name=name, args=(a,)), t or T.DOUBLE
        if want == "str":
            names = ["min", "max", "listagg", "listagg"] + ([] if no_merge else ["first_value", "last_value"])
            name = r.choice(names)
            a, ta = inner.arg("str", depth)
            if name == "listagg":
                args = (a,) if r.random() < 0.5 else (a, ir.StringLit(value=r.choice([",", " | ", ";"])))
                return ir.Call(name="listagg", args=args), T.STRING
            return ir.Call(name=name, args=(a,)), ta.with_null(True)
        if want == "ts":
            names = ["min", "max"] + ([] if no_merge else ["first_value", "last_value"])
            a, ta = inner.arg("ts", depth)
            return ir.Call(name=r.choice(names), args=(a,)), ta.with_null(True)
        raise ValueError(want)

    def measure(self, want: str | None = None) -> tuple[ir.Expr, T.SqlType]:
        """An expression with at least one aggregate in it."""
        r = self.r
        want = want or r.choices(["int", "num", "str", "ts", "bool"], [4, 5, 2, 2, 1])[0]
        if want in ("num", "str", "ts") and not any(fits(f.type, want) for f in self.agg_refs or []):
            want = "int"  # nothing of that kind to aggregate: count
        if want == "bool":
            a, _ = self.agg_call(r.choice(["int", "num"]))
            b, _ = self.literal("int")
            return ir.Binary(op=r.choice([">", ">=", "<", "="]), left=a, right=b), T.BOOLEAN
        roll = r.random()
        if want in ("int", "num") and roll < 0.25:
            a, ta = self.agg_call(want)
            if r.random() < 0.5 and self._of(want):
                b, tb = self.gen(want, 0)  # a grouped column or literal
            else:
                b, tb = self.agg_call(want) if r.random() < 0.5 else self.literal(want)
            op = r.choice(["+", "-", "*"] + (["/"] if want == "num" else []))
            return ir.Binary(op=op, left=a, right=b), T.numeric_result(ta, tb)
        if want == "num" and roll < 0.35:
            a, ta = self.agg_call(r.choice(["int", "num"]))
            return ir.Cast(operand=a, to=ir.PrimitiveType(name="double")), T.DOUBLE
        if roll < 0.42 and want in ("int", "num", "str"):
            a, ta = self.agg_call(want)
            b, tb = self.literal(want)
            return ir.Call(name="coalesce", args=(a, b)), T.unify([ta, tb]) or ta
        if roll < 0.47 and want == "str":
            c, _ = self.measure("bool")
            a, _ = self.literal("str")
            b, _ = self.agg_call("str")
            return ir.Case(whens=(ir.When(condition=c, result=a),), otherwise=b), T.STRING
        if roll < 0.52 and want == "int" and self.agg_refs and any(f.kind == "ts" for f in self.agg_refs) and any(
                f.path == ("window_start",) for f in self.refs):
            a, _ = self.agg_call("ts")
            return ir.Call(name="seconds_between", args=(col("window_start"), a)), T.INT
        return self.agg_call(want)

    # -------------------------------------------------- pattern navigation
    def nav_call(self, want: str, variables: list[str], in_define: bool) -> tuple[ir.Expr, T.SqlType]:
        """``prev(x)``, ``prev(x, n)``, ``first(v.x)``, ``last(v.x)``, ``v.x``, or an aggregate over ``v.x``."""
        r = self.r
        cands = [f for f in self.nav_refs if fits(f.type, want)]
        if not cands:
            return self.literal(want)
        f = r.choice(cands)
        v = r.choice(variables)
        qualified = col(v, *f.path)
        choice = r.choices(["prev", "first", "last", "plain", "agg"], [3 if in_define else 0.3, 2, 2, 2, 1])[0]
        if choice == "prev":
            target = col(*f.path) if r.random() < 0.6 else qualified
            args = (target,) if r.random() < 0.6 else (target, num(r.randint(1, 3)))
            return ir.Call(name="prev", args=args), f.type.with_null(True)
        if choice in ("first", "last"):
            return ir.Call(name=choice, args=(qualified,)), f.type.with_null(True)
        if choice == "agg" and want in ("int", "num"):
            name = r.choice(["count", "sum", "avg", "min", "max"])
            t = (T.BIGINT.with_null(False) if name == "count"
                 else T.DOUBLE if name == "avg" else f.type.with_null(True))
            return ir.Call(name=name, args=(qualified,)), t
        return qualified, f.type


# ------------------------------------------------------------------ source types

PRIMITIVES = ["string", "int", "long", "float", "double", "boolean", "bytes", "date", "time", "uuid"]
FIELD_NAMES = ["user_id", "amount", "price", "qty", "name", "city", "status", "score", "country", "category",
               "device", "level", "ratio", "note", "code", "region", "total", "flag", "kind_", "label", "value",
               "user", "order", "count", "window", "time", "year", "key", "data", "select", "from", "desc"]


class Sources:
    def __init__(self, rng: random.Random) -> None:
        self.r = rng

    def type_(self, depth: int = 0) -> ir.Type:
        r = self.r
        roll = r.random()
        if depth < 2 and roll < 0.08:
            n = r.randint(1, 3)
            names = r.sample(["id", "name", "category", "score", "inner", "at", "tags"], n)
            return ir.RecordType(fields=tuple(ir.FieldDef(name=nm, type=self.type_(depth + 1),
                                                          nullable=r.random() < 0.3) for nm in names))
        if depth < 2 and roll < 0.13:
            return ir.ArrayType(items=self.type_(depth + 1), items_nullable=r.random() < 0.3)
        if depth < 2 and roll < 0.17:
            return ir.MapType(values=self.type_(depth + 1), values_nullable=r.random() < 0.3)
        if roll < 0.25:
            p = r.randint(1, 38)
            return ir.DecimalType(precision=p, scale=r.randint(0, min(p, 10)))
        if roll < 0.31:
            return ir.TimestampType(precision=r.choice([3, 6]))
        if roll < 0.36:
            return ir.EnumType(symbols=tuple(r.sample(["A", "B", "C", "USD", "EUR", "web", "app", "x_1"],
                                                      r.randint(1, 4))))
        return ir.PrimitiveType(name=r.choices(PRIMITIVES, [6, 4, 3, 2, 4, 2, 1, 1, 1, 2])[0])

    def default(self, t: ir.Type, nullable: bool) -> ir.Expr | None:
        r = self.r
        if r.random() > 0.12:
            return None
        if nullable and r.random() < 0.5:
            return ir.NullLit()
        if isinstance(t, ir.EnumType):
            return ir.StringLit(value=r.choice(t.symbols))
        if isinstance(t, ir.PrimitiveType):
            if t.name in ("string", "uuid"):
                return ir.StringLit(value=r.choice(["", "web", "n/a"]))
            if t.name == "boolean":
                return ir.BoolLit(value=r.random() < 0.5)
            if t.name in ("int", "long"):
                return num(r.choice([0, 1, 7]))
            if t.name in ("float", "double"):
                return num(r.choice(["0", "1.5"]))
        return None


# ------------------------------------------------------------------ the spec builder


@dataclass
class Generated:
    seed: int
    spec: ir.Spec
    text: str
    notes: list[str] = field(default_factory=list)


class Builder:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.r = random.Random(seed)
        self.statements: list[Any] = []
        self.pipeline = self._pipeline()
        self.analysis: Analysis | None = None
        self.counter = 0
        self.sink_topics = 0

    # -------------------------------------------------- bookkeeping
    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}_{self.counter}"

    def add(self, st: Any) -> None:
        self.statements.append(st)
        self.analysis = analyze(ir.Spec(pipeline=self.pipeline, statements=tuple(self.statements)))

    def rel(self, name: str) -> Relation | None:
        assert self.analysis is not None
        return self.analysis.relations.get(name)

    def spec(self) -> ir.Spec:
        return ir.Spec(pipeline=self.pipeline, statements=tuple(self.statements))

    def _pipeline(self) -> ir.Pipeline:
        r = self.r
        return ir.Pipeline(
            name=f"diff_{self.seed}",
            description=r.choice([None, "A generated pipeline", 'with "quotes" and \\ backslash']),
            domain=r.choice([None, "fintech", "iot", "my_domain"]),
            parallelism=r.choice([None, None, 1, 4]),
            checkpoint=r.choice([None, dur(30, "s"), dur(1, "min")]),
            state_ttl=r.choice([None, None, dur(1, "h"), dur(1, "d")]),
        )

    # -------------------------------------------------- sources
    def source(self, join_key: tuple[str, ir.Type], versioned: bool) -> ir.Source:
        r = self.r
        gen = Sources(r)
        name = self.fresh("src")
        fields: list[ir.FieldDef] = []
        used: set[str] = set()

        def add_field(fname: str, t: ir.Type, nullable: bool = False) -> None:
            used.add(fname)
            fields.append(ir.FieldDef(name=fname, type=t, nullable=nullable, default=gen.default(t, nullable),
                                      doc=r.choice([None, None, None, "A field", "it's \"quoted\""])))

        add_field(join_key[0], join_key[1])
        for _ in range(r.randint(2, 7)):
            fname = r.choice([n for n in FIELD_NAMES if n not in used] or ["extra"])
            if fname in used:
                fname = self.fresh("f")
            add_field(fname, gen.type_(), r.random() < 0.25)
        timed = versioned or r.random() < 0.88
        event_time = None
        if timed:
            event_time = r.choice(["ts", "event_time_", "created_at", "timestamp"])
            fields.insert(r.randint(0, len(fields)), ir.FieldDef(name=event_time, type=ir.TimestampType(precision=3)))
        key: tuple[str, ...] = ()
        mode = None
        if versioned:
            key, mode = (join_key[0],), "upsert"
        elif r.random() < 0.3:
            key = (join_key[0],)
            mode = r.choice([None, "append"])
        hints: list[Any] = []
        for f in fields:
            if isinstance(f.type, ir.EnumType) and r.random() < 0.5:
                hints.append(ir.WeightsHint(field=f.name, weights=tuple(
                    ir.Weight(symbol=s, weight=num(r.randint(1, 5))) for s in f.type.symbols)))
            elif isinstance(f.type, ir.PrimitiveType) and f.type.name in ("int", "double") and r.random() < 0.3:
                hints.append(ir.RangeHint(field=f.name, low="1", high="500"))
        generate = ir.Generate(rate=r.choice([None, 100]), hints=tuple(hints)) if (hints or r.random() < 0.1) else None
        return ir.Source(
            name=name, description=r.choice([None, "Events"]), topic=f"in.{name}-{self.seed}",
            format=r.choice([None, "avro", "json"]), fields=tuple(fields), key=key, mode=mode,
            event_time=event_time, watermark=dur(r.choice([0, 1, 5, 30]), r.choice(["s", "s", "ms", "min"]))
            if timed else None, generate=generate)

    # -------------------------------------------------- stage helpers
    def scalar_refs(self, rel: Relation, top: bool = False) -> list[Ref]:
        return [f for f in refs_of(rel, nested=not top) if f.kind not in ("complex", None)]

    def exprs(self, rel: Relation, **kw: Any) -> Exprs:
        return Exprs(self.r, refs_of(rel), **kw)

    def taken(self, rel: Relation | None) -> set[str]:
        return {c.name for c in rel.columns} if rel is not None else set()

    def alias(self, stem: str, taken: set[str]) -> str:
        name = self.fresh(stem)
        taken.add(name)
        return name

    # -------------------------------------------------- stages
    def transform(self, inp: str) -> ir.Transform:
        r = self.r
        rel = self.rel(inp)
        assert rel is not None
        ex = self.exprs(rel)
        where = ex.cond(r.choice([1, 2, 3]))[0] if r.random() < 0.6 else None
        select = None
        if r.random() < 0.8:
            star = r.random() < 0.35
            items: list[ir.SelectItem] = []
            out: set[str] = self.taken(rel) if star else set()
            if not star:
                keep = [c.name for c in rel.columns if r.random() < 0.5]
                must = set(rel.key)
                if rel.event_time and r.random() < 0.88:
                    must.add(rel.event_time)
                if rel.windowed and r.random() < 0.9:
                    must |= {"window_start", "window_end"} | ({"window_time"} if r.random() < 0.8 else set())
                for c in rel.columns:
                    if c.name in keep or c.name in must:
                        if c.name == rel.event_time and r.random() < 0.1:
                            items.append(ir.SelectItem(alias=self.alias("et", out), expr=col(c.name)))
                        else:
                            items.append(ir.SelectItem(expr=col(c.name)))
                            out.add(c.name)
                nested = [f for f in refs_of(rel) if len(f.path) > 1 and f.path[-1] not in out]
                if nested and r.random() < 0.4:
                    f = r.choice(nested)
                    items.append(ir.SelectItem(expr=col(*f.path)))
                    out.add(f.path[-1])
            for _ in range(r.choice([0, 1, 1, 2, 3])):
                k = ex.col_kind()
                e, _ = ex.arg(k, r.choice([1, 2, 3]))
                items.append(ir.SelectItem(alias=self.alias(f"x_{k}", out), expr=e))
            if not star and not items:
                items.append(ir.SelectItem(expr=col(rel.columns[0].name)))
            select = ir.Select(star=star, items=tuple(items))
        return ir.Transform(name=self.fresh("transform"), input=inp, where=where, select=select,
                            description=r.choice([None, None, "Filter and project"]))

    def window(self, rel: Relation) -> Any:
        r = self.r
        et = rel.event_time
        assert et is not None
        kind = r.choices(["tumble", "hop", "session", "cumulate"], [3, 2, 2, 2])[0]
        unit = r.choice(["s", "min", "min", "h"])
        if kind == "tumble":
            return ir.Tumble(column=et, size=dur(r.choice([1, 5, 10, 30]), unit))
        if kind == "hop":
            slide = r.choice([1, 2, 5])
            return ir.Hop(column=et, size=dur(slide * r.choice([1, 2, 3, 4, 10]), unit), slide=dur(slide, unit))
        if kind == "session":
            return ir.Session(column=et, gap=dur(r.choice([1, 5, 30]), unit))
        step = r.choice([1, 5])
        return ir.Cumulate(column=et, step=dur(step, unit), size=dur(step * r.choice([1, 2, 4, 12]), unit))

    def aggregate(self, inp: str) -> ir.Aggregate:
        r = self.r
        rel = self.rel(inp)
        assert rel is not None
        timed = rel.event_time is not None and not rel.updating
        window = self.window(rel) if timed and r.random() < 0.8 else None
        session = isinstance(window, ir.Session)
        top = self.scalar_refs(rel, top=session)
        top = [f for f in top if f.path[-1] not in ("window_start", "window_end", "window_time")]
        n_keys = r.choice([0, 1, 1, 2, 3]) if window is not None else r.choice([1, 1, 2, 3])
        if session:
            n_keys = min(n_keys, 1)
        keys: list[Ref] = []
        names: set[str] = set()
        for f in r.sample(top, min(n_keys, len(top))):
            if f.path[-1] not in names:
                keys.append(f)
                names.add(f.path[-1])
        if not keys and window is None:
            window = None  # nothing to group by: a rejected spec (counted), should not happen with a key column
        outside = [Ref(f.path, f.type) for f in keys]
        if window is not None:
            ts = T.SqlType("TIMESTAMP", False, precision=3)
            outside += [Ref(("window_start",), ts), Ref(("window_end",), ts)]
        ex = Exprs(r, outside, agg_refs=refs_of(rel), session=session)
        taken = set(names) | {"window_start", "window_end", "window_time"}
        measures = []
        mtypes: list[Ref] = []
        for _ in range(r.randint(1, 4)):
            e, t = ex.measure()
            mname = self.alias("m", taken)
            measures.append(ir.Measure(name=mname, expr=e))
            mtypes.append(Ref((mname,), t))
        where = self.exprs(rel).cond(2)[0] if r.random() < 0.35 else None
        having = None
        if r.random() < 0.3:
            hx = Exprs(r, outside + mtypes, agg_refs=refs_of(rel), session=session)
            if r.random() < 0.5:
                having = hx.cond(1)[0]
            else:
                having = hx.measure("bool")[0]
        return ir.Aggregate(name=self.fresh("agg"), input=inp, where=where, window=window,
                            group_by=tuple(col(*f.path) for f in keys), measures=tuple(measures), having=having)

    def rolling(self, inp: str) -> ir.Rolling:
        r = self.r
        rel = self.rel(inp)
        assert rel is not None and rel.event_time is not None
        if r.random() < 0.5:
            over: Any = ir.OverRange(column=rel.event_time, preceding=dur(r.choice([1, 5, 10, 60]),
                                                                           r.choice(["s", "min", "h"])))
        else:
            over = ir.OverRows(column=rel.event_time, rows=r.choice([1, 2, 5, 20]))
        parts = self.scalar_refs(rel)
        partition = [col(*f.path) for f in r.sample(parts, min(len(parts), r.choice([0, 1, 1, 2])))]
        ex = Exprs(r, refs_of(rel), agg_refs=refs_of(rel))
        taken = self.taken(rel)
        measures = []
        for _ in range(r.randint(1, 3)):
            if r.random() < 0.2:
                a, _ = ex.arg("num", 0)
                b, _ = ex.agg_call("num")
                e: ir.Expr = ir.Binary(op="-", left=a, right=b)
            else:
                e, _ = ex.measure(r.choice(["int", "num", "num", "str", "ts"]))
            measures.append(ir.Measure(name=self.alias("roll", taken), expr=e))
        return ir.Rolling(name=self.fresh("rolling"), input=inp, partition_by=tuple(partition), over=over,
                          measures=tuple(measures))

    def dedup(self, inp: str, keep: str | None = None) -> ir.Dedup:
        r = self.r
        rel = self.rel(inp)
        assert rel is not None
        cands = [c.name for c in rel.columns if kind_of(c.type) not in ("complex", None) and c.name != rel.event_time]
        key = tuple(r.sample(cands, min(len(cands), r.choice([1, 1, 2])))) or (rel.columns[0].name,)
        return ir.Dedup(name=self.fresh("dedup"), input=inp, key=key, keep=keep or r.choice(["first", "last"]))

    def topn(self, inp: str) -> ir.TopN:
        r = self.r
        rel = self.rel(inp)
        assert rel is not None
        top = [c.name for c in rel.columns if kind_of(c.type) not in ("complex", None)
               and c.name not in ("window_start", "window_end", "window_time")]
        partition = [col(n) for n in r.sample(top, min(len(top), r.choice([0, 1, 1, 2])))]
        orderable = [f for f in self.scalar_refs(rel) if f.kind in ("int", "num", "str", "ts", "date")]
        order = tuple(ir.OrderItem(column=col(*f.path), direction=r.choice(["asc", "desc"]))
                      for f in r.sample(orderable, min(len(orderable), r.choice([1, 1, 2]))))
        if not order:
            order = (ir.OrderItem(column=col(rel.columns[0].name), direction="desc"),)
        return ir.TopN(name=self.fresh("topn"), input=inp, partition_by=tuple(partition), order_by=order,
                       limit=r.choice([1, 3, 5, 10]))

    def pattern(self, inp: str) -> ir.Pattern:
        r = self.r
        rel = self.rel(inp)
        assert rel is not None
        top = [c.name for c in rel.columns if kind_of(c.type) not in ("complex", None) and c.name != rel.event_time]
        partition = [col(n) for n in r.sample(top, min(len(top), r.choice([0, 1, 1, 2])))]
        n = r.choice([1, 2, 2, 3, 4])
        variables = [f"pv{i}" for i in range(1, n + 1)]
        seq = []
        for i, v in enumerate(variables):
            q = None
            if i < n - 1:
                q = r.choices([None, "+", "*", "?", "{2,}", "{1,3}"], [4, 2, 1.5, 1.5, 1, 1])[0]
            seq.append(ir.PatternTerm(variable=v, quantifier=q))
        refs = self.scalar_refs(rel)
        defines = []
        for v in variables:
            if r.random() < 0.8 or not defines:
                vx = PatternExprs(r, refs, v, variables)
                defines.append(ir.Define(variable=v, condition=vx.cond(2)[0]))
        taken = {p.path[0] for p in partition}
        measures = []
        mx = PatternExprs(r, refs, None, variables)
        kinds = [k for k in ("int", "num", "str", "ts") if any(fits(f.type, k) for f in refs)] or ["ts"]
        for _ in range(r.randint(1, 3)):
            k = r.choice(kinds)
            e, _ = mx.nav_call(k, variables, in_define=False)
            if k in ("int", "num") and r.random() < 0.25:
                b, _ = mx.nav_call(k, variables, in_define=False)
                e = ir.Binary(op=r.choice(["+", "-"]), left=e, right=b)
            measures.append(ir.Measure(name=self.alias("pm", taken), expr=e))
        within = dur(r.choice([10, 30, 5]), r.choice(["s", "min", "h"])) if r.random() < 0.5 else None
        return ir.Pattern(name=self.fresh("pattern"), input=inp, partition_by=tuple(partition), sequence=tuple(seq),
                          within=within, defines=tuple(defines), measures=tuple(measures))

    def join(self, left: str, right: str, kind: str) -> ir.Join | None:  # noqa: C901 - one table of random choices; splitting it hides which choices go together
        r = self.r
        lrel, rrel = self.rel(left), self.rel(right)
        assert lrel is not None and rrel is not None
        lrefs = self.scalar_refs(lrel)
        rrefs = self.scalar_refs(rrel)
        eqs: list[ir.Expr] = []
        if kind == "temporal":
            for k in rrel.key:
                rt = rrel.column(k)
                assert rt is not None
                same = [f for f in lrefs if T.comparable(f.type, rt.type) and kind_of(f.type) == kind_of(rt.type)]
                if not same:
                    return None
                f = next((x for x in same if x.path[-1] == k), r.choice(same))
                eqs.append(ir.Binary(op="=", left=col(left, *f.path), right=col(right, k)))
        else:
            pairs = [(a, b) for a in lrefs for b in rrefs if kind_of(a.type) == kind_of(b.type)
                     and a.kind in ("int", "str", "num", "date")]
            if not pairs:
                return None
            named = [(a, b) for a, b in pairs if a.path == b.path]
            a, b = r.choice(named) if named and r.random() < 0.8 else r.choice(pairs)
            eqs.append(ir.Binary(op="=", left=col(left, *a.path), right=col(right, *b.path)))
        scope = [Ref((left, *f.path), f.type) for f in refs_of(lrel)] + [
            Ref((right, *f.path), f.type.with_null(True)) for f in refs_of(rrel)]
        ex = Exprs(r, scope)
        on = eqs[0]
        for e in eqs[1:]:
            on = ir.Binary(op="and", left=on, right=e)
        if r.random() < 0.25:
            on = ir.Binary(op="and", left=on, right=ex.cond(1)[0])
        items: list[ir.SelectItem] = []
        out: set[str] = set()

        def bare(q: str, name: str, alias_ok: bool = True) -> None:
            if name in out:
                if alias_ok:
                    items.append(ir.SelectItem(alias=self.alias(name, out), expr=col(q, name)))
                return
            items.append(ir.SelectItem(expr=col(q, name)))
            out.add(name)

        if kind in ("interval", "temporal") and lrel.event_time and r.random() < 0.9:
            bare(left, lrel.event_time)
        for q, rel in ((left, lrel), (right, rrel)):
            for c in rel.columns:
                if r.random() < 0.4:
                    bare(q, c.name)
        for _ in range(r.choice([0, 1, 1, 2])):
            k = ex.col_kind()
            items.append(ir.SelectItem(alias=self.alias(f"j_{k}", out), expr=ex.arg(k, 2)[0]))
        def plain(it: ir.SelectItem) -> bool:
            if it.alias is not None and not isinstance(it.expr, ir.Column):
                return True  # a computed column is a single value
            q, name = it.expr.path[0], it.expr.path[-1]  # type: ignore[union-attr]
            c = (lrel if q == left else rrel).column(name)
            return c is not None and kind_of(c.type) not in ("complex", None)

        if not any(plain(it) for it in items):  # keep a column an upsert sink can be keyed by
            names = [c.name for c in lrel.columns if kind_of(c.type) not in ("complex", None)]
            bare(left, names[0] if names else lrel.columns[0].name)
        before = after = None
        if kind == "interval":
            before, after = self.interval_bounds()
        outer = r.random() < 0.3
        return ir.Join(name=self.fresh("join"), left=left, right=right, join_kind=kind, before=before, after=after,
                       outer_left=outer, on=on, select=ir.Select(items=tuple(items)))

    def interval_bounds(self) -> tuple[ir.Duration, ir.Duration]:
        r = self.r
        unit = r.choice(["s", "min", "h"])
        return dur(r.choice([0, 0, 1, 5, 10]), unit), dur(r.choice([1, 5, 10, 30]), unit)

    def sink(self, inp: str) -> ir.Sink:
        r = self.r
        rel = self.rel(inp)
        assert rel is not None
        plain = [c.name for c in rel.columns if kind_of(c.type) not in ("complex", None)]
        key: tuple[str, ...] = ()
        mode = None
        if rel.updating:
            mode = "upsert"
            key = tuple(rel.key) if rel.key else tuple(r.sample(plain, min(len(plain), 1)))
        elif plain and r.random() < 0.3:
            key = tuple(r.sample(plain, min(len(plain), r.choice([1, 1, 2]))))
            mode = r.choice([None, "append", "upsert"])
        elif r.random() < 0.2:
            mode = "append"
        self.sink_topics += 1
        return ir.Sink(name=self.fresh("sink"), input=inp, topic=f"out_{self.seed}.{self.sink_topics}",
                       format=r.choice([None, "avro", "json"]), key=key, mode=mode,
                       description=r.choice([None, "Results"]))


class PatternExprs(Exprs):
    """Expressions in a pattern: a define's condition (for ``var``) or a measure; navigation allowed."""

    def __init__(self, rng: random.Random, refs: list[Ref], var: str | None, variables: list[str]) -> None:
        qualified = [Ref((v, *f.path), f.type) for v in variables for f in refs] if var is None else [
            Ref((var, *f.path), f.type) for f in refs]
        super().__init__(rng, refs + qualified, agg_refs=None, nav=True, nav_refs=refs)
        self.var = var
        self.variables = variables

    def leaf(self, want: str) -> tuple[ir.Expr, T.SqlType]:
        if want in ("int", "num", "str", "ts") and self.r.random() < 0.3:
            return self.nav_call(want, self.variables if self.var is None else [self.var], in_define=True)
        return super().leaf(want)


# ------------------------------------------------------------------ whole specs


STAGE_WEIGHTS = {"transform": 3, "aggregate": 4, "rolling": 2, "join": 4, "dedup": 2, "topn": 2, "pattern": 2}


def _feasible(b: Builder, name: str) -> list[str]:
    rel = b.rel(name)
    if rel is None:
        return ["transform"]
    timed = rel.event_time is not None and not rel.updating
    kinds = ["transform"]
    if rel.column("rownum") is None:  # a top-N adds `rownum`
        kinds.append("topn")
    if timed or any(kind_of(c.type) not in ("complex", None) for c in rel.columns):
        kinds.append("aggregate")
    if timed:
        kinds += ["rolling", "dedup", "pattern"]
    return kinds


def _join_kinds(b: Builder, left: str, right: str) -> list[str]:
    lrel, rrel = b.rel(left), b.rel(right)
    if lrel is None or rrel is None:
        return []
    kinds = ["regular"]
    ltimed = lrel.event_time is not None and not lrel.updating
    if ltimed and rrel.event_time is not None and not rrel.updating:
        kinds += ["interval", "interval"]
    if ltimed and rrel.key and rrel.event_time is not None:
        kinds += ["temporal", "temporal", "temporal"]
    return kinds


def generate(seed: int) -> Generated:  # noqa: C901 - one table of random choices; splitting it hides which choices go together
    """One random spec (IR and canonical text) from ``seed``."""
    b = Builder(seed)
    r = b.r
    key_type = r.choice([ir.PrimitiveType(name="string"), ir.PrimitiveType(name="string"),
                         ir.PrimitiveType(name="long"), ir.PrimitiveType(name="int"), ir.PrimitiveType(name="uuid")])
    join_key = (r.choice(["id", "user_id", "account", "sku"]), key_type)
    n_sources = 1 if r.random() < 0.45 else 2
    versioned = n_sources == 2 and r.random() < 0.45
    sources = [b.source(join_key, False)]
    if n_sources == 2:
        sources.append(b.source(join_key, versioned))
    for s in sources:
        b.add(s)
    depth = r.choice([2, 2, 3, 3, 4])
    current = sources[0].name
    others = [s.name for s in sources[1:]]
    notes = []
    for step in range(depth):
        joined = False
        if others and (r.random() < 0.55 or step == depth - 1):
            other = others[0]
            # Sometimes make the other side versioned by deduplicating it first (keep last).
            orel = b.rel(other)
            if (orel is not None and not orel.key and orel.event_time is not None and not orel.updating
                    and r.random() < 0.3):
                d = b.dedup(other, keep="last")
                b.add(d)
                other = d.name
            left, right = (current, other) if r.random() < 0.85 else (other, current)
            kinds = _join_kinds(b, left, right)
            if not kinds and left != current:
                left, right = right, left
                kinds = _join_kinds(b, left, right)
            for _attempt in range(3):
                if not kinds:
                    break
                kind = r.choice(kinds)
                j = b.join(left, right, kind)
                if j is not None:
                    b.add(j)
                    current = j.name
                    others.pop(0)
                    joined = True
                    break
                kinds = [k for k in kinds if k != kind]
        if joined:
            continue
        kinds = _feasible(b, current)
        crel = b.rel(current)
        windowed = crel is not None and crel.windowed  # a top-N of a windowed aggregate is a window top-N
        kind = r.choices(kinds, [STAGE_WEIGHTS[k] * (4 if k == "topn" and windowed else 1) for k in kinds])[0]
        st = getattr(b, kind)(current)
        b.add(st)
        current = st.name
        # A branch: a second stage reading the same stream.
        if r.random() < 0.12:
            kinds = _feasible(b, st.input)
            branch = getattr(b, r.choice(kinds))(st.input)
            b.add(branch)
    for other in others:  # a second source no join took: it gets a stage and a sink of its own
        kinds = _feasible(b, other)
        st = getattr(b, r.choice(kinds))(other)
        b.add(st)
        notes.append("unjoined second source")
    consumed = {i for st in b.statements for i in ir.statement_inputs(st)}
    ends = [st.name for st in b.statements if st.name not in consumed and not isinstance(st, ir.Sink)]
    for name in ends:
        b.add(b.sink(name))
    stages = [st.name for st in b.statements if not isinstance(st, (ir.Source, ir.Sink)) and st.name not in ends]
    if stages and r.random() < 0.15:
        b.add(b.sink(r.choice(stages)))
    statements = list(b.statements)
    if r.random() < 0.2:
        r.shuffle(statements)  # a statement may use a stream defined later
    spec = ir.Spec(pipeline=b.pipeline, statements=tuple(statements))
    return Generated(seed, spec, print_spec(spec), notes)


def generate_text(seed: int) -> str:
    return generate(seed).text


def specs() -> Any:
    """A hypothesis strategy of generated specs (by seed; hypothesis shrinks the seed, not the spec)."""
    from hypothesis import strategies as st

    return st.integers(0, 2**32 - 1).map(generate)


# ------------------------------------------------------------------ shrinking


def prune(spec: ir.Spec) -> ir.Spec:
    """Drop the statements no sink reads, directly or through other stages."""
    by = {st.name: st for st in spec.statements}
    keep: set[str] = set()
    stack = [st.name for st in spec.statements if isinstance(st, ir.Sink)]
    while stack:
        n = stack.pop()
        if n in keep or n not in by:
            continue
        keep.add(n)
        stack.extend(ir.statement_inputs(by[n]))
    return ir.Spec(pipeline=spec.pipeline, statements=tuple(st for st in spec.statements if st.name in keep))


def _replace(node: Any, **changes: Any) -> Any:
    from dataclasses import replace

    return replace(node, **changes)


def graph_edits(spec: ir.Spec) -> list[ir.Spec]:  # noqa: C901 - one table of random choices; splitting it hides which choices go together
    """Smaller pipelines, smallest first: one sink alone with what it reads; a sink pointed straight at an earlier
    stream (skipping the stages between, keyed as that stream is keyed); a stage pointed at its input's input."""
    out = []
    sts = list(spec.statements)
    by = {st.name: st for st in sts}
    sinks = [st for st in sts if isinstance(st, ir.Sink)]
    analysis = analyze(spec)

    def ancestors(name: str) -> list[str]:
        seen: list[str] = []
        stack = [name]
        while stack:
            n = stack.pop()
            if n in seen or n not in by:
                continue
            seen.append(n)
            stack.extend(ir.statement_inputs(by[n]))
        return seen

    def with_sinks(new_sinks: list[ir.Sink]) -> ir.Spec:
        others = [st for st in sts if not isinstance(st, ir.Sink)]
        return prune(ir.Spec(pipeline=spec.pipeline, statements=tuple(others + new_sinks)))

    for s in sinks:
        for a in ancestors(s.input):
            if isinstance(by[a], ir.Sink):
                continue
            variants = [_replace(s, input=a), _replace(s, input=a, key=(), mode=None)]
            rel = analysis.relations.get(a)
            if rel is not None and rel.key:
                variants.append(_replace(s, input=a, key=tuple(rel.key), mode="upsert"))
            elif rel is not None and s.key:
                plain = [c.name for c in rel.columns if kind_of(c.type) not in ("complex", None)]
                variants += [_replace(s, input=a, key=(c,)) for c in plain[:3]]
            for v in variants:
                out.append(with_sinks([v]))
            if len(sinks) > 1:
                out.append(with_sinks([x for x in sinks if x is not s]))
    out.sort(key=lambda sp: len(sp.statements))
    for i, st in enumerate(sts):
        if isinstance(st, ir.Source):
            continue
        roles = ("left", "right") if isinstance(st, ir.Join) else ("input",)
        for role in roles:
            upstream = by.get(getattr(st, role))
            if upstream is None or isinstance(upstream, ir.Source):
                continue
            for skip_to in ir.statement_inputs(upstream):
                if skip_to in by:
                    new = sts[:i] + [_replace(st, **{role: skip_to})] + sts[i + 1:]
                    out.append(prune(ir.Spec(pipeline=spec.pipeline, statements=tuple(new))))
    return out


def node_edits(node: Any) -> list[Any]:
    """Every one-step simplification of an IR node: an element of a tuple removed, an optional part dropped,
    a flag cleared, an expression replaced by one of its sub-expressions; recursively."""
    from pipegen.compiler.ir import value_fields

    out: list[Any] = []
    if not isinstance(node, ir.Node):
        return out
    for fname in value_fields(type(node)):
        v = getattr(node, fname)
        if isinstance(v, tuple):
            if len(v) > 1 or fname in ("key", "group_by", "partition_by", "hints", "items"):
                for i in range(len(v)):
                    out.append(_replace(node, **{fname: v[:i] + v[i + 1:]}))
            for i, x in enumerate(v):
                for y in node_edits(x):
                    out.append(_replace(node, **{fname: v[:i] + (y,) + v[i + 1:]}))
        elif isinstance(v, ir.Node):
            optional = fname in ("where", "having", "window", "generate", "within", "otherwise", "default",
                                 "checkpoint", "state_ttl") or (fname == "select" and isinstance(node, ir.Transform))
            if optional:
                out.append(_replace(node, **{fname: None}))
            if _is_expr(v):
                for sub in _sub_exprs(v):
                    out.append(_replace(node, **{fname: sub}))
            for y in node_edits(v):
                out.append(_replace(node, **{fname: y}))
        elif isinstance(v, bool) and v and fname in ("negated", "distinct", "outer_left", "nullable",
                                                        "items_nullable", "values_nullable"):
            out.append(_replace(node, **{fname: False}))
        elif (isinstance(v, str) and fname in ("description", "doc", "domain")) or (
                fname in ("format", "mode", "parallelism", "quantifier") and v is not None):
            out.append(_replace(node, **{fname: None}))
    return out


def _is_expr(v: Any) -> bool:
    return isinstance(v, (ir.NumberLit, ir.StringLit, ir.BoolLit, ir.NullLit, ir.Column, ir.Not, ir.Neg, ir.Binary,
                          ir.IsNull, ir.Between, ir.InList, ir.Like, ir.Call, ir.Case, ir.Cast, ir.IntervalLit))


def _sub_exprs(e: Any) -> list[Any]:
    out = []
    for fname in ir.value_fields(type(e)):
        v = getattr(e, fname)
        if _is_expr(v):
            out.append(v)
        elif isinstance(v, tuple):
            out += [x for x in v if _is_expr(x)]
            out += [w.result for w in v if isinstance(w, ir.When)]
    return out


def spec_edits(spec: ir.Spec) -> list[ir.Spec]:
    """Graph edits first (they remove the most), then every node edit of every statement."""
    out = graph_edits(spec)
    sts = list(spec.statements)
    for i, st in enumerate(sts):
        if isinstance(st, ir.Source) and len(st.fields) > 1:
            for j in range(len(st.fields)):
                out.append(ir.Spec(pipeline=spec.pipeline, statements=tuple(
                    sts[:i] + [_replace(st, fields=st.fields[:j] + st.fields[j + 1:])] + sts[i + 1:])))
        for y in node_edits(st):
            out.append(ir.Spec(pipeline=spec.pipeline, statements=tuple(sts[:i] + [y] + sts[i + 1:])))
    for y in node_edits(spec.pipeline):
        out.append(ir.Spec(pipeline=y, statements=spec.statements))
    return out


def focus_edits(spec: ir.Spec, origin: str | None) -> list[ir.Spec]:
    """The statement whose SQL Flink rejects, with only what it reads: a stage without any sink (its view is
    rejected on its own), a sink or source with its inputs."""
    by = {st.name: st for st in spec.statements}
    if origin not in by:
        return []
    keep: set[str] = set()
    stack = [origin]
    while stack:
        n = stack.pop()
        if n not in keep and n in by:
            keep.add(n)
            stack.extend(ir.statement_inputs(by[n]))
    return [ir.Spec(pipeline=spec.pipeline, statements=tuple(st for st in spec.statements if st.name in keep))]


def shrink(spec: ir.Spec, still_fails: Any, budget_s: float = 60.0, origin: str | None = None) -> ir.Spec:
    """Greedy shrinking: apply an edit for which ``still_fails(spec)`` holds, again and again, until no edit does
    or the time budget is spent. ``still_fails`` returns the name of the statement whose SQL Flink rejects (or
    None); the edits that keep just that statement and its inputs are tried first. After a success the scan goes
    on from the same place in the new spec's edits (the ones before it were just tried)."""
    import time

    deadline = time.monotonic() + budget_s
    start = 0
    tried: set[ir.Spec] = set()
    bad = degeneracy(spec)  # an edit must not make the spec more degenerate than it was
    while time.monotonic() < deadline:
        focus = focus_edits(spec, origin)
        rest = spec_edits(spec)
        order = focus + [rest[(start + i) % len(rest)] for i in range(len(rest))]
        for k, cand in enumerate(order):
            if time.monotonic() > deadline:
                return spec
            if cand == spec or cand in tried or degeneracy(cand) > bad:
                continue
            tried.add(cand)
            got = still_fails(cand)
            if got:
                if k >= len(focus):
                    start = (start + k - len(focus)) % len(rest)
                spec, origin = cand, got if isinstance(got, str) else origin
                bad = degeneracy(spec)
                break
        else:
            return spec
    return spec


def has_column(e: Any) -> bool:
    """Whether ``e`` names a column or aggregates (is not a constant)."""
    return any(isinstance(n, ir.Column) or (isinstance(n, ir.Call) and n.name in AGGREGATES) for n in _walk(e))


def degenerate(spec: ir.Spec) -> bool:
    return degeneracy(spec) > 0


def degeneracy(spec: ir.Spec) -> int:
    """A spec no one writes: a filter, having, join or pattern condition that names no column (always true or
    always false), a computed column or measure that is a constant, or an aggregate of a constant. Flink folds
    those away, and what it then says is about the folding. The count of such spots."""
    n_bad = 0
    for st in spec.statements:
        conds = []
        if isinstance(st, (ir.Transform, ir.Aggregate)):
            conds.append(st.where)
        if isinstance(st, ir.Aggregate):
            conds.append(st.having)
        if isinstance(st, ir.Join):
            conds += _conjuncts(st.on)
        if isinstance(st, ir.Pattern):
            conds += [d.condition for d in st.defines]
        if any(c is not None and not has_column(c) for c in conds):
            n_bad += 1
        items = []
        if isinstance(st, (ir.Transform, ir.Join)) and st.select is not None:
            items += [it.expr for it in st.select.items]
        if isinstance(st, (ir.Aggregate, ir.Rolling, ir.Pattern)):
            items += [m.expr for m in st.measures]
        if any(not has_column(e) for e in items):
            n_bad += 1
        for n in _walk(st):
            if isinstance(n, ir.Call) and n.args and n.name in AGGREGATES and not has_column(n.args[0]):
                n_bad += 1  # an aggregate of a constant (count(*) aside)
            if (isinstance(n, ir.Binary) and n.op in ("=", "!=", "<", "<=", ">", ">=", "and", "or")
                    and n.left == n.right):
                n_bad += 1  # x = x, a and a: always true (or null), folded
            if isinstance(n, ir.Between) and (n.operand == n.low or n.operand == n.high):
                n_bad += 1
            if isinstance(n, ir.Call) and n.name == "coalesce" and not has_column(n.args[0]):
                n_bad += 1  # coalesce(<constant>, ...) is the constant
    return n_bad


def _conjuncts(e: Any) -> list[Any]:
    if isinstance(e, ir.Binary) and e.op == "and":
        return _conjuncts(e.left) + _conjuncts(e.right)
    return [e]


# ------------------------------------------------------------------ what a spec covers


def _walk(node: Any) -> Any:
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ir.Node):
            yield n
            for fname in ir.value_fields(type(n)):
                v = getattr(n, fname)
                if isinstance(v, ir.Node):
                    stack.append(v)
                elif isinstance(v, tuple):
                    stack.extend(x for x in v if isinstance(x, ir.Node))


def _type_features(t: Any, nullable: bool, out: set[str]) -> None:
    if nullable:
        out.add("type:nullable")
    if isinstance(t, ir.PrimitiveType):
        out.add(f"type:{t.name}")
    elif isinstance(t, ir.DecimalType):
        out.add("type:decimal")
    elif isinstance(t, ir.TimestampType):
        out.add(f"type:timestamp({t.precision})")
    elif isinstance(t, ir.EnumType):
        out.add("type:enum")
    elif isinstance(t, ir.RecordType):
        out.add("type:record")
        for f in t.fields:
            _type_features(f.type, f.nullable, out)
    elif isinstance(t, ir.ArrayType):
        out.add("type:array")
        _type_features(t.items, t.items_nullable, out)
    elif isinstance(t, ir.MapType):
        out.add("type:map")
        _type_features(t.values, t.values_nullable, out)


def _depth(spec: ir.Spec) -> int:
    by = {st.name: st for st in spec.statements}
    memo: dict[str, int] = {}

    def d(n: str, seen: frozenset[str]) -> int:
        if n in memo:
            return memo[n]
        st = by.get(n)
        if st is None or n in seen or isinstance(st, ir.Source):
            return 0
        inner = max((d(i, seen | {n}) for i in ir.statement_inputs(st)), default=0)
        memo[n] = inner + (0 if isinstance(st, ir.Sink) else 1)
        return memo[n]

    return max((d(st.name, frozenset()) for st in spec.statements if isinstance(st, ir.Sink)), default=0)


def features(spec: ir.Spec, analysis: Analysis | None = None) -> set[str]:  # noqa: C901 - one table of random choices; splitting it hides which choices go together
    """What ``spec`` exercises: statement kinds, windows, joins, functions, types, expression forms."""
    out: set[str] = set()
    sts = spec.statements
    sources = [s for s in sts if isinstance(s, ir.Source)]
    sinks = [s for s in sts if isinstance(s, ir.Sink)]
    out.add(f"sources:{min(len(sources), 2)}")
    out.add("sinks:1" if len(sinks) == 1 else "sinks:many")
    out.add(f"depth:{min(_depth(spec), 4)}")
    for st in sts:
        out.add(f"stmt:{st.kind}")
        if isinstance(st, ir.Source):
            for f in st.fields:
                _type_features(f.type, f.nullable, out)
            if st.mode == "upsert":
                out.add("source:upsert")
        elif isinstance(st, ir.Transform):
            if st.where is not None:
                out.add("transform:where")
            if st.select is not None:
                out.add("transform:select")
        elif isinstance(st, ir.Aggregate):
            out.add(f"window:{st.window.kind if st.window else 'none'}")
            if st.group_by:
                out.add("aggregate:group_by")
            if st.having is not None:
                out.add("aggregate:having")
            if st.where is not None:
                out.add("aggregate:where")
        elif isinstance(st, ir.Rolling):
            out.add(f"over:{st.over.kind}")
        elif isinstance(st, ir.Join):
            out.add(f"join:{st.join_kind}")
            if st.outer_left:
                out.add("join:outer_left")
        elif isinstance(st, ir.Dedup):
            out.add(f"dedup:{st.keep}")
        elif isinstance(st, ir.TopN):
            rel = analysis.relations.get(st.name) if analysis else None
            out.add("topn:window" if rel is not None and rel.windowed else "topn:plain")
        elif isinstance(st, ir.Pattern):
            if st.within is not None:
                out.add("pattern:within")
            if len(st.sequence) > 1:
                out.add("pattern:sequence")
            for t in st.sequence:
                if t.quantifier:
                    q = t.quantifier
                    out.add("pattern:quantifier:" + (q if q in "+*?" else "{n,}" if q.endswith(",}") else "{n,m}"))
        elif isinstance(st, ir.Sink):
            out.add(f"sink:{st.mode or 'append'}")
            if st.key:
                out.add(f"sink:{st.mode or 'append'}:keyed")
        for n in _walk(st):
            if isinstance(n, ir.Call):
                out.add(f"fn:{n.name}")
                if n.star:
                    out.add("fn:count(*)")
                if n.distinct:
                    out.add(f"fn:{n.name}(distinct)")
            elif isinstance(n, ir.Binary):
                out.add(f"op:{n.op}")
            elif isinstance(n, ir.Cast):
                out.add("expr:cast")
                _type_features(n.to, False, out)
            elif _is_expr(n):
                out.add(f"expr:{n.kind}")
    return out


REQUIRED_FEATURES = frozenset(
    [f"stmt:{k}" for k in ("source", "transform", "aggregate", "rolling", "join", "dedup", "topn", "pattern", "sink")]
    + [f"window:{k}" for k in ("tumble", "hop", "session", "cumulate", "none")]
    + ["over:range", "over:rows", "join:regular", "join:interval", "join:temporal", "join:outer_left",
       "dedup:first", "dedup:last", "topn:window", "topn:plain", "pattern:within", "pattern:sequence",
       "pattern:quantifier:+", "pattern:quantifier:*", "pattern:quantifier:?", "pattern:quantifier:{n,}",
       "pattern:quantifier:{n,m}", "sink:append", "sink:upsert", "sink:upsert:keyed", "sink:append:keyed",
       "aggregate:group_by", "aggregate:having", "aggregate:where", "transform:where", "transform:select",
       "source:upsert", "sources:1", "sources:2", "sinks:1", "sinks:many", "depth:2", "depth:3", "depth:4"]
    + [f"fn:{n}" for n in ORIGINAL_FUNCTIONS] + ["fn:count(*)", "fn:count(distinct)"]
    + [f"type:{n}" for n in PRIMITIVES]
    + ["type:decimal", "type:timestamp(3)", "type:timestamp(6)", "type:enum", "type:record", "type:array",
       "type:map", "type:nullable"]
    + [f"op:{o}" for o in ("or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%")]
    + [f"expr:{k}" for k in ("number", "string", "bool", "null", "column", "not", "neg", "is_null", "between", "in",
                             "like", "case", "cast", "interval")]
)

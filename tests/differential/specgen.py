"""Random well-typed pipeline specs, for the differential test against Flink's planner.

``generate(seed)`` builds one spec as IR (``pipegen.compiler.ir``) from a seeded ``random.Random``: one or two
sources, a chain of two to four stages (with the odd branch), one or more sinks. Every statement kind (unions of
branches and unnests included), window, over frame, join kind (lookup joins of jdbc tables on processing time
too), origin (Kafka topics in avro, json or debezium_json, files in json or csv, datagen, jdbc), connector option,
processing time, function of the records, function of the user's own and type of the language is drawn, with
weights, so that a thousand seeds cover them all (``features`` says what a spec holds; ``REQUIRED_FEATURES``,
read from the language's registries, is what the test asserts of the union: a part of the language added later
that the generator does not make fails it).

How it stays well typed:

* the *shape* of each relation a stage reads (its columns and their types, event and processing time, whether it
  is updating, its key, whether it is a windowed result) is what PipeGen's own analysis says about the statements
  generated so far (``analyze`` of the partial spec), so the generator never guesses how a stage changes a stream;
* expressions are built *by type* (``Exprs``): each node is chosen for the kind of value wanted (condition,
  number, whole number, string, timestamp, date, array, map) from the columns in scope and the functions of
  ``pipegen.compiler.functions.FUNCTIONS`` that yield it (``signatures`` asks each record's typing rule which
  kinds of arguments it takes), with result types from the records and ``types.numeric_result``; aggregates
  appear only in measures (outside them only grouped columns) of the stages their records allow (``lag`` in a
  rolling stage without a window, the JSON aggregates in an aggregate), navigation only in patterns; a record's
  literal arguments are literals (JSON paths), its ``returning`` types are asked for by kind, json_object's keys
  are never null and the JSON constructors take values of every type;
* the time and changelog rules are followed: windows, rolling windows, dedup, sorts (the time attribute
  ascending first) and patterns read an append-only stream with event or processing time; interval joins read
  two with event time; a temporal join reads a versioned table (an upsert or debezium_json source with event
  time, or a ``dedup ... keep last``) and compares its whole key; a lookup join reads a jdbc table from a stream
  with processing time; an updating stream goes to an upsert sink keyed like it (or a debezium_json topic), files
  take appends only.

Nothing is filtered through the checks: a spec the generator gets wrong is rejected by PipeGen and counted.
Seeds are plain integers, so a hypothesis strategy is ``st.integers(0, 2**32).map(generate)`` (``specs()``).
"""

from __future__ import annotations

import itertools
import random
import typing
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pipegen.compiler import ir
from pipegen.compiler import types as T
from pipegen.compiler.analyze import Analysis, Relation, analyze
from pipegen.compiler.analyze.relations import NO_MERGE
from pipegen.compiler.functions import AGGREGATES, FUNCTIONS, Function, Refused, returning_name
from pipegen.compiler.analyze.names import FORMATS as ORIGIN_FORMATS
from pipegen.compiler.printer import print_spec
from pipegen.compiler.registry import FAMILIES
from pipegen.compiler.registry import kind_of as kind_tag



def call_result(name: str, args: list[T.SqlType], star: bool) -> tuple[T.SqlType | None, str | None]:
    """The result type of a call, from the function's record."""
    t = FUNCTIONS[name].result([] if star else args)
    if isinstance(t, Refused):
        return None, t.message
    return (None, t) if isinstance(t, str) else (t, None)

__all__ = ["REQUIRED_FEATURES", "Generated", "degenerate", "features", "generate", "generate_text", "shrink", "specs"]

# ------------------------------------------------------------------ small helpers

KINDS = ("bool", "int", "num", "str", "ts", "date", "time", "bytes")
SCALAR_KINDS = ("bool", "int", "num", "str", "ts", "date")  # what an expression is usually asked for


def kind_of(t: T.SqlType) -> str | None:
    return {
        "BOOLEAN": "bool", "INT": "int", "BIGINT": "int", "FLOAT": "num", "DOUBLE": "num", "DECIMAL": "num",
        "STRING": "str", "TIMESTAMP": "ts", "DATE": "date", "TIME": "time", "BYTES": "bytes",
        "ROW": "complex", "ARRAY": "array", "MAP": "map",
    }.get(t.base)


PLAIN_KINDS = frozenset(KINDS)


def is_plain(t: T.SqlType) -> bool:
    """A value a key, a partition or an order can take: not a record, array or map (nor processing time)."""
    return kind_of(t) in PLAIN_KINDS


def fits(t: T.SqlType, want: str) -> bool:
    return kind_fits(kind_of(t), want)


def kind_fits(k: str | None, want: str) -> bool:
    """A value of kind ``k`` may stand where ``want`` is asked for (a whole number is a number)."""
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


# ------------------------------------------------------------------ functions, from their records
#
# Every call is drawn from ``pipegen.compiler.functions.FUNCTIONS``: which kinds of arguments a function takes
# and what kind of value it yields is found by asking its typing rule about one type of each kind (``signatures``),
# and the result type of a call is its rule's answer for the arguments made. A function added to the records is
# generated from then on, with no change here; ``LITERAL_ARGS`` only gives sensible values for arguments that are
# usually literals (a regular expression, a date pattern, a time zone), and is not needed for a new function.

PROBE: dict[str, T.SqlType] = {
    "bool": T.BOOLEAN, "int": T.INT, "num": T.DOUBLE, "str": T.STRING,
    "ts": T.SqlType("TIMESTAMP", precision=3), "date": T.SqlType("DATE"), "time": T.SqlType("TIME", precision=3),
    "array": T.SqlType("ARRAY", elem=T.STRING), "map": T.SqlType("MAP", elem=T.STRING),
}
MAX_PROBED_ARGS = 4  # variadic functions are made with up to this many arguments

REGEXES = ["[0-9]+", "^a", "id=([0-9]+)", "(x|y)$", "[^a-z]"]
ZONES = ["UTC", "Europe/Berlin", "America/New_York"]
LITERAL_ARGS: dict[tuple[str, int], list[str | int]] = {
    ("date_format", 1): DATE_FORMATS, ("to_timestamp", 1): DATE_FORMATS,
    ("regexp_extract", 1): REGEXES, ("regexp_extract", 2): [0, 1], ("regexp_replace", 1): REGEXES,
    ("regexp_replace", 2): ["", "-"], ("matches", 1): REGEXES, ("split_index", 1): [",", "/", "-"],
    ("split_index", 2): [0, 1, 2], ("lpad", 1): [2, 6], ("lpad", 2): ["0", " "], ("rpad", 1): [2, 6],
    ("rpad", 2): ["0", " "], ("convert_tz", 1): ZONES, ("convert_tz", 2): ZONES, ("concat_ws", 0): ["-", ", ", "|"],
    ("str_to_map", 1): [",", ";"], ("str_to_map", 2): ["=", ":"], ("round", 1): [0, 1, 2], ("truncate", 1): [0, 1, 2],
    ("substring", 1): [1, 2, 4], ("substring", 2): [1, 3, 5], ("left", 1): [1, 3], ("right", 1): [1, 4],
    ("listagg", 1): [",", " | ", ";"], ("power", 1): [2, 3, "0.5"], ("lag", 1): [1, 1, 2, 3],
}
# The JSON paths a user writes (lax by default; ``strict`` fails instead of giving null): a member, a nested one, an
# array's item, the whole document.
JSON_PATHS = ["$.id", "$.name", "$.a.b", "$.items[0]", "$.tags", "$.addresses[0].city", "$", "$[1]", "strict $.id",
              "lax $.amount"]
# The literal arguments of a function's record (``Function.literals``) are drawn from here, else from LITERAL_ARGS.
LITERAL_DEFAULT = JSON_PATHS
JSON_KEYS = ["id", "name", "amount", "tags", "at", "kind", "it's", "a b", "n"]
# Functions whose arguments are key, value pairs with keys that are never null (a string literal, as users write
# them), and whose values (and json_array's) may be of any type: made by ``Exprs.json_args``.
KEYED = frozenset({"json_object", "json_objectagg"})
ANY_VALUES = frozenset({"json_object", "json_array", "json_objectagg", "json_arrayagg"})


def _returning_type(name: str) -> ir.Type:
    """The spec type a ``returning`` name of a record stands for (``int``, ``array<string>``)."""
    if name.startswith("array<") and name.endswith(">"):
        return ir.ArrayType(items=ir.PrimitiveType(name=name[6:-1]))  # type: ignore[arg-type]
    return ir.PrimitiveType(name=name)  # type: ignore[arg-type]


@cache
def returning_kinds(name: str) -> tuple[tuple[ir.Type, T.SqlType, str], ...]:
    """(spec type, SQL type, kind) of every type ``name``'s record may be asked to return (``returning``), typed as
    the checks type it (an array's items may be null)."""
    out = []
    for rname in FUNCTIONS[name].returning:
        t = _returning_type(rname)
        sql = T.from_spec(t, True)
        if sql.base == "ARRAY" and sql.elem is not None:
            sql = T.SqlType("ARRAY", True, elem=sql.elem.with_null(True))
        assert returning_name(sql) == rname, (name, rname)  # a new kind of returning type: teach _returning_type
        out.append((t, sql, kind_of(sql)))
    return tuple(out)  # type: ignore[arg-type]


@cache
def signatures(name: str) -> tuple[tuple[tuple[str, ...], str], ...]:
    """(argument kinds, result kind) of every call of ``name`` that its record's rule accepts, with one probe type
    per kind and up to ``MAX_PROBED_ARGS`` arguments."""
    f = FUNCTIONS[name]
    out = []
    for n in range(f.min_args, min(f.max_args, f.min_args + 2, MAX_PROBED_ARGS) + 1):
        for kinds in itertools.product(PROBE, repeat=n):
            t = f.result([PROBE[k] for k in kinds])
            if isinstance(t, T.SqlType) and kind_of(t) is not None and kind_of(t) != "complex":
                out.append((kinds, kind_of(t)))  # type: ignore[arg-type]
    return tuple(out)


def functions_of(kind: str) -> list[Function]:
    return [f for f in FUNCTIONS.values() if f.kind == kind]


SCALARS = [f for f in functions_of("scalar") if not f.time_attribute]
TIME_ATTRIBUTE_FUNCTIONS = [f for f in functions_of("scalar") if f.time_attribute]


@dataclass(frozen=True)
class Udf:
    """A function of the user's own the generator may declare: its declaration and the kinds it takes."""

    name: str
    params: tuple[str, ...]  # spec types
    returns: str
    implementation: str

    def declaration(self) -> ir.Udf:
        return ir.Udf(name=self.name, params=tuple(ir.PrimitiveType(name=p) for p in self.params),  # type: ignore[arg-type]
                      returns=ir.PrimitiveType(name=self.returns), language="python",  # type: ignore[arg-type]
                      implementation=self.implementation)


# Functions of the user's own: the Python functions of ``diffudfs.py`` beside this file (Flink's planner asks the
# PyFlink client for their types, so the module must import in the planning process, as `validate` arranges;
# no Python worker is started to plan). Java functions are not generated: a `java "Class"` function needs a
# compiled class on the planner's classpath, and Flink reads its signature from the class, so the generator
# could only call the few classes it ships, compiled with javac at test time; the registration SQL is the same
# CREATE TEMPORARY FUNCTION apart from its LANGUAGE, and tests/test_udfs.py covers the declarations.
UDFS = (
    Udf("py_score", ("double", "string"), "double", "diffudfs.py_score"),
    Udf("py_label", ("string",), "string", "diffudfs.py_label"),
    Udf("py_bucket", ("long",), "int", "diffudfs.py_bucket"),
    Udf("py_flag", ("double",), "boolean", "diffudfs.py_flag"),
)
SPEC_KIND = {"double": "num", "string": "str", "long": "int", "int": "int", "boolean": "bool"}


# ------------------------------------------------------------------ expressions


class Exprs:
    """Typed expression builder over a scope.

    ``refs``: the columns allowed outside aggregates; ``agg_refs``: the columns allowed inside an aggregate
    (None: no aggregates here); ``nav``: pattern navigation (prev, first, last) is allowed;
    ``no_merge``: the aggregates Flink cannot merge (``NO_MERGE``) are not (a hop, cumulate or session window);
    ``time_cols``: the event-time columns in scope (what a function of a time attribute takes);
    ``udfs``: the functions of the user's own the spec declares; ``stage``: the kind of stage whose measures
    these are (a record's ``stages`` keeps a function to some: ``lag`` to a rolling stage, the JSON aggregates to
    an aggregate); ``framed``: a rolling stage with a window (``lag`` runs only on none, E701).
    """

    def __init__(self, rng: random.Random, refs: list[Ref], agg_refs: list[Ref] | None = None, nav: bool = False,
                 no_merge: bool = False, nav_refs: list[Ref] | None = None,
                 time_cols: list[tuple[str, ...]] | None = None, udfs: tuple[Udf, ...] = (),
                 stage: str | None = None, framed: bool = False) -> None:
        self.r = rng
        self.refs = refs
        self.agg_refs = agg_refs
        self.nav = nav
        self.no_merge = no_merge
        self.nav_refs = nav_refs if nav_refs is not None else refs
        self.time_cols = time_cols or []
        self.udfs = udfs
        self.stage = stage
        self.framed = framed

    def allowed(self, f: Function) -> bool:
        """Whether an aggregate may be called in these measures (its record's stages; lag not on a window)."""
        return (not f.stages or self.stage in f.stages) and not (f.name == "lag" and self.framed) and not (
            self.no_merge and f.name in NO_MERGE)

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
        if want in ("array", "map"):  # a column of that kind, or a function that makes one (array_of, map_of...)
            got = self.column(want) if self.r.random() < 0.7 else None
            return got or self.fn_call(want, max(depth - 1, 0))
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
        choice = r.choices(["cmp", "and", "or", "not", "isnull", "between", "in", "like", "case", "col", "cmpnull",
                            "fn"], [8, 2, 2, 1, 2, 2, 2, 2, 1, 1, 0.2, 1])[0]
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
        if choice == "fn":
            return self.fn_call("bool", d)
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
        options = ["arith", "neg", "case", "cast", "mod", "fn"]
        weights = [8, 1, 1, 2, 1, 10]
        if not integral:
            options.append("div")
            weights.append(2)
        choice = r.choices(options, weights)[0]
        if choice in ("arith", "div"):
            op = r.choice(["+", "-", "*"]) if choice == "arith" else "/"
            a, ta = self.gen(want, d)
            b, tb = self.gen(want, d)
            return ir.Binary(op=op, left=a, right=b), T.numeric_result(ta, tb, op)
        if choice == "mod":
            a, ta = self.gen("int", d)
            b, tb = self.gen("int", d)
            return ir.Binary(op="%", left=a, right=b), T.numeric_result(ta, tb, "%")
        if choice == "neg":
            a, ta = self.gen(want, d)
            if r.random() < 0.2:
                a = ir.Neg(operand=a)  # -(-x)
            return ir.Neg(operand=a), ta
        if choice == "case":
            return self._case(want, d)
        if choice == "fn":
            return self.fn_call(want, d)
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

    def fn_call(self, want: str, d: int) -> tuple[ir.Expr, T.SqlType]:
        """A call of a function of the records (or of the user's own) that yields ``want``; its result type is
        what the function's rule says of the arguments made (or the type a ``returning`` clause asks for)."""
        r = self.r
        fns: list[Any] = [f for f in SCALARS if any(k == want for _, k in signatures(f.name))
                          or any(kind_fits(k, want) for _, _, k in returning_kinds(f.name))]
        fns += [u for u in self.udfs if SPEC_KIND[u.returns] == want]
        if want == "ts" and self.time_cols:
            fns += TIME_ATTRIBUTE_FUNCTIONS
        for _ in range(4):
            if not fns:
                break
            f = r.choice(fns)
            asked = None
            if isinstance(f, Udf):
                args = tuple(self.gen(SPEC_KIND[p], d)[0] for p in f.params)
                return ir.Call(name=f.name, args=args), T.from_spec(f.declaration().returns, True)
            if f.time_attribute:
                args = (col(*r.choice(self.time_cols)),)
                types = [T.SqlType("TIMESTAMP", False, precision=3)]
            else:
                # `returning T` where the record offers a type of that kind: always where only it gives one
                # (json_value(... returning int) for a number), now and then where the plain call does too.
                returns = [(t, sql) for t, sql, k in returning_kinds(f.name) if kind_fits(k, want)]
                plain = any(k == want for _, k in signatures(f.name))
                if returns and (not plain or r.random() < 0.3):
                    asked = r.choice(returns)
                if f.name in ANY_VALUES:
                    args, types = self.json_args(f.name, d)
                else:
                    sigs = [ks for ks, k in signatures(f.name) if (asked is not None or k == want)
                            and (d > 0 or not {"array", "map"} & set(ks))]  # no arrays of arrays of ... at the bottom
                    if not sigs:
                        continue
                    kinds = r.choice(sigs)
                    if any(k in ("bytes", "time") and not self._of(k) for k in kinds):
                        continue
                    args, types = self._call_args(f.name, kinds, d)
            t, _why = call_result(f.name, types, False)
            if t is not None and asked is not None:
                return ir.Call(name=f.name, args=args, returning=asked[0]), asked[1]
            if t is not None and fits(t, want):
                return ir.Call(name=f.name, args=args), t
        return self.leaf(want) if want not in ("array", "map") else self.literal("str")

    def json_key(self) -> tuple[ir.Expr, T.SqlType]:
        """A key of json_object: a string literal, as users write them, now and then a string column that is never
        null (the checks refuse a key that may be null)."""
        cols = [f for f in self.refs if f.type.base == "STRING" and not f.type.nullable]
        if cols and self.r.random() < 0.15:
            f = self.r.choice(cols)
            return col(*f.path), f.type
        return ir.StringLit(value=self.r.choice(JSON_KEYS)), T.STRING.with_null(False)

    def value(self, d: int, named: bool = False) -> tuple[ir.Expr, T.SqlType]:
        """A value of any type (a JSON constructor's): mostly scalars, sometimes a record, array or map column, a
        nested json_object or json_array, a typed null; ``named``: one that names a column (an aggregate's)."""
        r = self.r
        for _ in range(6):
            roll = r.random()
            nested = [f for f in self.refs if f.kind in ("array", "map", "complex")]
            if roll < 0.12 and nested:
                f = r.choice(nested)
                return col(*f.path), f.type
            if roll < 0.2 and d > 0:
                name = r.choice(["json_object", "json_array"])
                args, types = self.json_args(name, d - 1)
                e: ir.Expr = ir.Call(name=name, args=args)
                t, _ = call_result(name, types, False)
            elif roll < 0.23 and not named:
                to = ir.PrimitiveType(name=r.choice(["string", "int", "double"]))  # type: ignore[arg-type]
                return ir.Cast(operand=ir.NullLit(), to=to), T.from_spec(to, True)
            else:
                k = self.pick_kind(("bool", "int", "num", "str", "ts", "date", "time", "bytes"))
                e, t = self.arg(k, d) if named else self.gen(k, d)
            if t is not None and (not named or has_column(e)):
                return e, t
        return self.arg("str", d)

    def json_args(self, name: str, d: int) -> tuple[tuple[ir.Expr, ...], list[T.SqlType]]:
        """The arguments of a JSON constructor: key, value pairs (json_object, json_objectagg: its key a string
        expression of the group), or values (json_array, json_arrayagg: one)."""
        r = self.r
        agg = FUNCTIONS[name].kind == "agg"
        n = 1 if agg else r.choices([0, 1, 2, 3, 5], [1, 6, 6, 3, 1])[0]
        n = min(n, FUNCTIONS[name].max_args // (2 if name in KEYED else 1))
        args: list[ir.Expr] = []
        types: list[T.SqlType] = []
        keys = r.sample(JSON_KEYS, len(JSON_KEYS))  # keys of one object differ, as a user's do
        for i in range(n):
            if name in KEYED:
                k, kt = self.arg("str", d) if agg else self.json_key()
                if isinstance(k, ir.StringLit):
                    k = ir.StringLit(value=keys[i])
                args.append(k)
                types.append(kt)
            v, vt = self.value(d, named=agg)
            args.append(v)
            types.append(vt)
        return tuple(args), types

    def _call_args(self, name: str, kinds: tuple[str, ...], d: int) -> tuple[tuple[ir.Expr, ...], list[T.SqlType]]:
        r = self.r
        args: list[ir.Expr] = []
        types: list[T.SqlType] = []
        named = False  # the first argument that is not a usual literal names a column: no call of constants
        literals = FUNCTIONS[name].literals if name in FUNCTIONS else ()
        for i, k in enumerate(kinds):
            if i in literals:  # a string literal by the record (a JSON path)
                args.append(ir.StringLit(value=str(r.choice(LITERAL_ARGS.get((name, i)) or LITERAL_DEFAULT))))
                types.append(T.STRING.with_null(False))
                continue
            hint = LITERAL_ARGS.get((name, i))
            if hint and k in ("str", "int", "num") and r.random() < 0.9:
                v = r.choice(hint)
                e: ir.Expr = ir.StringLit(value=v) if isinstance(v, str) and k == "str" else num(v)
                args.append(e)
                types.append(T.STRING.with_null(False) if k == "str" else
                             T.INT.with_null(False) if "." not in str(v) else
                             T.SqlType("DECIMAL", False, precision=len(str(v)) - 1, scale=len(str(v).split(".")[1])))
                continue
            if not named and (name == "coalesce" or r.random() < 0.85) and k not in ("array", "map"):
                e, t = self.arg(k, d)
            elif name == "coalesce" and i > 0 and r.random() < 0.15:
                e, t = ir.NullLit(), T.NULL
            else:
                e, t = self.gen(k, d)
            named = True
            args.append(e)
            types.append(t)
        return tuple(args), types

    def _int(self, d: int) -> tuple[ir.Expr, T.SqlType]:
        return self._numeric("int", d)

    def _num(self, d: int) -> tuple[ir.Expr, T.SqlType]:
        return self._numeric("num", d)

    def _str(self, d: int) -> tuple[ir.Expr, T.SqlType]:
        r = self.r
        choice = r.choices(["fn", "case", "cast"], [8, 1, 2])[0]
        if choice == "fn":
            return self.fn_call("str", d)
        if choice == "case":
            return self._case("str", d)
        k = self.pick_kind(("int", "num", "bool", "ts", "date", "time", "str"))
        a, ta = self.gen(k, d)
        return ir.Cast(operand=a, to=ir.PrimitiveType(name="string")), T.STRING.with_null(ta.nullable)

    def _ts(self, d: int) -> tuple[ir.Expr, T.SqlType]:
        r = self.r
        choice = r.choices(["plus", "minus", "iplus", "fn", "case", "cast"], [3, 2, 1, 3, 1, 1])[0]
        if choice in ("plus", "minus", "iplus"):
            a, ta = self.gen("ts", d)
            i = ir.IntervalLit(duration=self.duration(zero=False))
            if choice == "iplus":
                return ir.Binary(op="+", left=i, right=a), ta
            return ir.Binary(op="+" if choice == "plus" else "-", left=a, right=i), ta
        if choice == "fn":
            return self.fn_call("ts", d)
        if choice == "case":
            return self._case("ts", d)
        a, ta = self.gen("str", 0)
        p = r.choice([3, 6])
        return ir.Cast(operand=a, to=ir.TimestampType(precision=p)), T.SqlType("TIMESTAMP", True, precision=p)

    def _date(self, d: int) -> tuple[ir.Expr, T.SqlType]:
        r = self.r
        choice = r.choices(["cast_ts", "plus", "fn", "case"], [3, 1, 2, 1])[0]
        if choice == "cast_ts":
            a, ta = self.gen("ts", d)
            return ir.Cast(operand=a, to=ir.PrimitiveType(name="date")), T.SqlType("DATE", ta.nullable)
        if choice == "plus":
            a, ta = self.gen("date", d)
            return ir.Binary(op=r.choice(["+", "-"]), left=a,
                             right=ir.IntervalLit(duration=dur(r.randint(1, 30), "d"))), ta
        if choice == "fn":
            return self.fn_call("date", d)
        return self._case("date", d)

    def duration(self, zero: bool = True, small: bool = False) -> ir.Duration:
        r = self.r
        unit = r.choices(UNITS, [1, 5, 4, 2, 1] if not small else [1, 5, 3, 1, 0])[0]
        value = r.choice([1, 1, 2, 5, 10, 15, 30, 90] + ([0] if zero else []))
        return dur(value, unit)

    # -------------------------------------------------- aggregates
    def agg_call(self, want: str) -> tuple[ir.Expr, T.SqlType]:
        """An aggregate of the records yielding ``want`` (int, num, str, ts), over expressions of ``agg_refs``."""
        assert self.agg_refs is not None
        r = self.r
        inner = Exprs(r, self.agg_refs, nav=self.nav, no_merge=self.no_merge, nav_refs=self.nav_refs,
                      udfs=self.udfs)
        if not inner._of(want):
            want = "int"  # nothing of that kind to aggregate: count
        depth = r.choice([0, 0, 1, 2])
        if want == "int" and (r.random() < 0.5 or not inner._of("int")):
            choice = r.choice(["count*", "count*", "count", "distinct"])
            if choice == "count*":
                return ir.Call(name="count", star=True), T.BIGINT.with_null(False)
            k = inner.col_kind(("int", "num", "str", "ts", "bool", "date"))
            a, _ = inner.arg(k, depth)
            return ir.Call(name="count", args=(a,), distinct=choice == "distinct"), T.BIGINT.with_null(False)
        # A kind of argument there is a column of, for each aggregate that yields `want` from it.
        fns = {}
        for f in functions_of("agg"):
            if f.name == "count" or not self.allowed(f):
                continue
            if f.name in ANY_VALUES:  # json_arrayagg(v), json_objectagg(k, v) of any type of value
                if kind_fits("str", want):
                    fns[f.name] = [()]
                continue
            ok = [ks for ks, k in signatures(f.name) if kind_fits(k, want)]
            ok = [ks for ks in ok if inner._of(ks[0]) and all(k in ("str", "int") for k in ks[1:])]
            if ok:
                fns[f.name] = ok
        if not fns:
            return ir.Call(name="count", star=True), T.BIGINT.with_null(False)
        name = r.choice(sorted(fns))
        kinds = r.choice(fns[name])
        if name in ANY_VALUES:
            args, types = inner.json_args(name, depth)
        else:
            a, ta = inner.arg(kinds[0], depth)
            rest, rest_types = inner._call_args(name, kinds, depth)
            args, types = (a, *rest[1:]), [ta, *rest_types[1:]]
        t, _ = call_result(name, types, False)
        distinct = name in ("sum", "count") and r.random() < 0.2
        return ir.Call(name=name, args=args, distinct=distinct), t or T.DOUBLE

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
            return ir.Binary(op=op, left=a, right=b), T.numeric_result(ta, tb, op)
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
        choice = r.choices(["prev", "first", "last", "plain", "agg"], [3 if in_define else 0, 2, 2, 2, 1])[0]
        if choice == "prev":  # of a plain column (the checks refuse prev(v.x): E203)
            target = col(*f.path)
            args = (target,) if r.random() < 0.6 else (target, num(r.randint(1, 3)))
            return ir.Call(name="prev", args=args), f.type.with_null(True)
        if choice in ("first", "last"):
            return ir.Call(name=choice, args=(qualified,)), f.type.with_null(True)
        if choice == "agg":  # an aggregate of the records over the variable's rows
            names = [g.name for g in functions_of("agg") if self.allowed(g) and any(
                ks == (kind_of(f.type),) and kind_fits(k, want) for ks, k in signatures(g.name))]
            if names:
                name = r.choice(names)
                t, _ = call_result(name, [f.type], False)
                if t is not None:
                    return ir.Call(name=name, args=(qualified,)), t
        return qualified, f.type


# ------------------------------------------------------------------ source types

PRIMITIVES = ["string", "int", "long", "float", "double", "boolean", "bytes", "date", "time", "uuid"]
FIELD_NAMES = ["user_id", "amount", "price", "qty", "name", "city", "status", "score", "country", "category",
               "device", "level", "ratio", "note", "code", "region", "total", "flag", "kind_", "label", "value",
               "user", "order", "count", "window", "time", "year", "key", "data", "select", "from", "desc"]


# Connector options by origin, each (where: any/source/sink, the format it needs or None, key, values): options
# Flink's connector for that origin takes (an option it does not take is for `validate --engine flink` to find,
# by design, not a disagreement). KAFKA_ONLY: what the upsert-kafka connector does not take.
OPTIONS: dict[str, list[tuple[str, str | None, str, list[str]]]] = {
    "topic": [("source", None, "scan.startup.mode", ["latest-offset", "earliest-offset"]),
              ("source", None, "properties.group.id", ["diff-group"]),
              ("any", None, "properties.client.id", ["diff"]),
              ("source", "json", "value.json.ignore-parse-errors", ["true"]),
              ("source", "debezium_json", "value.debezium-json.ignore-parse-errors", ["true"]),
              ("sink", None, "sink.delivery-guarantee", ["at-least-once", "none"])],
    # Not "sink.parallelism": Flink takes it only where the rows' key survives a redistribution ("The sink for
    # table ... has a configured parallelism of 2, while the input parallelism is -1"), a rule of the query, not
    # of the connector (2026-12-01: 14 of 1000 specs); `validate --engine flink` is where a user learns it.
    "files": [("source", None, "source.monitor-interval", ["1 min"]),
              ("source", "json", "json.ignore-parse-errors", ["true"]),
              ("any", "csv", "csv.field-delimiter", [";", "|"]),
              ("sink", None, "sink.rolling-policy.file-size", ["64MB"]),
              ("sink", None, "sink.rolling-policy.rollover-interval", ["10 min"])],
    "jdbc": [("source", None, "lookup.max-retries", ["5"]), ("source", None, "lookup.partial-cache.max-rows", ["500"])],
    "datagen": [("source", None, "number-of-rows", ["1000"]), ("source", None, "rows-per-second", ["5"])],
}
FORMAT_DEFAULT = {"topic": "avro", "files": "json", "jdbc": None, "datagen": None}
KAFKA_ONLY = frozenset({"scan.startup.mode", "sink.delivery-guarantee"})


class Sources:
    """Field types; ``flat``: scalars only (a database table's columns)."""

    def __init__(self, rng: random.Random, flat: bool = False) -> None:
        self.r = rng
        self.flat = flat

    def type_(self, depth: int = 0) -> ir.Type:
        r = self.r
        roll = r.random()
        if self.flat and roll < 0.17:
            roll += 0.17
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
        self.udfs: tuple[Udf, ...] = tuple(self.r.sample(UDFS, self.r.randint(1, 3))) if self.r.random() < 0.12 else ()
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

    def remove(self, name: str) -> None:
        self.statements = [st for st in self.statements if st.name != name]
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
            functions=tuple(u.declaration() for u in self.udfs),
        )

    def options(self, origin: str, fmt: str | None, *, source: bool, upsert: bool) -> tuple[ir.TableOption, ...]:
        """A few connector options Flink's connector of that origin takes (``options { ... }``), or none."""
        if self.r.random() > 0.15:
            return ()
        pool = [o for o in OPTIONS[origin] if o[0] in ("any", "source" if source else "sink")
                and (o[1] is None or o[1] == (fmt or FORMAT_DEFAULT[origin]))
                and not (upsert and o[2] in KAFKA_ONLY)]
        picked = self.r.sample(pool, min(len(pool), self.r.randint(1, 2)))
        return tuple(ir.TableOption(key=k, value=self.r.choice(vs)) for _, _, k, vs in picked)

    # -------------------------------------------------- sources
    def source(self, join_key: tuple[str, ir.Type], versioned: bool, origin: str | None = None,  # noqa: C901 - one table of random choices; splitting it hides which choices go together
               proc: bool = False) -> ir.Source:
        """A source: a Kafka topic (avro, json or a debezium_json changelog), files (json or csv), datagen rows,
        or a jdbc table (only for a lookup join: ``origin="jdbc"``). ``versioned``: keyed, updating, with event
        time (the right side of a temporal join); ``proc``: with a processing-time column."""
        r = self.r
        gen = Sources(r, flat=origin == "jdbc" and r.random() < 0.9)
        name = self.fresh("src")
        if origin is None:
            origin = "topic" if versioned else r.choices(["topic", "files", "datagen"], [14, 1, 1])[0]
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
        proc_time = None
        if origin != "jdbc" and (proc or r.random() < 0.15):
            proc_time = r.choice([n for n in ("proc_time", "seen", "pt") if n not in used])
        timed = origin != "jdbc" and (versioned or r.random() < (0.5 if proc_time else 0.88))
        event_time = None
        if timed:
            event_time = r.choice(["ts", "event_time_", "created_at", "timestamp"])
            fields.insert(r.randint(0, len(fields)), ir.FieldDef(name=event_time, type=ir.TimestampType(precision=3)))
        fmt: str | None = None
        if origin == "topic":
            fmt = "debezium_json" if r.random() < (0.3 if versioned else 0.07) else r.choice([None, "avro", "json"])
        elif origin == "files":
            fmt = r.choice([None, "json", "csv"])
        key: tuple[str, ...] = ()
        mode = None
        if origin == "topic" and (versioned or fmt == "debezium_json"):
            key, mode = (join_key[0],), None if fmt == "debezium_json" else "upsert"
        elif origin == "topic" and r.random() < 0.3:
            key = (join_key[0],)
            mode = r.choice([None, "append"])
        elif origin == "jdbc" and r.random() < 0.7:
            key = (join_key[0],)
        hints: list[Any] = []
        for f in fields:
            if isinstance(f.type, ir.EnumType) and r.random() < 0.5:
                hints.append(ir.WeightsHint(field=f.name, weights=tuple(
                    ir.Weight(symbol=s, weight=num(r.randint(1, 5))) for s in f.type.symbols)))
            elif isinstance(f.type, ir.PrimitiveType) and f.type.name in ("int", "double") and r.random() < 0.3:
                hints.append(ir.RangeHint(field=f.name, low="1", high="500"))
        generate = None
        if hints or r.random() < (0.6 if origin == "datagen" else 0.1):
            generate = ir.Generate(rate=r.choice([None, 100]), hints=tuple(hints))
        return ir.Source(
            name=name, description=r.choice([None, "Events"]), topic=f"in.{name}-{self.seed}" if origin == "topic"
            else None, jdbc=ir.JdbcTable(url="jdbc:postgresql://localhost:5432/shop", table=f"t_{name}")
            if origin == "jdbc" else None, files=f"/data/in/{name}" if origin == "files" else None,
            datagen=origin == "datagen", format=fmt, fields=tuple(fields), key=key, mode=mode,
            event_time=event_time, watermark=dur(r.choice([0, 1, 5, 30]), r.choice(["s", "s", "ms", "min"]))
            if timed else None, processing_time=proc_time, generate=generate,
            options=self.options(origin, fmt, source=True, upsert=mode == "upsert"))

    # -------------------------------------------------- stage helpers
    def scalar_refs(self, rel: Relation, top: bool = False) -> list[Ref]:
        return [f for f in refs_of(rel, nested=not top) if is_plain(f.type)]

    def exprs(self, rel: Relation, **kw: Any) -> Exprs:
        return Exprs(self.r, refs_of(rel), udfs=self.udfs, **kw)

    def time_column(self, rel: Relation) -> str:
        """The column a window, a rolling window or the order of a dedup or pattern runs on: the event time, or
        the processing time (always, when there is no event time; else now and then)."""
        if rel.proc_time is not None and (rel.event_time is None or self.r.random() < 0.35):
            return rel.proc_time
        assert rel.event_time is not None
        return rel.event_time

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
        ex = self.exprs(rel, time_cols=[(rel.event_time,)] if rel.event_time else [])
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
                if rel.proc_time and r.random() < 0.85:
                    must.add(rel.proc_time)
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
            if r.random() < 0.06:  # an array made here (array_of...), for an unnest downstream
                items.append(ir.SelectItem(alias=self.alias("arr", out), expr=ex.gen("array", 2)[0]))
            if not star and not items:
                items.append(ir.SelectItem(expr=col(rel.columns[0].name)))
            select = ir.Select(star=star, items=tuple(items))
        return ir.Transform(name=self.fresh("transform"), input=inp, where=where, select=select,
                            description=r.choice([None, None, "Filter and project"]))

    def window(self, rel: Relation) -> Any:
        r = self.r
        et = self.time_column(rel)
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
        timed = (rel.event_time is not None or rel.proc_time is not None) and not rel.updating
        window = self.window(rel) if timed and r.random() < 0.8 else None
        session = isinstance(window, ir.Session)
        top = self.scalar_refs(rel, top=session)
        top = [f for f in top if f.path[-1] not in ("window_start", "window_end", "window_time")]
        if session:  # a session grouped by a time attribute is an updating aggregate in Flink (E701)
            top = [f for f in top if f.path not in ((rel.event_time,), (rel.proc_time,))]
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
        no_merge = window is not None and not isinstance(window, ir.Tumble)
        ex = Exprs(r, outside, agg_refs=refs_of(rel), no_merge=no_merge, udfs=self.udfs, stage="aggregate")
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
            hx = Exprs(r, outside + mtypes, agg_refs=refs_of(rel), no_merge=no_merge, udfs=self.udfs,
                       stage="aggregate")
            if r.random() < 0.5:
                having = hx.cond(1)[0]
            else:
                having = hx.measure("bool")[0]
        return ir.Aggregate(name=self.fresh("agg"), input=inp, where=where, window=window,
                            group_by=tuple(col(*f.path) for f in keys), measures=tuple(measures), having=having)

    def rolling(self, inp: str) -> ir.Rolling:
        """A rolling stage: a window of time or rows before each row, or none (every row before, in time order),
        where ``lag`` goes."""
        r = self.r
        rel = self.rel(inp)
        assert rel is not None
        column = self.time_column(rel)
        roll = r.random()
        if roll < 0.35:
            over: Any = ir.OverRange(column=column, preceding=dur(r.choice([1, 5, 10, 60]),
                                                                   r.choice(["s", "min", "h"])))
        elif roll < 0.7:
            over = ir.OverRows(column=column, rows=r.choice([1, 2, 5, 20]))
        else:
            over = None
        parts = self.scalar_refs(rel)
        partition = [col(*f.path) for f in r.sample(parts, min(len(parts), r.choice([0, 1, 1, 2])))]
        ex = Exprs(r, refs_of(rel), agg_refs=refs_of(rel), udfs=self.udfs, stage="rolling", framed=over is not None)
        taken = self.taken(rel)
        measures = []
        for _ in range(r.randint(1, 3)):
            if over is None and r.random() < 0.6:
                e: ir.Expr = self.lag_measure(ex)
            elif r.random() < 0.2:
                a, _ = ex.arg("num", 0)
                b, _ = ex.agg_call("num")
                e = ir.Binary(op="-", left=a, right=b)
            else:
                e, _ = ex.measure(r.choice(["int", "num", "num", "str", "ts"]))
            measures.append(ir.Measure(name=self.alias("roll", taken), expr=e))
        return ir.Rolling(name=self.fresh("rolling"), input=inp, partition_by=tuple(partition), over=over,
                          measures=tuple(measures))

    def lag_measure(self, ex: Exprs) -> ir.Expr:
        """What users compute with ``lag``: the value before (of any column or expression), N rows before, the
        change since (``x - lag(x)``, seconds since the row before, whether a value changed), or a default."""
        r = self.r

        def lag(e: ir.Expr) -> ir.Call:
            if r.random() < 0.3:  # lag(x, n): n rows before, a literal (now and then a whole-number column)
                n, _ = ex.arg("int", 0) if r.random() < 0.05 and ex._of("int") else ex.literal("int")
                if isinstance(n, ir.NumberLit):
                    n = num(r.choice(LITERAL_ARGS[("lag", 1)]))
                return ir.Call(name="lag", args=(e, n))
            return ir.Call(name="lag", args=(e,))

        roll = r.random()
        if roll < 0.25 and ex._of("num"):
            a, _ = ex.column("num")  # type: ignore[misc]
            return ir.Binary(op="-", left=a, right=lag(a))
        if roll < 0.35 and ex._of("ts"):
            a, _ = ex.column("ts")  # type: ignore[misc]
            fn = r.choice(["seconds_between", "minutes_between"])
            return ir.Call(name=fn, args=(lag(a), a))
        if roll < 0.45:
            k = ex.col_kind(("int", "num", "str", "bool", "date"))
            a, _ = ex.arg(k, 0)
            return ir.Binary(op=r.choice(["!=", "="]), left=a, right=lag(a))
        if roll < 0.5:
            k = ex.col_kind(("int", "num", "str"))
            a, _ = ex.arg(k, 0)
            return ir.Call(name="coalesce", args=(lag(a), a))
        nested = [f for f in ex.refs if f.kind in ("array", "map", "complex") or len(f.path) > 1]
        if roll < 0.6 and nested:
            return lag(col(*r.choice(nested).path))  # a record, array, map or nested field
        if roll < 0.7:
            return lag(ex.arg(ex.col_kind(), 1)[0])  # of an expression
        return lag(ex.arg(ex.col_kind(("bool", "int", "num", "str", "ts", "date", "time", "bytes")), 0)[0])

    def dedup(self, inp: str, keep: str | None = None) -> ir.Dedup:
        r = self.r
        rel = self.rel(inp)
        assert rel is not None
        cands = [c.name for c in rel.columns if is_plain(c.type) and c.name != rel.event_time]
        key = tuple(r.sample(cands, min(len(cands), r.choice([1, 1, 2])))) or (rel.columns[0].name,)
        return ir.Dedup(name=self.fresh("dedup"), input=inp, key=key, keep=keep or r.choice(["first", "last"]))

    def topn(self, inp: str) -> ir.TopN:
        r = self.r
        rel = self.rel(inp)
        assert rel is not None
        top = [c.name for c in rel.columns if is_plain(c.type)
               and c.name not in ("window_start", "window_end", "window_time")]
        partition = [col(n) for n in r.sample(top, min(len(top), r.choice([0, 1, 1, 2])))]
        orderable = [f for f in self.scalar_refs(rel) if f.kind in ("int", "num", "str", "ts", "date")]
        order = tuple(ir.OrderItem(column=col(*f.path), direction=r.choice(["asc", "desc"]))
                      for f in r.sample(orderable, min(len(orderable), r.choice([1, 1, 2]))))
        if not order:
            order = (ir.OrderItem(column=col(rel.columns[0].name), direction="desc"),)
        return ir.TopN(name=self.fresh("topn"), input=inp, partition_by=tuple(partition), order_by=order,
                       limit=r.choice([1, 3, 5, 10]))

    def sort(self, inp: str) -> ir.Sort:
        """A sort: first the input's time attribute ascending (its event time, its processing time, a windowed
        aggregate's window_time), then a few columns either way: mostly plain ones (a nested field too), now and
        then a record or an array (only a map is refused, E201)."""
        r = self.r
        rel = self.rel(inp)
        assert rel is not None
        time = self.time_column(rel)
        order = [ir.OrderItem(column=col(time), direction="asc")]
        cands = [f for f in refs_of(rel) if f.kind != "map" and f.path != (time,)]
        plain = [f for f in cands if is_plain(f.type)]
        for _ in range(r.choice([0, 1, 1, 1, 2, 3])):
            pool = cands if r.random() < 0.08 or not plain else plain
            left = [f for f in pool if all(o.column.path != f.path for o in order)]
            if not left:
                break
            f = r.choice(left)
            order.append(ir.OrderItem(column=col(*f.path), direction=r.choice(["asc", "desc"])))
        return ir.Sort(name=self.fresh("sort"), input=inp, order_by=tuple(order),
                       description=r.choice([None, None, "In time order"]))

    def pattern(self, inp: str) -> ir.Pattern:
        r = self.r
        rel = self.rel(inp)
        assert rel is not None
        top = [c.name for c in rel.columns if is_plain(c.type) and c.name != rel.event_time]
        partition = [col(n) for n in r.sample(top, min(len(top), r.choice([0, 1, 1, 2])))]
        n = r.choice([1, 2, 2, 3, 4])
        variables = [f"pv{i}" for i in range(1, n + 1)]
        seq = []
        for i, v in enumerate(variables):
            q = None
            if i < n - 1:
                q = r.choices([None, "+", "*", "?", "{2,}", "{1,3}"], [4, 2, 1.5, 1.5, 1, 1])[0]
                before = seq[-1].quantifier if seq else None
                if q in ("?", "*") and before in ("+", "*", "{2,}", "{1,3}"):
                    q = None  # Flink: "Optional pattern cannot be preceded by greedy pattern" (E701)
            seq.append(ir.PatternTerm(variable=v, quantifier=q))
        refs = self.scalar_refs(rel)
        defines = []
        for v in variables:
            if r.random() < 0.8 or not defines:
                vx = PatternExprs(r, refs, v, variables, self.udfs)
                defines.append(ir.Define(variable=v, condition=vx.cond(2)[0]))
        taken = {p.path[0] for p in partition}
        measures = []
        mx = PatternExprs(r, refs, None, variables, self.udfs)
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
        if kind == "lookup":  # any column of the table may be looked up by; its key the most often
            named = [b for b in rrefs if b.path[-1] in rrel.key and r.random() < 0.8] or rrefs
            b = r.choice(named)
            same = [a for a in lrefs if kind_of(a.type) == kind_of(b.type)]
            if not same:
                return None
            a = next((x for x in same if x.path == b.path), r.choice(same))
            eqs.append(ir.Binary(op="=", left=col(left, *a.path), right=col(right, *b.path)))
        elif kind == "temporal":
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
        times = [(q, rel.event_time) for q, rel in ((left, lrel), (right, rrel)) if rel.event_time]
        ex = Exprs(r, scope, udfs=self.udfs, time_cols=times)
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

        if kind in ("interval", "temporal", "lookup") and lrel.event_time and r.random() < 0.9:
            bare(left, lrel.event_time)
        if kind == "lookup" and lrel.proc_time and r.random() < 0.5:
            bare(left, lrel.proc_time)
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
            return c is not None and is_plain(c.type)

        if not any(plain(it) for it in items):  # keep a column an upsert sink can be keyed by
            names = [c.name for c in lrel.columns if is_plain(c.type)]
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
        """A sink: a Kafka topic (avro, json, or a debezium_json changelog of an updating stream), or files
        (json or csv, appends only, now and then partitioned by a column)."""
        r = self.r
        rel = self.rel(inp)
        assert rel is not None
        plain = [c.name for c in rel.columns if is_plain(c.type)]
        name = self.fresh("sink")
        self.sink_topics += 1
        if not rel.updating and r.random() < 0.08:
            fmt = r.choice([None, "json", "csv"])
            parts = tuple(r.sample(plain, min(len(plain), r.choice([1, 1, 2])))) if r.random() < 0.5 else ()
            return ir.Sink(name=name, input=inp, files=f"/data/out/{self.seed}/{self.sink_topics}", format=fmt,
                           partitioned_by=parts, options=self.options("files", fmt, source=False, upsert=False))
        key: tuple[str, ...] = ()
        mode = None
        fmt = r.choice([None, "avro", "json"])
        if rel.updating and r.random() < 0.15:
            fmt = "debezium_json"  # a changelog topic takes the updates as they are
            key = tuple(rel.key) if rel.key and r.random() < 0.5 else ()
        elif rel.updating:
            mode = "upsert"
            key = tuple(rel.key) if rel.key else tuple(r.sample(plain, min(len(plain), 1)))
        elif plain and r.random() < 0.3:
            key = tuple(r.sample(plain, min(len(plain), r.choice([1, 1, 2]))))
            mode = r.choice([None, "append", "upsert"])
        elif r.random() < 0.2:
            mode = "append"
        return ir.Sink(name=name, input=inp, topic=f"out_{self.seed}.{self.sink_topics}", format=fmt, key=key,
                       mode=mode, description=r.choice([None, "Results"]),
                       options=self.options("topic", fmt, source=False, upsert=mode == "upsert"))

    def union(self, inp: str) -> ir.Union:
        """A union of two or three branches of ``inp`` with the same column names (in other orders, a computed
        column of types that widen, e.g. int and double), or of ``inp`` and a filter of it."""
        r = self.r
        rel = self.rel(inp)
        assert rel is not None
        ex = self.exprs(rel)
        if r.random() < 0.3:
            part = ir.Transform(name=self.fresh("part"), input=inp, where=ex.cond(2)[0])
            self.add(part)
            return ir.Union(name=self.fresh("union"), inputs=(inp, part.name) if r.random() < 0.5 else (part.name, inp))
        must = set(rel.key) | {t for t in (rel.event_time, rel.proc_time) if t and r.random() < 0.9}
        keep = [c.name for c in rel.columns if c.name in must or r.random() < 0.5] or [rel.columns[0].name]
        kind = ex.col_kind(("int", "num", "str", "ts", "bool"))
        computed = self.alias(f"u_{kind}", set(keep))
        branches = []
        for i in range(r.choice([2, 2, 3])):
            order = keep if i == 0 else r.sample(keep, len(keep))
            k = r.choice(["int", "num"]) if kind in ("int", "num") else kind
            items = [ir.SelectItem(expr=col(n)) for n in order]
            items.insert(r.randint(0, len(items)), ir.SelectItem(alias=computed, expr=ex.arg(k, 2)[0]))
            part = ir.Transform(name=self.fresh("part"), input=inp, where=ex.cond(1)[0] if r.random() < 0.5 else None,
                                select=ir.Select(items=tuple(items)))
            self.add(part)
            branches.append(part.name)
        return ir.Union(name=self.fresh("union"), inputs=tuple(branches), description=r.choice([None, "Merged"]))

    def unnest(self, inp: str) -> ir.Unnest:
        """A row per item of an array column (of records: a column per field), or of an array made first."""
        r = self.r
        rel = self.rel(inp)
        assert rel is not None
        arrays = [f for f in refs_of(rel) if f.kind == "array"]
        if not arrays or r.random() < 0.15:
            ex = self.exprs(rel)
            k = ex.col_kind(("int", "num", "str", "ts"))
            made: ir.Expr = ir.Call(name="array_of", args=tuple(ex.arg(k, 1)[0] for _ in range(r.randint(1, 3))))
            other, t = ex.gen("array", 2)
            if r.random() < 0.5 and t.base == "ARRAY":
                made = other
            alias = self.alias("arr", self.taken(rel))
            prep = ir.Transform(name=self.fresh("transform"), input=inp, select=ir.Select(
                star=True, items=(ir.SelectItem(alias=alias, expr=made),)))
            self.add(prep)
            inp, rel = prep.name, self.rel(prep.name)  # type: ignore[assignment]
            assert rel is not None
            arrays = [f for f in refs_of(rel) if f.kind == "array"]
        f = r.choice(arrays)
        taken = self.taken(rel)
        item = self.alias(r.choice(["item", "tag", "line"]), taken)
        return ir.Unnest(name=self.fresh("unnest"), input=inp, item=item, array=col(*f.path),
                         description=r.choice([None, "A row per item"]))

    def lookup_table(self, left: str, join_key: tuple[str, ir.Type]) -> str:
        """A jdbc table for a lookup join from ``left``, keyed like the pipeline's join key."""
        src = self.source(join_key, False, origin="jdbc")
        self.add(src)
        return src.name


class PatternExprs(Exprs):
    """Expressions in a pattern: a define's condition (for ``var``) or a measure; navigation allowed."""

    def __init__(self, rng: random.Random, refs: list[Ref], var: str | None, variables: list[str],
                 udfs: tuple[Udf, ...] = ()) -> None:
        qualified = [Ref((v, *f.path), f.type) for v in variables for f in refs] if var is None else [
            Ref((var, *f.path), f.type) for f in refs]
        super().__init__(rng, refs + qualified, agg_refs=None, nav=True, nav_refs=refs, udfs=udfs, stage="pattern")
        self.var = var
        self.variables = variables

    def leaf(self, want: str) -> tuple[ir.Expr, T.SqlType]:
        if want in ("int", "num", "str", "ts") and self.r.random() < 0.3:
            return self.nav_call(want, self.variables if self.var is None else [self.var], in_define=True)
        return super().leaf(want)


# ------------------------------------------------------------------ whole specs


STAGE_WEIGHTS = {"transform": 3, "aggregate": 4, "rolling": 2, "join": 4, "dedup": 2, "topn": 2, "pattern": 2,
                 "union": 1.5, "unnest": 1.5, "sort": 1.5}


def _feasible(b: Builder, name: str) -> list[str]:
    rel = b.rel(name)
    if rel is None:
        return ["transform"]
    timed = (rel.event_time is not None or rel.proc_time is not None) and not rel.updating
    kinds = ["transform", "union", "unnest"]
    if rel.column("rownum") is None:  # a top-N adds `rownum`
        kinds.append("topn")
    if timed or any(is_plain(c.type) for c in rel.columns):
        kinds.append("aggregate")
    if timed:
        kinds += ["rolling", "dedup", "pattern", "sort"]
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
    lookup = r.random() < 0.1  # the first stage is a lookup join with a jdbc table, on processing time
    sources = [b.source(join_key, False, origin="topic" if lookup else None, proc=lookup)]
    if n_sources == 2:
        sources.append(b.source(join_key, versioned))
    for s in sources:
        b.add(s)
    depth = r.choice([2, 2, 3, 3, 4])
    current = sources[0].name
    others = [s.name for s in sources[1:]]
    notes = []
    if lookup and not b.rel(current).updating:  # type: ignore[union-attr]
        table = b.lookup_table(current, join_key)
        j = b.join(current, table, "lookup")
        if j is not None:
            b.add(j)
            current = j.name
            depth -= 1
        else:  # nothing to look it up by: a jdbc table no lookup reads is refused (E106)
            b.remove(table)
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
        windowed = crel is not None and crel.windowed
        # A top-N of a windowed aggregate is a window top-N; a sort of one orders each window's rows.
        boost = {"topn": 4, "sort": 2} if windowed else {}
        kind = r.choices(kinds, [STAGE_WEIGHTS[k] * boost.get(k, 1) for k in kinds])[0]
        st = getattr(b, kind)(current)
        b.add(st)
        current = st.name
        # A branch: a second stage reading the same stream.
        if r.random() < 0.12:
            read = ir.statement_inputs(st)[0]
            kinds = _feasible(b, read)
            branch = getattr(b, r.choice(kinds))(read)
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
    if r.random() < 0.12:  # a second sink writing the same topic (or folder): a filter of the same rows
        first = r.choice([st for st in b.statements if isinstance(st, ir.Sink)])
        read = first.input
        if r.random() < 0.7:
            rel = b.rel(first.input)
            assert rel is not None
            part = ir.Transform(name=b.fresh("transform"), input=first.input, where=b.exprs(rel).cond(2)[0])
            b.add(part)
            read = part.name
        b.add(_replace(first, name=b.fresh("sink"), input=read))
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
                plain = [c.name for c in rel.columns if is_plain(c.type)]
                variants += [_replace(s, input=a, key=(c,)) for c in plain[:3]]
            for v in variants:
                out.append(with_sinks([v]))
            if len(sinks) > 1:
                out.append(with_sinks([x for x in sinks if x is not s]))
    out.sort(key=lambda sp: len(sp.statements))
    for i, st in enumerate(sts):
        if isinstance(st, ir.Source):
            continue
        for n, name in enumerate(ir.statement_inputs(st)):
            upstream = by.get(name)
            if upstream is None or isinstance(upstream, ir.Source):
                continue
            for skip_to in ir.statement_inputs(upstream):
                if skip_to in by:
                    new = sts[:i] + [_with_input(st, n, skip_to)] + sts[i + 1:]
                    out.append(prune(ir.Spec(pipeline=spec.pipeline, statements=tuple(new))))
    return out


def _with_input(st: Any, n: int, name: str) -> Any:
    """``st`` reading ``name`` as its ``n``-th input (``ir.statement_inputs`` order)."""
    if isinstance(st, ir.Union):
        return _replace(st, inputs=st.inputs[:n] + (name,) + st.inputs[n + 1:])
    return _replace(st, **{ir.input_roles(st)[n]: name})


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
                                 "checkpoint", "state_ttl", "over", "returning") or (
                fname == "select" and isinstance(node, ir.Transform))
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
    return isinstance(v, FAMILIES["expression"])


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


def _origin(st: ir.Source | ir.Sink) -> str:
    if st.topic is not None:
        return "topic"
    if st.files is not None:
        return "files"
    return "jdbc" if isinstance(st, ir.Source) and st.jdbc is not None else "datagen"


def features(spec: ir.Spec, analysis: Analysis | None = None) -> set[str]:  # noqa: C901 - one table of random choices; splitting it hides which choices go together
    """What ``spec`` exercises: statement kinds, windows, joins, origins, formats, functions, types, expression
    forms, processing time. ``analysis`` (PipeGen's, of the whole spec) tells what a stage reads."""
    out: set[str] = set()
    sts = spec.statements
    rels = analysis.relations if analysis is not None else {}
    sources = [s for s in sts if isinstance(s, ir.Source)]
    sinks = [s for s in sts if isinstance(s, ir.Sink)]
    out.add(f"sources:{min(len(sources), 2)}")
    out.add("sinks:1" if len(sinks) == 1 else "sinks:many")
    out.add(f"depth:{min(_depth(spec), 4)}")
    places = [(s.topic, s.files) for s in sinks]
    if len(set(places)) < len(places):
        out.add("sinks:one_topic")
    for f in spec.pipeline.functions:
        out.add(f"udf:{f.language}")
    for st in sts:
        out.add(f"stmt:{st.kind}")
        inp = rels.get(st.input) if hasattr(st, "input") else None

        def on_proc(column: str | None, inp: Relation | None = inp) -> bool:
            return inp is not None and inp.proc_time is not None and (
                column == inp.proc_time if column is not None else inp.event_time is None)

        if isinstance(st, (ir.Source, ir.Sink)):
            out.add(f"{st.kind}:origin:{_origin(st)}")
            out.add(f"{st.kind}:format:{st.format or (ORIGIN_FORMATS[_origin(st)] or ('none',))[0]}")
            if st.options:
                out.add(f"{st.kind}:options")
        if isinstance(st, ir.Source):
            for f in st.fields:
                _type_features(f.type, f.nullable, out)
            if st.mode == "upsert":
                out.add("source:upsert")
            if st.processing_time:
                out.add("source:processing_time")
            if st.generate is not None:
                out.update(f"hint:{h.kind}" for h in st.generate.hints)
        elif isinstance(st, ir.Transform):
            if st.where is not None:
                out.add("transform:where")
            if st.select is not None:
                out.add("transform:select")
        elif isinstance(st, ir.Aggregate):
            out.add(f"window:{st.window.kind if st.window else 'none'}")
            if st.window is not None and on_proc(st.window.column):
                out.add("processing_time:window")
            if st.group_by:
                out.add("aggregate:group_by")
            if st.having is not None:
                out.add("aggregate:having")
            if st.where is not None:
                out.add("aggregate:where")
        elif isinstance(st, ir.Rolling):
            out.add(f"over:{st.over.kind if st.over is not None else 'none'}")
            if on_proc(st.over.column if st.over is not None else None):
                out.add("processing_time:rolling")
        elif isinstance(st, ir.Sort):
            if on_proc(st.order_by[0].column.path[0]):
                out.add("processing_time:sort")
            if len(st.order_by) > 1:
                out.add("sort:then")
            if inp is not None and inp.windowed:
                out.add("sort:window")
        elif isinstance(st, ir.Join):
            out.add(f"join:{st.join_kind}")
            if st.outer_left:
                out.add("join:outer_left")
        elif isinstance(st, ir.Dedup):
            out.add(f"dedup:{st.keep}")
            if on_proc(None):
                out.add("processing_time:dedup")
        elif isinstance(st, ir.TopN):
            rel = rels.get(st.name)
            out.add("topn:window" if rel is not None and rel.windowed else "topn:plain")
        elif isinstance(st, ir.Pattern):
            if on_proc(None):
                out.add("processing_time:pattern")
            if st.within is not None:
                out.add("pattern:within")
            if len(st.sequence) > 1:
                out.add("pattern:sequence")
            for t in st.sequence:
                if t.quantifier:
                    q = t.quantifier
                    out.add("pattern:quantifier:" + (q if q in "+*?" else "{n,}" if q.endswith(",}") else "{n,m}"))
        elif isinstance(st, ir.Union):
            out.add(f"union:{min(len(st.inputs), 3)}")
        elif isinstance(st, ir.Unnest):
            elem = rels.get(st.name)
            if inp is not None and elem is not None and len(elem.columns) - len(inp.columns) > 1:
                out.add("unnest:records")
        elif isinstance(st, ir.Sink):
            out.add(f"sink:{st.mode or 'append'}")
            if st.key:
                out.add(f"sink:{st.mode or 'append'}:keyed")
            if st.partitioned_by:
                out.add("sink:partitioned")
        for n in _walk(st):
            if isinstance(n, ir.Call):
                out.add(f"fn:{n.name}" if n.name in FUNCTIONS else "fn:udf")
                if n.star:
                    out.add("fn:count(*)")
                if n.distinct:
                    out.add(f"fn:{n.name}(distinct)")
                if n.returning is not None:
                    out.add(f"returning:{n.name}:{returning_name(T.from_spec(n.returning, True))}")
                if n.name == "lag" and len(n.args) == 2:
                    out.add("fn:lag(n)")
            elif isinstance(n, ir.Binary):
                out.add(f"op:{n.op}")
            elif isinstance(n, ir.Cast):
                _type_features(n.to, False, out)
            if _is_expr(n):
                out.add(f"expr:{n.kind}")
    return out


def _literals(cls: type, name: str) -> tuple[Any, ...]:
    """The values a field of an IR class may take (its ``Literal[...]``), read from the IR."""
    return typing.get_args(typing.get_type_hints(cls)[name])


def _type_names() -> list[str]:
    """The ``type:`` features of every type of the language, from the IR's type family."""
    out = []
    for cls in FAMILIES["type"]:
        kind = kind_tag(cls)
        if kind == "primitive":
            out += [f"type:{n}" for n in _literals(cls, "name")]
        elif kind == "timestamp":
            out += [f"type:timestamp({p})" for p in _literals(cls, "precision")]
        else:
            out.append(f"type:{kind}")
    return out


# Parts of the language the generator leaves out, and why (each is also left out of REQUIRED_FEATURES).
LEFT_OUT = {
    "udf:java": "a Java function needs a compiled class on Flink's classpath (see UDFS)",
}

# What a thousand generated specs must hold between them. The language's parts are read from its registries
# (statement, window, over, type, expression and hint families; join kinds, formats, origins, modes, keep, function
# languages from the IR; every function record), so a language addition the generator does not make fails the
# coverage test; the rest are shapes the generator is meant to make.
REQUIRED_FEATURES = frozenset(
    [f"stmt:{kind_tag(c)}" for c in FAMILIES["statement"]]
    + [f"window:{kind_tag(c)}" for c in FAMILIES["window"]] + ["window:none"]
    + [f"over:{kind_tag(c)}" for c in FAMILIES["over"]]
    + [f"expr:{kind_tag(c)}" for c in FAMILIES["expression"]]
    + [f"hint:{kind_tag(c)}" for c in FAMILIES["hint"]]
    + _type_names() + ["type:nullable"]
    + [f"join:{k}" for k in typing.get_args(ir.JoinKind)]
    + [f"op:{o}" for o in typing.get_args(ir.BinaryOperator)]
    + [f"dedup:{k}" for k in _literals(ir.Dedup, "keep")]
    + [f"sink:{m}" for m in typing.get_args(ir.Mode)]
    + [f"udf:{lang}" for lang in _literals(ir.Udf, "language")]
    + [f"{role}:origin:{o}" for role in ("source", "sink") for o in ORIGIN_FORMATS
       if role == "source" or o in ("topic", "files")]
    + [f"{role}:format:{f}" for role in ("source", "sink") for o, fs in ORIGIN_FORMATS.items() for f in fs
       if role == "source" or o in ("topic", "files")]
    + [f"fn:{n}" for n in FUNCTIONS] + ["fn:count(*)", "fn:count(distinct)", "fn:udf"]
    + [f"returning:{f.name}:{t}" for f in FUNCTIONS.values() for t in f.returning]
    + [f"processing_time:{k}" for k in ("window", "rolling", "dedup", "pattern", "sort")]
    + ["over:none", "fn:lag(n)", "sort:then", "sort:window"]
    + ["source:options", "sink:options", "source:processing_time", "sinks:one_topic", "sink:partitioned",
       "source:origin:datagen", "source:format:none", "union:2", "union:3", "unnest:records",
       "join:outer_left", "topn:window", "topn:plain", "pattern:within", "pattern:sequence",
       "pattern:quantifier:+", "pattern:quantifier:*", "pattern:quantifier:?", "pattern:quantifier:{n,}",
       "pattern:quantifier:{n,m}", "sink:upsert:keyed", "sink:append:keyed",
       "aggregate:group_by", "aggregate:having", "aggregate:where", "transform:where", "transform:select",
       "source:upsert", "sources:1", "sources:2", "sinks:1", "sinks:many", "depth:2", "depth:3", "depth:4"]
) - set(LEFT_OUT)

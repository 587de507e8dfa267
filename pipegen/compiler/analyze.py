"""Semantic checks: names, graph, types, time and changelog rules.

``analyze`` walks the statements in dependency order and computes, for each,
the relation it produces (columns and types, event-time column, whether it
is append-only or updating, its key). Every problem becomes a diagnostic with
a stable code; analysis goes on after an error so one run reports them all.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from typing import Any

from . import ir
from . import types as T
from .diagnostics import Diagnostic

TOPIC_RE = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
WINDOW_COLUMNS = ("window_start", "window_end", "window_time")


@dataclass
class Col:
    name: str
    type: T.SqlType


@dataclass
class Relation:
    """What a statement produces."""

    name: str
    statement: Any
    columns: list[Col]
    event_time: str | None = None
    # Why there is no event time, for hints: "undeclared", "no-watermark", "join", "dropped", "aggregate".
    time_note: str = "undeclared"
    time_origin: str = ""  # the source whose event_time would have to change
    declared_time: str | None = None  # the event_time column declared without a watermark
    updating: bool = False
    key: tuple[str, ...] = ()
    windowed: bool = False

    def column(self, name: str) -> Col | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass
class Analysis:
    spec: ir.Spec
    relations: dict[str, Relation] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)


def suggest(name: str, candidates: list[str]) -> str | None:
    match = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f"did you mean `{match[0]}`?" if match else None


def output_name(e: ir.Expr) -> str | None:
    return e.path[-1] if isinstance(e, ir.Column) else None


class Scope:
    """Names an expression may use: tables (qualifier -> relation) and an optional default table."""

    def __init__(self, tables: dict[str, Relation], default: list[str], extra: dict[str, T.SqlType] | None = None,
                 pattern_vars: tuple[str, ...] = ()):
        self.tables = tables
        self.default = default
        self.extra = extra or {}
        self.pattern_vars = pattern_vars

    def candidates(self) -> list[str]:
        names = list(self.extra)
        for q in self.default:
            names += [c.name for c in self.tables[q].columns]
        names += [f"{q}.{c.name}" for q, r in self.tables.items() for c in r.columns if q not in self.default]
        return names

    def resolve(self, path: tuple[str, ...]) -> tuple[T.SqlType | None, str | None, str | None]:
        """(type, table qualifier, error message)."""
        head, rest = path[0], path[1:]
        if head in self.extra and head not in self.pattern_vars:
            return self._nested(self.extra[head], rest, path), None, None
        hits = [q for q in self.default if self.tables[q].column(head)]
        if len(hits) > 1:
            return None, None, f"`{head}` is in both {' and '.join(f'`{h}`' for h in hits)}; qualify it, e.g. `{hits[0]}.{head}`"
        if hits and not (head in self.tables and rest and self.tables[head].column(rest[0])):
            return self._nested(self.tables[hits[0]].column(head).type, rest, path), hits[0], None  # type: ignore[union-attr]
        if head in self.tables and rest:
            col = self.tables[head].column(rest[0])
            if col is None:
                return None, head, None
            return self._nested(col.type, rest[1:], path), head, None
        return None, None, None

    def _nested(self, t: T.SqlType | None, rest: tuple[str, ...], path: tuple[str, ...]) -> T.SqlType | None:
        for part in rest:
            if t is None or t.base != "ROW":
                return None
            sub = dict(t.fields).get(part)
            if sub is None:
                return None
            t = sub.with_null(sub.nullable or t.nullable)
        return t


@dataclass
class Ctx:
    """Where an expression sits: which functions it may call."""

    aggregates: bool = False  # aggregate calls allowed
    navigation: bool = False  # pattern navigation allowed
    in_aggregate: bool = False
    grouped: tuple[tuple[str, ...], ...] | None = None  # column paths allowed outside aggregates
    what: str = "here"


class Analyzer:
    def __init__(self, spec: ir.Spec, file: str = "<spec>"):
        self.spec = spec
        self.file = file
        self.out = Analysis(spec)
        self.by_name: dict[str, Any] = {}

    # ------------------------------------------------------------ reporting
    def report(self, code: str, message: str, span: ir.Span | None, hint: str | None = None) -> None:
        self.out.diagnostics.append(Diagnostic(code, message, span, hint, self.file))

    # ------------------------------------------------------------ entry
    def run(self) -> Analysis:
        self._names()
        order = self._graph()
        for name in order:
            st = self.by_name[name]
            rel = getattr(self, f"_{st.kind}")(st)
            if rel is not None:
                self.out.relations[name] = rel
        self.out.order = order
        self._unused()
        self.out.diagnostics.sort(key=Diagnostic.sort_key)
        return self.out

    def _names(self) -> None:
        p = self.spec.pipeline
        files: dict[str, Any] = {}
        for st in self.spec.statements:
            if st.name in self.by_name:
                first = self.by_name[st.name]
                line = first.span.line if first.span else "?"
                self.report("E101", f"`{st.name}` is already defined on line {line}", st.pos("name"),
                            "every source, stage and sink needs its own name")
                continue
            self.by_name[st.name] = st
            if isinstance(st, (ir.Source, ir.Sink)):
                # schemas/<name>-value.avsc: two names that differ only in case would be one file on a
                # case-insensitive file system (macOS, Windows), the second silently replacing the first.
                other = files.setdefault(st.name.lower(), st)
                if other is not st:
                    self.report("E101", f"`{st.name}` and `{other.name}` differ only in case; their schema files "
                                f"would be the same file on macOS or Windows", st.pos("name"),
                                "give sources and sinks names that differ in more than case")
            if isinstance(st, (ir.Source, ir.Sink)) and not TOPIC_RE.match(st.topic) or (
                isinstance(st, (ir.Source, ir.Sink)) and st.topic in (".", "..")
            ):
                self.report("E404", f"{st.topic!r} is not a valid Kafka topic name", st.pos("topic"),
                            "a topic name has 1 to 249 letters, digits, '.', '_' or '-'")
        if p.domain is not None and not re.fullmatch(r"[a-z][a-z0-9_]*", p.domain):
            self.report("E004", f"domain `{p.domain}` should be lower case", p.pos("domain"),
                        "use a lower-case word such as ecommerce, fintech, iot")
        topics: dict[str, Any] = {}
        for st in self.spec.statements:
            if isinstance(st, ir.Sink):
                if st.topic in topics:
                    self.report("E101", f"topic {st.topic!r} is written by sink `{topics[st.topic]}` too", st.pos("topic"),
                                "give each sink its own topic")
                topics[st.topic] = st.name
        for st in self.spec.statements:
            if isinstance(st, ir.Source) and st.topic in topics:
                self.report("E105", f"source `{st.name}` reads topic {st.topic!r}, which sink `{topics[st.topic]}` writes",
                            st.pos("topic"), "a pipeline must not read its own output; use the stage directly")

    def _graph(self) -> list[str]:
        names = list(self.by_name)
        valid: dict[str, tuple[str, ...]] = {}
        for name, st in self.by_name.items():
            ok = True
            roles = ("left", "right") if isinstance(st, ir.Join) else ("input",)
            for role, inp in zip(roles, ir.statement_inputs(st)):
                target = self.by_name.get(inp)
                if target is None:
                    self.report("E103", f"unknown stream `{inp}`", st.pos(role),
                                suggest(inp, [n for n in names if not isinstance(self.by_name[n], ir.Sink)])
                                or "define a source or stage with that name")
                    ok = False
                elif isinstance(target, ir.Sink):
                    self.report("E106", f"`{inp}` is a sink; a sink cannot be read from", st.pos(role),
                                f"read from `{target.input}`, the stage that feeds it")
                    ok = False
            if isinstance(st, ir.Join) and st.left == st.right:
                self.report("E106", f"join `{st.name}` joins `{st.left}` with itself", st.pos("right"),
                            "add a transform that copies the stream and join with that")
                ok = False
            if ok:
                valid[name] = ir.statement_inputs(st)
        # Depth-first topological order; report each cycle once.
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(n: str, stack: list[str]) -> bool:
            if state.get(n) == 2:
                return True
            if state.get(n) == 1:
                cycle = stack[stack.index(n):] + [n]
                st = self.by_name[n]
                self.report("E105", "cycle: " + " -> ".join(f"`{c}`" for c in reversed(cycle)), st.pos("name"),
                            "a stage cannot depend on itself, directly or through other stages")
                return False
            if n not in valid:
                return False
            state[n] = 1
            ok = all(visit(i, stack + [n]) for i in valid[n])
            state[n] = 2
            if ok:
                order.append(n)
            else:
                valid.pop(n, None)
            return ok

        for n in names:
            visit(n, [])
        return order

    def _unused(self) -> None:
        used = {i for st in self.spec.statements for i in ir.statement_inputs(st)}
        for st in self.spec.statements:
            if not isinstance(st, ir.Sink) and st.name not in used:
                self.report("W601", f"`{st.name}` is never used", st.pos("name"),
                            f"add a sink that reads it: sink ... from {st.name} {{ ... }}, or remove it")

    # ------------------------------------------------------------ helpers
    def _require_time(self, rel: Relation, column: str | None, st: Any, part: str, what: str) -> bool:
        """Check that ``column`` is ``rel``'s event-time column with a watermark."""
        span = st.pos(part)
        if rel.event_time is None:
            if rel.time_note == "join":
                self.report("E304", f"{what} needs event time, but `{rel.name}` comes from a regular join, which drops it",
                            span, "use an interval join (kind interval(5 min, 5 min)) or a temporal join instead")
            elif rel.time_note == "no-watermark":
                self.report("E302", f"{what} needs a watermark on `{rel.name}`", span,
                            f"add a watermark to the event_time of source `{rel.time_origin}`, e.g. "
                            f"`event_time {rel.declared_time or column or 'ts'} watermark 5 s`")
            elif rel.time_note == "dropped":
                self.report("E302", f"{what} needs event time, but `{rel.name}` does not keep its event-time column",
                            span, f"select the event-time column of `{rel.time_origin}` unchanged in `{rel.name}`")
            elif rel.time_note == "aggregate":
                self.report("E302", f"{what} needs event time, but `{rel.name}` has none", span,
                            "only a windowed aggregate keeps event time (as window_time)")
            else:
                self.report("E302", f"{what} needs event time and a watermark, but `{rel.name}` has none", span,
                            f"declare it in source `{rel.time_origin or rel.name}`: `event_time <column> watermark 5 s`")
            return False
        if column is not None and column != rel.event_time:
            if rel.column(column) is None:
                self.report("E104", f"unknown field `{column}` in `{rel.name}`", span,
                            suggest(column, [c.name for c in rel.columns]))
            else:
                self.report("E301", f"`{column}` is not the event-time column of `{rel.name}`", span,
                            f"use `{rel.event_time}`, the event-time column")
            return False
        return True

    def _require_append(self, rel: Relation, st: Any, what: str) -> None:
        if rel.updating:
            self.report("E106", f"{what} needs an append-only input, but `{rel.name}` is updating", st.pos("input"),
                        "put this stage before the stage that makes the stream updating, or use a windowed aggregate")

    def _expr(self, e: ir.Expr, scope: Scope, ctx: Ctx) -> T.SqlType | None:
        """Type of ``e``; reports problems and returns None when it has none."""
        if isinstance(e, ir.NumberLit):
            if "." in e.text:
                whole, frac = e.text.split(".")
                return T.SqlType("DECIMAL", False, precision=min(38, max(len(whole) + len(frac), 1)), scale=len(frac))
            small = len(e.text.lstrip("0")) <= 10 and int(e.text) < 2**31  # no int() of a huge literal
            return T.SqlType("INT" if small else "BIGINT", False)
        if isinstance(e, ir.StringLit):
            return T.STRING.with_null(False)
        if isinstance(e, ir.BoolLit):
            return T.BOOLEAN.with_null(False)
        if isinstance(e, ir.NullLit):
            return T.NULL
        if isinstance(e, ir.IntervalLit):
            return T.INTERVAL
        if isinstance(e, ir.Column):
            return self._column(e, scope, ctx)
        if isinstance(e, ir.Not):
            t = self._expr(e.operand, scope, ctx)
            self._want_bool(t, e.operand, "not")
            return T.BOOLEAN
        if isinstance(e, ir.Neg):
            t = self._expr(e.operand, scope, ctx)
            if t is not None and not (t.is_numeric or t.base in ("INTERVAL", "ANY")):
                self.report("E201", f"cannot negate {t.describe()}", e.span)
                return None
            return t
        if isinstance(e, ir.Binary):
            return self._binary(e, scope, ctx)
        if isinstance(e, ir.IsNull):
            self._expr(e.operand, scope, ctx)
            return T.BOOLEAN.with_null(False)
        if isinstance(e, ir.Between):
            ts = [self._expr(x, scope, ctx) for x in (e.operand, e.low, e.high)]
            if all(ts) and not all(T.comparable(ts[0], t) for t in ts[1:]):  # type: ignore[arg-type]
                self.report("E201", f"between compares {ts[0].describe()} with {ts[1].describe()} and "  # type: ignore[union-attr]
                            f"{ts[2].describe()}", e.span)  # type: ignore[union-attr]
            return T.BOOLEAN
        if isinstance(e, ir.InList):
            t = self._expr(e.operand, scope, ctx)
            for item in e.items:
                it = self._expr(item, scope, ctx)
                if t is not None and it is not None and not T.comparable(t, it):
                    self.report("E201", f"`in` compares {t.describe()} with {it.describe()}", item.span,
                                "every value in the list must have the type of the left side")
            return T.BOOLEAN
        if isinstance(e, ir.Like):
            t = self._expr(e.operand, scope, ctx)
            if t is not None and t.base not in ("STRING", "ANY"):
                self.report("E201", f"like needs a string, not {t.describe()}", e.span)
            return T.BOOLEAN
        if isinstance(e, ir.Case):
            results = []
            for w in e.whens:
                self._want_bool(self._expr(w.condition, scope, ctx), w.condition, "when")
                results.append(self._expr(w.result, scope, ctx))
            if e.otherwise is not None:
                results.append(self._expr(e.otherwise, scope, ctx))
            else:
                results.append(T.NULL)
            if any(r is None for r in results):
                return None
            u = T.unify(results)  # type: ignore[arg-type]
            if u is None:
                self.report("E201", "the branches of case have different types: "
                            + ", ".join(r.describe() for r in results if r.base != "NULL"), e.span,  # type: ignore[union-attr]
                            "cast the branches to one type, e.g. cast(x as double)")
            return u
        if isinstance(e, ir.Cast):
            src = self._expr(e.operand, scope, ctx)
            to = T.from_spec(e.to, True)
            if src is not None and src.base in ("ROW", "MAP", "ARRAY") or to.base in ("ROW", "MAP", "ARRAY"):
                self.report("E201", "cast works on single values, not records, arrays or maps", e.span)
            return to.with_null(src.nullable if src else True)
        if isinstance(e, ir.Call):
            return self._call(e, scope, ctx)
        raise TypeError(e)  # pragma: no cover

    def _want_bool(self, t: T.SqlType | None, e: ir.Expr, where: str) -> None:
        if t is not None and t.base not in ("BOOLEAN", "NULL", "ANY"):
            self.report("E201", f"{where} needs a condition (true or false), not {t.describe()}", e.span,
                        "compare the value, e.g. `amount > 100`")

    def _column(self, e: ir.Column, scope: Scope, ctx: Ctx) -> T.SqlType | None:
        t, _q, err = scope.resolve(e.path)
        if err:
            self.report("E104", err, e.span)
            return None
        if t is None:
            text = ".".join(e.path)
            self.report("E104", f"unknown field `{text}`", e.span, suggest(text, scope.candidates()))
            return None
        if ctx.grouped is not None and not ctx.in_aggregate and e.path not in ctx.grouped:
            self.report("E205", f"`{'.'.join(e.path)}` is neither grouped nor inside an aggregate", e.span,
                        f"add it to `group by`, or aggregate it, e.g. max({'.'.join(e.path)})")
        return t

    def _binary(self, e: ir.Binary, scope: Scope, ctx: Ctx) -> T.SqlType | None:
        lt = self._expr(e.left, scope, ctx)
        rt = self._expr(e.right, scope, ctx)
        if lt is None or rt is None or T.ANY in (lt, rt):
            return T.BOOLEAN if e.op in ("and", "or", "=", "!=", "<", "<=", ">", ">=") else T.ANY
        if e.op in ("and", "or"):
            self._want_bool(lt, e.left, e.op)
            self._want_bool(rt, e.right, e.op)
            return T.BOOLEAN
        if e.op in ("=", "!=", "<", "<=", ">", ">="):
            if not T.comparable(lt, rt):
                self.report("E201", f"cannot compare {lt.describe()} with {rt.describe()}", e.span,
                            'strings are written in double quotes, e.g. currency = "USD"' if "STRING" in (lt.base, rt.base)
                            else None)
            return T.BOOLEAN.with_null(lt.nullable or rt.nullable)
        if lt.is_numeric and rt.is_numeric:
            if e.op == "%" and not (lt.base in T.INTEGRAL and rt.base in T.INTEGRAL):
                self.report("E201", "% needs whole numbers", e.span)
            return T.numeric_result(lt, rt)
        if e.op in ("+", "-") and lt.base in ("TIMESTAMP", "DATE") and rt.base == "INTERVAL":
            return lt
        if e.op == "+" and lt.base == "INTERVAL" and rt.base in ("TIMESTAMP", "DATE"):
            return rt
        hint = None
        if e.op == "+" and lt.base == rt.base == "STRING":
            hint = "join strings with concat(a, b)"
        elif lt.base == rt.base == "TIMESTAMP" and e.op == "-":
            hint = "use seconds_between(start, end) for the time between two timestamps"
        self.report("E201", f"cannot apply {e.op} to {lt.describe()} and {rt.describe()}", e.span, hint)
        return None

    def _call(self, e: ir.Call, scope: Scope, ctx: Ctx) -> T.SqlType | None:
        spec = T.FUNCTIONS.get(e.name)
        if spec is None:
            self.report("E202", f"unknown function `{e.name}`", e.pos("name"),
                        suggest(e.name, list(T.FUNCTIONS)) or "functions: " + ", ".join(sorted(T.FUNCTIONS)))
            inner = Ctx(ctx.aggregates, ctx.navigation, True, ctx.grouped, ctx.what)
            for a in e.args:
                self._expr(a, scope, inner)
            return None
        _sql, kind, lo, hi = spec
        if kind == "agg":
            if not ctx.aggregates:
                self.report("E204", f"aggregate {e.name}() cannot be used {ctx.what}", e.span,
                            "aggregates belong in the measures of an aggregate, rolling or pattern stage")
            elif ctx.in_aggregate:
                self.report("E204", f"aggregate {e.name}() inside another aggregate", e.span)
        if kind == "nav" and not ctx.navigation:
            self.report("E202", f"{e.name}() is only available in a pattern's define and measures", e.pos("name"))
        if e.star and e.name != "count":
            self.report("E203", f"{e.name}(*) is not allowed; only count(*)", e.span)
            return None
        if e.distinct and kind != "agg":
            self.report("E203", f"distinct only goes with an aggregate, not {e.name}()", e.span)
        n = len(e.args)
        if not e.star and not (lo <= n <= hi):
            want = str(lo) if lo == hi else f"{lo} to {hi}"
            self.report("E203", f"{e.name}() takes {want} argument{'s' if hi != 1 else ''}, not {n}", e.span)
            return None
        inner = Ctx(ctx.aggregates, ctx.navigation, ctx.in_aggregate or kind == "agg", ctx.grouped, ctx.what)
        args = [self._expr(a, scope, inner) for a in e.args]
        if any(a is None or a == T.ANY for a in args):
            return T.ANY
        t, why = T.call_result(e.name, args, e.star)  # type: ignore[arg-type]
        if t is None:
            self.report("E201", why or "wrong arguments", e.span)
        return t

    def _single(self, st: Any) -> Relation | None:
        return self.out.relations.get(st.input)

    def _outputs(self, items: list[tuple[str, T.SqlType | None, ir.Span | None]], st: Any) -> list[Col]:
        cols: list[Col] = []
        seen: dict[str, ir.Span | None] = {}
        for name, t, span in items:
            if name in seen:
                self.report("E102", f"column `{name}` appears twice in the output of `{st.name}`", span,
                            f"rename one, e.g. `{name}_2 = ...`")
                continue
            seen[name] = span
            cols.append(Col(name, t or T.STRING))
        return cols

    # ------------------------------------------------------------ statements
    def _source(self, st: ir.Source) -> Relation:
        self._fields(st.fields, st)
        cols = [Col(f.name, T.from_spec(f.type, f.nullable)) for f in st.fields]
        rel = Relation(st.name, st, cols, time_origin=st.name)
        names = [c.name for c in cols]
        for k in st.key:
            if k not in names:
                self.report("E403", f"key `{k}` is not a field of `{st.name}`", st.pos("key"), suggest(k, names))
        if st.mode == "upsert" and not st.key:
            self.report("E401", f"source `{st.name}` is upsert but has no key", st.pos("mode"),
                        "add `key <field>`: an upsert topic is keyed by it")
        if st.mode == "upsert":
            rel.updating = True
            rel.key = st.key
        if st.event_time is not None:
            col = rel.column(st.event_time)
            if col is None:
                self.report("E104", f"unknown field `{st.event_time}` for event_time", st.pos("event_time"),
                            suggest(st.event_time, names))
            elif col.type.base != "TIMESTAMP" or col.type.precision != 3:
                self.report("E303", f"event_time `{st.event_time}` is {col.type.describe()}; it must be timestamp(3)",
                            st.pos("event_time"), "Flink keeps event time in milliseconds: declare the field timestamp(3)")
            elif st.watermark is None:
                rel.time_note = "no-watermark"
                rel.declared_time = st.event_time
            else:
                rel.event_time = st.event_time
        if st.generate is not None:
            self._generate(st, rel)
        return rel

    def _fields(self, fields: tuple[ir.FieldDef, ...], st: Any) -> None:
        seen: set[str] = set()
        for f in fields:
            if f.name in seen:
                self.report("E102", f"field `{f.name}` is declared twice", f.pos("name"), "field names must be unique")
            seen.add(f.name)
            self._type(f.type, st)
            if f.default is not None:
                self._default(f, st)

    def _type(self, t: ir.Type, st: Any) -> None:
        if isinstance(t, ir.RecordType):
            self._fields(t.fields, st)
        elif isinstance(t, ir.EnumType):
            if len(set(t.symbols)) != len(t.symbols):
                self.report("E102", "an enum lists the same symbol twice", t.span, "enum symbols must be unique")
        elif isinstance(t, (ir.ArrayType,)):
            self._type(t.items, st)
        elif isinstance(t, ir.MapType):
            self._type(t.values, st)

    def _default(self, f: ir.FieldDef, st: Any) -> None:
        d = f.default
        t = f.type
        ok = True
        if isinstance(d, ir.NullLit):
            ok = f.nullable
        elif isinstance(t, ir.PrimitiveType):
            ok = {
                "string": isinstance(d, ir.StringLit), "uuid": isinstance(d, ir.StringLit),
                "boolean": isinstance(d, ir.BoolLit),
                "int": isinstance(d, ir.NumberLit) and "." not in d.text and int(d.text) < 2**31,
                "long": isinstance(d, ir.NumberLit) and "." not in d.text and int(d.text) < 2**63,
                "float": isinstance(d, ir.NumberLit), "double": isinstance(d, ir.NumberLit),
            }.get(t.name, False)
        elif isinstance(t, ir.EnumType):
            ok = isinstance(d, ir.StringLit) and d.value in t.symbols
        else:
            ok = False
        if not ok:
            self.report("E502", f"default {_lit_text(d)} does not fit field `{f.name}`", f.pos("default") or f.span,
                        "null needs a nullable field (type?); records, arrays, maps, dates and timestamps take no default"
                        if not isinstance(t, ir.EnumType) else f"use one of the enum's symbols, e.g. \"{t.symbols[0]}\"")

    def _generate(self, st: ir.Source, rel: Relation) -> None:
        assert st.generate is not None
        for h in st.generate.hints:
            col = rel.column(h.field)
            field_def = next((f for f in st.fields if f.name == h.field), None)
            if col is None or field_def is None:
                self.report("E104", f"unknown field `{h.field}` in generate", h.span,
                            suggest(h.field, [c.name for c in rel.columns]))
                continue
            if isinstance(h, ir.RangeHint):
                if not col.type.is_numeric:
                    self.report("E201", f"range needs a numeric field; `{h.field}` is {col.type.describe()}", h.span)
                elif float(h.low) > float(h.high):
                    self.report("E004", f"range {h.low} .. {h.high} is empty", h.span, "write low .. high")
            else:
                if not isinstance(field_def.type, ir.EnumType):
                    self.report("E201", f"weights need an enum field; `{h.field}` is {col.type.describe()}", h.span)
                    continue
                for w in h.weights:
                    if w.symbol not in field_def.type.symbols:
                        self.report("E104", f"`{w.symbol}` is not a symbol of `{h.field}`", w.span,
                                    suggest(w.symbol, list(field_def.type.symbols)))

    def _select(self, sel: ir.Select, scope: Scope, rel_cols: list[Col], st: Any, ctx: Ctx
                ) -> list[tuple[str, T.SqlType | None, ir.Span | None, ir.SelectItem | None]]:
        items: list[tuple[str, T.SqlType | None, ir.Span | None, ir.SelectItem | None]] = []
        if sel.star:
            items += [(c.name, c.type, sel.span, None) for c in rel_cols]
        for it in sel.items:
            t = self._expr(it.expr, scope, ctx)
            name = it.alias or output_name(it.expr)
            assert name is not None
            items.append((name, t, it.pos("alias") or it.span, it))
        return items

    def _transform(self, st: ir.Transform) -> Relation | None:
        inp = self._single(st)
        if inp is None:
            return None
        scope = Scope({st.input: inp}, [st.input])
        ctx = Ctx(what="in a transform")
        if st.where is not None:
            self._want_bool(self._expr(st.where, scope, Ctx(what="in a where clause")), st.where, "where")
        rel = Relation(st.name, st, [], updating=inp.updating, windowed=inp.windowed, time_origin=inp.time_origin, declared_time=inp.declared_time,
                       time_note=inp.time_note)
        if st.select is None:
            rel.columns = list(inp.columns)
            rel.event_time, rel.key = inp.event_time, inp.key
            return rel
        items = self._select(st.select, scope, inp.columns, st, ctx)
        rel.columns = self._outputs([(n, t, s) for n, t, s, _ in items], st)
        renames = {}
        for n, _t, _s, it in items:
            if it is None:
                renames[n] = n
            elif isinstance(it.expr, ir.Column) and len(it.expr.path) == 1:
                renames.setdefault(it.expr.path[0], n)
        if inp.event_time is not None:
            rel.event_time = renames.get(inp.event_time)
            if rel.event_time is None:
                rel.time_note = "dropped"
                rel.time_origin = st.name
        if inp.key and all(k in renames for k in inp.key):
            rel.key = tuple(renames[k] for k in inp.key)
        elif inp.updating and inp.key:
            self.report("E403", f"`{st.name}` reads an updating stream keyed by {', '.join(inp.key)} but drops the key",
                        st.select.span, "select the key columns too")
        if inp.windowed and not all(w in renames for w in ("window_start", "window_end")):
            rel.windowed = False
        return rel

    def _aggregate(self, st: ir.Aggregate) -> Relation | None:
        inp = self._single(st)
        if inp is None:
            return None
        scope = Scope({st.input: inp}, [st.input])
        if st.where is not None:
            self._want_bool(self._expr(st.where, scope, Ctx(what="in a where clause")), st.where, "where")
        cols: list[tuple[str, T.SqlType | None, ir.Span | None]] = []
        rel = Relation(st.name, st, [], time_origin=inp.time_origin, declared_time=inp.declared_time)
        if st.window is not None:
            w = st.window
            has_time = self._require_time(inp, w.column, w, "column", f"a {w.kind} window")
            self._require_append(inp, st, f"a {w.kind} window")
            self._window_sizes(w)
            ts = T.SqlType("TIMESTAMP", False, precision=3)
            cols += [("window_start", ts, w.span), ("window_end", ts, w.span), ("window_time", ts, w.span)]
            rel.event_time = "window_time" if has_time else None
            rel.windowed = True
            if isinstance(w, ir.Session):
                for g in st.group_by:
                    if len(g.path) > 1:
                        self.report("E004", "a session window groups by top-level fields only", g.span,
                                    "add a transform that selects the nested field as a column first")
                if len(st.group_by) > 1:
                    # Flink writes a view's SESSION(... PARTITION BY (a, b) ...) back as PARTITION BY a, b and then
                    # rejects its own text (measured with Flink 2.3: "Column 'b' not found in any table").
                    self.report("E004", "a session window groups by one key in Flink", st.group_by[1].span,
                                "group the session by one field; to session by several, add a transform that "
                                "combines them into one column first")
        else:
            rel.updating = True
            rel.time_note = "aggregate"
        grouped: list[tuple[str, ...]] = [(c,) for c in WINDOW_COLUMNS if st.window is not None]
        key_names = []
        for g in st.group_by:
            t = self._expr(g, scope, Ctx(what="in group by"))
            grouped.append(g.path)
            key_names.append(g.path[-1])
            cols.append((g.path[-1], t, g.span))
            if st.window is not None and g.path[-1] in WINDOW_COLUMNS:
                self.report("E102", f"`{g.path[-1]}` is a column a window adds", g.span, "rename the field first")
        if not st.group_by and st.window is None:
            self.report("E004", f"aggregate `{st.name}` has neither a window nor group by", st.pos("name"),
                        "add `window tumble(<event time>, 1 min)` for results per time window, or `group by <key>`")
        extra = {c: T.SqlType("TIMESTAMP", False, precision=3) for c in WINDOW_COLUMNS[:2]} if st.window else {}
        mscope = Scope({st.input: inp}, [st.input], extra)
        ctx = Ctx(aggregates=True, grouped=tuple(grouped), what="here")
        mtypes = {}
        if isinstance(st.window, ir.Session):
            for call in _calls(st.measures):
                if call.name in NO_MERGE:
                    self.report("E203", f"{call.name}() cannot be used in a session window", call.span,
                                "Flink merges session windows and cannot merge this aggregate; use min() or max() "
                                "of a timestamp, or a tumble window")
        for m in st.measures:
            t = self._expr(m.expr, mscope, ctx)
            mtypes[m.name] = t
            cols.append((m.name, t, m.pos("name")))
            if not _has_aggregate(m.expr):
                self.report("E004", f"measure `{m.name}` aggregates nothing", m.span,
                            "a measure is computed per group with count, sum, avg, min, max, ...")
        if st.having is not None:
            hextra = dict(extra)
            hextra.update({n: t or T.ANY for n, t in mtypes.items()})
            hscope = Scope({st.input: inp}, [st.input], hextra)
            hgrouped = tuple(grouped) + tuple((n,) for n in mtypes)
            t = self._expr(st.having, hscope, Ctx(aggregates=True, grouped=hgrouped))
            self._want_bool(t, st.having, "having")
        rel.columns = self._outputs(cols, st)
        rel.key = tuple(key_names) if rel.updating else ()
        return rel

    def _window_sizes(self, w: Any) -> None:
        if isinstance(w, ir.Hop):
            if w.slide.millis == 0 or w.size.millis % w.slide.millis:
                self.report("E004", "a hop window's size must be a whole multiple of its slide", w.span,
                            f"e.g. size {w.slide.value * 4} {w.slide.unit}, slide {w.slide.value} {w.slide.unit}")
        elif isinstance(w, ir.Cumulate):
            if w.step.millis == 0 or w.size.millis % w.step.millis:
                self.report("E004", "a cumulate window's size must be a whole multiple of its step", w.span)
        else:
            d = w.size if isinstance(w, ir.Tumble) else w.gap
            if d.millis == 0:
                self.report("E004", "a window cannot be 0 long", w.span)

    def _rolling(self, st: ir.Rolling) -> Relation | None:
        inp = self._single(st)
        if inp is None:
            return None
        self._require_time(inp, st.over.column, st.over, "column", "a rolling window")
        self._require_append(inp, st, "a rolling window")
        scope = Scope({st.input: inp}, [st.input])
        for p in st.partition_by:
            self._expr(p, scope, Ctx(what="in partition by"))
        cols = [(c.name, c.type, None) for c in inp.columns]
        for m in st.measures:
            t = self._expr(m.expr, scope, Ctx(aggregates=True, what="here"))
            cols.append((m.name, t, m.pos("name")))
        rel = Relation(st.name, st, self._outputs(cols, st), event_time=inp.event_time, time_note=inp.time_note,
                       time_origin=inp.time_origin, declared_time=inp.declared_time)
        return rel

    def _join(self, st: ir.Join) -> Relation | None:
        left = self.out.relations.get(st.left)
        right = self.out.relations.get(st.right)
        if left is None or right is None:
            return None
        if st.outer_left:
            # Rows of the left side without a match carry nulls in every right-side column.
            right = replace(right, columns=[Col(c.name, c.type.with_null(True)) for c in right.columns])
        scope = Scope({st.left: left, st.right: right}, [st.left, st.right])
        self._want_bool(self._expr(st.on, scope, Ctx(what="in a join condition")), st.on, "on")
        if not _has_equality(st.on, st.left, st.right, left, right):
            self.report("E004", "a join needs at least one equality between the two sides", st.on.span,
                        f"e.g. on {st.left}.id = {st.right}.id")
        rel = Relation(st.name, st, [], time_origin=left.time_origin)
        if st.join_kind == "interval":
            self._require_time(left, None, st, "left", "an interval join")
            self._require_time(right, None, st, "right", "an interval join")
            self._require_append(left, st, "an interval join")
            self._require_append(right, st, "an interval join")
        elif st.join_kind == "temporal":
            self._require_time(left, None, st, "left", "a temporal join")
            self._require_append(left, st, "a temporal join")
            if not right.key or right.event_time is None:
                why = "no key" if not right.key else "no event time with a watermark"
                self.report("E305", f"`{st.right}` is not a versioned table ({why})", st.pos("right"),
                            "a temporal join reads a versioned table: a source with `key`, `mode upsert` and an "
                            "event_time with a watermark, or a `dedup ... keep last` of one")
            elif not _equates_keys(st.on, st.right, right.key):
                self.report("E305", f"the join condition must compare every key column of `{st.right}` "
                            f"({', '.join(right.key)})", st.on.span,
                            f"e.g. on {st.left}.x = {st.right}.{right.key[0]}")
        else:
            rel.time_note = "join"
            if left.updating or right.updating or st.outer_left:
                rel.updating = True
            elif self.spec.pipeline.state_ttl is None:
                self.report("W602", f"regular join `{st.name}` keeps every row of both inputs in state forever",
                            st.pos("kind") or st.span,
                            "use kind interval(...) to bound it in time, or set `state_ttl` in the pipeline block")
        items = self._select(st.select, scope, left.columns + right.columns, st, Ctx(what="in a select"))
        rel.columns = self._outputs([(n, t, s) for n, t, s, _ in items], st)
        if st.join_kind in ("interval", "temporal"):
            for n, _t, _s, it in items:
                if it is not None and isinstance(it.expr, ir.Column):
                    _, q, _ = scope.resolve(it.expr.path)
                    last = it.expr.path[-1]
                    if q == st.left and last == left.event_time and len(it.expr.path) <= 2:
                        rel.event_time = n
            if rel.event_time is None:
                rel.time_note = "dropped"
                rel.time_origin = st.name
        if st.select.star:
            self.report("E004", "a join's select lists its columns; `*` would repeat the join keys", st.select.span,
                        f"name the columns, e.g. {st.left}.id, {st.right}.name")
        return rel

    def _dedup(self, st: ir.Dedup) -> Relation | None:
        inp = self._single(st)
        if inp is None:
            return None
        self._require_time(inp, None, st, "input", "dedup")
        self._require_append(inp, st, "dedup")
        for k in st.key:
            if inp.column(k) is None:
                self.report("E104", f"unknown field `{k}` in key", st.pos("key"), suggest(k, [c.name for c in inp.columns]))
        rel = Relation(st.name, st, list(inp.columns), event_time=inp.event_time, time_note=inp.time_note,
                       time_origin=inp.time_origin, declared_time=inp.declared_time)
        if st.keep == "last":
            rel.updating = True
            rel.key = st.key
        return rel

    def _topn(self, st: ir.TopN) -> Relation | None:
        inp = self._single(st)
        if inp is None:
            return None
        scope = Scope({st.input: inp}, [st.input])
        for p in st.partition_by:
            self._expr(p, scope, Ctx(what="in partition by"))
            if len(p.path) > 1:
                self.report("E004", "partition by takes top-level columns", p.span)
        for o in st.order_by:
            self._expr(o.column, scope, Ctx(what="in order by"))
        cols = [(c.name, c.type, None) for c in inp.columns] + [("rownum", T.BIGINT.with_null(False), st.span)]
        rel = Relation(st.name, st, self._outputs(cols, st), time_origin=inp.time_origin, declared_time=inp.declared_time)
        if inp.windowed and not inp.updating:
            rel.windowed = True
            rel.event_time = inp.event_time
            rel.time_note = inp.time_note
        else:
            rel.updating = True
            rel.key = tuple(p.path[-1] for p in st.partition_by) + ("rownum",)
            rel.time_note = "aggregate"
        return rel

    def _pattern(self, st: ir.Pattern) -> Relation | None:
        inp = self._single(st)
        if inp is None:
            return None
        self._require_time(inp, None, st, "input", "a pattern")
        self._require_append(inp, st, "a pattern")
        scope = Scope({st.input: inp}, [st.input])
        for p in st.partition_by:
            self._expr(p, scope, Ctx(what="in partition by"))
            if len(p.path) > 1:
                self.report("E004", "partition by takes top-level columns", p.span)
        variables = [t.variable for t in st.sequence]
        defined = [d.variable for d in st.defines]
        last = st.sequence[-1]
        if last.quantifier is not None:
            # Flink 2.3: "Greedy quantifiers are not allowed as the last element of a Pattern yet."
            self.report("E004", f"a pattern cannot end with a repeated variable (`{last.variable}{last.quantifier}`) "
                        "in Flink", last.span, f"end the sequence with a single variable, e.g. "
                        f"`{last.variable}{last.quantifier} {last.variable}_end`")
        for d in st.defines:
            if d.variable not in variables:
                self.report("E104", f"`{d.variable}` is defined but not in the sequence", d.pos("variable"),
                            suggest(d.variable, variables))
        if len(set(defined)) != len(defined):
            self.report("E101", "a pattern variable is defined twice", st.span)
        vscope = Scope({**{v: inp for v in dict.fromkeys(variables)}, st.input: inp}, [st.input],
                       pattern_vars=tuple(variables))
        for d in st.defines:
            self._want_bool(self._expr(d.condition, vscope, Ctx(aggregates=True, navigation=True)), d.condition, "define")
        cols = [(p.path[-1], self._expr(p, scope, Ctx()), p.span) for p in st.partition_by]
        for m in st.measures:
            t = self._expr(m.expr, vscope, Ctx(aggregates=True, navigation=True))
            cols.append((m.name, t, m.pos("name")))
        return Relation(st.name, st, self._outputs(cols, st), time_note="aggregate", time_origin=inp.time_origin, declared_time=inp.declared_time)

    def _sink(self, st: ir.Sink) -> Relation | None:
        inp = self._single(st)
        if inp is None:
            return None
        names = [c.name for c in inp.columns]
        for k in st.key:
            if k not in names:
                self.report("E403", f"key `{k}` is not a column of `{st.input}`", st.pos("key"),
                            suggest(k, names) or f"columns: {', '.join(names)}")
            elif inp.column(k).type.base in ("ROW", "MAP", "ARRAY"):  # type: ignore[union-attr]
                self.report("E403", f"key `{k}` is a {inp.column(k).type.describe()}; a key takes plain values",  # type: ignore[union-attr]
                            st.pos("key"))
        if st.mode == "upsert" and not st.key:
            self.report("E401", f"sink `{st.name}` is upsert but has no key", st.pos("mode"),
                        f"add `key {', '.join(inp.key) if inp.key else '<column>'}`")
        if inp.updating and st.mode != "upsert":
            key = ", ".join(inp.key) if inp.key else "<column>"
            self.report("E402", f"`{st.input}` is an updating stream; an append sink cannot take its updates",
                        st.pos("input"), f"write `key {key}` and `mode upsert` in sink `{st.name}`")
        if st.mode == "upsert" and inp.key and st.key and set(st.key) != set(inp.key):
            self.report("E403", f"sink key ({', '.join(st.key)}) differs from the key of `{st.input}` "
                        f"({', '.join(inp.key)})", st.pos("key"), f"use `key {', '.join(inp.key)}`")
        if st.mode == "upsert" and st.key and inp.updating and not inp.key:
            self.report("W603", f"`{st.input}` has no key of its own, so the sink deduplicates on "
                        f"{', '.join(st.key)} (ON CONFLICT DO DEDUPLICATE), keeping every row's history in state",
                        st.pos("key"), "aggregate or dedup by the sink key before the sink to keep state small")
        for c in inp.columns:
            if c.type.base in ("INTERVAL", "NULL"):
                self.report("E501", f"column `{c.name}` of `{st.input}` has type {c.type.describe()}, which Avro cannot hold",
                            st.pos("input"), "cast it, e.g. `x = cast(... as string)`, in the stage before the sink")
        return Relation(st.name, st, list(inp.columns), updating=inp.updating, key=st.key)


def _lit_text(d: ir.Expr) -> str:
    from .printer import expr

    return expr(d)


NO_MERGE = frozenset({"first_value", "last_value"})


def _calls(nodes: Any) -> list[ir.Call]:
    out: list[ir.Call] = []
    stack = list(nodes)
    while stack:
        n = stack.pop()
        if isinstance(n, ir.Call):
            out.append(n)
        stack.extend(_children(n))
    return out


def _has_aggregate(e: Any) -> bool:
    if isinstance(e, ir.Call) and (e.name in T.AGGREGATES or e.name not in T.FUNCTIONS):
        return True  # an unknown function is reported once, as E202
    return any(_has_aggregate(c) for c in _children(e))


def _children(e: Any) -> list[Any]:
    out = []
    for name in ir.value_fields(type(e)):
        v = getattr(e, name)
        if isinstance(v, ir.Node):
            out.append(v)
        elif isinstance(v, tuple):
            out += [x for x in v if isinstance(x, ir.Node)]
    return out


def _sides(e: ir.Expr) -> list[ir.Binary]:
    if isinstance(e, ir.Binary) and e.op == "and":
        return _sides(e.left) + _sides(e.right)
    return [e] if isinstance(e, ir.Binary) and e.op == "=" else []


def _qualifier(c: ir.Expr, left: str, right: str, lrel: Relation, rrel: Relation) -> str | None:
    if not isinstance(c, ir.Column):
        return None
    if c.path[0] in (left, right) and len(c.path) > 1:
        return c.path[0]
    if lrel.column(c.path[0]) and not rrel.column(c.path[0]):
        return left
    if rrel.column(c.path[0]) and not lrel.column(c.path[0]):
        return right
    return None


def _has_equality(on: ir.Expr, left: str, right: str, lrel: Relation, rrel: Relation) -> bool:
    for eq in _sides(on):
        qs = {_qualifier(eq.left, left, right, lrel, rrel), _qualifier(eq.right, left, right, lrel, rrel)}
        if qs == {left, right}:
            return True
    return False


def _equates_keys(on: ir.Expr, right: str, key: tuple[str, ...]) -> bool:
    found = set()
    for eq in _sides(on):
        for side in (eq.left, eq.right):
            if isinstance(side, ir.Column) and side.path[0] == right and len(side.path) == 2:
                found.add(side.path[1])
    return set(key) <= found


def analyze(spec: ir.Spec, file: str = "<spec>") -> Analysis:
    return Analyzer(spec, file).run()

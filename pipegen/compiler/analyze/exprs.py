"""The type of every expression, and the type errors on the way (E104, E2xx)."""

from __future__ import annotations

from dataclasses import replace

from .. import ir
from .. import types as T
from ..functions import FUNCTIONS, OTHER_NAMES, Function, Refused, returning_name
from ..registry import Dispatch
from .model import Ctx, Run, Scope, definition, suggest

COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")


class Types:
    """Types expressions in a scope; reports what is wrong and gives None for an expression with no type."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.report = run.report
        self.udfs = {f.name: f for f in run.spec.pipeline.functions}

    type_of = Dispatch("type an expression")

    def quiet(self) -> Types:
        """Types that reports nothing: to type again an expression that has been checked."""
        out = Types(self.run)
        out.report = lambda *args, **kwargs: None  # type: ignore[method-assign]
        return out

    def want_bool(self, t: T.SqlType | None, e: ir.Expr, where: str) -> None:
        if t is not None and t.base not in ("BOOLEAN", "NULL", "ANY"):
            self.report("E201", f"{where} needs a condition (true or false), not {t.describe()}", e.span,
                        "compare the value, e.g. `amount > 100`")

    def condition(self, e: ir.Expr, scope: Scope, ctx: Ctx, where: str) -> None:
        self.want_bool(self.type_of(e, scope, ctx), e, where)

    @type_of.register(ir.NumberLit)
    def _number(self, e: ir.NumberLit, scope: Scope, ctx: Ctx) -> T.SqlType | None:
        if "." in e.text:
            whole, frac = e.text.split(".")
            return T.SqlType("DECIMAL", False, precision=min(38, max(len(whole) + len(frac), 1)), scale=len(frac))
        small = len(e.text.lstrip("0")) <= 10 and int(e.text) < 2**31  # no int() of a huge literal
        return T.SqlType("INT" if small else "BIGINT", False)

    @type_of.register(ir.StringLit)
    def _string(self, e: ir.StringLit, scope: Scope, ctx: Ctx) -> T.SqlType | None:
        return T.STRING.with_null(False)

    @type_of.register(ir.BoolLit)
    def _bool(self, e: ir.BoolLit, scope: Scope, ctx: Ctx) -> T.SqlType | None:
        return T.BOOLEAN.with_null(False)

    @type_of.register(ir.NullLit)
    def _null(self, e: ir.NullLit, scope: Scope, ctx: Ctx) -> T.SqlType | None:
        return T.NULL

    @type_of.register(ir.IntervalLit)
    def _interval(self, e: ir.IntervalLit, scope: Scope, ctx: Ctx) -> T.SqlType | None:
        return T.INTERVAL

    @type_of.register(ir.Column)
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

    @type_of.register(ir.Not)
    def _not(self, e: ir.Not, scope: Scope, ctx: Ctx) -> T.SqlType | None:
        self.condition(e.operand, scope, ctx, "not")
        return T.BOOLEAN

    @type_of.register(ir.Neg)
    def _neg(self, e: ir.Neg, scope: Scope, ctx: Ctx) -> T.SqlType | None:
        t = self.type_of(e.operand, scope, ctx)
        if t is not None and not (t.is_numeric or t.base in ("INTERVAL", "ANY")):
            self.report("E201", f"cannot negate {t.describe()}", e.span)
            return None
        return t

    @type_of.register(ir.IsNull)
    def _is_null(self, e: ir.IsNull, scope: Scope, ctx: Ctx) -> T.SqlType | None:
        self.type_of(e.operand, scope, ctx)
        return T.BOOLEAN.with_null(False)

    @type_of.register(ir.Between)
    def _between(self, e: ir.Between, scope: Scope, ctx: Ctx) -> T.SqlType | None:
        ts = [self.type_of(x, scope, ctx) for x in (e.operand, e.low, e.high)]
        if all(ts) and not all(T.comparable(ts[0], t) for t in ts[1:]):  # type: ignore[arg-type]
            self.report("E201", f"between compares {ts[0].describe()} with {ts[1].describe()} and "  # type: ignore[union-attr]
                        f"{ts[2].describe()}", e.span)  # type: ignore[union-attr]
        return T.BOOLEAN

    @type_of.register(ir.InList)
    def _in(self, e: ir.InList, scope: Scope, ctx: Ctx) -> T.SqlType | None:
        t = self.type_of(e.operand, scope, ctx)
        for item in e.items:
            it = self.type_of(item, scope, ctx)
            if t is not None and it is not None and not T.comparable(t, it):
                self.report("E201", f"`in` compares {t.describe()} with {it.describe()}", item.span,
                            "every value in the list must have the type of the left side")
        return T.BOOLEAN

    @type_of.register(ir.Like)
    def _like(self, e: ir.Like, scope: Scope, ctx: Ctx) -> T.SqlType | None:
        t = self.type_of(e.operand, scope, ctx)
        if t is not None and t.base not in ("STRING", "ANY"):
            self.report("E201", f"like needs a string, not {t.describe()}", e.span)
        return T.BOOLEAN

    @type_of.register(ir.Case)
    def _case(self, e: ir.Case, scope: Scope, ctx: Ctx) -> T.SqlType | None:
        results = []
        for w in e.whens:
            self.condition(w.condition, scope, ctx, "when")
            results.append(self.type_of(w.result, scope, ctx))
        results.append(self.type_of(e.otherwise, scope, ctx) if e.otherwise is not None else T.NULL)
        if any(r is None for r in results):
            return None
        u = T.unify(results, leading=True)  # type: ignore[arg-type]
        if u is None:
            self.report("E201", "the branches of case have different types: "
                        + ", ".join(r.describe() for r in results if r.base != "NULL"), e.span,  # type: ignore[union-attr]
                        "cast the branches to one type, e.g. cast(x as double)")
        return u

    @type_of.register(ir.Cast)
    def _cast(self, e: ir.Cast, scope: Scope, ctx: Ctx) -> T.SqlType | None:
        src = self.type_of(e.operand, scope, ctx)
        to = T.from_spec(e.to, True)
        why = T.cast_problem(src, to)
        if why:
            self.report("E201", why, e.span)
        elif src is not None and src.is_numeric and to.base == "STRING":
            self.run.out.number_texts.add(e)
        elif src is not None and src.base == "STRING" and to.base in ("TIMESTAMP", "TIMESTAMP_LTZ") and (
                self._number_text(e.operand, scope)):
            # Flink 2.3 casts the number itself (measured: int, bigint, double, decimal; "The cast from NUMERIC
            # type to TIMESTAMP type is not allowed"), also through the views between; a number's text is no
            # timestamp anyway
            self.report("E201", f"a number's text is not a timestamp, and Flink cannot cast a number to "
                        f"{to.describe()}", e.span, "from_epoch_millis(n) or from_epoch_seconds(n) make a "
                        "timestamp of a number")
        return to.with_null(src.nullable if src else True)

    def _coalesce_of_decided_case(self, e: ir.Call, scope: Scope, first: T.SqlType | None) -> None:
        """coalesce() whose first argument is a case ``_decided`` gives a literal: Calcite folds the case to it,
        which is never null, and then fails on its own plan ("AssertionError: Cannot add expression of different
        type to set", Flink 2.3; measured with a `when true`, a null test of a column never null, and a `then null`
        branch or a column that may be null never taken; as a later argument, or with an outcome the tests do not
        decide, it plans)."""
        if e.name == "coalesce" and e.args and isinstance(e.args[0], ir.Case) and first is not None and (
                first.nullable) and self._decided(e.args[0], scope):
            self.report("E701", "Flink cannot plan coalesce() of a case whose outcome the types decide",
                        e.args[0].span, "write the value the case always gives in its place")

    def _decided(self, e: ir.Case, scope: Scope) -> bool:
        """Whether ``e`` always gives a literal that is not null, by its tests alone (``true``, ``false``, and
        null tests of columns never null)."""
        def test(c: ir.Expr) -> bool | None:
            if isinstance(c, ir.BoolLit):
                return c.value
            if isinstance(c, ir.IsNull) and isinstance(c.operand, ir.Column):
                t = scope.resolve(c.operand.path)[0]
                return c.negated if t is not None and not t.nullable else None
            return None

        outcome: ir.Expr | None = None
        for w in e.whens:
            decided = test(w.condition)
            if decided is None:
                return False
            if decided:
                outcome = w.result
                break
        else:
            outcome = e.otherwise
        return isinstance(outcome, ir.NumberLit | ir.StringLit | ir.BoolLit)

    def _number_text(self, e: ir.Expr, scope: Scope) -> bool:
        """Whether ``e`` is a cast of a number to a string, directly or as the column of an input that one
        computes (``model.definition``)."""
        if isinstance(e, ir.Column):
            _t, q, _err = scope.resolve(e.path)
            rel = scope.tables.get(q) if q is not None else None
            name = e.path[-1] if q is not None and e.path[0] == q and len(e.path) == 2 else e.path[0]
            if rel is None or len(e.path) > (2 if e.path[0] == q else 1):
                return False
            e = definition(self.run.relation, rel, name)  # type: ignore[assignment]
        return e in self.run.out.number_texts

    @type_of.register(ir.Binary)
    def _binary(self, e: ir.Binary, scope: Scope, ctx: Ctx) -> T.SqlType | None:
        lt = self.type_of(e.left, scope, ctx)
        rt = self.type_of(e.right, scope, ctx)
        if lt is None or rt is None or T.ANY in (lt, rt):
            return T.BOOLEAN if e.op in ("and", "or", *COMPARISONS) else T.ANY
        if e.op in ("and", "or"):
            self.want_bool(lt, e.left, e.op)
            self.want_bool(rt, e.right, e.op)
            return T.BOOLEAN
        if e.op in COMPARISONS:
            if not T.comparable(lt, rt):
                quotes = 'strings are written in double quotes, e.g. currency = "USD"'
                self.report("E201", f"cannot compare {lt.describe()} with {rt.describe()}", e.span,
                            quotes if "STRING" in (lt.base, rt.base) else None)
            return T.BOOLEAN.with_null(lt.nullable or rt.nullable)
        if lt.is_numeric and rt.is_numeric:
            if e.op == "%" and not (lt.base in T.INTEGRAL and rt.base in T.INTEGRAL):
                self.report("E201", "% needs whole numbers", e.span)
            return T.numeric_result(lt, rt, e.op)
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

    def _navigation_rules(self, e: ir.Call, kind: str, scope: Scope, ctx: Ctx) -> None:
        """Where pattern navigation may go: a pattern's define and measures; prev() only in a define, of a plain
        column."""
        if kind == "nav" and not ctx.navigation:
            self.report("E202", f"{e.name}() is only available in a pattern's define and measures", e.pos("name"))
        elif e.name == "prev" and ctx.what == "in measures":
            # Flink 2.3: "Cannot use PREV/NEXT in MEASURE".
            self.report("E202", "prev() is only available in a pattern's define", e.pos("name"),
                        "in measures, take a variable's value with first(v.x) or last(v.x)")
        elif e.name == "prev" and e.args and isinstance(e.args[0], ir.Column) and len(e.args[0].path) > 1 \
                and e.args[0].path[0] in scope.pattern_vars:
            # Flink 2.3: "Flink does not support physical offsets within partition".
            self.report("E203", "prev() takes a column of the row before, not of a variable: prev(x), not "
                        f"prev({'.'.join(e.args[0].path)})", e.args[0].span, f"write prev({e.args[0].path[-1]})")

    def _udf_call(self, e: ir.Call, f: ir.Udf, scope: Scope, ctx: Ctx) -> T.SqlType | None:
        """A call of a function of the user's own: typed by its declaration."""
        if e.star or e.distinct:
            self.report("E203", f"{e.name}() is a scalar function of yours: no `*` or distinct", e.span)
            return None
        if len(e.args) != len(f.params):
            self.report("E203", f"{e.name}() takes {len(f.params)} argument{'s' if len(f.params) != 1 else ''}, "
                        f"not {len(e.args)}", e.span, f"as declared in the pipeline block, line "
                        f"{f.span.line if f.span else '?'}")
            return None
        if f.language == "python" and ctx.stage == "pattern":
            # Flink 2.3: "Python Function can not be used in MATCH_RECOGNIZE for now" (in define and in measures).
            self.report("E204", f"{e.name}() is a Python function: Flink 2.3 cannot call one in a pattern",
                        e.pos("name"), f"call it in a transform before the pattern and read its column here, e.g. "
                        f"transform t from IN {{ select {{ * x = {e.name}(...) }} }}")
            for arg in e.args:
                self.type_of(arg, scope, ctx)
            return None
        for arg, param in zip(e.args, f.params):
            t, want = self.type_of(arg, scope, ctx), T.from_spec(param, True)
            if t is not None and not (T.comparable(t, want) and (t.is_numeric == want.is_numeric)):
                self.report("E201", f"{e.name}() takes {want.describe()} here, not {t.describe()}", arg.span,
                            "cast the argument, e.g. cast(x as double), or declare the function with that type")
        return T.from_spec(f.returns, True)

    def _is_event_time(self, e: ir.Expr, scope: Scope) -> bool:
        if not isinstance(e, ir.Column):
            return False
        _t, q, _err = scope.resolve(e.path)
        rel = scope.tables.get(q) if q else None
        return rel is not None and rel.event_time is not None and e.path[-1] == rel.event_time and (
            len(e.path) == 1 or (len(e.path) == 2 and e.path[0] == q))

    def _returning(self, e: ir.Call, fn: Function, args: list[T.SqlType | None]) -> T.SqlType | None:
        """The type of a call with ``returning``: the type asked for, among those the function can give."""
        assert e.returning is not None
        asked = T.from_spec(e.returning, True)
        if asked.base == "ARRAY" and asked.elem is not None:
            asked = T.SqlType("ARRAY", True, elem=asked.elem.with_null(True))  # Flink's items may be null
        if not fn.returning:
            self.report("E203", f"{e.name}() takes no `returning`", e.pos("returning"),
                        "`returning` goes with json_value and json_query; elsewhere use cast(x as T)")
            return None
        if returning_name(asked) not in fn.returning:
            from ..printer import type_

            self.report("E201", f"{e.name}() cannot return {type_(e.returning, 0)} in Flink 2.3", e.pos("returning"),
                        f"it returns {', '.join(fn.returning[:-1])} or {fn.returning[-1]}; cast the result for "
                        "another type")
            return None
        if any(a is None or a == T.ANY for a in args):
            return asked
        t = fn.result(args)  # type: ignore[arg-type]
        if isinstance(t, str):
            self.report("E201", t, e.span)
            return None
        return asked

    def _placement_rules(self, e: ir.Call, fn: Function, ctx: Ctx) -> None:
        """Where a function may be called: aggregates in measures, not inside another; distinct only with an
        aggregate that takes it; a function kept to some stages (``fn.stages``) only in their measures."""
        if fn.kind == "agg":
            if not ctx.aggregates:
                self.report("E204", f"aggregate {e.name}() cannot be used {ctx.what}", e.span,
                            "aggregates belong in the measures of an aggregate, rolling or pattern stage")
            elif ctx.in_aggregate:
                self.report("E204", f"aggregate {e.name}() inside another aggregate", e.span)
        if e.distinct and fn.kind != "agg":
            self.report("E203", f"distinct only goes with an aggregate, not {e.name}()", e.span)
        elif e.distinct and not fn.distinct:
            # Flink 2.3 has no DISTINCT in JSON_ARRAYAGG or JSON_OBJECTAGG.
            self.report("E203", f"{e.name}() takes no distinct", e.span,
                        "aggregate the distinct values first: an aggregate grouped by them, then this one")
        if fn.stages and ctx.aggregates and ctx.stage not in fn.stages:
            where = " or ".join(f"an {s}" if s[0] in "aeiou" else f"a {s}" for s in fn.stages)
            hint = ("Flink 2.3 does not compute it over a rolling window or in a pattern" if fn.stages == ("aggregate",)
                    else f"e.g. rolling NAME from IN {{ partition by KEY measures {{ x = {fn.example} }} }}")
            self.report("E204", f"{e.name}() is only available in the measures of {where} stage", e.pos("name"), hint)

    def _arguments_fit(self, e: ir.Call, fn: Function, args: list[T.SqlType | None]) -> bool:
        """No bare null where Flink takes none (``fn.nulls``); reports the first. Records the timestamps an array_of
        or map_of holds."""
        if fn.name in ("array_of", "map_of"):
            held = {a: t for a, t in zip(e.args, args) if t is not None and t.base == "TIMESTAMP"}
            self.run.out.held_times.update(held)
        for i, (a, t) in enumerate(zip(e.args, args)):
            if t is not None and t.base == "NULL" and not fn.takes_null(i):
                self.report("E201", f"{e.name}() cannot take a bare null", a.span,
                            "cast it to the type meant, e.g. cast(null as string)")
                return False
        return True

    @type_of.register(ir.Call)
    def _call(self, e: ir.Call, scope: Scope, ctx: Ctx) -> T.SqlType | None:
        fn = FUNCTIONS.get(e.name)
        if fn is None and e.name in self.udfs:
            return self._udf_call(e, self.udfs[e.name], scope, ctx)
        if fn is None:
            self.report("E202", f"unknown function `{e.name}`", e.pos("name"),
                        OTHER_NAMES.get(e.name.lower()) or suggest(e.name, list(FUNCTIONS))
                        or "functions: " + ", ".join(sorted(FUNCTIONS)))
            inner = replace(ctx, in_aggregate=True)
            for a in e.args:
                self.type_of(a, scope, inner)
            return None
        self._placement_rules(e, fn, ctx)
        self._navigation_rules(e, fn.kind, scope, ctx)
        if e.star and e.name != "count":
            self.report("E203", f"{e.name}(*) is not allowed; only count(*)", e.span)
            return None
        n = len(e.args)
        if not e.star and not fn.takes(n):
            self.report("E203", f"{e.name}() takes {fn.arity()} argument{'s' if fn.max_args != 1 else ''}, not {n}",
                        e.span, f"e.g. {fn.example}" if fn.arities else None)
            return None
        inner = replace(ctx, in_aggregate=ctx.in_aggregate or fn.kind == "agg")
        args = [self.type_of(a, scope, inner) for a in e.args]
        self._coalesce_of_decided_case(e, scope, args[0] if args else None)
        for i in fn.literals:
            if i < n and not isinstance(e.args[i], ir.StringLit):
                self.report("E203", f"{e.name}() takes {fn.literal} as a string literal", e.args[i].span,
                            f'write the {fn.literal.split()[-1]} in double quotes, e.g. {fn.example}')
                return None
        if not self._arguments_fit(e, fn, args):
            return None
        if e.returning is not None:
            return self._returning(e, fn, args)
        if fn.time_attribute and args[0] is not None and not self._is_event_time(e.args[0], scope):
            self.report("E301", f"{e.name}() takes the event-time column of its input", e.args[0].span,
                        "pass the column named in the source's event_time (kept unchanged by the stages between)")
            return None
        if any(a is None or a == T.ANY for a in args):
            return T.ANY
        if e.star:
            return fn.result([])
        t = fn.result(args)  # type: ignore[arg-type]
        if isinstance(t, str):
            self.report("E201", t, e.span)
            return None
        if isinstance(t, Refused):
            self.report("E201", t.message, e.span, t.hint)
            return None
        return fn.by_literal(t, list(e.args)) if fn.by_literal else t

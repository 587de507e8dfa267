"""Lowering: checked IR -> Flink SQL statements.

The query of each stage is the same on every target; a target (``targets/``)
decides only how tables are declared and named. Identifiers and literals are
quoted by ``dialect.ident`` and ``dialect.lit``; nothing else writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from . import ir
from . import types as T
from .analyze import WINDOW_COLUMNS, Analysis, Relation, Scope
from .analyze.conditions import conjuncts
from .analyze.model import children
from .dialect import ident, lit
from .functions import FUNCTIONS, returning_name
from .printer import AND, ATOM, NOT, OR, PRODUCT, SUM, UNARY
from .printer import _level as spec_level
from .registry import Dispatch

LEVEL = {"or": OR, "and": AND, "+": SUM, "-": SUM, "*": PRODUCT, "/": PRODUCT, "%": ATOM}
COMPARE_SQL = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def interval(d: ir.Duration) -> str:
    """A Flink interval literal, in the largest unit that divides the duration."""
    ms = d.millis
    for unit, size in (("DAY", 86_400_000), ("HOUR", 3_600_000), ("MINUTE", 60_000), ("SECOND", 1000)):
        if ms % size == 0 and ms >= size:
            value = ms // size
            digits = len(str(value))
            precision = f"({digits})" if digits > 2 else ""
            return f"INTERVAL {lit(str(value))} {unit}{precision}"
    if ms == 0:
        return f"INTERVAL {lit('0')} SECOND"
    seconds = f"{ms // 1000}.{ms % 1000:03d}"
    digits = len(str(ms // 1000))
    precision = f"({max(digits, 2)}, 3)"
    return f"INTERVAL {lit(seconds)} SECOND{precision}"


def level(e: ir.Expr) -> int:
    """Precedence as in the spec language, except `%`, which SQL writes as the call MOD(a, b)."""
    if type(e) is ir.Binary and e.op == "%":
        return ATOM
    return spec_level(e)


@dataclass
class ExprContext:
    """How names are written: ``column`` maps a path to SQL; ``over`` is appended to aggregate calls."""

    column: Callable[[tuple[str, ...]], str]
    over: str | None = None
    substitute: dict[str, ir.Expr] | None = None  # having: measure name -> its expression
    # A CASE with several WHENs is written as nested CASEs, one WHEN each (the same meaning): in a pattern's DEFINE,
    # Flink 2.3 rejects the first ("Cannot nest PREV/NEXT under LAST/FIRST 'LAST(`*`.`x`, 0)'") and plans the other.
    nested_case: bool = False
    held_times: dict[Any, T.SqlType] | None = None  # Analysis.held_times: timestamps in an array_of or map_of


def plain_columns(path: tuple[str, ...]) -> str:
    return ".".join(ident(p) for p in path)


def scoped_columns(scope: Scope, table: Callable[[str], str] = ident) -> Callable[[tuple[str, ...]], str]:
    """Qualify every column with its table so joins are unambiguous; ``table`` names it as the FROM clause does."""

    def column(path: tuple[str, ...]) -> str:
        _t, q, _err = scope.resolve(path)
        if q is not None:
            return ".".join([table(q), *(ident(p) for p in (path[1:] if path[0] == q else path))])
        return plain_columns(path)

    return column


def sql(e: ir.Expr, cx: ExprContext, need: int = OR) -> str:
    text = SQL(e, cx)
    return f"({text})" if level(e) < need else text


SQL = Dispatch("lower an expression")


@SQL.register(ir.Column)
def _column(e: ir.Column, cx: ExprContext) -> str:
    if cx.substitute and len(e.path) == 1 and e.path[0] in cx.substitute:
        return sql(cx.substitute[e.path[0]], cx, ATOM)
    return cx.column(e.path)


@SQL.register(ir.Binary)
def _binary(e: ir.Binary, cx: ExprContext) -> str:
    if e.op in COMPARE_SQL:
        return f"{sql(e.left, cx, SUM)} {COMPARE_SQL[e.op]} {sql(e.right, cx, SUM)}"
    if e.op == "%":
        return f"MOD({sql(e.left, cx)}, {sql(e.right, cx)})"
    lv = LEVEL[e.op]
    if e.op == "+" and isinstance(e.left, ir.IntervalLit):
        # the same sum, the interval last: Flink 2.3 refuses INTERVAL + a TIMESTAMP_LTZ ("Unsupported temporal
        # arithmetic", the cloud target's instants) and takes it the other way round
        return f"{sql(e.right, cx, lv)} + {sql(e.left, cx, lv + 1)}"
    return f"{sql(e.left, cx, lv)} {e.op.upper()} {sql(e.right, cx, lv + 1)}"


@SQL.register(ir.NumberLit)
def _number(e: ir.NumberLit, cx: ExprContext) -> str:
    return e.text


@SQL.register(ir.StringLit)
def _string(e: ir.StringLit, cx: ExprContext) -> str:
    return lit(e.value)


@SQL.register(ir.BoolLit)
def _bool(e: ir.BoolLit, cx: ExprContext) -> str:
    return "TRUE" if e.value else "FALSE"


@SQL.register(ir.NullLit)
def _null(e: ir.NullLit, cx: ExprContext) -> str:
    return "NULL"


@SQL.register(ir.IntervalLit)
def _interval(e: ir.IntervalLit, cx: ExprContext) -> str:
    return interval(e.duration)


@SQL.register(ir.Not)
def _not(e: ir.Not, cx: ExprContext) -> str:
    return f"NOT {sql(e.operand, cx, NOT)}"


@SQL.register(ir.Neg)
def _neg(e: ir.Neg, cx: ExprContext) -> str:
    inner = sql(e.operand, cx, UNARY)
    return f"- {inner}" if inner.startswith("-") else f"-{inner}"  # `--` would begin an SQL comment


def _negated(e: ir.IsNull | ir.Between | ir.InList | ir.Like) -> str:
    return "NOT " if e.negated else ""


@SQL.register(ir.IsNull)
def _is_null(e: ir.IsNull, cx: ExprContext) -> str:
    return f"{sql(e.operand, cx, SUM)} IS {_negated(e)}NULL"


@SQL.register(ir.Between)
def _between(e: ir.Between, cx: ExprContext) -> str:
    return f"{sql(e.operand, cx, SUM)} {_negated(e)}BETWEEN {sql(e.low, cx, SUM)} AND {sql(e.high, cx, SUM)}"


@SQL.register(ir.InList)
def _in(e: ir.InList, cx: ExprContext) -> str:
    items = ", ".join(sql(i, cx) for i in e.items)
    return f"{sql(e.operand, cx, SUM)} {_negated(e)}IN ({items})"


@SQL.register(ir.Like)
def _like(e: ir.Like, cx: ExprContext) -> str:
    return f"{sql(e.operand, cx, SUM)} {_negated(e)}LIKE {lit(e.pattern)}"


@SQL.register(ir.Case)
def _case(e: ir.Case, cx: ExprContext) -> str:
    whens = e.whens[:1] if cx.nested_case else e.whens
    parts = ["CASE"] + [f"WHEN {sql(w.condition, cx)} THEN {sql(w.result, cx)}" for w in whens]
    otherwise = ir.Case(whens=e.whens[1:], otherwise=e.otherwise) if len(whens) < len(e.whens) else e.otherwise
    if otherwise is not None:
        parts.append(f"ELSE {sql(otherwise, cx)}")
    return " ".join(parts + ["END"])


@SQL.register(ir.Cast)
def _cast(e: ir.Cast, cx: ExprContext) -> str:
    to = T.from_spec(e.to, True)
    operand = sql(e.operand, cx)
    if isinstance(e.operand, ir.BoolLit) and to.is_numeric:
        # Flink 2.3 folds `x * CAST(TRUE AS DOUBLE)` into an AssertionError ("cannot cast true as class
        # java.math.BigDecimal"); the number the cast gives it takes.
        operand = "1" if e.operand.value else "0"
    return f"CAST({operand} AS {to.sql(ident, not_null=False)})"


@SQL.register(ir.Call)
def _call(e: ir.Call, cx: ExprContext) -> str:
    fn = FUNCTIONS.get(e.name)
    if fn is None:  # a function of the user's own (the checks have typed the call by its declaration)
        return f"{ident(e.name)}(" + ", ".join(sql(a, cx) for a in e.args) + ")"
    if e.star:
        text = f"{fn.sql}(*)"
    elif e.distinct:
        arg = sql(e.args[0], cx)
        text = f"{fn.sql}(DISTINCT {f'CAST({arg} AS DOUBLE)' if fn.double_arg else arg})"
    else:
        args = [sql(a, cx) for a in e.args]
        if fn.double_arg:
            args[0] = f"CAST({args[0]} AS DOUBLE)"
        if cx.held_times:
            args = [f"CAST({text} AS {cx.held_times[a].sql(ident, not_null=False)})" if a in cx.held_times else text
                    for a, text in zip(e.args, args)]
        if e.returning is not None:  # JSON_VALUE(doc, '$.id' RETURNING INT): the checks allow fn.returning's
            args[-1] += f" RETURNING {returning_name(T.from_spec(e.returning, True)).upper()}"
        text = fn.render(fn.sql, args) if fn.render else f"{fn.sql}(" + ", ".join(args) + ")"
    if fn.kind == "agg" and cx.over is not None:
        text += f" OVER {cx.over}"
    return text


def _and_parts(e: ir.Expr) -> list[ir.Expr]:
    if type(e) is ir.Binary and e.op == "and":
        return _and_parts(e.left) + _and_parts(e.right)
    return [e]


def _holds_like(e: ir.Expr) -> bool:
    return isinstance(e, ir.Like) or any(_holds_like(c) for c in children(e))


def plain_time(text: str, precision: int = 3) -> str:
    """A copy of an event-time column as a plain timestamp. Flink keeps every copy of a time attribute one, and a
    sink takes at most one ("The query contains more than one rowtime attribute column", Flink 2.3); a stage's
    event time is one column, every other copy is a plain timestamp in the checks too."""
    return f"CAST({text} AS TIMESTAMP({precision}))"


def reads_column(e: ir.Expr, name: str | None) -> bool:
    """Whether ``e`` reads the top-level column ``name``."""
    if isinstance(e, ir.Column):
        return name is not None and e.path[0] == name
    return any(reads_column(c, name) for c in children(e))


def select_list(items: list[tuple[str, str]]) -> str:
    """Lines of ``expr AS name`` (or just the name when it is the same column)."""
    out = []
    for name, text in items:
        out.append(text if text == ident(name) else f"{text} AS {ident(name)}")
    return ",\n".join(f"  {x}" for x in out)


# A window table-valued function call: the window, the table it reads (``TABLE t`` or a subquery), the stage and
# the time column (SQL) it windows on.
WINDOW_TVF = Dispatch("lower a window")


# The time column of a roll-up's input, renamed so that it does not clash with the window's own window_time.
ROLLUP_TIME = "pipegen_input_time"


def _rollup_time(column: Callable[[tuple[str, ...]], str]) -> Callable[[tuple[str, ...]], str]:
    """Columns in a roll-up's measures: its input's `window_time` is the renamed time column. As the window's own
    window_time, Flink 2.3 plans `MAX(window_time)` as a group aggregate, which has no time attribute ("You must
    specify either rowtime or proctime for order by as the first one" in a pattern after it)."""
    def rename(path: tuple[str, ...]) -> str:
        return ident(ROLLUP_TIME) if path == ("window_time",) else column(path)
    return rename


@WINDOW_TVF.register(ir.Tumble)
def _tumble(w: ir.Tumble, src: str, st: ir.Aggregate, column: str) -> str:
    return f"TUMBLE({src}, DESCRIPTOR({column}), {interval(w.size)})"


@WINDOW_TVF.register(ir.Hop)
def _hop(w: ir.Hop, src: str, st: ir.Aggregate, column: str) -> str:
    return f"HOP({src}, DESCRIPTOR({column}), {interval(w.slide)}, {interval(w.size)})"


@WINDOW_TVF.register(ir.Session)
def _session(w: ir.Session, src: str, st: ir.Aggregate, column: str) -> str:
    keys = ", ".join(ident(g.path[0]) for g in st.group_by)
    part = f" PARTITION BY {keys}" if keys else ""
    return f"SESSION({src}{part}, DESCRIPTOR({column}), {interval(w.gap)})"


@WINDOW_TVF.register(ir.Cumulate)
def _cumulate(w: ir.Cumulate, src: str, st: ir.Aggregate, column: str) -> str:
    return f"CUMULATE({src}, DESCRIPTOR({column}), {interval(w.step)}, {interval(w.size)})"


# The frame of an over window (``rows(ts, N)`` is the current row and the N-1 before it).
OVER_FRAME = Dispatch("lower an over window")


@OVER_FRAME.register(ir.OverRange)
def _over_range(o: ir.OverRange) -> str:
    return f"RANGE BETWEEN {interval(o.preceding)} PRECEDING AND CURRENT ROW"


@OVER_FRAME.register(ir.OverRows)
def _over_rows(o: ir.OverRows) -> str:
    return f"ROWS BETWEEN {o.rows - 1} PRECEDING AND CURRENT ROW"


class Lowering:
    """Builds the query of each stage; ``table`` names the SQL table or view of a statement."""

    def __init__(self, analysis: Analysis, table: Callable[[str], str]):
        self.a = analysis
        self.table = table

    def rel(self, name: str) -> Relation:
        return self.a.relations[name]

    # The query of each stage kind; sources and sinks are tables, declared by the target.
    query = Dispatch("lower a stage")

    # ---------------------------------------------------------------- stages
    def _single_cx(self, st: Any) -> ExprContext:
        return ExprContext(plain_columns, held_times=self.a.held_times)

    @query.register(ir.Transform)
    def _transform(self, st: ir.Transform) -> str:
        inp = self.rel(st.input)
        cx = self._single_cx(st)
        if st.select is None:
            items = [(c.name, ident(c.name)) for c in inp.columns]
        else:
            items = [(c.name, ident(c.name)) for c in inp.columns] if st.select.star else []
            rel = self.rel(st.name)
            for it in st.select.items:
                name = it.alias or it.expr.path[-1]  # type: ignore[union-attr]
                text = sql(it.expr, cx)
                col = rel.column(name)
                if (name != rel.event_time and col is not None and col.type.base == "TIMESTAMP"
                        and reads_column(it.expr, inp.event_time)):
                    # a copy, or a value Flink keeps a time attribute (`ts + interval 1 h`), at the value's precision
                    text = plain_time(text, col.type.precision or 3)
                items.append((name, text))
        text = f"SELECT\n{select_list(items)}\nFROM {self.table(st.input)}"
        if st.where is not None:
            text += f"\nWHERE {self._filter(st.where, inp, cx)}"
        return text

    def _filter(self, where: ir.Expr, inp: Relation, cx: ExprContext) -> str:
        """A transform's or an aggregate's where. One right after a dedup or a top-N without a window (through
        transforms, whose views Flink merges) writes each conjunct that holds a LIKE as ``IF(c, 1, 0) = 1`` (true
        where c is true, the same filter): Flink 2.3 then no longer sees the dedup or top-N when the merged view
        also computes a column, plans ROW_NUMBER as an OVER aggregate and refuses any order but the time ascending
        ("The window can only be ordered in ASCENDING mode"; measured with LIKE on a key or a cast, with and
        without a partition, after a dedup keeping the last row, through transforms; CASE, COALESCE and IS TRUE
        of the LIKE fail too, and NOT LIKE or a LIKE in an OR plan as written)."""
        rel: Relation | None = inp
        while rel is not None and isinstance(rel.statement, ir.Transform):
            rel = self.a.relations.get(rel.statement.input)
        if rel is None or not (isinstance(rel.statement, ir.Dedup) or (
                isinstance(rel.statement, ir.TopN) and not rel.windowed)):
            return sql(where, cx)
        return " AND ".join(f"IF({sql(c, cx)}, 1, 0) = 1" if _holds_like(c) else sql(c, cx, AND + 1)
                            for c in _and_parts(where))

    @query.register(ir.Aggregate)
    def _aggregate(self, st: ir.Aggregate) -> str:
        cx = self._single_cx(st)
        items: list[tuple[str, str]] = []
        group: list[str] = []
        if st.window is not None:
            src, column, filtered = self._window_input(st, cx)
            tvf = WINDOW_TVF(st.window, src, st, column)
            if column == ident(ROLLUP_TIME):
                cx = ExprContext(_rollup_time(cx.column), held_times=self.a.held_times)
            source = f"TABLE(\n  {tvf})"
            for c in ("window_start", "window_end", "window_time"):
                items.append((c, ident(c)))
                group.append(ident(c))
        else:
            source = self.table(st.input)
        time = self.rel(st.input).event_time if st.window is not None else None
        for g in st.group_by:
            # The input's event time, grouped by beside the window, stays a time attribute beside window_time, and
            # a sink takes one ("more than one rowtime attribute column", Flink 2.3): a plain copy is selected.
            text = sql(g, cx)
            items.append((g.path[-1], plain_time(text) if len(g.path) == 1 and g.path[0] == time else text))
            group.append(text)
        out, in_time = self.rel(st.name), self.rel(st.input).event_time
        for m in st.measures:
            # An aggregate of the event time (`min(ts)`, `last_value(window_time)`) stays a time attribute in Flink
            # 2.3, which a session window grouped by it then plans as an updating aggregate: a plain one is
            # selected, as the checks take it.
            text, col = sql(m.expr, cx), out.column(m.name)
            if col is not None and col.type.base == "TIMESTAMP" and reads_column(m.expr, in_time):
                text = plain_time(text, col.type.precision or 3)
            items.append((m.name, text))
        text = f"SELECT\n{select_list(items)}\nFROM {source}"
        if st.where is not None and not (st.window is not None and filtered):
            text += f"\nWHERE {self._filter(st.where, self.rel(st.input), cx)}"
        if group:
            text += "\nGROUP BY " + ", ".join(group)
        if st.having is not None:
            hx = ExprContext(cx.column, substitute={m.name: m.expr for m in st.measures},
                             held_times=self.a.held_times)
            text += f"\nHAVING {sql(st.having, hx)}"
        return text

    def _window_input(self, st: ir.Aggregate, cx: ExprContext) -> tuple[str, str, bool]:
        """What a window function reads: the input table, or a query of it; the time column it windows on; and
        whether the query has applied the stage's ``where`` already."""
        assert st.window is not None
        table, column = self.table(st.input), ident(st.window.column)
        where = f" WHERE {sql(st.where, cx)}" if st.where is not None else ""
        inp = self.rel(st.input)
        if any(inp.column(c) for c in WINDOW_COLUMNS):
            # A roll-up (a window over a windowed stage): the function would add window_start, window_end and
            # window_time next to the input's own, and Flink finds them ambiguous ("Column 'window_start' is
            # ambiguous", Flink 2.3). The input's window columns are left out, its time is renamed.
            time = ident(ROLLUP_TIME)
            cols = [ident(c.name) for c in inp.columns if c.name not in WINDOW_COLUMNS]
            cols += [f"{column} AS {time}"] if st.window.column in WINDOW_COLUMNS else []
            return f"(SELECT {', '.join(cols)} FROM {table}{where})", time, True
        if isinstance(st.window, ir.Session) and where:
            # Filtered after a SESSION table function, Flink plans an updating group aggregate instead of a
            # window aggregate (measured with Flink 2.3): the rows are filtered before the windows instead.
            return f"(SELECT * FROM {table}{where})", column, True
        return f"TABLE {table}", column, False

    @query.register(ir.Rolling)
    def _rolling(self, st: ir.Rolling) -> str:
        inp = self.rel(st.input)
        cx = ExprContext(plain_columns, over=ident("w"), held_times=self.a.held_times)
        items = [(c.name, ident(c.name)) for c in inp.columns]
        items += [(m.name, sql(m.expr, cx)) for m in st.measures]
        o = st.over
        # Without a window: Flink's default frame, every row before in the partition (LAG takes no other).
        frame = f"\n  {OVER_FRAME(o)}" if o is not None else ""
        time = o.column if o is not None else inp.event_time or inp.proc_time or ""
        part = ""
        if st.partition_by:
            part = "  PARTITION BY " + ", ".join(sql(p, self._single_cx(st)) for p in st.partition_by) + "\n"
        return (f"SELECT\n{select_list(items)}\nFROM {self.table(st.input)}\nWINDOW {ident('w')} AS (\n"
                f"{part}  ORDER BY {ident(time)}{frame})")

    @query.register(ir.Join)
    def _join(self, st: ir.Join) -> str:
        left, right = self.rel(st.left), self.rel(st.right)
        scope = Scope({st.left: left, st.right: right}, [st.left, st.right])
        cx = ExprContext(scoped_columns(scope, self.table), held_times=self.a.held_times)
        out_time = self.rel(st.name).event_time
        items = []
        for it in st.select.items:
            name = it.alias or it.expr.path[-1]  # type: ignore[union-attr]
            text = sql(it.expr, cx)
            if st.join_kind != "regular" and isinstance(it.expr, ir.Column) and name != out_time:
                _t, q, _e = scope.resolve(it.expr.path)
                side = left if q == st.left else right if q == st.right else None
                if side is not None and it.expr.path in ((side.event_time,), (q, side.event_time)):
                    # Both sides keep their event time after an interval join, and a copy of the left's
                    # stays one after any join in time: only the output's event time stays one.
                    text = plain_time(text)
            items.append((name, text))
        lt, rt = self.table(st.left), self.table(st.right)
        join = "LEFT JOIN" if st.outer_left else "JOIN"
        on = sql(st.on, cx, AND)
        if st.join_kind in ("temporal", "lookup"):
            # A temporal join reads the versioned table as of the row's event time; a lookup join reads the
            # table as it is when the row is processed.
            time = left.event_time if st.join_kind == "temporal" else left.proc_time
            text = (f"FROM {lt}\n{join} {rt} FOR SYSTEM_TIME AS OF {lt}.{ident(time or '')}\n"
                    f"  ON {self._keyed_condition(st, cx)}")
        elif st.join_kind == "interval":
            assert st.before is not None and st.after is not None
            le = f"{lt}.{ident(left.event_time or '')}"
            re_ = f"{rt}.{ident(right.event_time or '')}"
            text = (f"FROM {lt}\n{join} {rt}\n  ON {on}\n  AND {re_} BETWEEN {le} - {interval(st.before)} "
                    f"AND {le} + {interval(st.after)}")
        else:
            text = f"FROM {lt}\n{join} {rt}\n  ON {sql(st.on, cx)}"
        return f"SELECT\n{select_list(items)}\n{text}"

    def _keyed_condition(self, st: ir.Join, cx: ExprContext) -> str:
        """A temporal join's condition, with the casts that keep the versioned table's key (``KeyCast``)."""
        casts = self.rel(st.name).key_casts
        if not casts:
            return sql(st.on, cx)
        parts = []
        for c in conjuncts(st.on):
            fix = casts.get(c)
            text = sql(c, cx, AND)
            if fix is not None:
                assert isinstance(c, ir.Binary)
                key = c.right if fix.other is c.left else c.left
                cast = (f"CAST({sql(fix.other, cx)} AS {fix.type.sql(ident, not_null=False)}) = "
                        f"{sql(key, cx, SUM)}")
                text = cast if fix.exact else f"{cast} AND {text}"
            parts.append(text)
        return " AND ".join(parts)

    @query.register(ir.Union)
    def _union(self, st: ir.Union) -> str:
        # UNION ALL matches columns by position: every input selects them in the first input's order. A timestamp
        # other than the union's event time is a plain one in every input: Flink 2.3 refuses a union of a time
        # attribute in one input (`pm = last(b.ts)` of a pattern, `ts + interval 1 h`) and a plain timestamp in
        # another ("Union fields with time attributes requires same types").
        rel = self.rel(st.name)
        cols = ", ".join(
            f"CAST({ident(c.name)} AS {c.type.sql(ident, not_null=False)}) AS {ident(c.name)}"
            if c.type.base == "TIMESTAMP" and c.name != rel.event_time else ident(c.name) for c in rel.columns)
        return "\nUNION ALL\n".join(f"SELECT {cols}\nFROM {self.table(n)}" for n in st.inputs)

    @query.register(ir.Unnest)
    def _unnest(self, st: ir.Unnest) -> str:
        inp, rel = self.rel(st.input), self.rel(st.name)
        row, items = ident("pipegen_row"), ident("pipegen_items")
        added = [c.name for c in rel.columns[len(inp.columns):]]
        cols = [(c.name, f"{row}.{ident(c.name)}") for c in inp.columns] + [(n, f"{items}.{ident(n)}") for n in added]
        array = sql(st.array, ExprContext(lambda path: f"{row}." + plain_columns(path)))
        return (f"SELECT\n{select_list(cols)}\n"
                f"FROM {self.table(st.input)} AS {row}\n"
                f"CROSS JOIN UNNEST({array}) AS {items}({', '.join(ident(n) for n in added)})")

    @query.register(ir.Dedup)
    def _dedup(self, st: ir.Dedup) -> str:
        inp = self.rel(st.input)
        rn = ident("pipegen_row_num")
        order = "ASC" if st.keep == "first" else "DESC"
        keys = ", ".join(ident(k) for k in st.key)
        cols = ",\n".join(f"  {ident(c.name)}" for c in inp.columns)
        return (f"SELECT\n{cols}\nFROM (\n  SELECT *,\n    ROW_NUMBER() OVER (PARTITION BY {keys} ORDER BY "
                f"{ident(inp.event_time or inp.proc_time or '')} {order}) AS {rn}\n  FROM {self.table(st.input)})\n"
                f"WHERE {rn} = 1")

    @query.register(ir.TopN)
    def _topn(self, st: ir.TopN) -> str:
        inp = self.rel(st.input)
        rel = self.rel(st.name)
        rn = ident("rownum")
        parts = [ident("window_start"), ident("window_end")] if rel.windowed else []
        # A window top-N partitions by its window; `partition by window_start, window_end` says it again.
        parts += [text for text in (sql(p, self._single_cx(st)) for p in st.partition_by) if text not in parts]
        part = f"PARTITION BY {', '.join(parts)} " if parts else ""
        order = ", ".join(f"{sql(o.column, self._single_cx(st))} {o.direction.upper()}" for o in st.order_by)
        cols = ",\n".join(f"  {ident(c.name)}" for c in inp.columns) + f",\n  {rn}"
        return (f"SELECT\n{cols}\nFROM (\n  SELECT *,\n    ROW_NUMBER() OVER ({part}ORDER BY {order}) AS {rn}\n"
                f"  FROM {self.table(st.input)})\nWHERE {rn} <= {st.limit}")

    @query.register(ir.Sort)
    def _sort(self, st: ir.Sort) -> str:
        # Flink runs it as a temporal sort: rows are held until the watermark passes their time.
        cx = self._single_cx(st)
        cols = ",\n".join(f"  {ident(c.name)}" for c in self.rel(st.input).columns)
        order = ", ".join(f"{sql(o.column, cx)} {o.direction.upper()}" for o in st.order_by)
        return f"SELECT\n{cols}\nFROM {self.table(st.input)}\nORDER BY {order}"

    @query.register(ir.Pattern)
    def _pattern(self, st: ir.Pattern) -> str:
        inp = self.rel(st.input)
        flat = pattern_fields(st, inp)
        column = pattern_columns(st, inp, flat)
        held = self.a.held_times
        cx, dx = ExprContext(column, held_times=held), ExprContext(column, nested_case=True, held_times=held)
        lines = []
        # Flink reads the partition key in the input's column order whatever the order of PARTITION BY, and writes
        # it out in the order of PARTITION BY: another order gives each key column another's value (and, for
        # columns of different types, "Incompatible types of expression and result type", Flink 2.3). PARTITION BY
        # follows the input; the select puts the columns back in the spec's order.
        names = [c.name for c in inp.columns]
        keys = [p.path[0] for p in st.partition_by]
        ordered = sorted(keys, key=names.index)
        if keys:
            lines.append("PARTITION BY " + ", ".join(ident(k) for k in ordered))
        lines.append(f"ORDER BY {ident(inp.event_time or inp.proc_time or '')}")
        lines.append("MEASURES\n" + ",\n".join(f"    {sql(m.expr, cx)} AS {ident(m.name)}" for m in st.measures))
        lines.append("ONE ROW PER MATCH")
        lines.append("AFTER MATCH SKIP PAST LAST ROW")
        seq = " ".join(f"{ident(t.variable)}{t.quantifier or ''}" for t in st.sequence)
        within = f" WITHIN {interval(st.within)}" if st.within is not None else ""
        lines.append(f"PATTERN ({seq}){within}")
        lines.append("DEFINE\n" + ",\n".join(f"    {ident(d.variable)} AS {sql(d.condition, dx)}" for d in st.defines))
        body = "\n".join(f"  {x}" for x in lines)
        select = "*" if ordered == keys else ", ".join(ident(n) for n in keys + [m.name for m in st.measures])
        source = self.table(st.input)
        if flat:
            # Flink resolves no nested field inside MATCH_RECOGNIZE ("Column 'rec.rec' not found", "Table 'a.b.a'
            # not found", Flink 2.3): the input query makes each one a plain column first.
            fields = ", ".join(f"{plain_columns(path)} AS {ident(name)}" for path, name in flat.items())
            source = f"(SELECT *, {fields} FROM {source})"
        return f"SELECT {select}\nFROM {source}\nMATCH_RECOGNIZE (\n{body}\n)"

    def insert(self, sink: ir.Sink) -> str:
        inp = self.rel(sink.input)
        # A processing-time column is written as the timestamp(3) the sink declares. A sink takes one time
        # attribute at most ("more than one rowtime attribute column"), and Flink 2.3 keeps more columns time
        # attributes than their types say: every copy of one in a stage it folds to no rows (``Relation.empty``,
        # or a condition it folds that PipeGen does not: `case when x is null then "a" end in ("b")`), a pattern
        # measure of the event time. So each timestamp but the input's event time (whose value Flink writes as
        # the record's time) and a window's bounds (never a time attribute) is written as a plain copy, at its
        # precision; all are in a stage no row reaches.
        bounds = ("window_start", "window_end") if inp.windowed else ()
        cols = ", ".join(
            f"CAST({ident(c.name)} AS TIMESTAMP(3))" if c.type.base == "TIMESTAMP_LTZ"
            else plain_time(ident(c.name), c.type.precision or 3)
            if c.type.base == "TIMESTAMP" and (inp.empty or c.name not in (inp.event_time, *bounds))
            else ident(c.name) for c in inp.columns)
        text = f"INSERT INTO {self.table(sink.name)}\nSELECT {cols}\nFROM {self.table(sink.input)}"
        if sink.mode == "upsert":
            # Every upsert sink resolves conflicts on its key (the last row wins, as upsert means). Flink 2.3
            # refuses an upsert sink whose input's upsert key it finds to differ from the sink's key ("The query
            # has an upsert key that differs from the primary key of the sink table ... upsert key: none"), and
            # its plan may find none whenever a filter or a fold leaves it no key (``Relation.pinned``,
            # ``Relation.empty``, a null test folded away, a cast of a key). Where it finds the key the clause
            # costs nothing: measured on 2026-12-02, the plan is the same but for conflictStrategy=[DEDUPLICATE]
            # on the sink, with no SinkUpsertMaterializer.
            text += "\nON CONFLICT DO DEDUPLICATE"
        return text


def _pattern_path(path: tuple[str, ...], inp: Relation, variables: tuple[str, ...]
                  ) -> tuple[str | None, tuple[str, ...]]:
    """A column a pattern's define or measure names: (its pattern variable or None, the column's path in the input).
    Read as the checks read it (``Scope.resolve``): a column of the input first, unless a variable of that name
    holds the next part; the input's own name as qualifier means no variable."""
    head, rest = path[0], path[1:]
    if inp.column(head) is not None and not (head in variables and rest and inp.column(rest[0]) is not None):
        return None, path
    return (head if head in variables else None), rest


def pattern_fields(st: ir.Pattern, inp: Relation) -> dict[tuple[str, ...], str]:
    """The nested fields a pattern reads (``v.rec.f``, ``rec.f``), in the order they appear, each with the name of
    the plain column its input query gives it (``pipegen_rec_f``, apart from the input's columns)."""
    variables = tuple(t.variable for t in st.sequence)
    taken = {c.name for c in inp.columns}
    out: dict[tuple[str, ...], str] = {}
    stack: list[Any] = [m.expr for m in reversed(st.measures)] + [d.condition for d in reversed(st.defines)]
    while stack:
        e = stack.pop()
        if isinstance(e, ir.Column):
            _var, field = _pattern_path(e.path, inp, variables)
            if len(field) > 1 and field not in out:
                name, n = "pipegen_" + "_".join(field), 1
                while name in taken:
                    n += 1
                    name = f"pipegen_{'_'.join(field)}_{n}"
                taken.add(name)
                out[field] = name
        stack.extend(reversed(children(e)))
    return out


def pattern_columns(st: ir.Pattern, inp: Relation, flat: dict[tuple[str, ...], str]
                    ) -> Callable[[tuple[str, ...]], str]:
    """How a pattern writes a column: ``v.x`` or ``x``, a nested field by its plain column (``pattern_fields``)."""
    variables = tuple(t.variable for t in st.sequence)

    def column(path: tuple[str, ...]) -> str:
        var, field = _pattern_path(path, inp, variables)
        name = ident(flat[field]) if field in flat else plain_columns(field)
        return f"{ident(var)}.{name}" if var is not None else name

    return column

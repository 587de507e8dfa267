"""IR -> canonical spec text (what `pipegen fmt` prints).

The printer is the inverse of the parser: ``parse(print(ir)) == ir`` for every
valid IR, and printing is idempotent. Names that are keywords are written in
backticks; parentheses appear only where precedence needs them.
"""

from __future__ import annotations

from functools import lru_cache

from . import ir
from .functions import FUNCTIONS
from .parser import keywords
from .registry import Dispatch

INDENT = "  "

# Precedence levels of the expression grammar, loosest first.
OR, AND, NOT, PRED, SUM, PRODUCT, UNARY, ATOM = range(1, 9)
BINARY_LEVEL = {"or": OR, "and": AND, "+": SUM, "-": SUM, "*": PRODUCT, "/": PRODUCT, "%": PRODUCT}
COMPARISONS = {"=", "!=", "<", "<=", ">", ">="}


@lru_cache(maxsize=1)
def _keywords() -> frozenset[str]:
    return keywords()


def name(n: str) -> str:
    return f"`{n}`" if n in _keywords() else n


def string(s: str) -> str:
    body = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{body}"'


def duration(d: ir.Duration) -> str:
    return f"{d.value} {d.unit}"


TYPE = Dispatch("print a type")


def type_(t: ir.Type, indent: int) -> str:
    return TYPE(t, indent)


@TYPE.register(ir.PrimitiveType)
def _primitive(t: ir.PrimitiveType, indent: int) -> str:
    return t.name


@TYPE.register(ir.DecimalType)
def _decimal(t: ir.DecimalType, indent: int) -> str:
    return f"decimal({t.precision}, {t.scale})"


@TYPE.register(ir.TimestampType)
def _timestamp(t: ir.TimestampType, indent: int) -> str:
    return f"timestamp({t.precision})"


@TYPE.register(ir.EnumType)
def _enum(t: ir.EnumType, indent: int) -> str:
    return "enum(" + ", ".join(name(s) for s in t.symbols) + ")"


@TYPE.register(ir.RecordType)
def _record(t: ir.RecordType, indent: int) -> str:
    return "record {\n" + _fields(t.fields, indent + 1) + INDENT * indent + "}"


@TYPE.register(ir.ArrayType)
def _array(t: ir.ArrayType, indent: int) -> str:
    return f"array<{type_(t.items, indent)}{'?' if t.items_nullable else ''}>"


@TYPE.register(ir.MapType)
def _map(t: ir.MapType, indent: int) -> str:
    return f"map<{type_(t.values, indent)}{'?' if t.values_nullable else ''}>"


def _fields(fields: tuple[ir.FieldDef, ...], indent: int) -> str:
    width = max(len(name(f.name)) for f in fields)
    out = []
    for f in fields:
        line = f"{INDENT * indent}{name(f.name).ljust(width)}  {type_(f.type, indent)}"
        if f.nullable:
            line += "?"
        if f.default is not None:
            line += f" default {expr(f.default)}"
        if f.doc is not None:
            line += f" {string(f.doc)}"
        out.append(line.rstrip() + "\n")
    return "".join(out)


# The precedence of every expression but a binary one (whose level depends on its operator); ATOM otherwise.
_LEVEL_OF = {ir.Not: NOT, ir.IsNull: PRED, ir.Between: PRED, ir.InList: PRED, ir.Like: PRED, ir.Neg: UNARY}


def _level(e: ir.Expr) -> int:
    t = type(e)
    if t is ir.Binary:
        return PRED if e.op in COMPARISONS else BINARY_LEVEL[e.op]
    return _LEVEL_OF.get(t, ATOM)


def expr(e: ir.Expr, need: int = OR) -> str:
    text = EXPR(e)
    return f"({text})" if _level(e) < need else text


EXPR = Dispatch("print an expression")


@EXPR.register(ir.NumberLit)
def _number(e: ir.NumberLit) -> str:
    return e.text


@EXPR.register(ir.StringLit)
def _string(e: ir.StringLit) -> str:
    return string(e.value)


@EXPR.register(ir.BoolLit)
def _bool(e: ir.BoolLit) -> str:
    return "true" if e.value else "false"


@EXPR.register(ir.NullLit)
def _null(e: ir.NullLit) -> str:
    return "null"


@EXPR.register(ir.Column)
def _column(e: ir.Column) -> str:
    return ".".join(name(p) for p in e.path)


@EXPR.register(ir.Not)
def _not(e: ir.Not) -> str:
    return f"not {expr(e.operand, NOT)}"


@EXPR.register(ir.Neg)
def _neg(e: ir.Neg) -> str:
    return f"-{expr(e.operand, UNARY)}"


@EXPR.register(ir.Binary)
def _binary(e: ir.Binary) -> str:
    if e.op in COMPARISONS:
        return f"{expr(e.left, SUM)} {e.op} {expr(e.right, SUM)}"
    level = BINARY_LEVEL[e.op]
    # Left-associative: the right operand binds one level tighter.
    right_need = NOT if e.op == "and" else level + 1
    return f"{expr(e.left, level)} {e.op} {expr(e.right, right_need)}"


@EXPR.register(ir.IsNull)
def _is_null(e: ir.IsNull) -> str:
    return f"{expr(e.operand, SUM)} is {'not ' if e.negated else ''}null"


@EXPR.register(ir.Between)
def _between(e: ir.Between) -> str:
    op = "not between" if e.negated else "between"
    return f"{expr(e.operand, SUM)} {op} {expr(e.low, SUM)} and {expr(e.high, SUM)}"


@EXPR.register(ir.InList)
def _in(e: ir.InList) -> str:
    op = "not in" if e.negated else "in"
    return f"{expr(e.operand, SUM)} {op} (" + ", ".join(expr(i) for i in e.items) + ")"


@EXPR.register(ir.Like)
def _like(e: ir.Like) -> str:
    return f"{expr(e.operand, SUM)} {'not like' if e.negated else 'like'} {string(e.pattern)}"


@EXPR.register(ir.Call)
def _call(e: ir.Call) -> str:
    # A function of the language is written as the README writes it: `first(hot.ts)`, although `first` is also a
    # keyword of `keep` (before "(" the parser reads it as a name). A function of the user's own is a name.
    fn = e.name if e.name in FUNCTIONS else name(e.name)
    if e.star:
        return f"{fn}(*)"
    if e.distinct:
        return f"{fn}(distinct {expr(e.args[0])})"
    returning = f" returning {type_(e.returning, 0)}" if e.returning is not None else ""
    return f"{fn}(" + ", ".join(expr(a) for a in e.args) + returning + ")"


@EXPR.register(ir.Case)
def _case(e: ir.Case) -> str:
    parts = ["case"] + [f"when {expr(w.condition)} then {expr(w.result)}" for w in e.whens]
    if e.otherwise is not None:
        parts.append(f"else {expr(e.otherwise)}")
    return " ".join(parts + ["end"])


@EXPR.register(ir.Cast)
def _cast(e: ir.Cast) -> str:
    return f"cast({expr(e.operand)} as {type_(e.to, 0)})"


@EXPR.register(ir.IntervalLit)
def _interval(e: ir.IntervalLit) -> str:
    return f"interval {duration(e.duration)}"


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(name(n) for n in names)


def _columns(cols: tuple[ir.Column, ...]) -> str:
    return ", ".join(expr(c) for c in cols)


def _block(head: str, lines: list[str]) -> str:
    body = "".join(f"{INDENT}{line}\n" for line in lines)
    return f"{head} {{\n{body}}}\n"


def _measures(ms: tuple[ir.Measure, ...], keyword: str = "measures") -> list[str]:
    width = max(len(name(m.name)) for m in ms)
    return [f"{keyword} {{"] + [f"{INDENT}{name(m.name).ljust(width)} = {expr(m.expr)}" for m in ms] + ["}"]


def _select(s: ir.Select) -> list[str]:
    items = ["*"] if s.star else []
    for it in s.items:
        items.append(expr(it.expr) if it.alias is None else f"{name(it.alias)} = {expr(it.expr)}")
    return ["select {"] + [INDENT + i for i in items] + ["}"]


def _description(d: str | None) -> list[str]:
    return [f"description {string(d)}"] if d is not None else []


WINDOW = Dispatch("print a window")


@WINDOW.register(ir.Tumble)
def _tumble(w: ir.Tumble) -> str:
    return f"tumble({name(w.column)}, {duration(w.size)})"


@WINDOW.register(ir.Hop)
def _hop(w: ir.Hop) -> str:
    return f"hop({name(w.column)}, size {duration(w.size)}, slide {duration(w.slide)})"


@WINDOW.register(ir.Session)
def _session(w: ir.Session) -> str:
    return f"session({name(w.column)}, {duration(w.gap)})"


@WINDOW.register(ir.Cumulate)
def _cumulate(w: ir.Cumulate) -> str:
    return f"cumulate({name(w.column)}, step {duration(w.step)}, size {duration(w.size)})"


OVER = Dispatch("print an over window")


@OVER.register(ir.OverRange)
def _over_range(o: ir.OverRange) -> str:
    return f"range({name(o.column)}, {duration(o.preceding)})"


@OVER.register(ir.OverRows)
def _over_rows(o: ir.OverRows) -> str:
    return f"rows({name(o.column)}, {o.rows})"


HINT = Dispatch("print a generate hint")


@HINT.register(ir.RangeHint)
def _range_hint(h: ir.RangeHint) -> str:
    return f"{name(h.field)} range {h.low} .. {h.high}"


@HINT.register(ir.WeightsHint)
def _weights_hint(h: ir.WeightsHint) -> str:
    ws = ", ".join(f"{name(w.symbol)} {w.weight.text}" for w in h.weights)
    return f"{name(h.field)} weights ({ws})"


# A statement prints as its head line and the lines of its body.
STATEMENT = Dispatch("print a statement")


def statement(st: ir.Statement | ir.Pipeline) -> str:
    if isinstance(st, ir.Pipeline):
        return _pipeline(st)
    head, lines = STATEMENT(st)
    return _block(head, _description(st.description) + lines)


def _pipeline(st: ir.Pipeline) -> str:
    lines = _description(st.description)
    if st.domain is not None:
        lines.append(f"domain {name(st.domain)}")
    if st.parallelism is not None:
        lines.append(f"parallelism {st.parallelism}")
    if st.checkpoint is not None:
        lines.append(f"checkpoint {duration(st.checkpoint)}")
    if st.state_ttl is not None:
        lines.append(f"state_ttl {duration(st.state_ttl)}")
    for f in st.functions:
        params = ", ".join(type_(t, 1) for t in f.params)
        lines.append(f"function {name(f.name)}({params}) returns {type_(f.returns, 1)} {f.language} "
                     f"{string(f.implementation)}")
    return _block(f"pipeline {name(st.name)}", lines)


def _head(st: ir.Statement) -> str:
    return f"{st.kind} {name(st.name)} from {name(st.input)}"  # type: ignore[union-attr]


def _origin(st: ir.Source | ir.Sink) -> str:
    if st.topic is not None:
        return f"topic {string(st.topic)}"
    if st.files is not None:
        return f"files {string(st.files)}"
    if isinstance(st, ir.Source) and st.jdbc is not None:
        return f"jdbc {string(st.jdbc.url)} table {string(st.jdbc.table)}"
    return "datagen"


def _topic_lines(st: ir.Source | ir.Sink, fields: list[str]) -> list[str]:
    lines = [_origin(st)]
    if st.format is not None:
        lines.append(f"format {st.format}")
    lines += fields
    if st.key:
        lines.append(f"key {_names(st.key)}")
    if st.mode is not None:
        lines.append(f"mode {st.mode}")
    return lines


@STATEMENT.register(ir.Source)
def _source(st: ir.Source) -> tuple[str, list[str]]:
    # Split at "\n" only: str.splitlines() would also split at U+2028, \x85, \x0c... inside a doc string.
    lines = _topic_lines(st, ["fields {", *_fields(st.fields, 1).split("\n")[:-1], "}"])
    if st.event_time is not None:
        wm = f" watermark {duration(st.watermark)}" if st.watermark is not None else ""
        lines.append(f"event_time {name(st.event_time)}{wm}")
    if st.processing_time is not None:
        lines.append(f"processing_time {name(st.processing_time)}")
    if st.generate is not None:
        g = st.generate
        lines.append("generate {")
        if g.rate is not None:
            lines.append(f"{INDENT}rate {g.rate}")
        lines += [INDENT + HINT(h) for h in g.hints]
        lines.append("}")
    return f"source {name(st.name)}", lines + _options(st.options)


def _options(options: tuple[ir.TableOption, ...]) -> list[str]:
    if not options:
        return []
    return ["options {", *(f"{INDENT}{string(o.key)} = {string(o.value)}" for o in options), "}"]


@STATEMENT.register(ir.Sink)
def _sink(st: ir.Sink) -> tuple[str, list[str]]:
    lines = _topic_lines(st, [])
    if st.partitioned_by:
        lines.append(f"partitioned by {_names(st.partitioned_by)}")
    return f"sink {name(st.name)} from {name(st.input)}", lines + _options(st.options)


@STATEMENT.register(ir.Join)
def _join(st: ir.Join) -> tuple[str, list[str]]:
    lines = []
    if st.join_kind == "interval":
        assert st.before is not None and st.after is not None
        lines.append(f"kind interval({duration(st.before)}, {duration(st.after)})")
    else:
        lines.append(f"kind {st.join_kind}")
    if st.outer_left:
        lines.append("outer left")
    lines.append(f"on {expr(st.on)}")
    lines += _select(st.select)
    return f"join {name(st.name)} from {name(st.left)}, {name(st.right)}", lines


def _where(e: ir.Expr | None) -> list[str]:
    return [f"where {expr(e)}"] if e is not None else []


def _partition(cols: tuple[ir.Column, ...]) -> list[str]:
    return [f"partition by {_columns(cols)}"] if cols else []


@STATEMENT.register(ir.Transform)
def _transform(st: ir.Transform) -> tuple[str, list[str]]:
    return _head(st), _where(st.where) + (_select(st.select) if st.select is not None else [])


@STATEMENT.register(ir.Aggregate)
def _aggregate(st: ir.Aggregate) -> tuple[str, list[str]]:
    lines = _where(st.where)
    if st.window is not None:
        lines.append(f"window {WINDOW(st.window)}")
    if st.group_by:
        lines.append(f"group by {_columns(st.group_by)}")
    lines += _measures(st.measures)
    if st.having is not None:
        lines.append(f"having {expr(st.having)}")
    return _head(st), lines


@STATEMENT.register(ir.Rolling)
def _rolling(st: ir.Rolling) -> tuple[str, list[str]]:
    window = [f"window {OVER(st.over)}"] if st.over is not None else []
    return _head(st), [*_partition(st.partition_by), *window, *_measures(st.measures)]


@STATEMENT.register(ir.Dedup)
def _dedup(st: ir.Dedup) -> tuple[str, list[str]]:
    return _head(st), [f"key {_names(st.key)}", f"keep {st.keep}"]


def _order_by(items: tuple[ir.OrderItem, ...]) -> str:
    return "order by " + ", ".join(f"{expr(o.column)} {o.direction}" for o in items)


@STATEMENT.register(ir.TopN)
def _topn(st: ir.TopN) -> tuple[str, list[str]]:
    return _head(st), [*_partition(st.partition_by), _order_by(st.order_by), f"limit {st.limit}"]


@STATEMENT.register(ir.Sort)
def _sort(st: ir.Sort) -> tuple[str, list[str]]:
    return _head(st), [_order_by(st.order_by)]


@STATEMENT.register(ir.Union)
def _union(st: ir.Union) -> tuple[str, list[str]]:
    return f"union {name(st.name)} from {_names(st.inputs)}", []


@STATEMENT.register(ir.Unnest)
def _unnest(st: ir.Unnest) -> tuple[str, list[str]]:
    return _head(st), [f"each {name(st.item)} in {expr(st.array)}"]


@STATEMENT.register(ir.Pattern)
def _pattern(st: ir.Pattern) -> tuple[str, list[str]]:
    lines = _partition(st.partition_by)
    lines.append("sequence " + " ".join(f"{name(t.variable)}{t.quantifier or ''}" for t in st.sequence))
    if st.within is not None:
        lines.append(f"within {duration(st.within)}")
    width = max(len(name(d.variable)) for d in st.defines)
    lines.append("define {")
    lines += [f"{INDENT}{name(d.variable).ljust(width)} = {expr(d.condition)}" for d in st.defines]
    lines.append("}")
    return _head(st), lines + _measures(st.measures)


def print_spec(spec: ir.Spec, comments: dict[int, list[str]] | None = None) -> str:
    """The canonical text of a spec. ``comments`` maps a statement index (0 = pipeline) to comment lines."""
    comments = comments or {}
    parts = []
    for i, st in enumerate((spec.pipeline, *spec.statements)):
        lead = "".join(f"{c}\n" for c in comments.get(i, []))
        parts.append(lead + statement(st))
    trailing = comments.get(len(spec.statements) + 1, [])
    text = "\n".join(parts)
    if trailing:
        text += "\n" + "".join(f"{c}\n" for c in trailing)
    return text

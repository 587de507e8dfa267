"""IR -> canonical spec text (what `pipegen fmt` prints).

The printer is the inverse of the parser: ``parse(print(ir)) == ir`` for every
valid IR, and printing is idempotent. Names that are keywords are written in
backticks; parentheses appear only where precedence needs them.
"""

from __future__ import annotations

from functools import lru_cache

from . import ir
from .parser import keywords

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


def type_(t: ir.Type, indent: int) -> str:
    if isinstance(t, ir.PrimitiveType):
        return t.name
    if isinstance(t, ir.DecimalType):
        return f"decimal({t.precision}, {t.scale})"
    if isinstance(t, ir.TimestampType):
        return f"timestamp({t.precision})"
    if isinstance(t, ir.EnumType):
        return "enum(" + ", ".join(name(s) for s in t.symbols) + ")"
    if isinstance(t, ir.RecordType):
        return "record {\n" + _fields(t.fields, indent + 1) + INDENT * indent + "}"
    if isinstance(t, ir.ArrayType):
        return f"array<{type_(t.items, indent)}{'?' if t.items_nullable else ''}>"
    if isinstance(t, ir.MapType):
        return f"map<{type_(t.values, indent)}{'?' if t.values_nullable else ''}>"
    raise TypeError(t)


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
    text = _expr(e)
    return f"({text})" if _level(e) < need else text


def _expr(e: ir.Expr) -> str:
    if isinstance(e, ir.NumberLit):
        return e.text
    if isinstance(e, ir.StringLit):
        return string(e.value)
    if isinstance(e, ir.BoolLit):
        return "true" if e.value else "false"
    if isinstance(e, ir.NullLit):
        return "null"
    if isinstance(e, ir.Column):
        return ".".join(name(p) for p in e.path)
    if isinstance(e, ir.Not):
        return f"not {expr(e.operand, NOT)}"
    if isinstance(e, ir.Neg):
        return f"-{expr(e.operand, UNARY)}"
    if isinstance(e, ir.Binary):
        if e.op in COMPARISONS:
            return f"{expr(e.left, SUM)} {e.op} {expr(e.right, SUM)}"
        level = BINARY_LEVEL[e.op]
        # Left-associative: the right operand binds one level tighter.
        right_need = NOT if e.op == "and" else level + 1
        return f"{expr(e.left, level)} {e.op} {expr(e.right, right_need)}"
    if isinstance(e, ir.IsNull):
        return f"{expr(e.operand, SUM)} is {'not ' if e.negated else ''}null"
    if isinstance(e, ir.Between):
        op = "not between" if e.negated else "between"
        return f"{expr(e.operand, SUM)} {op} {expr(e.low, SUM)} and {expr(e.high, SUM)}"
    if isinstance(e, ir.InList):
        op = "not in" if e.negated else "in"
        return f"{expr(e.operand, SUM)} {op} (" + ", ".join(expr(i) for i in e.items) + ")"
    if isinstance(e, ir.Like):
        return f"{expr(e.operand, SUM)} {'not like' if e.negated else 'like'} {string(e.pattern)}"
    if isinstance(e, ir.Call):
        if e.star:
            return f"{name(e.name)}(*)"
        if e.distinct:
            return f"{name(e.name)}(distinct {expr(e.args[0])})"
        return f"{name(e.name)}(" + ", ".join(expr(a) for a in e.args) + ")"
    if isinstance(e, ir.Case):
        parts = ["case"] + [f"when {expr(w.condition)} then {expr(w.result)}" for w in e.whens]
        if e.otherwise is not None:
            parts.append(f"else {expr(e.otherwise)}")
        return " ".join(parts + ["end"])
    if isinstance(e, ir.Cast):
        return f"cast({expr(e.operand)} as {type_(e.to, 0)})"
    if isinstance(e, ir.IntervalLit):
        return f"interval {duration(e.duration)}"
    raise TypeError(e)


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


def _window(w: ir.Window) -> str:
    if isinstance(w, ir.Tumble):
        return f"tumble({name(w.column)}, {duration(w.size)})"
    if isinstance(w, ir.Hop):
        return f"hop({name(w.column)}, size {duration(w.size)}, slide {duration(w.slide)})"
    if isinstance(w, ir.Session):
        return f"session({name(w.column)}, {duration(w.gap)})"
    return f"cumulate({name(w.column)}, step {duration(w.step)}, size {duration(w.size)})"


def statement(st: ir.Statement | ir.Pipeline) -> str:
    lines: list[str] = []
    if isinstance(st, ir.Pipeline):
        lines += _description(st.description)
        if st.domain is not None:
            lines.append(f"domain {name(st.domain)}")
        if st.parallelism is not None:
            lines.append(f"parallelism {st.parallelism}")
        if st.checkpoint is not None:
            lines.append(f"checkpoint {duration(st.checkpoint)}")
        if st.state_ttl is not None:
            lines.append(f"state_ttl {duration(st.state_ttl)}")
        return _block(f"pipeline {name(st.name)}", lines)
    if isinstance(st, ir.Source):
        lines += _description(st.description)
        lines.append(f"topic {string(st.topic)}")
        if st.format is not None:
            lines.append(f"format {st.format}")
        lines.append("fields {")
        # Split at "\n" only: str.splitlines() would also split at U+2028, \x85, \x0c... inside a doc string.
        lines += _fields(st.fields, 1).split("\n")[:-1]
        lines.append("}")
        if st.key:
            lines.append(f"key {_names(st.key)}")
        if st.mode is not None:
            lines.append(f"mode {st.mode}")
        if st.event_time is not None:
            wm = f" watermark {duration(st.watermark)}" if st.watermark is not None else ""
            lines.append(f"event_time {name(st.event_time)}{wm}")
        if st.generate is not None:
            g = st.generate
            lines.append("generate {")
            if g.rate is not None:
                lines.append(f"{INDENT}rate {g.rate}")
            for h in g.hints:
                if isinstance(h, ir.RangeHint):
                    lines.append(f"{INDENT}{name(h.field)} range {h.low} .. {h.high}")
                else:
                    ws = ", ".join(f"{name(w.symbol)} {w.weight.text}" for w in h.weights)
                    lines.append(f"{INDENT}{name(h.field)} weights ({ws})")
            lines.append("}")
        return _block(f"source {name(st.name)}", lines)
    if isinstance(st, ir.Sink):
        lines += _description(st.description)
        lines.append(f"topic {string(st.topic)}")
        if st.format is not None:
            lines.append(f"format {st.format}")
        if st.key:
            lines.append(f"key {_names(st.key)}")
        if st.mode is not None:
            lines.append(f"mode {st.mode}")
        return _block(f"sink {name(st.name)} from {name(st.input)}", lines)
    if isinstance(st, ir.Join):
        lines += _description(st.description)
        if st.join_kind == "interval":
            assert st.before is not None and st.after is not None
            lines.append(f"kind interval({duration(st.before)}, {duration(st.after)})")
        else:
            lines.append(f"kind {st.join_kind}")
        if st.outer_left:
            lines.append("outer left")
        lines.append(f"on {expr(st.on)}")
        lines += _select(st.select)
        return _block(f"join {name(st.name)} from {name(st.left)}, {name(st.right)}", lines)
    head = f"{st.kind} {name(st.name)} from {name(st.input)}"
    lines += _description(st.description)
    if isinstance(st, ir.Transform):
        if st.where is not None:
            lines.append(f"where {expr(st.where)}")
        if st.select is not None:
            lines += _select(st.select)
    elif isinstance(st, ir.Aggregate):
        if st.where is not None:
            lines.append(f"where {expr(st.where)}")
        if st.window is not None:
            lines.append(f"window {_window(st.window)}")
        if st.group_by:
            lines.append(f"group by {_columns(st.group_by)}")
        lines += _measures(st.measures)
        if st.having is not None:
            lines.append(f"having {expr(st.having)}")
    elif isinstance(st, ir.Rolling):
        if st.partition_by:
            lines.append(f"partition by {_columns(st.partition_by)}")
        o = st.over
        if isinstance(o, ir.OverRange):
            lines.append(f"window range({name(o.column)}, {duration(o.preceding)})")
        else:
            lines.append(f"window rows({name(o.column)}, {o.rows})")
        lines += _measures(st.measures)
    elif isinstance(st, ir.Dedup):
        lines.append(f"key {_names(st.key)}")
        lines.append(f"keep {st.keep}")
    elif isinstance(st, ir.TopN):
        if st.partition_by:
            lines.append(f"partition by {_columns(st.partition_by)}")
        lines.append("order by " + ", ".join(f"{expr(o.column)} {o.direction}" for o in st.order_by))
        lines.append(f"limit {st.limit}")
    elif isinstance(st, ir.Pattern):
        if st.partition_by:
            lines.append(f"partition by {_columns(st.partition_by)}")
        lines.append("sequence " + " ".join(f"{name(t.variable)}{t.quantifier or ''}" for t in st.sequence))
        if st.within is not None:
            lines.append(f"within {duration(st.within)}")
        width = max(len(name(d.variable)) for d in st.defines)
        lines.append("define {")
        lines += [f"{INDENT}{name(d.variable).ljust(width)} = {expr(d.condition)}" for d in st.defines]
        lines.append("}")
        lines += _measures(st.measures)
    else:  # pragma: no cover
        raise TypeError(st)
    return _block(head, lines)


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

"""Spec text -> IR.

Lark builds the LALR(1) tables from ``grammar/pgl.lark``. A spec that parses
takes the fast path (``lalr.py``): one loop over those tables that calls the
``ToIR`` methods as it reduces. Anything else goes through Lark's own parser,
which builds a tree that ``ToIR`` turns into IR nodes, and syntax errors become
diagnostics: when the whole file does not parse, each top-level statement is
parsed on its own so that one run reports every broken statement.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from pipegen.grammar import grammar_text

from . import ir, lalr, registry
from .diagnostics import Diagnostic
from .lalr import Token

if TYPE_CHECKING:  # Lark is imported only when a spec does not take the fast path (see lalr.py)
    from lark import Lark, Tree
    from lark.exceptions import UnexpectedInput

# The words that open a top-level block (the statement kinds are their keywords), for error recovery.
STATEMENT_KEYWORDS = registry.STATEMENT_KEYWORDS

# The grammar rules (or rule aliases) whose ToIR method builds each IR node kind. tests/test_node_kinds.py holds
# this table to the grammar, to ToIR and to the IR's families, so a node kind cannot be half-added.
BUILDS: dict[type, tuple[str, ...]] = {
    ir.Source: ("source",), ir.Transform: ("transform_stage",), ir.Aggregate: ("aggregate",),
    ir.Rolling: ("rolling",), ir.Join: ("join",), ir.Dedup: ("dedup",), ir.TopN: ("topn",), ir.Pattern: ("pattern",),
    ir.Sort: ("sort",), ir.Union: ("union",), ir.Unnest: ("unnest",), ir.Sink: ("sink",),
    ir.NumberLit: ("number",), ir.StringLit: ("string",), ir.BoolLit: ("true", "false"), ir.NullLit: ("null",),
    ir.Column: ("path",), ir.Not: ("not_op",), ir.Neg: ("neg",), ir.Binary: ("or_op", "and_op", "compare", "arith"),
    ir.IsNull: ("is_null", "is_not_null"), ir.Between: ("between", "not_between"),
    ir.InList: ("in_list", "not_in_list"), ir.Like: ("like", "not_like"),
    ir.Call: ("call", "call_star", "call_distinct"), ir.Case: ("case",), ir.Cast: ("cast",),
    ir.IntervalLit: ("interval",),
    ir.Tumble: ("tumble",), ir.Hop: ("hop",), ir.Session: ("session",), ir.Cumulate: ("cumulate",),
    ir.OverRange: ("over_range",), ir.OverRows: ("over_rows",),
    ir.PrimitiveType: ("primitive_type",), ir.DecimalType: ("decimal_type",), ir.TimestampType: ("timestamp_type",),
    ir.EnumType: ("enum_type",), ir.RecordType: ("record_type",), ir.ArrayType: ("array_type",),
    ir.MapType: ("map_type",),
    ir.RangeHint: ("range_hint",), ir.WeightsHint: ("weights_hint",),
}


@lru_cache(maxsize=1)
def _parser() -> Lark:
    from lark import Lark

    return Lark(
        grammar_text(),
        parser="lalr",
        propagate_positions=True,
        maybe_placeholders=False,
        start=["start", "pipeline", "statement"],
        cache=True,  # Lark keeps the parse tables in a temp file: 30 ms to load instead of 330 ms to build
    )


# A Span from a (line, column, end line, end column) tuple, in one C call.
_new_span = functools.partial(tuple.__new__, ir.Span)


@lru_cache(maxsize=1)
def keywords() -> frozenset[str]:
    """Every word the grammar reserves somewhere; the printer quotes names equal to one."""
    return tables().keywords()


@lru_cache(maxsize=1)
def tables() -> lalr.Tables:
    return lalr.load_tables(grammar_text(), _parser)


def _span(meta: Any) -> ir.Span | None:
    """The span of a node: the fast path passes one already; Lark passes its ``meta``."""
    if type(meta) is ir.Span:
        return meta
    if getattr(meta, "empty", True):
        return None
    return _new_span((meta.line, meta.column, meta.end_line, meta.end_column))


def _tok_span(tok: Token) -> ir.Span:
    return _new_span((tok.line, tok.column, tok.end_line, tok.end_column))


def _name(tok: Token) -> str:
    """A NAME's text, without the backticks of a quoted one."""
    return tok[1:-1] if tok[0] == "`" else str(tok)


def _string(tok: Token) -> str:
    body = str(tok)[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


# Whole numbers the grammar reads as counts and sizes (parallelism, durations, precisions, limits) fit a
# BIGINT; number literals have at most the 38 digits of Flink's widest DECIMAL. Longer ones are refused
# (E004) before Python converts them (it refuses to convert more than 4,300 digits at all).
MAX_INT_DIGITS = 18
MAX_NUMBER_DIGITS = 38


def _short(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:10]}...{text[-10:]} ({len(text):,} digits)"


def _int(tok: Token) -> int:
    text = str(tok)
    if len(text.lstrip("0")) > MAX_INT_DIGITS:
        raise InvalidValue(f"the number {_short(text)} is too large", _tok_span(tok),
                           f"write a whole number of at most {MAX_INT_DIGITS} digits")
    return int(text)


def _check_digits(tok: Token) -> None:
    text = str(tok)
    if len(text.replace(".", "").lstrip("0")) > MAX_NUMBER_DIGITS:
        raise InvalidValue(f"the number {_short(text)} has more than {MAX_NUMBER_DIGITS} digits", _tok_span(tok),
                           f"Flink's numbers hold at most {MAX_NUMBER_DIGITS} digits")


class Clause(NamedTuple):
    """One clause of a block (``topic "t"``, ``where ...``), on its way into its statement's node."""

    tag: str
    value: Any
    span: ir.Span | None


class InvalidValue(Exception):
    def __init__(self, message: str, span: ir.Span | None, hint: str | None = None):
        super().__init__(message)
        self.span = span
        self.hint = hint


def _clauses(children: list[Any]) -> tuple[dict[str, Any], dict[str, ir.Span]]:
    values: dict[str, Any] = {}
    spans: dict[str, ir.Span] = {}
    for c in children:
        if isinstance(c, Clause):
            values[c.tag] = c.value
            if c.span is not None:
                spans[c.tag] = c.span
    return values, spans


def _is_token(x: Any, typ: str | None = None) -> bool:
    """Whether ``x`` is a token (the fast path's or Lark's: both are ``str`` subclasses with a ``type``)."""
    return isinstance(x, str) and type(x) is not str and (typ is None or x.type == typ)


def _names(children: list[Any]) -> list[Any]:
    return [c for c in children if _is_token(c, "NAME")]


class ToIR:
    """Rule by rule, the IR node of a rule's children: ``method(meta, children)``, named after the rule."""

    # ----------------------------------------------------------- helpers
    def _build(self, cls: type, meta: Any, spans: dict[str, ir.Span] | None = None, **kw: Any) -> Any:
        node = cls(span=_span(meta), spans=spans or {}, **kw)
        wrong = ir.bounds(cls) and ir.violations(node)
        if wrong:
            name, problem = wrong[0]
            where = node.spans.get(name, node.span)
            raise InvalidValue(f"{name.replace('_', ' ')} {problem}", where)
        return node

    def _clause(self, tag: str, value: Any, meta: Any) -> Clause:
        return Clause(tag, value, _span(meta))

    # ----------------------------------------------------------- start
    def start(self, meta: Any, children: list[Any]) -> ir.Spec:
        return ir.Spec(pipeline=children[0], statements=tuple(children[1:]), span=_span(meta))

    def pipeline(self, meta: Any, children: list[Any]) -> ir.Pipeline:
        name = children[0]
        udfs = tuple(c for c in children[1:] if isinstance(c, ir.Udf))
        values, spans = _clauses(children[1:])
        spans["name"] = _tok_span(name)
        return self._build(ir.Pipeline, meta, spans, name=_name(name), functions=udfs, **values)

    def udf(self, meta, c):
        name, *types, returns, language, impl = c
        return self._build(ir.Udf, meta, {"name": _tok_span(name)}, name=_name(name), params=tuple(types),
                           returns=returns, language=str(language), implementation=_string(impl))

    def udf_language(self, meta, c):
        return str(c[0])

    def description(self, meta, c):
        return self._clause("description", _string(c[0]), meta)

    def domain(self, meta, c):
        return self._clause("domain", _name(c[0]), meta)

    def parallelism(self, meta, c):
        return self._clause("parallelism", _int(c[0]), meta)

    def checkpoint(self, meta, c):
        return self._clause("checkpoint", c[0], meta)

    def state_ttl(self, meta, c):
        return self._clause("state_ttl", c[0], meta)

    def duration(self, meta, c):
        return self._build(ir.Duration, meta, value=_int(c[0]), unit=str(c[1]))

    def unit(self, meta, c):
        return str(c[0])

    # ----------------------------------------------------------- source
    def source(self, meta, c):
        name = c[0]
        fields = tuple(x for x in c[1:] if isinstance(x, ir.FieldDef))
        values, spans = _clauses(c[1:])
        spans["name"] = _tok_span(name)
        if "event_time" in values:
            et = values.pop("event_time")
            values["event_time"] = et[0]
            if et[1] is not None:
                values["watermark"] = et[1]
                spans["watermark"] = et[2]
        return self._build(ir.Source, meta, spans, name=_name(name), fields=fields, **values)

    def topic(self, meta, c):
        return self._clause("topic", _string(c[0]), meta)

    def jdbc(self, meta, c):
        return self._clause("jdbc", self._build(ir.JdbcTable, meta, url=_string(c[0]), table=_string(c[1])), meta)

    def files(self, meta, c):
        return self._clause("files", _string(c[0]), meta)

    def datagen(self, meta, c):
        return self._clause("datagen", True, meta)

    def options(self, meta, c):
        return self._clause("options", tuple(c), meta)

    def option(self, meta, c):
        return self._build(ir.TableOption, meta, key=_string(c[0]), value=_string(c[1]))

    def partitioned_by(self, meta, c):
        return self._clause("partitioned_by", tuple(_name(t) for t in c), meta)

    def format(self, meta, c):
        return self._clause("format", c[0], meta)

    def format_name(self, meta, c):
        return str(c[0])

    def key(self, meta, c):
        return self._clause("key", tuple(_name(t) for t in _names(c)), meta)

    def mode(self, meta, c):
        return self._clause("mode", c[0], meta)

    def mode_name(self, meta, c):
        return str(c[0])

    def event_time(self, meta, c):
        wm = c[1] if len(c) > 1 else None
        return self._clause("event_time", (_name(c[0]), wm[0] if wm else None, wm[1] if wm else None), meta)

    def processing_time(self, meta, c):
        return self._clause("processing_time", _name(c[0]), meta)

    def watermark(self, meta, c):
        return (c[0], _span(meta))

    def generate(self, meta, c):
        values, spans = _clauses(c)
        hints = tuple(x for x in c if isinstance(x, (ir.RangeHint, ir.WeightsHint)))
        return self._clause("generate", self._build(ir.Generate, meta, spans, hints=hints, **values), meta)

    def rate(self, meta, c):
        return self._clause("rate", _int(c[0]), meta)

    def range_hint(self, meta, c):
        return self._build(ir.RangeHint, meta, field=_name(c[0]), low=c[1], high=c[2])

    def weights_hint(self, meta, c):
        return self._build(ir.WeightsHint, meta, field=_name(c[0]), weights=tuple(c[1:]))

    def signed_number(self, meta, c):
        _check_digits(c[-1])
        return "".join(str(t) for t in c)

    def weight(self, meta, c):
        return self._build(ir.Weight, meta, symbol=_name(c[0]), weight=c[1])

    def field(self, meta, c):
        name, typ = c[0], c[1]
        nullable = any(_is_token(x, "NULLABLE") for x in c[2:])
        default = next((x.value for x in c[2:] if isinstance(x, Clause) and x.tag == "default"), None)
        doc = next((_string(x) for x in c[2:] if _is_token(x, "STRING")), None)
        return self._build(
            ir.FieldDef, meta, {"name": _tok_span(name)}, name=_name(name), type=typ, nullable=nullable,
            default=default, doc=doc,
        )

    def field_default(self, meta, c):
        return self._clause("default", c[0], meta)

    def primitive_type(self, meta, c):
        return self._build(ir.PrimitiveType, meta, name=c[0])

    def primitive(self, meta, c):
        return str(c[0])

    def decimal_type(self, meta, c):
        p, s = _int(c[0]), _int(c[1])
        if s > p:
            raise InvalidValue(f"decimal scale {s} is larger than its precision {p}", _span(meta),
                               "write decimal(precision, scale) with scale <= precision, e.g. decimal(10, 2)")
        return self._build(ir.DecimalType, meta, precision=p, scale=s)

    def timestamp_type(self, meta, c):
        p = _int(c[0])
        if p not in (3, 6):
            raise InvalidValue(f"timestamp precision must be 3 (millis) or 6 (micros), not {p}", _span(meta),
                               "write timestamp(3) for milliseconds or timestamp(6) for microseconds")
        return self._build(ir.TimestampType, meta, precision=p)

    def enum_type(self, meta, c):
        return self._build(ir.EnumType, meta, symbols=tuple(_name(t) for t in c))

    def record_type(self, meta, c):
        return self._build(ir.RecordType, meta, fields=tuple(c))

    def array_type(self, meta, c):
        return self._build(ir.ArrayType, meta, items=c[0], items_nullable=len(c) > 1)

    def map_type(self, meta, c):
        return self._build(ir.MapType, meta, values=c[0], values_nullable=len(c) > 1)

    # ----------------------------------------------------------- stages
    def _stage(self, cls: type, meta: Any, c: list[Any], inputs: tuple[str, ...] = ("input",), **kw: Any) -> Any:
        name = c[0]
        spans = {"name": _tok_span(name)}
        fields: dict[str, Any] = {"name": _name(name)}
        for i, role in enumerate(inputs):
            spans[role] = _tok_span(c[1 + i])
            fields[role] = _name(c[1 + i])
        values, clause_spans = _clauses(c[1 + len(inputs):])
        spans.update(clause_spans)
        return self._build(cls, meta, spans, **fields, **values, **kw)

    def transform_stage(self, meta, c):
        return self._stage(ir.Transform, meta, c)

    def where(self, meta, c):
        return self._clause("where", c[0], meta)

    def select(self, meta, c):
        star = any(_is_token(x, "STAR") for x in c)
        items = tuple(x for x in c if isinstance(x, ir.SelectItem))
        return self._clause("select", self._build(ir.Select, meta, star=star, items=items), meta)

    def select_path(self, meta, c):
        return self._build(ir.SelectItem, meta, alias=None, expr=c[0])

    def select_expr(self, meta, c):
        return self._build(ir.SelectItem, meta, {"alias": _tok_span(c[0])}, alias=_name(c[0]), expr=c[1])

    def aggregate(self, meta, c):
        return self._stage(ir.Aggregate, meta, c)

    def window(self, meta, c):
        return self._clause("window", c[0], meta)

    def tumble(self, meta, c):
        return self._build(ir.Tumble, meta, {"column": _tok_span(c[0])}, column=_name(c[0]), size=c[1])

    def hop(self, meta, c):
        return self._build(ir.Hop, meta, {"column": _tok_span(c[0])}, column=_name(c[0]), size=c[1], slide=c[2])

    def session(self, meta, c):
        return self._build(ir.Session, meta, {"column": _tok_span(c[0])}, column=_name(c[0]), gap=c[1])

    def cumulate(self, meta, c):
        return self._build(ir.Cumulate, meta, {"column": _tok_span(c[0])}, column=_name(c[0]), step=c[1], size=c[2])

    def group_by(self, meta, c):
        return self._clause("group_by", tuple(c), meta)

    def measures(self, meta, c):
        return self._clause("measures", tuple(c), meta)

    def measure(self, meta, c):
        return self._build(ir.Measure, meta, {"name": _tok_span(c[0])}, name=_name(c[0]), expr=c[1])

    def having(self, meta, c):
        return self._clause("having", c[0], meta)

    def rolling(self, meta, c):
        return self._stage(ir.Rolling, meta, c)

    def over_range(self, meta, c):
        return Clause("over", self._build(ir.OverRange, meta, {"column": _tok_span(c[0])}, column=_name(c[0]),
                                          preceding=c[1]), _span(meta))

    def over_rows(self, meta, c):
        return Clause("over", self._build(ir.OverRows, meta, {"column": _tok_span(c[0])}, column=_name(c[0]),
                                          rows=_int(c[1])), _span(meta))

    def partition_by(self, meta, c):
        return self._clause("partition_by", tuple(c), meta)

    def regular_join(self, meta, c):
        return Clause("join_kind", "regular", _span(meta))

    def interval_join(self, meta, c):
        return [Clause("join_kind", "interval", _span(meta)), Clause("before", c[0], c[0].span),
                Clause("after", c[1], c[1].span)]

    def temporal_join(self, meta, c):
        return Clause("join_kind", "temporal", _span(meta))

    def lookup_join(self, meta, c):
        return Clause("join_kind", "lookup", _span(meta))

    def outer(self, meta, c):
        return self._clause("outer_left", True, meta)

    def join(self, meta, c):
        # An interval kind gives three clauses (a list); the "on" expression is the one bare expression.
        c = _flatten(c)
        on_index = next(i for i, x in enumerate(c) if not (isinstance(x, Clause) or _is_token(x)))
        rest = c[:on_index] + c[on_index + 1:]
        return self._stage(ir.Join, meta, rest, inputs=("left", "right"), on=c[on_index])

    def union(self, meta, c):
        names = [x for x in c if _is_token(x)]
        spans = {"name": _tok_span(names[0])}
        spans.update({f"input{i}": _tok_span(t) for i, t in enumerate(names[1:])})
        values, clause_spans = _clauses(c[len(names):])
        spans.update(clause_spans)
        return self._build(ir.Union, meta, spans, name=_name(names[0]), inputs=tuple(_name(t) for t in names[1:]),
                           **values)

    def unnest(self, meta, c):
        c = list(c)
        array = c.pop()  # the path after `in`
        item = c.pop()
        return self._stage(ir.Unnest, meta, c, item=_name(item), array=array)

    def dedup(self, meta, c):
        return self._stage(ir.Dedup, meta, c)

    def keep(self, meta, c):
        return self._clause("keep", c[0], meta)

    def keep_name(self, meta, c):
        return str(c[0])

    def topn(self, meta, c):
        orders = tuple(x for x in c if isinstance(x, ir.OrderItem))
        limit = next(x for x in c if _is_token(x, "INT"))
        rest = [x for x in c if not isinstance(x, ir.OrderItem) and x is not limit]
        node = self._stage(ir.TopN, meta, rest, order_by=orders, limit=_int(limit))
        return node

    def sort(self, meta, c):
        orders = tuple(x for x in c if isinstance(x, ir.OrderItem))
        rest = [x for x in c if not isinstance(x, ir.OrderItem)]
        return self._stage(ir.Sort, meta, rest, order_by=orders)

    def order_item(self, meta, c):
        return self._build(ir.OrderItem, meta, column=c[0], direction=c[1])

    def direction(self, meta, c):
        return str(c[0])

    def pattern(self, meta, c):
        terms = tuple(x for x in c if isinstance(x, ir.PatternTerm))
        defines = tuple(x for x in c if isinstance(x, ir.Define))
        rest = [x for x in c if not isinstance(x, (ir.PatternTerm, ir.Define))]
        return self._stage(ir.Pattern, meta, rest, sequence=terms, defines=defines)

    def pattern_term(self, meta, c):
        q = str(c[1]) if len(c) > 1 else None
        return self._build(ir.PatternTerm, meta, variable=_name(c[0]), quantifier=q)

    def within(self, meta, c):
        return self._clause("within", c[0], meta)

    def define(self, meta, c):
        return self._build(ir.Define, meta, {"variable": _tok_span(c[0])}, variable=_name(c[0]), condition=c[1])

    def sink(self, meta, c):
        return self._stage(ir.Sink, meta, c)

    # ----------------------------------------------------------- expressions
    def or_op(self, meta, c):
        return self._build(ir.Binary, meta, op="or", left=c[0], right=c[1])

    def and_op(self, meta, c):
        return self._build(ir.Binary, meta, op="and", left=c[0], right=c[1])

    def not_op(self, meta, c):
        return self._build(ir.Not, meta, operand=c[0])

    def compare(self, meta, c):
        return self._build(ir.Binary, meta, op=str(c[1]), left=c[0], right=c[2])

    def arith(self, meta, c):
        return self._build(ir.Binary, meta, op=str(c[1]), left=c[0], right=c[2])

    def neg(self, meta, c):
        return self._build(ir.Neg, meta, operand=c[0])

    def is_null(self, meta, c):
        return self._build(ir.IsNull, meta, operand=c[0])

    def is_not_null(self, meta, c):
        return self._build(ir.IsNull, meta, operand=c[0], negated=True)

    def between(self, meta, c):
        return self._build(ir.Between, meta, operand=c[0], low=c[1], high=c[2])

    def not_between(self, meta, c):
        return self._build(ir.Between, meta, operand=c[0], low=c[1], high=c[2], negated=True)

    def in_list(self, meta, c):
        return self._build(ir.InList, meta, operand=c[0], items=tuple(c[1:]))

    def not_in_list(self, meta, c):
        return self._build(ir.InList, meta, operand=c[0], items=tuple(c[1:]), negated=True)

    def like(self, meta, c):
        return self._build(ir.Like, meta, operand=c[0], pattern=_string(c[1]))

    def not_like(self, meta, c):
        return self._build(ir.Like, meta, operand=c[0], pattern=_string(c[1]), negated=True)

    def interval(self, meta, c):
        return self._build(ir.IntervalLit, meta, duration=c[0])

    def call(self, meta, c):
        spans = {"name": _tok_span(c[0])}
        if c and isinstance(c[-1], Clause):
            spans["returning"] = c[-1].span
            return self._build(ir.Call, meta, spans, name=_name(c[0]).lower(), args=tuple(c[1:-1]),
                               returning=c[-1].value)
        return self._build(ir.Call, meta, spans, name=_name(c[0]).lower(), args=tuple(c[1:]))

    def returning(self, meta, c):
        return Clause("returning", c[0], _span(meta))

    def call_star(self, meta, c):
        return self._build(ir.Call, meta, {"name": _tok_span(c[0])}, name=_name(c[0]).lower(), star=True)

    def call_distinct(self, meta, c):
        return self._build(ir.Call, meta, {"name": _tok_span(c[0])}, name=_name(c[0]).lower(), args=(c[1],),
                           distinct=True)

    def case(self, meta, c):
        whens = tuple(x for x in c if isinstance(x, ir.When))
        other = c[-1] if not isinstance(c[-1], ir.When) else None
        return self._build(ir.Case, meta, whens=whens, otherwise=other)

    def when(self, meta, c):
        return self._build(ir.When, meta, condition=c[0], result=c[1])

    def cast(self, meta, c):
        return self._build(ir.Cast, meta, operand=c[0], to=c[1])

    def path(self, meta, c):
        return self._build(ir.Column, meta, path=tuple([_name(t) for t in c]))

    def number(self, meta, c):
        _check_digits(c[0])
        return self._build(ir.NumberLit, meta, text=str(c[0]))

    def string(self, meta, c):
        return self._build(ir.StringLit, meta, value=_string(c[0]))

    def true(self, meta, c):
        return self._build(ir.BoolLit, meta, value=True)

    def false(self, meta, c):
        return self._build(ir.BoolLit, meta, value=False)

    def null(self, meta, c):
        return self._build(ir.NullLit, meta)



def _flatten(children: list[Any]) -> list[Any]:
    out: list[Any] = []
    for c in children:
        if isinstance(c, list):
            out.extend(c)
        else:
            out.append(c)
    return out




# --------------------------------------------------------------- errors

TOKEN_NAMES = {
    "NAME": "a name",
    "STRING": 'a string in double quotes',
    "INT": "a whole number",
    "DECIMAL": "a number",
    "LBRACE": '"{"',
    "RBRACE": '"}"',
    "LPAR": '"("',
    "RPAR": '")"',
    "COMMA": '","',
    "DOT": '"."',
    "EQUAL": '"="',
    "COMPARE": "a comparison",
    "ADD_OP": '"+" or "-"',
    "MUL_OP": '"*", "/" or "%"',
    "NULLABLE": '"?"',
    "STAR": '"*"',
    "QUANTIFIER": "a quantifier",
    "$END": "end of file",
}


def _describe_expected(parser: Lark, expected: set[str]) -> list[str]:
    words = []
    by_name = {t.name: t for t in parser.terminals}
    for name in sorted(expected):
        if name in TOKEN_NAMES:
            words.append(TOKEN_NAMES[name])
        elif name in by_name and by_name[name].pattern.type == "str":
            words.append(f'"{by_name[name].pattern.value}"')
        else:
            words.append(name.lower())
    return sorted(set(words))


def _hint_for(expected: list[str], token_text: str | None) -> str:
    kw = keywords()
    if token_text and token_text in kw and "a name" in expected:
        return f"`{token_text}` is a keyword; to use it as a name, write it in backticks: `{token_text}`"
    if len(expected) <= 8:
        return "expected " + ", ".join(expected)
    return "expected one of " + ", ".join(expected[:8]) + ", ..."


def _syntax_diagnostic(e: UnexpectedInput, parser: Lark, text: str, file: str) -> Diagnostic:
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    if isinstance(e, UnexpectedCharacters):
        span = ir.Span(line=e.line, column=e.column, end_line=e.line, end_column=e.column + 1)
        ch = text[e.pos_in_stream] if e.pos_in_stream is not None and e.pos_in_stream < len(text) else "?"
        hint = "strings use double quotes" if ch == "'" else "names use letters, digits and _; comments start with #"
        if ch == '"':
            hint = 'a string must close on the same line; write \\" for a quote and \\n for a newline inside it'
        return Diagnostic("E002", f"unexpected character {ch!r}", span, hint, file)
    if isinstance(e, UnexpectedEOF):
        lines = text.splitlines() or [""]
        span = ir.Span(line=len(lines), column=len(lines[-1]) + 1, end_line=len(lines), end_column=len(lines[-1]) + 2)
        expected = _describe_expected(parser, set(e.expected))
        return Diagnostic("E003", "the spec ends too early", span, _hint_for(expected, None), file)
    assert isinstance(e, UnexpectedToken)
    tok = e.token
    expected = _describe_expected(parser, set(e.accepts or e.expected))
    if tok.type == "$END":
        lines = text.splitlines() or [""]
        span = ir.Span(line=len(lines), column=len(lines[-1]) + 1, end_line=len(lines), end_column=len(lines[-1]) + 2)
        return Diagnostic("E003", "the spec ends too early", span, _hint_for(expected, None), file)
    span = _tok_span(tok)
    return Diagnostic("E001", f"unexpected {str(tok)!r}", span, _hint_for(expected, str(tok)), file)


_STATEMENT_START = re.compile(r"^[ \t]*(" + "|".join(STATEMENT_KEYWORDS) + r")\b", re.MULTILINE)


def _chunks(text: str) -> list[tuple[str, int, str]]:
    """Split text at lines that begin a top-level statement: (keyword, offset, chunk)."""
    starts = [(m.group(1), m.start()) for m in _STATEMENT_START.finditer(text)]
    head = text[: starts[0][1]] if starts else ""
    if not starts or starts[0][1] != 0 and head.strip("\n \t\r") and not _only_comments(head):
        starts.insert(0, ("", 0))
    out = []
    for i, (kw, off) in enumerate(starts):
        end = starts[i + 1][1] if i + 1 < len(starts) else len(text)
        out.append((kw, off, text[off:end]))
    return out


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.strip().startswith("#") for line in text.splitlines())


def _parse_tree(text: str, start: str) -> Tree:
    return _parser().parse(text, start=start)


# The deepest parse tree the compiler accepts. Every later pass (checks, lowering, printing, Avro) walks
# expressions and types recursively, so a deeper tree (a 20,000-term `+` chain, thousands of nested
# `record { ... }`) is refused with an E004 diagnostic instead of overflowing Python's stack. Real specs
# stay far below it: a type or an expression nested 100 levels deep is not something people write.
MAX_DEPTH = 100


def _too_deep(tree: Tree, depth: int = 1) -> Tree | None:
    """A subtree that sits deeper than MAX_DEPTH (``depth`` is the level of ``tree``), found without recursion."""
    from lark import Tree

    stack: list[tuple[Tree, int]] = [(tree, depth)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return node
        for child in node.children:
            if isinstance(child, Tree):
                stack.append((child, depth + 1))
    return None


def _depth_diagnostic(tree: Tree, file: str, depth: int = 1) -> Diagnostic | None:
    deep = _too_deep(tree, depth)
    if deep is None:
        return None
    span = _span(deep.meta)
    return Diagnostic("E004", f"nested too deeply: the compiler accepts at most {MAX_DEPTH} levels of nesting",
                      span, "split the expression or type into smaller parts, e.g. an intermediate transform", file)


def _transform(tree: Tree, file: str, depth: int = 1) -> tuple[Any, list[Diagnostic]]:
    deep = _depth_diagnostic(tree, file, depth)
    if deep is not None:
        return None, [deep]
    from lark.exceptions import VisitError

    try:
        return _tree_to_ir().transform(tree), []
    except InvalidValue as e:  # the methods run from the transformer's __default__, which Lark does not wrap
        return None, [Diagnostic("E004", str(e), e.span, e.hint, file)]
    except VisitError as e:
        orig = e.orig_exc
        if isinstance(orig, InvalidValue):
            return None, [Diagnostic("E004", str(orig), orig.span, orig.hint, file)]
        raise


@lru_cache(maxsize=1)
def _fast() -> lalr.Parser:
    return fast_parser(tables())


def fast_parser(tables: lalr.Tables) -> lalr.Parser:
    """The fast path's parser over ``tables``, building the IR with ``ToIR``."""
    to_ir = ToIR()

    def method(name: str) -> Any:
        if hasattr(to_ir, name):
            return getattr(to_ir, name)

        def other(meta: Any, children: list[Any]) -> Any:  # a `?rule` always keeps a single child here
            raise lalr.NotFast

        return other

    return lalr.Parser(tables, method, MAX_DEPTH, _new_span)


@lru_cache(maxsize=1)
def _tree_to_ir() -> Any:
    """A Lark transformer that builds the IR from Lark's tree with the same ``ToIR`` methods."""
    from lark import Transformer

    to_ir = ToIR()

    class TreeToIR(Transformer):
        def __default__(self, data: str, children: list[Any], meta: Any) -> Any:
            return getattr(to_ir, data)(meta, children)

    return TreeToIR()


def parse_spec(text: str, file: str = "<spec>") -> tuple[ir.Spec | None, list[Diagnostic]]:
    """Parse spec text. Returns the IR (None when it has syntax errors) and the diagnostics."""
    text = text.replace("\r\n", "\n")
    if len(text) > MAX_SPEC_CHARS:
        return None, [_too_large(text, file)]
    try:
        spec = _fast().parse(text, "start")
        if len(spec.statements) <= MAX_STATEMENTS:
            return spec, []
    except (lalr.NotFast, InvalidValue):
        pass  # Lark's parser below finds and explains the problem
    from lark import Tree
    from lark.exceptions import UnexpectedInput

    try:
        tree = _parse_tree(text, "start")
    except UnexpectedInput as e:
        return None, _recover(text, file, e)
    if len(tree.children) > MAX_STATEMENTS + 1:
        return None, [_too_many(tree.children[MAX_STATEMENTS + 1], file)]
    spec, diags = _transform(tree, file)
    if diags:
        # Collect every invalid value, statement by statement (the tree is already parsed: no second parse).
        more: list[Diagnostic] = []
        for child in tree.children:
            if isinstance(child, Tree):
                more.extend(_transform(child, file, depth=2)[1])
        return None, _unique(more) or diags
    return spec, []


# The largest spec accepted, in characters. A real spec is a few kilobytes; the parser handles roughly 50,000
# tokens a second, so this bounds the time a compile can take (a few seconds) as well as its memory.
MAX_SPEC_CHARS = 1_000_000


# The most statements a spec may hold (some checks look statements up by name, so time grows with the square).
MAX_STATEMENTS = 2_000


def _too_many(first_extra: Any, file: str) -> Diagnostic:
    span = _span(first_extra.meta) if hasattr(first_extra, "meta") else None
    if span is not None:
        span = ir.Span(line=span.line, column=span.column, end_line=span.line, end_column=span.column + 1)
    return Diagnostic("E004", f"too many statements: a spec may hold at most {MAX_STATEMENTS:,}", span,
                      "split the pipeline into several specs", file)


def _too_large(text: str, file: str) -> Diagnostic:
    return Diagnostic("E004", f"the spec is too large: {len(text):,} characters, at most {MAX_SPEC_CHARS:,}",
                      ir.Span(line=1, column=1, end_line=1, end_column=2),
                      "split the pipeline into several specs", file)


def _shifted(d: Diagnostic, lines: int) -> Diagnostic:
    """A diagnostic found in a chunk of the text, moved to the chunk's place in the whole text."""
    if d.span is None or lines == 0:
        return d
    span = d.span._replace(line=d.span.line + lines, end_line=d.span.end_line + lines)
    return dataclasses.replace(d, span=span)


def _recover(text: str, file: str, first: UnexpectedInput | None) -> list[Diagnostic]:
    """Parse each top-level statement on its own to report every syntax error in one run."""
    from lark.exceptions import UnexpectedInput

    parser = _parser()
    diags: list[Diagnostic] = []
    chunks = _chunks(text)
    if len(chunks) > MAX_STATEMENTS + 1:
        kw, off, _ = chunks[MAX_STATEMENTS + 1]
        line = text.count("\n", 0, off) + 1
        return [Diagnostic("E004", f"too many statements: a spec may hold at most {MAX_STATEMENTS:,}",
                           ir.Span(line=line, column=1, end_line=line, end_column=2),
                           "split the pipeline into several specs", file)]
    line_offset, last_off = 0, 0
    for kw, off, chunk in chunks:
        # Each chunk is parsed on its own and its positions moved down by the lines before it (padding the
        # chunk with newlines instead would make recovery quadratic in the length of the spec).
        line_offset += text.count("\n", last_off, off)
        last_off = off
        start = "pipeline" if kw == "pipeline" else "statement"
        if not kw:
            start = "start"
        try:
            tree = _parse_tree(chunk, start)
        except UnexpectedInput as e:
            diags.append(_shifted(_syntax_diagnostic(e, parser, chunk, file), line_offset))
            continue
        _, more = _transform(tree, file)
        diags.extend(_shifted(d, line_offset) for d in more)
    if not diags and first is not None:
        diags.append(_syntax_diagnostic(first, parser, text, file))
    if first is not None and not text.lstrip().startswith("pipeline") and not any(
        kw == "pipeline" for kw, _, _ in _chunks(text)
    ):
        diags.insert(0, Diagnostic("E001", "a spec must begin with a pipeline block",
                                   ir.Span(line=1, column=1, end_line=1, end_column=2),
                                   'start the file with: pipeline my_pipeline { description "..." }', file))
    return _unique(diags)


def _unique(diags: list[Diagnostic]) -> list[Diagnostic]:
    """Sorted by position, one diagnostic per position."""
    seen: set[tuple[int, int]] = set()
    unique = []
    for d in sorted(diags, key=Diagnostic.sort_key):
        key = (d.span.line, d.span.column) if d.span else (0, 0)
        if key not in seen:
            seen.add(key)
            unique.append(d)
    return unique


_COMMENTS: list[Any] = []


@lru_cache(maxsize=1)
def _comment_parser() -> Lark:
    from lark import Lark

    return Lark(grammar_text(), parser="lalr", start="start", lexer_callbacks={"COMMENT": _COMMENTS.append})


def comment_tokens(text: str) -> list[Any]:
    """Every comment in a spec that parses, with its position (for `fmt`)."""
    text = text.replace("\r\n", "\n")
    found: list[Any] = []
    try:
        _fast().parse(text, "start", comments=found)
        return found
    except (lalr.NotFast, InvalidValue):
        pass
    _COMMENTS.clear()
    _comment_parser().parse(text)
    found = list(_COMMENTS)
    _COMMENTS.clear()
    return found

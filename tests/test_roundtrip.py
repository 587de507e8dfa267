"""Round-trip properties of the printer and the parser.

Hypothesis builds arbitrary *syntactically representable* IR directly from the
models in ``pipegen/compiler/ir.py`` (names need not resolve, types need not check) and
checks that

* ``parse(print_spec(ir)) == ir``              (the printer is the parser's inverse),
* ``print_spec(parse(print_spec(ir)))`` is the same text (printing is idempotent),
* ``api.format_text`` is idempotent on printed text with comments added.

Some IR values have no text at all; the strategies below avoid exactly those
(each such constraint is commented where it is made):

* ``Call.name`` is lower case: the parser folds function names (``COUNT(*)`` is ``count(*)``);
* ``Call(star=True)`` has no arguments, ``Call(distinct=True)`` has exactly one, a ``returning`` call at least one;
* ``DecimalType.scale <= precision`` (the parser rejects the rest with E004);
* a ``SelectItem`` without an alias holds a ``Column``; a ``Select`` without ``*`` has items;
* ``Source.watermark`` needs ``event_time``; ``Join.before``/``after`` go with interval joins only.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pipegen.compiler import ir
from pipegen.compiler.parser import keywords, parse_spec
from pipegen.compiler.printer import print_spec

from pipegen import api

ROOT = Path(__file__).resolve().parent.parent

# PIPEGEN_ROUNDTRIP_EXAMPLES=5000 searches harder (slow); 300 keeps the suite quick.
SETTINGS = settings(max_examples=int(os.environ.get("PIPEGEN_ROUNDTRIP_EXAMPLES", "300")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------------ leaves

KEYWORDS = sorted(keywords())
# Keywords the brief singles out, words that merely start like keywords, and SQL-ish names.
TRICKY = ["select", "timestamp", "from", "count", "window", "desc", "s", "min", "ms", "h", "d", "in", "is",
          "true", "false", "null", "interval", "selected", "s1", "min_", "_", "desc2", "Select", "NULL", "x"]
IDENT = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,11}", fullmatch=True)
names = st.one_of(st.sampled_from(KEYWORDS), st.sampled_from(TRICKY), IDENT)
# The parser lower-cases function names (`COUNT(*)` is `count(*)`), so only lower-case names round-trip.
call_names = st.one_of(
    st.sampled_from(["count", "sum", "min", "max", "avg", "coalesce", "date", "timestamp", "interval", "cast", "first",
                     "last", "prev", "json_value"]),
    st.sampled_from(KEYWORDS),
    st.from_regex(r"[a-z_][a-z0-9_]{0,9}", fullmatch=True),
)

# Text for strings: quotes, backslashes, newlines, tabs, carriage returns, other line
# separators (U+2028, form feed...), '#' (not a comment inside a string), unicode.
SPECIAL = '"\\\n\t\r\x0b\x0c\x1c\x85\u2028\u2029#{}`é€😀'
texts = st.one_of(
    st.text(alphabet=st.sampled_from(SPECIAL + "ab _"), max_size=12),
    st.text(max_size=12),
)
numbers = st.from_regex(r"[0-9]{1,4}(\.[0-9]{1,3})?", fullmatch=True)
number_lits = numbers.map(lambda t: ir.NumberLit(text=t))
signed_numbers = st.from_regex(r"-?[0-9]{1,4}(\.[0-9]{1,3})?", fullmatch=True)  # generate hint bounds
durations = st.builds(ir.Duration, value=st.integers(0, 10**6), unit=st.sampled_from(["ms", "s", "min", "h", "d"]))
small = st.integers(1, 10_000)


def tuples(strategy: st.SearchStrategy, min_size: int = 0, max_size: int = 3) -> st.SearchStrategy:
    return st.lists(strategy, min_size=min_size, max_size=max_size).map(tuple)


def optional(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), strategy)


LITERALS = {
    ir.NumberLit: number_lits,
    ir.StringLit: texts.map(lambda s: ir.StringLit(value=s)),
    ir.BoolLit: st.booleans().map(lambda b: ir.BoolLit(value=b)),
    ir.NullLit: st.just(ir.NullLit()),
}
literals = st.one_of(*LITERALS.values())

# ------------------------------------------------------------------ types


@st.composite
def _decimal(draw: st.DrawFn) -> ir.DecimalType:
    precision = draw(st.integers(1, 38))
    # The parser rejects scale > precision (E004), so such IR has no text.
    return ir.DecimalType(precision=precision, scale=draw(st.integers(0, precision)))


BASE_TYPES = {
    ir.PrimitiveType: st.sampled_from(["string", "int", "long", "float", "double", "boolean", "bytes", "date", "time",
                                       "uuid"]).map(lambda n: ir.PrimitiveType(name=n)),
    ir.DecimalType: _decimal(),
    ir.TimestampType: st.sampled_from([3, 6]).map(lambda p: ir.TimestampType(precision=p)),
    ir.EnumType: tuples(names, 1, 4).map(lambda s: ir.EnumType(symbols=s)),
}


def _field(type_strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.builds(ir.FieldDef, name=names, type=type_strategy, nullable=st.booleans(),
                     default=optional(literals), doc=optional(texts))


def _containers(inner: st.SearchStrategy) -> dict[type, st.SearchStrategy]:
    return {
        ir.RecordType: tuples(_field(inner), 1, 3).map(lambda fs: ir.RecordType(fields=fs)),
        ir.ArrayType: st.builds(ir.ArrayType, items=inner, items_nullable=st.booleans()),
        ir.MapType: st.builds(ir.MapType, values=inner, values_nullable=st.booleans()),
    }


types = st.recursive(st.one_of(*BASE_TYPES.values()), lambda inner: st.one_of(*_containers(inner).values()),
                     max_leaves=5)
fields = _field(types)

# ------------------------------------------------------------------ expressions

columns = tuples(names, 1, 3).map(lambda p: ir.Column(path=p))
LEAVES = {**LITERALS, ir.Column: columns, ir.IntervalLit: durations.map(lambda d: ir.IntervalLit(duration=d))}
expr_leaves = st.one_of(*LEAVES.values())
BINARY_OPS = ["or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%"]


def _compound(e: st.SearchStrategy) -> dict[type, st.SearchStrategy]:
    return {
        ir.Binary: st.builds(ir.Binary, op=st.sampled_from(BINARY_OPS), left=e, right=e),
        ir.Not: st.builds(ir.Not, operand=e),
        ir.Neg: st.builds(ir.Neg, operand=e),
        ir.IsNull: st.builds(ir.IsNull, operand=e, negated=st.booleans()),
        ir.Between: st.builds(ir.Between, operand=e, low=e, high=e, negated=st.booleans()),
        ir.InList: st.builds(ir.InList, operand=e, items=tuples(e, 1, 3), negated=st.booleans()),
        ir.Like: st.builds(ir.Like, operand=e, pattern=texts, negated=st.booleans()),
        # star: no arguments; distinct: exactly one (other shapes have no text).
        ir.Call: st.one_of(st.builds(ir.Call, name=call_names, args=tuples(e, 0, 3)),
                           st.builds(ir.Call, name=call_names, star=st.just(True)),
                           st.builds(ir.Call, name=call_names, args=tuples(e, 1, 1), distinct=st.just(True)),
                           # returning: after at least one argument (json_value(doc, "$.id" returning int)).
                           st.builds(ir.Call, name=call_names, args=tuples(e, 1, 2), returning=types)),
        ir.Case: st.builds(ir.Case, whens=tuples(st.builds(ir.When, condition=e, result=e), 1, 3),
                           otherwise=optional(e)),
        ir.Cast: st.builds(ir.Cast, operand=e, to=types),
    }


exprs = st.recursive(expr_leaves, lambda e: st.one_of(*_compound(e).values()), max_leaves=10)

# ------------------------------------------------------------------ statements

measures = tuples(st.builds(ir.Measure, name=names, expr=exprs), 1, 3)
partition = tuples(columns, 0, 2)


@st.composite
def selects(draw: st.DrawFn) -> ir.Select:
    star = draw(st.booleans())
    # A bare item is a column path; `select { }` with neither `*` nor items has no text.
    item = st.one_of(
        columns.map(lambda c: ir.SelectItem(alias=None, expr=c)),
        st.builds(ir.SelectItem, alias=names, expr=exprs),
    )
    return ir.Select(star=star, items=draw(tuples(item, 0 if star else 1, 3)))


HINTS = {
    ir.RangeHint: st.builds(ir.RangeHint, field=names, low=signed_numbers, high=signed_numbers),
    ir.WeightsHint: st.builds(ir.WeightsHint, field=names,
                              weights=tuples(st.builds(ir.Weight, symbol=names, weight=number_lits), 1, 3)),
}
hints = st.one_of(*HINTS.values())


@st.composite
def sources(draw: st.DrawFn) -> ir.Source:
    event_time = draw(optional(names))
    # Exactly one origin: a topic, a jdbc table, files or datagen.
    origin = draw(st.sampled_from(["topic", "jdbc", "files", "datagen"]))
    where = {"topic": {"topic": draw(texts)}, "files": {"files": draw(texts)}, "datagen": {"datagen": True},
             "jdbc": {"jdbc": ir.JdbcTable(url=draw(texts), table=draw(texts))}}[origin]
    return ir.Source(
        name=draw(names), description=draw(optional(texts)), **where,
        format=draw(optional(st.sampled_from(["avro", "json", "csv", "debezium_json"]))),
        fields=draw(tuples(fields, 1, 4)),
        key=draw(tuples(names, 0, 2)), mode=draw(optional(st.sampled_from(["append", "upsert"]))),
        # `watermark` is written after `event_time NAME`, so it needs an event time.
        event_time=event_time, watermark=draw(optional(durations)) if event_time is not None else None,
        processing_time=draw(optional(names)),
        generate=draw(optional(st.builds(ir.Generate, rate=optional(small), hints=tuples(hints, 0, 3)))),
        options=draw(tuples(st.builds(ir.TableOption, key=texts, value=texts), 0, 2)),
    )


WINDOWS = {
    ir.Tumble: st.builds(ir.Tumble, column=names, size=durations),
    ir.Hop: st.builds(ir.Hop, column=names, size=durations, slide=durations),
    ir.Session: st.builds(ir.Session, column=names, gap=durations),
    ir.Cumulate: st.builds(ir.Cumulate, column=names, step=durations, size=durations),
}
windows = st.one_of(*WINDOWS.values())
OVERS = {
    ir.OverRange: st.builds(ir.OverRange, column=names, preceding=durations),
    ir.OverRows: st.builds(ir.OverRows, column=names, rows=small),
}


@st.composite
def joins(draw: st.DrawFn) -> ir.Join:
    kind = draw(st.sampled_from(["regular", "interval", "temporal", "lookup"]))
    # Only `kind interval(before, after)` carries the bounds.
    before = draw(durations) if kind == "interval" else None
    after = draw(durations) if kind == "interval" else None
    return ir.Join(name=draw(names), left=draw(names), right=draw(names), description=draw(optional(texts)),
                   join_kind=kind, before=before, after=after, outer_left=draw(st.booleans()), on=draw(exprs),
                   select=draw(selects()))


quantifiers = st.one_of(
    st.sampled_from([None, "+", "*", "?", "{2,}", "{1,3}", "{0,0}"]),
    st.tuples(st.integers(0, 99), optional(st.integers(0, 99))).map(
        lambda t: f"{{{t[0]},{'' if t[1] is None else t[1]}}}"),
)
descriptions = optional(texts)

order_items = st.builds(ir.OrderItem, column=columns, direction=st.sampled_from(["asc", "desc"]))
STATEMENTS = {
    ir.Source: sources(),
    ir.Transform: st.builds(ir.Transform, name=names, input=names, description=descriptions, where=optional(exprs),
              select=optional(selects())),
    ir.Aggregate: st.builds(ir.Aggregate, name=names, input=names, description=descriptions, where=optional(exprs),
              window=optional(windows), group_by=partition, measures=measures, having=optional(exprs)),
    ir.Rolling: st.builds(ir.Rolling, name=names, input=names, description=descriptions, partition_by=partition,
                          over=optional(st.one_of(*OVERS.values())), measures=measures),
    ir.Join: joins(),
    ir.Dedup: st.builds(ir.Dedup, name=names, input=names, description=descriptions, key=tuples(names, 1, 3),
              keep=st.sampled_from(["first", "last"])),
    ir.TopN: st.builds(ir.TopN, name=names, input=names, description=descriptions, partition_by=partition,
              order_by=tuples(order_items, 1, 3), limit=small),
    ir.Sort: st.builds(ir.Sort, name=names, input=names, description=descriptions, order_by=tuples(order_items, 1, 3)),
    ir.Pattern: st.builds(ir.Pattern, name=names, input=names, description=descriptions, partition_by=partition,
              sequence=tuples(st.builds(ir.PatternTerm, variable=names, quantifier=quantifiers), 1, 4),
              within=optional(durations), defines=tuples(st.builds(ir.Define, variable=names, condition=exprs), 1, 3),
              measures=measures),
    ir.Union: st.builds(ir.Union, name=names, inputs=tuples(names, 2, 4), description=descriptions),
    ir.Unnest: st.builds(ir.Unnest, name=names, input=names, description=descriptions, item=names, array=columns),
    ir.Sink: st.one_of(
        st.builds(ir.Sink, name=names, input=names, description=descriptions, topic=texts,
                  format=optional(st.sampled_from(["avro", "json", "csv", "debezium_json"])), key=tuples(names, 0, 2),
                  mode=optional(st.sampled_from(["append", "upsert"])), partitioned_by=tuples(names, 0, 2)),
        st.builds(ir.Sink, name=names, input=names, description=descriptions, files=texts,
                  format=optional(st.sampled_from(["json", "csv"])), partitioned_by=tuples(names, 0, 2))),
}
statements = st.one_of(*STATEMENTS.values())
# The strategy of every IR node kind (tests/test_node_kinds.py checks that none is missing).
STRATEGIES = {**BASE_TYPES, **_containers(types), **LEAVES, **_compound(exprs), **HINTS, **WINDOWS, **OVERS,
              **STATEMENTS}

udfs = st.builds(ir.Udf, name=names, params=tuples(st.one_of(*BASE_TYPES.values()), 0, 3),
                 returns=st.one_of(*BASE_TYPES.values()), language=st.sampled_from(["java", "python"]),
                 implementation=texts)
pipelines = st.builds(ir.Pipeline, name=names, description=descriptions, domain=optional(names),
                      parallelism=optional(small), checkpoint=optional(durations), state_ttl=optional(durations),
                      functions=tuples(udfs, 0, 2))
specs = st.builds(ir.Spec, pipeline=pipelines, statements=tuples(statements, 0, 5))

# ------------------------------------------------------------------ helpers


def parse(text: str) -> ir.Spec:
    spec, diags = parse_spec(text)
    assert spec is not None, f"printed text does not parse: {[str(d) for d in diags]}\n{text}"
    return spec


comment_texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"), max_size=15
).map(lambda s: "#" + s)

# ------------------------------------------------------------------ properties


@SETTINGS
@given(specs)
def test_parse_inverts_print(spec: ir.Spec) -> None:
    assert parse(print_spec(spec)) == spec


@SETTINGS
@given(specs)
def test_print_is_idempotent(spec: ir.Spec) -> None:
    text = print_spec(spec)
    assert print_spec(parse(text)) == text


@SETTINGS
@given(specs, st.data())
def test_format_keeps_comments_between_statements(spec: ir.Spec, data: st.DataObject) -> None:
    # Comment lines before any statement and after the last one (index len+1).
    slots = range(len(spec.statements) + 2)
    comments = data.draw(st.dictionaries(st.sampled_from(list(slots)), st.lists(comment_texts, min_size=1, max_size=3)))
    text = print_spec(spec, comments)
    once = api.format_text(text)
    assert api.format_text(once) == once
    assert parse(once) == spec
    # Canonical text whose comments have no trailing blanks is already formatted.
    if all(c == c.rstrip() for cs in comments.values() for c in cs):
        assert once == text


@SETTINGS
@given(specs, st.data())
def test_format_is_idempotent_with_comments_after_code(spec: ir.Spec, data: st.DataObject) -> None:
    lines = print_spec(spec).split("\n")
    # At most one comment per line (a second one on the same line would be part of the first).
    marks = data.draw(st.lists(st.tuples(st.integers(0, len(lines) - 1), comment_texts), max_size=4,
                               unique_by=lambda m: m[0]))
    for i, c in marks:
        lines[i] += " " + c
    text = "\n".join(lines)
    once = api.format_text(text)
    assert api.format_text(once) == once
    assert parse(once) == spec
    kept = sorted(c.rstrip() for _, c in marks)
    assert sorted(line for line in once.split("\n") if line.startswith("#")) == kept


# ------------------------------------------------------------------ examples

HEADER = "pipeline p {\n}\n\n"


def _where(text: str) -> ir.Expr:
    spec = api.parse(HEADER + f"transform t from s {{\n  where {text}\n}}\n")
    return spec.statements[0].where


def _fmt_where(text: str) -> str:
    out = api.format_text(HEADER + f"transform t from s {{\n  where {text}\n}}\n")
    return re.search(r"^  where (.*)$", out, re.MULTILINE).group(1)


def col(n: str) -> ir.Column:
    return ir.Column(path=(n,))


@pytest.mark.parametrize(
    "source, printed, tree",
    [
        ("(a + b) * c", "(a + b) * c",
         ir.Binary(op="*", left=ir.Binary(op="+", left=col("a"), right=col("b")), right=col("c"))),
        ("a - (b - c)", "a - (b - c)",
         ir.Binary(op="-", left=col("a"), right=ir.Binary(op="-", left=col("b"), right=col("c")))),
        ("(a - b) - c", "a - b - c",
         ir.Binary(op="-", left=ir.Binary(op="-", left=col("a"), right=col("b")), right=col("c"))),
        ("not (a and b)", "not (a and b)",
         ir.Not(operand=ir.Binary(op="and", left=col("a"), right=col("b")))),
        ("(not a) and b", "not a and b",
         ir.Binary(op="and", left=ir.Not(operand=col("a")), right=col("b"))),
        ("a or (b or c)", "a or (b or c)",
         ir.Binary(op="or", left=col("a"), right=ir.Binary(op="or", left=col("b"), right=col("c")))),
        ("(a or b) and c", "(a or b) and c",
         ir.Binary(op="and", left=ir.Binary(op="or", left=col("a"), right=col("b")), right=col("c"))),
        ("-(a + b)", "-(a + b)", ir.Neg(operand=ir.Binary(op="+", left=col("a"), right=col("b")))),
        ("(a = b) = c", "(a = b) = c",
         ir.Binary(op="=", left=ir.Binary(op="=", left=col("a"), right=col("b")), right=col("c"))),
        ("(a between b and c) is null", "(a between b and c) is null",
         ir.IsNull(operand=ir.Between(operand=col("a"), low=col("b"), high=col("c")))),
        ("a between (b and c) and e", "a between (b and c) and e",
         ir.Between(operand=col("a"), low=ir.Binary(op="and", left=col("b"), right=col("c")), high=col("e"))),
        ("`d` + `s`", "`d` + `s`", ir.Binary(op="+", left=col("d"), right=col("s"))),
        ("((((a))))", "a", col("a")),
    ],
)
def test_parentheses_keep_meaning(source: str, printed: str, tree: ir.Expr) -> None:
    assert _where(source) == tree
    assert _fmt_where(source) == printed
    assert _where(printed) == tree


def test_keyword_names_are_quoted() -> None:
    spec = ir.Spec(
        pipeline=ir.Pipeline(name="select"),
        statements=(ir.Transform(name="from", input="timestamp", where=ir.Binary(
            op=">", left=ir.Column(path=("window", "desc")), right=ir.Call(name="count", star=True))),),
    )
    text = print_spec(spec)
    assert "pipeline `select`" in text
    assert "transform `from` from `timestamp`" in text
    assert "`window`.`desc` > count(*)" in text
    assert parse(text) == spec


def test_strings_are_escaped() -> None:
    doc = 'a "quoted" \\ back\nslash\ttab \u2028 é 😀'
    spec = ir.Spec(pipeline=ir.Pipeline(name="p", description=doc), statements=(
        ir.Source(name="src", topic="t", fields=(
            ir.FieldDef(name="f", type=ir.PrimitiveType(name="string"), default=ir.StringLit(value=doc), doc=doc),
        )),
    ))
    text = print_spec(spec)
    assert 'description "a \\"quoted\\" \\\\ back\\nslash\\ttab' in text
    assert parse(text) == spec


def test_language_functions_that_are_keywords_print_bare() -> None:
    """`first` and `last` are also keywords of `keep`: `fmt` writes the pattern functions as the README does,
    `first(high.ts)`, not in backticks, and that text parses to the same IR on the fast path and on Lark's."""
    from pipegen.compiler import parser

    text = (ROOT / "tests" / "regressions" / "09_pattern_ends_repeated.pgl").read_text(encoding="utf-8")
    text = text.replace("first(high.ts)", "`first`(high.ts)") + (
        "\npattern ends from readings {\n  sequence high low\n  define {\n    high = temp > 90\n"
        "    low = temp < 80\n  }\n  measures {\n    last_high = last(high.ts)\n  }\n}\n")
    printed = api.format_text(text)
    assert "started_at = first(high.ts)" in printed and "last_high = last(high.ts)" in printed, printed
    assert "`first`" not in printed and "`last`" not in printed
    assert api.format_text(printed) == printed
    assert parser._fast().parse(printed, "start") == api.parse(text)
    assert parser._tree_to_ir().transform(parser._parse_tree(printed, "start")) == api.parse(text)

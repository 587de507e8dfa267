"""The intermediate representation of a pipeline spec.

One set of frozen pydantic models. Each node remembers where it came from in
the source (``span`` and, for parts of a clause, ``spans``); positions are not
part of a node's value, so ``parse(print(ir)) == ir`` holds, and they are left
out of the JSON Schema that LLM providers are constrained by.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema


class Span(BaseModel):
    """A region of the source text, 1-based lines and columns, end exclusive."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    line: int
    column: int
    end_line: int
    end_column: int


class Node(BaseModel):
    """Base of every IR node: frozen, strict, position-aware."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    span: SkipJsonSchema[Span | None] = Field(default=None, exclude=True, repr=False)
    # Positions of parts of the node (a name, a key, the input reference...).
    spans: SkipJsonSchema[dict[str, Span]] = Field(default_factory=dict, exclude=True, repr=False)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.model_dump() == other.model_dump()  # type: ignore[union-attr]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.model_dump_json()))

    def pos(self, part: str | None = None) -> Span | None:
        """The span of ``part`` if known, else of the whole node."""
        if part is not None and part in self.spans:
            return self.spans[part]
        return self.span


# ----------------------------------------------------------------- durations

TimeUnit = Literal["ms", "s", "min", "h", "d"]
UNIT_MILLIS: dict[str, int] = {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}


class Duration(Node):
    value: int = Field(ge=0)
    unit: TimeUnit

    @property
    def millis(self) -> int:
        return self.value * UNIT_MILLIS[self.unit]


# --------------------------------------------------------------------- types

Primitive = Literal["string", "int", "long", "float", "double", "boolean", "bytes", "date", "time", "uuid"]


class PrimitiveType(Node):
    kind: Literal["primitive"] = "primitive"
    name: Primitive


class DecimalType(Node):
    kind: Literal["decimal"] = "decimal"
    precision: int = Field(ge=1, le=38)
    scale: int = Field(ge=0, le=38)


class TimestampType(Node):
    kind: Literal["timestamp"] = "timestamp"
    precision: Literal[3, 6] = 3


class EnumType(Node):
    kind: Literal["enum"] = "enum"
    symbols: tuple[str, ...] = Field(min_length=1)


class RecordType(Node):
    kind: Literal["record"] = "record"
    fields: tuple[FieldDef, ...] = Field(min_length=1)


class ArrayType(Node):
    kind: Literal["array"] = "array"
    items: Type
    items_nullable: bool = False


class MapType(Node):
    """A map with string keys, as in Avro."""

    kind: Literal["map"] = "map"
    values: Type
    values_nullable: bool = False


Type = Annotated[
    Union[PrimitiveType, DecimalType, TimestampType, EnumType, RecordType, ArrayType, MapType],
    Field(discriminator="kind"),
]


class FieldDef(Node):
    name: str
    type: Type
    nullable: bool = False
    default: Literal_ | None = None
    doc: str | None = None


# --------------------------------------------------------------- expressions


class NumberLit(Node):
    kind: Literal["number"] = "number"
    text: str = Field(pattern=r"^[0-9]+(\.[0-9]+)?$")


class StringLit(Node):
    kind: Literal["string"] = "string"
    value: str


class BoolLit(Node):
    kind: Literal["bool"] = "bool"
    value: bool


class NullLit(Node):
    kind: Literal["null"] = "null"


Literal_ = Annotated[Union[NumberLit, StringLit, BoolLit, NullLit], Field(discriminator="kind")]


class Column(Node):
    """A column, a nested field (``merchant.category``), or a qualified one (``orders.id``)."""

    kind: Literal["column"] = "column"
    path: tuple[str, ...] = Field(min_length=1)


class Not(Node):
    kind: Literal["not"] = "not"
    operand: Expr


class Neg(Node):
    kind: Literal["neg"] = "neg"
    operand: Expr


BinaryOperator = Literal["or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%"]


class Binary(Node):
    kind: Literal["binary"] = "binary"
    op: BinaryOperator
    left: Expr
    right: Expr


class IsNull(Node):
    kind: Literal["is_null"] = "is_null"
    operand: Expr
    negated: bool = False


class Between(Node):
    kind: Literal["between"] = "between"
    operand: Expr
    low: Expr
    high: Expr
    negated: bool = False


class InList(Node):
    kind: Literal["in"] = "in"
    operand: Expr
    items: tuple[Expr, ...] = Field(min_length=1)
    negated: bool = False


class Like(Node):
    kind: Literal["like"] = "like"
    operand: Expr
    pattern: str
    negated: bool = False


class Call(Node):
    """A function call. ``star`` is ``count(*)``; ``distinct`` is ``count(distinct x)``."""

    kind: Literal["call"] = "call"
    name: str
    args: tuple[Expr, ...] = ()
    star: bool = False
    distinct: bool = False


class When(Node):
    condition: Expr
    result: Expr


class Case(Node):
    kind: Literal["case"] = "case"
    whens: tuple[When, ...] = Field(min_length=1)
    otherwise: Expr | None = None


class Cast(Node):
    kind: Literal["cast"] = "cast"
    operand: Expr
    to: Type


class IntervalLit(Node):
    kind: Literal["interval"] = "interval"
    duration: Duration


Expr = Annotated[
    Union[
        NumberLit, StringLit, BoolLit, NullLit, Column, Not, Neg, Binary, IsNull, Between, InList, Like,
        Call, Case, Cast, IntervalLit,
    ],
    Field(discriminator="kind"),
]


# ---------------------------------------------------------------- statements


class Pipeline(Node):
    name: str
    description: str | None = None
    domain: str | None = None
    parallelism: int | None = Field(default=None, ge=1)
    checkpoint: Duration | None = None
    state_ttl: Duration | None = None


class RangeHint(Node):
    kind: Literal["range"] = "range"
    field: str
    low: str = Field(pattern=r"^-?[0-9]+(\.[0-9]+)?$")
    high: str = Field(pattern=r"^-?[0-9]+(\.[0-9]+)?$")


class Weight(Node):
    symbol: str
    weight: NumberLit


class WeightsHint(Node):
    kind: Literal["weights"] = "weights"
    field: str
    weights: tuple[Weight, ...] = Field(min_length=1)


Hint = Annotated[Union[RangeHint, WeightsHint], Field(discriminator="kind")]


class Generate(Node):
    """Hints for the test-data generator: events per second, value ranges, enum weights."""

    rate: int | None = Field(default=None, ge=1)
    hints: tuple[Hint, ...] = ()


Format = Literal["avro", "json"]
Mode = Literal["append", "upsert"]


class Source(Node):
    kind: Literal["source"] = "source"
    name: str
    description: str | None = None
    topic: str
    format: Format | None = None
    fields: tuple[FieldDef, ...] = Field(min_length=1)
    key: tuple[str, ...] = ()
    mode: Mode | None = None
    event_time: str | None = None
    watermark: Duration | None = None
    generate: Generate | None = None


class SelectItem(Node):
    """``alias = expr``, or a bare column path when ``alias`` is None."""

    alias: str | None = None
    expr: Expr


class Select(Node):
    star: bool = False
    items: tuple[SelectItem, ...] = ()


class Transform(Node):
    kind: Literal["transform"] = "transform"
    name: str
    input: str
    description: str | None = None
    where: Expr | None = None
    select: Select | None = None


class Tumble(Node):
    kind: Literal["tumble"] = "tumble"
    column: str
    size: Duration


class Hop(Node):
    kind: Literal["hop"] = "hop"
    column: str
    size: Duration
    slide: Duration


class Session(Node):
    kind: Literal["session"] = "session"
    column: str
    gap: Duration


class Cumulate(Node):
    kind: Literal["cumulate"] = "cumulate"
    column: str
    step: Duration
    size: Duration


Window = Annotated[Union[Tumble, Hop, Session, Cumulate], Field(discriminator="kind")]


class Measure(Node):
    name: str
    expr: Expr


class Aggregate(Node):
    kind: Literal["aggregate"] = "aggregate"
    name: str
    input: str
    description: str | None = None
    where: Expr | None = None
    window: Window | None = None
    group_by: tuple[Column, ...] = ()
    measures: tuple[Measure, ...] = Field(min_length=1)
    having: Expr | None = None


class OverRange(Node):
    kind: Literal["range"] = "range"
    column: str
    preceding: Duration


class OverRows(Node):
    kind: Literal["rows"] = "rows"
    column: str
    rows: int = Field(ge=1)


Over = Annotated[Union[OverRange, OverRows], Field(discriminator="kind")]


class Rolling(Node):
    kind: Literal["rolling"] = "rolling"
    name: str
    input: str
    description: str | None = None
    partition_by: tuple[Column, ...] = ()
    over: Over
    measures: tuple[Measure, ...] = Field(min_length=1)


JoinKind = Literal["regular", "interval", "temporal"]


class Join(Node):
    kind: Literal["join"] = "join"
    name: str
    left: str
    right: str
    description: str | None = None
    join_kind: JoinKind
    # Interval joins: the right row's event time lies within
    # [left time - before, left time + after].
    before: Duration | None = None
    after: Duration | None = None
    outer_left: bool = False
    on: Expr
    select: Select


class Dedup(Node):
    kind: Literal["dedup"] = "dedup"
    name: str
    input: str
    description: str | None = None
    key: tuple[str, ...] = Field(min_length=1)
    keep: Literal["first", "last"]


class OrderItem(Node):
    column: Column
    direction: Literal["asc", "desc"]


class TopN(Node):
    kind: Literal["topn"] = "topn"
    name: str
    input: str
    description: str | None = None
    partition_by: tuple[Column, ...] = ()
    order_by: tuple[OrderItem, ...] = Field(min_length=1)
    limit: int = Field(ge=1)


class PatternTerm(Node):
    variable: str
    quantifier: str | None = Field(default=None, pattern=r"^(\+|\*|\?|\{[0-9]+,[0-9]*\})$")


class Define(Node):
    variable: str
    condition: Expr


class Pattern(Node):
    kind: Literal["pattern"] = "pattern"
    name: str
    input: str
    description: str | None = None
    partition_by: tuple[Column, ...] = ()
    sequence: tuple[PatternTerm, ...] = Field(min_length=1)
    within: Duration | None = None
    defines: tuple[Define, ...] = Field(min_length=1)
    measures: tuple[Measure, ...] = Field(min_length=1)


class Sink(Node):
    kind: Literal["sink"] = "sink"
    name: str
    input: str
    description: str | None = None
    topic: str
    format: Format | None = None
    key: tuple[str, ...] = ()
    mode: Mode | None = None


Stage = Union[Transform, Aggregate, Rolling, Join, Dedup, TopN, Pattern]
Statement = Annotated[
    Union[Source, Transform, Aggregate, Rolling, Join, Dedup, TopN, Pattern, Sink],
    Field(discriminator="kind"),
]


class Spec(Node):
    """A whole pipeline spec: the pipeline header and its statements, in source order."""

    pipeline: Pipeline
    statements: tuple[Statement, ...] = ()

    def statement(self, name: str) -> Any:
        """The statement called ``name`` (the first, if names repeat), or None."""
        return self._by_name.get(name)

    @cached_property
    def _by_name(self) -> dict[str, Any]:
        index: dict[str, Any] = {}
        for st in self.statements:
            index.setdefault(st.name, st)
        return index

    def inputs(self, st: Any) -> tuple[str, ...]:
        """Names of the statements that ``st`` reads from."""
        return statement_inputs(st)


def statement_inputs(st: Any) -> tuple[str, ...]:
    if isinstance(st, Source):
        return ()
    if isinstance(st, Join):
        return (st.left, st.right)
    return (st.input,)


for _model in list(globals().values()):
    if isinstance(_model, type) and issubclass(_model, BaseModel) and _model is not BaseModel:
        _model.model_rebuild()

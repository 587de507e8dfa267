"""The intermediate representation of a pipeline spec.

One set of frozen dataclasses (slotted, keyword-only). Each node remembers where
it came from in the source (``span`` and, for parts of a clause, ``spans``);
positions are not part of a node's value (they take no part in ``==`` or
``hash``), so ``parse(print(ir)) == ir`` holds, and they are left out of the
JSON Schema that LLM providers are constrained by.

The parser builds these nodes directly: the grammar has already checked the
shape, and ``violations`` checks the few value constraints it cannot (a
precision of 99, a parallelism of 0). JSON from a model is untrusted: it goes
through pydantic (``validate_json``), which reads the same ``Check``
annotations, and ``json_schema`` is pydantic's schema of the same classes.
pydantic is imported only on that path, so compiling a spec never loads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import cache, cached_property
from typing import TYPE_CHECKING, Annotated, Any, Literal, NamedTuple

if TYPE_CHECKING:
    from pydantic import TypeAdapter


class Check:
    """A constraint on a field, as ``Annotated`` metadata: ``ge``, ``le``, ``min_length``, ``pattern`` or
    ``discriminator`` (for tagged unions). pydantic checks them all; the parser checks the numeric bounds, the
    only ones the grammar cannot enforce (``violations``)."""

    __slots__ = ("kw",)

    def __init__(self, **kw: Any) -> None:
        self.kw = kw

    def __repr__(self) -> str:
        return f"Check({', '.join(f'{k}={v!r}' for k, v in self.kw.items())})"

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic import Field

        return handler.generate_schema(Annotated[source, Field(**self.kw)])

    def violation(self, value: Any) -> str | None:
        """What is wrong with ``value`` against the numeric bounds (``ge``, ``le``), in words, or None."""
        kw = self.kw
        if value is None:
            return None
        if "ge" in kw and value < kw["ge"]:
            return f"must be at least {kw['ge']}, not {value}"
        if "le" in kw and value > kw["le"]:
            return f"must be at most {kw['le']}, not {value}"
        return None


class Hidden:
    """``Annotated`` metadata of the position fields: pydantic leaves them out of the JSON Schema."""

    __slots__ = ()

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic.json_schema import SkipJsonSchema

        return handler.generate_schema(SkipJsonSchema[source])


# Every IR class: frozen, slotted, keyword-only; pydantic (on the JSON path) refuses unknown keys. One
# ``__repr__`` in ``Node`` serves every class (a generated one per class costs import time).
node = dataclass(frozen=True, slots=True, kw_only=True, repr=False)
FORBID_EXTRA = {"extra": "forbid"}


class Span(NamedTuple):
    """A region of the source text, 1-based lines and columns, end exclusive (a tuple: the parser makes one
    for every node, and a tuple is the cheapest frozen record to make)."""

    line: int
    column: int
    end_line: int
    end_column: int


@node
class Node:
    """Base of every IR node: frozen, strict, position-aware."""

    __pydantic_config__ = FORBID_EXTRA

    span: Annotated[Span | None, Hidden()] = field(default=None, compare=False, repr=False)
    # Positions of parts of the node (a name, a key, the input reference...).
    spans: Annotated[dict[str, Span], Hidden()] = field(default_factory=dict, compare=False, repr=False)

    def __repr__(self) -> str:
        parts = ", ".join(f"{name}={getattr(self, name)!r}" for name in value_fields(type(self)))
        return f"{type(self).__name__}({parts})"

    def pos(self, part: str | None = None) -> Span | None:
        """The span of ``part`` if known, else of the whole node."""
        if part is not None and part in self.spans:
            return self.spans[part]
        return self.span


# ----------------------------------------------------------------- durations

TimeUnit = Literal["ms", "s", "min", "h", "d"]
UNIT_MILLIS: dict[str, int] = {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}


@node
class Duration(Node):
    value: Annotated[int, Check(ge=0)]
    unit: TimeUnit

    @property
    def millis(self) -> int:
        return self.value * UNIT_MILLIS[self.unit]


# --------------------------------------------------------------------- types

Primitive = Literal["string", "int", "long", "float", "double", "boolean", "bytes", "date", "time", "uuid"]


@node
class PrimitiveType(Node):
    kind: Literal["primitive"] = "primitive"
    name: Primitive


@node
class DecimalType(Node):
    kind: Literal["decimal"] = "decimal"
    precision: Annotated[int, Check(ge=1, le=38)]
    scale: Annotated[int, Check(ge=0, le=38)]


@node
class TimestampType(Node):
    kind: Literal["timestamp"] = "timestamp"
    precision: Literal[3, 6] = 3


@node
class EnumType(Node):
    kind: Literal["enum"] = "enum"
    symbols: Annotated[tuple[str, ...], Check(min_length=1)]


@node
class RecordType(Node):
    kind: Literal["record"] = "record"
    fields: Annotated[tuple[FieldDef, ...], Check(min_length=1)]


@node
class ArrayType(Node):
    kind: Literal["array"] = "array"
    items: Type
    items_nullable: bool = False


@node
class MapType(Node):
    """A map with string keys, as in Avro."""

    kind: Literal["map"] = "map"
    values: Type
    values_nullable: bool = False


Type = Annotated[
    PrimitiveType | DecimalType | TimestampType | EnumType | RecordType | ArrayType | MapType,
    Check(discriminator="kind"),
]


@node
class FieldDef(Node):
    name: str
    type: Type
    nullable: bool = False
    default: Literal_ | None = None
    doc: str | None = None


# --------------------------------------------------------------- expressions


@node
class NumberLit(Node):
    kind: Literal["number"] = "number"
    text: Annotated[str, Check(pattern=r"^[0-9]+(\.[0-9]+)?$")]


@node
class StringLit(Node):
    kind: Literal["string"] = "string"
    value: str


@node
class BoolLit(Node):
    kind: Literal["bool"] = "bool"
    value: bool


@node
class NullLit(Node):
    kind: Literal["null"] = "null"


Literal_ = Annotated[NumberLit | StringLit | BoolLit | NullLit, Check(discriminator="kind")]


@node
class Column(Node):
    """A column, a nested field (``merchant.category``), or a qualified one (``orders.id``)."""

    kind: Literal["column"] = "column"
    path: Annotated[tuple[str, ...], Check(min_length=1)]


@node
class Not(Node):
    kind: Literal["not"] = "not"
    operand: Expr


@node
class Neg(Node):
    kind: Literal["neg"] = "neg"
    operand: Expr


BinaryOperator = Literal["or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%"]


@node
class Binary(Node):
    kind: Literal["binary"] = "binary"
    op: BinaryOperator
    left: Expr
    right: Expr


@node
class IsNull(Node):
    kind: Literal["is_null"] = "is_null"
    operand: Expr
    negated: bool = False


@node
class Between(Node):
    kind: Literal["between"] = "between"
    operand: Expr
    low: Expr
    high: Expr
    negated: bool = False


@node
class InList(Node):
    kind: Literal["in"] = "in"
    operand: Expr
    items: Annotated[tuple[Expr, ...], Check(min_length=1)]
    negated: bool = False


@node
class Like(Node):
    kind: Literal["like"] = "like"
    operand: Expr
    pattern: str
    negated: bool = False


@node
class Call(Node):
    """A function call. ``star`` is ``count(*)``; ``distinct`` is ``count(distinct x)``; ``returning`` is the type
    a JSON function is asked for (``json_value(doc, "$.id" returning int)``)."""

    kind: Literal["call"] = "call"
    name: str
    args: tuple[Expr, ...] = ()
    star: bool = False
    distinct: bool = False
    returning: Type | None = None


@node
class When(Node):
    condition: Expr
    result: Expr


@node
class Case(Node):
    kind: Literal["case"] = "case"
    whens: Annotated[tuple[When, ...], Check(min_length=1)]
    otherwise: Expr | None = None


@node
class Cast(Node):
    kind: Literal["cast"] = "cast"
    operand: Expr
    to: Type


@node
class IntervalLit(Node):
    kind: Literal["interval"] = "interval"
    duration: Duration


Expr = Annotated[
    NumberLit | StringLit | BoolLit | NullLit | Column | Not | Neg | Binary | IsNull | Between | InList | Like | Call
    | Case | Cast | IntervalLit,
    Check(discriminator="kind"),
]


# ---------------------------------------------------------------- statements


@node
class Udf(Node):
    """A function of the user's own, called by name in expressions: a Java class (``java "com.acme.Score"``) or a
    Python function (``python "module.function"``) with the types the checks give its calls."""

    name: str
    params: tuple[Type, ...] = ()
    returns: Type
    language: Literal["java", "python"]
    implementation: str


@node
class Pipeline(Node):
    name: str
    description: str | None = None
    domain: str | None = None
    parallelism: Annotated[int, Check(ge=1)] | None = None
    checkpoint: Duration | None = None
    state_ttl: Duration | None = None
    functions: tuple[Udf, ...] = ()


@node
class RangeHint(Node):
    kind: Literal["range"] = "range"
    field: str
    low: Annotated[str, Check(pattern=r"^-?[0-9]+(\.[0-9]+)?$")]
    high: Annotated[str, Check(pattern=r"^-?[0-9]+(\.[0-9]+)?$")]


@node
class Weight(Node):
    symbol: str
    weight: NumberLit


@node
class WeightsHint(Node):
    kind: Literal["weights"] = "weights"
    field: str
    weights: Annotated[tuple[Weight, ...], Check(min_length=1)]


Hint = Annotated[RangeHint | WeightsHint, Check(discriminator="kind")]


@node
class Generate(Node):
    """Hints for the test-data generator: events per second, value ranges, enum weights."""

    rate: Annotated[int, Check(ge=1)] | None = None
    hints: tuple[Hint, ...] = ()


Format = Literal["avro", "json", "csv", "debezium_json"]
Mode = Literal["append", "upsert"]


@node
class TableOption(Node):
    """A connector option of a source's or sink's table, as Flink names it."""

    key: str
    value: str


@node
class JdbcTable(Node):
    """A database table read by lookup: its JDBC URL and its name."""

    url: str
    table: str


@node
class Source(Node):
    """Rows from one origin: a Kafka ``topic`` (the default), a ``jdbc`` table read by lookup, ``files`` in a
    folder, or rows made up by Flink's ``datagen``. The parser sets exactly one."""

    kind: Literal["source"] = "source"
    name: str
    description: str | None = None
    topic: str | None = None
    jdbc: JdbcTable | None = None
    files: str | None = None
    datagen: bool = False
    format: Format | None = None
    fields: Annotated[tuple[FieldDef, ...], Check(min_length=1)]
    key: tuple[str, ...] = ()
    mode: Mode | None = None
    event_time: str | None = None
    watermark: Duration | None = None
    # A column the source adds, holding the time each row is processed (Flink's PROCTIME()).
    processing_time: str | None = None
    generate: Generate | None = None
    options: tuple[TableOption, ...] = ()


@node
class SelectItem(Node):
    """``alias = expr``, or a bare column path when ``alias`` is None."""

    alias: str | None = None
    expr: Expr


@node
class Select(Node):
    star: bool = False
    items: tuple[SelectItem, ...] = ()


@node
class Transform(Node):
    kind: Literal["transform"] = "transform"
    name: str
    input: str
    description: str | None = None
    where: Expr | None = None
    select: Select | None = None


@node
class Tumble(Node):
    kind: Literal["tumble"] = "tumble"
    column: str
    size: Duration


@node
class Hop(Node):
    kind: Literal["hop"] = "hop"
    column: str
    size: Duration
    slide: Duration


@node
class Session(Node):
    kind: Literal["session"] = "session"
    column: str
    gap: Duration


@node
class Cumulate(Node):
    kind: Literal["cumulate"] = "cumulate"
    column: str
    step: Duration
    size: Duration


Window = Annotated[Tumble | Hop | Session | Cumulate, Check(discriminator="kind")]


@node
class Measure(Node):
    name: str
    expr: Expr


@node
class Aggregate(Node):
    kind: Literal["aggregate"] = "aggregate"
    name: str
    input: str
    description: str | None = None
    where: Expr | None = None
    window: Window | None = None
    group_by: tuple[Column, ...] = ()
    measures: Annotated[tuple[Measure, ...], Check(min_length=1)]
    having: Expr | None = None


@node
class OverRange(Node):
    kind: Literal["range"] = "range"
    column: str
    preceding: Duration


@node
class OverRows(Node):
    kind: Literal["rows"] = "rows"
    column: str
    rows: Annotated[int, Check(ge=1)]


Over = Annotated[OverRange | OverRows, Check(discriminator="kind")]


@node
class Rolling(Node):
    kind: Literal["rolling"] = "rolling"
    name: str
    input: str
    description: str | None = None
    partition_by: tuple[Column, ...] = ()
    # None: every row before the current one in its partition, in time order (the window lag() runs on).
    over: Over | None = None
    measures: Annotated[tuple[Measure, ...], Check(min_length=1)]


JoinKind = Literal["regular", "interval", "temporal", "lookup"]


@node
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


@node
class Dedup(Node):
    kind: Literal["dedup"] = "dedup"
    name: str
    input: str
    description: str | None = None
    key: Annotated[tuple[str, ...], Check(min_length=1)]
    keep: Literal["first", "last"]


@node
class OrderItem(Node):
    column: Column
    direction: Literal["asc", "desc"]


@node
class TopN(Node):
    kind: Literal["topn"] = "topn"
    name: str
    input: str
    description: str | None = None
    partition_by: tuple[Column, ...] = ()
    order_by: Annotated[tuple[OrderItem, ...], Check(min_length=1)]
    limit: Annotated[int, Check(ge=1)]


@node
class Sort(Node):
    """The input's rows in time order (ORDER BY): the first key is its time attribute ascending, the rest any
    columns either way."""

    kind: Literal["sort"] = "sort"
    name: str
    input: str
    description: str | None = None
    order_by: Annotated[tuple[OrderItem, ...], Check(min_length=1)]


@node
class PatternTerm(Node):
    variable: str
    quantifier: Annotated[str, Check(pattern=r"^(\+|\*|\?|\{[0-9]+,[0-9]*\})$")] | None = None


@node
class Define(Node):
    variable: str
    condition: Expr


@node
class Pattern(Node):
    kind: Literal["pattern"] = "pattern"
    name: str
    input: str
    description: str | None = None
    partition_by: tuple[Column, ...] = ()
    sequence: Annotated[tuple[PatternTerm, ...], Check(min_length=1)]
    within: Duration | None = None
    defines: Annotated[tuple[Define, ...], Check(min_length=1)]
    measures: Annotated[tuple[Measure, ...], Check(min_length=1)]


@node
class Union(Node):
    """Every row of every input (UNION ALL); the inputs have the same columns, matched by name."""

    kind: Literal["union"] = "union"
    name: str
    inputs: Annotated[tuple[str, ...], Check(min_length=2)]
    description: str | None = None


@node
class Unnest(Node):
    """A row per item of an array column (CROSS JOIN UNNEST): the input's columns and ``item``, the item (an array
    of records gives a column ``<item>_<field>`` per field instead)."""

    kind: Literal["unnest"] = "unnest"
    name: str
    input: str
    description: str | None = None
    item: str
    array: Column


@node
class Sink(Node):
    kind: Literal["sink"] = "sink"
    name: str
    input: str
    description: str | None = None
    topic: str | None = None
    files: str | None = None  # a folder of files instead of a topic
    format: Format | None = None
    key: tuple[str, ...] = ()
    mode: Mode | None = None
    partitioned_by: tuple[str, ...] = ()  # folders of files by these columns' values
    options: tuple[TableOption, ...] = ()


Stage = Transform | Aggregate | Rolling | Join | Dedup | TopN | Sort | Pattern | Union | Unnest
Statement = Annotated[
    Source | Transform | Aggregate | Rolling | Join | Dedup | TopN | Sort | Pattern | Union | Unnest | Sink,
    Check(discriminator="kind"),
]


@dataclass(frozen=True, kw_only=True, repr=False)  # not slotted: it caches its index of statements by name
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
    if isinstance(st, Union):
        return st.inputs
    return (st.input,)


def input_roles(st: Any) -> tuple[str, ...]:
    """The names of the parts of ``st`` that name its inputs (for their spans), in the order of its inputs."""
    if isinstance(st, Join):
        return ("left", "right")
    if isinstance(st, Union):
        return tuple(f"input{i}" for i in range(len(st.inputs)))
    return ("input",) if not isinstance(st, Source) else ()




# ------------------------------------------------------------ checks and JSON


@cache
def bounds(cls: type) -> tuple[tuple[str, Check], ...]:
    """The numeric bounds (``ge``, ``le``) on a class's fields: the constraints the grammar cannot enforce (a
    precision of 99, a parallelism of 0). The others hold for anything it parses: ``field+`` gives at least one
    field, NUMBER and QUANTIFIER tokens match the patterns. Read once from the annotations that name a
    ``Check`` (only those are evaluated: resolving every annotation would cost milliseconds at start-up)."""
    found = []
    for klass in reversed(cls.__mro__):
        for name, hint in vars(klass).get("__annotations__", {}).items():
            if isinstance(hint, str) and "Check(" in hint:
                hint = eval(hint, globals())  # an annotation of this module, not input
            for part in (hint, *getattr(hint, "__args__", ())):
                for meta in getattr(part, "__metadata__", ()):
                    if isinstance(meta, Check) and ("ge" in meta.kw or "le" in meta.kw):
                        found.append((name, meta))
    return tuple(found)


def violations(node_: Any) -> list[tuple[str, str]]:
    """The numeric bounds ``node_`` breaks (not its children's): ``(field, what is wrong)`` pairs."""
    out = []
    for name, check in bounds(type(node_)):
        problem = check.violation(getattr(node_, name))
        if problem:
            out.append((name, problem))
    return out


@cache
def adapter() -> TypeAdapter[Spec]:
    """pydantic's validator and JSON Schema of a whole spec (built on first use, about 0.2 s)."""
    from pydantic import TypeAdapter

    return TypeAdapter(Spec)


def validate_json(text: str | bytes) -> Spec:
    """A spec from JSON (a model's answer): raises pydantic's ``ValidationError`` when it is not one."""
    return adapter().validate_json(text)


def validate_python(data: Any) -> Spec:
    """A spec from parsed JSON data: raises pydantic's ``ValidationError`` when it is not one."""
    return adapter().validate_python(data)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a spec, without positions."""
    return adapter().json_schema()


POSITION_FIELDS = frozenset({"span", "spans"})


@cache
def value_fields(cls: type) -> tuple[str, ...]:
    """The names of a node class's fields that make up its value (every field but the positions)."""
    return tuple(f.name for f in fields(cls) if f.name not in POSITION_FIELDS)


def to_data(value: Any, exclude_none: bool = False) -> Any:
    """A node as JSON-ready data (dicts, lists, scalars), without positions."""
    if isinstance(value, Node):
        out = {}
        for name in value_fields(type(value)):
            v = getattr(value, name)
            if v is None and exclude_none:
                continue
            out[name] = to_data(v, exclude_none)
        return out
    if isinstance(value, (tuple, list)):
        return [to_data(v, exclude_none) for v in value]
    return value


def to_json(value: Any, exclude_none: bool = False) -> str:
    """A node as compact JSON, without positions (``validate_json`` reads a spec back)."""
    import json

    return json.dumps(to_data(value, exclude_none), ensure_ascii=False, separators=(",", ":"))

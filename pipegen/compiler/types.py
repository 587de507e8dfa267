"""SQL types of columns and expressions, and the closed list of functions.

Types follow Flink SQL: what a spec field becomes in a table, what an
expression yields. They drive the type checks, the sink DDL and the sink
Avro schemas.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import ir

NUMERIC = ("INT", "BIGINT", "FLOAT", "DOUBLE", "DECIMAL")
INTEGRAL = ("INT", "BIGINT")
TEMPORAL = ("DATE", "TIME", "TIMESTAMP")


@dataclass(frozen=True)
class SqlType:
    base: str
    nullable: bool = True
    precision: int | None = None
    scale: int | None = None
    elem: SqlType | None = None  # ARRAY element or MAP value
    fields: tuple[tuple[str, SqlType], ...] = field(default_factory=tuple)  # ROW

    def with_null(self, nullable: bool) -> SqlType:
        if nullable == self.nullable:
            return self
        return SqlType(self.base, nullable, self.precision, self.scale, self.elem, self.fields)

    @property
    def is_numeric(self) -> bool:
        return self.base in NUMERIC

    def sql(self, ident: callable, not_null: bool = True) -> str:  # type: ignore[valid-type]
        """Flink DDL text; ``ident`` quotes ROW field names."""
        if self.base == "DECIMAL":
            text = f"DECIMAL({self.precision}, {self.scale})"
        elif self.base in ("TIMESTAMP", "TIME"):
            text = f"{self.base}({self.precision})"
        elif self.base == "ARRAY":
            assert self.elem is not None
            text = f"ARRAY<{self.elem.sql(ident)}>"
        elif self.base == "MAP":
            assert self.elem is not None
            text = f"MAP<STRING NOT NULL, {self.elem.sql(ident)}>"
        elif self.base == "ROW":
            # Fields of a ROW are declared nullable: Calcite loses track of NOT NULL inside a
            # record that an outer join makes nullable, and Flink then refuses the plan.
            text = "ROW<" + ", ".join(f"{ident(n)} {t.sql(ident, not_null=False)}" for n, t in self.fields) + ">"
        else:
            text = self.base
        if not self.nullable and not_null:
            text += " NOT NULL"
        return text

    def describe(self) -> str:
        """Short text for messages."""
        return self.sql(lambda n: n, not_null=False).lower()


BOOLEAN = SqlType("BOOLEAN")
STRING = SqlType("STRING")
INT = SqlType("INT")
BIGINT = SqlType("BIGINT")
DOUBLE = SqlType("DOUBLE")
NULL = SqlType("NULL")
INTERVAL = SqlType("INTERVAL", nullable=False)
# The type of something already reported as broken: accepted everywhere, so one mistake gives one error.
ANY = SqlType("ANY")


def from_spec(t: ir.Type, nullable: bool) -> SqlType:
    """The SQL type of a spec field."""
    if isinstance(t, ir.PrimitiveType):
        base = {
            "string": "STRING", "uuid": "STRING", "int": "INT", "long": "BIGINT", "float": "FLOAT",
            "double": "DOUBLE", "boolean": "BOOLEAN", "bytes": "BYTES", "date": "DATE",
        }.get(t.name)
        if t.name == "time":
            return SqlType("TIME", nullable, precision=3)
        return SqlType(base or "STRING", nullable)
    if isinstance(t, ir.EnumType):
        return SqlType("STRING", nullable)
    if isinstance(t, ir.DecimalType):
        return SqlType("DECIMAL", nullable, precision=t.precision, scale=t.scale)
    if isinstance(t, ir.TimestampType):
        return SqlType("TIMESTAMP", nullable, precision=t.precision)
    if isinstance(t, ir.RecordType):
        return SqlType("ROW", nullable, fields=tuple((f.name, from_spec(f.type, f.nullable)) for f in t.fields))
    if isinstance(t, ir.ArrayType):
        return SqlType("ARRAY", nullable, elem=from_spec(t.items, t.items_nullable))
    if isinstance(t, ir.MapType):
        return SqlType("MAP", nullable, elem=from_spec(t.values, t.values_nullable))
    raise TypeError(t)


def comparable(a: SqlType, b: SqlType) -> bool:
    if a.base in ("NULL", "ANY") or b.base in ("NULL", "ANY"):
        return True
    if a.is_numeric and b.is_numeric:
        return True
    return a.base == b.base and a.base not in ("ROW", "MAP", "ARRAY")


def numeric_result(a: SqlType, b: SqlType) -> SqlType:
    """The type of ``a op b`` for numeric operands, as Flink widens them."""
    nullable = a.nullable or b.nullable
    order = ["INT", "BIGINT", "DECIMAL", "FLOAT", "DOUBLE"]
    if "DOUBLE" in (a.base, b.base) or "FLOAT" in (a.base, b.base):
        return SqlType("DOUBLE" if "DOUBLE" in (a.base, b.base) else "FLOAT", nullable)
    if "DECIMAL" in (a.base, b.base):
        p = max(a.precision or 19, b.precision or 19)
        s = max(a.scale or 0, b.scale or 0)
        return SqlType("DECIMAL", nullable, precision=min(38, p), scale=s)
    return SqlType(max(a.base, b.base, key=order.index), nullable)


def unify(types: list[SqlType]) -> SqlType | None:
    """A common type for CASE branches or IN items; None if there is none."""
    if any(t.base == "ANY" for t in types):
        return ANY
    known = [t for t in types if t.base != "NULL"]
    if not known:
        return NULL
    nullable = any(t.nullable for t in types)
    first = known[0]
    if all(t.is_numeric for t in known):
        out = first
        for t in known[1:]:
            out = numeric_result(out, t)
        return out.with_null(nullable)
    if all(t.base == first.base for t in known):
        return first.with_null(nullable)
    return None


# ------------------------------------------------------------------ functions
# name -> (SQL name, kind, minimum and maximum number of arguments).
# kind: "agg" aggregate; "scalar"; "nav" navigation inside a pattern.

FUNCTIONS: dict[str, tuple[str, str, int, int]] = {
    "count": ("COUNT", "agg", 1, 1),
    "sum": ("SUM", "agg", 1, 1),
    "avg": ("AVG", "agg", 1, 1),
    "min": ("MIN", "agg", 1, 1),
    "max": ("MAX", "agg", 1, 1),
    "stddev": ("STDDEV_POP", "agg", 1, 1),
    "variance": ("VAR_POP", "agg", 1, 1),
    "first_value": ("FIRST_VALUE", "agg", 1, 1),
    "last_value": ("LAST_VALUE", "agg", 1, 1),
    "listagg": ("LISTAGG", "agg", 1, 2),
    "abs": ("ABS", "scalar", 1, 1),
    "round": ("ROUND", "scalar", 1, 2),
    "floor": ("FLOOR", "scalar", 1, 1),
    "ceil": ("CEIL", "scalar", 1, 1),
    "sqrt": ("SQRT", "scalar", 1, 1),
    "power": ("POWER", "scalar", 2, 2),
    "ln": ("LN", "scalar", 1, 1),
    "exp": ("EXP", "scalar", 1, 1),
    "greatest": ("GREATEST", "scalar", 2, 8),
    "least": ("LEAST", "scalar", 2, 8),
    "coalesce": ("COALESCE", "scalar", 2, 8),
    "upper": ("UPPER", "scalar", 1, 1),
    "lower": ("LOWER", "scalar", 1, 1),
    "trim": ("TRIM", "scalar", 1, 1),
    "length": ("CHAR_LENGTH", "scalar", 1, 1),
    "concat": ("CONCAT", "scalar", 2, 8),
    "substring": ("SUBSTRING", "scalar", 2, 3),
    "replace": ("REPLACE", "scalar", 3, 3),
    "date_format": ("DATE_FORMAT", "scalar", 2, 2),
    "hour": ("HOUR", "scalar", 1, 1),
    "minute": ("MINUTE", "scalar", 1, 1),
    "seconds_between": ("TIMESTAMPDIFF", "scalar", 2, 2),
    "minutes_between": ("TIMESTAMPDIFF", "scalar", 2, 2),
    "prev": ("PREV", "nav", 1, 2),
    "first": ("FIRST", "nav", 1, 1),
    "last": ("LAST", "nav", 1, 1),
}

AGGREGATES = frozenset(n for n, (_, k, _, _) in FUNCTIONS.items() if k == "agg")
NAVIGATION = frozenset(n for n, (_, k, _, _) in FUNCTIONS.items() if k == "nav")


def call_result(name: str, args: list[SqlType], star: bool) -> tuple[SqlType | None, str | None]:
    """The result type of a call, or None and the reason the arguments do not fit."""
    if name == "count":
        return BIGINT.with_null(False), None
    a = args[0] if args else None
    assert a is not None or star
    numeric_only = {"sum", "avg", "stddev", "variance", "abs", "round", "floor", "ceil", "sqrt", "power", "ln", "exp"}
    if name in numeric_only and not all(t.is_numeric or t.base == "NULL" for t in args):
        bad = next(t for t in args if not t.is_numeric)
        return None, f"{name}() takes numbers, not {bad.describe()}"
    if name in ("stddev", "variance", "sqrt", "power", "ln", "exp"):
        return DOUBLE, None
    if name == "avg":
        return DOUBLE, None  # lowered as AVG(CAST(x AS DOUBLE)): Flink's AVG of an INT would be an INT
    if name == "sum" and a.base == "DECIMAL":  # type: ignore[union-attr]
        return SqlType("DECIMAL", True, precision=38, scale=a.scale), None  # type: ignore[union-attr]
    if name in ("sum", "min", "max", "first_value", "last_value", "abs", "round", "floor", "ceil", "prev", "first",
                "last"):
        if name in ("min", "max") and a.base in ("ROW", "MAP", "ARRAY"):  # type: ignore[union-attr]
            return None, f"{name}() needs comparable values, not {a.describe()}"  # type: ignore[union-attr]
        return a.with_null(True), None  # type: ignore[union-attr]
    if name in ("greatest", "least", "coalesce"):
        u = unify(args)
        if u is None:
            return None, f"{name}() needs arguments of one type"
        return (u.with_null(all(t.nullable for t in args)) if name == "coalesce" else u), None
    if name in ("upper", "lower", "trim", "concat", "replace", "substring", "listagg", "length"):
        strings = args if name not in ("substring",) else args[:1]
        if not all(t.base in ("STRING", "NULL") for t in strings):
            return None, f"{name}() takes strings"
        if name == "substring" and not all(t.base in INTEGRAL for t in args[1:]):
            return None, "substring(text, start, length) takes whole numbers for start and length"
        if name == "length":
            return INT, None
        return STRING, None
    if name == "date_format":
        if args[0].base != "TIMESTAMP" or args[1].base != "STRING":
            return None, 'date_format(timestamp, "pattern") takes a timestamp and a pattern string'
        return STRING, None
    if name in ("hour", "minute"):
        if a.base != "TIMESTAMP":  # type: ignore[union-attr]
            return None, f"{name}() takes a timestamp"
        return BIGINT, None
    if name in ("seconds_between", "minutes_between"):
        if not all(t.base == "TIMESTAMP" for t in args):
            return None, f"{name}(start, end) takes two timestamps"
        return INT, None
    return None, f"unknown function {name}"  # pragma: no cover

"""SQL types of columns and expressions, and the closed list of functions.

Types follow Flink SQL: what a spec field becomes in a table, what an
expression yields. They drive the type checks, the sink DDL and the sink
Avro schemas.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import ir
from .registry import Dispatch

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
        elif self.base in ("TIMESTAMP", "TIME", "TIMESTAMP_LTZ"):
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


SQL_TYPE = Dispatch("the SQL type of a spec type")
PRIMITIVE_SQL = {
    "string": "STRING", "uuid": "STRING", "int": "INT", "long": "BIGINT", "float": "FLOAT",
    "double": "DOUBLE", "boolean": "BOOLEAN", "bytes": "BYTES", "date": "DATE",
}


def from_spec(t: ir.Type, nullable: bool) -> SqlType:
    """The SQL type of a spec field."""
    return SQL_TYPE(t, nullable)


@SQL_TYPE.register(ir.PrimitiveType)
def _primitive(t: ir.PrimitiveType, nullable: bool) -> SqlType:
    if t.name == "time":
        return SqlType("TIME", nullable, precision=3)
    return SqlType(PRIMITIVE_SQL[t.name], nullable)


@SQL_TYPE.register(ir.EnumType)
def _enum(t: ir.EnumType, nullable: bool) -> SqlType:
    return SqlType("STRING", nullable)


@SQL_TYPE.register(ir.DecimalType)
def _decimal(t: ir.DecimalType, nullable: bool) -> SqlType:
    return SqlType("DECIMAL", nullable, precision=t.precision, scale=t.scale)


@SQL_TYPE.register(ir.TimestampType)
def _timestamp(t: ir.TimestampType, nullable: bool) -> SqlType:
    return SqlType("TIMESTAMP", nullable, precision=t.precision)


@SQL_TYPE.register(ir.RecordType)
def _record(t: ir.RecordType, nullable: bool) -> SqlType:
    return SqlType("ROW", nullable, fields=tuple((f.name, from_spec(f.type, f.nullable)) for f in t.fields))


@SQL_TYPE.register(ir.ArrayType)
def _array(t: ir.ArrayType, nullable: bool) -> SqlType:
    return SqlType("ARRAY", nullable, elem=from_spec(t.items, t.items_nullable))


@SQL_TYPE.register(ir.MapType)
def _map(t: ir.MapType, nullable: bool) -> SqlType:
    return SqlType("MAP", nullable, elem=from_spec(t.values, t.values_nullable))


def comparable(a: SqlType, b: SqlType) -> bool:
    if a.base in ("NULL", "ANY") or b.base in ("NULL", "ANY"):
        return True
    if a.is_numeric and b.is_numeric:
        return True
    return a.base == b.base and a.base not in ("ROW", "MAP", "ARRAY")


MAX_PRECISION = 38
_AS_DECIMAL = {"INT": (10, 0), "BIGINT": (19, 0)}  # an integer meeting a decimal, as Flink 2.3 widens it


def _adjusted(precision: int, scale: int) -> tuple[int, int]:
    """A decimal result over 38 digits, as Flink 2.3 cuts it: the whole digits kept, the scale cut to what is
    left but to no fewer than 6 places (fewer only when it had fewer)."""
    if precision <= MAX_PRECISION:
        return precision, scale
    return MAX_PRECISION, max(MAX_PRECISION - (precision - scale), min(scale, 6))


def decimal_result(op: str, a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    """(precision, scale) of ``a op b`` for decimals, Flink 2.3's rules (its LogicalTypeMerging; measured for each
    operator, and past 38 digits, on 2026-12-01). ``op`` "" is the common type of case branches, coalesce and
    greatest: the whole digits and the scale of the widest, the scale cut to fit 38 digits."""
    (p1, s1), (p2, s2) = a, b
    if op in ("+", "-"):
        scale = max(s1, s2)
        return _adjusted(max(p1 - s1, p2 - s2) + scale + 1, scale)
    if op == "*":
        return _adjusted(p1 + p2 + 1, s1 + s2)
    if op == "/":
        scale = max(6, s1 + p2 + 1)
        return _adjusted(p1 - s1 + s2 + scale, scale)
    if op == "%":
        scale = max(s1, s2)
        return _adjusted(min(p1 - s1, p2 - s2) + scale, scale)
    digits, scale = max(p1 - s1, p2 - s2), max(s1, s2)
    scale = min(scale, MAX_PRECISION - digits)
    return digits + scale, scale


def numeric_result(a: SqlType, b: SqlType, op: str = "") -> SqlType:
    """The type of ``a op b`` for numeric operands as Flink 2.3 types it (``op`` "": their common type, as case
    branches and coalesce take it): a double or float wins; a decimal with a decimal or an integer follows
    ``decimal_result`` ("first" as ""); of integers the wider, and for ``%`` the right one's (MOD(BIGINT, INT) is an
    INT)."""
    nullable = a.nullable or b.nullable
    order = ["INT", "BIGINT", "DECIMAL", "FLOAT", "DOUBLE"]
    if {a.base, b.base} == {"FLOAT", "DOUBLE"}:
        # Calcite holds them of one precision, so its arithmetic and least restrictive type (case branches, array
        # and map items, union columns: ``op`` "first") keep the first one's; coalesce, greatest and least take
        # Flink's own common type, a double (measured on 2026-12-01).
        return SqlType("DOUBLE" if op == "" else a.base, nullable)
    if "DOUBLE" in (a.base, b.base) or "FLOAT" in (a.base, b.base):
        # FLOAT with a DECIMAL widens to DOUBLE in Flink (as DOUBLE with anything does).
        wide = "DOUBLE" in (a.base, b.base) or "DECIMAL" in (a.base, b.base)
        return SqlType("DOUBLE" if wide else "FLOAT", nullable)
    if "DECIMAL" in (a.base, b.base):
        p, s = decimal_result(op, *[(t.precision or 38, t.scale or 0) if t.base == "DECIMAL" else _AS_DECIMAL[t.base]
                                    for t in (a, b)])
        return SqlType("DECIMAL", nullable, precision=p, scale=s)
    if op == "%":
        return b.with_null(nullable)
    return SqlType(max(a.base, b.base, key=order.index), nullable)


def unify(types: list[SqlType], leading: bool = False) -> SqlType | None:
    """A common type of values; None if there is none. ``leading``: Calcite's least restrictive type (case branches,
    array and map items, union columns), which keeps the first of a float and a double (``numeric_result``)."""
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
            out = numeric_result(out, t, "first" if leading else "")
        return out.with_null(nullable)
    if not all(t.base == first.base for t in known):
        return None
    # An array, a map or a record unifies by what it holds: Flink 2.3 refuses COALESCE(ARRAY[b], ARRAY[d]) of a
    # boolean and a date ("Cast function cannot convert ... BOOLEAN ARRAY to DATE ARRAY").
    if first.base in ("ARRAY", "MAP"):
        elem = unify([t.elem for t in known if t.elem is not None], leading)
        if elem is None or elem.base in ("NULL", "ANY"):
            return None
        return SqlType(first.base, nullable, elem=elem)
    if first.base == "ROW":
        names = [n for n, _ in first.fields]
        if any([n for n, _ in t.fields] != names for t in known):
            return None
        fields = [unify([dict(t.fields)[n] for t in known], leading) for n in names]
        if any(f is None for f in fields):
            return None
        return SqlType("ROW", nullable, fields=tuple(zip(names, fields)))  # type: ignore[arg-type]
    if first.precision is not None:  # timestamps and times: the finest of them (greatest(ts3, ts6) is a TIMESTAMP(6))
        return SqlType(first.base, nullable, precision=max(t.precision or 0 for t in known))
    return first.with_null(nullable)


# ------------------------------------------------------------------ casts
# What Flink 2.3's planner casts to each type, measured on 2026-12-01 by planning CAST(x AS T) for every pair of
# these types: numbers, booleans and strings cast to each other; anything scalar to a string; dates, times and
# timestamps only from strings and from each other (numbers to a timestamp or date it refuses).
_SCALAR_TO_STRING = ("STRING", "INT", "BIGINT", "FLOAT", "DOUBLE", "DECIMAL", "BOOLEAN", "BYTES", "DATE", "TIME",
                     "TIMESTAMP", "TIMESTAMP_LTZ")
CASTS_TO: dict[str, tuple[str, ...]] = {
    **{n: (*NUMERIC, "STRING", "BOOLEAN") for n in NUMERIC},
    "BOOLEAN": (*NUMERIC, "STRING", "BOOLEAN"),
    "STRING": _SCALAR_TO_STRING,
    "BYTES": ("STRING", "BYTES"),
    "DATE": ("STRING", "DATE", "TIMESTAMP"),
    "TIME": ("STRING", "TIME", "TIMESTAMP"),
    "TIMESTAMP": ("STRING", "DATE", "TIME", "TIMESTAMP", "TIMESTAMP_LTZ"),
}


def cast_problem(src: SqlType | None, to: SqlType) -> str | None:
    """Why Flink would refuse ``cast(<src> as <to>)``, or None."""
    if to.base in ("ROW", "MAP", "ARRAY") or (src is not None and src.base in ("ROW", "MAP", "ARRAY")):
        return "cast works on single values, not records, arrays or maps"
    if src is None or src.base in ("NULL", "ANY"):
        return None
    if src.base not in CASTS_TO.get(to.base, (src.base,)):
        return f"Flink cannot cast {src.describe()} to {to.describe()}"
    return None

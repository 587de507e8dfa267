"""The functions of the spec language: one record per function.

A :class:`Function` holds everything about one function: its kind (aggregate,
scalar, or navigation inside a pattern), how many arguments it takes, the rule
that types a call from its argument types, how it is written in Flink SQL and
the line the README's function table shows. The checks (``analyze``), the
lowering (``lower``) and the docs read these records and nothing else, so a
new function is one entry in ``FUNCTIONS`` (``tests/test_node_kinds.py`` holds
the README's table to it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from . import ir
from . import types as T

Kind = Literal["agg", "scalar", "nav"]
# A typing rule: the argument types -> the result type, or why the arguments do not fit (a message, or a
# message and a hint).
Rule = Callable[[list[T.SqlType]], "T.SqlType | str | Refused"]
# A custom rendering: the SQL name and the arguments already lowered -> the call's SQL.
Render = Callable[[str, list[str]], str]


@dataclass(frozen=True)
class Refused:
    """Why a call's arguments do not fit, with the fix."""

    message: str
    hint: str


@dataclass(frozen=True)
class Function:
    name: str
    kind: Kind
    min_args: int
    max_args: int
    result: Rule
    sql: str  # the Flink SQL function
    doc: str  # one line, for the README's function table
    render: Render | None = None  # when the call is not simply SQL(args)
    example: str = ""  # the call as a user writes it
    time_attribute: bool = False  # its argument must be the input's event-time column (a Flink time attribute)
    literals: tuple[int, ...] = ()  # the arguments (by position from 0) that must be string literals
    literal: str = "a JSON path"  # what those literals are, for the message
    # The types a ``returning`` clause may ask for (as ``SqlType.describe`` names them); none: no clause.
    returning: tuple[str, ...] = ()
    distinct: bool = True  # an aggregate that takes ``distinct``
    # The stages whose measures may call it ("aggregate", "rolling", "pattern"); empty: any its kind allows.
    stages: tuple[str, ...] = ()
    # The numbers of arguments it takes, when not every one from min_args to max_args (Flink 2.3 has no
    # STR_TO_MAP of two).
    arities: tuple[int, ...] = ()
    # The arguments (by position from 0; "all") that may be a bare null: Flink 2.3 refuses one elsewhere
    # ("Illegal use of 'NULL'", "Unsupported casting from NULL to INT").
    nulls: tuple[int, ...] | Literal["all"] = ()
    # Its argument is cast to DOUBLE: Flink 2.3's AVG, STDDEV_* and VAR_* of an INT or BIGINT are of that type (the
    # mean truncated: AVG of 1 and 2 is 1), of a DECIMAL a DECIMAL; the language promises a double (measured).
    double_arg: bool = False
    # The result's type from the arguments as written, after ``result``: Flink 2.3 types ROUND(d, 2) of a decimal by
    # the 2.
    by_literal: Callable[[T.SqlType, list[Any]], T.SqlType] | None = None

    def takes(self, n: int) -> bool:
        """Whether it takes ``n`` arguments."""
        return n in self.arities if self.arities else self.min_args <= n <= self.max_args

    def arity(self) -> str:
        if self.arities:
            return ", ".join(map(str, self.arities[:-1])) + f" or {self.arities[-1]}"
        return str(self.min_args) if self.min_args == self.max_args else f"{self.min_args} to {self.max_args}"

    def takes_null(self, i: int) -> bool:
        """Whether argument ``i`` may be a bare null."""
        return self.nulls == "all" or i in self.nulls


# ------------------------------------------------------------ typing rules


def returning_name(t: T.SqlType) -> str:
    """How a ``returning`` type is named in ``Function.returning``: ``int``, ``array<string>``."""
    return f"array<{t.elem.base.lower()}>" if t.base == "ARRAY" and t.elem else t.base.lower()


def _ok(t: T.SqlType) -> bool:
    return t.base == "NULL"


def numbers_to_double(name: str) -> Rule:
    def rule(args: list[T.SqlType]) -> T.SqlType | str:
        bad = next((t for t in args if not (t.is_numeric or _ok(t))), None)
        return f"{name}() takes numbers, not {bad.describe()}" if bad else T.DOUBLE
    return rule


def numbers_same(name: str) -> Rule:
    def rule(args: list[T.SqlType]) -> T.SqlType | str:
        bad = next((t for t in args if not (t.is_numeric or _ok(t))), None)
        return f"{name}() takes numbers, not {bad.describe()}" if bad else args[0].with_null(True)
    return rule


def places(name: str) -> Rule:
    """``round(x[, places])``, ``truncate(x[, places])``: Flink 2.3 takes an INT for places, not a BIGINT ("Unsupported
    call: ROUND(DOUBLE, BIGINT)") or a decimal ("Cannot apply 'ROUND' to arguments of type ...")."""
    def rule(args: list[T.SqlType]) -> T.SqlType | str | Refused:
        bad = next((t for t in args if not (t.is_numeric or _ok(t))), None)
        if bad:
            return f"{name}() takes numbers, not {bad.describe()}"
        if len(args) == 2 and args[1].base != "INT":
            return Refused(f"{name}(x, places) takes an int for places, not {args[1].describe()}",
                           f"write a whole number, e.g. {name}(x, 2), or cast it: {name}(x, cast(n as int))")
        return args[0].with_null(True)
    return rule


def _int_literal(e: Any) -> int | None:
    if isinstance(e, ir.NumberLit) and "." not in e.text:
        return int(e.text)
    if isinstance(e, ir.Neg):
        n = _int_literal(e.operand)
        return None if n is None else -n
    return None


def _rounded(t: T.SqlType, args: list[Any]) -> T.SqlType:
    """round and truncate of a decimal to ``r`` places, as Flink 2.3 types them (measured on 2026-12-01): the type
    kept when r is at least the scale or not a literal; no places when r < 0; else one whole digit more (rounding
    up may need it) and r places."""
    r = 0 if len(args) == 1 else _int_literal(args[1])
    if t.base != "DECIMAL" or r is None or r >= (t.scale or 0):
        return t
    p, s = t.precision or 38, t.scale or 0
    if r < 0:
        return T.SqlType("DECIMAL", t.nullable, precision=min(T.MAX_PRECISION, 1 + p - s), scale=0)
    return T.SqlType("DECIMAL", t.nullable, precision=1 + p - s + r, scale=r)


def _whole(t: T.SqlType, args: list[Any]) -> T.SqlType:
    """floor and ceil of a decimal: its precision, no places (Flink 2.3, measured)."""
    return T.SqlType("DECIMAL", t.nullable, precision=t.precision, scale=0) if t.base == "DECIMAL" else t


def _sum(args: list[T.SqlType]) -> T.SqlType | str:
    a = args[0]
    if not (a.is_numeric or _ok(a)):
        return f"sum() takes numbers, not {a.describe()}"
    if a.base == "DECIMAL":
        return T.SqlType("DECIMAL", True, precision=38, scale=a.scale)
    return a.with_null(True)


def ordered(name: str) -> Rule:
    """greatest and least: arguments of one type that Flink orders (not arrays, maps or records: "Comparable type
    expected, but was 'ARRAY<INT>'")."""
    def rule(args: list[T.SqlType]) -> T.SqlType | str | Refused:
        bad = next((t for t in args if t.base in ("ROW", "MAP", "ARRAY")), None)
        if bad:
            return Refused(f"{name}() needs values Flink can order, not {bad.describe()}",
                           "compare numbers, strings or times; of an array, e.g. its items: item(a, 1)")
        return unified(name)(args)
    return rule


def comparable_same(name: str) -> Rule:
    def rule(args: list[T.SqlType]) -> T.SqlType | str:
        a = args[0]
        if a.base in ("ROW", "MAP", "ARRAY"):
            return f"{name}() needs comparable values, not {a.describe()}"
        return a.with_null(True)
    return rule


def same_as_first(args: list[T.SqlType]) -> T.SqlType | str:
    return args[0].with_null(True)


def _count(args: list[T.SqlType]) -> T.SqlType | str:
    return T.BIGINT.with_null(False)


def unified(name: str, *, coalesce: bool = False) -> Rule:
    def rule(args: list[T.SqlType]) -> T.SqlType | str | Refused:
        u = T.unify(args)
        if u is None:
            return Refused(f"{name}() needs arguments of one type, not {_listed(args)}",
                           "cast them to one type, e.g. cast(x as double)")
        return u.with_null(all(t.nullable for t in args)) if coalesce else u
    return rule


def strings(name: str, result: T.SqlType = T.STRING) -> Rule:
    def rule(args: list[T.SqlType]) -> T.SqlType | str:
        if not all(t.base in ("STRING", "NULL") for t in args):
            return f"{name}() takes strings"
        return result
    return rule


def _substring(args: list[T.SqlType]) -> T.SqlType | str:
    if args[0].base not in ("STRING", "NULL"):
        return "substring() takes strings"
    if not all(t.base in T.INTEGRAL for t in args[1:]):
        return "substring(text, start, length) takes whole numbers for start and length"
    return T.STRING


def _date_format(args: list[T.SqlType]) -> T.SqlType | str:
    if args[0].base != "TIMESTAMP" or args[1].base != "STRING":
        return 'date_format(timestamp, "pattern") takes a timestamp and a pattern string'
    return T.STRING


def timestamp_part(name: str) -> Rule:
    def rule(args: list[T.SqlType]) -> T.SqlType | str:
        return f"{name}() takes a timestamp" if args[0].base != "TIMESTAMP" else T.BIGINT
    return rule


def timestamps_diff(name: str) -> Rule:
    def rule(args: list[T.SqlType]) -> T.SqlType | str:
        return f"{name}(start, end) takes two timestamps" if not all(t.base == "TIMESTAMP" for t in args) else T.INT
    return rule


TS3 = T.SqlType("TIMESTAMP", True, precision=3)
_PARAM = {
    "string": (("STRING",), "a string"), "int": (T.INTEGRAL, "a whole number"), "number": (T.NUMERIC, "a number"),
    "timestamp": (("TIMESTAMP",), "a timestamp"), "date": (("DATE", "TIMESTAMP"), "a date or timestamp"),
}


def signature(name: str, params: tuple[str, ...], result: T.SqlType | Callable[[list[T.SqlType]], T.SqlType],
              usage: str) -> Rule:
    """A rule for a function whose arguments each have a kind (``params``, the optional ones last); ``result`` is
    its type, or a function of the argument types."""
    def rule(args: list[T.SqlType]) -> T.SqlType | str:
        for t, kind in zip(args, params):
            if not (t.base in _PARAM[kind][0] or _ok(t)):
                kinds = [_PARAM[k][1] for k in params[:len(args)]]
                listed = ", ".join(kinds[:-1]) + " and " + kinds[-1] if len(kinds) > 1 else kinds[0]
                return f"{name}() takes {listed}, as in {usage}"
        return result(args) if callable(result) else result
    return rule


def _first_nullable(args: list[T.SqlType]) -> T.SqlType:
    return args[0].with_null(True)


def _cardinality(args: list[T.SqlType]) -> T.SqlType | str:
    return T.INT if args[0].base in ("ARRAY", "MAP") else "cardinality(x) counts the items of an array or a map"


def _element(args: list[T.SqlType]) -> T.SqlType | str:
    a = args[0]
    return a.elem.with_null(True) if a.base == "ARRAY" and a.elem else "element(array) takes an array"  # type: ignore[return-value]


def _item(args: list[T.SqlType]) -> T.SqlType | str:
    c, k = args
    if c.base == "ARRAY" and c.elem and k.base == "BIGINT":
        # Flink 2.3: "Integer expression type expected" for a BIGINT position.
        return Refused("item(array, position) takes an int position, not bigint",
                       "cast it: item(a, cast(n as int))")
    if c.base == "ARRAY" and c.elem and (k.base in T.INTEGRAL or _ok(k)):
        return c.elem.with_null(True)
    if c.base == "MAP" and c.elem and (k.base == "STRING" or _ok(k)):
        return c.elem.with_null(True)
    return "item(x, key) takes an array and a position from 1, or a map and a string key"


def _listed(types: list[T.SqlType]) -> str:
    """Types for a message, each once, in their order."""
    return ", ".join(dict.fromkeys(t.describe() for t in types if t.base != "NULL"))


def _array_of(args: list[T.SqlType]) -> T.SqlType | str | Refused:
    u = T.unify(args, leading=True)
    if u is None:
        return Refused(f"array_of() needs items of one type, not {_listed(args)}",
                       "cast them to one type, e.g. cast(x as double)")
    if u.base in ("NULL", "ANY"):
        return "array_of() needs items of one type (not only nulls)"
    return T.SqlType("ARRAY", False, elem=u)


def _map_of(args: list[T.SqlType]) -> T.SqlType | str | Refused:
    keys, values = args[0::2], args[1::2]
    if len(keys) != len(values):
        return "map_of(key, value, ...) takes keys and values in pairs"
    if not all(k.base == "STRING" for k in keys):
        return "map_of() takes string keys (a map's keys are strings, as in Avro)"
    u = T.unify(values, leading=True)
    if u is None:
        return Refused(f"map_of() needs values of one type, not {_listed(values)}",
                       "cast them to one type, e.g. cast(x as double)")
    if u.base in ("NULL", "ANY"):
        return "map_of() needs values of one type (not only nulls)"
    return T.SqlType("MAP", False, elem=u)


def _nullif(args: list[T.SqlType]) -> T.SqlType | str:
    a, b = args
    return a.with_null(True) if T.comparable(a, b) else "nullif(a, b) compares two values of one type"


def _time_attribute(args: list[T.SqlType]) -> T.SqlType | str:
    return args[0].with_null(True) if args[0].base == "TIMESTAMP" else "current_watermark(ts) takes the event time"


def _json_doc(name: str, result: T.SqlType, usage: str) -> Rule:
    def rule(args: list[T.SqlType]) -> T.SqlType | str:
        if not all(t.base in ("STRING", "NULL") for t in args):
            return f"{name}() takes JSON text and a JSON path string, as in {usage}"
        return result
    return rule


def _lag(args: list[T.SqlType]) -> T.SqlType | str | Refused:
    if len(args) == 2 and args[1].base not in T.INTEGRAL:
        return "lag(x, n) takes a whole number of rows for n"
    if len(args) == 2 and args[1].base == "BIGINT":
        # Flink 2.3 plans LAG(x, n) of an INT n, a literal, a column or an expression, but has no LagAggFunction
        # accumulate of a BIGINT one (a long column, cast(2 as long), a literal over 2147483647).
        return Refused("lag(x, n) takes an int for n, not bigint",
                       "write the number, e.g. lag(x, 2), or cast it: lag(x, cast(n as int))")
    return args[0].with_null(True)


def _is_json(args: list[T.SqlType]) -> T.SqlType | str:
    return T.BOOLEAN.with_null(False) if args[0].base in ("STRING", "NULL") else "is_json(text) takes a string"


def _holds_date_or_time(t: T.SqlType) -> bool:
    """Whether ``t`` is a DATE or TIME, or an array, map or record holding one at any depth."""
    if t.base in ("DATE", "TIME"):
        return True
    inner = ([t.elem] if t.elem is not None else []) + [f for _, f in t.fields or ()]
    return any(_holds_date_or_time(i) for i in inner)


def _json_values(name: str) -> Callable[[list[T.SqlType]], str | Refused | None]:
    """What is wrong with the values of a JSON constructor or JSON aggregate: Flink 2.3 refuses a bare null
    ("Type is not supported: ANY") and a DATE or TIME, also inside an array, map or record ("Type 'DATE NOT NULL'
    is not scalar or cannot be converted into JSON"; timestamps, numbers, strings and bytes it writes)."""
    def problem(values: list[T.SqlType]) -> str | Refused | None:
        if any(t.base == "NULL" for t in values):
            return f"{name}() cannot take a bare null; cast it, e.g. cast(null as string)"
        bad = next((t for t in values if _holds_date_or_time(t)), None)
        if bad is None:
            return None
        if bad.base in ("DATE", "TIME"):
            example = 'cast(d as string) ("2024-02-29")' if bad.base == "DATE" else 'cast(t as string) ("12:30:00")'
            return Refused(f"{name}() cannot write a {bad.base.lower()} as JSON",
                           f"cast it to a string, e.g. {example}")
        return Refused(f"{name}() cannot write {bad.describe()} as JSON: it holds a date or time",
                       "make the dates and times in it strings, e.g. array_of(cast(d as string))")
    return problem


def _json_object(args: list[T.SqlType]) -> T.SqlType | str | Refused:
    keys, values = args[0::2], args[1::2]
    if len(keys) != len(values):
        return "json_object(key, value, ...) takes keys and values in pairs"
    if not all(k.base == "STRING" and not k.nullable for k in keys):
        # Flink 2.3: "Argument to function ... must not be NULL" for a key that may be null.
        return 'json_object() takes keys that are never null, e.g. json_object("name", name)'
    return _json_values("json_object")(values) or T.STRING.with_null(False)


def _json_array(args: list[T.SqlType]) -> T.SqlType | str | Refused:
    return _json_values("json_array")(args) or T.STRING.with_null(False)


def _json_objectagg(args: list[T.SqlType]) -> T.SqlType | str | Refused:
    if args[0].base != "STRING":
        return "json_objectagg(key, value) takes a string key"
    return _json_values("json_objectagg")(args[1:]) or T.STRING.with_null(False)


def _json_arrayagg(args: list[T.SqlType]) -> T.SqlType | str | Refused:
    return _json_values("json_arrayagg")(args) or T.STRING.with_null(False)


# ------------------------------------------------------------ renderings


def timestampdiff(unit: str) -> Render:
    # Both as TIMESTAMP(3): Flink 2.3 refuses the difference of a TIMESTAMP_LTZ (the cloud target's instants) and a
    # TIMESTAMP ("TIMESTAMP_LTZ only supports diff between the same type"), as now() or a window's start are.
    def render(sql: str, args: list[str]) -> str:
        return f"TIMESTAMPDIFF({unit}, CAST({args[0]} AS TIMESTAMP(3)), CAST({args[1]} AS TIMESTAMP(3)))"
    return render


def from_epoch(precision: int) -> Render:
    def render(sql: str, args: list[str]) -> str:
        return f"CAST(TO_TIMESTAMP_LTZ({args[0]}, {precision}) AS TIMESTAMP(3))"
    return render


def _convert_tz(sql: str, args: list[str]) -> str:
    # CONVERT_TZ converts text in 'yyyy-MM-dd HH:mm:ss', which TO_TIMESTAMP reads back.
    return f"TO_TIMESTAMP(CONVERT_TZ(DATE_FORMAT({args[0]}, 'yyyy-MM-dd HH:mm:ss'), {args[1]}, {args[2]}))"


def _bare(sql: str, args: list[str]) -> str:
    return sql  # a niladic SQL function is written without parentheses


def _index(sql: str, args: list[str]) -> str:
    return f"{args[0]}[{args[1]}]"


def _constructor(sql: str, args: list[str]) -> str:
    return f"{sql}[{', '.join(args)}]"


def _is_json_sql(sql: str, args: list[str]) -> str:
    return f"({args[0]} IS JSON)"


def _key_value(sql: str, args: list[str]) -> str:
    # JSON_OBJECT(KEY k VALUE v, ...): the spec's arguments are the keys and values in turn, as map_of's.
    pairs = [f"KEY {k} VALUE {v}" for k, v in zip(args[0::2], args[1::2])]
    return f"{sql}({', '.join(pairs)})"


# ------------------------------------------------------------ the functions

_ALL = (
    # aggregates
    Function("count", "agg", 1, 1, _count, "COUNT", "rows (`count(*)`), non-null values, or `count(distinct x)`",
             example="count(*)"),
    Function("sum", "agg", 1, 1, _sum, "SUM", "sum of numbers (decimals keep their scale)", example="sum(amount)"),
    Function("avg", "agg", 1, 1, numbers_to_double("avg"), "AVG", "mean, as a double", example="avg(amount)",
             double_arg=True),
    Function("min", "agg", 1, 1, comparable_same("min"), "MIN", "smallest value", example="min(price)"),
    Function("max", "agg", 1, 1, comparable_same("max"), "MAX", "largest value", example="max(price)"),
    Function("stddev", "agg", 1, 1, numbers_to_double("stddev"), "STDDEV_SAMP",
             "sample standard deviation (as Flink's STDDEV), a double", example="stddev(amount)", double_arg=True),
    Function("stddev_samp", "agg", 1, 1, numbers_to_double("stddev_samp"), "STDDEV_SAMP",
             "sample standard deviation, a double", example="stddev_samp(amount)", double_arg=True),
    Function("stddev_pop", "agg", 1, 1, numbers_to_double("stddev_pop"), "STDDEV_POP",
             "population standard deviation, a double", example="stddev_pop(amount)", double_arg=True),
    Function("variance", "agg", 1, 1, numbers_to_double("variance"), "VAR_SAMP",
             "sample variance (as Flink's VARIANCE), a double", example="variance(amount)", double_arg=True),
    Function("var_samp", "agg", 1, 1, numbers_to_double("var_samp"), "VAR_SAMP", "sample variance, a double",
             example="var_samp(amount)", double_arg=True),
    Function("var_pop", "agg", 1, 1, numbers_to_double("var_pop"), "VAR_POP", "population variance, a double",
             example="var_pop(amount)", double_arg=True),
    Function("first_value", "agg", 1, 1, same_as_first, "FIRST_VALUE", "first value in arrival order",
             example="first_value(price)"),
    Function("last_value", "agg", 1, 1, same_as_first, "LAST_VALUE", "last value in arrival order",
             example="last_value(price)"),
    Function("listagg", "agg", 1, 2, strings("listagg"), "LISTAGG",
             "strings joined, with an optional separator (a string literal)", example='listagg(sku, ",")',
             literals=(1,), literal="a separator"),
    # scalars
    Function("abs", "scalar", 1, 1, numbers_same("abs"), "ABS", "absolute value", example="abs(delta)"),
    Function("round", "scalar", 1, 2, places("round"), "ROUND", "rounded, to optional decimal places (an int)",
             example="round(amount, 2)", by_literal=_rounded),
    Function("floor", "scalar", 1, 1, numbers_same("floor"), "FLOOR", "rounded down", example="floor(x)",
             by_literal=_whole),
    Function("ceil", "scalar", 1, 1, numbers_same("ceil"), "CEIL", "rounded up", example="ceil(x)",
             by_literal=_whole),
    Function("sqrt", "scalar", 1, 1, numbers_to_double("sqrt"), "SQRT", "square root, a double", example="sqrt(x)"),
    Function("power", "scalar", 2, 2, numbers_to_double("power"), "POWER", "x to the power y, a double",
             example="power(x, 2)"),
    Function("ln", "scalar", 1, 1, numbers_to_double("ln"), "LN", "natural logarithm, a double", example="ln(x)"),
    Function("exp", "scalar", 1, 1, numbers_to_double("exp"), "EXP", "e to the power x, a double", example="exp(x)"),
    Function("greatest", "scalar", 2, 8, ordered("greatest"), "GREATEST",
             "largest of its arguments (numbers, strings or times)", example="greatest(a, b)"),
    Function("least", "scalar", 2, 8, ordered("least"), "LEAST",
             "smallest of its arguments (numbers, strings or times)", example="least(a, b)"),
    Function("coalesce", "scalar", 2, 8, unified("coalesce", coalesce=True), "COALESCE", "first non-null argument",
             example='coalesce(channel, "web")', nulls="all"),
    Function("upper", "scalar", 1, 1, strings("upper"), "UPPER", "upper case", example="upper(country)"),
    Function("lower", "scalar", 1, 1, strings("lower"), "LOWER", "lower case", example="lower(email)"),
    Function("trim", "scalar", 1, 1, strings("trim"), "TRIM", "spaces removed at both ends", example="trim(name)"),
    Function("length", "scalar", 1, 1, strings("length", T.INT), "CHAR_LENGTH", "number of characters, an int",
             example="length(name)"),
    Function("concat", "scalar", 2, 8, strings("concat"), "CONCAT", "strings joined", example='concat(a, "-", b)'),
    Function("substring", "scalar", 2, 3, _substring, "SUBSTRING", "part of a string from a 1-based start",
             example="substring(code, 1, 3)"),
    Function("replace", "scalar", 3, 3, strings("replace"), "REPLACE", "every occurrence replaced",
             example='replace(s, "-", "")'),
    Function("date_format", "scalar", 2, 2, _date_format, "DATE_FORMAT",
             "a timestamp as text with a Java date pattern", example='date_format(ts, "yyyy-MM-dd")'),
    Function("hour", "scalar", 1, 1, timestamp_part("hour"), "HOUR", "hour of the day, 0-23", example="hour(ts)"),
    Function("minute", "scalar", 1, 1, timestamp_part("minute"), "MINUTE", "minute of the hour", example="minute(ts)"),
    Function("seconds_between", "scalar", 2, 2, timestamps_diff("seconds_between"), "TIMESTAMPDIFF",
             "whole seconds from start to end, an int", timestampdiff("SECOND"), "seconds_between(start, end)"),
    Function("minutes_between", "scalar", 2, 2, timestamps_diff("minutes_between"), "TIMESTAMPDIFF",
             "whole minutes from start to end, an int", timestampdiff("MINUTE"), "minutes_between(start, end)"),
    Function("regexp_extract", "scalar", 2, 3, signature("regexp_extract", ("string", "string", "int"), T.STRING,
             'regexp_extract(text, "regex"[, group])'), "REGEXP_EXTRACT",
             "the part of a string a Java regular expression matches (or its group N)",
             example='regexp_extract(url, "id=([0-9]+)", 1)'),
    Function("regexp_replace", "scalar", 3, 3, signature("regexp_replace", ("string", "string", "string"), T.STRING,
             'regexp_replace(text, "regex", "replacement")'), "REGEXP_REPLACE",
             "every match of a Java regular expression replaced", example='regexp_replace(phone, "[^0-9]", "")'),
    Function("matches", "scalar", 2, 2, signature("matches", ("string", "string"), T.BOOLEAN,
             'matches(text, "regex")'), "REGEXP", "whether a Java regular expression matches part of a string",
             example='matches(email, "@example[.]com$")'),
    Function("split_index", "scalar", 3, 3, signature("split_index", ("string", "string", "int"), T.STRING,
             'split_index(text, "separator", index from 0)'), "SPLIT_INDEX",
             "the Nth piece (from 0) of a string split at a separator, or null", example='split_index(path, "/", 1)'),
    Function("locate", "scalar", 2, 3, signature("locate", ("string", "string", "int"), T.INT,
             'locate("part", text[, from])'), "LOCATE", "the position (from 1) of a part in a string, 0 if absent",
             example='locate("@", email)'),
    Function("left", "scalar", 2, 2, signature("left", ("string", "int"), T.STRING, "left(text, n)"), "LEFT",
             "the first N characters", example="left(sku, 3)"),
    Function("right", "scalar", 2, 2, signature("right", ("string", "int"), T.STRING, "right(text, n)"), "RIGHT",
             "the last N characters", example="right(card, 4)"),
    Function("lpad", "scalar", 3, 3, signature("lpad", ("string", "int", "string"), T.STRING,
             'lpad(text, length, "pad")'), "LPAD", "padded on the left to a length", example='lpad(code, 6, "0")'),
    Function("rpad", "scalar", 3, 3, signature("rpad", ("string", "int", "string"), T.STRING,
             'rpad(text, length, "pad")'), "RPAD", "padded on the right to a length", example='rpad(code, 6, " ")'),
    Function("initcap", "scalar", 1, 1, strings("initcap"), "INITCAP", "each word capitalised",
             example="initcap(city)"),
    Function("reverse", "scalar", 1, 1, strings("reverse"), "REVERSE", "the characters in reverse order",
             example="reverse(s)"),
    Function("md5", "scalar", 1, 1, strings("md5"), "MD5", "MD5 hash as 32 hex digits", example="md5(email)"),
    Function("sha256", "scalar", 1, 1, strings("sha256"), "SHA256", "SHA-256 hash as 64 hex digits",
             example="sha256(email)"),
    Function("concat_ws", "scalar", 3, 8, strings("concat_ws"), "CONCAT_WS", "strings joined by a separator "
             "(the first argument), nulls skipped", example='concat_ws("-", country, city)'),
    Function("nullif", "scalar", 2, 2, _nullif, "NULLIF", "null when both are equal, else the first",
             example='nullif(status, "")', nulls=(1,)),
    Function("log10", "scalar", 1, 1, numbers_to_double("log10"), "LOG10", "base-10 logarithm, a double",
             example="log10(x)"),
    Function("sign", "scalar", 1, 1, numbers_same("sign"), "SIGN", "-1, 0 or 1", example="sign(delta)"),
    Function("truncate", "scalar", 1, 2, places("truncate"), "TRUNCATE", "cut to N decimal places (N an int)",
             example="truncate(amount, 1)", by_literal=_rounded),
    # date and time
    Function("year", "scalar", 1, 1, signature("year", ("date",), T.BIGINT, "year(timestamp or date)"), "YEAR",
             "the year", example="year(ts)"),
    Function("month", "scalar", 1, 1, signature("month", ("date",), T.BIGINT, "month(timestamp or date)"),
             "MONTH", "the month, 1-12", example="month(ts)"),
    Function("day", "scalar", 1, 1, signature("day", ("date",), T.BIGINT, "day(timestamp or date)"), "DAYOFMONTH",
             "the day of the month, 1-31", example="day(ts)"),
    Function("day_of_week", "scalar", 1, 1, signature("day_of_week", ("date",), T.BIGINT,
             "day_of_week(timestamp or date)"), "DAYOFWEEK", "the day of the week, 1 (Sunday) to 7",
             example="day_of_week(ts)"),
    Function("second", "scalar", 1, 1, timestamp_part("second"), "SECOND", "the second of the minute",
             example="second(ts)"),
    Function("hours_between", "scalar", 2, 2, timestamps_diff("hours_between"), "TIMESTAMPDIFF",
             "whole hours from start to end, an int", timestampdiff("HOUR"), "hours_between(start, end)"),
    Function("days_between", "scalar", 2, 2, timestamps_diff("days_between"), "TIMESTAMPDIFF",
             "whole days from start to end, an int", timestampdiff("DAY"), "days_between(start, end)"),
    Function("from_epoch_millis", "scalar", 1, 1, signature("from_epoch_millis", ("int",), TS3,
             "from_epoch_millis(milliseconds since 1970)"), "TO_TIMESTAMP_LTZ",
             "a timestamp(3) from milliseconds since 1970 (in the session time zone)", from_epoch(3),
             "from_epoch_millis(created_ms)"),
    Function("from_epoch_seconds", "scalar", 1, 1, signature("from_epoch_seconds", ("int",), TS3,
             "from_epoch_seconds(seconds since 1970)"), "TO_TIMESTAMP_LTZ",
             "a timestamp(3) from seconds since 1970 (in the session time zone)", from_epoch(0),
             "from_epoch_seconds(created_s)"),
    Function("to_timestamp", "scalar", 1, 2, signature("to_timestamp", ("string", "string"), TS3,
             'to_timestamp(text[, "pattern"])'), "TO_TIMESTAMP",
             "a timestamp(3) read from text ('yyyy-MM-dd HH:mm:ss', or a Java date pattern), null if it does not fit",
             example='to_timestamp(created, "yyyy-MM-dd HH:mm")'),
    Function("to_date", "scalar", 1, 1, signature("to_date", ("string",), T.SqlType("DATE"), "to_date(text)"),
             "TO_DATE", "a date read from 'yyyy-MM-dd' text", example="to_date(day)"),
    Function("convert_tz", "scalar", 3, 3, signature("convert_tz", ("timestamp", "string", "string"), TS3,
             'convert_tz(timestamp, "from zone", "to zone")'), "CONVERT_TZ",
             "a timestamp moved from one time zone to another (to the second)", _convert_tz,
             'convert_tz(ts, "UTC", "Europe/Berlin")'),
    Function("now", "scalar", 0, 0, lambda args: TS3.with_null(False), "LOCALTIMESTAMP",
             "the current time, as a timestamp(3) in the session time zone (processing time, not event time)",
             _bare, "now()"),
    Function("current_watermark", "scalar", 1, 1, _time_attribute, "CURRENT_WATERMARK",
             "the input's current watermark (null before the first); its argument is the event-time column, so "
             "`ts <= current_watermark(ts)` finds late rows", example="current_watermark(ts)", time_attribute=True),
    # arrays and maps
    Function("cardinality", "scalar", 1, 1, _cardinality, "CARDINALITY", "the number of items of an array or map",
             example="cardinality(tags)"),
    Function("element", "scalar", 1, 1, _element, "ELEMENT", "the one item of an array of one (null if empty)",
             example="element(tags)"),
    Function("item", "scalar", 2, 2, _item, "ITEM", "an array's item at a position from 1 (an int), or a map's "
             "value at a key (null if absent)", _index, 'item(attributes, "color")'),
    Function("array_of", "scalar", 1, 16, _array_of, "ARRAY", "an array of its arguments", _constructor,
             "array_of(a, b)", nulls="all"),
    Function("map_of", "scalar", 2, 16, _map_of, "MAP", "a map of key, value pairs (string keys)", _constructor,
             'map_of("min", low, "max", high)'),
    Function("str_to_map", "scalar", 1, 3, strings("str_to_map", T.SqlType("MAP", True, elem=T.STRING)),
             "STR_TO_MAP", "a map read from 'k1=v1,k2=v2' text (or with both separators given)",
             example='str_to_map(tags, ";", ":")', arities=(1, 3)),
    # over the rows before, in a rolling stage without a window
    Function("lag", "agg", 1, 2, _lag, "LAG", "the value N rows before (default 1; N an int) in the "
             "partition, in time "
             "order; null on its first rows (only in a rolling stage without a window)", example="lag(price)",
             distinct=False, stages=("rolling",)),
    # JSON (the path is a string literal: Flink 2.3 plans JSON_EXISTS only with one)
    Function("json_value", "scalar", 2, 2, _json_doc("json_value", T.STRING, 'json_value(doc, "$.id")'),
             "JSON_VALUE", "the scalar at a JSON path of JSON text, as a string (`returning int`, `double` or "
             "`boolean` for another type), null if absent or not JSON", example='json_value(doc, "$.name")',
             literals=(1,), returning=("string", "int", "double", "boolean")),
    Function("json_query", "scalar", 2, 2, _json_doc("json_query", T.STRING, 'json_query(doc, "$.tags")'),
             "JSON_QUERY", "the JSON (object or array) at a JSON path of JSON text, as text "
             "(`returning array<string>` for an array), null if absent", example='json_query(doc, "$.addresses")',
             literals=(1,), returning=("string", "array<string>")),
    Function("json_exists", "scalar", 2, 2, _json_doc("json_exists", T.BOOLEAN, 'json_exists(doc, "$.id")'),
             "JSON_EXISTS", "whether JSON text has a value at a JSON path", example='json_exists(doc, "$.id")',
             literals=(1,)),
    Function("is_json", "scalar", 1, 1, _is_json, "IS JSON", "whether text is valid JSON (false for null)",
             _is_json_sql, "is_json(doc)"),
    Function("json_object", "scalar", 0, 16, _json_object, "JSON_OBJECT",
             "a JSON object of key, value pairs, as text (a string value is quoted; a json_object or json_array "
             "value is nested)", _key_value,
             'json_object("name", name, "tags", tags)', nulls="all"),
    Function("json_array", "scalar", 0, 16, _json_array, "JSON_ARRAY",
             "a JSON array of its arguments, as text (nulls left out)", example="json_array(first_name, last_name)",
             nulls="all"),
    Function("json_objectagg", "agg", 2, 2, _json_objectagg, "JSON_OBJECTAGG",
             "a JSON object of the group's key, value pairs, as text (only in an aggregate stage)", _key_value,
             "json_objectagg(prefix, cnt)", distinct=False, stages=("aggregate",), nulls="all"),
    Function("json_arrayagg", "agg", 1, 1, _json_arrayagg, "JSON_ARRAYAGG",
             "a JSON array of the group's values, as text (nulls left out; only in an aggregate stage)",
             example="json_arrayagg(prefix)", distinct=False, stages=("aggregate",), nulls="all"),
    # navigation, inside a pattern's define and measures
    Function("prev", "nav", 1, 2, same_as_first, "PREV", "the value in the row before (or N rows before)",
             example="prev(price)"),
    Function("first", "nav", 1, 1, same_as_first, "FIRST", "the value in the first row a variable matched",
             example="first(hot.ts)"),
    Function("last", "nav", 1, 1, same_as_first, "LAST", "the value in the last row a variable matched",
             example="last(hot.ts)"),
)

FUNCTIONS: dict[str, Function] = {f.name: f for f in _ALL}

# Flink SQL names users write that are spelled differently here, or that Flink cannot run on a stream: the
# hint of an unknown-function diagnostic.
OTHER_NAMES: dict[str, str] = {
    "lead": "Flink 2.3 does not run LEAD on a stream (\"LEAD Function is not supported in stream mode\"): "
            "lag(x) in a rolling stage gives the row before; a pattern's define can compare rows: prev(x)",
    "timestampdiff": "use seconds_between, minutes_between, hours_between or days_between(start, end)",
    "regexp": 'use matches(text, "regex")',
    "to_timestamp_ltz": "use from_epoch_millis(x) or from_epoch_seconds(x)",
    "current_timestamp": "use now()",
    "localtimestamp": "use now()",
    "extract": "use year(ts), month(ts), day(ts), day_of_week(ts), hour(ts), minute(ts) or second(ts)",
    "dayofmonth": "use day(ts)",
    "dayofweek": "use day_of_week(ts)",
    "char_length": "use length(text)",
    "position": 'use locate("part", text)',
    "substr": "use substring(text, start, length)",
    "if": "use case when ... then ... else ... end",
    "ifnull": "use coalesce(a, b)",
    "count_distinct": "use count(distinct x)",
    "stdev": "use stddev(x) (sample) or stddev_pop(x)",
    "std": "use stddev(x) (sample) or stddev_pop(x)",
    "var": "use variance(x) (sample) or var_pop(x)",
}
AGGREGATES = frozenset(n for n, f in FUNCTIONS.items() if f.kind == "agg")
NAVIGATION = frozenset(n for n, f in FUNCTIONS.items() if f.kind == "nav")

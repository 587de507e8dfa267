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
from typing import Literal

from . import types as T

Kind = Literal["agg", "scalar", "nav"]
# A typing rule: the argument types -> the result type, or a message saying why the arguments do not fit.
Rule = Callable[[list[T.SqlType]], "T.SqlType | str"]
# A custom rendering: the SQL name and the arguments already lowered -> the call's SQL.
Render = Callable[[str, list[str]], str]


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

    def arity(self) -> str:
        return str(self.min_args) if self.min_args == self.max_args else f"{self.min_args} to {self.max_args}"


# ------------------------------------------------------------ typing rules


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


def _sum(args: list[T.SqlType]) -> T.SqlType | str:
    a = args[0]
    if not (a.is_numeric or _ok(a)):
        return f"sum() takes numbers, not {a.describe()}"
    if a.base == "DECIMAL":
        return T.SqlType("DECIMAL", True, precision=38, scale=a.scale)
    return a.with_null(True)


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
    def rule(args: list[T.SqlType]) -> T.SqlType | str:
        u = T.unify(args)
        if u is None:
            return f"{name}() needs arguments of one type"
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


# ------------------------------------------------------------ renderings


def _avg(sql: str, args: list[str]) -> str:
    # Flink's AVG of an INT column is an INT: the mean is taken of doubles.
    return f"AVG(CAST({args[0]} AS DOUBLE))"


def timestampdiff(unit: str) -> Render:
    def render(sql: str, args: list[str]) -> str:
        return f"TIMESTAMPDIFF({unit}, {args[0]}, {args[1]})"
    return render


# ------------------------------------------------------------ the functions

_ALL = (
    # aggregates
    Function("count", "agg", 1, 1, _count, "COUNT", "rows (`count(*)`), non-null values, or `count(distinct x)`",
             example="count(*)"),
    Function("sum", "agg", 1, 1, _sum, "SUM", "sum of numbers (decimals keep their scale)", example="sum(amount)"),
    Function("avg", "agg", 1, 1, numbers_to_double("avg"), "AVG", "mean, as a double", _avg, "avg(amount)"),
    Function("min", "agg", 1, 1, comparable_same("min"), "MIN", "smallest value", example="min(price)"),
    Function("max", "agg", 1, 1, comparable_same("max"), "MAX", "largest value", example="max(price)"),
    Function("stddev", "agg", 1, 1, numbers_to_double("stddev"), "STDDEV_SAMP",
             "sample standard deviation (as Flink's STDDEV), a double", example="stddev(amount)"),
    Function("stddev_samp", "agg", 1, 1, numbers_to_double("stddev_samp"), "STDDEV_SAMP",
             "sample standard deviation, a double", example="stddev_samp(amount)"),
    Function("stddev_pop", "agg", 1, 1, numbers_to_double("stddev_pop"), "STDDEV_POP",
             "population standard deviation, a double", example="stddev_pop(amount)"),
    Function("variance", "agg", 1, 1, numbers_to_double("variance"), "VAR_SAMP",
             "sample variance (as Flink's VARIANCE), a double", example="variance(amount)"),
    Function("var_samp", "agg", 1, 1, numbers_to_double("var_samp"), "VAR_SAMP", "sample variance, a double",
             example="var_samp(amount)"),
    Function("var_pop", "agg", 1, 1, numbers_to_double("var_pop"), "VAR_POP", "population variance, a double",
             example="var_pop(amount)"),
    Function("first_value", "agg", 1, 1, same_as_first, "FIRST_VALUE", "first value in arrival order",
             example="first_value(price)"),
    Function("last_value", "agg", 1, 1, same_as_first, "LAST_VALUE", "last value in arrival order",
             example="last_value(price)"),
    Function("listagg", "agg", 1, 2, strings("listagg"), "LISTAGG", "strings joined, with an optional separator",
             example='listagg(sku, ",")'),
    # scalars
    Function("abs", "scalar", 1, 1, numbers_same("abs"), "ABS", "absolute value", example="abs(delta)"),
    Function("round", "scalar", 1, 2, numbers_same("round"), "ROUND", "rounded, to optional decimal places",
             example="round(amount, 2)"),
    Function("floor", "scalar", 1, 1, numbers_same("floor"), "FLOOR", "rounded down", example="floor(x)"),
    Function("ceil", "scalar", 1, 1, numbers_same("ceil"), "CEIL", "rounded up", example="ceil(x)"),
    Function("sqrt", "scalar", 1, 1, numbers_to_double("sqrt"), "SQRT", "square root, a double", example="sqrt(x)"),
    Function("power", "scalar", 2, 2, numbers_to_double("power"), "POWER", "x to the power y, a double",
             example="power(x, 2)"),
    Function("ln", "scalar", 1, 1, numbers_to_double("ln"), "LN", "natural logarithm, a double", example="ln(x)"),
    Function("exp", "scalar", 1, 1, numbers_to_double("exp"), "EXP", "e to the power x, a double", example="exp(x)"),
    Function("greatest", "scalar", 2, 8, unified("greatest"), "GREATEST", "largest of its arguments",
             example="greatest(a, b)"),
    Function("least", "scalar", 2, 8, unified("least"), "LEAST", "smallest of its arguments",
             example="least(a, b)"),
    Function("coalesce", "scalar", 2, 8, unified("coalesce", coalesce=True), "COALESCE", "first non-null argument",
             example='coalesce(channel, "web")'),
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
    # navigation, inside a pattern's define and measures
    Function("prev", "nav", 1, 2, same_as_first, "PREV", "the value in the row before (or N rows before)",
             example="prev(price)"),
    Function("first", "nav", 1, 1, same_as_first, "FIRST", "the value in the first row a variable matched",
             example="first(hot.ts)"),
    Function("last", "nav", 1, 1, same_as_first, "LAST", "the value in the last row a variable matched",
             example="last(hot.ts)"),
)

FUNCTIONS: dict[str, Function] = {f.name: f for f in _ALL}
AGGREGATES = frozenset(n for n, f in FUNCTIONS.items() if f.kind == "agg")
NAVIGATION = frozenset(n for n, f in FUNCTIONS.items() if f.kind == "nav")

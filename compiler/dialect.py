"""A small sqlglot dialect for Apache Flink SQL.

Every identifier and literal in generated SQL goes through this one path:
identifiers in backticks (a backtick inside doubled), strings in single
quotes (a quote inside doubled; a backslash is an ordinary character in
Flink SQL, so it is never an escape).
"""

from __future__ import annotations

from functools import lru_cache

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.generator import Generator as _Generator
from sqlglot.tokens import Tokenizer as _Tokenizer


class Flink(Dialect):
    NORMALIZE_FUNCTIONS = False

    class Tokenizer(_Tokenizer):
        QUOTES = ["'"]
        IDENTIFIERS = ["`"]
        STRING_ESCAPES = ["'"]

    class Generator(_Generator):
        IDENTIFIER_START = "`"
        IDENTIFIER_END = "`"
        TRANSFORMS = {
            **_Generator.TRANSFORMS,
            exp.Mod: lambda self, e: self.func("MOD", e.this, e.expression),
        }

        def interval_sql(self, expression: exp.Interval) -> str:
            value = expression.this
            unit = expression.args.get("unit")
            return f"INTERVAL {self.sql(value)} {self.sql(unit)}"


DIALECT = Flink()


@lru_cache(maxsize=65536)
def ident(name: str) -> str:
    """A quoted Flink identifier (cached: a project quotes the same few names many thousand times)."""
    return exp.to_identifier(name, quoted=True).sql(dialect=DIALECT)


def lit(value: str | int | float) -> str:
    """A Flink literal: a quoted string or a number."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return exp.Literal.number(value).sql(dialect=DIALECT)
    return exp.Literal.string(value).sql(dialect=DIALECT)


def render(e: exp.Expression) -> str:
    return e.sql(dialect=DIALECT)

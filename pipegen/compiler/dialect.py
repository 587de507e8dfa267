"""Quoting for Apache Flink SQL: the one path every identifier and literal takes.

Identifiers go in backticks (a backtick inside is doubled), strings in single
quotes (a quote inside is doubled; a backslash is an ordinary character in
Flink SQL, so it is never an escape). This is plain Python: the compiler does
not import sqlglot. tests/test_dialect.py checks it against sqlglot, for many
generated names and strings: the text is what the sqlglot dialect below
generated (which these functions used before), and sqlglot's tokenizer and
parser with that dialect read it back to the original name or string.
"""

from __future__ import annotations

_INF = float("inf")


def ident(name: str) -> str:
    """A quoted Flink identifier."""
    return "`" + name.replace("`", "``") + "`"


def lit(value: str | float) -> str:
    """A Flink literal: TRUE or FALSE, a number, or a quoted string."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not -_INF < value < _INF:  # inf or nan
            raise ValueError(f"no Flink SQL literal for {value!r}")
        return repr(value)
    return "'" + value.replace("'", "''") + "'"

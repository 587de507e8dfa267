"""compiler.dialect quotes without sqlglot; sqlglot is the independent check.

For many generated names and strings, ``ident`` and ``lit`` give the text the
sqlglot Flink dialect below generated (the code they replaced), and sqlglot's
tokenizer and parser, in that dialect, read the text back to the original name
or string.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import pytest
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.generator import Generator as _Generator
from sqlglot.tokens import Tokenizer as _Tokenizer
from sqlglot.tokens import TokenType

from pipegen.compiler.dialect import ident, lit

ROOT = Path(__file__).resolve().parent.parent


class Flink(Dialect):
    """The sqlglot dialect pipegen/compiler/dialect.py quoted with before it was plain Python."""

    NORMALIZE_FUNCTIONS = False

    class Tokenizer(_Tokenizer):
        QUOTES: ClassVar = ["'"]
        IDENTIFIERS: ClassVar = ["`"]
        STRING_ESCAPES: ClassVar = ["'"]

    class Generator(_Generator):
        IDENTIFIER_START = "`"
        IDENTIFIER_END = "`"
        TRANSFORMS: ClassVar = {
            **_Generator.TRANSFORMS,
            exp.Mod: lambda self, e: self.func("MOD", e.this, e.expression),
        }

        def interval_sql(self, expression: exp.Interval) -> str:
            value = expression.this
            unit = expression.args.get("unit")
            return f"INTERVAL {self.sql(value)} {self.sql(unit)}"


FLINK = Flink()


def sqlglot_ident(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect=FLINK)


def sqlglot_lit(value: str | float) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return exp.Literal.number(value).sql(dialect=FLINK)
    return exp.Literal.string(value).sql(dialect=FLINK)


SPECIAL = ["", "`", "``", "'", "''", "a`b", "a'b", 'a"b', "\\", "\\'", "a\\`", "\n", "a\nb", "\r\n", "\t",
           "\x00", " a ", "--x", "/* x */", ";", "é", "名前", "🚀", "\u2028", "\ufeff", "select", "SELECT",
           "from", "table", "values", "`a`", "'a'", "${X}", "{{ x }}"]
KEYWORDS = ["select", "from", "where", "group", "by", "order", "table", "insert", "drop", "values", "window",
            "interval", "timestamp", "user", "value", "key", "time", "date", "current_date", "rows", "range"]
texts = st.one_of(
    st.sampled_from(SPECIAL + KEYWORDS + [k.upper() for k in KEYWORDS]),
    st.text(),
    st.text(alphabet=st.sampled_from("`'\"\\\n\r\t ;-/*#aZ_0é🚀"), max_size=20),
    st.lists(st.sampled_from(SPECIAL + KEYWORDS), max_size=5).map("".join),
)


@settings(max_examples=600, deadline=None)
@given(texts)
def test_ident_is_what_sqlglot_wrote_and_reads_back(name: str) -> None:
    quoted = ident(name)
    assert quoted == sqlglot_ident(name)
    tokens = FLINK.tokenize(quoted)
    assert [(t.token_type, t.text) for t in tokens] == [(TokenType.IDENTIFIER, name)]
    select = sqlglot.parse_one(f"SELECT {quoted} FROM {quoted}", dialect=FLINK)
    assert [c.name for c in select.expressions] == [name]
    assert select.find(exp.Table).name == name


@settings(max_examples=600, deadline=None)
@given(texts)
def test_lit_is_what_sqlglot_wrote_and_reads_back(text: str) -> None:
    quoted = lit(text)
    assert quoted == sqlglot_lit(text)
    tokens = FLINK.tokenize(quoted)
    assert [(t.token_type, t.text) for t in tokens] == [(TokenType.STRING, text)]
    select = sqlglot.parse_one(f"SELECT {quoted}, {quoted} AS x", dialect=FLINK)
    values = [e.this if isinstance(e, exp.Alias) else e for e in select.expressions]
    assert all(isinstance(v, exp.Literal) and v.is_string and v.this == text for v in values)


@given(st.integers())
def test_int_literal(value: int) -> None:
    assert lit(value) == sqlglot_lit(value)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_literal(value: float) -> None:
    text = lit(value)
    assert float(text) == value
    if value >= 0 or "e" not in text:
        assert text == sqlglot_lit(value)
    else:  # sqlglot wrote the negative of a number in exponent form as e.g. -1E-7; this is -1e-07
        assert float(sqlglot_lit(value)) == value
    parsed = sqlglot.parse_one(f"SELECT {text}", dialect=FLINK).expressions[0]
    number = parsed.this if isinstance(parsed, exp.Neg) else parsed
    assert isinstance(number, exp.Literal) and not number.is_string


def test_bool_and_non_finite_literals() -> None:
    assert (lit(True), lit(False)) == (sqlglot_lit(True), sqlglot_lit(False)) == ("TRUE", "FALSE")
    for value in (float("inf"), float("-inf"), float("nan")):
        with pytest.raises(ValueError):
            lit(value)  # sqlglot wrote inf, -Infinity or nan: not Flink SQL


def test_compiling_imports_no_sqlglot_yaml_or_jinja2_until_needed() -> None:
    probe = ("import sys; import pipegen.compiler.dialect, pipegen.compiler.project; "
             "print(sorted(m for m in ('sqlglot', 'yaml', 'jinja2') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr

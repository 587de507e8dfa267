"""Every IR node kind is complete: a grammar rule, a parser builder, a check, a lowering, a printer, a
round-trip strategy and (for statements and windows) an eval slot extractor.

The families and their kinds come from the IR's unions (``registry.FAMILIES``); the tables are the
``Dispatch`` tables of each job. A kind added to a union but missing from one of them fails here, with the
table's name, instead of failing at run time on the first spec that uses it. The README's Design section
lists the same places, step by step. Functions are records (``functions.FUNCTIONS``); the README's function
table is held to them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lark import Lark

from pipegen import evaluate
from pipegen.compiler import avro, functions, ir, lower, parser, printer, registry
from pipegen.compiler import types as T
from pipegen.compiler.analyze import relations, time_rules
from pipegen.compiler.analyze.exprs import Types
from pipegen.compiler.targets.base import Target
from pipegen.compiler.targets.cloud import CloudTarget
from pipegen.compiler.targets.local import LocalTarget
from pipegen.grammar import GRAMMAR_PATH

from test_roundtrip import STRATEGIES

ROOT = Path(__file__).resolve().parent.parent
FAMILIES = registry.FAMILIES

# family -> the tables that must handle each of its kinds: (job, table)
TABLES: dict[str, list[tuple[str, registry.Dispatch | dict]]] = {
    "statement": [("check: relation", relations.RELATION), ("check: time and changelog", time_rules.RULES),
                  ("print", printer.STATEMENT), ("eval slots", evaluate.SLOTS)],
    "expression": [("check: type", Types.type_of), ("lower", lower.SQL), ("print", printer.EXPR)],
    "window": [("check: sizes", relations.WINDOW_SIZE), ("lower", lower.WINDOW_TVF), ("print", printer.WINDOW),
               ("eval slots", evaluate.WINDOW_SLOTS)],
    "over": [("lower", lower.OVER_FRAME), ("print", printer.OVER)],
    "type": [("check", relations.FIELD_TYPE), ("lower: SQL type", T.SQL_TYPE), ("lower: Avro type", avro.AVRO_TYPE),
             ("print", printer.TYPE)],
    "hint": [("check", relations.HINT), ("print", printer.HINT)],
}
KINDS = [(family, cls) for family, classes in FAMILIES.items() for cls in classes]


def _grammar_rules() -> set[str]:
    lark = Lark(GRAMMAR_PATH.read_text(encoding="utf-8"), parser="lalr")
    return {str(r.alias) for r in lark.rules if r.alias} | {str(r.origin.name) for r in lark.rules}


RULES = _grammar_rules()


def test_the_families_are_the_unions_of_the_ir() -> None:
    assert [c.__name__ for c in FAMILIES["statement"]] == [
        "Source", "Transform", "Aggregate", "Rolling", "Join", "Dedup", "TopN", "Sort", "Pattern", "Union", "Unnest",
        "Sink"]
    assert set(registry.STAGES) == set(FAMILIES["statement"]) - {ir.Source, ir.Sink}
    assert len(FAMILIES["expression"]) == 16
    assert parser.STATEMENT_KEYWORDS == ("pipeline", *(registry.kind_of(c) for c in FAMILIES["statement"]))


@pytest.mark.parametrize(("family", "cls"), KINDS, ids=[f"{f}-{c.__name__}" for f, c in KINDS])
def test_every_kind_is_complete(family: str, cls: type) -> None:
    missing = []
    rules = parser.BUILDS.get(cls)
    if not rules:
        missing.append("parser.BUILDS (its grammar rules)")
    for rule in rules or ():
        if rule not in RULES:
            missing.append(f"a grammar rule or alias `{rule}` in pgl.lark")
        if not callable(getattr(parser.ToIR, rule, None)):
            missing.append(f"parser.ToIR.{rule}")
    for job, table in TABLES[family]:
        if cls not in table.handlers:
            missing.append(f"{job} ({table.what})")
    if family == "statement":
        if cls in registry.STAGES and cls not in lower.Lowering.query.handlers:
            missing.append("lower: Lowering.query")
    if cls not in STRATEGIES:
        missing.append("a round-trip strategy in tests/test_roundtrip.py STRATEGIES")
    assert not missing, f"{cls.__name__} is half-added; missing: " + "; ".join(missing)


def test_no_table_handles_a_class_outside_its_family() -> None:
    for family, tables in TABLES.items():
        for job, table in tables:
            extra = set(table.handlers) - set(FAMILIES[family])
            assert not extra, f"{job}: {sorted(c.__name__ for c in extra)} are not {family} kinds"


def test_both_targets_declare_sources_and_sinks() -> None:
    for target in (LocalTarget, CloudTarget):
        assert target.ddl is not Target.ddl, f"{target.__name__} declares no tables"


def test_every_builder_is_a_grammar_rule() -> None:
    builders = {name for name, v in vars(parser.ToIR).items() if callable(v) and not name.startswith("_")}
    assert builders <= RULES, f"ToIR methods with no grammar rule: {sorted(builders - RULES)}"


def test_a_missing_handler_names_the_table_and_the_class() -> None:
    table = registry.Dispatch("print a thing")
    with pytest.raises(NotImplementedError, match=r"print a thing: no handler for Column"):
        table(ir.Column(path=("a",)))


# ------------------------------------------------------------------ functions


def test_every_function_is_one_record() -> None:
    for name, fn in functions.FUNCTIONS.items():
        assert fn.name == name and fn.kind in ("agg", "scalar", "nav")
        assert 0 <= fn.min_args <= fn.max_args and fn.doc and fn.sql.isupper() and fn.example.startswith(name + "(")


def test_the_readme_lists_every_function_with_its_line() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([a-z_0-9]+)\(.*?\)` \| (?:aggregate|scalar|pattern) \| (.+?) \|", readme, re.M))
    assert set(rows) == set(functions.FUNCTIONS), "README's function table and functions.FUNCTIONS differ"
    for name, fn in functions.FUNCTIONS.items():
        assert rows[name] == fn.doc.replace("|", "\\|"), name


def test_every_code_is_defined_once_and_documented() -> None:
    from pipegen.compiler.diagnostics import CODES

    used = set()
    for path in (ROOT / "pipegen").rglob("*.py"):
        used |= set(re.findall(r'"([EW][0-9]{3})"', path.read_text(encoding="utf-8")))
    assert used <= set(CODES), f"codes used but not defined: {sorted(used - set(CODES))}"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("### Checks and their codes"):]
    documented = set()
    for a, b in re.findall(r"([EW][0-9]{3})(?:–([EW][0-9]{3}))?", table[:table.index("\n## ")]):
        documented |= {c for c in CODES if a <= c <= (b or a)}
    assert set(CODES) <= documented, f"codes the README does not list: {sorted(set(CODES) - documented)}"

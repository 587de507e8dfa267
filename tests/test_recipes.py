"""The Flink SQL Cookbook recipes written in the language (bench/recipes/*.pgl) compile, and the results table agrees
with them. No Flink here: `python -m bench.recipes_plan` plans them all (bench/results/recipes.md)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from pipegen import api

ROOT = Path(__file__).resolve().parent.parent
RECIPES = sorted((ROOT / "bench" / "recipes").glob("*.pgl"))
RESULTS = ROOT / "bench" / "results" / "recipes.md"
CLASSES = ("full", "partial", "none", "n/a")
TITLE = re.compile(r'^# Recipe: "[^"]+" \(ververica/flink-sql-cookbook [\w./-]+\.md\)$')
CLASS = re.compile(r"^# class: (full|partial|none|n/a)$")
ROW = re.compile(r"^\| (\d\d) \| .+? \| (full|partial|none|n/a) \|.*\| `bench/recipes/([\w.]+\.pgl)` \|$", re.M)
TOTALS = re.compile(r"^\*\*Totals \(all \d+\):\*\* (\d+) full, (\d+) partial, (\d+) none, (\d+) n/a", re.M)


def spec_class(path: Path) -> str:
    return CLASS.match(path.read_text(encoding="utf-8").splitlines()[1]).group(1)


def test_there_is_one_spec_per_recipe() -> None:
    assert len(RECIPES) == 36
    assert [p.name[:2] for p in RECIPES] == [f"{n:02}" for n in range(1, 37)]


@pytest.mark.parametrize("path", RECIPES, ids=[p.stem for p in RECIPES])
def test_recipe_compiles_and_says_what_it_is(path: Path) -> None:
    """Its first line names the recipe, its second its class; it compiles without errors (warnings allowed:
    W604 for the specs the cloud target cannot have, W602 for a regular join)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    assert TITLE.match(lines[0]), lines[0]
    assert CLASS.match(lines[1]), lines[1]
    result = api.compile_text(path.read_text(encoding="utf-8"), path.name)
    assert result.ok, [f"{d.code} {d.message}" for d in result.diagnostics]
    assert {d.code for d in result.diagnostics} <= {"W602", "W604"}, [d.message for d in result.diagnostics]


def test_results_table_agrees_with_the_specs() -> None:
    """Every spec has its row, with the class its spec says, and the totals are those of the rows."""
    text = RESULTS.read_text(encoding="utf-8")
    rows = {spec: klass for _, klass, spec in ROW.findall(text)}
    assert rows == {p.name: spec_class(p) for p in RECIPES}
    totals = TOTALS.search(text)
    assert totals is not None
    counted = Counter(rows.values())
    assert [int(n) for n in totals.groups()] == [counted[c] for c in CLASSES]

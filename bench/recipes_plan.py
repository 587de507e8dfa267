"""Plan every Flink SQL Cookbook recipe spec (``bench/recipes/*.pgl``) in Flink, in one JVM.

    python -m bench.recipes_plan [SPEC ...]

Each spec is compiled for both targets and planned as ``pipegen validate SPEC --engine flink`` plans it (one
``FlinkPlanner`` for all, a database per spec and target). A spec says its class on its second line
(``# class: full|partial|none|n/a``); the script prints one line per spec (class, statements planned per target,
Flink's first rejection if any) and the totals. ``bench/results/recipes.md`` holds a measured run.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

from pipegen import api

ROOT = Path(__file__).resolve().parent.parent
RECIPES = ROOT / "bench" / "recipes"
CLASS = re.compile(r"^# class: (full|partial|none|n/a)\b", re.MULTILINE)
CLASSES = ("full", "partial", "none", "n/a")


def spec_class(text: str) -> str:
    """The class a recipe spec declares on its ``# class:`` line."""
    found = CLASS.search(text)
    if found is None:
        raise ValueError("no '# class: full|partial|none|n/a' line")
    return found.group(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*", type=Path, help="default: every bench/recipes/*.pgl")
    args = parser.parse_args(argv)
    specs = args.specs or sorted(RECIPES.glob("*.pgl"))
    sys.path.insert(0, str(RECIPES))  # the recipes' Python functions, as validate imports them from beside a spec

    from pipegen.engine.flink import FlinkPlanner

    classes: Counter[str] = Counter()
    rejected = 0
    t0 = time.perf_counter()
    with FlinkPlanner() as planner:
        started = time.perf_counter() - t0
        for spec in specs:
            text = spec.read_text(encoding="utf-8")
            klass = spec_class(text)
            classes[klass] += 1
            result = api.compile_text(text, str(spec))
            errors = [d for d in result.diagnostics if d.code.startswith("E")]
            if errors:
                rejected += 1
                print(f"{spec.name:34} {klass:8} compile errors: {errors[0].code} {errors[0].message}")
                continue
            counts = " + ".join(f"{len(result.statements[t])} {t}" for t in result.targets)
            flink = api.validate_with_flink(result, planner=planner)
            if flink:
                rejected += 1
            verdict = "planned" if not flink else f"REJECTED: {flink[0].message[:300]}"
            print(f"{spec.name:34} {klass:8} {counts:20} {verdict}")
    total = time.perf_counter() - t0
    print(f"\n{len(specs)} specs: " + ", ".join(f"{classes[c]} {c}" for c in CLASSES)
          + f"; {len(specs) - rejected} compiled and planned by Flink, {rejected} not")
    print(f"JVM and table environment {started:.1f} s, everything {total:.1f} s")
    return 1 if rejected else 0


if __name__ == "__main__":
    sys.exit(main())

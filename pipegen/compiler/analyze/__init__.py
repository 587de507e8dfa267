"""Semantic checks, as passes run in order over one spec.

``PASSES`` lists them: names (unique names, valid topics), graph (inputs
exist, no cycles, the dependency order), relations (what each statement
produces: columns and types, updating or append-only, key, event time; the
type checks of every expression), time and changelog (event time where a
stage needs it, append-only inputs, keys and modes), and lint (warnings,
one rule per code). Every problem becomes a diagnostic with a stable code
(``diagnostics.CODES``); the passes go on after an error so one run reports
them all.
"""

from __future__ import annotations

from .. import ir
from ..diagnostics import Diagnostic
from . import lint, names, relations, time_rules
from .model import WINDOW_COLUMNS, Analysis, Col, Ctx, Relation, Run, Scope, suggest

PASSES = (names.names, names.graph, relations.relations, time_rules.time_and_changelog, lint.lint)

__all__ = ["PASSES", "WINDOW_COLUMNS", "Analysis", "Col", "Ctx", "Relation", "Scope", "analyze", "suggest"]


def analyze(spec: ir.Spec, file: str = "<spec>") -> Analysis:
    run = Run(spec, file)
    for check in PASSES:
        check(run)
    run.out.diagnostics.sort(key=Diagnostic.sort_key)
    return run.out

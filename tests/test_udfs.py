"""Functions of the user's own: declared in the pipeline block with their types, registered by the generated SQL
(CREATE TEMPORARY FUNCTION ... LANGUAGE PYTHON|JAVA), typed by the checks, and planned by Flink.

The Python function is tests/data/udfs/pipegen_scoring.py, shipped to Flink's Python workers with
`python.files`, as a user ships theirs (`SET 'python.files' = ...`); Flink's planner asks the PyFlink client
process for its types, so the module must import there too.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pipegen import api

ROOT = Path(__file__).resolve().parent.parent
MODULE = ROOT / "tests" / "data" / "udfs" / "pipegen_scoring.py"
SPEC = """pipeline scoring {
  function risk_score(double, string) returns double python "pipegen_scoring.risk_score"
}

source payments {
  topic "payments"
  fields {
    id       string
    amount   double
    country  string
  }
}

transform scored from payments {
  where risk_score(amount, country) > 100
  select {
    id
    score = risk_score(amount, country)
  }
}

sink scored_out from scored {
  topic "scored"
}
"""


def test_the_function_is_registered_first_and_called_by_name() -> None:
    result = api.compile_text(SPEC, "scoring.pgl", ("local",))
    assert result.ok, result.diagnostics
    first = result.statements["local"][0]
    assert first.phase == "function"
    assert first.sql == ("CREATE TEMPORARY FUNCTION IF NOT EXISTS `risk_score` AS 'pipegen_scoring.risk_score' "
                         "LANGUAGE PYTHON")
    view = next(s.sql for s in result.statements["local"] if s.phase == "view")
    assert "WHERE `risk_score`(`amount`, `country`) > 100" in view


def test_calls_are_typed_by_the_declaration() -> None:
    bad = SPEC.replace("risk_score(amount, country) > 100", "risk_score(country, amount) > 100")
    codes = [(d.code, d.message) for d in api.check(bad, "x.pgl").diagnostics]
    assert ("E201", "risk_score() takes double here, not string") in codes
    wrong = SPEC.replace("score = risk_score(amount, country)", "score = risk_score(amount)")
    assert [d.code for d in api.check(wrong, "x.pgl").diagnostics] == ["E203"]
    text = SPEC.replace("where risk_score(amount, country) > 100", "where risk_score(amount, country) = \"high\"")
    assert [d.code for d in api.check(text, "x.pgl").diagnostics] == ["E201"]  # a double is no string


def test_the_cloud_target_is_left_out_and_says_why() -> None:
    result = api.compile_text(SPEC, "scoring.pgl")
    assert "cloud" not in result.statements
    assert [d.code for d in result.diagnostics] == ["W604"]


def test_flink_plans_the_python_function(flink_jars, monkeypatch) -> None:
    from pipegen.engine.flink import FlinkPlanner

    # Flink's planner asks this process (PyFlink's gateway) for the function's types: the module must import here,
    # as `validate` makes a module beside the spec importable.
    monkeypatch.syspath_prepend(str(MODULE.parent))
    result = api.compile_text(SPEC, "scoring.pgl", ("local",))
    with FlinkPlanner(jars=flink_jars) as planner:
        setup = planner.plan([f"SET 'python.executable' = '{sys.executable}'", f"SET 'python.files' = '{MODULE}'"])
        assert all(r.ok for r in setup), [r.message for r in setup]
        assert [d.message for d in api.validate_with_flink(result, planner=planner)] == []

"""Each invalid spec gives exactly the diagnostics in its .expected file (tools/regen_golden.py writes them)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipegen.compiler.diagnostics import render_all, summary

from pipegen import api

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "tests" / "invalid").glob("*.pgl"))


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_diagnostics_match(case: Path) -> None:
    text = case.read_text(encoding="utf-8")
    result = api.check(text, case.relative_to(ROOT).as_posix())
    got = render_all(result.diagnostics, text) + "\n" + summary(result.diagnostics) + "\n"
    assert got == case.with_suffix(".expected").read_text(encoding="utf-8")
    assert not result.ok


def test_there_are_cases() -> None:
    assert len(CASES) >= 8


def test_every_error_code_has_a_case_or_unit_test() -> None:
    """The fixtures exercise the main families of checks."""
    text = "".join(c.with_suffix(".expected").read_text(encoding="utf-8") for c in CASES)
    for code in ("E001", "E004", "E101", "E102", "E103", "E104", "E105", "E201", "E202", "E204", "E205", "E302",
                 "E304", "E401", "E402", "E403", "E404", "E501", "W602"):
        assert f"[{code}]" in text, code

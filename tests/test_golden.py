"""Every example spec compiles to exactly the files under tests/golden/<spec>/ (tools/regen_golden.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipegen import api
from pipegen.compiler import registry

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.pgl"))


def test_at_least_twelve_examples() -> None:
    assert len(SPECS) >= 12


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_output_matches_golden(spec: Path) -> None:
    text = spec.read_text(encoding="utf-8")
    result = api.compile_text(text, spec.relative_to(ROOT).as_posix())
    assert result.ok, [d.message for d in result.diagnostics]
    assert not result.diagnostics, "example specs compile without warnings"
    folder = ROOT / "tests" / "golden" / spec.stem
    golden = {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8") for p in folder.rglob("*") if p.is_file()}
    assert sorted(result.files) == sorted(golden), "run tools/regen_golden.py and review the diff"
    for rel, text_out in result.files.items():
        assert text_out == golden[rel], f"{rel} differs from tests/golden/{spec.stem}/{rel}"


@pytest.mark.parametrize("spec", SPECS, ids=[s.stem for s in SPECS])
def test_compile_is_deterministic_and_fmt_is_stable(spec: Path) -> None:
    text = spec.read_text(encoding="utf-8")
    a = api.compile_text(text, "x.pgl").files
    b = api.compile_text(text, "x.pgl").files
    assert a == b
    assert api.format_text(api.format_text(text)) == api.format_text(text)
    assert api.parse(api.format_text(text)) == api.parse(text)


def test_statement_kinds_all_used() -> None:
    kinds, windows, joins, modes = set(), set(), set(), set()
    for spec in SPECS:
        ir_spec = api.parse(spec.read_text(encoding="utf-8"))
        for st in ir_spec.statements:
            kinds.add(st.kind)
            if st.kind == "aggregate":
                windows.add(st.window.kind if st.window else "none")
            if st.kind == "join":
                joins.add(st.join_kind)
            if st.kind == "sink":
                modes.add(st.mode or "append")
    assert kinds == {registry.kind_of(c) for c in registry.FAMILIES["statement"]}, "every kind has an example"
    assert windows == {registry.kind_of(c) for c in registry.FAMILIES["window"]} | {"none"}
    assert joins == {"regular", "interval", "temporal"}
    assert modes == {"append", "upsert"}

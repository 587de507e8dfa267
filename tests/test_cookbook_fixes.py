"""Small faults the Flink SQL Cookbook measure found (bench/results/recipes.md), each held by its output."""

from __future__ import annotations

from pathlib import Path

from pipegen import api

ROOT = Path(__file__).resolve().parent.parent


def test_a_window_top_n_partitioned_by_its_window_names_it_once() -> None:
    """The recipe partitions by `window_start, window_end`, which a window top-N has anyway (it rendered
    `PARTITION BY window_start, window_end, window_start, window_end`)."""
    text = (ROOT / "bench" / "recipes" / "20_window_top_n.pgl").read_text(encoding="utf-8")
    text = text.replace("topn top_suppliers from supplier_sales {\n",
                        "topn top_suppliers from supplier_sales {\n  partition by window_start, window_end\n")
    assert "partition by window_start, window_end" in text
    result = api.compile_text(text, "20_window_top_n.pgl")
    views = [body for path, body in result.files.items() if path.startswith("sql/local/0") and "ROW_NUMBER()" in body]
    assert len(views) == 1
    assert "PARTITION BY `window_start`, `window_end` ORDER BY" in views[0], views[0]


def test_the_cloud_hint_for_a_function_of_ones_own_fits_its_language() -> None:
    """A Python function is uploaded to Confluent Cloud as a ZIP artifact, a Java one as a jar."""
    text = (ROOT / "bench" / "recipes" / "30_python_udfs.pgl").read_text(encoding="utf-8")
    hints = {d.hint for d in api.compile_text(text, "30.pgl").diagnostics if d.code == "W604"}
    assert any("Python artifact" in h and "--runtime-language python" in h for h in hints), hints
    assert not any("jar" in h for h in hints), hints
    java = text.replace('python "', 'java "com.acme.')
    hints = {d.hint for d in api.compile_text(java, "30.pgl").diagnostics if d.code == "W604"}
    assert any("upload its jar as a Confluent artifact" in h for h in hints), hints

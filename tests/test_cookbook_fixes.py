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


"""Which upsert sinks resolve conflicts because a filter leaves Flink 2.3 with no upsert key (class AJ,
regression 50): each one Flink refused without ON CONFLICT, and none of the near misses it plans with its key."""

from pathlib import Path

from pipegen import api

CASE = Path(__file__).parent / "regressions" / "50_keys_folded_by_filters.pgl"


def test_sinks_resolve_conflicts_where_the_key_is_folded() -> None:
    result = api.compile_text(CASE.read_text(encoding="utf-8"), CASE.name, ("local",))
    assert result.ok, [d.message for d in result.diagnostics]
    insert = next(s.sql for s in result.statements["local"] if "INSERT INTO" in s.sql)
    resolving = {part.split("`")[1] for part in insert.split("INSERT INTO ")[1:] if "ON CONFLICT" in part}
    assert resolving == {"no_year_out", "one_sku_out", "listed_sku_out", "between_sku_out", "having_sku_out",
                         "after_filter_out", "again_out", "never_units_out", "null_units_out", "never_total_out",
                         "never_stock_out"}

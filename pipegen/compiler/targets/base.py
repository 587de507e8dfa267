"""What every target shares: turning a checked spec into an ordered list of statements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import ir
from ..analyze import Analysis, Relation
from ..dialect import ident, lit
from ..lower import Lowering, interval


@dataclass(frozen=True)
class Statement:
    """One generated SQL statement, where it goes, and which spec statement it came from."""

    file: str  # file name under sql/<target>/
    phase: str  # function | source | view | sink | insert (a table's ALTER TABLEs are of its phase)
    sql: str
    origin: str  # name of the spec statement
    line: int | None  # spec line of that statement


@dataclass(frozen=True)
class Settings:
    """Connection settings of a target, read from config/<target>.yaml."""

    values: dict[str, str]

    def get(self, key: str) -> str:
        return self.values[key]


class Target:
    """A compile target: subclasses say how tables are declared and named.

    ``planning``: declare the tables for planning in open-source Flink (``pipegen validate --engine flink``) with
    connectors and formats it has, instead of the ones the target deploys with; nothing else changes (the views
    and inserts are the same, byte for byte). Each target says what it swaps.
    """

    name = "base"
    view_keyword = "CREATE TEMPORARY VIEW"

    def __init__(self, analysis: Analysis, settings: Settings, *, planning: bool = False):
        self.a = analysis
        self.settings = settings
        self.planning = planning
        self.lowering = Lowering(analysis, self.table)

    @classmethod
    def unavailable(cls, spec: ir.Spec) -> list[tuple[ir.Span | None, str, str]]:
        """What of ``spec`` this target has no equivalent for: (where, what, how to write it so that it runs
        there)."""
        return []

    def table(self, name: str) -> str:
        return ident(name)

    def options(self, pairs: list[tuple[str, str]], st: ir.Source | ir.Sink | None = None) -> str:
        """The WITH options: the target's, then the spec's `options` block (which overrides one of the same key)."""
        merged = dict(pairs)
        for o in st.options if st is not None else ():
            # Planning swaps the registry formats for JSON: their own options would not fit it.
            if not (self.planning and ("avro-confluent" in o.key or "-registry" in o.key)):
                merged[o.key] = o.value
        return ",\n".join(f"  {lit(k)} = {lit(v)}" for k, v in merged.items())

    def columns(self, rel: Relation, *, sink: bool) -> list[str]:
        keys = set(self.key_of(rel))
        out = []
        for c in rel.columns:
            # Sink columns are nullable (what Flink infers may be), except key columns.
            not_null = (not sink) or c.name in keys
            t = c.type if not sink else c.type.with_null(c.name not in keys)
            out.append(f"  {ident(c.name)} {t.sql(ident, not_null=not_null)}")
        return out

    def key_of(self, rel: Relation) -> tuple[str, ...]:
        st = rel.statement
        if isinstance(st, (ir.Source, ir.Sink)) and st.mode == "upsert":
            return st.key
        return ()

    def table_body(self, st: ir.Source | ir.Sink, rel: Relation) -> str:
        """The column list of a table: columns, the watermark of a source, the primary key of an upsert topic."""
        cols = self.columns(rel, sink=isinstance(st, ir.Sink))
        if isinstance(st, ir.Source) and rel.proc_time is not None:
            cols = [c for c in cols if not c.startswith(f"  {ident(rel.proc_time)} ")]
            cols.append(f"  {ident(rel.proc_time)} AS PROCTIME()")
        if isinstance(st, ir.Source) and st.event_time and st.watermark is not None:
            et = ident(st.event_time)
            cols.append(f"  WATERMARK FOR {et} AS {et} - {interval(st.watermark)}")
        if st.mode == "upsert" or (st.format == "debezium_json" and st.key):
            cols.append(f"  PRIMARY KEY ({', '.join(ident(k) for k in st.key)}) NOT ENFORCED")
        return ",\n".join(cols)

    def ddl(self, st: ir.Source | ir.Sink, rel: Relation) -> str:  # pragma: no cover - abstract
        """The CREATE TABLE of a source or a sink on this target."""
        raise NotImplementedError

    def source_ddl(self, st: ir.Source, rel: Relation) -> str:
        return self.ddl(st, rel)

    def sink_ddl(self, st: ir.Sink, rel: Relation) -> str:
        return self.ddl(st, rel)

    def function_ddl(self, f: ir.Udf) -> str:
        """The statement that registers a function of the user's own."""
        return (f"CREATE TEMPORARY FUNCTION IF NOT EXISTS {ident(f.name)} AS {lit(f.implementation)} "
                f"LANGUAGE {f.language.upper()}")

    def after_table(self, st: ir.Source | ir.Sink, rel: Relation) -> list[tuple[str, str]]:
        """Statements that follow the CREATE TABLE of ``st`` on this target: (file stem, SQL)."""
        return []

    def preamble(self) -> list[str]:
        """SET statements at the top of pipeline.sql."""
        return []

    @classmethod
    def pipeline_sql(cls, spec: ir.Spec, statements: list[Statement], preamble: list[str]) -> str:
        """sql/<target>/pipeline.sql: every statement in order, after the SET lines."""
        lines = ["-- Generated by PipeGen. Run with: sql-client.sh -f pipeline.sql", ""]
        lines += [f"{p};" for p in preamble]
        if preamble:
            lines.append("")
        for s in statements:
            lines += [f"-- {s.file}", s.sql + ";", ""]
        return "\n".join(lines)

    def statements(self) -> list[Statement]:
        """Every statement, in the order of the product doc: sources, views, sinks, inserts."""
        a = self.a
        order = [a.spec.statement(n) for n in a.order]
        sources = [s for s in order if isinstance(s, ir.Source)]
        stages = [s for s in order if not isinstance(s, (ir.Source, ir.Sink))]
        sinks = [s for s in order if isinstance(s, ir.Sink)]
        out: list[tuple[str, str, str, Any]] = []
        for f in a.spec.pipeline.functions:
            out.append((f"create_function_{f.name}", "function", self.function_ddl(f), a.spec.pipeline))
        for s in sources:
            out.append((f"create_source_{s.name}", "source", self.source_ddl(s, a.relations[s.name]), s))
            out += [(stem, "source", sql, s) for stem, sql in self.after_table(s, a.relations[s.name])]
        for s in stages:
            query = self.lowering.query(s)
            out.append((f"create_view_{s.name}", "view", f"{self.view_keyword} {self.table(s.name)} AS\n{query}", s))
        for s in sinks:
            out.append((f"create_sink_{s.name}", "sink", self.sink_ddl(s, a.relations[s.name]), s))
            out += [(stem, "sink", sql, s) for stem, sql in self.after_table(s, a.relations[s.name])]
        inserts = [self.lowering.insert(s) for s in sinks]
        if len(inserts) == 1:
            out.append((f"insert_{sinks[0].name}", "insert", inserts[0], sinks[0]))
        elif inserts:
            body = "".join(f"{i};\n" for i in inserts)
            out.append(("insert_statement_set", "insert", f"EXECUTE STATEMENT SET\nBEGIN\n{body}END", sinks[0]))
        width = max(2, len(str(len(out))))
        return [
            Statement(f"{i:0{width}d}_{stem}.sql", phase, sql, st.name, st.span.line if st.span else None)
            for i, (stem, phase, sql, st) in enumerate(out, start=1)
        ]

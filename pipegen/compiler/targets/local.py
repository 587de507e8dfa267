"""The local target: Kafka tables with the `kafka` / `upsert-kafka` connectors and Confluent Avro; a jdbc
table with the `jdbc` connector (read by lookup, with a partial cache), files with the `filesystem` one, and
`datagen` rows for quick tries.

For planning (``planning=True``) an Avro topic is declared as a JSON one: open-source Flink has no
`avro-confluent` format. The format decides neither the columns nor the time attributes, and the two options
of one take the lines of the other, so Flink's line numbers stay those of the file.
"""

from __future__ import annotations

from .. import ir
from ..analyze import Relation
from ..dialect import ident, lit
from .base import Settings, Target

DEFAULTS = {
    "bootstrap_servers": "kafka:29092",
    "schema_registry_url": "http://schema-registry:8081",
}


def pipeline_settings(p: ir.Pipeline) -> list[tuple[str, str]]:
    """Flink's settings for the spec's pipeline block: the SET lines of pipeline.sql, a SQL Gateway session's
    properties (``pipegen deploy --sql-gateway``) and the Kubernetes manifest's ``flinkConfiguration``."""
    sets = [("pipeline.name", p.name)]
    if p.parallelism is not None:
        sets.append(("parallelism.default", str(p.parallelism)))
    if p.checkpoint is not None:
        sets.append(("execution.checkpointing.interval", f"{p.checkpoint.millis} ms"))
    if p.state_ttl is not None:
        sets.append(("table.exec.state.ttl", f"{p.state_ttl.millis} ms"))
    return sets


class LocalTarget(Target):
    name = "local"

    def __init__(self, analysis, settings: Settings | None = None, *, planning: bool = False):
        super().__init__(analysis, settings or Settings(dict(DEFAULTS)), planning=planning)

    def _format(self, prefix: str, fmt: str) -> list[tuple[str, str]]:
        if fmt == "debezium_json":
            return [(f"{prefix}format", "debezium-json"),
                    (f"{prefix}debezium-json.timestamp-format.standard", "ISO-8601")]
        if fmt == "csv":
            return [(f"{prefix}format", "csv")]
        if fmt == "avro" and not self.planning:
            return [(f"{prefix}format", "avro-confluent"),
                    (f"{prefix}avro-confluent.url", self.settings.get("schema_registry_url"))]
        return [(f"{prefix}format", "json"), (f"{prefix}json.timestamp-format.standard", "ISO-8601")]

    def kafka_options(self, st: ir.Source | ir.Sink, source: bool) -> list[tuple[str, str]]:
        fmt = st.format or "avro"
        upsert = st.mode == "upsert"
        opts = [("connector", "upsert-kafka" if upsert else "kafka"), ("topic", st.topic),
                ("properties.bootstrap.servers", self.settings.get("bootstrap_servers"))]
        if source:
            opts.append(("properties.group.id", f"pipegen-{self.a.spec.pipeline.name}"))
            if not upsert:
                opts.append(("scan.startup.mode", "earliest-offset"))
        if st.key:
            opts += self._format("key.", "json" if fmt == "debezium_json" else fmt)
            if not upsert:
                opts.append(("key.fields", ";".join(st.key)))
        opts += self._format("value.", fmt)
        return opts

    def connector_options(self, st: ir.Source | ir.Sink) -> list[tuple[str, str]]:
        """The WITH options of a table, by its origin."""
        source = isinstance(st, ir.Source)
        if st.topic is not None:
            return self.kafka_options(st, source)
        if st.files is not None:
            opts = [("connector", "filesystem"), ("path", st.files)] + self._format("", st.format or "json")
            # A source keeps reading the folder: new files are picked up every 10 seconds.
            return opts + ([("source.monitor-interval", "10 s")] if source else [])
        assert isinstance(st, ir.Source)
        if st.jdbc is not None:
            return [("connector", "jdbc"), ("url", st.jdbc.url), ("table-name", st.jdbc.table),
                    ("lookup.cache", "PARTIAL"), ("lookup.partial-cache.max-rows", "10000"),
                    ("lookup.partial-cache.expire-after-write", "1 min")]
        rate = st.generate.rate if st.generate is not None and st.generate.rate else 10
        opts = [("connector", "datagen"), ("rows-per-second", str(rate))]
        for h in st.generate.hints if st.generate is not None else ():
            if isinstance(h, ir.RangeHint):
                opts += [(f"fields.{h.field}.min", h.low), (f"fields.{h.field}.max", h.high)]
        return opts

    def ddl(self, st: ir.Source | ir.Sink, rel: Relation) -> str:
        options = self.options(self.connector_options(st), st)
        parts = ""
        if isinstance(st, ir.Sink) and st.partitioned_by:
            parts = f"\nPARTITIONED BY ({', '.join(ident(c) for c in st.partitioned_by)})"
        return f"CREATE TABLE {self.table(st.name)} (\n{self.table_body(st, rel)}\n){parts} WITH (\n{options}\n)"

    def preamble(self) -> list[str]:
        sets = pipeline_settings(self.a.spec.pipeline)
        return [f"SET {lit(k)} = {lit(v)}" for k, v in sets]

"""The local target: Kafka tables with the `kafka` / `upsert-kafka` connectors and Confluent Avro.

For planning (``planning=True``) an Avro topic is declared as a JSON one: open-source Flink has no
`avro-confluent` format. The format decides neither the columns nor the time attributes, and the two options
of one take the lines of the other, so Flink's line numbers stay those of the file.
"""

from __future__ import annotations

from .. import ir
from ..analyze import Relation
from ..dialect import lit
from .base import Settings, Target

DEFAULTS = {
    "bootstrap_servers": "kafka:29092",
    "schema_registry_url": "http://schema-registry:8081",
}


class LocalTarget(Target):
    name = "local"

    def __init__(self, analysis, settings: Settings | None = None, *, planning: bool = False):
        super().__init__(analysis, settings or Settings(dict(DEFAULTS)), planning=planning)

    def _format(self, prefix: str, fmt: str) -> list[tuple[str, str]]:
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
            opts += self._format("key.", fmt)
            if not upsert:
                opts.append(("key.fields", ";".join(st.key)))
        opts += self._format("value.", fmt)
        return opts

    def ddl(self, st: ir.Source | ir.Sink, rel: Relation) -> str:
        options = self.options(self.kafka_options(st, isinstance(st, ir.Source)))
        return f"CREATE TABLE {self.table(st.name)} (\n{self.table_body(st, rel)}\n) WITH (\n{options}\n)"

    def preamble(self) -> list[str]:
        p = self.a.spec.pipeline
        sets = [("pipeline.name", p.name)]
        if p.parallelism is not None:
            sets.append(("parallelism.default", str(p.parallelism)))
        if p.checkpoint is not None:
            sets.append(("execution.checkpointing.interval", f"{p.checkpoint.millis} ms"))
        if p.state_ttl is not None:
            sets.append(("table.exec.state.ttl", f"{p.state_ttl.millis} ms"))
        return [f"SET {lit(k)} = {lit(v)}" for k, v in sets]

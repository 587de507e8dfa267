"""Confluent Cloud for Apache Flink: tables are topics, declared without connector options.

A table is named after its topic. Formats are `avro-registry` / `json-registry`;
keyed tables are `DISTRIBUTED BY HASH(key)`; the changelog mode says whether
a topic is append-only or upsert. A source without an event_time relies on
Confluent's `$rowtime` (the Kafka record timestamp, with its default watermark).
"""

from __future__ import annotations

from .. import ir
from ..analyze import Relation
from ..dialect import ident
from .base import Settings, Target

DEFAULT_BUCKETS = 6


class CloudTarget(Target):
    name = "cloud"
    view_keyword = "CREATE VIEW"

    def __init__(self, analysis, settings: Settings | None = None, *, planning: bool = False):
        super().__init__(analysis, settings or Settings({}), planning=planning)
        self.topics = {s.name: s.topic for s in analysis.spec.statements if isinstance(s, (ir.Source, ir.Sink))}

    def table(self, name: str) -> str:
        return ident(self.topics.get(name, name))

    def ddl(self, st: ir.Source | ir.Sink, rel: Relation) -> str:
        dist = ""
        if st.key:
            dist = f"\nDISTRIBUTED BY HASH({', '.join(ident(k) for k in st.key)}) INTO {DEFAULT_BUCKETS} BUCKETS"
        fmt = "avro-registry" if (st.format or "avro") == "avro" else "json-registry"
        opts = [("changelog.mode", "upsert" if st.mode == "upsert" else "append")]
        if st.key:
            opts.append(("key.format", fmt))
        opts.append(("value.format", fmt))
        return (f"CREATE TABLE IF NOT EXISTS {self.table(st.name)} (\n{self.table_body(st, rel)}\n){dist}\n"
                f"WITH (\n{self.options(opts)}\n)")

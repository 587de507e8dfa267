"""Confluent Cloud for Apache Flink: tables are topics, declared without connector options.

A table is named after its topic. Formats are `avro-registry` / `json-registry`;
keyed tables are `DISTRIBUTED BY HASH(key)`; the changelog mode says whether
a topic is append-only or upsert. A source without an event_time relies on
Confluent's `$rowtime` (the Kafka record timestamp, with its default watermark).

For planning in open-source Flink (``planning=True``) each table is declared as the Kafka topic it is, with the
open-source connector of the same changelog (`kafka` for an append topic, `upsert-kafka` for an upsert one) and
JSON, as the local target plans its own; a sink is declared without its `DISTRIBUTED BY`, which no open-source
sink takes (Flink 2.3: "doesn't implement the SupportsBucketing interface"). The columns, watermarks and keys
stay as they are, on the same lines.
"""

from __future__ import annotations

from .. import ir
from ..analyze import Relation
from ..dialect import ident
from .base import Settings, Target
from .local import LocalTarget

DEFAULT_BUCKETS = 6


class CloudTarget(Target):
    name = "cloud"
    view_keyword = "CREATE VIEW"

    def __init__(self, analysis, settings: Settings | None = None, *, planning: bool = False):
        super().__init__(analysis, settings or Settings({}), planning=planning)
        statements = analysis.spec.statements
        self.topics = {s.name: s.topic for s in statements if isinstance(s, (ir.Source, ir.Sink))}
        # A table is its topic; a view whose name is also a topic would be the same object in the catalog (and
        # CREATE TABLE IF NOT EXISTS would then skip the table), so such a view takes a name of its own.
        taken = set(self.topics.values()) | {s.name for s in statements}
        self.views: dict[str, str] = {}
        for s in statements:
            if s.name not in self.topics and s.name in self.topics.values():
                view, n = f"{s.name}_view", 2
                while view in taken:
                    view, n = f"{s.name}_view{n}", n + 1
                taken.add(view)
                self.views[s.name] = view

    @classmethod
    def unavailable(cls, spec: ir.Spec) -> list[tuple[ir.Span | None, str, str]]:
        # Confluent Cloud's tables are its topics, their time the record's `$rowtime` or a declared event time;
        # it documents no processing-time attribute (PROCTIME()) for them.
        out = [(st.pos("processing_time"), f"Confluent Cloud has no processing time (`processing_time "
                f"{st.processing_time}` in source `{st.name}`)", "use event time instead")
               for st in spec.statements if isinstance(st, ir.Source) and st.processing_time is not None]
        # It registers a function from an uploaded artifact (CREATE FUNCTION ... USING JAR 'confluent-artifact://...'),
        # which PipeGen cannot name for you: a JAR for Java, a ZIP of the package and its dependencies for Python
        # (docs.confluent.io, "User-defined Functions in Confluent Cloud for Apache Flink"; Python is early access
        # there, scalar functions only).
        how = {"java": "upload its jar as a Confluent artifact",
               "python": "zip its module with its dependencies and upload it as a Python artifact (`confluent flink "
                         "artifact create --runtime-language python`; early access, scalar functions)"}
        out += [(f.span, f"Confluent Cloud registers function `{f.name}` from an artifact you upload",
                 f"{how[f.language]}, register it there with CREATE FUNCTION, then call it by name")
                for f in spec.pipeline.functions]
        # Its tables are Kafka topics: a jdbc table, files or datagen rows have no table there.
        for st in spec.statements:
            if isinstance(st, (ir.Source, ir.Sink)) and st.topic is None:
                what = "files" if st.files is not None else "jdbc" if getattr(st, "jdbc", None) else "datagen"
                out.append((st.pos(what), f"Confluent Cloud's tables are Kafka topics, not {what} (`{st.name}`)",
                            "read and write Kafka topics instead"))
        return out

    def table(self, name: str) -> str:
        return ident(self.topics.get(name) or self.views.get(name, name))

    def ddl(self, st: ir.Source | ir.Sink, rel: Relation) -> str:
        dist = ""
        if st.key and not (self.planning and isinstance(st, ir.Sink)):
            dist = f"\nDISTRIBUTED BY HASH({', '.join(ident(k) for k in st.key)}) INTO {DEFAULT_BUCKETS} BUCKETS"
        fmt = {"avro": "avro-registry", "json": "json-registry", "debezium_json": "json-debezium-registry"}[
            st.format or "avro"]
        mode = "upsert" if st.mode == "upsert" else "retract" if st.format == "debezium_json" else "append"
        opts = [("changelog.mode", mode)]
        if st.key:
            opts.append(("key.format", "json-registry" if st.format == "debezium_json" else fmt))
        opts.append(("value.format", fmt))
        if self.planning:
            opts = LocalTarget(self.a, planning=True).kafka_options(st, isinstance(st, ir.Source))
        return (f"CREATE TABLE IF NOT EXISTS {self.table(st.name)} (\n{self.table_body(st, rel)}\n){dist}\n"
                f"WITH (\n{self.options(opts, st)}\n)")

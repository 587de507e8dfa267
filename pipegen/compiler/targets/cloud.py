"""Confluent Cloud for Apache Flink: tables are topics, declared without connector options.

A table is named after its topic. Formats are `avro-registry` / `json-registry`;
keyed tables are `DISTRIBUTED BY HASH(key)` with `'value.fields-include' = 'all'` (Confluent's default,
`except-key`, would leave the key columns out of the values that `schemas/*-value.avsc` and the local target
have). The changelog mode says whether a topic is append-only or upsert. A source without an event_time relies
on Confluent's `$rowtime` (the Kafka record timestamp, with its default watermark).

A topic that exists already is a table there already (Confluent maps it from its registered schemas), so
`CREATE TABLE IF NOT EXISTS` does nothing for it; each table's CREATE is therefore followed by what Confluent's
ALTER TABLE can change on an existing one: its watermark (`MODIFY WATERMARK FOR`) and its options (`SET`:
changelog mode, `value.fields-include`). Its columns come from the topic's schema; pipeline.sql says what the
project expects of them. Views are named `<pipeline>_<stage>` (views of every project share the database, the
Kafka cluster) and created `IF NOT EXISTS`, so that a second deploy of the same project succeeds; deploy drops a
view whose definition changed first.

For planning in open-source Flink (``planning=True``) each table is declared as the Kafka topic it is, with the
open-source connector of the same changelog (`kafka` for an append topic, `upsert-kafka` for an upsert one) and
JSON, as the local target plans its own; a sink is declared without its `DISTRIBUTED BY`, which no open-source
sink takes (Flink 2.3: "doesn't implement the SupportsBucketing interface"). An `ALTER TABLE ... SET` then sets
the table's `topic` (to what it is) instead of Confluent's options, which those connectors do not take. The
columns, watermarks and keys stay as they are, on the same lines.
"""

from __future__ import annotations

import hashlib
import re

from .. import ir
from ..analyze import Relation
from ..dialect import ident, lit
from ..lower import interval
from .base import Settings, Statement, Target
from .local import LocalTarget

DEFAULT_BUCKETS = 6
# Confluent's statement names: lowercase letters, digits and '-' ('.' between parts), unique in the environment.
STATEMENT_NAME_MAX = 63


def statement_name(pipeline: str, file: str) -> str:
    """The name of the statement of ``sql/cloud/<file>`` on Confluent Cloud: ``pipegen-<pipeline>-<file stem>``
    without the file's number (a stage added to the spec renumbers the files, not the statements), so that a
    second deploy finds the statements of the first, and two projects never share one. A name too long keeps
    its start and ends with a hash of the whole."""
    stem = re.sub(r"^\d+_", "", file.removesuffix(".sql"))
    name = re.sub(r"[^a-z0-9]+", "-", f"pipegen-{pipeline}-{stem}".lower()).strip("-")
    if len(name) > STATEMENT_NAME_MAX:
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        name = name[: STATEMENT_NAME_MAX - 9].rstrip("-") + "-" + digest
    return name


class CloudTarget(Target):
    name = "cloud"
    view_keyword = "CREATE VIEW IF NOT EXISTS"

    def __init__(self, analysis, settings: Settings | None = None, *, planning: bool = False):
        super().__init__(analysis, settings or Settings({}), planning=planning)
        statements = analysis.spec.statements
        self.topics = {s.name: s.topic for s in statements if isinstance(s, (ir.Source, ir.Sink))}
        # A table is its topic; a view is <pipeline>_<stage>, and takes a name of its own where that is also a
        # topic (they would be one object in the catalog, and CREATE TABLE IF NOT EXISTS would skip the table).
        prefix = analysis.spec.pipeline.name
        taken = set(self.topics.values()) | {s.name for s in statements}
        self.views: dict[str, str] = {}
        for s in statements:
            if s.name not in self.topics:
                view, n = f"{prefix}_{s.name}", 2
                while view in taken:
                    view, n = f"{prefix}_{s.name}_view{n}", n + 1
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

    def columns(self, rel: Relation, *, sink: bool) -> list[str]:
        # An instant (schemas/ says timestamp-millis) is TIMESTAMP_LTZ there: Confluent registers TIMESTAMP(3) as
        # Avro local-timestamp-millis, and maps timestamp-millis to TIMESTAMP_LTZ(3) on a topic it infers.
        return [c.replace(" TIMESTAMP(", " TIMESTAMP_LTZ(") for c in super().columns(rel, sink=sink)]

    def changelog_mode(self, st: ir.Source | ir.Sink) -> str:
        return "upsert" if st.mode == "upsert" else "retract" if st.format == "debezium_json" else "append"

    def table_options(self, st: ir.Source | ir.Sink) -> list[tuple[str, str]]:
        """What ALTER TABLE ... SET gives an existing topic's table: its changelog mode, and the key columns in
        the value as `schemas/` has them."""
        opts = [("changelog.mode", self.changelog_mode(st))]
        if st.key:
            opts.append(("value.fields-include", "all"))
        return opts

    def ddl(self, st: ir.Source | ir.Sink, rel: Relation) -> str:
        dist = ""
        if st.key and not (self.planning and isinstance(st, ir.Sink)):
            dist = f"\nDISTRIBUTED BY HASH({', '.join(ident(k) for k in st.key)}) INTO {DEFAULT_BUCKETS} BUCKETS"
        fmt = {"avro": "avro-registry", "json": "json-registry", "debezium_json": "json-debezium-registry"}[
            st.format or "avro"]
        opts = self.table_options(st)[:1]
        if st.key:
            opts.append(("key.format", "json-registry" if st.format == "debezium_json" else fmt))
        opts.append(("value.format", fmt))
        opts += self.table_options(st)[1:]
        if self.planning:
            opts = LocalTarget(self.a, planning=True).kafka_options(st, isinstance(st, ir.Source))
        return (f"CREATE TABLE IF NOT EXISTS {self.table(st.name)} (\n{self.table_body(st, rel)}\n){dist}\n"
                f"WITH (\n{self.options(opts, st)}\n)")

    def after_table(self, st: ir.Source | ir.Sink, rel: Relation) -> list[tuple[str, str]]:
        kind = "source" if isinstance(st, ir.Source) else "sink"
        table = self.table(st.name)
        out = []
        if isinstance(st, ir.Source) and st.event_time and st.watermark is not None:
            et = ident(st.event_time)
            out.append((f"alter_{kind}_{st.name}_watermark",
                        f"ALTER TABLE {table} MODIFY WATERMARK FOR {et} AS {et} - {interval(st.watermark)}"))
        opts = [("topic", st.topic)] if self.planning else self.table_options(st)
        out.append((f"alter_{kind}_{st.name}_options",
                    f"ALTER TABLE {table} SET ({', '.join(f'{lit(k)} = {lit(v)}' for k, v in opts)})"))
        return out

    def drop_of(self, st: Statement) -> str | None:
        """How to remove what ``st`` made, where a second CREATE ... IF NOT EXISTS would keep an old one: a view."""
        if st.phase != "view":
            return None
        return f"DROP VIEW IF EXISTS {self.table(st.origin)}"

    def properties(self) -> dict[str, str]:
        """The statement properties (pipeline.sql's SET lines): the session time zone, UTC, in which a
        TIMESTAMP_LTZ column and a TIMESTAMP (a window's start, now(), a copy of an event time) convert into each
        other unchanged; and what Confluent has an equivalent for: the state TTL. Parallelism and checkpoints
        have none there (Confluent scales a statement within its compute pool and checkpoints it itself)."""
        p = self.a.spec.pipeline
        out = {"sql.local-time-zone": "UTC"}
        if p.state_ttl is not None:
            out["sql.state-ttl"] = f"{p.state_ttl.millis} ms"
        return out

    def preamble(self) -> list[str]:
        return [f"SET {lit(k)} = {lit(v)}" for k, v in self.properties().items()]

    # pipeline.sql's comments: fixed text, never the user's (names reach SQL only as quoted identifiers), and no
    # quote in them.
    NOTES = {
        "head": ("-- Generated by PipeGen for Confluent Cloud for Apache Flink, which runs one statement at a time:",
                 "--   pipegen deploy . --target cloud     (the statements API, in this order, each waited for)",
                 "-- or each file by hand, with the name given below:",
                 "--   confluent flink statement create NAME --sql SQL --compute-pool POOL --database CLUSTER",
                 "-- or pasted into a Cloud Console workspace or `confluent flink shell` (SET, then the statement).",
                 "-- A topic that exists already keeps the columns of its registered schemas (schemas/ has what "
                 "this project expects);",
                 "-- the ALTER TABLE statements give its table the watermark and options of this project."),
        "parallelism": ("-- parallelism: no equivalent there (Confluent scales each statement within its compute "
                        "pool, within its CFU limit).",),
        "checkpoint": ("-- checkpoint: no equivalent there (Confluent checkpoints statements itself).",),
        "upsert": ("-- An upsert topic that existed before needs its key too: ALTER TABLE <topic> ADD PRIMARY KEY "
                   "(<key>) NOT ENFORCED;",),
    }

    @classmethod
    def pipeline_sql(cls, spec: ir.Spec, statements: list[Statement], preamble: list[str]) -> str:
        p = spec.pipeline
        lines = list(cls.NOTES["head"])
        if p.parallelism is not None:
            lines += cls.NOTES["parallelism"]
        if p.checkpoint is not None:
            lines += cls.NOTES["checkpoint"]
        if any(isinstance(s, ir.Source) and s.topic and s.mode == "upsert" for s in spec.statements):
            lines += cls.NOTES["upsert"]
        lines.append("")
        lines += [f"{x};" for x in preamble]
        if preamble:
            lines.append("")
        for s in statements:
            lines += [f"-- {s.file}", f"SET 'client.statement-name' = {lit(statement_name(p.name, s.file))};",
                      s.sql + ";", ""]
        return "\n".join(lines)

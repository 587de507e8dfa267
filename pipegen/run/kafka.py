"""A run on the user's own Kafka (``pipegen run --bootstrap-servers HOST:PORT [--schema-registry URL]``)
instead of the embedded broker: the spec's topics, keys and formats on that cluster.

- **Where**: the flags, else the project's ``config/local.yaml`` (``--bootstrap-servers`` alone): its
  ``kafka.host_bootstrap_servers`` and ``schema_registry.host_url`` (the addresses this machine reaches; the
  generated stack's ``bootstrap_servers`` and ``url`` are the ones inside its containers), else those.
  ``kafka.partitions`` and ``kafka.replication_factor`` there (default 1, and the broker's default) shape the
  topics a run creates.
- **Checked first**, before anything is created or started: the broker answers; an Avro topic has a registry,
  and a Flink with the ``avro-confluent`` format (its jar on the jar path; none can be had here, so this run
  then stops with one line saying so).
- **Topics** are created when missing and never deleted, unless ``--recreate-topics`` (the spec's topics only).
  A topic's messages from before the run are not read: Flink's sources start at the offsets the topics had
  when the run began (``scan.startup.mode = specific-offsets``), and so does the reader of the sinks.
- **Values**: JSON where the spec says JSON (as the embedded run); Avro in Confluent's wire format (magic byte
  0, the 4-byte schema id, Avro's binary body), the sources' schemas (``schemas/<source>-value.avsc`` and
  ``-key.avsc``) registered under ``<topic>-value`` and ``<topic>-key``; Flink's ``avro-confluent`` format
  registers the sinks' own. The sinks' Avro rows are decoded by the schema their id names.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import decimal
import io
import json
import re
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from pipegen.compiler import ir
from pipegen.run.client_config import NONE, ClientConfig
from pipegen.run.errors import RunError
from pipegen.run.plan import sinks, sources
from pipegen.run.registry import Registry, frame, unframe

FROM_CONFIG = "config"  # ``--bootstrap-servers`` alone: config/local.yaml's address
TIMEOUT = 8.0  # seconds for the cluster to answer a metadata request
AVRO_FACTORY = "org/apache/flink/formats/avro/registry/confluent/RegistryAvroFormatFactory.class"
ADDRESS_HINT = ("start it, or give its address: --bootstrap-servers HOST:PORT (or kafka.host_bootstrap_servers in "
                "config/local.yaml)")


@dataclass(frozen=True)
class UserKafka:
    bootstrap: str
    registry_url: str | None = None
    recreate: bool = False
    partitions: int = 1
    replication: int = -1  # the broker's default
    client: ClientConfig = NONE  # --kafka-config: TLS and SASL settings

    def describe(self, spec: ir.Spec) -> list[str]:
        registry = f"; Schema Registry {self.registry_url}" if self.registry_url and avro_tables(spec) else ""
        topics = "the spec's topics recreated" if self.recreate else "topics created when missing, never deleted"
        return [f"broker: your Kafka at {self.bootstrap}{self.client.describe()}{registry} ({topics})"]

    def conf(self, **more: Any) -> dict[str, Any]:
        """A confluent-kafka client's settings for this cluster."""
        return {"bootstrap.servers": self.bootstrap, "log_level": 0, **self.client.librdkafka, **more}


# ------------------------------------------------------------------------------------------- settings
def resolve(project: Path, bootstrap: str | None, registry: str | None, recreate: bool,
            kafka_config: str | None = None) -> UserKafka | None:
    """The user's Kafka of a run, or None for the embedded broker."""
    if bootstrap is None:
        if registry is not None or recreate or kafka_config is not None:
            flag = ("--schema-registry" if registry is not None else
                    "--recreate-topics" if recreate else "--kafka-config")
            raise RunError(f"{flag} is for a run on your own Kafka",
                           "add --bootstrap-servers HOST:PORT (alone: the address in config/local.yaml)")
        return None
    conf = _local_yaml(project)
    kafka = _section(conf, "kafka")
    reg = _section(conf, "schema_registry")
    source = "--bootstrap-servers"
    if bootstrap.strip() in ("", FROM_CONFIG):
        bootstrap = str(kafka.get("host_bootstrap_servers") or kafka.get("bootstrap_servers") or "")
        source = f"kafka.host_bootstrap_servers in {project / 'config' / 'local.yaml'}"
        if not bootstrap:
            raise RunError(f"no Kafka address in {project / 'config' / 'local.yaml'}",
                           "give it: --bootstrap-servers HOST:PORT")
    for part in bootstrap.split(","):
        if not re.fullmatch(r"\[?[\w.\-:]+\]?:\d{1,5}", part.strip()):
            raise RunError(f"{source} {bootstrap!r} is not HOST:PORT[,HOST:PORT...]",
                           "give the brokers' addresses, e.g. --bootstrap-servers localhost:9092")
    url = registry or reg.get("host_url") or reg.get("url")
    try:
        partitions = int(kafka.get("partitions", 1))
        replication = int(kafka.get("replication_factor", -1))
    except (TypeError, ValueError):
        raise RunError(f"kafka.partitions and kafka.replication_factor in {project / 'config' / 'local.yaml'} "
                       "must be whole numbers", "fix them, or remove them for 1 partition and the broker's "
                       "replication default") from None
    from pipegen.run import client_config

    return UserKafka(bootstrap.replace(" ", ""), str(url) if url else None, recreate, max(partitions, 1),
                     replication, client_config.load(kafka_config))


def _local_yaml(project: Path) -> dict[str, Any]:
    path = project / "config" / "local.yaml"
    if not path.is_file():
        return {}
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise RunError(f"cannot read {path}: {str(e).splitlines()[0]}",
                       "fix the file, or give the addresses as flags (--bootstrap-servers, --schema-registry)"
                       ) from None
    return data if isinstance(data, dict) else {}


def _section(conf: dict[str, Any], name: str) -> dict[str, Any]:
    got = conf.get(name)
    return got if isinstance(got, dict) else {}


# ------------------------------------------------------------------------------------------- checks
def topics(spec: ir.Spec) -> list[str]:
    return sorted({s.topic for s in sources(spec) if s.topic} | {k.topic for k in sinks(spec) if k.topic})


def avro_tables(spec: ir.Spec) -> list[ir.Source | ir.Sink]:
    """The sources and sinks whose topic carries Avro (a topic's format defaults to Avro)."""
    return [t for t in [*sources(spec), *sinks(spec)] if t.topic and (t.format or "avro") == "avro"]


def has_avro_format(jars: list[str]) -> bool:
    """Whether a jar on Flink's jar path holds the ``avro-confluent`` format (flink-sql-avro-confluent-registry)."""
    for jar in jars:
        try:
            with zipfile.ZipFile(jar) as z:
                if AVRO_FACTORY in z.namelist():
                    return True
        except (OSError, zipfile.BadZipFile):
            continue
    return False


def check(user: UserKafka, spec: ir.Spec, jars: list[str]) -> None:
    """Everything that can refuse the run before anything is created: the cluster answers, and an Avro topic
    has a registry that answers and a Flink that reads the format."""
    reachable(user)
    avro = avro_tables(spec)
    if not avro:
        return
    names = ", ".join(f"{'source' if isinstance(t, ir.Source) else 'sink'} {t.name}" for t in avro)
    if not has_avro_format(jars):
        raise RunError(f"{names} carr{'ies' if len(avro) == 1 else 'y'} Avro, and this Flink has no avro-confluent "
                       "format (no flink-sql-avro-confluent-registry jar on the jar path)",
                       "put that jar (Maven Central) in a folder with the Kafka connector's (pipegen fetch-jars "
                       "DIR) and run with --jars DIR; or run without --bootstrap-servers: the embedded broker "
                       "carries JSON")
    if not user.registry_url:
        raise RunError(f"{names} carr{'ies' if len(avro) == 1 else 'y'} Avro, and no Schema Registry is given",
                       "give it: --schema-registry URL (or schema_registry.host_url in config/local.yaml)")
    Registry(user.registry_url).check()


def admin(user: UserKafka, **more: Any) -> Any:
    from confluent_kafka.admin import AdminClient

    return AdminClient(user.conf(**more))


def reachable(user: UserKafka) -> Any:
    """The cluster's metadata; a RunError when no broker answers."""
    from confluent_kafka import KafkaException

    seen: list[str] = []  # librdkafka's errors while it tried: a TLS or SASL failure says so there only
    client = admin(user, error_cb=lambda e: seen.append(e.str()))
    try:
        return client.list_topics(timeout=TIMEOUT)
    except KafkaException as e:
        client.poll(0)  # the error callbacks queued meanwhile
        err = e.args[0] if e.args else e
        reason = err.str() if hasattr(err, "str") else str(err)
        security = next((x for x in seen if re.search(r"SSL|SASL|[Aa]uthenticat|certificate", x)), None)
        if security is not None:
            where = f" (from --kafka-config {user.client.path})" if user.client.path else ""
            raise RunError(f"your Kafka at {user.bootstrap} refused the connection's security{where}: "
                           f"{' '.join(security.split())[:300]}",
                           "check security.protocol, the CA (ssl.truststore.location) and the user in "
                           "sasl.jaas.config against the cluster's listener; --kafka-config FILE gives them")
        raise RunError(f"no Kafka broker answers at {user.bootstrap} within {TIMEOUT:.0f} s ({reason})",
                       ADDRESS_HINT) from None


# ------------------------------------------------------------------------------------------- topics
@dataclass
class Topics:
    """The spec's topics as the run found or made them: each one's partitions and the offsets they start at."""

    start: dict[str, dict[int, int]] = field(default_factory=dict)  # topic -> partition -> offset at the start
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def describe(self) -> str:
        out = []
        if self.created:
            counts = {len(self.start[t]) for t in self.created}
            each = ""
            if len(counts) == 1:
                n = counts.pop()
                each = f" ({n} partition{'s' if n > 1 else ''} each)"
            out.append("created " + ", ".join(self.created) + each)
        if self.kept:
            before = sum(sum(self.start[t].values()) for t in self.kept)
            out.append("kept " + ", ".join(self.kept) + (f" ({before:,} messages from before, not read)"
                                                         if before else ""))
        return "topics: " + "; ".join(out)


def prepare_topics(user: UserKafka, names: list[str]) -> Topics:
    """Create the missing topics (all of them after deleting them, with ``recreate``); then each one's offsets."""
    from confluent_kafka.admin import NewTopic

    a = admin(user)
    existing = set(reachable(user).topics)
    if user.recreate:
        gone = [t for t in names if t in existing]
        if gone:
            _wait(a.delete_topics(gone, request_timeout=TIMEOUT), "delete")
            _until(lambda: not (set(a.list_topics(timeout=TIMEOUT).topics) & set(gone)), f"{', '.join(gone)} deleted")
            existing -= set(gone)
    missing = [t for t in names if t not in existing]
    if missing:
        deadline = time.monotonic() + 30
        while True:  # a topic just deleted can still be "marked for deletion" for a moment
            failed = _wait(a.create_topics([NewTopic(t, user.partitions, user.replication) for t in missing],
                                           request_timeout=TIMEOUT), "create", retry=time.monotonic() < deadline)
            if not failed:
                break
            missing = failed
            time.sleep(0.5)
    found = Topics(created=[t for t in names if t not in existing], kept=[t for t in names if t in existing])
    meta = a.list_topics(timeout=TIMEOUT).topics
    found.start = _ends(user, [(t, p) for t in names for p in sorted(meta[t].partitions)])
    return found


def _wait(futures: dict[str, Any], what: str, retry: bool = False) -> list[str]:
    """Wait for each topic's future; the topics to try again (when ``retry``); a RunError for any other failure."""
    from confluent_kafka import KafkaError

    again = []
    for t, f in futures.items():
        try:
            f.result(TIMEOUT)
        except Exception as e:  # noqa: BLE001 - a KafkaException, or a timeout
            err = e.args[0] if e.args and isinstance(e.args[0], KafkaError) else None
            if what == "create" and err is not None and err.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                if retry and "deletion" in err.str().lower():
                    again.append(t)
                continue
            reason = err.str() if err is not None else str(e)
            raise RunError(f"cannot {what} topic {t} on your Kafka: {reason}",
                           "check the broker's permissions (ACLs) and settings, e.g. the partitions and "
                           "replication_factor under kafka: in config/local.yaml") from None
    return again


def _until(done: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise RunError(f"the topics were not {what} within {timeout:.0f} s", "run again in a moment")
        time.sleep(0.2)


def _ends(user: UserKafka, partitions: list[tuple[str, int]]) -> dict[str, dict[int, int]]:
    """Each partition's end offset. A broker's high watermark is read, then the last message before it: Tansu
    reports the offset after the first message of the newest batch, so the messages after that one in its
    batch would pass for new ones (measured 2026-12-01: five messages produced in one batch, high watermark 1)."""
    from confluent_kafka import Consumer, KafkaError, TopicPartition

    c = Consumer(user.conf(**{"group.id": "pipegen-offsets", "enable.auto.commit": False,
                              "enable.partition.eof": True}))
    try:
        ends = {tp: c.get_watermark_offsets(TopicPartition(*tp), timeout=TIMEOUT)[1] for tp in partitions}
        todo = {tp for tp, end in ends.items() if end > 0}
        if todo:
            c.assign([TopicPartition(t, p, ends[(t, p)] - 1) for t, p in todo])
            deadline = time.monotonic() + TIMEOUT
            while todo and time.monotonic() < deadline:
                msg = c.poll(0.2)
                if msg is None:
                    continue
                tp = (msg.topic(), msg.partition())
                if msg.error() is None:
                    ends[tp] = max(ends[tp], msg.offset() + 1)
                elif msg.error().code() == KafkaError._PARTITION_EOF:
                    todo.discard(tp)
    finally:
        c.close()
    out: dict[str, dict[int, int]] = {}
    for (t, p), end in ends.items():
        out.setdefault(t, {})[p] = end
    return out


def from_offsets(statements: list[Any], start: dict[str, dict[int, int]]) -> list[Any]:
    """The source tables read from where their topics were when the run began, not from the earliest offset
    (an upsert table, which has no startup mode, is read whole)."""
    out = []
    for st in statements:
        topic = re.search(r"'topic' = '([^']*)'", st.sql) if st.phase == "source" else None
        mode = "'scan.startup.mode' = 'earliest-offset'"
        if topic and topic.group(1) in start and mode in st.sql:
            offsets = ";".join(f"partition:{p},offset:{o}" for p, o in sorted(start[topic.group(1)].items()))
            st = dataclasses.replace(st, sql=st.sql.replace(
                mode, f"'scan.startup.mode' = 'specific-offsets',\n  'scan.startup.specific-offsets' = '{offsets}'"))
        out.append(st)
    return out


# ------------------------------------------------------------------------------------------- values
class Avro(NamedTuple):
    """An Avro table's schemas and the ids the registry gave them (a sink's: None, Flink registers them)."""

    value_id: int | None = None
    value: dict[str, Any] | None = None
    key_id: int | None = None
    key: dict[str, Any] | None = None


class Codec:
    """How a run's messages are written and read back: JSON, and Avro in Confluent's wire format for the
    tables (sources and sinks, by name) in ``avro``."""

    def __init__(self, registry: Registry | None = None, avro: dict[str, Avro] | None = None):
        self.registry = registry
        self.avro = avro or {}

    def values(self, source: str, batch: Any) -> list[Any]:
        got = self.avro.get(source)
        if got is None:
            return batch.json()
        head = frame(got.value_id)
        return [head + b for b in batch.avro(got.value)]

    def keys(self, source: str, batch: Any) -> list[Any] | None:
        got = self.avro.get(source)
        if got is None or got.key_id is None:
            return batch.json_keys()
        from pipegen.run.columns import avro_bytes

        head = frame(got.key_id)
        return [head + b for b in avro_bytes(got.key, batch.block.key, batch.lo, batch.hi, batch.event_ms)]

    def table_row(self, source: str, key: Any, row: Any) -> tuple[bytes, bytes | None]:
        from pipegen.run.synth import encode

        got = self.avro.get(source)
        if got is None:
            return encode(row), (encode(key) if key else None)
        return (_avro_datum(got.value_id, got.value, row),
                _avro_datum(got.key_id, got.key, key) if key and got.key_id is not None else None)

    def sink_row(self, sink: str, raw: bytes) -> Any:
        """A sink's message as the JSON row Flink's json format writes (timestamps ISO-8601); ValueError when
        it cannot be read."""
        if sink not in self.avro:
            try:
                return json.loads(raw)
            except ValueError as e:
                raise ValueError(f"not JSON: {e}") from None
        import fastavro

        assert self.registry is not None
        schema_id, body = unframe(raw)
        try:
            schema = fastavro.parse_schema(self.registry.schema(schema_id))
            return _jsonable(fastavro.schemaless_reader(io.BytesIO(body), schema))
        except (EOFError, ValueError, TypeError, KeyError) as e:
            raise ValueError(f"not Avro of schema id {schema_id}: {e}") from None


def _avro_datum(schema_id: int, schema: dict[str, Any], value: Any) -> bytes:
    import fastavro

    from pipegen.run.results import to_datum

    buf = io.BytesIO()
    buf.write(frame(schema_id))
    fastavro.schemaless_writer(buf, fastavro.parse_schema(schema), to_datum(schema, value, ""))
    return buf.getvalue()


def _jsonable(v: Any) -> Any:
    """An Avro datum as Flink's json format writes the row: timestamps ISO-8601, bytes base64, decimals as
    numbers."""
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    if isinstance(v, dt.datetime):
        return v.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="milliseconds")
    if isinstance(v, (dt.date, dt.time, uuid.UUID)):
        return str(v) if isinstance(v, uuid.UUID) else v.isoformat()
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, bytes):
        return base64.b64encode(v).decode()
    return v


def register(user: UserKafka, spec: ir.Spec, project: Path) -> Codec:
    """Register the Avro sources' schemas (the project's files) under ``<topic>-value`` and ``<topic>-key``;
    the codec that writes with their ids."""
    avro = avro_tables(spec)
    if not avro:
        return Codec()
    assert user.registry_url is not None
    registry = Registry(user.registry_url)
    tables: dict[str, Avro] = {}
    for t in avro:
        if isinstance(t, ir.Sink):
            tables[t.name] = Avro()  # read back by the ids Flink registers
            continue
        value = _schema(project, f"{t.name}-value.avsc")
        key = _schema(project, f"{t.name}-key.avsc") if t.key else None
        tables[t.name] = Avro(registry.register(f"{t.topic}-value", value), value,
                              registry.register(f"{t.topic}-key", key) if key else None, key)
    return Codec(registry, tables)


def _schema(project: Path, name: str) -> dict[str, Any]:
    f = project / "schemas" / name
    try:
        return json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise RunError(f"cannot read the schema {f}: {e}",
                       f"compile the project again: pipegen compile {project / 'pipeline.pgl'} -o {project} --force"
                       ) from None

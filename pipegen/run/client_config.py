"""``--kafka-config FILE``: how to reach a secured Kafka (TLS, SASL), in the Java client properties that Kafka's
own tools, Confluent Cloud's "client.properties" and Flink's Kafka connector read::

    security.protocol=SASL_SSL
    sasl.mechanism=PLAIN
    sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="KEY" password="SECRET";
    ssl.truststore.type=PEM
    ssl.truststore.location=/path/to/ca.pem

Flink gets every property as it is (``'properties.<key>' = '<value>'`` on each Kafka table of the job); the run's
own clients (confluent-kafka, i.e. librdkafka: the producer, the sink reader, the admin client) get the
security settings translated, as librdkafka names them. What librdkafka cannot take from such a file is refused
in one line before anything starts: a JKS or PKCS12 trust store (librdkafka reads PEM), a key store (mutual TLS),
and the GSSAPI (Kerberos) and OAUTHBEARER mechanisms. Values are never printed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pipegen.run.errors import RunError

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
LOGIN_MODULES = ("org.apache.kafka.common.security.plain.PlainLoginModule",
                 "org.apache.kafka.common.security.scram.ScramLoginModule")


@dataclass(frozen=True)
class ClientConfig:
    """The properties of one file: ``java`` for Flink's Kafka client, ``librdkafka`` for the run's own."""

    path: Path | None = None
    java: dict[str, str] = field(default_factory=dict, repr=False)
    librdkafka: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def protocol(self) -> str:
        return self.java.get("security.protocol", "PLAINTEXT").upper()

    def describe(self) -> str:
        if self.path is None:
            return ""
        mech = f" {self.java.get('sasl.mechanism', 'GSSAPI').upper()}" if self.protocol.startswith("SASL") else ""
        return f"; {self.protocol}{mech} from {self.path}"

    def with_tables(self, sql: str) -> str:
        """``sql`` (a CREATE TABLE) with these properties, when it is a Kafka table."""
        return with_kafka_options(sql, {f"properties.{k}": v for k, v in self.java.items()})


NONE = ClientConfig()


def with_kafka_options(sql: str, options: dict[str, str]) -> str:
    """``sql`` (a CREATE TABLE) with ``options`` added to its WITH clause, when it is a Kafka table."""
    if not options or not re.search(r"'connector' = '(upsert-)?kafka'", sql):
        return sql
    extra = "".join(f",\n  '{k}' = '{v.replace(chr(39), chr(39) * 2)}'" for k, v in options.items())
    return re.sub(r"\n\)\s*$", lambda m: extra + m.group(0), sql)


def parse_properties(text: str) -> dict[str, str]:
    """Java's ``.properties`` form: ``key=value`` or ``key: value``, ``#`` and ``!`` comments, a trailing
    backslash continues the line."""
    lines: list[str] = []  # logical lines
    logical = ""
    for raw in text.splitlines():
        line = raw.strip() if not logical else raw.lstrip()
        if not logical and (not line or line[0] in "#!"):
            continue
        if line.endswith("\\") and not line.endswith("\\\\"):
            logical += line[:-1]
            continue
        lines.append(logical + line)
        logical = ""
    if logical:
        lines.append(logical)
    out: dict[str, str] = {}
    for line in lines:
        m = re.match(r"([^=:\s]+)\s*[=:\s]\s*(.*)$", line)
        if not m:
            raise ValueError(line)
        out[m.group(1)] = m.group(2).strip()
    return out


def load(path: str | Path | None, librdkafka: bool = True) -> ClientConfig:
    """The file's properties, checked; None (no flag) is a plaintext cluster. Without ``librdkafka`` (a job for a
    Flink cluster, whose Java client reads any trust store), only Flink's properties."""
    if path is None:
        return NONE
    p = Path(path).expanduser()
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RunError(f"cannot read --kafka-config {p}: {getattr(e, 'strerror', None) or e}",
                       "give a Kafka client properties file (security.protocol=..., sasl.jaas.config=...)") from None
    try:
        java = parse_properties(text)
    except ValueError as e:
        raise RunError(f"--kafka-config {p}: a line is not key=value ({str(e)[:40]!r}...)",
                       "write one property a line, as Kafka's client.properties does") from None
    return ClientConfig(p, java, _librdkafka(p, java) if librdkafka else {})


def _librdkafka(p: Path, java: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    protocol = java.get("security.protocol", "PLAINTEXT").upper()
    if protocol not in PROTOCOLS:
        raise RunError(f"--kafka-config {p}: security.protocol={protocol} is not one of {', '.join(PROTOCOLS)}",
                       "set it to what your cluster's listener speaks, e.g. SASL_SSL")
    out["security.protocol"] = protocol
    if protocol.startswith("SASL"):
        mech = java.get("sasl.mechanism", "GSSAPI").upper()
        if mech not in MECHANISMS:
            raise RunError(f"--kafka-config {p}: sasl.mechanism={mech} is not supported by pipegen run (its own "
                           f"clients take {', '.join(MECHANISMS)})",
                           "use a PLAIN or SCRAM user of the cluster for the run")
        jaas = java.get("sasl.jaas.config", "")
        module = jaas.split()[0] if jaas.split() else ""
        user = re.search(r"""\busername\s*=\s*(?:"([^"]*)"|'([^']*)')""", jaas)
        password = re.search(r"""\bpassword\s*=\s*(?:"([^"]*)"|'([^']*)')""", jaas)
        if module not in LOGIN_MODULES or not user or not password:
            raise RunError(f"--kafka-config {p}: sasl.jaas.config must name a PlainLoginModule or ScramLoginModule "
                           "with a quoted username and password",
                           'e.g. sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required '
                           'username="KEY" password="SECRET";')
        out.update({"sasl.mechanisms": mech, "sasl.username": user.group(1) or user.group(2) or "",
                    "sasl.password": password.group(1) or password.group(2) or ""})
    if protocol in ("SSL", "SASL_SSL"):
        location = java.get("ssl.truststore.location")
        kind = java.get("ssl.truststore.type", "JKS" if location else "").upper()
        if location and kind != "PEM":
            raise RunError(f"--kafka-config {p}: ssl.truststore.type={kind}; the run's own Kafka clients "
                           "(librdkafka) read PEM trust stores only",
                           "export the CA as PEM (keytool -exportcert -rfc -keystore STORE -alias ALIAS > ca.pem) "
                           "and set ssl.truststore.type=PEM, ssl.truststore.location=ca.pem")
        if location:
            if not Path(location).expanduser().is_file():
                raise RunError(f"--kafka-config {p}: ssl.truststore.location {location}: no such file",
                               "give the PEM file of the CA that signed the brokers' certificates")
            out["ssl.ca.location"] = str(Path(location).expanduser())
        elif java.get("ssl.truststore.certificates"):
            out["ssl.ca.pem"] = java["ssl.truststore.certificates"]
        if any(k.startswith("ssl.keystore.") for k in java):
            raise RunError(f"--kafka-config {p}: a key store (mutual TLS) is not supported by pipegen run yet",
                           "use a SASL user of the cluster for the run (security.protocol=SASL_SSL)")
        algorithm = java.get("ssl.endpoint.identification.algorithm")
        if algorithm is not None:
            out["ssl.endpoint.identification.algorithm"] = algorithm.lower() or "none"
    return out

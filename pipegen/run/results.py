"""The rows a run's sinks emit, checked against the sink's Avro schema (the project's
``schemas/<sink>-value.avsc``).

Flink writes them as JSON (ISO-8601 timestamps); each is turned into the Avro datum the schema describes
(timestamps, dates, decimals, bytes by their logical types) and validated by fastavro, so a row that the
sink's Avro schema would not take is reported with the reason, never dropped silently.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
from typing import Any

import fastavro
from fastavro.validation import ValidationError, validate


class RowError(ValueError):
    pass


def _parse_ts(text: str) -> dt.datetime:
    t = text.rstrip("Z")
    try:
        value = dt.datetime.fromisoformat(t.replace(" ", "T"))
    except ValueError:
        raise RowError(f"{text!r} is not an ISO-8601 timestamp") from None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def ts_millis(text: str) -> int:
    return int(_parse_ts(text).timestamp() * 1000)


def to_datum(schema: Any, value: Any, path: str) -> Any:
    """The Avro datum of a JSON value, by the (unparsed) schema; RowError names the field when it cannot be."""
    if isinstance(schema, list):  # a union: ["null", T]
        if value is None:
            if "null" in schema:
                return None
            raise RowError(f"{path} is null, and the schema does not allow null")
        branches = [s for s in schema if s != "null"]
        return to_datum(branches[0], value, path)
    if value is None:
        raise RowError(f"{path} is null, and the schema does not allow null")
    if isinstance(schema, str):
        return _primitive(schema, value, path)
    convert = _BY_LOGICAL.get(schema.get("logicalType", "")) or _BY_TYPE.get(schema.get("type"))
    if convert is not None:
        return convert(schema, value, path)
    return _primitive(schema.get("type"), value, path)


def _record(schema: dict[str, Any], value: Any, path: str) -> Any:
    if not isinstance(value, dict):
        raise RowError(f"{path} is {type(value).__name__}, not a record")
    names = {f["name"] for f in schema["fields"]}
    extra = sorted(set(value) - names)
    if extra:
        raise RowError(f"{path or 'the row'} has field {extra[0]!r}, which the schema does not have")
    return {f["name"]: to_datum(f["type"], value.get(f["name"]), f"{path}.{f['name']}".lstrip("."))
            for f in schema["fields"]}


def _array(schema: dict[str, Any], value: Any, path: str) -> Any:
    if not isinstance(value, list):
        raise RowError(f"{path} is not an array")
    return [to_datum(schema["items"], v, f"{path}[{i}]") for i, v in enumerate(value)]


def _map(schema: dict[str, Any], value: Any, path: str) -> Any:
    if not isinstance(value, dict):
        raise RowError(f"{path} is not a map")
    return {k: to_datum(schema["values"], v, f"{path}[{k!r}]") for k, v in value.items()}


def _timestamp(schema: dict[str, Any], value: Any, path: str) -> Any:
    if not isinstance(value, str):
        raise RowError(f"{path} is {value!r}, not a timestamp")
    return _parse_ts(value)


def _parsed(kind: str, parse: Any) -> Any:
    def convert(schema: dict[str, Any], value: Any, path: str) -> Any:
        try:
            return parse(str(value))
        except ValueError:
            raise RowError(f"{path} is {value!r}, not a {kind}") from None
    return convert


def _decimal(schema: dict[str, Any], value: Any, path: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise RowError(f"{path} is {value!r}, not a decimal")
    d = decimal.Decimal(str(value))
    scale, precision = schema.get("scale", 0), schema["precision"]
    q = d.quantize(decimal.Decimal(1).scaleb(-scale))
    if q != d:
        raise RowError(f"{path} is {value}, more decimal places than the schema's scale {scale}")
    if len(q.as_tuple().digits) > precision and q != 0:
        raise RowError(f"{path} is {value}, more digits than the schema's precision {precision}")
    return q


_BY_TYPE = {"record": _record, "array": _array, "map": _map}
_BY_LOGICAL = {"timestamp-millis": _timestamp, "timestamp-micros": _timestamp,
               "date": _parsed("date", dt.date.fromisoformat), "time-millis": _parsed("time", dt.time.fromisoformat),
               "decimal": _decimal}


def _primitive(t: str, value: Any, path: str) -> Any:
    if t == "bytes":
        if not isinstance(value, str):
            raise RowError(f"{path} is {value!r}, not base64 bytes")
        try:
            return base64.b64decode(value, validate=True)
        except ValueError:
            raise RowError(f"{path} is not base64") from None
    if t in ("int", "long") and isinstance(value, bool):
        raise RowError(f"{path} is {value!r}, not a number")
    return value


class SinkChecker:
    """Checks the rows of one sink against its value schema."""

    def __init__(self, schema: dict[str, Any]):
        self.schema = schema
        self.parsed = fastavro.parse_schema(schema)

    def check(self, row: Any) -> str | None:
        """None when the row is valid, else the reason."""
        try:
            datum = to_datum(self.schema, row, "")
            validate(datum, self.parsed, raise_errors=True)
        except RowError as e:
            return str(e)
        except ValidationError as e:
            return "; ".join(str(x) for x in e.errors)[:300] or "not valid for the schema"
        return None

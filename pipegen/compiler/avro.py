"""Avro schemas: sources from their spec fields, sinks from the types of the stage that feeds them.

Sink schemas follow what Flink's `avro-confluent` format derives from a
table: a nullable column is a union with null first and a null default;
enums and uuids are plain strings by then. Every schema is parsed by
``fastavro.parse_schema`` before it is returned.
"""

from __future__ import annotations

import re
from typing import Any

import fastavro

from . import ir
from . import types as T
from .registry import Dispatch


class AvroError(Exception):
    pass


def pascal(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"_+", name) if p) or "Record"


def namespace(spec: ir.Spec) -> str:
    return f"pipegen.{spec.pipeline.name}"


def _literal(d: ir.Expr) -> Any:
    if isinstance(d, ir.NumberLit):
        return float(d.text) if "." in d.text else int(d.text)
    if isinstance(d, ir.StringLit):
        return d.value
    if isinstance(d, ir.BoolLit):
        return d.value
    return None


AVRO_TYPE = Dispatch("the Avro type of a spec type")
PRIMITIVE_AVRO = {
    "uuid": {"type": "string", "logicalType": "uuid"},
    "date": {"type": "int", "logicalType": "date"},
    "time": {"type": "int", "logicalType": "time-millis"},
}


@AVRO_TYPE.register(ir.PrimitiveType)
def _primitive(t: ir.PrimitiveType, path: str) -> Any:
    return PRIMITIVE_AVRO.get(t.name, t.name)


@AVRO_TYPE.register(ir.DecimalType)
def _decimal(t: ir.DecimalType, path: str) -> Any:
    return {"type": "bytes", "logicalType": "decimal", "precision": t.precision, "scale": t.scale}


@AVRO_TYPE.register(ir.TimestampType)
def _timestamp(t: ir.TimestampType, path: str) -> Any:
    return {"type": "long", "logicalType": "timestamp-millis" if t.precision == 3 else "timestamp-micros"}


@AVRO_TYPE.register(ir.EnumType)
def _enum(t: ir.EnumType, path: str) -> Any:
    return {"type": "enum", "name": pascal(path), "symbols": list(t.symbols)}


@AVRO_TYPE.register(ir.RecordType)
def _record(t: ir.RecordType, path: str) -> Any:
    return {"type": "record", "name": pascal(path), "fields": [_spec_field(f, path) for f in t.fields]}


@AVRO_TYPE.register(ir.ArrayType)
def _array(t: ir.ArrayType, path: str) -> Any:
    items = AVRO_TYPE(t.items, path + "_item")
    return {"type": "array", "items": ["null", items] if t.items_nullable else items}


@AVRO_TYPE.register(ir.MapType)
def _map(t: ir.MapType, path: str) -> Any:
    values = AVRO_TYPE(t.values, path + "_value")
    return {"type": "map", "values": ["null", values] if t.values_nullable else values}


def _spec_field(f: ir.FieldDef, parent: str) -> dict[str, Any]:
    t = AVRO_TYPE(f.type, f"{parent}_{f.name}")
    out: dict[str, Any] = {"name": f.name}
    if f.nullable:
        if f.default is not None and not isinstance(f.default, ir.NullLit):
            out["type"] = [t, "null"]
            out["default"] = _literal(f.default)
        else:
            out["type"] = ["null", t]
            out["default"] = None
    else:
        out["type"] = t
        if f.default is not None:
            out["default"] = _literal(f.default)
    if f.doc is not None:
        out["doc"] = f.doc
    return out


def source_schema(spec: ir.Spec, src: ir.Source) -> dict[str, Any]:
    schema = {
        "type": "record",
        "name": pascal(src.name),
        "namespace": namespace(spec),
        "fields": [_spec_field(f, src.name) for f in src.fields],
    }
    if src.description:
        schema = {**schema, "doc": src.description}
    return checked(schema)


def key_schema(spec: ir.Spec, name: str, fields: list[dict[str, Any]]) -> dict[str, Any]:
    return checked({"type": "record", "name": pascal(name) + "Key", "namespace": namespace(spec), "fields": fields})


def source_key_schema(spec: ir.Spec, src: ir.Source) -> dict[str, Any]:
    fields = [_spec_field(f, src.name) for f in src.fields if f.name in src.key]
    return key_schema(spec, src.name, fields)


def _sql_type(t: T.SqlType, path: str) -> Any:
    base = t.base
    if base == "ROW":
        inner: Any = {"type": "record", "name": pascal(path),
                      "fields": [_sql_field(n, ft, f"{path}_{n}") for n, ft in t.fields]}
    elif base == "ARRAY":
        assert t.elem is not None
        inner = {"type": "array", "items": _nullable(_sql_type(t.elem, path + "_item"), t.elem.nullable)}
    elif base == "MAP":
        assert t.elem is not None
        inner = {"type": "map", "values": _nullable(_sql_type(t.elem, path + "_value"), t.elem.nullable)}
    elif base == "DECIMAL":
        inner = {"type": "bytes", "logicalType": "decimal", "precision": t.precision, "scale": t.scale}
    elif base == "TIMESTAMP":
        inner = {"type": "long", "logicalType": "timestamp-millis" if (t.precision or 3) <= 3 else "timestamp-micros"}
    elif base == "DATE":
        inner = {"type": "int", "logicalType": "date"}
    elif base == "TIME":
        inner = {"type": "int", "logicalType": "time-millis"}
    else:
        simple = {"STRING": "string", "INT": "int", "BIGINT": "long", "FLOAT": "float", "DOUBLE": "double",
                  "BOOLEAN": "boolean", "BYTES": "bytes"}
        if base not in simple:
            raise AvroError(f"type {t.describe()} has no Avro form")
        inner = simple[base]
    return inner


def _nullable(t: Any, nullable: bool) -> Any:
    return ["null", t] if nullable else t


def _sql_field(name: str, t: T.SqlType, path: str) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "type": _nullable(_sql_type(t, path), t.nullable)}
    if t.nullable:
        out["default"] = None
    return out


def sink_schema(spec: ir.Spec, sink: ir.Sink, columns: list[tuple[str, T.SqlType]], doc: str | None) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "record",
        "name": pascal(sink.name),
        "namespace": namespace(spec),
        "fields": [_sql_field(n, t, f"{sink.name}_{n}") for n, t in columns],
    }
    if doc:
        schema["doc"] = doc
    return checked(schema)


def sink_key_schema(spec: ir.Spec, sink: ir.Sink, columns: list[tuple[str, T.SqlType]]) -> dict[str, Any]:
    return key_schema(spec, sink.name, [_sql_field(n, t, f"{sink.name}_{n}") for n, t in columns])


def checked(schema: dict[str, Any]) -> dict[str, Any]:
    """Parse with fastavro (raises AvroError with its message); return the schema unchanged."""
    try:
        fastavro.parse_schema(schema, _write_hint=False, _force=True)
    except Exception as e:  # fastavro raises several exception types
        raise AvroError(str(e)) from None
    return schema

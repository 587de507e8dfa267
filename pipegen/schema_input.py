"""A user's input schema -> the fields of a spec source, exactly.

``pipegen init --input-schema FILE.avsc`` and ``--input-csv FILE.csv`` use this
module to turn the user's own data description into spec fields
(:class:`pipegen.compiler.ir.FieldDef`), which the generated source must then
declare unchanged.

Public API::

    schema = read_input_schema(Path("payments.avsc"))   # by suffix: .avsc/.json -> Avro, else CSV
    schema = schema_from_avro(text, "payments.avsc")    # InputSchema
    fields = fields_from_avro(text, "payments.avsc")    # just the fields
    schema = fields_from_csv(Path("orders.csv"))        # InputSchema (types inferred)
    schema.fields        # tuple[ir.FieldDef, ...]
    schema.fields_text() # the fields as spec text (the canonical printer's form)
    schema.event_time    # a likely event-time field (timestamp(3), name suggests time), or None

Every failure is a :class:`SchemaInputError` whose ``message`` is one line that
starts with the file and the position (an Avro JSON path like
``fields[3].type``, or a CSV ``line 12, column "amount"``), and whose ``hint``
says what to do about it.

Avro (``schema_from_avro``)
---------------------------
The schema is parsed by ``fastavro.parse_schema`` first. Mapping:

* ``string int long float double boolean bytes`` -> the same primitive;
* logical types: ``uuid`` (string) -> ``uuid``; ``date`` (int) -> ``date``;
  ``time-millis`` (int) -> ``time``; ``timestamp-millis`` and
  ``local-timestamp-millis`` (long) -> ``timestamp(3)``; ``timestamp-micros`` and
  ``local-timestamp-micros`` (long) -> ``timestamp(6)``; ``decimal`` (bytes or
  fixed) -> ``decimal(p, s)``. As the Avro specification asks, an unknown
  logical type, or a known one on another underlying type, is ignored and the
  underlying type is used;
* ``enum`` -> ``enum(symbols)``; ``record`` -> ``record { ... }``;
  ``array`` -> ``array<T>``; ``map`` -> ``map<T>``;
* ``["null", T]`` or ``[T, "null"]`` -> ``T?`` (also for array items and map
  values); a one-branch union ``[T]`` -> ``T``;
* a field's ``default`` (null, a non-negative number, a string, a boolean, an
  enum symbol) -> the field's default literal; a field's ``doc`` -> its doc;
* named types defined once and referred to by name later are resolved (with
  Avro's namespace rules).

Rejected, with a SchemaInputError: any other union, ``fixed`` without the
decimal logical type, ``time-micros``, ``timestamp-nanos``, decimals wider than
38 digits, names that are not identifiers (``[A-Za-z_][A-Za-z0-9_]*``),
duplicate field names, records without fields, a bare ``null`` type, defaults
the spec cannot write (negative numbers, NaN, and any default of a bytes,
date, time, timestamp, decimal, record, array or map field), recursive schemas,
types nested more than :data:`MAX_DEPTH` levels, schemas that expand (named
types used many times) to more than :data:`MAX_NODES` types, and a top level
that is not a record. What the spec does not keep is dropped silently: the
docs of nested records and enums, aliases, field ``order``, an enum's own
``default`` symbol, and extra attributes.

CSV (``fields_from_csv``)
-------------------------
The first row is the header. The delimiter (``,`` ``;`` tab or ``|``) is
guessed by ``csv.Sniffer`` and checked against the first rows; a UTF-8 BOM is
skipped; quoted fields may hold delimiters and line breaks. Only the first
``sample_rows`` data rows are read (the file is streamed, never loaded whole),
so types, nullability and row lengths are checked on those rows only.

Each column's type is the first of these that every non-empty sampled value
fits (values are stripped of surrounding spaces; an empty value is a null):

1. ``boolean``: ``true``/``false``, any case (not 0/1 or yes/no);
2. integers (``-12``, ``+7``): ``timestamp(3)`` when the column's name suggests
   time (see below) and every value is an epoch-milliseconds value between
   2000-01-01 and 2100-01-01; else ``int`` when all fit in 32 bits, else
   ``long``. An integer written with a leading zero (``007``, a zip code) or
   beyond 64 bits keeps the column a ``string``;
3. ``double``: decimal numbers, with an optional exponent (``1.5``, ``-2e-3``);
4. ``timestamp(3)``: ISO-8601 date-times, ``T`` or a space between date and
   time, seconds and a fraction optional, ``Z`` or an offset optional
   (``2024-05-01T12:00:00Z``, ``2024-05-01 12:00:00.123``); ``timestamp(6)``
   when some value has more than 3 fractional digits;
5. ``date``: ``YYYY-MM-DD``;
6. otherwise ``string`` (also for a column with no non-empty value).

A column is nullable when some sampled value is empty. A name "suggests time"
when one of its snake-case words is ``ts``, ``time``, ``timestamp``,
``datetime``, ``date`` or ``at`` (``event_ts``, ``created_at``, ``order_time``).
Header names become lower snake-case identifiers (``Order ID`` -> ``order_id``,
``orderId`` -> ``order_id``; accents dropped; an empty name becomes
``column_N``; a leading digit gets a ``col_`` prefix; duplicates get ``_2``,
``_3``...); a field whose name had to change gets the doc
``CSV column 'Order ID'``. The suggested event time is the first
non-nullable (else the first nullable) ``timestamp(3)`` column whose name
suggests time.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TextIO

from pipegen.compiler import ir

__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "InputSchema",
    "SchemaInputError",
    "fields_from_avro",
    "fields_from_csv",
    "read_input_schema",
    "schema_from_avro",
    "snake_case",
    "suggests_time",
]

MAX_DEPTH = 32
"""Types may nest this many levels (a record in a record, an array of arrays...)."""
MAX_NODES = 10_000
"""At most this many types after named references are expanded (bounds time and memory)."""
MAX_SCHEMA_CHARS = 10_000_000

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PRIMITIVES = ("string", "int", "long", "float", "double", "boolean", "bytes")
_TIME_WORDS = frozenset({"ts", "time", "timestamp", "datetime", "date", "at"})


class SchemaInputError(Exception):
    """An input schema that cannot be read or cannot be expressed as spec fields.

    ``message`` is one line: ``<file>: <position>: <what is wrong>`` (the position
    is left out when there is none); ``hint`` says what to do, or is None.
    ``source`` and ``position`` are the two parts on their own.
    """

    def __init__(self, what: str, hint: str | None = None, *, source: str = "<schema>",
                 position: str | None = None) -> None:
        what = _one_line(what)
        self.source = source
        self.position = position
        self.message = f"{source}: {position}: {what}" if position else f"{source}: {what}"
        self.hint = _one_line(hint) if hint else None
        super().__init__(self.message)


@dataclass(frozen=True)
class InputSchema:
    """The fields of a user's input schema, plus what else it says about the data.

    ``name``: the Avro record's name (without namespace), or the CSV file's stem
    (None for CSV text). ``namespace``: the Avro record's namespace. ``doc``: the
    Avro record's doc. ``event_time``: the name of a top-level ``timestamp(3)``
    field that looks like the event time, or None. ``format``: ``"avro"`` or
    ``"csv"``. ``delimiter`` and ``rows_sampled``: for CSV only.
    """

    fields: tuple[ir.FieldDef, ...]
    format: Literal["avro", "csv"]
    name: str | None = None
    namespace: str | None = None
    doc: str | None = None
    event_time: str | None = None
    origin: str = "<schema>"
    delimiter: str | None = None
    rows_sampled: int | None = None

    @property
    def source_name(self) -> str | None:
        """``name`` as a lower snake-case identifier (``CustomerEvent`` -> ``customer_event``,
        ``2024-orders`` -> ``s_2024_orders``), or None."""
        n = snake_case(self.name or "")
        if not n:
            return None
        return "s_" + n if n[0].isdigit() else n

    def fields_text(self, indent: int = 1) -> str:
        """The fields as spec text, one per line, as the canonical printer writes them in ``fields { }``."""
        from pipegen.compiler.printer import _fields

        return _fields(self.fields, indent)


def suggests_time(name: str) -> bool:
    """Whether a field name suggests a point in time: a snake-case word of it is ts/time/timestamp/datetime/date/at."""
    return any(w in _TIME_WORDS for w in snake_case(name).split("_"))


def read_input_schema(path: str | os.PathLike[str], sample_rows: int = 10_000) -> InputSchema:
    """Read an input schema file: ``.avsc``/``.json`` as an Avro schema, anything else as CSV."""
    p = Path(path)
    if p.suffix.lower() in (".avsc", ".json"):
        try:
            text = p.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise SchemaInputError("no such file", "check the path", source=str(p)) from None
        except UnicodeDecodeError as e:
            raise SchemaInputError(f"not UTF-8 text (byte {e.start})", "save the schema as UTF-8",
                                   source=str(p)) from None
        except OSError as e:
            raise SchemaInputError(f"cannot be read: {e.strerror or e}", None, source=str(p)) from None
        return schema_from_avro(text, str(p))
    return fields_from_csv(p, sample_rows)


# ===================================================================== Avro


def fields_from_avro(text: str, source: str = "<schema>") -> tuple[ir.FieldDef, ...]:
    """The spec fields of an Avro record schema (JSON text). See :func:`schema_from_avro`."""
    return schema_from_avro(text, source).fields


def schema_from_avro(text: str, source: str = "<schema>") -> InputSchema:
    """Parse an Avro record schema (JSON text) into an :class:`InputSchema` with the exact spec fields.

    Raises :class:`SchemaInputError` for invalid JSON, an invalid Avro schema, or
    anything the spec language cannot express (see the module docs).
    """
    if len(text) > MAX_SCHEMA_CHARS:
        raise SchemaInputError(f"the schema is larger than {MAX_SCHEMA_CHARS:,} characters", None, source=source)
    text = text.lstrip("\ufeff")
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as e:
        raise SchemaInputError(f"not valid JSON: {e.msg}", "an Avro schema (.avsc) is a JSON document",
                               source=source, position=f"line {e.lineno}, column {e.colno}") from None
    except RecursionError:
        raise _too_deep(source, "") from None
    _check_json_depth(schema, source)
    if not (isinstance(schema, dict) and schema.get("type") == "record"):
        found = _describe(schema.get("type") if isinstance(schema, dict) else schema)
        raise SchemaInputError(f"the top level must be a record schema, not {found}",
                               'wrap the fields in {"type": "record", "name": "...", "fields": [...]}',
                               source=source)
    invalid = _fastavro_check(schema, source)
    if invalid is not None:
        # Our own reading often says where the problem is; fastavro's messages never do.
        try:
            _read_record(schema, source)
        except SchemaInputError as e:
            raise e from None
        except Exception:  # noqa: BLE001, S110 - malformed input our reader does not expect: fastavro's word stands
            pass
        raise invalid
    fields, namespace = _read_record(schema, source)
    doc = schema.get("doc")
    return InputSchema(
        fields=fields, format="avro", name=str(schema["name"]).rsplit(".", 1)[-1], namespace=namespace,
        doc=doc if isinstance(doc, str) else None, event_time=_pick_event_time(fields), origin=source,
    )


def _read_record(schema: dict[str, Any], source: str) -> tuple[tuple[ir.FieldDef, ...], str | None]:
    reader = _AvroReader(source)
    fullname, namespace = _fullname(schema, None)
    reader.named[fullname] = _Named(schema, namespace, "")
    reader.expanding.append(fullname)
    fields = reader.fields(schema.get("fields"), namespace, "", 0)
    if not fields:
        raise SchemaInputError("the record has no fields", "a source needs at least one field",
                               source=source, position="fields")
    return fields, namespace


def _one_line(s: str) -> str:
    s = " ".join(str(s).split())
    return s if len(s) <= 400 else s[:397] + "..."


def _describe(v: Any) -> str:
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "a union" if v else "an empty list"
    if isinstance(v, dict):
        return "an object"
    return "JSON null" if v is None else f"{type(v).__name__} {json.dumps(v)}"


def _too_deep(source: str, position: str) -> SchemaInputError:
    return SchemaInputError(f"types nest more than {MAX_DEPTH} levels deep",
                            "flatten the schema: the spec language takes at most "
                            f"{MAX_DEPTH} levels of records, arrays and maps",
                            source=source, position=position or None)


def _check_json_depth(doc: Any, source: str) -> None:
    """Reject absurdly nested JSON before any recursive code (fastavro's included) sees it."""
    limit = 4 * MAX_DEPTH + 16  # a type level takes at most ~4 JSON levels (field, type, union, fields list)
    stack: list[tuple[Any, int]] = [(doc, 0)]
    while stack:
        v, d = stack.pop()
        if d > limit:
            raise _too_deep(source, "")
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)


def _fastavro_check(schema: dict[str, Any], source: str) -> SchemaInputError | None:
    """fastavro's verdict on the schema: None when valid, else the error to raise."""
    import fastavro
    from fastavro.schema import SchemaParseException, UnknownType

    hint = "see the Avro specification: https://avro.apache.org/docs/current/specification/"
    try:
        fastavro.parse_schema(schema, _write_hint=False, _force=True)
    except UnknownType as e:
        return SchemaInputError(f"not a valid Avro schema: unknown type {json.dumps(str(e))}",
                                "define a named type (record, enum, fixed) before the first use of its name",
                                source=source)
    except RecursionError:
        return _too_deep(source, "")
    except SchemaParseException as e:
        return SchemaInputError(f"not a valid Avro schema: {e}", hint, source=source)
    except Exception as e:  # noqa: BLE001 - malformed JSON structure trips fastavro in many ways
        return SchemaInputError(f"not a valid Avro schema: fastavro cannot read it ({type(e).__name__}: {e})",
                                hint, source=source)
    return None


@dataclass
class _Named:
    definition: Any
    # A namespace for which _fullname(definition, namespace) is the type's full name: its own or the
    # enclosing one (the same thing unless the definition names its namespace, which then wins anyway).
    namespace: str | None
    path: str


def _fullname(t: dict[str, Any], enclosing: str | None) -> tuple[str, str | None]:
    name = str(t.get("name", ""))
    if "." in name:
        ns = name.rsplit(".", 1)[0]
        return name, ns
    ns = t.get("namespace", enclosing)
    ns = ns or None
    return (f"{ns}.{name}" if ns else name), ns


def _join(path: str, part: str) -> str:
    if part.startswith("["):
        return path + part
    return f"{path}.{part}" if path else part


class _AvroReader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.named: dict[str, _Named] = {}
        self.expanding: list[str] = []  # records whose fields are being read: a reference to one is recursion
        self.nodes = 0

    def fail(self, path: str, what: str, hint: str | None) -> SchemaInputError:
        return SchemaInputError(what, hint, source=self.source, position=path or None)

    # ------------------------------------------------------------- fields

    def fields(self, fields: Any, namespace: str | None, path: str, depth: int) -> tuple[ir.FieldDef, ...]:
        fpath = _join(path, "fields")
        if not isinstance(fields, list):
            raise self.fail(fpath, "a record needs a list of fields", None)
        out = []
        seen: set[str] = set()
        for i, f in enumerate(fields):
            fd = self.field(f, namespace, f"{fpath}[{i}]", depth)
            if fd.name in seen:
                raise self.fail(f"{fpath}[{i}].name", f"field `{fd.name}` is declared twice in the record",
                                "field names must be unique within a record")
            seen.add(fd.name)
            out.append(fd)
        return tuple(out)

    def field(self, f: Any, namespace: str | None, path: str, depth: int) -> ir.FieldDef:
        if not isinstance(f, dict) or "name" not in f or "type" not in f:
            raise self.fail(path, "a field needs a name and a type", None)
        name = f["name"]
        if not isinstance(name, str) or not NAME_RE.fullmatch(name):
            raise self.fail(_join(path, "name"), f"field name {json.dumps(name)} is not a valid identifier",
                            "rename it: letters, digits and _, not starting with a digit")
        t, nullable = self.type(f["type"], namespace, _join(path, "type"), depth + 1)
        default = None
        if "default" in f:
            default = self.default(f["default"], t, nullable, _join(path, "default"), name)
        doc = f.get("doc")
        return ir.FieldDef(name=name, type=t, nullable=nullable, default=default,
                           doc=doc if isinstance(doc, str) else None)

    def default(self, d: Any, t: ir.Type, nullable: bool, path: str, field: str) -> ir.Literal_:
        if d is None:
            if nullable:
                return ir.NullLit()
            raise self.fail(path, f"default null for field `{field}`, which is not nullable",
                            'make the type a union with "null", or remove the default')
        remove = "remove the default from the schema, or change it to one the spec can write"
        if isinstance(t, ir.EnumType):
            if isinstance(d, str) and d in t.symbols:
                return ir.StringLit(value=d)
            raise self.fail(path, f"default {json.dumps(d)} is not a symbol of the enum of field `{field}`",
                            f"use one of: {', '.join(t.symbols[:10])}")
        kind = t.name if isinstance(t, ir.PrimitiveType) else t.kind
        if kind in ("string", "uuid") and isinstance(d, str):
            return ir.StringLit(value=d)
        if kind == "boolean" and isinstance(d, bool):
            return ir.BoolLit(value=d)
        if kind in ("int", "long", "float", "double") and isinstance(d, (int, float)) and not isinstance(d, bool):
            if kind in ("int", "long") and not isinstance(d, int):
                raise self.fail(path, f"default {json.dumps(d)} of {kind} field `{field}` is not an integer", remove)
            if isinstance(d, float) and not math.isfinite(d):
                raise self.fail(path, f"default {d} of field `{field}` cannot be written in the spec", remove)
            if kind in ("int", "long") and not (_INT32 if kind == "int" else _INT64)[0] <= d <= (
                    _INT32 if kind == "int" else _INT64)[1]:
                raise self.fail(path, f"default {d} does not fit {kind} field `{field}`", remove)
            if d < 0:
                raise self.fail(path, f"default {json.dumps(d)} of field `{field}` is negative; "
                                "the spec language writes only non-negative number defaults", remove)
            return ir.NumberLit(text=_plain_number(d))
        if kind in ("string", "uuid", "boolean", "int", "long", "float", "double"):
            raise self.fail(path, f"default {_short_json(d)} does not fit {kind} field `{field}`", remove)
        raise self.fail(path, f"field `{field}` has a default, but the spec language takes no default for "
                        f"a {kind} field", "remove the default from the schema (defaults are possible for strings, "
                        "numbers, booleans, enums and null only)")

    # -------------------------------------------------------------- types

    def type(self, t: Any, namespace: str | None, path: str, depth: int) -> tuple[ir.Type, bool]:
        """The spec type of an Avro type, and whether it is nullable."""
        if depth > MAX_DEPTH:
            raise _too_deep(self.source, path)
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(path, f"the schema expands to more than {MAX_NODES:,} types "
                            "(named types referred to many times)", "simplify the schema")
        if isinstance(t, list):
            return self.union(t, namespace, path, depth)
        if isinstance(t, str):
            return self.named_or_primitive(t, namespace, path, depth), False
        if not isinstance(t, dict):
            raise self.fail(path, f"{_describe(t)} is not an Avro type", None)
        kind = t.get("type")
        logical = t.get("logicalType")
        if kind in _PRIMITIVES:
            return self.primitive(kind, logical, t, path), False
        if kind == "record" or kind == "error":
            return self.record(t, namespace, path, depth), False
        if kind == "enum":
            return self.enum(t, namespace, path), False
        if kind == "fixed":
            return self.fixed(t, namespace, logical, path), False
        if kind == "array":
            items, items_nullable = self.type(t.get("items"), namespace, _join(path, "items"), depth + 1)
            return ir.ArrayType(items=items, items_nullable=items_nullable), False
        if kind == "map":
            values, values_nullable = self.type(t.get("values"), namespace, _join(path, "values"), depth + 1)
            return ir.MapType(values=values, values_nullable=values_nullable), False
        if kind == "null":
            raise self.null_type(path)
        if isinstance(kind, str):
            # {"type": "SomeNamedType"}
            return self.named_or_primitive(kind, namespace, _join(path, "type"), depth), False
        return self.type(kind, namespace, _join(path, "type"), depth)

    def enum(self, t: dict[str, Any], namespace: str | None, path: str) -> ir.EnumType:
        """An Avro enum (a named type), its symbols checked."""
        fullname, _ = _fullname(t, namespace)
        self.named[fullname] = _Named(t, namespace, path)
        symbols = t.get("symbols") or []
        if not symbols:
            raise self.fail(_join(path, "symbols"), f"enum `{fullname}` has no symbols",
                            "the spec language has no empty enums")
        for i, s in enumerate(symbols):
            if not isinstance(s, str) or not NAME_RE.fullmatch(s):
                raise self.fail(f"{_join(path, 'symbols')}[{i}]",
                                f"enum symbol {json.dumps(s)} is not a valid identifier",
                                "rename it: letters, digits and _, not starting with a digit")
        return ir.EnumType(symbols=tuple(symbols))

    def fixed(self, t: dict[str, Any], namespace: str | None, logical: Any, path: str) -> ir.Type:
        """An Avro fixed (a named type): the spec language has it only as a decimal."""
        fullname, _ = _fullname(t, namespace)
        self.named[fullname] = _Named(t, namespace, path)
        if logical == "decimal":
            return self.decimal(t, path)
        raise self.fail(path, f"fixed type `{fullname}` (size {t.get('size')}) cannot be expressed: "
                        "the spec language has fixed only as a decimal",
                        'use "bytes" instead, or add "logicalType": "decimal" if it holds a decimal')

    def null_type(self, path: str) -> SchemaInputError:
        return self.fail(path, 'a field of type "null" (always null) cannot be expressed',
                         'give it a real type in a union with null, e.g. ["null", "string"]')

    def union(self, branches: list[Any], namespace: str | None, path: str, depth: int) -> tuple[ir.Type, bool]:
        def is_null(b: Any) -> bool:
            return b == "null" or (isinstance(b, dict) and b.get("type") == "null")

        others = [(i, b) for i, b in enumerate(branches) if not is_null(b)]
        nulls = len(branches) - len(others)
        if not others:
            raise self.null_type(path)
        if len(others) == 1 and nulls <= 1:
            i, b = others[0]
            if isinstance(b, list):
                raise self.fail(f"{path}[{i}]", "a union directly inside a union is not valid Avro", None)
            t, _ = self.type(b, namespace, f"{path}[{i}]", depth)
            return t, nulls == 1
        for i, b in enumerate(branches):
            if isinstance(b, list):
                raise self.fail(f"{path}[{i}]", "a union directly inside a union is not valid Avro", None)
        shown = ", ".join(_branch_name(b) for b in branches)
        raise self.fail(path, f"the union [{shown}] cannot be expressed: the spec language has only "
                        'nullable types (["null", T])',
                        "use one type (e.g. string), or split the value into one nullable field per type")

    def primitive(self, kind: str, logical: Any, t: dict[str, Any], path: str) -> ir.Type:
        if kind == "string" and logical == "uuid":
            return ir.PrimitiveType(name="uuid")
        if kind == "int" and logical == "date":
            return ir.PrimitiveType(name="date")
        if kind == "int" and logical == "time-millis":
            return ir.PrimitiveType(name="time")
        if kind == "long":
            if logical in ("timestamp-millis", "local-timestamp-millis"):
                return ir.TimestampType(precision=3)
            if logical in ("timestamp-micros", "local-timestamp-micros"):
                return ir.TimestampType(precision=6)
            if logical == "time-micros":
                raise self.fail(path, "time-micros cannot be expressed: the spec's time has millisecond precision",
                                'use {"type": "int", "logicalType": "time-millis"}, or a plain long')
            if logical in ("timestamp-nanos", "local-timestamp-nanos"):
                raise self.fail(path, f"{logical} cannot be expressed: timestamps have at most microsecond "
                                "precision in the spec", 'use "timestamp-micros", or a plain long')
        if kind == "bytes" and logical == "decimal":
            return self.decimal(t, path)
        return ir.PrimitiveType(name=kind)

    def decimal(self, t: dict[str, Any], path: str) -> ir.Type:
        precision, scale = t.get("precision"), t.get("scale", 0)
        if not isinstance(precision, int) or not isinstance(scale, int) or isinstance(precision, bool):
            raise self.fail(path, "a decimal needs an integer precision and scale", None)
        if not 1 <= precision <= 38:
            raise self.fail(path, f"decimal({precision}, {scale}) cannot be expressed: "
                            "the spec's decimals have a precision of 1 to 38 digits",
                            "use a precision of at most 38, or a double or string")
        if not 0 <= scale <= precision:
            raise self.fail(path, f"decimal({precision}, {scale}) has a scale outside 0..{precision}", None)
        return ir.DecimalType(precision=precision, scale=scale)

    def record(self, t: dict[str, Any], namespace: str | None, path: str, depth: int) -> ir.Type:
        fullname, inner_ns = _fullname(t, namespace)
        self.named[fullname] = _Named(t, inner_ns, path)
        self.expanding.append(fullname)
        try:
            fields = self.fields(t.get("fields"), inner_ns, path, depth)
        finally:
            self.expanding.pop()
        if not fields:
            raise self.fail(_join(path, "fields"), f"record `{fullname}` has no fields",
                            "the spec language has no empty records; remove the field or give the record a field")
        return ir.RecordType(fields=fields)

    def named_or_primitive(self, name: str, namespace: str | None, path: str, depth: int) -> ir.Type:
        if name in _PRIMITIVES:
            return ir.PrimitiveType(name=name)  # type: ignore[arg-type]
        if name == "null":
            raise self.null_type(path)
        candidates = [name] if "." in name else ([f"{namespace}.{name}"] if namespace else []) + [name]
        fullname = next((c for c in candidates if c in self.named), None)
        if fullname is None:
            raise self.fail(path, f"unknown type {json.dumps(name)}",
                            "define a named type (record, enum, fixed) before the first use of its name")
        if fullname in self.expanding:
            raise self.fail(path, f"record `{fullname}` refers to itself (a recursive schema); "
                            "the spec language cannot express recursive types",
                            "cut the cycle, e.g. store the nested value as a string (JSON) or an id")
        named = self.named[fullname]
        # Read the definition again where it is used (the depth is the use's); errors point into the definition.
        t, _ = self.type(named.definition, named.namespace, named.path, depth)
        return t


def _branch_name(b: Any) -> str:
    if isinstance(b, str):
        return json.dumps(b)
    if isinstance(b, dict):
        inner = b.get("name") or b.get("logicalType") or b.get("type")
        return json.dumps(inner) if isinstance(inner, str) else "{...}"
    return "[...]"


def _short_json(d: Any) -> str:
    s = json.dumps(d)
    return s if len(s) <= 40 else s[:37] + "..."


def _plain_number(d: float) -> str:
    if isinstance(d, int):
        return str(d)
    text = format(Decimal(repr(d)), "f")
    if "." in text:
        text = text.rstrip("0")
        text = text + "0" if text.endswith(".") else text
    return text


def _pick_event_time(fields: tuple[ir.FieldDef, ...]) -> str | None:
    candidates = [f for f in fields
                  if isinstance(f.type, ir.TimestampType) and f.type.precision == 3 and suggests_time(f.name)]
    for f in candidates:
        if not f.nullable:
            return f.name
    return candidates[0].name if candidates else None


# ====================================================================== CSV

_INT = re.compile(r"[+-]?[0-9]+")
_LEADING_ZERO = re.compile(r"[+-]?0[0-9]")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?"
    r"(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
EPOCH_MILLIS_RANGE = (946_684_800_000, 4_102_444_800_000)  # 2000-01-01 .. 2100-01-01
_DELIMITERS = (",", ";", "\t", "|")
_HEAD_CHARS = 64 * 1024


class _Column:
    __slots__ = ("bool", "count", "date", "double", "empty", "hi", "int", "lo", "ts", "ts6")

    def __init__(self) -> None:
        self.empty = False
        self.count = 0
        self.bool = self.int = self.double = self.ts = self.date = True
        self.ts6 = False
        self.lo: int | None = None
        self.hi: int | None = None

    def add(self, v: str) -> None:
        v = v.strip()
        if not v:
            self.empty = True
            return
        self.count += 1
        if not (self.bool or self.int or self.double or self.ts or self.date):
            return
        if self.bool and v.lower() not in ("true", "false"):
            self.bool = False
        is_int = False
        if (self.int or self.double) and _INT.fullmatch(v):
            n = int(v)
            if _LEADING_ZERO.match(v) or not _INT64[0] <= n <= _INT64[1]:
                self.int = self.double = False  # an id or a code: keep its digits as they are
            else:
                is_int = True
                self.lo = n if self.lo is None else min(self.lo, n)
                self.hi = n if self.hi is None else max(self.hi, n)
        elif self.int:
            self.int = False
        if self.double and not is_int and not _FLOAT.fullmatch(v):
            self.double = False
        if self.ts:
            m = _TIMESTAMP.fullmatch(v)
            if m is None or not _valid_datetime(m):
                self.ts = False
            elif m.group(7) and len(m.group(7)) > 3:
                self.ts6 = True
        if self.date:
            m = _DATE.fullmatch(v)
            if m is None or not _valid_date(m):
                self.date = False

    def type(self, name: str) -> ir.Type:
        if self.count == 0:
            return ir.PrimitiveType(name="string")
        if self.bool:
            return ir.PrimitiveType(name="boolean")
        if self.int:
            assert self.lo is not None and self.hi is not None
            if suggests_time(name) and EPOCH_MILLIS_RANGE[0] <= self.lo and self.hi <= EPOCH_MILLIS_RANGE[1]:
                return ir.TimestampType(precision=3)
            if _INT32[0] <= self.lo and self.hi <= _INT32[1]:
                return ir.PrimitiveType(name="int")
            return ir.PrimitiveType(name="long")
        if self.double:
            return ir.PrimitiveType(name="double")
        if self.ts:
            return ir.TimestampType(precision=6 if self.ts6 else 3)
        if self.date:
            return ir.PrimitiveType(name="date")
        return ir.PrimitiveType(name="string")


def _valid_date(m: re.Match[str]) -> bool:
    try:
        date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return False
    return True


def _valid_datetime(m: re.Match[str]) -> bool:
    try:
        datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4)), int(m.group(5)),
                 int(m.group(6) or 0))
    except ValueError:
        return False
    return True


def snake_case(text: str) -> str:
    """``Order ID`` -> ``order_id``, ``orderId`` -> ``order_id``, ``Größe (kg)`` -> ``groe_kg``; may return ''."""
    s = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return re.sub(r"[^A-Za-z0-9]+", "_", s).strip("_").lower()


def _field_names(headers: list[str]) -> list[str]:
    base = []
    for i, h in enumerate(headers):
        n = snake_case(h)
        if not n:
            n = f"column_{i + 1}"
        elif n[0].isdigit():
            n = "col_" + n
        base.append(n)
    taken = set(base)
    used: set[str] = set()
    out = []
    for n in base:
        if n in used:
            k = 2
            while f"{n}_{k}" in taken or f"{n}_{k}" in used:
                k += 1
            n = f"{n}_{k}"
        used.add(n)
        out.append(n)
    return out


def _open_csv(source: str | os.PathLike[str] | TextIO) -> tuple[TextIO, str, str | None, bool]:
    """(text stream, origin for messages, file stem or None, whether we opened it)."""
    if hasattr(source, "read"):
        return source, getattr(source, "name", "<csv>"), None, False  # type: ignore[return-value]
    if isinstance(source, str) and ("\n" in source or "\r" in source):
        return io.StringIO(source, newline=""), "<csv>", None, True
    p = Path(source)  # type: ignore[arg-type]
    try:
        f = open(p, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed by fields_from_csv
    except FileNotFoundError:
        raise SchemaInputError("no such file", "check the path", source=str(p)) from None
    except OSError as e:
        raise SchemaInputError(f"cannot be read: {e.strerror or e}", None, source=str(p)) from None
    return f, str(p), p.stem, True


def _choose_delimiter(head: str, complete: bool) -> str:
    """The delimiter that splits the header, then fits the most first rows, then gives the most columns.

    The sniffer's guess comes first among equals.
    """
    order = list(_DELIMITERS)
    try:
        sniffed = csv.Sniffer().sniff(head[:16 * 1024], delimiters="".join(_DELIMITERS)).delimiter
        order.remove(sniffed)
        order.insert(0, sniffed)
    except (csv.Error, ValueError):
        pass
    best, best_score = order[0], (-1, -1.0, -1)
    for rank, d in enumerate(order):
        try:
            rows = [r for r in itertools.islice(csv.reader(io.StringIO(head, newline=""), delimiter=d), 51) if r]
        except csv.Error:
            continue
        if not complete and len(rows) > 1:
            rows = rows[:-1]  # the head may end inside a record
        if not rows:
            continue
        width = len(rows[0])
        fitting = sum(len(r) == width for r in rows[1:]) / max(1, len(rows) - 1)
        score = (int(width > 1), fitting, width)
        if score > best_score:
            best, best_score = d, score
    return best


def fields_from_csv(source: str | os.PathLike[str] | TextIO, sample_rows: int = 10_000) -> InputSchema:
    """Infer spec fields from a CSV with a header row (the rules are in the module docs).

    ``source`` is a path (``str`` without a line break, or ``os.PathLike``), CSV
    text (a ``str`` with a line break), or an open text stream. Only the first
    ``sample_rows`` data rows are read.
    """
    if sample_rows < 1:
        raise ValueError("sample_rows must be at least 1")
    f, origin, stem, opened = _open_csv(source)
    try:
        return _read_csv(f, origin, stem, sample_rows)
    except UnicodeDecodeError as e:
        raise SchemaInputError(f"not UTF-8 text (byte {e.start} of a block)", "save the file as UTF-8",
                               source=origin) from None
    finally:
        if opened:
            f.close()


def _read_csv(f: TextIO, origin: str, stem: str | None, sample_rows: int) -> InputSchema:
    head = f.read(_HEAD_CHARS)
    complete = len(head) < _HEAD_CHARS
    if not complete:
        head += f.readline()  # end the head at a line break
    head = head.lstrip("\ufeff")
    if not head.strip():
        raise SchemaInputError("the file is empty", "the first line must be a header row naming the columns",
                               source=origin)
    delimiter = _choose_delimiter(head, complete)
    lines: Iterator[str] = itertools.chain(io.StringIO(head, newline=""), f)
    reader = csv.reader(lines, delimiter=delimiter, quotechar='"', doublequote=True, strict=True)

    def next_row() -> tuple[list[str] | None, int]:
        start = reader.line_num + 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return None, start
            except csv.Error as e:
                raise SchemaInputError(f"the row cannot be read: {e}",
                                       'check the quotes: a field with a quote inside is written "a ""b"" c"',
                                       source=origin, position=f"line {start}") from None
            if row:
                return row, start
            start = reader.line_num + 1

    header, _ = next_row()
    if header is None:
        raise SchemaInputError("the file is empty", "the first line must be a header row naming the columns",
                               source=origin)
    names = _field_names(header)
    columns = [_Column() for _ in header]
    width = len(header)
    rows = 0
    while rows < sample_rows:
        row, line = next_row()
        if row is None:
            break
        if len(row) != width:
            raise SchemaInputError(f"the row has {len(row)} value{'s' if len(row) != 1 else ''}, the header "
                                   f"has {width} column{'s' if width != 1 else ''}",
                                   "every row needs one value per header column; quote values that contain "
                                   f"the delimiter {delimiter!r}", source=origin, position=f"line {line}")
        for c, v in zip(columns, row):
            c.add(v)
        rows += 1
    if rows == 0:
        raise SchemaInputError("the file has a header but no data rows, so no types can be inferred",
                               "add some rows of sample data below the header", source=origin)
    fields = []
    for h, n, c in zip(header, names, columns):
        fields.append(ir.FieldDef(name=n, type=c.type(n), nullable=c.empty,
                                  doc=None if n == h else f"CSV column '{h}'"))
    fields_t = tuple(fields)
    return InputSchema(fields=fields_t, format="csv", name=stem, event_time=_pick_event_time(fields_t),
                       origin=origin, delimiter=delimiter, rows_sampled=rows)

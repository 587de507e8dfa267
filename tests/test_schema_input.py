"""pipegen.schema_input: Avro schemas and CSV files -> exact spec fields."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from pipegen.compiler import ir
from pipegen.compiler.printer import _fields

from pipegen import api
from pipegen.schema_input import (
    MAX_DEPTH,
    InputSchema,
    SchemaInputError,
    fields_from_avro,
    fields_from_csv,
    read_input_schema,
    schema_from_avro,
    snake_case,
    suggests_time,
)

# ------------------------------------------------------------------ helpers

P = ir.PrimitiveType


def F(name: str, t: ir.Type, nullable: bool = False, default: ir.Literal_ | None = None,
      doc: str | None = None) -> ir.FieldDef:
    return ir.FieldDef(name=name, type=t, nullable=nullable, default=default, doc=doc)


def spec_text(fields: tuple[ir.FieldDef, ...], event_time: str | None = None) -> str:
    et = f"  event_time `{event_time}` watermark 5 s\n" if event_time else ""
    return ('pipeline p {}\nsource s {\n  topic "t"\n  fields {\n' + _fields(fields, 2) + "  }\n" + et
            + '}\nsink out from s {\n  topic "out"\n}\n')


def assert_round_trip(schema: InputSchema | tuple[ir.FieldDef, ...]) -> None:
    """The fields print, parse back to the same IR, and the spec around them checks clean."""
    fields = schema.fields if isinstance(schema, InputSchema) else schema
    event_time = schema.event_time if isinstance(schema, InputSchema) else None
    text = spec_text(fields, event_time)
    result = api.check(text)
    assert result.ok, (text, [str(d.message) for d in result.diagnostics])
    assert result.spec is not None
    assert result.spec.statements[0].fields == fields
    if isinstance(schema, InputSchema):
        assert schema.fields_text(2) == _fields(fields, 2)


def avro_error(schema: object, source: str = "in.avsc") -> SchemaInputError:
    text = schema if isinstance(schema, str) else json.dumps(schema)
    with pytest.raises(SchemaInputError) as info:
        schema_from_avro(text, source)
    e = info.value
    assert "\n" not in e.message and e.message.startswith(f"{source}: ")
    assert str(e) == e.message
    return e


def record(*fields: dict, name: str = "R") -> dict:
    return {"type": "record", "name": name, "fields": list(fields)}


# ------------------------------------------------------------- Avro: exact

CUSTOMER_EVENT = {
    "type": "record",
    "name": "CustomerEvent",
    "fields": [
        {"name": "user_id", "type": "string", "doc": "Unique customer identifier"},
        {"name": "event_type", "type": {"type": "enum", "name": "EventType",
                                        "symbols": ["page_view", "add_to_cart", "purchase", "search"]}},
        {"name": "timestamp", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "properties", "type": ["null", {
            "type": "record", "name": "EventProperties",
            "fields": [
                {"name": "product_id", "type": ["null", "string"]},
                {"name": "category", "type": ["null", "string"]},
                {"name": "price", "type": ["null", "double"]},
            ]}], "default": None},
    ],
}


def test_customer_event_from_the_product_docs() -> None:
    s = schema_from_avro(json.dumps(CUSTOMER_EVENT), "customer.avsc")
    assert s.name == "CustomerEvent" and s.source_name == "customer_event" and s.format == "avro"
    assert s.event_time == "timestamp"
    assert s.fields == (
        F("user_id", P(name="string"), doc="Unique customer identifier"),
        F("event_type", ir.EnumType(symbols=("page_view", "add_to_cart", "purchase", "search"))),
        F("timestamp", ir.TimestampType(precision=3)),
        F("properties", ir.RecordType(fields=(
            F("product_id", P(name="string"), nullable=True),
            F("category", P(name="string"), nullable=True),
            F("price", P(name="double"), nullable=True),
        )), nullable=True, default=ir.NullLit()),
    )
    assert_round_trip(s)


RICH = {
    "type": "record",
    "name": "Payment",
    "namespace": "com.example.payments",
    "doc": "A card payment.",
    "fields": [
        {"name": "s", "type": "string"},
        {"name": "i", "type": "int", "default": 7},
        {"name": "l", "type": "long", "default": 9007199254740993},
        {"name": "f", "type": "float", "default": 1.5},
        {"name": "d", "type": "double", "default": 1e-7},
        {"name": "b", "type": "boolean", "default": True},
        {"name": "raw", "type": "bytes"},
        {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "at_time", "type": {"type": "int", "logicalType": "time-millis"}},
        {"name": "ts_ms", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "ts_us", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "local_ts", "type": {"type": "long", "logicalType": "local-timestamp-millis"}},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}},
        {"name": "fixed_amount", "type": {"type": "fixed", "name": "Money", "size": 8,
                                          "logicalType": "decimal", "precision": 18, "scale": 4}},
        {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID", "select"]},
         "default": "NEW", "doc": "Lifecycle \"state\"\nsee docs"},
        {"name": "address", "type": {"type": "record", "name": "Address", "namespace": "com.example.common",
                                     "fields": [{"name": "city", "type": "string", "default": "Zürich"},
                                                {"name": "zip", "type": ["null", "string"], "default": None}]}},
        {"name": "billing", "type": ["null", "com.example.common.Address"], "default": None},
        {"name": "previous_status", "type": ["Status", "null"], "default": "PAID"},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "scores", "type": {"type": "array", "items": ["null", "double"]}},
        {"name": "attrs", "type": {"type": "map", "values": ["string", "null"]}},
        {"name": "lines", "type": {"type": "array", "items": {
            "type": "record", "name": "Line", "fields": [
                {"name": "sku", "type": "string"},
                {"name": "qty", "type": "int"},
                {"name": "price", "type": "Money"},
            ]}}},
        {"name": "line_by_sku", "type": {"type": "map", "values": "Line"}},
        {"name": "maybe_count", "type": ["long", "null"], "default": 0},
        {"name": "single", "type": ["string"]},
        {"name": "unknown_logical", "type": {"type": "string", "logicalType": "iso-datetime"}},
        {"name": "order", "type": "string", "doc": "a keyword as a name"},
        {"name": "odd_doc", "type": "string", "doc": "tab\there, back\\slash, cr\r, \u2028 and \u00e9"},
    ],
}


def test_rich_schema_exact_fields() -> None:
    s = schema_from_avro(json.dumps(RICH), "payment.avsc")
    assert (s.name, s.namespace, s.doc) == ("Payment", "com.example.payments", "A card payment.")
    assert s.origin == "payment.avsc"
    address = ir.RecordType(fields=(
        F("city", P(name="string"), default=ir.StringLit(value="Zürich")),
        F("zip", P(name="string"), nullable=True, default=ir.NullLit()),
    ))
    status = ir.EnumType(symbols=("NEW", "PAID", "select"))
    money = ir.DecimalType(precision=18, scale=4)
    line = ir.RecordType(fields=(F("sku", P(name="string")), F("qty", P(name="int")), F("price", money)))
    assert s.fields == (
        F("s", P(name="string")),
        F("i", P(name="int"), default=ir.NumberLit(text="7")),
        F("l", P(name="long"), default=ir.NumberLit(text="9007199254740993")),
        F("f", P(name="float"), default=ir.NumberLit(text="1.5")),
        F("d", P(name="double"), default=ir.NumberLit(text="0.0000001")),
        F("b", P(name="boolean"), default=ir.BoolLit(value=True)),
        F("raw", P(name="bytes")),
        F("id", P(name="uuid")),
        F("day", P(name="date")),
        F("at_time", P(name="time")),
        F("ts_ms", ir.TimestampType(precision=3)),
        F("ts_us", ir.TimestampType(precision=6)),
        F("local_ts", ir.TimestampType(precision=3)),
        F("amount", ir.DecimalType(precision=12, scale=2)),
        F("fixed_amount", money),
        F("status", status, default=ir.StringLit(value="NEW"), doc='Lifecycle "state"\nsee docs'),
        F("address", address),
        F("billing", address, nullable=True, default=ir.NullLit()),
        F("previous_status", status, nullable=True, default=ir.StringLit(value="PAID")),
        F("tags", ir.ArrayType(items=P(name="string"))),
        F("scores", ir.ArrayType(items=P(name="double"), items_nullable=True)),
        F("attrs", ir.MapType(values=P(name="string"), values_nullable=True)),
        F("lines", ir.ArrayType(items=line)),
        F("line_by_sku", ir.MapType(values=line)),
        F("maybe_count", P(name="long"), nullable=True, default=ir.NumberLit(text="0")),
        F("single", P(name="string")),
        F("unknown_logical", P(name="string")),
        F("order", P(name="string"), doc="a keyword as a name"),
        F("odd_doc", P(name="string"), doc="tab\there, back\\slash, cr\r, \u2028 and \u00e9"),
    )
    # ts_ms and local_ts are timestamp(3) but their names say "ms"/"local", not time words: ts is one.
    assert s.event_time == "ts_ms"
    assert_round_trip(s)
    assert fields_from_avro(json.dumps(RICH)) == s.fields


def test_named_references_resolve_with_namespaces() -> None:
    schema = {
        "type": "record", "name": "a.b.Outer",
        "fields": [
            {"name": "x", "type": {"type": "record", "name": "Inner", "fields": [{"name": "v", "type": "int"}]}},
            {"name": "y", "type": "Inner"},          # short name, resolved in the enclosing namespace a.b
            {"name": "z", "type": "a.b.Inner"},      # full name
            {"name": "e", "type": {"type": "enum", "name": "E", "namespace": "c", "symbols": ["A"]}},
            {"name": "e2", "type": "c.E"},
        ],
    }
    s = schema_from_avro(json.dumps(schema))
    inner = ir.RecordType(fields=(F("v", P(name="int")),))
    enum = ir.EnumType(symbols=("A",))
    assert s.name == "Outer" and s.namespace == "a.b"
    assert [f.type for f in s.fields] == [inner, inner, inner, enum, enum]
    assert s.event_time is None
    assert_round_trip(s)


def test_bom_and_unknown_logical_type_on_wrong_base() -> None:
    schema = record({"name": "d", "type": {"type": "string", "logicalType": "date"}})
    assert fields_from_avro("\ufeff" + json.dumps(schema)) == (F("d", P(name="string")),)


def test_shared_type_used_many_times_is_bounded() -> None:
    # Each level refers to the previous one twice: 2**25 expansions if nothing stopped it.
    fields = [{"name": "v", "type": {"type": "record", "name": "T0", "fields": [{"name": "x", "type": "int"}]}}]
    for i in range(1, 26):
        fields.append({"name": f"t{i}", "type": {"type": "record", "name": f"T{i}", "fields": [
            {"name": "a", "type": f"T{i - 1}"}, {"name": "b", "type": f"T{i - 1}"}]}})
    start = time.perf_counter()
    e = avro_error(record(*fields))
    assert time.perf_counter() - start < 5
    assert "expands to more than" in e.message


# ------------------------------------------------------------- Avro: errors

@pytest.mark.parametrize("schema, position, words", [
    (record({"name": "v", "type": ["string", "int"]}), "fields[0].type", 'the union ["string", "int"]'),
    (record({"name": "v", "type": ["null", "string", "int"]}), "fields[0].type", "cannot be expressed"),
    (record({"name": "a", "type": "int"}, {"name": "v", "type": {"type": "array", "items": ["int", "string"]}}),
     "fields[1].type.items", "union"),
    (record({"name": "v", "type": {"type": "fixed", "name": "Hash", "size": 16}}), "fields[0].type",
     "fixed type `Hash` (size 16)"),
    (record({"name": "v", "type": {"type": "long", "logicalType": "time-micros"}}), "fields[0].type",
     "time-micros"),
    (record({"name": "v", "type": {"type": "long", "logicalType": "timestamp-nanos"}}), "fields[0].type",
     "timestamp-nanos"),
    (record({"name": "v", "type": {"type": "bytes", "logicalType": "decimal", "precision": 40, "scale": 2}}),
     "fields[0].type", "decimal(40, 2)"),
    (record({"name": "a", "type": "int"}, {"name": "order id", "type": "int"}), "fields[1].name",
     'field name "order id" is not a valid identifier'),
    (record({"name": "a", "type": "int"}, {"name": "a", "type": "long"}), "fields[1].name", "declared twice"),
    (record({"name": "v", "type": "null"}), "fields[0].type", '"null"'),
    (record({"name": "v", "type": ["null"]}), "fields[0].type", '"null"'),
    (record({"name": "v", "type": {"type": "record", "name": "Empty", "fields": []}}), "fields[0].type.fields",
     "no fields"),
    (record({"name": "v", "type": "int", "default": -1}), "fields[0].default", "negative"),
    (record({"name": "v", "type": {"type": "array", "items": "string"}, "default": []}), "fields[0].default",
     "a array field"),
    (record({"name": "v", "type": {"type": "long", "logicalType": "timestamp-millis"}, "default": 0}),
     "fields[0].default", "a timestamp field"),
    (record({"name": "v", "type": ["null", "int"], "default": -5}), "fields[0].default", "negative"),
    (record({"name": "v", "type": "int", "default": 2**31}), "fields[0].default", "does not fit int field"),
    (record({"name": "v", "type": "bytes", "default": "\u00ff"}), "fields[0].default", "a bytes field"),
    (record({"name": "v", "type": {"type": "enum", "name": "E", "symbols": ["A"]}, "default": "B"}),
     "fields[0].default", "is not a symbol of the enum"),
])
def test_rejected_schemas(schema: dict, position: str, words: str | None) -> None:
    e = avro_error(schema)
    if words is None:  # fastavro finds it first
        assert "not a valid Avro schema" in e.message
        return
    assert e.position == position, e.message
    assert e.message.startswith(f"in.avsc: {position}: ")
    assert words in e.message
    assert e.hint


def test_error_messages_read_well() -> None:
    e = avro_error(record({"name": "amount", "type": "int"}, {"name": "v", "type": ["string", "int"]}))
    assert e.message == ('in.avsc: fields[1].type: the union ["string", "int"] cannot be expressed: '
                         'the spec language has only nullable types (["null", T])')
    assert e.hint is not None and "nullable field" in e.hint


def test_recursive_schema_is_rejected() -> None:
    linked = record({"name": "value", "type": "int"},
                    {"name": "next", "type": ["null", "Node"], "default": None}, name="Node")
    e = avro_error(linked)
    assert e.position == "fields[1].type[1]"
    assert "record `Node` refers to itself" in e.message

    # Indirect, through an array in a nested record.
    tree = record({"name": "kids", "type": {"type": "array", "items": {
        "type": "record", "name": "Child", "fields": [{"name": "parent", "type": "Tree"}]}}}, name="Tree")
    e = avro_error(tree)
    assert e.position == "fields[0].type.items.fields[0].type" and "`Tree` refers to itself" in e.message


def test_deeply_nested_schema_ends_with_schema_input_error() -> None:
    def nested(levels: int) -> dict:
        t: object = "int"
        for i in range(levels):
            t = {"type": "record", "name": f"L{i}", "fields": [{"name": "f", "type": t}]}
        return t  # type: ignore[return-value]

    assert_round_trip(schema_from_avro(json.dumps(nested(MAX_DEPTH))))
    e = avro_error(nested(MAX_DEPTH + 1))
    assert f"more than {MAX_DEPTH} levels" in e.message and e.position is not None
    for levels in (200, 5000, 100_000):  # past fastavro's and json's recursion, too
        start = time.perf_counter()
        e = avro_error(nested(levels) if levels < 1000 else _deep_json(levels))
        assert "levels" in e.message or "JSON" in e.message
        assert time.perf_counter() - start < 5


def _deep_json(levels: int) -> str:
    head = '{"type": "record", "name": "R", "fields": [{"name": "f", "type": '
    return head * levels + '"int"' + "}]}" * levels


def test_deep_arrays_and_maps_are_bounded() -> None:
    t: object = "int"
    for _ in range(MAX_DEPTH + 5):
        t = {"type": "array", "items": {"type": "map", "values": t}}
    e = avro_error(record({"name": "v", "type": t}))
    assert "levels" in e.message


@pytest.mark.parametrize("text, words", [
    ('"string"', 'the top level must be a record schema, not "string"'),
    ('["null", "string"]', "not a union"),
    ('{"type": "enum", "name": "E", "symbols": ["A"]}', 'not "enum"'),
    ("[]", "not an empty list"),
])
def test_top_level_must_be_a_record(text: str, words: str) -> None:
    e = avro_error(text)
    assert words in e.message and "the top level must be a record schema" in e.message
    assert e.hint and "record" in e.hint


def test_invalid_json_and_invalid_avro() -> None:
    e = avro_error('{"type": "record",\n "name": "R", "fields": [}')
    assert e.position == "line 2, column 26" and "not valid JSON" in e.message
    e = avro_error(record({"name": "v", "type": "Missing"}))
    assert 'unknown type "Missing"' in e.message
    e = avro_error({"type": "record", "fields": [{"name": "a", "type": "int"}]})
    assert "not a valid Avro schema" in e.message
    # fastavro finds these, without saying where; our reading says where.
    e = avro_error(record({"name": "v", "type": {"type": "enum", "name": "E", "symbols": ["a-b"]}}))
    assert e.message == 'in.avsc: fields[0].type.symbols[0]: enum symbol "a-b" is not a valid identifier'
    e = avro_error(record({"name": "a", "type": "int"}, {"name": "v"}))
    assert e.message == "in.avsc: fields[1]: a field needs a name and a type"
    e = avro_error(record({"name": "v", "type": {"type": "array", "items": 5}}))
    assert e.message == "in.avsc: fields[0].type.items: int 5 is not an Avro type"
    e = avro_error(record({"name": "v", "type": "int", "default": "x"}))
    assert e.message == 'in.avsc: fields[0].default: default "x" does not fit int field `v`'
    e = avro_error(record(name="R"))
    assert "no fields" in e.message


def test_read_input_schema_by_suffix(tmp_path: Path) -> None:
    p = tmp_path / "customer.avsc"
    p.write_text(json.dumps(CUSTOMER_EVENT), encoding="utf-8")
    assert read_input_schema(p).fields == schema_from_avro(json.dumps(CUSTOMER_EVENT)).fields
    c = tmp_path / "orders.csv"
    c.write_text("id,amount\n1,2.5\n", encoding="utf-8")
    s = read_input_schema(c)
    assert s.format == "csv" and s.name == "orders" and s.source_name == "orders"
    with pytest.raises(SchemaInputError) as info:
        read_input_schema(tmp_path / "missing.avsc")
    assert "no such file" in info.value.message


# ---------------------------------------------------------------------- CSV

def test_csv_types_nullability_and_names(tmp_path: Path) -> None:
    text = (
        "Order ID,customerName,amount,qty,big,ok,created_at,ship_date,event_ts,latency_time,zip,note,Order ID,2nd\n"
        "1,Ann,12.50,3,5000000000,true,2024-05-01T12:00:00Z,2024-05-02,1714564800000,250,02134,,a,x\n"
        '2,"Smith, Bob",7,,1,FALSE,2024-05-01 12:00:00.123,2024-05-03,1714564800001,12,10001,"multi\nline",b,y\n'
        "3,Cy,-1e3,4,-2,True,2024-05-01T12:00,2024-05-04,1714564800002,7,90210,,c,z\n"
    )
    s = fields_from_csv(text)
    assert s.format == "csv" and s.delimiter == "," and s.rows_sampled == 3 and s.name is None
    assert s.fields == (
        F("order_id", P(name="int"), doc="CSV column 'Order ID'"),
        F("customer_name", P(name="string"), doc="CSV column 'customerName'"),
        F("amount", P(name="double")),
        F("qty", P(name="int"), nullable=True),
        F("big", P(name="long")),
        F("ok", P(name="boolean")),
        F("created_at", ir.TimestampType(precision=3)),
        F("ship_date", P(name="date")),
        F("event_ts", ir.TimestampType(precision=3)),
        F("latency_time", P(name="int")),  # small numbers: not epoch millis, though the name says time
        F("zip", P(name="string")),  # leading zero: kept as text
        F("note", P(name="string"), nullable=True),
        F("order_id_2", P(name="string"), doc="CSV column 'Order ID'"),
        F("col_2nd", P(name="string"), doc="CSV column '2nd'"),
    )
    assert s.event_time == "created_at"
    assert_round_trip(s)


def test_csv_microsecond_timestamps_and_invalid_dates() -> None:
    s = fields_from_csv("ts,d,when\n2024-05-01T12:00:00.123456,2024-02-30,2024-13-01 00:00:00\n")
    assert [f.type for f in s.fields] == [ir.TimestampType(precision=6), P(name="string"), P(name="string")]
    assert s.event_time is None  # timestamp(6) cannot be the event time
    assert_round_trip(s)


def test_csv_empty_column_and_all_empty_values() -> None:
    s = fields_from_csv("a,,b\n,x,\n,y,1\n")
    assert s.fields == (F("a", P(name="string"), nullable=True), F("column_2", P(name="string"), doc="CSV column ''"),
                        F("b", P(name="int"), nullable=True))
    assert_round_trip(s)


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_csv_delimiters_and_bom(tmp_path: Path, delimiter: str) -> None:
    p = tmp_path / "data.csv"
    rows = [["id", "name", "price"], ["1", "a,b", "1.5"], ["2", "c", "2"]]
    p.write_text("\ufeff" + "\r\n".join(delimiter.join(r) for r in rows) + "\r\n", encoding="utf-8")
    s = fields_from_csv(p)
    assert s.delimiter == delimiter
    assert [f.name for f in s.fields] == ["id", "name", "price"]  # the BOM is not part of the first name
    assert [f.type for f in s.fields] == [P(name="int"), P(name="string"), P(name="double")]
    assert all(f.doc is None for f in s.fields)
    assert s.name == "data"
    assert_round_trip(s)


def test_csv_quoted_fields_with_delimiters_and_newlines() -> None:
    s = fields_from_csv('id,comment,score\n1,"a, b\nand ""c""",3\n2,plain,4\n')
    assert [f.type for f in s.fields] == [P(name="int"), P(name="string"), P(name="int")]


@pytest.mark.parametrize("text, where, words", [
    ("", None, "empty"),
    ("\n\n", None, "empty"),
    ("id,name\n", None, "no data rows"),
    ("id,name\n1,a\n2,b\n3\n", "line 4", "the row has 1 value, the header has 2 columns"),
    ('id,name\n1,"multi\nline"\n2,b,extra\n', "line 4", "3 values"),
    ('id,name\n1,"never closed\n2,b\n', "line 2", "cannot be read"),
])
def test_csv_errors(tmp_path: Path, text: str, where: str | None, words: str) -> None:
    p = tmp_path / "bad.csv"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(SchemaInputError) as info:
        fields_from_csv(p)
    e = info.value
    assert e.position == where and words in e.message and e.hint
    assert e.message.startswith(f"{p}: ") and "\n" not in e.message


def test_csv_missing_file_and_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(SchemaInputError, match="no such file"):
        fields_from_csv(tmp_path / "nope.csv")
    p = tmp_path / "latin1.csv"
    p.write_bytes("name\nZ\xfcrich\n".encode("latin-1"))
    with pytest.raises(SchemaInputError, match="not UTF-8"):
        fields_from_csv(p)


def test_csv_100k_lines_is_quick(tmp_path: Path) -> None:
    p = tmp_path / "big.csv"
    with p.open("w", encoding="utf-8", newline="") as f:
        f.write("event_id,user,amount,created_at,flag,note\n")
        for i in range(100_000):
            note = '"x, ""y"""' if i % 7 == 0 else ""
            f.write(f"{i},user{i % 100},{i * 0.25},2024-05-01T12:{i % 60:02d}:{i % 60:02d}.{i % 1000:03d}Z,"
                    f"{'true' if i % 2 else 'false'},{note}\n")
    start = time.perf_counter()
    s = fields_from_csv(p)
    sampled = time.perf_counter() - start
    start = time.perf_counter()
    whole = fields_from_csv(p, sample_rows=200_000)
    full = time.perf_counter() - start
    assert sampled < 3 and full < 10, (sampled, full)
    assert s.rows_sampled == 10_000 and whole.rows_sampled == 100_000
    assert s.fields == whole.fields == (
        F("event_id", P(name="int")), F("user", P(name="string")), F("amount", P(name="double")),
        F("created_at", ir.TimestampType(precision=3)), F("flag", P(name="boolean")),
        F("note", P(name="string"), nullable=True),
    )
    assert s.event_time == "created_at"
    assert_round_trip(s)


def test_names_and_time_words() -> None:
    assert snake_case("Order ID") == "order_id"
    assert snake_case("orderID") == "order_id"
    assert snake_case("HTTPStatusCode") == "http_status_code"
    assert snake_case("Amount ($)") == "amount"
    assert snake_case("Café Name") == "cafe_name"
    assert all(suggests_time(n) for n in ["ts", "event_ts", "created_at", "orderTime", "timestamp", "ship_date"])
    assert not any(suggests_time(n) for n in ["lat", "status", "timezone", "data"])

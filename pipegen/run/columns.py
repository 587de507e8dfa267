"""A block of synthetic events of one source, held column by column, and turned in bulk into what a consumer
of the events takes: rows (the JSON values as Python objects), JSON messages, or Avro datums.

A column is one field of every event of the block. Most columns do not depend on event time and are turned
into each form once per block (then sliced); the columns that do (timestamps, dates, times, and the records,
arrays and maps holding them) are turned for each batch, from the event times of that batch.

The forms:

- ``py``: the JSON value as Python objects (timestamps as ISO-8601 text, bytes as base64, decimals as floats
  rounded to their scale), what ``json.loads`` gives back from the message;
- ``js``: the JSON text of the value, made from the json module's own pieces (``encode_basestring`` for
  strings, ``float.__repr__`` and ``int.__repr__`` for numbers; ids, uuids, base64 and timestamps as blocks
  of characters cut into texts): a row is its fields' texts put into one template, measured faster than
  building the dicts and encoding them with orjson (bench/results/run.md);
- ``av``: the datum fastavro writes (timestamps as epoch milliseconds or microseconds, dates as days, times
  as milliseconds of the day, decimals as ``decimal.Decimal``, bytes as bytes);
- Avro's binary encoding, by the source's value schema (``avro_bytes``, below).
"""

from __future__ import annotations

import binascii
import decimal
import json
from typing import Any

import numpy as np

# The json module's encoder of a string (its C version), with ensure_ascii=False as ``synth.encode`` writes.
_enc_str = json.encoder.encode_basestring

NULLS = {"py": None, "js": "null", "av": None}
DAY_MS = 86_400_000


class Col:
    """One field of the n events of a block; ``nulls`` marks the events where it is null."""

    time = False  # depends on the events' times: turned per batch, never cached

    def __init__(self, n: int, nulls: np.ndarray | None = None):
        self.n = n
        self.nulls = nulls if nulls is not None and nulls.any() else None
        self._cache: dict[str, list[Any]] = {}

    def get(self, form: str, lo: int, hi: int, ems: np.ndarray | None) -> list[Any]:
        """The values of events lo..hi in ``form``; ``ems`` holds those events' times (epoch ms)."""
        if self.time:
            return self._nulled(form, self.make(form, lo, hi, ems), lo, hi)
        got = self._cache.get(form)
        if got is None:
            got = self._cache[form] = self._nulled(form, self.make(form, 0, self.n, None), 0, self.n)
        return got[lo:hi]

    def _nulled(self, form: str, values: list[Any], lo: int, hi: int) -> list[Any]:
        if self.nulls is None:
            return values
        null = NULLS[form]
        return [null if m else v for v, m in zip(values, self.nulls[lo:hi].tolist())]

    def make(self, form: str, lo: int, hi: int, ems: np.ndarray | None) -> list[Any]:
        raise NotImplementedError


class Cat(Col):
    """Values drawn from a small table (a pool, a word list, an enum's symbols, booleans): ``idx`` picks the
    table's entry of each event, so each form of an entry is made once."""

    def __init__(self, table: Any, idx: np.ndarray, nulls: np.ndarray | None = None):
        super().__init__(len(idx), nulls)
        self.table = table
        self.idx = idx

    def make(self, form: str, lo: int, hi: int, ems: np.ndarray | None) -> list[Any]:
        return self.table.forms[form][self.idx[lo:hi]].tolist()


class Table:
    """The entries of a Cat column in every form, as numpy object arrays (a pick of n entries is one take)."""

    def __init__(self, values: list[Any], avro: Any = None):
        self.values = list(values)
        self.forms = {
            "py": objects(self.values),
            "js": objects([json.dumps(v, ensure_ascii=False) for v in self.values]),
            "av": objects([avro(v) for v in self.values] if avro is not None else self.values),
        }
        self.avro: dict[str, np.ndarray] = {}  # schema -> the entries' Avro bytes (see avro_bytes)

    def __len__(self) -> int:
        return len(self.values)


def texts(chars: np.ndarray) -> list[str]:
    """The rows of an n x w array of ASCII codes as n strings of w characters (made in one piece, then cut)."""
    n, w = chars.shape
    s = chars.tobytes().decode("ascii")
    return [s[i:i + w] for i in range(0, n * w, w)]


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """The n x ``width`` ASCII codes of non-negative integers, zero-padded."""
    out = np.empty((len(values), width), dtype=np.uint8)
    v = values.astype(np.int64)
    for i in range(width - 1, -1, -1):
        out[:, i] = v % 10 + 48
        v = v // 10
    return out


def quoted(chars: np.ndarray) -> np.ndarray:
    """The same rows between double quotes."""
    q = np.full((len(chars), 1), 34, dtype=np.uint8)
    return np.hstack([q, chars, q])


def objects(values: list[Any]) -> np.ndarray:
    a = np.empty(len(values), dtype=object)
    a[:] = values
    return a


class Str(Col):
    """Free-form strings, one per event (``js``: their JSON texts, when they are made with them)."""

    def __init__(self, values: list[str], nulls: np.ndarray | None = None, js: list[str] | None = None):
        super().__init__(len(values), nulls)
        self.values = values
        self.js = js

    def make(self, form: str, lo: int, hi: int, ems: np.ndarray | None) -> list[Any]:
        if form == "js":
            return self.js[lo:hi] if self.js is not None else list(map(_enc_str, self.values[lo:hi]))
        return self.values[lo:hi]


class Num(Col):
    """Numbers: ``kind`` is 'int' (an int64 array), 'float', or 'dec' (floats already rounded to ``scale``)."""

    def __init__(self, kind: str, values: np.ndarray, scale: int = 0, nulls: np.ndarray | None = None):
        super().__init__(len(values), nulls)
        self.kind = kind
        self.values = values
        self.scale = scale

    def make(self, form: str, lo: int, hi: int, ems: np.ndarray | None) -> list[Any]:
        v = self.values[lo:hi].tolist()
        if form == "js":
            return list(map(repr, v))
        if form == "av" and self.kind == "dec":
            return [decimal.Decimal(x) for x in map(repr, v)]
        return v


class Bytes(Col):
    """Random bytes, ``width`` per event (a uint8 array of n x width); JSON holds them as base64."""

    def __init__(self, values: np.ndarray, nulls: np.ndarray | None = None):
        super().__init__(len(values), nulls)
        self.values = values

    def make(self, form: str, lo: int, hi: int, ems: np.ndarray | None) -> list[Any]:
        v = self.values[lo:hi]
        n, w = v.shape
        if form == "av":
            raw = v.tobytes()
            return [raw[i:i + w] for i in range(0, n * w, w)]
        # base64 of every value at once: each padded with zero bytes to a multiple of 3 (so the values'
        # texts do not run into each other), the characters of the padding then made '='
        pad = -w % 3
        full = np.hstack([v, np.zeros((n, pad), dtype=np.uint8)])
        chars = np.frombuffer(binascii.b2a_base64(full.tobytes(), newline=False), dtype=np.uint8)
        chars = chars.reshape(n, (w + pad) // 3 * 4).copy()
        if pad:
            chars[:, -pad:] = ord("=")
        return texts(quoted(chars) if form == "js" else chars)


class Time(Col):
    """A timestamp, date or time ``offsets`` ms before the event's time (``kind``: 'ts3', 'ts6', 'date',
    'time')."""

    time = True

    def __init__(self, kind: str, offsets: np.ndarray | None, n: int, nulls: np.ndarray | None = None):
        super().__init__(n, nulls)
        self.kind = kind
        self.offsets = offsets

    def make(self, form: str, lo: int, hi: int, ems: np.ndarray | None) -> list[Any]:
        assert ems is not None
        ms = ems if self.offsets is None else ems - self.offsets[lo:hi]
        if form == "av":
            if self.kind == "ts6":
                return (ms * 1000).tolist()
            if self.kind == "date":
                return (ms // DAY_MS).tolist()
            if self.kind == "time":
                return (ms % DAY_MS // 1000 * 1000).tolist()
            return ms.tolist()
        chars = iso_chars(ms)
        if self.kind == "date":
            chars = chars[:, :10]
        elif self.kind == "time":
            chars = chars[:, 11:19]
        return texts(quoted(chars) if form == "js" else chars)


def iso_chars(ms: np.ndarray) -> np.ndarray:
    """The n x 23 ASCII codes of ISO-8601 timestamps (``2026-12-01T10:00:00.123``) of epoch milliseconds: the
    days by numpy's datetime64 (a batch spans few), the time of day by arithmetic."""
    days, of_day = np.divmod(ms.astype(np.int64), DAY_MS)
    out = np.empty((len(ms), 23), dtype=np.uint8)
    unique, where = np.unique(days, return_inverse=True)
    dates = np.frombuffer("".join(str(d) for d in unique.astype("datetime64[D]")).encode("ascii"), dtype=np.uint8)
    out[:, :10] = dates.reshape(len(unique), 10)[where]
    out[:, 10] = ord("T")
    out[:, 11:13] = digits(of_day // 3_600_000, 2)
    out[:, 13] = ord(":")
    out[:, 14:16] = digits(of_day // 60_000 % 60, 2)
    out[:, 16] = ord(":")
    out[:, 17:19] = digits(of_day // 1000 % 60, 2)
    out[:, 19] = ord(".")
    out[:, 20:23] = digits(of_day % 1000, 3)
    return out


class Rec(Col):
    """A record: its fields' columns. Its JSON text is one template filled with its fields' texts, a record
    field that is never null inlined into it (one template for the row)."""

    def __init__(self, fields: list[tuple[str, Col]], n: int, nulls: np.ndarray | None = None):
        super().__init__(n, nulls)
        self.fields = fields
        self.names = [name for name, _ in fields]
        self.time = any(c.time for _, c in fields)
        parts, self.leaves = [], []
        for name, c in fields:
            inner = "%s"
            if isinstance(c, Rec) and c.nulls is None:
                inner, leaves = c.template, c.leaves
            else:
                leaves = [c]
            parts.append(json.dumps(name, ensure_ascii=False).replace("%", "%%") + ":" + inner)
            self.leaves += leaves
        self.template = "{" + ",".join(parts) + "}"

    def make(self, form: str, lo: int, hi: int, ems: np.ndarray | None) -> list[Any]:
        if form == "js":
            t = self.template
            return [t % row for row in zip(*(c.get(form, lo, hi, ems) for c in self.leaves))]
        names = self.names
        return [dict(zip(names, row)) for row in zip(*(c.get(form, lo, hi, ems) for _, c in self.fields))]


class Arr(Col):
    """Arrays: ``lens`` items per event, the items of all events in one column."""

    def __init__(self, items: Col, lens: np.ndarray, nulls: np.ndarray | None = None):
        super().__init__(len(lens), nulls)
        self.items = items
        self.lens = lens
        self.offsets = np.concatenate(([0], np.cumsum(lens)))
        self.time = items.time

    def _items(self, form: str, lo: int, hi: int, ems: np.ndarray | None) -> tuple[list[Any], list[int]]:
        a, b = int(self.offsets[lo]), int(self.offsets[hi])
        item_ems = None if ems is None else np.repeat(ems, self.lens[lo:hi])
        values = self.items.get(form, a, b, item_ems)
        return values, (self.offsets[lo:hi + 1] - a).tolist()

    def make(self, form: str, lo: int, hi: int, ems: np.ndarray | None) -> list[Any]:
        values, o = self._items(form, lo, hi, ems)
        rows = [values[o[i]:o[i + 1]] for i in range(hi - lo)]
        return ["[" + ",".join(r) + "]" for r in rows] if form == "js" else rows


class Map(Arr):
    """Maps: the keys of each event (``keys``) and the values of all events in one column."""

    def __init__(self, keys: list[tuple[str, ...]], values: Col, nulls: np.ndarray | None = None):
        super().__init__(values, np.array([len(k) for k in keys], dtype=np.int64), nulls)
        self.keys = keys

    def make(self, form: str, lo: int, hi: int, ems: np.ndarray | None) -> list[Any]:
        values, o = self._items(form, lo, hi, ems)
        keys = self.keys[lo:hi]
        if form == "js":
            return ["{" + ",".join(f"{_enc_str(k)}:{v}" for k, v in zip(ks, values[o[i]:o[i + 1]])) + "}"
                    for i, ks in enumerate(keys)]
        return [dict(zip(ks, values[o[i]:o[i + 1]])) for i, ks in enumerate(keys)]


# ------------------------------------------------------------------------------------------- Avro binary
# The Avro binary encoding (the body of Confluent's wire format) of a column, by the value schema, made column
# by column: a field's values are encoded together (varints by numpy, strings with their lengths), a record
# is its fields' bytes joined. The entries of a table (pools, words, enum symbols) are written by fastavro
# itself, once. Measured against fastavro's schemaless_writer record by record: byte for byte the same
# (tests/test_run_plan.py), and several times faster (bench/results/run.md).
_VARINT = [bytes([i << 1]) if i < 64 else b"" for i in range(64)]  # zigzag varints of small lengths


def _varint(n: int) -> bytes:
    """The zigzag varint of a non-negative int (Avro's long)."""
    if n < 64:
        return _VARINT[n]
    z, out = n << 1, bytearray()
    while z >= 0x80:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


def varints(v: np.ndarray) -> list[bytes]:
    """The zigzag varints of an int64 array (Avro's int and long), one bytes per value."""
    n = len(v)
    if n == 0:
        return []
    x = ((v.astype(np.int64) << 1) ^ (v.astype(np.int64) >> 63)).view(np.uint64)
    mat = np.zeros((n, 10), dtype=np.uint8)
    lens = np.ones(n, dtype=np.int64)
    width = 10
    for i in range(10):
        low = (x & np.uint64(0x7F)).astype(np.uint8)
        x = x >> np.uint64(7)
        more = x != 0
        mat[:, i] = low | (more.astype(np.uint8) << 7)
        lens += more
        if not more.any():
            width = i + 1
            break
    raw = np.ascontiguousarray(mat[:, :width]).tobytes()
    return [raw[o:o + k] for o, k in zip(range(0, n * width, width), lens.tolist())]


def _strings(values: list[str]) -> list[bytes]:
    out = []
    for s in values:
        b = s.encode("utf-8")
        out.append(_varint(len(b)) + b)
    return out


_POW2 = 2 ** np.arange(63, dtype=np.float64)


def _decimals(values: np.ndarray, scale: int) -> list[bytes]:
    """Avro's decimal bytes of floats rounded to ``scale`` (as fastavro writes a decimal.Decimal: big-endian
    two's complement, (bit length + 8) // 8 bytes)."""
    unscaled = np.rint(values * 10.0 ** scale).astype(np.int64)
    bits = np.searchsorted(_POW2, np.abs(unscaled).astype(np.float64), side="right")
    k = ((bits + 8) // 8).tolist()
    raw = unscaled.astype(">i8").tobytes()
    return [_VARINT[m] + raw[o + 8 - m:o + 8] for o, m in zip(range(0, 8 * len(k), 8), k)]


def _entries(table: Table, schema: Any) -> np.ndarray:
    """The Avro bytes of each entry of a table, by fastavro."""
    import io

    import fastavro

    key = json.dumps(schema, sort_keys=True)
    got = table.avro.get(key)
    if got is None:
        parsed = fastavro.parse_schema(schema)
        out = []
        for v in table.forms["av"].tolist():
            buf = io.BytesIO()
            fastavro.schemaless_writer(buf, parsed, v)
            out.append(buf.getvalue())
        got = table.avro[key] = objects(out)
    return got


def avro_bytes(schema: Any, col: Col, lo: int, hi: int, ems: np.ndarray | None) -> list[bytes]:
    """The Avro binary encoding, by ``schema``, of events lo..hi of a column."""
    if col.time:
        return _avro(schema, col, lo, hi, ems)
    got = col._cache.get("ab")
    if got is None:
        got = col._cache["ab"] = _avro(schema, col, 0, col.n, None)
    return got[lo:hi]


def _avro(schema: Any, col: Col, lo: int, hi: int, ems: np.ndarray | None) -> list[bytes]:  # noqa: C901 - by type
    if isinstance(schema, list):  # a union with null
        i_null = schema.index("null")
        inner = schema[1 - i_null] if len(schema) == 2 else next(s for s in schema if s != "null")
        i_value = schema.index(inner)
        values = _avro(inner, col, lo, hi, ems)
        null, tag = _varint(i_null), _varint(i_value)
        if col.nulls is None:
            return [tag + v for v in values]
        return [null if m else tag + v for v, m in zip(values, col.nulls[lo:hi].tolist())]
    t = schema if isinstance(schema, str) else schema["type"]
    logical = None if isinstance(schema, str) else schema.get("logicalType")
    if isinstance(col, Cat):
        return _entries(col.table, schema)[col.idx[lo:hi]].tolist()
    if isinstance(col, Rec):
        parts = [avro_bytes(f["type"], c, lo, hi, ems) for f, (_, c) in zip(schema["fields"], col.fields)]
        return [b"".join(row) for row in zip(*parts)]
    if isinstance(col, Map) or isinstance(col, Arr):
        a, b = int(col.offsets[lo]), int(col.offsets[hi])
        item_ems = None if ems is None else np.repeat(ems, col.lens[lo:hi])
        items = avro_bytes(schema["values" if isinstance(col, Map) else "items"], col.items, a, b, item_ems)
        o = (col.offsets[lo:hi + 1] - a).tolist()
        counts = col.lens[lo:hi].tolist()
        if isinstance(col, Map):
            keys = col.keys[lo:hi]
            return [_varint(m) + b"".join(_strings([k])[0] + v for k, v in zip(ks, items[o[i]:o[i + 1]])) + b"\0"
                    for i, (m, ks) in enumerate(zip(counts, keys))]
        return [_varint(m) + b"".join(items[o[i]:o[i + 1]]) + b"\0" for i, m in enumerate(counts)]
    if isinstance(col, Str):
        return _strings(col.values[lo:hi])
    if isinstance(col, Bytes):
        v = col.values[lo:hi]
        n, w = v.shape
        raw, head = v.tobytes(), _varint(w)
        return [head + raw[i:i + w] for i in range(0, n * w, w)]
    if isinstance(col, Num):
        v = col.values[lo:hi]
        if col.kind == "dec" or logical == "decimal":
            return _decimals(v.astype(np.float64), schema.get("scale", 0))
        if t in ("float", "double"):
            w = 4 if t == "float" else 8
            raw = v.astype("<f4" if w == 4 else "<f8").tobytes()
            return [raw[i:i + w] for i in range(0, len(raw), w)]
        return varints(v)
    if isinstance(col, Time):
        assert ems is not None
        return varints(np.array(col.make("av", lo, hi, ems), dtype=np.int64))
    raise TypeError(f"no Avro encoding for {type(col).__name__}")

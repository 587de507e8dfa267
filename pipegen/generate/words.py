"""Reading a request: the streams and fields it names, its durations and numbers, and what a phrase refers to.

Everything here is a rule a reader can check against a sentence: word-boundary patterns, tried in a fixed
order. Nothing is invented: a name comes from the request (or, where it names none, from the domain
template); a type is inferred from the field's name and the words around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipegen.domains import TField

# ------------------------------------------------------------------ durations and numbers

UNITS = (
    (r"milliseconds?|millis|ms", "ms"), (r"seconds?|secs?|s", "s"), (r"minutes?|mins?|m", "min"),
    (r"hours?|hrs?|h", "h"), (r"days?|d", "d"), (r"weeks?|wk", "w"),
)
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
                "sixty": 60, "ninety": 90, "hundred": 100, "a": 1, "an": 1, "half an": 0}
_NUM = r"(\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|forty|fifty|" \
       r"sixty|ninety)"
DURATION_RE = re.compile(_NUM + r"\s*-?\s*(" + "|".join(p for p, _ in UNITS) + r")\b", re.I)
WORD_DURATIONS = (
    (r"\bhourly\b|\bper hour\b|\ban hour\b|\bevery hour\b|\beach hour\b|"
     r"\b(?:last|past|previous|preceding|trailing) hour\b|\bthe hour\b", (1, "h")),
    (r"\b(?:last|past|previous|preceding|trailing) minute\b", (1, "min")),
    (r"\b(?:last|past|previous|preceding|trailing) (?:day|24 hours)\b", (1, "d")),
    (r"\bper minute\b|\ba minute\b|\bevery minute\b|\beach minute\b|\bminutely\b|\bthe minute\b", (1, "min")),
    (r"\bdaily\b|\bper day\b|\ba day\b|\bevery day\b|\beach day\b|\btoday\b|\bmidnight\b|\bthe day\b", (1, "d")),
    (r"\bper second\b|\bevery second\b|\ba second\b|\beach second\b", (1, "s")),
    (r"\bhalf an hour\b|\bhalf-hour\b|\bhalf-hourly\b", (30, "min")),
    (r"\bweekly\b|\bper week\b|\bevery week\b|\beach week\b", (7, "d")),
)
MILLIS = {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}
Dur = tuple[int, str]


def millis(d: Dur) -> int:
    return d[0] * MILLIS[d[1]]


def _number(text: str) -> float:
    t = text.lower()
    return float(NUMBER_WORDS[t]) if t in NUMBER_WORDS else float(t)


def _as_duration(value: float, unit_text: str) -> Dur | None:
    unit = next(u for p, u in UNITS if re.fullmatch(p, unit_text.lower()))
    if unit == "w":
        value, unit = value * 7, "d"
    if value != int(value):
        value, unit = value * MILLIS[unit], "ms"
    return (int(value), unit) if value > 0 else None


@dataclass(frozen=True)
class Found:
    """A duration or number in the request, with where it is."""

    value: Dur | str
    start: int
    end: int


def durations(text: str) -> list[Found]:
    """Every duration, in the order written ("15 minutes", "30-second", "hourly")."""
    out: list[Found] = []
    for m in DURATION_RE.finditer(text):
        d = _as_duration(_number(m.group(1)), m.group(2))
        if d is not None:
            out.append(Found(d, m.start(), m.end()))
    taken = [(f.start, f.end) for f in out]
    for pattern, d in WORD_DURATIONS:
        for m in re.finditer(pattern, text, re.I):
            if not any(a <= m.start() < b or m.start() <= a < m.end() for a, b in taken):
                out.append(Found(d, m.start(), m.end()))
                taken.append(m.span())
    return sorted(out, key=lambda f: f.start)


NUMBER_RE = re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?)(?![\w.]*[a-z_])")


def numbers(text: str) -> list[Found]:
    """Numbers that are not part of a duration or a name (``v2``, ``p95``)."""
    spans = [(f.start, f.end) for f in durations(text)]
    out = []
    for m in NUMBER_RE.finditer(text):
        if any(a <= m.start() < b for a, b in spans):
            continue
        out.append(Found(m.group(1), m.start(), m.end()))
    return out


# ------------------------------------------------------------------ words

def singular(w: str) -> str:
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("ses", "xes", "ches", "shes")) and len(w) > 4:
        return w[:-2]
    if w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        return w[:-1]
    return w


def snake(text: str, limit: int = 48) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()
    if not s or s[0].isdigit():
        s = "p_" + s
    return s[:limit].rstrip("_")


# Words that never name a stream, a field or a key.
STOP = frozenset("""
a an the this that these those its their his her our your my of in on at to into onto from for with by per each
every all any and or but not no only also then than as is are was were be been it them they which who whose what
when whenever where while if same new one two three other another some up down out over under above below more less
most least first last latest next previous preceding recent current data event events record records row rows
message messages item items stream streams topic topics table tables feed feeds value values entry entries
window windows minute minutes hour hours second seconds day days week time times result results output outputs
number count total sum average mean max min maximum minimum amount kafka flink pipeline job
""".split())
GENERIC_NOUNS = frozenset("""
event events record records row rows message messages reading readings entry entries update updates item items
data signal signals sample samples line lines change changes
""".split())

TYPE_WORDS = {
    "string": "string", "varchar": "string", "text": "string", "str": "string", "char": "string",
    "int": "int", "integer": "int", "smallint": "int", "tinyint": "int", "bigint": "long", "long": "long",
    "double": "double", "float": "double", "real": "double", "number": "double", "numeric": "double",
    "bool": "boolean", "boolean": "boolean", "timestamp": "timestamp(3)", "datetime": "timestamp(3)",
    "date": "date", "uuid": "uuid", "bytes": "bytes",
}
_TYPE_RE = (r"(?:decimal\s*\(\s*\d+\s*,\s*\d+\s*\)|(?:timestamp_ltz|timestamp|varchar|char)\s*\(\s*\d+\s*\)|"
            r"timestamp_ltz|" + "|".join(sorted(TYPE_WORDS, key=len, reverse=True)) + r")")
IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def _type_text(word: str) -> str:
    w = word.lower().replace(" ", "")
    m = re.fullmatch(r"decimal\((\d+),(\d+)\)", w)
    if m:
        return f"decimal({m.group(1)}, {m.group(2)})"
    if w.startswith("timestamp"):
        return "timestamp(3)"
    if w.startswith(("varchar", "char")):
        return "string"
    return TYPE_WORDS[w]


# Types from a field's name, tried in order: the first rule that matches decides.
NAME_TYPES: tuple[tuple[str, str], ...] = (
    (r"(^|_)(ts|timestamp|datetime|time|at)$|^(ts|time|timestamp)$|_(ts|time|at)_", "timestamp(3)"),
    (r"(^|_)(date|day|dt)$", "date"),
    # a measure per unit ("price_per_litre", "cost_per_km", "revenue_in_eur") is a number whatever the unit
    (r"(^|_)(price|cost|amount|fee|rate|revenue|spend|value|speed|consumption|usage|count|distance)_(per|in)_",
     "double"),
    (r"^(is|has|was|can|should)_|(^|_)(flag|flagged|enabled|active|ok|success|succeeded|fraud|valid)$", "boolean"),
    (r"(^|_)(id|ids|code|key|uuid|sku|ref|number|no|name|type|kind|status|state|email|url|uri|ip|iban|isbn|"
     r"country|currency|city|region|zone|category|channel|mode|tier|segment|label|symbol|ticker|pair|host|path|"
     r"page|action|event|method|source|device|user|customer|store|shop|merchant|vendor|sensor|machine|site|"
     r"station|route|driver|truck|vehicle|player|game|team|campaign|product|account|card|session|level_name|"
     r"text|comment|message|reason|brand|model|version|plan|lang|language|os|browser|platform|currency_code)$",
     "string"),
    (r"(^|_)(qty|quantity|count|cnt|units|num|n|clicks|views|items|seats|floor|hits|retries|attempts|kills|"
     r"deaths|goals|points|steps|beds|stock|inventory|rank|position|age|year|lap|round|bytes|packets|calls|"
     r"visits|likes|shares|installs|errors|failures|orders|passengers|cents|pence)$", "int"),
    (r"(^|_)(amount|amt|price|px|vwap|cost|total|value|revenue|rate|fee|fees|balance|score|temp|temperature|humidity|"
     r"pressure|speed|lat|lng|lon|latitude|longitude|distance|km|kwh|wh|volt|voltage|volts|power|energy|watts|"
     r"weight|kg|duration|latency|ms|pct|percent|ratio|level|bpm|spo2|usd|eur|gbp|c|f|celsius|fahrenheit|"
     r"load|usage|cpu|memory|mem|rpm|vibration|heart_rate|glucose|delay|minutes|seconds|secs|hours|min|mins|sec|"
     r"hrs|mph|kmh|"
     r"margin|profit|discount|tax|tip|bid|ask|spread|volume|size|depth|altitude|reading|measurement|dose|"
     r"mg|ml|liters|litres|liter|litre|gallon|gallons|tonnes|grams|flow|current|amps|signal|strength|rssi|battery|charge|fuel|odometer|mileage)$",
     "double"),
)


def type_from_name(name: str) -> str:
    n = name.lower()
    for pattern, typ in NAME_TYPES:
        if re.search(pattern, n):
            return typ
    return "string"


def role_of(typ: str) -> str:
    if typ.startswith("timestamp"):
        return "time"
    if typ in ("int", "long", "double", "float") or typ.startswith("decimal"):
        return "metric"
    if typ == "boolean":
        return "label"
    return "key"


# ------------------------------------------------------------------ streams and their fields


@dataclass
class Stream:
    """A stream (topic, table) the request names, with the fields it lists."""

    name: str  # as an identifier
    topic: str  # as written
    start: int  # where the request names it
    fields: list[TField] = field(default_factory=list)
    output: bool = False  # named as a destination ("write them to the alerts topic")
    upsert: bool = False  # a changelog / upsert / compacted table
    key: str | None = None  # "keyed by X"


_NOUN = r"(?:streams?|topics?|tables?|feeds?|changelogs?|logs?|queues?|channels?)"
_KIND = r"(?:(?:kafka|upsert|changelog|compacted|input|source|output|event|events|cdc|versioned|lookup|reference)\s+)*"
_NAME_OR_TICK = r"(`[^`\n]{1,64}`|[A-Za-z_][A-Za-z0-9_\-.]*)"
def _separate_topics(capture: int) -> re.Pattern[str]:
    """"refunds and purchases are separate topics": the pattern that captures the first name (0) or the second."""
    names = [r"(?:`[^`\n]{1,64}`|[a-z][a-z0-9_]*)", r"(?:`[^`\n]{1,64}`|[a-z][a-z0-9_]*)"]
    names[capture] = r"(`[^`\n]{1,64}`|[a-z][a-z0-9_]*)"
    return re.compile(r"\b" + names[0] + r"\s+and\s+(?:the\s+)?" + names[1]
                      + r"\s+(?:are|come from|arrive on|live in)\s+"
                      r"(?:two\s+)?(?:separate|different|their own|own)?\s*(?:kafka\s+)?(?:topics|streams|feeds)\b",
                      re.I)


STREAM_PATTERNS = (  # (what the pattern reads, the pattern), tried in this order
    # the `pos_sales` stream, the orders topic, the fx_rates upsert stream, the sensor-data topic
    ("noun_after", re.compile(r"(?<![\w`])" + _NAME_OR_TICK + r"\s+" + _KIND + _NOUN + r"\b", re.I)),
    # stream pos_sales, topic `orders-v2`, table customers(...): a plain word only before its field list
    ("noun_before", re.compile(
        r"\b(?:k?" + _NOUN + r")\s*(?:(?:is\s+)?(?:called|named)\s+|is\s+|:\s*|of\s+(?:the\s+)?)?"
        r"(`[^`\n]{1,64}`|[A-Za-z][A-Za-z0-9]*(?:[_\-.][A-Za-z0-9]+)+"
        r"|[A-Za-z][A-Za-z0-9]*(?=\s?[({:]|\s+(?:with|has|having|carrying|containing|holds)\b))", re.I)),
    # schema of clicks: {...}
    ("schema_of", re.compile(r"\bschema (?:of|for) (?:the )?(`[^`\n]{1,64}`|[A-Za-z_][A-Za-z0-9_\-]*)(?=\s*:?\s*[({])",
                             re.I)),
    # clicks(url, user_id, ts), readings {sensor, temp, at}
    ("paren", re.compile(r"(?<![\w\-.`])(`[^`\n]{1,64}`|[A-Za-z_][A-Za-z0-9_]*)\s?[({](?=[^(){}]*[,:])")),
    # from `pos_sales`, from raw_orders, into all_orders
    ("verb", re.compile(r"\b(?:from|join|into|onto|merge|union|reads?|consumes?)\s+(?:the\s+)?"
                        r"(`[^`\n]{1,64}`|[a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b", re.I)),
    # merge eu_orders and us_orders, join orders with shipments (the second name of the pair)
    ("pair_second", re.compile(
        r"\b(?:merge|union|combine|join|joins|joining|match|matching|enrich|enriching)\s+(?:the\s+)?"
        r"(?:`[^`\n]{1,64}`|[a-z][a-z0-9_]*)(?:\s+(?:stream|topic|events))?(?:,\s*(?:the\s+)?"
        r"(?:`[^`\n]{1,64}`|[a-z][a-z0-9]*_[a-z0-9_]+))*,?\s+(?:and|with|to|against)\s+(?:the\s+)?"
        r"(`[^`\n]{1,64}`|[a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b", re.I)),
    # "web_orders has order_id, ...", "Readings: pump_readings with pump_id, ...": a name, then its field list
    ("name_then_list", re.compile(
        r"(?<![\w`{(,])(?<![{(,] )(`[^`\n]{1,64}`|[a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?=\s*(?:(?:fields|columns|schema)\s*:|"
        r":|=|\bhas\b|\bhave\b|\bcarries\b|\bcontains\b|\bholds\b|\bincludes\b|\bwith\b|\bprovides\b|\bemits\b|"
        r"\bis a \w+ of\b)\s*(?:the\s+)?(?:fields?\s+|columns?\s+)?:?\s*`?[a-z_][a-z0-9_]*`?(?:\s+\w+)?\s*,)", re.I)),
    # write them to urgent_tickets, send alerts to `pager`, -> big_orders, sink = x, upsert sink x, output x
    ("destination", re.compile(
        r"(?:\b(?:to|into|onto)\s+(?:the\s+|a\s+|an\s+)?(?:(?:new|separate|output|kafka|compacted|upsert|"
        r"dedicated|downstream|single)\s+)*(?:(?:topic|stream|table|sink)\s+)?|->\s*|=>\s*|\bsinks?\s*(?:=|:|topic\s+|"
        r"stream\s+|table\s+|called\s+|named\s+)?\s*|\boutput(?:s|ting)?\s*(?:=|:|topic\s+|stream\s+|to\s+)?\s*)"
        r"(`[^`\n]{1,64}`|[a-z][a-z0-9]*(?:[_\-.][a-z0-9]+)+)\b", re.I)),
    # "refunds and purchases are separate topics", "the a_x, b_x and c_x topics"
    ("separate", _separate_topics(0)),
    ("separate_second", _separate_topics(1)),
    # "X is a CDC feed with ...", "X - it has ...", "X gets ...", "the `X` events have ..."
    ("name_is", re.compile(
        r"(?<![\w`])(`[^`\n]{1,64}`|[a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?:\s+(?:events|records|messages|rows|data|readings))?"
        r"(?=\s*(?:[-–—]\s*it\s+has\b|\bis\s+(?:an?|the)\s+(?:[\w-]+\s+){0,3}(?:feed|topic|stream|table|changelog|log|"
        r"queue)\b|\bgets\b|\breceives\b|\bhave\b|\bhas\b|\bcarry\b|\bcontain\b))", re.I)),
    # "a, b and c are the fields of X"
    ("fields_of", re.compile(r"\b(?:are|is)\s+(?:the\s+)?(?:fields|columns|schema|attributes)\s+(?:of|in|for)\s+"
                             r"(?:the\s+)?(`[^`\n]{1,64}`|[A-Za-z_][A-Za-z0-9_\-]*)", re.I)),
    # "combine three topics, `a`, `b` and `c`"
    ("topics_then_names", re.compile(r"\b(?:topics|streams|feeds)\s*[,:]?\s+("
                                     r"(?:`[^`\n]{1,64}`|[a-z][a-z0-9]*_[a-z0-9_]+)"
                                     r"(?:\s*,\s*(?:`[^`\n]{1,64}`|[a-z][a-z0-9]*_[a-z0-9_]+))*,?\s+(?:and|&)\s+"
                                     r"(?:`[^`\n]{1,64}`|[a-z][a-z0-9]*_[a-z0-9_]+))", re.I)),
    # the first name of such a pair, when it is an identifier
    ("pair_first", re.compile(r"\b(?:merge|union|combine|join|joins|joining)\s+(?:the\s+)?(`[^`\n]{1,64}`|"
                              r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b", re.I)),
)
_STREAM_STOP = STOP | {"kafka", "upsert", "changelog", "compacted", "input", "output", "source", "sink", "event",
                       "raw", "incoming", "separate", "second", "third", "reference", "lookup", "cdc", "versioned",
                       "dimension", "fact", "append", "json", "avro", "same", "own", "it", "them", "join", "joined",
                       "stream", "topic", "table", "ordered", "keyed", "log", "dead", "letter", "main", "target",
                       "both", "either", "all", "each", "single", "one", "two", "three", "new", "old", "columns",
                       "column", "fields", "field", "schema", "attributes", "keys", "values", "given", "use",
                       "using", "read", "take", "consume", "process", "handle", "our", "my", "your", "this", "that",
                       "called", "named", "is", "are", "which", "there"}


def _strip_ticks(s: str) -> str:
    return s[1:-1].strip() if s.startswith("`") and s.endswith("`") else s


def _looks_like_stream(name: str) -> bool:
    n = name.lower()
    return bool(n) and n not in _STREAM_STOP and not n.isdigit() and len(n) >= 2 and not DURATION_RE.fullmatch(n)


def _destination(text: str, start: int) -> bool:
    before = text[max(0, start - 60):start].lower()
    m = re.search(r"\b(to|into|onto|sink|output)\b(?:\s+(?:the|a|an|it|them|those|these|results?|"
                  r"alerts?|only|each|every|all|single|new|separate|dedicated|one|output|kafka|compacted|upsert|"
                  r"own|its|their|downstream|outbound|target|topic:?|stream:?|table:?|is|called|named)){0,3}\s*:?\s*`?$",
                  before)
    return m is not None and m.group(1) not in ("with",)


FUNCTION_WORDS = frozenset("""
the a an and or of to in on for with by from per each every is are was were be it them they this that these those
its their then than as into onto at if when where which who while but not no only also all any some
""".split())
_ITEM_RE = re.compile(r"`?(" + IDENT + r")`?(?:\s*(?::|\s|\bas\b)\s*\(?\s*(" + _TYPE_RE + r")s?\s*\)?)?(\?)?"
                      r"(?:\s*\((?:" + _TYPE_RE + r"|[^)]{0,40})\))?", re.I)


def _field_items(body: str, strict: bool = True) -> list[TField] | None:
    """A field list: ``a, b and c``, ``a double, b int``, ``a: double``; its items up to the first that is not
    one (the sentence going on). None when fewer than two items, or when it reads as prose. ``strict``: the
    list is not in parentheses, so at least one item must look like an identifier (or there are three)."""
    body = re.sub(r"\s+(?:and|&|plus|as well as|along with|together with)\s+", ", ", body.strip().strip("{}[]"))
    body = re.sub(r"^(?:the\s+)?(?:following\s+)?(?:fields?|columns?|schema|attributes?)\s*(?::|are|is)?\s+", "", body,
                  flags=re.I)
    parts = [p.strip(" .;") for p in re.split(r"[,;](?![^()]*\))|\s+/\s+", body)]
    items: list[TField] = []
    identifier_like = 0
    group_type = None
    for p in parts:
        if not p:
            continue
        p = re.sub(r"^(?:the|a|an|its|their)\s+", "", p, flags=re.I)
        p = re.sub(r"\s*:\s*(?!\s*\(?\s*" + _TYPE_RE + r"\b).*$", "", p, flags=re.I)  # "d: compute ..." ends the list
        m = _ITEM_RE.fullmatch(p)
        if m is None:
            # "bid and ask as strings": a type for the items before it
            tm = re.fullmatch(r"`?(" + IDENT + r")`?\s+(?:as|are|is)\s+(?:an?\s+)?(" + _TYPE_RE + r")s?", p, re.I)
            if tm:
                m = tm
                group_type = _type_text(tm.group(2))
            else:
                break
        name = m.group(1)
        if name.lower() in FUNCTION_WORDS and strict or name.isdigit() or name.lower() in ("the", "and", "or"):
            break
        if "_" in name or "`" in p or m.group(2) or re.search(r"[a-z][A-Z]", name):
            identifier_like += 1
        typ = _type_text(m.group(2)) if m.group(2) else type_from_name(name)
        if m.group(2) and re.search(r"\bas\s+\w+s\s*$", p, re.I) and not p.lower().endswith("ss"):
            group_type = typ  # "bid and ask as strings": the type of the run of items it ends
        items.append(TField(name, typ, role_of(typ), "", explicit=bool(m.group(2))))
        if group_type:
            items = [TField(i.name, group_type, role_of(group_type), "", explicit=True)
                     if not i.type.startswith("timestamp") or group_type.startswith("timestamp") else i for i in items]
            group_type = None
    names = [i.name.lower() for i in items]
    if len(items) < 2 or len(set(names)) != len(names):
        return None
    return items if not strict or identifier_like or len(items) >= 3 else None


_LIST_AFTER = re.compile(
    r"^\s*(?:stream|topic|table|feed|events?)?\s*(?:schema\s*)?:?\s*(?:\(([^()]{1,400})\)|\{([^{}]{1,400})\}|"
    r"[,:]?\s*(?:\(|with\s+(?:the\s+)?(?:fields?|columns?|attributes?)|with\s+|having\s+|carrying\s+|containing\s+|"
    r"(?:carries|carry|contains|has|have|holds|includes|provides|emits|sends)\s+(?:the\s+)?(?:following\s+)?"
    r"(?:fields?\s*:?\s*|columns?\s*:?\s*)?|"
    r"(?:which|that)\s+(?:has|have|carries|carry|contains|contain|holds)\s+|fields?:?\s+|columns?:?\s+|"
    r"schema:?\s+)(?:(?:fields?|columns?)\s*:?\s*)?((?:[^.;()]|\((?:\d+(?:,\s*\d+)?|" + _TYPE_RE
    + r")\)){1,400}))", re.I)
_LIST_LATER = re.compile(
    r"\b(?:it|this (?:stream|topic|table)|the (?:stream|topic|table))\s+(?:has|carries|contains|holds|includes)\s+"
    r"(?:the\s+)?(?:following\s+)?(?:fields?\s*:?\s*|columns?\s*:?\s*)?([^.;]{1,400})"
    r"|\b(?:each|every|an?)\s+(?:\w+\s+){0,2}(?:event|record|row|message|reading|line|entry|tick|ping|update)s?\s+"
    r"(?:has|have|carries|carry|contains|contain|holds|includes?|is)\s+(?:the\s+)?(?:fields?\s+)?"
    r"((?:[^.;()]|\((?:\d+(?:,\s*\d+)?|" + _TYPE_RE + r")\)){1,400})"
    r"|\b(?:fields?|columns?|schema)\s*(?:are|is|:)\s*((?:[^.;()]|\((?:\d+(?:,\s*\d+)?|" + _TYPE_RE
    + r")\)){1,400})", re.I)


def _cut_list(body: str) -> str:
    """A field list ends where the sentence goes on: at "to compute", ", count", " every"...""" 
    m = re.search(r"\s(?:to|every|per|for|where|when|whenever|which|that|then|so|in order|from|into|grouped|"
                  r"and then|compute|count|sum|calculate|keep|find|report|output|emit|send|write|publish|"
                  r"forward|drop|join|match|detect|alert|flag|track|show|only|within|over|ignoring|excluding|"
                  r"partitioned|keyed|ordered)\b", " " + body)
    return body[:m.start() - 1] if m else body


_NOT_STREAMS = frozenset(TYPE_WORDS) | {"decimal", "cast", "avg", "sum", "count", "min", "max", "round", "coalesce",
                                        "concat", "lower", "upper", "substring", "date_format", "timestampdiff"}


def _list_after(text: str, m: re.Match[str], paren: bool) -> list[TField] | None:
    after = text[m.end() - 1:m.end() + 420] if paren else text[m.end():m.end() + 420]
    lm = _LIST_AFTER.match(after)
    if lm:
        if lm.group(1) is not None or lm.group(2) is not None:
            return _field_items(lm.group(1) or lm.group(2), strict=False)
        return _field_items(_cut_list(lm.group(3)))
    # an aside first: "sku_prices, a changelog keyed by sku with sku, list_price and updated_at"
    clause = re.split(r"[;.](?:\s|$)", after, maxsplit=1)[0][:300]
    am = re.match(r",?\s*(?:an?|the)\s+(?:[\w-]+\s+){0,6}?(?:with|having|carrying|containing|of)\s+(?:the\s+)?"
                  r"(?:fields?|columns?)?\s*:?\s*([^.;()]{3,300})", clause)
    if am:
        return _field_items(_cut_list(am.group(1)))
    pm = re.match(r",?\s*(?:an?|the)\s+[^()]{0,80}?\(([^()]{3,300})\)", clause)
    if pm:
        return _field_items(pm.group(1), strict=False)
    return None


def _clause(text: str, start: int) -> str:
    """The text from ``start`` to the end of its clause: what is said of the stream named there (a
    parenthesis right after the name included: "fx_rates (currency, rate; an upsert topic keyed by currency)")."""
    rest = text[start:start + 160]
    pm = re.match(r"`?[\w\-.]+`?\s*\(([^()]*)\)", rest)
    if pm:
        return rest[:pm.end()]
    cut = re.search(r"[;.](?:\s|$)|\b(?:comes? from|from|with app|and the|while)\b", rest[1:])
    return rest[:cut.start() + 1] if cut else rest


def streams(text: str) -> list[Stream]:
    """The streams the request names, in the order it names them, with their field lists."""
    found: dict[str, Stream] = {}
    for kind, pattern in STREAM_PATTERNS:
        for m in pattern.finditer(text):
            _pattern_stream(text, kind, m, found)
    _listed_streams(text, found)
    _aside_streams(text, found)
    _colon_lists(text, found)
    _lists_ending_in_a_name(text, found)
    return _ordered(text, found)


def _pattern_stream(text: str, kind: str, m: re.Match[str], found: dict[str, Stream]) -> None:
    """The stream a match of one of ``STREAM_PATTERNS`` names (added to ``found``), and what the request says
    of it there."""
    raw = _strip_ticks(m.group(1))
    if not _looks_like_stream(raw) or not re.search(r"[A-Za-z]", raw) or raw.lower() in _NOT_STREAMS:
        return
    if kind == "topics_then_names":
        for nm in re.finditer(r"`([^`\n]{1,64})`|([a-z][a-z0-9]*_[a-z0-9_]+)", m.group(1), re.I):
            one = nm.group(1) or nm.group(2)
            if snake(one) not in found:
                found[snake(one)] = Stream(snake(one), one, m.start(1) + nm.start())
        return
    named = _stream_name(text, kind, m, raw)
    if named is None:
        return
    name = snake(named)
    if name in _STREAM_STOP:
        return
    st = found.get(name)
    if st is None:
        st = found[name] = Stream(name, named, m.start(1))
        st.output = kind == "destination" or _destination(text, m.start(1))
    if kind == "fields_of" and not st.fields:
        items = _fields_before(text, m)
        if items:
            st.fields = items
    elif st.output and not _destination(text, m.start(1)) and re.search(
            r"\b(?:from|reads?|consumes?|join|merge)\s+(?:the\s+)?`?$", text[max(0, m.start(1) - 14):m.start(1)]):
        st.output = False
    if not st.fields:
        items = _list_after(text, m, kind == "paren")
        if items:
            st.fields = items
    _table_and_key(text, m, st)


def _stream_name(text: str, kind: str, m: re.Match[str], raw: str) -> str | None:
    """The name a pattern's match gives a stream, or None where the word it matched names none. A plain word
    becomes a name only where the pattern makes it one (a noun after it, or a list)."""
    if kind in ("verb", "pair_second", "name_then_list", "pair_first", "destination", "name_is") and \
            "_" not in raw and "-" not in raw and not m.group(1).startswith("`"):
        return None
    if kind == "noun_before" and re.match(r"\s*,", text[m.end():]):
        return None  # "stream player_id, match_id and kills from ...": a verb and a field list
    if kind == "paren" and re.search(r"\b(?:keyed by|key|by|on|per|partitioned by)\s+`?$",
                                     text[max(0, m.start(1) - 16):m.start(1)]):
        return None  # "keyed by player_id (player_id, muted, ...)": the key, then the stream's fields
    if kind == "noun_after" and "_" not in raw and "-" not in raw and "`" not in m.group(1):
        prev = text[max(0, m.start(1) - 24):m.start(1)].lower()
        # "the orders topic": one word after an article; "the sensor readings topic": two words
        two = re.search(r"\b(?:the|a|an|from|its|their|to|into)\s+([a-z][a-z0-9]*)\s+$", prev)
        if two and two.group(1) not in _STREAM_STOP and not re.search(r"^(the|a|an|from|to|into|its|their)$",
                                                                      two.group(1)):
            return f"{two.group(1)}_{raw}"
        if not re.search(r"(?:\b(?:the|a|an|from|its|their|to|into|each|every)|^|[.;:!?])\s*$", prev):
            return None
    return raw


def _fields_before(text: str, m: re.Match[str]) -> list[TField] | None:
    """"a, b and c are the fields of X": the list before the words ``m`` matched."""
    before = re.search(r"((?:`?" + IDENT + r"`?(?:\s+" + _TYPE_RE + r")?\s*(?:,\s*|,?\s+and\s+))+`?" + IDENT +
                       r"`?)\s+(?:are|is)\s+(?:the\s+)?(?:fields|columns|schema|attributes)\s*$", text[:m.start()])
    return _field_items(before.group(1), strict=False) if before else None


def _table_and_key(text: str, m: re.Match[str], st: Stream) -> None:
    """What the clause that names the stream says of it: a table (upsert, changelog, lookup...), its key
    ("keyed by X"), and the attributes a keyed table lists after its key."""
    window = _clause(text, m.start())
    lead = " ".join(text[:m.start()].split()[-3:])  # "an upsert topic", "our cdc topic", "a KTable of"
    if re.search(r"\b(?:upsert|changelog|compacted|versioned|keyed by|primary key|cdc|lookup|reference)\b",
                 window, re.I) or re.search(r"\b(?:upsert|changelog|compacted|versioned|cdc|lookup|reference|"
                                            r"ktable|dimension)\b[^.;]*$", lead, re.I):
        st.upsert = True
    km = re.search(r"\bkeyed (?:by|on)\s+`?(" + IDENT + r")`?|\bprimary key\s+`?(" + IDENT + r")`?", window)
    if km and st.key is None:
        st.key = km.group(1) or km.group(2)
    if st.key and not st.fields:
        # "customers keyed by customer_id with tier and region": the key and the attributes
        am = re.search(r"\bkeyed (?:by|on)\s+`?" + re.escape(st.key) + r"`?\s*,?\s+(?:with|having|carrying)\s+"
                       r"(?:the\s+)?(?:fields?\s+|columns?\s+)?([^.;()]{2,200})", window + text[m.start() +
                                                                               len(window):m.start() + 300])
        items = _field_items(_cut_list(am.group(1)), strict=False) if am else None
        if items is None and am:
            one = re.match(r"`?(" + IDENT + r")`?", am.group(1).strip())
            items = [TField(one.group(1), type_from_name(one.group(1)), "label", "")] if one else None
        if items:
            st.fields = [TField(st.key, type_from_name(st.key), "key", ""),
                         *[i for i in items if i.name != st.key]]


def _listed_streams(text: str, found: dict[str, Stream]) -> None:
    """"the a_x, b_x and c_x topics", "merge a_x, b_x and c_x into ...": each name of the list is a stream."""
    for m in re.finditer(r"((?:`?" + IDENT + r"`?\s*,\s*)+`?" + IDENT + r"`?,?\s+(?:and|&)\s+`?" + IDENT + r"`?)\s*"
                         r"(?:\(|(?:kafka\s+)?(?:topics|streams|feeds|tables)\b|into\b|onto\b)", text, re.I):
        for nm in re.finditer(r"`?(" + IDENT + r")`?", m.group(1)):
            raw = nm.group(1)
            if raw.lower() in ("and",) or "_" not in raw or snake(raw) in found:
                continue
            found[snake(raw)] = Stream(snake(raw), raw, m.start(1) + nm.start(1))


def _aside_streams(text: str, found: dict[str, Stream]) -> None:
    """"(fx_rates, an upsert topic keyed by currency with rate)": a stream named in an aside, with its key and
    fields."""
    for m in re.finditer(r"\(\s*`?(" + IDENT + r")`?\s*,\s*(?:an?|the)\s+(?:[\w-]+\s+){0,4}?(?:stream|topic|table|"
                         r"changelog|feed)\b([^()]*)\)", text):
        name = snake(m.group(1))
        if "_" in name and name not in found:
            st = found[name] = Stream(name, m.group(1), m.start(1))
            tail = m.group(2)
            st.upsert = bool(re.search(r"\b(?:upsert|changelog|compacted|keyed by|versioned)\b", m.group(0), re.I))
            km = re.search(r"\bkeyed (?:by|on)\s+`?(" + IDENT + r")`?", tail)
            if km:
                st.key = km.group(1)
            lm = re.search(r"\b(?:with|having|carrying)\s+(?:the\s+)?(?:fields?\s+|columns?\s+)?([^()]+)$", tail)
            if lm:
                items = _field_items(lm.group(1), strict=False) or [
                    TField(x, type_from_name(x), role_of(type_from_name(x)), "") for x in
                    re.findall(IDENT, lm.group(1)) if x.lower() not in FUNCTION_WORDS][:8]
                if st.key and all(f.name != st.key for f in items):
                    items.insert(0, TField(st.key, type_from_name(st.key), "key", ""))
                st.fields = list(items)


def _colon_lists(text: str, found: dict[str, Stream]) -> None:
    """"(push_sends: push_id, campaign_id, sent_at)": a name, a colon and its list, in parentheses."""
    for m in re.finditer(r"\(\s*`?(" + IDENT + r")`?\s*:\s*([^()]{3,400})\)", text):
        name = snake(m.group(1))
        items = _field_items(m.group(2), strict=False)
        if items and _looks_like_stream(name):
            st = found.get(name) or Stream(name, m.group(1), m.start(1))
            st.fields = items
            found[name] = st
            # the word before the parenthesis is a description ("push notifications"), not a stream
            before = re.search(r"(`?" + IDENT + r"`?)\s*$", text[:m.start()])
            if before and snake(_strip_ticks(before.group(1))) in found and not found[snake(_strip_ticks(
                    before.group(1)))].fields:
                del found[snake(_strip_ticks(before.group(1)))]


def _lists_ending_in_a_name(text: str, found: dict[str, Stream]) -> None:
    """"(forklift_id, zone, moved_at in forklift_moves)": a list that ends with the stream's name."""
    for m in re.finditer(r"\(([^()]{3,400}?)\s+(?:in|from|on|of)\s+(?:the\s+)?`?(" + IDENT + r")`?\s*\)", text):
        name = snake(m.group(2))
        items = _field_items(m.group(1), strict=False)
        if items and _looks_like_stream(name):
            st = found.setdefault(name, Stream(name, m.group(2), m.start(2)))
            if not st.fields:
                st.fields = items


def _ordered(text: str, found: dict[str, Stream]) -> list[Stream]:
    """The streams found, in the order the request names them, their field types refined; a list of streams
    is no stream's fields, a field is no stream, and a later sentence may list the fields of the streams
    named without a list."""
    for st in found.values():
        if sum(snake(f.name) in found and snake(f.name) != st.name for f in st.fields) >= 2:
            st.fields = []  # "merge a_x, b_x and c_x": a list of streams, not of fields
        st.fields = [refine_type(text, f) for f in st.fields]
    # a name that is a field of another stream is not a stream
    field_names = {f.name for st in found.values() for f in st.fields}
    ordered = sorted((st for st in found.values() if st.name not in field_names), key=lambda s: s.start)
    # A later sentence may list the fields of the streams named without a list: of the one such stream, or of
    # all of them when the request says they share it ("all three have the same columns: ...").
    unlisted = [s for s in ordered if not s.fields and not s.output]
    shared = re.search(r"\b(?:same (?:columns|fields|schema|shape)|all (?:two|three|four|of them)|both (?:have|carry|"
                       r"share)|each (?:of them|topic|stream) (?:has|carries))\b|\((?:all|both|each)\s*:", text, re.I)
    if unlisted and (shared or (len(unlisted) == 1 and not any(s.fields for s in ordered if not s.output))):
        items = bare_field_list(text)
        if items:
            for s in unlisted if shared else unlisted[:1]:
                s.fields = list(items)
    return ordered


_CMP_WORDS = (r"(?:is\s+|are\s+|was\s+)?(?:not\s+)?(?:above|below|over|under|more than|less than|greater than|"
              r"higher than|lower than|at least|at most|exceeds?|exceeding|>=|<=|>|<|between|equal to|"
              r"drops? below|falls? below|rises? above)\s+-?[$€£]?\d")


def refine_type(text: str, f: TField) -> TField:
    """A field's type from how the request uses it, when the user wrote none: compared with a quoted word or
    a list of words, a string; compared with a number or averaged, summed..., a number."""
    if f.explicit or f.type.startswith("timestamp"):
        return f
    n = re.escape(f.name)
    low = text.lower()
    as_string = re.search(r"\b" + n + r"\b\s+(?:is\s+|=\s*|==\s*|equals?\s+|is not\s+|!=\s*)(?:not\s+)?"
                          r"(?:['\"]|[A-Z]{2,}\b)", text) or re.search(
        r"\b" + n + r"\b\s+(?:is\s+)?(?:not\s+)?(?:one of|in|contains?|containing|starts? with|ends? with|"
        r"begins? with|like|matching)\s+\(?\s*['\"A-Za-z]", text) and not re.search(
        r"\b" + n + r"\b\s+(?:is\s+)?(?:in|one of)\s+\(?\s*\d", text)
    as_number = re.search(r"\b" + n + r"\b\s+" + _CMP_WORDS, low) or re.search(
        r"\b" + n + r"\b\s*[-+*/]\s*[\w(]|[\w)]\s*[-+*/]\s*\(?\s*\b" + n + r"\b", low) or re.search(
        r"\b(?:average|avg|sum|total|max|maximum|min|minimum|mean|peak|highest|lowest|sum of)\s+(?:of\s+)?(?:the\s+)?"
        + n + r"\b", low) or re.search(r"\d\s*(?:" + re.escape(f.name.split("_")[-1]) + r")\b", low) and \
        len(f.name.split("_")) > 1 and len(f.name.split("_")[-1]) >= 2
    parts = f.name.lower().split("_")
    if not as_number and len(parts) > 1:
        suffix = re.sub(r"[^a-z0-9]", "", "".join(parts[1:]))
        for m in re.finditer(r"\d\s*([a-z°%][a-z0-9/%°]*)", low):
            unit = re.sub(r"[^a-z0-9%]", "", m.group(1)).replace("%", "pct")
            if unit and (unit == suffix or unit == parts[-1] or unit == re.sub(r"[^a-z0-9]", "", f.name.lower())):
                as_number = True
                break
    if as_string and f.type != "string":
        return TField(f.name, "string", "key", f.doc)
    if as_number and not as_string and f.type in ("string", "boolean"):
        typ = "int" if re.search(r"(?:^|_)(?:count|qty|num|n|units|rating|stars|rank)$", f.name) else "double"
        return TField(f.name, typ, "metric", f.doc)
    return f


def bare_field_list(text: str) -> list[TField]:
    return [refine_type(text, f) for f in _bare_field_list(text)]


def _bare_field_list(text: str) -> list[TField]:
    """A field list given apart from a stream's name ("each event has user_id, url and ts", "bed_moves:
    patient_id, ward, bed", "courier_id, parcel_id and delivered_at arrive on ...")."""
    for lm in _LIST_LATER.finditer(text):
        items = _field_items(_cut_list(lm.group(1) or lm.group(2) or lm.group(3)))
        if items:
            return items
    for m in re.finditer(r"\(([^()]{3,400})\)", text):
        items = _field_items(m.group(1), strict=False)
        if items and any("_" in i.name for i in items):
            return items
    # a run of three or more identifiers, one with an underscore at least
    for m in re.finditer(r"(?:`?" + IDENT + r"`?(?:\s+" + _TYPE_RE + r")?\s*(?:,\s*|,?\s+and\s+)){2,}`?" + IDENT
                         + r"`?", text):
        items = _field_items(m.group(0))
        if items and len(items) >= 3 and any("_" in i.name for i in items):
            return items
    return []


def identifiers(text: str) -> list[str]:
    """The identifiers a request names: words in backticks and snake_case words, in order, once each."""
    out: list[str] = []
    for m in re.finditer(r"`([^`\n]{1,64})`|\b([A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+)\b", text):
        w = m.group(1) or m.group(2)
        if w not in out:
            out.append(w)
    return out


# ------------------------------------------------------------------ what a phrase refers to

SYNONYMS: dict[str, tuple[str, ...]] = {
    "unit": ("qty", "quantity", "units", "count"), "quantity": ("qty", "units", "quantities"), "item": ("qty", "sku"),
    "temperature": ("temp", "temp_c", "temp_f", "celsius"), "temp": ("temperature",),
    "customer": ("cust", "client", "buyer"), "client": ("customer",), "buyer": ("customer",),
    "product": ("sku", "item", "product_id"), "sku": ("product",), "store": ("shop", "store_code"),
    "shop": ("store",), "price": ("px", "unit_price"), "amount": ("amt", "value", "total"), "spend": ("amount",),
    "revenue": ("amount", "price", "total", "value"), "sale": ("amount", "qty"), "money": ("amount",),
    "user": ("uid", "account", "member"), "account": ("acct", "user"), "country": ("cc", "country_code", "nation"),
    "location": ("loc", "site", "zone"), "site": ("location", "plant"), "machine": ("device", "equipment", "asset"),
    "device": ("machine", "sensor", "meter"), "sensor": ("device",), "vehicle": ("truck", "car", "bus"),
    "truck": ("vehicle",), "speed": ("velocity", "kmh", "mph"), "heart": ("hr", "bpm", "heart_rate"),
    "page": ("url", "path"), "url": ("page",), "view": ("views",), "score": ("points",), "point": ("score",),
    "duration": ("secs", "seconds", "ms", "latency"), "latency": ("duration", "ms", "delay"),
    "delay": ("latency", "delay_s", "delay_min"), "energy": ("kwh", "wh", "consumption"), "status": ("state",),
}


def _parts(name: str) -> list[str]:
    return [p for p in re.split(r"_|(?<=[a-z])(?=[A-Z])", name.lower()) if p]


def field_score(word: str, fname: str) -> int:
    """How well a request word names a field: 0 (not at all) to 100 (its exact name)."""
    w = word.lower().strip("`'\"")
    n = fname.lower()
    if not w or len(w) < 2:
        return 0
    if w == n:
        return 100
    ws = singular(w)
    parts = _parts(fname)
    sparts = [singular(p) for p in parts]
    if ws == singular(n) or snake(w) == n:
        return 95
    if "_" in w.strip("_") and not w.startswith("_"):
        return 0  # an identifier the request writes is that name exactly, never a field that resembles it
    if ws in sparts:
        # the head of the name ("store" in store_code) beats a later part ("code")
        return 85 if sparts[0] == ws else 75
    if len(ws) >= 4 and any(p.startswith(ws) or (len(p) >= 4 and ws.startswith(p)) for p in sparts):
        return 65
    for syn in SYNONYMS.get(ws, ()):
        if syn == n or syn in sparts:
            return 60
    return 0


def resolve(phrase: str, fields: list[TField] | tuple[TField, ...], roles: tuple[str, ...] | None = None,
            minimum: int = 55) -> str | None:
    """The field a phrase ("the store", "units sold", "temp_c") names, or None. A generic word ("message",
    "value", "time") names a field only when it is that field's whole name."""
    words = [w.strip("`") for w in re.findall(r"`[^`]+`|[A-Za-z_][A-Za-z0-9_]*", phrase)
             if w.lower() not in FUNCTION_WORDS]
    if not words:
        return None
    pool = [f for f in fields if roles is None or f.role in roles]
    best, best_score = None, 0
    joined = snake("_".join(words))
    for f in pool:
        scores = [field_score(joined, f.name)]
        for i, w in enumerate(words):
            sc = field_score(w, f.name)
            if w.lower() in STOP and sc < 95:
                sc = 0
            scores.append(sc - 3 * i)
        s = max(scores)
        if s > best_score:
            best, best_score = f.name, s
    return best if best_score >= minimum else None

"""The planner: from a request in words to the specs it may mean, best first.

The request pins down most of a pipeline: the streams and fields it names, the shape of the computation
(a filter, a windowed or running aggregate, a top-N, a dedup, a join...), its keys, measures, durations and
thresholds. Each of those is decided by a rule below: a word-boundary pattern with an explicit priority, read
top to bottom. Where the request leaves a choice open (it names no group key, or no measure), the planner
offers a few alternatives, and the model picks one under the grammar built from them (``constraint.py``).

Every candidate is an IR spec printed by the canonical printer and checked by the compiler before it is
offered, so whatever the model picks is a valid spec.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from pipegen.compiler import ir
from pipegen.domains import SourceTemplate, TField, pick_template
from pipegen.generate import words
from pipegen.generate.words import Dur, Stream, millis, resolve, singular, snake

MAX_CANDIDATES = 12


# ------------------------------------------------------------------ rules


@dataclass(frozen=True)
class Rule:
    """A pattern that, where it matches the request, votes for ``label`` with ``priority``."""

    label: str
    pattern: str
    priority: int

    def search(self, text: str) -> re.Match[str] | None:
        return re.search(self.pattern, text)


def first(rules: tuple[Rule, ...], text: str) -> str | None:
    """The label of the highest-priority rule that matches (ties: the earlier rule)."""
    hits = [r for r in rules if r.search(text)]
    return max(hits, key=lambda r: r.priority).label if hits else None


def labels(rules: tuple[Rule, ...], text: str) -> set[str]:
    return {r.label for r in rules if r.search(text)}


# What the request computes. Several may hold ("drop duplicates, then count per minute"): see _shape.
SHAPE_RULES = (
    Rule("pattern", r"\bfollowed by\b|\bin a row\b|\bconsecutive\b|\bmatch_recognize\b|"
                    r"\band then\b[^.]*\bwithin\b|\bstays? (?:above|below|over|under)\b|"
                    r"\bremains? (?:above|below|over|under)\b|\bsustained\b|\bpersists?\b|\bfor (?:more|longer) than "
                    r"\d+ (?:consecutive )?(?:minutes?|seconds?|hours?|readings)\b|"
                    r"\bthen (?:a|an) (?:successful|\w+ed)\b",
         90),
    Rule("dedup_first", r"\bduplicates?\b|\bduplicated\b|\bdedup\w*|\bde-dup\w*|"
                        r"\bfirst (?:occurrence|copy|one|event|time)\b|"
                        r"\bretri(?:ed|es)\b|\bre-?sent\b|\bredeliver\w*|\b(?:keep|keeping|only|pass|forward)\b[^.]{0,24}"
                        r"\bthe first\b(?! \d)|\bthe first \w+ (?:per|for each|of each|by)\b|"
                        r"\bexactly once\b|\bresen[dt]s?\b|\btwice\b|\bonly once\b|\bunique (?:events|messages)\b", 80),
    Rule("dedup_last", r"\blatest\b|\bnewest\b|\bmost recent\b|\blast (?:one|event|snapshot|update|record|value|"
                       r"version|reported|reading|position|location|state|status|price|row|message)\b|"
                       r"\bcurrent (?:status|state|value|position|price|location|"
                       r"balance|level|stock|score)\b|\blast known\b|\blast reported\b|\blast seen\b", 78),
    Rule("rolling", r"\bmoving (?:average|avg|sum|max|min|total|mean)\b|\blast \d+ (?:\w+ )?(?:readings|events|rows|"
                    r"values|records|ticks|trades|measurements|samples|orders|transactions|pings|messages|payments|"
                    r"matches|games|scans|heartbeats)\b|\b(?:preceding|previous|prior|trailing) \d+\b|"
                    r"\battach(?:ed|es|ing)?\b[^.]*\bto (?:each|every|the)\b|"
                    r"\battach(?:ed|es|ing)?\b[^.]*\b(?:preceding|"
                    r"previous|prior|trailing|last)\b|"
                    r"\b(?:preceding|previous|prior|trailing) (?:minute|hour|day|second)\b|"
                    r"\b(?:each|every) (?:reading|event|row|"
                    r"record|tick|trade|transaction|order|payment|ping)\b[^.]*\bover the (?:preceding|previous|"
                    r"last|past)\b|\brolling (?:average|avg|sum|mean|count|max|min)\b", 70),
    Rule("topn", r"\btop[- ]?(?:\d+|three|five|ten|twenty)\b|\btop (?:\w+ ){0,2}(?:by|per|in)\b|\bleaderboard\b|"
                 r"\bbest[- ]selling\b|\brank(?:ed|ing|s)? (?:\w+ ){0,3}by\b|"
                 r"\bthe (?:\d+|three|five|ten) most[- ]\w+\b|\bthe (?:\d+|three|five|ten) (?:\w+ ){1,3}with the "
                 r"(?:most|highest|largest)\b|\bthe (?:\d+|three|five|ten) (?:\w+ ){0,2}that \w+ the most\b", 60),
)

# The window of an aggregate.
WINDOW_RULES = (
    Rule("session", r"\bsessions?\b|\binactivity\b|\binactive\b|\bidle\b|\bidling\b|\bgaps? of\b|\bseparated by\b|"
                    r"\bbursts?\b[^.]*\b(?:end|close|stop)s? after\b|"
                    r"\b(?:end|close)s? after \S+ \w+ (?:without|of no|with no)\b|"
                    r"\bwithout (?:any )?(?:pings|events|activity|clicks|messages)\b|\bsessioni[sz]e\b", 90),
    Rule("cumulate", r"\bcumulat(?:e|ive|ively|ing)\b|\bsince (?:midnight|the start of)\b|\bso far (?:today|this)\b|"
                     r"\bstarting over\b|\bresets? (?:every|each|at)\b|\bstart(?:s|ing)? (?:again|afresh|over)\b|"
                     r"\bgrowing\b|\bprogressive\b|\bintraday\b", 85),
    Rule("hop", r"\bsliding\b|\bhopping\b|\bhop\b|\bover (?:the |any )?(?:last|past|previous|trailing)? ?\S+ "
                r"(?:\w+ )?(?:window |span )?(?:that )?(?:updated|refreshed|evaluated|advanc\w+|recomputed|"
                r"moving|slides?|sliding)\b|\bover any\b|\bevery \S+(?: \w+)?,? (?:\w+ )?(?:over|for|across) the "
                r"(?:last|past|previous|preceding)\b|\badvanc(?:es|ing) (?:by |every )\b|\bevaluated every\b|"
                r"\brefreshed every\b|\bupdated every\b|\brecomputed every\b|\bslides? (?:by|every)\b", 80),
    Rule("none", r"\brunning (?:count|total|sum|tally|average|number)\b|\bcontinuous(?:ly)?\b|\bso far\b|"
                 r"\ball[- ]time\b|\bever\b|\blifetime\b|\bsince (?:the pipeline|it|the job|we) start\w*\b|"
                 r"\bno (?:time )?windows?\b|\bwithout (?:a |any )?(?:time )?windows?\b|\blive\b|\bup[- ]to[- ]date\b|"
                 r"\bkeep (?:a|the) (?:\w+ )?(?:count|total|tally|sum)\b|\bon every (?:event|update|order)\b|"
                 r"\bas (?:events|orders|data) arrive\b|\bin real[- ]time\b(?! every)|\bcompacted\b|\bupsert\b|"
                 r"\bkeyed by\b", 40),
    Rule("tumble", r"\btumbling\b|\bfixed\b|\bnon-overlapping\b|\bbuckets?\b|\bevery\b|\bper (?:\d+ )?(?:minute|hour|"
                   r"second|day|week)\b|\beach (?:minute|hour|day|second|week)\b|\bhourly\b|\bdaily\b|\bminutely\b|"
                   r"\bweekly\b|\bin \d+[- ]?\w+ windows?\b|\bwindows? of\b|\b\d+[- ]?(?:minute|second|hour|day|min|"
                   r"sec)s? (?:windows?|buckets?|intervals?|periods?)\b", 30),
)

AGG_WORDS = (
    ("count_distinct", r"\b(?:unique|distinct|different)\b"),
    ("count", r"\bcount(?:s|ed|ing)?\b|\bnumber of\b|"
              r"\bhow many\b(?! (?:seconds|minutes|hours|days|ms)\b)|\btall(?:y|ies)\b|"
              r"\bfrequency\b|\bvolume of\b|"
              r"\bthe most\b|\bmost (?:active|popular|viewed|played)\b"),
    ("sum", r"\btotal\b|\bsum(?:s|med|ming)?\b|\bcumulative\b(?= \w)|\brevenue\b|\bspend\b|\bspent\b|"
            r"\badd(?:s|ed)? up\b|\bgmv\b|"
            r"\bturnover\b"),
    ("avg", r"\baverage\b|\bmean\b|\bavg\b"),
    ("max", r"\bmax(?:imum)?\b(?! (?:size|window|lateness|delay|out of order))|\bpeak\b|\bhighest\b|\blargest\b|"
            r"\bbiggest\b|\btop speed\b|\blongest\b|\bbest\b(?![- ]selling)"),
    ("min", r"(?<!\d )(?<!\d)\bmin\b(?!\w)|\bminimum\b|\blowest\b|\bsmallest\b|\bshortest\b|\bworst\b"),
)
AGG_RE = re.compile("|".join(f"(?P<{k}>{p})" for k, p in AGG_WORDS))

COMPARISONS = (
    (">=", r"at least|(?:greater|more|higher) than or equal to|>=|"
           r"or (?:more|higher|above|greater)|no (?:less|fewer) than"),
    ("<=", r"at most|(?:less|lower|fewer) than or equal to|<=|or (?:less|lower|below|fewer)|no more than|up to"),
    (">", r"above|over|more than|greater than|higher than|exceed(?:s|ed|ing)?|bigger than|larger than|>|beyond|"
          r"faster than|longer than|hotter than|heavier than|outside"),
    ("<", r"below|under|less than|lower than|fewer than|<|smaller than|slower than|shorter than|drops? below|"
          r"falls? below"),
    ("=", r"equal to|equals?|=|==|is exactly"),
)


# ------------------------------------------------------------------ the request, read once


@dataclass
class Reading:
    """What the request says, read once."""

    text: str  # as written
    low: str  # lower case, one space between words, padded with spaces
    streams: list[Stream]
    durations: list[words.Found]
    numbers: list[words.Found]
    watermark_s: int | None

    def has(self, pattern: str) -> bool:
        return re.search(pattern, self.low) is not None


def read(description: str) -> Reading:
    text = " ".join(description.split())
    low = " " + re.sub(r"\b(per|by|each|every)-(?=[a-z])", r"\1 ", text.lower()) + " "
    late = (re.search(r"\b(?:late|lateness|out of order|out-of-order|delayed|delay(?:ed)? by|arrive up to|watermark|"
                      r"allowed lateness|lag)\b[^.;]*?(\d+)\s*-?\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|h)\b", low)
            or re.search(r"(\d+)\s*-?\s*(seconds?|secs?|s|minutes?|mins?|hours?)\s+(?:late|of lateness|out of order|"
                         r"behind|of delay|delayed|delay|watermark|lateness|bounded out)", low))
    watermark = None
    durs = words.durations(low)
    if late:
        unit = late.group(2)
        watermark = int(late.group(1)) * (3600 if unit.startswith("h") else 60 if unit.startswith("m") else 1)
        durs = [d for d in durs if not (late.start() <= d.start < late.end())]
    return Reading(text, low, words.streams(text), durs, words.numbers(low), watermark)


# ------------------------------------------------------------------ the plan


@dataclass
class Plan:
    """The specs a request may mean (best first), and what they were made from."""

    name: str
    description: str
    domain: str | None
    sources: list[SourceTemplate]
    candidates: list[ir.Spec] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # identifiers the request names
    notes: list[str] = field(default_factory=list)  # what the planner decided, for the prompt

    @property
    def source(self) -> SourceTemplate:
        return self.sources[0]


# ------------------------------------------------------------------ IR helpers


def col(*path: str) -> ir.Column:
    return ir.Column(path=tuple(path))


def num(text: str) -> ir.NumberLit:
    t = text.lstrip("-")
    n: ir.Expr = ir.NumberLit(text=t if "." not in t else t.rstrip("0").rstrip(".") if t.rstrip("0").rstrip(".")
                              .replace(".", "").isdigit() and "." in t.rstrip("0").rstrip(".") else t)
    return ir.Neg(operand=n) if text.startswith("-") else n


def call(name: str, *args: ir.Expr, star: bool = False, distinct: bool = False) -> ir.Call:
    return ir.Call(name=name, args=tuple(args), star=star, distinct=distinct)


def dur(d: Dur) -> ir.Duration:
    return ir.Duration(value=d[0], unit=d[1])  # type: ignore[arg-type]


def type_of(text: str) -> tuple[ir.Type, bool]:
    """An IR type from spec type text ("decimal(12, 2)", "string?", "enum(a, b)")."""
    t = text.strip()
    nullable = t.endswith("?")
    t = t.rstrip("?").strip()
    if m := re.fullmatch(r"decimal\((\d+),\s*(\d+)\)", t):
        return ir.DecimalType(precision=int(m.group(1)), scale=int(m.group(2))), nullable
    if m := re.fullmatch(r"timestamp\((\d)\)", t):
        return ir.TimestampType(precision=int(m.group(1))), nullable  # type: ignore[arg-type]
    if m := re.fullmatch(r"enum\((.*)\)", t):
        return ir.EnumType(symbols=tuple(s.strip() for s in m.group(1).split(","))), nullable
    if t in ("string", "int", "long", "float", "double", "boolean", "bytes", "date", "time", "uuid"):
        return ir.PrimitiveType(name=t), nullable  # type: ignore[arg-type]
    return _parsed_type(t), nullable


@lru_cache(maxsize=256)
def _parsed_type(text: str) -> ir.Type:
    """Any other type text (records, arrays, maps of the user's schema), read by the spec parser."""
    from pipegen.compiler.parser import parse_spec

    spec, _ = parse_spec(f'pipeline p {{\n}}\nsource s {{\n  topic "s"\n  fields {{\n    f {text}\n  }}\n}}\n')
    if spec is None:
        raise ValueError(f"not a type: {text!r}")
    return spec.statements[0].fields[0].type


def source_ir(src: SourceTemplate, watermark_s: int, key: tuple[str, ...] = (), upsert: bool = False) -> ir.Source:
    fields = []
    for f in src.fields:
        typ, nullable = type_of(f.type)
        fields.append(ir.FieldDef(name=f.name, type=typ, nullable=nullable, doc=f.doc or None))
    et = src.event_time
    return ir.Source(name=src.name, description=src.description or None, topic=src.topic, format="avro",
                     fields=tuple(fields), key=key, mode="upsert" if upsert else None, event_time=et,
                     watermark=dur((watermark_s, "s")) if et else None)


def is_numeric(f: TField) -> bool:
    return f.type.rstrip("?") in ("int", "long", "float", "double") or f.type.startswith("decimal")


def numeric_fields(fields: list[TField] | tuple[TField, ...]) -> list[TField]:
    """The numeric fields, the ones a bare number most likely bounds first (an amount before a count)."""
    nums = [f for f in fields if is_numeric(f)]
    money = r"(^|_)(amount|amt|total|price|value|revenue|cost|score|balance|spend)($|_)"
    return sorted(nums, key=lambda f: (0 if re.search(money, f.name) else 1 if f.type != "int" else 2))


# ------------------------------------------------------------------ sources


def _doc_for(name: str) -> str:
    return ""


def _with_time(fields: list[TField], needs_time: bool) -> list[TField]:
    """A source that is windowed, ranked over time or joined in time needs an event time: the request's first
    timestamp field, else an added `event_time`."""
    if any(f.role == "time" for f in fields):
        seen = False
        out = []
        for f in fields:
            if f.role == "time":
                # Only the first timestamp is the event time; the others stay plain timestamps.
                out.append(f if not seen else TField(f.name, f.type, "other", f.doc))
                seen = True
            else:
                out.append(f)
        return out
    if needs_time:
        return [*fields, TField("event_time", "timestamp(3)", "time", "When it happened")]
    return fields


def _stream_source(st: Stream, template: SourceTemplate, needs_time: bool) -> SourceTemplate:
    """A source for a stream the request names: its fields when it lists them, else the domain template's."""
    if st.fields:
        fields = list(st.fields)
    else:
        fields = list(template.fields)
        if st.key and all(f.name != st.key for f in fields):
            fields.insert(0, TField(st.key, words.type_from_name(st.key), "key", ""))
    return SourceTemplate(st.name, st.topic, f"The {st.topic} stream", (), tuple(_with_time(fields, needs_time)))


def add_field(src: SourceTemplate, f: TField) -> SourceTemplate:
    if any(x.name == f.name for x in src.fields):
        return src
    fields = list(src.fields)
    at = next((i for i, x in enumerate(fields) if x.role == "time"), len(fields))
    fields.insert(at, f)
    return replace(src, fields=tuple(fields))


# ------------------------------------------------------------------ phrases: keys, measures, conditions

PREPOSITIONS = frozenset("""since until during over across within after before including excluding ignoring except
whose who while via through between among along around against toward towards upon about like near past""".split())
_KEY_RE = re.compile(r"\b(?:per|by|for each|for every|for|each|every|of each|in each|grouped by|group by|"
                     r"broken down by|split by|partitioned by|across|within each)\s+(?:the\s+|a\s+|an\s+)?"
                     r"(`[^`]+`|[a-z_][a-z0-9_']*)(?:\s+(`[^`]+`|[a-z_][a-z0-9_']*))?(?:\s+(and|,)\s+"
                     r"(?:the\s+|per\s+|by\s+)?(`[^`]+`|[a-z_][a-z0-9_']*))?")
_NOT_KEYS = words.STOP | words.GENERIC_NOUNS | {
    "minute", "hour", "second", "day", "week", "month", "window", "session", "period", "interval", "span", "batch",
    "slide", "step", "midnight", "one", "total", "number", "sum", "average", "count", "amount", "name", "score",
    "time", "descending", "ascending", "most", "least", "type", "kind", "percentage", "percent", "volume", "order",
    "timestamp", "rate", "size", "value", "speed", "price", "now", "default", "instance", "example", "category's",
    "update", "reading", "row", "event", "record", "pipeline", "job", "topic", "stream", "key", "id", "distinct",
    "unique", "highest", "lowest", "maximum", "minimum", "their", "its", "whose", "which", "itself", "tick",
    "fixed", "sliding", "tumbling", "hopping", "rolling", "moving", "given", "single", "whole", "entire", "separate",
    "different", "individual", "specific", "particular", "previous", "next", "other",
}


@dataclass
class _Keys:
    """The group keys found so far, and the fields made up for keys no field matches."""

    fields: list[TField]
    keys: list[str] = field(default_factory=list)
    new: list[TField] = field(default_factory=list)

    def add(self, hit: str | None) -> None:
        if hit and hit not in self.keys:
            self.keys.append(hit)

    def new_field(self, name: str) -> str:
        """A string key field ``name`` (added unless a field has that name already)."""
        if all(x.name != name for x in self.fields):
            f = TField(name, "string", "key", "")
            self.new.append(f)
            self.fields.append(f)
        return name


_KEY_ROLES = ("key", "id", "label")
_POSSESSIVE_RE = re.compile(r"\b(?:each|every|per|for each|a|the|that|this|its|same)\s+([a-z_][a-z0-9_]*)'s\s+"
                            r"(`[^`]+`|[a-z_][a-z0-9_]*)|\b(?:of|for|from|with|on|in) (?:the )?same\s+"
                            r"(`[^`]+`|[a-z_][a-z0-9_]*)")


def group_keys(r: Reading, src: SourceTemplate, allow_new: bool) -> tuple[list[str], list[TField]]:
    """The group keys the request names ("per store", "by device and hour", "each player's"), resolved to
    fields; fields to add for keys no field matches (when ``allow_new``)."""
    found = _Keys(list(src.fields))
    # A word the request uses names its own key: in a domain template, only a close match stands for it.
    close = 75 if allow_new == "id" else 60
    for m in _POSSESSIVE_RE.finditer(r.low):
        _possessive_keys(m, found, allow_new, close)
    for m in _KEY_RE.finditer(r.low):
        _phrase_keys(r, src, m, found, allow_new, close)
    return found.keys, found.new


def _possessive_keys(m: re.Match[str], found: _Keys, allow_new: bool, close: int) -> None:
    """"each merchant's SKUs": the owner and the thing both group; "of the same card" groups by the card."""
    for w in (m.group(2), m.group(1), m.group(3)):
        if not w:
            continue
        w = w.strip("`")
        if singular(w) in _NOT_KEYS or AGG_RE.fullmatch(w):
            continue
        hit = resolve(w, found.fields, _KEY_ROLES, close)
        if hit is None and allow_new and w == (m.group(1) or m.group(3)) and w.isidentifier() and len(w) >= 3:
            hit = found.new_field(singular(w) + ("_id" if allow_new == "id" and "_" not in w else ""))
        found.add(hit)


def _phrase_keys(r: Reading, src: SourceTemplate, m: re.Match[str], found: _Keys, allow_new: bool,
                 close: int) -> None:
    """The keys of one "per ...", "by ...", "for each ..." phrase (``_KEY_RE``)."""
    cand = [g for g in (m.group(1), m.group(2), m.group(4)) if g]
    first_word = cand[0].strip("`").rstrip("'s").rstrip("'")
    if _not_a_key_phrase(r, src, m, first_word):
        return
    second = _head_noun(m, cand)
    hit = _resolve_key_phrase(first_word, second, found.fields, close)
    if hit is None and allow_new:
        word = snake(f"{first_word}_{singular(second)}") if second else singular(first_word)
        if word not in _NOT_KEYS and len(word) >= 3 and word.isidentifier():
            hit = found.new_field(word + "_id" if allow_new == "id" and "_" not in word else word)
    found.add(hit)
    # "per store and sku", "by region, country"
    if m.group(3) and m.group(4):
        found.add(resolve(m.group(4).strip("`"), found.fields, _KEY_ROLES, 60))


def _not_a_key_phrase(r: Reading, src: SourceTemplate, m: re.Match[str], first_word: str) -> bool:
    """Whether a ``_KEY_RE`` phrase names no group key: "top 3 products by revenue", "keyed by", "for each
    trade" in the trades stream, "for every vibration reading", "per minute"."""
    before = r.low[max(0, m.start() - 30):m.start()]
    if m.group(0).startswith("by ") and re.search(r"\b(?:order(?:ed)?|sort(?:ed)?|rank(?:ed)?|top \S+(?: \w+)?|"
                                                  r"keyed|partitioned|on|join(?:ed)?|dedup\w*|replaced|caused|"
                                                  r"sent|made|placed|followed|delayed|late)\s*$", before):
        return True  # "top 3 products by revenue", "keyed by": not a group key
    if m.group(0).startswith("by ") and re.match(r"(?:processing|arrival|wall[- ]clock|event) time\b",
                                                 r.low[m.start() + 3:m.start() + 30]):
        return True  # "by processing time": the time windows run on, not a group key
    event_nouns = {singular(src.name), singular(src.name.split("_")[-1])}
    if re.match(r"(?:for |of |in )?(?:each|every)\b", m.group(0)) and singular(first_word) in event_nouns:
        return True  # "for each trade" in the trades stream: every event, not a group key
    if re.match(r"(?:for )?(?:each|every)\b", m.group(0)) and m.group(2) and (
            m.group(2) in words.GENERIC_NOUNS or singular(m.group(2)) in ("reading", "event", "record", "row",
                                                                         "message", "ping", "tick", "sample")):
        return True  # "for every vibration reading": each event, not a group key
    if first_word in _NOT_KEYS or words.DURATION_RE.fullmatch(first_word) or first_word.isdigit():
        return True
    return bool(AGG_RE.fullmatch(first_word))


def _head_noun(m: re.Match[str], cand: list[str]) -> str | None:
    """The second word of a key phrase ("category" in "per product category"), when it can be part of a name."""
    second = cand[1].strip("`").replace("'s", "") if m.group(2) else None
    if second and (second in _NOT_KEYS or second in words.FUNCTION_WORDS or second in PREPOSITIONS
                   or AGG_RE.fullmatch(second)
                   or words.DURATION_RE.fullmatch(second) or second.isdigit()):
        return None
    return second


def _resolve_key_phrase(first_word: str, second: str | None, fields: list[TField], close: int) -> str | None:
    """"per product category", "per fulfilment warehouse": the field of the two-word name, else of the head
    noun (the second word), else of the first."""
    phrases = [f"{first_word} {second}", second, first_word] if second else [first_word]
    hit = None
    for ph in phrases:
        ph = (ph or "").replace("'s", "").strip("`'")
        if not ph:
            continue
        hit = resolve(ph, fields, _KEY_ROLES, close) or resolve(ph, fields, (*_KEY_ROLES, "metric"), 85)
        if hit:
            break
    return hit


_ENTITY_RE = re.compile(r"\btop[- ]?(?:\d+|three|five|ten|twenty)\s+(?:(?:most|best|highest|biggest|largest|"
                        r"longest|slowest|fastest|busiest|active|popular|viewed|played|selling|rated|scoring|"
                        r"[a-z]+-[a-z]+)\s+)*(`[^`]+`|[a-z_][a-z0-9_]*)|\brank(?:s|ed|ing)?\s+(?:the\s+|all\s+|each\s+)?"
                        r"(?:(?:\w+)'s\s+)?(`[^`]+`|[a-z_][a-z0-9_]*)|\bthe\s+(?:\d+|three|five|ten|twenty)\s+"
                        r"(`[^`]+`|[a-z_][a-z0-9_]*)\s+(?:with|that|by|who|which|whose)\b|\b(?:best|most)[- ]"
                        r"(?:selling|viewed|played|popular|active)\s+(`[^`]+`|[a-z_][a-z0-9_]*)|\bleaderboard of "
                        r"(?:the\s+)?(?:top\s+\S+\s+)?(`[^`]+`|[a-z_][a-z0-9_]*)")


def topn_entity(r: Reading, src: SourceTemplate, allow_new: bool | str) -> tuple[str | None, list[TField]]:
    """What a top-N ranks ("the top 3 products", "rank videos", "the 5 depots that shipped the most")."""
    m = _ENTITY_RE.search(r.low)
    if not m:
        return None, []
    word = next(g for g in m.groups() if g).strip("`")
    word_s = singular(word)
    if word_s in _NOT_KEYS or word in words.GENERIC_NOUNS:
        return None, []
    hit = resolve(word, src.fields, ("key", "id", "label"), 60)
    if hit:
        return hit, []
    if not allow_new or not word_s.isidentifier():
        return None, []
    name = word_s + "_id" if allow_new == "id" else word_s
    return name, [TField(name, "string", "key", "")]


@dataclass(frozen=True)
class MeasureSpec:
    agg: str  # count | sum | avg | min | max | count_distinct
    field: str | None  # None: count(*)

    @property
    def name(self) -> str:
        f = self.field or ""
        return {"count": f"{f}_count" if f else "event_count", "sum": f"total_{f}", "avg": f"avg_{f}",
                "max": f"max_{f}", "min": f"min_{f}", "count_distinct": f"distinct_{f}"}[self.agg]

    def expr(self) -> ir.Expr:
        if self.agg == "count" and self.field is None:
            return call("count", star=True)
        if self.agg == "count_distinct":
            return call("count", col(self.field or ""), distinct=True)
        return call(self.agg, col(self.field or ""))


def _noun_after(text: str, pos: int, n: int = 5) -> list[str]:
    return re.findall(r"`[^`]+`|[a-z_][a-z0-9_]*", text[pos:pos + 80])[:n]


def _add_new(fields: list[TField], new: list[TField], f: TField) -> None:
    """``f`` made up for a name the request uses, unless a field has that name already."""
    if all(x.name != f.name for x in fields):
        new.append(f)
        fields.append(f)


# The words between an aggregate and the field it measures ("the total of all amounts", "average daily temp").
_MEASURE_SKIP = frozenset({
    "the", "of", "all", "each", "their", "its", "a", "an", "number", "amount", "value", "in",
    "and", "or", "count", "sum", "total", "average", "mean", "distinct", "unique", "maximum", "minimum",
    "max", "min", "peak", "highest", "lowest", "daily", "hourly", "running", "cumulative", "moving",
    "rolling", "overall", "combined", "sold", "spent", "paid", "earned", "received", "made", "placed"})
# "average per machine_id": what follows these is a key or a time, not the measured field
_MEASURE_STOPS = ("per", "by", "for", "over", "within", "in", "every", "from", "across", "since", "during")


def measures(r: Reading, src: SourceTemplate, keys: list[str],
             allow_new: bool) -> tuple[list[MeasureSpec], list[TField]]:
    """The measures the request names ("the average temp_c", "total revenue and order count")."""
    out: list[MeasureSpec] = []
    new: list[TField] = []
    fields = list(src.fields)
    numeric = numeric_fields(fields)
    pending: list[str] = []  # "average, minimum and maximum temperature": aggregates waiting for their field
    lists = [(x.start(), x.end()) for x in re.finditer(r"\(([^()]*)\)|\{([^{}]*)\}", r.low)
             if words._field_items(x.group(1) or x.group(2) or "", strict=False)]
    for m in AGG_RE.finditer(r.low):
        found = _aggregate_at(r, m, fields, new, lists, allow_new)
        if found is None:
            continue
        agg, target = found
        if agg in ("sum", "avg", "max", "min") and target is None:
            if numeric:
                pending.append(agg)
            continue
        for a in [*pending, agg]:
            ms = MeasureSpec(a, target)
            if ms not in out:
                out.append(ms)
        pending = []
    for a in pending:
        ms = MeasureSpec(a, numeric[0].name if numeric else None)
        if ms.field and ms not in out:
            out.append(ms)
    _quantities_used(r, fields, out)
    return out, new


def _aggregate_at(r: Reading, m: re.Match[str], fields: list[TField], new: list[TField],
                  lists: list[tuple[int, int]], allow_new: bool) -> tuple[str, str | None] | None:
    """The aggregate an aggregate word (``AGG_RE``) asks for and the field it measures (None: none named);
    None when the word asks for none."""
    agg = m.lastgroup or "count"
    if any(a < m.start() < b for a, b in lists) or any(f.name == m.group(0) for f in fields):
        return None  # a field called `total` in a field list, not a request to total something
    after = _noun_after(r.low, m.end())
    # "the most" in "the 3 products with the most views" counts views; "most active" counts events
    target = _measured_field(after, agg, fields, new, allow_new)
    if agg == "count":
        # "count the units sold" counts units: a quantity is summed
        if target and next(f for f in fields if f.name == target).type.rstrip("?") in ("int", "long") and \
                re.search(r"(?:^|_)(qty|quantity|units?|items)$", target):
            agg = "sum"
        else:
            target = None
    if agg == "count" and after and after[0] in ("unique", "distinct", "different") or \
            agg == "count" and len(after) > 1 and after[0] in ("the", "all") and after[1] in ("unique", "distinct"):
        return None  # "count the unique viewers": a distinct count, read at "unique"
    if agg == "count_distinct" and target is None and allow_new:
        target = _distinct_key(after, fields, new, allow_new)
    if agg == "count_distinct" and target is None:
        return None
    return agg, target


def _measured_field(after: list[str], agg: str, fields: list[TField], new: list[TField],
                    allow_new: bool) -> str | None:
    """The field the words after an aggregate word name (one made up, for a sum or an average, when
    ``allow_new``), or None."""
    for w in after:
        w = w.strip("`")
        if AGG_RE.fullmatch(w) or w in (",",) or w in _MEASURE_SKIP:
            continue
        if w in _MEASURE_STOPS:
            return None
        roles = ("key", "id", "label", "metric") if agg == "count_distinct" else ("metric",)
        target = resolve(w, fields, roles, 60)
        if target is None and agg not in ("count", "count_distinct"):
            target = resolve(w, fields, ("key", "label", "other"), 95)
            if target is not None and not is_numeric(next(f for f in fields if f.name == target)):
                target = None
        if target is None and agg in ("sum", "avg", "max", "min") and allow_new and w not in words.STOP \
                and w not in words.GENERIC_NOUNS and w not in _NOT_KEYS and len(w) >= 3 and w.isidentifier() \
                and not words.DURATION_RE.fullmatch(w) and w not in ("with", "for", "by", "from", "every") \
                and all(x.name != w for x in fields):
            _add_new(fields, new, TField(w, "double", "metric", ""))
            target = w
        return target
    return None


def _distinct_key(after: list[str], fields: list[TField], new: list[TField], allow_new: bool) -> str | None:
    """What a distinct count counts when no field is named: a key field made up from the word after it."""
    w = next((x.strip("`") for x in after if x.strip("`") not in _MEASURE_SKIP and not AGG_RE.fullmatch(x)), None)
    if w and w not in words.STOP and w not in _NOT_KEYS and w.isidentifier() and len(w) >= 3:
        name = singular(w) + ("_id" if allow_new == "id" else "")
        _add_new(fields, new, TField(name, "string", "key", ""))
        return name
    return None


def _quantities_used(r: Reading, fields: list[TField], out: list[MeasureSpec]) -> None:
    """"litres used", "units sold", "kWh consumed": a quantity the request totals without saying "total"."""
    for m in re.finditer(r"\b(`?[a-z_][a-z0-9_]*`?)\s+(?:used|consumed|sold|spent|earned|shipped|transferred|"
                         r"delivered|generated|produced|downloaded|uploaded|streamed|driven|travelled|traveled|"
                         r"burned)\b", r.low):
        target = resolve(m.group(1).strip("`"), [f for f in fields if is_numeric(f)], None, 60)
        if target and not any(x.field == target for x in out):
            out.append(MeasureSpec("sum", target))


@dataclass(frozen=True)
class Condition:
    expr: ir.Expr
    on_aggregate: bool  # a threshold on a measure ("more than 5 payments"), not on single events
    measure: MeasureSpec | None = None


def _value(text: str) -> ir.Expr:
    return num(text)


_CMP_ALT = "|".join(f"(?P<c{i}>{p})" for i, (_op, p) in enumerate(COMPARISONS))


def conditions(r: Reading, src: SourceTemplate, keys: list[str]) -> tuple[list[Condition], list[TField]]:
    """Filters and thresholds: "above 500", "at least 3 failed logins", "status is 'failed'", "starts with"."""
    out: list[Condition] = []
    new: list[TField] = []
    fields = list(src.fields)
    numeric = numeric_fields(fields)
    for n in r.numbers:
        c = _number_condition(r, n, fields, numeric, keys, new)
        if c is not None:
            out.append(c)
    out = _code_comparisons(r, fields, out)
    out += _duration_thresholds(r, fields)
    out += _time_arithmetic(r, fields)
    out = _between(r, fields, numeric, out)
    out += _string_conditions(r, fields)
    out += _null_checks(r, fields)
    out += _enum_conditions(r, fields)
    return out, new


def _number_condition(r: Reading, n: words.Found, fields: list[TField], numeric: list[TField], keys: list[str],
                      new: list[TField]) -> Condition | None:
    """The condition a number the request compares with sets ("above 500", "at least 3 failed logins",
    "customers who spent over 1000"), or None. A field made up for it is added to ``fields``, ``numeric`` and
    ``new``."""
    before = r.low[max(0, n.start - 60):n.start]
    m = re.search(r"(?:" + _CMP_ALT + r")\s*(?:a |an |the )?(?:total of |score of |value of |rate of )?[$€£]?\s*$",
                  before)
    trailing = r.low[n.end:n.end + 40]
    op = _comparison(m, trailing)
    if op is None:
        return None
    ctx_before = r.low[max(0, n.start - 90):n.start]
    noun_after = re.findall(r"[a-z_][a-z0-9_]*", trailing)[:3]
    # Which field: the one the unit after the number names ("180 mg/dL", "100 km/h"), else the nearest field
    # named before the comparison, else the noun after the number.
    target = unit_field(trailing, fields)
    for w in reversed(re.findall(r"`[^`]+`|[a-z_][a-z0-9_]*", ctx_before)[-6:]):
        if target:
            break
        target = resolve(w.strip("`"), fields, ("metric",), 60)
    agg_before = re.search(r"\b(total|sum|average|mean|avg|count|number of|max(?:imum)?|min(?:imum)?|peak|"
                           r"highest|lowest)\b(?:\s+\w+){0,3}\s*(?:is\s+|was\s+|goes\s+|exceeds?\s*|exceeded\s*|"
                           r"of\s+)?(?:" + _CMP_ALT + r")\s*\S*\s*$", ctx_before[-70:])
    if agg_before and any(f.name == agg_before.group(1) for f in fields):
        agg_before = None  # "orders whose total is above 100" of a field called `total` compares the field
    post_agg = _post_aggregate(ctx_before, agg_before, keys, fields, numeric)
    if post_agg is not None:
        return Condition(ir.Binary(op=op, left=col(post_agg.name), right=_value(n.value)), True,  # type: ignore[arg-type]
                         post_agg)
    if agg_before or _countable(noun_after, fields) or re.match(r"\s*times\b", trailing):
        ms = _threshold_measure(agg_before, target, fields, numeric)
        return Condition(ir.Binary(op=op, left=col(ms.name), right=_value(n.value)), True, ms)  # type: ignore[arg-type]
    if target is None and noun_after:
        target = resolve(noun_after[0], fields, ("metric",), 60)
    if target is None:
        target = numeric[0].name if numeric else None
    if target is None:
        words_before = [w for w in re.findall(r"[a-z_][a-z0-9_]*", ctx_before)[-3:] if w not in words.STOP
                        and w not in _NOT_KEYS and w.isidentifier() and len(w) > 2]
        if not words_before:
            return None
        target = words_before[-1]
        f = TField(target, "double", "metric", "")
        new.append(f)
        fields.append(f)
        numeric.append(f)
    if op == ">" and re.search(r"\boutside\b", m.group(0) if m else ""):
        return None
    return Condition(ir.Binary(op=op, left=col(target), right=_value(n.value)), False)  # type: ignore[arg-type]


def _comparison(m: re.Match[str] | None, trailing: str) -> str | None:
    """The operator of the comparison written before a number (``m``) or after it ("5 or more")."""
    if m:
        return next(COMPARISONS[int(k[1:])][0] for k, v in m.groupdict().items() if v)
    m2 = re.match(r"\s*(?:\w+\s+)?(or (?:more|higher|above|greater|less|lower|below|fewer))\b", trailing)
    if m2:
        return ">=" if re.search(r"more|higher|above|greater", m2.group(1)) else "<="
    return None


def _countable(noun_after: list[str], fields: list[TField]) -> bool:
    """Whether the number counts things ("3 failed logins", "5 payments"), the plural noun after it."""
    unit_after = noun_after[0] if noun_after else ""
    return bool(unit_after) and unit_after not in words.STOP and not resolve(unit_after, fields, ("metric",), 60) \
        and unit_after.endswith("s") and unit_after not in ("seconds", "minutes", "hours", "days", "ms", "mins",
                                                            "secs", "percent", "degrees", "times", "units") \
        and not re.match(r"(?:eur|usd|gbp|kmh|kwh|bpm|mph|km)", unit_after)


def _post_aggregate(ctx_before: str, agg_before: re.Match[str] | None, keys: list[str], fields: list[TField],
                    numeric: list[TField]) -> MeasureSpec | None:
    """"only keep stores whose refunds exceed 500", "customers who spent over 1000 in the window": a result of
    the aggregate, compared after it; None when the words before the comparison say no such thing."""
    post = re.search(r"\b(?:only|just)?\s*(?:keep|emit|report|show|output|return|flag|alert on|send|list)?\s*"
                     r"(?:the\s+|those\s+)?([a-z_]+s)\s+(?:who|whose|that|which|with|having)\s+((?:\w+\s+){0,4})"
                     r"(?:" + _CMP_ALT + r")\s*[$€£]?\s*$", ctx_before[-90:])
    if not (post and not agg_before and (keys and any(words.field_score(post.group(1), k) >= 60 for k in keys))):
        return None
    verbs = post.group(2)
    named = next((x for x in (resolve(w, fields, ("metric",), 60) for w in verbs.split()) if x), None)
    first_numeric = numeric[0].name if numeric else None
    if re.search(r"\baverag", verbs):
        post_agg = MeasureSpec("avg", named or first_numeric)
    elif re.search(r"\b(?:max|peak|highest)", verbs):
        post_agg = MeasureSpec("max", named or first_numeric)
    elif named or re.search(r"\b(?:spent|spend|sold|paid|earned|transferred|refunds?|revenue|sales|total|"
                            r"volume|amount)\b", verbs):
        post_agg = MeasureSpec("sum", named or first_numeric)
    else:
        post_agg = MeasureSpec("count", None)
    if post_agg.agg != "count" and post_agg.field is None:
        post_agg = MeasureSpec("count", None)
    return post_agg


def _threshold_measure(agg_before: re.Match[str] | None, target: str | None, fields: list[TField],
                       numeric: list[TField]) -> MeasureSpec:
    """The measure a threshold on an aggregate bounds ("a total of more than 500", "more than 5 payments")."""
    agg_word = agg_before.group(1) if agg_before else "count"
    agg = {"total": "sum", "sum": "sum", "average": "avg", "mean": "avg", "avg": "avg", "count": "count",
           "number of": "count", "peak": "max", "highest": "max", "lowest": "min"}.get(agg_word, None)
    if agg is None:
        agg = "max" if agg_word.startswith("max") else "min" if agg_word.startswith("min") else "count"
    field_name = None
    if agg != "count":
        words_near = re.findall(r"[a-z_][a-z0-9_]*", agg_before.group(0) if agg_before else "")
        for w in words_near:
            field_name = resolve(w, fields, ("metric",), 60)
            if field_name:
                break
        field_name = field_name or target or (numeric[0].name if numeric else None)
        if field_name is None:
            agg = "count"
    return MeasureSpec(agg, field_name if agg != "count" else None)


def _code_comparisons(r: Reading, fields: list[TField], out: list[Condition]) -> list[Condition]:
    """``out`` with the comparisons written as code: status != 'C', amount >= 100, priority = "P1" (each
    replaces the same comparison read from the words)."""
    for m in re.finditer(r"`?([a-z_][a-z0-9_]*)`?\s*(!=|<>|==|=|>=|<=|>|<)\s*(['\"][^'\"]{0,40}['\"]|-?\d+(?:\.\d+)?)",
                         r.text.lower()):
        target = resolve(m.group(1), fields, None, 95)
        if target is None:
            continue
        op = {"<>": "!=", "==": "="}.get(m.group(2), m.group(2))
        raw = m.group(3)
        value: ir.Expr = ir.StringLit(value=_original(r.text, raw[1:-1])) if raw[0] in "'\"" else num(raw)
        f = next(x for x in fields if x.name == target)
        if isinstance(value, ir.StringLit) == is_numeric(f):
            continue
        expr = ir.Binary(op=op, left=col(target), right=value)  # type: ignore[arg-type]
        if not any(c.expr == expr for c in out):
            out = [c for c in out if not (isinstance(c.expr, ir.Binary) and c.expr.left == col(target)
                                          and c.expr.right == value)]
            out.append(Condition(expr, False))
    return out


def _duration_thresholds(r: Reading, fields: list[TField]) -> list[Condition]:
    """A duration as a threshold on a field measured in that unit: "frames slower than 33 ms" -> frame_ms > 33."""
    out: list[Condition] = []
    cmp_only = "|".join(p for _op, p in COMPARISONS[:4])
    for d in r.durations:
        before = r.low[max(0, d.start - 40):d.start]
        cm = re.search(r"(?:" + cmp_only + r")\s*$", before)
        if not cm:
            continue
        value, unit = d.value  # type: ignore[misc]
        target = unit_field(" " + r.low[d.start:d.end].split()[-1] if " " in r.low[d.start:d.end] else
                            re.sub(r"^[\d.]+", " ", r.low[d.start:d.end]), fields)
        if target is None:
            continue
        op = next(o for o, p in COMPARISONS if re.search(r"(?:" + p + r")\s*$", before))
        out.append(Condition(ir.Binary(op=op, left=col(target), right=num(str(value))), False))  # type: ignore[arg-type]
    return out


def _time_arithmetic(r: Reading, fields: list[TField]) -> list[Condition]:
    """Time arithmetic: "ended_at is more than 2 hours after started_at"."""
    out: list[Condition] = []
    for m in re.finditer(r"(`?[a-z_][a-z0-9_]*`?)\s+(?:is\s+|was\s+|comes?\s+|arrives?\s+|happens?\s+)?"
                         r"(more than|over|at least|less than|under|within)\s+" + words._NUM +
                         r"\s*(seconds?|secs?|minutes?|mins?|hours?|h|days?)\s+(after|later than|before)\s+"
                         r"(?:the\s+|its\s+)?(`?[a-z_][a-z0-9_]*`?)", r.low):
        a = resolve(m.group(1).strip("`"), fields, ("time", "other"), 90)
        b = resolve(m.group(6).strip("`"), fields, ("time", "other"), 90)
        d = words._as_duration(words._number(m.group(3)), m.group(4))
        if a and b and d:
            op = ">" if m.group(2) in ("more than", "over") else ">=" if m.group(2) == "at least" else "<"
            later, earlier = (a, b) if m.group(5) != "before" else (b, a)
            out.append(Condition(ir.Binary(op=op, left=col(later), right=ir.Binary(  # type: ignore[arg-type]
                op="+", left=col(earlier), right=ir.IntervalLit(duration=dur(d)))), False))
    return out


def _between(r: Reading, fields: list[TField], numeric: list[TField], out: list[Condition]) -> list[Condition]:
    """``out`` with "between A and B" (which replaces the single-event comparisons read from A and B)."""
    for m in re.finditer(r"\b(?:between)\s+(-?\d+(?:\.\d+)?)\s+and\s+(-?\d+(?:\.\d+)?)", r.low):
        ctx = r.low[max(0, m.start() - 60):m.start()]
        target = None
        for w in reversed(re.findall(r"[a-z_][a-z0-9_]*", ctx)[-5:]):
            target = resolve(w, fields, ("metric",), 60)
            if target:
                break
        target = target or (numeric[0].name if numeric else None)
        if target:
            negated = bool(re.search(r"\b(?:not|outside)\s+(?:\w+\s+)?$", ctx))
            out = [c for c in out if not (isinstance(c.expr, ir.Binary) and isinstance(c.expr.right, ir.NumberLit)
                                          and c.expr.right.text in (m.group(1), m.group(2)) and not c.on_aggregate)]
            out.append(Condition(ir.Between(operand=col(target), low=num(m.group(1)), high=num(m.group(2)),
                                            negated=negated), False))
    return out


def _string_conditions(r: Reading, fields: list[TField]) -> list[Condition]:
    """String values: status is 'failed', country in ('DE', 'FR'), url starts with "/checkout"."""
    out: list[Condition] = []
    strings = [f for f in fields if not is_numeric(f) and f.role in ("key", "label", "id")]
    for m in re.finditer(r"(`[^`]+`|[a-z_][a-z0-9_]*)\s+(?:is|=|==|equals?|of|set to|marked)\s+(?:not\s+)?"
                         r"['\"]([^'\"]{1,40})['\"]"
                         r"|(`[^`]+`|[a-z_][a-z0-9_]*)\s+(?:is\s+)?(?:not\s+)?(?:one of|in)"
                         r"\s*\(?((?:['\"]?[\w\-]+['\"]?"
                         r"(?:,\s*|\s+or\s+|,?\s+and\s+)){1,8}['\"]?[\w\-]+['\"]?)\)?"
                         r"|(`[^`]+`|[a-z_][a-z0-9_]*)\s+(starts? with|begins? with|ends? with|contains?|containing|"
                         r"like|matching)\s+['\"]([^'\"]{1,40})['\"]", r.text.lower()):
        if m.group(1):
            target = resolve(m.group(1).strip("`"), strings, None, 60)
            if target:
                negated = " not " in m.group(0)
                expr: ir.Expr = ir.Binary(op="!=" if negated else "=", left=col(target),
                                          right=ir.StringLit(value=_original(r.text, m.group(2))))
                out.append(Condition(expr, False))
        elif m.group(3):
            target = resolve(m.group(3).strip("`"), strings, None, 60)
            items = [i.strip("'\" ") for i in re.split(r",\s*|\s+or\s+|,?\s+and\s+", m.group(4)) if i.strip("'\" ")]
            if target and len(items) >= 2 and not any(i in words.STOP for i in items):
                out.append(Condition(ir.InList(operand=col(target), items=tuple(
                    ir.StringLit(value=_original(r.text, i)) for i in items), negated=" not " in m.group(0)), False))
        else:
            target = resolve(m.group(5).strip("`"), strings, None, 60)
            if target:
                v = _original(r.text, m.group(7)).replace("%", "")
                kind = m.group(6)
                pattern = f"{v}%" if kind.startswith(("start", "begin")) else f"%{v}" if kind.startswith("end") \
                    else f"%{v}%" if kind.startswith("contain") else v
                out.append(Condition(ir.Like(operand=col(target), pattern=pattern), False))
    return out


def _null_checks(r: Reading, fields: list[TField]) -> list[Condition]:
    """Null checks: "without a coupon_code", "missing email", "where referrer is null"."""
    out: list[Condition] = []
    for m in re.finditer(r"\b(?:without (?:a |an )?|missing (?:a |an |the )?|no |lacking (?:a |an )?)"
                         r"(`[^`]+`|[a-z_][a-z0-9_]*)|(`[^`]+`|[a-z_][a-z0-9_]*) (is (?:null|missing|empty|not set)|"
                         r"is not null|is present|is set)\b", r.low):
        name = (m.group(1) or m.group(2) or "").strip("`")
        if name in ("time", "window", "windows", "aggregation", "duplicates"):
            continue
        target = resolve(name, fields, None, 75)
        if target:
            present = bool(m.group(3) and re.search(r"not null|present|is set", m.group(3)))
            out.append(Condition(ir.IsNull(operand=col(target), negated=present), False))
    return out


def _enum_conditions(r: Reading, fields: list[TField]) -> list[Condition]:
    """Enum symbols the request names ("cancelled orders", "purchase events"; "ignoring refunds": not)."""
    out: list[Condition] = []
    for f in fields:
        em = re.match(r"enum\((.*)\)", f.type)
        if not em:
            continue
        for sym in [s.strip() for s in em.group(1).split(",")]:
            sm = re.search(r"\b" + re.escape(sym.replace("_", " ")) + r"\b|\b" + re.escape(sym) + r"\b", r.low)
            if sm:
                neg = bool(re.search(r"\b(?:ignor\w+|exclud\w+|except|without|not|skip\w*|drop\w*|other than)\s+"
                                     r"(?:the\s+|all\s+|any\s+)?$", r.low[max(0, sm.start() - 30):sm.start()]))
                out.append(Condition(ir.Binary(op="!=" if neg else "=", left=col(f.name),
                                               right=ir.StringLit(value=sym)), False))
    return out


def unit_field(after: str, fields: list[TField]) -> str | None:
    """The numeric field whose name ends in the unit written after a number ("180 mg/dL" -> mg_dl)."""
    m = re.match(r"\s*([a-z°%][a-z0-9/%°]*)", after)
    if not m:
        return None
    unit = re.sub(r"[^a-z0-9%]", "", m.group(1)).replace("%", "pct")
    if len(unit) < 1 or unit in ("and", "or", "the", "a", "in", "per", "of", "to"):
        return None
    for f in fields:
        parts = f.name.lower().split("_")
        if len(parts) > 1 and (re.sub(r"[^a-z0-9]", "", "".join(parts[1:])) == unit or parts[-1] == unit
                               or re.sub(r"[^a-z0-9]", "", f.name.lower()) == unit):
            return f.name
    return None


def _original(text: str, lowered: str) -> str:
    """``lowered`` as the request writes it (case kept)."""
    i = text.lower().find(lowered)
    return text[i:i + len(lowered)] if i >= 0 else lowered


def _and(exprs: list[ir.Expr]) -> ir.Expr | None:
    out: ir.Expr | None = None
    for e in exprs:
        out = e if out is None else ir.Binary(op="and", left=out, right=e)
    return out


# ------------------------------------------------------------------ windows


def window_choice(r: Reading, shape: set[str]) -> tuple[str, list[Dur]]:
    """The window kind and the durations to size it, from the request's words."""
    kind = first(WINDOW_RULES, r.low)
    durs = [f.value for f in r.durations  # type: ignore[misc]
            if not (re.search(r"\bwithin\s*$", r.low[max(0, f.start - 10):f.start]) and r.has(JOIN_CUES))] or \
        [f.value for f in r.durations]  # type: ignore[misc]
    # "every 5 minutes ... over the last hour": a window of the longer duration that advances by the shorter
    every = [f.value for f in r.durations if re.search(r"\b(?:every|each|updated every|refreshed every|evaluated "
                                                       r"every|recomputed every|advanc\w+ (?:by|every))\s*$",
                                                       r.low[max(0, f.start - 24):f.start])
             or re.match(r"(?:every|each) ", r.low[f.start:f.end])]
    span = [f.value for f in r.durations if re.search(r"\b(?:over|in|of|during|for|within|across) (?:the |a |an )?"
                                                      r"(?:last|past|previous|preceding|trailing|rolling|sliding)?\s*$",
                                                      r.low[max(0, f.start - 24):f.start])
            or r.low[max(0, f.start - 12):f.start].strip().endswith(("last", "past", "trailing", "sliding"))]
    if kind not in ("session", "cumulate") and every and span and millis(max(span, key=millis)) > \
            millis(min(every, key=millis)) and "rolling" not in shape:
        size, slide = max(span, key=millis), min(every, key=millis)
        if millis(size) % millis(slide) == 0:
            return "hop", [size, slide]
    if kind == "session" and not durs:
        durs = [(30, "min")]
    if kind == "none" and durs and labels(WINDOW_RULES, r.low) & {"tumble"} and not r.has(
            r"\brunning\b|\bcontinuous|\bso far\b|\ball[- ]time\b|\bno (?:time )?windows?\b|\blive\b|\bever\b|"
            r"\blifetime\b"):
        kind = "tumble"
    if kind is None:
        kind = "tumble" if durs else "none"
    if kind == "hop" and len({millis(d) for d in durs}) < 2:
        kind = "tumble" if durs else "none"
    if kind in ("tumble", "session") and not durs:
        kind = "none"
    if kind == "cumulate" and not durs:
        kind = "none"
    return kind, durs  # type: ignore[return-value]


def _window_ir(kind: str, durs: list[Dur], et: str, r: Reading) -> list[ir.Window]:
    """The windows of ``kind`` the durations allow, best first."""
    if kind == "tumble":
        # "every 15 minutes": the duration after "every"/"per" first
        ordered = sorted(durs, key=lambda d: 0 if r.has(rf"\b(?:every|per|each|in|of) {d[0]}[- ]?") else 1)
        return [ir.Tumble(column=et, size=dur(d)) for d in dict.fromkeys(ordered)][:3]
    if kind == "session":
        return [ir.Session(column=et, gap=dur(d)) for d in dict.fromkeys(durs)][:2]
    pairs = [(a, b) for a in durs for b in durs if millis(a) > millis(b) and millis(a) % millis(b) == 0]
    if kind == "hop":
        return [ir.Hop(column=et, size=dur(a), slide=dur(b)) for a, b in dict.fromkeys(pairs)][:3]
    if kind == "cumulate":
        if not pairs:
            size = max(durs, key=millis)
            if r.has(r"\bmidnight\b|\bthe day\b|\btoday\b|\beach day\b|\bevery day\b|\bdaily\b"):
                size = (1, "d")
            elif r.has(r"\bthe (?:current )?hour\b|\beach hour\b|\bevery hour\b"):
                size = (1, "h")
            step = min(durs, key=millis)
            if millis(size) > millis(step) and millis(size) % millis(step) == 0:
                pairs = [(size, step)]
        big = [p for p in pairs if (r.has(r"\bmidnight\b|\bday\b|\btoday\b") and p[0] == (1, "d")) or True]
        return [ir.Cumulate(column=et, step=dur(b), size=dur(a)) for a, b in dict.fromkeys(big)][:3]
    return []


# ------------------------------------------------------------------ building candidates


@dataclass
class Draft:
    """A spec being built: statements in order, the stream the next stage reads, and its columns."""

    statements: list[ir.Statement]
    head: str
    columns: list[str]
    upsert_key: tuple[str, ...] = ()  # the sink must be an upsert sink keyed by these

    def add(self, st: ir.Statement, columns: list[str] | None = None,
            upsert_key: tuple[str, ...] | None = None) -> None:
        self.statements.append(st)
        self.head = st.name
        if columns is not None:
            self.columns = columns
        if upsert_key is not None:
            self.upsert_key = upsert_key


def _unique(name: str, taken: set[str]) -> str:
    base, i = name, 2
    while name in taken:
        name = f"{base}_{i}"
        i += 1
    taken.add(name)
    return name


JOIN_CUES = r"\bmatch\w*\b[^.]*\bwith\b|\bconvert\w*\b[^.]*\b(?:rate|price)s?\b[^.]*\b(?:valid|in effect|at)\b|" \
            r"\btag(?:s|ged)? (?:each|every)\b[^.]*\bwith\b|\bat the time (?:of|when)\b|" \
            r"\bwas valid\b|\bvalid (?:when|at)\b|" \
            r"\bas it was\b|\benrich\w*\b|\bjoin\w*\b|" \
            r"\bmatch(?:es|ed|ing)? (?:each|every|it|them|the|up)\b|\bpair(?:s|ed|ing)? (?:each|every|it|them|the)\b|" \
            r"\blook(?:s|ed)? up\b|\blookup\b|\bin effect at\b|\bas (?:it|they) (?:was|were|stood)\b|\bcorrelat\w+\b|" \
            r"\bcombined? with\b|\battach(?:es|ed)? the\b[^.]*\bfrom\b|\badd(?:s|ing)? the\b[^.]*\bfrom\b"
TEMPORAL_CUES = r"\bas (?:it|they) (?:was|were|stood)\b|\bin effect\b|\bat (?:the )?(?:time of|\w+ time)\b|" \
                r"\bversion(?:ed|s)?\b|\bchangelog\b|\bupsert\b|\blook(?:s|ed)? up\b|\blookup\b|\bcompacted\b|" \
                r"\bvalid at\b|\bat that (?:time|moment)\b|\bcurrent(?:ly)? (?:valid|known)?\b|\bkeyed by\b|\btable\b"
UNION_CUES = r"\bmerge[sd]?\b|\bmerging\b|\bunion\b|\bcombine[sd]? (?:the |all )?(?:\w+ )?(?:streams|topics|feeds)\b|" \
             r"\binterleave\b|\bconsolidate\b|\bfan[- ]in\b|\bbring together\b|\binto one (?:stream|topic)\b"


def _segment(r: Reading, st: Stream | None, rest: list[Stream]) -> Reading:
    """What the request says about joining ``st``: the text from its mention to the next stream's."""
    if st is None or len(rest) < 2:
        return r
    later = [x.start for x in rest if x.start > st.start]
    end = min(later) if later else len(r.text)
    begin = max([x.start for x in rest if x.start < st.start] + [0])
    text = r.text[begin:end] if begin else r.text[:end]
    seg = read(text)
    seg.streams = r.streams
    return seg


def _join_kind(r: Reading) -> tuple[str, Dur | None]:
    within = re.search(r"\bwithin\s+" + words._NUM + r"\s*-?\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|"
                       r"days?|d)\b", r.low)
    if within and not r.has(r"\bas (?:it|they) (?:was|were)\b|\bin effect\b|\bversion"):
        d = words._as_duration(words._number(within.group(1)), within.group(2))
        return "interval", d
    if r.has(DATABASE_CUES):
        return "lookup", None
    if r.has(TEMPORAL_CUES):
        return "temporal", None
    return "regular", None


# Time as the pipeline sees it, not as the events carry it: windows on a processing-time column.
PROCESSING_CUES = r"\bprocessing[- ]time\b|\bwall[- ]clock\b|\bas (?:they|it|(?:the )?\w+) (?:arrive|come in)\b|" \
                  r"\barrival time\b|\bwhen (?:they|it) (?:arrive|arrives|are received|is received)\b"
# A table in a database: read by lookup, as each event is processed (a jdbc table and a lookup join).
DATABASE_CUES = r"\b(?:database|postgres(?:ql)?|mysql|jdbc|rdbms|db table|sql table)\b"


def _right_source(st: Stream | None, key: str, r: Reading, kind: str, left: SourceTemplate,
                  template: SourceTemplate) -> SourceTemplate:
    """The second side of a join: the stream the request names with its fields, else its key, the attributes the
    request asks for and a time."""
    if st is not None and st.fields:
        fields = list(st.fields)
        if all(f.name != key for f in fields):
            fields.insert(0, TField(key, "string", "key", ""))
        return SourceTemplate(st.name, st.topic, f"The {st.topic} stream", (), tuple(_with_time(fields, True)))
    noun = re.search(r"\b([a-z][a-z0-9_]*)\s+(?:are|is|come from|comes from)\s+(?:an?\s+|the\s+)?(?:upsert|changelog|"
                     r"compacted|versioned|lookup|reference)\b|\bfrom (?:an?|the) "
                     r"([a-z][a-z0-9_]*) (?:upsert|changelog|"
                     r"compacted) (?:topic|stream|table)\b", r.low)
    named = (noun.group(1) or noun.group(2)) if noun else None
    if named in words.STOP or named in ("it", "they", "which", "that"):
        named = None
    name = st.name if st is not None else (snake(named) if named else key[:-3] + "s" if key.endswith("_id")
                                           else key + "_table")
    topic = st.topic if st is not None else name.replace("_", "-")
    asked = []
    for m in re.finditer(r"\b(?:with|add(?:ing)?|attach(?:ing)?|its|their|the)\s+(?:the\s+)?(?:\w+'s\s+)?"
                         r"([a-z_][a-z0-9_]*)(?:\s+([a-z_][a-z0-9_]*))?", r.low):
        for w in (m.group(1), m.group(2)):
            if w and w not in words.STOP and w not in _NOT_KEYS and len(w) > 2 and not resolve(w, left.fields) \
                    and w not in (key, name, singular(name), "customer", "player", "user", "device", "order") \
                    and re.fullmatch(r"tier|country|rate|carrier|tracking_number|segment|region|status|name|price|"
                                     r"category|brand|plan|level|city|zone|team|rank|limit|owner|model|"
                                     r"[a-z]+_(?:name|tier|rate|code|level|type|status)", w):
                asked.append(w)
    asked = list(dict.fromkeys(asked))[:3] or ["name"]
    fields = [TField(key, "string", "key", "")]
    fields += [TField(a, words.type_from_name(a), "label", "") for a in asked]
    fields.append(TField("updated_at" if kind == "temporal" else "happened_at", "timestamp(3)", "time", ""))
    return SourceTemplate(name, topic, f"The {topic} stream", (), tuple(fields))


def _join_key(r: Reading, left: SourceTemplate, right_stream: Stream | None) -> str | None:
    m = re.search(r"\b(?:on|by|using|keyed by|for the same|same|matching|via|through)\s+(?:the\s+)?(?:same\s+)?"
                  r"`?([a-z_][a-z0-9_]*)`?", r.low)
    lf = list(left.fields)
    if right_stream is not None and right_stream.fields:
        common = [f.name for f in right_stream.fields if any(x.name == f.name for x in lf) and f.role != "time"]
        if m and m.group(1) in common:
            return m.group(1)
        if right_stream.key and right_stream.key in [f.name for f in lf]:
            return right_stream.key
        ids = [c for c in common if c.endswith(("_id", "_code", "id"))]
        if ids or common:
            return (ids or common)[0]
    if right_stream is not None and right_stream.key:
        return right_stream.key
    if m:
        hit = resolve(m.group(1), lf, ("key", "id"), 60)
        if hit:
            return hit
        if m.group(1) not in words.STOP and ("_" in m.group(1) or m.group(1) in ("currency", "symbol", "sku")):
            return m.group(1)
    ids = re.findall(r"\b([a-z][a-z0-9]*_id)\b", r.low)
    return ids[0] if ids else None


def _select_all(left: SourceTemplate, right: SourceTemplate, key: str, kind: str,
                left_name: str | None = None) -> tuple[ir.Select, list[str]]:
    items, names = [], []
    lname = left_name or left.name
    for f in left.fields:
        items.append(ir.SelectItem(expr=col(lname, f.name)))
        names.append(f.name)
    for f in right.fields:
        if f.name == key:
            continue
        if f.role == "time":
            if kind == "interval":
                alias = _unique(f"{right.name}_{f.name}" if f.name in names else f.name, set(names))
                items.append(ir.SelectItem(alias=alias, expr=col(right.name, f.name)))
                names.append(alias)
                lat = _unique("latency_s", set(names))
                items.append(ir.SelectItem(alias=lat, expr=call("seconds_between", col(lname, left.event_time or ""),
                                                                col(right.name, f.name))))
                names.append(lat)
            continue
        if f.name in names:
            alias = _unique(f"{right.name}_{f.name}", set(names))
            items.append(ir.SelectItem(alias=alias, expr=col(right.name, f.name)))
            names.append(alias)
        else:
            items.append(ir.SelectItem(expr=col(right.name, f.name)))
            names.append(f.name)
    return ir.Select(items=tuple(items)), names


_PROJECTION = re.compile(r"\b(?:with (?:its|their|the|just|only)|keep(?:ing)? only|keep(?:ing)? just|"
                         r"only (?:keep|the fields?|"
                         r"the columns?)|selecting|select|project(?:ing)?|output(?:ting)? (?:only |just )?(?:the )?|"
                         r"containing only|carrying only|(?:just|only) (?:the )?(?:fields?|columns?)|fields?|columns?)"
                         r"\s*:?\s+((?:`?[a-z_][a-z0-9_]*`?(?:,\s*|\s+and\s+|\s*&\s*)){1,12}`?[a-z_][a-z0-9_]*`?)")


def projection(r: Reading, src: SourceTemplate) -> list[str]:
    """The fields a filter or passthrough should keep ("with its id, amount and customer")."""
    for m in _PROJECTION.finditer(r.low):
        if re.search(r"\b(?:stream|topic|table|feed)\s*$", r.low[max(0, m.start() - 20):m.start()]):
            continue
        items = [i.strip("` ") for i in re.split(r",\s*|\s+and\s+|\s*&\s*", m.group(1)) if i.strip("` ")]
        hits = []
        for i in items:
            h = resolve(i, src.fields, None, 60)
            if h and h not in hits:
                hits.append(h)
        if len(hits) >= 2 and len(hits) >= len(items) - 1:
            return hits
    return []


_LABELS = re.compile(r"\b(?:label(?:l?ed|l?ing|s)?|classif(?:y|ies|ied|ying)|tag(?:s|ged|ging)?|bucket(?:s|ed|ing)?|"
                     r"band(?:s|ed)?|mark(?:s|ed)?|categori[sz]e[sd]?|rate[sd]?|grade[sd]?)\b[^.;]{0,80}?\b(?:as|into)\s+"
                     r"(?:either\s+)?['\"]?([a-z_][a-z0-9_-]*)['\"]?\s*(?:,|/)\s*['\"]?([a-z_][a-z0-9_-]*)['\"]?"
                     r"(?:\s*(?:,|/)?\s*(?:or|and)?\s*['\"]?([a-z_][a-z0-9_-]*)['\"]?)?"
                     r"(?:\s*(?:,|/)?\s*(?:or|and)\s*['\"]?([a-z_][a-z0-9_-]*)['\"]?)?")
_CAST = re.compile(r"\bcast(?:s|ing)?\s+((?:`?[a-z_][a-z0-9_]*`?(?:\s*,\s*|\s+and\s+)?)+?)"
                   r"\s+(?:to|as|into)\s+(?:an?\s+)?"
                   r"(" + words._TYPE_RE + r")", re.I)


def derived_columns(r: Reading, src: SourceTemplate) -> tuple[list[tuple[str, ir.Expr]], set[str]]:
    """Columns the request asks to compute: a label from thresholds ("label each order as small, medium or
    large: under 50, 50 to 200, above 200"), casts ("cast bid and ask to DECIMAL(18,6)"), and expressions
    written as code ("mid = (bid + ask) / 2", "(bid + ask) / 2 as mid"). Also the numbers a label uses, which
    are not filters."""
    out: list[tuple[str, ir.Expr]] = []
    used: set[str] = set()
    fields = list(src.fields)
    numeric = numeric_fields(fields)
    label = _threshold_label(r, fields, numeric)
    if label is None and re.search(r"\b(?:label|classif|tag|band|bucket|categor|size|grade|tier|level)\w*\b", r.low):
        label = _ranged_label(r, fields, numeric)
    if label is not None:
        column, used = label
        out.append(column)
    _casts(r, fields, out)
    _code_expressions(r, fields, out)
    return out, used


def _band(target: str, cuts: list[str], names: list[str], r: Reading) -> tuple[str, ir.Expr]:
    """The label column ``<target>_band``: ``names[i]`` below ``cuts[i]``, the last name above them all."""
    whens = tuple(ir.When(condition=ir.Binary(op="<", left=col(target), right=num(c)),
                          result=ir.StringLit(value=_original(r.text, lab)))
                  for c, lab in zip(cuts, names))
    return snake(f"{target}_band"), ir.Case(whens=whens, otherwise=ir.StringLit(value=_original(r.text, names[-1])))


def _threshold_label(r: Reading, fields: list[TField],
                     numeric: list[TField]) -> tuple[tuple[str, ir.Expr], set[str]] | None:
    """"label each order as small, medium or large: under 50, 50 to 200, above 200": the label column and the
    numbers it uses; None when the request asks for no such label."""
    m = _LABELS.search(r.low)
    if not m:
        return None
    labels_ = [g for g in m.groups() if g and g not in ("or", "and", "either")]
    nums = [n for n in r.numbers if n.start > m.start() - 120]
    values = list(dict.fromkeys(n.value for n in nums))[:len(labels_) - 1]  # type: ignore[misc]
    target = None
    for w in re.findall(r"[a-z_][a-z0-9_]*", r.low[max(0, m.start() - 60):m.end() + 120]):
        target = resolve(w, fields, ("metric",), 75)
        if target:
            break
    target = target or (numeric[0].name if numeric else None)
    if not (target and len(values) == len(labels_) - 1 and values):
        return None
    ordered = sorted(values, key=float)
    # thresholds written downwards ("high above 100, medium above 50") name the labels from the top
    descending = [float(v) for v in values] == sorted((float(v) for v in values), reverse=True)
    names = labels_[::-1] if descending else labels_
    return _band(target, ordered, names, r), set(values)


def _ranged_label(r: Reading, fields: list[TField],
                  numeric: list[TField]) -> tuple[tuple[str, ir.Expr], set[str]] | None:
    """"'frozen' below -18, 'chilled' from -18 to 4 and 'warm' above 4": labels each with its range; the label
    column and the numbers it uses, or None."""
    triples = []
    for tm in re.finditer(r"['\"]?([a-z_][a-z0-9_-]*)['\"]?\s+(?:if\s+|when\s+|for\s+)?(?:it is\s+)?"
                          r"(below|under|less than|lower than|<|above|over|more than|greater than|>|from|between)\s+"
                          r"(-?\d+(?:\.\d+)?)(?:\s*(?:to|and|-|–)\s*(-?\d+(?:\.\d+)?))?", r.low):
        lab, how, a, b = tm.group(1), tm.group(2), float(tm.group(3)), tm.group(4)
        if lab in words.FUNCTION_WORDS or lab in ("is", "are", "values", "readings", "value"):
            continue
        low_bound = float("-inf") if how in ("below", "under", "less than", "lower than", "<") else a
        triples.append((low_bound, lab, tm.group(3), b, how))
    if len(triples) < 2:
        return None
    triples.sort(key=lambda t: t[0])
    cuts = []
    for low_bound, _lab, a, b, how in triples[1:]:
        cuts.append(a if how not in ("below", "under", "less than", "lower than", "<") else b or a)
    target = None
    for w in re.findall(r"[a-z_][a-z0-9_]*", r.low):
        target = resolve(w, fields, ("metric",), 75)
        if target:
            break
    target = target or (numeric[0].name if numeric else None)
    if not (target and all(c is not None for c in cuts)):
        return None
    return (_band(target, cuts, [t[1] for t in triples], r),
            {t[2] for t in triples} | {t[3] for t in triples if t[3]})


def _casts(r: Reading, fields: list[TField], out: list[tuple[str, ir.Expr]]) -> None:
    """Casts: "cast bid and ask to DECIMAL(18,6)" (a column computed already keeps its expression)."""
    for cm in _CAST.finditer(r.low):
        typ, _null = type_of(words._type_text(cm.group(2)))
        for name in re.findall(r"`?([a-z_][a-z0-9_]*)`?", cm.group(1)):
            hit = resolve(name, fields, None, 95)
            if hit and all(n != hit for n, _e in out):
                out.append((hit, ir.Cast(operand=col(hit), to=typ)))


def _code_expressions(r: Reading, fields: list[TField], out: list[tuple[str, ir.Expr]]) -> None:
    """Expressions written as code: "mid = (bid + ask) / 2", "(bid + ask) / 2 as mid" (over the casts)."""
    for em in re.finditer(r"\b([a-z_][a-z0-9_]*)\s*=\s*([^,;=]{3,120}?)(?=[,;.]\s|[,;.]?\s*$| and | then | to | for |"
                          r" from | in | into | per | on )|"
                          r"(\(?[a-z_][a-z0-9_]*\s*[-+*/][^,;=]{1,100}?)\s+as\s+([a-z_][a-z0-9_]*)\b", r.low):
        name, text = (em.group(1), em.group(2)) if em.group(1) else (em.group(4), em.group(3))
        if not re.search(r"[-+*/]", text) or resolve(name, fields, None, 95):
            continue
        expr = _parse_expr(text.strip(), {f.name for f in fields})
        if expr is not None and all(n != name for n, _e in out):
            casts = {n: e for n, e in out if isinstance(e, ir.Cast)}
            out.append((name, _substitute(expr, casts) if casts else expr))


def _substitute(e: ir.Expr, by: dict[str, ir.Expr]) -> ir.Expr:
    """``e`` with each column named in ``by`` replaced by its expression (a cast the request asks for)."""
    if isinstance(e, ir.Column) and len(e.path) == 1 and e.path[0] in by:
        return by[e.path[0]]
    if isinstance(e, ir.Node):
        changes = {}
        for name in ir.value_fields(type(e)):
            v = getattr(e, name)
            if isinstance(v, ir.Node):
                changes[name] = _substitute(v, by)
            elif isinstance(v, tuple) and v and isinstance(v[0], ir.Node):
                changes[name] = tuple(_substitute(x, by) for x in v)
        return replace(e, **changes) if changes else e
    return e


def _parse_expr(text: str, fields: set[str]) -> ir.Expr | None:
    """``text`` as a spec expression over ``fields``, read by the spec parser; None when it is not one."""
    from pipegen.compiler.parser import parse_spec

    spec, diags = parse_spec(f'pipeline p {{\n}}\ntransform t from s {{\n  select {{\n    x = {text}\n  }}\n}}\n')
    if spec is None or diags:
        return None
    expr = spec.statements[0].select.items[0].expr
    return expr if _columns_in(expr) <= fields and _columns_in(expr) else None


def _top_n(r: Reading) -> int | None:
    m = re.search(r"\btop[- ]?(\d+|three|five|ten|twenty)\b|\bthe (\d+|three|five|ten|twenty) (?:\w+ ){0,3}(?:with the "
                  r"(?:most|highest|largest|biggest)|that \w+ the most|by|ranked)\b|\b(\d+|three|five|ten) "
                  r"(?:best|most|highest|biggest|largest|top)\b", r.low)
    if not m:
        return None
    v = m.group(1) or m.group(2) or m.group(3)
    return int(words._number(v))


def _pattern(r: Reading, src: SourceTemplate, part: list[str], conds: list[Condition],
             durs: list[Dur]) -> ir.Pattern | None:
    """A sustained condition ("stays above 80 for 5 minutes", "three readings in a row above 80") or a sequence
    ("a failed login followed by a success within 5 minutes")."""
    et = src.event_time or ""
    seq = _sequence(r, src, part)
    if seq is not None:
        return seq
    row = [c.expr for c in conds if not c.on_aggregate]
    cond = row[0] if row else None
    if cond is None:
        return None
    within = _pattern_within(r)
    # the words between the count and its noun are no numbers: "above 90 two times in a row" counts two
    count = re.search(r"\b(\d+|two|three|four|five|six|ten)\s+(?:or more\s+)?(?:consecutive\s+|successive\s+|"
                      r"(?!(?:\d+|two|three|four|five|six|ten)\b)\w+\s+){0,2}(?:readings|events|times|ticks|"
                      r"measurements|samples|values|pings|scans|in a row)\b|\b(\d+|two|three|four|five|ten) in a row\b",
                      r.low)
    terms: list[ir.PatternTerm]
    defines: list[ir.Define]
    ms: list[ir.Measure] = [ir.Measure(name="started_at", expr=call("first", col("high", et)))]
    metric = next((c.expr.left.path[-1] for c in conds
                   if isinstance(c.expr, ir.Binary) and isinstance(c.expr.left, ir.Column) and not c.on_aggregate),
                  None)
    # Flink 2.3 adds "and not <high's condition>" to the variable after a greedy `high+` or `high{n,}`, so the
    # one after high never holds the same condition (it would never match): a fixed count, or high bounded in time.
    if count:
        # N in a row: N - 1, then one more (Flink refuses a pattern that ends with a repeated variable)
        n = int(words._number(count.group(1) or count.group(2)))
        n = max(2, min(n, 50))
        terms = [ir.PatternTerm(variable="high", quantifier=None if n == 2 else f"{{{n - 1},{n - 1}}}"),
                 ir.PatternTerm(variable="high_end")]
        defines = [ir.Define(variable="high", condition=cond), ir.Define(variable="high_end", condition=cond)]
        ms.append(ir.Measure(name="ended_at", expr=call("last", col("high_end", et))))
    else:
        secs = None
        sustained = re.search(r"\bfor (?:more than |longer than |at least |over )?" + words._NUM +
                              r"\s*-?\s*(seconds?|secs?|s|minutes?|mins?|hours?|h)\b", r.low)
        if sustained:
            d = words._as_duration(words._number(sustained.group(1)), sustained.group(2))
            secs = millis(d) // 1000 if d else None
        if secs is None and durs and not within:
            secs = millis(durs[0]) // 1000
        if secs:
            since = call("seconds_between", call("first", col("high", et)), col(et))
            terms = [ir.PatternTerm(variable="high", quantifier="+"), ir.PatternTerm(variable="still_high")]
            defines = [ir.Define(variable="high", condition=ir.Binary(op="and", left=cond, right=ir.Binary(
                           op="<", left=since, right=num(str(secs))))),
                       ir.Define(variable="still_high", condition=ir.Binary(op="and", left=cond, right=ir.Binary(
                           op=">=", left=since, right=num(str(secs)))))]
            ms.append(ir.Measure(name="alerted_at", expr=call("last", col("still_high", et))))
        else:  # two in a row
            terms = [ir.PatternTerm(variable="high"), ir.PatternTerm(variable="high_end")]
            defines = [ir.Define(variable="high", condition=cond), ir.Define(variable="high_end", condition=cond)]
            ms.append(ir.Measure(name="ended_at", expr=call("last", col("high_end", et))))
    if metric and any(f.name == metric and is_numeric(f) for f in src.fields):
        ms.append(ir.Measure(name=f"peak_{metric}", expr=call("max", col("high", metric))))
    return ir.Pattern(name="alerts", input=src.name, partition_by=tuple(col(k) for k in part[:2]),
                      sequence=tuple(terms), within=within, defines=tuple(defines), measures=tuple(ms))


def _pattern_within(r: Reading) -> ir.Duration | None:
    """The time a pattern must complete in ("within 5 minutes")."""
    wm = re.search(r"\bwithin\s+(?:the\s+)?(?:same\s+)?" + words._NUM + r"\s*-?\s*(seconds?|secs?|s|minutes?|mins?|"
                   r"hours?|h)\b", r.low)
    if not wm:
        return None
    d = words._as_duration(words._number(wm.group(1)), wm.group(2))
    return dur(d) if d else None


_KIND_FIELDS = r"(?:^|_)(?:status|event_type|type|action|outcome|result|event|kind|state|step|stage|name)$"
_QUANT = {"a": None, "an": None, "one": None, "two": "{2,}", "three": "{3,}", "four": "{4,}", "five": "{5,}",
          "several": "{2,}", "multiple": "{2,}", "repeated": "{2,}", "many": "{3,}"}


def _sequence(r: Reading, src: SourceTemplate, part: list[str]) -> ir.Pattern | None:
    """"three failed logins followed by a successful login within 5 minutes": one kind of event, then another,
    told apart by the field that says what happened (added when the source has none)."""
    m = re.search(r"((?:[\w'\"-]+\s+){0,5})(?:(?:is|are)\s+)?(?:followed by|and then|then)\s+((?:[\w'\"-]+\s*){1,5})",
                  r.low)
    if not m or not r.has(r"\bfollowed by\b|\bwithin\b"):
        return None
    filler = {"a", "an", "the", "or", "more", "at", "least", "of", "by", "same", "one", "its", "their", "any", "each",
              "event", "events", "when", "detect", "alert", "flag", "user", "player", "card", "and", "with", "where",
              "that", "is", "are", "all", "within", "then", "per", "account", "customer", "session", "device"}
    before = [w.strip("'\"") for w in m.group(1).split()]
    after = [w.strip("'\"") for w in m.group(2).split()]
    quant = None
    for w in before:
        if w in _QUANT:
            quant = _QUANT[w]
        elif w.isdigit() and int(w) >= 2:
            quant = f"{{{min(int(w), 50)},}}"
    a_words = [w for w in before if w not in filler and w not in _QUANT and not w.isdigit()][-2:]
    b_words = []
    for w in after:
        if w in ("within", "in", "inside", "under", "for", "and", "then", "on", "from", "to"):
            break
        if w not in filler:
            b_words.append(w)
    b_words = b_words[:2]
    if not a_words or not b_words:
        return None
    quoted = re.findall(r"['\"]([A-Za-z_][\w-]{0,30})['\"]", r.text)
    a_val = quoted[0] if len(quoted) >= 2 else snake("_".join(singular(w) for w in a_words))
    b_val = quoted[1] if len(quoted) >= 2 else snake("_".join(singular(w) for w in b_words))
    if a_val == b_val:
        return None
    kind_field = next((f.name for f in src.fields if re.search(_KIND_FIELDS, f.name) and not is_numeric(f)
                       and f.role != "time"), None)
    if kind_field is None:
        return None
    et = src.event_time or ""
    within = _pattern_within(r)
    return ir.Pattern(
        name="alerts", input=src.name, partition_by=tuple(col(k) for k in part[:2]),
        sequence=(ir.PatternTerm(variable="first_step", quantifier=quant), ir.PatternTerm(variable="then_step")),
        within=within,
        defines=(ir.Define(variable="first_step", condition=ir.Binary(op="=", left=col(kind_field),
                                                                      right=ir.StringLit(value=a_val))),
                 ir.Define(variable="then_step", condition=ir.Binary(op="=", left=col(kind_field),
                                                                     right=ir.StringLit(value=b_val)))),
        measures=(ir.Measure(name="started_at", expr=call("first", col("first_step", et))),
                  ir.Measure(name="matched_at", expr=call("last", col("then_step", et)))))


def _sink(r: Reading, inp: str, p: str, outputs: list[Stream], upsert_key: tuple[str, ...], taken: set[str],
          i: int = 0) -> ir.Sink:
    out = outputs[i] if i < len(outputs) else None
    name = _unique(out.name if out else f"{p}_results", taken)
    topic = out.topic if out else f"{p.replace('_', '-')}-results"
    return ir.Sink(name=name, input=inp, topic=topic, key=upsert_key if upsert_key else (),
                   mode="upsert" if upsert_key else None)


def plan_request(description: str, domain: str | None, source: SourceTemplate | None = None,
                 name: str | None = None) -> Plan:
    """Read the request and make the candidate specs, best first (``Plan.candidates``)."""
    r = read(description)
    p = snake(name) if name else (snake(description.split(",")[0])[:32] or "pipeline")
    template = pick_template(description, domain)
    shape = labels(SHAPE_RULES, r.low)
    previous = previous_phrases(r)
    if previous:
        # the words of a comparison with the row before ("since the last update", "between consecutive
        # readings") are not a dedup or a pattern of their own
        blank = r.low
        for m in previous:
            blank = blank[:m.start()] + " " * (m.end() - m.start()) + blank[m.end():]
        shape = labels(SHAPE_RULES, blank) | {"previous"}
    inputs = [s for s in r.streams if not s.output]
    outputs = [s for s in r.streams if s.output]
    # The stream of events comes first; a table (upsert, changelog, keyed by) is what they are looked up in.
    inputs.sort(key=lambda s: s.upsert and r.has(JOIN_CUES))
    joined = len(inputs) >= 2 and r.has(JOIN_CUES) or (len(inputs) <= 1 and r.has(JOIN_CUES) and r.has(
        r"\benrich|\bjoin|\blook(?:s|ed)? up|\blookup\b|\bin effect\b|\bmatch(?:es|ed|ing)? (?:each|every)\b|"
        r"\bpair(?:s|ed|ing)? (?:each|every)\b|\bvalid (?:at|when)\b|\bwas valid\b|\bas it was\b|"
        r"\bat the time of\b|\btag(?:s|ged)? (?:each|every)\b"))
    union = len(inputs) >= 2 and not joined and r.has(UNION_CUES)
    notes: list[str] = []
    primary, allow_new, rest = _primary_source(r, inputs, template, source, joined)
    # keys read out of a field of JSON text are columns of the events to the stages (see _json_extraction)
    jf = json_reading(r, primary) if not joined and not union else None
    if jf is not None:
        primary = _with_json_keys(primary, jf)
    if allow_new and source is None:
        primary = _identifiers_as_fields(r, primary)
    primary, keys, ms, conds = _computation(r, primary, shape, allow_new, source)
    wm = r.watermark_s if r.watermark_s is not None else 5
    ins = _Inputs(primary, wm, [primary], [source_ir(primary, wm)], {primary.name})
    pipeline = ir.Pipeline(name=p, description=" ".join(description.split())[:400] or None,
                           domain=domain if domain and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", domain) else None)
    # ---- joins and unions: one join per table or stream the events are joined with, in the order named
    joins: list[ir.Join] = []
    if joined:
        joins, pipeline = _joins(r, rest, ins, template, source, pipeline, notes)
    elif union:
        _union_sources(rest, ins, template)
        notes.append("union of " + ", ".join(s.name for s in ins.sources))
    plan = Plan(p, description, domain, ins.sources, names=words.identifiers(r.text), notes=notes)
    shapes = _shapes(r, shape, ms, keys, conds, bool(joins))
    candidates: list[ir.Spec] = []
    primary = ins.primary
    # A merge of streams with the same fields is a union the stages read; of streams whose fields differ, each
    # further stream is written to a topic of its own (``_union_sinks``).
    merged = _merge(ins, wm) if union else None
    # Windows on processing time when the request asks for it ("by processing time", "as they arrive").
    proc = None
    if r.has(PROCESSING_CUES) and isinstance(ins.statements[0], ir.Source):
        ins.statements[0] = _with_processing_time(ins.statements[0])
        proc = ins.statements[0].processing_time
        notes.append(f"windows on processing time ({proc})")
    for variant in _variants(r, shapes, primary, keys, ms, conds, proc):
        d = Draft(list(ins.statements), primary.name, [f.name for f in primary.fields])
        if merged is not None:
            d = Draft([*ins.statements, *merged[0]], merged[1].name, [f.name for f in primary.fields])
        for j in joins:
            d.add(j, [i.alias or i.expr.path[-1] for i in j.select.items])  # type: ignore[union-attr]
        built = _build(r, variant, d, primary, ins.taken.copy(), outputs, p)
        if built is None:
            continue
        if len(outputs) >= 2 and not union:
            built = _two_outputs(r, built, primary, outputs, ins.taken.copy())
        if union and merged is None:
            built = _union_sinks(built, ins.sources[1:], outputs, p, ins.taken.copy())
        if jf is not None:
            built = _json_extraction(built, primary.name, jf, ins.taken.copy())
        candidates.append(ir.Spec(pipeline=pipeline, statements=tuple(built)))
    plan.candidates = candidates
    return plan


def _primary_source(r: Reading, inputs: list[Stream], template: SourceTemplate, source: SourceTemplate | None,
                    joined: bool) -> tuple[SourceTemplate, bool | str, list[Stream]]:
    """The source of the events (the user's schema, the stream the request names first, or the domain's);
    whether the request may add fields to it (``"id"``: only keys, named ``<word>_id``); the other streams."""
    needs_time = True
    allow_new: bool | str = True
    if source is not None:
        primary = source
        allow_new = False
        rest = inputs[1:] if inputs and snake(inputs[0].name) != source.name else inputs
        rest = [s for s in rest if s.name != source.name]
    elif inputs and inputs[0].upsert and joined:
        # only the table is named: the events are the domain's (or the fields the request lists apart)
        bare = words.bare_field_list(r.text)
        primary = SourceTemplate(template.name, template.topic, template.description, (),
                                 tuple(_with_time(bare, True))) if bare and not inputs[0].fields else template
        rest = inputs
    elif inputs:
        primary = _stream_source(inputs[0], template, needs_time)
        allow_new = True if inputs[0].fields else "id"
        rest = inputs[1:]
    else:
        bare = words.bare_field_list(r.text)
        if bare:
            primary = SourceTemplate(template.name, template.topic, template.description, (),
                                     tuple(_with_time(bare, needs_time)))
            allow_new = True
        else:
            primary = template
            allow_new = "id"
        rest = []
    if not primary.event_time and source is None:
        primary = SourceTemplate(primary.name, primary.topic, primary.description, primary.triggers,
                                 tuple(_with_time(list(primary.fields), True)))
    return primary, allow_new, rest


def _identifiers_as_fields(r: Reading, primary: SourceTemplate) -> SourceTemplate:
    """An identifier the request keys, joins or dedups by is a field of the events, whatever the template has."""
    stream_names = {st.name for st in r.streams}
    for m in re.finditer(r"\b(?:by|on|per|of|keyed by|key|using|same|matching|each|every|for each)\s+(?:the\s+)?"
                         r"(?:same\s+)?`?([a-z][a-z0-9]*(?:_[a-z0-9]+)+)`?", r.low):
        ident = m.group(1)
        if ident not in stream_names and all(f.name != ident for f in primary.fields):
            typ = words.type_from_name(ident)
            primary = add_field(primary, TField(ident, typ, "id" if ident.endswith("_id") else words.role_of(typ),
                                                ""))
    return primary


def _computation(r: Reading, primary: SourceTemplate, shape: set[str], allow_new: bool | str,
                 source: SourceTemplate | None) -> tuple[SourceTemplate, list[str], list[MeasureSpec],
                                                         list[Condition]]:
    """The group keys, measures and conditions the request names, and the events' source with the fields
    they add."""
    keys, new = group_keys(r, primary, allow_new)
    for f in new:
        primary = add_field(primary, f)
    if "topn" in shape:
        entity, new = topn_entity(r, primary, allow_new)
        for f in new:
            primary = add_field(primary, f)
        if entity:
            keys = [entity, *[k for k in keys if k != entity]]
    ms, new = measures(r, primary, keys, bool(allow_new))
    for f in new:
        primary = add_field(primary, f)
    conds, new = conditions(r, primary, keys)
    for f in new:
        primary = add_field(primary, f)
    if "pattern" in shape and r.has(r"\bfollowed by\b|\bthen\b") and source is None and not any(
            re.search(_KIND_FIELDS, f.name) and not is_numeric(f) and f.role != "time" for f in primary.fields):
        primary = add_field(primary, TField("event_type", "string", "key", "What happened"))
    return primary, keys, ms, conds


@dataclass
class _Inputs:
    """The spec's sources as planned so far: the events' source first, their statements, the names taken."""

    primary: SourceTemplate
    wm: int  # the watermark delay, seconds
    sources: list[SourceTemplate]
    statements: list[ir.Statement]
    taken: set[str]

    def add_key(self, key: str) -> None:
        """A join key the events' source does not have yet, added to it."""
        self.primary = add_field(self.primary, TField(key, "string", "key", ""))
        self.sources[0] = self.primary
        self.statements[0] = source_ir(self.primary, self.wm)


def _joins(r: Reading, rest: list[Stream], ins: _Inputs, template: SourceTemplate, source: SourceTemplate | None,
           pipeline: ir.Pipeline, notes: list[str]) -> tuple[list[ir.Join], ir.Pipeline]:
    """One join per table or stream the events are joined with, in the order named (the second reads the
    first); their right sides are added to ``ins``. The pipeline gets a state TTL for a regular join."""
    joins: list[ir.Join] = []
    left, left_name = ins.primary, ins.primary.name
    for i, right_stream in enumerate(rest[:2] or [None]):
        seg = _segment(r, right_stream, rest)
        kind, within = _join_kind(seg)
        key = _join_key(seg if right_stream is not None else r, left, right_stream)
        if key is not None and all(f.name != key for f in left.fields):
            if source is not None or i > 0:
                key = None
            else:
                ins.add_key(key)
                left = ins.primary
        if key is None:
            continue
        right = _right_source(right_stream, key, seg, kind, ins.primary, template)
        if right.name in ins.taken:
            right = replace(right, name=right.name + "_2")
        ins.taken.add(right.name)
        ins.sources.append(right)
        right_ir = source_ir(right, ins.wm, key=(key,) if kind in ("temporal", "lookup") else (),
                             upsert=kind == "temporal")
        if kind == "lookup":
            listed = {f.name for f in right_stream.fields} if right_stream is not None else set()
            right_ir = _database_table(right_ir, right, listed)
            ins.statements[0] = _with_processing_time(ins.statements[0])  # type: ignore[arg-type]
        ins.statements.append(right_ir)
        sel, names = _select_all(left, right, key, "temporal" if kind == "lookup" else kind, left_name)
        jname = _unique("enriched" if kind in ("temporal", "lookup") else "joined", ins.taken)
        joins.append(ir.Join(name=jname, left=left_name, right=right.name, join_kind=kind,  # type: ignore[arg-type]
                             before=dur((0, "s")) if kind == "interval" else None,
                             after=dur(within) if kind == "interval" and within else None,
                             on=ir.Binary(op="=", left=col(left_name, key), right=col(right.name, key)),
                             select=sel))
        if kind == "regular":
            longest = max([f.value for f in r.durations] or [(1, "d")], key=millis)  # type: ignore[arg-type]
            pipeline = replace(pipeline, state_ttl=dur(longest))
        notes.append(f"{kind} join of {left_name} and {right.name} on {key}")
        # the next join reads this one: its columns are the left's, then the right's
        out_fields = [*left.fields, *[TField(n, "string", "other", "") for n in names[len(left.fields):]]]
        left = SourceTemplate(jname, jname, "", (), tuple(out_fields))
        left_name = jname
    return joins, pipeline


def _database_table(src: ir.Source, right: SourceTemplate, listed: set[str]) -> ir.Source:
    """A source as the database table it is in the request: read by lookup over JDBC (the URL is a placeholder
    to edit: the request names no server). A table needs no event time: one the request did not list goes."""
    fields = tuple(f for f in src.fields if f.name != src.event_time or f.name in listed)
    return replace(src, topic=None, format=None, event_time=None, watermark=None, fields=fields,
                   jdbc=ir.JdbcTable(url="jdbc:postgresql://localhost:5432/postgres", table=right.name),
                   description=f"The {right.name} table of the database, read by lookup (edit the JDBC URL)")


def _with_processing_time(src: ir.Source) -> ir.Source:
    """The events' source with a processing-time column: a lookup join reads the table as each row arrives."""
    if src.processing_time is not None:
        return src
    taken = {f.name for f in src.fields}
    name = next(n for n in ("proc_time", "processed_at", "pipegen_proc_time") if n not in taken)
    return replace(src, processing_time=name)


def _union_sources(rest: list[Stream], ins: _Inputs, template: SourceTemplate) -> None:
    """The further streams of a merge, as sources beside the events' (their statements come with the sinks,
    see ``_union_sinks``)."""
    for extra in rest[:2]:
        src2 = _stream_source(extra, template, True) if extra.fields else replace(
            ins.primary, name=extra.name, topic=extra.topic, description=f"The {extra.name} stream")
        if src2.name in ins.taken:
            continue
        ins.taken.add(src2.name)
        ins.sources.append(src2)


@dataclass(frozen=True)
class Variant:
    """One reading of the request's computation."""

    shape: str  # filter | aggregate | topn | dedup_first | dedup_last | rolling | pattern | previous
    keys: tuple[str, ...]
    measures: tuple[MeasureSpec, ...]
    window: ir.Window | None = None
    over: ir.Over | None = None
    then_aggregate: bool = False  # dedup first, then aggregate


def _shapes(r: Reading, shape: set[str], ms: list[MeasureSpec], keys: list[str], conds: list[Condition],
            joined: bool) -> list[str]:
    """The computation shapes to offer, best first."""
    explicit_window = first(WINDOW_RULES, r.low) in ("session", "cumulate", "hop") or r.has(
        r"\btumbling\b|\banalytics\b|\bmetrics\b|\bstatistics\b|\bstats\b|\bkpis?\b|\bfunnels?\b|\btrends?\b|"
        r"\bpopularity\b|\bengagement\b")
    aggregating = explicit_window or bool(ms) or any(c.on_aggregate for c in conds) or bool(
        keys and r.has(r"\bper\b|\bby\b|\bfor each\b|\beach\b|\bgroup")) and bool(AGG_RE.search(r.low))
    out: list[str] = []
    if "previous" in shape:
        out.append("previous")
    if "pattern" in shape:
        out.append("pattern")
    if "dedup_last" in shape and not r.has(r"\blast \d+\b"):
        out.append("dedup_last")
    if "dedup_first" in shape:
        out.append("dedup_first")
    per_row = r.has(r"\battach|\b(?:for|to) (?:each|every) (?:\w+ )?(?:reading|event|row|record|tick|trade|"
                    r"transaction|order|payment|ping|request|message|sample|lap|match)\b|\bmoving\b|\brolling\b|"
                    r"\bover window\b|\bper row\b|\bon every\b|\blast \d+ \w+")
    if "rolling" in shape and (per_row or window_choice(r, set())[0] != "hop"):
        out.append("rolling")
    if "topn" in shape:
        out.append("topn")
    if aggregating and not out:
        out.append("aggregate")
    if not out:
        out.append("filter")
    if out[0] == "filter" and joined:
        out = ["filter"]
    return out


def _variants(r: Reading, shapes: list[str], src: SourceTemplate, keys: list[str], ms: list[MeasureSpec],
              conds: list[Condition], time: str | None = None) -> list[Variant]:
    et = time or src.event_time or ""
    kind, durs = window_choice(r, set(shapes))
    windows: list[ir.Window | None] = list(_window_ir(kind, durs, et, r)) if kind != "none" else []
    if not windows:
        windows = [None]
    key_fields = [f.name for f in src.fields if f.role in ("key", "id")]
    key_options: list[tuple[str, ...]] = [tuple(keys)] if keys else [(k,) for k in key_fields[:3]] or [()]
    numeric = [f.name for f in numeric_fields(src.fields)]
    for c in conds:
        if c.on_aggregate and c.measure and c.measure not in ms:
            ms = [*ms, c.measure]
    measure_options: list[tuple[MeasureSpec, ...]] = [tuple(ms)] if ms else [
        (MeasureSpec("count", None),), *[(MeasureSpec("count", None), MeasureSpec("avg", n)) for n in numeric[:2]]]
    main = shapes[0]
    if main in ("aggregate", "topn"):
        out = _grouped_variants(main, windows, key_options, measure_options)
    elif main == "rolling":
        out = _rolling_variants(r, et, durs, key_options, ms, numeric)
    elif main == "previous":
        target = _previous_target(r, src, (), previous_phrases(r))
        out = [Variant(main, k, ()) for k in _previous_partitions(src, [k for k in keys if target is None
                                                                         or k != target.name])]
    elif main in ("dedup_first", "dedup_last"):
        ids = _dedup_keys(r, src, keys)
        then = main == "dedup_first" and (bool(ms) or "aggregate" in shapes)
        out = []
        for k in ids:
            if then:
                # the aggregate after the dedup groups by the keys the request names (see _build)
                for w, m in itertools.product(windows, measure_options):
                    out.append(Variant(main, k, m, window=w, then_aggregate=True))
            else:
                out.append(Variant(main, k, ()))
    else:
        out = [Variant(main, tuple(keys), tuple(ms))]
    return out[:MAX_CANDIDATES]


def _grouped_variants(main: str, windows: list[ir.Window | None], key_options: list[tuple[str, ...]],
                      measure_options: list[tuple[MeasureSpec, ...]]) -> list[Variant]:
    """An aggregate or a top-N for each window, key and measures to offer."""
    out: list[Variant] = []
    for w, k, m in itertools.product(windows, key_options, measure_options):
        if isinstance(w, ir.Session) and len(k) > 1 and main == "aggregate":
            k = k[:1]  # Flink sessions by one key (see the check); the first named is the one sessions follow
        variant = Variant(main, k, m, window=w)
        if variant not in out:
            out.append(variant)
    return out


def _rolling_variants(r: Reading, et: str, durs: list[Dur], key_options: list[tuple[str, ...]],
                      ms: list[MeasureSpec], numeric: list[str]) -> list[Variant]:
    """A rolling aggregate over the rows or the time the request names, for each key to offer."""
    rows = re.search(r"\blast (\d+) |\b(?:preceding|previous|prior|trailing) (\d+) (?!(?:seconds?|minutes?|hours?|"
                     r"days?|s|min|h)\b)", r.low)
    overs: list[ir.Over] = []
    if rows:
        overs.append(ir.OverRows(column=et, rows=int(rows.group(1) or rows.group(2))))
    overs += [ir.OverRange(column=et, preceding=dur(d)) for d in durs[:2]]
    if not overs:
        overs = [ir.OverRows(column=et, rows=10)]
    rm = tuple(x for x in (ms or [MeasureSpec("avg", numeric[0])] if numeric else ms) if x.agg != "count_distinct")
    if not rm:
        rm = (MeasureSpec("count", None),)
    return [Variant("rolling", k, rm, over=o) for o, k in itertools.product(overs, key_options)]


def _dedup_keys(r: Reading, src: SourceTemplate, keys: list[str]) -> list[tuple[str, ...]]:
    m = re.search(r"\b(?:by|on|per|using|of (?:each|every|the same)|for each|for every|each|every)\s+(?:the\s+|its\s+)?"
                  r"(?:same\s+)?`?([a-z_][a-z0-9_]*)`?", r.low)
    ids = [f.name for f in src.fields if f.role == "id"]
    out: list[tuple[str, ...]] = []
    if m:
        hit = resolve(m.group(1), src.fields, ("key", "id"), 60)
        if hit:
            out.append((hit,))
    for k in [*keys, *ids, *[f.name for f in src.fields if f.name.endswith("_id")]]:
        if (k,) not in out:
            out.append((k,))
    return out[:2] or [(src.fields[0].name,)]


def _build(r: Reading, v: Variant, d: Draft, src: SourceTemplate, taken: set[str], outputs: list[Stream],
           p: str) -> list[ir.Statement] | None:
    """The statements of one variant after the sources (and join); None when the variant cannot be built."""
    conds, _new = conditions(r, src, list(v.keys))
    row = [c.expr for c in conds if not c.on_aggregate and _columns_in(c.expr) <= set(d.columns)]
    having = [c for c in conds if c.on_aggregate]
    built = True
    if v.shape == "filter":
        _build_filter(r, d, src, taken, row)
    elif v.shape in ("aggregate", "topn") or v.then_aggregate:
        built = _build_aggregate(r, v, d, src, taken, row, having)
    elif v.shape == "rolling":
        built = _build_rolling(v, d, taken)
    elif v.shape == "previous":
        built = _build_previous(r, v, d, src, taken, row)
    elif v.shape in ("dedup_first", "dedup_last"):
        if row:
            d.add(ir.Transform(name=_unique("filtered", taken), input=d.head, where=_and(row)))
        last = v.shape == "dedup_last"
        d.add(ir.Dedup(name=_unique("latest" if last else "unique_events", taken), input=d.head, key=v.keys,
                       keep="last" if last else "first"), upsert_key=v.keys if last else ())
    elif v.shape == "pattern":
        part = list(v.keys) or [f.name for f in src.fields if f.role in ("key", "id")][:1]
        pat = _pattern(r, src, part, conds, [f.value for f in r.durations])  # type: ignore[misc]
        if pat is None or d.head != src.name:
            return None
        d.add(replace(pat, name=_unique("alerts", taken)))
    if not built:
        return None
    if v.shape in ("filter", "previous", "rolling", "dedup_first") and r.has(SORT_CUES):
        _add_sort(r, d, src, taken)
    if d.head == src.name:
        # nothing but the source: pass every event through
        d.add(ir.Transform(name=_unique("events", taken), input=d.head, select=ir.Select(star=True)))
    d.statements.append(_sink(r, d.head, p, outputs, d.upsert_key, taken))
    return d.statements


def _label_number(e: ir.Expr) -> str | None:
    if isinstance(e, ir.NumberLit):
        return e.text
    return "-" + e.operand.text if isinstance(e, ir.Neg) and isinstance(e.operand, ir.NumberLit) else None


def _build_filter(r: Reading, d: Draft, src: SourceTemplate, taken: set[str], row: list[ir.Expr]) -> None:
    """A filter and projection (with the columns the request computes), unless the events pass as they are."""
    proj = [c for c in projection(r, src) if c in d.columns]
    derived, thresholds = derived_columns(r, src)
    if thresholds:  # numbers that bound a label are not filters
        row = [e for e in row if not (isinstance(e, ir.Binary) and _label_number(e.right) in thresholds)]
    derived = [(n, e) for n, e in derived if _columns_in(e) <= set(d.columns)]
    if derived:
        recast = {n for n, e in derived if isinstance(e, ir.Cast) and n in d.columns}
        keep = proj or ([c for c in d.columns] if recast else [])
        items = [ir.SelectItem(expr=col(c)) if c not in recast else
                 ir.SelectItem(alias=c, expr=next(e for n, e in derived if n == c)) for c in keep]
        items += [ir.SelectItem(alias=n, expr=e) for n, e in derived if n not in keep]
        sel = ir.Select(star=not keep, items=tuple(items))
        proj = keep or None  # type: ignore[assignment]
    elif not row and not proj and d.head == src.name:
        sel = ir.Select(star=True)
    else:
        sel = ir.Select(items=tuple(ir.SelectItem(expr=col(c)) for c in proj)) if proj else None
    if row or sel is not None:
        name = _unique("alerts" if r.has(r"\balert|\bflag|\bwarn|\bnotify") else "filtered", taken)
        d.add(ir.Transform(name=name, input=d.head, where=_and(row), select=sel), proj or None)


def _build_aggregate(r: Reading, v: Variant, d: Draft, src: SourceTemplate, taken: set[str], row: list[ir.Expr],
                     having: list[Condition]) -> bool:
    """The aggregate (after a dedup, or before a top-N) of a variant; False when it cannot be built."""
    if v.then_aggregate:
        d.add(ir.Dedup(name=_unique("unique_events", taken), input=d.head, key=v.keys, keep="first"))
        keys = tuple(k for k in (group_keys(r, src, False)[0]) if k not in v.keys) or v.keys
    else:
        keys = v.keys
    top = _top_n(r) if v.shape == "topn" else None
    partition: tuple[str, ...] = ()
    if v.shape == "topn" and len(keys) >= 2:
        partition = keys[1:]
    measures_ = list(v.measures)
    if not measures_:
        return False
    if any(m.field and m.field not in d.columns for m in measures_) or any(k not in d.columns for k in keys):
        return False
    agg_name = _unique("window_stats" if v.window is not None else "running_totals", taken)
    hv = _and([ir.Binary(op=c.expr.op, left=col(c.measure.name), right=c.expr.right)  # type: ignore[union-attr]
               for c in having if c.measure is not None and c.measure in measures_])
    if v.window is None and not keys:
        return False
    d.add(ir.Aggregate(name=agg_name, input=d.head, where=_and(row), window=v.window,
                       group_by=tuple(col(k) for k in keys),
                       measures=tuple(ir.Measure(name=m.name, expr=m.expr()) for m in measures_), having=hv),
          [*keys, *(m.name for m in measures_)], upsert_key=keys if v.window is None else ())
    if v.shape == "topn":
        order = _order_measure(r, measures_)
        limit = top or 10
        d.add(ir.TopN(name=_unique("top_items", taken), input=d.head,
                      partition_by=tuple(col(k) for k in partition),
                      order_by=(ir.OrderItem(column=col(order), direction="desc"),), limit=limit),
              upsert_key=(*partition, "rownum") if v.window is None else ())
    return True


def _build_rolling(v: Variant, d: Draft, taken: set[str]) -> bool:
    """The rolling aggregate of a variant; False when a measured field is not a column of its input."""
    if any(m.field and m.field not in d.columns for m in v.measures):
        return False
    d.add(ir.Rolling(name=_unique("moving_stats", taken), input=d.head, partition_by=tuple(col(k) for k in v.keys),
                     over=v.over,  # type: ignore[arg-type]
                     measures=tuple(ir.Measure(name=m.name, expr=m.expr()) for m in v.measures)))
    return True


def _two_outputs(r: Reading, statements: list[ir.Statement], src: SourceTemplate, outputs: list[Stream],
                 taken: set[str]) -> list[ir.Statement]:
    """Two destinations named for two results: the events that pass a condition beside an aggregate of all of
    them ("readings above 55 to aq_alerts, the per-minute average per station to aq_metrics"), or one aggregate
    at two sizes ("per minute into views_1m ... hourly into views_1h")."""
    aggs = [st for st in statements if isinstance(st, ir.Aggregate)]
    sinks = [st for st in statements if isinstance(st, ir.Sink)]
    if len(aggs) != 1 or len(sinks) != 1:
        return statements
    agg = aggs[0]
    # which destination each result goes to: the one with aggregate words just before its name
    def aggregate_words_before(st: Stream) -> bool:
        return bool(AGG_RE.search(r.low[max(0, st.start - 90):st.start + 1].replace(st.topic.lower(), "")))
    for_agg = next((o for o in outputs if aggregate_words_before(o)), outputs[-1])
    other = next(o for o in outputs if o is not for_agg)
    out = list(statements)
    sink = sinks[0]
    out[out.index(sink)] = replace(sink, name=_unique(for_agg.name, taken) if for_agg.name != sink.name else sink.name,
                                   topic=for_agg.topic)
    if agg.where is not None:
        # the condition selects the other output's events; the aggregate keeps it only when the request says it
        # again for the aggregate (the value named twice)
        literals = [x.value if isinstance(x, ir.StringLit) else x.text for x in _literals(agg.where)]
        again = all(r.low.count(str(v).lower()) >= 2 for v in literals) if literals else False
        alerts = ir.Transform(name=_unique("alerts", taken), input=src.name, where=agg.where)
        new_agg = agg if again else replace(agg, where=None)
        out[out.index(agg)] = new_agg
        at = out.index(new_agg)
        out.insert(at, alerts)
        out.append(ir.Sink(name=_unique(other.name, taken), input=alerts.name, topic=other.topic))
        return out
    sizes = [f.value for f in r.durations]
    if isinstance(agg.window, ir.Tumble):
        others = [d for d in dict.fromkeys(sizes) if millis(d) != agg.window.size.millis]  # type: ignore[arg-type]
        if others:
            second = replace(agg, name=_unique(f"{agg.name}_2", taken),
                             window=ir.Tumble(column=agg.window.column, size=dur(others[0])))
            out.insert(out.index(agg) + 1, second)
            out.append(ir.Sink(name=_unique(other.name, taken), input=second.name, topic=other.topic))
    return out


def _literals(e: ir.Node) -> list[ir.Node]:
    return [n for n in _nodes(e) if isinstance(n, (ir.StringLit, ir.NumberLit))]


def _nodes(e: object) -> list[ir.Node]:
    """Every IR node under ``e``, itself included."""
    found: list[ir.Node] = []

    def walk(n: object) -> None:
        if isinstance(n, ir.Node):
            found.append(n)
            for name in ir.value_fields(type(n)):
                walk(getattr(n, name))
        elif isinstance(n, tuple | list):
            for i in n:
                walk(i)

    walk(e)
    return found


def _order_measure(r: Reading, ms: list[MeasureSpec]) -> str:
    m = re.search(r"\bby (?:the |their |its )?(?:total |highest |most |number of )?([a-z_][a-z0-9_]*)|\bwith the "
                  r"(?:most|highest|largest) ([a-z_][a-z0-9_]*)|\bthe most ([a-z_][a-z0-9_]*)", r.low)
    if m:
        w = m.group(1) or m.group(2) or m.group(3)
        for x in ms:
            if x.field and (words.field_score(w, x.field) >= 60):
                return x.name
    return ms[0].name


def _columns_in(e: ir.Expr) -> set[str]:
    return {n.path[0] for n in _nodes(e) if isinstance(n, ir.Column)}


def _merge(ins: _Inputs, wm: int) -> tuple[list[ir.Statement], ir.Union] | None:
    """The further sources of a merge and the union of them all, when every stream has the same fields and event
    time as the first (a union matches columns by name); else None."""
    first, others = ins.sources[0], ins.sources[1:]
    if not others or any({f.name for f in o.fields} != {f.name for f in first.fields}
                         or o.event_time != first.event_time for o in others):
        return None
    tails = {s.name.rsplit("_", 1)[-1] for s in ins.sources}
    name = _unique(f"all_{tails.pop()}" if len(tails) == 1 else "merged_streams", ins.taken)
    union = ir.Union(name=name, inputs=tuple(s.name for s in ins.sources),
                     description="Every event of " + ", ".join(s.name for s in ins.sources))
    return [source_ir(o, wm) for o in others] + [union], union


def _union_sinks(statements: list[ir.Statement], others: list[SourceTemplate], outputs: list[Stream], p: str,
                 taken: set[str]) -> list[ir.Statement]:
    """Streams of a merge whose fields differ from the first's cannot be one union: each further stream is written
    by a sink of its own beside the first one, and the description says so."""
    out = list(statements)
    at = next(i for i, s in enumerate(out) if isinstance(s, ir.Source)) + 1
    sink = next(s for s in out if isinstance(s, ir.Sink))
    for i, o in enumerate(others):
        out.insert(at + i, source_ir(o, 5))
        out.append(ir.Sink(name=_unique(f"{o.name}_out", taken), input=o.name, topic=f"{sink.topic}-{o.topic}",
                           description="Its fields differ from the first stream's, so it is not merged into it: "
                                       "it is written to its own topic"))
    return out


# ------------------------------------------------------------------ the row before, and time order

# A comparison of each row with the one before it in its partition (LAG): "the change since the previous
# reading", "higher than its last price", "between consecutive readings", "when the status changes", "jumps by
# more than 5". Not "the previous 20 trades" (a rolling window over rows) nor "the previous hour" (over time).
_ROW_BEFORE = (r"(?:previous|prior|preceding|last|earlier|former|most recent) (?!\d)"
               r"(?!(?:known|seen|reported|seconds?|minutes?|hours?|"
               r"days?|weeks?|months?|years?|window|period|interval|batch)\b)(?:[a-z_]+ ){0,2}?[a-z_]+")
PREVIOUS_CUES = (
    rf"\b(?:since|from|to|with|than|vs\.?|versus|against|over|relative to|compared (?:to|with)|as opposed to|"
    rf"beside|alongside|next to|and) (?:the|its|their|each|a|his|her)(?: \w+'s)? {_ROW_BEFORE}\b"
    r"|\bbetween (?:two |each pair of )?(?:consecutive|successive|subsequent|adjacent|back-to-back) \w+"
    r"|\b(?:attach|add|include|carry|show|keep|emit)\w* (?:the|its|their|each \w+'s) (?:previous|prior|preceding) "
    r"(?!\d)\w+"
    r"|\b(?:changes?|changed|changing|jumps?|jumped|drops?|dropped|rises?|rose|falls?|fell|moves?|moved|spikes?|"
    r"spiked|increases?|increased|decreases?|decreased|climbs?|climbed|swings?|swung|differs?) by (?:more than |over |"
    r"at least |above |beyond )?-?\d"
    r"|\b(?:status|state|level|mode|phase|stage|tier|category|zone|region|location|owner|assignee|plan|grade|"
    r"rating|color|colour|position) (?:changes|changed|flips|flipped|switches|switched|transitions?|transitioned)\b"
    r"|\b(?:status|state|mode|phase|stage|tier|zone|plan|grade|rating) changes?\b"
)
_UP = r"\b(?:rises?|rose|risen|increase[sd]?|increasing|climb(?:s|ed)?|jump(?:s|ed)?|spike[sd]?|surge[sd]?|" \
      r"grow(?:s|n)?|" \
      r"grew|higher|up|gain(?:s|ed)?)\b"
_DOWN = r"\b(?:drops?|dropped|falls?|fell|fallen|decrease[sd]?|decreasing|declin\w+|plunge[sd]?|sinks?|sank|lower|" \
        r"down|shrinks?|shrank|lose[sd]?|lost)\b"
SORT_CUES = (r"\b(?:sort(?:s|ed|ing)?|arrange[sd]?|re-?order(?:s|ed|ing)?) "
             r"(?:them |it |the (?:[\w'-]+ ){0,3}|all (?:\w+ )?|"
             r"events |rows |records )?(?:by|on|in) (?:(?:their|its|the|event|increasing|ascending) )*(?:time|"
             r"timestamp|event[- ]time|\w*_(?:at|ts|time)|ts|date|order|chronological)\b"
             r"|\b(?:ordered|order) by (?:(?:their|its|the|event) )*(?:time|timestamp|event[- ]time|"
             r"\w*_(?:at|ts|time)|ts)\b"
             r"|\bin (?:event[- ]time|time|timestamp|chronological|time[- ]stamp|temporal|arrival) order\b"
             r"|\bchronologically\b|\btime-ordered\b|\bin order of (?:their |its |the )?(?:time|timestamp|"
             r"event[- ]time|"
             r"\w*_(?:at|ts|time))\b"
             r"|\bre-?order(?:s|ed|ing)? (?:the |them\b|it\b|all )?(?:[\w'-]+ ){0,2}(?:events|rows|records|"
             r"messages|readings|"
             r"stream)\b|\bsort(?:ed|ing)? (?:them|it|the \w+|events|rows|records)\b(?! of\b)"
             r"|\b(?:put|get|emit|deliver) (?:them |it |the \w+ )?(?:back )?in order\b(?! to\b)")


def previous_phrases(r: Reading) -> list[re.Match[str]]:
    """Where the request compares a row with the one before it."""
    return list(re.finditer(PREVIOUS_CUES, r.low))


def _previous_target(r: Reading, src: SourceTemplate, keys: tuple[str, ...],
                     found: list[re.Match[str]]) -> TField | None:
    """The field compared with its value on the row before: the one the phrase names, nearest first, else
    the first measure of the events."""
    # not an id: "the previous order" names the row before, not a field to compare
    fields = [f for f in src.fields if f.name not in keys and f.role not in ("time", "id")
              and not f.name.endswith("_id")]
    for m in found:
        near = r.low[max(0, m.start() - 60):m.end() + 30]
        ws = re.findall(r"`[^`]+`|[a-z_][a-z0-9_]*", near)
        # the words closest to the cue first
        center = len(re.findall(r"`[^`]+`|[a-z_][a-z0-9_]*", r.low[max(0, m.start() - 60):m.start()]))
        for w in sorted(set(ws), key=lambda w: min(abs(i - center) for i, x in enumerate(ws) if x == w)):
            if w in words.STOP or w in ("previous", "prior", "preceding", "last", "change", "changes", "reading",
                                        "readings", "value", "values", "row", "event", "events", "one"):
                continue
            hit = resolve(w, fields, None, 80)
            if hit:
                return next(f for f in fields if f.name == hit)
    nums = numeric_fields(fields)
    if nums:
        return nums[0]
    labelled = [f for f in fields if f.role in ("key", "label")]
    return labelled[0] if labelled else None


def _previous_condition(r: Reading, f: TField, prev: str,
                        found: list[re.Match[str]]) -> tuple[ir.Expr | None, str | None]:
    """The filter the request puts on the comparison (None: every row, with its change), and the number it
    uses (a bound of the change, not of the field)."""
    x, p = col(f.name), col(prev)
    span = " ".join(r.low[max(0, m.start() - 50):m.end() + 50] for m in found)
    if not is_numeric(f):
        if re.search(r"\bchang|\bdiffer|\bflip|\bswitch|\btransition|\bnot (?:the )?same\b|\bnew\b", span):
            return ir.Binary(op="and", left=ir.IsNull(operand=p, negated=True),
                             right=ir.Binary(op="!=", left=x, right=p)), None
        return None, None
    number = next((n for n in re.finditer(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(%|percent\b| per ?cent\b)?", span)), None)
    up, down = re.search(_UP, span), re.search(_DOWN, span)
    diff: ir.Expr = ir.Binary(op="-", left=x, right=p)
    if number is None:
        if re.search(r"\b(?:higher|greater|more|above|up|larger|bigger)\b than\b|\b(?:rises?|increase[sd]?|"
                     r"climb(?:s|ed)?|went up|goes up|grows?|grew)\b", span) and not down:
            return ir.Binary(op=">", left=x, right=p), None
        if re.search(r"\b(?:lower|less|below|down|smaller|fewer)\b than\b|\b(?:drops?|dropped|falls?|fell|"
                     r"decrease[sd]?|went down|goes down|declin\w+)\b", span) and not up:
            return ir.Binary(op="<", left=x, right=p), None
        # "when the price changes" filters; "how much it changed", "the change in it" measure
        if re.search(r"\b(?:when|whenever|if|only|where|each time|every time|once)\b[^.;]{0,40}\b(?:differs?|"
                     r"changes|changed|is not the same|is different)\b", span) and not re.search(
                r"\bhow much\b|\bby how\b|\bchanges? (?:in|of|since|from)\b|\bthe change\b", span):
            return ir.Binary(op="!=", left=x, right=p), None
        return None, None
    bound: ir.Expr = num(number.group(1))
    if number.group(2):  # a share of the value before
        share = num(str(float(number.group(1)) / 100).rstrip("0").rstrip("."))
        bound = ir.Binary(op="*", left=call("abs", p), right=share)
    if up and not down:
        return ir.Binary(op=">", left=diff, right=bound), number.group(1)
    if down and not up:
        return ir.Binary(op=">", left=ir.Binary(op="-", left=p, right=x), right=bound), number.group(1)
    return ir.Binary(op=">", left=call("abs", diff), right=bound), number.group(1)


def _build_previous(r: Reading, v: Variant, d: Draft, src: SourceTemplate, taken: set[str],
                    row: list[ir.Expr]) -> bool:
    """A rolling stage with the value of the row before (``lag``) and a transform with the change (and the
    filter the request puts on it); False when no field can be compared."""
    found = previous_phrases(r)
    f = _previous_target(r, src, v.keys, found)
    if f is None or f.name not in d.columns:
        return False
    prev = _unique(f"previous_{f.name}", set(d.columns))
    cond, bound = _previous_condition(r, f, prev, found)
    # the number that bounds the change is no filter of the field itself
    row = [e for e in row if not (bound is not None and isinstance(e, ir.Binary) and _label_number(e.right) == bound)]
    if row:
        d.add(ir.Transform(name=_unique("filtered", taken), input=d.head, where=_and(row)))
    lags = [ir.Measure(name=prev, expr=call("lag", col(f.name)))]
    # "... than the previous transaction within 1 hour": the row before counts only that close in time
    within = next((x for x in r.durations for m in found if 0 <= x.start - m.end() <= 40
                   and re.search(r"\bwithin\s*(?:an?\s+|the\s+)?$", r.low[max(0, x.start - 12):x.start])), None)
    et = src.event_time
    if within is not None and et and et in d.columns and cond is not None:
        prev_t = _unique(f"previous_{et}", {*d.columns, prev})
        lags.append(ir.Measure(name=prev_t, expr=call("lag", col(et))))
        close = ir.Binary(op="<=", left=call("seconds_between", col(prev_t), col(et)),
                          right=num(str(millis(within.value) // 1000)))  # type: ignore[arg-type]
        cond = ir.Binary(op="and", left=cond, right=close)
    d.add(ir.Rolling(name=_unique("with_previous", taken), input=d.head, partition_by=tuple(col(k) for k in v.keys),
                     measures=tuple(lags)),
          [*d.columns, *(m.name for m in lags)])
    items: tuple[ir.SelectItem, ...] = ()
    if is_numeric(f):
        change = _unique(f"{f.name}_change", set(d.columns))
        items = (ir.SelectItem(alias=change, expr=ir.Binary(op="-", left=col(f.name), right=col(prev))),)
    if cond is not None or items:
        name = "alerts" if r.has(r"\balert|\bflag|\bwarn|\bnotify|\bdetect") and cond is not None else "changes"
        d.add(ir.Transform(name=_unique(name, taken), input=d.head, where=cond,
                           select=ir.Select(star=True, items=items) if items else None),
              [*d.columns, *(i.alias for i in items if i.alias)])
    return True


def _sort_order(r: Reading, src: SourceTemplate, time: str, columns: list[str]) -> tuple[ir.OrderItem, ...]:
    """Time first, ascending (the only way Flink sorts a stream), then the other columns the request sorts by."""
    out = [ir.OrderItem(column=col(time), direction="asc")]
    for m in re.finditer(r"\b(?:then |and )?by (?:the |its |their )?(`?[a-z_][a-z0-9_]*`?)(?: (?:\w+ ){0,3}?"
                         r"(desc\w*|asc\w*|highest first|largest first|biggest first|lowest first|smallest first|"
                         r"newest first|oldest first))?", r.low):
        hit = resolve(m.group(1), [f for f in src.fields if f.name in columns and f.name != time], None, 80)
        if hit and all(o.column.path != (hit,) for o in out):
            way = m.group(2) or ""
            desc = way.startswith("desc") or way.split(" ")[0] in ("highest", "largest", "biggest", "newest")
            out.append(ir.OrderItem(column=col(hit), direction="desc" if desc else "asc"))
    return tuple(out)


def _add_sort(r: Reading, d: Draft, src: SourceTemplate, taken: set[str]) -> None:
    """The rows in time order before the sink, when the request asks for it and the stream keeps its time."""
    time = src.event_time or ""
    if not time or time not in d.columns:
        return
    last = d.statements[-1]
    if (isinstance(last, ir.Transform) and last.where is None and last.select is not None and last.select.star
            and not last.select.items and last.input == src.name):
        d.statements.pop()  # a pass-through before the sort says nothing
        d.head = src.name
    d.add(ir.Sort(name=_unique("in_time_order", taken), input=d.head,
                  order_by=_sort_order(r, src, time, d.columns)))


def _previous_partitions(src: SourceTemplate, keys: list[str]) -> list[tuple[str, ...]]:
    """The partitions to compare a row with the one before in: the keys the request names, else the events'
    entity keys (not an id of the event itself, ``trade_id`` of trades, whose every row is a partition of its
    own), else the whole stream."""
    if keys:
        return [tuple(keys)]
    own = singular(snake(src.name).split("_")[-1])
    entity = [f.name for f in src.fields if f.role in ("key", "id") and f.name != f"{own}_id" and f.name != "id"
              and not f.name.endswith(("_at", "_ts", "_time"))]
    entity.sort(key=lambda n: 0 if n.endswith("_id") else 1)
    return [*((k,) for k in entity[:2]), ()]


# ------------------------------------------------------------------ JSON text in a field

# A field that carries JSON text, and the keys the request reads out of it: "payload is a JSON string with
# user_id and amount", "extract order_id and total from the json body". The stages read the keys as columns:
# the planner treats them as fields of the events, then ``_json_extraction`` declares the JSON field in the
# source instead and reads each key in a transform right after it (``json_value(payload, "$.amount" returning
# double)``).
_JSON_HOLDERS = ("payload", "body", "data", "json", "message", "document", "doc", "raw", "details", "attributes",
                 "properties", "metadata", "extra", "context", "content", "record")
_KEY = r"`?\$?\.?[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*`?"
_KEY_LIST = rf"({_KEY}(?:\s*(?:,|\band\b|,\s*and\b)\s*{_KEY})*)"
JSON_CUES = r"\bjson\b"


@dataclass(frozen=True)
class JsonField:
    """The field with JSON text, and the keys read from it (paths as the request writes them, and as columns)."""

    field: str
    keys: tuple[tuple[str, str], ...]  # (column name, JSON path)


def json_reading(r: Reading, src: SourceTemplate) -> JsonField | None:
    """The JSON field of the events and the keys the request reads from it, or None."""
    if not r.has(JSON_CUES):
        return None
    names = [f.name for f in src.fields if f.type.rstrip("?") == "string"]
    holder = None
    for m in re.finditer(JSON_CUES, r.low):
        near = re.findall(r"`?([a-z_][a-z0-9_]*)`?", r.low[max(0, m.start() - 30):m.end() + 30])
        holder = next((w for w in near if w in names), None)
        if holder:
            break
    if holder is None:
        holder = next((n for n in names if n in _JSON_HOLDERS), None)
    found: list[str] = []
    for pat in (rf"\b(?:extract|parse|pull(?: out)?|read|get|take|unpack|flatten|lift|expose)s?\s+(?:out\s+)?"
                rf"(?:the\s+)?(?:json\s+)?(?:fields?\s+|keys?\s+|values?\s+|properties\s+|attributes\s+)?{_KEY_LIST}"
                rf"\s+(?:out\s+)?(?:of|from)\b",
                rf"\bjson\b[^.;]{{0,40}}?\b(?:with|containing|holding|that (?:has|holds|contains|carries)|carrying|"
                rf"having|of)\s+(?:the\s+)?(?:fields?\s+|keys?\s+|properties\s+)?{_KEY_LIST}",
                rf"\b(?:keys|properties|attributes|json fields)\s+{_KEY_LIST}"):
        for m in re.finditer(pat, r.low):
            for k in re.split(r"\s*(?:,|\band\b)\s*", m.group(1)):
                k = k.strip("` ")
                if k and k not in words.FUNCTION_WORDS and k not in found and k not in _JSON_HOLDERS and k != "json":
                    found.append(k)
    known = {f.name for f in src.fields}
    keys = []
    for k in found:
        path = k if k.startswith("$") else "$." + k.lstrip(".")
        column = snake(path[2:].replace(".", "_"))
        # a time read from the text would be no time attribute: the event time stays a field of its own
        if column and column not in known and column != holder and words.role_of(
                words.type_from_name(column)) != "time" and words.type_from_name(column) != "date":
            keys.append((column, path))
    if not keys:
        return None
    return JsonField(holder or "payload", tuple(keys))


def _with_json_keys(src: SourceTemplate, j: JsonField) -> SourceTemplate:
    """The events as the stages see them: the keys as fields (typed by their names), the JSON field too."""
    if all(f.name != j.field for f in src.fields):
        src = add_field(src, TField(j.field, "string", "key", "JSON text"))
    for column, _path in j.keys:
        typ = words.type_from_name(column)
        src = add_field(src, TField(column, typ, words.role_of(typ), ""))
    return src


def _json_extraction(statements: list[ir.Statement], src_name: str, j: JsonField,
                     taken: set[str]) -> list[ir.Statement]:
    """The source declares the JSON field and not the keys; a transform after it reads each key from the JSON
    text, and what read the source reads the transform."""
    keys = {c for c, _p in j.keys}
    name = _unique("parsed", taken | {s.name for s in statements})
    out: list[ir.Statement] = []
    for st in statements:
        if isinstance(st, ir.Source) and st.name == src_name:
            types = {f.name: f.type for f in st.fields}
            out.append(replace(st, fields=tuple(f for f in st.fields if f.name not in keys)))
            items = []
            for column, path in j.keys:
                t = types[column]
                returning = None
                if isinstance(t, ir.PrimitiveType) and t.name in ("int", "double", "boolean"):
                    returning = t
                elif isinstance(t, ir.PrimitiveType) and t.name in ("long", "float") or isinstance(t, ir.DecimalType):
                    returning = ir.PrimitiveType(name="double" if not (isinstance(t, ir.PrimitiveType) and
                                                                       t.name == "long") else "int")
                value: ir.Expr = ir.Call(name="json_value", args=(col(j.field), ir.StringLit(value=path)),
                                         returning=returning)
                items.append(ir.SelectItem(alias=column, expr=value))
            out.append(ir.Transform(name=name, input=src_name, select=ir.Select(star=True, items=tuple(items))))
        elif getattr(st, "input", None) == src_name:
            out.append(replace(st, input=name))  # type: ignore[arg-type]
        else:
            out.append(st)
    return out

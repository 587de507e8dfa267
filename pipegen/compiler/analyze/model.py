"""What the check passes share: the relations they compute, name scopes, and the run's state."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Callable

from .. import ir
from .. import types as T
from ..diagnostics import CODES, Diagnostic

WINDOW_COLUMNS = ("window_start", "window_end", "window_time")


@dataclass
class Col:
    name: str
    type: T.SqlType


@dataclass(frozen=True)
class KeyCast:
    """How a temporal join compares a key column of its versioned table with ``other`` so that Flink keeps the
    table's primary key (and a lookup join a column it looks up by, so that Flink looks up by it). Flink compares
    two types in a common one and casts the key when it is not of that type, and a time attribute with a plain
    timestamp by casting the time attribute; a cast key is no key ("Temporal Table Join requires primary key in
    versioned table", Flink 2.3). So ``other`` is cast to the key's ``type``; unless that cast keeps every value
    (``exact``: only a time attribute becomes a plain timestamp), the comparison as written is kept as well, and
    it decides the match."""

    other: ir.Expr
    type: T.SqlType
    exact: bool


@dataclass
class Relation:
    """What a statement produces."""

    name: str
    statement: Any
    columns: list[Col]
    event_time: str | None = None
    # Why there is no event time, for hints: "undeclared", "no-watermark", "join", "dropped", "aggregate".
    time_note: str = "undeclared"
    time_origin: str = ""  # the source whose event_time would have to change
    declared_time: str | None = None  # the event_time column declared without a watermark
    updating: bool = False
    key: tuple[str, ...] = ()
    windowed: bool = False
    proc_time: str | None = None  # the column holding processing time (a Flink PROCTIME() attribute)
    lookup: bool = False  # a table read by lookup (jdbc): only a lookup join reads it
    constants: frozenset[str] = frozenset()  # columns Flink folds to one value (``constants.py``)
    # Key columns a filter fixed to one value (`where k = "a"`). Flink's plan then puts the value in place of the
    # column and may find no upsert key at all (Flink 2.3: "upsert key: ."; after an aggregate it still finds
    # one), so a temporal join cannot read it as a versioned table (every upsert sink resolves conflicts anyway:
    # ``Lowering.insert``).
    pinned: tuple[str, ...] = ()
    # No row can reach it: a filter before it that never holds (``conditions.never_holds``). Flink plans such a
    # stage as no rows at all, with no upsert key ("upsert key: none"), so its ``pinned`` is its whole key.
    empty: bool = False
    # A temporal join's key comparisons that need a cast (each top-level equality of its `on`, with its cast).
    key_casts: dict[Any, KeyCast] = field(default_factory=dict)

    def column(self, name: str) -> Col | None:
        return next((c for c in self.columns if c.name == name), None)


def definition(relation: Callable[[str], Relation | None], rel: Relation | None, name: str) -> ir.Expr | None:
    """The expression that computes column ``name`` of ``rel``, looked for back through the stages that pass a
    column on unchanged (Flink merges their views, and simplifies the expression where it is used): a select's
    item, else None (a source's field, a measure's aggregate, a column no select names)."""
    found = defined_in(relation, rel, name)
    return found[1] if found is not None else None


def defined_in(relation: Callable[[str], Relation | None], rel: Relation | None, name: str
               ) -> tuple[Relation, ir.Expr] | None:
    """``definition``, with the relation of the stage whose select computes it."""
    for _ in range(100):
        if rel is None:
            return None
        st = rel.statement
        select = getattr(st, "select", None)
        item = next((it for it in select.items if (it.alias or output_name(it.expr)) == name), None) if (
            isinstance(st, ir.Transform | ir.Join) and select is not None) else None
        if item is not None and not isinstance(item.expr, ir.Column):
            return rel, item.expr
        inputs = ir.statement_inputs(st)
        if item is not None:  # a copy of a column: of the input it names, or the one that has it
            path = item.expr.path  # type: ignore[union-attr]
            if len(path) == 2 and path[0] in inputs:
                inputs, path = (path[0],), path[1:]
            if len(path) != 1:
                return None
            name = path[0]
        elif isinstance(st, ir.Source | ir.Union) or (isinstance(st, ir.Aggregate) and name not in {
                g.path[-1] for g in st.group_by}):
            return None
        rel = next((r for r in map(relation, inputs) if r is not None and r.column(name) is not None), None)
    return None


def carried_time(inp: Relation, *, keep: bool = True) -> dict[str, Any]:
    """The event-time fields a stage takes over from its input: the column itself when the stage keeps it
    (``keep``), and in every case where the time came from, for the hints of a later stage that needs it."""
    out: dict[str, Any] = {"time_origin": inp.time_origin, "declared_time": inp.declared_time}
    if keep:
        out.update(event_time=inp.event_time, time_note=inp.time_note, proc_time=inp.proc_time)
    return out


@dataclass
class Analysis:
    spec: ir.Spec
    relations: dict[str, Relation] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # The timestamps an array_of or map_of holds, with their types: Flink 2.3 keeps a time attribute in the array
    # ("TIMESTAMP(3) *ROWTIME* ARRAY"), and refuses one beside a plain timestamp ("Conversion to relational algebra
    # failed to preserve datatypes"), so each is written as a plain one.
    held_times: dict[Any, T.SqlType] = field(default_factory=dict)
    # Casts of a number to a string: Flink 2.3 folds a cast of one to a timestamp into a cast of the number,
    # which it refuses (``Types._cast``).
    number_texts: set[Any] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)


class Run:
    """The state of one run of the passes: the spec, the statements by name, and what has been found."""

    def __init__(self, spec: ir.Spec, file: str = "<spec>") -> None:
        self.spec = spec
        self.file = file
        self.out = Analysis(spec)
        self.by_name: dict[str, Any] = {}

    def report(self, code: str, message: str, span: ir.Span | None, hint: str | None = None) -> None:
        assert code in CODES, code  # every code is defined once, in diagnostics.CODES
        self.out.diagnostics.append(Diagnostic(code, message, span, hint, self.file))

    def relation(self, name: str) -> Relation | None:
        return self.out.relations.get(name)

    def built(self) -> list[tuple[Any, Relation]]:
        """The statements whose relation was built, in dependency order."""
        return [(self.by_name[n], self.out.relations[n]) for n in self.out.order if n in self.out.relations]


def suggest(name: str, candidates: list[str]) -> str | None:
    match = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f"did you mean `{match[0]}`?" if match else None


def output_name(e: ir.Expr) -> str | None:
    return e.path[-1] if isinstance(e, ir.Column) else None


class Scope:
    """Names an expression may use: tables (qualifier -> relation) and an optional default table."""

    def __init__(self, tables: dict[str, Relation], default: list[str], extra: dict[str, T.SqlType] | None = None,
                 pattern_vars: tuple[str, ...] = ()):
        self.tables = tables
        self.default = default
        self.extra = extra or {}
        self.pattern_vars = pattern_vars

    def candidates(self) -> list[str]:
        names = list(self.extra)
        for q in self.default:
            names += [c.name for c in self.tables[q].columns]
        names += [f"{q}.{c.name}" for q, r in self.tables.items() for c in r.columns if q not in self.default]
        return names

    def resolve(self, path: tuple[str, ...]) -> tuple[T.SqlType | None, str | None, str | None]:
        """(type, table qualifier, error message)."""
        head, rest = path[0], path[1:]
        if head in self.extra and head not in self.pattern_vars:
            return self._nested(self.extra[head], rest, path), None, None
        hits = [q for q in self.default if self.tables[q].column(head)]
        if len(hits) > 1:
            both = " and ".join(f"`{h}`" for h in hits)
            return None, None, f"`{head}` is in both {both}; qualify it, e.g. `{hits[0]}.{head}`"
        if hits and not (head in self.tables and rest and self.tables[head].column(rest[0])):
            return self._nested(self.tables[hits[0]].column(head).type, rest, path), hits[0], None  # type: ignore[union-attr]
        if head in self.tables and rest:
            col = self.tables[head].column(rest[0])
            if col is None:
                return None, head, None
            return self._nested(col.type, rest[1:], path), head, None
        return None, None, None

    def _nested(self, t: T.SqlType | None, rest: tuple[str, ...], path: tuple[str, ...]) -> T.SqlType | None:
        for part in rest:
            if t is None or t.base != "ROW":
                return None
            sub = dict(t.fields).get(part)
            if sub is None:
                return None
            # A record's fields are declared nullable (``SqlType.sql``), so Flink reads every one as nullable
            t = sub.with_null(True)
        return t


@dataclass
class Ctx:
    """Where an expression sits: which functions it may call."""

    aggregates: bool = False  # aggregate calls allowed
    navigation: bool = False  # pattern navigation allowed
    in_aggregate: bool = False
    grouped: tuple[tuple[str, ...], ...] | None = None  # column paths allowed outside aggregates
    what: str = "here"
    stage: str = ""  # the kind of stage whose measures these are ("aggregate", "rolling", "pattern"), if any


def children(e: Any) -> list[Any]:
    out = []
    for name in ir.value_fields(type(e)):
        v = getattr(e, name)
        if isinstance(v, ir.Node):
            out.append(v)
        elif isinstance(v, tuple):
            out += [x for x in v if isinstance(x, ir.Node)]
    return out


def calls(nodes: Any) -> list[ir.Call]:
    out: list[ir.Call] = []
    stack = list(nodes)
    while stack:
        n = stack.pop()
        if isinstance(n, ir.Call):
            out.append(n)
        stack.extend(children(n))
    return out

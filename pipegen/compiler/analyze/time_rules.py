"""The time and changelog pass: stages that need event time get it (E30x), stages that need an append-only
input get one (E106), and keys and modes fit the stream they write or read (E40x)."""

from __future__ import annotations

from typing import Any

from .. import ir
from ..registry import Dispatch
from .conditions import describe, never_holds
from .model import Relation, Run, Scope, suggest
from .relations import equates_keys, is_column, key_comparisons

RULES = Dispatch("check the time and changelog rules of a statement")


def time_and_changelog(run: Run) -> None:
    for st, rel in run.built():
        RULES(st, run, rel)


def need_time(run: Run, rel: Relation, column: str | None, at: ir.Span | None, what: str, *,
              processing: bool = False) -> None:
    """Report unless ``column`` (or, when None, any column) is ``rel``'s event-time column with a watermark, or,
    where the stage may run on processing time (``processing``), its processing-time column."""
    if processing and rel.proc_time is not None and column in (None, rel.proc_time):
        return
    if processing and rel.proc_time is not None and rel.event_time is None:
        if rel.column(column) is None:  # type: ignore[arg-type]
            run.report("E104", f"unknown field `{column}` in `{rel.name}`", at,
                       suggest(column, [c.name for c in rel.columns]))  # type: ignore[arg-type]
        else:
            run.report("E301", f"`{column}` is not a time attribute of `{rel.name}`", at,
                       f"use `{rel.proc_time}`, its processing time, or declare an event time in its source")
        return
    if rel.event_time is None:
        run.report(*_no_time(rel, column, what, at))
    elif column is not None and column != rel.event_time:
        if rel.column(column) is None:
            run.report("E104", f"unknown field `{column}` in `{rel.name}`", at,
                       suggest(column, [c.name for c in rel.columns]))
        else:
            run.report("E301", f"`{column}` is not the event-time column of `{rel.name}`", at,
                       f"use `{rel.event_time}`, the event-time column")


def _no_time(rel: Relation, column: str | None, what: str, at: ir.Span | None) -> tuple[str, str, Any, str]:
    """The diagnostic of a stage whose input has no event time, saying why it has none."""
    note = rel.time_note
    if note == "join":
        return ("E304", f"{what} needs event time, but `{rel.name}` comes from a regular join, which drops it", at,
                "use an interval join (kind interval(5 min, 5 min)) or a temporal join instead")
    if note == "no-watermark":
        hint = (f"add a watermark to the event_time of source `{rel.time_origin}`, e.g. "
                f"`event_time {rel.declared_time or column or 'ts'} watermark 5 s`")
        return ("E302", f"{what} needs a watermark on `{rel.name}`", at, hint)
    if note == "dropped":
        return ("E302", f"{what} needs event time, but `{rel.name}` does not keep its event-time column", at,
                f"select the event-time column of `{rel.time_origin}` unchanged in `{rel.name}`")
    if note == "aggregate":
        return ("E302", f"{what} needs event time, but `{rel.name}` has none", at,
                "only a windowed aggregate keeps event time (as window_time)")
    return ("E302", f"{what} needs event time and a watermark, but `{rel.name}` has none", at,
            f"declare it in source `{rel.time_origin or rel.name}`: `event_time <column> watermark 5 s`")


def need_append(run: Run, rel: Relation, at: ir.Span | None, what: str) -> None:
    if rel.updating:
        run.report("E106", f"{what} needs an append-only input, but `{rel.name}` is updating", at,
                   "put this stage before the stage that makes the stream updating, or use a windowed aggregate")


def _input(run: Run, st: Any) -> Relation:
    rel = run.relation(st.input)
    assert rel is not None  # a statement's relation is built only when its input's is
    return rel


@RULES.register(ir.Source, ir.Transform, ir.Union, ir.Unnest)
def _none(st: Any, run: Run, rel: Relation) -> None:
    pass  # a source declares its time (checked with its fields); a transform or union keeps or drops it


@RULES.register(ir.Aggregate)
def _aggregate(st: ir.Aggregate, run: Run, rel: Relation) -> None:
    w = st.window
    if w is not None:
        inp = _input(run, st)
        need_time(run, inp, w.column, w.pos("column"), f"a {w.kind} window", processing=True)
        need_append(run, inp, st.pos("input"), f"a {w.kind} window")


@RULES.register(ir.Rolling)
def _rolling(st: ir.Rolling, run: Run, rel: Relation) -> None:
    inp = _input(run, st)
    if st.over is None:  # the rows before, ordered by the input's time
        need_time(run, inp, None, st.pos("input"), "a rolling stage", processing=True)
    else:
        need_time(run, inp, st.over.column, st.over.pos("column"), "a rolling window", processing=True)
    need_append(run, inp, st.pos("input"), "a rolling window")


@RULES.register(ir.Dedup)
def _dedup(st: ir.Dedup, run: Run, rel: Relation) -> None:
    inp = _input(run, st)
    need_time(run, inp, None, st.pos("input"), "dedup", processing=True)
    need_append(run, inp, st.pos("input"), "dedup")


@RULES.register(ir.TopN)
def _topn(st: ir.TopN, run: Run, rel: Relation) -> None:
    pass  # a top-N reads any stream; over an updating one it is updating itself


@RULES.register(ir.Sort)
def _sort(st: ir.Sort, run: Run, rel: Relation) -> None:
    inp = _input(run, st)
    first = st.order_by[0]
    path = first.column.path
    if len(path) > 1:
        time = inp.event_time or inp.proc_time
        run.report("E301", f"a sort begins with the time attribute of `{st.input}`, not `{'.'.join(path)}`",
                   first.column.span, f"begin with `{time} asc`" if time else None)
    else:
        need_time(run, inp, path[0], first.column.span, "a sort", processing=True)
    if first.direction != "asc":
        run.report("E307", f"a sort of a stream begins with its time ascending, not `{path[-1]} "
                   f"{first.direction}`", first.span, f"write `{path[-1]} asc` first (Flink sorts a stream only "
                   "forward in time); the keys after it may be descending")
    need_append(run, inp, st.pos("input"), "a sort")


@RULES.register(ir.Pattern)
def _pattern(st: ir.Pattern, run: Run, rel: Relation) -> None:
    inp = _input(run, st)
    need_time(run, inp, None, st.pos("input"), "a pattern", processing=True)
    need_append(run, inp, st.pos("input"), "a pattern")


@RULES.register(ir.Join)
def _join(st: ir.Join, run: Run, rel: Relation) -> None:
    left, right = run.relation(st.left), run.relation(st.right)
    assert left is not None and right is not None
    if st.join_kind == "interval":
        for role, side in (("left", left), ("right", right)):
            need_time(run, side, None, st.pos(role), "an interval join")
        for role, side in (("left", left), ("right", right)):
            need_append(run, side, st.pos("input"), "an interval join")
    elif st.join_kind == "lookup":
        if left.proc_time is None:
            run.report("E302", f"a lookup join needs the processing time of `{st.left}`", st.pos("left"),
                       f"add `processing_time proc_time` to the source of `{st.left}`: a lookup reads the table "
                       "as it is when each row arrives")
        need_append(run, left, st.pos("input"), "a lookup join")
        if not right.lookup:
            run.report("E305", f"`{st.right}` is not a table read by lookup", st.pos("right"),
                       f'a lookup join reads a jdbc table: source {st.right} {{ jdbc "jdbc:..." table "..." ... }}')
    elif st.join_kind == "temporal":
        need_time(run, left, None, st.pos("left"), "a temporal join")
        need_append(run, left, st.pos("input"), "a temporal join")
        if not right.key or right.event_time is None:
            why = "no key" if not right.key else "no event time with a watermark"
            run.report("E305", f"`{st.right}` is not a versioned table ({why})", st.pos("right"),
                       "a temporal join reads a versioned table: a source with `key`, `mode upsert` and an "
                       "event_time with a watermark, or a `dedup ... keep last` of one")
        elif not equates_keys(st.on, st.right, right.key):
            run.report("E305", f"the join condition must compare every key column of `{st.right}` "
                       f"({', '.join(right.key)})", st.on.span, f"e.g. on {st.left}.x = {st.right}.{right.key[0]}")
        elif right.pinned:
            # Flink 2.3: "Temporal Table Join requires primary key in versioned table, but no primary key can be
            # found": its plan puts the value in place of the key column (see Relation.pinned).
            run.report("E305", f"`{st.right}` is not a versioned table: a filter fixes its key "
                       f"{', '.join(right.pinned)} to one value, and Flink then has no key for it",
                       st.pos("right"), "join the stream before the filter, and filter in the join's condition "
                       f"(on ... and <stream>.{right.pinned[0]} = ...) or after the join")
        else:
            _temporal_condition(run, st, left, right)
    if st.join_kind == "regular":
        never = _never_joined(st, left, right)
        if never:
            # Flink 2.3 folds the join to no rows and keeps both inputs' event times in them as time attributes,
            # which a sink then refuses ("more than one rowtime attribute column").
            run.report("E701", f"the condition of join `{st.name}` can never hold: {describe(never)}",
                       never[0].span, "no row would ever be joined; correct the condition, or leave that part out")


def _never_joined(st: ir.Join, left: Relation, right: Relation) -> list[ir.Expr]:
    """The parts of a join's condition that can never hold together (``conditions.never_holds``), or []."""
    scope = Scope({st.left: left, st.right: right}, [st.left, st.right])
    return never_holds(st.on, lambda path: scope.resolve(path)[0])


def _temporal_condition(run: Run, st: ir.Join, left: Relation, right: Relation) -> None:
    """A temporal join's condition keeps the versioned table's key for Flink: a key that is the table's event time
    is compared with the left's event time (any other value is a plain timestamp, and Flink casts the key to
    compare them: "Temporal table's primary key [ts0] must be included in the equivalence condition", Flink 2.3),
    and the condition can hold (Flink folds one that cannot to false, which compares no key: "the join key in
    Temporal Table Join can not be empty")."""
    for _eq, k, other in key_comparisons(st.on, st.right, right.key):
        if k == right.event_time and not is_column(other, st.left, left.event_time):
            run.report("E305", f"the key `{k}` of `{st.right}` is its event time; a temporal join compares it only "
                       f"with the event time of `{st.left}` ({left.event_time})", other.span,
                       f"compare `{st.right}.{k}` with `{st.left}.{left.event_time}`, or key `{st.right}` by "
                       "another column")
    never = _never_joined(st, left, right)
    if never:
        run.report("E701", f"the condition of temporal join `{st.name}` can never hold: {describe(never)}",
                   never[0].span, "Flink folds it to false and then finds no key to join on; correct the "
                   "condition, or leave that part out")


def _same_rows_as_other_sinks(st: ir.Sink, run: Run) -> None:
    """Sinks that write one topic or folder write one kind of row: the same columns and types, key, mode and
    format (a topic has one schema)."""
    where = ("topic", st.topic) if st.topic is not None else ("files", st.files)
    rel = run.relation(st.name)
    for other in run.spec.statements:
        if other is st:
            return  # only the sinks before this one
        if not isinstance(other, ir.Sink) or (("topic", other.topic) if other.topic is not None
                                              else ("files", other.files)) != where:
            continue
        orel = run.relation(other.name)
        if rel is None or orel is None:
            return
        same = [(c.name, c.type) for c in rel.columns] == [(c.name, c.type) for c in orel.columns] and (
            st.key, st.mode, st.format, st.partitioned_by) == (
            other.key, other.mode, other.format, other.partitioned_by)
        if not same:
            run.report("E101", f"{where[0]} {where[1]!r} is written by sink `{other.name}` too, with other rows",
                       st.pos(where[0]), f"write the same columns (with their types), key, mode and format as "
                       f"`{other.name}`, or give this sink its own {where[0]}")
        return


@RULES.register(ir.Sink)
def _sink(st: ir.Sink, run: Run, rel: Relation) -> None:
    inp = _input(run, st)
    names = [c.name for c in inp.columns]
    for k in st.key:
        col = inp.column(k)
        if col is None:
            run.report("E403", f"key `{k}` is not a column of `{st.input}`", st.pos("key"),
                       suggest(k, names) or f"columns: {', '.join(names)}")
        elif col.type.base in ("ROW", "MAP", "ARRAY"):
            run.report("E403", f"key `{k}` is a {col.type.describe()}; a key takes plain values", st.pos("key"))
    if st.mode == "upsert" and not st.key:
        run.report("E401", f"sink `{st.name}` is upsert but has no key", st.pos("mode"),
                   f"add `key {', '.join(inp.key) if inp.key else '<column>'}`")
    if inp.updating and st.mode != "upsert" and st.format != "debezium_json":
        key = ", ".join(inp.key) if inp.key else "<column>"
        fix = (f"write `key {key}` and `mode upsert` in sink `{st.name}`" if st.topic is not None else
               "files take only appended rows: write the stream to a topic with `mode upsert`, or aggregate it "
               "in windows first")
        run.report("E402", f"`{st.input}` is an updating stream; an append sink cannot take its updates",
                   st.pos("input"), fix)
    _same_rows_as_other_sinks(st, run)
    for c in st.partitioned_by:
        if inp.column(c) is None:
            run.report("E104", f"unknown column `{c}` in partitioned by", st.pos("partitioned_by"),
                       suggest(c, names) or f"columns: {', '.join(names)}")
    if st.mode == "upsert" and inp.key and st.key and set(st.key) != set(inp.key):
        run.report("E403", f"sink key ({', '.join(st.key)}) differs from the key of `{st.input}` "
                   f"({', '.join(inp.key)})", st.pos("key"), f"use `key {', '.join(inp.key)}`")

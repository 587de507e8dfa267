"""The types pass: the relation each statement produces (its columns and their types, whether it is updating,
its key, its event time) and the checks of its fields, expressions and clauses."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from .. import ir
from .. import types as T
from ..functions import AGGREGATES, FUNCTIONS
from ..printer import expr
from ..registry import Dispatch
from .constants import constant, fixed_by, same_measures
from .exprs import Types
from .conditions import FLIP, conjuncts, describe, key_lost, literal, never_holds, pinned
from .model import (WINDOW_COLUMNS, Col, Ctx, KeyCast, Relation, Run, Scope, calls, carried_time, children,
                    defined_in, output_name, suggest)

# The type of a processing-time column (and of the window_time of a processing-time window). Nullable: Flink's
# PROCTIME() is NOT NULL in the source, but a lookup join's output gives it as nullable (measured), and a sink
# declared NOT NULL for it would refuse such a row.
PROC_TIME = T.SqlType("TIMESTAMP_LTZ", True, precision=3)
# Aggregates Flink cannot merge, so a session window (whose windows merge) cannot compute them.
NO_MERGE = frozenset({"first_value", "last_value", "json_arrayagg", "json_objectagg"})

Item = tuple[str, "T.SqlType | None", "ir.Span | None"]

RELATION = Dispatch("build the relation of a statement")


def relations(run: Run) -> None:
    """Build each statement's relation, inputs first; a statement whose input failed gets none."""
    types = Types(run)
    for name in run.out.order:
        st = run.by_name[name]
        rel = RELATION(st, run, types)
        if rel is not None:
            run.out.relations[name] = rel  # first: a having is read against the stage's own columns
            if _empty(st, run):
                rel.empty, rel.pinned = True, rel.key


def _empty(st: Any, run: Run) -> bool:
    """Whether no row can reach ``st``: its own where (or a having) never holds, or its input is empty (a join's
    inner side, or its left; a union's every input)."""
    ins = [run.relation(n) for n in ir.statement_inputs(st)]
    if any(r is None for r in ins) or not ins:
        return False
    if isinstance(st, ir.Union):
        gone = all(r.empty for r in ins)  # type: ignore[union-attr]
    elif isinstance(st, ir.Join):
        gone = ins[0].empty or (not st.outer_left and ins[1].empty)  # type: ignore[union-attr]
    else:
        gone = ins[0].empty  # type: ignore[union-attr]
    return gone or (not isinstance(st, ir.Join | ir.Union) and _never_in(run, st) is not None)


def _outputs(run: Run, items: list[Item], st: Any) -> list[Col]:
    cols: list[Col] = []
    seen: dict[str, ir.Span | None] = {}
    for name, t, span in items:
        if name in seen:
            run.report("E102", f"column `{name}` appears twice in the output of `{st.name}`", span,
                       f"rename one, e.g. `{name}_2 = ...`")
            continue
        seen[name] = span
        # A column whose expression was already reported has no type: ANY, so later stages add no errors.
        cols.append(Col(name, t or T.ANY))
    return cols


def _select(types: Types, sel: ir.Select, scope: Scope, rel_cols: list[Col], ctx: Ctx
            ) -> list[tuple[str, T.SqlType | None, ir.Span | None, ir.SelectItem | None]]:
    items: list[tuple[str, T.SqlType | None, ir.Span | None, ir.SelectItem | None]] = []
    if sel.star:
        items += [(c.name, c.type, sel.span, None) for c in rel_cols]
    for it in sel.items:
        t = types.type_of(it.expr, scope, ctx)
        name = it.alias or output_name(it.expr)
        assert name is not None
        items.append((name, t, it.pos("alias") or it.span, it))
    return items


def _top_level(run: Run, cols: tuple[ir.Column, ...], message: str) -> None:
    for p in cols:
        if len(p.path) > 1:
            run.report("E110", message, p.span, "add a transform that selects the nested field as a column first")


# ---------------------------------------------------------------- sources


@RELATION.register(ir.Source)
def _source(st: ir.Source, run: Run, types: Types) -> Relation:
    _fields(run, st.fields)
    cols = [Col(f.name, T.from_spec(f.type, f.nullable)) for f in st.fields]
    rel = Relation(st.name, st, cols, time_origin=st.name)
    names = [c.name for c in cols]
    for k in st.key:
        if k not in names:
            run.report("E403", f"key `{k}` is not a field of `{st.name}`", st.pos("key"), suggest(k, names))
    if st.mode == "upsert" and not st.key:
        run.report("E401", f"source `{st.name}` is upsert but has no key", st.pos("mode"),
                   "add `key <field>`: an upsert topic is keyed by it")
    # An upsert or a debezium_json topic is a changelog (another origin with either is reported by the names pass).
    if st.topic is not None and (st.mode == "upsert" or st.format == "debezium_json"):
        rel.updating = True
        rel.key = st.key
    rel.lookup = st.jdbc is not None
    if st.event_time is not None:
        col = rel.column(st.event_time)
        if col is None:
            run.report("E104", f"unknown field `{st.event_time}` for event_time", st.pos("event_time"),
                       suggest(st.event_time, names))
        elif col.type.base != "TIMESTAMP" or col.type.precision != 3:
            run.report("E303", f"event_time `{st.event_time}` is {col.type.describe()}; it must be timestamp(3)",
                       st.pos("event_time"), "Flink keeps event time in milliseconds: declare the field timestamp(3)")
        elif st.watermark is None:
            rel.time_note = "no-watermark"
            rel.declared_time = st.event_time
        else:
            rel.event_time = st.event_time
    if st.processing_time is not None:
        if rel.column(st.processing_time) is not None:
            run.report("E102", f"processing_time `{st.processing_time}` is also a field of `{st.name}`",
                       st.pos("processing_time"),
                       "name the processing-time column apart from the fields, e.g. proc_time")
        else:
            rel.columns.append(Col(st.processing_time, PROC_TIME))
            rel.proc_time = st.processing_time
    if st.generate is not None:
        _generate(run, st, rel)
    for f, c in zip(st.fields, cols):
        _origin_type(run, st, c, f.span)
    return rel


def _holds(t: T.SqlType, bases: tuple[str, ...]) -> bool:
    """Whether ``t`` is, or holds at any depth, a type of one of ``bases``."""
    inner = ([t.elem] if t.elem is not None else []) + [ft for _, ft in t.fields]
    return t.base in bases or any(_holds(x, bases) for x in inner)


def _origin_type(run: Run, st: ir.Source | ir.Sink, col: Col, span: ir.Span | None) -> None:
    """A column type the origin's connector has a form for (E405), as Flink 2.3 plans them: a jdbc table (the
    PostgreSQL dialect) has no map or record ("The PostgreSQL dialect doesn't support type: MAP<...>"); csv files
    have no map ("Unsupported type 'MAP<...>'") and only simple values in an array or a record ("Only simple types
    are supported in the second level nesting")."""
    t, why = col.type, None
    if getattr(st, "jdbc", None) is not None and _holds(t, ("MAP", "ROW")):
        why, hint = "a jdbc table has no column type for a map or a record", "read it as JSON text (a string)"
    elif st.files is not None and st.format == "csv" and _holds(t, ("MAP",)):
        why, hint = "csv files have no form for a map", "write the files as json, or the map as JSON text"
    elif st.files is not None and st.format == "csv" and t.base in ("ARRAY", "ROW") and any(
            _holds(x, ("ARRAY", "ROW", "MAP")) for x in ([t.elem] if t.elem else []) + [ft for _, ft in t.fields]):
        why, hint = ("csv files hold only simple values in an array or a record",
                     "write the files as json, or flatten the column first")
    if why:
        run.report("E405", f"{why} (`{col.name}` of `{st.name}` is {t.describe()})", span, hint)


FIELD_TYPE = Dispatch("check a field type")


def _fields(run: Run, fields: tuple[ir.FieldDef, ...]) -> None:
    seen: set[str] = set()
    for f in fields:
        if f.name in seen:
            run.report("E102", f"field `{f.name}` is declared twice", f.pos("name"), "field names must be unique")
        seen.add(f.name)
        FIELD_TYPE(f.type, run)
        if f.default is not None:
            _default(run, f)


@FIELD_TYPE.register(ir.PrimitiveType, ir.DecimalType, ir.TimestampType)
def _scalar_type(t: Any, run: Run) -> None:
    pass  # the parser has checked their values


@FIELD_TYPE.register(ir.RecordType)
def _record_type(t: ir.RecordType, run: Run) -> None:
    _fields(run, t.fields)


@FIELD_TYPE.register(ir.EnumType)
def _enum_type(t: ir.EnumType, run: Run) -> None:
    if len(set(t.symbols)) != len(t.symbols):
        run.report("E102", "an enum lists the same symbol twice", t.span, "enum symbols must be unique")


@FIELD_TYPE.register(ir.ArrayType)
def _array_type(t: ir.ArrayType, run: Run) -> None:
    FIELD_TYPE(t.items, run)


@FIELD_TYPE.register(ir.MapType)
def _map_type(t: ir.MapType, run: Run) -> None:
    FIELD_TYPE(t.values, run)


def _default_fits(f: ir.FieldDef) -> bool:
    d, t = f.default, f.type
    if isinstance(d, ir.NullLit):
        return f.nullable
    if isinstance(t, ir.PrimitiveType):
        return {
            "string": isinstance(d, ir.StringLit), "uuid": isinstance(d, ir.StringLit),
            "boolean": isinstance(d, ir.BoolLit),
            "int": isinstance(d, ir.NumberLit) and "." not in d.text and int(d.text) < 2**31,
            "long": isinstance(d, ir.NumberLit) and "." not in d.text and int(d.text) < 2**63,
            "float": isinstance(d, ir.NumberLit), "double": isinstance(d, ir.NumberLit),
        }.get(t.name, False)
    if isinstance(t, ir.EnumType):
        return isinstance(d, ir.StringLit) and d.value in t.symbols
    return False


def _default(run: Run, f: ir.FieldDef) -> None:
    if _default_fits(f):
        return
    from ..printer import expr

    t = f.type
    run.report("E502", f"default {expr(f.default)} does not fit field `{f.name}`",  # type: ignore[arg-type]
               f.pos("default") or f.span,
               "null needs a nullable field (type?); records, arrays, maps, dates and timestamps take no default"
               if not isinstance(t, ir.EnumType) else f"use one of the enum's symbols, e.g. \"{t.symbols[0]}\"")


HINT = Dispatch("check a generate hint")


def _generate(run: Run, st: ir.Source, rel: Relation) -> None:
    assert st.generate is not None
    for h in st.generate.hints:
        col = rel.column(h.field)
        field_def = next((f for f in st.fields if f.name == h.field), None)
        if col is None or field_def is None:
            run.report("E104", f"unknown field `{h.field}` in generate", h.span,
                       suggest(h.field, [c.name for c in rel.columns]))
            continue
        HINT(h, run, col, field_def)


@HINT.register(ir.RangeHint)
def _range_hint(h: ir.RangeHint, run: Run, col: Col, field_def: ir.FieldDef) -> None:
    if not col.type.is_numeric:
        run.report("E201", f"range needs a numeric field; `{h.field}` is {col.type.describe()}", h.span)
    elif float(h.low) > float(h.high):
        run.report("E503", f"range {h.low} .. {h.high} is empty", h.span, "write low .. high")


@HINT.register(ir.WeightsHint)
def _weights_hint(h: ir.WeightsHint, run: Run, col: Col, field_def: ir.FieldDef) -> None:
    if not isinstance(field_def.type, ir.EnumType):
        run.report("E201", f"weights need an enum field; `{h.field}` is {col.type.describe()}", h.span)
        return
    for w in h.weights:
        if w.symbol not in field_def.type.symbols:
            run.report("E104", f"`{w.symbol}` is not a symbol of `{h.field}`", w.span,
                       suggest(w.symbol, list(field_def.type.symbols)))


# ---------------------------------------------------------------- stages


@RELATION.register(ir.Transform)
def _transform(st: ir.Transform, run: Run, types: Types) -> Relation | None:
    inp = run.relation(st.input)
    if inp is None:
        return None
    scope = Scope({st.input: inp}, [st.input])
    if st.where is not None:
        types.condition(st.where, scope, Ctx(what="in a where clause"), "where")
    rel = Relation(st.name, st, [], updating=inp.updating, windowed=inp.windowed, **carried_time(inp))
    fixed = inp.constants | fixed_by(st.where, inp)  # columns Flink folds to one value
    pins = {p[0] for p in pinned(st.where) if len(p) == 1} | set(inp.pinned)  # key columns a filter fixes
    if st.where is not None:
        _rank_filter(run, st.where, inp, st.input)
        _window_bounds_filter(run, st.where, inp, st.input)
    if st.where is not None and inp.key and key_lost(st.where, (), fixed, lambda path: scope.resolve(path)[0]):
        pins |= set(inp.key)  # a filter that never holds: Flink plans no rows, with no upsert key
    if st.select is None:
        rel.columns = list(inp.columns)
        rel.key = inp.key
        rel.constants = fixed
        rel.pinned = tuple(k for k in inp.key if k in pins)
        return rel
    items = _select(types, st.select, scope, inp.columns, Ctx(what="in a transform"))
    rel.columns = _outputs(run, [(n, t, s) for n, t, s, _ in items], st)
    rel.constants = frozenset(n for n, _t, _s, it in items
                              if (n in fixed if it is None else constant(it.expr, inp, fixed)))
    renames = {}
    for n, _t, _s, it in items:
        if it is None:
            renames[n] = n
        elif isinstance(it.expr, ir.Column) and len(it.expr.path) == 1:
            renames.setdefault(it.expr.path[0], n)
    if inp.event_time is not None:
        rel.event_time = renames.get(inp.event_time)
        if rel.event_time is None:
            rel.time_note = "dropped"
            rel.time_origin = st.name
    if inp.proc_time is not None:
        rel.proc_time = renames.get(inp.proc_time)
    if inp.key and all(k in renames for k in inp.key):
        rel.key = tuple(renames[k] for k in inp.key)
        rel.pinned = tuple(renames[k] for k in inp.key if k in pins)
    elif inp.updating and inp.key:
        run.report("E403", f"`{st.name}` reads an updating stream keyed by {', '.join(inp.key)} but drops the key",
                   st.select.span, "select the key columns too")
    if inp.windowed and not all(w in renames for w in ("window_start", "window_end")):
        rel.windowed = False
    return rel


WINDOW_SIZE = Dispatch("check a window's sizes")


@WINDOW_SIZE.register(ir.Tumble)
def _tumble_size(w: ir.Tumble, run: Run) -> None:
    if w.size.millis == 0:
        run.report("E306", "a window cannot be 0 long", w.span)


@WINDOW_SIZE.register(ir.Session)
def _session_size(w: ir.Session, run: Run) -> None:
    if w.gap.millis == 0:
        run.report("E306", "a window cannot be 0 long", w.span)


@WINDOW_SIZE.register(ir.Hop)
def _hop_size(w: ir.Hop, run: Run) -> None:
    if w.slide.millis == 0 or w.size.millis % w.slide.millis:
        run.report("E306", "a hop window's size must be a whole multiple of its slide", w.span,
                   f"e.g. size {w.slide.value * 4} {w.slide.unit}, slide {w.slide.value} {w.slide.unit}")


@WINDOW_SIZE.register(ir.Cumulate)
def _cumulate_size(w: ir.Cumulate, run: Run) -> None:
    if w.step.millis == 0 or w.size.millis % w.step.millis:
        run.report("E306", "a cumulate window's size must be a whole multiple of its step", w.span)


def has_aggregate(e: Any) -> bool:
    if isinstance(e, ir.Call) and (e.name in AGGREGATES or e.name not in FUNCTIONS):
        return True  # an unknown function is reported once, as E202
    return any(has_aggregate(c) for c in children(e))


def _session_keys(run: Run, st: ir.Aggregate, inp: Relation) -> None:
    _top_level(run, st.group_by, "a session window groups by top-level fields only")
    for g in st.group_by:
        if g.path[0] in (inp.event_time, inp.proc_time) and len(g.path) == 1:
            # A time attribute in SESSION(... PARTITION BY ...) turns the window aggregate into an updating
            # group aggregate (measured with Flink 2.3: "GroupAggregate(groupBy=[ts, window_start, ...])").
            copy = (f", or by a copy made in a transform before (`{g.path[0]}_key = {g.path[0]}` is a plain "
                    "timestamp)") if g.path[0] == inp.event_time else ""
            run.report("E701", f"a session window cannot be grouped by the time column `{g.path[0]}` in Flink",
                       g.span, "Flink plans it as an updating aggregate, not as sessions; group by another "
                       f"column{copy}")
    if len(st.group_by) > 1:
        # Flink writes a view's SESSION(... PARTITION BY (a, b) ...) back as PARTITION BY a, b and then
        # rejects its own text (measured with Flink 2.3: "Column 'b' not found in any table").
        run.report("E701", "a session window groups by one key in Flink", st.group_by[1].span,
                   "group the session by one field; to session by several, add a transform that "
                   "combines them into one column first")
    keys = {g.path for g in st.group_by}
    for call in calls([m.expr for m in st.measures]):
        if call.name in VARIANCES and call.args and isinstance(call.args[0], ir.Column) and (
                call.args[0].path[-1:] if len(call.args[0].path) == 2 and call.args[0].path[0] == st.input
                else call.args[0].path) in keys:
            # Flink 2.3 fails planning it (an IllegalArgumentException in FlinkRelMdWindowProperties, measured for
            # each of them, with distinct too; of another column, or of `key * 2`, it plans; other windows plan)
            run.report("E701", f"Flink cannot compute `{call.name}` of the session's key `{expr(call.args[0])}`",
                       call.span, "the key holds one value in each session, so its variance is 0 (null for one "
                       "row): leave the measure out")
    _merged_windows(run, st, "session")


def _merged_windows(run: Run, st: ir.Aggregate, kind: str) -> None:
    """Hop, cumulate and session windows merge partial aggregates, which first_value, last_value and the JSON
    aggregates cannot (Flink 2.3: "Could not find an implementation method 'merge' ... FIRST_VALUE",
    "... JsonArrayAggFunction")."""
    for call in calls(st.measures):
        if call.name in NO_MERGE:
            instead = "min() or max() of a timestamp, or a tumble window" if call.name.endswith("_value") \
                else "a tumble window"
            run.report("E203", f"{call.name}() cannot be used in a {kind} window", call.span,
                       f"Flink merges {kind} windows and cannot merge this aggregate; use {instead}")
        elif kind == "hop" and call.distinct and call.name in ("sum", "listagg"):
            # Flink 2.3 slides a hop window by taking rows back, which its SUM and LISTAGG of distinct values
            # cannot ("This function does not support retraction"); a cumulate or session window plans them.
            run.report("E701", f"{call.name}(distinct ...) cannot be used in a hop window in Flink", call.span,
                       "aggregate the distinct values first (an aggregate grouped by them), or use a tumble or "
                       "cumulate window")
    spread = next((c for c in calls(st.measures) if c.name in VARIANCES), None)
    for call in calls(st.measures) if kind == "hop" and spread is not None else []:
        if call.name == "avg" and call.distinct:
            # Beside a variance Calcite writes avg(distinct x) as sum(distinct x) / count(distinct x), and the hop
            # window's SUM of distinct values cannot take rows back (Flink 2.3: "This function does not support
            # retraction"); either one alone plans.
            run.report("E701", f"avg(distinct ...) cannot be used beside {spread.name}() in a hop window in Flink",
                       call.span, "compute the two in aggregates of their own, or use a tumble window")


VARIANCES = frozenset({"stddev", "stddev_pop", "stddev_samp", "var", "var_pop", "var_samp", "variance"})


@RELATION.register(ir.Aggregate)
def _aggregate(st: ir.Aggregate, run: Run, types: Types) -> Relation | None:
    inp = run.relation(st.input)
    if inp is None:
        return None
    scope = Scope({st.input: inp}, [st.input])
    if st.where is not None:
        types.condition(st.where, scope, Ctx(what="in a where clause"), "where")
        _rank_filter(run, st.where, inp, st.input)
    cols: list[Item] = []
    rel = Relation(st.name, st, [], **carried_time(inp, keep=False))
    w = st.window
    if w is not None:
        WINDOW_SIZE(w, run)
        ts = T.SqlType("TIMESTAMP", False, precision=3)
        on_proc = inp.proc_time is not None and w.column == inp.proc_time
        cols += [("window_start", ts, w.span), ("window_end", ts, w.span),
                 ("window_time", PROC_TIME if on_proc else ts, w.span)]
        # The time pass reports a window on a column that is neither the input's event time nor its processing time.
        rel.event_time = "window_time" if inp.event_time is not None and w.column == inp.event_time else None
        rel.proc_time = "window_time" if on_proc else None
        rel.windowed = True
        if isinstance(w, ir.Session):
            _session_keys(run, st, inp)
        elif not isinstance(w, ir.Tumble):
            _merged_windows(run, st, w.kind)
    else:
        rel.updating = True
        rel.time_note = "aggregate"
    grouped: list[tuple[str, ...]] = [(c,) for c in WINDOW_COLUMNS if w is not None]
    key_names = []
    for g in st.group_by:
        t = types.type_of(g, scope, Ctx(what="in group by"))
        grouped.append(g.path)
        key_names.append(g.path[-1])
        cols.append((g.path[-1], t, g.span))
        if w is not None and g.path[-1] in WINDOW_COLUMNS:
            run.report("E102", f"`{g.path[-1]}` is a column a window adds", g.span, "rename the field first")
    if not st.group_by and w is None:
        run.report("E207", f"aggregate `{st.name}` has neither a window nor group by", st.pos("name"),
                   "add `window tumble(<event time>, 1 min)` for results per time window, or `group by <key>`")
    extra = {c: T.SqlType("TIMESTAMP", False, precision=3) for c in WINDOW_COLUMNS[:2]} if w else {}
    mscope = Scope({st.input: inp}, [st.input], extra)
    ctx = Ctx(aggregates=True, grouped=tuple(grouped), what="here", stage="aggregate")
    mtypes = {}
    for m in st.measures:
        t = types.type_of(m.expr, mscope, ctx)
        mtypes[m.name] = t
        cols.append((m.name, t, m.pos("name")))
        if not has_aggregate(m.expr):
            run.report("E206", f"measure `{m.name}` aggregates nothing", m.span,
                       "a measure is computed per group with count, sum, avg, min, max, ...")
    hscope = mscope
    if st.having is not None:
        hextra = dict(extra)
        hextra.update({n: t or T.ANY for n, t in mtypes.items()})
        hscope = Scope({st.input: inp}, [st.input], hextra)
        hgrouped = tuple(grouped) + tuple((n,) for n in mtypes)
        types.condition(st.having, hscope, Ctx(aggregates=True, grouped=hgrouped, stage="aggregate"), "having")
    rel.columns = _outputs(run, cols, st)
    rel.key = tuple(key_names) if rel.updating else ()
    if st.having is not None:
        _window_bounds_filter(run, st.having, rel, st.name, st.input)
    fixed = inp.constants | fixed_by(st.where, inp)
    rel.constants = frozenset(g.path[0] for g in st.group_by if len(g.path) == 1 and g.path[0] in fixed) | fixed_by(
        st.having, rel)
    rel.constants |= same_measures(st, rel.constants, inp)
    if rel.updating and (key_lost(st.where, rel.key, fixed, lambda path: scope.resolve(path)[0]) or key_lost(
            st.having, rel.key, rel.constants, lambda path: hscope.resolve(path)[0])):
        rel.pinned = rel.key  # a filter folds every group key to one value, or leaves no row: no upsert key
    return rel


@RELATION.register(ir.Rolling)
def _rolling(st: ir.Rolling, run: Run, types: Types) -> Relation | None:
    inp = run.relation(st.input)
    if inp is None:
        return None
    scope = Scope({st.input: inp}, [st.input])
    for p in st.partition_by:
        types.type_of(p, scope, Ctx(what="in partition by"))
    cols: list[Item] = [(c.name, c.type, None) for c in inp.columns]
    for m in st.measures:
        cols.append((m.name, types.type_of(m.expr, scope, Ctx(aggregates=True, what="here", stage="rolling")),
                     m.pos("name")))
    lag = next((c for c in calls(st.measures) if c.name == "lag"), None)
    if lag is not None and st.over is not None:
        # Flink 2.3: "ROW/RANGE not allowed with ... LAG/LEAD functions", and every measure of an OVER on one
        # window ("All aggregates must be computed on the same window").
        run.report("E701", "lag() runs only in a rolling stage without a window in Flink", st.over.span,
                   "remove the `window` line (the stage then reads every row before, in time order), or compute "
                   "lag() in a rolling stage of its own")
    sort = _sort_read(run, inp) if st.partition_by else None
    if sort is not None and (st.over is None or inp.proc_time is None):
        # Flink 2.3 plans a partitioned OVER right on a sort (or on columns picked from one) with no physical node:
        # "There are not enough rules to produce a node ... Missing conversion is FlinkLogicalSort". Measured to
        # plan: no partition; a computed column or a filter between them; a window over rows that carry a
        # processing-time column (Flink computes that column between the sort and the OVER).
        run.report("E701", f"`{st.name}` is partitioned, and Flink cannot run that right after sort `{sort.name}`",
                   st.pos("name"), f"read `{sort.name}`'s input instead (a rolling stage reads its rows in time "
                   "order itself)")
    return Relation(st.name, st, _outputs(run, cols, st), constants=inp.constants, **carried_time(inp))


def _sort_read(run: Run, rel: Relation) -> ir.Sort | None:
    """The sort whose rows ``rel`` is, through transforms that only pick or rename columns (Flink merges them)."""
    st = rel.statement
    while (isinstance(st, ir.Transform) and st.where is None and st.select is not None
           and all(isinstance(it.expr, ir.Column) for it in st.select.items)):
        inp = run.relation(st.input)
        if inp is None:
            return None
        st = inp.statement
    return st if isinstance(st, ir.Sort) else None


@RELATION.register(ir.Join)
def _join(st: ir.Join, run: Run, types: Types) -> Relation | None:
    left, right = run.relation(st.left), run.relation(st.right)
    if left is None or right is None:
        return None
    if st.outer_left:
        # Rows of the left side without a match carry nulls in every right-side column.
        right = replace(right, columns=[Col(c.name, c.type.with_null(True)) for c in right.columns])
    scope = Scope({st.left: left, st.right: right}, [st.left, st.right])
    types.condition(st.on, scope, Ctx(what="in a join condition"), "on")
    if not _has_equality(st.on, st.left, st.right, left, right):
        run.report("E108", "a join needs at least one equality between the two sides", st.on.span,
                   f"e.g. on {st.left}.id = {st.right}.id")
    rel = Relation(st.name, st, [], time_origin=left.time_origin)
    if st.join_kind == "regular":
        rel.time_note = "join"
        rel.updating = left.updating or right.updating or st.outer_left
    items = _select(types, st.select, scope, left.columns + right.columns, Ctx(what="in a select"))
    rel.columns = _outputs(run, [(n, t, s) for n, t, s, _ in items], st)
    if st.join_kind in ("interval", "temporal", "lookup"):
        for n, _t, _s, it in items:
            if it is not None and isinstance(it.expr, ir.Column):
                _, q, _ = scope.resolve(it.expr.path)
                if q == st.left and it.expr.path in ((left.event_time,), (q, left.event_time)):
                    rel.event_time = rel.event_time or n  # the first copy, as in a transform
        if rel.event_time is None:
            rel.time_note = "dropped"
            rel.time_origin = st.name
    if st.join_kind == "temporal":
        rel.key_casts = _key_casts(st, scope, types.quiet(), left, right, right.key)
    elif st.join_kind == "lookup":
        # A lookup reads the table by the columns the condition equates: Flink 2.3 casts a column compared with
        # another type and then finds none to look up by ("Temporal table join requires an equality condition on
        # fields of table").
        rel.key_casts = _key_casts(st, scope, types.quiet(), left, right, tuple(c.name for c in right.columns))
    if st.select.star:
        run.report("E109", "a join's select lists its columns; `*` would repeat the join keys", st.select.span,
                   f"name the columns, e.g. {st.left}.id, {st.right}.name")
    return rel


def _sides(e: ir.Expr) -> list[ir.Binary]:
    if isinstance(e, ir.Binary) and e.op == "and":
        return _sides(e.left) + _sides(e.right)
    return [e] if isinstance(e, ir.Binary) and e.op == "=" else []


def _qualifier(c: ir.Expr, left: str, right: str, lrel: Relation, rrel: Relation) -> str | None:
    if not isinstance(c, ir.Column):
        return None
    if c.path[0] in (left, right) and len(c.path) > 1:
        return c.path[0]
    if lrel.column(c.path[0]) and not rrel.column(c.path[0]):
        return left
    if rrel.column(c.path[0]) and not lrel.column(c.path[0]):
        return right
    return None


def _has_equality(on: ir.Expr, left: str, right: str, lrel: Relation, rrel: Relation) -> bool:
    for eq in _sides(on):
        qs = {_qualifier(eq.left, left, right, lrel, rrel), _qualifier(eq.right, left, right, lrel, rrel)}
        if qs == {left, right}:
            return True
    return False


def equates_keys(on: ir.Expr, right: str, key: tuple[str, ...]) -> bool:
    """Whether a join condition compares every key column of the right side (``right.k = ...``)."""
    found = set()
    for eq in _sides(on):
        for side in (eq.left, eq.right):
            if isinstance(side, ir.Column) and side.path[0] == right and len(side.path) == 2:
                found.add(side.path[1])
    return set(key) <= found


def key_comparisons(on: ir.Expr, right: str, key: tuple[str, ...], scope: Scope | None = None
                    ) -> list[tuple[ir.Binary, str, ir.Expr]]:
    """The top-level equalities of a join condition that compare a key column of the right side (``right.k``, or
    ``k`` when ``scope`` finds it there) with something else: (the equality, the key column, the other side)."""
    def names_key(side: ir.Expr) -> bool:
        if not isinstance(side, ir.Column) or side.path[-1] not in key:
            return False
        if len(side.path) == 2:
            return side.path[0] == right
        return len(side.path) == 1 and scope is not None and scope.resolve(side.path)[1] == right

    out = []
    for eq in _sides(on):
        for side, other in ((eq.right, eq.left), (eq.left, eq.right)):
            if names_key(side):
                out.append((eq, side.path[-1], other))  # type: ignore[union-attr]
                break
    return out


def is_column(e: ir.Expr, table: str, name: str | None) -> bool:
    """Whether ``e`` is column ``name`` of ``table``, plain or qualified."""
    return name is not None and isinstance(e, ir.Column) and e.path in ((name,), (table, name))


def _key_casts(st: ir.Join, scope: Scope, quiet: Types, left: Relation, right: Relation,
               keys: tuple[str, ...]) -> dict[Any, KeyCast]:
    """The comparisons of a temporal or lookup join's ``keys`` (of the table) that Flink would plan by casting the
    key (see ``KeyCast``)."""
    out = {}
    for eq, k, other in key_comparisons(st.on, st.right, keys, scope):
        key, other_type = right.column(k), quiet.type_of(other, scope, Ctx())
        if key is None or other_type is None or k == right.event_time:
            continue  # an unknown key is reported with its source; one that is the event time by the time pass
        exact = other_type.with_null(True) == key.type.with_null(True)
        if not exact or is_column(other, st.left, left.event_time):
            out[eq] = KeyCast(other, key.type.with_null(True), exact)
    return out


@RELATION.register(ir.Dedup)
def _dedup(st: ir.Dedup, run: Run, types: Types) -> Relation | None:
    inp = run.relation(st.input)
    if inp is None:
        return None
    for k in st.key:
        if inp.column(k) is None:
            run.report("E104", f"unknown field `{k}` in key", st.pos("key"), suggest(k, [c.name for c in inp.columns]))
    rel = Relation(st.name, st, list(inp.columns), constants=inp.constants, **carried_time(inp))
    if st.keep == "last":
        rel.updating = True
        rel.key = st.key
    return rel


def _partition_by(run: Run, types: Types, cols: tuple[ir.Column, ...], scope: Scope) -> list[T.SqlType | None]:
    """The types of a top-N's or a pattern's partition columns, which must be top-level ones."""
    out = [types.type_of(p, scope, Ctx(what="in partition by")) for p in cols]
    _top_level(run, cols, "partition by takes top-level columns")
    return out


def _constant_order(run: Run, st: ir.TopN, inp: Relation) -> None:
    """Flink folds a column known to hold one value to a literal, and refuses a top-N ordered by nothing else
    (Flink 2.3: "The window rank function requires order by clause with non-constant fields"). A column computed
    as `nullif(x, x)` is null whatever x is: Flink folds it where it knows x is never null, which the checks do not
    know where x is a function's value (`length(device)`: Flink's is never null of a field never null), so a top-N
    ordered by nothing else is refused then; of a field that may be null Flink plans it."""
    names = [o.column.path[0] for o in st.order_by if len(o.column.path) == 1]

    def inputs(rel: Relation) -> list[Relation]:
        return [r for r in map(run.relation, ir.statement_inputs(rel.statement)) if r is not None]

    def always_null(name: str) -> bool:
        found = defined_in(run.relation, inp, name)
        if found is None:
            return False
        owner, e = found
        if not (isinstance(e, ir.Call) and e.name == "nullif" and len(e.args) == 2
                and expr(e.args[0]) == expr(e.args[1])):
            return False
        x, at = e.args[0], inputs(owner)
        if isinstance(x, ir.Column) and len(x.path) <= 2:
            read = next((r for r in at if r.column(x.path[-1]) is not None), None)
            found = defined_in(run.relation, read, x.path[-1]) if read is not None else None
            if found is None:
                return False  # a field: Flink knows whether it may be null, as the checks do
            x, at = found[1], inputs(found[0])
        return _of_never_null(x, at)

    if not names or len(names) < len(st.order_by) or not all(n in inp.constants or always_null(n) for n in names):
        return
    cols, holds = ", ".join(f"`{n}`" for n in names), "it holds" if len(names) == 1 else "each holds"
    run.report("E701", f"a top-N cannot order only by {cols}: Flink knows {holds} one value in `{st.input}`",
               st.order_by[0].span,
               "order by a column whose values differ from row to row; a literal, or a filter such as `where x = 3` "
               "or `having m is null`, fixes a column")


def _of_never_null(e: ir.Expr, inputs: list[Relation]) -> bool:
    """Whether every column ``e`` reads is never null in ``inputs`` (and it holds no null): Flink then takes most
    values computed of them to be never null too."""
    if isinstance(e, ir.NullLit):
        return False
    if isinstance(e, ir.Column):
        # `input.col` names a column of that input; otherwise the first name is the column (a field's record)
        qualified = len(e.path) == 2 and e.path[0] in {r.name for r in inputs}
        name = e.path[-1] if qualified else e.path[0]
        col = next((c for r in inputs for c in r.columns if c.name == name), None)
        return col is not None and not col.type.nullable
    return all(_of_never_null(c, inputs) for c in children(e))


@RELATION.register(ir.TopN)
def _topn(st: ir.TopN, run: Run, types: Types) -> Relation | None:
    inp = run.relation(st.input)
    if inp is None:
        return None
    scope = Scope({st.input: inp}, [st.input])
    _partition_by(run, types, st.partition_by, scope)
    for o in st.order_by:
        types.type_of(o.column, scope, Ctx(what="in order by"))
    _constant_order(run, st, inp)
    if inp.windowed and not inp.updating and inp.event_time is None and inp.proc_time is not None:
        # Flink 2.3: "Processing time Window TopN is not supported yet."
        run.report("E701", f"a top-N of the processing-time windows of `{st.input}` is not supported by Flink",
                   st.pos("name"), "window on the event time, or take the top-N of the rows before the window")
    never = _never_in(run, inp.statement) if inp.windowed and not inp.updating else None
    if never is not None:
        # Flink 2.3 plans the windows of no rows as no rows, not as windows, and the top-N then updates: "doesn't
        # support consuming update and delete changes which is produced by node Rank".
        run.report("E701", f"the windows of `{st.input}` hold no row ({describe(never)}), so Flink cannot take a "
                   "window top-N of them", never[0].span,
                   "fix the condition (`x is null` tests for null: a comparison with null is never true)")
    cols: list[Item] = [(c.name, c.type, None) for c in inp.columns] + [("rownum", T.BIGINT.with_null(False), st.span)]
    rel = Relation(st.name, st, _outputs(run, cols, st), constants=inp.constants, **carried_time(inp, keep=False))
    if inp.windowed and not inp.updating:
        rel.windowed = True
        rel.event_time = inp.event_time
        rel.time_note = inp.time_note
    else:
        rel.updating = True
        rel.key = tuple(p.path[-1] for p in st.partition_by) + ("rownum",)
        rel.time_note = "aggregate"
    return rel


RANK_BOUNDS = ("<", "<=", "=", ">", ">=")


def _never_in(run: Run, st: Any) -> list[ir.Expr] | None:
    """The conjuncts of a stage's where or having that never hold together (``conditions.never_holds``), if any."""
    for cond, rel in ((getattr(st, "where", None), run.relation(getattr(st, "input", ""))),
                      (getattr(st, "having", None), run.relation(st.name))):
        if cond is not None and rel is not None:
            never = never_holds(cond, lambda path, rel=rel: next(
                (c.type for c in rel.columns if len(path) == 1 and c.name == path[0]), None))
            if never:
                return never
    return None


def _rank_filter(run: Run, where: ir.Expr, inp: Relation, stage: str) -> None:
    """A filter of ``inp`` (read by ``stage``) whose conjunct reaches a top-N (``_ranks_reached``): Flink 2.3
    merges it into the top-N. A conjunct reading the top-N's ``rownum`` (or a copy of it) other than by whole
    numbers leaves no top-N but an OVER aggregate: after a window top-N an updating one ("doesn't support consuming
    update and delete changes which is produced by node OverAggregate"), after another one that Flink plans only
    ordered by one time attribute, ascending ("The window can only be ordered in ASCENDING mode", "... by a single
    time column"; measured with and without a partition). Whole-number bounds stay a top-N, which must keep some
    row number ("Rank end should not less than zero": `rownum <= 0`, `rownum in (0)`, `rownum < 1`; `rownum <= 0.5`
    plans), after every kind of top-N."""
    ends: dict[str, int] = {}
    for c in conjuncts(where):
        for rel, reads in _ranks_reached(run, inp, frozenset(_read(c, stage))):
            if not any("rownum" in cols for cols, _copy in reads.values()):
                continue
            topn = rel.statement
            bounds = _rank_bounds(c, {n for n, (cols, copy) in reads.items() if copy and cols == {"rownum"}})
            if bounds is None:
                ranked = run.relation(topn.input)
                times = {ranked.event_time, ranked.proc_time} - {None} if ranked is not None else set()
                by_time = (len(topn.order_by) == 1 and topn.order_by[0].direction == "asc"
                           and topn.order_by[0].column.path[-1] in times)
                if rel.windowed:
                    run.report("E701", f"Flink cannot keep `{topn.name}` a window top-N with `{expr(c)}` after "
                               "it", c.span, "filter `rownum` only by whole numbers (`rownum <= 2`, `rownum > 1`, "
                               "`rownum between 2 and 3`)")
                    return
                if not by_time:
                    run.report("E701", f"Flink cannot keep `{topn.name}` a top-N with `{expr(c)}` after it",
                               c.span, "filter `rownum` only by whole numbers (`rownum <= 2`, `rownum > 1`); "
                               "Flink takes any filter of it only after a top-N ordered by the time, ascending")
                    return
                continue
            for op, v in bounds:
                if op in ("<", "<=", "=") and v == v.to_integral_value():  # the last row kept (`<= 0.5` plans)
                    ends[topn.name] = min(ends.get(topn.name, topn.limit), int(v) - (op == "<"))
    for name, end in ends.items():
        if end < 1:
            run.report("E701", f"the filter after `{name}` leaves no row number (`rownum` at most {end}), which "
                       "Flink refuses", where.span, "keep rows from `rownum` 1 on, or drop the stage")
            return


Reads = dict[str, tuple[frozenset[str], bool]]  # a column -> the columns it reads there, and whether it copies one


def _ranks_reached(run: Run, rel: Relation | None, names: frozenset[str], depth: int = 0
                   ) -> list[tuple[Relation, Reads]]:
    """The top-Ns a filter reading columns ``names`` of ``rel`` reaches in Flink's plan, each with the top-N's
    columns each name reads (and whether it is a plain copy of one). Flink merges a transform's view (a computed
    column is its expression there), moves a filter below an aggregate without a window when it reads only group
    keys, into the side of a join it reads (the left, or the right of an inner regular or interval join; copies
    only) and into every input of a union (measured: class L through a join's and a union's copies of `rownum`,
    session 8)."""
    if rel is None or depth > 50 or not names:
        return []
    if isinstance(rel.statement, ir.TopN):
        return [(rel, {n: (frozenset({n}), True) for n in names})]
    out = []
    for inp, reads in _filter_moves(run, rel):
        if names <= reads.keys():
            below = frozenset().union(*(reads[n][0] for n in names))
            for r, cols in _ranks_reached(run, run.relation(inp), below, depth + 1):
                out.append((r, {n: (frozenset().union(*(cols[c][0] for c in reads[n][0])),
                                    reads[n][1] and all(cols[c][1] for c in reads[n][0])) for n in names}))
    return out


def _filter_moves(run: Run, rel: Relation) -> list[tuple[str, Reads]]:
    """Where Flink moves a filter of ``rel`` (``_ranks_reached``): each input, with what each column of ``rel``
    that the filter may read reads there."""
    st = rel.statement
    moves: list[tuple[str, Reads]] = []
    if isinstance(st, ir.Transform):
        reads: Reads = {c.name: (frozenset({c.name}), True) for c in run.relation(st.input).columns} if (  # type: ignore[union-attr]
            st.select is None or st.select.star) else {}
        for it in st.select.items if st.select is not None else ():
            name = it.alias or output_name(it.expr)
            if name is not None:
                reads[name] = (frozenset(_read(it.expr, st.input)), isinstance(it.expr, ir.Column))
        moves = [(st.input, reads)]
    elif isinstance(st, ir.Aggregate) and st.window is None:
        moves = [(st.input, {g.path[-1]: (frozenset({g.path[-1]}), True) for g in st.group_by if len(g.path) == 1})]
    elif isinstance(st, ir.Union):
        moves = [(n, {c.name: (frozenset({c.name}), True) for c in rel.columns}) for n in st.inputs]
    elif isinstance(st, ir.Join):
        left, right = run.relation(st.left), run.relation(st.right)
        if left is None or right is None:
            return moves
        scope = Scope({st.left: left, st.right: right}, [st.left, st.right])
        sides: dict[str, Reads] = {st.left: {}, st.right: {}}
        for it in st.select.items:
            if isinstance(it.expr, ir.Column):
                _t, q, _err = scope.resolve(it.expr.path)
                path = it.expr.path[1:] if it.expr.path[0] == q else it.expr.path
                if q in sides and len(path) == 1:
                    sides[q][it.alias or path[0]] = (frozenset({path[0]}), True)
        pushed = [st.left] + ([st.right] if st.join_kind in ("regular", "interval") and not st.outer_left else [])
        moves = [(side, sides[side]) for side in pushed]
    return moves


def _proc_windows_behind(run: Run, rel: Relation | None) -> tuple[Relation, dict[str, frozenset[str]]] | None:
    """The processing-time window aggregate a filter on ``rel`` reaches in Flink's plan: ``rel`` itself, or one
    behind transforms (Flink merges their views), with the aggregate's columns each column of ``rel`` reads."""
    chain: list[Reads] = []  # each transform's reads of its input (``_filter_moves``), the last one first
    while rel is not None and len(chain) < 100:
        st = rel.statement
        if isinstance(st, ir.Aggregate) and st.window is not None and rel.proc_time == "window_time":
            reads = {c.name: frozenset({c.name}) for c in rel.columns}
            for step in reversed(chain):
                reads = {name: frozenset().union(*(reads.get(c, frozenset()) for c in cols))
                         for name, (cols, _copy) in step.items()}
            return rel, reads
        if not isinstance(st, ir.Transform):
            return None
        chain.append(_filter_moves(run, rel)[0][1])
        rel = run.relation(st.input)
    return None


def _read(e: ir.Expr, *stages: str) -> set[str]:
    """The columns an expression reads (``column``, or ``stage.column`` for a stage of ``stages``; a record's
    field as its column)."""
    if isinstance(e, ir.Column):
        return {e.path[1] if len(e.path) > 1 and e.path[0] in stages else e.path[0]}
    return set().union(*(_read(c, *stages) for c in children(e)))


def _window_bounds_filter(run: Run, cond: ir.Expr, rel: Relation | None, *stages: str) -> None:
    """A filter reaching a processing-time window aggregate (``_proc_windows_behind``; ``stages`` name what
    ``cond``'s columns may be qualified by). Flink 2.3 moves a conjunct that reads only the aggregate's group (the
    window's bounds and its keys) below the aggregate, which is then no window aggregate but an updating
    GroupAggregate ("doesn't support consuming update changes which is produced by node GroupAggregate"; measured
    with `window_start > TIMESTAMP ...`, `window_end > window_start`, `window_time > ...` and with a key beside a
    bound). Null tests of the bounds and conjuncts that never hold fold away and plan, and so does an aggregate's
    where reading the windows, with or without a window of its own (measured). A transform's filter is refused
    whatever reads it (an aggregate without a window would take the updates), as PipeGen keeps windows
    append-only."""
    found = _proc_windows_behind(run, rel)
    if found is None:
        return
    agg, reads = found
    group = set(WINDOW_COLUMNS) | {g.path[-1] for g in agg.statement.group_by}
    for c in conjuncts(cond):
        if isinstance(c, ir.IsNull) or never_holds(c, lambda path: None):
            continue
        cols = frozenset().union(*(reads.get(n, frozenset({n})) for n in _read(c, *stages)))
        if cols and cols <= group and cols & set(WINDOW_COLUMNS):
            run.report("E701", f"Flink cannot filter the processing-time windows of `{agg.name}` by their bounds "
                       f"(`{expr(c)}`)", c.span, "filter the rows before the window, or window on the event time")
            return


def _rank_bounds(c: ir.Expr, names: set[str] | None = None) -> list[tuple[str, Decimal]] | None:
    """``rownum op n`` (either way round; a whole n for ``=``), ``rownum between n and m``, ``rownum in (n)``,
    ``rownum is not null``, n and m whole numbers (``rownum`` or a column of ``names``, its copies): the bounds
    they set; None for anything else."""
    def whole(e: ir.Expr) -> Decimal | None:
        v = literal(e)
        return v if isinstance(v, Decimal) and v == v.to_integral_value() else None

    def rownum(e: ir.Expr) -> bool:
        return isinstance(e, ir.Column) and len(e.path) == 1 and e.path[0] in (names or {"rownum"})

    if isinstance(c, ir.Binary) and c.op in RANK_BOUNDS:
        for col, lit, op in ((c.left, c.right, c.op), (c.right, c.left, FLIP[c.op])):
            v = literal(lit) if op != "=" else whole(lit)  # `rownum < 2.5` plans
            if rownum(col) and isinstance(v, Decimal):
                return [(op, v)]
    if isinstance(c, ir.Between) and not c.negated and rownum(c.operand) and None not in (whole(c.low),
                                                                                          whole(c.high)):
        return [(">=", whole(c.low)), ("<=", whole(c.high))]  # type: ignore[list-item]
    if isinstance(c, ir.InList) and not c.negated and rownum(c.operand) and len(c.items) == 1 \
            and whole(c.items[0]) is not None:
        return [("=", whole(c.items[0]))]  # type: ignore[list-item]
    if isinstance(c, ir.IsNull) and c.negated and rownum(c.operand):
        return []
    return None


@RELATION.register(ir.Sort)
def _sort(st: ir.Sort, run: Run, types: Types) -> Relation | None:
    inp = run.relation(st.input)
    if inp is None:
        return None
    scope = Scope({st.input: inp}, [st.input])
    for o in st.order_by[1:]:  # the first key is the time attribute: the time pass checks it
        t = types.type_of(o.column, scope, Ctx(what="in order by"))
        if t is not None and t.base == "MAP":  # Flink 2.3: "Type(MAP<...>) is not an orderable data type"
            col = ".".join(o.column.path)
            run.report("E201", f"a sort key cannot be a map (`{col}` is {t.describe()})", o.column.span,
                       f'sort by one of its values: select it in a transform first, e.g. `v = item({col}, "key")`')
    # The same rows in time order: the input's columns, time and key; append-only (the time pass asks it).
    return Relation(st.name, st, list(inp.columns), key=inp.key, constants=inp.constants, pinned=inp.pinned,
                    **carried_time(inp))


UNBOUNDED = 1 << 31


def _repeats(quantifier: str | None) -> tuple[int, int]:
    """How many rows a pattern term matches, at least and at most."""
    if quantifier is None:
        return 1, 1
    fixed = {"+": (1, UNBOUNDED), "*": (0, UNBOUNDED), "?": (0, 1)}
    if quantifier in fixed:
        return fixed[quantifier]
    lo, _, hi = quantifier.strip("{}").partition(",")
    return int(lo), int(hi) if hi else UNBOUNDED


def _conjuncts(e: ir.Expr | None) -> list[str]:
    """The conditions ``e`` ands together, each printed as the spec would be (none: a variable left undefined,
    which Flink takes as true)."""
    if e is None:
        return []
    if isinstance(e, ir.Binary) and e.op == "and":
        return _conjuncts(e.left) + _conjuncts(e.right)
    from ..printer import expr

    return [expr(e)]


def _greedy_then_implied(st: ir.Pattern, run: Run, ts: str) -> None:
    """A variable after a greedy one whose condition holds only where the greedy one's does: Flink 2.3's CEP
    (``NFACompiler.updateWithGreedyCondition``) adds "and not <the greedy variable's condition>" to the next
    variable's after `+`, `*`, `{n,}` and `{n,m}` (n < m; not `?` or `{n,n}`), so the next one never matches and
    the pattern emits nothing. Found when the next one's condition ands together every condition the greedy one's
    does (the same printed), or is the same."""
    conditions = {d.variable: d.condition for d in st.defines}
    for before, after in zip(st.sequence, st.sequence[1:]):
        lo, hi = _repeats(before.quantifier)
        if hi == lo or before.quantifier == "?":
            continue
        greedy, following = _conjuncts(conditions.get(before.variable)), _conjuncts(conditions.get(after.variable))
        if not set(greedy) <= set(following):
            continue
        g, n = before.variable, after.variable
        rest = [c for c in following if c not in greedy]
        if not greedy:
            fix = f"define `{g}` (Flink takes a variable left undefined as true)"
        elif rest:
            own = " and ".join(greedy)
            fix = f"`{g} = {own} and not ({' and '.join(rest)})`"
        else:
            since = f"seconds_between(first({g}.{ts}), {ts})"
            fix = f"count a fixed number of rows, e.g. `{g}{{3,3}} {n}`, or bound `{g}` in time, e.g. " \
                  f"`{g} = ... and {since} <= 300` with `{n} = ... and {since} > 300`"
        run.report("E701", f"`{n}` can never match on Flink: after the greedy `{g}{before.quantifier}` Flink 2.3 "
                   f"takes a row for `{n}` only where `{g}`'s condition is false, and `{n}`'s implies it", after.span,
                   fix if not greedy else f"make `{g}`'s condition exclude `{n}`'s: {fix}")


@RELATION.register(ir.Pattern)
def _pattern(st: ir.Pattern, run: Run, types: Types) -> Relation | None:
    inp = run.relation(st.input)
    if inp is None:
        return None
    scope = Scope({st.input: inp}, [st.input])
    keys = _partition_by(run, types, st.partition_by, scope)
    variables = [t.variable for t in st.sequence]
    defined = [d.variable for d in st.defines]
    last = st.sequence[-1]
    if last.quantifier is not None:
        # Flink 2.3: "Greedy quantifiers are not allowed as the last element of a Pattern yet."
        run.report("E701", f"a pattern cannot end with a repeated variable (`{last.variable}{last.quantifier}`) "
                   "in Flink", last.span, f"end the sequence with a single variable, e.g. "
                   f"`{last.variable}{last.quantifier} {last.variable}_end`")
    for before, after in zip(st.sequence, st.sequence[1:]):
        (lo, hi), (alo, ahi) = _repeats(before.quantifier), _repeats(after.quantifier)
        if hi > lo and (lo, hi) != (0, 1) and alo == 0 and ahi in (1, UNBOUNDED):
            # Flink 2.3: "Optional pattern cannot be preceded by greedy pattern", after any repetition of a varying
            # count (`+`, `*`, `{1,3}`, `{2,}`; not `?` or `{2,2}`), for `?`, `*`, `{0,1}` and `{0,}` (not `{0,2}`).
            run.report("E701", f"an optional variable (`{after.variable}{after.quantifier}`) cannot follow a "
                       f"repeated one (`{before.variable}{before.quantifier}`) in Flink", after.span,
                       f"put a single variable between them, or make `{after.variable}` required")
    _greedy_then_implied(st, run, inp.event_time or "ts")
    for d in st.defines:
        if d.variable not in variables:
            run.report("E104", f"`{d.variable}` is defined but not in the sequence", d.pos("variable"),
                       suggest(d.variable, variables))
    if len(set(defined)) != len(defined):
        run.report("E101", "a pattern variable is defined twice", st.span)
    vscope = Scope({**{v: inp for v in dict.fromkeys(variables)}, st.input: inp}, [st.input],
                   pattern_vars=tuple(variables))
    for d in st.defines:
        types.condition(d.condition, vscope, Ctx(aggregates=True, navigation=True, stage="pattern"), "define")
    cols: list[Item] = [(p.path[-1], t, p.span) for p, t in zip(st.partition_by, keys)]
    for m in st.measures:
        cols.append((m.name, types.type_of(m.expr, vscope, Ctx(aggregates=True, navigation=True, what="in measures",
                                                                stage="pattern")), m.pos("name")))
    return Relation(st.name, st, _outputs(run, cols, st), time_note="aggregate", **carried_time(inp, keep=False))


@RELATION.register(ir.Union)
def _union(st: ir.Union, run: Run, types: Types) -> Relation | None:
    inputs = [run.relation(n) for n in st.inputs]
    if any(r is None for r in inputs):
        return None
    first, rest = inputs[0], inputs[1:]
    assert first is not None
    names = [c.name for c in first.columns]
    cols: list[Item] = []
    ok = True
    for i, rel in enumerate(rest, start=1):
        assert rel is not None
        other = [c.name for c in rel.columns]
        if set(other) != set(names):
            missing, extra = [n for n in names if n not in other], [n for n in other if n not in names]
            what = "; ".join(p for p in (f"it lacks {', '.join(missing)}" if missing else "",
                                         f"it has {', '.join(extra)} too" if extra else "") if p)
            run.report("E111", f"`{rel.name}` has other columns than `{first.name}`: {what}", st.pos(f"input{i}"),
                       "a union needs the same column names in every input: add a transform that selects them")
            ok = False
    for c in first.columns:
        typed = [(first.name, c.type)] + [(r.name, r.column(c.name).type) for r in rest if ok]  # type: ignore[union-attr]
        t = T.unify([x for _, x in typed], leading=True)
        if t is None:
            run.report("E201", f"column `{c.name}` has types that do not fit together: "
                       + ", ".join(f"{x.describe()} in `{n}`" for n, x in typed), st.span,
                       "cast it to one type in a transform before the union")
        cols.append((c.name, t, None))
    rel = Relation(st.name, st, _outputs(run, cols, st), updating=any(r.updating for r in inputs),  # type: ignore[union-attr]
                   **carried_time(first, keep=False))
    # The union keeps event time when every input has it, in a column of the same name.
    procs = {r.proc_time for r in inputs}  # type: ignore[union-attr]
    rel.proc_time = first.proc_time if len(procs) == 1 else None
    lacking = next((r for r in inputs if r.event_time is None), None)  # type: ignore[union-attr]
    if lacking is not None:
        rel.time_note, rel.time_origin = lacking.time_note, lacking.time_origin
        rel.declared_time = lacking.declared_time
    elif len({r.event_time for r in inputs}) == 1:  # type: ignore[union-attr]
        rel.event_time, rel.time_note = first.event_time, first.time_note
    else:
        rel.time_note, rel.time_origin = "dropped", st.name
    return rel


def unnest_items(item: str, elem: T.SqlType) -> list[tuple[str, T.SqlType]]:
    """The columns an unnest adds: the item, or for an array of records ``<item>_<field>`` per field."""
    if elem.base == "ROW":
        return [(f"{item}_{n}", t.with_null(True)) for n, t in elem.fields]
    return [(item, elem.with_null(True))]


@RELATION.register(ir.Unnest)
def _unnest(st: ir.Unnest, run: Run, types: Types) -> Relation | None:
    inp = run.relation(st.input)
    if inp is None:
        return None
    t = types.type_of(st.array, Scope({st.input: inp}, [st.input]), Ctx(what="in unnest"))
    cols: list[Item] = [(c.name, c.type, None) for c in inp.columns]
    if t is not None and t.base == "ANY":  # an array already reported as broken: one mistake, one error
        cols.append((st.item, T.ANY, st.array.span))
    elif t is not None and (t.base != "ARRAY" or t.elem is None):
        run.report("E201", f"unnest takes an array, not {t.describe()}", st.array.span,
                   "name an array column, e.g. each tag in tags")
    elif t is not None:
        cols += [(n, it, st.array.span) for n, it in unnest_items(st.item, t.elem)]  # type: ignore[arg-type]
    # Rows of the input are repeated, not changed: its time, changelog and key go on (a key now repeats).
    return Relation(st.name, st, _outputs(run, cols, st), updating=inp.updating, windowed=inp.windowed,
                    constants=inp.constants, **carried_time(inp))


@RELATION.register(ir.Sink)
def _sink(st: ir.Sink, run: Run, types: Types) -> Relation | None:
    inp = run.relation(st.input)
    if inp is None:
        return None
    for c in inp.columns:
        if c.type.base in ("INTERVAL", "NULL"):
            run.report("E501",
                       f"column `{c.name}` of `{st.input}` has type {c.type.describe()}, which Avro cannot hold",
                       st.pos("input"), "cast it, e.g. `x = cast(... as string)`, in the stage before the sink")
    # A sink's topic holds plain timestamps: a processing-time column is written as a timestamp(3).
    cols = [Col(c.name, T.SqlType("TIMESTAMP", c.type.nullable, precision=3) if c.type.base == "TIMESTAMP_LTZ"
                else c.type) for c in inp.columns]
    for c in cols:
        _origin_type(run, st, c, st.pos("files"))
    return Relation(st.name, st, cols, updating=inp.updating, key=st.key)

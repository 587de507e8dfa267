"""The names and graph passes: every name defined once, every input defined, no cycles."""

from __future__ import annotations

import re
from typing import Any

from .. import ir
from .model import Run, suggest

TOPIC_RE = re.compile(r"^[A-Za-z0-9._-]{1,249}$")


def names(run: Run) -> None:
    """Names are unique (also as schema files), topics valid, no sink topic read back."""
    p = run.spec.pipeline
    files: dict[str, Any] = {}
    for st in run.spec.statements:
        if st.name in run.by_name:
            first = run.by_name[st.name]
            line = first.span.line if first.span else "?"
            run.report("E101", f"`{st.name}` is already defined on line {line}", st.pos("name"),
                        "every source, stage and sink needs its own name")
            continue
        run.by_name[st.name] = st
        if isinstance(st, (ir.Source, ir.Sink)):
            # schemas/<name>-value.avsc: two names that differ only in case would be one file on a
            # case-insensitive file system (macOS, Windows), the second silently replacing the first.
            other = files.setdefault(st.name.lower(), st)
            if other is not st:
                run.report("E101", f"`{st.name}` and `{other.name}` differ only in case; their schema files "
                            f"would be the same file on macOS or Windows", st.pos("name"),
                            "give sources and sinks names that differ in more than case")
        if isinstance(st, (ir.Source, ir.Sink)):
            _origin(run, st)
    _functions(run, p)
    if p.domain is not None and not re.fullmatch(r"[a-z][a-z0-9_]*", p.domain):
        run.report("E107", f"domain `{p.domain}` should be lower case", p.pos("domain"),
                    "use a lower-case word such as ecommerce, fintech, iot")
    # Several sinks may write one topic or folder (the time and changelog pass checks that their rows agree).
    written: dict[tuple[str, str], Any] = {}
    for st in run.spec.statements:
        where = _written(st)
        if isinstance(st, ir.Sink) and where is not None:
            written.setdefault(where, st.name)
    for st in run.spec.statements:
        where = _written(st)
        if isinstance(st, ir.Source) and where in written:
            run.report("E105", f"source `{st.name}` reads {where[0]} {where[1]!r}, which sink `{written[where]}` "  # type: ignore[index]
                       "writes", st.pos(where[0]), "a pipeline must not read its own output; use the stage directly")  # type: ignore[index]


IMPLEMENTATION = {"java": re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+"),
                  "python": re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")}


def _functions(run: Run, p: ir.Pipeline) -> None:
    """Functions of the user's own: each named once and not like a function of the language; a Java class or a
    Python `module.function` behind each."""
    from ..functions import FUNCTIONS

    seen: set[str] = set()
    for f in p.functions:
        if f.name in FUNCTIONS:
            run.report("E101", f"`{f.name}` is a function of the language", f.pos("name"),
                       "give your function another name")
        elif f.name in seen:
            run.report("E101", f"function `{f.name}` is declared twice", f.pos("name"), "declare it once")
        seen.add(f.name)
        if not IMPLEMENTATION[f.language].fullmatch(f.implementation):
            example = '"com.acme.RiskScore"' if f.language == "java" else '"scoring.risk_score"'
            what = "Java class" if f.language == "java" else "Python function"
            run.report("E405", f"{f.implementation!r} is not a {what} name", f.span,
                       f"write its full name, e.g. {f.language} {example}")


def _written(st: Any) -> tuple[str, str] | None:
    """Where a source reads or a sink writes, when two statements can meet there: a topic or a folder."""
    if not isinstance(st, (ir.Source, ir.Sink)):
        return None
    if st.topic is not None:
        return ("topic", st.topic)
    return ("files", st.files) if st.files is not None else None


# Connector options the spec's own clauses write; the others an `options` block may set or override.
LOCKED_OPTIONS = {"connector": "origin", "topic": "topic", "path": "files", "url": "jdbc", "table-name": "jdbc",
                  "format": "format", "value.format": "format", "key.format": "format", "key.fields": "key",
                  "changelog.mode": "mode"}
# The formats of each origin (the first is the default).
FORMATS = {"topic": ("avro", "json", "debezium_json"), "files": ("json", "csv"), "jdbc": (), "datagen": ()}


def origin_of(st: ir.Source | ir.Sink) -> str:
    if st.topic is not None:
        return "topic"
    if st.files is not None:
        return "files"
    return "jdbc" if isinstance(st, ir.Source) and st.jdbc is not None else "datagen"


def _origin(run: Run, st: ir.Source | ir.Sink) -> None:
    """The origin's own values are valid, and its format and mode fit it (E404, E405)."""
    origin = origin_of(st)
    if origin == "topic" and (not TOPIC_RE.match(st.topic) or st.topic in (".", "..")):  # type: ignore[arg-type]
        run.report("E404", f"{st.topic!r} is not a valid Kafka topic name", st.pos("topic"),
                   "a topic name has 1 to 249 letters, digits, '.', '_' or '-'")
    if origin == "files" and not st.files.strip():  # type: ignore[union-attr]
        run.report("E405", "the files of a source or sink need a folder", st.pos("files"),
                   'e.g. files "/data/orders" or files "s3://bucket/orders"')
    if origin == "jdbc" and not st.jdbc.url.startswith("jdbc:"):  # type: ignore[union-attr]
        run.report("E405", f"{st.jdbc.url!r} is not a JDBC URL", st.pos("jdbc"),  # type: ignore[union-attr]
                   'e.g. jdbc "jdbc:postgresql://localhost:5432/shop" table "customers"')
    formats = FORMATS[origin]
    if st.format is not None and st.format not in formats:
        where = {"topic": "a Kafka topic", "files": "files", "jdbc": "a jdbc table", "datagen": "datagen"}[origin]
        run.report("E405", f"format {st.format} does not go with {where}", st.pos("format"),
                   f"use {' or '.join(formats)}" if formats else f"{where} takes no format")
    if st.mode == "upsert" and (origin != "topic" or st.format == "debezium_json"):
        run.report("E405", "only a Kafka topic (not a debezium_json one) takes mode upsert", st.pos("mode"),
                   "leave the mode out" if origin != "topic" else "a debezium_json topic is a changelog already")
    if isinstance(st, ir.Sink) and st.partitioned_by and origin != "files":
        run.report("E405", "only files are partitioned", st.pos("partitioned_by"),
                   "write the sink to files \"...\" or leave `partitioned by` out")
    seen: set[str] = set()
    for o in st.options:
        if o.key in LOCKED_OPTIONS:
            run.report("E405", f"option {o.key!r} comes from the spec's {LOCKED_OPTIONS[o.key]}", o.span,
                       f"set it with the {LOCKED_OPTIONS[o.key]} clause, not as an option")
        elif o.key in seen:
            run.report("E102", f"option {o.key!r} is set twice", o.span, "set each option once")
        seen.add(o.key)
    if isinstance(st, ir.Sink) and origin == "files" and st.key:
        run.report("E405", "files take no key", st.pos("key"), "leave the key out, or partition the files by it")


def graph(run: Run) -> None:
    """Every input exists and is not a sink; no cycles; ``run.out.order`` is the dependency order."""
    names = list(run.by_name)
    valid: dict[str, tuple[str, ...]] = {}
    for name, st in run.by_name.items():
        ok = True
        roles = ir.input_roles(st)
        for role, inp in zip(roles, ir.statement_inputs(st)):
            target = run.by_name.get(inp)
            if target is None:
                run.report("E103", f"unknown stream `{inp}`", st.pos(role),
                            suggest(inp, [n for n in names if not isinstance(run.by_name[n], ir.Sink)])
                            or "define a source or stage with that name")
                ok = False
            elif isinstance(target, ir.Source) and target.jdbc is not None and not (
                    isinstance(st, ir.Join) and st.join_kind == "lookup" and role == "right"):
                run.report("E106", f"`{inp}` is a jdbc table, read by lookup: only a lookup join reads it "
                           "(as its right side)", st.pos(role),
                           f"join a stream with it: join ... from <stream>, {inp} {{ kind lookup ... }}")
                ok = False
            elif isinstance(target, ir.Sink):
                run.report("E106", f"`{inp}` is a sink; a sink cannot be read from", st.pos(role),
                            f"read from `{target.input}`, the stage that feeds it")
                ok = False
        if isinstance(st, ir.Join) and st.left == st.right:
            run.report("E106", f"join `{st.name}` joins `{st.left}` with itself", st.pos("right"),
                        "add a transform that copies the stream and join with that")
            ok = False
        if ok:
            valid[name] = ir.statement_inputs(st)
    # Depth-first topological order; report each cycle once.
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(n: str, stack: list[str]) -> bool:
        if state.get(n) == 2:
            return True
        if state.get(n) == 1:
            cycle = stack[stack.index(n):] + [n]
            st = run.by_name[n]
            run.report("E105", "cycle: " + " -> ".join(f"`{c}`" for c in reversed(cycle)), st.pos("name"),
                        "a stage cannot depend on itself, directly or through other stages")
            return False
        if n not in valid:
            return False
        state[n] = 1
        ok = all(visit(i, stack + [n]) for i in valid[n])
        state[n] = 2
        if ok:
            order.append(n)
        else:
            valid.pop(n, None)
        return ok

    for n in names:
        visit(n, [])
    run.out.order = order


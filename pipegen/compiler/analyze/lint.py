"""Warnings: specs Flink runs, but not as their authors likely mean. One rule per code; each yields
``(statement or node, message, span, hint)``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .. import ir
from .model import Run

Finding = tuple[str, "ir.Span | None", "str | None"]
RULES: dict[str, Callable[[Run], Iterator[Finding]]] = {}


def rule(code: str) -> Callable[[Callable[[Run], Iterator[Finding]]], Callable[[Run], Iterator[Finding]]]:
    def add(fn: Callable[[Run], Iterator[Finding]]) -> Callable[[Run], Iterator[Finding]]:
        RULES[code] = fn
        return fn
    return add


def lint(run: Run) -> None:
    for code, check in RULES.items():
        for message, span, hint in check(run):
            run.report(code, message, span, hint)


@rule("W601")
def unused(run: Run) -> Iterator[Finding]:
    """A stream no statement reads."""
    used = {i for st in run.spec.statements for i in ir.statement_inputs(st)}
    for st in run.spec.statements:
        if not isinstance(st, ir.Sink) and st.name not in used:
            yield (f"`{st.name}` is never used", st.pos("name"),
                   f"add a sink that reads it: sink ... from {st.name} {{ ... }}, or remove it")


@rule("W602")
def unbounded_join(run: Run) -> Iterator[Finding]:
    """A regular join of append-only streams keeps every row of both in state, with no state_ttl."""
    if run.spec.pipeline.state_ttl is not None:
        return
    for st, rel in _built(run, ir.Join):
        if st.join_kind == "regular" and not rel.updating:
            yield (f"regular join `{st.name}` keeps every row of both inputs in state forever",
                   st.pos("kind") or st.span,
                   "use kind interval(...) to bound it in time, or set `state_ttl` in the pipeline block")


@rule("W603")
def sink_dedup(run: Run) -> Iterator[Finding]:
    """An upsert sink fed by an updating stream with no key of its own deduplicates on the sink key."""
    for st, _rel in _built(run, ir.Sink):
        inp = run.relation(st.input)
        if st.mode == "upsert" and st.key and inp is not None and inp.updating and not inp.key:
            message = (f"`{st.input}` has no key of its own, so the sink deduplicates on {', '.join(st.key)} "
                       "(ON CONFLICT DO DEDUPLICATE), keeping every row's history in state")
            yield (message, st.pos("key"),
                   "aggregate or dedup by the sink key before the sink to keep state small")


@rule("W605")
def password_in_spec(run: Run) -> Iterator[Finding]:
    """A jdbc URL that carries a password: it is written as is into pipeline.pgl and sql/local/."""
    for st in run.spec.statements:
        if isinstance(st, ir.Source) and st.jdbc is not None and "password=" in st.jdbc.url.lower():
            yield (f"the jdbc URL of `{st.name}` holds a password, which the project's files then hold too",
                   st.pos("jdbc"), "keep the project out of version control, or give the database user no "
                   "password on a trusted network and set it where the job is deployed")


def _built(run: Run, cls: type) -> Iterator[tuple[Any, Any]]:
    for st, rel in run.built():
        if isinstance(st, cls):
            yield st, rel

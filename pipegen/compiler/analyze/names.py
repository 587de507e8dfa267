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
        if isinstance(st, (ir.Source, ir.Sink)) and not TOPIC_RE.match(st.topic) or (
            isinstance(st, (ir.Source, ir.Sink)) and st.topic in (".", "..")
        ):
            run.report("E404", f"{st.topic!r} is not a valid Kafka topic name", st.pos("topic"),
                        "a topic name has 1 to 249 letters, digits, '.', '_' or '-'")
    if p.domain is not None and not re.fullmatch(r"[a-z][a-z0-9_]*", p.domain):
        run.report("E107", f"domain `{p.domain}` should be lower case", p.pos("domain"),
                    "use a lower-case word such as ecommerce, fintech, iot")
    topics: dict[str, Any] = {}
    for st in run.spec.statements:
        if isinstance(st, ir.Sink):
            if st.topic in topics:
                run.report("E101", f"topic {st.topic!r} is written by sink `{topics[st.topic]}` too", st.pos("topic"),
                            "give each sink its own topic")
            topics[st.topic] = st.name
    for st in run.spec.statements:
        if isinstance(st, ir.Source) and st.topic in topics:
            run.report("E105", f"source `{st.name}` reads topic {st.topic!r}, which sink `{topics[st.topic]}` writes",
                        st.pos("topic"), "a pipeline must not read its own output; use the stage directly")

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


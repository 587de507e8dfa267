"""The generation loop of `pipegen init --describe`: plan, constrain, ask, check, repair.

The model is never trusted. The planner (``plan.py``) reads the request and makes the specs it may mean;
each is printed by the canonical printer and checked by the compiler, and the ones that pass become the
constraint (``constraint.py``). A backend that decodes under a grammar can only write one of them; a JSON
provider answers with the IR, which pydantic validates and the printer turns into `.pgl`. Either way the
compiler checks the answer again, and its diagnostics go back to the model for at most ``max_repairs``
more tries.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pipegen import api
from pipegen.backends.base import BackendError, GenerationRequest, Progress
from pipegen.compiler import ir
from pipegen.compiler.diagnostics import Diagnostic, render_all
from pipegen.compiler.printer import print_spec
from pipegen.domains import SourceTemplate, TField, normalise
from pipegen.generate import prompt
from pipegen.generate.constraint import Choices
from pipegen.generate.plan import Plan, call, col, dur, is_numeric, plan_request, source_ir
from pipegen.generate.words import snake


@dataclass
class GenerationResult:
    spec_text: str
    ok: bool
    diagnostics: list[Diagnostic] = field(default_factory=list)
    attempts: int = 0
    seconds: float = 0.0
    tokens: int = 0
    provider: str = ""
    model: str = ""
    error: str | None = None
    readings: int = 1  # how many specs the request allowed (the candidates the model chose among)
    model_called: bool = True  # False: the request pinned the spec down, so no model call was needed


def checked_candidates(plan: Plan) -> list[str]:
    """The plan's candidates as canonical spec text, the ones the compiler accepts, best first. When none
    passes (a request the planner reads wrongly), the domain template's spec, which always does."""
    out = []
    for spec in plan.candidates:
        text = print_spec(spec)
        if text not in out and api.check(text, "pipeline.pgl").ok:
            out.append(text)
    if not out:
        out.append(template_spec(plan.name, plan.domain, plan.source))
    return out


def _feedback(diags: list[Diagnostic]) -> str:
    return "\n".join(f"line {d.span.line if d.span else '?'}: {d.message}" + (f" ({d.hint})" if d.hint else "")
                     for d in diags if d.severity == "error")[:1500]


def generate(description: str, domain: str | None, backend: Any, *, source: SourceTemplate | None = None,
             name: str | None = None, temperature: float = 0.0,
             max_repairs: int = 2, timeout_s: float = 600.0, on_progress: Callable[[Progress], None] | None = None,
             seed: int = 0) -> GenerationResult:
    """Ask ``backend`` for a spec; check it; feed diagnostics back. Raises BackendError on provider failure."""
    start = time.monotonic()
    dom, _known = normalise(domain)
    plan = plan_request(description, dom, source, name)
    choices = Choices(tuple(checked_candidates(plan)))
    feedback = None
    tokens = 0
    text = ""
    diags: list[Diagnostic] = []
    longest = max(len(t) for t in choices.texts)
    if backend.output == "pgl" and choices.forced:
        # The grammar would allow exactly this text: decoding it token by token changes nothing.
        text = choices.texts[0]
        return GenerationResult(text, True, api.check(text, "pipeline.pgl").diagnostics, 0, time.monotonic() - start,
                                0, getattr(backend, "name", ""), getattr(backend, "model", ""), readings=1,
                                model_called=False)
    for attempt in range(1, max_repairs + 2):
        left = timeout_s - (time.monotonic() - start)
        if left <= 0:
            raise BackendError("timeout", "AI generation timed out",
                               "Try a simpler description or use a more powerful model")
        if backend.output == "pgl":
            system, user = prompt.spec_prompt(plan, feedback)
            max_tokens = longest // 2 + 200
        else:
            draft = ir.to_json(api.parse(choices.texts[0]), exclude_none=True)
            system, user = prompt.json_prompt(plan, draft, feedback)
            max_tokens = 4000
        req = GenerationRequest(system=system, user=user, constraint=choices, max_tokens=max_tokens, timeout_s=left,
                                seed=seed, temperature=temperature, on_progress=on_progress)
        gen = backend.generate(req)
        text = choices.to_spec(gen.text, gen.kind)
        tokens += gen.tokens
        result = api.check(text, "pipeline.pgl")
        diags = result.diagnostics
        if result.ok:
            return GenerationResult(text, True, diags, attempt, time.monotonic() - start, tokens, gen.provider,
                                    gen.model, readings=len(choices.texts))
        feedback = _feedback(diags)
    return GenerationResult(text, False, diags, max_repairs + 1, time.monotonic() - start, tokens,
                            getattr(backend, "name", ""), getattr(backend, "model", ""))


def with_diagnostics_as_comments(text: str, diags: list[Diagnostic]) -> str:
    """The spec with its problems on top, so nothing the model produced is lost."""
    rendered = render_all(diags, text)
    comment = "".join(f"# {line}\n" if line else "#\n" for line in rendered.splitlines())
    return "# PipeGen could not make this spec valid; fix these problems and run `pipegen compile`:\n" + comment + \
        "\n" + text


def template_spec(name: str, domain: str | None, source: SourceTemplate | None = None) -> str:
    """The spec `pipegen init NAME` writes without --describe: the domain's typical source (or the user's
    schema), counted per key and minute (or as running totals when it has no event time)."""
    from pipegen.domains import pick_template

    dom, _ = normalise(domain)
    src = source or pick_template(f"A pipeline template for the {dom or 'generic'} domain", dom)
    p = snake(name)
    keys = [f.name for f in src.fields if f.role == "key"] or [f.name for f in src.fields if not is_numeric(f)
                                                               and f.role != "time"] or [src.fields[0].name]
    key = keys[0]
    metric = next((f.name for f in src.fields if f.role == "metric"), None)
    measures = [ir.Measure(name="event_count", expr=call("count", star=True))]
    if metric:
        measures.append(ir.Measure(name=f"avg_{metric}", expr=call("avg", col(metric))))
    topic = f"{p.replace('_', '-')}-results"
    if src.event_time:
        stage = ir.Aggregate(name="per_minute", input=src.name, description=f"Events per {key} and minute",
                             window=ir.Tumble(column=src.event_time, size=dur((1, "min"))),
                             group_by=(col(key),), measures=tuple(measures))
        sink = ir.Sink(name=f"{p}_results", input="per_minute", topic=topic)
    else:
        stage = ir.Aggregate(name="running_totals", input=src.name, group_by=(col(key),), measures=tuple(measures))
        sink = ir.Sink(name=f"{p}_results", input="running_totals", topic=topic, key=(key,), mode="upsert")
    pipeline = ir.Pipeline(name=p, description=f"A pipeline template for the {dom or 'generic'} domain",
                           domain=dom if dom and dom.isidentifier() else None)
    return print_spec(ir.Spec(pipeline=pipeline, statements=(source_ir(src, 5), stage, sink)))


def template_from_fields(name: str, topic: str, doc: str, fields: tuple[ir.FieldDef, ...],
                         event_time: str | None) -> SourceTemplate:
    """A source template from the user's schema: its fields exactly, with roles guessed from their types."""
    from pipegen.compiler.printer import type_

    tfs = []
    for f in fields:
        t = type_(f.type, 0)
        text = " ".join(t.split()) + ("?" if f.nullable else "")
        if f.name == event_time:
            role = "time"
        elif isinstance(f.type, ir.PrimitiveType) and f.type.name in ("int", "long", "float", "double") or isinstance(
                f.type, ir.DecimalType):
            role = "metric"
        elif isinstance(f.type, (ir.PrimitiveType, ir.EnumType)) and not isinstance(f.type, ir.TimestampType):
            role = "id" if f.name.endswith("_id") and f.name.startswith(name[:3]) else "key"
        else:
            role = "other"
        tfs.append(TField(f.name, text, role, f.doc or ""))
    return SourceTemplate(name, topic, doc, (), tuple(tfs))

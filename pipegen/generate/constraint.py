"""The constraint a backend decodes under: one typed value, adapted by each backend.

* :class:`Choices` -- the planner's candidate specs, each already printed by the canonical printer and
  checked by the compiler. As a Lark grammar (llguidance dialect) it is the prefix tree of those texts: the
  shared text is forced, and where candidates differ the model picks the next character among theirs. Every
  text the grammar allows is one of the candidates, so every text is a valid spec. As a JSON Schema (for
  providers that only take one) it is the IR's schema, complete, with the candidates as examples.
* :class:`IRSchema` -- the IR's JSON Schema as pydantic writes it (local ``$defs``, recursive expressions),
  for JSON providers; their JSON is validated against the IR and printed as `.pgl`.

A backend asks the constraint for what it can decode to (``lark()`` or ``json_schema()``), and hands the
answer back to ``to_spec``: no branch on the backend's kind in the generation loop.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol


class Constraint(Protocol):
    def lark(self) -> str | None:
        """A Lark grammar every answer must match, or None when this constraint has none."""

    def json_schema(self) -> dict:
        """The JSON Schema an answer object must match."""

    def to_spec(self, answer: str, kind: str) -> str:
        """The spec text of a backend's answer (``kind``: "pgl" or "json")."""


def _lit(text: str) -> str:
    return json.dumps(text)


def trie_grammar(texts: list[str]) -> str:
    """A grammar whose language is exactly ``texts``: the common prefix is one literal, and each branch starts
    with a different character, so llguidance (which lexes literals greedily) can reach every text."""
    rules: list[str] = []
    counter = [0]

    def rule(group: list[str]) -> str:
        name = f"t{counter[0]}"
        counter[0] += 1
        prefix = group[0]
        for t in group[1:]:
            i = 0
            while i < min(len(prefix), len(t)) and prefix[i] == t[i]:
                i += 1
            prefix = prefix[:i]
        rest = [t[len(prefix):] for t in group]
        branches: dict[str, list[str]] = {}
        ends = False
        for t in rest:
            if t:
                branches.setdefault(t[0], []).append(t)
            else:
                ends = True
        parts = [_lit(prefix)] if prefix else []
        if branches or ends:
            alts = []
            for _c, grp in branches.items():
                alts.append(_lit(grp[0]) if len(grp) == 1 else rule(grp))
            if ends:
                alts.append('""')
            if len(alts) == 1 and not ends:
                parts.append(alts[0])
            elif alts:
                sub = f"t{counter[0]}"
                counter[0] += 1
                rules.append(f"{sub}: " + "\n    | ".join(alts))
                parts.append(sub)
        rules.append(f"{name}: " + (" ".join(parts) if parts else '""'))
        return name

    unique = list(dict.fromkeys(texts))
    top = rule(unique)
    return f"start: {top}\n" + "\n".join(rules) + "\n"


@dataclass(frozen=True)
class Choices:
    """The candidate specs a request allows, best first; each is a checked, canonical spec text."""

    texts: tuple[str, ...]

    def lark(self) -> str:
        return trie_grammar(list(self.texts))

    def json_schema(self) -> dict:
        from pipegen import api

        return api.ir_json_schema()

    def to_spec(self, answer: str, kind: str) -> str:
        return answer if kind == "pgl" else json_to_pgl(answer)

    @property
    def forced(self) -> bool:
        """Only one text: nothing is left for the model to choose."""
        return len(set(self.texts)) == 1


@dataclass(frozen=True)
class IRSchema:
    """The IR's JSON Schema, complete as pydantic writes it."""

    def lark(self) -> None:
        return None

    def json_schema(self) -> dict:
        from pipegen import api

        return api.ir_json_schema()

    def to_spec(self, answer: str, kind: str) -> str:
        return answer if kind == "pgl" else json_to_pgl(answer)


def json_to_pgl(text: str) -> str:
    """Provider JSON -> IR (pydantic) -> canonical .pgl; JSON that does not fit becomes a comment for the
    repair loop."""
    from pydantic import ValidationError

    from pipegen.compiler import ir
    from pipegen.compiler.printer import print_spec

    try:
        spec = ir.validate_json(text)
    except ValidationError as e:
        errs = "; ".join(f"{'.'.join(str(x) for x in er['loc'])}: {er['msg']}" for er in e.errors()[:5])
        return f"# the model's JSON does not fit the IR: {errs}\n"
    return print_spec(spec)

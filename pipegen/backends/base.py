"""The one small interface every LLM backend implements.

A backend turns a prompt into text under a constraint: a Lark grammar of the
spec language (backends that can constrain decoding to a grammar) or the JSON
Schema of the IR (providers that only take JSON Schema). Nothing a backend
returns is trusted: the caller parses and checks it with the compiler.

SDKs (llama_cpp, openai, ...) are imported inside methods, never at module
import time, so `pipegen compile` stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Protocol

OutputKind = Literal["pgl", "json"]

# No spec is this long: a provider that sends more is broken or hostile, and is cut off.
MAX_ANSWER_CHARS = 1_000_000


class AnswerText:
    """The text a provider streams, piece by piece; past MAX_ANSWER_CHARS it raises instead of growing."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def add(self, piece: str) -> None:
        self.size += len(piece)
        if self.size > MAX_ANSWER_CHARS:
            raise BackendError("malformed", f"the model's answer is longer than {MAX_ANSWER_CHARS:,} characters",
                               "the provider is not producing a spec; try another model")
        self.parts.append(piece)

    def text(self) -> str:
        return "".join(self.parts)

# Kinds of failure, so the CLI can print the product doc's messages.
ErrorKind = Literal["config", "auth", "not_found", "rate_limit", "server", "timeout", "malformed", "unavailable"]


class BackendError(Exception):
    """A provider failed. ``message`` and ``hint`` are shown to the user; they never hold a secret."""

    def __init__(self, kind: ErrorKind, message: str, hint: str | None = None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Progress:
    tokens: int
    seconds: float


@dataclass(frozen=True)
class GenerationRequest:
    system: str
    user: str
    # What constrains the output: a ``pipegen.generate.constraint`` value that each backend adapts (its
    # ``lark()`` grammar for backends that decode under a grammar, its ``json_schema()`` for the others), or
    # an explicit grammar / JSON Schema, which wins over it.
    constraint: Any = None
    grammar: str | None = None  # Lark grammar (llguidance dialect) the text must match
    json_schema: dict | None = None  # JSON Schema the output object must match
    max_tokens: int = 1500
    timeout_s: float = 300.0
    seed: int = 0
    temperature: float = 0.0
    on_progress: Callable[[Progress], None] | None = field(default=None, compare=False)

    def lark_grammar(self) -> str | None:
        if self.grammar is not None:
            return self.grammar
        return self.constraint.lark() if self.constraint is not None else None

    def schema(self) -> dict | None:
        if self.json_schema is not None:
            return self.json_schema
        return self.constraint.json_schema() if self.constraint is not None else None


@dataclass(frozen=True)
class Generation:
    text: str
    kind: OutputKind
    tokens: int
    seconds: float
    provider: str
    model: str


@dataclass(frozen=True)
class ProviderStatus:
    """What `pipegen check` prints for a provider."""

    provider: str
    model: str
    configured: bool
    available: bool
    detail: str  # one line: where, or why not
    hint: str | None = None
    settings: dict[str, str] = field(default_factory=dict)  # shown to the user; never secrets


class Backend(Protocol):
    name: str
    model: str
    output: OutputKind  # what it produces: "pgl" under a grammar, or "json" under a JSON Schema

    def status(self) -> ProviderStatus:
        """Configured? Reachable? Has the model? Never raises."""

    def generate(self, request: GenerationRequest) -> Generation:
        """Generate under the request's constraint. Raises BackendError."""

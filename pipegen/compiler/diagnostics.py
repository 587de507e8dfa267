"""Diagnostics: stable codes, positions, and their rendering with a caret.

Codes are part of the interface (scripts and tests rely on them); never
renumber one. ``E`` is an error, ``W`` a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .ir import Span

CODES: dict[str, str] = {
    "E001": "syntax error",
    "E002": "unexpected character",
    "E003": "unexpected end of file",
    "E004": "invalid value, or a spec too large or too deeply nested",
    "E101": "duplicate name",
    "E102": "duplicate column",
    "E103": "unknown stream",
    "E104": "unknown field",
    "E105": "cycle",
    "E106": "invalid input",
    "E107": "invalid name",
    "E108": "join without an equality",
    "E109": "join selects *",
    "E110": "nested column where a top-level column is needed",
    "E111": "union inputs with other columns",
    "E201": "type error",
    "E202": "unknown function",
    "E203": "wrong arguments",
    "E204": "aggregate outside an aggregate stage",
    "E205": "column not grouped",
    "E206": "measure aggregates nothing",
    "E207": "aggregate without window or group by",
    "E301": "not the event-time column",
    "E302": "missing watermark",
    "E303": "event-time column is not a timestamp",
    "E304": "join needs a time bound",
    "E305": "temporal join needs a versioned table",
    "E306": "invalid window size",
    "E307": "sort not ascending on its time",
    "E401": "upsert sink without key",
    "E402": "updating stream into append sink",
    "E403": "invalid key",
    "E404": "invalid topic",
    "E405": "invalid origin or format",
    "E501": "not expressible in Avro",
    "E502": "invalid default",
    "E503": "invalid generate hint",
    "E601": "rejected by Flink",
    "E701": "not supported by Flink",
    "E702": "not available on the target",
    "W601": "unused stream",
    "W602": "unbounded join state",
    "W603": "sink deduplicates on its key",
    "W604": "a target left out",
    "W605": "a password in the spec",
}

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    file: str = "<spec>"

    @property
    def severity(self) -> Severity:
        return "warning" if self.code.startswith("W") else "error"

    def sort_key(self) -> tuple[int, int, str]:
        if self.span is None:
            return (0, 0, self.code)
        return (self.span.line, self.span.column, self.code)

    def location(self) -> str:
        if self.span is None:
            return self.file
        return f"{self.file}:{self.span.line}:{self.span.column}"

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": self.file,
            "line": self.span.line if self.span else None,
            "column": self.span.column if self.span else None,
            "hint": self.hint,
        }


@dataclass
class SpecError(Exception):
    """Raised by the public API when a spec has errors; carries every diagnostic."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    source: str = ""

    def __str__(self) -> str:
        return render_all(self.diagnostics, self.source)


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diagnostics)


def render(d: Diagnostic, source: str, color: bool = False) -> str:
    """One diagnostic as text: location, code, message, the line with a caret, the hint."""
    red, yellow, blue, bold, reset = ("\x1b[31m", "\x1b[33m", "\x1b[34m", "\x1b[1m", "\x1b[0m") if color else ("",) * 5
    sev_color = red if d.severity == "error" else yellow
    out = [f"{bold}{d.location()}{reset}: {sev_color}{d.severity}[{d.code}]{reset}: {d.message}"]
    lines = source.splitlines()
    if d.span is not None and 1 <= d.span.line <= len(lines):
        text = lines[d.span.line - 1].replace("\t", " ")
        gutter = f"{d.span.line:>4} | "
        start = max(d.span.column - 1, 0)
        if d.span.end_line == d.span.line:
            width = max(d.span.end_column - d.span.column, 1)
        else:
            width = max(len(text.rstrip()) - start, 1)
        out.append(f"{blue}{gutter}{reset}{text}")
        out.append(f"{blue}{' ' * (len(gutter) - 2)}| {reset}{' ' * start}{sev_color}{'^' * width}{reset}")
    if d.hint:
        out.append(f"{blue}  = hint:{reset} {d.hint}")
    return "\n".join(out)


def render_all(diagnostics: list[Diagnostic], source: str, color: bool = False) -> str:
    return "\n\n".join(render(d, source, color) for d in diagnostics)


def summary(diagnostics: list[Diagnostic]) -> str:
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return ", ".join(parts) if parts else "no problems"

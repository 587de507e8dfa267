"""The public Python API: parse, check, format, compile, validate. The CLI is built on it.

Example::

    from pipegen import api
    result = api.compile_text(open("spec.pgl").read(), "spec.pgl")
    if result.ok:
        api.write(result, Path("out"))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipegen.compiler import ir
from pipegen.compiler.analyze import Analysis, analyze
from pipegen.compiler.avro import AvroError
from pipegen.compiler.diagnostics import Diagnostic, SpecError, has_errors
from pipegen.compiler.parser import parse_spec
from pipegen.compiler.project import TARGETS, ProjectError, WriteResult, build_files, read_settings, write_project
from pipegen.compiler.targets.base import Settings, Statement

__all__ = [
    "CheckResult", "Compiled", "ProjectError", "SpecError", "check", "compile_text", "format_text", "parse",
    "ir_json_schema", "validate_with_flink", "write",
]


def parse(text: str, file: str = "<spec>") -> ir.Spec:
    """Spec text -> IR. Raises SpecError with every syntax error."""
    spec, diags = parse_spec(text, file)
    if spec is None:
        raise SpecError(diags, text)
    return spec


@dataclass
class CheckResult:
    text: str
    file: str
    spec: ir.Spec | None
    analysis: Analysis | None
    diagnostics: list[Diagnostic]

    @property
    def ok(self) -> bool:
        return self.spec is not None and not has_errors(self.diagnostics)


def check(text: str, file: str = "<spec>") -> CheckResult:
    """Parse and run every semantic check; never raises for a spec problem."""
    spec, diags = parse_spec(text, file)
    if spec is None:
        return CheckResult(text, file, None, None, diags)
    a = analyze(spec, file)
    return CheckResult(text, file, spec, a, a.diagnostics)


@dataclass
class Compiled:
    check: CheckResult
    targets: tuple[str, ...]
    files: dict[str, str] = field(default_factory=dict)
    statements: dict[str, list[Statement]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.check.ok and bool(self.files)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.check.diagnostics


def compile_text(text: str, file: str = "<spec>", targets: tuple[str, ...] = ("local", "cloud"),
                 settings: Settings | None = None) -> Compiled:
    """Check a spec and, when it is clean, build every output file in memory."""
    result = check(text, file)
    out = Compiled(result, targets)
    if not result.ok:
        return out
    assert result.analysis is not None
    settings = settings or read_settings(None)
    try:
        out.files = build_files(result.analysis, text, targets, settings)
    except AvroError as e:
        result.diagnostics.append(Diagnostic("E501", f"a schema cannot be written as Avro: {e}", None,
                                             "simplify the types of the stage that feeds the sink", file))
        return out
    for t in targets:
        out.statements[t] = TARGETS[t](result.analysis, settings if t == "local" else None).statements()
    return out


def write(compiled: Compiled, out_dir: Path, force: bool = False, spec_path: Path | None = None) -> WriteResult:
    """Write a compiled project. Raises ProjectError when the folder is not safe to write."""
    return write_project(out_dir, compiled.files, force=force, spec_path=spec_path)


def format_text(text: str, file: str = "<spec>") -> str:
    """The canonical form of a spec; comments on their own lines are kept before their statement."""
    from pipegen.compiler.printer import print_spec

    spec = parse(text, file)
    return print_spec(spec, _comments(text, spec))


def _comments(text: str, spec: ir.Spec) -> dict[int, list[str]]:
    """Comment lines (including ones after code) grouped by the statement they precede or sit in."""
    from pipegen.compiler.parser import comment_tokens

    starts = [(st.span.line if st.span else 1) for st in (spec.pipeline, *spec.statements)]
    ends = [(st.span.end_line if st.span else 1) for st in (spec.pipeline, *spec.statements)]
    out: dict[int, list[str]] = {}
    for tok in comment_tokens(text):
        line = tok.line
        index = len(starts)
        for i, (s, e) in enumerate(zip(starts, ends)):
            if line <= e:
                index = i
                break
        if index == len(starts):
            index = len(spec.statements) + 1
        out.setdefault(index, []).append(str(tok).rstrip())
    return out


def validate_with_flink(compiled: Compiled, jars: list[str] | None = None) -> list[Diagnostic]:
    """Plan every local statement in Flink's own planner; map each failure to the spec line it came from.

    Raises ``pipegen.engine.flink.FlinkUnavailable`` when Flink cannot run here.
    """
    from pipegen.engine.flink import FlinkPlanner, FlinkUnavailable, connector_jars

    statements = compiled.statements.get("local")
    if statements is None:
        return []
    paths = connector_jars(jars)
    if not paths:
        raise FlinkUnavailable(
            "no Kafka connector jars configured for Flink",
            "set PIPEGEN_FLINK_JARS to the folder holding flink-connector-kafka and kafka-clients jars "
            "(python tools/fetch_kafka_connector.py DIR fetches them), or pass --jars",
        )
    spec = compiled.check.spec
    assert spec is not None
    diags = []
    with FlinkPlanner(jars=[str(p) for p in paths]) as planner:
        results = planner.plan([s.sql for s in statements])
    for st, res in zip(statements, results):
        if res.ok:
            continue
        origin = spec.statement(st.origin)
        where = f"sql/local/{st.file}" + (f" line {res.line}" if res.line else "")
        diags.append(Diagnostic("E601", f"Flink rejects {where}: {res.message}",
                                origin.pos("name") if origin is not None else None,
                                "this is the statement generated from the spec line shown; "
                                "please report it if the spec is valid", compiled.check.file))
    return diags


def ir_json_schema() -> dict:
    """The JSON Schema of a spec's IR (positions left out): what JSON-constrained LLM providers decode to."""
    return ir.Spec.model_json_schema()

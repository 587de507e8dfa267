"""The public Python API: parse, check, format, compile, validate. The CLI is built on it.

Example::

    from pipegen import api
    result = api.compile_text(open("spec.pgl").read(), "spec.pgl")
    if result.ok:
        api.write(result, Path("out"))
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


from pipegen.compiler import ir
from pipegen.compiler.analyze import Analysis, analyze
from pipegen.compiler.avro import AvroError
from pipegen.compiler.diagnostics import Diagnostic, SpecError, has_errors
from pipegen.compiler.parser import parse_spec
from pipegen.compiler.project import (
    MANIFEST,
    STAGING,
    ProjectError,
    WriteResult,
    build_files,
    build_statements,
    check_target,
    locked,
    put_spec,
    read_settings,
    real,
    write_project,
)
from pipegen.compiler.targets.base import Settings, Statement

__all__ = [
    "CheckResult", "Compiled", "ProjectError", "SpecError", "build", "check", "compile_text", "format_text", "parse",
    "ir_json_schema", "validate_with_flink", "write", "check_target", "write_init",
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
    try:
        spec, diags = parse_spec(text, file)
        if spec is None:
            return CheckResult(text, file, None, None, diags)
        a = analyze(spec, file)
    except Exception as e:  # a RecursionError, or Lark's VisitError around one
        if not _too_deep(e):
            raise
        return CheckResult(text, file, None, None, [_nesting_diagnostic(text, file)])
    return CheckResult(text, file, spec, a, a.diagnostics)


def _too_deep(e: BaseException) -> bool:
    """A RecursionError, possibly wrapped by Lark's VisitError."""
    return isinstance(e, RecursionError) or isinstance(getattr(e, "orig_exc", None), RecursionError)


def _nesting_diagnostic(text: str, file: str) -> Diagnostic:
    """The backstop when a pass still runs out of stack (the parser bounds nesting first): an E004 at the
    deepest bracket of the spec, found by a plain scan that skips strings and comments."""
    line = col = 1
    best, depth, where = -1, 0, (1, 1)
    in_string = in_comment = escaped = False
    for ch in text:
        if in_comment:
            in_comment = ch != "\n"
        elif in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch in '"\n':
                in_string = False
        elif ch == "#":
            in_comment = True
        elif ch == '"':
            in_string = True
        elif ch in "({<":
            depth += 1
            if depth > best:
                best, where = depth, (line, col)
        elif ch in ")}>":
            depth = max(depth - 1, 0)
        if ch == "\n":
            line, col = line + 1, 1
        else:
            col += 1
    span = ir.Span(line=where[0], column=where[1], end_line=where[0], end_column=where[1] + 1)
    return Diagnostic("E004", "nested too deeply: the compiler ran out of stack on this spec", span,
                      "split the expression or type into smaller parts, e.g. an intermediate transform", file)


@dataclass
class Compiled:
    check: CheckResult
    targets: tuple[str, ...]
    files: dict[str, str] = field(default_factory=dict)
    statements: dict[str, list[Statement]] = field(default_factory=dict)
    settings: Settings | None = None  # the local target's connection settings it was compiled with

    @property
    def ok(self) -> bool:
        return self.check.ok and bool(self.files)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.check.diagnostics


def compile_text(text: str, file: str = "<spec>", targets: tuple[str, ...] = ("local", "cloud"),
                 settings: Settings | None = None) -> Compiled:
    """Check a spec and, when it is clean, build every output file in memory."""
    return build(check(text, file), targets, settings)


def build(result: CheckResult, targets: tuple[str, ...] = ("local", "cloud"),
          settings: Settings | None = None, *, required: bool = False) -> Compiled:
    """Build every output file of an already checked spec (nothing is built when it has errors).

    A target with no equivalent for part of the spec (Confluent Cloud and processing time) is an error (E702)
    when it was asked for by name (``required``); among all targets it is left out with a warning (W604)."""
    text, file = result.text, result.file
    if result.ok and result.spec is not None:
        targets = _available(result, targets, required)
    out = Compiled(result, targets)
    if not result.ok:
        return out
    assert result.analysis is not None
    settings = settings or read_settings(None)
    out.settings = settings
    try:
        built = build_statements(result.analysis, targets, settings)
        out.files = build_files(result.analysis, text, targets, settings, built)
        statements = {t: built[t][0] for t in targets}
    except AvroError as e:
        result.diagnostics.append(Diagnostic("E501", f"a schema cannot be written as Avro: {e}", None,
                                             "simplify the types of the stage that feeds the sink", file))
        out.files = {}
        return out
    except RecursionError:
        result.diagnostics.append(_nesting_diagnostic(text, file))
        out.files = {}
        return out
    out.statements = statements
    return out


def _available(result: CheckResult, targets: tuple[str, ...], required: bool) -> tuple[str, ...]:
    from pipegen.compiler.project import TARGETS

    kept = []
    for name in targets:
        problems = TARGETS[name].unavailable(result.spec)
        for span, what, how in problems:
            if required:
                result.diagnostics.append(Diagnostic("E702", f"{what}: the {name} target cannot run it", span,
                                                     f"compile with --target local, or {how}", result.file))
            else:
                result.diagnostics.append(Diagnostic("W604", f"sql/{name}/ is not written: {what}", span,
                                                     f"the other targets are written; to run it on {name} too, "
                                                     f"{how}", result.file))
        if not problems:
            kept.append(name)
    result.diagnostics.sort(key=Diagnostic.sort_key)
    return tuple(kept)


def write(compiled: Compiled, out_dir: Path, force: bool = False, spec_path: Path | None = None) -> WriteResult:
    """Write a compiled project. Raises ProjectError when the folder is not safe to write."""
    # The checks run under the folder's lock, so a second writer never meets the first one half way.
    return write_project(out_dir, compiled.files, force=force, spec_path=spec_path,
                         precheck=lambda root: _check_write_targets(root, compiled.files, force, spec_path))


def write_init(out_dir: Path, spec_text: str, compiled: Compiled | None, force: bool = False,
               on_spec: Any = None) -> WriteResult | None:
    """What `init` writes, under the folder's lock: ``out_dir/pipeline.pgl`` (refused when it is there, unless
    ``force``), then, given ``compiled``, the project; so two `init`s of one folder never mix their work, and
    the second finds the first's spec. ``on_spec()`` is called once the spec is written (a later failure
    leaves it: the user's request is not lost). Folders this made are removed again when they are left empty."""
    out_dir = Path(os.path.abspath(out_dir))
    spec_path = out_dir / "pipeline.pgl"

    def checks_then_spec(root: Path) -> None:
        if compiled is not None:
            _check_write_targets(root, compiled.files, force, spec_path)
        check_target(root, force, spec_path)
        put_spec(root, spec_text, force)
        if on_spec is not None:
            on_spec()

    if compiled is None:
        with locked(out_dir):
            checks_then_spec(out_dir)
        return None
    return write_project(out_dir, compiled.files, force=force, spec_path=spec_path, precheck=checks_then_spec)


def _check_write_targets(out_dir: Path, files: dict[str, str], force: bool, spec_path: Path | None) -> None:
    """Refuse, before anything is written, what ``write_project`` would otherwise do silently:

    * write through a symbolic link to a folder inside the project (``schemas -> /elsewhere``): the files
      would land outside the output folder. Refused even with ``force``;
    * overwrite a file the user added at a path a newly generated file takes (a new sink's schema, say)
      when the folder already holds a PipeGen project: without ``force`` that file would be replaced and
      its old content dropped.
    """
    root = Path(os.path.abspath(out_dir))
    if root.is_symlink():  # the output folder itself may be a link: the user named it
        root = real(root)
    if not root.is_dir():
        return
    if (root / STAGING).is_symlink():
        raise ProjectError(f"{root / STAGING} is a symbolic link; PipeGen stages its writes there",
                           "delete the link")
    if (root / STAGING).exists():  # an interrupted write: put the old project back first, as write_project does
        _recover_interrupted(root)
    manifest_path = root / MANIFEST
    manifest: dict[str, str] | None = None
    if manifest_path.is_file():
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8")).get("files", {})
        except (ValueError, AttributeError):
            manifest = None
    for rel in files:
        parts = Path(rel).parts
        if Path(rel).is_absolute() or ".." in parts or "\x00" in rel:
            continue  # write_project refuses these
        folder = root
        for part in parts[:-1]:
            folder = folder / part
            if folder.is_symlink():
                raise ProjectError(
                    f"refusing to write {rel}: {folder} is a symbolic link, and PipeGen never writes through one",
                    "replace the link with a real folder, or choose another output folder with -o")
            if not folder.exists():
                break
        target = root / rel
        if force or manifest is None or rel in manifest or not (target.exists() or target.is_symlink()):
            continue
        if spec_path is not None and real(target) == real(Path(spec_path)):
            continue
        raise ProjectError(
            f"{root} holds {rel}, which PipeGen did not write and would now overwrite",
            "move or rename your file, or pass --force to overwrite it")


def _recover_interrupted(root: Path) -> None:
    from pipegen.compiler.project import _recover

    _recover(root)


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


def validate_with_flink(compiled: Compiled, jars: list[str] | None = None, planner: Any = None,
                        targets: tuple[str, ...] | None = None) -> list[Diagnostic]:
    """Plan every statement of each target in Flink's own planner; map each failure to the spec line it came from.

    ``targets``: default, every target compiled. The views and inserts are planned as compiled; the tables as
    the target declares them for planning (``pipegen.engine.flink.planning_statements``: connectors and formats
    open-source Flink has, in place of Confluent Avro and Confluent Cloud's tables). Each target is planned in a
    database of its own, so the names of one never meet another's; so is each spec when ``planner``, a started
    ``FlinkPlanner``, is reused (one JVM for many specs). Raises ``pipegen.engine.flink.FlinkUnavailable`` when
    Flink cannot run here.
    """
    from pipegen.engine.flink import planning_statements

    assert compiled.check.analysis is not None
    todo = []
    for target in targets or compiled.targets:
        shipped = compiled.statements.get(target)
        if shipped is not None:
            todo.append((target, planning_statements(compiled.check.analysis, target, compiled.settings, shipped)))
    if not todo:
        return []
    if planner is not None:
        return _plan_targets(compiled, todo, planner)
    with flink_planner(jars) as own:
        return _plan_targets(compiled, todo, own)


def _plan_targets(compiled: Compiled, todo: list[tuple[str, list[Statement]]], planner: Any) -> list[Diagnostic]:
    global _DATABASES
    diags = []
    for target, statements in todo:
        _DATABASES += 1
        db = f"pipegen_spec_{_DATABASES}_{target}"
        isolate = [f"CREATE DATABASE IF NOT EXISTS {db}", f"USE {db}"]
        results = planner.plan([*isolate, *[s.sql for s in statements]])
        bad = [r for r in results[:len(isolate)] if not r.ok]
        if bad:
            raise RuntimeError(f"Flink could not make a database to plan in: {bad[0].message}")
        diags += _flink_diagnostics(compiled, target, statements, results[len(isolate):])
    return diags


def flink_planner(jars: list[str] | None = None) -> Any:
    """A ``FlinkPlanner`` (not started) with the Kafka connector jars: ``jars``, else ``$PIPEGEN_FLINK_JARS``, else
    the ones kept in the user's cache (fetched from PyPI on first use). Raises ``FlinkUnavailable`` without them."""
    from pipegen.engine.flink import FlinkPlanner, FlinkUnavailable, connector_jars

    paths = connector_jars(jars)
    if not paths:
        raise FlinkUnavailable("no Kafka connector jars given for Flink",
                               "pass --jars with a folder holding flink-connector-kafka and kafka-clients jars, "
                               "or leave it out to use the ones PipeGen fetches itself")
    return FlinkPlanner(jars=[str(p) for p in paths])


_DATABASES = 0  # databases made to plan in (one per spec and target; a planner may be shared)


def _flink_diagnostics(compiled: Compiled, target: str, statements: list[Any], results: list[Any]) -> list[Diagnostic]:
    spec = compiled.check.spec
    assert spec is not None
    diags = []
    for st, res in zip(statements, results):
        if res.ok:
            continue
        origin = spec.statement(st.origin)
        where = f"sql/{target}/{st.file}" + (f" line {res.line}" if res.line else "")
        diags.append(Diagnostic("E601", f"Flink rejects {where}: {res.message}",
                                origin.pos("name") if origin is not None else None,
                                "this is the statement generated from the spec line shown; "
                                "please report it if the spec is valid", compiled.check.file))
    return diags


def ir_json_schema() -> dict:
    """The JSON Schema of a spec's IR (positions left out): what JSON-constrained LLM providers decode to."""
    return ir.json_schema()

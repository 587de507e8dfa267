"""The `pipegen` command line. Thin: every command calls `pipegen.api`.

Exit codes: 0 ok, 1 the spec has errors (or Flink rejects it), 2 usage
errors (bad arguments, missing files, an output folder that is not safe to
write, Flink not available), 3 an internal error.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from pipegen import __version__

app = typer.Typer(
    name="pipegen",
    help="Compile a pipeline spec (.pgl) into a ready-to-run Apache Flink SQL project.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_OK, EXIT_SPEC, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class TargetChoice(str, Enum):
    local = "local"
    cloud = "cloud"
    all = "all"


def _color() -> bool:
    return sys.stderr.isatty() and "NO_COLOR" not in os.environ


def _err(message: str, hint: str | None = None) -> None:
    red, blue, reset = ("\x1b[31m", "\x1b[34m", "\x1b[0m") if _color() else ("", "", "")
    typer.echo(f"{red}error{reset}: {message}", err=True)
    if hint:
        typer.echo(f"{blue}  = hint:{reset} {hint}", err=True)


def _read(path: Path) -> str:
    if not path.exists():
        _err(f"{path}: no such file", "give the path of a .pgl spec")
        raise typer.Exit(EXIT_USAGE)
    if path.is_dir():
        _err(f"{path} is a folder, not a spec", f"did you mean {path / 'pipeline.pgl'}?")
        raise typer.Exit(EXIT_USAGE)
    try:
        data = path.read_bytes()
    except OSError as e:
        _err(f"{path}: {e.strerror}")
        raise typer.Exit(EXIT_USAGE) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        _err(f"{path}: not UTF-8 text (byte {e.start})", "save the spec as UTF-8")
        raise typer.Exit(EXIT_USAGE) from None


def _report(diagnostics: list, text: str) -> None:
    from pipegen.compiler.diagnostics import render_all, summary

    if diagnostics:
        typer.echo(render_all(diagnostics, text, color=_color()), err=True)
        typer.echo(summary(diagnostics), err=True)


def _default_out(spec_path: Path, pipeline_name: str) -> Path:
    if spec_path.name == "pipeline.pgl":
        return spec_path.parent
    return Path(pipeline_name)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pipegen {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    pass


@app.command()
def compile(
    spec: Annotated[Path, typer.Argument(help="The spec to compile.", show_default=False)],
    out: Annotated[Optional[Path], typer.Option("-o", "--out", help="Output folder. Default: the spec's folder for "
                                                "pipeline.pgl, else ./<pipeline name>.")] = None,
    target: Annotated[TargetChoice, typer.Option("--target", help="Which SQL to generate.")] = TargetChoice.all,
    force: Annotated[bool, typer.Option("--force", help="Write into a folder that holds files PipeGen did not "
                                        "write (they are kept).")] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Print nothing on success.")] = False,
) -> None:
    """Check a spec and write the Flink SQL project: SQL, Avro schemas, configs, README, docker-compose."""
    from pipegen import api
    from pipegen.compiler.project import read_settings

    text = _read(spec)
    targets = ("local", "cloud") if target == TargetChoice.all else (target.value,)
    first = api.check(text, str(spec))
    if not first.ok:
        _report(first.diagnostics, text)
        raise typer.Exit(EXIT_SPEC)
    assert first.spec is not None
    out_dir = out if out is not None else _default_out(spec, first.spec.pipeline.name)
    try:
        settings = read_settings(out_dir if out_dir.is_dir() else None)
        result = api.compile_text(text, str(spec), targets, settings)
        if not result.ok:
            _report(result.diagnostics, text)
            raise typer.Exit(EXIT_SPEC)
        written = api.write(result, out_dir, force=force, spec_path=spec.resolve())
    except api.ProjectError as e:
        _err(str(e), e.hint)
        raise typer.Exit(EXIT_USAGE) from None
    _report(result.diagnostics, text)
    if not quiet:
        typer.echo(f"compiled {spec} -> {out_dir}/ ({len(written.written)} files)")
        for rel in written.written:
            typer.echo(f"  {rel}")
        if written.kept:
            typer.echo(f"  (kept {len(written.kept)} file(s) of yours: {', '.join(written.kept[:5])})")


@app.command()
def fmt(
    specs: Annotated[list[Path], typer.Argument(help="Specs to format.", show_default=False)],
    write: Annotated[bool, typer.Option("-w", "--write", help="Rewrite the files in place.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 if a file is not in canonical form.")] = False,
) -> None:
    """Print a spec in canonical form (comments on their own line are kept)."""
    from pipegen import api

    status = EXIT_OK
    for path in specs:
        text = _read(path)
        try:
            pretty = api.format_text(text, str(path))
        except api.SpecError as e:
            _report(e.diagnostics, text)
            status = EXIT_SPEC
            continue
        if check:
            if pretty != text:
                typer.echo(f"{path}: not formatted", err=True)
                status = EXIT_SPEC
        elif write:
            if pretty != text:
                tmp = path.with_name(f".{path.name}.pipegen-tmp")
                tmp.write_text(pretty, encoding="utf-8")
                os.replace(tmp, path)
                typer.echo(f"formatted {path}")
        else:
            typer.echo(pretty, nl=False)
    raise typer.Exit(status)


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="A spec, or a project folder holding pipeline.pgl.",
                                         show_default=False)],
    engine: Annotated[Optional[str], typer.Option("--engine", help="Also plan every statement in this engine "
                                                  "(flink).")] = None,
    jars: Annotated[Optional[str], typer.Option("--jars", help="Kafka connector jars or folders for Flink, "
                                                "separated by ':' (default: $PIPEGEN_FLINK_JARS).")] = None,
) -> None:
    """Run every check; with --engine flink, plan the generated SQL in Flink's own planner."""
    from pipegen import api
    from pipegen.compiler.project import read_settings

    spec_path = path / "pipeline.pgl" if path.is_dir() else path
    text = _read(spec_path)
    if engine not in (None, "flink"):
        _err(f"unknown engine {engine!r}", "the only engine is flink")
        raise typer.Exit(EXIT_USAGE)
    settings = read_settings(path if path.is_dir() else None)
    result = api.compile_text(text, str(spec_path), ("local",), settings)
    if not result.ok:
        _report(result.diagnostics, text)
        raise typer.Exit(EXIT_SPEC)
    _report(result.diagnostics, text)
    if engine == "flink":
        from pipegen.engine.flink import FlinkUnavailable

        n = len(result.statements["local"])
        typer.echo(f"planning {n} statements in Flink (starting a JVM takes a few seconds)...", err=True)
        try:
            diags = api.validate_with_flink(result, jars.split(os.pathsep) if jars else None)
        except FlinkUnavailable as e:
            _err(e.message if hasattr(e, "message") else str(e), getattr(e, "hint", None))
            raise typer.Exit(EXIT_USAGE) from None
        if diags:
            _report(diags, text)
            raise typer.Exit(EXIT_SPEC)
        typer.echo(f"{spec_path}: ok, Flink planned all {n} statements")
    else:
        typer.echo(f"{spec_path}: ok")


def main() -> None:
    """Entry point: usage errors exit 2 (typer); anything unexpected becomes one line and exit code 3."""
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as e:  # noqa: BLE001 - the user must never see a traceback
        if os.environ.get("PIPEGEN_DEBUG"):
            raise
        _err(f"internal error: {type(e).__name__}: {e}",
             "this is a bug in PipeGen; please report it with the spec that caused it (PIPEGEN_DEBUG=1 shows details)")
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()

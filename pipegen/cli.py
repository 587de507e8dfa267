"""The `pipegen` command line. Thin: every command calls `pipegen.api`.

Exit codes: 0 ok, 1 the spec has errors (or Flink rejects it), 2 usage
errors (bad arguments, missing files, an output folder that is not safe to
write, Flink not available), 3 an internal error.
"""

from __future__ import annotations

import os
import stat
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


def _must_be_file(path: Path, what: str = "a .pgl spec") -> None:
    """Exit 2 with one line naming ``path`` when it is not a file that can be read: missing, a broken link or a
    loop, a folder, in a folder that cannot be entered."""
    import errno

    try:
        st = os.stat(path)
    except OSError as e:
        if e.errno == errno.ENOENT and path.is_symlink():
            _err(f"{path} is a symlink to {os.readlink(path)}, which does not exist", f"give the path of {what}")
        elif e.errno == errno.ENOENT:
            _err(f"{path}: no such file", f"give the path of {what}")
        elif e.errno == errno.ELOOP:
            _err(f"{path} is a symlink loop", f"give the path of {what}")
        else:
            _err(_os_error_line(e), _os_error_hint(e))
        raise typer.Exit(EXIT_USAGE) from None
    if stat.S_ISDIR(st.st_mode):
        if what == "a .pgl spec":
            _err(f"{path} is a folder, not a spec", f"did you mean {path / 'pipeline.pgl'}?")
        else:
            _err(f"{path} is a folder, not a file", f"give the path of {what}")
        raise typer.Exit(EXIT_USAGE)


def _read(path: Path, what: str = "a .pgl spec") -> str:
    _must_be_file(path, what)
    try:
        data = path.read_bytes()
    except OSError as e:
        _err(_os_error_line(e) if e.filename else f"{path}: {e.strerror}", _os_error_hint(e))
        raise typer.Exit(EXIT_USAGE) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        _err(f"{path}: not UTF-8 text (byte {e.start})", "save the file as UTF-8")
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
    spec: Annotated[Path, typer.Argument(help="The spec to compile.", show_default=False, readable=False)],
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
        result = api.build(first, targets, settings, required=target != TargetChoice.all)
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
    specs: Annotated[list[Path], typer.Argument(help="Specs to format.", show_default=False, readable=False)],
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
                if not os.stat(path).st_mode & stat.S_IWUSR or not os.access(path, os.W_OK):
                    _err(f"{path} is read-only; fmt --write leaves it as it is",
                         "make it writable to format it in place, or run `pipegen fmt` to print the formatted spec")
                    status = EXIT_USAGE
                    continue
                folder = Path(os.path.realpath(path)).parent
                if not os.access(folder, os.W_OK | os.X_OK):  # the new text is written beside it, then swapped in
                    _err(f"{path} cannot be rewritten: its folder {folder} is not writable",
                         f"make the folder writable, or print the formatted spec with `pipegen fmt {path}`")
                    status = EXIT_USAGE
                    continue
                _rewrite_in_place(path, pretty)
                typer.echo(f"formatted {path}")
        else:
            typer.echo(pretty, nl=False)
    raise typer.Exit(status)


def _rewrite_in_place(path: Path, text: str) -> None:
    """Replace a file's text atomically, keeping what the user set: its mode, and a symlink stays a symlink
    (the file it points to is rewritten)."""
    import tempfile

    target = Path(os.path.realpath(path))
    mode = stat.S_IMODE(target.stat().st_mode)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".pipegen-tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError) and e.filename in (None, tmp):
            e.filename = str(path)  # a full disk: name the user's file, not the temporary one (which is gone)
        raise


@app.command()
def validate(
    path: Annotated[Path, typer.Argument(help="A spec, or a project folder holding pipeline.pgl.",
                                         show_default=False, readable=False)],
    engine: Annotated[Optional[str], typer.Option("--engine", help="Also plan every statement in this engine "
                                                  "(flink).")] = None,
    jars: Annotated[Optional[str], typer.Option("--jars", help="Kafka connector jars or folders for Flink, "
                                                "separated by ':' (default: $PIPEGEN_FLINK_JARS, else the ones "
                                                "`pipegen fetch-jars` keeps in the user cache, fetched on first "
                                                "use).")] = None,
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
    result = api.compile_text(text, str(spec_path), ("local", "cloud"), settings)
    if not result.ok:
        _report(result.diagnostics, text)
        raise typer.Exit(EXIT_SPEC)
    _report(result.diagnostics, text)
    if engine == "flink":
        from pipegen.engine.flink import FlinkUnavailable

        counts = {t: len(result.statements[t]) for t in result.targets}
        each = " and ".join(f"{n} {t}" for t, n in counts.items())
        typer.echo(f"planning {each} statements in Flink (starting a JVM takes a few seconds)...", err=True)
        # Flink asks this process for the types of a Python function of the user's: its module, beside the spec
        # (or on the Python path), must import here.
        if any(f.language == "python" for f in result.check.spec.pipeline.functions):  # type: ignore[union-attr]
            sys.path.insert(0, str(spec_path.resolve().parent))
        try:
            diags = api.validate_with_flink(result, jars.split(os.pathsep) if jars else None)
        except FlinkUnavailable as e:
            _err(e.message if hasattr(e, "message") else str(e), getattr(e, "hint", None))
            raise typer.Exit(EXIT_USAGE) from None
        if diags:
            _report(diags, text)
            raise typer.Exit(EXIT_SPEC)
        typer.echo(f"{spec_path}: ok, Flink planned all {sum(counts.values())} statements ({each})")
    else:
        typer.echo(f"{spec_path}: ok")


class _ProgressLine:
    """One status line on stderr while the model works: elapsed time and tokens."""

    def __init__(self, label: str):
        self.label = label
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, p) -> None:  # p: pipegen.backends.base.Progress
        if self.tty and p.seconds - self.last >= 0.2:
            self.last = p.seconds
            sys.stderr.write(f"\r{self.label}: {p.seconds:5.1f} s, {p.tokens} tokens ")
            sys.stderr.flush()

    def done(self) -> None:
        if self.tty:
            sys.stderr.write("\r" + " " * 70 + "\r")
            sys.stderr.flush()


def _input_source(name: str, input_schema: Optional[Path], input_csv: Optional[Path]):
    """The source template from the user's schema or CSV (their fields, exactly), or None."""
    if input_schema is None and input_csv is None:
        return None
    if input_schema is not None and input_csv is not None:
        _err("give either --input-schema or --input-csv, not both")
        raise typer.Exit(EXIT_USAGE)
    from pipegen.generate import template_from_fields
    from pipegen.schema_input import SchemaInputError, fields_from_csv, schema_from_avro

    try:
        if input_schema is not None:
            schema = schema_from_avro(_read(input_schema, "an Avro schema (.avsc)"), str(input_schema))
        else:
            assert input_csv is not None
            _must_be_file(input_csv, "a CSV sample")
            schema = fields_from_csv(input_csv)
    except SchemaInputError as e:
        _err(e.message, e.hint)
        raise typer.Exit(EXIT_USAGE) from None
    from pipegen.generate import snake

    src_name = snake(schema.source_name or name or "events")
    event_time = schema.event_time
    if event_time is None:
        event_time = next((f.name for f in schema.fields if getattr(f.type, "kind", "") == "timestamp"
                           and f.type.precision == 3 and not f.nullable), None)
    return template_from_fields(src_name, src_name.replace("_", "-"), schema.doc or f"Events of {src_name}",
                                schema.fields, event_time)


@app.command()
def init(
    name: Annotated[str, typer.Argument(help="Project folder to create.", show_default=False)],
    describe: Annotated[Optional[str], typer.Option("--describe", help="The pipeline, in words.")] = None,
    domain: Annotated[Optional[str], typer.Option(
        "--domain", help="ecommerce, fintech, iot, gaming, media, "
        "healthcare or logistics (another word is used as free text).")] = None,
    input_schema: Annotated[Optional[Path], typer.Option("--input-schema", help="Avro schema of the input: its "
                                                         "fields are used exactly.", readable=False)] = None,
    input_csv: Annotated[Optional[Path], typer.Option("--input-csv", help="CSV sample of the input: its schema is "
                                                      "inferred and used exactly.", readable=False)] = None,
    provider: Annotated[Optional[str], typer.Option("--provider",
                                                    help="llamacpp (embedded), ollama or openai.")] = None,
    model: Annotated[Optional[str], typer.Option("--model", help="Model name or GGUF path for the provider.")] = None,
    spec_only: Annotated[bool, typer.Option("--spec-only", help="Write the spec and stop; compile it later.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing project folder's spec.")] = False,
    max_repairs: Annotated[int, typer.Option("--max-repairs", min=0, max=10, help="Tries after the first when the "
                                             "spec has errors.")] = 2,
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="Seconds for the whole generation.")] = 600.0,
) -> None:
    """Create a project: a spec from your description (or a domain template), then the compiled project."""
    from pipegen import api
    from pipegen.domains import DOMAINS, normalise
    from pipegen.generate import template_spec

    out_dir = Path(name)
    spec_path = out_dir / "pipeline.pgl"
    if spec_path.exists() and not force:
        _err(f"{spec_path} already exists", "pass --force to replace it, or edit it and run `pipegen compile`")
        raise typer.Exit(EXIT_USAGE)
    if domain is not None:
        dom, known = normalise(domain)
        if not known:
            typer.echo(f"warning: unknown domain {domain!r}; it is used as free text "
                       f"(known: {', '.join(DOMAINS)})", err=True)
    source = _input_source(out_dir.name, input_schema, input_csv)
    # The folder is checked before anything is written (a spec in a folder the project cannot go into is
    # half-done work), and before a model is asked.
    try:
        api.check_target(out_dir, force=force, spec_path=spec_path)
    except api.ProjectError as e:
        _err(str(e), e.hint)
        raise typer.Exit(EXIT_USAGE) from None
    if describe is None:
        text = raw = template_spec(out_dir.name, domain, source)
        ok, diagnostics, model_called = True, [], False
    else:
        text, raw, ok, diagnostics, model_called = _describe(describe, domain, provider, model, source, out_dir,
                                                             max_repairs, timeout)
    compiled = api.compile_text(text, str(spec_path)) if ok and not spec_only else None
    # The spec, and the project when there is one, are written under the folder's lock (two `init`s take turns).
    spec_written: list[bool] = []
    try:
        written = api.write_init(out_dir, text, compiled if compiled is not None and compiled.ok else None,
                                 force=force, on_spec=lambda: spec_written.append(True))
    except api.ProjectError as e:
        _err(str(e), _kept_spec(e.hint, spec_path) if spec_written else e.hint)
        raise typer.Exit(EXIT_USAGE) from None
    except OSError as e:
        if os.environ.get("PIPEGEN_DEBUG"):
            raise
        hint = _os_error_hint(e)
        _err(_os_error_line(e), _kept_spec(hint, spec_path) if spec_written else hint)
        raise typer.Exit(EXIT_USAGE) from None
    typer.echo(f"wrote {spec_path}:\n")
    typer.echo(text)
    if not ok:
        _report(diagnostics, raw)
        why = f"still has errors after {max_repairs} repair(s)" if model_called else "has errors"
        _err(f"the generated spec {why}; they are written as comments at the top of {spec_path}",
             "fix them by hand and run `pipegen compile " + str(spec_path) + "`")
        raise typer.Exit(EXIT_SPEC)
    if spec_only:
        typer.echo(f"next: edit {spec_path}, then run `pipegen compile {spec_path}`")
        return
    assert compiled is not None
    if written is None:  # the spec does not compile: it is written, with the errors to fix
        _report(compiled.diagnostics, text)
        raise typer.Exit(EXIT_SPEC)
    typer.echo(f"compiled {spec_path} -> {out_dir}/ ({len(written.written)} files)")


@app.command()
def run(
    project: Annotated[Path, typer.Argument(help="A compiled project folder (pipegen compile SPEC -o DIR).")
                       ] = Path("."),
    duration: Annotated[str, typer.Option("--duration", help="How long to send traffic: 30s, 2m, 1m30s, 1h."
                                          )] = "2m",
    message_rate: Annotated[Optional[float], typer.Option(
        "--message-rate", help="Events per second of each stream source (default: its generate rate, else 100; "
        "an upsert table gets a tenth).", show_default=False)] = None,
    traffic_pattern: Annotated[Optional[str], typer.Option(
        "--traffic-pattern", help="Windows of another rate, in percent of the message rate: "
        "'2m-4m:500%,6m-8m:300%'.", show_default=False)] = None,
    speed: Annotated[Optional[float], typer.Option(
        "--speed", help="Event time runs this many times faster than the clock (default: fast enough for the "
        "longest window to fire twice).", show_default=False)] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic events (same seed, same events)."
                                      )] = 1,
    late: Annotated[float, typer.Option("--late", help="Share of events written behind the watermark.")] = 0.01,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan (sources, rates, speed, sinks) and "
                                          "start nothing.")] = False,
    keep_data: Annotated[bool, typer.Option("--keep-data", help="Keep the run's folder (logs, job config).")
                         ] = False,
    jars: Annotated[Optional[str], typer.Option("--jars", help="Connector jars or folders for Flink, separated "
                                                "by ':' (default: as for validate).", show_default=False)] = None,
    dashboard: Annotated[bool, typer.Option("--dashboard", help="Serve the live figures on 127.0.0.1 (charts, "
                                            "sinks, sample rows; /api/metrics as JSON).")] = False,
    port: Annotated[int, typer.Option("--port", help="The dashboard's port.")] = 3000,
    report: Annotated[Optional[str], typer.Option(
        "--report", show_default=False,
        help="Write one self-contained HTML report at the end (default file: run-report.html in the project).")
    ] = None,
    bootstrap_servers: Annotated[Optional[str], typer.Option(
        "--bootstrap-servers", show_default=False,
        help="Run on your Kafka at HOST:PORT instead of the embedded broker (alone: config/local.yaml's "
        "kafka.host_bootstrap_servers). Topics are created when missing, never deleted.")] = None,
    schema_registry: Annotated[Optional[str], typer.Option(
        "--schema-registry", show_default=False,
        help="Your Schema Registry, for Avro topics (default: config/local.yaml's schema_registry.host_url).")
    ] = None,
    recreate_topics: Annotated[bool, typer.Option(
        "--recreate-topics", help="On your Kafka: delete the spec's topics and create them again first.")] = False,
    parallelism: Annotated[int, typer.Option(
        "--parallelism", help="The job's parallelism (the embedded broker's topics get as many partitions); "
        "the spec's parallelism is for clusters.")] = 1,
    kafka_config: Annotated[Optional[str], typer.Option(
        "--kafka-config", show_default=False,
        help="On your Kafka: a Kafka client properties file for TLS and SASL (security.protocol, sasl.mechanism, "
        "sasl.jaas.config, ssl.truststore.*), for Flink and the run's own clients.")] = None,
) -> None:
    """Run the project on Apache Flink (local, one JVM) with synthetic traffic through a loopback broker, or
    your own Kafka."""
    from pipegen.run.command import RunOptions, execute
    from pipegen.run.errors import RunError

    report_path = None
    if report is not None:
        report_path = project / report if report == "run-report.html" else Path(report)
    opts = RunOptions(project, duration, message_rate, traffic_pattern, speed, seed, late, dry_run, keep_data,
                      jars.split(os.pathsep) if jars else None, port if dashboard else None, report_path,
                      bootstrap_servers, schema_registry, recreate_topics, parallelism, kafka_config)
    try:
        code = execute(opts, typer.echo, lambda line: typer.echo(line, err=True))
    except RunError as e:
        _err(str(e), e.hint or None)
        raise typer.Exit(e.code) from None
    raise typer.Exit(code)


class DeployTarget(str, Enum):
    local = "local"
    cloud = "cloud"


TARGET_HELP = ("local: sql/local/ as one job on a Flink cluster (--flink-url); cloud: sql/cloud/ as statements on "
               "Confluent Cloud for Apache Flink (settings from the CONFLUENT_* variables of config/cloud.yaml).")


def _cloud_only(given: dict[str, object]) -> None:
    """`--target cloud` takes none of a Flink cluster's options: one line naming the first one given."""
    for flag, value in given.items():
        if value:
            why = ("Confluent Cloud's Flink reaches its own Kafka cluster itself" if flag == "--kafka-config" else
                   "Confluent Cloud keeps each statement's state itself (pipegen stop --target cloud stops the "
                   "INSERT with its state, and deploy resumes it)")
            _err(f"{flag} is for a Flink cluster, not --target cloud", f"leave it out: {why}")
            raise typer.Exit(EXIT_USAGE)


FLINK_URL_HELP = ("The JobManager's REST address (its web UI). Default: $PIPEGEN_FLINK_URL, else config/local.yaml's "
                  "flink.web_ui, else http://localhost:8081.")


def _deploy_call(fn, *args, interrupted: str = "interrupted") -> None:  # noqa: ANN001 - a deploy.command function
    from pipegen.deploy.errors import DeployError

    try:
        code = fn(*args)
    except DeployError as e:
        _err(str(e), e.hint or None)
        raise typer.Exit(e.code) from None
    except KeyboardInterrupt:
        typer.echo(interrupted, err=True)
        raise typer.Exit(130) from None
    raise typer.Exit(code)


@app.command()
def deploy(
    project: Annotated[Path, typer.Argument(help="A compiled project folder (pipegen compile SPEC -o DIR).")
                       ] = Path("."),
    flink_url: Annotated[Optional[str], typer.Option("--flink-url", envvar="PIPEGEN_FLINK_URL", help=FLINK_URL_HELP,
                                                     show_default=False)] = None,
    bootstrap_servers: Annotated[Optional[str], typer.Option(
        "--bootstrap-servers", help="The Kafka brokers as the cluster reaches them. Default: config/local.yaml's "
        "kafka.bootstrap_servers.", show_default=False)] = None,
    schema_registry: Annotated[Optional[str], typer.Option(
        "--schema-registry", help="The Schema Registry as the cluster reaches it (Avro topics). Default: "
        "config/local.yaml's schema_registry.url.", show_default=False)] = None,
    from_savepoint: Annotated[Optional[str], typer.Option(
        "--from-savepoint", help="Resume from this savepoint (or the newest one in this folder).",
        show_default=False)] = None,
    jars: Annotated[Optional[str], typer.Option("--jars", help="Connector jars or folders, separated by ':', sent "
                                                "with the job (default: as for validate).", show_default=False)] = None,
    sql_gateway: Annotated[Optional[str], typer.Option(
        "--sql-gateway", help="Submit through this Flink SQL Gateway (its REST address, e.g. http://HOST:8083) "
        "instead of the JobManager; status and stop still use the JobManager (--flink-url).",
        show_default=False)] = None,
    target: Annotated[DeployTarget, typer.Option("--target", help=TARGET_HELP)] = DeployTarget.local,
    kafka_config: Annotated[Optional[str], typer.Option(
        "--kafka-config", show_default=False,
        help="A Kafka client properties file for TLS and SASL (security.protocol, sasl.jaas.config, "
        "ssl.truststore.*): each Kafka table of the job gets them as properties.*.")] = None,
) -> None:
    """Submit the project's pipeline as one job to a running Flink cluster (or its statements to Confluent Cloud,
    --target cloud); print its id and links."""
    if target == DeployTarget.cloud:
        from pipegen.deploy import cloud

        _cloud_only({"--bootstrap-servers": bootstrap_servers, "--schema-registry": schema_registry,
                     "--from-savepoint": from_savepoint, "--jars": jars, "--sql-gateway": sql_gateway,
                     "--kafka-config": kafka_config})
        _deploy_call(cloud.deploy, project, typer.echo, lambda line: typer.echo(line, err=True),
                     interrupted="interrupted")
    from pipegen.deploy.command import DeployOptions, deploy as run_deploy

    opts = DeployOptions(project, flink_url, bootstrap_servers, schema_registry, from_savepoint,
                         jars.split(os.pathsep) if jars else None, kafka_config)
    if sql_gateway:
        from pipegen.deploy.gateway import deploy as gateway_deploy

        _deploy_call(gateway_deploy, opts, sql_gateway, typer.echo, lambda line: typer.echo(line, err=True),
                     interrupted="interrupted: the session was closed and no job of this deploy is left running")
    _deploy_call(run_deploy, opts, typer.echo, lambda line: typer.echo(line, err=True),
                 interrupted="interrupted: nothing of this deploy is left running on the cluster")


@app.command()
def status(
    project: Annotated[Path, typer.Argument(help="A compiled project folder.")] = Path("."),
    flink_url: Annotated[Optional[str], typer.Option("--flink-url", envvar="PIPEGEN_FLINK_URL", help=FLINK_URL_HELP,
                                                     show_default=False)] = None,
    target: Annotated[DeployTarget, typer.Option("--target", help=TARGET_HELP)] = DeployTarget.local,
) -> None:
    """List the project's jobs on the cluster: state, uptime, records in and out, last checkpoint (or its
    statements on Confluent Cloud, --target cloud: phase and detail)."""
    if target == DeployTarget.cloud:
        from pipegen.deploy import cloud

        _deploy_call(cloud.status, project, typer.echo)
    from pipegen.deploy.command import status as run_status

    _deploy_call(run_status, project, flink_url, typer.echo)


@app.command()
def stop(
    project: Annotated[Path, typer.Argument(help="A compiled project folder.")] = Path("."),
    flink_url: Annotated[Optional[str], typer.Option("--flink-url", envvar="PIPEGEN_FLINK_URL", help=FLINK_URL_HELP,
                                                     show_default=False)] = None,
    savepoint: Annotated[Optional[str], typer.Option(
        "--savepoint", help="Stop with a savepoint in this folder (resume with deploy --from-savepoint); "
        "without it the job is cancelled.", show_default=False)] = None,
    target: Annotated[DeployTarget, typer.Option("--target", help=TARGET_HELP)] = DeployTarget.local,
    delete: Annotated[bool, typer.Option(
        "--delete", help="--target cloud: delete the project's statements instead of stopping the INSERT "
        "(its state is lost; tables, views and topics stay).")] = False,
) -> None:
    """Stop the project's running job: cancel it, or stop it with a savepoint (on Confluent Cloud, --target
    cloud: stop its INSERT with its state, which deploy resumes; --delete deletes its statements)."""
    if target == DeployTarget.cloud:
        from pipegen.deploy import cloud

        _cloud_only({"--savepoint": savepoint})
        _deploy_call(lambda: cloud.stop(project, typer.echo, lambda line: typer.echo(line, err=True),
                                        delete=delete))
    if delete:
        _err("--delete is for --target cloud (Confluent Cloud's statements)",
             "on a Flink cluster, pipegen stop cancels the job (or --savepoint DIR keeps its state)")
        raise typer.Exit(EXIT_USAGE)
    from pipegen.deploy.command import stop as run_stop

    _deploy_call(run_stop, project, flink_url, savepoint, typer.echo, lambda line: typer.echo(line, err=True))


def _describe(describe: str, domain: str | None, provider: str | None, model: str | None, source, out_dir: Path,
              max_repairs: int, timeout: float) -> tuple[str, str, bool, list, bool]:
    """`init --describe`: (the text to write, the spec as generated, whether the checks accept it, its
    diagnostics, whether a model was called). A spec with errors is written with them as comments on top."""
    from pipegen import api
    from pipegen.backends import choose
    from pipegen.backends.base import BackendError
    from pipegen.generate import generate, with_diagnostics_as_comments

    try:
        backend = choose(provider, model)
    except BackendError as e:
        _err(e.message, e.hint)
        raise typer.Exit(EXIT_USAGE) from None
    line = _ProgressLine(f"generating with {backend.name} ({backend.model})")
    try:
        result = generate(describe, domain, backend, source=source, name=out_dir.name, max_repairs=max_repairs,
                          timeout_s=timeout, on_progress=line)
    except BackendError as e:
        line.done()
        _err(e.message, e.hint)
        raise typer.Exit(EXIT_SPEC if e.kind == "malformed" else EXIT_USAGE) from None
    except KeyboardInterrupt:
        line.done()
        _err("interrupted; nothing was written")
        raise typer.Exit(130) from None
    line.done()
    if result.model_called:
        typer.echo(f"generated with {result.provider} ({result.model}) in {result.seconds:.1f} s, choosing among "
                   f"{result.readings} reading(s) of the request, {result.tokens} tokens, {result.attempts} "
                   "attempt(s)", err=True)
    else:
        typer.echo(f"the request pins the spec down (one reading): written in {result.seconds:.1f} s without a "
                   f"call to {result.provider} ({result.model})", err=True)
    ok, diagnostics = result.ok, result.diagnostics
    if ok:  # never present a spec the checks reject as a finished one
        checked = api.check(result.spec_text, str(out_dir / "pipeline.pgl"))
        ok, diagnostics = checked.ok, checked.diagnostics
    text = result.spec_text if ok else with_diagnostics_as_comments(result.spec_text, diagnostics)
    return text, result.spec_text, ok, diagnostics, result.model_called


def _kept_spec(hint: str | None, spec_path: Path) -> str:
    """The hint of an error after `init` wrote the spec: the spec is kept, and how to go on from it."""
    return f"{hint + '; ' if hint else ''}{spec_path} is written: then run `pipegen compile {spec_path}`"


@app.command("fetch-jars")
def fetch_jars(
    dest: Annotated[Path | None, typer.Argument(help="Folder for the jars. Default: the user cache "
                                                   "($XDG_CACHE_HOME/pipegen/flink-jars), where validate "
                                                   "--engine flink looks.", show_default=False,
                                                   metavar="DIR")] = None,
) -> None:
    """Fetch the Kafka connector jars Flink needs (once, from PyPI, about 92 MB) and print their paths."""
    from pipegen.engine import jars as kafka_jars

    try:
        paths = kafka_jars.ensure(dest)
    except kafka_jars.FetchError as e:
        _err(e.message, e.hint)
        raise typer.Exit(EXIT_USAGE) from None
    for p in paths:
        typer.echo(p)


@app.command("check")
def check_providers() -> None:
    """Which AI providers are configured, reachable and have their model; which one `init` uses; Java and Flink."""
    import shutil as _shutil

    from pipegen.backends import PROVIDERS, choose, get
    from pipegen.backends.base import BackendError

    typer.echo("Checking AI provider configuration...\n")
    for name in PROVIDERS:
        try:
            st = get(name).status()
        except BackendError as e:
            typer.echo(f"[x] {name}: {e.message}")
            continue
        except ImportError as e:
            typer.echo(f"[x] {name}: not installed ({e.name})")
            continue
        mark = "[ok]" if st.available else ("[!]" if st.configured else "[ ]")
        typer.echo(f"{mark} {st.provider}")
        typer.echo(f"    Model: {st.model}")
        for k, v in st.settings.items():
            typer.echo(f"    {k}: {v}")
        typer.echo(f"    Status: {'Available' if st.available else 'Not available'} ({st.detail})")
        if st.hint:
            typer.echo(f"    Tip: {st.hint}")
    try:
        chosen = choose()
        typer.echo(f"\n`pipegen init --describe` will use: {chosen.name} ({chosen.model})")
    except BackendError as e:
        typer.echo("")
        _err(e.message, e.hint)
    java = _shutil.which("java")
    typer.echo(f"\nJava: {java or 'not found (needed for validate --engine flink)'}")
    try:
        import importlib.util

        flink = importlib.util.find_spec("pyflink") is not None
    except (ImportError, ValueError):
        flink = False
    from pipegen.engine import jars as kafka_jars

    typer.echo(f"Flink (pyflink): {'installed' if flink else 'not installed (pip install pipegen[flink])'}")
    if os.environ.get("PIPEGEN_FLINK_JARS"):
        typer.echo(f"Kafka connector jars: {os.environ['PIPEGEN_FLINK_JARS']} (PIPEGEN_FLINK_JARS)")
    elif kafka_jars.cached() is not None:
        typer.echo(f"Kafka connector jars: {kafka_jars.cache_dir()}")
    else:
        typer.echo("Kafka connector jars: not fetched yet (validate --engine flink fetches them on first use, "
                   "about 92 MB; or run `pipegen fetch-jars`)")


@app.command("eval")
def eval_cmd(
    cases: Annotated[Path, typer.Argument(help="JSON lines of requests with expected structure.",
                                          show_default=False, readable=False)],
    provider: Annotated[Optional[str], typer.Option("--provider", help="Provider to score.")] = None,
    model: Annotated[Optional[str], typer.Option("--model", help="Model for the provider.")] = None,
    engine: Annotated[Optional[str], typer.Option("--engine", help="flink: also plan each spec in Flink.")] = None,
    jars: Annotated[Optional[str], typer.Option("--jars", help="Kafka connector jars for Flink.")] = None,
    report: Annotated[Optional[Path], typer.Option("--report", help="Write the report as JSON here.")] = None,
    markdown: Annotated[Optional[Path], typer.Option("--markdown", help="Write the report as Markdown here.")] = None,
) -> None:
    """Score a provider on a file of requests: parses, checks, plans, slot accuracy, time, tokens."""
    from pipegen.backends import choose
    from pipegen.backends.base import BackendError
    from pipegen.evaluate import EvalCaseError, run_eval
    from pipegen.generate import generate

    _must_be_file(cases, "a JSON-lines file of cases")
    for out in (report, markdown):  # checked before the run, which can take minutes, not after it
        if out is not None:
            _can_write(out)
    try:
        backend = choose(provider, model)
    except BackendError as e:
        _err(e.message, e.hint)
        raise typer.Exit(EXIT_USAGE) from None
    flink_jars = None
    if engine == "flink":
        from pipegen.engine.flink import FlinkUnavailable, connector_jars

        try:
            flink_jars = [str(p) for p in connector_jars(jars.split(os.pathsep) if jars else None)]
        except FlinkUnavailable as e:
            _err(e.message, e.hint)
            raise typer.Exit(EXIT_USAGE) from None
    try:
        rep = run_eval(cases, lambda d, dom: generate(d, dom, backend), backend.name, flink_jars=flink_jars,
                       progress=lambda msg: typer.echo(msg, err=True))
    except EvalCaseError as e:
        _err(str(e))
        raise typer.Exit(EXIT_USAGE) from None
    md = rep.to_markdown()
    typer.echo(md)
    if report:
        report.write_text(rep.to_json(), encoding="utf-8")
    if markdown:
        markdown.write_text(md, encoding="utf-8")


def _can_write(path: Path) -> None:
    """Exit 2 with one line when ``path`` could not be written: a folder, or a folder above it that is missing,
    not a folder or not writable."""
    folder = path.parent
    if path.is_dir():
        _err(f"{path} is a folder", "give the path of a file to write")
    elif not folder.is_dir():
        _err(f"{folder} is not a folder" if folder.exists() else f"{folder}: no such folder",
             "make the folder first, or choose another path")
    elif not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        _err(f"{path} cannot be written (permission denied)", "choose another path, or change its permissions")
    else:
        return
    raise typer.Exit(EXIT_USAGE)


def _os_error_line(e: OSError) -> str:
    where = e.filename if e.filename is not None else "writing the output"
    return f"{where}: {e.strerror or e}"


def _os_error_hint(e: OSError) -> str:
    import errno

    if e.errno in (errno.EACCES, errno.EPERM):
        return "check the permissions of that path, or choose another path"
    if e.errno == errno.EROFS:
        return "the file system is read-only: choose a folder on a writable one"
    if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return "free some disk space (or raise the quota) and run the command again"
    if e.errno == errno.ENAMETOOLONG:
        return "use a shorter path or name"
    if e.errno in (errno.ENOTDIR, errno.EISDIR, errno.EEXIST):
        return "a file stands where a folder is needed (or the other way round): choose another path"
    return "check that path and run the command again"


def _optional_value(argv: list[str], flag: str, default: str) -> None:
    """``run --report`` with no file name means the default one (click has no optional option values)."""
    for i, arg in enumerate(argv):
        if arg == "--":
            return
        if arg == flag and (i + 1 == len(argv) or argv[i + 1].startswith("-")):
            argv.insert(i + 1, default)
            return


def main() -> None:
    """Entry point: usage errors exit 2 (typer); anything unexpected becomes one line and exit code 3."""
    import signal

    # A reader that stops reading (`pipegen fmt spec.pgl | head`) ends the command quietly, as it ends other Unix
    # tools (exit 141, SIGPIPE), instead of click's exit 1, which here means "spec errors".
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    _optional_value(sys.argv, "--report", "run-report.html")
    if sys.argv[1:2] == ["run"]:
        _optional_value(sys.argv, "--bootstrap-servers", "config")
    from typer.exceptions import Abort

    try:  # typer 0.2x carries its own copy of click (pinned below 0.29 in pyproject.toml)
        from typer._click.exceptions import ClickException, UsageError
    except ImportError:  # pragma: no cover - a typer that uses click itself
        from click.exceptions import ClickException, UsageError

    try:
        # Not standalone: click's usage errors come here, to be one line like every other error (its own are
        # a boxed, multi-line message).
        code = app(standalone_mode=False)
    except UsageError as e:
        _err(_usage_line(e), _usage_hint(e))
        sys.exit(EXIT_USAGE)
    except ClickException as e:  # a bad file argument, an unreadable path given to click
        _err(e.format_message(), "check the path and run the command again")
        sys.exit(EXIT_USAGE)
    except (KeyboardInterrupt, Abort):
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except SystemExit:
        raise
    except OSError as e:
        # A path of the user's that cannot be read or written, a full disk: the environment, not a bug.
        if os.environ.get("PIPEGEN_DEBUG"):
            raise
        _err(_os_error_line(e), _os_error_hint(e))
        sys.exit(EXIT_USAGE)
    except Exception as e:  # noqa: BLE001 - the user must never see a traceback
        if os.environ.get("PIPEGEN_DEBUG"):
            raise
        _err(f"internal error: {type(e).__name__}: {e}",
             "this is a bug in PipeGen; please report it with the spec that caused it (PIPEGEN_DEBUG=1 shows details)")
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else EXIT_OK)


def _usage_line(e) -> str:  # noqa: ANN001 - a click.UsageError
    message = " ".join(e.format_message().split())
    ctx = getattr(e, "ctx", None)
    command = ctx.command_path if ctx is not None else "pipegen"
    return f"{command}: {message}"


def _usage_hint(e) -> str:  # noqa: ANN001
    ctx = getattr(e, "ctx", None)
    return f"see `{ctx.command_path if ctx is not None else 'pipegen'} --help`"


if __name__ == "__main__":
    main()

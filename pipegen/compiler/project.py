"""The files of a generated project, and writing them safely.

``build_files`` returns every output file as text, in a fixed order, so the
output is byte-identical across runs and machines. ``write_project`` writes
them into a fresh folder beside the target and swaps it in, so a failure
leaves an existing project as it was; files the user added are carried over,
never deleted.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipegen import __version__

from . import ir, yamlout
from .analyze import Analysis
from .avro import sink_key_schema, sink_schema, source_key_schema, source_schema
from .targets.base import Settings, Statement
from .targets.cloud import CloudTarget
from .targets.local import DEFAULTS as LOCAL_DEFAULTS
from .targets.local import LocalTarget

if TYPE_CHECKING:
    import jinja2

MANIFEST = ".pipegen-manifest.json"
STAGING = ".pipegen-staging"
SPEC_COPY = "pipeline.pgl"
FLINK_IMAGE = "flink:2.3.0-scala_2.12-java17"
MAVEN = "https://repo1.maven.org/maven2/org/apache"
CONNECTOR_JARS = (
    f"{MAVEN}/flink/flink-connector-kafka/4.0.1-2.0/flink-connector-kafka-4.0.1-2.0.jar",
    f"{MAVEN}/kafka/kafka-clients/3.9.1/kafka-clients-3.9.1.jar",
    f"{MAVEN}/flink/flink-sql-avro-confluent-registry/2.3.0/flink-sql-avro-confluent-registry-2.3.0.jar",
)
TARGETS = {"local": LocalTarget, "cloud": CloudTarget}

# Defaults by domain for .pipegen.yaml: producer load and domain thresholds.
DOMAIN_CONFIG: dict[str, dict[str, Any]] = {
    "ecommerce": {"message_rate": 500, "config": {"customer_session_timeout": "30m", "conversion_window": "24h",
                                                   "min_events_threshold": 5}},
    "fintech": {"message_rate": 1000, "config": {"fraud_window": "30s", "risk_score_threshold": 0.8,
                                                  "max_transaction_amount": 10000}},
    "iot": {"message_rate": 2000, "config": {"sensor_reading_interval": "1s", "anomaly_duration": "5m",
                                              "temperature_threshold": 90}},
    "gaming": {"message_rate": 1000, "config": {"player_session_timeout": "15m", "leaderboard_size": 100}},
    "media": {"message_rate": 800, "config": {"trending_window": "1h", "viral_engagement_threshold": 1000}},
    "healthcare": {"message_rate": 200, "config": {"vital_check_interval": "1m", "alert_duration": "5m"}},
    "logistics": {"message_rate": 300, "config": {"delivery_sla": "2h", "route_update_interval": "1m"}},
}


class ProjectError(Exception):
    """A problem writing the output folder (not a spec error)."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    import jinja2  # imported here: only the README and docker-compose.yml need it

    return jinja2.Environment(
        loader=jinja2.PackageLoader("pipegen.compiler", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
        bytecode_cache=_bytecode_cache(),
    )


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """The compiled templates, kept between runs in jinja2's own per-user temp folder (checked to be
    the user's, mode 700): loading them takes about 1 ms, compiling them 15 ms. A template whose text
    changed is compiled again. Where the folder cannot be used, None: every run compiles."""
    import jinja2

    class Cache(jinja2.FileSystemBytecodeCache):
        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except Exception:  # noqa: BLE001 - an unreadable or broken file: compile instead
                bucket.reset()

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            try:
                super().dump_bytecode(bucket)
            except OSError:  # not writable: the next run compiles again
                pass

    try:
        return Cache()
    except (OSError, RuntimeError):  # jinja2 finds no safe folder
        return None


def read_settings(project_dir: Path | None) -> Settings:
    """Local connection settings: config/local.yaml of an existing project, else the defaults."""
    values = dict(LOCAL_DEFAULTS)
    if project_dir is not None:
        path = project_dir / "config" / "local.yaml"
        if path.is_file():
            import yaml

            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
                kafka = data.get("kafka", {}) or {}
                registry = data.get("schema_registry", {}) or {}
                if kafka.get("bootstrap_servers"):
                    values["bootstrap_servers"] = str(kafka["bootstrap_servers"])
                if registry.get("url"):
                    values["schema_registry_url"] = str(registry["url"])
            except (yaml.YAMLError, AttributeError) as e:
                raise ProjectError(f"{path}: not valid YAML ({str(e).splitlines()[0]})",
                                   "fix the file or delete it to get the defaults back") from None
    return Settings(values)


def sql_files(statements: list[Statement], preamble: list[str], spec: ir.Spec, target: str = "local"
              ) -> dict[str, str]:
    files = {s.file: s.sql + ";\n" for s in statements}
    files["pipeline.sql"] = TARGETS[target].pipeline_sql(spec, statements, preamble)
    return files


def _dump_yaml(data: Any, header: str) -> str:
    return header + yamlout.dump(data)  # PyYAML, imported on the first call


def _json(data: Any) -> str:
    """Schemas and the manifest: indented JSON and a newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _where(st: ir.Source | ir.Sink) -> str:
    """Where a source reads or a sink writes, for the project's README."""
    if st.topic is not None:
        return f"topic `{st.topic}`"
    if st.files is not None:
        return f"files in `{st.files}`"
    if isinstance(st, ir.Source) and st.jdbc is not None:
        return f"jdbc table `{st.jdbc.table}`"
    return "datagen rows"


def _summary(st: Any) -> str:
    from . import printer

    if st.description:
        return st.description.replace("|", "\\|").replace("\n", " ")
    if isinstance(st, ir.Transform):
        return f"filters: {printer.expr(st.where)}" if st.where else "projects columns"
    if isinstance(st, ir.Aggregate):
        w = f"{st.window.kind} window" if st.window else "running totals"
        return f"{w} by {', '.join('.'.join(g.path) for g in st.group_by) or 'all rows'}"
    if isinstance(st, ir.Sort):
        return "in order of " + ", ".join(f"{printer.expr(o.column)} {o.direction}" for o in st.order_by)
    return st.kind


def build_statements(analysis: Analysis, targets: tuple[str, ...], settings: Settings, *, planning: bool = False
                     ) -> dict[str, tuple[list[Statement], list[str]]]:
    """Each target's statements and the SET lines of its pipeline.sql (``planning``: see ``targets.base.Target``)."""
    out = {}
    for name in targets:
        target = TARGETS[name](analysis, settings if name == "local" else None, planning=planning)
        out[name] = (target.statements(), target.preamble())
    return out


def build_files(analysis: Analysis, spec_text: str, targets: tuple[str, ...], settings: Settings,
                statements: dict[str, tuple[list[Statement], list[str]]] | None = None) -> dict[str, str]:
    """Every file of the project, relative path -> text."""
    spec = analysis.spec
    files: dict[str, str] = {SPEC_COPY: spec_text if spec_text.endswith("\n") else spec_text + "\n"}
    statements = statements or build_statements(analysis, targets, settings)
    for name in targets:
        stmts, preamble = statements[name]
        for fname, text in sql_files(stmts, preamble, spec, name).items():
            files[f"sql/{name}/{fname}"] = text
    if "local" in targets:
        from . import k8s

        files.update(k8s.files(spec, files["sql/local/pipeline.sql"]))
    schema_rows = []
    for st in spec.statements:
        rel = analysis.relations[st.name]
        if isinstance(st, ir.Source):
            files[f"schemas/{st.name}-value.avsc"] = _json(source_schema(spec, st))
            if st.key:
                files[f"schemas/{st.name}-key.avsc"] = _json(source_key_schema(spec, st))
            fields = [{"name": f.name, "type": _type_text(f.type), "nullable": f.nullable,
                       "doc": (f.doc or "").replace("|", "\\|")} for f in st.fields]
            schema_rows.append({"name": st.name, "role": "source", "where": _where(st), "doc": st.description,
                                "file": f"{st.name}-value.avsc", "fields": fields})
        elif isinstance(st, ir.Sink):
            cols = [(c.name, c.type.with_null(c.name not in st.key)) for c in rel.columns]
            files[f"schemas/{st.name}-value.avsc"] = _json(sink_schema(spec, st, cols, st.description))
            if st.key:
                files[f"schemas/{st.name}-key.avsc"] = _json(
                    sink_key_schema(spec, st, [(n, t) for n, t in cols if n in st.key]))
            fields = [{"name": n, "type": t.describe(), "nullable": t.nullable, "doc": ""} for n, t in cols]
            schema_rows.append({"name": st.name, "role": f"sink, {st.mode or 'append'}", "where": _where(st),
                                "doc": st.description, "file": f"{st.name}-value.avsc", "fields": fields})
    files.update(_configs(spec, settings))
    env = _env()
    files["README.md"] = env.get_template("README.md.j2").render(**_readme_context(analysis, schema_rows))
    p = spec.pipeline
    files["docker-compose.yml"] = env.get_template("docker-compose.yml.j2").render(
        name=p.name, compose_name=re.sub(r"[^a-z0-9_-]", "-", p.name.lower()), flink_version="2.3",
        flink_image=FLINK_IMAGE, jars=CONNECTOR_JARS, parallelism=p.parallelism, slots=max(p.parallelism or 2, 2),
    )
    return dict(sorted(files.items()))


def _type_text(t: ir.Type) -> str:
    from .printer import type_

    return " ".join(type_(t, 0).split()).replace("|", "\\|")


def _readme_context(analysis: Analysis, schemas: list[dict[str, Any]]) -> dict[str, Any]:
    spec = analysis.spec
    nodes, edges, stages = [], [], []
    for st in spec.statements:
        if isinstance(st, ir.Source):
            open_, close = "[(", ")]"
        elif isinstance(st, ir.Sink):
            open_, close = "[/", "/]"
        else:
            open_, close = "[", "]"
        nodes.append({"id": st.name, "open": open_, "close": close, "label": f"{st.kind}: {st.name}"})
        for i in ir.statement_inputs(st):
            edges.append((i, st.name))
        if not isinstance(st, (ir.Source, ir.Sink)):
            stages.append({"name": st.name, "kind": st.kind, "summary": _summary(st),
                           "reads": ", ".join(f"`{i}`" for i in ir.statement_inputs(st))})
    topics = sorted({s.topic for s in spec.statements if isinstance(s, (ir.Source, ir.Sink)) and s.topic is not None})
    p = spec.pipeline
    return {"name": p.name, "description": p.description, "domain": p.domain, "version": __version__,
            "nodes": nodes, "edges": edges, "stages": stages, "schemas": schemas, "topics": topics}


def _configs(spec: ir.Spec, settings: Settings) -> dict[str, str]:
    p = spec.pipeline
    local = {
        "kafka": {"bootstrap_servers": settings.get("bootstrap_servers"), "host_bootstrap_servers": "localhost:9092"},
        "schema_registry": {"url": settings.get("schema_registry_url"), "host_url": "http://localhost:8081"},
        "flink": {"sql_gateway": "http://localhost:8083", "web_ui": "http://localhost:8082"},
    }
    cloud = {
        "confluent": {
            "organization_id": "${CONFLUENT_ORGANIZATION_ID}",
            "environment_id": "${CONFLUENT_ENVIRONMENT_ID}",
            "compute_pool_id": "${CONFLUENT_COMPUTE_POOL_ID}",
            "kafka_cluster": "${CONFLUENT_KAFKA_CLUSTER}",
            "cloud_provider": "${CONFLUENT_CLOUD_PROVIDER}",
            "cloud_region": "${CONFLUENT_CLOUD_REGION}",
            "flink_rest_endpoint": "${CONFLUENT_FLINK_REST_ENDPOINT}",
            "flink_api_key": "${CONFLUENT_FLINK_API_KEY}",
            "flink_api_secret": "${CONFLUENT_FLINK_API_SECRET}",
        },
        "schema_registry": {
            "url": "${CONFLUENT_SCHEMA_REGISTRY_URL}",
            "api_key": "${CONFLUENT_SCHEMA_REGISTRY_API_KEY}",
            "api_secret": "${CONFLUENT_SCHEMA_REGISTRY_API_SECRET}",
        },
    }
    domain = DOMAIN_CONFIG.get(p.domain or "", {"message_rate": 100, "config": {}})
    generators = {}
    for st in spec.statements:
        if isinstance(st, ir.Source) and st.generate is not None:
            g: dict[str, Any] = {}
            if st.generate.rate:
                g["rate_per_second"] = st.generate.rate
            for h in st.generate.hints:
                if isinstance(h, ir.RangeHint):
                    g.setdefault("ranges", {})[h.field] = [_num(h.low), _num(h.high)]
                else:
                    g.setdefault("weights", {})[h.field] = {w.symbol: _num(w.weight.text) for w in h.weights}
            generators[st.name] = g
    rate = next((g["rate_per_second"] for g in generators.values() if "rate_per_second" in g), domain["message_rate"])
    project = {
        "project_name": p.name,
        "description": p.description or "",
        "domain": p.domain or "",
        "producer_config": {"batch_size": 1000, "linger_ms": 100, "message_rate": rate},
        "consumer_config": {"auto_offset_reset": "earliest", "enable_auto_commit": True},
        "flink_config": {
            "parallelism": p.parallelism or 1,
            "checkpoint_interval": f"{p.checkpoint.value}{_short(p.checkpoint.unit)}" if p.checkpoint else "30s",
            "state_backend": "rocksdb" if p.state_ttl else "hashmap",
            **({"state_ttl": f"{p.state_ttl.value}{_short(p.state_ttl.unit)}"} if p.state_ttl else {}),
        },
        "domain_config": domain["config"],
        "generators": generators,
    }
    header = "# Generated by PipeGen from pipeline.pgl.\n"
    return {
        "config/local.yaml": _dump_yaml(local, header + "# Local stack (docker-compose.yml). Flink uses the first "
                                        "address of each; edit and recompile to change the SQL.\n"),
        "config/cloud.yaml": _dump_yaml(cloud, header + "# Confluent Cloud. ${VARS} are read from the environment; "
                                        "never write a secret here.\n"),
        ".pipegen.yaml": _dump_yaml(project, header),
    }


def _short(unit: str) -> str:
    return {"min": "m"}.get(unit, unit)


def _num(text: str) -> int | float:
    return float(text) if "." in text else int(text)


# ------------------------------------------------------------------ writing


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class WriteResult:
    written: list[str]
    kept: list[str]  # files of the user's that were carried over


def _safe_rel(path: str) -> None:
    p = Path(path)
    if p.is_absolute() or ".." in p.parts or "\x00" in path:
        raise ProjectError(f"refusing to write {path!r} outside the output folder")


def _listed(names: list[str], most: int = 4) -> str:
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def check_target(out_dir: Path, force: bool = False, spec_path: Path | None = None) -> None:
    """Raise ProjectError when ``out_dir`` is not a folder PipeGen may write a project into (a file stands there,
    it cannot be written, or it holds files PipeGen did not write or that changed since), reading only: `init`
    asks before it writes anything (and before a model is asked)."""
    out_dir = _absolute(out_dir)
    _inspect(out_dir, force, spec_path, ALWAYS_WRITTEN)
    _refuse_unwritable(out_dir)


# Files every project has, whatever its spec (the rest depend on its statements).
ALWAYS_WRITTEN = ("README.md", "pipeline.pgl", "docker-compose.yml", "config/local.yaml", "config/cloud.yaml")


def real(path: Path) -> Path:
    """``path`` with its symlinks resolved; a symlink loop is left as it is (``Path.resolve`` raises
    RuntimeError on one, which would end a command as an internal error)."""
    return Path(os.path.realpath(path))


def _absolute(out_dir: Path) -> Path:
    return real(out_dir) if out_dir.exists() else Path(os.path.abspath(out_dir))


def _refuse_a_file(out_dir: Path) -> None:
    if out_dir.is_symlink() and not out_dir.exists():
        target = os.readlink(out_dir)
        why = "a symlink loop" if _loops(out_dir) else f"a symlink to {target}, which does not exist"
        raise ProjectError(f"{out_dir} is {why}", "remove the link or point it at a folder, or choose another "
                           "output folder")
    if out_dir.exists() and not out_dir.is_dir():
        raise ProjectError(f"{out_dir} exists and is not a folder", "choose another output folder")


def _loops(path: Path) -> bool:
    import errno

    try:
        os.stat(path)
    except OSError as e:
        return e.errno == errno.ELOOP
    return False


def _refuse_unwritable(out_dir: Path) -> None:
    """ProjectError when the project could not be written: the folder, or the nearest folder above it that
    exists, is not a folder or cannot be written (found by asking, writing nothing)."""
    folder = out_dir
    while not folder.exists() and not folder.is_symlink() and folder.parent != folder:
        folder = folder.parent
    if not folder.is_dir():
        raise ProjectError(f"{folder} is not a folder, so {out_dir} cannot be made", "choose another output folder")
    if not os.access(folder, os.W_OK | os.X_OK, effective_ids=os.access in os.supports_effective_ids):
        read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
        why = "is on a read-only file system" if read_only else "is not writable for you (permission denied)"
        raise ProjectError(f"{folder} {why}", "choose an output folder you can write to"
                           + ("" if read_only else ", or change that folder's permissions"))


def _inspect(out_dir: Path, force: bool, spec_path: Path | None, files: Iterable[str] | None = None
             ) -> tuple[dict[str, str], list[str]]:
    """The old manifest and the files PipeGen did not write; ProjectError when writing is not safe. ``files``:
    what PipeGen is about to write (when known), so the error can say exactly what --force would replace."""
    _refuse_a_file(out_dir)
    old_manifest: dict[str, str] = {}
    user_files: list[str] = []
    if out_dir.is_dir():
        mpath = out_dir / MANIFEST
        if mpath.is_file():
            try:
                old_manifest = json.loads(mpath.read_text(encoding="utf-8")).get("files", {})
            except (json.JSONDecodeError, AttributeError):
                old_manifest = {}
        changed = []
        for path in sorted(p for p in out_dir.rglob("*") if p.is_file() or p.is_symlink()):
            rel = path.relative_to(out_dir).as_posix()
            if rel == MANIFEST or rel.startswith(STAGING + "/"):
                continue
            if spec_path is not None and real(path) == real(spec_path):
                user_files.append(rel)
                continue
            if rel in old_manifest and path.is_file() and _digest(path.read_bytes()) == old_manifest[rel]:
                continue
            if rel in old_manifest:
                changed.append(rel)
            else:
                user_files.append(rel)
        foreign = [f for f in user_files if spec_path is None or real(out_dir / f) != real(spec_path)]
        if (changed or (foreign and not old_manifest)) and not force:
            what = changed[:3] if changed else foreign[:3]
            many = len(what) > 1
            kind = (f"{'were' if many else 'was'} changed since PipeGen wrote {'them' if many else 'it'}" if changed
                    else f"{'were' if many else 'was'} not written by PipeGen")
            # --force replaces the changed files of PipeGen's and any of yours PipeGen writes a file of the same
            # name as; the rest of yours stay.
            replaced = changed + [f for f in foreign if files is not None and f in set(files)]
            kept = [f for f in foreign if f not in replaced]
            force_says = (f"--force replaces {_listed(replaced)} with what PipeGen writes now" if replaced
                          else "--force writes PipeGen's files beside yours")
            raise ProjectError(
                f"{out_dir} holds files PipeGen would overwrite or did not write: {', '.join(what)} {kind}",
                f"{force_says}{f' and keeps {_listed(kept)}' if kept else ''} (it never deletes a file of yours); "
                "or choose another folder",
            )
    return old_manifest, user_files


def write_project(out_dir: Path, files: dict[str, str], force: bool = False, spec_path: Path | None = None,
                  precheck: Any = None) -> WriteResult:
    """Write ``files`` into ``out_dir`` atomically (see the module docstring); ``precheck(out_dir)`` runs first,
    under the same lock (it may refuse with ProjectError). Two writers of one folder take
    turns: each holds a lock on the folder while it checks and writes, so the second finds the first's whole
    project (and writes over it, or refuses it, as it would any project)."""
    out_dir = _absolute(out_dir)
    for rel in files:
        _safe_rel(rel)
    with locked(out_dir):
        if precheck is not None:
            precheck(out_dir)
        return _write_locked(out_dir, files, force, spec_path)


@contextmanager
def locked(out_dir: Path) -> Iterator[None]:
    """Hold the lock on ``out_dir`` (made first, with its parents): two writers of one folder take turns. An
    OS error that names no file (a full disk while writing) names the folder; folders this made and left empty
    by a failure are removed again."""
    _refuse_a_file(out_dir)  # before the folder is made: a file there is the user's mistake, not an OS error
    _refuse_unwritable(out_dir)
    top = out_dir  # the first folder that mkdir makes, if any
    while not top.parent.exists() and top.parent != top:
        top = top.parent
    made = None if top.exists() or top.is_symlink() else top
    out_dir.mkdir(parents=True, exist_ok=True)
    import fcntl

    fd = os.open(out_dir, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # a lock on the folder itself: nothing is left behind in it
        yield
    except BaseException as e:
        if isinstance(e, OSError) and e.filename is None:
            e.filename = str(out_dir)
        if made is not None:
            _remove_empty(out_dir, made)
        raise
    finally:
        os.close(fd)  # closing releases the lock


def _remove_empty(folder: Path, top: Path) -> None:
    """Remove ``folder`` and its parents up to ``top`` while they are empty."""
    while True:
        try:
            folder.rmdir()
        except OSError:
            return
        if folder == top:
            return
        folder = folder.parent


def put_spec(out_dir: Path, text: str, force: bool) -> Path:
    """Write ``out_dir/pipeline.pgl`` atomically (under ``locked``): refused when it exists, unless ``force``.
    A failed write leaves no temporary file."""
    import secrets

    spec = out_dir / SPEC_COPY
    if (spec.exists() or spec.is_symlink()) and not force:
        raise ProjectError(f"{spec} already exists", "pass --force to replace it, or edit it and run "
                           f"`pipegen compile {spec}`")
    tmp = out_dir / f".pipeline.pgl.{os.getpid()}.{secrets.token_hex(4)}.pipegen-tmp"
    try:
        # Made with mode 0666 less the umask, as any file the user's tools write.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8"))
        os.replace(tmp, spec)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        if isinstance(e, OSError) and e.filename in (None, str(tmp)):
            e.filename = str(spec)  # the user's file, not the temporary one
        raise
    return spec


def _write_locked(out_dir: Path, files: dict[str, str], force: bool, spec_path: Path | None) -> WriteResult:
    _recover(out_dir)
    old_manifest, user_files = _inspect(out_dir, force, spec_path, files)
    staging = out_dir / STAGING
    staging.mkdir()
    journal: list[tuple[str, bool]] = []  # (relative path, had an old version)
    try:
        for rel, text in files.items():
            dest = staging / "new" / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(text.encode("utf-8"))
        manifest = {"generator": f"pipegen {__version__}",
                    "files": {rel: _digest(text.encode("utf-8")) for rel, text in files.items()}}
        (staging / "new" / MANIFEST).write_text(_json(manifest), encoding="utf-8")
        stale = [rel for rel in old_manifest
                 if rel not in files and rel not in user_files and (out_dir / rel).is_file()]
        keep_spec = {rel for rel in user_files if rel in files and spec_path is not None
                     and real(out_dir / rel) == real(spec_path)}
        order = [rel for rel in files if rel not in keep_spec] + [MANIFEST]
        (staging / "journal").write_text("", encoding="utf-8")
        for rel in order + stale:
            target = out_dir / rel
            had_old = target.exists() or target.is_symlink()
            with open(staging / "journal", "a", encoding="utf-8") as j:
                j.write(json.dumps([rel, had_old]) + "\n")
            journal.append((rel, had_old))
            if had_old:
                old = staging / "old" / rel
                old.parent.mkdir(parents=True, exist_ok=True)
                os.replace(target, old)
            if rel in files or rel == MANIFEST:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / "new" / rel, target)
    except BaseException:
        _rollback(out_dir, journal)
        raise
    # The journal goes first: a kill during clean-up must not make the next run roll back a finished write.
    (staging / "journal").unlink(missing_ok=True)
    shutil.rmtree(staging, ignore_errors=True)
    for rel in stale:
        _prune_empty(out_dir, (out_dir / rel).parent)
    kept = [rel for rel in user_files if rel not in files]
    return WriteResult(sorted(files), kept)


def _rollback(out_dir: Path, journal: list[tuple[str, bool]]) -> None:
    """Undo a write: put every old file back, remove new ones, drop the staging folder."""
    staging = out_dir / STAGING
    for rel, had_old in reversed(journal):
        target = out_dir / rel
        old = staging / "old" / rel
        if old.exists() or old.is_symlink():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(old, target)
        elif not had_old and target.exists():
            target.unlink()
    shutil.rmtree(staging, ignore_errors=True)


def _recover(out_dir: Path) -> None:
    """Finish off a write that was killed half way: restore the old project from the staging folder."""
    staging = out_dir / STAGING
    if not staging.exists():
        return
    journal = []
    jpath = staging / "journal"
    if jpath.is_file():
        for line in jpath.read_text(encoding="utf-8").splitlines():
            try:
                rel, had_old = json.loads(line)
                journal.append((str(rel), bool(had_old)))
            except (ValueError, TypeError):
                continue
    _rollback(out_dir, journal)


def _prune_empty(root: Path, folder: Path) -> None:
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent

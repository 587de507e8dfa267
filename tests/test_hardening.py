"""Hardening of the file system side and of the schema readers.

* Output paths never leave the output folder; names the grammar allows cannot make them.
* An interrupted compile (a fault at any step, or a kill at any step) leaves the old project whole.
* Files the user added are never deleted, under ``sql/`` and ``schemas/`` too, and never silently replaced.
* A symbolic link inside the output folder is never written through.
* Large and deep schema inputs end with a result or a clear SchemaInputError, in bounded time.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import time
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pipegen.compiler import parser, project

from pipegen import api
from pipegen.schema_input import SchemaInputError, fields_from_csv, schema_from_avro

ROOT = Path(__file__).resolve().parent.parent
FRAUD = (ROOT / "tests" / "data" / "fraud.pgl").read_text(encoding="utf-8")
TWO_SINKS = FRAUD + '\nsink audit from bursts {\n  topic "audit"\n}\n'


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry under ``folder``: file bytes, or ``-> target`` for a link, or ``<dir>``; links not followed."""
    out: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = p.relative_to(folder).as_posix()
            if p.is_symlink():
                out[rel] = f"-> {os.readlink(p)}"
            elif p.is_dir():
                out[rel] = "<dir>"
            else:
                out[rel] = p.read_bytes()
    return out


def compiled(text: str = FRAUD) -> api.Compiled:
    c = api.compile_text(text, "fraud_detection.pgl")
    assert c.ok, c.diagnostics
    return c


# ------------------------------------------------------------------ paths

GENERATED = re.compile(
    r"^(pipeline\.pgl|README\.md|docker-compose\.yml|\.pipegen\.yaml|config/(local|cloud)\.yaml"
    r"|sql/(local|cloud)/([0-9]{2,}_(create_source|create_view|create_sink|insert)_[A-Za-z_][A-Za-z0-9_]*"
    r"|[0-9]{2,}_alter_(source|sink)_[A-Za-z_][A-Za-z0-9_]*_(watermark|options)"
    r"|[0-9]{2,}_insert_statement_set|pipeline)\.sql"
    r"|schemas/[A-Za-z_][A-Za-z0-9_]*-(value|key)\.avsc"
    r"|k8s/(Dockerfile|README\.md|flinkdeployment\.yaml|pipeline-sql\.yaml))$")
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {f"{d}{i}" for d in ("COM", "LPT") for i in
                                                                         range(1, 10)}
NAMES = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,40}\Z").filter(lambda n: n not in parser.keywords())


def names_spec(source: str, stage: str, sink: str, pipeline: str = "p") -> str:
    return f"""pipeline {pipeline} {{
}}
source {source} {{
  topic "in"
  fields {{
    k string
    ts timestamp(3)
  }}
  key k
  event_time ts watermark 1 s
}}
transform {stage} from {source} {{
  where k != "x"
}}
sink {sink} from {stage} {{
  topic "out"
  key k
}}
"""


def assert_paths_inside(files: dict[str, str], root: Path) -> None:
    for rel in files:
        assert GENERATED.match(rel), rel
        p = PurePosixPath(rel)
        assert not p.is_absolute() and ".." not in p.parts and "\x00" not in rel and "\\" not in rel
        assert (root / rel).resolve().is_relative_to(root.resolve())
        for part in p.parts:
            assert part.split(".")[0].upper() not in WINDOWS_RESERVED, rel


@settings(max_examples=150, deadline=None, derandomize=True)
@given(NAMES, NAMES, NAMES, NAMES)
def test_no_name_makes_a_path_outside_the_folder(source: str, stage: str, sink: str, pipeline: str) -> None:
    """Names are ``[A-Za-z_][A-Za-z0-9_]*`` (the grammar), so a file name built from one has no separator,
    no dot and no ``..``; every generated path matches a fixed pattern and resolves inside the folder."""
    c = api.compile_text(names_spec(source, stage, sink, pipeline), "f.pgl")
    if not c.ok:  # e.g. two of the names are equal
        assert {d.code for d in c.diagnostics if d.severity == "error"} <= {"E101", "E103", "E105"}
        return
    assert_paths_inside(c.files, Path("/tmp/out"))


@pytest.mark.parametrize("name", ["CON", "con", "NUL", "nul", "PRN", "AUX", "COM1", "LPT9", "CONIN"])
def test_windows_reserved_names_are_harmless(name: str, tmp_path: Path) -> None:
    """Decision: a stream called ``con`` (or NUL, AUX, COM1, ...) is allowed, not refused.

    Stream names only ever appear inside longer file names: ``sql/local/01_create_source_con.sql``,
    ``schemas/con-value.avsc``. Windows reserves a device name only as a whole name or before the first dot
    (``CON``, ``con.txt``); ``con-value.avsc`` and ``01_create_source_con.sql`` are ordinary names there, and
    nothing is special on Linux. So no generated path component is a reserved name, whatever the streams are
    called, and such a spec compiles and writes like any other. (The CLI's default output folder
    ``./<pipeline name>`` is the one place a bare name becomes a path; that is the CLI's to guard.)
    """
    c = api.compile_text(names_spec(name, f"{name}_v", f"{name}_out"), "f.pgl")
    assert c.ok, c.diagnostics
    assert_paths_inside(c.files, tmp_path)
    out = tmp_path / "p"
    api.write(c, out)
    assert (out / "schemas" / f"{name}-value.avsc").is_file()
    assert set(project_files(out)) == set(c.files)


def project_files(out: Path) -> list[str]:
    return [p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name != project.MANIFEST]


def test_names_differing_only_in_case_are_refused() -> None:
    """``Orders`` and ``orders`` would write schemas/Orders-value.avsc and schemas/orders-value.avsc: one file
    on a case-insensitive file system (macOS, Windows). Refused with E101."""
    c = api.compile_text(names_spec("orders", "v", "Orders"), "f.pgl")
    assert not c.ok
    [d] = [d for d in c.diagnostics if d.code == "E101"]
    assert "differ only in case" in d.message and d.span is not None


@pytest.mark.parametrize("bad", ["../evil.txt", "/etc/passwd", "a/\x00b", "sql/../../evil", "sql/local/../../../x",
                                 "..", "schemas/../../x.avsc"])
def test_paths_that_leave_the_folder_are_refused(bad: str, tmp_path: Path) -> None:
    out = tmp_path / "deep" / "p"
    with pytest.raises(project.ProjectError):
        project.write_project(out, {bad: "x", "README.md": "x"})
    c = compiled()
    c.files = {**c.files, bad: "x"}
    with pytest.raises(project.ProjectError):
        api.write(c, out, force=True)
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "deep" / "evil").exists()
    assert not out.exists() or not any(out.iterdir())


# ------------------------------------------------------------------ interrupted compiles


def count_replaces(monkeypatch: pytest.MonkeyPatch, out: Path, c: api.Compiled) -> int:
    """How many os.replace calls a write of ``c`` over a copy of ``out`` makes."""
    copy = out.parent / "count"
    shutil.copytree(out, copy, symlinks=True)
    calls = {"n": 0}
    real = project.os.replace

    def counting(src, dst):
        calls["n"] += 1
        return real(src, dst)

    monkeypatch.setattr(project.os, "replace", counting)
    api.write(c, copy)
    monkeypatch.setattr(project.os, "replace", real)
    shutil.rmtree(copy)
    return calls["n"]


def base_project(tmp_path: Path) -> Path:
    out = tmp_path / "base"
    api.write(compiled(TWO_SINKS), out)
    (out / "notes.md").write_text("mine")
    (out / "sql" / "local" / "my_extra.sql").write_text("-- mine")
    (out / "schemas" / "extra-value.avsc").write_text("{}")
    return out


def test_a_fault_at_any_step_leaves_the_old_project_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that adds, changes and removes files, failed at each os.replace in turn."""
    base = base_project(tmp_path)
    before = snapshot(base)
    new = compiled(FRAUD.replace("30 s", "40 s"))  # changes files and drops the audit sink's
    steps = count_replaces(monkeypatch, base, new)
    assert steps > 20
    real = project.os.replace
    for k in range(1, steps + 1):
        out = tmp_path / f"try{k}"
        shutil.copytree(base, out, symlinks=True)
        calls = {"n": 0}

        def flaky(src, dst, k=k, calls=calls):
            calls["n"] += 1
            if calls["n"] == k:
                raise OSError(f"disk full (injected at step {k})")
            return real(src, dst)

        monkeypatch.setattr(project.os, "replace", flaky)
        with pytest.raises(OSError):
            api.write(new, out)
        monkeypatch.setattr(project.os, "replace", real)
        assert snapshot(out) == before, f"step {k}"
        shutil.rmtree(out)


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs (rollback is disabled too)."""


def test_a_kill_at_any_step_is_undone_by_the_next_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = base_project(tmp_path)
    before = snapshot(base)
    new = compiled(FRAUD.replace("30 s", "40 s"))
    steps = count_replaces(monkeypatch, base, new)
    real = project.os.replace
    for k in range(1, steps + 1):
        out = tmp_path / f"kill{k}"
        shutil.copytree(base, out, symlinks=True)
        calls = {"n": 0}

        def dying(src, dst, k=k, calls=calls):
            calls["n"] += 1
            if calls["n"] == k:
                raise Killed()
            return real(src, dst)

        monkeypatch.setattr(project.os, "replace", dying)
        monkeypatch.setattr(project, "_rollback", lambda *a, **kw: None)
        with pytest.raises(Killed):
            api.write(new, out)
        monkeypatch.undo()
        assert (out / project.STAGING).exists()  # the kill left its traces
        project._recover(out)
        assert snapshot(out) == before, f"step {k}"
        # and the next compile goes through, keeping the user's files
        api.write(new, out)
        assert (out / "notes.md").read_text() == "mine"
        assert (out / "sql" / "local" / "my_extra.sql").read_text() == "-- mine"
        assert not (out / project.STAGING).exists()
        shutil.rmtree(out)


def test_a_kill_while_staging_is_undone(tmp_path: Path) -> None:
    """Killed while the new files were being staged (no journal yet): the next run just drops the staging."""
    out = base_project(tmp_path)
    before = snapshot(out)
    staging = out / project.STAGING
    (staging / "new" / "sql" / "local").mkdir(parents=True)
    (staging / "new" / "sql" / "local" / "01_create_source_payments.sql").write_text("half")
    api.write(compiled(TWO_SINKS), out)
    assert snapshot(out) == before


# ------------------------------------------------------------------ the user's files


def test_user_files_are_never_deleted(tmp_path: Path) -> None:
    out = tmp_path / "p"
    api.write(compiled(TWO_SINKS), out)
    mine = {
        "notes.md": "mine",
        "sql/local/my_extra.sql": "-- mine",
        "sql/cloud/00_setup.sql": "SET 'x' = 'y';",
        "sql/local/09_insert_audit.sql": "-- looks generated, is not",
        "schemas/extra-value.avsc": "{}",
        "schemas/audit-value.avsc.bak": "backup",
        "config/secrets.example": "x",
        "sql/local/mine/deeper.sql": "--",
        "data/sample.csv": "a,b\n1,2\n",
    }
    for rel, text in mine.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
    for spec in (FRAUD, TWO_SINKS, FRAUD.replace("30 s", "45 s")):  # drops, adds and changes generated files
        result = api.write(compiled(spec), out)
        assert set(mine) <= set(result.kept), set(mine) - set(result.kept)
        for rel, text in mine.items():
            assert (out / rel).read_text() == text, rel
    assert not (out / "schemas" / "audit-value.avsc").exists()  # generated, then stale: removed


def test_a_user_file_where_a_new_file_would_go_is_not_replaced(tmp_path: Path) -> None:
    """A sink added to the spec would write schemas/audit-value.avsc; the user already has a file there."""
    out = tmp_path / "p"
    api.write(compiled(FRAUD), out)
    (out / "schemas" / "audit-value.avsc").write_text("MY OWN FILE")
    before = snapshot(out)
    with pytest.raises(project.ProjectError, match="did not write"):
        api.write(compiled(TWO_SINKS), out)
    assert snapshot(out) == before
    api.write(compiled(TWO_SINKS), out, force=True)  # --force: the user asked for it
    assert json.loads((out / "schemas" / "audit-value.avsc").read_text())["type"] == "record"


# ------------------------------------------------------------------ symbolic links


@pytest.mark.parametrize("link", ["schemas", "sql", "sql/local", "config"])
@pytest.mark.parametrize("force", [False, True])
def test_a_linked_folder_is_not_written_through(link: str, force: bool, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("outside")
    out = tmp_path / "p"
    api.write(compiled(), out)
    shutil.rmtree(out / link)
    (out / link).symlink_to(outside, target_is_directory=True)
    before_out, before_outside = snapshot(out), snapshot(outside)
    with pytest.raises(project.ProjectError, match="symbolic link"):
        api.write(compiled(TWO_SINKS), out, force=force)
    assert snapshot(outside) == before_outside
    assert snapshot(out) == before_out


def test_a_linked_folder_before_the_first_write(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "p"
    out.mkdir()
    (out / "schemas").symlink_to(outside, target_is_directory=True)
    with pytest.raises(project.ProjectError, match="symbolic link"):
        api.write(compiled(), out, force=True)
    assert not any(outside.iterdir())


def test_a_linked_file_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "p"
    api.write(compiled(), out)
    (out / "README.md").unlink()
    (out / "README.md").symlink_to(victim)
    with pytest.raises(project.ProjectError):  # a generated file that changed: only with --force
        api.write(compiled(), out)
    api.write(compiled(), out, force=True)
    assert victim.read_text() == "precious"
    assert not (out / "README.md").is_symlink() and "fraud" in (out / "README.md").read_text()


def test_a_users_link_to_elsewhere_is_kept_as_a_link(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "f.txt").write_text("x")
    out = tmp_path / "p"
    api.write(compiled(), out)
    (out / "shared").symlink_to(elsewhere, target_is_directory=True)
    (out / "link.txt").symlink_to(elsewhere / "f.txt")
    api.write(compiled(TWO_SINKS), out)
    assert os.readlink(out / "shared") == str(elsewhere) and os.readlink(out / "link.txt") == str(elsewhere / "f.txt")
    assert (elsewhere / "f.txt").read_text() == "x" and [p.name for p in elsewhere.iterdir()] == ["f.txt"]


def test_a_linked_staging_folder_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("x")
    out = tmp_path / "p"
    api.write(compiled(), out)
    (out / project.STAGING).symlink_to(outside, target_is_directory=True)
    with pytest.raises(project.ProjectError):
        api.write(compiled(TWO_SINKS), out, force=True)
    assert (outside / "keep.txt").read_text() == "x"


# ------------------------------------------------------------------ large and deep schema inputs


def test_a_100000_line_csv(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("order_id,customer,amount,created_at,note\n")
        for i in range(100_000):
            f.write(f'{i},c{i % 97},{i * 1.5:.2f},2024-01-{1 + i % 28:02d}T10:00:00Z,"a, ""quoted"" note {i}"\n')
    start = time.perf_counter()
    schema = fields_from_csv(path)
    assert time.perf_counter() - start < 20
    assert [f.name for f in schema.fields] == ["order_id", "customer", "amount", "created_at", "note"]
    start = time.perf_counter()
    everything = fields_from_csv(path, sample_rows=1_000_000)
    assert time.perf_counter() - start < 60
    assert everything.rows_sampled == 100_000


@pytest.mark.parametrize("case", ["wide", "long line", "unterminated quote", "binary", "only header"])
def test_awkward_large_csv_ends_in_a_result_or_an_error(case: str) -> None:
    if case == "wide":
        text = ",".join(f"c{i}" for i in range(20_000)) + "\n" + ",".join("1" for _ in range(20_000)) + "\n"
    elif case == "long line":
        text = "a,b\n" + "x" * 5_000_000 + ",1\n" + "y,2\n" * 100_000
    elif case == "unterminated quote":
        text = "a,b\n" + '"open,1\n' + "x,2\n" * 100_000
    elif case == "binary":
        text = "a,b\n" + "\x00\x01\x02,\xff\n" * 100_000
    else:
        text = "a,b\n"
    start = time.perf_counter()
    try:
        result = fields_from_csv(io.StringIO(text))
    except SchemaInputError as e:
        assert e.message
    else:
        assert result.fields
    assert time.perf_counter() - start < 30


def nested_record(levels: int) -> dict:
    t: object = "int"
    for i in range(levels):
        t = {"type": "record", "name": f"L{i}", "fields": [{"name": "f", "type": t}, {"name": "g", "type": "string"}]}
    return t  # type: ignore[return-value]


@pytest.mark.parametrize("levels", [5, 20, 60, 1_000, 50_000])
def test_deeply_nested_avro(levels: int) -> None:
    text = json.dumps(nested_record(levels)) if levels < 900 else (
        '{"type": "record", "name": "R", "fields": [{"name": "f", "type": ' * levels + '"int"' + "}]}" * levels)
    start = time.perf_counter()
    try:
        schema = schema_from_avro(text)
    except SchemaInputError as e:
        assert levels > 20 and ("levels" in e.message or "deep" in e.message), e.message
    else:
        assert levels <= 32 and schema.fields
        # what it read compiles as a source
        spec = ("pipeline p {\n}\nsource s {\n  topic \"t\"\n  fields {\n" + schema.fields_text(2)
                + "\n  }\n}\nsink k from s {\n  topic \"o\"\n}\n")
        result = api.compile_text(spec, "f.pgl")
        assert result.ok or {d.code for d in result.diagnostics} == {"E004"}, result.diagnostics
    assert time.perf_counter() - start < 10


@pytest.mark.parametrize("schema", [
    {"type": "record", "name": "Node", "fields": [{"name": "next", "type": ["null", "Node"]}]},
    {"type": "record", "name": "Tree", "fields": [{"name": "kids", "type": {"type": "array", "items": "Tree"}}]},
    {"type": "record", "name": "A", "fields": [{"name": "b", "type": {
        "type": "record", "name": "B", "fields": [{"name": "a", "type": ["null", "A"]}]}}]},
    {"type": "record", "name": "M", "fields": [{"name": "m", "type": {"type": "map", "values": ["null", "M"]}}]},
], ids=["linked list", "tree", "mutual", "map"])
def test_recursive_avro_is_a_clear_error(schema: dict) -> None:
    start = time.perf_counter()
    with pytest.raises(SchemaInputError) as e:
        schema_from_avro(json.dumps(schema))
    assert "itself" in e.value.message or "recurs" in e.value.message, e.value.message
    assert time.perf_counter() - start < 5


def test_exponential_avro_references_are_bounded() -> None:
    """Each level references the previous named record twice: 2**40 types once expanded."""
    fields = [{"name": "x", "type": {"type": "record", "name": "T0", "fields": [{"name": "v", "type": "int"}]}}]
    for i in range(1, 40):
        fields.append({"name": f"x{i}", "type": {"type": "record", "name": f"T{i}", "fields": [
            {"name": "a", "type": f"T{i - 1}"}, {"name": "b", "type": f"T{i - 1}"}]}})
    start = time.perf_counter()
    try:
        schema_from_avro(json.dumps({"type": "record", "name": "Top", "fields": fields}))
    except SchemaInputError as e:
        assert e.message
    assert time.perf_counter() - start < 10

"""Writing a project: atomic, deterministic, never deletes the user's files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pipegen.compiler import project

from pipegen import api

ROOT = Path(__file__).resolve().parent.parent
FRAUD = (ROOT / "tests" / "data" / "fraud.pgl").read_text(encoding="utf-8")


def compiled():
    c = api.compile_text(FRAUD, "fraud_detection.pgl")
    assert c.ok
    return c


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_fault_mid_write_leaves_old_project_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "p"
    api.write(compiled(), out)
    (out / "notes.md").write_text("mine")
    before = snapshot(out)
    changed = api.compile_text(FRAUD.replace("30 s", "40 s"), "fraud_detection.pgl")
    calls = {"n": 0}
    real = project.os.replace

    def flaky(src, dst):
        calls["n"] += 1
        if calls["n"] == 7:
            raise OSError("disk full (injected)")
        return real(src, dst)

    monkeypatch.setattr(project.os, "replace", flaky)
    with pytest.raises(OSError):
        api.write(changed, out)
    monkeypatch.setattr(project.os, "replace", real)
    assert snapshot(out) == before


def test_killed_write_is_recovered_next_time(tmp_path: Path) -> None:
    out = tmp_path / "p"
    api.write(compiled(), out)
    before = snapshot(out)
    # Simulate a process killed after moving one old file aside.
    staging = out / project.STAGING
    (staging / "old").mkdir(parents=True)
    (out / "README.md").rename(staging / "old" / "README.md")
    (out / "README.md").write_text("half-written")
    (staging / "journal").write_text('["README.md", true]\n')
    project._recover(out)
    assert snapshot(out) == before


def test_stale_generated_files_are_removed_user_files_kept(tmp_path: Path) -> None:
    out = tmp_path / "p"
    api.write(compiled(), out)
    (out / "sql" / "local" / "my_extra.sql").write_text("-- mine")
    two_sinks = FRAUD + '\nsink audit from bursts {\n  topic "audit"\n}\n'
    c2 = api.compile_text(two_sinks, "x.pgl")
    assert c2.ok, c2.diagnostics
    api.write(c2, out)
    assert (out / "schemas" / "audit-value.avsc").exists()
    api.write(compiled(), out)
    assert not (out / "schemas" / "audit-value.avsc").exists()
    assert (out / "sql" / "local" / "my_extra.sql").read_text() == "-- mine"


def test_paths_outside_the_folder_are_refused(tmp_path: Path) -> None:
    for bad in ("../evil.txt", "/etc/passwd", "a/\x00b"):
        with pytest.raises(project.ProjectError):
            project.write_project(tmp_path / "p", {bad: "x"})


def test_output_is_byte_identical(tmp_path: Path) -> None:
    api.write(compiled(), tmp_path / "a")
    api.write(compiled(), tmp_path / "b")
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def test_local_config_drives_the_sql(tmp_path: Path) -> None:
    out = tmp_path / "p"
    api.write(compiled(), out)
    cfg = out / "config" / "local.yaml"
    cfg.write_text(cfg.read_text().replace("kafka:29092", "broker.internal:9093"))
    c = api.compile_text(FRAUD, "x.pgl", settings=project.read_settings(out))
    assert "'properties.bootstrap.servers' = 'broker.internal:9093'" in c.files["sql/local/pipeline.sql"]


def test_no_secret_in_cloud_config() -> None:
    cloud = compiled().files["config/cloud.yaml"]
    assert "${CONFLUENT_FLINK_API_SECRET}" in cloud


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text())
_JSON_DATA = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=25)


@settings(max_examples=500, deadline=None, derandomize=True)
@given(_JSON_DATA)
def test_project_json_is_exactly_what_json_dumps_writes(data: object) -> None:
    """Schemas and the manifest are written by project._json, json.dumps(indent=2)."""
    assert project._json(data) == json.dumps(data, indent=2, ensure_ascii=False) + "\n"

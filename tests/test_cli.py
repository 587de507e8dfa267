"""The installed `pipegen` command: outputs, exit codes, and no tracebacks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXE = shutil.which("pipegen", path=str(Path(sys.executable).parent)) or "pipegen"
FRAUD = ROOT / "tests" / "data" / "fraud.pgl"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_version() -> None:
    p = run("--version")
    assert p.returncode == 0 and p.stdout.startswith("pipegen ")


def test_compile_writes_project(tmp_path: Path) -> None:
    out = tmp_path / "proj"
    p = run("compile", str(FRAUD), "-o", str(out))
    assert p.returncode == 0, p.stderr
    assert "sql/local/pipeline.sql" in p.stdout
    for rel in ("sql/local/pipeline.sql", "sql/cloud/pipeline.sql", "config/local.yaml", "config/cloud.yaml",
                ".pipegen.yaml", "README.md", "docker-compose.yml", "pipeline.pgl"):
        assert (out / rel).is_file(), rel
    local = (out / "sql" / "local" / "pipeline.sql").read_text()
    assert "'connector' = 'kafka'" in local and "'value.format' = 'avro-confluent'" in local
    cloud = (out / "sql" / "cloud" / "pipeline.sql").read_text()
    assert "'connector'" not in cloud and "avro-registry" in cloud
    manifest = json.loads((out / ".pipegen-manifest.json").read_text())
    assert "README.md" in manifest["files"]


def test_compile_target_local_only(tmp_path: Path) -> None:
    p = run("compile", str(FRAUD), "-o", str(tmp_path / "p"), "--target", "local", "-q")
    assert p.returncode == 0 and p.stdout == ""
    assert not (tmp_path / "p" / "sql" / "cloud").exists()


def test_compile_errors_exit_1_with_position(tmp_path: Path) -> None:
    spec = tmp_path / "bad.pgl"
    spec.write_text(FRAUD.read_text().replace("group by user_id", "group by usr_id"))
    p = run("compile", str(spec), "-o", str(tmp_path / "out"))
    assert p.returncode == 1
    assert "error[E104]" in p.stderr and "did you mean `user_id`?" in p.stderr
    assert "Traceback" not in p.stderr
    assert not (tmp_path / "out").exists()


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    p = run("compile", str(tmp_path / "missing.pgl"))
    assert p.returncode == 2 and "no such file" in p.stderr
    p = run("compile", str(FRAUD), "--target", "mars")
    assert p.returncode == 2
    p = run("validate", str(FRAUD), "--engine", "spark")
    assert p.returncode == 2 and "unknown engine" in p.stderr
    binary = tmp_path / "bin.pgl"
    binary.write_bytes(b"\xff\xfe\x00")
    p = run("compile", str(binary))
    assert p.returncode == 2 and "UTF-8" in p.stderr and "Traceback" not in p.stderr


def test_foreign_folder_needs_force(tmp_path: Path) -> None:
    out = tmp_path / "existing"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    p = run("compile", str(FRAUD), "-o", str(out))
    assert p.returncode == 2 and "--force" in p.stderr
    assert sorted(x.name for x in out.iterdir()) == ["mine.txt"]
    p = run("compile", str(FRAUD), "-o", str(out), "--force")
    assert p.returncode == 0
    assert (out / "mine.txt").read_text() == "keep me"


def test_edited_generated_file_needs_force(tmp_path: Path) -> None:
    out = tmp_path / "p"
    assert run("compile", str(FRAUD), "-o", str(out)).returncode == 0
    (out / "README.md").write_text("my notes")
    p = run("compile", str(FRAUD), "-o", str(out))
    assert p.returncode == 2 and "README.md" in p.stderr
    assert (out / "README.md").read_text() == "my notes"


def test_default_output_is_spec_folder_for_pipeline_pgl(tmp_path: Path) -> None:
    proj = tmp_path / "fraud"
    proj.mkdir()
    shutil.copy(FRAUD, proj / "pipeline.pgl")
    p = run("compile", "pipeline.pgl", cwd=proj)
    assert p.returncode == 0, p.stderr
    assert (proj / "sql" / "local" / "pipeline.sql").is_file()
    # Edit the spec in place and compile again: no --force needed for the spec itself.
    (proj / "pipeline.pgl").write_text((proj / "pipeline.pgl").read_text().replace("30 s", "45 s"))
    p = run("compile", "pipeline.pgl", cwd=proj)
    assert p.returncode == 0, p.stderr
    assert "INTERVAL '45' SECOND" in (proj / "sql" / "local" / "pipeline.sql").read_text()


def test_fmt_check_and_write(tmp_path: Path) -> None:
    spec = tmp_path / "s.pgl"
    spec.write_text("# header comment\n" + FRAUD.read_text().replace("\n  ", "\n      "))
    assert run("fmt", "--check", str(spec)).returncode == 1
    assert run("fmt", "-w", str(spec)).returncode == 0
    assert run("fmt", "--check", str(spec)).returncode == 0
    assert spec.read_text().startswith("# header comment\n")
    printed = run("fmt", str(spec))
    assert printed.stdout == spec.read_text()


def test_validate_without_engine(tmp_path: Path) -> None:
    p = run("validate", str(FRAUD))
    assert p.returncode == 0 and "ok" in p.stdout


def test_validate_project_folder(tmp_path: Path) -> None:
    out = tmp_path / "p"
    assert run("compile", str(FRAUD), "-o", str(out)).returncode == 0
    p = run("validate", str(out))
    assert p.returncode == 0, p.stderr


def test_validate_with_flink(flink_jars: list[str]) -> None:
    p = run("validate", str(FRAUD), "--engine", "flink", "--jars", ":".join(flink_jars))
    assert p.returncode == 0, p.stderr
    assert p.stdout == f"{FRAUD}: ok, Flink planned all 11 statements (4 local and 7 cloud)\n"
    assert "planning 4 local and 7 cloud statements in Flink" in p.stderr
    assert "Traceback" not in p.stderr and "at org.apache" not in p.stderr


def test_compile_does_not_import_heavy_modules() -> None:
    code = ("import sys; from pipegen.cli import main; sys.argv=['pipegen','compile','%s','-o','/dev/null/x','-q'];\n"
            "try:\n  main()\nexcept SystemExit: pass\n"
            "bad=[m for m in ('pyflink','llama_cpp','outlines','openai','torch') if m in sys.modules]; "
            "print(bad)") % FRAUD
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.stdout.strip().endswith("[]"), p.stdout + p.stderr

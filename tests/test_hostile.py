"""Hostile environments: the user's own paths and a full disk end in one line and exit 2, never "a bug in
PipeGen", and the user's files are left as they were.

Root ignores file permissions, and this machine's interpreter lives under a folder an unprivileged user cannot
enter, so these cases use what root cannot get past: a file where a folder should be, a name too long for
the file system, a file-size limit (RLIMIT_FSIZE, as a full disk would), a file marked read-only.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXE = shutil.which("pipegen", path=str(Path(sys.executable).parent)) or "pipegen"
SPEC = ROOT / "specs" / "fraud_detection.pgl"
ENV = {k: v for k, v in os.environ.items() if not k.startswith("PIPEGEN_")}


def run(*args: str, cwd: Path, preexec=None) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, *args], capture_output=True, text=True, cwd=cwd, env=ENV, timeout=300,
                          preexec_fn=preexec)


def one_clear_line(p: subprocess.CompletedProcess, code: int = 2) -> str:
    assert p.returncode == code, (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr and "internal error" not in p.stderr and "bug in PipeGen" not in p.stderr
    errors = [line for line in p.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, p.stderr
    return p.stderr


def test_compile_where_a_file_stands_for_a_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    err = one_clear_line(run("compile", str(SPEC), "-o", "notes.txt/proj", cwd=tmp_path))
    assert "notes.txt" in err and "hint:" in err
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_compile_to_a_name_too_long(tmp_path: Path) -> None:
    err = one_clear_line(run("compile", str(SPEC), "-o", "x" * 300, cwd=tmp_path))
    assert "shorter" in err


def _small_files() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (3000, 3000))


def test_compile_onto_a_full_disk_leaves_no_half_project(tmp_path: Path) -> None:
    err = one_clear_line(run("compile", str(SPEC), "-o", "proj", cwd=tmp_path, preexec=_small_files))
    assert "disk space" in err
    # nothing half-written is presented as a project
    assert not (tmp_path / "proj" / ".pipegen.yaml").exists()


def test_init_into_a_folder_holding_a_users_file_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "ex2").mkdir()
    (tmp_path / "ex2" / "notes.txt").write_text("mine")
    err = one_clear_line(run("init", "ex2", "--domain", "iot", cwd=tmp_path))
    assert "notes.txt" in err and "--force" in err
    assert sorted(p.name for p in (tmp_path / "ex2").iterdir()) == ["notes.txt"]
    p = run("init", "ex2", "--domain", "iot", "--force", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "ex2" / "notes.txt").read_text() == "mine"


UGLY = "pipeline  p {\n}\nsource s { topic \"s\" fields { a string } }\nsink o from s { topic \"o\" }\n"


def test_fmt_write_keeps_the_mode_and_a_symlink(tmp_path: Path) -> None:
    spec = tmp_path / "private.pgl"
    spec.write_text(UGLY)
    spec.chmod(0o600)
    assert run("fmt", "--write", "private.pgl", cwd=tmp_path).returncode == 0
    assert stat.S_IMODE(spec.stat().st_mode) == 0o600 and spec.read_text() != UGLY
    real = tmp_path / "real.pgl"
    real.write_text(UGLY)
    (tmp_path / "link.pgl").symlink_to(real)
    assert run("fmt", "--write", "link.pgl", cwd=tmp_path).returncode == 0
    assert (tmp_path / "link.pgl").is_symlink() and real.read_text() != UGLY


def test_fmt_write_leaves_a_read_only_file_alone(tmp_path: Path) -> None:
    spec = tmp_path / "locked.pgl"
    spec.write_text(UGLY)
    spec.chmod(0o444)
    err = one_clear_line(run("fmt", "--write", "locked.pgl", cwd=tmp_path))
    assert "read-only" in err
    assert spec.read_text() == UGLY and stat.S_IMODE(spec.stat().st_mode) == 0o444


@pytest.mark.parametrize("value", ["e-commerce", 'we"ird', "two words", "pipeline", "x" * 80])
def test_a_hostile_domain_never_makes_a_spec_the_parser_rejects(tmp_path: Path, value: str) -> None:
    p = run("init", "proj", "--domain", value, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    from pipegen import api

    assert api.check((tmp_path / "proj" / "pipeline.pgl").read_text()).ok


def test_two_writers_of_one_project_take_turns(tmp_path: Path) -> None:
    """Two `compile`s into one folder at once, many times: both end well and the project is whole."""
    from pipegen import api

    expected = api.compile_text(SPEC.read_text(), str(SPEC)).files
    for i in range(40):
        out = tmp_path / f"conc{i}"
        procs = [subprocess.Popen([EXE, "compile", str(SPEC), "-o", str(out), "-q"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=ENV) for _ in range(2)]
        results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
        for code, err in results:
            assert code == 0, err
        for rel, text in expected.items():
            assert (out / rel).read_text() == text, rel
        assert not (out / ".pipegen-staging").exists()


def test_two_writers_in_one_process_take_turns(tmp_path: Path) -> None:
    """The same, with both writes started together from two threads (a barrier), so they really overlap."""
    import threading

    from pipegen import api

    compiled = api.compile_text(SPEC.read_text(), str(SPEC))
    for i in range(60):
        out = tmp_path / f"t{i}"
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def write() -> None:
            barrier.wait()
            try:
                api.write(compiled, out)
            except BaseException as e:  # noqa: BLE001 - collected for the assertion
                errors.append(e)

        threads = [threading.Thread(target=write) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        for rel, text in compiled.files.items():
            assert (out / rel).read_text() == text, rel


def test_a_model_file_that_is_not_a_model(tmp_path: Path) -> None:
    fake = tmp_path / "fake.gguf"
    fake.write_text("not a model")
    env = {**ENV, "PIPEGEN_LLAMACPP_MODEL": str(fake)}
    p = subprocess.run([EXE, "init", "x", "--describe", "count events per minute"], capture_output=True, text=True,
                       cwd=tmp_path, env=env, timeout=120)
    err = one_clear_line(p)
    assert "not a GGUF model file" in err and str(fake) in err
    assert not (tmp_path / "x").exists()
    check = subprocess.run([EXE, "check"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert "not a GGUF model file" in check.stdout


def test_an_unknown_model_name_says_what_model_takes(tmp_path: Path) -> None:
    err = one_clear_line(run("init", "x", "--model", "nosuchmodel", "--describe", "count events per minute",
                             cwd=tmp_path))
    assert "nosuchmodel" in err and "smollm2" in err and "gemma3" in err


def test_a_reader_that_stops_reading_ends_the_command_quietly(tmp_path: Path) -> None:
    """`pipegen ... | head` style: the reader closes the pipe before PipeGen has written its listing. The
    command ends as other Unix tools do (SIGPIPE, exit 141), with nothing on stderr, and the project is whole."""
    import os

    read, write = os.pipe()
    os.close(read)  # a reader that is already gone
    try:
        done = subprocess.run([sys.executable, "-c", "from pipegen.cli import main; main()", "compile", str(SPEC),
                               "-o", "proj"], cwd=tmp_path, stdout=write, stderr=subprocess.PIPE, text=True,
                              timeout=120)
    finally:
        os.close(write)
    assert done.returncode in (-13, 141), done.returncode  # killed by SIGPIPE
    assert done.stderr == ""
    assert (tmp_path / "proj" / "sql" / "local" / "pipeline.sql").is_file()


def test_output_to_a_full_device_is_one_line(tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-c", "from pipegen.cli import main; main()", "compile", str(SPEC),
                               "-o", "proj"], cwd=tmp_path, stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == "error: writing the output: No space left on device"
    assert "Traceback" not in done.stderr


def test_the_force_hint_says_which_files_it_replaces_and_which_it_keeps(tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "README.md").write_text("my notes\n")
    (tmp_path / "proj" / "ideas.txt").write_text("keep me\n")
    err = one_clear_line(run("compile", str(SPEC), "-o", "proj", cwd=tmp_path))
    assert "--force replaces README.md with what PipeGen writes now and keeps ideas.txt" in err
    assert (tmp_path / "proj" / "README.md").read_text() == "my notes\n"  # nothing written
    done = run("compile", str(SPEC), "-o", "proj", "--force", cwd=tmp_path)
    assert done.returncode == 0
    assert (tmp_path / "proj" / "ideas.txt").read_text() == "keep me\n"
    assert (tmp_path / "proj" / "README.md").read_text() != "my notes\n"  # replaced, as the hint said

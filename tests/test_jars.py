"""Fetching the Kafka connector jars (pipegen/engine/jars.py).

What is real here: pip itself (`python -m pip download`, the same command line as in use), the zip extraction, the
checksums, the cache folder and its lock, and the `pipegen` command. What is not: the package index. pip is pointed
at a local folder through its own settings (PIP_NO_INDEX, PIP_FIND_LINKS), holding a small wheel this file builds,
with the two member paths of the real wheel, and the pins are those of its members (`jars=`). The real pins are
checked on the real jars (the ones the Flink tests use) in `test_real_jars_in_the_cache_are_used_without_download`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pipegen.engine import flink
from pipegen.engine import jars as kafka_jars
from pipegen.engine.jars import FetchError, Jar

ROOT = Path(__file__).resolve().parent.parent
EXE = shutil.which("pipegen", path=str(Path(sys.executable).parent)) or "pipegen"
FRAUD = ROOT / "tests" / "data" / "fraud.pgl"
CONTENT = {"pyflink/lib/flink-connector-kafka.jar": b"fake connector " * 1000,
           "pyflink/lib/kafka-clients.jar": b"fake clients " * 1000}


def pins(content: dict[str, bytes] = CONTENT) -> tuple[Jar, ...]:
    """The real jar names, with the checksums of this file's fake members."""
    by_member = {j.member: j for j in kafka_jars.JARS}
    return tuple(Jar(m, by_member[m].name, hashlib.sha256(data).hexdigest()) for m, data in content.items())


def write_wheel(folder: Path, members: dict[str, bytes]) -> Path:
    """A wheel pip accepts as shigawire-apache-flink-libraries 2.0.0.post1: dist-info plus the given members."""
    folder.mkdir(parents=True, exist_ok=True)
    dist = f"shigawire_apache_flink_libraries-{kafka_jars.WHEEL_VERSION}"
    path = folder / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        zf.writestr(f"{dist}.dist-info/METADATA", f"Metadata-Version: 2.1\nName: {kafka_jars.WHEEL}\n"
                                                  f"Version: {kafka_jars.WHEEL_VERSION}\n")
        zf.writestr(f"{dist}.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                                               "Tag: py3-none-any\n")
        zf.writestr(f"{dist}.dist-info/RECORD", "")
    return path


@pytest.fixture
def local_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """pip reads only this folder (and caches nothing of it); the user cache is a fresh folder."""
    index = tmp_path / "index"
    index.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    monkeypatch.setenv("PIPEGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv(flink.JARS_ENV, raising=False)
    return index


def no_download(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*a, **k):
        raise AssertionError("pip was run although the jars are in the cache")

    monkeypatch.setattr(kafka_jars.subprocess, "Popen", refuse)


def test_cache_dir_follows_xdg_then_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PIPEGEN_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert kafka_jars.cache_dir() == tmp_path / "xdg" / "pipegen" / "flink-jars"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert kafka_jars.cache_dir() == tmp_path / "home" / ".cache" / "pipegen" / "flink-jars"


def test_fetch_through_pip_then_reuse_the_cache(local_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_wheel(local_index, {**CONTENT, "pyflink/lib/flink-core.jar": b"not taken"})
    shown: list[str] = []
    paths = kafka_jars.ensure(progress=shown.append, jars=pins())
    dest = kafka_jars.cache_dir()
    assert paths == [dest / "flink-connector-kafka-4.0.1-2.0.jar", dest / "kafka-clients-3.9.1.jar"]
    assert [p.read_bytes() for p in paths] == list(CONTENT.values())
    assert sorted(p.name for p in dest.iterdir()) == sorted(p.name for p in paths), "no wheel, no temporary files"
    assert shown[0].startswith(f"fetching the Kafka connector for Flink: {kafka_jars.WHEEL}==2.0.0.post1")
    assert str(dest) in shown[0] and shown[-1].startswith("  downloaded ")
    # The second use finds the jars and neither runs pip nor shows anything.
    no_download(monkeypatch)
    shown.clear()
    assert kafka_jars.ensure(progress=shown.append, jars=pins()) == paths
    assert shown == []


def test_progress_goes_to_stderr(local_index: Path, capfd: pytest.CaptureFixture[str]) -> None:
    write_wheel(local_index, CONTENT)
    kafka_jars.ensure(jars=pins())
    out, err = capfd.readouterr()
    assert out == ""
    assert "fetching the Kafka connector for Flink" in err and "downloaded" in err


def test_a_member_that_does_not_match_its_checksum_is_refused(local_index: Path) -> None:
    write_wheel(local_index, {**CONTENT, "pyflink/lib/kafka-clients.jar": b"tampered"})
    with pytest.raises(FetchError) as e:
        kafka_jars.ensure(progress=None, jars=pins())
    assert ("pyflink/lib/kafka-clients.jar" in e.value.message
            and "does not match its pinned checksum" in e.value.message)
    assert "\n" not in e.value.message and flink.JARS_ENV in e.value.hint
    dest = kafka_jars.cache_dir()
    assert not (dest / "kafka-clients-3.9.1.jar").exists()
    assert not [p for p in dest.iterdir() if p.name.startswith(".")], "no part file or download left"
    assert kafka_jars.cached(jars=pins()) is None


def test_a_damaged_jar_in_the_cache_is_fetched_again(local_index: Path) -> None:
    write_wheel(local_index, CONTENT)
    dest = kafka_jars.cache_dir()
    dest.mkdir(parents=True)
    (dest / "kafka-clients-3.9.1.jar").write_bytes(b"truncated")
    paths = kafka_jars.ensure(progress=None, jars=pins())
    assert paths[1].read_bytes() == CONTENT["pyflink/lib/kafka-clients.jar"]


def test_a_wheel_without_the_jars_is_refused(local_index: Path) -> None:
    write_wheel(local_index, {"pyflink/lib/flink-core.jar": b"x"})
    with pytest.raises(FetchError, match="has no pyflink/lib/flink-connector-kafka.jar"):
        kafka_jars.ensure(progress=None, jars=pins())


def test_no_index_is_one_clear_error(local_index: Path) -> None:
    with pytest.raises(FetchError) as e:
        kafka_jars.ensure(progress=None, jars=pins())
    assert e.value.message.startswith(f"could not download {kafka_jars.WHEEL}==2.0.0.post1")
    assert "No matching distribution" in e.value.message and "\n" not in e.value.message
    assert "pipegen fetch-jars" in e.value.hint and flink.JARS_ENV in e.value.hint


def test_no_pip_is_one_clear_error(local_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A stand-in for a Python without pip: it answers `-m pip` as such a Python does.
    python = tmp_path / "python-without-pip"
    python.write_text("#!/bin/sh\necho \"$0: No module named pip\" >&2\nexit 1\n")
    python.chmod(0o755)
    monkeypatch.setattr(kafka_jars, "PYTHON", str(python))
    with pytest.raises(FetchError) as e:
        kafka_jars.ensure(progress=None, jars=pins())
    assert e.value.message.startswith("pip is not installed for ") and "ensurepip" in e.value.hint


def test_a_cache_folder_that_cannot_be_made_is_one_clear_error(local_index: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(FetchError) as e:
        kafka_jars.ensure(tmp_path / "file" / "jars", progress=None, jars=pins())
    assert e.value.message.startswith("cannot create the jar folder") and "XDG_CACHE_HOME" in e.value.hint


def test_explicit_jars_win_over_the_environment_over_the_cache(local_index: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    given, env = tmp_path / "given.jar", tmp_path / "env.jar"
    given.write_bytes(b"")
    env.write_bytes(b"")
    fetched: list[int] = []
    monkeypatch.setattr(kafka_jars, "ensure", lambda *a, **k: fetched.append(1) or [Path("/cache/x.jar")])
    monkeypatch.setenv(flink.JARS_ENV, str(env))
    assert flink.connector_jars([given]) == [given.resolve()]
    assert flink.connector_jars() == [env.resolve()]
    assert fetched == []
    monkeypatch.delenv(flink.JARS_ENV)
    assert flink.connector_jars() == [Path("/cache/x.jar")] and fetched == [1]
    assert flink.connector_jars(fetch=False) == []


def test_real_jars_in_the_cache_are_used_without_download(flink_jars: list[str], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The real connector jars (real pins) placed in an empty user cache: found there, pip never run."""
    cache = tmp_path / "cache"
    (cache / "flink-jars").mkdir(parents=True)
    for jar in flink.connector_jars(flink_jars):
        shutil.copy(jar, cache / "flink-jars" / jar.name)
    monkeypatch.setenv("PIPEGEN_CACHE_DIR", str(cache))
    monkeypatch.delenv(flink.JARS_ENV, raising=False)
    no_download(monkeypatch)
    found = flink.connector_jars()
    assert [p.name for p in found] == [j.name for j in kafka_jars.JARS]
    assert all(p.parent == cache / "flink-jars" for p in found)


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {"PATH": "/usr/bin:/bin", **{k: os.environ[k] for k in ("PYTHONPATH",) if k in os.environ}}
    return subprocess.run([EXE, *args], capture_output=True, text=True, env={**base, **env}, timeout=120,
                          check=False)


def test_cli_without_the_network_exits_2_with_the_fix(tmp_path: Path) -> None:
    """`fetch-jars` and a first `validate --engine flink` on a machine whose index cannot be reached."""
    (tmp_path / "empty").mkdir()
    env = {"HOME": str(tmp_path / "home"), "XDG_CACHE_HOME": str(tmp_path / "xdg"), "PIP_NO_INDEX": "1",
           "PIP_FIND_LINKS": str(tmp_path / "empty"), "PIP_NO_CACHE_DIR": "1"}
    for args in (["fetch-jars"], ["validate", str(FRAUD), "--engine", "flink"]):
        p = cli(*args, env=env)
        assert p.returncode == 2, (args, p.stderr)
        errors = [ln for ln in p.stderr.splitlines() if ln.startswith("error: ")]
        want = (f"error: could not download {kafka_jars.WHEEL}==2.0.0.post1 (the Kafka connector for Flink): "
                f"No matching distribution found for {kafka_jars.WHEEL}==2.0.0.post1")
        assert errors == [want], p.stderr
        assert "= hint: check the network" in p.stderr and "PIPEGEN_FLINK_JARS" in p.stderr
        assert "Traceback" not in p.stderr
        assert "fetching the Kafka connector for Flink" in p.stderr
        assert p.stdout == ""
    assert not (tmp_path / "xdg" / "pipegen" / "flink-jars" / "kafka-clients-3.9.1.jar").exists()


def test_cli_fetch_jars_prints_the_cached_jars(flink_jars: list[str], tmp_path: Path) -> None:
    dest = tmp_path / "jars"
    dest.mkdir()
    for jar in flink.connector_jars(flink_jars):
        shutil.copy(jar, dest / jar.name)
    p = cli("fetch-jars", str(dest), env={"HOME": str(tmp_path), "PIP_NO_INDEX": "1"})
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == [str(dest / j.name) for j in kafka_jars.JARS]
    assert p.stderr == ""

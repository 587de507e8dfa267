from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.pgl"))


@pytest.fixture(scope="session")
def flink_jars() -> list[str]:
    """The Kafka connector jars for Flink planning: $PIPEGEN_FLINK_JARS, else fetched into .cache/flink-jars."""
    env = os.environ.get("PIPEGEN_FLINK_JARS")
    if env:
        return env.split(os.pathsep)
    dest = ROOT / ".cache" / "flink-jars"
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "fetch_kafka_connector.py"), str(dest)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"could not fetch the Kafka connector jars: {proc.stdout}{proc.stderr}"
    return [str(dest)]

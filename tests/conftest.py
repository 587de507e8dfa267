from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.pgl"))


@pytest.fixture(scope="session")
def flink_jars() -> list[str]:
    """The Kafka connector jars for Flink planning, found as `validate --engine flink` finds them:
    $PIPEGEN_FLINK_JARS, else the ones PipeGen keeps in the user cache (fetched from PyPI on first use)."""
    from pipegen.engine.flink import connector_jars

    return [str(p) for p in connector_jars()]


# The differential test (random specs planned in Flink, 1,000 a run for both targets in one JVM; about 19 minutes
# on the 2-core build machine) is in the default run since session 8, when its 1,000 specs of the default seed
# met no disagreement (tests/differential/KNOWN.md). Any it meets fails the suite.
DIFFERENTIAL_IN_DEFAULT_RUN = True
collect_ignore = [] if DIFFERENTIAL_IN_DEFAULT_RUN or os.environ.get("PIPEGEN_DIFF") else ["differential"]

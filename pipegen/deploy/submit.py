"""The submission of a deploy, in a worker process of its own: ``python -m pipegen.deploy.submit CONFIG.json``.

PyFlink's TableEnvironment with ``execution.target: remote`` builds the job graph here (the planner, the
Kafka connector jars from ``pipeline.jars``) and submits it to the cluster's REST API with the jars; the job
then runs on the cluster, whatever happens to this process. The worker reports one JSON line on its stdout:
``{"event": "submitted", "job_id": ...}`` or ``{"event": "error", "message": ..., "statement": N}``, and ends.
The JVM's own output goes to the deploy's log folder, never to the protocol.

A worker, not the CLI's own process: PyFlink keeps one JVM per Python process, and ending the process ends
that JVM (the job is on the cluster by then).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main(config_path: str) -> int:
    from pipegen.run.job import say, submit

    out, client, code = submit(json.loads(Path(config_path).read_text(encoding="utf-8")))
    if code:
        out.close()
        os._exit(code)
    say(out, event="submitted", job_id=str(client.get_job_id()))
    out.close()
    os._exit(0)  # the JVM's threads would keep a normal exit waiting


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

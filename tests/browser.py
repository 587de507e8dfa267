"""A real browser for the dashboard tests: Debian's `chromium`, driven by Playwright.

Playwright's own browser download needs a CDN this machine cannot reach, so the browser is the system's:
``$PIPEGEN_CHROMIUM``, else ``chromium`` on PATH. On a Debian machine where the tests run as root (CI), a missing
one is installed with ``apt-get install chromium`` (measured 2026-12-01: about 2 minutes, 300 MB); anywhere
else the test fails with the command to run. Never a skip: the dashboard is only shown working in a browser.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def chromium() -> str:
    explicit = os.environ.get("PIPEGEN_CHROMIUM")
    if explicit:
        return explicit
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        log = Path("/tmp/pipegen-apt-chromium.log")
        with open(log, "wb") as out:
            r = subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], stdout=out, stderr=subprocess.STDOUT,
                               env=env, timeout=1200)
            if r.returncode != 0:  # the package lists may be missing on a fresh machine
                subprocess.run(["apt-get", "update", "-q"], stdout=out, stderr=subprocess.STDOUT, env=env,
                               timeout=600)
                subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], stdout=out,
                               stderr=subprocess.STDOUT, env=env, timeout=1200)
        found = shutil.which("chromium")
        if found:
            return found
        raise AssertionError(f"apt-get install chromium failed: see {log}")
    raise AssertionError("no chromium for the dashboard test: install it (Debian: sudo apt-get install chromium) "
                         "or set PIPEGEN_CHROMIUM to a Chromium or Chrome binary")


ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]

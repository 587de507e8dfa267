"""PipeGen installed from its wheel, outside the checkout, gives what the editable install gives.

The wheel is built from this checkout's tracked files as ``pip install .`` builds it (``pip wheel``, with
the build isolation pip gives every user: setuptools from the package index) and installed with
``pip install --target`` into a folder of its own; the commands then run from a folder
outside the checkout with that folder first on ``sys.path`` (the venv supplies the dependencies, so no
network is needed). Everything the package reads at run time must be in the wheel: the grammar, the
templates, the parser tables it caches.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "specs" / "omnichannel_orders.pgl"
RUN = "import sys; from pipegen.cli import main; sys.argv[0] = 'pipegen'; main()"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("wheel")
    build = base / "src"
    # Build from a copy of the tracked files, so the checkout gets no build/ or egg-info of this test's.
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for rel in files.decode().split("\0"):
        if rel and (ROOT / rel).is_file():
            (build / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, build / rel)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(base / "dist"), str(build)], check=True, capture_output=True)
    [wheel] = (base / "dist").glob("pipegen-*.whl")
    site = base / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(site),
                    str(wheel)], check=True, capture_output=True)
    return site


def _run(args: list[str], cwd: Path, site: Path | None, home: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPEGEN_") and k != "PYTHONPATH"}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / "cache"))
    if site is not None:
        env["PYTHONPATH"] = str(site)
    probe = "import pipegen, sys; print(pipegen.__file__, file=sys.stderr); " + RUN
    return subprocess.run([sys.executable, "-c", probe, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_wheel_holds_what_pipegen_reads_and_nothing_of_the_checkout(installed: Path) -> None:
    [wheel] = (installed.parent / "dist").glob("pipegen-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "pipegen/grammar/pgl.lark" in names
    assert any(n.startswith("pipegen/compiler/templates/") and n.endswith(".j2") for n in names)
    assert "pipegen/engine/jars.py" in names and "pipegen/compiler/analyze/relations.py" in names
    tops = {n.split("/")[0] for n in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"pipegen"}, tops


@pytest.mark.parametrize("command", ["compile", "init"])
def test_installed_and_editable_give_the_same_project(installed: Path, tmp_path: Path, command: str) -> None:
    results = {}
    for label, site in (("wheel", installed), ("editable", None)):
        work = tmp_path / label
        work.mkdir()
        shutil.copy(SPEC, work / "spec.pgl")
        args = ["compile", "spec.pgl", "-o", "out"] if command == "compile" else ["init", "out", "--domain", "iot"]
        done = _run(args, work, site, tmp_path / f"home-{label}")
        assert done.returncode == 0, done.stdout + done.stderr
        where = done.stderr.splitlines()[0]
        assert where.startswith(str(installed)) if site else where.startswith(str(ROOT)), where
        results[label] = _tree(work / "out")
    assert results["wheel"] and results["wheel"] == results["editable"]

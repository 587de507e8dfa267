"""The everyday commands must not import the heavy optional dependencies.

`compile`, `fmt`, `validate` (without `--engine flink`) and `--version` are run
through `pipegen.cli.main` in a fresh interpreter; afterwards `sys.modules` must
hold none of PyFlink, llama.cpp, outlines, openai, torch, llguidance or pydantic. A second
check runs the installed `pipegen` script under `python -X importtime`, so the
console entry point itself is covered too.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FRAUD = str(ROOT / "specs" / "fraud_detection.pgl")
# pydantic: the IR is plain dataclasses; pydantic is only for a model's JSON (init, check, eval).
HEAVY = ("pyflink", "llama_cpp", "outlines", "openai", "torch", "llguidance", "pydantic")

PROBE = """
import sys
from pipegen.cli import main
sys.argv = ["pipegen"] + {argv!r}
code = 0
try:
    main()
except SystemExit as e:
    code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
heavy = {heavy!r}
bad = sorted({{m.split(".")[0] for m in sys.modules if m.split(".")[0] in heavy}})
print("EXIT", code)
print("HEAVY", ",".join(bad))
"""


def _commands(tmp: Path) -> dict[str, list[str]]:
    return {
        "compile": ["compile", FRAUD, "-o", str(tmp / "out"), "-q"],
        "fmt": ["fmt", FRAUD],
        "fmt --check": ["fmt", "--check", FRAUD],
        "validate": ["validate", FRAUD],
        "--version": ["--version"],
    }


@pytest.mark.parametrize("command", ["compile", "fmt", "fmt --check", "validate", "--version"])
def test_light_commands_do_not_import_heavy_modules(command: str, tmp_path: Path) -> None:
    argv = _commands(tmp_path)[command]
    p = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv, heavy=HEAVY)], capture_output=True, text=True,
                       cwd=tmp_path, check=False)
    lines = dict(line.split(" ", 1) if " " in line else (line, "") for line in p.stdout.splitlines()
                 if line.startswith(("EXIT", "HEAVY")))
    assert "HEAVY" in lines, p.stdout + p.stderr
    ok_codes = ("0", "1") if command == "fmt --check" else ("0",)  # --check exits 1 on a non-canonical spec
    assert lines["EXIT"] in ok_codes, f"`pipegen {' '.join(argv)}` failed:\n{p.stdout}{p.stderr}"
    assert lines["HEAVY"] == "", f"`pipegen {' '.join(argv)}` imported {lines['HEAVY']}"


def _pipegen_script() -> str | None:
    script = Path(sys.executable).parent / "pipegen"
    return str(script) if script.exists() else shutil.which("pipegen")


@pytest.mark.parametrize("command", ["compile", "fmt", "validate", "--version"])
def test_installed_script_importtime(command: str, tmp_path: Path) -> None:
    script = _pipegen_script()
    if script is None:
        pytest.skip("the pipegen console script is not installed")
    argv = _commands(tmp_path)[command]
    p = subprocess.run([sys.executable, "-X", "importtime", script, *argv], capture_output=True, text=True,
                       cwd=tmp_path, check=False)
    assert p.returncode == 0, p.stdout + p.stderr[-3000:]
    imported = set()
    for line in p.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            imported.add(name.split(".")[0])
    assert "pipegen" in imported, "importtime output not understood:\n" + p.stderr[-2000:]
    bad = sorted(imported & set(HEAVY))
    assert not bad, f"`pipegen {' '.join(argv)}` imported {bad}"

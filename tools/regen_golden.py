"""Regenerate the golden files of the test suite. Run it on purpose, then review the diff.

    python tools/regen_golden.py            # both sets
    python tools/regen_golden.py --check    # exit 1 if any golden file is out of date (writes nothing)

Golden sets:
  tests/golden/<spec>/...        every output file of `pipegen compile specs/<spec>.pgl`
  tests/invalid/<case>.expected  the exact diagnostics of tests/invalid/<case>.pgl
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipegen import api  # noqa: E402
from pipegen.compiler.diagnostics import render_all, summary  # noqa: E402


def expected_diagnostics(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    rel = path.relative_to(ROOT).as_posix()
    result = api.check(text, rel)
    return render_all(result.diagnostics, text) + "\n" + summary(result.diagnostics) + "\n"


def golden_files(spec: Path) -> dict[str, str]:
    text = spec.read_text(encoding="utf-8")
    result = api.compile_text(text, spec.relative_to(ROOT).as_posix())
    if not result.ok:
        raise SystemExit(f"{spec} does not compile:\n{render_all(result.diagnostics, text)}")
    return result.files


def main() -> int:
    check = "--check" in sys.argv
    stale = []
    for case in sorted((ROOT / "tests" / "invalid").glob("*.pgl")):
        want = expected_diagnostics(case)
        target = case.with_suffix(".expected")
        if not target.exists() or target.read_text(encoding="utf-8") != want:
            stale.append(target)
            if not check:
                target.write_text(want, encoding="utf-8")
    golden_root = ROOT / "tests" / "golden"
    for spec in sorted((ROOT / "specs").glob("*.pgl")):
        files = golden_files(spec)
        folder = golden_root / spec.stem
        current = {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
                   for p in folder.rglob("*") if p.is_file()} if folder.exists() else {}
        if current != files:
            stale.append(folder)
            if not check:
                shutil.rmtree(folder, ignore_errors=True)
                for rel, text in files.items():
                    (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                    (folder / rel).write_text(text, encoding="utf-8")
    if golden_root.exists():
        for folder in sorted(p for p in golden_root.iterdir() if p.is_dir()):
            if not (ROOT / "specs" / f"{folder.name}.pgl").exists():
                stale.append(folder)
                if not check:
                    shutil.rmtree(folder)
    for s in stale:
        print(("out of date: " if check else "rewrote: ") + s.relative_to(ROOT).as_posix())
    if not stale:
        print("golden files are up to date")
    return 1 if (check and stale) else 0


if __name__ == "__main__":
    raise SystemExit(main())

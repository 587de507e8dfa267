"""The first run on a fresh machine: no parse-table cache, no Lark cache, an empty home and temp folder.

The parse tables are built by Lark on the first run and cached as plain data (``pipegen/compiler/lalr.py``). A Lark
that builds its grammar afresh (no cache of its own in the temp folder) names rules with its ``Token``, a
``str`` subclass that ``marshal`` refuses; a Lark that loads its cache names them with ``str``. The suite's
other tests share one temp folder, where Lark's cache exists after the first test: only a fresh temp folder
meets the first-run path, so these tests make one for every process they start.
"""

from __future__ import annotations

import marshal
import os
import shutil
import subprocess
import sys
from pathlib import Path

from pipegen.compiler import lalr, parser

ROOT = Path(__file__).resolve().parent.parent
EXE = shutil.which("pipegen", path=str(Path(sys.executable).parent)) or "pipegen"
SPEC = ROOT / "specs" / "fraud_detection.pgl"


def _fresh_env(home: Path) -> dict[str, str]:
    """An environment as on a new machine: empty home, cache and temp folders, no PipeGen settings."""
    for sub in ("home", "cache", "tmp"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIPEGEN_", "XDG_"))}
    env.update(HOME=str(home / "home"), XDG_CACHE_HOME=str(home / "cache"), TMPDIR=str(home / "tmp"))
    return env


def _cached_tables(home: Path) -> lalr.Tables:
    (path,) = (home / "cache" / "pipegen").glob("pgl-tables-*.marshal")
    return lalr.Tables.from_data(marshal.loads(path.read_bytes()))


def _assert_same_parser(tables: lalr.Tables) -> None:
    """``tables`` parse every example to the same IR as this process's parser. (State numbers differ from one
    process to the next, as Lark builds its item sets in hash order; the language they accept does not.)"""
    mine = parser.tables()
    assert (tables.rules, tables.lexeme, tables.strings, tables.regexps) == \
        (mine.rules, mine.lexeme, mine.strings, mine.regexps)
    assert len(tables.states) == len(mine.states)
    fast = parser.fast_parser(tables)
    for spec in sorted((ROOT / "specs").glob("*.pgl")):
        text = spec.read_text()
        assert fast.parse(text, "start") == parser.parse_spec(text)[0], spec.name


def _assert_plain(value: object) -> None:
    """Only built-in types, all the way down (what ``marshal`` writes back as it read)."""
    assert type(value) in (str, int, bool, float, type(None), tuple, list, dict, frozenset, set), type(value)
    if isinstance(value, dict):
        for k, v in value.items():
            _assert_plain(k)
            _assert_plain(v)
    elif isinstance(value, tuple | list | frozenset | set):
        for v in value:
            _assert_plain(v)


def test_compile_on_a_fresh_machine_writes_a_cache_that_loads_back(tmp_path: Path) -> None:
    env = _fresh_env(tmp_path)
    p = subprocess.run([EXE, "compile", str(SPEC), "-o", str(tmp_path / "proj"), "-q"], capture_output=True,
                       text=True, env=env, cwd=tmp_path, timeout=300)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "proj" / "sql" / "local" / "pipeline.sql").is_file()
    _assert_same_parser(_cached_tables(tmp_path))
    # The second run reads that cache and writes the same project.
    p = subprocess.run([EXE, "compile", str(SPEC), "-o", str(tmp_path / "again"), "-q"], capture_output=True,
                       text=True, env=env, cwd=tmp_path, timeout=300)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "again" / "sql" / "local" / "pipeline.sql").read_text() == \
        (tmp_path / "proj" / "sql" / "local" / "pipeline.sql").read_text()


def test_init_describe_on_a_fresh_machine_writes_a_cache_that_loads_back(tmp_path: Path) -> None:
    """The README's first command's path: `init --describe` prints spec text (keywords) before it parses."""
    env = _fresh_env(tmp_path)
    p = subprocess.run([EXE, "init", "fraud", "--domain", "fintech", "--describe",
                        "Monitor payment transactions and alert when a card pays more than 5 times in 30 seconds"],
                       capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "fraud" / "pipeline.pgl").is_file()
    assert (tmp_path / "fraud" / "sql" / "local" / "pipeline.sql").is_file()
    _assert_same_parser(_cached_tables(tmp_path))


def test_tables_built_by_a_fresh_lark_are_plain_data(tmp_path: Path) -> None:
    """Built in a process whose Lark has no cache of its own, the tables are plain built-in data."""
    env = _fresh_env(tmp_path)
    code = ("import marshal, sys; from pipegen.compiler import lalr, parser; "
            "t = lalr.from_lark(parser._parser()); sys.stdout.buffer.write(marshal.dumps(t.data()))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr.decode()
    data = marshal.loads(p.stdout)
    _assert_plain(data)
    _assert_same_parser(lalr.Tables.from_data(data))


FAILING_WRITE = """
import sys
from pipegen.compiler import lalr

def refuse(value):
    raise {error}("refused by the test")

lalr.marshal.dumps = refuse
from pipegen import cli
sys.argv = ["pipegen", *sys.argv[1:]]
cli.main()
"""


def test_a_cache_that_cannot_be_written_never_fails_the_command(tmp_path: Path) -> None:
    for error in ("ValueError", "RuntimeError", "MemoryError"):
        home = tmp_path / error
        env = {**_fresh_env(home), "PIPEGEN_DEBUG": "1"}
        p = subprocess.run([sys.executable, "-c", FAILING_WRITE.format(error=error), "compile", str(SPEC),
                            "-o", str(home / "proj"), "-q"], capture_output=True, text=True, env=env, timeout=300)
        assert p.returncode == 0, p.stderr
        assert (home / "proj" / "sql" / "local" / "pipeline.sql").is_file()
        assert not list((home / "cache").rglob("*.marshal")) and not list((home / "cache").rglob(".pgl-tables-*"))
        # One debug line says why, and only with PIPEGEN_DEBUG.
        lines = [line for line in p.stderr.splitlines() if "parse tables not cached" in line]
        assert len(lines) == 1 and error in lines[0], p.stderr
        env.pop("PIPEGEN_DEBUG")
        p = subprocess.run([sys.executable, "-c", FAILING_WRITE.format(error=error), "compile", str(SPEC),
                            "-o", str(home / "proj2"), "-q"], capture_output=True, text=True, env=env, timeout=300)
        assert p.returncode == 0 and p.stderr == "", p.stderr

"""Hostile environments: every command, on paths the user cannot write, missing, in the way or looping, on a
full disk, with an unreadable cache, its output closed early, or two at once, ends in its exit code and one
line naming the path (never "a bug in PipeGen"), and the user's files are left byte for byte as they were.

Permissions are enforced for the cases that need them (``perm``): root ignores them, so those cases run as an
unprivileged user. ``RUNNER`` finds one that can run this checkout: the user itself when it is not root;
else uid 65534 (nobody) when it can run this very interpreter and import this checkout (a clone under a folder
nobody cannot enter cannot); else root without the capabilities that bypass permissions (CAP_DAC_OVERRIDE,
CAP_DAC_READ_SEARCH, CAP_FOWNER, dropped from the bounding set before exec), for whom a folder's owner bits
then hold as for any user. Each is probed (a read-only folder must refuse a write) before it is used.
"""

from __future__ import annotations

import ctypes
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXE = shutil.which("pipegen", path=str(Path(sys.executable).parent)) or "pipegen"
SPEC = ROOT / "specs" / "fraud_detection.pgl"
ENV = {k: v for k, v in os.environ.items() if not k.startswith("PIPEGEN_")}
NOBODY = 65534


def run(*args: str, cwd: Path, preexec=None) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, *args], capture_output=True, text=True, cwd=cwd, env=ENV, timeout=300,
                          preexec_fn=preexec)


def one_clear_line(p: subprocess.CompletedProcess, code: int = 2) -> str:
    assert p.returncode == code, (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr and "internal error" not in p.stderr and "bug in PipeGen" not in p.stderr
    errors = [line for line in p.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, p.stderr
    return p.stderr


# ------------------------------------------------------------------ who runs the permission cases


@dataclass(frozen=True)
class Runner:
    """How to start a command for which file permissions hold."""

    name: str
    prefix: tuple[str, ...] = ()  # put before the command
    preexec: Callable[[], None] | None = None  # run in the child before exec
    uid: int | None = None  # the owner its folders must have (None: as created)

    def own(self, path: Path) -> None:
        """Give ``path`` (a folder the test made for it, and what is in it) to the runner's user."""
        if self.uid is None:
            return
        for sub in [path, *path.rglob("*")]:
            os.lchown(sub, self.uid, self.uid)


_PR_CAPBSET_DROP = 24
_DAC_CAPS = (1, 2, 3)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER


def _drop_dac_caps() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in _DAC_CAPS:
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _works(runner: Runner) -> bool:
    """The runner starts this interpreter with this checkout, and a read-only folder refuses it a write."""
    probe = Path(tempfile.mkdtemp(prefix="pipegen-perm-probe-"))
    try:
        os.chmod(probe, 0o755)
        (probe / "ro").mkdir()
        runner.own(probe)
        os.chmod(probe / "ro", 0o555)
        code = ("import os, sys, pipegen\n"
                "try:\n    open('ro/x', 'w')\nexcept PermissionError:\n    print(sys.version, pipegen.__file__)\n")
        done = subprocess.run([*runner.prefix, sys.executable, "-c", code], cwd=probe, env=ENV, text=True,
                              capture_output=True, timeout=60, preexec_fn=runner.preexec)
        import pipegen

        version = subprocess.run([*runner.prefix, EXE, "--version"], cwd=probe, env=ENV, capture_output=True,
                                 text=True, timeout=60, preexec_fn=runner.preexec)
        return (done.returncode == 0 and done.stdout.strip() == f"{sys.version} {pipegen.__file__}"
                and version.returncode == 0)
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        os.chmod(probe / "ro", 0o755)
        shutil.rmtree(probe, ignore_errors=True)


@lru_cache(maxsize=1)
def runner() -> Runner | None:
    if os.geteuid() != 0:
        return Runner("this user")
    candidates = []
    if shutil.which("setpriv"):
        candidates.append(Runner("uid 65534", ("setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}",
                                                "--clear-groups"), uid=NOBODY))
    candidates.append(Runner("root without the DAC capabilities", preexec=_drop_dac_caps))
    return next((r for r in candidates if _works(r)), None)


def test_the_permission_cases_have_a_runner() -> None:
    """Never skipped: if no way to enforce permissions is found, this fails, and the permission cases with it."""
    assert runner() is not None, "no unprivileged runner works here (see the module docstring)"


# ------------------------------------------------------------------ the table


UGLY = "pipeline  p {\n}\nsource s { topic \"s\" fields { a string } }\nsink o from s { topic \"o\" }\n"


def _spec(root: Path) -> None:
    (root / "spec.pgl").write_text(SPEC.read_text())


def _ugly(root: Path) -> None:
    (root / "ugly.pgl").write_text(UGLY)


def _chmod(rel: str, mode: int, then: Callable[[Path], None] | None = None) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        if then is not None:
            then(root)
        path = root / rel
        if not path.exists():
            path.mkdir(parents=True)
        os.chmod(path, mode)
    return setup


def _all(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        for step in steps:
            step(root)
    return setup


def _file(rel: str, text: str = "mine\n") -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return setup


def _link(rel: str, to: str) -> Callable[[Path], None]:
    return lambda root: (root / rel).symlink_to(to)


def _project(rel: str) -> Callable[[Path], None]:
    """A project compiled before (as root, then given to the runner's user)."""
    def setup(root: Path) -> None:
        from pipegen import api

        api.write(api.compile_text(SPEC.read_text(), str(SPEC)), root / rel)
    return setup


def _full_disk() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG, as on a full disk
    resource.setrlimit(resource.RLIMIT_FSIZE, (3000, 3000))


LONG = "x" * 300
CASES_LINE = '{"id": "c1", "request": "count events per minute", "expect": {}}\n'


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    code: int
    says: tuple[str, ...] = ()  # in what the command prints on stderr
    setup: Callable[[Path], None] = lambda root: None
    perm: bool = False  # needs permissions enforced
    env: dict[str, str] = field(default_factory=dict)  # "{root}" is the case's folder
    full_disk: bool = False
    stdout: str = "pipe"  # or "closed" (the reader is gone) or "full" (/dev/full)
    creates: tuple[str, ...] = ()  # what the command may add (files under these paths)
    check: Callable[[Path], None] | None = None  # more to assert on the folder afterwards


def _whole_project(rel: str) -> Callable[[Path], None]:
    def check(root: Path) -> None:
        from pipegen import api

        spec = (root / rel / "pipeline.pgl").read_text()
        for name, text in api.compile_text(spec, "pipeline.pgl").files.items():
            assert (root / rel / name).read_text() == text, name
    return check


def _only_the_spec(rel: str) -> Callable[[Path], None]:
    """The spec is kept (the hint says so), and no part of a project beside it."""
    def check(root: Path) -> None:
        from pipegen import api

        assert sorted(p.name for p in (root / rel).iterdir()) == ["pipeline.pgl"]
        assert api.check((root / rel / "pipeline.pgl").read_text()).ok
    return check


CASES = [
    # compile
    Case("compile-read-only-folder", ("compile", "spec.pgl", "-o", "ro/proj"), 2, ("ro", "not writable"),
         _all(_spec, _chmod("ro", 0o555)), perm=True),
    Case("compile-read-only-project", ("compile", "spec.pgl", "-o", "proj"), 2, ("proj", "not writable"),
         _all(_spec, _project("proj"), _chmod("proj", 0o555)), perm=True),
    Case("compile-read-only-subfolder", ("compile", "spec2.pgl", "-o", "proj"), 2, ("Permission denied",),
         _all(_project("proj"), _file("spec2.pgl", SPEC.read_text().replace("> 10000", "> 20000")),
              _chmod("proj/sql/local", 0o555)), perm=True, check=_whole_project("proj")),
    Case("compile-unreadable-spec", ("compile", "spec.pgl"), 2, ("spec.pgl: Permission denied",),
         _chmod("spec.pgl", 0o000, _spec), perm=True),
    Case("compile-spec-in-a-closed-folder", ("compile", "closed/spec.pgl"), 2, ("closed/spec.pgl: Permission denied",),
         _all(_file("closed/spec.pgl", SPEC.read_text()), _chmod("closed", 0o000)), perm=True),
    Case("compile-missing-spec", ("compile", "missing/spec.pgl"), 2, ("missing/spec.pgl: no such file",)),
    Case("compile-missing-parents-are-made", ("compile", "spec.pgl", "-o", "a/b/proj", "-q"), 0, (), _spec,
         creates=("a",), check=_whole_project("a/b/proj")),
    Case("compile-file-for-a-folder", ("compile", "spec.pgl", "-o", "notes.txt/proj"), 2, ("notes.txt",),
         _all(_spec, _file("notes.txt"))),
    Case("compile-name-too-long", ("compile", "spec.pgl", "-o", LONG), 2, ("shorter",), _spec),
    Case("compile-dangling-symlink", ("compile", "spec.pgl", "-o", "out"), 2, ("symlink to nowhere",),
         _all(_spec, _link("out", "nowhere"))),
    Case("compile-symlink-loop", ("compile", "spec.pgl", "-o", "out"), 2, ("symlink loop",),
         _all(_spec, _link("out", "out"))),
    Case("compile-spec-symlink-loop", ("compile", "loop.pgl"), 2, ("loop.pgl is a symlink loop",),
         _link("loop.pgl", "loop.pgl")),
    Case("compile-full-disk", ("compile", "spec.pgl", "-o", "proj"), 2, ("proj", "disk space"), _spec,
         full_disk=True),
    Case("compile-output-closed", ("compile", "spec.pgl", "-o", "proj"), 141, (), _spec, stdout="closed",
         creates=("proj",), check=_whole_project("proj")),
    Case("compile-output-full", ("compile", "spec.pgl", "-o", "proj"), 2, ("writing the output",), _spec,
         stdout="full", creates=("proj",), check=_whole_project("proj")),
    Case("compile-unreadable-cache", ("compile", "spec.pgl", "-o", "proj", "-q"), 0, (),
         _all(_spec, _chmod("cache", 0o000)), perm=True, env={"PIPEGEN_CACHE_DIR": "{root}/cache"},
         creates=("proj",), check=_whole_project("proj")),
    # fmt
    Case("fmt-unreadable", ("fmt", "ugly.pgl"), 2, ("ugly.pgl: Permission denied",), _chmod("ugly.pgl", 0o000, _ugly),
         perm=True),
    Case("fmt-write-read-only-folder", ("fmt", "--write", "ro/ugly.pgl"), 2, ("ro", "not writable"),
         _all(_file("ro/ugly.pgl", UGLY), _chmod("ro", 0o555)), perm=True),
    Case("fmt-write-read-only-file", ("fmt", "--write", "ugly.pgl"), 2, ("read-only",),
         _chmod("ugly.pgl", 0o444, _ugly), perm=True),
    Case("fmt-write-full-disk", ("fmt", "--write", "big.pgl"), 2, ("big.pgl", "disk space"),
         _file("big.pgl", "# " + "c" * 4000 + "\n" + UGLY), full_disk=True),
    Case("fmt-missing", ("fmt", "missing.pgl"), 2, ("missing.pgl: no such file",)),
    Case("fmt-name-too-long", ("fmt", LONG + ".pgl"), 2, ("shorter",)),
    Case("fmt-dangling-symlink", ("fmt", "link.pgl"), 2, ("symlink to gone.pgl",), _link("link.pgl", "gone.pgl")),
    Case("fmt-a-folder", ("fmt", "dir"), 2, ("dir is a folder",), _chmod("dir", 0o755)),
    Case("fmt-output-closed", ("fmt", "ugly.pgl"), 141, (), _ugly, stdout="closed"),
    Case("fmt-output-full", ("fmt", "ugly.pgl"), 2, ("writing the output",), _ugly, stdout="full"),
    # validate
    Case("validate-closed-project", ("validate", "proj"), 2, ("proj/pipeline.pgl: Permission denied",),
         _all(_project("proj"), _chmod("proj", 0o000)), perm=True),
    Case("validate-unreadable-config", ("validate", "proj"), 2, ("local.yaml: Permission denied",),
         _all(_project("proj"), _chmod("proj/config/local.yaml", 0o000)), perm=True),
    Case("validate-unreadable-cache", ("validate", "spec.pgl"), 0, (), _all(_spec, _chmod("cache", 0o000)),
         perm=True, env={"XDG_CACHE_HOME": "{root}/cache"}),
    Case("validate-symlink-loop", ("validate", "loop"), 2, ("symlink loop",), _link("loop", "loop")),
    Case("validate-output-full", ("validate", "spec.pgl"), 2, ("writing the output",), _spec, stdout="full"),
    # init
    Case("init-in-a-read-only-folder", ("init", "x", "--domain", "iot"), 2, ("not writable",),
         _chmod(".", 0o555), perm=True),
    Case("init-into-a-read-only-folder", ("init", "ro", "--domain", "iot"), 2, ("ro", "not writable"),
         _chmod("ro", 0o555), perm=True),
    Case("init-describe-read-only-asks-no-model", ("init", "ro/x", "--describe", "Average temperature every minute"),
         2, ("ro", "not writable"), _chmod("ro", 0o555), perm=True),
    Case("init-missing-parents-are-made", ("init", "a/b/x", "--domain", "iot"), 0, (), creates=("a",),
         check=_whole_project("a/b/x")),
    Case("init-file-for-a-folder", ("init", "notes.txt", "--domain", "iot"), 2, ("notes.txt", "not a folder"),
         _file("notes.txt")),
    Case("init-below-a-file", ("init", "notes.txt/x", "--domain", "iot"), 2, ("notes.txt",), _file("notes.txt")),
    Case("init-name-too-long", ("init", LONG, "--domain", "iot"), 2, ("shorter",)),
    Case("init-symlink-loop", ("init", "loop", "--domain", "iot"), 2, ("loop is a symlink loop",),
         _link("loop", "loop")),
    Case("init-dangling-symlink", ("init", "out", "--domain", "iot"), 2, ("symlink to nowhere",),
         _link("out", "nowhere")),
    Case("init-full-disk", ("init", "x", "--domain", "iot"), 2, ("disk space", "x/pipeline.pgl is written"),
         full_disk=True, creates=("x",), check=_only_the_spec("x")),
    Case("init-output-closed", ("init", "x", "--domain", "iot"), 141, (), stdout="closed", creates=("x",),
         check=_whole_project("x")),
    Case("init-unreadable-cache", ("init", "x", "--domain", "iot"), 0, (), _chmod("cache", 0o000), perm=True,
         env={"PIPEGEN_CACHE_DIR": "{root}/cache"}, creates=("x",), check=_whole_project("x")),
    Case("init-unreadable-schema", ("init", "x", "--input-schema", "s.avsc"), 2, ("s.avsc: Permission denied",),
         _chmod("s.avsc", 0o000, _file("s.avsc", '{"type": "record", "name": "r", "fields": []}')), perm=True),
    Case("init-csv-is-a-folder", ("init", "x", "--input-csv", "dir"), 2, ("dir is a folder",), _chmod("dir", 0o755)),
    # check
    Case("check-unreadable-cache", ("check",), 0, (), _chmod("cache", 0o000), perm=True,
         env={"XDG_CACHE_HOME": "{root}/cache", "PIPEGEN_CACHE_DIR": "{root}/cache"}),
    Case("check-output-closed", ("check",), 141, (), stdout="closed"),
    Case("check-output-full", ("check",), 2, ("writing the output",), stdout="full"),
    # eval: every path is checked before the run (which can take minutes)
    Case("eval-report-read-only-folder", ("eval", "cases.jsonl", "--report", "ro/r.json"), 2,
         ("ro/r.json cannot be written",), _all(_file("cases.jsonl", CASES_LINE), _chmod("ro", 0o555)), perm=True),
    Case("eval-report-missing-folder", ("eval", "cases.jsonl", "--markdown", "missing/r.md"), 2,
         ("missing: no such folder",), _file("cases.jsonl", CASES_LINE)),
    Case("eval-unreadable-cases", ("eval", "cases.jsonl"), 2, ("cases.jsonl: Permission denied",),
         _chmod("cases.jsonl", 0o000, _file("cases.jsonl", CASES_LINE)), perm=True),
    Case("eval-cases-symlink-loop", ("eval", "loop.jsonl"), 2, ("symlink loop",), _link("loop.jsonl", "loop.jsonl")),
    # run: every path is checked before a broker or a JVM starts (--dry-run stops right after the checks)
    Case("run-never-compiled", ("run", "mine", "--dry-run"), 2, ("mine is not a compiled PipeGen project",),
         _file("mine/notes.txt")),
    Case("run-missing-project", ("run", "missing", "--dry-run"), 2, ("no project at missing",)),
    Case("run-a-file", ("run", "notes.txt", "--dry-run"), 2, ("notes.txt is a file",), _file("notes.txt")),
    Case("run-unreadable-spec", ("run", "proj", "--dry-run"), 2, ("proj/pipeline.pgl", "Permission denied"),
         _all(_project("proj"), _chmod("proj/pipeline.pgl", 0o000)), perm=True),
    Case("run-report-read-only-folder", ("run", "proj", "--dry-run", "--report", "ro/r.html"), 2,
         ("ro", "not writable"), _all(_project("proj"), _chmod("ro", 0o555)), perm=True),
    Case("run-report-missing-folder", ("run", "proj", "--dry-run", "--report", "missing/r.html"), 2,
         ("no folder missing",), _project("proj")),
    Case("run-symlink-loop", ("run", "loop", "--dry-run"), 2, ("loop",), _link("loop", "loop")),
    Case("run-output-closed", ("run", "proj", "--dry-run"), 141, (), _project("proj"), stdout="closed"),
    Case("run-output-full", ("run", "proj", "--dry-run"), 2, ("writing the output",), _project("proj"),
         stdout="full"),
]


def _snapshot(root: Path) -> dict[str, tuple[str, bytes | str]]:
    """Every file, link and folder under ``root`` with its mode and content (read as root: it reads all)."""
    out: dict[str, tuple[str, bytes | str]] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = (oct(st.st_mode), "")
            else:
                out[rel] = (oct(st.st_mode), path.read_bytes())
    return out


def _open_up(root: Path) -> None:
    """Make everything the case closed readable again, so pytest can clean up."""
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            path = Path(folder) / name
            if not path.is_symlink():
                os.chmod(path, 0o755)


@pytest.fixture
def case_root() -> Path:
    """A folder for the case that the runner's user can reach (pytest's own is closed to other users)."""
    root = Path(tempfile.mkdtemp(prefix="pipegen-hostile-"))
    os.chmod(root, 0o755)
    yield root / "w"
    _open_up(root)
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_environment(case: Case, case_root: Path) -> None:
    root = case_root
    root.mkdir()
    home = root.parent / "home"
    home.mkdir()
    who = runner() if case.perm else None
    if case.perm and who is None:
        pytest.fail("no unprivileged runner works here, so permissions cannot be tested (see the module docstring)")
    preexec = None
    case.setup(root)
    if who is not None:
        who.own(root.parent)  # the user's own folder and files
        preexec = who.preexec
    if case.full_disk:
        preexec = _full_disk
    before = _snapshot(root)
    env = {**ENV, "HOME": str(home), **{k: v.format(root=root) for k, v in case.env.items()}}
    command = [*(who.prefix if who is not None else ()), EXE, *case.args]
    if case.stdout == "closed":
        read, write = os.pipe()
        os.close(read)  # a reader that is already gone
        try:
            done = subprocess.run(command, cwd=root, env=env, stdout=write, stderr=subprocess.PIPE, text=True,
                                  timeout=300, preexec_fn=preexec)
        finally:
            os.close(write)
    elif case.stdout == "full":
        with open("/dev/full", "w") as full:
            done = subprocess.run(command, cwd=root, env=env, stdout=full, stderr=subprocess.PIPE, text=True,
                                  timeout=300, preexec_fn=preexec)
    else:
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=300,
                              preexec_fn=preexec)
    if case.code == 141:  # SIGPIPE, quietly, as other Unix tools end
        assert done.returncode in (-13, 141) and done.stderr == "", (done.returncode, done.stderr)
    elif case.code == 0:
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr and not any(x.startswith("error:") for x in done.stderr.splitlines())
    else:
        err = one_clear_line(done, case.code)
        for words in case.says:
            assert words in err, (words, err)
        assert "hint:" in err
    after = _snapshot(root)
    # the user's files as they were, byte for byte (and their modes), and nothing else added
    assert {k: v for k, v in after.items() if k in before} == before
    added = [k for k in after if k not in before]
    assert all(any(k == c or k.startswith(c + "/") for c in case.creates) for k in added), added
    if case.check is not None:
        case.check(root)


def test_init_into_a_folder_holding_a_users_file_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "ex2").mkdir()
    (tmp_path / "ex2" / "notes.txt").write_text("mine")
    err = one_clear_line(run("init", "ex2", "--domain", "iot", cwd=tmp_path))
    assert "notes.txt" in err and "--force" in err
    assert sorted(p.name for p in (tmp_path / "ex2").iterdir()) == ["notes.txt"]
    p = run("init", "ex2", "--domain", "iot", "--force", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "ex2" / "notes.txt").read_text() == "mine"


def test_two_inits_of_one_folder_one_wins_whole(tmp_path: Path) -> None:
    """Two `init`s of one folder at once, with different domains: one writes its spec and its project, the
    other finds that spec and says so in one line; the spec and the project are always of one domain."""
    for i in range(4):
        procs = {dom: subprocess.Popen([EXE, "init", f"x{i}", "--domain", dom], cwd=tmp_path, env=ENV, text=True,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for dom in ("iot", "fintech")}
        ends = {dom: (p.wait(timeout=120), p.stderr.read()) for dom, p in procs.items()}
        won = [dom for dom, (code, _) in ends.items() if code == 0]
        assert len(won) == 1, ends
        lost = next(dom for dom in ends if dom not in won)
        assert ends[lost][0] == 2 and "pipeline.pgl already exists" in ends[lost][1], ends[lost]
        assert len([x for x in ends[lost][1].splitlines() if x.startswith("error:")]) == 1
        out = tmp_path / f"x{i}"
        assert f"domain {won[0]}" in (out / "pipeline.pgl").read_text()
        _whole_project(f"x{i}")(tmp_path)


def test_fmt_write_keeps_the_mode_and_a_symlink(tmp_path: Path) -> None:
    spec = tmp_path / "private.pgl"
    spec.write_text(UGLY)
    spec.chmod(0o600)
    assert run("fmt", "--write", "private.pgl", cwd=tmp_path).returncode == 0
    assert stat.S_IMODE(spec.stat().st_mode) == 0o600 and spec.read_text() != UGLY
    real = tmp_path / "real.pgl"
    real.write_text(UGLY)
    (tmp_path / "link.pgl").symlink_to(real)
    assert run("fmt", "--write", "link.pgl", cwd=tmp_path).returncode == 0
    assert (tmp_path / "link.pgl").is_symlink() and real.read_text() != UGLY


def test_fmt_write_leaves_a_read_only_file_alone(tmp_path: Path) -> None:
    spec = tmp_path / "locked.pgl"
    spec.write_text(UGLY)
    spec.chmod(0o444)
    err = one_clear_line(run("fmt", "--write", "locked.pgl", cwd=tmp_path))
    assert "read-only" in err
    assert spec.read_text() == UGLY and stat.S_IMODE(spec.stat().st_mode) == 0o444


@pytest.mark.parametrize("value", ["e-commerce", 'we"ird', "two words", "pipeline", "x" * 80])
def test_a_hostile_domain_never_makes_a_spec_the_parser_rejects(tmp_path: Path, value: str) -> None:
    p = run("init", "proj", "--domain", value, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    from pipegen import api

    assert api.check((tmp_path / "proj" / "pipeline.pgl").read_text()).ok


HOSTILE_AVSC = """{"type": "record", "name": "we_ird", "namespace": "a.b", "doc": "a \\"doc\\" } { # -- /*\\nnext",
 "fields": [{"name": "pipeline", "type": "string", "doc": "\\"quoted\\"\\n} newline"},
            {"name": "source", "type": {"type": "enum", "name": "E", "symbols": ["A", "from", "B_c"]}},
            {"name": "x_y", "type": ["null", "double"], "default": null, "doc": "`tick` 'q'"},
            {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}}]}"""
HOSTILE_CSV = '"a b","c""d",pipeline,ts,"x;y",über,\n1,2,3,2024-01-01 00:00:00,4,5,6\n'


@pytest.mark.parametrize("args", [
    ("init", "--spec-only", "--", 'we"ird `x` ;y'),
    ("init", "--spec-only", "--domain", 'e-commerce "x" {', "p"),
    ("init", "--spec-only", "--input-schema", "h.avsc", "p"),
    ("init", "--spec-only", "--input-csv", "h.csv", "p"),
    # requests that pin the spec down (no model call), with names that need quoting, and a topic Kafka refuses
    ("init", "--spec-only", "--describe", "from events (`pipeline`, `source`, `sink`, ts) forward everything to `from`",
     "p"),
    ("init", "--spec-only", "--describe", "forward every event from the `we\"ird; stream` stream (`a b`, `c\"d`, ts) "
     "to `out\"x`", "p"),
], ids=["name", "domain", "input-schema", "input-csv", "describe-keywords", "describe-quotes"])
def test_hostile_values_through_every_flag_make_specs_the_parser_reads(tmp_path: Path, args: tuple[str, ...]) -> None:
    """Every value a flag carries into a spec goes through the printer's quoting: the spec always parses; it is
    presented as done (exit 0) only when the checks accept it, else exit 1 with the errors as comments on top."""
    from pipegen import api

    (tmp_path / "h.avsc").write_text(HOSTILE_AVSC)
    (tmp_path / "h.csv").write_text(HOSTILE_CSV)
    p = run(*args, cwd=tmp_path)
    assert p.returncode in (0, 1), p.stderr
    assert "Traceback" not in p.stderr and "internal error" not in p.stderr
    [spec] = [f for f in tmp_path.rglob("pipeline.pgl")]
    text = spec.read_text()
    api.parse(text, str(spec))  # raises SpecError when the parser rejects it
    assert api.check(text).ok == (p.returncode == 0), p.stderr
    if p.returncode == 1:
        assert text.startswith("# PipeGen could not make this spec valid")


def test_a_request_longer_than_the_models_context_fits_it() -> None:
    """A 20,000-character request: the prompt the embedded model gets is cut to fit its context (4,096 tokens)
    with room for the answer, instead of failing inside llama.cpp."""
    llama_cpp = pytest.importorskip("llama_cpp", reason="the embedded model is an optional extra ('pipegen[llm]')")
    from pipegen.backends.llamacpp import N_CTX, LlamaCppBackend
    from pipegen.generate import checked_candidates, plan_request
    from pipegen.generate.prompt import spec_prompt

    request = ("From clicks (user_id, page, country, ts) count the clicks and the distinct pages. "
               + "lorem ipsum dolor sit amet " * 740)
    assert len(request) > 20_000
    plan = plan_request(request, None)
    backend = LlamaCppBackend()
    llm = llama_cpp.Llama(model_path=str(backend._path), vocab_only=True, verbose=False)
    system, user = spec_prompt(plan, None)
    tokens = llm.tokenize(backend.chat_prompt(llm, system, user).encode("utf-8"), add_bos=True, special=True)
    answer = max(len(t) for t in checked_candidates(plan)) // 2 + 200  # the most the answer may take
    assert len(tokens) + answer < N_CTX, len(tokens)


def test_two_writers_of_one_project_take_turns(tmp_path: Path) -> None:
    """Two `compile`s into one folder at once, many times: both end well and the project is whole."""
    from pipegen import api

    expected = api.compile_text(SPEC.read_text(), str(SPEC)).files
    for i in range(12):  # the overlap itself is forced by the threads below
        out = tmp_path / f"conc{i}"
        procs = [subprocess.Popen([EXE, "compile", str(SPEC), "-o", str(out), "-q"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=ENV) for _ in range(2)]
        results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
        for code, err in results:
            assert code == 0, err
        for rel, text in expected.items():
            assert (out / rel).read_text() == text, rel
        assert not (out / ".pipegen-staging").exists()


def test_two_writers_in_one_process_take_turns(tmp_path: Path) -> None:
    """The same, with both writes started together from two threads (a barrier), so they really overlap."""
    import threading

    from pipegen import api

    compiled = api.compile_text(SPEC.read_text(), str(SPEC))
    for i in range(60):
        out = tmp_path / f"t{i}"
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def write() -> None:
            barrier.wait()
            try:
                api.write(compiled, out)
            except BaseException as e:  # noqa: BLE001 - collected for the assertion
                errors.append(e)

        threads = [threading.Thread(target=write) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        for rel, text in compiled.files.items():
            assert (out / rel).read_text() == text, rel


def test_a_model_file_that_is_not_a_model(tmp_path: Path) -> None:
    fake = tmp_path / "fake.gguf"
    fake.write_text("not a model")
    env = {**ENV, "PIPEGEN_LLAMACPP_MODEL": str(fake)}
    p = subprocess.run([EXE, "init", "x", "--describe", "count events per minute"], capture_output=True, text=True,
                       cwd=tmp_path, env=env, timeout=120)
    err = one_clear_line(p)
    assert "not a GGUF model file" in err and str(fake) in err
    assert not (tmp_path / "x").exists()
    check = subprocess.run([EXE, "check"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert "not a GGUF model file" in check.stdout
    # the magic, then no header llama.cpp reads: not "[ok] ... Available" in check, one line in init
    fake.write_bytes(b"GGUF" + b"junk" * 8)
    check = subprocess.run([EXE, "check"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert "[!] llamacpp" in check.stdout and "not a GGUF model file llama.cpp reads" in check.stdout
    p = subprocess.run([EXE, "init", "x", "--describe", "count events per minute"], capture_output=True, text=True,
                       cwd=tmp_path, env=env, timeout=120)
    assert "not a GGUF model file llama.cpp reads" in one_clear_line(p) and "No AI provider" not in p.stderr
    assert not (tmp_path / "x").exists()


def test_an_unknown_model_name_says_what_model_takes(tmp_path: Path) -> None:
    err = one_clear_line(run("init", "x", "--model", "nosuchmodel", "--describe", "count events per minute",
                             cwd=tmp_path))
    assert "nosuchmodel" in err and "smollm2" in err and "gemma3" in err


def test_the_force_hint_says_which_files_it_replaces_and_which_it_keeps(tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "README.md").write_text("my notes\n")
    (tmp_path / "proj" / "ideas.txt").write_text("keep me\n")
    err = one_clear_line(run("compile", str(SPEC), "-o", "proj", cwd=tmp_path))
    assert "--force replaces README.md with what PipeGen writes now and keeps ideas.txt" in err
    assert (tmp_path / "proj" / "README.md").read_text() == "my notes\n"  # nothing written
    done = run("compile", str(SPEC), "-o", "proj", "--force", cwd=tmp_path)
    assert done.returncode == 0
    assert (tmp_path / "proj" / "ideas.txt").read_text() == "keep me\n"
    assert (tmp_path / "proj" / "README.md").read_text() != "my notes\n"  # replaced, as the hint said

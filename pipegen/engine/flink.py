"""Validate generated Flink SQL with Flink's own parser, validator and planner.

A single streaming ``TableEnvironment`` (PyFlink, i.e. a local JVM started
through py4j) is used for a whole list of statements:

* DDL (``CREATE TABLE``/``CREATE [TEMPORARY] VIEW``/``DROP``/``ALTER``/``USE`` ...)
  is executed with ``execute_sql``: it only registers objects in the in-memory
  catalog and never starts a job;
* ``INSERT INTO``, ``EXECUTE STATEMENT SET BEGIN ... END``, ``SELECT`` and
  ``CREATE TABLE ... AS SELECT`` are only *explained* (``explain_sql``), which
  runs the complete planner (validation, connector/format factory discovery,
  optimisation) without submitting anything;
* ``SET 'key' = 'value'`` is applied to the table config.

No job is ever started: statements that are not on the DDL whitelist are
explained instead of executed, and if an executed statement unexpectedly
returns a job client the job is cancelled and reported as an error.

PyFlink is imported lazily so this module imports fine without it.  The Kafka
connector is not part of apache-flink; its jars are passed explicitly or via
``PIPEGEN_FLINK_JARS``, else fetched from PyPI on first use (``pipegen/engine/jars.py``).  The
statements are planned as given; :func:`planning_statements` compiles a spec's with tables Flink can plan
(no ``avro-confluent`` format jar can be had, for one).
"""

from __future__ import annotations

import getpass
import logging
import os
import re
import shutil
import socket
import sys
import tempfile
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Self

__all__ = [
    "JARS_ENV",
    "FlinkPlanner",
    "FlinkUnavailable",
    "PlanResult",
    "connector_jars",
    "describe_java_error",
    "planning_statements",
]

JARS_ENV = "PIPEGEN_FLINK_JARS"
LOG_DIR_ENV = "PIPEGEN_FLINK_LOG_DIR"


class FlinkUnavailable(Exception):
    """Flink validation cannot run here (no PyFlink, no Java, missing jars...).

    ``message`` says what is wrong, ``hint`` what to do about it.
    """

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message


@dataclass(frozen=True)
class PlanResult:
    """Outcome of one statement.

    ``line``/``column`` (1-based) are relative to the statement text as given
    (a trailing ``;`` removed), when Flink reported a position.
    ``action`` is one of ``execute``, ``explain``, ``set``, ``skip``;
    ``plan`` holds the ``explain_sql`` output for explained statements.
    """

    index: int
    ok: bool
    message: str
    seconds: float
    line: int | None = None
    column: int | None = None
    action: str = ""
    plan: str = ""


# --------------------------------------------------------------------------
# jars


def connector_jars(explicit: Sequence[str | os.PathLike] | None = None, *, fetch: bool = True) -> list[Path]:
    """Resolve the extra jars (Kafka connector, kafka-clients) to put on ``pipeline.jars``.

    ``explicit`` wins when not None; otherwise ``$PIPEGEN_FLINK_JARS`` (an ``os.pathsep``-separated list of jar
    files or directories, whose ``*.jar`` files are taken); when that is unset too, the jars PipeGen keeps in the
    user's cache, fetched from PyPI on first use (``pipegen.engine.jars.ensure``; ``fetch=False``: ``[]``
    instead). Raises :class:`FlinkUnavailable` for a path that does not exist, a directory without jars, or a
    fetch that fails.
    """
    if explicit is not None:
        entries = [str(e) for e in explicit]
        origin = "jar path"
    else:
        raw = os.environ.get(JARS_ENV, "")
        entries = [e for e in raw.split(os.pathsep) if e.strip()]
        origin = f"{JARS_ENV} entry"
        if not entries:
            if not fetch:
                return []
            from . import jars as kafka_jars

            return kafka_jars.ensure()
    instead = "leave out --jars" if explicit is not None else f"unset {JARS_ENV}"
    hint = (f"give a folder holding the flink-connector-kafka and kafka-clients jars (`pipegen fetch-jars DIR` "
            f"puts them there), or {instead} to use the ones PipeGen fetches itself")
    jars: list[Path] = []
    for entry in entries:
        path = Path(entry.strip()).expanduser()
        if path.is_dir():
            found = sorted(p for p in path.glob("*.jar") if p.is_file())
            if not found:
                raise FlinkUnavailable(f"no .jar files in {path} ({origin})", hint)
            jars.extend(p.resolve() for p in found)
        elif path.is_file():
            jars.append(path.resolve())
        else:
            raise FlinkUnavailable(f"{origin} does not exist: {path}", hint)
    unique: list[Path] = []
    for jar in jars:
        if jar not in unique:
            unique.append(jar)
    return unique


# --------------------------------------------------------------------------
# a tiny SQL tokenizer (just enough for statement classification; comments and
# quoting are respected)


class _Tok(NamedTuple):
    kind: str  # word | str | qid | punct
    text: str
    start: int
    end: int


_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


def _tokens(sql: str) -> list[_Tok]:
    out: list[_Tok] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c.isspace():
            i += 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif c in "'\"`":
            j = i + 1
            while j < n:
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:  # doubled quote = escaped
                        j += 2
                        continue
                    j += 1
                    break
                j += 1
            out.append(_Tok("str" if c == "'" else "qid", sql[i:j], i, j))
            i = j
        else:
            m = _WORD_RE.match(sql, i)
            if m:
                out.append(_Tok("word", m.group(), i, m.end()))
                i = m.end()
            else:
                out.append(_Tok("punct", c, i, i + 1))
                i += 1
    return out


def _unquote(literal: str) -> str:
    return literal[1:-1].replace("''", "'") if len(literal) >= 2 else literal


def _leading_words(toks: list[_Tok], limit: int = 8) -> list[str]:
    words: list[str] = []
    for tok in toks[:limit]:
        if tok.kind != "word":
            break
        words.append(tok.text.upper())
    return words


def _is_create_table(toks: list[_Tok]) -> bool:
    words = _leading_words(toks)
    if not words or words[0] not in ("CREATE", "REPLACE"):
        return False
    for w in words[1:]:
        if w in ("OR", "REPLACE", "TEMPORARY"):
            continue
        return w == "TABLE"
    return False


def _is_table_as_query(toks: list[_Tok]) -> bool:
    """CREATE/REPLACE TABLE ... AS <query> (CTAS/RTAS) -- executing it would start a job."""
    if not _is_create_table(toks):
        return False
    depth = 0
    for tok in toks:
        if tok.kind == "punct":
            if tok.text == "(":
                depth += 1
            elif tok.text == ")":
                depth -= 1
        elif tok.kind == "word" and depth == 0 and tok.text.upper() == "AS":
            return True
    return False


# --------------------------------------------------------------------------
# what is planned


def planning_statements(analysis: Any, target: str = "local", settings: Any = None,
                        shipped: Sequence[Any] | None = None) -> list[Any]:
    """The statements of ``target`` as Flink plans them, compiled from the checked spec (``analysis``) with the
    target's ``planning`` option (``pipegen.compiler.targets.base.Target``): each table is declared with a
    connector and format open-source Flink has, and every other statement is the target's own, byte for byte.

    ``shipped``: the target's statements as compiled for its files; its views and inserts are then used as they
    are, in their place (only the tables come from the planning compile). ``settings``: the local target's.
    """
    from pipegen.compiler.project import build_statements, read_settings

    if settings is None and target == "local":
        settings = read_settings(None)
    planned = build_statements(analysis, (target,), settings, planning=True)[target][0]
    if shipped is None:
        return planned
    if [s.file for s in shipped] != [s.file for s in planned]:
        raise ValueError(f"the {target} statements given are not those of this spec")
    return [p if p.phase in ("source", "sink") else s for s, p in zip(shipped, planned)]


# --------------------------------------------------------------------------
# Java exception -> one clean line


_JAVA_HEADER_RE = re.compile(r"^(?P<cls>[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+)(?::\s?(?P<msg>.*))?$", re.DOTALL)
_FRAME_RE = re.compile(r"^\s+(at |\.\.\. \d+ more|Suppressed: )")
_POS_RE = re.compile(r"\bline (\d+), column (\d+)")
_CONTEXT_PREFIX_RE = re.compile(r"^(?:From line \d+, column \d+ to line \d+, column \d+|At line \d+, column \d+): ")
_REPEATED_PREFIX_RE = re.compile(r"^(?:(?:SQL validation failed|SQL parse failed)\.\s*)+")


def _chain_from_java(jex) -> list[tuple[str, str]]:
    chain: list[tuple[str, str]] = []
    seen = 0
    while jex is not None and seen < 32:
        cls = str(jex.getClass().getName())
        msg = jex.getMessage()
        chain.append((cls, "" if msg is None else str(msg)))
        cause = jex.getCause()
        if cause is None or cause.equals(jex):
            break
        jex = cause
        seen += 1
    return chain


def _chain_from_text(text: str) -> list[tuple[str, str]]:
    """Parse ``Throwable.printStackTrace`` text (as embedded in py4j/PyFlink errors)."""
    m = re.search(r"An error occurred while calling [^\n]*\n: ", text)
    if m:
        text = text[m.end() :]
    chain: list[tuple[str, str]] = []
    header: list[str] | None = []
    for line in text.split("\n"):
        if line.startswith("Caused by: "):
            if header:
                chain.append(_split_header("\n".join(header)))
            header = [line[len("Caused by: ") :]]
        elif _FRAME_RE.match(line):
            if header:
                chain.append(_split_header("\n".join(header)))
            header = None
        elif header is not None:
            header.append(line)
    if header:
        chain.append(_split_header("\n".join(header)))
    return [c for c in chain if c[0] or c[1]]


def _split_header(header: str) -> tuple[str, str]:
    header = header.strip()
    m = _JAVA_HEADER_RE.match(header)
    if m and " " not in m.group("cls"):
        return m.group("cls"), (m.group("msg") or "").strip()
    return "", header


def _exception_chain(exc: BaseException) -> list[tuple[str, str]]:
    jex = getattr(exc, "java_exception", None)
    if jex is not None:
        try:
            chain = _chain_from_java(jex)
            if chain:
                return chain
        except Exception:  # JVM gone, py4j error...: fall back to the text  # noqa: BLE001, S110
            pass
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001
        text = repr(exc)
    chain = _chain_from_text(text)
    return chain or [(type(exc).__name__, text)]


# exceptions whose message reads fine without the class name; for others
# (ClassNotFoundException: com.x.Y, NullPointerException ...) the simple name is kept
_SELF_EXPLAINING = (
    "org.apache.flink.",
    "org.apache.calcite.",
    "java.lang.IllegalStateException",
    "java.lang.IllegalArgumentException",
    "java.lang.UnsupportedOperationException",
)


def _clean(cls: str, msg: str) -> str:
    expecting = ""
    cut = msg.find("Was expecting one of:")
    if cut < 0:
        cut = msg.find("Was expecting:")
    if cut >= 0:
        alternatives = [a.strip() for a in msg[cut:].split("\n")[1:] if a.strip()]
        alternatives = [a[:-4].strip() if a.endswith(" ...") else a for a in alternatives]
        if 0 < len(alternatives) <= 4:
            expecting = " Was expecting one of: " + ", ".join(alternatives) + "."
        msg = msg[:cut]
    msg = _REPEATED_PREFIX_RE.sub("", msg.strip())
    msg = _CONTEXT_PREFIX_RE.sub("", msg)
    msg = " ".join(msg.split()) + expecting
    if cls and not cls.startswith(_SELF_EXPLAINING):
        simple = cls.rsplit(".", 1)[-1]
        msg = f"{simple}: {msg}" if msg else simple
    if len(msg) > 600:
        msg = msg[:597].rstrip() + "..."
    return msg or "unknown error"


_TABLE_CONTEXT_RE = re.compile(r"^Unable to create a (?:source|sink) for (?:reading|writing) table '([^']*)'")


def describe_java_error(exc: BaseException) -> tuple[str, int | None, int | None]:
    """(one-line message, line, column) for an exception raised by PyFlink/py4j.

    The message is the root cause's message (Java class prefix removed; the
    simple class name kept for non-Flink/Calcite exceptions), prefixed with
    the table name when a connector/format factory failed for a table.
    """
    chain = _exception_chain(exc)
    with_msg = [c for c in chain if c[1].strip()]
    cls, msg = with_msg[-1] if with_msg else chain[-1]
    context = ""
    for _, text in chain[:-1]:
        m = _TABLE_CONTEXT_RE.match(text)
        if m:
            context = f"table '{m.group(1)}': "
            break
    line = column = None
    for _, text in reversed(chain):
        m = _POS_RE.search(text)
        if m:
            line, column = int(m.group(1)), int(m.group(2))
            break
    return context + _clean(cls, msg), line, column


# --------------------------------------------------------------------------
# the planner


# executed with execute_sql (catalog/metadata only, no job); everything else is explained.
# EXPLAIN itself must go through execute_sql (explain_sql rejects an ExplainOperation).
_EXECUTE_FIRST_WORDS = {"CREATE", "DROP", "ALTER", "USE", "SHOW", "DESCRIBE", "DESC", "LOAD", "UNLOAD", "EXPLAIN"}

_LOG4J_PROPERTIES = """\
# written by pipegen: JVM logs go to a file only, never to the console
rootLogger.level = WARN
rootLogger.appenderRef.file.ref = FileAppender
appender.file.name = FileAppender
appender.file.type = FILE
appender.file.append = false
appender.file.fileName = ${sys:log.file}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n
"""


def _strip_statement(sql: str) -> str:
    """Remove a trailing ``;`` (and anything after it that is only whitespace/comments)."""
    toks = _tokens(sql)
    while toks and toks[-1].kind == "punct" and toks[-1].text == ";":
        sql = sql[: toks[-1].start]
        toks = toks[:-1]
    return sql.rstrip()


def _log_dir() -> Path:
    configured = os.environ.get(LOG_DIR_ENV)
    if configured:
        return Path(configured)
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001
        user = "user"
    return Path(tempfile.gettempdir()) / f"pipegen-flink-{re.sub(r'[^A-Za-z0-9_.-]', '_', user)}"


def _find_java() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home:
        cand = Path(home) / "bin" / ("java.exe" if os.name == "nt" else "java")
        if cand.is_file():
            return str(cand)
    return shutil.which("java")


class _StdoutTo:
    """Point file descriptor 1 at ``path`` while the JVM is forked (it inherits it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.saved: int | None = None

    def __enter__(self) -> Self:
        try:
            sys.stdout.flush()
        except Exception:  # noqa: BLE001, S110
            pass
        try:
            self.saved = os.dup(1)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError:
            if self.saved is not None:
                os.close(self.saved)
            self.saved = None
            return self
        os.dup2(fd, 1)
        os.close(fd)
        return self

    def __exit__(self, *exc_info) -> None:
        if self.saved is not None:
            os.dup2(self.saved, 1)
            os.close(self.saved)
            self.saved = None


def _quiet_py4j() -> None:
    for name in ("py4j", "py4j.java_gateway", "py4j.clientserver", "py4j.protocol"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


QUICK_JIT = "-XX:TieredStopAtLevel=1"


class FlinkPlanner:
    """One streaming TableEnvironment used to plan a list of statements.

    >>> with FlinkPlanner() as planner:                       # doctest: +SKIP
    ...     for r in planner.plan(statements):
    ...         print(r.index, r.ok, r.message, r.line, r.column)

    ``jars``: explicit connector jars/directories (default: ``$PIPEGEN_FLINK_JARS``, else the
    fetched ones, see :func:`connector_jars`; an explicit empty list means "no extra jars").
    Raises :class:`FlinkUnavailable` from :meth:`start` (or ``__enter__``).

    The JVM is process-wide (PyFlink keeps one py4j gateway per process): it
    is started by the first planner and reused by later ones; it goes away
    with the Python process.  Its logs go to ``log_file`` (WARN and above).
    """

    def __init__(self, jars: Sequence[str | os.PathLike] | None = None, *, quick_jit: bool = True) -> None:
        self._jars_arg = jars
        # Planning runs much of Flink's planner once per statement: C2's long compilations then cost more CPU
        # than their faster code gives back, so a planner's JVM compiles with C1 only (measured in
        # bench/results/planning.md). A JVM that runs jobs (``pipegen run``'s worker) keeps the full JIT.
        self.quick_jit = quick_jit
        self.jars: list[Path] = []
        self.log_file: Path | None = None
        self.startup_seconds: float | None = None
        self._tenv = None

    # -- lifecycle ---------------------------------------------------------
    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def start(self) -> None:
        if self._tenv is not None:
            return
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings():  # pyflink/beam emit DeprecationWarnings on import
                warnings.simplefilter("ignore")
                import pyflink  # noqa: F401
                from pyflink.table import EnvironmentSettings, TableEnvironment
        except ImportError as exc:
            raise FlinkUnavailable(
                f"PyFlink is not installed ({exc})",
                "install pipegen[flink] (pip install 'pipegen[flink]', i.e. apache-flink==2.3.0)",
            ) from None
        if _find_java() is None:
            raise FlinkUnavailable(
                "Java not found (no JAVA_HOME, no `java` on PATH)",
                "install a Java 11 or 17 runtime and put `java` on PATH or set JAVA_HOME",
            )
        jars = connector_jars(self._jars_arg)
        self.jars = jars

        log_dir = _log_dir()
        try:
            log_dir.mkdir(parents=True, exist_ok=True)
            props = log_dir / "log4j-pipegen.properties"
            props.write_text(_LOG4J_PROPERTIES)
        except OSError as exc:
            raise FlinkUnavailable(
                f"cannot write Flink log settings to {log_dir}: {exc}", f"set {LOG_DIR_ENV} to a writable directory"
            ) from None
        # file name pattern of pyflink_gateway_server.construct_log_settings
        self.log_file = log_dir / f"flink-pipegen-python-{socket.gethostname()}.log"

        overrides = {
            "LOG4J_PROPERTIES": str(props),
            "FLINK_LOG_DIR": str(log_dir),
            "FLINK_IDENT_STRING": "pipegen",
        }
        if self.quick_jit:
            # PyFlink passes JVM_ARGS to `java` as they are (the JVM is process-wide: the first planner decides)
            overrides["JVM_ARGS"] = " ".join(filter(None, [os.environ.get("JVM_ARGS"), QUICK_JIT]))
        saved = {k: os.environ.get(k) for k in overrides}
        os.environ.update(overrides)
        try:
            with _StdoutTo(log_dir / "jvm-stdout.log"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tenv = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
        except FlinkUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001
            detail = " ".join(str(exc).split())[:300]
            raise FlinkUnavailable(
                f"could not start Flink's JVM: {detail}",
                f"check the Java installation (Java 11 or 17); JVM log: {self.log_file}",
            ) from None
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        _quiet_py4j()
        config = tenv.get_config()
        if jars:
            config.set("pipeline.jars", ";".join(j.as_uri() for j in jars))
        config.set("table.dml-sync", "false")
        self._tenv = tenv
        self.startup_seconds = time.perf_counter() - t0

    @property
    def table_env(self):  # noqa: ANN201 - a pyflink TableEnvironment
        """The started TableEnvironment (``pipegen run`` executes the project's statements on it)."""
        self.start()
        return self._tenv

    def close(self) -> None:
        """Forget the TableEnvironment (and its catalog).  The JVM stays for reuse."""
        self._tenv = None

    # -- planning ----------------------------------------------------------
    def plan(self, statements: Iterable[str]) -> list[PlanResult]:
        """Plan statements in order; one :class:`PlanResult` per statement. Never runs a job."""
        self.start()
        return [self._plan_one(i, s) for i, s in enumerate(statements)]

    def _plan_one(self, index: int, statement: str) -> PlanResult:
        t0 = time.perf_counter()
        sql = _strip_statement(statement)
        toks = _tokens(sql)
        words = _leading_words(toks)
        first = words[0] if words else ""
        if not toks:
            return PlanResult(index, True, "empty statement", 0.0, action="skip")
        if first in ("SET", "RESET"):
            action = "set"
        elif first in _EXECUTE_FIRST_WORDS and not _is_table_as_query(toks):
            action = "execute"
        else:
            action = "explain"
        plan_text = ""
        try:
            if action == "set":
                message = self._set(toks)
            elif action == "execute":
                message = self._execute(sql)
            else:
                plan_text = self._tenv.explain_sql(sql)
                message = "planned"
        except _PlanError as exc:
            return PlanResult(index, False, str(exc), time.perf_counter() - t0, action=action)
        except Exception as exc:  # Py4JJavaError, pyflink JavaException, network errors  # noqa: BLE001
            message, line, column = describe_java_error(exc)
            return PlanResult(index, False, message, time.perf_counter() - t0, line, column, action=action)
        return PlanResult(index, True, message, time.perf_counter() - t0, action=action, plan=plan_text)

    def _execute(self, sql: str) -> str:
        result = self._tenv.execute_sql(sql)
        client = result.get_job_client()
        if client is not None:  # safety net: must never happen for whitelisted DDL
            try:
                client.cancel()
            except Exception:  # noqa: BLE001, S110
                pass
            raise _PlanError(
                "statement would start a Flink job; it was cancelled (only DDL is executed during validation)"
            )
        return "executed"

    def _set(self, toks: list[_Tok]) -> str:
        if toks[0].text.upper() == "RESET" or len(toks) == 1:
            return "ignored"
        if len(toks) == 4 and toks[1].kind == "str" and toks[2].text == "=" and toks[3].kind == "str":
            key, value = _unquote(toks[1].text), _unquote(toks[3].text)
            self._tenv.get_config().set(key, value)
            return f"set {key}"
        raise _PlanError("unsupported SET statement; expected SET 'key' = 'value'")


class _PlanError(Exception):
    pass

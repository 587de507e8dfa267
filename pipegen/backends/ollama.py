"""Ollama (https://ollama.com), over its HTTP API with the standard library only.

``POST /api/chat`` with ``format`` = the IR's JSON Schema with every ``$ref`` inlined
(:func:`inline_refs`; expression nesting is cut at ``inline_depth``, see that module), ``stream: true``
(NDJSON, one line per token, the last one ``done: true`` with ``done_reason``), and
``options`` temperature / seed / num_predict. The caller's system prompt carries the schema in words;
this module passes the messages through as they are.

Environment (read by :func:`from_env`):

* ``PIPEGEN_OLLAMA_URL``   -- default ``http://localhost:11434``.
* ``PIPEGEN_OLLAMA_MODEL`` -- default ``llama3.1``.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import time
import urllib.error
import urllib.request
from typing import Any

from pipegen.backends.base import (
    AnswerText,
    BackendError,
    Generation,
    GenerationRequest,
    Progress,
    ProviderStatus,
)
from pipegen.backends.jsonschema import inline_refs, ollama_schema

DEFAULT_URL = "http://localhost:11434"
DEFAULT_MODEL = "llama3.1"
# None: the schema as pydantic writes it, with its `$defs` (Ollama's converter resolves local refs). A number
# inlines every ref instead, cutting expression nesting at that depth (for servers that mishandle `$ref`).
DEFAULT_INLINE_DEPTH: int | None = None

MAX_TRIES = 3  # on HTTP 429
MAX_RETRY_AFTER_S = 20.0

TIMEOUT_MESSAGE = "AI generation timed out"
TIMEOUT_HINT = "Try a simpler description or use a more powerful model"


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text[:limit] + ("..." if len(text) > limit else "")


def _is_timeout(exc: BaseException) -> bool:
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return True
    return isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, (TimeoutError, socket.timeout))


def _parse_json_output(text: str) -> str:
    stripped = text.strip()
    if stripped.startswith("```") and stripped.endswith("```"):
        stripped = stripped.strip("`").removeprefix("json").strip()
    try:
        value = json.loads(stripped)
    except json.JSONDecodeError as e:
        raise BackendError("malformed", f"AI output is not valid JSON ({e.msg} at line {e.lineno} column {e.colno})",
                           "Try again, or use a more capable model") from None
    if not isinstance(value, dict):
        raise BackendError("malformed", "AI output is JSON but not an object", "Try again, or use a more capable model")
    return stripped


class OllamaBackend:
    """A model served by Ollama, constrained by ``format`` (JSON Schema). See the module docstring."""

    name = "ollama"
    output = "json"

    def __init__(self, model: str = DEFAULT_MODEL, url: str = DEFAULT_URL,
                 inline_depth: int | None = DEFAULT_INLINE_DEPTH, status_timeout_s: float = 3.0):
        self.model = model
        self.url = url.rstrip("/")
        self.inline_depth = inline_depth
        self.status_timeout_s = status_timeout_s

    def __repr__(self) -> str:
        return f"OllamaBackend(model={self.model!r}, url={self.url!r})"

    # -- plumbing -------------------------------------------------------------------------------------

    def _not_found(self) -> BackendError:
        return BackendError("not_found", f"Ollama model '{self.model}' not found", f"Run 'ollama pull {self.model}'")

    def _unavailable(self) -> BackendError:
        return BackendError("unavailable", f"Cannot reach Ollama at {self.url}",
                            "Start it with 'ollama serve', or set PIPEGEN_OLLAMA_URL")

    def _http_error(self, exc: urllib.error.HTTPError) -> BackendError:
        try:
            body = exc.read().decode("utf-8", "replace")
        except Exception:  # noqa: BLE001 - an unreadable error body is no detail
            body = ""
        detail = body
        try:
            parsed = json.loads(body)
            if isinstance(parsed, dict) and "error" in parsed:
                detail = str(parsed["error"])
        except ValueError:
            pass
        return self._status_error(exc.code, detail)

    def _status_error(self, code: int, detail: str) -> BackendError:
        low = detail.lower()
        if code == 404 or ("model" in low and "not found" in low):
            return self._not_found()
        if code in (401, 403):  # Ollama has no auth of its own: a proxy in front of it, or ollama.com
            return BackendError("auth", f"Ollama at {self.url} refused access (HTTP {code})",
                                "Check the credentials of the proxy in front of PIPEGEN_OLLAMA_URL")
        if code == 429:
            return BackendError("rate_limit", f"Ollama at {self.url} is rate limiting (HTTP 429)",
                                "Wait a minute and try again")
        if code >= 500:
            return BackendError("server", f"Ollama failed (HTTP {code}): {_one_line(detail)}",
                                "Check the Ollama server log")
        return BackendError("server", f"Ollama rejected the request (HTTP {code}): {_one_line(detail)}")

    def _open(self, path: str, body: dict | None, timeout: float):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method="GET" if body is None else "POST",
                                     headers={"Content-Type": "application/json"} if body is not None else {})
        return urllib.request.urlopen(req, timeout=timeout)

    def pulled_models(self, timeout: float | None = None) -> list[str]:
        """Names of the models Ollama has (``GET /api/tags``). Raises BackendError."""
        try:
            with self._open("/api/tags", None, timeout or self.status_timeout_s) as resp:
                data = json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            raise self._http_error(exc) from None
        except Exception as exc:  # noqa: BLE001 - every failure becomes a BackendError
            if _is_timeout(exc):
                raise BackendError("unavailable", f"Ollama at {self.url} did not answer in time") from None
            if isinstance(exc, (urllib.error.URLError, OSError)):
                raise self._unavailable() from None
            raise BackendError("server",
                               f"Ollama sent an unexpected answer to /api/tags ({type(exc).__name__})") from None
        return [str(m.get("name") or m.get("model")) for m in data.get("models", []) if isinstance(m, dict)]

    def has_model(self, names: list[str]) -> bool:
        wanted = self.model if ":" in self.model else self.model + ":latest"
        return self.model in names or wanted in names

    # -- the Backend protocol ---------------------------------------------------------------------------

    def status(self) -> ProviderStatus:
        settings = {"Model": self.model, "URL": self.url}
        try:
            names = self.pulled_models()
        except BackendError as err:
            return ProviderStatus(self.name, self.model, True, False, err.message, err.hint, settings)
        except Exception as exc:  # noqa: BLE001 - status never raises
            return ProviderStatus(self.name, self.model, True, False, f"Ollama check failed: {type(exc).__name__}",
                                  None, settings)
        if not self.has_model(names):
            err = self._not_found()
            return ProviderStatus(self.name, self.model, True, False, err.message, err.hint, settings)
        return ProviderStatus(self.name, self.model, True, True, f"{self.url}, model '{self.model}' pulled", None,
                              settings)

    def generate(self, request: GenerationRequest) -> Generation:
        schema = request.schema()  # built once: the IR's schema takes ~25 ms to make
        if schema is None:
            raise BackendError("config", "the Ollama backend needs a JSON Schema to generate against")
        body = {
            "model": self.model,
            "messages": [{"role": "system", "content": request.system}, {"role": "user", "content": request.user}],
            "format": (ollama_schema(schema) if self.inline_depth is None
                       else _inlined(json.dumps(schema), self.inline_depth)),
            "stream": True,
            "options": {"temperature": request.temperature, "seed": request.seed, "num_predict": request.max_tokens},
        }
        start = time.monotonic()
        deadline = start + request.timeout_s
        for attempt in range(1, MAX_TRIES + 1):
            try:
                return self._chat(body, request, start, deadline)
            except _RateLimited as limited:
                wait = limited.retry_after if limited.retry_after is not None else 0.5 * 2 ** (attempt - 1)
                if attempt == MAX_TRIES or wait > MAX_RETRY_AFTER_S or time.monotonic() + wait >= deadline:
                    raise limited.error from None
                time.sleep(wait)
        raise AssertionError("unreachable")

    def _chat(self, body: dict, request: GenerationRequest, start: float, deadline: float) -> Generation:
        answer = AnswerText()
        try:
            with self._open("/api/chat", body, max(deadline - time.monotonic(), 0.001)) as resp:
                final, tokens = self._read_stream(resp, answer, request, start, deadline)
        except BackendError:
            raise
        except urllib.error.HTTPError as exc:
            error = self._http_error(exc)
            if exc.code == 429:
                raise _RateLimited(error, _retry_after(exc.headers)) from None
            raise error from None
        except Exception as exc:  # noqa: BLE001 - every failure becomes a BackendError
            raise self._chat_failure(exc) from None
        seconds = time.monotonic() - start
        if final is None:
            raise BackendError("malformed", "Ollama closed the stream before the model finished",
                               "Check the Ollama server log")
        tokens = int(final.get("eval_count") or tokens)
        if final.get("done_reason") == "length":
            raise BackendError("malformed", f"AI output was cut off at the token limit ({tokens} tokens)",
                               "Try a simpler description or raise the token limit")
        return Generation(_parse_json_output(answer.text()), "json", tokens, seconds, self.name, self.model)

    def _read_stream(self, resp: Any, answer: AnswerText, request: GenerationRequest, start: float,
                     deadline: float) -> tuple[dict[str, Any] | None, int]:
        """The streamed answer, into ``answer``: the last event (None: the stream ended before it) and the
        number of content events."""
        tokens = 0
        for raw in resp:
            if time.monotonic() > deadline:
                raise BackendError("timeout", TIMEOUT_MESSAGE, TIMEOUT_HINT)
            line = raw.strip()
            if not line:
                continue
            event = self._event(line)
            content = (event.get("message") or {}).get("content") or ""
            if content:
                answer.add(content)
                tokens += 1
                if request.on_progress is not None:
                    request.on_progress(Progress(tokens, time.monotonic() - start))
            if event.get("done"):
                return event, tokens
        return None, tokens

    def _event(self, line: bytes) -> dict[str, Any]:
        """One line of the stream, decoded; an error event raises."""
        try:
            event = json.loads(line)
        except ValueError:
            raise BackendError("malformed", "Ollama sent a broken stream line") from None
        if not isinstance(event, dict):
            raise BackendError("malformed", "Ollama sent a broken stream line")
        if "error" in event:
            raise self._status_error(500, str(event["error"]))
        return event

    def _chat_failure(self, exc: Exception) -> BackendError:
        """What went wrong talking to Ollama (anything but an HTTP error status)."""
        if _is_timeout(exc):
            return BackendError("timeout", TIMEOUT_MESSAGE, TIMEOUT_HINT)
        if isinstance(exc, (urllib.error.URLError, ConnectionRefusedError)):
            return self._unavailable()
        if isinstance(exc, OSError) or type(exc).__name__ in ("IncompleteRead", "RemoteDisconnected"):
            return BackendError("malformed", "Ollama closed the stream before the model finished",
                                "Check the Ollama server log")
        return BackendError("server", f"Ollama failed: {type(exc).__name__}")


@functools.lru_cache(maxsize=4)
def _inlined(schema_text: str, depth: int) -> dict:
    """inline_refs, once per schema and depth (the result is only serialized, never changed).

    The key is the schema's JSON text in its own key order: that order is the order a grammar
    makes the model write the properties in, so it must survive.
    """
    return inline_refs(json.loads(schema_text), depth)


class _RateLimited(Exception):
    def __init__(self, error: BackendError, retry_after: float | None):
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


def _retry_after(headers: Any) -> float | None:
    try:
        return float(headers.get("Retry-After"))
    except (TypeError, ValueError):
        return None


def from_env(model: str | None = None) -> OllamaBackend:
    """The backend configured by PIPEGEN_OLLAMA_URL and PIPEGEN_OLLAMA_MODEL."""
    return OllamaBackend(
        model=model or os.environ.get("PIPEGEN_OLLAMA_MODEL") or DEFAULT_MODEL,
        url=os.environ.get("PIPEGEN_OLLAMA_URL") or DEFAULT_URL,
    )

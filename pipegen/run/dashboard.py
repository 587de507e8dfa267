"""The run's figures in a browser: ``--dashboard`` serves them live on 127.0.0.1, ``--report`` writes them into
one self-contained HTML file at the end.

One page for both (``static/dashboard.html``): charts of the produced and emitted rates against the traffic
pattern and of the latency percentiles, the sources and sinks, sample rows and the pipeline's stages. The chart
library (uPlot 1.6.32, MIT, ``static/uPlot-LICENSE``) is vendored and inlined into the page: it works offline,
with no CDN. Live, the page is updated every second over server-sent events (``/api/events``);
``/api/metrics`` gives the same figures as JSON.
"""

from __future__ import annotations

import errno
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from pipegen.compiler import ir
from pipegen.run.errors import RunError

STATIC = resources.files("pipegen.run") / "static"


def pipeline_graph(spec: ir.Spec) -> list[dict[str, Any]]:
    """The stages with their kind, inputs and depth (a source is 0, a stage one more than its deepest input)."""
    depth: dict[str, int] = {}
    out = []
    for st in spec.statements:
        inputs = list(ir.statement_inputs(st))
        depth[st.name] = 1 + max((depth.get(i, 0) for i in inputs), default=-1)
        out.append({"name": st.name, "kind": st.kind, "inputs": inputs, "depth": depth[st.name]})
    return out


def page(title: str, embedded: dict[str, Any] | None) -> str:
    import jinja2

    env = jinja2.Environment(autoescape=False)  # noqa: S701 - the template escapes in JS; values are JSON
    template = env.from_string((STATIC / "dashboard.html").read_text(encoding="utf-8"))
    data = "null" if embedded is None else json.dumps(embedded, default=str).replace("</", "<\\/")
    return template.render(title=_html(title), uplot_css=(STATIC / "uPlot.min.css").read_text(encoding="utf-8"),
                           uplot_js=(STATIC / "uPlot.iife.min.js").read_text(encoding="utf-8"), embedded=data)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_report(path: Path, title: str, metrics: dict[str, Any]) -> None:
    text = page(title, metrics)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


class Dashboard:
    """``Dashboard(port, title, metrics).start()``: ``metrics()`` gives the figures (called per request)."""

    def __init__(self, port: int, title: str, metrics: Callable[[], dict[str, Any]]):
        self.port = port
        self.title = title
        self.metrics = metrics
        self.server: ThreadingHTTPServer | None = None
        self.closing = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> None:
        board = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # no access log on the terminal
                pass

            def _send(self, body: bytes, kind: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 - the http.server name
                try:
                    if self.path in ("/", "/index.html"):
                        self._send(page(board.title, None).encode("utf-8"), "text/html; charset=utf-8")
                    elif self.path == "/api/metrics":
                        self._send(json.dumps(board.metrics(), default=str).encode(), "application/json")
                    elif self.path == "/api/events":
                        self._events()
                    else:
                        self.send_error(404)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _events(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                while not board.closing.is_set():
                    data = json.dumps(board.metrics(), default=str)
                    self.wfile.write(f"data: {data}\n\n".encode())
                    self.wfile.flush()
                    board.closing.wait(1.0)

        try:
            self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise RunError(f"port {self.port} on 127.0.0.1 is in use", "pass another one: --port 3001") from None
            raise RunError(f"cannot serve the dashboard on 127.0.0.1:{self.port}: {e.strerror}",
                           "pass another port with --port") from None
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True, name="dashboard").start()

    def stop(self, linger: float = 0.0) -> None:
        if linger:
            time.sleep(linger)
        self.closing.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

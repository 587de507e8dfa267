"""One JSON call over HTTP for PipeGen's REST clients (Flink's JobManager and SQL Gateway, Confluent Cloud's
statements API, a Schema Registry). Each client words its own errors; this says only which kind it was:
``urllib.error.HTTPError`` as raised (the server answered with an error), :class:`Unreachable` (nothing
answered) or :class:`NotJson` (something answered, not with JSON)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


class Unreachable(Exception):
    """No server answered; ``reason`` is urllib's (an OSError, a socket timeout, a text)."""

    def __init__(self, reason: Any):
        super().__init__(str(reason))
        self.reason = reason


class NotJson(Exception):
    """The answer's body was not JSON."""


def call(url: str, method: str, body: Any = None, *, timeout: float, headers: dict[str, str] | None = None,
         content_type: str = "application/json") -> Any:
    """``body`` sent as JSON, the answer decoded (an empty answer is ``{}``)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": content_type, "Accept": content_type, **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 - the user's own server
            raw = r.read()
    except urllib.error.HTTPError:
        raise
    except (urllib.error.URLError, OSError) as e:
        raise Unreachable(getattr(e, "reason", e)) from None
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise NotJson() from None

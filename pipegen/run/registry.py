"""A Confluent Schema Registry client, as much of its REST API as a run needs (urllib; JSON in and out):

- ``POST /subjects/{subject}/versions`` registers a schema (or finds it registered) and answers its id;
- ``GET /schemas/ids/{id}`` gives the schema of an id (to decode what a sink wrote).

confluent-kafka's own ``schema_registry`` package needs its ``schemaregistry`` extra (httpx, authlib,
cachetools, cryptography: nine more packages here) and serialises one record per call: measured on 50,000
events of tests/run/counts.pgl as Avro (2026-12-01), its ``AvroSerializer`` framed 58,000 events/s, the run's
column-wise encoder (``columns.avro_bytes``) and the 5-byte frame below 690,000 events/s, byte for byte the
same. So the frame is written here, and the client is these two calls.

Every failure is a :class:`RunError` of one line: a registry that does not answer, a schema it refuses as
incompatible (409) or invalid (422), or credentials it rejects.
"""

from __future__ import annotations

import json
import struct
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from pipegen import httpjson
from pipegen.run.errors import RunError

MAGIC = 0  # Confluent's wire format: magic byte 0, the schema id (4 bytes, big-endian), the Avro binary body
CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
URL_HINT = "start it, or give its address: --schema-registry URL (or schema_registry.host_url in config/local.yaml)"


def frame(schema_id: int) -> bytes:
    """The 5 bytes that start every message of a schema id."""
    return struct.pack(">bI", MAGIC, schema_id)


def unframe(raw: bytes) -> tuple[int, bytes]:
    """(schema id, Avro body) of a message; ValueError when it is not in Confluent's wire format."""
    if len(raw) < 5 or raw[0] != MAGIC:
        raise ValueError("not in Confluent's Avro wire format (no magic byte 0 and schema id)")
    return struct.unpack(">I", raw[1:5])[0], raw[5:]


class Registry:
    """``Registry("http://localhost:8081").register("orders-value", schema)`` -> the schema id."""

    def __init__(self, url: str, timeout: float = 10.0):
        url = url.strip().rstrip("/")
        self.url = url if "://" in url else "http://" + url
        if urllib.parse.urlsplit(self.url).scheme not in ("http", "https"):
            raise RunError(f"--schema-registry {url} is not an http(s) address",
                           "give the registry's address, e.g. --schema-registry http://localhost:8081")
        self.timeout = timeout
        self._schemas: dict[int, dict[str, Any]] = {}

    def _call(self, method: str, path: str, body: Any = None, what: str = "") -> Any:
        try:
            return httpjson.call(self.url + path, method, body, timeout=self.timeout, content_type=CONTENT_TYPE)
        except urllib.error.HTTPError as e:
            raise self._refused(e, what) from None
        except httpjson.Unreachable as e:
            raise RunError(f"no Schema Registry answers at {self.url} ({e.reason})", URL_HINT) from None
        except httpjson.NotJson:
            raise RunError(f"{self.url} answered {method} {path} with something that is not JSON: is it a Schema "
                           "Registry?", URL_HINT) from None

    def _refused(self, e: urllib.error.HTTPError, what: str) -> RunError:
        try:
            message = str(json.loads(e.read() or b"{}").get("message", "")).splitlines()[0][:300]
        except (ValueError, AttributeError, IndexError):
            message = ""
        said = f" ({e.code}: {message})" if message else f" ({e.code})"
        if e.code == 409:
            return RunError(f"the Schema Registry at {self.url} refuses {what}: incompatible with the versions "
                            f"registered before{said}",
                            "make the spec's fields compatible with them, or write to another topic; or, if the "
                            "subject's old versions may go, delete it: curl -X DELETE "
                            f"{self.url}/subjects/SUBJECT")
        if e.code == 422:
            return RunError(f"the Schema Registry at {self.url} refuses {what} as invalid{said}",
                            "this is a bug in PipeGen's schemas: please report it with the spec")
        if e.code in (401, 403):
            return RunError(f"the Schema Registry at {self.url} refuses the request{said}",
                            "give a URL it accepts (credentials as https://KEY:SECRET@HOST are not sent)")
        return RunError(f"the Schema Registry at {self.url} answered {what or 'a request'} with an error{said}",
                        "check that the URL is the registry's, then run again")

    def check(self) -> None:
        """A RunError unless the registry answers (``GET /subjects``)."""
        self._call("GET", "/subjects", what="the list of subjects")

    def register(self, subject: str, schema: dict[str, Any]) -> int:
        """The id of ``schema`` under ``subject``: registered when it is new, found when it is there."""
        quoted = urllib.parse.quote(subject, safe="")
        got = self._call("POST", f"/subjects/{quoted}/versions", {"schema": json.dumps(schema)},
                         what=f"the schema for subject {subject}")
        if not isinstance(got.get("id"), int):
            raise RunError(f"{self.url} registered {subject} without giving an id: is it a Schema Registry?",
                           URL_HINT)
        self._schemas[got["id"]] = schema
        return got["id"]

    def schema(self, schema_id: int) -> dict[str, Any]:
        """The schema registered as ``schema_id`` (kept once fetched)."""
        got = self._schemas.get(schema_id)
        if got is None:
            answer = self._call("GET", f"/schemas/ids/{schema_id}", what=f"schema id {schema_id}")
            try:
                got = json.loads(answer["schema"])
            except (KeyError, TypeError, ValueError):
                raise RunError(f"{self.url} gave no Avro schema for id {schema_id}", URL_HINT) from None
            self._schemas[schema_id] = got
        return got

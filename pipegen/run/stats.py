"""The figures of a run, every one measured: what the producer sent, what Flink reports through its REST API,
what the sinks emitted and how long it took. Shared by the terminal view, the summary and the report."""

from __future__ import annotations

import threading
import time
from array import array
from collections import deque
from dataclasses import dataclass, field
from typing import Any

SAMPLES = 5  # sample rows kept per sink
FAILURES = 20  # failed rows kept per sink, with their reasons


def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    i = min(len(sorted_values) - 1, max(0, round(q / 100 * (len(sorted_values) - 1))))
    return sorted_values[i]


@dataclass
class SourceStats:
    name: str
    target_rate: float = 0.0
    produced: int = 0
    late: int = 0  # events written later than the watermark on purpose
    table_rows: int = 0  # a versioned table's rows written before the stream
    event_ms: array = field(default_factory=lambda: array("q"))  # event time of every stream event
    late_ms: array = field(default_factory=lambda: array("q"))  # event time of the late ones
    read_by_flink: int | None = None  # Flink's numRecordsIn of the source operator


@dataclass
class SinkStats:
    name: str
    topic: str
    rows: int = 0
    deletes: int = 0  # tombstones of an upsert sink
    failed: int = 0
    failures: deque = field(default_factory=lambda: deque(maxlen=FAILURES))
    samples: deque = field(default_factory=lambda: deque(maxlen=SAMPLES))
    latencies: list = field(default_factory=list)  # seconds, per row with a time to measure from
    windows: set = field(default_factory=set)
    window_latencies: dict = field(default_factory=dict)  # window_end text -> latencies of its rows (seconds)
    counts: list = field(default_factory=list)  # (window_end ms, count) of a reconciled count per window
    first_row_s: float | None = None  # seconds after traffic started
    late_rows: int = 0  # rows of events written late on purpose: their event time says nothing of the latency


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sources: dict[str, SourceStats] = {}
        self.sinks: dict[str, SinkStats] = {}
        self.job_state = "starting"
        self.job_state_seen = ""  # the state of the last poll, so a restart is reported once per episode
        self.job_id: str | None = None
        self.late_dropped: int | None = None  # Flink's numLateRecordsDropped, summed over its operators
        self.watermark_ms: int | None = None  # the lowest input watermark of Flink's operators
        self.errors: list[str] = []
        self.phase = ""
        self.started: float | None = None  # wall clock when traffic started
        self.series: list[dict[str, Any]] = []  # one point per second, for charts and the report
        self._last: dict[str, int] = {}
        self.notes: list[str] = []
        self.late_event_ms: set[int] = set()  # event times of the events written late, of every source

    def elapsed(self) -> float:
        return time.time() - self.started if self.started else 0.0

    def error(self, text: str) -> None:
        with self.lock:
            if text not in self.errors:
                self.errors.append(text)

    def tick(self, target_rate: float) -> dict[str, Any]:
        """Close one second of the series: achieved rates since the last tick and latency so far."""
        with self.lock:
            produced = sum(s.produced for s in self.sources.values())
            emitted = sum(s.rows for s in self.sinks.values())
            lat = sorted(x for s in self.sinks.values() for x in s.latencies[-2000:])
            now = self.elapsed()
            last_t = self._last.get("t", 0)
            dt = max(1e-6, now - last_t / 1000) if self._last else max(1e-6, now)
            point = {
                "t": round(now, 2),
                "target_rate": round(target_rate, 1),
                "produce_rate": round((produced - self._last.get("produced", 0)) / dt, 1),
                "emit_rate": round((emitted - self._last.get("emitted", 0)) / dt, 1),
                "produced": produced,
                "emitted": emitted,
                "p50": percentile(lat, 50),
                "p95": percentile(lat, 95),
                "p99": percentile(lat, 99),
            }
            self._last = {"t": int(now * 1000), "produced": produced, "emitted": emitted}
            self.series.append(point)
            return point

    def latency(self) -> tuple[float | None, float | None, float | None, int]:
        with self.lock:
            lat = sorted(x for s in self.sinks.values() for x in s.latencies)
        return percentile(lat, 50), percentile(lat, 95), percentile(lat, 99), len(lat)

    def snapshot(self) -> dict[str, Any]:
        """Everything as JSON-ready data (``/api/metrics``, the report)."""
        p50, p95, p99, n = self.latency()
        with self.lock:
            return {
                "elapsed_s": round(self.elapsed(), 2),
                "phase": self.phase,
                "job": {"id": self.job_id, "state": self.job_state},
                "late_dropped_by_flink": self.late_dropped,
                "watermark_ms": self.watermark_ms,
                "latency_s": {"p50": p50, "p95": p95, "p99": p99, "rows": n},
                "sources": [{"name": s.name, "target_rate": s.target_rate, "produced": s.produced, "late": s.late,
                             "table_rows": s.table_rows, "read_by_flink": s.read_by_flink}
                            for s in self.sources.values()],
                "sinks": [{"name": s.name, "topic": s.topic, "rows": s.rows, "deletes": s.deletes,
                           "failed": s.failed, "failures": list(s.failures), "windows": len(s.windows),
                           "samples": list(s.samples), "first_row_s": s.first_row_s, "late_rows": s.late_rows}
                          for s in self.sinks.values()],
                "errors": list(self.errors),
                "notes": list(self.notes),
                "series": list(self.series),
            }

"""`pipegen run` before anything starts: times, traffic patterns, the event-time speed, the plan that
`--dry-run` prints, and the synthetic events (valid for their source's Avro schema, reproducible, keyed so
the spec's logic fires). No JVM and no broker here: tests/test_run.py runs real ones."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import fastavro
import pytest

from pipegen import api
from pipegen.compiler import avro, ir
from pipegen.run.plan import PlanError, choose_speed, make_plan, parse_time, parse_traffic, show_time
from pipegen.run.results import SinkChecker, to_datum
from pipegen.run.synth import Synth, usage

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.pgl"))


def spec_of(path: Path) -> ir.Spec:
    r = api.check(path.read_text(), str(path))
    assert r.ok, r.diagnostics
    return r.spec


@pytest.mark.parametrize("text,seconds", [("30s", 30), ("2m", 120), ("1m30s", 90), ("1h", 3600), ("500ms", 0.5),
                                          ("1h2m3s", 3723), ("1.5s", 1.5)])
def test_times(text, seconds):
    assert parse_time(text) == seconds
    assert parse_time(show_time(seconds)) == seconds


@pytest.mark.parametrize("text", ["", "30", "3x", "m", "30s5", "-1s", "1 m"])
def test_bad_times(text):
    with pytest.raises(PlanError, match="is not a time"):
        parse_time(text)


def test_traffic_pattern_rates():
    t = parse_traffic("2m-4m:500%,6m-8m:300%", 600)
    assert [t.factor(x) for x in (0, 119.9, 120, 239.9, 240, 360, 479, 480)] == [1, 1, 5, 5, 1, 3, 3, 1]
    assert t.phase(130) == "2m-4m:500%" and t.phase(10) == "base rate (100%)"
    # 2 min at 5x and 2 min at 3x over 10 min: 1 + (2*4 + 2*2) / 10
    assert t.mean_factor(600) == pytest.approx(2.2)


@pytest.mark.parametrize("text,message", [
    ("2m-4m:500", "has no % after its rate"),
    ("2m-4m", "is not start-end:rate%"),
    ("4m-2m:200%", "ends before it starts"),
    ("2m-2m:200%", "ends before it starts"),
    ("1m-2m:0%", "not above 0"),
    ("1m-2m:-50%", "not above 0"),
    ("1m-3m:200%,2m-4m:300%", "overlaps"),
    ("3m-4m:200%,1m-2m:300%", "comes before"),
    ("1m-20m:200%", "ends after the run"),
    ("1x-2m:200%", "is not a time"),
])
def test_bad_traffic_patterns(text, message):
    with pytest.raises(PlanError, match=message) as e:
        parse_traffic(text, 600)
    assert e.value.hint


def test_speed_lets_the_longest_window_fire_twice():
    spec = spec_of(ROOT / "specs" / "fraud_detection.pgl")  # tumble 30 s, watermark 5 s
    speed, reason = choose_speed(spec, 30)
    # three windows and the watermark delay (95 s of event time) in 80% of 30 s
    assert speed == 4 and "30s" in reason
    assert choose_speed(spec, 600)[0] == 1
    assert make_plan(spec, duration=30, speed=10).speed == 10


def test_plan_rates():
    spec = spec_of(ROOT / "specs" / "order_processing.pgl")
    plan = make_plan(spec, duration=60)
    by = {s.name: s for s in plan.sources}
    assert by["orders"].rate == 100 and not by["orders"].table
    assert by["inventory"].table and by["inventory"].rate == 10  # a versioned table changes at a tenth
    plan = make_plan(spec, duration=60, message_rate=40)
    assert {s.name: s.rate for s in plan.sources} == {"orders": 40, "inventory": 4, "customers": 4}


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipegen.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_dry_run_prints_the_plan_and_starts_nothing(tmp_path):
    out = tmp_path / "p"
    assert run_cli("compile", str(ROOT / "specs" / "fraud_detection.pgl"), "-o", str(out), "-q").returncode == 0
    r = run_cli("run", str(out), "--dry-run", "--duration", "10m", "--traffic-pattern", "2m-4m:500%,6m-8m:300%")
    assert r.returncode == 0, r.stderr
    text = r.stdout
    assert "10m of traffic" in text
    assert "traffic: 2m-4m:500%, 6m-8m:300%; else 100%" in text
    # 200 events/s; 1,000/s and 600/s in the windows; 200 * 600 s * 2.2 = 264,000 events
    assert "payments" in text and "200 events/s" in text and "2m-4m 1000/s" in text and "6m-8m 600/s" in text
    assert "about 264,000 events" in text
    assert "fraud_alert_sink" in text and "topic fraud-alerts" in text
    assert "JSON" in text and "Avro schema" in text


@pytest.mark.parametrize("args,message", [
    (["--traffic-pattern", "1m-2m:300"], "no % after its rate"),
    (["--duration", "10s", "--traffic-pattern", "1m-2m:300%"], "ends after the run"),
    (["--duration", "soon"], "is not a time"),
    (["--message-rate", "0"], "is not above 0"),
    (["--speed", "-2"], "is not above 0"),
    (["--late", "1.5"], "is not a share"),
])
def test_bad_flags_are_one_line(tmp_path, args, message):
    out = tmp_path / "p"
    assert run_cli("compile", str(ROOT / "specs" / "fraud_detection.pgl"), "-o", str(out), "-q").returncode == 0
    r = run_cli("run", str(out), "--dry-run", *args)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert message in lines[0] and lines[0].startswith("error: ") and len(lines) == 2 and "hint" in lines[1]
    assert "Traceback" not in r.stderr


def test_a_folder_that_was_never_compiled(tmp_path):
    (tmp_path / "notes.txt").write_text("mine\n")
    r = run_cli("run", str(tmp_path), "--dry-run")
    assert r.returncode == 2
    assert "is not a compiled PipeGen project" in r.stderr and "pipegen compile" in r.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine\n"
    r = run_cli("run", str(tmp_path / "nope"), "--dry-run")
    assert r.returncode == 2 and "no project at" in r.stderr


def test_an_edited_project_is_refused(tmp_path):
    out = tmp_path / "p"
    assert run_cli("compile", str(ROOT / "specs" / "fraud_detection.pgl"), "-o", str(out), "-q").returncode == 0
    view = next((out / "sql" / "local").glob("*_create_view_*.sql"))
    view.write_text(view.read_text().replace("WHERE", "WHERE 1 = 1 AND"))
    r = run_cli("run", str(out), "--dry-run")
    assert r.returncode == 2 and "is not what pipeline.pgl compiles to" in r.stderr and "--force" in r.stderr


# ------------------------------------------------------------------------------------------- synthetic events
def _source_schemas(spec: ir.Spec) -> dict[str, dict]:
    return {s.name: avro.source_schema(spec, s) for s in spec.statements if isinstance(s, ir.Source)}


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_events_are_valid_for_their_source_schema(path):
    spec = spec_of(path)
    synth = Synth(spec, seed=7, late_share=0.05, late_by_ms=60_000)
    schemas = _source_schemas(spec)
    clock = 1_800_000_000_000
    for name, gen in synth.sources.items():
        checker = SinkChecker(schemas[name])
        parsed = fastavro.parse_schema(schemas[name])
        src = spec.statement(name)
        for i in range(300):
            key, value, event_ms, late = gen.event(clock + i * 100)
            json.dumps(value)
            assert checker.check(value) is None, (name, value, checker.check(value))
            fastavro.validate(to_datum(schemas[name], value, ""), parsed)
            if src.event_time:
                assert value[src.event_time] is not None
            if key is not None:
                assert set(key) == set(src.key) and all(key[k] == value[k] for k in key)
        # what the producer sends, a batch at a time: the JSON text of each row, and its Avro binary encoding
        # byte for byte what fastavro writes of the row
        for batch in gen.take(clock + 40_000, 1500):
            rows, texts, datums, binary = batch.rows(), batch.json(), batch.datums(), batch.avro(schemas[name])
            keys, key_texts = batch.keys(), batch.json_keys()
            assert len(rows) == len(texts) == len(binary) == batch.n
            for j, (row, text, datum, data) in enumerate(zip(rows, texts, datums, binary)):
                assert json.loads(text) == row
                assert checker.check(row) is None, (name, row, checker.check(row))
                for d in (datum, to_datum(schemas[name], row, "")):
                    buf = io.BytesIO()
                    fastavro.schemaless_writer(buf, parsed, d)
                    assert buf.getvalue() == data, (name, row)
                if key_texts is not None:
                    assert json.loads(key_texts[j]) == keys[j] == {k: row[k] for k in src.key}


def test_the_same_seed_gives_the_same_events_whatever_the_batches():
    spec = spec_of(ROOT / "specs" / "fraud_detection.pgl")
    clock = 1_800_000_000_000

    def made(sizes: list[int]) -> list:
        gen = Synth(spec, seed=3, late_share=0.1, late_by_ms=1000).sources["payments"]
        gen.take(clock - 10_000, 1)  # the run's start: late events from here on
        out = []
        for n in sizes:
            for b in gen.take(clock, n):
                out += zip(b.json(), b.event_ms.tolist(), b.late.tolist())
        return out

    assert made([1] * 300 + [9000]) == made([5000, 4300]) == made([7] * 1328 + [4]), "batches give the same events"
    assert any(late for *_, late in made([9300]))


def _events(spec: ir.Spec, seed: int, n: int = 200) -> dict[str, list]:
    synth = Synth(spec, seed=seed, late_share=0.02, late_by_ms=10_000)
    return {name: [gen.event(1_800_000_000_000 + i * 50) for i in range(n)] for name, gen in synth.sources.items()}


def test_the_same_seed_gives_the_same_events():
    spec = spec_of(ROOT / "specs" / "order_processing.pgl")
    assert _events(spec, 3) == _events(spec, 3)
    assert _events(spec, 3) != _events(spec, 4)


def test_keys_repeat_and_joined_keys_match_across_sources():
    spec = spec_of(ROOT / "specs" / "order_processing.pgl")  # orders temporal-join inventory on product_id
    ev = _events(spec, 1, 2000)
    orders = Counter(v["product_id"] for _, v, _, _ in ev["orders"])
    assert orders.most_common(1)[0][1] >= 20  # hot keys
    synth = Synth(spec, seed=1, late_share=0, late_by_ms=1000)
    table = {k["product_id"] for k, _ in synth.table_rows("inventory", 1_800_000_000_000)}
    # the versioned table holds a row for every product the orders name
    assert set(orders) <= table


def test_thresholds_are_crossed_by_a_share_of_events():
    spec = spec_of(ROOT / "specs" / "fraud_detection.pgl")  # where amount >= 50 or ... category in (...)
    ev = _events(spec, 1, 3000)["payments"]
    amounts = [v["amount"] for _, v, _, _ in ev]
    assert 0.2 < sum(a >= 50 for a in amounts) / len(amounts) < 1.0
    categories = Counter(v["merchant"]["category"] for _, v, _, _ in ev)
    assert categories["gift_cards"] > 0 and categories["crypto"] > 0 and categories["money_transfer"] > 0


def test_a_pattern_partition_gets_streaks_of_its_condition():
    spec = spec_of(ROOT / "specs" / "iot_monitoring.pgl")  # HOT = temperature > max_temperature, per device
    u = usage(spec)
    assert ("max_temperature" in dict(u.pairs[("sensor_readings", "temperature")]).values())
    ev = _events(spec, 2, 4000)["sensor_readings"]
    by_device: dict[str, list[bool]] = {}
    for _, v, _, _ in ev:
        if v["temperature"] is not None and v["max_temperature"] is not None:
            by_device.setdefault(v["device_id"], []).append(v["temperature"] > v["max_temperature"])
    longest = 0
    for flags in by_device.values():
        run = 0
        for f in flags:
            run = run + 1 if f else 0
            longest = max(longest, run)
    assert longest >= 5  # some device stays hot for several readings in a row


def test_late_events_are_behind_the_watermark_by_more_than_the_window():
    spec = spec_of(ROOT / "specs" / "fraud_detection.pgl")
    synth = Synth(spec, seed=1, late_share=0.2, late_by_ms=40_000)
    gen = synth.sources["payments"]
    clock = 1_800_000_000_000
    late = [(clock + i * 1000, e) for i in range(400) for *_, e, is_late in [gen.event(clock + i * 1000)] if is_late]
    assert late, "some events are late once the run is past its first windows"
    for at, event_ms in late:
        assert event_ms <= at - 5_000 - 40_000


def test_sink_rows_are_checked_against_the_schema():
    schema = {"type": "record", "name": "S", "fields": [
        {"name": "n", "type": "long"}, {"name": "ts", "type": ["null", {"type": "long",
                                                                        "logicalType": "timestamp-millis"}]},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 5, "scale": 2}}]}
    c = SinkChecker(schema)
    assert c.check({"n": 1, "ts": "2026-12-01T10:00:00.123", "amount": 12.5}) is None
    assert c.check({"n": 1, "ts": None, "amount": 0}) is None
    assert "not an ISO-8601 timestamp" in c.check({"n": 1, "ts": "yesterday", "amount": 1})
    assert "does not allow null" in c.check({"n": None, "ts": None, "amount": 1})
    assert "more decimal places" in c.check({"n": 1, "ts": None, "amount": 1.234})
    assert "more digits" in c.check({"n": 1, "ts": None, "amount": 12345.6})
    assert "which the schema does not have" in c.check({"n": 1, "ts": None, "amount": 1, "x": 2})
    assert c.check({"n": "one", "ts": None, "amount": 1}) is not None


def test_dedup_keys_repeat_now_and_then():
    spec = spec_of(ROOT / "specs" / "high_volume_clickstream.pgl")  # dedup by event_id
    ev = _events(spec, 5, 3000)["clickstream"]
    ids = [v["event_id"] for _, v, _, _ in ev]
    share = len(set(ids)) / len(ids)
    assert 0.85 < share < 0.99, share  # mostly fresh: a dedup keeps most rows and drops the repeats


def _produced(spec: ir.Spec, source: str, seconds: float, **plan_args) -> list[tuple[dict, int]]:
    """The events of ``source`` as the run's producer takes them: every 10 ms of wall time, at the plan's rate
    and speed (event time ``speed`` times faster than the wall clock)."""
    plan = make_plan(spec, duration=seconds, **plan_args)
    gen = Synth(spec, seed=1, late_share=0, late_by_ms=10_000, plan=plan).sources[source]
    rate = next(p.rate for p in plan.sources if p.name == source)
    clock0, out = 1_800_000_000_000, []
    for i in range(int(seconds * 100)):
        n = int(rate * (i + 1) / 100) - int(rate * i / 100)
        for b in gen.take(clock0 + int(i * 10 * plan.speed), n):
            out += zip(b.rows(), b.event_ms.tolist())
    return out


def test_a_pattern_that_asks_for_a_duration_gets_regimes_that_long_in_event_time():
    # STILL_HOT needs seconds_between(first(HOT.reading_time), reading_time) > 300, within 30 min
    spec = spec_of(ROOT / "specs" / "iot_monitoring.pgl")
    plan = make_plan(spec, duration=30)
    assert plan.regimes == (("overheating", 602_000),)
    events = _produced(spec, "sensor_readings", 30)
    # the device with the most readings (one every ten seconds or so of event time): regimes of about ten
    # readings are under two minutes; set in event time, each anomalous one (of about 5 in 6,780 s of event
    # time) keeps it hot for over 5 minutes
    busiest = Counter(v["device_id"] for v, _ in events).most_common(1)[0][0]
    hot_since, spans = None, []
    for v, t in sorted((e for e in events if e[0]["device_id"] == busiest), key=lambda e: e[1]):
        if v["temperature"] > v["max_temperature"]:
            hot_since = t if hot_since is None else hot_since
        elif hot_since is not None:
            spans.append(t - hot_since)
            hot_since = None
    assert sum(300_000 < s <= 1_800_000 for s in spans) >= 4, spans


def test_a_count_threshold_in_a_having_gets_a_hot_key():
    # engagement_velocity: having velocity_per_min > 100, velocity_per_min = sum(3, 2 or 1 per engagement) / 10
    # over a 10-minute window per post: at least 1,001 engagements of one post in one window
    spec = spec_of(ROOT / "specs" / "social_sentiment.pgl")
    plan = make_plan(spec, duration=30)
    (hot,) = [h for h in plan.hot if h.stage == "engagement_velocity"]
    assert hot.need == 1001 and hot.source == "engagements" and hot.window_ms == 600_000 and hot.reachable
    events = _produced(spec, "engagements", 30)
    per_window = Counter((t // 600_000, v["post_id"]) for v, t in events if v["engagement_type"] != "view")
    assert max(per_window.values()) >= hot.need


def test_a_threshold_the_rate_cannot_reach_is_said_in_the_plan(tmp_path):
    spec = spec_of(ROOT / "specs" / "social_sentiment.pgl")
    plan = make_plan(spec, duration=30, message_rate=200)
    assert any("engagement_velocity" in n and "cannot be reached" in n for n in plan.notes)
    out = tmp_path / "p"
    assert run_cli("compile", str(ROOT / "specs" / "social_sentiment.pgl"), "-o", str(out), "-q").returncode == 0
    r = run_cli("run", str(out), "--dry-run", "--duration", "30s", "--message-rate", "200")
    assert r.returncode == 0, r.stderr
    assert "note: the having of engagement_velocity needs 1,001 events of one key" in r.stdout
    assert "cannot be reached (--message-rate" in r.stdout
    r = run_cli("run", str(out), "--dry-run", "--duration", "30s")
    assert "hot key: the having of engagement_velocity" in r.stdout and "cannot be reached" not in r.stdout

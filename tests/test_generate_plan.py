"""The planner of `init --describe`: the request's own streams, fields and steps, read without a model.

These requests are the team's own, written for these tests (the case file `eval_cases.jsonl` is the
broader measure, gated at the end). Each test names the behaviour it holds, not one example of it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipegen import api
from pipegen.evaluate import extract_slots, run_eval
from pipegen.generate import GenerationResult, checked_candidates, plan_request
from pipegen.generate import words
from pipegen.generate.words import streams

ROOT = Path(__file__).resolve().parent


def best(request: str, domain: str | None = None) -> str:
    return checked_candidates(plan_request(request, domain))[0]


def slots(request: str, domain: str | None = None) -> dict:
    spec = api.parse(best(request, domain))
    return extract_slots(spec)


# ----------------------------------------------------------------- streams and fields


@pytest.mark.parametrize("request_text, name, topic, fields", [
    ("count clicks per url every minute from clicks(url, user_id, ts)", "clicks", "clicks",
     ["url", "user_id", "ts"]),
    ("From the pos_sales stream (store_code, sku, qty, sold_at), count units per store every 15 minutes",
     "pos_sales", "pos_sales", ["store_code", "sku", "qty", "sold_at"]),
    ("The `sensor-data` topic carries device_id, temp_c and read_at.", "sensor_data", "sensor-data",
     ["device_id", "temp_c", "read_at"]),
    ("web_orders has order_id, merchant_id, units int and placed_at.", "web_orders", "web_orders",
     ["order_id", "merchant_id", "units", "placed_at"]),
    ("Topic: sensor_events. It has sensor_id, temp and event_ts.", "sensor_events", "sensor_events",
     ["sensor_id", "temp", "event_ts"]),
    ("The schema is device_id, reading, recorded_at and the topic is called iot_raw.", "iot_raw", "iot_raw",
     ["device_id", "reading", "recorded_at"]),
    ("orders topic columns: order_id STRING, amount DOUBLE, created_at TIMESTAMP(3), status VARCHAR(20)", "orders",
     "orders", ["order_id", "amount", "created_at", "status"]),
    ("Count clicks per url. Schema of clicks: {user_id: string, url: string, clicked_at: timestamp}", "clicks",
     "clicks", ["user_id", "url", "clicked_at"]),
    ("user_id, page and ts arrive on the page_views topic", "page_views", "page_views", ["user_id", "page", "ts"]),
    ("Read from payments_v2 which contains payment_id, card_id, amount_eur as well as paid_at", "payments_v2",
     "payments_v2", ["payment_id", "card_id", "amount_eur", "paid_at"]),
    ("From kafka topic shipments-eu (fields: shipment_id, origin, weight_kg, created_ts) keep the heavy ones",
     "shipments_eu", "shipments-eu", ["shipment_id", "origin", "weight_kg", "created_ts"]),
])
def test_a_named_stream_keeps_its_name_topic_and_fields(request_text: str, name: str, topic: str,
                                                        fields: list[str]) -> None:
    (st,) = [s for s in streams(request_text) if not s.output]
    assert (st.name, st.topic, [f.name for f in st.fields]) == (name, topic, fields)


@pytest.mark.parametrize("field, words_around, expected", [
    ("sold_at", "", "timestamp(3)"), ("ts", "", "timestamp(3)"), ("event_time", "", "timestamp(3)"),
    ("store_code", "", "string"), ("order_id", "", "string"), ("is_test", "", "boolean"),
    ("qty", "", "int"), ("amount_eur", "", "double"), ("temp_c", "", "double"),
    # the request's own words decide over the name
    ("level", "keep lines whose level is ERROR or FATAL", "string"),
    ("grade", "alert when grade is above 7", "double"),
    ("mg_dl", "readings above 180 mg/dL", "double"),
])
def test_types_come_from_the_name_and_from_how_the_request_uses_the_field(field: str, words_around: str,
                                                                           expected: str) -> None:
    (st,) = streams(f"from readings_x ({field}, other_field, seen_at): {words_around}")
    assert next(f.type for f in st.fields if f.name == field) == expected


def test_explicit_types_win() -> None:
    (st,) = streams("readings (sensor_id string, temp double, hits int, ts timestamp) hourly")
    assert [(f.name, f.type) for f in st.fields] == [("sensor_id", "string"), ("temp", "double"), ("hits", "int"),
                                                     ("ts", "timestamp(3)")]


def test_prose_is_not_a_field_list() -> None:
    (st,) = [s for s in streams("From the atm_events stream, each withdrawal carries the card id, the amount in "
                                "EUR and the ATM's country.") if not s.output]
    assert st.fields == []


def test_a_destination_is_a_sink_topic_not_a_source() -> None:
    text = best("forward refund_requests(refund_id, reason_code, amount double, requested_at) rows whose "
                "reason_code starts with 'DMG' to the damaged_goods topic")
    spec = api.parse(text)
    sources = [s for s in spec.statements if s.kind == "source"]
    sinks = [s for s in spec.statements if s.kind == "sink"]
    assert [s.name for s in sources] == ["refund_requests"] and [s.topic for s in sinks] == ["damaged_goods"]
    assert 'reason_code like "DMG%"' in text


def test_identifiers_are_exact_names() -> None:
    assert words.resolve("store_code", [words.TField("store_id", "string", "key")]) is None
    assert words.resolve("store", [words.TField("store_code", "string", "key")]) == "store_code"


# ----------------------------------------------------------------- shapes


def test_a_request_without_aggregation_is_a_filter_and_projection() -> None:
    s = slots("From orders (order_id, customer_id, amount, placed_at), forward every order above 500 with its "
              "id, amount and customer to big_orders")
    assert (s["window"], s["aggregates"], s["filter"], s["sink_kind"]) == ("none", [], True, "append")
    text = best("From orders (order_id, customer_id, amount, placed_at), forward every order above 500 with its "
                "id, amount and customer to big_orders")
    assert "where amount > 500" in text and "order_id\n    amount\n    customer_id" in text


def test_a_running_result_has_no_window_and_an_upsert_sink() -> None:
    s = slots("keep a running count of signups per country from signups (user_id, country, signed_up_at)")
    assert (s["window"], s["group_by"], s["aggregates"], s["sink_kind"]) == ("none", ["country"], ["count"], "upsert")


@pytest.mark.parametrize("request_text, window, size, slide", [
    ("average temp_c per site every 5 minutes from readings (site, temp_c, ts)", "tumble", 300, None),
    ("every minute, the number of logins per user over the last 10 minutes from logins (user_id, at)", "hop", 600,
     60),
    ("total spend per customer since midnight, refreshed every 15 minutes, from sales (customer, amount, ts)",
     "cumulate", 86400, 900),
])
def test_windows_from_the_request(request_text: str, window: str, size: int, slide: int | None) -> None:
    s = slots(request_text)
    assert (s["window"], s["window_size_s"], s["window_slide_s"]) == (window, size, slide)


def test_sessions_with_their_gap_and_measures_the_request_names() -> None:
    s = slots("split each player's events into sessions that close after 15 minutes of inactivity and give the "
              "number of events and the total xp per session, from game_events (player_id, xp, happened_at)")
    assert (s["window"], s["session_gap_s"], s["group_by"], s["aggregates"]) == ("session", 900, ["player_id"],
                                                                                ["count", "sum"])


def test_a_threshold_on_an_aggregate_is_a_having() -> None:
    s = slots("flag cards with more than 5 payments in a minute, from card_payments (card_id, amount, paid_at)")
    assert (s["having"], s["filter"], s["group_by"]) == (True, False, ["card_id"])


def test_top_n_per_group() -> None:
    s = slots("every hour, the top 3 products by revenue in each category from sales (product_id, category, "
              "amount, sold_at)")
    assert (s["window"], s["top_n"], s["aggregates"]) == ("tumble", 3, ["sum"])
    assert set(s["group_by"]) == {"product_id", "category"}


def test_dedup_first_and_latest() -> None:
    assert slots("drop duplicate events by event_id from telemetry (event_id, device_id, ts)")["dedup"] is True
    s = slots("keep the latest status per device_id from device_status (device_id, status, reported_at)")
    assert (s["dedup"], s["sink_kind"]) == (True, "upsert")


def test_rolling_over_rows_and_ranges() -> None:
    s = slots("for each trade, attach the moving average price of the last 20 trades of the same symbol, from "
              "trades (trade_id, symbol, price, ts)")
    assert (s["window"], s["group_by"], s["aggregates"]) == ("over", ["symbol"], ["avg"])


def test_a_sequence_pattern() -> None:
    text = best("detect three failed logins followed by a successful login within 5 minutes per user, from "
                "auth_events (user_id, outcome, at)")
    assert "sequence first_step{3,} then_step" in text and "within 5 min" in text and "outcome" in text


@pytest.mark.parametrize("request_text, sequence, high", [
    ("Raise an alert when a device reports a temperature above 80 degrees in three consecutive readings, from "
     "readings (device_id, temperature, ts)", "sequence high{2,2} high_end", "high     = temperature > 80\n"),
    ("Alert when a machine's temperature stays above 85 for more than 5 minutes, per device, from readings "
     "(device_id, temperature, ts)", "sequence high+ still_high",
     "high       = temperature > 85 and seconds_between(first(high.ts), ts) < 300\n"),
    ("Alert when a sensor's temperature stays above 85, per device, from readings (device_id, temperature, ts)",
     "sequence high high_end", "high     = temperature > 85\n"),
])
def test_a_sustained_condition_is_a_pattern_flink_can_match(request_text: str, sequence: str, high: str) -> None:
    """After a greedy `high+` or `high{2,}` Flink 2.3 takes a row for the next variable only where high's condition
    is false: the planner wrote `high+ high_end` with one condition twice, and `high+ still_high` whose condition
    implied high's, which never matched (the checks now refuse them, E701, and the candidate was dropped). A fixed
    count, two in a row, or high bounded in time."""
    text = best(request_text)
    assert sequence in text and high in text, text
    assert api.check(text).ok


def test_joins_with_the_named_second_stream() -> None:
    s = slots("Join orders (order_id, customer_id, total, ts) with shipments (order_id, carrier, shipped_at) on "
              "order_id within 2 hours")
    assert (s["sources"], s["join"]) == (2, "interval")
    s = slots("Enrich payments (payment_id, currency, amount, paid_at) with the rate in effect at payment time from "
              "fx_rates, an upsert topic keyed by currency")
    assert (s["sources"], s["join"]) == (2, "temporal")


def test_late_data_sets_the_watermark() -> None:
    assert slots("count orders per minute; orders can arrive up to 20 seconds late")["watermark_delay_s"] == 20


def test_the_users_schema_wins_over_the_request() -> None:
    from pipegen.compiler import ir
    from pipegen.generate import template_from_fields

    fields = (ir.FieldDef(name="sku", type=ir.PrimitiveType(name="string")),
              ir.FieldDef(name="qty", type=ir.PrimitiveType(name="int")),
              ir.FieldDef(name="ts", type=ir.TimestampType()))
    src = template_from_fields("inventory", "inventory", "Stock moves", fields, "ts")
    plan = plan_request("From the pos_sales stream (store_code, units, sold_at) sum qty per sku every hour", None,
                        src)
    spec = api.parse(checked_candidates(plan)[0])
    (source,) = [s for s in spec.statements if s.kind == "source"]
    assert [f.name for f in source.fields] == ["sku", "qty", "ts"]


# ----------------------------------------------------------------- the case file, as a gate


def test_the_planner_on_the_team_case_file() -> None:
    """The deterministic planner's best reading of every case (no model): every spec checks, and slot accuracy,
    the exact-case rate and name fidelity stay at or above what was measured when this gate was set
    (2026-12-01: 0.92, 0.77, 0.98) less a small margin."""
    def planner(description: str, domain: str | None) -> GenerationResult:
        from pipegen.domains import normalise

        dom, _ = normalise(domain)
        return GenerationResult(best(description, dom), True)

    report = run_eval(ROOT / "eval_cases.jsonl", planner, "planner", progress=None)
    assert report.cases >= 150
    assert report.check_rate == 1.0
    assert report.slot_accuracy >= 0.90, report.slot_accuracy
    assert report.exact_rate >= 0.72, report.exact_rate
    assert report.name_fidelity >= 0.95, report.name_fidelity


# ----------------------------------------------------------------- more ways requests are written


@pytest.mark.parametrize("request_text, sink_topic", [
    ("take tickets(ticket_id, priority, opened_at), keep priority = 'P1', write them to urgent_tickets",
     "urgent_tickets"),
    ("filter payments (id, amount, ts) above 100 -> big_payments", "big_payments"),
    ("count page views per page every minute from views (page, user_id, ts); sink = page_counts", "page_counts"),
])
def test_the_output_topic_the_request_names(request_text: str, sink_topic: str) -> None:
    spec = api.parse(best(request_text))
    assert [s.topic for s in spec.statements if s.kind == "sink"] == [sink_topic]


def test_conditions_written_as_code() -> None:
    text = best("take tickets(ticket_id, priority, opened_at), keep priority = 'P1', write them to urgent_tickets")
    assert 'where priority = "P1"' in text


def test_a_condition_on_the_groups_after_aggregating_is_a_having() -> None:
    s = slots("hourly refund totals per store from refunds (refund_id, store_id, amount, refunded_at); only keep "
              "stores whose refunds exceed 500")
    assert (s["having"], s["filter"], s["aggregates"]) == (True, False, ["sum"])


def test_every_n_over_the_last_m_is_a_hop_not_a_rolling_window() -> None:
    s = slots("every 30 seconds, the average latency_ms per endpoint over the previous 5 minutes, from api_calls "
              "(endpoint, latency_ms, called_at)")
    assert (s["window"], s["window_size_s"], s["window_slide_s"]) == ("hop", 300, 30)


def test_a_join_bound_is_not_a_window_size() -> None:
    s = slots("join clicks (ad_id, clicked_at) with impressions (ad_id, campaign, shown_at) on ad_id within 30 "
              "minutes, then count clicks per campaign every hour")
    assert (s["join"], s["window"], s["window_size_s"]) == ("interval", "tumble", 3600)


def test_streams_named_in_a_sentence_of_their_own() -> None:
    assert [s.name for s in streams("Pair each refund with the purchase before it within 7 days; refunds and "
                                    "purchases are separate topics.")] == ["refunds", "purchases"]
    (st,) = streams("door, badge_id, swiped_at are the fields of badge_swipes; hourly swipes per door")
    assert (st.name, [f.name for f in st.fields]) == ("badge_swipes", ["door", "badge_id", "swiped_at"])
    (st,) = streams("inventory_cdc is a CDC feed with sku, qty and changed_at")
    assert st.upsert and [f.name for f in st.fields] == ["sku", "qty", "changed_at"]


# ----------------------------------------------------------------- Flink plans every reading


PLAN_ALL = """
import json, sys
from pipegen import api
from pipegen.domains import normalise
from pipegen.engine.flink import FlinkPlanner, planning_statements
from pipegen.generate import checked_candidates, plan_request

texts = []
for line in open(sys.argv[1], encoding="utf-8"):
    case = json.loads(line)
    dom, _ = normalise(case["domain"])
    texts += [(case["id"], t) for t in checked_candidates(plan_request(case["description"], dom))]
failures = []
with FlinkPlanner(jars=sys.argv[2].split(",")) as planner:
    for n, (cid, text) in enumerate(texts):
        compiled = api.compile_text(text, cid + ".pgl", ("local",))
        assert compiled.ok, cid
        results = planner.plan(["CREATE DATABASE IF NOT EXISTS spec_%d" % n, "USE spec_%d" % n,
                                *[s.sql for s in planning_statements(compiled.check.analysis, "local")]])
        failures += ["%s: %s" % (cid, r.message[:200]) for r in results if not r.ok]
print(json.dumps({"specs": len(texts), "failures": failures}))
"""


def test_every_reading_of_every_case_plans_in_flink(flink_jars) -> None:
    """Every candidate spec the planner offers (the model may pick any) for every request of the case file is
    planned by Flink's own planner, local target, in one JVM of its own (a fresh process: PyFlink keeps one
    gateway per process, and after many other tests Flink's planner was seen to lose its metadata handlers);
    each spec in a database of its own."""
    import json
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-c", PLAN_ALL, str(ROOT / "eval_cases.jsonl"), ",".join(flink_jars)],
                       capture_output=True, text=True, timeout=1800)
    assert p.returncode == 0, p.stderr[-2000:]
    result = json.loads(p.stdout.strip().splitlines()[-1])
    assert result["specs"] >= 168
    assert not result["failures"], "\n".join(result["failures"][:5])


def test_a_field_named_like_an_aggregate_is_not_a_request_to_aggregate() -> None:
    s = slots("Join orders (order_id, customer_id, total, placed_at) with shipments (order_id, carrier, shipped_at) on "
              "order_id within 2 hours and write them to order_shipments")
    assert (s["join"], s["window"], s["aggregates"], s["sources"]) == ("interval", "none", [], 2)


def test_labels_casts_and_expressions_the_request_spells_out() -> None:
    text = best("From orders (order_id, amount, placed_at), label each order as small, medium or large: under 50, "
                "50 to 200, above 200")
    assert 'amount_band = case when amount < 50 then "small" when amount < 200 then "medium" else "large" end' in text
    assert "where" not in text  # the label's thresholds are not filters
    text = best("Label every reading from probes (probe_id, temp_c, read_at) as 'frozen' below -18, 'chilled' "
                "from -18 to 4 and 'warm' above 4")
    assert 'when temp_c < -18 then "frozen" when temp_c < 4 then "chilled" else "warm"' in text and "where" not in text
    text = best("The raw_quotes topic carries symbol, bid and ask as strings, plus quote_time. Cast bid and ask to "
                "DECIMAL(18,6) and give the mid price (bid + ask) / 2 as mid for every quote.")
    assert "bid = cast(bid as decimal(18, 6))" in text
    assert "mid = (cast(bid as decimal(18, 6)) + cast(ask as decimal(18, 6))) / 2" in text
    text = best("from trips (trip_id, distance_km, duration_min, ended_at) add speed_kmh = distance_km / "
                "(duration_min / 60) to every trip")
    assert "speed_kmh = distance_km / (duration_min / 60)" in text and "duration_min  double" in text


def test_two_destinations_for_two_results() -> None:
    spec = api.parse(best("From air_quality (station_id, pm25, no2, ts): send every reading with pm25 above 55 to "
                          "an aq_alerts topic, and write the per-minute average pm25 per station to aq_metrics."))
    sinks = {s.topic: s.input for s in spec.statements if s.kind == "sink"}
    assert set(sinks) == {"aq_alerts", "aq_metrics"}
    assert spec.statement(sinks["aq_alerts"]).kind == "transform"
    assert spec.statement(sinks["aq_metrics"]).kind == "aggregate"
    assert spec.statement(sinks["aq_metrics"]).where is None  # the average is over every reading
    spec = api.parse(best("Count views per video per minute into views_1m, and hourly into views_1h, from "
                          "view_events (video_id, viewer_id, viewed_at)."))
    sizes = {s.topic: spec.statement(s.input).window.size.millis for s in spec.statements if s.kind == "sink"}
    assert sizes == {"views_1m": 60_000, "views_1h": 3_600_000}


def test_a_merge_of_streams_with_the_same_fields_is_a_union() -> None:
    spec = api.parse(best("Merge the web_orders and app_orders streams and count orders per minute", "ecommerce"))
    unions = [s for s in spec.statements if s.kind == "union"]
    assert [u.inputs for u in unions] == [("web_orders", "app_orders")]
    (agg,) = [s for s in spec.statements if s.kind == "aggregate"]
    assert agg.input == unions[0].name


def test_a_merge_of_streams_whose_fields_differ_keeps_each_stream_whole() -> None:
    spec = api.parse(best("Combine the streams clicks_eu and clicks_us (user_id, page, ts) and count page views per "
                          "page every 5 minutes", "ecommerce"))
    assert not [s for s in spec.statements if s.kind == "union"]
    (extra,) = [s for s in spec.statements if s.kind == "sink" and s.input == "clicks_us"]
    assert "fields differ" in (extra.description or "")


def test_a_table_in_a_database_is_a_jdbc_lookup_on_processing_time() -> None:
    spec = api.parse(best("orders (order_id, customer_id, amount, ts) joined with customers (customer_id, name, "
                          "tier) looked up in the database", "ecommerce"))
    by = {s.name: s for s in spec.statements}
    assert by["customers"].jdbc is not None and by["customers"].topic is None
    assert [f.name for f in by["customers"].fields] == ["customer_id", "name", "tier"]
    assert by["orders"].processing_time == "proc_time"
    (join,) = [s for s in spec.statements if s.kind == "join"]
    assert join.join_kind == "lookup" and (join.left, join.right) == ("orders", "customers")


@pytest.mark.parametrize("request_text", [
    "count clicks per page every minute by processing time from clicks (user_id, page)",
    "Average the temperature per sensor over 5 minute windows as the readings arrive",
])
def test_processing_time_windows_when_the_request_asks_for_them(request_text: str) -> None:
    spec = api.parse(best(request_text, "iot"))
    (src,) = [s for s in spec.statements if s.kind == "source"]
    (agg,) = [s for s in spec.statements if s.kind == "aggregate"]
    assert src.processing_time == "proc_time" and agg.window.column == "proc_time"
    assert "processing" not in [f.name for f in src.fields] and all(g.path != ("processing",) for g in agg.group_by)


# ----------------------------------------------------------------- the row before (lag) and time order (sort)


@pytest.mark.parametrize("request_text, lagged, partition, where", [
    ("For each reading from readings (sensor_id, temperature, ts), compute the change in temperature since the "
     "previous reading of the same sensor", "temperature", "sensor_id", None),
    ("Flag ticks (symbol, price, tick_time) where the price jumped more than 5 compared to the previous tick of the "
     "same symbol", "price", "symbol", "price - previous_price > 5"),
    ("Detect when the price of a stock drops by more than 3% between consecutive quotes, from quotes (symbol, price, "
     "quoted_at)", "price", "symbol", "previous_price - price > abs(previous_price) * 0.03"),
    ("Compare each order's total with the customer's previous order and flag increases over 100, from orders "
     "(order_id, customer_id, total, ordered_at)", "total", "customer_id", "total - previous_total > 100"),
    ("Alert when a device's status changes, from device_events (device_id, status, reported_at)", "status",
     "device_id", "previous_status is not null and status != previous_status"),
    ("meter_readings (meter_id, kwh, read_at): emit every reading whose kwh is higher than the last reading of its "
     "meter", "kwh", "meter_id", "kwh > previous_kwh"),
    ("Alert when a card is used in a different country than the previous transaction within 1 hour, from "
     "card_payments (card_id, country, amount, paid_at)", "country", "card_id",
     "previous_country is not null and country != previous_country and seconds_between(previous_paid_at, paid_at) "
     "<= 3600"),
])
def test_a_comparison_with_the_row_before_is_a_lag(request_text: str, lagged: str, partition: str,
                                                  where: str | None) -> None:
    text = best(request_text)
    spec = api.parse(text)
    (rolling,) = [s for s in spec.statements if s.kind == "rolling"]
    assert rolling.over is None and [c.path[-1] for c in rolling.partition_by] == [partition]
    assert f"previous_{lagged} = lag({lagged})" in text
    wheres = [line.strip()[6:] for line in text.splitlines() if line.strip().startswith("where ")]
    assert wheres == ([where] if where else []), text


@pytest.mark.parametrize("request_text", [
    "for every trade from trades (trade_id, symbol, price, ts), attach the moving average price of the previous 10 "
    "trades of the same symbol",
    "every 30 seconds, the average latency_ms per endpoint over the previous 5 minutes, from api_calls (endpoint, "
    "latency_ms, called_at)",
    "Keep only the last reading per device from readings (device_id, temp, ts)",
    "Join each order (order_id, customer_id, total, ts) with the customer's last known address from addresses "
    "(customer_id, address, updated_at), an upsert topic keyed by customer_id",
    "Count logins per user compared to the previous hour, from logins (user_id, ok, at)",
])
def test_the_previous_n_rows_or_minutes_and_the_last_per_key_are_no_lag(request_text: str) -> None:
    assert "lag(" not in best(request_text)


@pytest.mark.parametrize("request_text, order", [
    ("Emit trades (trade_id, symbol, price, ts) sorted by time, and by price descending within the same "
     "timestamp", "ts asc, price desc"),
    ("Re-order the out-of-order sensor events by event time before writing them out, from sensor_events "
     "(sensor_id, value, event_ts), which arrive up to 30 seconds late", "event_ts asc"),
    ("write payments (payment_id, amount, paid_at) above 100 to big_payments in event-time order", "paid_at asc"),
])
def test_time_order_is_a_sort(request_text: str, order: str) -> None:
    text = best(request_text)
    spec = api.parse(text)
    (sort,) = [s for s in spec.statements if s.kind == "sort"]
    assert f"order by {order}" in text
    (sink,) = [s for s in spec.statements if s.kind == "sink"]
    assert sink.input == sort.name


def test_counting_by_date_is_no_sort() -> None:
    assert "sort " not in best("count orders by date from orders (order_id, amount, created_at)")


@pytest.mark.parametrize("request_text, holder, extracted, source_fields", [
    ("events (event_id, payload, ts): payload is a JSON string with user_id and amount; sum amount per user_id "
     "every minute", "payload", ['user_id = json_value(payload, "$.user_id")',
                                 'amount = json_value(payload, "$.amount" returning double)'],
     ["event_id", "payload", "ts"]),
    ("From the raw_orders topic (order_key, body, created_at), extract customer_id, total and status from the json "
     "body and keep orders whose total is above 100", "body",
     ['customer_id = json_value(body, "$.customer_id")', 'total = json_value(body, "$.total" returning double)',
      'status = json_value(body, "$.status")'], ["order_key", "body", "created_at"]),
    ("Parse the JSON in doc and pull out $.device.id and $.reading.temp from it, from telemetry (doc, ts), and "
     "compute the average reading_temp per device_id every 5 minutes", "doc",
     ['device_id = json_value(doc, "$.device.id")', 'reading_temp = json_value(doc, "$.reading.temp" returning '
      'double)'], ["doc", "ts"]),
])
def test_keys_read_from_json_text_are_columns_of_a_transform_after_the_source(
        request_text: str, holder: str, extracted: list[str], source_fields: list[str]) -> None:
    text = best(request_text)
    spec = api.parse(text)
    (source,) = [s for s in spec.statements if s.kind == "source"]
    assert [f.name for f in source.fields] == source_fields
    parsed = next(s for s in spec.statements if s.kind == "transform" and s.input == source.name)
    assert all(line in text for line in extracted), text
    readers = [s for s in spec.statements if getattr(s, "input", None) == source.name]
    assert readers == [parsed]  # every later stage reads the keys from the transform


def test_a_field_called_total_compared_with_a_number_is_a_filter() -> None:
    text = best("From the raw_orders topic (order_key, customer_id, total, status, created_at), keep orders whose "
                "total is above 100")
    assert "where total > 100" in text and "sum(" not in text


@pytest.mark.parametrize("request_text, sequence", [
    ("Alert when a machine's temperature is above 90 two times in a row, from machine_temps (machine_id, "
     "temperature, ts)", "sequence high high_end"),
    ("Alert when the temperature is above 90 for 3 readings in a row per machine, from machine_temps (machine_id, "
     "temperature, ts)", "sequence high{2,2} high_end"),
])
def test_the_count_in_a_row_is_not_the_threshold(request_text: str, sequence: str) -> None:
    text = best(request_text)
    assert sequence in text and "high     = temperature > 90" in text, text

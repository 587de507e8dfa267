"""The prompts: what the model is told about the language, the request and the streams it names."""

from __future__ import annotations

import re
from functools import lru_cache

from pipegen.domains import GUIDANCE
from pipegen.generate.plan import Plan

LANGUAGE_NOTES = """You write pipeline specs in the PipeGen language (.pgl) for Apache Flink.
A spec has a pipeline block, sources, processing stages and sinks. Stages:
- transform: `where` filters events, `select { ... }` keeps or computes columns.
- aggregate: `window tumble(ts, 1 min)` (fixed windows), `hop(ts, size 10 min, slide 1 min)` (sliding),
  `session(ts, 30 min)` (activity sessions), `cumulate(ts, step 1 min, size 1 h)` (growing totals); no window =
  running totals per key (the sink is then `mode upsert` with a `key`). `group by` key fields,
  `measures { name = count(*) ... }`, optional `having`.
- rolling: moving aggregates per row, `window range(ts, 5 min)` or `window rows(ts, 20)`; with no window,
  `lag(price)` is the value of the row before in the partition (to compare each row with the previous one).
- sort: the rows in time order (`order by ts asc, amount desc`; the time attribute first, ascending).
- pattern: a condition that holds over time, or one event followed by another.
- dedup: keep the first (or last) event per key. topn: the top N rows by a measure.
- join: regular, interval (within a time) or temporal (a versioned table as of the event's time).
- union: every row of several streams with the same columns (`union all_orders from web, app`).
Functions include count sum avg min max stddev, string functions (upper, concat, regexp_extract, split_index),
dates (year, hour, seconds_between, from_epoch_millis, to_timestamp), arrays and maps (item, cardinality),
JSON text (`json_value(payload, "$.id" returning int)`, json_exists, json_query, json_object).
Use the streams and fields the request names, exactly as it names them, and the window kind, sizes, keys,
measures and thresholds it asks for."""

# Short examples of the language, picked by similarity to the request.
EXAMPLES = (
    ("Alert when a card makes more than 5 payments within 30 seconds",
     "aggregate window_stats from payments {\n  window tumble(event_time, 30 s)\n  group by card_id\n  measures {\n"
     "    event_count = count(*)\n  }\n  having event_count > 5\n}\n"),
    ("Average temperature per device every 5 minutes, updated every minute",
     "aggregate window_stats from sensor_readings {\n  window hop(event_time, size 5 min, slide 1 min)\n"
     "  group by device_id\n  measures {\n    avg_temperature = avg(temperature)\n  }\n}\n"),
    ("Track user sessions with a 30 minute inactivity gap and count page views per session",
     "aggregate window_stats from user_events {\n  window session(event_time, 30 min)\n  group by user_id\n"
     "  measures {\n    event_count = count(*)\n  }\n}\n"),
    ("Compute a 20-tick moving average of the price per symbol",
     "rolling moving_stats from price_ticks {\n  partition by symbol\n  window rows(event_time, 20)\n"
     "  measures {\n    avg_price = avg(price)\n  }\n}\n"),
    ("Top 3 products by revenue every hour",
     "aggregate window_stats from orders {\n  window tumble(order_time, 1 h)\n  group by product_id\n  measures {\n"
     "    total_amount = sum(amount)\n  }\n}\n\ntopn top_items from window_stats {\n  order by total_amount desc\n"
     "  limit 3\n}\n"),
    ("Keep a running total of spend per customer",
     "aggregate running_totals from orders {\n  group by customer_id\n  measures {\n    total_amount = sum(amount)\n"
     "  }\n}\n"),
    ("Forward every payment above 5000 with its id and amount",
     "transform alerts from payments {\n  where amount > 5000\n  select {\n    payment_id\n    amount\n  }\n}\n"),
    ("Flag a price drop of more than 5 from the previous tick of the same symbol",
     "rolling with_previous from price_ticks {\n  partition by symbol\n  measures {\n"
     "    previous_price = lag(price)\n  }\n}\n\ntransform alerts from with_previous {\n"
     "  where previous_price - price > 5\n}\n"),
    ("Write the events sorted by event time",
     "sort in_time_order from events {\n  order by event_time asc\n}\n"),
    ("Drop duplicate order events and keep the first one",
     "dedup unique_events from orders {\n  key order_id\n  keep first\n}\n"),
)


@lru_cache(maxsize=64)
def _words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z]+", text.lower()))


def pick_examples(description: str, k: int = 3) -> list[tuple[str, str]]:
    words = _words(description)
    return sorted(EXAMPLES, key=lambda e: -len(words & _words(e[0])))[:k]


def _streams(plan: Plan) -> str:
    lines = []
    for s in plan.sources:
        fields = ", ".join(f"{f.name} ({f.type.split('(')[0]})" for f in s.fields)
        lines.append(f"Source `{s.name}` (topic \"{s.topic}\"): {fields}")
    return "\n".join(lines)


MAX_PROMPT_REQUEST = 4000  # characters of the request in a `.pgl` prompt (about 1,000 tokens)

SPEC_NOTES = """You write pipeline specs in the PipeGen language (.pgl) for Apache Flink. The spec is written
for you up to each point where the request can be read more than one way; there, pick what the request asks
for: its window kind and size, its group keys, its measures and thresholds."""


def spec_prompt(plan: Plan, feedback: str | None = None) -> tuple[str, str]:
    """The prompt for a backend that writes `.pgl` under the grammar of the plan's candidates. It is short: the
    grammar writes everything but the choices, and each prompt token costs the small model time to read."""
    system = SPEC_NOTES
    if plan.domain in GUIDANCE:
        system += f"\nDomain {plan.domain}: {GUIDANCE[plan.domain]}."
    req, stage = pick_examples(plan.description, 1)[0]
    # The model only picks among readings the planner made from the whole request: a long request is cut to
    # fit the model's context (4,096 tokens) rather than refused.
    request = plan.description if len(plan.description) <= MAX_PROMPT_REQUEST else \
        plan.description[:MAX_PROMPT_REQUEST] + " ..."
    user = f"Example request: {req}\nExample stages:\n{stage}\nRequest: {request}\n"
    if feedback:
        user += f"\nThe previous answer had these problems; avoid them:\n{feedback}\n"
    return system, user + "Spec:\n"


def json_prompt(plan: Plan, draft_json: str | None, feedback: str | None = None) -> tuple[str, str]:
    """The prompt for a provider that answers with the IR as JSON (the schema goes as the constraint)."""
    system = (LANGUAGE_NOTES + "\nAnswer with one JSON object: the spec's IR, following the JSON Schema you are "
              "given (statements in data-flow order, each with its `kind`).")
    if plan.domain in GUIDANCE:
        system += f"\nDomain {plan.domain}: {GUIDANCE[plan.domain]}."
    user = f"Request: {plan.description}\n{_streams(plan)}\n"
    if plan.names:
        user += "Use these names exactly as the request writes them: " + ", ".join(plan.names) + "\n"
    if draft_json:
        user += ("A draft spec read from the request's words, as JSON (keep its streams and fields; correct what "
                 f"does not match the request):\n{draft_json}\n")
    if feedback:
        user += f"\nThe previous answer had these problems; fix them:\n{feedback}\n"
    return system, user

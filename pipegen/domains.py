"""Domain knowledge for `pipegen init`: typical sources, fields and guidance for the seven domains.

A request's source is picked from these templates by the words it uses (or
is the user's own schema). Field roles tell the generator which fields can
be keys, which are measurable, and which is the event time.
"""

from __future__ import annotations

from dataclasses import dataclass

DOMAINS = ("ecommerce", "fintech", "iot", "gaming", "media", "healthcare", "logistics")

# Other names users give (the product doc uses "manufacturing" and "social").
ALIASES = {"manufacturing": "iot", "industrial": "iot", "social": "media", "finance": "fintech", "retail": "ecommerce",
           "health": "healthcare", "transport": "logistics", "transportation": "logistics", "games": "gaming"}


@dataclass(frozen=True)
class TField:
    name: str
    type: str  # spec type text
    role: str  # key | metric | label | time | id
    doc: str = ""
    explicit: bool = False  # the type was written by the user, not inferred from the name


@dataclass(frozen=True)
class SourceTemplate:
    name: str
    topic: str
    description: str
    triggers: tuple[str, ...]
    fields: tuple[TField, ...]

    @property
    def event_time(self) -> str | None:
        return next((f.name for f in self.fields if f.role == "time"), None)


def _f(spec: str) -> tuple[TField, ...]:
    out = []
    for line in spec.strip().splitlines():
        name, type_, role, *doc = [p.strip() for p in line.split("|")]
        out.append(TField(name, type_, role, doc[0] if doc else ""))
    return tuple(out)


TEMPLATES: dict[str, tuple[SourceTemplate, ...]] = {
    "ecommerce": (
        SourceTemplate("user_events", "user-events", "Customer behaviour events from the web shop",
                       ("page", "view", "click", "cart", "session", "behavio", "clickstream", "funnel", "conversion",
                        "browse", "segment", "popular", "interaction", "recommend"),
                       _f("""
user_id | string | key | Customer id
session_id | string | key | Browser session id
event_type | enum(page_view, add_to_cart, purchase, search) | key | What the user did
product_id | string | key | Product id
category | string | key | Product category
price | double | metric | Product price
quantity | int | metric | Items in the event
event_time | timestamp(3) | time | When it happened
""")),
        SourceTemplate("orders", "orders", "Orders placed in the shop",
                       ("order", "checkout", "revenue", "discount", "shipping", "inventory", "sales"),
                       _f("""
order_id | string | id | Order id
customer_id | string | key | Customer id
product_id | string | key | Product id
category | string | key | Product category
country | string | key | Shipping country
quantity | int | metric | Items ordered
amount | double | metric | Order amount
discount | double | metric | Discount applied
order_time | timestamp(3) | time | When the order was placed
""")),
    ),
    "fintech": (
        SourceTemplate("payments", "payments", "Card payments",
                       ("payment", "transaction", "card", "fraud", "spending", "risk", "credit", "merchant"),
                       _f("""
transaction_id | string | id | Transaction id
user_id | string | key | Customer id
card_id | string | key | Card id
merchant_id | string | key | Merchant id
merchant_category | string | key | Merchant category
country | string | key | Country of the merchant
amount | double | metric | Amount in the account currency
risk_score | double | metric | Score from the upstream model, 0 to 1
event_time | timestamp(3) | time | When the payment was made
""")),
        SourceTemplate("price_ticks", "price-ticks", "Market price ticks",
                       ("stock", "price", "trading", "ticker", "crypto", "exchange", "arbitrage", "market",
                        "indicator"),
                       _f("""
symbol | string | key | Instrument symbol
exchange | string | key | Exchange the tick comes from
price | double | metric | Last traded price
volume | double | metric | Traded volume
event_time | timestamp(3) | time | Exchange timestamp
""")),
    ),
    "iot": (
        SourceTemplate("sensor_readings", "sensor-readings", "Readings from equipment sensors",
                       ("sensor", "temperature", "device", "equipment", "machine", "pressure", "vibration", "factory"),
                       _f("""
device_id | string | key | Sensor device id
equipment_id | string | key | Machine the sensor is on
site | string | key | Plant or site
temperature | double | metric | Degrees Celsius
pressure | double | metric | Pressure in bar
vibration | double | metric | Vibration in mm/s
humidity | double | metric | Relative humidity in percent
event_time | timestamp(3) | time | When the reading was taken
""")),
        SourceTemplate("traffic_readings", "traffic-readings", "Counts and speeds from intersection sensors",
                       ("traffic", "intersection", "vehicle", "congestion", "signal", "road", "city"),
                       _f("""
intersection_id | string | key | Intersection id
lane_id | string | key | Lane id
vehicle_count | int | metric | Vehicles seen in the interval
speed | double | metric | Average speed in km/h
occupancy | double | metric | Share of time the lane is occupied, 0 to 1
event_time | timestamp(3) | time | When the interval ended
""")),
    ),
    "gaming": (
        SourceTemplate("player_events", "player-events", "Events from game sessions",
                       ("player", "game", "match", "leaderboard", "score", "level", "achievement"),
                       _f("""
player_id | string | key | Player id
match_id | string | key | Match id
game_mode | string | key | Game mode
event_type | enum(match_start, kill, death, level_up, purchase, match_end) | key | What happened
score | int | metric | Points of the event
amount | double | metric | Money spent, for purchases
event_time | timestamp(3) | time | When it happened
""")),
    ),
    "media": (
        SourceTemplate("post_engagements", "post-engagements", "Likes, shares and comments on posts",
                       ("post", "social", "sentiment", "trending", "topic", "viral", "engagement", "hashtag"),
                       _f("""
post_id | string | key | Post id
user_id | string | key | Author id
topic | string | key | Topic or hashtag
sentiment_score | double | metric | Sentiment from the upstream model, -1 to 1
likes | int | metric | Likes in the event
shares | int | metric | Shares in the event
comments | int | metric | Comments in the event
event_time | timestamp(3) | time | When it happened
""")),
        SourceTemplate("content_views", "content-views", "Views of videos and articles",
                       ("view", "watch", "content", "video", "article", "stream", "recommend"),
                       _f("""
content_id | string | key | Video or article id
user_id | string | key | Viewer id
category | string | key | Content category
watch_seconds | double | metric | Seconds watched
event_time | timestamp(3) | time | When the view ended
""")),
    ),
    "healthcare": (
        SourceTemplate("vital_signs", "vital-signs", "Vital signs from patient monitors",
                       ("patient", "vital", "heart", "monitor", "blood", "oxygen", "medication"),
                       _f("""
patient_id | string | key | Patient id
ward | string | key | Hospital ward
device_id | string | key | Monitor id
heart_rate | double | metric | Beats per minute
systolic_bp | double | metric | Systolic blood pressure in mmHg
spo2 | double | metric | Oxygen saturation in percent
body_temperature | double | metric | Degrees Celsius
event_time | timestamp(3) | time | When it was measured
""")),
    ),
    "logistics": (
        SourceTemplate("vehicle_positions", "vehicle-positions", "Positions and status of delivery vehicles",
                       ("vehicle", "fleet", "route", "delivery", "shipment", "truck", "driver", "tracking"),
                       _f("""
vehicle_id | string | key | Vehicle id
route_id | string | key | Route id
depot | string | key | Home depot
speed | double | metric | Speed in km/h
delay_minutes | double | metric | Minutes behind schedule
fuel_level | double | metric | Fuel level in percent
event_time | timestamp(3) | time | When the position was taken
""")),
    ),
}

GUIDANCE = {
    "ecommerce": "customer journeys and conversions: group by user, product or category; sessions of 30 minutes",
    "fintech": "payments, fraud and trading: group by user, card or symbol; short windows of seconds to minutes",
    "iot": "device monitoring: group by device or equipment; thresholds on readings; minutes-long windows",
    "gaming": "player behaviour and leaderboards: group by player or match; top-N by score",
    "media": "engagement and trends: group by topic or content; hop windows for trends",
    "healthcare": "patient monitoring: group by patient; alerts when vital signs stay out of range",
    "logistics": "fleet tracking: group by vehicle or route; delays and speeds",
}


def normalise(domain: str | None) -> tuple[str | None, bool]:
    """(domain, known): a known domain or alias maps to one of DOMAINS; anything else is free text."""
    if domain is None:
        return None, True
    d = domain.strip().lower()
    d = ALIASES.get(d, d)
    return d, d in DOMAINS


def pick_template(description: str, domain: str | None) -> SourceTemplate:
    """The template whose trigger words occur most in the request (ties: the domain's first)."""
    text = description.lower()
    pools = [TEMPLATES[domain]] if domain in TEMPLATES else list(TEMPLATES.values())
    best, best_score = None, -1
    for pool in pools:
        for t in pool:
            score = sum(text.count(w) for w in t.triggers)
            if score > best_score:
                best, best_score = t, score
    assert best is not None
    return best

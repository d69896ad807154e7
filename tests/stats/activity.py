"""Four years of made-up activity (2014 to 2017, before any other suite's rows) written as raw
rows, and the statistics computed from those rows in Python: the independent account the
SQL's figures are checked against."""

import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from pypgstac.load import Loader, Methods
from shapely.geometry import box, mapping

from access.models import EntityCategory
from dinamis.area import geometry_area_km2
from dinamis.database import pgstac_db
from orders import store as orders_store
from orders.rules import load_rules

START = datetime(2014, 1, 1, tzinfo=UTC)
END = datetime(2018, 1, 1, tzinfo=UTC)
CATEGORIES = list(EntityCategory)
RESEARCH = {EntityCategory.FRENCH_RESEARCH, EntityCategory.FOREIGN_RESEARCH}
PUBLIC = {EntityCategory.FRENCH_PUBLIC_BODY}
COLLECTIONS = ["pleiades", "spot-6-7", "spot-world-heritage"]
# Items of the catalogue (footprint known) and items no longer in it (footprint unknown).
FOOTPRINTS = {
    ("pleiades", "STATS-TEST-PHR"): (5.0, 45.0, 5.2, 45.1),
    ("spot-6-7", "STATS-TEST-SPOT"): (4.0, 44.0, 4.6, 44.5),
}
ALL = "all"


def _when(rng: random.Random, start: datetime = START) -> datetime:
    seconds = (END - start).total_seconds()
    return start + timedelta(seconds=int(rng.uniform(0, seconds)))


@dataclass
class Activity:
    entities: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    sign_ins: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    sensors: dict[str, str] = field(default_factory=dict)

    def category(self, entity_id: int | None) -> str:
        if entity_id is None:
            return "anonymous"
        return next(e["category"] for e in self.entities if e["id"] == entity_id)


def _items(database_url: str) -> None:
    items = [
        {
            "type": "Feature",
            "stac_version": "1.1.0",
            "id": item_id,
            "collection": collection,
            "geometry": mapping(box(*bounds)),
            "bbox": list(bounds),
            "properties": {"datetime": "2015-06-01T10:00:00Z"},
            "assets": {},
            "links": [],
        }
        for (collection, item_id), bounds in FOOTPRINTS.items()
    ]
    with pgstac_db(database_url) as db:
        Loader(db).load_items(iter(items), insert_mode=Methods.upsert)


@cache
def generate(database_url: str, seed: int = 14) -> Activity:
    """Write the rows; return them as written (once per database: the page tests share them
    with the API's)."""
    rng = random.Random(seed)
    activity = Activity()
    rules = load_rules()
    activity.sensors = {p.id: p.collection for p in rules.products}
    _items(database_url)
    with psycopg.connect(database_url) as conn:
        orders_store.ensure_rules(conn, rules)
        for number in range(12):
            category = CATEGORIES[number % len(CATEGORIES)]
            accepted = None if number == 11 else _when(rng)
            (entity_id,) = conn.execute(
                "INSERT INTO dinamis_access.entity (name, category, status, membership_version,"
                " membership_accepted_at, created_at) VALUES (%s, %s, 'active', '2014', %s,"
                " %s) RETURNING id",
                (f"Stats entity {number}", category.value, accepted, START),
            ).fetchone()
            activity.entities.append({"id": entity_id, "category": category, "since": accepted})
        for number in range(40):
            entity = activity.entities[number % len(activity.entities)]
            created = _when(rng)
            (user_id,) = conn.execute(
                'INSERT INTO dinamis_access."user" (entity_id, email, name, status, created_at)'
                " VALUES (%s, %s, %s, 'active', %s) RETURNING id",
                (entity["id"], f"u{number}@stats.test", f"User {number}", created),
            ).fetchone()
            activity.users.append({"id": user_id, "entity_id": entity["id"], "created": created})
        for _ in range(60):
            user = rng.choice(activity.users)
            at = _when(rng, user["created"])
            conn.execute(
                "INSERT INTO dinamis_portal.sign_in (user_id, at) VALUES (%s, %s)",
                (user["id"], at),
            )
            activity.sign_ins.append({"user_id": user["id"], "at": at})
        _events(conn, rng, activity)
        _orders(conn, rng, activity, rules.version)
    return activity


def _events(conn: psycopg.Connection, rng: random.Random, activity: Activity) -> None:
    items = [*FOOTPRINTS, *((c, f"STATS-GONE-{c}-{n}") for c in COLLECTIONS for n in range(4))]
    for number in range(500):
        user = None if number % 10 == 0 else rng.choice(activity.users)
        kind = rng.choice(["download", "download", "crop", "tile"])
        collection, item = rng.choice(items)
        at = _when(rng, user["created"] if user else START)
        # Reads of one file by ranges on one day: one download.
        repeats = 3 if kind == "download" and number % 7 == 0 else 1
        for repeat in range(repeats):
            event = {
                "user_id": user["id"] if user else None,
                "entity_id": user["entity_id"] if user else None,
                "collection": collection,
                "item": item,
                "kind": kind,
                "area_km2": round(rng.uniform(1, 80), 3) if kind == "crop" else None,
                # Same day in UTC: events are written before 20:00, repeats minutes apart.
                "at": at.replace(hour=min(at.hour, 19)) + timedelta(minutes=repeat),
            }
            conn.execute(
                "INSERT INTO dinamis_access.download_event (user_id, entity_id, collection,"
                " item, area_km2, kind, at) VALUES (%(user_id)s, %(entity_id)s, %(collection)s,"
                " %(item)s, %(area_km2)s, %(kind)s, %(at)s)",
                event,
            )
            activity.events.append(event)


def _orders(conn: psycopg.Connection, rng: random.Random, activity: Activity, version: str) -> None:
    statuses = ["received", "accepted", "tasked", "processing", "completed", "rejected", "failed"]
    for _ in range(60):
        user = rng.choice(activity.users)
        product = rng.choice(list(activity.sensors))
        west, south = rng.uniform(-4, 7), rng.uniform(42, 50)
        shape = box(west, south, west + rng.uniform(0.1, 0.8), south + rng.uniform(0.1, 0.5))
        order = {
            "user_id": user["id"],
            "entity_id": user["entity_id"],
            "product_id": product,
            "kind": product.rsplit("-", 1)[1],
            "geometry": Jsonb(mapping(shape)),
            "area_km2": round(geometry_area_km2(shape), 3),
            "status": rng.choice(statuses),
            "created_at": _when(rng, user["created"]),
            "rules_version": version,
        }
        (order_id,) = conn.execute(
            'INSERT INTO dinamis_orders."order" (product_id, kind, user_id, entity_id, geometry,'
            " window_start, window_end, parameters, area_km2, rules_version, quote, status,"
            " created_at) VALUES (%(product_id)s, %(kind)s, %(user_id)s, %(entity_id)s,"
            " %(geometry)s, %(created_at)s, %(created_at)s, '{}', %(area_km2)s,"
            " %(rules_version)s, '{}', %(status)s, %(created_at)s) RETURNING id",
            order,
        ).fetchone()
        order["id"] = order_id
        conn.execute(
            "INSERT INTO dinamis_orders.status (order_id, status_code, actor, at)"
            " VALUES (%s, %s, 'stats test', %s)",
            (order_id, order["status"], order["created_at"]),
        )
        if order["kind"] == "tasking":
            for _ in range(rng.randint(0, 3)):
                validated = rng.random() < 0.4
                conn.execute(
                    "INSERT INTO dinamis_orders.attempt (order_id, acquired_at, cloud_cover,"
                    " validated) VALUES (%s, %s, 12.5, %s)",
                    (order_id, order["created_at"], validated),
                )
                activity.attempts.append({"order_id": order_id, "validated": validated})
        if order["status"] == "completed":
            collection, item = next(iter(FOOTPRINTS))
            conn.execute(
                "INSERT INTO dinamis_orders.order_item (order_id, collection, item_id)"
                " VALUES (%s, %s, %s)",
                (order_id, collection, item),
            )
        activity.orders.append(order)


# -- the figures, computed in Python from the rows as written ----------------------------------


def _in(at: datetime, lo: datetime, hi: datetime) -> bool:
    return lo <= at < hi


def _rollups(
    rows: Iterable[dict[str, Any]], dimensions: list[tuple[str, ...]], measure: Callable
) -> dict[tuple[str, ...], dict[str, Any]]:
    """``measure(rows)`` for every group of each set of ``dimensions`` (the others 'all')."""
    rows = list(rows)
    names = sorted({d for group in dimensions for d in group})
    out: dict[tuple[str, ...], dict[str, Any]] = {}
    for group in dimensions:
        buckets: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            buckets[tuple(str(row[n]) if n in group else ALL for n in names)].append(row)
        for key, members in buckets.items():
            out[key] = measure(members)
    return out


def active_users(activity: Activity, lo: datetime, hi: datetime) -> set[int]:
    found = {s["user_id"] for s in activity.sign_ins if _in(s["at"], lo, hi)}
    found |= {
        e["user_id"]
        for e in activity.events
        if e["user_id"] and e["kind"] != "tile" and _in(e["at"], lo, hi)
    }
    found |= {o["user_id"] for o in activity.orders if _in(o["created_at"], lo, hi)}
    return found


def members(
    activity: Activity, lo: datetime, hi: datetime, entity: int | None = None
) -> dict[tuple[str, ...], dict[str, Any]]:
    active = active_users(activity, lo, hi)
    users = [
        {**u, "category": activity.category(u["entity_id"]), "active": u["id"] in active}
        for u in activity.users
        if u["created"] < hi and entity in (None, u["entity_id"])
    ]
    active_entities = {u["entity_id"] for u in users if u["active"]}
    entities = [
        e
        for e in activity.entities
        if e["since"] is not None and e["since"] < hi and entity in (None, e["id"])
    ]
    by_entity = _rollups(
        entities,
        [("category",), ()],
        lambda rows: {
            "entities": len(rows),
            "new_entities": sum(r["since"] >= lo for r in rows),
            "active_entities": sum(r["id"] in active_entities for r in rows),
        },
    )
    by_user = _rollups(
        users,
        [("category",), ()],
        lambda rows: {
            "users": len(rows),
            "new_users": sum(r["created"] >= lo for r in rows),
            "active_users": sum(r["active"] for r in rows),
        },
    )
    zero_e = {"entities": 0, "new_entities": 0, "active_entities": 0}
    zero_u = {"users": 0, "new_users": 0, "active_users": 0}
    return {
        key: {**by_entity.get(key, zero_e), **by_user.get(key, zero_u)}
        for key in by_entity.keys() | by_user.keys()
    }


def _downloads(
    activity: Activity, lo: datetime, hi: datetime, entity: int | None
) -> list[dict[str, Any]]:
    """One row per download (a product, a user, a day) or crop, with its km²."""
    footprints = {key: geometry_area_km2(box(*b)) for key, b in FOOTPRINTS.items()}
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for number, e in enumerate(activity.events):
        if e["kind"] == "tile" or not _in(e["at"], lo, hi) or entity not in (None, e["entity_id"]):
            continue
        key = (e["user_id"], e["collection"], e["item"], e["at"].date())
        if e["kind"] == "crop":
            key = (*key, number)
        row = found.setdefault(
            key,
            {
                "collection": e["collection"],
                "item": e["item"],
                "category": activity.category(e["entity_id"]),
                "areas": [],
            },
        )
        if e["area_km2"] is not None:
            row["areas"].append(e["area_km2"])
    for row in found.values():
        row["km2"] = (
            max(row["areas"])
            if row["areas"]
            else footprints.get((row["collection"], row["item"]), 0.0)
        )
    return list(found.values())


def downloads(
    activity: Activity, lo: datetime, hi: datetime, entity: int | None = None
) -> dict[tuple[str, ...], dict[str, Any]]:
    return _rollups(
        _downloads(activity, lo, hi, entity),
        [("collection", "category"), ("collection",), ("category",), ()],
        lambda rows: {
            "downloads": len(rows),
            "products": len({(r["collection"], r["item"]) for r in rows}),
            "km2": sum(r["km2"] for r in rows),
        },
    )


def cumulative(
    activity: Activity, hi: datetime, entity: int | None = None
) -> dict[tuple[str, ...], dict[str, Any]]:
    return _rollups(
        _downloads(activity, datetime(1900, 1, 1, tzinfo=UTC), hi, entity),
        [("collection",), ()],
        lambda rows: {"downloads": len(rows), "km2": sum(r["km2"] for r in rows)},
    )


def requests(
    activity: Activity, lo: datetime, hi: datetime, entity: int | None = None
) -> dict[tuple[str, ...], dict[str, Any]]:
    attempts: dict[int, list[bool]] = defaultdict(list)
    for attempt in activity.attempts:
        attempts[attempt["order_id"]].append(attempt["validated"])
    rows = []
    for order in activity.orders:
        if not _in(order["created_at"], lo, hi) or entity not in (None, order["entity_id"]):
            continue
        category = activity.category(order["entity_id"])
        tries = attempts[order["id"]]
        rows.append(
            {
                "sensor": activity.sensors[order["product_id"]],
                "kind": order["kind"],
                "actors": "research"
                if category in RESEARCH
                else "public"
                if category in PUBLIC
                else "private",
                "area": order["area_km2"],
                "acquired": order["status"] == "completed" or any(tries),
                "attempts": len(tries),
                "validated": sum(tries),
            }
        )
    return _rollups(
        rows,
        [
            ("sensor", "kind", "actors"),
            ("sensor", "actors"),
            ("sensor",),
            ("actors",),
            ("kind",),
            (),
        ],
        lambda group: {
            "requests": len(group),
            "km2_requested": sum(r["area"] for r in group),
            "km2_acquired": sum(r["area"] for r in group if r["acquired"]),
            "attempts": sum(r["attempts"] for r in group),
            "validated_attempts": sum(r["validated"] for r in group),
        },
    )

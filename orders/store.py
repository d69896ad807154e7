"""Reading and writing the ``dinamis_orders`` schema with psycopg.

As in :mod:`access.store`, every function takes an open connection and leaves the transaction
to the caller: a request or a command groups its calls and commits once, so a refused request
(bad scene, exhausted tranche) records nothing.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.rows import class_row, dict_row
from psycopg.types.json import Jsonb
from stapi_pydantic import OrderStatusCode as Status

from dinamis.refusal import N_
from orders.rules import Kind, Quote, Rules, rules_from_json
from orders.workflow import Action, ForbiddenError, TransitionError, next_status, refunds_tranche

ORDER_PROPERTY = "dinamis:order_id"
"""The property a delivered item carries: the id of the order it fulfils."""


class NotFoundError(LookupError):
    """No such order (or one the caller may not see)."""


class RulesConflictError(ValueError):
    """A rules version is already loaded with other figures."""


class TrancheExhaustedError(ValueError):
    """The entity's tranches cannot cover the attempts a request needs."""

    def __init__(self, needed: int, balance: int) -> None:
        super().__init__(
            f"this request needs {needed} scene-equivalent attempts beyond the free ones, and "
            f"your entity has {balance} left in its tranches: buy an 'accompagnement "
            "personnalisé' tranche or reduce the area, views or attempts."
        )
        self.needed = needed
        self.balance = balance


@dataclass(frozen=True)
class Actor:
    """Who acts on an order: a user (``user_id``) or the operator's command line."""

    label: str
    user_id: int | None = None
    operator: bool = False


CLI_OPERATOR = Actor(label="operator (command line)", operator=True)


@dataclass(frozen=True)
class OrderRecord:
    id: int
    product_id: str
    kind: Kind
    user_id: int
    user_email: str
    entity_id: int
    entity_name: str
    geometry: dict[str, Any]
    window_start: datetime
    window_end: datetime
    parameters: dict[str, Any]
    area_km2: float
    rules_version: str
    quote: dict[str, Any]
    tranche_attempts: int
    quote_agreed_at: datetime | None
    status: Status
    created_at: datetime
    updated_at: datetime
    items: tuple[tuple[str, str], ...]
    last: "StatusRecord"
    """The latest status change: when, who and why."""

    @property
    def due(self) -> bool:
        return Decimal(self.quote["due"]) > 0


@dataclass(frozen=True)
class StatusRecord:
    status_code: Status
    reason_code: str | None
    reason_text: str | None
    actor: str
    at: datetime


# -- rules ----------------------------------------------------------------------------------


def ensure_rules(conn: psycopg.Connection, rules: Rules) -> bool:
    """Record ``rules`` under their version; ``True`` if they were new. The same version with
    other figures is refused: quotes must keep meaning what they said."""
    row = conn.execute(
        "INSERT INTO dinamis_orders.rules (version, content, sha256) VALUES (%s, %s, %s)"
        " ON CONFLICT (version) DO NOTHING RETURNING version",
        (rules.version, Jsonb(rules.model_dump(mode="json")), rules.sha256),
    ).fetchone()
    if row is not None:
        return True
    (sha,) = conn.execute(
        "SELECT sha256 FROM dinamis_orders.rules WHERE version = %s", (rules.version,)
    ).fetchone() or ("",)
    if sha != rules.sha256:
        raise RulesConflictError(
            f"rules version {rules.version} is already loaded with other figures: give the "
            "revised rules a new version."
        )
    return False


def get_rules(conn: psycopg.Connection, version: str | None = None) -> Rules:
    """The rules of ``version``, else the last loaded."""
    row = conn.execute(
        "SELECT content FROM dinamis_orders.rules"
        " WHERE %(v)s::text IS NULL OR version = %(v)s ORDER BY loaded_at DESC LIMIT 1",
        {"v": version},
    ).fetchone()
    if row is None:
        raise NotFoundError(f"rules {version or '(none loaded yet)'}")
    return rules_from_json(row[0])


# -- orders ---------------------------------------------------------------------------------

_ORDER = """
SELECT o.id, o.product_id, o.kind, o.user_id, u.email AS user_email, o.entity_id,
       e.name AS entity_name, o.geometry, o.window_start, o.window_end, o.parameters,
       o.area_km2, o.rules_version, o.quote, o.tranche_attempts, o.quote_agreed_at, o.status,
       o.created_at, o.updated_at,
       ARRAY(SELECT ARRAY[i.collection, i.item_id] FROM dinamis_orders.order_item i
             WHERE i.order_id = o.id ORDER BY i.collection, i.item_id) AS items,
       s.status_code, s.reason_code, s.reason_text, s.actor, s.at
FROM dinamis_orders."order" o
JOIN dinamis_access."user" u ON u.id = o.user_id
JOIN dinamis_access.entity e ON e.id = o.entity_id
CROSS JOIN LATERAL (
    SELECT status_code, reason_code, reason_text, actor, at FROM dinamis_orders.status
    WHERE order_id = o.id ORDER BY id DESC LIMIT 1
) s
"""


_LAST = ("status_code", "reason_code", "reason_text", "actor", "at")


def _order(row: dict[str, Any]) -> OrderRecord:
    last = {key: row.pop(key) for key in _LAST}
    return OrderRecord(
        **{
            **row,
            "last": StatusRecord(**{**last, "status_code": Status(last["status_code"])}),
            "status": Status(row["status"]),
            "kind": Kind(row["kind"]),
            "items": tuple((c, i) for c, i in row["items"]),
        }
    )


def spend_attempts(conn: psycopg.Connection, entity_id: int, attempts: int) -> int:
    """Take ``attempts`` from the entity's balance and return what is left, or raise
    :class:`TrancheExhaustedError`. One conditional UPDATE: concurrent requests queue on the
    balance row and each sees the other's decrement, so the balance never goes negative."""
    row = conn.execute(
        "UPDATE dinamis_orders.balance SET attempts = attempts - %(n)s"
        " WHERE entity_id = %(e)s AND attempts >= %(n)s RETURNING attempts",
        {"n": attempts, "e": entity_id},
    ).fetchone()
    if row is None:
        raise TrancheExhaustedError(attempts, balance(conn, entity_id))
    return int(row[0])


def create_order(
    conn: psycopg.Connection,
    *,
    product_id: str,
    kind: Kind,
    user_id: int,
    entity_id: int,
    geometry: dict[str, Any],
    window: tuple[datetime, datetime],
    parameters: dict[str, Any],
    area_km2: float,
    quote: Quote,
    actor: Actor,
) -> OrderRecord:
    """Record a received order with its quote, taking its tranche attempts."""
    if quote.tranche_attempts:
        spend_attempts(conn, entity_id, quote.tranche_attempts)
    (order_id,) = conn.execute(
        'INSERT INTO dinamis_orders."order" (product_id, kind, user_id, entity_id,'
        " geometry, window_start, window_end, parameters, area_km2, rules_version, quote,"
        " tranche_attempts) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " RETURNING id",
        (
            product_id,
            kind.value,
            user_id,
            entity_id,
            Jsonb(geometry),
            window[0],
            window[1],
            Jsonb(parameters),
            area_km2,
            quote.rules_version,
            Jsonb(quote.model_dump(mode="json")),
            quote.tranche_attempts,
        ),
    ).fetchone() or (None,)
    _add_status(conn, order_id, Status.received, actor, "submitted", None)
    return get_order(conn, order_id)


def get_order(conn: psycopg.Connection, order_id: int, *, lock: bool = False) -> OrderRecord:
    if lock:
        conn.execute('SELECT 1 FROM dinamis_orders."order" WHERE id = %s FOR UPDATE', (order_id,))
    row = (
        conn.cursor(row_factory=dict_row)
        .execute(f"{_ORDER} WHERE o.id = %s", (order_id,))
        .fetchone()
    )
    if row is None:
        raise NotFoundError(f"order {order_id}")
    return _order(row)


def list_orders(
    conn: psycopg.Connection,
    *,
    user_id: int | None = None,
    entity_id: int | None = None,
    after: int | None = None,
    limit: int = 100,
) -> list[OrderRecord]:
    """Orders newest first, of one user or one entity (none: all), older than ``after``."""
    rows = conn.cursor(row_factory=dict_row).execute(
        f"{_ORDER} WHERE (%(user)s::bigint IS NULL OR o.user_id = %(user)s)"
        " AND (%(entity)s::bigint IS NULL OR o.entity_id = %(entity)s)"
        " AND (%(after)s::bigint IS NULL OR o.id < %(after)s)"
        " ORDER BY o.id DESC LIMIT %(limit)s",
        {"user": user_id, "entity": entity_id, "after": after, "limit": limit},
    )
    return [_order(row) for row in rows]


@dataclass(frozen=True)
class OrderFilter:
    """What the operators' search narrows orders by; every field optional."""

    order_id: int | None = None
    requester: str | None = None
    """Part of the requester's e-mail address, any case."""
    entity: str | None = None
    """Part of the entity's name, any case."""
    statuses: tuple[Status, ...] = ()
    product_id: str | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None


_FILTER = """
WHERE (%(id)s::bigint IS NULL OR o.id = %(id)s)
  AND (%(requester)s::text IS NULL OR strpos(lower(u.email), lower(%(requester)s)) > 0)
  AND (%(entity)s::text IS NULL OR strpos(lower(e.name), lower(%(entity)s)) > 0)
  AND (cardinality(%(statuses)s::text[]) = 0 OR o.status = ANY(%(statuses)s::text[]))
  AND (%(product)s::text IS NULL OR o.product_id = %(product)s)
  AND (%(from)s::timestamptz IS NULL OR o.created_at >= %(from)s)
  AND (%(before)s::timestamptz IS NULL OR o.created_at < %(before)s)
"""


def search_orders(
    conn: psycopg.Connection,
    where: OrderFilter,
    *,
    offset: int = 0,
    limit: int = 100,
    oldest_first: bool = False,
) -> tuple[list[OrderRecord], int]:
    """One page of the orders ``where`` selects (newest first, or longest waiting first) and
    how many it selects in all."""
    params = {
        "id": where.order_id,
        "requester": where.requester,
        "entity": where.entity,
        "statuses": [status.value for status in where.statuses],
        "product": where.product_id,
        "from": where.created_from,
        "before": where.created_before,
    }
    order = "o.updated_at, o.id" if oldest_first else "o.id DESC"
    rows = conn.cursor(row_factory=dict_row).execute(
        f"{_ORDER} {_FILTER} ORDER BY {order} OFFSET %(offset)s LIMIT %(limit)s",
        {**params, "offset": offset, "limit": limit},
    )
    found = [_order(row) for row in rows]
    (total,) = conn.execute(
        'SELECT count(*) FROM dinamis_orders."order" o'
        ' JOIN dinamis_access."user" u ON u.id = o.user_id'
        f" JOIN dinamis_access.entity e ON e.id = o.entity_id {_FILTER}",
        params,
    ).fetchone() or (0,)
    return found, int(total)


def count_by_status(conn: psycopg.Connection) -> dict[Status, int]:
    rows = conn.execute('SELECT status, count(*) FROM dinamis_orders."order" GROUP BY status')
    return {Status(status): int(count) for status, count in rows}


def statuses(conn: psycopg.Connection, order_id: int) -> list[StatusRecord]:
    rows = conn.cursor(row_factory=dict_row).execute(
        "SELECT status_code, reason_code, reason_text, actor, at FROM dinamis_orders.status"
        " WHERE order_id = %s ORDER BY id",
        (order_id,),
    )
    return [StatusRecord(**{**row, "status_code": Status(row["status_code"])}) for row in rows]


def _add_status(
    conn: psycopg.Connection,
    order_id: int,
    status: Status,
    actor: Actor,
    reason_code: str,
    reason_text: str | None,
) -> None:
    conn.execute(
        "INSERT INTO dinamis_orders.status"
        " (order_id, status_code, reason_code, reason_text, actor_user_id, actor)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (order_id, status.value, reason_code, reason_text, actor.user_id, actor.label),
    )
    conn.execute(
        'UPDATE dinamis_orders."order" SET status = %s, updated_at = now() WHERE id = %s',
        (status.value, order_id),
    )


def act(
    conn: psycopg.Connection,
    order_id: int,
    action: Action,
    actor: Actor,
    reason: str | None = None,
    *,
    validated: bool = False,
    reason_code: str | None = None,
) -> OrderRecord:
    """Apply ``action`` to the order (locked while it is decided) and record the new status
    with who and why; :class:`TransitionError` when it does not apply."""
    order = get_order(conn, order_id, lock=True)
    if not actor.operator and actor.user_id != order.user_id:
        raise ForbiddenError(
            N_("only the requester or DINAMIS operators may %(action)s it."), action=action.value
        )
    status = next_status(
        action,
        order.status,
        archive=order.kind is Kind.ARCHIVE,
        due=order.due,
        agreed=order.quote_agreed_at is not None,
        by_operator=actor.operator,
        validated=validated,
        reason=reason,
    )
    if action is Action.AGREE:
        conn.execute(
            'UPDATE dinamis_orders."order" SET quote_agreed_at = now() WHERE id = %s',
            (order_id,),
        )
        reason = reason or f"quote of {order.quote['due']} {order.quote['currency']} agreed"
    if status in (Status.rejected, Status.cancelled, Status.user_cancelled) and (
        order.tranche_attempts and refunds_tranche(order.status)
    ):
        _credit(conn, order.entity_id, order.tranche_attempts)
        conn.execute(
            'UPDATE dinamis_orders."order" SET tranche_attempts = 0 WHERE id = %s', (order_id,)
        )
        reason = f"{reason or ''} ({order.tranche_attempts} attempts back to the tranches)".strip()
    _add_status(conn, order_id, status, actor, reason_code or action.value, reason)
    return get_order(conn, order_id)


def record_attempt(
    conn: psycopg.Connection,
    order_id: int,
    actor: Actor,
    *,
    acquired_at: datetime,
    cloud_cover: float,
    validated: bool,
    note: str | None = None,
) -> OrderRecord:
    """An acquisition try the provider reported: validated, the order goes to production;
    otherwise it stays scheduled for the next pass."""
    verdict = "validated" if validated else "not validated"
    text = f"acquisition of {acquired_at.isoformat()}, {cloud_cover:g} % cloud: {verdict}"
    order = act(
        conn,
        order_id,
        Action.ATTEMPT,
        actor,
        f"{text}. {note}" if note else text,
        validated=validated,
    )
    conn.execute(
        "INSERT INTO dinamis_orders.attempt (order_id, acquired_at, cloud_cover, validated, note)"
        " VALUES (%s, %s, %s, %s, %s)",
        (order_id, acquired_at, cloud_cover, validated, note),
    )
    return order


def attempts(conn: psycopg.Connection, order_id: int) -> list[dict[str, Any]]:
    return (
        conn.cursor(row_factory=dict_row)
        .execute(
            "SELECT acquired_at, cloud_cover, validated, note FROM dinamis_orders.attempt"
            " WHERE order_id = %s ORDER BY acquired_at",
            (order_id,),
        )
        .fetchall()
    )


def deliver(
    conn: psycopg.Connection,
    order_id: int,
    items: list[tuple[str, str]],
    actor: Actor,
    collection: str,
) -> OrderRecord:
    """Link catalogued items to the order (each item gets the order's id as a property) and
    complete it. Items must be in the product's ``collection``: the one whose licence the
    requester's entity accepted, which is what entitles it to them."""
    order = get_order(conn, order_id, lock=True)
    if order.status is not Status.processing:
        raise TransitionError(
            N_("cannot deliver an order that is %(status)s (only when processing)."),
            status=order.status.value,
        )
    for item_collection, item_id in items:
        if item_collection != collection:
            raise TransitionError(
                N_("item '%(item)s' is in '%(collection)s'; this order delivers to '%(target)s'."),
                item=item_id,
                collection=item_collection,
                target=collection,
            )
        row = conn.execute("SELECT pgstac.get_item(%s, %s)", (item_id, item_collection)).fetchone()
        if row is None or row[0] is None:
            raise NotFoundError(f"item '{item_id}' of collection '{item_collection}'")
        item = row[0]
        item["properties"][ORDER_PROPERTY] = str(order_id)
        conn.execute("SELECT pgstac.update_item(%s)", (Jsonb(item),))
        conn.execute(
            "INSERT INTO dinamis_orders.order_item (order_id, collection, item_id)"
            " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            (order_id, item_collection, item_id),
        )
    names = ", ".join(item_id for _, item_id in items)
    return act(conn, order_id, Action.DELIVER, actor, f"delivered: {names}")


# -- tranches -------------------------------------------------------------------------------


def balance(conn: psycopg.Connection, entity_id: int) -> int:
    row = conn.execute(
        "SELECT attempts FROM dinamis_orders.balance WHERE entity_id = %s", (entity_id,)
    ).fetchone()
    return int(row[0]) if row else 0


def _credit(conn: psycopg.Connection, entity_id: int, attempts: int) -> int:
    (left,) = conn.execute(
        "INSERT INTO dinamis_orders.balance (entity_id, attempts) VALUES (%(e)s, %(n)s)"
        " ON CONFLICT (entity_id) DO UPDATE SET attempts = balance.attempts + %(n)s"
        " RETURNING attempts",
        {"e": entity_id, "n": attempts},
    ).fetchone() or (0,)
    return int(left)


def buy_tranche(
    conn: psycopg.Connection,
    entity_id: int,
    attempts: int,
    rules: Rules,
    actor: Actor = CLI_OPERATOR,
) -> int:
    """Record an entity's purchase of a tranche of ``attempts``; the new balance."""
    tranche = rules.spot.tranche(attempts)
    conn.execute(
        "INSERT INTO dinamis_orders.tranche"
        " (entity_id, attempts, price_eur, rules_version, recorded_by) VALUES (%s, %s, %s, %s, %s)",
        (entity_id, tranche.attempts, tranche.price_eur, rules.version, actor.label),
    )
    return _credit(conn, entity_id, tranche.attempts)


@dataclass(frozen=True)
class EntityBalance:
    entity_id: int
    entity_name: str
    attempts_left: int


@dataclass(frozen=True)
class TranchePurchase:
    bought_at: datetime
    entity_id: int
    entity_name: str
    attempts: int
    price_eur: Decimal
    recorded_by: str | None


# Entities and purchases whose entity's name holds %(name)s (any case; all when NULL).
_BALANCES = """
SELECT e.id AS entity_id, e.name AS entity_name, coalesce(b.attempts, 0) AS attempts_left
FROM dinamis_access.entity e LEFT JOIN dinamis_orders.balance b ON b.entity_id = e.id
WHERE e.status = 'active'
  AND (%(name)s::text IS NULL OR strpos(lower(e.name), lower(%(name)s)) > 0)
ORDER BY e.name, e.id LIMIT %(limit)s
"""
_PURCHASES = """
SELECT t.bought_at, t.entity_id, e.name AS entity_name, t.attempts, t.price_eur, t.recorded_by
FROM dinamis_orders.tranche t JOIN dinamis_access.entity e ON e.id = t.entity_id
WHERE %(name)s::text IS NULL OR strpos(lower(e.name), lower(%(name)s)) > 0
ORDER BY t.bought_at DESC, t.id DESC LIMIT %(limit)s
"""


def balances(conn: psycopg.Connection, name: str | None, limit: int) -> list[EntityBalance]:
    """Active entities with the attempts left in their tranches, by name."""
    cursor = conn.cursor(row_factory=class_row(EntityBalance))
    return cursor.execute(_BALANCES, {"name": name, "limit": limit}).fetchall()


def purchases(conn: psycopg.Connection, name: str | None, limit: int) -> list[TranchePurchase]:
    """The latest tranche purchases, newest first."""
    cursor = conn.cursor(row_factory=class_row(TranchePurchase))
    return cursor.execute(_PURCHASES, {"name": name, "limit": limit}).fetchall()


# -- satellites and the provider's archive --------------------------------------------------


def load_tles(conn: psycopg.Connection, tles: list[tuple[str, str, str]]) -> None:
    for name, line1, line2 in tles:
        conn.execute(
            "INSERT INTO dinamis_orders.tle (name, line1, line2) VALUES (%s, %s, %s)"
            " ON CONFLICT (name) DO UPDATE SET line1 = excluded.line1,"
            " line2 = excluded.line2, loaded_at = now()",
            (name, line1, line2),
        )


def get_tles(conn: psycopg.Connection, names: list[str]) -> list[tuple[str, str, str]]:
    rows = conn.execute(
        "SELECT name, line1, line2 FROM dinamis_orders.tle WHERE name = ANY(%s) ORDER BY name",
        (names,),
    )
    return [(name, line1, line2) for name, line1, line2 in rows]


def archive_scenes(
    conn: psycopg.Connection,
    collection: str,
    scene_ids: list[str],
    aoi: dict[str, Any],
    window: tuple[datetime, datetime],
) -> dict[str, dict[str, Any]]:
    """The archive scenes named, with their platform, whether they cross the area of interest
    and whether they were acquired within the window."""
    rows = conn.cursor(row_factory=dict_row).execute(
        "SELECT id, content->'properties'->>'platform' AS platform,"
        " st_intersects(geometry, st_setsrid(st_geomfromgeojson(%(aoi)s), 4326)) AS crosses,"
        " datetime BETWEEN %(start)s AND %(end)s AS in_window"
        " FROM pgstac.items WHERE collection = %(collection)s AND id = ANY(%(ids)s)",
        {
            "aoi": json.dumps(aoi),
            "start": window[0],
            "end": window[1],
            "collection": collection,
            "ids": scene_ids,
        },
    )
    return {row["id"]: row for row in rows}

"""The statistics as SQL over the rollups of ``dinamis_stats`` (kept by triggers as the events,
sign-ins, requests and API key uses are written: see its migrations) and over the requests.

Every query takes the period's time spans (``Period.buckets``) as arrays and an optional entity
(a referent's own figures). A row's first column is the start of its span; a column named by
:data:`stats.models.ALL` in a row sums over that column's groups (SQL grouping sets, so that
distinct counts, such as products, stay exact in totals).

Sums (downloads, km²) add up the days of each span. Distinct counts (products, active users
and entities) cannot: the programme's calendar months and years read their counts, kept as
they happen; other spans and one entity's figures count them from the downloads and active
days of the span.
"""

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, LiteralString

import psycopg
from psycopg.rows import tuple_row

from stats.models import ACTORS, ALL, Actors, Period, Step, Table
from stats.settings import StatsSettings

# ``step``: 'month' or 'year' for a calendar month or year whose counts are kept, else NULL.
# ``first`` and ``after``: the span's days (UTC), the rollups' own keys. ``n``: its rank, which
# ``width_bucket(at, %(los)s)`` finds for a time by bisection instead of comparing each row to
# every span.
_SPANS = """
spans AS (
    SELECT lo, hi, step, (lo AT TIME ZONE 'UTC')::date AS first,
           (hi AT TIME ZONE 'UTC')::date AS after, n
    FROM unnest(%(los)s::timestamptz[], %(his)s::timestamptz[], %(steps)s::text[])
        WITH ORDINALITY AS s (lo, hi, step, n)
)"""

MEMBERS_COLUMNS = (
    "period",
    "category",
    "entities",
    "new_entities",
    "active_entities",
    "users",
    "new_users",
    "active_users",
)

# Members are entities that accepted the membership charter, counted from that day; user
# accounts are counted from their creation. An entity is active when one of its users is.
# Totals at each span's end are those before the first span plus a running sum of the new
# ones: no span is joined to every account.
MEMBERS: LiteralString = f"""
WITH {_SPANS},
people AS (
    SELECT u.id, u.entity_id, e.category::text AS category, u.created_at,
           e.membership_accepted_at AS member_since
    FROM dinamis_access."user" u JOIN dinamis_access.entity e ON e.id = u.entity_id
    WHERE %(entity)s::bigint IS NULL OR u.entity_id = %(entity)s
),
members AS (
    SELECT id, category::text AS category, membership_accepted_at AS since
    FROM dinamis_access.entity
    WHERE membership_accepted_at IS NOT NULL AND (%(entity)s::bigint IS NULL OR id = %(entity)s)
),
categories AS (
    SELECT unnest(enum_range(NULL::dinamis_access.entity_category))::text AS category
),
-- Materialized: inlined, its counts were taken again for each row of the running sums.
before AS MATERIALIZED (
    SELECT c.category,
           (SELECT count(*) FROM members m WHERE m.category = c.category
            AND m.since < (SELECT min(lo) FROM spans)) AS entities,
           (SELECT count(*) FROM people p WHERE p.category = c.category
            AND p.created_at < (SELECT min(lo) FROM spans)) AS users
    FROM categories c
),
new_users AS (
    SELECT s.lo, p.category, count(*) AS n
    FROM people p JOIN spans s ON s.n = width_bucket(p.created_at, %(los)s::timestamptz[])
    WHERE p.created_at < s.hi GROUP BY 1, 2
),
new_members AS (
    SELECT s.lo, m.category, count(*) AS n
    FROM members m JOIN spans s ON s.n = width_bucket(m.since, %(los)s::timestamptz[])
    WHERE m.since < s.hi GROUP BY 1, 2
),
-- An entity is active when one of its users is, and counts from its membership.
active_counts AS (
    SELECT lo, category, sum(users) AS users, sum(entities) AS entities FROM (
        SELECT s.lo, c.category, c.users, 0 AS entities
        FROM spans s JOIN dinamis_stats.active_count c ON c.step = s.step AND c.start = s.first
        UNION ALL
        SELECT s.lo, e.category::text, 0, count(*) FILTER (WHERE e.membership_accepted_at < s.hi)
        FROM spans s
        JOIN dinamis_stats.active_entity a ON a.step = s.step AND a.start = s.first
        JOIN dinamis_access.entity e ON e.id = a.entity_id
        GROUP BY 1, 2
        UNION ALL
        SELECT a.lo, p.category, count(*),
               count(DISTINCT p.entity_id) FILTER (WHERE p.member_since < a.hi)
        FROM (
            SELECT DISTINCT s.lo, s.hi, a.user_id
            FROM spans s JOIN dinamis_stats.active_day a ON a.day >= s.first AND a.day < s.after
            WHERE s.step IS NULL
        ) a
        JOIN people p ON p.id = a.user_id
        GROUP BY 1, 2
    ) counted
    GROUP BY 1, 2
),
per_category AS (
    SELECT s.lo, b.category,
           b.entities + sum(coalesce(nm.n, 0)) OVER w AS entities,
           coalesce(nm.n, 0) AS new_entities, coalesce(ac.entities, 0) AS active_entities,
           b.users + sum(coalesce(nu.n, 0)) OVER w AS users,
           coalesce(nu.n, 0) AS new_users, coalesce(ac.users, 0) AS active_users
    FROM spans s CROSS JOIN before b
    LEFT JOIN new_members nm ON nm.lo = s.lo AND nm.category = b.category
    LEFT JOIN new_users nu ON nu.lo = s.lo AND nu.category = b.category
    LEFT JOIN active_counts ac ON ac.lo = s.lo AND ac.category = b.category
    WINDOW w AS (PARTITION BY b.category ORDER BY s.lo)
)
SELECT lo::date::text, CASE WHEN grouping(category) = 1 THEN '{ALL}' ELSE category END,
       sum(entities)::bigint, sum(new_entities)::bigint, sum(active_entities)::bigint,
       sum(users)::bigint, sum(new_users)::bigint, sum(active_users)::bigint
FROM per_category
WHERE entities > 0 OR users > 0
GROUP BY GROUPING SETS ((lo, category), (lo))
"""

# A download is a product fetched by a user on a day (a client reading a file by ranges sends
# many requests for one download) and counts its product's footprint; a crop counts its own
# area: dinamis_stats.download holds each, download_day their sums by day. One entity's are
# summed from its downloads.
_DOWNLOADS = """
downloads AS (
    SELECT s.lo, r.collection, r.category, r.downloads, r.km2
    FROM spans s JOIN dinamis_stats.download_day r ON r.day >= s.first AND r.day < s.after
    WHERE %(entity)s::bigint IS NULL
    UNION ALL
    SELECT s.lo, d.collection, n.category::text, 1, coalesce(d.area, d.footprint, 0)
    FROM spans s
    JOIN dinamis_stats.download d ON d.day >= s.first AND d.day < s.after
    JOIN dinamis_access.entity n ON n.id = d.entity_id
    WHERE d.entity_id = %(entity)s
)"""

DOWNLOADS_COLUMNS = ("period", "collection", "category", "downloads", "products", "km2")

# Products by collection and category (category 'all': any), kept or counted; products of
# every collection are those of each collection added up (a product is of one collection).
DOWNLOADS: LiteralString = f"""
WITH {_SPANS}, {_DOWNLOADS},
seen AS (
    SELECT DISTINCT s.lo, d.collection, d.item, coalesce(n.category::text, 'anonymous') AS category
    FROM spans s
    JOIN dinamis_stats.download d ON d.day >= s.first AND d.day < s.after
    LEFT JOIN dinamis_access.entity n ON n.id = d.entity_id
    WHERE s.step IS NULL AND (%(entity)s::bigint IS NULL OR d.entity_id = %(entity)s)
),
products AS (
    SELECT s.lo, c.collection, c.category, c.products
    FROM spans s JOIN dinamis_stats.product_count c ON c.step = s.step AND c.start = s.first
    UNION ALL
    SELECT lo, collection, category, count(*) FROM seen GROUP BY 1, 2, 3
    UNION ALL
    SELECT lo, collection, '{ALL}', count(*)
    FROM (SELECT DISTINCT lo, collection, item FROM seen) p GROUP BY 1, 2
),
every_product AS (
    SELECT lo, collection, category, products FROM products
    UNION ALL
    SELECT lo, '{ALL}', category, sum(products) FROM products GROUP BY lo, category
),
sums AS (
    SELECT lo, CASE WHEN grouping(collection) = 1 THEN '{ALL}' ELSE collection END AS collection,
           CASE WHEN grouping(category) = 1 THEN '{ALL}' ELSE category END AS category,
           sum(downloads) AS downloads, sum(km2) AS km2
    FROM downloads
    GROUP BY GROUPING SETS ((lo, collection, category), (lo, collection), (lo, category), (lo))
)
SELECT s.lo::date::text, s.collection, s.category, s.downloads::bigint,
       coalesce(p.products, 0)::bigint, round(coalesce(s.km2, 0)::numeric, 2)
FROM sums s LEFT JOIN every_product p USING (lo, collection, category)
"""

CUMULATIVE_COLUMNS = ("period", "collection", "downloads", "km2")

# Since the start: the spans, preceded by one from before any event, summed in span order; a
# row's figures are those until the end of its span.
CUMULATIVE: LiteralString = f"""
WITH {_SPANS}, {_DOWNLOADS},
per_span AS (
    SELECT lo, CASE WHEN grouping(collection) = 1 THEN '{ALL}' ELSE collection END AS collection,
           sum(downloads) AS downloads, coalesce(sum(km2), 0) AS km2
    FROM downloads GROUP BY GROUPING SETS ((lo, collection), (lo))
),
keys AS (SELECT DISTINCT collection FROM per_span UNION SELECT '{ALL}'),
running AS (
    SELECT s.lo, k.collection,
           sum(coalesce(p.downloads, 0)) OVER w AS downloads,
           sum(coalesce(p.km2, 0)) OVER w AS km2
    FROM spans s CROSS JOIN keys k
    LEFT JOIN per_span p ON p.lo = s.lo AND p.collection = k.collection
    WINDOW w AS (PARTITION BY k.collection ORDER BY s.lo)
)
SELECT lo::date::text, collection, downloads::bigint, round(km2::numeric, 2) FROM running
WHERE lo > (SELECT min(lo) FROM spans)
"""

REQUESTS_COLUMNS = (
    "period",
    "sensor",
    "kind",
    "actors",
    "requests",
    "km2_requested",
    "km2_acquired",
    "attempts",
    "validated_attempts",
)

# Requests count in the span they were submitted in. The sensor is the catalogue collection
# the request's product delivers to, as the rules it was priced with say. Acquired: a
# validated acquisition attempt, or delivered items.
REQUESTS: LiteralString = f"""
WITH {_SPANS},
products AS (
    SELECT r.version, p->>'id' AS id, p->>'collection' AS sensor
    FROM dinamis_orders.rules r CROSS JOIN jsonb_array_elements(r.content->'products') p
),
requests AS (
    SELECT s.lo, coalesce(p.sensor, o.product_id) AS sensor, o.kind,
           CASE WHEN e.category::text = ANY(%(research)s) THEN '{Actors.RESEARCH}'
                WHEN e.category::text = ANY(%(public)s) THEN '{Actors.PUBLIC}'
                ELSE '{Actors.PRIVATE}' END AS actors,
           o.area_km2, t.attempts, t.validated,
           o.status = 'completed' OR t.validated > 0 AS acquired
    FROM spans s
    JOIN dinamis_orders."order" o ON o.created_at >= s.lo AND o.created_at < s.hi
    JOIN dinamis_access.entity e ON e.id = o.entity_id
    LEFT JOIN products p ON p.version = o.rules_version AND p.id = o.product_id
    CROSS JOIN LATERAL (
        SELECT count(*) AS attempts, count(*) FILTER (WHERE a.validated) AS validated
        FROM dinamis_orders.attempt a WHERE a.order_id = o.id
    ) t
    WHERE %(entity)s::bigint IS NULL OR o.entity_id = %(entity)s
)
SELECT lo::date::text,
       CASE WHEN grouping(sensor) = 1 THEN '{ALL}' ELSE sensor END,
       CASE WHEN grouping(kind) = 1 THEN '{ALL}' ELSE kind END,
       CASE WHEN grouping(actors) = 1 THEN '{ALL}' ELSE actors END,
       count(*), round(sum(area_km2)::numeric, 2),
       round(coalesce(sum(area_km2) FILTER (WHERE acquired), 0)::numeric, 2),
       sum(attempts)::bigint, sum(validated)::bigint
FROM requests
GROUP BY GROUPING SETS (
    (lo, sensor, kind, actors), (lo, sensor, actors), (lo, sensor), (lo, actors), (lo, kind), (lo)
)
"""

FOOTPRINTS: LiteralString = """
WITH requests AS (
    SELECT o.id, o.product_id, o.status, o.created_at, o.geometry
    FROM dinamis_orders."order" o
    WHERE o.created_at >= %(start)s AND o.created_at < %(end)s
      AND (%(entity)s::bigint IS NULL OR o.entity_id = %(entity)s)
    ORDER BY o.created_at DESC LIMIT %(limit)s
)
SELECT 'requested', r.id, r.product_id, r.status, r.created_at, r.geometry::text FROM requests r
UNION ALL
SELECT 'delivered', r.id, r.product_id, r.status, r.created_at, ST_AsGeoJSON(i.geometry, 6)
FROM requests r
JOIN dinamis_orders.order_item d ON d.order_id = r.id
JOIN pgstac.items i ON i.id = d.item_id AND i.collection = d.collection
"""


EPOCH = datetime(1, 1, 1, tzinfo=UTC)
"""Before any event: the start of the span the cumulative figures begin with."""


def _sorted(query: str, columns: tuple[str, ...], groups: tuple[str, ...]) -> LiteralString:
    """``query``'s rows by span, then by group with each column's total last."""
    order = ", ".join(f"{name} = '{ALL}', {name}" for name in groups)
    names = ", ".join(columns)
    return f"SELECT * FROM ({query}) AS figure ({names}) ORDER BY period, {order}"  # type: ignore[return-value]


def calendar_step(lo: datetime, hi: datetime) -> Step | None:
    """Whether the span [lo, hi) is a calendar month or year, whose distinct counts are kept."""
    if lo.day != 1:
        return None
    if lo.month == 1 and hi == lo.replace(year=lo.year + 1):
        return Step.YEAR
    following = lo.replace(year=lo.year + lo.month // 12, month=lo.month % 12 + 1)
    return Step.MONTH if hi == following else None


def _params(period: Period, entity: int | None) -> dict[str, Any]:
    spans = period.buckets()
    return {
        "los": [lo for lo, _ in spans],
        "his": [hi for _, hi in spans],
        # One entity's distinct counts are not kept: counted from its own rows.
        "steps": [None if entity else calendar_step(lo, hi) for lo, hi in spans],
        "entity": entity,
        "research": [c.value for c, a in ACTORS.items() if a is Actors.RESEARCH],
        "public": [c.value for c, a in ACTORS.items() if a is Actors.PUBLIC],
    }


class TooLongError(RuntimeError):
    """A statistics query ran past ``StatsSettings.timeout_ms`` and was abandoned."""


def _rows(
    conn: psycopg.Connection, query: LiteralString, params: dict[str, Any], settings: StatsSettings
) -> list[tuple[Any, ...]]:
    try:
        return _run(conn, query, params, settings)
    except psycopg.errors.QueryCanceled as error:
        raise TooLongError(
            f"these figures took more than {settings.timeout_ms / 1000:g} s: ask for a shorter "
            "period or a coarser step."
        ) from error


def _run(
    conn: psycopg.Connection, query: LiteralString, params: dict[str, Any], settings: StatsSettings
) -> list[tuple[Any, ...]]:
    with conn.transaction():
        # A statistics query must not hold a connection for ever, whatever the period.
        conn.execute(f"SET LOCAL statement_timeout = {int(settings.timeout_ms)}")
        conn.execute(f"SET LOCAL work_mem = '{int(settings.work_mem_mb)}MB'")
        # The planner cannot tell how many spans an array holds: its guesses made JIT compile
        # for seconds queries that run in milliseconds.
        conn.execute("SET LOCAL jit = off")
        return conn.cursor(row_factory=tuple_row).execute(query, params).fetchall()


def _table(
    conn: psycopg.Connection,
    name: str,
    columns: tuple[str, ...],
    groups: tuple[str, ...],
    query: str,
    params: dict[str, Any],
    settings: StatsSettings,
) -> Table:
    rows = _rows(conn, _sorted(query, columns, groups), params, settings)
    # Numbers rounded by SQL come back as Decimal: JSON and CSV show them as plain numbers.
    plain = [tuple(float(v) if isinstance(v, Decimal) else v for v in row) for row in rows]
    return Table(name, columns, plain)


def members(
    conn: psycopg.Connection, period: Period, entity: int | None, settings: StatsSettings
) -> Table:
    """Member entities and user accounts (total, new, active) by entity category."""
    params = _params(period, entity)
    return _table(conn, "members", MEMBERS_COLUMNS, ("category",), MEMBERS, params, settings)


def downloads(
    conn: psycopg.Connection, period: Period, entity: int | None, settings: StatsSettings
) -> Table:
    """Downloads, distinct products and km² by collection and entity category."""
    groups = ("collection", "category")
    params = _params(period, entity)
    return _table(conn, "downloads", DOWNLOADS_COLUMNS, groups, DOWNLOADS, params, settings)


def cumulative(
    conn: psycopg.Connection, period: Period, entity: int | None, settings: StatsSettings
) -> Table:
    """Downloads and km² since the first event, at the end of each span, by collection."""
    params = _params(period, entity)
    params["los"] = [EPOCH, *params["los"]]
    params["his"] = [period.start, *params["his"]]
    params["steps"] = [None, *params["steps"]]
    groups = ("collection",)
    return _table(conn, "cumulative", CUMULATIVE_COLUMNS, groups, CUMULATIVE, params, settings)


def requests(
    conn: psycopg.Connection, period: Period, entity: int | None, settings: StatsSettings
) -> Table:
    """Imagery requests, km² requested and acquired, attempts, by sensor, kind and actors."""
    groups = ("sensor", "kind", "actors")
    params = _params(period, entity)
    return _table(conn, "requests", REQUESTS_COLUMNS, groups, REQUESTS, params, settings)


FIGURES = {
    "members": members,
    "downloads": downloads,
    "requests": requests,
    "cumulative": cumulative,
}
"""Each figure's query, by the name the API, the command and the page use."""


def footprints(
    conn: psycopg.Connection, period: Period, entity: int | None, settings: StatsSettings
) -> dict[str, Any]:
    """The areas requested in the period (the newest ``max_footprints`` requests) and the footprints
    of the items delivered for them, as a GeoJSON FeatureCollection."""
    params = {
        "start": period.start,
        "end": period.end,
        "entity": entity,
        "limit": settings.max_footprints,
    }
    rows = _rows(conn, FOOTPRINTS, params, settings)
    features = [
        {
            "type": "Feature",
            "geometry": json.loads(geometry),
            "properties": {
                "footprint": kind,
                "request": order_id,
                "product": product,
                "status": status,
                "created": created.isoformat(),
            },
        }
        for kind, order_id, product, status, created, geometry in rows
    ]
    return {"type": "FeatureCollection", "features": features}

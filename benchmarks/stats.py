"""What the usage statistics cost at the programme's scale: ten years of activity seeded in
SQL, each statistics query timed bare through psycopg and through the STAC API.

    python -m benchmarks.stats                 # a twentieth of the programme (a minute or two)
    python -m benchmarks.stats --scale 1       # 2,000 entities, 20,000 users, 1 M events,
                                               # 20,000 requests (several minutes to seed)

Seeds a throwaway embedded database with generate_series (2012 to 2021: entities, users,
portal sign-ins, download and crop events, imagery requests with attempts and deliveries,
catalogue items whose footprints downloads count), then, for each query — one year, ten years
by month, cumulative since the start, a referent's entity, the footprints map — prints p50 and
p95 (ms) of the store function on a psycopg connection and of the same figure over HTTP, and
their ratio.
"""

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import date

import httpx
import psycopg

from access import store as access_store
from access.models import EntityCategory, Role
from benchmarks.harness import served, throwaway_database
from dinamis.settings import Settings
from orders import store as orders_store
from orders.rules import load_rules
from stats import store
from stats.models import Period, Step
from stats.settings import StatsSettings

FULL = {"entities": 2000, "users": 20_000, "events": 1_000_000, "requests": 20_000}
YEARS = (2012, 2021)

SEED = """
INSERT INTO dinamis_access.entity (name, category, status, membership_version,
                                   membership_accepted_at, created_at)
SELECT 'Bench entity ' || n,
       (enum_range(NULL::dinamis_access.entity_category))[1 + n %% 5],
       'active', 'bench', t, t
FROM (
    SELECT n, %(start)s::timestamptz + random() * (%(end)s::timestamptz - %(start)s) AS t
    FROM generate_series(1, %(entities)s) n
) w;

INSERT INTO dinamis_access."user" (entity_id, email, name, status, created_at)
SELECT e.id, 'bench' || n || '@stats.bench', 'User ' || n, 'active',
       e.created_at + random() * (%(end)s::timestamptz - e.created_at)
FROM generate_series(1, %(users)s) n
JOIN dinamis_access.entity e ON e.name = 'Bench entity ' || (1 + n %% %(entities)s);

INSERT INTO dinamis_portal.sign_in (user_id, at)
SELECT u.id, u.created_at + random() * (%(end)s::timestamptz - u.created_at)
FROM dinamis_access."user" u, generate_series(1, 5)
WHERE u.email LIKE '%%@stats.bench';

CREATE TEMPORARY TABLE bench_user AS
SELECT row_number() OVER () AS n, id, entity_id, created_at FROM dinamis_access."user"
WHERE email LIKE '%%@stats.bench';
CREATE INDEX ON bench_user (n);

INSERT INTO dinamis_access.download_event
    (user_id, entity_id, collection, item, asset, area_km2, bytes, kind, at)
SELECT u.id, u.entity_id, r.collection, 'BENCH-' || r.collection || '-' || r.product, 'image',
       CASE WHEN r.kind = 'crop' THEN 1 + random() * 99 END, 1000000,
       r.kind::dinamis_access.event_kind,
       u.created_at + random() * (%(end)s::timestamptz - u.created_at)
FROM generate_series(1, %(events)s) AS g (i)
CROSS JOIN LATERAL (
    SELECT 1 + (g.i::bigint * 7919) %% %(users)s AS pick,
           (g.i::bigint * 31) %% %(products)s AS product,
           (ARRAY['pleiades', 'spot-6-7', 'pleiades-neo'])[1 + g.i %% 3] AS collection,
           (ARRAY['download', 'download', 'crop', 'tile'])[1 + g.i %% 4] AS kind
) r
JOIN bench_user u ON u.n = r.pick;

INSERT INTO dinamis_orders."order" (product_id, kind, user_id, entity_id, geometry,
    window_start, window_end, parameters, area_km2, rules_version, quote, status, created_at)
SELECT p.id, p.kind, u.id, u.entity_id,
       jsonb_build_object('type', 'Polygon', 'coordinates', jsonb_build_array(jsonb_build_array(
           jsonb_build_array(x, y), jsonb_build_array(x + 0.3, y),
           jsonb_build_array(x + 0.3, y + 0.2), jsonb_build_array(x, y + 0.2),
           jsonb_build_array(x, y)))),
       t, t + interval '30 days', '{}', 100 + random() * 4900, %(rules)s, '{}',
       (ARRAY['completed', 'completed', 'rejected', 'failed', 'tasked'])[1 + s.i %% 5], t
FROM generate_series(1, %(requests)s) AS s (i)
JOIN bench_user u ON u.n = 1 + (s.i::bigint * 104729) %% %(users)s
CROSS JOIN LATERAL (SELECT (ARRAY['pleiades-archive', 'pleiades-tasking',
                    'pleiades-neo-tasking', 'spot-archive', 'spot-tasking'])[1 + s.i %% 5] AS id) q
CROSS JOIN LATERAL (SELECT q.id, split_part(q.id, '-', -1) AS kind) p
CROSS JOIN LATERAL (SELECT -4 + random() * 11 AS x, 42 + random() * 8 AS y,
                    u.created_at + random() * (%(end)s::timestamptz - u.created_at) AS t) g;

INSERT INTO dinamis_orders.attempt (order_id, acquired_at, cloud_cover, validated)
SELECT o.id, o.created_at + interval '3 days', 20, a = 2
FROM dinamis_orders."order" o, generate_series(1, 2) a
WHERE o.kind = 'tasking';

INSERT INTO dinamis_orders.order_item (order_id, collection, item_id)
SELECT o.id, 'pleiades', 'BENCH-pleiades-' || (o.id %% %(products)s)
FROM dinamis_orders."order" o WHERE o.status = 'completed';
"""

# Catalogue items whose footprints downloads count (their events carry no area).
ITEMS = """
INSERT INTO pgstac.items_staging (content)
SELECT jsonb_build_object(
    'type', 'Feature', 'stac_version', '1.1.0', 'id', 'BENCH-' || c || '-' || n,
    'collection', c, 'geometry', ST_AsGeoJSON(ST_MakeEnvelope(x, y, x + 0.2, y + 0.15))::jsonb,
    'bbox', jsonb_build_array(x, y, x + 0.2, y + 0.15),
    'properties', jsonb_build_object('datetime', '2015-06-01T10:00:00Z'),
    'assets', '{}'::jsonb, 'links', '[]'::jsonb)
FROM unnest(ARRAY['pleiades', 'spot-6-7', 'pleiades-neo']) c,
     generate_series(0, %(products)s - 1) n,
     LATERAL (SELECT -4 + (n %% 100) * 0.1 AS x, 42 + (n / 100) * 0.1 AS y) g
"""


def seed(url: str, scale: float) -> tuple[dict[str, int], str, int]:
    counts = {name: max(10, int(full * scale)) for name, full in FULL.items()}
    params = {
        **counts,
        "products": max(50, int(5000 * scale)),
        "start": date(YEARS[0], 1, 1),
        "end": date(YEARS[1] + 1, 1, 1),
    }
    rules = load_rules()
    with psycopg.connect(url) as conn:
        orders_store.ensure_rules(conn, rules)
        params["rules"] = rules.version
        for statement in SEED.split(";\n\n"):
            conn.execute(statement, params)
        # pgSTAC's loading trigger names its tables unqualified.
        conn.execute("SET search_path TO pgstac, public")
        conn.execute(ITEMS, params)
        staff = access_store.create_entity(conn, "Bench staff", EntityCategory.FRENCH_PUBLIC_BODY)
        access_store.activate_entity(conn, staff.id)
        user = access_store.create_user(conn, staff.id, "ops@stats.bench", "Ops", Role.OPERATOR)
        access_store.activate_user(conn, user.id)
        key = access_store.issue_key(conn, user.id).secret
        (entity,) = conn.execute(
            "SELECT id FROM dinamis_access.entity WHERE name = 'Bench entity 1'"
        ).fetchone()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return counts, key, entity


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def timed(call: Callable[[], object], repeats: int) -> tuple[float, float]:
    call()  # warm: plans, caches, as a steady server is
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return percentiles(samples)


def run(url: str, settings: Settings, args: argparse.Namespace) -> None:
    started = time.perf_counter()
    counts, key, entity = seed(url, args.scale)
    print(
        f"seeded {counts['entities']:,} entities, {counts['users']:,} users, "
        f"{counts['events']:,} events, {counts['requests']:,} requests "
        f"in {time.perf_counter() - started:.0f} s"
    )
    limits = StatsSettings(timeout_ms=args.timeout_ms)
    env = {"DINAMIS_STATS_TIMEOUT_MS": str(args.timeout_ms)}
    year = ("2020-01-01", "2020-12-31")
    decade = ("2012-01-01", "2021-12-31")
    cases = [
        # name, figure, period, by, entity
        *((f"{f} 2020", f, year, Step.PERIOD, None) for f in store.FIGURES),
        *((f"{f} 2012-2021 by month", f, decade, Step.MONTH, None) for f in store.FIGURES),
        ("downloads 2012-2021 by year", "downloads", decade, Step.YEAR, None),
        ("members 2020, one entity", "members", year, Step.PERIOD, entity),
        ("requests 2020, one entity", "requests", year, Step.PERIOD, entity),
        ("footprints 2020", "footprints", year, Step.PERIOD, None),
    ]
    headers = {"Authorization": f"Bearer {key}"}
    print(f"\n{args.repeats} runs per row; latency in ms; x = HTTP p50 / psycopg p50")
    print(
        f"{'query':<34}{'rows':>6}{'sql p50':>9}{'sql p95':>9}{'http p50':>10}"
        f"{'http p95':>10}{'x':>6}"
    )
    with (
        served("stac_api.app:create_app", "/_mgmt/ping", url, settings, env) as api,
        httpx.Client(timeout=300, headers=headers) as http,
        psycopg.connect(url) as conn,
    ):
        for name, figure, (first, last), by, scope in cases:
            period = Period(date.fromisoformat(first), date.fromisoformat(last), by)

            def bare(f: str = figure, p: Period = period, e: int | None = scope) -> int:
                if f == "footprints":
                    return len(store.footprints(conn, p, e, limits)["features"])
                return len(store.FIGURES[f](conn, p, e, limits).rows)

            params = {"from": first, "to": last, "by": by.value}
            if scope:
                params["entity"] = str(scope)

            def over_http(f: str = figure, p: dict = params) -> None:
                http.get(f"{api}/stats/{f}", params=p).raise_for_status()

            try:
                rows = bare()
                sql = timed(bare, args.repeats)
                web = timed(over_http, args.repeats)
            except (store.TooLongError, httpx.HTTPStatusError) as error:
                print(f"{name:<34} over the time limit: {error}")
                continue
            print(
                f"{name:<34}{rows:>6}{sql[0]:>9.1f}{sql[1]:>9.1f}{web[0]:>10.1f}{web[1]:>10.1f}"
                f"{web[0] / sql[0]:>6.2f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--scale", type=float, default=0.05, help="share of the programme's scale (1 = full)"
    )
    parser.add_argument("--repeats", type=int, default=10, help="timed runs per query")
    parser.add_argument(
        "--timeout-ms", type=int, default=120_000, help="time limit of one statistics query"
    )
    args = parser.parse_args()
    with throwaway_database() as (url, settings):
        run(url, settings, args)


if __name__ == "__main__":
    main()

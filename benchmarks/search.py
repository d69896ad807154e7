"""Search latency of the STAC API against pgSTAC's own search() SQL function, in one run.

    python -m benchmarks.search 100000 --repeat 50
    python -m benchmarks.search 1000000 --context     # what numberMatched costs, per mode
    python -m benchmarks.search 1000000 --data-dir ~/bench-1m --baseline --pages 50
        # built once, reused (and grown) by the next runs with the same folder

Starts a throwaway embedded database (or the one kept in --data-dir), loads N synthetic items
(only those it lacks), serves
the STAC API with uvicorn in a separate process, and prints p50/p95 of typical searches over
HTTP and through ``SELECT search(...)``; the ratio is the cost of the API layer. Then the same
filters through /aggregate (all six aggregations) against /search.
"""

import argparse
import gc
import json
import random
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import psycopg
import pypgstac
from fastapi.encoders import jsonable_encoder
from pypgstac.load import Loader, Methods
from rich.progress import track
from starlette.responses import JSONResponse

from benchmarks.harness import served, throwaway_database
from dinamis import database
from dinamis.catalog import PARTITION_TRUNC
from dinamis.embedded import SERVER_SETTINGS
from stac_api.encoding import ORJSONGeoJSONResponse
from stac_api.settings import ApiSettings
from stac_api.synthetic import synthetic_items

# The pgSTAC function dinamis/sql/pgstac_workarounds.sql replaces, which --baseline restores.
PATCHED_FUNCTION = "get_token_record"
DATABASE = "dinamis"


def percentile(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


def timed(call: Callable[[], object], repeat: int) -> list[float]:
    call()  # warm caches and plans once, as a steady server would be
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def searches(rng: random.Random) -> dict[str, dict]:
    lon, lat = rng.uniform(-4, 7), rng.uniform(43, 50)
    bbox_datetime = {
        "collections": ["pleiades"],
        "bbox": [lon, lat, lon + 0.5, lat + 0.5],
        "datetime": "2016-01-01T00:00:00Z/2019-12-31T23:59:59Z",
        "limit": 10,
    }
    cloud_cover = {"op": "<", "args": [{"property": "eo:cloud_cover"}, 10]}
    return {
        "bbox + datetime": bbox_datetime,
        "bbox + datetime, limit 100": {**bbox_datetime, "limit": 100},
        "CQL2 cloud cover": {
            "collections": ["pleiades"],
            "filter-lang": "cql2-json",
            "filter": cloud_cover,
            "limit": 10,
        },
        "CQL2 cloud cover + incidence": {
            "collections": ["pleiades"],
            "filter-lang": "cql2-json",
            "filter": {
                "op": "and",
                "args": [
                    cloud_cover,
                    {"op": "<=", "args": [{"property": "view:incidence_angle"}, 15]},
                ],
            },
            "limit": 10,
        },
        "whole collection": {"collections": ["pleiades"], "limit": 10},
        "sort by datetime": {
            "collections": ["pleiades"],
            "sortby": [{"field": "datetime", "direction": "asc"}],
            "limit": 10,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, help="synthetic items to load (try 100000)")
    parser.add_argument("--repeat", type=int, default=50, help="timed runs per search")
    parser.add_argument(
        "--pages", type=int, default=5, help="pages of the paging walk (50 for a deep walk)"
    )
    parser.add_argument("--page-size", type=int, default=100, help="items per page of the walk")
    parser.add_argument("--walks", type=int, default=3, help="times the walk is made")
    parser.add_argument(
        "--clients", type=int, default=4, help="clients making the same search at once"
    )
    parser.add_argument(
        "--aggregate", action="store_true", help="also time /aggregate against /search"
    )
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="first measure with PostgreSQL's default planner settings and pgSTAC's own "
        "functions (without this project's tuning and workarounds), then with them",
    )
    parser.add_argument(
        "--context",
        action="store_true",
        help="also time pgSTAC's search() per context mode (off, auto, on) with and without "
        "its count cache, and say which numberMatched figures are estimates",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="keep the database in this folder and reuse it: a catalogue of 1 M items is loaded "
        "once, and a larger COUNT later only adds the missing items",
    )
    parser.add_argument(
        "--partition",
        choices=("none", "year", "month"),
        default=PARTITION_TRUNC,
        help="pgSTAC partitioning of the synthetic collection (default: the catalogue's, "
        "dinamis.catalog.PARTITION_TRUNC). Another on a kept database moves every item twice "
        "a run, from the catalogue's and back: minutes at 1 M",
    )
    args = parser.parse_args()

    with throwaway_database(args.data_dir) as (url, settings):
        load(url, args.count, None if args.partition == "none" else args.partition)
        phases = {}
        for baseline in (True, False) if args.baseline else (False,):
            tuned(url, not baseline)
            print(f"\n== {'baseline' if baseline else 'tuned'} ==")
            # A server per phase: its connections open with the phase's settings; the baseline
            # has pgSTAC hydrate the items, as stac-fastapi-pgstac does by default.
            hydrate = {"USE_API_HYDRATE": str(not baseline).lower()}
            with served("stac_api.app:create_app", "/_mgmt/ping", url, settings, hydrate) as api:
                phases[baseline] = measure(
                    api, url, args, ApiSettings(use_api_hydrate=not baseline)
                )
        if args.baseline:
            # The tuned API has pgSTAC skip hydration, so its search() does less than the
            # released one: the same answers compared, the tuned API against search() as released.
            print("\n== tuned API against pgSTAC's search() as released (baseline SQL) ==")
            print_table(
                ("HTTP tuned", "SQL base"),
                [
                    (name, http, sql)
                    for (name, http, _), (_, _, sql) in zip(
                        phases[False], phases[True], strict=True
                    )
                ],
            )
        if args.context:
            measure_context(url, args)


def tuned(url: str, on: bool) -> None:
    """This project's planner settings and pgSTAC workarounds (on), or PostgreSQL's defaults
    and pgSTAC's functions as released (off), for the sessions opened from now on."""
    with psycopg.connect(url, autocommit=True) as conn:
        # The embedded cluster's settings a session can change (not shared_buffers, say).
        defaults = conn.execute(
            "SELECT name, boot_val FROM pg_settings "
            "WHERE name = ANY(%s) AND context IN ('user', 'superuser')",
            (list(SERVER_SETTINGS),),
        ).fetchall()
        for name, default in defaults:
            if on:
                conn.execute(f"ALTER DATABASE {DATABASE} RESET {name}")
            else:
                conn.execute(f"ALTER DATABASE {DATABASE} SET {name} = '{default}'")
        if on:
            conn.execute(database.PGSTAC_WORKAROUNDS_SQL.read_text())
        else:
            conn.execute(pgstac_original(PATCHED_FUNCTION))


def pgstac_original(function: str) -> str:
    """The definition of ``function`` in the installed pypgstac's own migration."""
    migrations = Path(pypgstac.__file__).parent / "migrations"
    text = (migrations / f"pgstac.{pypgstac.__version__}.sql").read_text()
    start = text.index(f"CREATE OR REPLACE FUNCTION {function}(")
    end = text.index("$$ LANGUAGE", start)
    return "SET search_path TO pgstac, public;\n" + text[start : text.index(";", end) + 1]


def load(url: str, count: int, partition_trunc: str | None) -> None:
    """Partition the collection as asked, then load the items it lacks (the synthetic items
    are deterministic, so a kept catalogue grows into the same one a fresh load would give)."""
    with psycopg.connect(url, autocommit=True) as conn:
        # pgSTAC's trigger moves the items already loaded into the new partitions.
        conn.execute(
            "UPDATE pgstac.collections SET partition_trunc = %s "
            "WHERE id = 'pleiades' AND partition_trunc IS DISTINCT FROM %s",
            (partition_trunc, partition_trunc),
        )
        loaded = conn.execute(
            "SELECT count(*) FROM pgstac.items WHERE collection = 'pleiades'"
        ).fetchone()[0]
    if loaded < count:
        start = time.perf_counter()
        items = islice(synthetic_items(count, seed=1), loaded, None)
        with database.pgstac_db(url) as db:
            Loader(db).load_items(
                track(items, total=count - loaded, description="loading"),
                insert_mode=Methods.insert,
            )
        load_s = time.perf_counter() - start
        rate = (count - loaded) / load_s
        print(f"loaded {count - loaded} items in {load_s:.1f} s ({rate:.0f} items/s)")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE pgstac.items")  # the planner's estimates need statistics
    elif loaded > count:
        raise SystemExit(f"the kept database holds {loaded} items, more than {count}")
    print(f"{count} items, partitioned by {partition_trunc or 'nothing'}")


def search_sql(conn: psycopg.Connection, settings: ApiSettings) -> Callable[[dict], dict]:
    """pgSTAC's search() as the API calls it, on ``conn`` (search_path pgstac): numberMatched
    counted as the API's settings say, items hydrated where they say."""
    conf = {**settings.pgstac_conf, "nohydrate": settings.use_api_hydrate}

    def sql(body: dict) -> dict:
        request = json.dumps({**body, "conf": conf})
        return conn.execute("SELECT search(%s::text::jsonb)", (request,)).fetchone()[0]

    return sql


def measure(
    api: str, url: str, args: argparse.Namespace, api_settings: ApiSettings
) -> list[tuple[str, list[float], list[float]]]:
    """Each search's times over HTTP and through search(), as printed."""
    # This process's own garbage collections are no cost of the API nor of pgSTAC: what lives
    # on (the loaded catalogue's leftovers, modules) is set aside, so a collection walking it
    # does not pause one side's timing at random (tens of ms per 250 KB page parsed).
    gc.collect()
    gc.freeze()
    # Uncompressed, as search() answers: compression is the client's choice (below, its cost).
    client = httpx.Client(timeout=60, headers={"Accept-Encoding": "identity"})
    conn = psycopg.connect(url, autocommit=True, options="-c search_path=pgstac,public")
    sql = search_sql(conn, api_settings)

    rows = []
    for name, body in searches(random.Random(7)).items():
        http = timed(
            lambda b=body: client.post(f"{api}/search", json=b).raise_for_status(), args.repeat
        )
        rows.append((name, http, timed(lambda b=body: sql(b), args.repeat)))
    # The same filter as CQL2 text in a GET, as STAC Browser, QGIS and pystac-client send it.
    cloud = searches(random.Random(7))["CQL2 cloud cover"]
    as_text = {"collections": "pleiades", "filter-lang": "cql2-text", "limit": 10}
    rows.append(
        (
            "CQL2 cloud cover, GET cql2-text",
            timed(
                lambda: client.get(
                    f"{api}/search", params={**as_text, "filter": "eo:cloud_cover < 10"}
                ).raise_for_status(),
                args.repeat,
            ),
            timed(lambda: sql(cloud), args.repeat),
        )
    )
    # What a client asking for Brotli (httpx's and requests' default) adds at 100 items a page.
    brotli = searches(random.Random(7))["bbox + datetime, limit 100"]
    compressed = httpx.Client(timeout=60, headers={"Accept-Encoding": "br"})
    rows.append(
        (
            "bbox + datetime, limit 100, br",
            timed(
                lambda: compressed.post(f"{api}/search", json=brotli).raise_for_status(),
                args.repeat,
            ),
            timed(lambda: sql(brotli), args.repeat),
        )
    )

    # A deep paging walk, each page timed: following the next links over HTTP, and the same
    # tokens through search().
    walk = {"collections": ["pleiades"], "limit": args.page_size}
    http_pages: list[list[float]] = []
    sql_pages: list[list[float]] = []
    for _ in range(args.walks):
        times, page = [], None
        for _ in range(args.pages):
            start = time.perf_counter()
            if page is None:
                answer = client.get(f"{api}/search", params={**walk, "collections": "pleiades"})
            else:
                answer = client.get(next_href(page))
            page = answer.raise_for_status().json()
            times.append((time.perf_counter() - start) * 1000)
        http_pages.append(times)
        times, body = [], dict(walk)
        for _ in range(args.pages):
            start = time.perf_counter()
            page = sql(body)
            times.append((time.perf_counter() - start) * 1000)
            body["token"] = parse_qs(urlsplit(next_href(page)).query)["token"][0]
        sql_pages.append(times)
    for label, index in (("page 1", 0), (f"page {args.pages}", args.pages - 1)):
        rows.append(
            (
                f"walk of {args.page_size}/page, {label}",
                [times[index] for times in http_pages],
                [times[index] for times in sql_pages],
            )
        )
    rows.append(
        (
            f"walk of {args.page_size}/page, every page",
            [t for times in http_pages for t in times],
            [t for times in sql_pages for t in times],
        )
    )
    print_table(("HTTP", "SQL"), rows)
    # The least any answer costs this client and server: a health check, no database.
    floor = timed(lambda: client.get(f"{api}/_mgmt/ping").raise_for_status(), args.repeat)
    print(
        f"\nHTTP floor (GET /_mgmt/ping, same client): p50 {percentile(floor, 50):.2f} ms, "
        f"p95 {percentile(floor, 95):.2f} ms"
    )
    concurrent(api, args)
    encoding(client, api)
    if args.aggregate:
        aggregate(client, api, rows, args)
    return rows


def concurrent(api: str, args: argparse.Namespace) -> None:
    """The same search (the whole collection, its count estimated) by several clients at once,
    as many users opening the catalogue: do they wait on one another?"""
    body = {"collections": ["pleiades"], "limit": 10}

    def client_run(_: int) -> list[float]:
        with httpx.Client(timeout=60) as client:
            return timed(
                lambda: client.post(f"{api}/search", json=body).raise_for_status(), args.repeat
            )

    start = time.perf_counter()
    with ThreadPoolExecutor(args.clients) as pool:
        times = [t for run in pool.map(client_run, range(args.clients)) for t in run]
    rate = len(times) / (time.perf_counter() - start)
    print(
        f"\n{args.clients} clients, same search: p50 {percentile(times, 50):.1f} ms, "
        f"p95 {percentile(times, 95):.1f} ms, {rate:.0f} searches/s"
    )


def next_href(page: dict) -> str:
    return next(link["href"] for link in page["links"] if link["rel"] == "next")


def encoding(client: httpx.Client, api: str) -> None:
    """What serialising a page of 100 items costs FastAPI's way (jsonable_encoder, then
    json.dumps, as for an endpoint returning a dict) and orjson's, in this process."""
    page = client.post(f"{api}/search", json={"collections": ["pleiades"], "limit": 100}).json()
    fastapi = timed(lambda: JSONResponse(jsonable_encoder(page)), 20)
    orjson_ = timed(lambda: ORJSONGeoJSONResponse(page), 20)
    print(
        f"\nencoding a page of 100 items: FastAPI's {percentile(fastapi, 50):.1f} ms, "
        f"orjson {percentile(orjson_, 50):.1f} ms"
    )


def aggregate(
    client: httpx.Client,
    api: str,
    rows: list[tuple[str, list[float], list[float]]],
    args: argparse.Namespace,
) -> None:
    """/aggregate (every aggregation at once) next to /search, over the same filters."""
    aggregations = {
        "aggregations": [
            "total_count",
            "datetime_frequency",
            "collection_frequency",
            "platform_frequency",
            "cloud_cover_frequency",
            "centroid_geohash_grid_frequency",
        ]
    }
    compared = []
    for (name, http, _), body in zip(rows, searches(random.Random(7)).values(), strict=False):
        request = {k: v for k, v in body.items() if k not in ("limit", "sortby")} | aggregations
        answer = client.post(f"{api}/aggregate", json=request)
        if answer.status_code != 200:  # say why, and measure the others
            print(f"/aggregate refused {name}: {answer.status_code} {answer.text}")
            continue
        aggregate = timed(
            lambda b=request: client.post(f"{api}/aggregate", json=b).raise_for_status(),
            args.repeat,
        )
        compared.append((name, aggregate, http))
    print_table(("aggregate", "search"), compared)


def print_table(columns: tuple[str, str], rows: list[tuple[str, list[float], list[float]]]) -> None:
    """p50/p95 of two ways to do each thing, and the ratios (first / second) of their medians
    and of their 95th percentiles."""
    header = [f"{c} {p}" for c in columns for p in ("p50", "p95")]
    print(
        f"\n{'search':<34}"
        + "".join(f"{h:>15}" for h in header)
        + f"{'ratio p50':>10}{'ratio p95':>10}"
    )
    for name, first, second in rows:
        p50_first, p50_second = percentile(first, 50), percentile(second, 50)
        p95_first, p95_second = percentile(first, 95), percentile(second, 95)
        print(
            f"{name:<34}{p50_first:>13.1f}ms{p95_first:>13.1f}ms"
            f"{p50_second:>13.1f}ms{p95_second:>13.1f}ms"
            f"{p50_first / p50_second:>10.2f}{p95_first / p95_second:>10.2f}"
        )


def measure_context(url: str, args: argparse.Namespace) -> None:
    """numberMatched against no count at all (context off), with pgSTAC's count cache as
    configured (a filter counted once per TTL) and with no cache (TTL 0: every page counts)."""
    conn = psycopg.connect(url, autocommit=True, options="-c search_path=pgstac,public")

    def run(body: dict, **conf: str) -> dict:
        request = {**body, "conf": conf}
        return conn.execute("SELECT search(%s::text::jsonb)", (json.dumps(request),)).fetchone()[0]

    rows, notes = [], []
    for name, body in searches(random.Random(7)).items():
        exact = run(body, context="on", context_stats_ttl="0")["numberMatched"]
        auto = run(body, context="auto", context_stats_ttl="0")["numberMatched"]
        # What pgSTAC decided for this filter: total_count stays NULL when it kept its estimate.
        estimated, rows_estimate, cost = conn.execute(
            "SELECT total_count IS NULL, estimated_count, estimated_cost FROM where_stats("
            "stac_search_to_where(%s::text::jsonb), true, %s::text::jsonb)",
            (json.dumps(body), json.dumps({"context": "auto"})),
        ).fetchone()
        kind = f"estimate ({auto / exact:.3f} of exact)" if estimated else "exact count"
        notes.append(
            f"{name:<34}exact {exact:>8}  auto {auto:>8}  {kind}"
            f"  (planner: {rows_estimate} rows, cost {cost:.0f})"
        )
        off = timed(lambda b=body: run(b, context="off"), args.repeat)
        for mode, ttl in (("auto", "1 day"), ("auto", "0"), ("on", "1 day"), ("on", "0")):
            cost = timed(
                lambda b=body, m=mode, t=ttl: run(b, context=m, context_stats_ttl=t),
                args.repeat,
            )
            cache = "cached" if ttl != "0" else "uncached"
            rows.append((f"{name[:14]} {mode} {cache}", cost, off))
    print("\nnumberMatched with pgSTAC's default thresholds (100000 rows and cost):")
    print("\n".join(notes))
    print_table(("context", "off"), rows)


if __name__ == "__main__":
    main()

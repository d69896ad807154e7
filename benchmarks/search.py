"""Search latency of the STAC API against pgSTAC's own search() SQL function, in one run.

    python -m benchmarks.search 100000 --repeat 50
    python -m benchmarks.search 1000000 --context     # what numberMatched costs, per mode

Starts a throwaway embedded database, loads N synthetic items, serves
the STAC API with uvicorn in a separate process, and prints p50/p95 of typical searches over
HTTP and through ``SELECT search(...)``; the ratio is the cost of the API layer. Then the same
filters through /aggregate (all six aggregations) against /search.
"""

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import psycopg
from pypgstac.load import Loader, Methods

from benchmarks.harness import served, throwaway_database
from dinamis import database
from stac_api.synthetic import synthetic_items


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
    return {
        "bbox + datetime": {
            "collections": ["pleiades"],
            "bbox": [lon, lat, lon + 0.5, lat + 0.5],
            "datetime": "2016-01-01T00:00:00Z/2019-12-31T23:59:59Z",
            "limit": 10,
        },
        "CQL2 cloud cover": {
            "collections": ["pleiades"],
            "filter-lang": "cql2-json",
            "filter": {"op": "<", "args": [{"property": "eo:cloud_cover"}, 10]},
            "limit": 10,
        },
        "whole collection": {"collections": ["pleiades"], "limit": 10},
        "sort by datetime": {
            "collections": ["pleiades"],
            "sortby": [{"field": "datetime", "direction": "desc"}],
            "limit": 10,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, help="synthetic items to load (try 100000)")
    parser.add_argument("--repeat", type=int, default=50, help="timed runs per search")
    parser.add_argument("--pages", type=int, default=5, help="pages followed in the paging case")
    parser.add_argument(
        "--context",
        action="store_true",
        help="also time pgSTAC's search() per context mode (off, auto, on) with and without "
        "its count cache, and say which numberMatched figures are estimates",
    )
    args = parser.parse_args()

    with throwaway_database() as (url, settings):
        start = time.perf_counter()
        with database.pgstac_db(url) as db:
            Loader(db).load_items(synthetic_items(args.count, seed=1), insert_mode=Methods.insert)
        load_s = time.perf_counter() - start
        print(f"loaded {args.count} items in {load_s:.1f} s ({args.count / load_s:.0f} items/s)")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE pgstac.items")  # the planner's estimates need statistics
        with served("stac_api.app:create_app", "/_mgmt/ping", url, settings) as api:
            measure(api, url, args)
        if args.context:
            measure_context(url, args)


def measure(api: str, url: str, args: argparse.Namespace) -> None:
    client = httpx.Client(timeout=60)
    conn = psycopg.connect(url, autocommit=True, options="-c search_path=pgstac,public")
    rows = []
    for name, body in searches(random.Random(7)).items():
        http = timed(
            lambda b=body: client.post(f"{api}/search", json=b).raise_for_status(), args.repeat
        )
        sql = timed(
            lambda b=body: conn.execute(
                "SELECT search(%s::text::jsonb)", (json.dumps(b),)
            ).fetchone(),
            args.repeat,
        )
        rows.append((name, http, sql))

    def follow_http() -> None:
        page = client.get(f"{api}/search", params={"collections": "pleiades", "limit": 10}).json()
        for _ in range(args.pages - 1):
            href = next(link["href"] for link in page["links"] if link["rel"] == "next")
            page = client.get(href).json()

    def follow_sql() -> None:
        body: dict = {"collections": ["pleiades"], "limit": 10}
        for _ in range(args.pages):
            page = conn.execute("SELECT search(%s::text::jsonb)", (json.dumps(body),)).fetchone()[0]
            href = next(link["href"] for link in page["links"] if link["rel"] == "next")
            body["token"] = parse_qs(urlsplit(href).query)["token"][0]

    rows.append(
        (
            f"paging ({args.pages} pages)",
            timed(follow_http, args.repeat // 2 or 1),
            timed(follow_sql, args.repeat // 2 or 1),
        )
    )

    print_table(("HTTP", "SQL"), rows)

    # /aggregate (every aggregation at once) next to /search, over the same filters.
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
    """p50/p95 of two ways to do each thing, and the ratio of their medians (first / second)."""
    header = [f"{c} {p}" for c in columns for p in ("p50", "p95")]
    print(f"\n{'search':<34}" + "".join(f"{h:>14}" for h in header) + f"{'ratio':>8}")
    for name, first, second in rows:
        p50_first, p50_second = percentile(first, 50), percentile(second, 50)
        print(
            f"{name:<34}{p50_first:>12.1f}ms{percentile(first, 95):>12.1f}ms"
            f"{p50_second:>12.1f}ms{percentile(second, 95):>12.1f}ms"
            f"{p50_first / p50_second:>8.2f}"
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

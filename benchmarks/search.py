"""Search latency of the STAC API against pgSTAC's own search() SQL function, in one run.

    python -m benchmarks.search 100000 --repeat 50

Starts a throwaway embedded database, loads N synthetic items, serves
the STAC API with uvicorn in a separate process, and prints p50/p95 of typical searches over
HTTP and through ``SELECT search(...)``; the ratio is the cost of the API layer.
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
    args = parser.parse_args()

    with throwaway_database() as (url, settings):
        start = time.perf_counter()
        with database.pgstac_db(url) as db:
            Loader(db).load_items(synthetic_items(args.count, seed=1), insert_mode=Methods.insert)
        load_s = time.perf_counter() - start
        print(f"loaded {args.count} items in {load_s:.1f} s ({args.count / load_s:.0f} items/s)")
        with served("stac_api.app:create_app", "/_mgmt/ping", url, settings) as api:
            measure(api, url, args)


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

    header = ("HTTP p50", "HTTP p95", "SQL p50", "SQL p95")
    print(f"\n{'search':<22}" + "".join(f"{h:>10}" for h in header) + f"{'ratio':>8}")
    for name, http, sql in rows:
        p50_http, p50_sql = percentile(http, 50), percentile(sql, 50)
        print(
            f"{name:<22}{p50_http:>9.1f}ms{percentile(http, 95):>8.1f}ms"
            f"{p50_sql:>8.1f}ms{percentile(sql, 95):>8.1f}ms{p50_http / p50_sql:>8.2f}"
        )


if __name__ == "__main__":
    main()

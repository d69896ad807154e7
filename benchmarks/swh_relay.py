"""The Spot World Heritage relay at scale: catalogue-first throughput, then search on the result.

    python -m benchmarks.swh_relay                      # 3,000 scenes, a minute or two
    python -m benchmarks.swh_relay --count 57800        # the whole raw archive

Generates ``--count`` metadata-only SWH level-1A products (``ingest.swh_archive``), starts a
throwaway embedded pgSTAC, catalogues them from disk as ``dinamis swh relay`` does with
``--workers 1`` and ``--workers N`` (into an emptied collection each time) and prints products/s,
the time the 57,800-scene archive would take at the better rate (goal: under 10 minutes on two
cores) and the rate of an idle re-run. Then it serves the STAC API and prints
p50/p95 over HTTP and through pgSTAC's ``search()`` of the searches users make on that
catalogue: bbox + datetime, cloud cover, processing level.
"""

import argparse
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg

from benchmarks.harness import served, throwaway_database
from benchmarks.search import percentile, search_sql
from ingest.relay import relay_paths
from ingest.swh_archive import FRANCE, generate_archive
from stac_api.settings import ApiSettings

ARCHIVE = 57_800
GOAL_SECONDS = 600
COLLECTION = "spot-world-heritage"


def searches(rng: random.Random) -> dict[str, dict]:
    (west, east), (south, north) = FRANCE
    lon, lat = rng.uniform(west, east - 1), rng.uniform(south, north - 1)
    year = rng.randrange(1990, 2012)
    window = {
        "collections": [COLLECTION],
        "bbox": [lon, lat, lon + 1, lat + 1],
        "datetime": f"{year}-01-01T00:00:00Z/{year + 3}-12-31T23:59:59Z",
        "limit": 10,
    }
    cql2 = {"filter-lang": "cql2-json"}
    return {
        "bbox + datetime": window,
        "cloud cover < 10": {
            **window,
            **cql2,
            "filter": {"op": "<", "args": [{"property": "eo:cloud_cover"}, 10]},
        },
        "processing level 1A, SPOT 5": {
            "collections": [COLLECTION],
            **cql2,
            "filter": {
                "op": "and",
                "args": [
                    {"op": "=", "args": [{"property": "processing:level"}, "1A"]},
                    {"op": "=", "args": [{"property": "platform"}, "SPOT5"]},
                ],
            },
            "limit": 10,
        },
    }


def latencies(call: Callable[[dict], object], name: str, repeat: int, seed: int) -> list[float]:
    """Milliseconds per call, each with another area and period (after one warming call)."""
    rng = random.Random(seed)
    call(searches(rng)[name])
    times = []
    for _ in range(repeat):
        body = searches(rng)[name]
        start = time.perf_counter()
        call(body)
        times.append((time.perf_counter() - start) * 1000)
    return times


def measure_search(api: str, url: str, repeat: int) -> None:
    with httpx.Client(timeout=120) as client, psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET search_path TO pgstac, public")
        sql = search_sql(conn, ApiSettings())

        def http(body: dict) -> object:
            response = client.post(f"{api}/search", json=body)
            response.raise_for_status()
            return response.json()

        print(f"\n{'search':<32}{'HTTP p50':>10}{'p95':>9}{'SQL p50':>10}{'p95':>9}{'ratio':>7}")
        for seed, name in enumerate(searches(random.Random(0))):
            over_http = latencies(http, name, repeat, seed)
            in_sql = latencies(sql, name, repeat, seed)
            p95_http, p95_sql = percentile(over_http, 95), percentile(in_sql, 95)
            print(
                f"{name:<32}{percentile(over_http, 50):>8.1f}ms{p95_http:>7.1f}ms"
                f"{percentile(in_sql, 50):>8.1f}ms{p95_sql:>7.1f}ms{p95_http / p95_sql:>7.2f}"
            )


def empty_collection(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM pgstac.items WHERE collection = %s", (COLLECTION,))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000, help=f"scenes (archive: {ARCHIVE})")
    parser.add_argument("--workers", type=int, default=2, help="metadata-parsing processes")
    parser.add_argument("--batch-size", type=int, default=1000, help="items per pgSTAC load")
    parser.add_argument("--repeat", type=int, default=50, help="timed runs per search")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where to write the scenes (default: the system's temporary folder; a folder "
        "on a tmpfs takes the disk out of the measure)",
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="dinamis-bench-swh-", dir=args.workdir))
    try:
        start = time.perf_counter()
        generate_archive(work, args.count)
        made = time.perf_counter() - start
        print(f"generated {args.count} metadata-only SWH 1A scenes: {args.count / made:.0f}/s")
        with throwaway_database() as (url, settings):
            # Each worker count catalogues the whole archive into an empty collection; the
            # last run is repeated on the full catalogue (a re-run, which adds nothing).
            runs = [(w, "first run") for w in sorted({1, args.workers})]
            rates: dict[int, float] = {}
            for workers, run in [*runs, (args.workers, "re-run (idle)")]:
                if run == "first run":
                    empty_collection(url)
                start = time.perf_counter()
                report = relay_paths(
                    [work],
                    settings,
                    url,
                    workers=workers,
                    batch_size=args.batch_size,
                    progress=False,
                )
                elapsed = time.perf_counter() - start
                rate = args.count / elapsed
                if run == "first run":
                    rates[workers] = rate
                print(
                    f"relay, {run}, --workers {workers}: {report.summary()} in "
                    f"{elapsed:.1f} s = {rate:.0f} products/s"
                )
            best = max(rates, key=rates.__getitem__)
            whole = ARCHIVE / rates[best]
            verdict = "within" if whole < GOAL_SECONDS else "over"
            print(
                f"the {ARCHIVE:,} scenes at the rate of --workers {best}: {whole / 60:.1f} min "
                f"({verdict} the {GOAL_SECONDS // 60}-minute goal)"
            )
            with served("stac_api.app:create_app", "/_mgmt/ping", url, settings) as api:
                measure_search(api, url, args.repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Mixed load on the STAC API and the tiler: throughput, latency percentiles, errors and memory.

    python -m benchmarks.load --clients 32 --duration 30

Starts a throwaway embedded database with synthetic Pléiades items (for searches) and one
Pléiades-like COG catalogued twice, licensed (Pléiades) and open (Spot World Heritage); serves
the STAC API and the tiler with uvicorn, each in its own process with a capped address space.
Then N concurrent clients, for the given duration, each pick at random: searches (GET with a
CQL2 filter, POST with a sort), an item, tiles (open and anonymous, licensed with an entitled
API key, licensed and anonymous, which must be refused), and ranged downloads of the licensed
COG with the key. Prints per kind of request: count, requests/s, p50/p95/p99 in ms, errors
(any status other than the expected one, or a failed connection), the p50 of the same request
with a single client and the ratio under load; the bare library's own tile (rio-tiler reading
and encoding the same tile in process); and each server's resident memory before and after
(and its peak).
"""

import argparse
import os
import random
import statistics
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx
import morecantile
from pypgstac.load import Loader, Methods
from rio_tiler.io import Reader

from benchmarks.harness import Server, server_process, throwaway_database
from benchmarks.tiles import (
    GDAL_ENV,
    ORIGIN,
    entitled_key,
    in_process_item,
    pleiades_like,
    stac_item,
    tiles_over,
    write_cog,
)
from dinamis import database
from dinamis.settings import Settings
from stac_api.synthetic import synthetic_items

ITEM = "LOAD_COG"
# The render of the in-process tile (benchmarks.tiles): bands 1-3, 0-3000 stretch, bilinear.
PICTURE = urlencode(
    [("assets", "data|bidx=1,2,3"), *[("rescale", "0,3000")] * 3, ("resampling", "bilinear")]
)
RANGE_BYTES = 64 * 1024


@dataclass(frozen=True)
class Kind:
    """One kind of request: how to send it and the status it must get."""

    name: str
    weight: int
    expected: int
    send: Callable[[httpx.Client, random.Random], httpx.Response]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    samples: list[str] = field(default_factory=list)

    def add(self, ms: float, error: str | None) -> None:
        self.latencies.append(ms)
        if error is not None:
            self.errors += 1
            if len(self.samples) < 3:
                self.samples.append(error)


def percentile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


def kinds(api: str, tiler: str, key: str, tiles: list[morecantile.Tile], ids: list[str]):
    """The mix: weights say how often each kind is picked."""
    auth = {"Authorization": f"Bearer {key}"}
    size = int(httpx.head(f"{api}/collections/pleiades/items/{ITEM}/assets/data/download",
                          headers=auth).headers["content-length"])  # fmt: skip

    def tile_url(collection: str, rng: random.Random) -> str:
        t = rng.choice(tiles)
        return (
            f"{tiler}/collections/{collection}/items/{ITEM}/tiles/WebMercatorQuad/"
            f"{t.z}/{t.x}/{t.y}.png?{PICTURE}"
        )

    def search_get(client: httpx.Client, rng: random.Random) -> httpx.Response:
        lon, lat = rng.uniform(-4, 6), rng.uniform(43, 49)
        return client.get(
            f"{api}/search",
            params={
                "collections": "pleiades",
                "bbox": f"{lon},{lat},{lon + 1},{lat + 1}",
                "filter-lang": "cql2-text",
                "filter": f"eo:cloud_cover < {rng.randint(5, 60)}",
                "limit": "20",
            },
        )

    def search_post(client: httpx.Client, rng: random.Random) -> httpx.Response:
        year = rng.randint(2012, 2024)
        return client.post(
            f"{api}/search",
            json={
                "collections": ["pleiades"],
                "datetime": f"{year}-01-01T00:00:00Z/{year}-12-31T23:59:59Z",
                "sortby": [{"field": "properties.datetime", "direction": "desc"}],
                "limit": 50,
            },
        )

    def item(client: httpx.Client, rng: random.Random) -> httpx.Response:
        return client.get(f"{api}/collections/pleiades/items/{rng.choice(ids)}")

    def download(client: httpx.Client, rng: random.Random) -> httpx.Response:
        start = rng.randrange(0, max(1, size - RANGE_BYTES))
        return client.get(
            f"{api}/collections/pleiades/items/{ITEM}/assets/data/download",
            headers={**auth, "Range": f"bytes={start}-{start + RANGE_BYTES - 1}"},
        )

    return [
        Kind("search GET, CQL2 (anon)", 3, 200, search_get),
        Kind("search POST, sorted (anon)", 2, 200, search_post),
        Kind("item (anon)", 1, 200, item),
        Kind("tile, open (anon)", 3, 200, lambda c, r: c.get(tile_url("spot-world-heritage", r))),
        Kind("tile, licensed (key)", 3, 200,
             lambda c, r: c.get(tile_url("pleiades", r), headers=auth)),
        Kind("tile, licensed (anon)", 1, 401, lambda c, r: c.get(tile_url("pleiades", r))),
        Kind("download 64 KiB (key)", 2, 206, download),
    ]  # fmt: skip


def run_load(
    mix: list[Kind], clients: int, duration: float, seed: int
) -> tuple[dict[str, Tally], float]:
    """Each client sends requests of random kinds until ``duration`` is over."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def client_loop(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        with httpx.Client(timeout=60) as client:
            while time.monotonic() < deadline:
                kind = rng.choices(mix, weights=[k.weight for k in mix])[0]
                started = time.perf_counter()
                error = None
                try:
                    response = kind.send(client, rng)
                    if response.status_code != kind.expected:
                        error = f"{response.status_code}: {response.text[:120]}"
                except httpx.HTTPError as exc:
                    error = f"{type(exc).__name__}: {exc}"
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    tallies[kind.name].add(elapsed, error)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client_loop, range(clients)))
    return tallies, time.perf_counter() - started


def alone(mix: list[Kind], rounds: int) -> dict[str, float]:
    """p50 of each kind with one client and nothing else running: the reference."""
    rng = random.Random(0)
    with httpx.Client(timeout=60) as client:
        result = {}
        for kind in mix:
            kind.send(client, rng)  # warm
            times = []
            for _ in range(rounds):
                started = time.perf_counter()
                kind.send(client, rng)
                times.append((time.perf_counter() - started) * 1000)
            result[kind.name] = statistics.median(times)
    return result


def bare_tile_p50(cog: Path, tiles: list[morecantile.Tile], rounds: int) -> float:
    read = in_process_item(cog)
    read(tiles[0])
    times = []
    for i in range(rounds):
        started = time.perf_counter()
        read(tiles[i % len(tiles)])
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def memory(servers: dict[str, Server]) -> dict[str, tuple[float, float]]:
    return {name: server.memory_mb() for name, server in servers.items()}


def prepare(url: str, settings: Settings, args: argparse.Namespace) -> tuple[Path, list[str]]:
    cog = write_cog(settings.storage / "load.tif", pleiades_like(args.size, args.size, 3), ORIGIN)
    item = stac_item(ITEM, cog)
    searchable = list(synthetic_items(args.items, seed=7, collection="pleiades"))
    with database.pgstac_db(url) as db:
        Loader(db).load_items(
            iter([item, {**item, "collection": "spot-world-heritage"}, *searchable]),
            insert_mode=Methods.upsert,
        )
    return cog, [i["id"] for i in searchable]


def report(
    tallies: dict[str, Tally],
    seconds: float,
    reference: dict[str, float],
    bare: float,
    before: dict[str, tuple[float, float]],
    after: dict[str, tuple[float, float]],
    args: argparse.Namespace,
) -> None:
    print(
        f"\n{args.clients} concurrent clients for {seconds:.0f} s; latency in ms; "
        "alone = p50 with one client; x = p50 under load / alone"
    )
    print(
        f"{'request':<28}{'count':>7}{'req/s':>8}{'p50':>8}{'p95':>8}{'p99':>8}"
        f"{'errors':>8}{'alone':>8}{'x':>7}"
    )
    everything: list[float] = []
    errors = 0
    for name, tally in tallies.items():
        lat = tally.latencies
        everything += lat
        errors += tally.errors
        p50 = percentile(lat, 50)
        print(
            f"{name:<28}{len(lat):>7}{len(lat) / seconds:>8.1f}{p50:>8.1f}"
            f"{percentile(lat, 95):>8.1f}{percentile(lat, 99):>8.1f}{tally.errors:>8}"
            f"{reference[name]:>8.1f}{p50 / reference[name]:>7.1f}"
        )
    print(
        f"{'all':<28}{len(everything):>7}{len(everything) / seconds:>8.1f}"
        f"{percentile(everything, 50):>8.1f}{percentile(everything, 95):>8.1f}"
        f"{percentile(everything, 99):>8.1f}{errors:>8}"
    )
    print(f"{'bare rio-tiler tile, in process':<28}{'':>7}{'':>8}{bare:>8.1f}")
    for name, tally in tallies.items():
        for sample in tally.samples:
            print(f"  error, {name}: {sample}")
    print(f"\nresident memory (MiB), address space capped at {args.memory_cap_mb} MiB per server")
    print(f"{'server':<10}{'before':>9}{'after':>9}{'peak':>9}")
    for name in before:
        print(f"{name:<10}{before[name][0]:>9.0f}{after[name][0]:>9.0f}{after[name][1]:>9.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients")
    parser.add_argument("--duration", type=float, default=30, help="seconds of load")
    parser.add_argument("--items", type=int, default=5000, help="synthetic items to search")
    parser.add_argument("--size", type=int, default=2048, help="COG width/height in pixels")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the clients")
    parser.add_argument(
        "--memory-cap-mb", type=int, default=4096, help="address space cap of each server"
    )
    args = parser.parse_args()
    os.environ.update(GDAL_ENV)  # GDAL reads them at first use, here and in the servers
    with throwaway_database() as (url, settings):
        cog, ids = prepare(url, settings, args)
        key = entitled_key(url)
        with Reader(str(cog)) as src:
            zoom = src.maxzoom
        tiles = tiles_over([cog], zoom, 64)
        env = {
            "DINAMIS_TILER_STORAGE_ROOTS": str(settings.storage),
            "DINAMIS_TILER_STAC_API_URL": "http://127.0.0.1:1",
        }
        with (
            server_process("stac_api.app:create_app", "/_mgmt/ping", url, settings, env,
                           args.memory_cap_mb) as api,
            server_process("tiler.app:create_app", "/healthz", url, settings, env,
                           args.memory_cap_mb) as tiler,
        ):  # fmt: skip
            servers = {"STAC API": api, "tiler": tiler}
            mix = kinds(api.url, tiler.url, key, tiles, ids)
            reference = alone(mix, rounds=20)
            bare = bare_tile_p50(cog, tiles, rounds=20)
            before = memory(servers)
            tallies, seconds = run_load(mix, args.clients, args.duration, args.seed)
            after = memory(servers)
        report(tallies, seconds, reference, bare, before, after, args)


if __name__ == "__main__":
    main()

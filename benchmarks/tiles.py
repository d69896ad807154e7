"""Tile latency and throughput of the tiler, against rio-tiler reading the same tiles in process.

    python -m benchmarks.tiles --requests 200 --baseline --memory-tiles 2000

Starts a throwaway embedded database, writes Pléiades-like COGs (4 bands, 12-bit values, 0.5 m)
and their items, serves the tiler with uvicorn in a separate process, and prints p50/p95
latency and tiles/s with 1 and 8 concurrent clients for: item tiles at native zoom, item tiles
at an overview zoom, and collection mosaic tiles. The in-process baseline opens the COG, reads
the tile with the same render (bands 1,2,3, bilinear, 0-3000 stretch) and encodes the PNG; the
ratio (server / in process) is the cost of HTTP, the database lookups and the app.

``--baseline`` first serves the tiler as it was before its read threads were set: rio-tiler's
thread pool made for every read (``DINAMIS_TILER_READ_THREADS`` at rio-tiler's own default),
so both are printed from one run. ``--memory-tiles N`` then requests N distinct tiles over
every zoom of the item (over and over when it has fewer) and prints the tiler's resident
memory before and after.
"""

import argparse
import os
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import morecantile
import numpy as np
import psycopg
import rasterio
from pypgstac.load import Loader, Methods
from rasterio.transform import from_origin
from rasterio.warp import transform_bounds
from rio_tiler.constants import MAX_THREADS
from rio_tiler.errors import TileOutsideBounds
from rio_tiler.io import Reader
from rio_tiler.models import ImageData
from rio_tiler.mosaic import mosaic_reader

from access import store
from access.models import EntityCategory
from benchmarks.harness import Server, server_process, throwaway_database
from dinamis import database
from dinamis.settings import Settings
from tests.cogs import cog_item
from tests.cogs import write_cog as write_array_cog

# The GDAL settings recommended for the tiler's container, used by both sides here (the
# tiler's block cache is its own setting: its memory is measured).
GDAL_ENV = {
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "GDAL_NUM_THREADS": "ALL_CPUS",
    "VSI_CACHE": "TRUE",
    "VSI_CACHE_SIZE": "50000000",
    "GDAL_BAND_BLOCK_CACHE": "HASHSET",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".tif,.TIF,.tiff",
    "GDAL_HTTP_MULTIPLEX": "YES",
    "GDAL_HTTP_MERGE_CONSECUTIVE_RANGES": "YES",
    "GDAL_INGESTED_BYTES_AT_OPEN": "32768",
}
TMS = morecantile.tms.get("WebMercatorQuad")
CRS = "EPSG:32631"
RES = 0.5
ORIGIN = (374_000.0, 4_829_000.0)  # Toulouse
RENDER = {"indexes": (1, 2, 3), "resampling_method": "bilinear"}
RESCALE = ((0, 3000),) * 3
CLIENTS = (1, 8)


def pleiades_like(rows: int, cols: int, seed: int) -> np.ndarray:
    """Smooth fields plus noise, 12-bit: compresses and reads like real imagery."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:rows, 0:cols].astype("float32")
    data = np.empty((4, rows, cols), dtype="uint16")
    for band in range(4):
        field = 1200 + 600 * np.sin(x / (150 + 40 * band)) * np.cos(y / (190 + 30 * band))
        data[band] = np.clip(field + rng.normal(0, 80, (rows, cols)), 1, 4095)
    return data


def write_cog(path: Path, data: np.ndarray, origin: tuple[float, float]) -> Path:
    return write_array_cog(path, data, CRS, from_origin(*origin, RES, RES))


def stac_item(item_id: str, cog: Path) -> dict:
    return cog_item(item_id, "pleiades", cog, gsd=RES)


def tiles_over(cogs: list[Path], zoom: int, limit: int) -> list[morecantile.Tile]:
    """Tiles centred in the images' extent (they tile it without gaps), centre outwards; when
    the extent is smaller than a tile at ``zoom`` (a small ``--size``), the tile holding its
    centre."""
    lefts, bottoms, rights, tops = zip(
        *(transform_bounds(CRS, "EPSG:4326", *rasterio.open(c).bounds) for c in cogs), strict=True
    )
    west, south, east, north = min(lefts), min(bottoms), max(rights), max(tops)
    centre = ((west + east) / 2, (south + north) / 2)
    # Tile centres within the middle 80 % of the extent: every tile holds data.
    dx, dy = (east - west) * 0.4, (north - south) * 0.4
    tiles = [
        t
        for t in TMS.tiles(west, south, east, north, [zoom])
        if abs((TMS.bounds(t).left + TMS.bounds(t).right) / 2 - centre[0]) <= dx
        and abs((TMS.bounds(t).bottom + TMS.bounds(t).top) / 2 - centre[1]) <= dy
    ]
    if not tiles:
        return [TMS.tile(*centre, zoom)]
    tiles.sort(
        key=lambda t: sum(
            (a - b) ** 2
            for a, b in zip(
                (
                    (TMS.bounds(t).left + TMS.bounds(t).right) / 2,
                    (TMS.bounds(t).bottom + TMS.bounds(t).top) / 2,
                ),
                centre,
                strict=True,
            )
        )
    )
    return tiles[:limit]


def render_png(image: ImageData) -> bytes:
    image.rescale(RESCALE)
    return image.render(img_format="PNG")


def in_process_item(cog: Path) -> Callable[[morecantile.Tile], bytes]:
    def read(tile: morecantile.Tile) -> bytes:
        with Reader(str(cog)) as src:
            return render_png(src.tile(tile.x, tile.y, tile.z, **RENDER))

    return read


def in_process_mosaic(cogs: list[Path]) -> Callable[[morecantile.Tile], bytes]:
    def reader(path: str, x: int, y: int, z: int) -> ImageData:
        with Reader(path) as src:
            return src.tile(x, y, z, **RENDER)

    def read(tile: morecantile.Tile) -> bytes:
        image, _ = mosaic_reader(
            [str(c) for c in cogs],
            reader,
            tile.x,
            tile.y,
            tile.z,
            allowed_exceptions=(TileOutsideBounds,),
        )
        return render_png(image)

    return read


def over_http(
    url_for: Callable[[morecantile.Tile], str], headers: dict[str, str] | None = None
) -> Callable[[morecantile.Tile], bytes]:
    local = threading.local()

    def read(tile: morecantile.Tile) -> bytes:
        if not hasattr(local, "client"):
            local.client = httpx.Client(timeout=120, headers=headers)
        response = local.client.get(url_for(tile))
        response.raise_for_status()
        return response.content

    return read


@dataclass
class Result:
    latencies: list[float]
    seconds: float
    cpu_seconds: float = 0.0
    """CPU time the side measured used (the server's processes, or this one in process)."""

    @property
    def cpu_ms(self) -> float:
        return self.cpu_seconds * 1000 / len(self.latencies)

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[94]

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds


def measure(
    read: Callable[[morecantile.Tile], bytes],
    tiles: list[morecantile.Tile],
    requests: int,
    clients: int,
    cpu: Callable[[], float] = time.process_time,
) -> Result:
    """Latencies of ``requests`` reads by ``clients`` threads, and the CPU time ``cpu`` says
    the reading side used (on a shared machine, the figure least disturbed by others)."""
    for tile in tiles:  # warm: open files, caches, database plans, as a steady server is
        read(tile)
    work = [tiles[i % len(tiles)] for i in range(requests)]

    def timed(tile: morecantile.Tile) -> float:
        start = time.perf_counter()
        read(tile)
        return (time.perf_counter() - start) * 1000

    start, cpu_start = time.perf_counter(), cpu()
    with ThreadPoolExecutor(clients) as pool:
        latencies = list(pool.map(timed, work))
    return Result(latencies, time.perf_counter() - start, cpu() - cpu_start)


def main() -> None:
    bench(__doc__, run, requests=200, size=4096, options=tiler_options)


def tiler_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="serve the tiler with rio-tiler's per-read thread pools first (before/after)",
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn processes of the tiler")
    parser.add_argument(
        "--memory-tiles",
        type=int,
        default=500,
        help="tiles requested over every zoom while watching the tiler's memory (0: skip)",
    )


def bench(
    doc: str | None,
    run: Callable[[str, Settings, argparse.Namespace], None],
    requests: int,
    size: int,
    options: Callable[[argparse.ArgumentParser], None] | None = None,
) -> None:
    """A benchmark's command line (``--requests``, ``--size``, then its own ``options``), then
    ``run`` on a throwaway database."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=requests, help="tiles per measurement")
    parser.add_argument("--size", type=int, default=size, help="image width/height in pixels")
    if options:
        options(parser)
    args = parser.parse_args()
    os.environ.update(GDAL_ENV)  # GDAL reads them at first use, here and in the server
    with throwaway_database() as (url, settings):
        run(url, settings, args)


@contextmanager
def served_tiler(
    url: str, settings: Settings, env: dict[str, str] | None = None, workers: int = 1
) -> Iterator[Server]:
    """The real tiler app on the database ``url``, reading the storage of ``settings``, with
    the tiler settings ``env``."""
    with server_process(
        "tiler.app:create_app",
        "/healthz",
        url,
        settings,
        {
            "DINAMIS_TILER_STORAGE_ROOTS": str(settings.storage),
            "DINAMIS_TILER_STAC_API_URL": "http://127.0.0.1:1",
            **(env or {}),
        },
        workers=workers,
    ) as tiler:
        yield tiler


def run(url: str, settings: Settings, args: argparse.Namespace) -> None:
    storage = settings.storage
    start = time.perf_counter()
    item_cog = write_cog(
        storage / "pleiades" / "item.tif", pleiades_like(args.size, args.size, 1), ORIGIN
    )
    half = args.size // 2
    mosaic_cogs = [
        write_cog(
            storage / "pleiades" / f"mosaic-{row}{col}.tif",
            pleiades_like(half, half, 10 + 2 * row + col),
            (ORIGIN[0] + 5000 + col * half * RES, ORIGIN[1] - row * half * RES),
        )
        for row in range(2)
        for col in range(2)
    ]
    items = [stac_item("BENCH_ITEM", item_cog)] + [
        stac_item(f"BENCH_MOSAIC_{i}", cog) for i, cog in enumerate(mosaic_cogs)
    ]
    with database.pgstac_db(url) as db:
        Loader(db).load_items(iter(items), insert_mode=Methods.upsert)
    print(
        f"wrote {1 + len(mosaic_cogs)} COGs and items in {time.perf_counter() - start:.1f} s "
        f"(item {args.size}x{args.size}, mosaic 2x2 of {half}x{half}, 4 bands, {RES} m)"
    )

    with Reader(str(item_cog)) as src:
        native, lowest = src.maxzoom, src.minzoom
    headers = {"Authorization": f"Bearer {entitled_key(url)}"}
    configurations = [("as configured", {})]
    if args.baseline:
        before = {"DINAMIS_TILER_READ_THREADS": str(MAX_THREADS)}
        configurations.insert(0, ("before: rio-tiler's thread pool per read", before))
    for name, env in configurations:
        print(f"\ntiler {name} ({args.workers} uvicorn worker(s))", flush=True)
        with served_tiler(url, settings, env, args.workers) as tiler:
            tiler_url = tiler.url
            scenarios = [
                (
                    f"item, native zoom {native}",
                    tiles_over([item_cog], native, 64),
                    f"{tiler_url}/collections/pleiades/items/BENCH_ITEM/tiles/WebMercatorQuad",
                    in_process_item(item_cog),
                ),
                (
                    f"item, overview zoom {native - 3}",
                    tiles_over([item_cog], native - 3, 16),
                    f"{tiler_url}/collections/pleiades/items/BENCH_ITEM/tiles/WebMercatorQuad",
                    in_process_item(item_cog),
                ),
                (
                    f"mosaic, zoom {native - 2}",
                    tiles_over(mosaic_cogs, native - 2, 64),
                    f"{tiler_url}/collections/pleiades/tiles/WebMercatorQuad",
                    in_process_mosaic(mosaic_cogs),
                ),
            ]
            # Pléiades is licensed: tiles are read as an entitled user would.
            report(scenarios, args.requests, headers, tiler.cpu_seconds)
            if args.memory_tiles:
                every_zoom = [
                    tile
                    for zoom in range(native, lowest - 1, -1)
                    for tile in tiles_over([item_cog], zoom, args.memory_tiles)
                ]
                tiles = [every_zoom[i % len(every_zoom)] for i in range(args.memory_tiles)]
                base = f"{tiler_url}/collections/pleiades/items/BENCH_ITEM/tiles/WebMercatorQuad"
                memory_growth(tiler, tiles, base, headers)


def memory_growth(
    tiler: Server, tiles: list[morecantile.Tile], base: str, headers: dict[str, str]
) -> None:
    """The tiler's resident memory before and after serving ``tiles`` (8 clients)."""
    before, _ = tiler.memory_mb()
    read = over_http(lambda t: f"{base}/{t.z}/{t.x}/{t.y}.png", headers)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(read, tiles))
    after, peak = tiler.memory_mb()
    print(
        f"tiler memory over {len(tiles)} tiles ({len(set(tiles))} distinct): "
        f"{before:.0f} MiB -> {after:.0f} MiB "
        f"(peak {peak:.0f} MiB)"
    )


def entitled_key(url: str) -> str:
    """The API key of an active user of a member entity that accepted the Airbus licence."""
    with psycopg.connect(url) as conn:
        entity = store.create_entity(conn, "Benchmark lab", EntityCategory.FRENCH_RESEARCH)
        store.activate_entity(conn, entity.id)
        store.accept_membership(conn, entity.id, "bench")
        store.accept_licence(conn, entity.id, "airbus-dinamis")
        user = store.create_user(conn, entity.id, "bench@dinamis.test", "Benchmark")
        store.activate_user(conn, user.id)
        store.acknowledge_licence(conn, user.id, "airbus-dinamis")
        return store.issue_key(conn, user.id).secret


def report(
    scenarios: list, requests: int, headers: dict[str, str], server_cpu: Callable[[], float]
) -> None:
    print(
        f"\n{requests} PNG tiles (256 px) per row; latency in ms; ratio = server / in process; "
        "cpu = CPU ms per tile (the server's processes / this one)"
    )
    header = (
        f"{'tiles':<24}{'clients':>8}{'p50':>8}{'p95':>8}{'tiles/s':>9}{'cpu':>7}"
        f"{'local p50':>11}{'local p95':>11}{'local/s':>9}{'cpu':>7}"
        f"{'p50 x':>7}{'p95 x':>7}{'rate x':>8}{'cpu x':>7}"
    )
    print(header)
    for name, tiles, base, local in scenarios:
        # Same picture as in process: the collection's true-color render is the default.
        http = over_http(lambda t, b=base: f"{b}/{t.z}/{t.x}/{t.y}.png", headers)
        for clients in CLIENTS:
            served = measure(http, tiles, requests, clients, server_cpu)
            baseline = measure(local, tiles, requests, clients)
            print(
                f"{name:<24}{clients:>8}{served.p50:>8.1f}{served.p95:>8.1f}"
                f"{served.rate:>9.1f}{served.cpu_ms:>7.1f}{baseline.p50:>11.1f}"
                f"{baseline.p95:>11.1f}{baseline.rate:>9.1f}{baseline.cpu_ms:>7.1f}"
                f"{served.p50 / baseline.p50:>7.2f}{served.p95 / baseline.p95:>7.2f}"
                f"{baseline.rate / served.rate:>8.2f}{served.cpu_ms / baseline.cpu_ms:>7.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()

"""A national coverage: building its pyramid, and its zoom-6 tiles against the item mosaic.

    python -m benchmarks.coverage --count 500

Starts a throwaway embedded database, writes ``--count`` SPOT 6/7-like scenes (small COGs with
overviews, three 12-bit bands, on a grid of overlapping UTM footprints), declares them as one
coverage and builds its pyramid (progress shown, time printed), serves the tiler in a process of
its own, and prints p50/p95 latency of the coverage's zoom-6 tiles (from the pyramid) and of the
same tiles from the item mosaic (titiler-pgstac over the same search, its zoom floor and item
limit lifted for the comparison), when the mosaic answers within the timeout.
"""

import argparse
import math
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import morecantile
import psycopg
from pypgstac.load import Loader, Methods
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rio_tiler.io import Reader

from benchmarks.harness import server_process, throwaway_database
from benchmarks.tiles import GDAL_ENV, entitled_key
from coverages import store
from coverages.build import build
from coverages.settings import CoverageSettings
from dinamis.database import pgstac_db
from dinamis.settings import Settings
from tests.coverages.scenes import scene

TMS = morecantile.tms.get("WebMercatorQuad")
COVERAGE = "spot-6-7-bench"
YEAR = 2020
ZOOM = 6
RESCALE = ((0, 3000),) * 3  # the SPOT 6/7 collection's true-colour render


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=60, help="scenes (500 for the goal)")
    parser.add_argument("--size", type=int, default=512, help="scene width/height in pixels")
    parser.add_argument("--gsd", type=float, default=6.0, help="scene pixel size in metres")
    parser.add_argument("--requests", type=int, default=50, help="zoom-6 tiles per measurement")
    parser.add_argument(
        "--mosaic-requests",
        type=int,
        default=1,
        help="item-mosaic tiles (each may take long; 0: none)",
    )
    parser.add_argument("--timeout", type=float, default=60, help="seconds per mosaic tile")
    parser.add_argument("--resolution", type=float, default=20.0, help="pyramid base, metres")
    parser.add_argument("--threads", type=int, default=0, help="build threads (0: all cores)")
    return parser.parse_args()


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
    )


def write_scenes(settings: Settings, url: str, args: argparse.Namespace) -> float:
    """Write and catalogue the scenes; the seconds it took."""
    folder = settings.storage / "spot-6-7" / "coverage-bench"
    side = math.ceil(math.sqrt(args.count))
    step = args.size * args.gsd * 0.9  # neighbours overlap by a tenth
    start = time.perf_counter()

    def one(index: int) -> dict:
        return scene(
            folder, index, index % side, index // side,
            size=args.size, gsd=args.gsd, step=step, year=YEAR,
        )  # fmt: skip

    with progress_bar() as bar, ThreadPoolExecutor(os.cpu_count()) as pool:
        task = bar.add_task("writing scenes", total=args.count)
        items = []
        for item in pool.map(one, range(args.count)):
            items.append(item)
            bar.advance(task)
    with pgstac_db(url) as db:
        Loader(db).load_items(iter(items), insert_mode=Methods.upsert)
    return time.perf_counter() - start


def build_pyramid(settings: Settings, url: str, args: argparse.Namespace) -> store.Coverage:
    with psycopg.connect(url) as conn:
        store.declare(conn, COVERAGE, "SPOT 6/7 benchmark", store.year_search("spot-6-7", YEAR))
    coverage_settings = CoverageSettings(
        folder=settings.data_dir / "coverages",
        resolution_m=args.resolution,
        threads=args.threads,
    )
    with progress_bar() as bar:
        task = bar.add_task("building the pyramid", total=None)

        def advance(stage: str, done: int, total: int) -> None:
            bar.update(task, description=f"pyramid: {stage}", completed=done, total=total)

        os.environ["DINAMIS_TILER_STORAGE_ROOTS"] = str(settings.storage)
        outcome = build(url, COVERAGE, coverage_settings, progress=advance)
    assert outcome.pyramid is not None
    with psycopg.connect(url) as conn:
        return store.get(conn, COVERAGE)


@dataclass(frozen=True)
class Latencies:
    milliseconds: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.milliseconds)

    @property
    def p95(self) -> float:
        ordered = sorted(self.milliseconds)
        return ordered[math.ceil(0.95 * len(ordered)) - 1]


def timed_tiles(
    urls: list[str], headers: dict[str, str], requests: int, timeout: float, warm: bool
) -> Latencies | str:
    """Latencies of ``requests`` tiles of ``urls`` in turn (after one read of each when
    ``warm``: open files and plans, as on a steady server), or why they were not served."""
    latencies = []
    with httpx.Client(headers=headers, timeout=timeout) as client:
        try:
            for index in range(-len(urls) if warm else 0, requests):
                start = time.perf_counter()
                response = client.get(urls[index % len(urls)])
                if response.status_code != 200:
                    return f"not served: {response.status_code} {response.text[:200]}"
                if index >= 0:
                    latencies.append((time.perf_counter() - start) * 1000)
        except httpx.TimeoutException:
            return f"not served within {timeout:g} s"
    return Latencies(latencies)


def main() -> None:
    args = arguments()
    os.environ.update(GDAL_ENV)
    with throwaway_database() as (url, settings):
        written = write_scenes(settings, url, args)
        print(f"{args.count} scenes of {args.size}² px at {args.gsd} m written in {written:.1f} s")
        coverage = build_pyramid(settings, url, args)
        pyramid = coverage.pyramid
        assert pyramid is not None
        size_mb = Path(pyramid.path).stat().st_size / 1e6
        print(
            f"pyramid of {pyramid.item_count} scenes, base zoom {pyramid.zoom}, {size_mb:.1f} MB: "
            f"built in {pyramid.build_seconds:.1f} s "
            f"({pyramid.build_seconds / pyramid.item_count * 1000:.0f} ms per scene)"
        )
        headers = {"Authorization": f"Bearer {entitled_key(url)}"}
        env = {
            "DINAMIS_TILER_STORAGE_ROOTS": str(settings.storage),
            "DINAMIS_TILER_STAC_API_URL": "http://127.0.0.1:1",
            # The item mosaic refuses zoom 6 and hundreds of items by default: lifted, so that
            # the comparison is made when the mosaic can answer at all.
            "DINAMIS_TILER_MOSAIC_MIN_ZOOM": "0",
            "DINAMIS_TILER_MOSAIC_MAX_ITEMS": str(args.count + 1),
        }
        tiles = list(TMS.tiles(*pyramid.bounds, [ZOOM]))

        def urls(base: str) -> list[str]:
            return [f"{base}/tiles/WebMercatorQuad/{t.z}/{t.x}/{t.y}.png" for t in tiles]

        print(f"\nzoom-{ZOOM} tiles ({len(tiles)} over the coverage), 1 client:")
        with server_process("tiler.app:create_app", "/healthz", url, settings, env) as tiler:
            covered = report(
                "coverage (pyramid)",
                urls(f"{tiler.url}/coverages/{COVERAGE}"),
                headers,
                args.requests,
                60,
                warm=True,
            )
            mosaic = (
                "skipped"
                if not args.mosaic_requests
                else report(
                    "item mosaic",
                    urls(f"{tiler.url}/searches/{coverage.search_hash}"),
                    headers,
                    args.mosaic_requests,
                    args.timeout,
                    warm=False,
                )
            )
            if isinstance(mosaic, str) and args.mosaic_requests:
                # uvicorn would finish the abandoned mosaic tile before stopping.
                tiler.process.kill()
        local = show("rio-tiler in process", in_process(pyramid.path, tiles, args.requests))
        if isinstance(covered, Latencies):
            assert isinstance(local, Latencies)
            print(
                f"  server / in process: p50 {covered.p50 / local.p50:.2f}x, "
                f"p95 {covered.p95 / local.p95:.2f}x"
            )
        if isinstance(covered, Latencies) and isinstance(mosaic, Latencies):
            print(f"  mosaic / pyramid at p50: {mosaic.p50 / covered.p50:.0f}x")


def report(
    name: str, urls: list[str], headers: dict[str, str], requests: int, timeout: float, warm: bool
) -> Latencies | str:
    return show(name, timed_tiles(urls, headers, requests, timeout, warm))


def show(name: str, result: Latencies | str) -> Latencies | str:
    if isinstance(result, str):
        print(f"  {name:<26} {result}", flush=True)
    else:
        print(
            f"  {name:<26} p50 {result.p50:8.1f} ms  p95 {result.p95:8.1f} ms  "
            f"({len(result.milliseconds)} tiles)",
            flush=True,
        )
    return result


def in_process(path: str, tiles: list[morecantile.Tile], requests: int) -> Latencies:
    """The same tiles read from the pyramid by rio-tiler in this process, with the same render
    (bands 1-3, 0-3000 stretch, PNG): what the server costs on top is the app and HTTP."""

    def read(tile: morecantile.Tile) -> bytes:
        with Reader(path, tms=TMS) as src:
            image = src.tile(*tile, indexes=[1, 2, 3], resampling_method="bilinear")
        image.rescale(RESCALE)
        return image.render(img_format="PNG")

    for tile in tiles:
        read(tile)
    latencies = []
    for index in range(requests):
        start = time.perf_counter()
        read(tiles[index % len(tiles)])
        latencies.append((time.perf_counter() - start) * 1000)
    return Latencies(latencies)


if __name__ == "__main__":
    main()

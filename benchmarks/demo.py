"""How long the demo catalogue of a first ``dinamis up`` takes, and where the time goes.

    python -m benchmarks.demo --size 1000 --workers 2

Per demo product: the whole delivery (landscape, digital numbers, DIMAP files by the product
generator) against its floor, the same landscape computation plus rasterio writing its pixels as
one GeoTIFF (the bare library). Then the whole
``dinamis demo`` (generate and ingest, ``--workers`` at a time) on a throwaway embedded
pgSTAC, which is what a new user waits for.
"""

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio

from benchmarks.harness import throwaway_database
from demo.catalogue import ensure_demo
from demo.generator import write_product
from demo.landscape import scene
from demo.places import PLACES, PRODUCTS
from demo.settings import DemoSettings


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):.3f} s  p90 {p90:.3f} s  max {ordered[-1]:.3f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=DemoSettings().size, help="pixels per side")
    parser.add_argument("--workers", type=int, default=DemoSettings().workers)
    args = parser.parse_args()
    demo = DemoSettings(size=args.size, workers=args.workers)

    work = Path(tempfile.mkdtemp(prefix="dinamis-bench-"))
    try:
        landscapes, deliveries, bare = [], [], []
        for i, product in enumerate(PRODUCTS):
            place = PLACES[product.place]
            start = time.perf_counter()
            pixels = scene(place.terrain, args.size, args.size, product.gsd, 0.5, 10, i)
            landscapes.append(time.perf_counter() - start)
            start = time.perf_counter()
            write_product(product, work / "generated", args.size, demo.seed)
            deliveries.append(time.perf_counter() - start)
            start = time.perf_counter()
            raw = np.clip(pixels[:4] * 9000, 1, 4095).astype("uint16")
            with rasterio.open(
                work / f"bare-{i}.tif",
                "w",
                driver="GTiff",
                compress="deflate",
                width=args.size,
                height=args.size,
                count=4,
                dtype="uint16",
            ) as dst:
                dst.write(raw)
            bare.append(time.perf_counter() - start + landscapes[-1])
        print(f"{len(PRODUCTS)} demo products of {args.size}x{args.size} pixels")
        print(f"  landscape (numpy)              {percentiles(landscapes)}")
        print(f"  landscape + bare GeoTIFF       {percentiles(bare)}")
        print(f"  delivery (product generator)   {percentiles(deliveries)}")
        ratio = statistics.median(deliveries) / statistics.median(bare)
        print(f"  delivery / floor               {ratio:.2f}x (median)")

        with throwaway_database() as (url, settings):
            outcome = ensure_demo(settings, url, demo)
            assert outcome.report is not None and outcome.report.ok, outcome.report
            print(
                f"dinamis demo, {args.workers} workers: {outcome.seconds:.1f} s for "
                f"{len(outcome.report.ingested)} products generated and ingested"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Ingest throughput on generated products, against ``rio cogeo create`` on the same mosaic.

    python -m benchmarks.ingest --size 10000 --bands 4 --tiles 2 --products 2

(as a module: run as a file, its name would hide the ``ingest`` package).

Generates ``--products`` Pléiades-like DIMAP v2 products (uint16, ``--tiles``² image files),
starts a throwaway embedded pgSTAC (or uses DINAMIS_DATABASE_URL) and prints MB/s of raw
pixels for: COG creation alone (ingest's writer), ``rio cogeo create`` with the same profile
on the same VRT mosaic (in turns, best of ``--rounds``), and the whole ingest (parse,
checksum, COG, item, load) with ``--workers 1`` and ``--workers 2``.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.harness import throwaway_database
from dinamis.settings import REPO_ROOT
from ingest.bands import canonical_bands
from ingest.cog import BLOCKSIZE, cog_profile, write_cog
from ingest.detect import find_products
from ingest.mosaic import mosaic_vrt
from ingest.pipeline import ingest_paths, read_product
from ingest.storage import source_checksum
from ingest.testing import make_dimap2_product

DEPTH = ("predictor", "nbits")


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000, help="width and height, pixels")
    parser.add_argument("--bands", type=int, choices=(1, 4), default=4)
    parser.add_argument("--tiles", type=int, default=2, help="image files per side")
    parser.add_argument("--products", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="COG writes of each contender")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="dinamis-bench-"))
    work.chmod(0o755)  # the embedded cluster's account must be able to enter it
    try:
        shape = f"{args.size}x{args.size}x{args.bands}"
        print(f"generating {args.products} products of {shape} uint16...", flush=True)
        volumes = [
            make_dimap2_product(
                work / f"delivery-{i}",
                spectral="MS" if args.bands == 4 else "P",
                width=args.size,
                height=args.size,
                tiles=(args.tiles, args.tiles),
                acquired=datetime(2022, 1, 1 + i, 10, 0, tzinfo=UTC),
            )
            for i in range(args.products)
        ]
        megabytes = args.size * args.size * args.bands * 2 / 1e6
        product = read_product(find_products(volumes[0], lambda: work)[0])
        bands = canonical_bands(product, product.collection, REPO_ROOT / "collections")
        vrt = work / "mosaic.vrt"
        vrt.write_text(mosaic_vrt(product, [b.band for b in bands]))
        # Read every tile once so that neither contender pays for a cold page cache.
        source_checksum(product.source_files)

        # The same storage options for the baseline: 12-bit packing or predictor 2.
        depth = {k: v for k, v in cog_profile(nbits=product.nbits).items() if k in DEPTH}
        depth_options = [o for k, v in depth.items() for o in ("--co", f"{k.upper()}={v}")]
        rio = shutil.which("rio", path=str(Path(sys.executable).parent)) or "rio"
        contenders = {
            "ours": lambda: write_cog(str(vrt), work / "ours.tif", nbits=product.nbits),
            "rio": lambda: subprocess.run(
                [
                    rio,
                    "cogeo",
                    "create",
                    str(vrt),
                    str(work / "rio.tif"),
                    "--cog-profile",
                    "deflate",
                    *depth_options,
                    "--blocksize",
                    str(BLOCKSIZE),
                    "--overview-resampling",
                    "average",
                    "--nodata",
                    "0",
                    "--quiet",
                    "--config",
                    "GDAL_NUM_THREADS=ALL_CPUS",
                ],
                check=True,
            ),
        }
        # Taken in turns, best of --rounds: the first write of a process pays GDAL's start-up
        # (drivers, PROJ), which rio's own process pays too but which is timed apart below.
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(args.rounds):
            for name, write in contenders.items():
                times[name].append(timed(write))
        ours, baseline = min(times["ours"]), min(times["rio"])
        print(f"\nmosaic {shape} uint16 = {megabytes:.0f} MB raw, {product.nbits}-bit ({depth})")
        rounds = {name: ", ".join(f"{t:.2f}" for t in each) for name, each in times.items()}
        print(f"rounds (s): ingest {rounds['ours']}; rio cogeo {rounds['rio']}")
        print(f"COG creation (ingest)    {ours:7.2f} s  {megabytes / ours:8.1f} MB/s")
        print(f"rio cogeo create         {baseline:7.2f} s  {megabytes / baseline:8.1f} MB/s")
        print(f"ratio ingest / rio cogeo {baseline / ours:7.2f} x (higher is faster)")
        startup = timed(
            lambda: subprocess.run([rio, "cogeo", "--version"], check=True, capture_output=True)
        )
        print(f"  without rio's start-up ({startup:.2f} s): {(baseline - startup) / ours:.2f} x")
        for name in ("ours", "rio"):
            size = (work / f"{name}.tif").stat().st_size / 1e6
            print(f"  {name}.tif {size:8.1f} MB ({size / megabytes:.0%} of raw)")

        with throwaway_database() as (url, settings):
            total = megabytes * args.products
            for workers in (1, 2):
                elapsed = timed(
                    lambda w=workers: ingest_paths(
                        volumes, settings, url, workers=w, force=True, progress=False
                    )
                )
                print(
                    f"whole ingest, --workers {workers}: {args.products} products "
                    f"{elapsed:7.2f} s  {total / elapsed:8.1f} MB/s"
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

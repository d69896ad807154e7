"""Ortho-rectification as a queued job against ``gdalwarp`` run directly with the same
options, and job throughput with one and two workers.

    python -m benchmarks.ortho --size 6000

Generates a SPOT 5 HRG level-1A scene (``--size``² pixels, 4 bands, 10 m), ingests it into a
throwaway embedded pgSTAC (or DINAMIS_DATABASE_URL), writes a DEM under it, then times in one
run: the gdalwarp command a job runs (RPC VRT, DEM, COG output) run directly; the same request
as a job (queued, taken by a `dinamis worker`, rectified, published, item upserted) from defer
to success; and ``--jobs`` jobs (one target CRS each) with one worker, then two.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from statistics import median

import psycopg

from access import store as access_store
from benchmarks.harness import throwaway_database
from dinamis.settings import REPO_ROOT, Settings
from ingest.pipeline import ingest_paths
from ingest.testing import make_dimap1_product
from jobs import store
from jobs.processes import input_hash
from jobs.queue import create_queue, deferrer
from ortho.process import PROCESS
from ortho.rectify import rectify_command
from ortho.scene import read_scene
from ortho.testing import write_dem
from ortho.warp import WarpOptions, run_gdalwarp

CENTRE = (6.3, 45.2)
# One target per throughput job: distinct requests (no reuse), the same amount of work.
TARGETS = ("EPSG:32632", "EPSG:32631", "EPSG:2154", "EPSG:3035", "EPSG:27572", "EPSG:3857")


@contextmanager
def workers(count: int, env: dict[str, str], logs: Path) -> Iterator[None]:
    """``count`` workers, registered (listening) when the block starts; logs in ``logs``."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "dinamis", "worker", "--queue", "ortho"],
            env=env,
            cwd=REPO_ROOT,
            stdout=(logs / f"worker-{count}-{index}.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        for index in range(count)
    ]
    try:
        with psycopg.connect(env["DINAMIS_DATABASE_URL"], autocommit=True) as conn:
            registered = "SELECT count(*) >= %s FROM procrastinate_workers"
            while not (conn.execute(registered, (count,)).fetchone() or (False,))[0]:
                time.sleep(0.1)
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait()


def run_jobs(url: str, requests: list[dict], resolution: float) -> float:
    """Queue ``requests`` at once; seconds until all succeeded."""
    queue = create_queue(url)
    with queue.open(), psycopg.connect(url, autocommit=True) as conn:
        start = time.perf_counter()
        ids = []
        for request in requests:
            inputs = {**request, "resolution": resolution}
            digest = input_hash(PROCESS, inputs)
            task = deferrer(queue, PROCESS.task, queue=PROCESS.queue)
            job_id = task.defer(input_hash=digest, inputs=inputs)
            store.attach_run(conn, digest, PROCESS.id, inputs, job_id)
            ids.append(job_id)
        while True:
            statuses = [queue.job_manager.get_job_status(i).value for i in ids]
            if "failed" in statuses:
                reasons = conn.execute(
                    "SELECT message FROM dinamis_jobs.run WHERE queue_job_id = ANY(%s)", (ids,)
                ).fetchall()
                raise RuntimeError(f"a benchmark job failed: {reasons}")
            if all(s == "succeeded" for s in statuses):
                return time.perf_counter() - start
            time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000, help="scene width and height, pixels")
    parser.add_argument("--resolution", type=float, default=10.0, help="output pixel, metres")
    parser.add_argument("--jobs", type=int, default=4, help="jobs of the throughput runs")
    parser.add_argument("--threads", type=int, default=1, help="gdalwarp threads per job")
    parser.add_argument("--repeat", type=int, default=3, help="direct/job pairs timed")
    args = parser.parse_args()
    if not 1 <= args.jobs <= len(TARGETS):
        parser.error(f"--jobs: 1 to {len(TARGETS)}")

    work = Path(tempfile.mkdtemp(prefix="dinamis-bench-"))
    try:
        with throwaway_database() as (url, settings):
            print(f"generating a {args.size}x{args.size}x4 SPOT 5 1A scene...", flush=True)
            dim = make_dimap1_product(
                work / "scene", mission_index=5, sensor="J", gsd=10.0, width=args.size,
                height=args.size, center=CENTRE, incidence=21.0,
            )  # fmt: skip
            report = ingest_paths([dim], settings, url, progress=False)
            (outcome,) = report.ingested
            dem = write_dem(work / "dem.tif", CENTRE, half=0.2 + args.size * 10 / 111_000)
            with psycopg.connect(url) as conn:
                item = access_store.get_item(conn, "spot-world-heritage", outcome.item_id or "")
            assert item is not None
            scene = read_scene(item, [settings.storage])
            inputs = {
                "collection": "spot-world-heritage", "item": scene.item_id, "crs": TARGETS[0],
                "dem": "bench", "resampling": "cubic",
            }  # fmt: skip
            options = WarpOptions(
                crs=TARGETS[0], resolution=args.resolution, resampling="cubic", dem=dem,
                nodata=scene.nodata, threads=args.threads,
            )  # fmt: skip
            env = worker_env(url, settings, dem, args.threads)
            # Alternated, each pair at its own resolution (a new request): load on a shared
            # machine drifts, and the medians compare like with like.
            direct, queued = [], []
            with workers(1, env, work):
                for rep in range(args.repeat):
                    resolution = args.resolution + rep / 100
                    command = rectify_command(
                        scene, replace(options, resolution=resolution), work / "direct.tif", work
                    )
                    start = time.perf_counter()
                    run_gdalwarp(command)
                    direct.append(time.perf_counter() - start)
                    queued.append(run_jobs(url, [inputs], resolution))
                    print(f"gdalwarp {direct[-1]:.2f} s, job {queued[-1]:.2f} s", flush=True)
            ratio = median(queued) / median(direct)
            print(
                f"median: gdalwarp directly {median(direct):.2f} s, "
                f"as a job {median(queued):.2f} s, ratio {ratio:.3f}",
                flush=True,
            )

            requests = [{**inputs, "crs": crs} for crs in TARGETS[: args.jobs]]
            rates = {}
            for count in (1, 2):
                with workers(count, env, work):
                    # A new resolution per run: nothing of the previous run is reused.
                    seconds = run_jobs(url, requests, args.resolution + count / 10 + 0.5)
                rates[count] = args.jobs / seconds * 60
                print(
                    f"{args.jobs} jobs, {count} worker(s): {seconds:.1f} s, "
                    f"{rates[count]:.2f} jobs/min",
                    flush=True,
                )
            print(f"2 workers / 1 worker: {rates[2] / rates[1]:.2f}x")
    finally:
        shutil.rmtree(work)  # the scene, the DEM, the outputs and the workers' logs


def worker_env(url: str, settings: Settings, dem: Path, threads: int) -> dict[str, str]:
    return {
        **os.environ,
        "DINAMIS_DATABASE_URL": url,
        "DINAMIS_DATA_DIR": str(settings.data_dir),
        "DINAMIS_ORTHO_DEMS": f'{{"bench": "{dem}"}}',
        "DINAMIS_ORTHO_THREADS": str(threads),
    }


if __name__ == "__main__":
    main()

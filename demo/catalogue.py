"""The demo catalogue in an empty catalogue: generate the demo products, ingest them, clean up."""

import logging
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psycopg

from demo.generator import write_product
from demo.places import PRODUCTS
from demo.settings import DemoSettings
from dinamis.settings import Settings
from ingest.pipeline import IngestReport, ingest_paths

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoOutcome:
    report: IngestReport | None
    """None when nothing was generated (the catalogue already held items)."""
    items_before: int
    seconds: float


def count_items(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM pgstac.items").fetchone()
    return int(row[0]) if row else 0


def generate(folder: Path, demo: DemoSettings) -> list[Path]:
    """Write every demo delivery under ``folder``, ``demo.workers`` at a time."""
    with ThreadPoolExecutor(demo.workers) as pool:
        return list(pool.map(lambda p: write_product(p, folder, demo.size, demo.seed), PRODUCTS))


def ensure_demo(
    settings: Settings, database_url: str, demo: DemoSettings, force: bool = False
) -> DemoOutcome:
    """Generate and ingest the demo products if the catalogue holds no item (or ``force``)."""
    started = time.monotonic()
    before = count_items(database_url)
    if before and not force:
        return DemoOutcome(None, before, time.monotonic() - started)
    # Deliveries are scratch: ingest copies what the catalogue keeps into storage.
    work = Path(tempfile.mkdtemp(prefix="dinamis-demo-"))
    try:
        paths = generate(work, demo)
        log.info("generated %d demo products in %.1f s", len(paths), time.monotonic() - started)
        report = ingest_paths(
            paths, settings, database_url, workers=demo.workers, force=force, progress=False
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return DemoOutcome(report, before, time.monotonic() - started)

"""Building a coverage's pyramid when its items changed, one build per coverage at a time."""

import logging
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from coverages import store
from coverages.models import Pyramid
from coverages.pyramid import Progress, build_file, pyramid_record, sources
from coverages.settings import CoverageSettings
from coverages.store import CoverageError
from tiler.settings import TilerSettings
from tiler.storage import StorageGuard

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    coverage_id: str
    pyramid: Pyramid | None
    """The new pyramid; None when the one in place was built from the same items."""
    skipped: list[str] = field(default_factory=list)
    """Items left out, and why (no readable image)."""


def guard() -> StorageGuard:
    """What the tiler may read is what a pyramid may be built from."""
    tiler = TilerSettings()
    return StorageGuard.from_settings(tiler.storage_roots, tiler.allowed_url_prefixes)


def _ignore(stage: str, done: int, total: int) -> None:
    return None


def _prune(current: Path, previous: Pyramid | None) -> None:
    """Remove older pyramids of the coverage, keeping the one just replaced: a tiler that
    looked the coverage up a moment ago (its catalogue cache) still finds its file."""
    keep = {current.name, Path(previous.path).name if previous else ""}
    for old in current.parent.glob("*.tif"):
        if old.name not in keep:
            old.unlink(missing_ok=True)


def build(
    database_url: str,
    coverage_id: str,
    settings: CoverageSettings,
    *,
    force: bool = False,
    progress: Progress = _ignore,
    storage: StorageGuard | None = None,
) -> Outcome:
    """Build ``coverage_id``'s pyramid unless it is up to date (same items, same content) or
    ``force``; the previous pyramid is removed once the new one is recorded."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        # Two builds of one coverage (a cron job and an operator): the second is refused.
        lock = zlib.crc32(f"dinamis_coverages:{coverage_id}".encode())
        if not conn.execute("SELECT pg_try_advisory_lock(%s)", (lock,)).fetchone()[0]:  # type: ignore[index]
            raise CoverageError(f"coverage '{coverage_id}' is being built by another process")
        coverage = store.get(conn, coverage_id)
        features = store.items(conn, coverage, settings.max_items)
        fingerprint = store.fingerprint(features)
        previous = coverage.pyramid
        if (
            not force
            and previous is not None
            and previous.fingerprint == fingerprint
            and Path(previous.path).exists()
        ):
            return Outcome(coverage_id, None)
        items, skipped = sources(features, coverage.asset, storage or guard())
        for reason in skipped:
            log.warning("coverage %s: item left out: %s", coverage_id, reason)
        started = time.monotonic()
        path, grid = build_file(
            items,
            settings.root / coverage_id,
            f"{fingerprint[:16]}-{time.time_ns()}.tif",
            settings.resolution_m,
            max_pixels=settings.max_pixels,
            block_size=settings.block_size,
            threads=settings.threads,
            progress=progress,
        )
        pyramid = pyramid_record(path, grid, items, fingerprint, started)
        try:
            store.record_pyramid(conn, coverage_id, pyramid)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    _prune(Path(pyramid.path), previous)
    log.info(
        "coverage %s: pyramid of %d items at zoom %d built in %.1f s",
        coverage_id,
        len(items),
        grid.zoom,
        pyramid.build_seconds,
    )
    return Outcome(coverage_id, pyramid, skipped)

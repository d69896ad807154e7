"""``dinamis ingest``: delivered products in, COGs in storage and items in pgSTAC out.

Per product: parse → COG and sidecar copies in a partial folder → rename into place →
upsert the item. The item is written last, so no item ever points at a missing file.
"""

import logging
import re
import shutil
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rasterio.rpc import RPC
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dinamis.settings import Settings
from ingest import dimap1, dimap2
from ingest.bands import canonical_bands
from ingest.cog import write_cog
from ingest.collections import collection_json
from ingest.detect import Format, Found, find_products
from ingest.gdalerrors import cause, gdal_messages
from ingest.item import Sidecars, build_item, originals, renders, statistics
from ingest.load import Catalogue
from ingest.model import Geometry, IngestError, Product
from ingest.mosaic import mosaic_vrt
from ingest.rpc import read_rpc
from ingest.storage import clean_stale, item_folder, partial_folder, publish, source_checksum
from ingest.thumbnail import write_thumbnail

log = logging.getLogger(__name__)

STEPS = 5  # parse, COG, thumbnail, sidecars, catalogue
# How GDAL and the C library word a full disk, and the free space below which a failed
# write is put down to it.
NO_SPACE = ("No space left on device", "Free disk space available")
FULL_MARGIN = 1 << 20


class Status(StrEnum):
    ingested = "ingested"
    skipped = "skipped"
    failed = "failed"


@dataclass(frozen=True)
class Outcome:
    product: str
    """The product's metadata file (or the PATH given, when nothing could be read)."""
    status: Status
    message: str
    item_id: str | None = None


@dataclass
class IngestReport:
    ingested: list[Outcome] = field(default_factory=list)
    skipped: list[Outcome] = field(default_factory=list)
    failed: list[Outcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    def add(self, outcome: Outcome) -> None:
        getattr(self, outcome.status.value).append(outcome)

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        verb = "would ingest" if self.dry_run else "ingested"
        return (
            f"{verb} {len(self.ingested)}, skipped {len(self.skipped)}, failed {len(self.failed)}"
        )


def item_id(product: Product) -> str:
    """Deterministic id from what identifies an acquisition product: satellite, time, kind."""
    raw = (
        f"{product.platform}_{product.datetime:%Y%m%d%H%M%S}_"
        f"{product.spectral_processing}_{product.processing_level}"
    )
    return re.sub(r"[^a-z0-9-]+", "_", raw.lower()).strip("_")


def unread(found: Found) -> Outcome | None:
    """The outcome of a found file that is no product to read: listed but not delivered, or
    an archive or volume refused whole."""
    name = found.shown
    if found.missing_from is not None:
        reason = f"listed in {found.missing_from.name} but not delivered"
        return Outcome(name, Status.skipped, reason)
    if found.refused is not None:
        return Outcome(name, Status.failed, found.refused.removeprefix(f"{found.path.name}: "))
    return None


def read_product(found: Found) -> Product:
    reader = dimap2.read_product if found.format is Format.dimap2 else dimap1.read_product
    return reader(found.path)


@dataclass(frozen=True)
class _Run:
    settings: Settings
    catalogue: Catalogue
    collection: str | None
    force: bool
    dry_run: bool
    progress: Progress | None
    claims: dict[tuple[str, str], tuple[Found, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def claim(
        self, collection: str, identifier: str, found: Found, checksum: str
    ) -> Outcome | None:
        """None for the first product of the run to make this item; for a later one, what
        becomes of it: the same delivery again is skipped, another product is refused rather
        than silently replacing the first one's item."""
        with self.lock:
            first, first_checksum = self.claims.setdefault(
                (collection, identifier), (found, checksum)
            )
        if first is found:
            return None
        name, said = found.shown, first.shown
        if first_checksum == checksum:
            return Outcome(name, Status.skipped, f"the same product as {said}", identifier)
        return Outcome(
            name, Status.failed, f"item id {identifier} is already {said}'s in this batch"
        )

    def release(self, found: Found) -> None:
        """Give up the item ids ``found`` claimed: it failed, another product may make them."""
        with self.lock:
            for key in [k for k, (claimer, _) in self.claims.items() if claimer is found]:
                del self.claims[key]

    @contextmanager
    def task(self, name: str) -> Iterator[int | None]:
        if self.progress is None:
            yield None
            return
        task = self.progress.add_task(name, total=STEPS)
        try:
            yield task
        finally:
            self.progress.remove_task(task)

    def step(self, task: int | None, description: str) -> None:
        if self.progress is not None and task is not None:
            self.progress.update(task, advance=1, description=description)


def _unchanged(existing: dict[str, Any] | None, checksum: str) -> bool:
    if existing is None:
        return False
    same = existing.get("properties", {}).get("dinamis:source_checksum") == checksum
    assets = existing.get("assets", {})
    hrefs = [a["href"] for a in assets.values()]
    # An item published before thumbnails existed is rebuilt to get one.
    return same and "thumbnail" in assets and all(Path(urlsplit(h).path).is_file() for h in hrefs)


def _rpc(product: Product, warnings: list[str]) -> RPC | None:
    if product.rpc_file is None:
        if product.geometry is Geometry.sensor and not product.gcps:
            warnings.append(f"{product.metadata_file.name}: sensor geometry without RPC or GCPs")
        return None
    try:
        return read_rpc(product.rpc_file)
    except IngestError as error:
        warnings.append(f"{error}; ingested without RPC")
        return None


def _ingest_one(found: Found, run: _Run, warnings: list[str]) -> Outcome:
    name = found.shown
    if (outcome := unread(found)) is not None:
        return outcome
    with run.task(found.path.name) as task:
        product = read_product(found)
        collection = run.collection or product.collection
        bands = canonical_bands(product, collection, run.settings.collections_dir)
        identifier = item_id(product)
        checksum = source_checksum(product.source_files)
        if (duplicate := run.claim(collection, identifier, found, checksum)) is not None:
            return duplicate
        existing = run.catalogue.get_item(collection, identifier)
        if not run.force and _unchanged(existing, checksum):
            return Outcome(name, Status.skipped, "unchanged since last ingest", identifier)
        rpc = _rpc(product, warnings)
        vrt = mosaic_vrt(product, [b.band for b in bands], rpc)
        if run.dry_run:
            return Outcome(name, Status.ingested, f"would ingest into {collection}", identifier)
        run.step(task, f"{identifier}: COG")
        folder = item_folder(run.settings.storage, collection, identifier)
        cog = folder / f"{identifier}.tif"
        thumbnail = folder / f"{identifier}.thumbnail.png"
        # An RPC file that could not be read is not published as an asset either.
        delivered = Sidecars(
            product.metadata_file,
            product.preview_file,
            product.rpc_file if rpc is not None else None,
            product.icon_file,
        )
        with partial_folder(folder) as work:
            try:
                write_cog(vrt, work / cog.name, nbits=product.nbits)
                run.step(task, f"{identifier}: thumbnail")
                scene = renders(bands, statistics(work / cog.name))
                write_thumbnail(work / cog.name, work / thumbnail.name, product.footprint, scene)
                run.step(task, f"{identifier}: copies")
                for file in delivered.files():
                    shutil.copy2(file, work / file.name)
                publish(work, folder)
            except (IngestError, OSError) as error:
                # GDAL does not always say ENOSPC: a truncated COG may only fail validation.
                if shutil.disk_usage(work).free < FULL_MARGIN:
                    raise IngestError(f"no space left on {run.settings.storage}") from error
                raise
        run.step(task, f"{identifier}: catalogue")
        now = datetime.now(UTC)
        created = (existing or {}).get("properties", {}).get("created")
        item = build_item(
            product,
            identifier,
            collection_json(run.settings.collections_dir, collection),
            bands,
            cog,
            delivered.moved_to(folder),
            checksum,
            thumbnail=thumbnail,
            created=datetime.fromisoformat(created) if created else now,
            updated=now,
        )
        # The delivered files a catalogue-first item pointed at stay downloadable as they are.
        item["assets"] = {**originals(existing), **item["assets"]}
        run.catalogue.load([item])
        run.catalogue.refresh_extents([collection])
        run.step(task, f"{identifier}: done")
        return Outcome(name, Status.ingested, f"into {collection}", identifier)


def _safe_ingest_one(found: Found, run: _Run, warnings: list[str]) -> Outcome:
    """One product's failure is reported on one line, in words, and never stops the batch."""
    with gdal_messages() as messages:
        try:
            return _ingest_one(found, run, warnings)
        except IngestError as error:
            # The outcome already names the product file; keep the cause only.
            words = cause(error, messages).removeprefix(f"{found.path.name}: ")
        except Exception as error:  # a batch must survive whatever one product raises
            log.debug("unexpected failure on %s", found.path, exc_info=True)
            words = cause(error, messages)
            if not messages and not isinstance(error, OSError):
                words = f"{type(error).__name__}: {words}"
        if any(sign in said for said in [words, *messages] for sign in NO_SPACE):
            words = f"no space left on {run.settings.storage}"
        run.release(found)
        return Outcome(found.shown, Status.failed, words)


def progress_bar(enabled: bool) -> Progress | None:
    if not enabled:
        return None
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
    )


def ingest_paths(
    paths: list[Path],
    settings: Settings,
    database_url: str,
    collection: str | None = None,
    workers: int = 1,
    force: bool = False,
    dry_run: bool = False,
    progress: bool = True,
) -> IngestReport:
    """Ingest every product found under ``paths``; failures are reported, not raised."""
    report = IngestReport(dry_run=dry_run)
    storage = settings.storage
    storage.mkdir(parents=True, exist_ok=True)
    for stale in clean_stale(storage):
        log.info("removed %s left by an interrupted ingest", stale)
    with ExitStack() as stack:
        found: list[Found] = []

        def scratch() -> Path:
            return stack.enter_context(partial_folder(storage))

        for path in paths:
            try:
                found.extend(find_products(path, scratch, report.warnings.append))
            except IngestError as error:
                report.add(Outcome(str(path), Status.failed, str(error)))
        bar = progress_bar(progress)
        if bar is not None:
            stack.enter_context(bar)
        # One bounded pool for the run: each product borrows a connection and gives it back.
        catalogue = stack.enter_context(Catalogue(database_url, size=workers))
        run = _Run(settings, catalogue, collection, force, dry_run, bar)
        batch = bar.add_task("products", total=len(found)) if bar else None
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = [pool.submit(_safe_ingest_one, f, run, report.warnings) for f in found]
            for future in futures:
                report.add(future.result())
                if bar is not None and batch is not None:
                    bar.advance(batch)
    for warning in report.warnings:
        log.warning(warning)
    return report

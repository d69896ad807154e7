"""``dinamis swh relay``: an archive catalogued from its metadata, its files published as they lie.

Per product: parse the DIMAP metadata → a STAC item whose assets are the delivered files.
No pixel is read and nothing is copied, so the 57,800 raw scenes of Spot World Heritage are
catalogued in minutes; their COGs are made later by a background job (``ingest.tasks``).
Metadata are parsed in worker processes and the items loaded by pypgstac's Loader in batches
through one connection; items already in the catalogue are left as they are, so a re-run only
adds what is new (and never undoes a COG made since).
"""

import logging
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import repeat
from pathlib import Path
from typing import Any

from pypgstac.load import Methods

from dinamis.settings import Settings
from ingest.collections import collection_json
from ingest.detect import Found, find_products
from ingest.item import Sidecars, catalogue_item
from ingest.load import Catalogue
from ingest.model import IngestError
from ingest.pipeline import (
    IngestReport,
    Outcome,
    Status,
    item_id,
    progress_bar,
    read_product,
    unread,
)

log = logging.getLogger(__name__)

# Products handed to a worker process at a time: large enough that pickling is not the cost.
CHUNK = 64


@dataclass(frozen=True)
class _Parsed:
    outcome: Outcome
    item: dict[str, Any] | None = None


def _refuse_archives() -> Path:
    # An archive would be unpacked into a scratch folder that is gone after the run, and the
    # item's assets must stay where the delivery lies.
    raise IngestError("archives are not catalogued in place: unpack them first")


def _parse(found: Found, settings: Settings, collection: str | None, now: datetime) -> _Parsed:
    """One product's item, or its failure in words: a broken scene never stops the batch."""
    name = found.shown
    if (outcome := unread(found)) is not None:
        return _Parsed(outcome)
    try:
        product = read_product(found)
        target = collection or product.collection
        identifier = item_id(product)
        sidecars = Sidecars(product.metadata_file, product.preview_file, None, product.icon_file)
        item = catalogue_item(
            product,
            identifier,
            collection_json(settings.collections_dir, target),
            sidecars,
            created=now,
            updated=now,
        )
    except IngestError as error:
        return _Parsed(
            Outcome(name, Status.failed, str(error).removeprefix(f"{found.path.name}: "))
        )
    except Exception as error:  # a batch must survive whatever one product raises
        log.debug("unexpected failure on %s", found.path, exc_info=True)
        return _Parsed(Outcome(name, Status.failed, f"{type(error).__name__}: {error}"))
    return _Parsed(Outcome(name, Status.ingested, f"into {target}", identifier), item)


def _parse_chunk(
    chunk: list[Found], settings: Settings, collection: str | None, now: datetime
) -> list[_Parsed]:
    return [_parse(found, settings, collection, now) for found in chunk]


def _chunks(found: list[Found], size: int) -> Iterator[list[Found]]:
    for start in range(0, len(found), size):
        yield found[start : start + size]


def _parsed(
    found: list[Found], settings: Settings, collection: str | None, workers: int
) -> Iterator[_Parsed]:
    now = datetime.now(UTC)
    if workers <= 1:
        for one in found:
            yield _parse(one, settings, collection, now)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        chunks = _chunks(found, CHUNK)
        arguments = (repeat(settings), repeat(collection), repeat(now))
        for results in pool.map(_parse_chunk, chunks, *arguments):
            yield from results


class _Loader:
    """Items gathered into batches; each batch loaded once full, the already catalogued left
    out (and counted as skipped) so that a re-run changes nothing."""

    def __init__(self, catalogue: Catalogue, report: IngestReport, size: int) -> None:
        self.catalogue = catalogue
        self.report = report
        self.size = size
        self.pending: list[_Parsed] = []
        self.collections: set[str] = set()
        # The product each item of this run came from: a scene delivered twice is one item.
        self.sources: dict[tuple[str, str], str] = {}

    def add(self, parsed: _Parsed) -> None:
        self.pending.append(parsed)
        if len(self.pending) >= self.size:
            self.flush()

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        if not batch:
            return
        items = [p.item for p in batch if p.item is not None]
        present = self.catalogue.existing(items)
        new: list[dict[str, Any]] = []
        for parsed in batch:
            self.report.add(self._sort(parsed, present, new))
        # `ignore`, not `upsert`: a concurrent run may have added the same item meanwhile,
        # and an item given its COG since must not fall back to its raw files.
        self.catalogue.load(new, Methods.ignore)
        self.collections.update(i["collection"] for i in new)

    def _sort(
        self, parsed: _Parsed, present: set[tuple[str, str]], new: list[dict[str, Any]]
    ) -> Outcome:
        """The outcome of one parsed product; its item joins ``new`` when it is one."""
        outcome, item = parsed.outcome, parsed.item
        if item is None:
            return outcome
        key = (item["collection"], item["id"])
        if key in self.sources:
            return self._skipped(outcome, f"same scene as {self.sources[key]}")
        if key in present:
            return self._skipped(outcome, "already catalogued")
        self.sources[key] = outcome.product
        new.append(item)
        return outcome

    @staticmethod
    def _skipped(outcome: Outcome, reason: str) -> Outcome:
        return Outcome(outcome.product, Status.skipped, reason, outcome.item_id)


def relay_paths(
    paths: list[Path],
    settings: Settings,
    database_url: str,
    collection: str | None = None,
    workers: int = 1,
    batch_size: int = 1000,
    progress: bool = True,
) -> IngestReport:
    """Catalogue every product found under ``paths`` from its metadata; failures reported."""
    report = IngestReport()
    found: list[Found] = []
    for path in paths:
        try:
            found.extend(find_products(path, _refuse_archives, report.warnings.append))
        except IngestError as error:
            report.add(Outcome(str(path), Status.failed, str(error)))
    bar = progress_bar(progress)
    with Catalogue(database_url) as catalogue, bar or nullcontext():
        task = bar.add_task("catalogued", total=len(found)) if bar else None
        loader = _Loader(catalogue, report, batch_size)
        for parsed in _parsed(found, settings, collection, workers):
            loader.add(parsed)
            if bar is not None and task is not None:
                bar.advance(task)
        loader.flush()
        catalogue.refresh_extents(sorted(loader.collections))
    for warning in report.warnings:
        log.warning(warning)
    return report

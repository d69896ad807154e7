"""Two adjacent ingested scenes per kind of collection, for the mosaicking and data-cube clients:
Spot World Heritage (open data) and Pléiades (licensed), far from every other suite's scenes."""

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
import rasterio

from dinamis.settings import Settings
from ingest.load import get_item
from ingest.pipeline import ingest_paths
from ingest.testing import make_dimap1_product, make_dimap2_product

# Side by side in UTM zone 31N, both wholly inside BBOX.
BBOX = (2.9, 46.9, 3.2, 47.1)


@dataclass(frozen=True)
class Scenes:
    collection: str
    items: tuple[dict, ...]
    """As ingested (storage paths in the hrefs)."""
    start: datetime
    end: datetime

    def query(self) -> dict[str, str]:
        return {
            "collections": self.collection,
            "bbox": ",".join(map(str, BBOX)),
            "datetime": f"{self.start:%Y-%m-%dT%H:%M:%SZ}/{self.end:%Y-%m-%dT%H:%M:%SZ}",
        }

    def search_url(self, api_url: str) -> str:
        return f"{api_url}/search?{urlencode(self.query())}"

    def cog(self, index: int) -> Path:
        return Path(self.items[index]["assets"]["data"]["href"])

    def read(self, index: int, band: int):
        with rasterio.open(self.cog(index)) as src:
            return src.read(band)


def _ingest(paths: list[Path], settings: Settings, database_url: str, collection: str) -> Scenes:
    report = ingest_paths(paths, settings, database_url, progress=False)
    assert not report.failed, report.failed
    # Skipped when already published by an earlier run on the same database.
    done = sorted(report.ingested + report.skipped, key=lambda o: o.product)
    items = tuple(get_item(database_url, collection, o.item_id) for o in done)
    assert len(items) == len(paths)
    times = [datetime.fromisoformat(i["properties"]["datetime"]) for i in items]
    return Scenes(collection, items, min(times), max(times))


@pytest.fixture(scope="session")
def open_scenes(
    tmp_path_factory: pytest.TempPathFactory,
    settings: Settings,
    database_url: str,
    collection_ids: list[str],
) -> Scenes:
    folder = tmp_path_factory.mktemp("swh")
    paths = [
        make_dimap1_product(
            folder / str(i),
            level="2A",
            center=(3.0 + i * 0.031, 47.0),
            acquired=datetime(1998, 5, 4, 10, 20 + i, tzinfo=UTC),
        )
        for i in range(2)
    ]
    return _ingest(paths, settings, database_url, "spot-world-heritage")


def _phr(folder: Path, spectral: str, minute: int, settings: Settings, url: str) -> Scenes:
    paths = [
        make_dimap2_product(
            folder / str(i),
            spectral=spectral,
            volume=False,
            tiles=(1, 1),
            center=(3.0 + i * 0.005, 47.0),
            acquired=datetime(2019, 5, 4, 10, minute + i, tzinfo=UTC),
        )
        for i in range(2)
    ]
    return _ingest(paths, settings, url, "pleiades")


@pytest.fixture(scope="session")
def licensed_scenes(
    tmp_path_factory: pytest.TempPathFactory,
    settings: Settings,
    database_url: str,
    collection_ids: list[str],
) -> Scenes:
    """Multispectral: red, green, blue, nir."""
    return _phr(tmp_path_factory.mktemp("phr"), "MS", 20, settings, database_url)


@pytest.fixture(scope="session")
def panchromatic_scenes(
    tmp_path_factory: pytest.TempPathFactory,
    settings: Settings,
    database_url: str,
    collection_ids: list[str],
) -> Scenes:
    """Licensed single-band products (Pléiades panchromatic)."""
    return _phr(tmp_path_factory.mktemp("pan"), "P", 40, settings, database_url)

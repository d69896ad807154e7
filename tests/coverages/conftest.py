"""A coverage of a few SPOT 6/7-like scenes of 2013 (a year no sample product has), declared
and built, and a tiler serving it (with its coverage routes) on the session's database."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pypgstac.load import Loader, Methods

from access.settings import AccessSettings
from coverages import store
from coverages.build import build
from coverages.models import Coverage
from coverages.settings import CoverageSettings
from dinamis.database import pgstac_db
from dinamis.serve import BackgroundServer, free_port
from dinamis.settings import Settings
from tests.coverages.scenes import scene
from tiler.settings import TilerSettings
from tiler.storage import StorageGuard

YEAR = 2013
COVERAGE = "spot-6-7-2013"
SIZE, GSD = 512, 10.0
# Four scenes on a 2 x 2 grid, overlapping by a fifth of a scene.
STEP = SIZE * GSD * 0.8
GRID = [(0, 0), (1, 0), (0, 1), (1, 1)]


@pytest.fixture(scope="session")
def scene_folder(settings: Settings) -> Path:
    return settings.storage / "spot-6-7" / "coverage-tests"


@pytest.fixture(scope="session")
def load(database_url: str, collection_ids: list[str]) -> Callable[..., None]:
    def load(*items: dict[str, Any]) -> None:
        with pgstac_db(database_url) as db:
            Loader(db).load_items(iter(items), insert_mode=Methods.upsert)

    return load


@pytest.fixture(scope="session")
def scene_items(scene_folder: Path, load: Callable[..., None]) -> list[dict[str, Any]]:
    items = [
        scene(scene_folder, i, col, row, size=SIZE, gsd=GSD, step=STEP, year=YEAR)
        for i, (col, row) in enumerate(GRID)
    ]
    load(*items)
    return items


@pytest.fixture(scope="session")
def coverage_settings(settings: Settings) -> CoverageSettings:
    return CoverageSettings(folder=settings.data_dir / "coverages", block_size=256, threads=2)


@pytest.fixture(scope="session")
def guard(settings: Settings) -> StorageGuard:
    return StorageGuard.from_settings([settings.storage], [])


@pytest.fixture(scope="session")
def coverage(
    database_url: str,
    scene_items: list[dict[str, Any]],
    coverage_settings: CoverageSettings,
    guard: StorageGuard,
) -> Coverage:
    with psycopg.connect(database_url) as conn:
        store.declare(conn, COVERAGE, "SPOT 6/7 2013", store.year_search("spot-6-7", YEAR))
    outcome = build(database_url, COVERAGE, coverage_settings, storage=guard)
    assert outcome.pyramid is not None
    with psycopg.connect(database_url) as conn:
        return store.get(conn, COVERAGE)


@pytest.fixture(scope="session")
def coverage_tiler(
    database_url: str, settings: Settings, access: AccessSettings, coverage: Coverage
) -> Iterator[str]:
    from tiler.app import create_app

    tiler = TilerSettings(
        storage_roots=[settings.storage],
        mosaic_min_zoom=9,
        mosaic_max_items=10,
        catalogue_cache_seconds=0,
        public_url=None,
    )
    server = BackgroundServer(create_app(database_url, tiler, access), free_port()).start()
    yield server.url
    server.stop()

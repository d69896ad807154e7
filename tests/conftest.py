"""Session-wide real services: a throwaway PostgreSQL+PostGIS+pgSTAC cluster and the STAC API."""

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dinamis import database
from dinamis.catalog import load_collections
from dinamis.serve import BackgroundServer, free_port
from dinamis.settings import REPO_ROOT, Settings

SAMPLES = Path(os.environ.get("DINAMIS_SAMPLES_DIR", REPO_ROOT.parent / "shared" / "samples"))


@pytest.fixture(scope="session")
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.fail(f"sample products not found in {SAMPLES} (set DINAMIS_SAMPLES_DIR)")
    return SAMPLES


@pytest.fixture(scope="session")
def settings() -> Iterator[Settings]:
    # Not pytest's tmp_path: its folders are mode 700, which the cluster's account cannot enter.
    data_dir = Path(tempfile.mkdtemp(prefix="dinamis-test-", dir="/tmp"))
    data_dir.chmod(0o755)
    yield Settings(
        data_dir=data_dir,
        database_url=None,
        pg_port=free_port(),
        api_port=free_port(),
        tiler_port=free_port(),
        samples_dir=SAMPLES,
    )


@pytest.fixture(scope="session")
def database_url(settings: Settings) -> Iterator[str]:
    url = database.start(settings)
    yield url
    database.embedded_cluster(settings).destroy()


@pytest.fixture(scope="session")
def collection_ids(database_url: str, settings: Settings) -> list[str]:
    return load_collections(database_url, settings.collections_dir)


@pytest.fixture(scope="session")
def api_url(database_url: str, collection_ids: list[str], settings: Settings) -> Iterator[str]:
    from stac_api.app import create_app
    from stac_api.settings import ApiSettings

    app = create_app(
        database_url,
        ApiSettings(enable_transactions_extensions=True, tiler_url=settings.tiler_url),
    )
    server = BackgroundServer(app, settings.api_port).start()
    yield server.url
    server.stop()

"""An isolated storage root for each ingest test, and the environment a command reads."""

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dinamis.settings import Settings, get_settings


@pytest.fixture
def ingest_settings(settings: Settings) -> Settings:
    """The session settings with a fresh storage root, so each test sees its own files."""
    storage = Path(tempfile.mkdtemp(prefix="storage-", dir=settings.data_dir))
    return settings.model_copy(update={"storage_root": storage})


@pytest.fixture
def environment(
    monkeypatch: pytest.MonkeyPatch,
    ingest_settings: Settings,
    database_url: str,
    collection_ids: list[str],
) -> Iterator[Settings]:
    """``ingest_settings`` as the command line and the background tasks read them."""
    monkeypatch.setenv("DINAMIS_DATABASE_URL", database_url)
    monkeypatch.setenv("DINAMIS_DATA_DIR", str(ingest_settings.data_dir))
    monkeypatch.setenv("DINAMIS_STORAGE_ROOT", str(ingest_settings.storage))
    get_settings.cache_clear()
    yield ingest_settings
    get_settings.cache_clear()

"""An isolated storage root for each ingest test."""

import tempfile
from pathlib import Path

import pytest

from dinamis.settings import Settings


@pytest.fixture
def ingest_settings(settings: Settings) -> Settings:
    """The session settings with a fresh storage root, so each test sees its own files."""
    storage = Path(tempfile.mkdtemp(prefix="storage-", dir=settings.data_dir))
    return settings.model_copy(update={"storage_root": storage})

"""``dinamis ingest`` as the command line runs it: exit status and one line per failure."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dinamis.settings import Settings, get_settings
from ingest.cli import app
from ingest.testing import make_dimap2_product
from tests.ingest.helpers import acquisition


@pytest.fixture
def environment(
    monkeypatch: pytest.MonkeyPatch,
    ingest_settings: Settings,
    database_url: str,
    collection_ids: list[str],
) -> Iterator[Settings]:
    monkeypatch.setenv("DINAMIS_DATABASE_URL", database_url)
    monkeypatch.setenv("DINAMIS_DATA_DIR", str(ingest_settings.data_dir))
    monkeypatch.setenv("DINAMIS_STORAGE_ROOT", str(ingest_settings.storage))
    get_settings.cache_clear()
    yield ingest_settings
    get_settings.cache_clear()


def test_exit_status_and_summary(tmp_path: Path, environment: Settings) -> None:
    good = make_dimap2_product(tmp_path / "good", acquired=acquisition())
    bad = tmp_path / "bad" / "DIM_BROKEN.XML"
    bad.parent.mkdir()
    bad.write_text("<Dimap_Document>")
    runner = CliRunner()
    result = runner.invoke(app, [str(good), str(bad), "--workers", "2"])
    assert result.exit_code == 1, result.output
    assert f"FAILED {bad}: not well-formed XML" in result.output
    assert "ingested 1, skipped 0, failed 1" in result.output
    assert list(environment.storage.glob("pleiades/*/*.tif"))
    again = runner.invoke(app, [str(good), "--no-progress"])
    assert again.exit_code == 0, again.output
    assert "ingested 0, skipped 1, failed 0" in again.output

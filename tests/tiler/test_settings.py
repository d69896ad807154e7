"""Tiler settings from the environment, as an operator writes them."""

from pathlib import Path

import pytest

from tiler.settings import TilerSettings


def test_lists_are_read_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DINAMIS_TILER_STORAGE_ROOTS", "/data/cogs, /mnt/archive")
    monkeypatch.setenv("DINAMIS_TILER_ALLOWED_URL_PREFIXES", "https://cogs.example.org/")
    monkeypatch.setenv("DINAMIS_TILER_CORS_ORIGINS", "https://a.org,https://b.org")
    monkeypatch.setenv("DINAMIS_TILER_MAX_CROP_KM2", "25")
    monkeypatch.setenv("DINAMIS_TILER_MOSAIC_MIN_ZOOM", "10")
    settings = TilerSettings()
    assert settings.storage_roots == [Path("/data/cogs"), Path("/mnt/archive")]
    assert settings.allowed_url_prefixes == ["https://cogs.example.org/"]
    assert settings.cors_origins == ["https://a.org", "https://b.org"]
    assert settings.max_crop_km2 == 25
    assert settings.mosaic_min_zoom == 10


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DINAMIS_DATA_DIR", str(tmp_path))
    settings = TilerSettings()
    assert settings.storage_roots == [tmp_path / "storage"]  # dinamis' own storage
    assert settings.allowed_url_prefixes == []
    assert settings.root_path == ""
    assert TilerSettings(public_url="https://example.org/tiler/").root_path == "/tiler"

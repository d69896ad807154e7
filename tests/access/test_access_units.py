"""Small pure pieces: settings defaults, storage confinement, byte accounting, crop areas."""

import os
from pathlib import Path

import pytest

from access.assets import asset_path
from access.settings import SECRET_FILE, access_settings
from dinamis.area import bbox_area_km2
from dinamis.settings import Settings


def test_secret_is_generated_once_and_private(tmp_path: Path) -> None:
    project = Settings(data_dir=tmp_path, database_url=None)
    first = access_settings(project)
    second = access_settings(project)
    assert first.secret_key.get_secret_value() == second.secret_key.get_secret_value()
    assert os.stat(tmp_path / SECRET_FILE).st_mode & 0o777 == 0o600
    assert first.storage_roots == [project.storage]
    assert first.sign_origins == [project.api_url, project.tiler_url]


def test_environment_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DINAMIS_ACCESS_SECRET_KEY", "from-env")
    monkeypatch.setenv("DINAMIS_ACCESS_STORAGE_ROOTS", '["/srv/cogs"]')
    settings = access_settings(Settings(data_dir=tmp_path, database_url=None))
    assert settings.secret_key.get_secret_value() == "from-env"
    assert settings.storage_roots == [Path("/srv/cogs")]
    assert not (tmp_path / SECRET_FILE).exists()


def test_only_files_in_their_collection_folder_are_served(tmp_path: Path) -> None:
    root = tmp_path / "storage"
    (root / "open" / "item").mkdir(parents=True)
    (root / "licensed" / "item").mkdir(parents=True)
    cog = root / "open" / "item" / "x.tif"
    cog.write_bytes(b"x")
    licensed = root / "licensed" / "item" / "y.tif"
    licensed.write_bytes(b"y")
    (tmp_path / "secret").write_bytes(b"s")
    (root / "open" / "link.tif").symlink_to(tmp_path / "secret")
    (root / "open" / "licensed.tif").symlink_to(licensed)
    for href in (
        str(cog),
        f"file://{cog}",
        "item/x.tif",
        str(root / "open" / ".." / "open" / "item" / "x.tif"),
    ):
        assert asset_path(href, "open", [root]) == cog.resolve(), href
    for href in (
        str(licensed),  # another collection's file
        "../licensed/item/y.tif",
        str(root / "open" / "licensed.tif"),
        str(root / "open" / ".." / ".." / "secret"),
        str(root / "open" / "link.tif"),
        "https://example.org/x.tif",
        str(root / "open" / "missing.tif"),
        "item/x\x00.tif",
    ):
        assert asset_path(href, "open", [root]) is None, href
    assert asset_path(str(cog), "..", [root / "open"]) is None
    assert asset_path(str(licensed), "licensed", [tmp_path / "elsewhere", root]) == licensed


def test_bbox_area() -> None:
    # One degree square at the equator: 111.3 km x 110.6 km on the WGS84 ellipsoid.
    assert bbox_area_km2((0, 0, 1, 1)) == pytest.approx(12_309, rel=1e-3)
    assert bbox_area_km2((179, 0, -179, 1)) == pytest.approx(2 * bbox_area_km2((0, 0, 1, 1)))
    # The whole ellipsoid: 510,065,622 km² for WGS84.
    assert bbox_area_km2((-180, -90, 180, 90)) == pytest.approx(510_065_622, rel=1e-6)

"""GDAL's STACIT driver opens a search of the catalogue as one mosaic, with Debian 12's GDAL
(3.6, the `gdalinfo` of the gdal-bin package) and with rasterio's own GDAL; the open collection
anonymously, a licensed one with the user's key sent by GDAL (GDAL_HTTP_HEADERS)."""

import json
import os
import shutil
import subprocess
from typing import Any

import pytest
import rasterio

from tests.clients.scenes import Scenes
from tests.entitlements import People

GDALINFO = shutil.which("gdalinfo")
pytestmark = pytest.mark.skipif(
    GDALINFO is None, reason="Debian's gdal-bin is not installed (scripts/setup.sh installs it)"
)


def _stacit(scenes: Scenes, api_url: str) -> str:
    return f'STACIT:"{scenes.search_url(api_url)}"'


def _gdal(tool: str, *args: str, key: str | None = None) -> str:
    env = {**os.environ, "CPL_DEBUG": "OFF"}
    if key:
        env["GDAL_HTTP_HEADERS"] = f"Authorization: Bearer {key}"
    done = subprocess.run(
        [shutil.which(tool) or tool, *args], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _center_of_pixel(scenes: Scenes, index: int, row: int, col: int) -> tuple[float, float]:
    with rasterio.open(scenes.cog(index)) as src:
        return src.xy(row, col)


def _check_mosaic(info: dict[str, Any], scenes: Scenes, api_url: str) -> None:
    # A STACIT dataset is a VRT of the items' assets: GDAL 3.6 reports the VRT driver.
    assert info["driverShortName"] in ("STACIT", "VRT")
    assert "SUBDATASETS" not in info.get("metadata", {})
    downloads = {
        f"/vsicurl/{api_url}/collections/{scenes.collection}/items/{item['id']}/assets/data/download"
        for item in scenes.items
    }
    assert downloads <= set(info["files"])
    assert info["coordinateSystem"]["wkt"].count("UTM zone 31N")
    data = scenes.items[0]["assets"]["data"]
    assert [b.get("description") for b in info["bands"]] == [b["name"] for b in data["bands"]]
    widths = [item["assets"]["data"]["proj:shape"][1] for item in scenes.items]
    assert max(widths) < info["size"][0] <= sum(widths)  # two scenes side by side


@pytest.mark.parametrize("licensed", [False, True], ids=["open", "licensed"])
def test_debian_gdal_36_opens_a_search_as_a_mosaic(
    request: pytest.FixtureRequest, api_url: str, people: People, licensed: bool
) -> None:
    scenes: Scenes = request.getfixturevalue("licensed_scenes" if licensed else "open_scenes")
    key = people.entitled if licensed else None
    version = _gdal("gdalinfo", "--version")
    assert version.startswith("GDAL 3.6"), version
    info = json.loads(_gdal("gdalinfo", "-json", _stacit(scenes, api_url), key=key))
    _check_mosaic(info, scenes, api_url)
    # Pixels read through the mosaic are the scenes' own (by range requests on the API).
    for index, (row, col) in ((0, (10, 10)), (1, (40, 90))):
        x, y = _center_of_pixel(scenes, index, row, col)
        values = _gdal(
            "gdallocationinfo",
            "-valonly",
            "-geoloc",
            _stacit(scenes, api_url),
            str(x),
            str(y),
            key=key,
        ).split()
        expected = [int(scenes.read(index, band)[row, col]) for band in range(1, len(values) + 1)]
        assert [int(v) for v in values] == expected


def test_debian_gdal_needs_the_key_for_licensed_pixels(
    api_url: str, licensed_scenes: Scenes
) -> None:
    scenes = licensed_scenes
    env = {**os.environ, "CPL_DEBUG": "OFF"}
    done = subprocess.run(
        [GDALINFO or "gdalinfo", "-json", _stacit(scenes, api_url)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert ": 401" in done.stderr  # GDAL's own report of the refused download


@pytest.mark.parametrize("licensed", [False, True], ids=["open", "licensed"])
def test_rasterio_gdal_opens_a_search_as_a_mosaic(
    request: pytest.FixtureRequest, api_url: str, people: People, licensed: bool
) -> None:
    scenes: Scenes = request.getfixturevalue("licensed_scenes" if licensed else "open_scenes")
    options = {"GDAL_HTTP_HEADERS": f"Authorization: Bearer {people.entitled}"} if licensed else {}
    with rasterio.Env(**options), rasterio.open(_stacit(scenes, api_url)) as mosaic:
        assert mosaic.driver == "STACIT"
        assert mosaic.crs.to_epsg() == 32631
        data = scenes.items[0]["assets"]["data"]
        assert list(mosaic.descriptions) == [b["name"] for b in data["bands"]]
        for index, (row, col) in ((0, (10, 10)), (1, (40, 90))):
            x, y = _center_of_pixel(scenes, index, row, col)
            values = next(mosaic.sample([(x, y)]))
            expected = [int(scenes.read(index, b)[row, col]) for b in range(1, mosaic.count + 1)]
            assert [int(v) for v in values] == expected

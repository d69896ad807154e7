"""Collection and search mosaics: default rendering, seams, and the zoom and item limits."""

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import morecantile
import numpy as np
import pytest
import rasterio

from tests.tiler.samples import (
    RES,
    SIZE,
    UTM_ORIGIN,
    lonlat,
    make_item,
    pixel_centre,
    tile_and_pixel,
)

TMS = morecantile.tms.get("WebMercatorQuad")
SEAM_X = UTM_ORIGIN[0] + SIZE * RES  # where SPOT_WEST ends and SPOT_EAST begins


@pytest.fixture(scope="session")
def west_east_search(tiler_url: str, entitled: httpx.Client) -> str:
    response = entitled.post(
        f"{tiler_url}/searches/register",
        json={"collections": ["spot-6-7"], "ids": ["SPOT_WEST", "SPOT_EAST"]},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return response.json()["id"]


def raw_tile(client: httpx.Client, url: str) -> tuple[np.ndarray, np.ndarray]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    with rasterio.MemoryFile(response.content) as memfile, memfile.open() as tif:
        data = tif.read()
    return data[:-1], data[-1]  # bands, mask


def test_mosaic_tile_over_two_adjacent_items_is_seamless(
    tiler_url: str, entitled: httpx.Client, west_east_search: str
) -> None:
    lon, lat = lonlat("EPSG:32631", SEAM_X, UTM_ORIGIN[1] - 500)
    tile, seam_col, row = tile_and_pixel(lon, lat, 16)
    assert 20 < seam_col < 236, "the seam should run through the tile"
    data, mask = raw_tile(
        entitled,
        f"{tiler_url}/searches/{west_east_search}/tiles/WebMercatorQuad/"
        f"{tile.z}/{tile.x}/{tile.y}.tif",
    )
    band = data[0, row, seam_col - 20 : seam_col + 20].astype(int)
    # Both sides filled, band 1 keeps climbing across the seam by at most one source pixel.
    assert (mask[row, seam_col - 20 : seam_col + 20] > 0).all()
    steps = np.diff(band)
    assert (steps >= 0).all() and steps.max() <= 4, band
    assert band[0] < SIZE * 4 + 100 <= band[-1]  # west's values, then east's


@pytest.mark.parametrize("mosaic", ["collection", "search"])
def test_mosaic_default_tile_is_true_colour(
    tiler_url: str, entitled: httpx.Client, west_east_search: str, mosaic: str
) -> None:
    """A collection mosaic uses the collection's render; a search over one collection too."""
    base = {
        "collection": f"{tiler_url}/collections/spot-6-7",
        "search": f"{tiler_url}/searches/{west_east_search}",
    }[mosaic]
    lon, lat = pixel_centre("EPSG:32631", UTM_ORIGIN, 100, 100)
    tile, col, row = tile_and_pixel(lon, lat, 16)
    response = entitled.get(
        f"{base}/tiles/WebMercatorQuad/{tile.z}/{tile.x}/{tile.y}.png", timeout=60
    )
    assert response.status_code == 200, response.text
    with rasterio.MemoryFile(response.content) as memfile, memfile.open() as png:
        image = png.read()
    assert image.shape == (4, 256, 256)
    # SPOT_WEST at column 100: band 1 = 4 * 100 + 100, bands 2 and 3 constant; 0-3000 stretch.
    assert list(image[:3, row, col]) == pytest.approx(
        [round(500 * 255 / 3000), round(1200 * 255 / 3000), round(1300 * 255 / 3000)], abs=2
    )


def test_mosaic_below_min_zoom_is_refused_with_the_floor(
    tiler_url: str, entitled: httpx.Client
) -> None:
    tile = TMS.tile(*lonlat("EPSG:32631", *UTM_ORIGIN), 11)
    response = entitled.get(
        f"{tiler_url}/collections/spot-6-7/tiles/WebMercatorQuad/{tile.z}/{tile.x}/{tile.y}.png",
        timeout=60,
    )
    assert response.status_code == 400
    assert "from zoom 12" in response.json()["detail"]
    tilejson = entitled.get(
        f"{tiler_url}/collections/spot-6-7/WebMercatorQuad/tilejson.json", timeout=60
    ).json()
    assert tilejson["minzoom"] == 12


def test_mosaic_tile_over_too_many_items_is_refused(tiler_url: str, entitled: httpx.Client) -> None:
    lon, lat = lonlat("EPSG:32631", UTM_ORIGIN[0] + 1.5 * SIZE * RES, UTM_ORIGIN[1] - 500)
    tile = TMS.tile(lon, lat, 12)
    bounds = TMS.bounds(tile)
    west, _ = lonlat("EPSG:32631", *UTM_ORIGIN)
    east, _ = lonlat("EPSG:32631", UTM_ORIGIN[0] + 3 * SIZE * RES, UTM_ORIGIN[1])
    assert bounds.left < west and east < bounds.right, "all three SPOT items in the tile"
    response = entitled.get(
        f"{tiler_url}/collections/spot-6-7/tiles/WebMercatorQuad/{tile.z}/{tile.x}/{tile.y}.png",
        timeout=60,
    )
    assert response.status_code == 400
    assert "more than 2 items" in response.json()["detail"]


def test_mosaic_tile_outside_every_item_is_empty(tiler_url: str, entitled: httpx.Client) -> None:
    tile = TMS.tile(-60.0, -30.0, 14)
    response = entitled.get(
        f"{tiler_url}/collections/spot-6-7/tiles/WebMercatorQuad/{tile.z}/{tile.x}/{tile.y}.png",
        timeout=60,
    )
    assert response.status_code == 204


def test_mosaic_wmts_and_tilejson(
    tiler_url: str, entitled: httpx.Client, west_east_search: str
) -> None:
    for base in (f"{tiler_url}/collections/spot-6-7", f"{tiler_url}/searches/{west_east_search}"):
        response = entitled.get(f"{base}/WMTSCapabilities.xml", timeout=60)
        assert response.status_code == 200, response.text
        root = ET.fromstring(response.content)
        assert root.tag.endswith("Capabilities")
        tilejson = entitled.get(f"{base}/WebMercatorQuad/tilejson.json", timeout=60).json()
        assert tilejson["tiles"][0].startswith(f"{base}/tiles/WebMercatorQuad/")


@pytest.fixture(scope="session")
def broken_items(
    storage: Path, items: dict[str, dict[str, Any]], load_items: Callable[..., None]
) -> list[str]:  # after `items`: SPOT_WEST is theirs
    """Items over a small part of SPOT_WEST, newer (read first), whose files cannot be read: one
    missing, one that is no image. Small, so that pgSTAC does not take them as covering a whole
    tile (and stop there); in the open collection, so that no other test meets them."""
    folder = storage / "spot-world-heritage" / "BROKEN"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "damaged.tif").write_bytes(b"not a tiff at all")
    lon, lat = pixel_centre("EPSG:32631", UTM_ORIGIN, 100, 100)
    west, south, east, north = lon - 0.0005, lat - 0.0005, lon + 0.0005, lat + 0.0005
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    broken = []
    for item_id, name in (("SWH_MISSING", "missing.tif"), ("SWH_DAMAGED", "damaged.tif")):
        item = make_item(item_id, "spot-world-heritage", str(folder / name))
        item["bbox"] = [west, south, east, north]
        item["geometry"] = {"type": "Polygon", "coordinates": [ring]}
        item["properties"]["datetime"] = "2025-01-01T00:00:00Z"
        broken.append(item)
    load_items(*broken)
    return [item["id"] for item in broken]


def test_a_bad_item_is_skipped_not_the_whole_tile(
    tiler_url: str,
    entitled: httpx.Client,
    broken_items: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    lon, lat = pixel_centre("EPSG:32631", UTM_ORIGIN, 100, 100)
    tile, col, row = tile_and_pixel(lon, lat, 16)
    for item_id in broken_items:  # one at a time: a tile reads 2 items at most in these tests
        search = entitled.post(
            f"{tiler_url}/searches/register", json={"ids": [item_id, "SPOT_WEST"]}, timeout=60
        )
        base = f"{tiler_url}/searches/{search.json()['id']}"
        data, mask = raw_tile(
            entitled, f"{base}/tiles/WebMercatorQuad/{tile.z}/{tile.x}/{tile.y}.tif?assets=data"
        )
        assert mask[row, col] > 0 and data[0, row, col] == 4 * 100 + 100  # SPOT_WEST's pixel
        assert f"item spot-world-heritage/{item_id} skipped" in caplog.text
        point = entitled.get(f"{base}/point/{lon},{lat}", params={"assets": "data"}, timeout=60)
        assert point.status_code == 200, point.text
        assert [a["name"] for a in point.json()["assets"]] == ["spot-6-7/SPOT_WEST"]
    # On its own route, a broken item is a 404 that names it, not its file.
    response = entitled.get(
        f"{tiler_url}/collections/spot-world-heritage/items/SWH_MISSING/info", timeout=60
    )
    assert response.status_code == 404, response.text
    assert response.json()["detail"] == (
        "item 'SWH_MISSING': its image file cannot be read (missing or damaged)"
    )


def test_mosaic_assets_answer_public_urls_not_storage_paths(
    tiler_url: str, entitled: httpx.Client, west_east_search: str, storage: Path
) -> None:
    lon, lat = pixel_centre("EPSG:32631", UTM_ORIGIN, 100, 100)
    tile, _, _ = tile_and_pixel(lon, lat, 16)
    for base in (f"{tiler_url}/searches/{west_east_search}", f"{tiler_url}/collections/spot-6-7"):
        for path in (
            f"/point/{lon},{lat}/assets",
            f"/tiles/WebMercatorQuad/{tile.z}/{tile.x}/{tile.y}/assets",
            f"/bbox/{lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}/assets",
        ):
            response = entitled.get(f"{base}{path}", timeout=60)
            assert response.status_code == 200, response.text
            assert str(storage) not in response.text, path
            (item,) = response.json()
            assert item["assets"]["data"]["href"].endswith(
                "/collections/spot-6-7/items/SPOT_WEST/assets/data/download"
            )
    # The tiles of the same mosaic still read the stored files.
    raw_tile(
        entitled,
        f"{tiler_url}/searches/{west_east_search}/tiles/WebMercatorQuad/{tile.z}/{tile.x}/{tile.y}.tif",
    )

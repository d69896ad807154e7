"""Clipped downloads: a bbox or polygon becomes a GeoTIFF at native resolution in the item's CRS."""

from typing import NamedTuple

import httpx
import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from rasterio.windows import from_bounds
from rio_cogeo.cogeo import cog_validate

from tests.tiler.samples import L93_ORIGIN, RES, UTM_ORIGIN, lonlat, tile_and_pixel


class Case(NamedTuple):
    item: str
    crs: str
    origin: tuple[float, float]
    cog: str


ITEMS = [
    Case("PHR_UTM", "EPSG:32631", UTM_ORIGIN, "utm"),
    Case("PHR_L93", "EPSG:2154", L93_ORIGIN, "l93"),
]


def geotiff(response: httpx.Response) -> rasterio.io.MemoryFile:
    """The response's GeoTIFF, checked to be a valid COG."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/tiff; application=geotiff"
    memfile = rasterio.MemoryFile(response.content)
    valid, errors, _ = cog_validate(memfile.name, quiet=True)
    assert valid, errors
    return memfile


@pytest.mark.parametrize("case", ITEMS, ids=[case.item for case in ITEMS])
def test_bbox_in_the_item_crs_is_the_source_window(
    tiler_url: str, entitled: httpx.Client, cogs: dict, case: Case
) -> None:
    item, crs, origin, cog = case
    # 300 m x 200 m straddling the quadrant edges, on the pixel grid.
    left, top = origin[0] + 400, origin[1] - 400
    bounds = (left, top - 200, left + 300, top)
    url = f"{tiler_url}/collections/pleiades/items/{item}/bbox/{','.join(map(str, bounds))}.tif"
    with (
        geotiff(entitled.get(url, params={"coord_crs": crs}, timeout=60)) as memfile,
        memfile.open() as crop,
        rasterio.open(cogs[cog]) as source,
    ):
        assert crop.crs == rasterio.CRS.from_string(crs)
        assert crop.transform == pytest.approx(from_origin(left, top, RES, RES))
        assert (crop.width, crop.height) == (150, 100)
        expected = source.read(window=from_bounds(*bounds, source.transform))
        assert crop.dtypes[0] == "uint16"
        np.testing.assert_array_equal(crop.read()[:4], expected)


@pytest.mark.parametrize("case", ITEMS, ids=[case.item for case in ITEMS])
def test_bbox_in_degrees_comes_back_in_the_item_crs_at_native_resolution(
    tiler_url: str, entitled: httpx.Client, cogs: dict, case: Case
) -> None:
    item, crs, origin, cog = case
    west, south = lonlat(crs, origin[0] + 300, origin[1] - 700)
    east, north = lonlat(crs, origin[0] + 700, origin[1] - 300)
    url = f"{tiler_url}/collections/pleiades/items/{item}/bbox/{west},{south},{east},{north}.tif"
    with (
        geotiff(entitled.get(url, timeout=60)) as memfile,
        memfile.open() as crop,
        rasterio.open(cogs[cog]) as source,
    ):
        assert crop.crs == rasterio.CRS.from_string(crs)
        # On the source's pixel grid, covering the whole bbox: the source's own pixels.
        assert (crop.transform.a, crop.transform.e) == (RES, -RES)
        assert (crop.transform.c - origin[0]) % RES == 0
        assert (origin[1] - crop.transform.f) % RES == 0
        assert crop.bounds.left <= origin[0] + 300 and crop.bounds.top >= origin[1] - 300
        expected = source.read(window=from_bounds(*crop.bounds, source.transform))
        np.testing.assert_array_equal(crop.read()[:4], expected)


def test_feature_crop_is_masked_outside_the_polygon(
    tiler_url: str, entitled: httpx.Client, cogs: dict
) -> None:
    crs, origin = "EPSG:32631", UTM_ORIGIN
    corners = [
        (origin[0] + 200, origin[1] - 200),
        (origin[0] + 800, origin[1] - 200),
        (origin[0] + 200, origin[1] - 800),
    ]  # a right triangle
    ring = [list(lonlat(crs, *corner)) for corner in [*corners, corners[0]]]
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    response = entitled.post(
        f"{tiler_url}/collections/pleiades/items/PHR_UTM/feature.tif", json=feature, timeout=60
    )
    with geotiff(response) as memfile, memfile.open() as crop, rasterio.open(cogs["utm"]) as source:
        assert crop.crs == rasterio.CRS.from_string(crs)
        assert (crop.transform.a, crop.transform.e) == (RES, -RES)
        alpha = crop.read(crop.count)  # the mask, as the last band
        inside = crop.index(origin[0] + 300, origin[1] - 300)
        outside = crop.index(origin[0] + 700, origin[1] - 700)
        assert alpha[inside] > 0 and alpha[outside] == 0
        expected = next(source.sample([(origin[0] + 301, origin[1] - 301)]))
        assert list(crop.read()[:4, inside[0], inside[1]]) == list(expected)


def test_crop_over_the_area_limit_is_refused_with_the_limit(
    tiler_url: str, entitled: httpx.Client
) -> None:
    west, south = lonlat("EPSG:32631", UTM_ORIGIN[0] - 1000, UTM_ORIGIN[1] - 2000)
    east, north = lonlat("EPSG:32631", UTM_ORIGIN[0] + 1000, UTM_ORIGIN[1])
    response = entitled.get(
        f"{tiler_url}/collections/pleiades/items/PHR_UTM/bbox/{west},{south},{east},{north}.tif",
        timeout=60,
    )
    assert response.status_code == 400
    assert "limit of 2 km²" in response.json()["detail"]


def test_crop_over_the_pixel_limit_is_refused_with_the_limit(
    tiler_url: str, entitled: httpx.Client
) -> None:
    west, south = lonlat("EPSG:32631", UTM_ORIGIN[0] + 100, UTM_ORIGIN[1] - 500)
    east, north = lonlat("EPSG:32631", UTM_ORIGIN[0] + 500, UTM_ORIGIN[1] - 100)
    url = f"{tiler_url}/collections/pleiades/items/PHR_UTM/bbox/{west},{south},{east},{north}"
    response = entitled.get(f"{url}/2000x2000.tif", timeout=60)
    assert response.status_code == 400
    assert "limit of 1,100,000 pixels" in response.json()["detail"]
    preview = entitled.get(
        f"{tiler_url}/collections/pleiades/items/PHR_UTM/preview.png",
        params={"max_size": 4096},
        timeout=60,
    )
    assert preview.status_code == 400
    assert "pixels" in preview.json()["detail"]
    tile, _, _ = tile_and_pixel(*lonlat("EPSG:32631", UTM_ORIGIN[0] + 500, UTM_ORIGIN[1] - 500), 16)
    tile = entitled.get(
        f"{tiler_url}/collections/pleiades/items/PHR_UTM/tiles/WebMercatorQuad/"
        f"{tile.z}/{tile.x}/{tile.y}.png",
        params={"tilesize": 4096},
        timeout=60,
    )
    assert tile.status_code == 400


def test_crop_as_png_is_a_rendered_picture(tiler_url: str, entitled: httpx.Client) -> None:
    west, south = lonlat("EPSG:32631", UTM_ORIGIN[0] + 100, UTM_ORIGIN[1] - 500)
    east, north = lonlat("EPSG:32631", UTM_ORIGIN[0] + 500, UTM_ORIGIN[1] - 100)
    url = f"{tiler_url}/collections/pleiades/items/PHR_UTM/bbox/{west},{south},{east},{north}.png"
    response = entitled.get(url, timeout=60)
    assert response.status_code == 200
    with rasterio.MemoryFile(response.content) as memfile, memfile.open() as image:
        assert image.count == 4  # true colour + alpha
        assert image.dtypes[0] == "uint8"

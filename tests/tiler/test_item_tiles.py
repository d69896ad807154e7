"""Item tiles, TileJSON, WMTS, previews and points over real HTTP, checked pixel by pixel."""

import time
import xml.etree.ElementTree as ET
from typing import Any

import httpx
import numpy as np
import pytest
import rasterio

from tests.tiler.samples import (
    BLUE,
    BOTTOM,
    L93_ORIGIN,
    LEFT,
    NIR,
    RIGHT,
    TOP,
    UTM_ORIGIN,
    pixel_centre,
    tile_and_pixel,
)

ITEM = "/collections/pleiades/items/PHR_UTM"
ZOOM = 16  # the sample's native zoom (2 m pixels at 43.6°N)


def rescaled(value: float, high: float = 3000) -> int:
    return round(value * 255 / high)


def get(client: httpx.Client, url: str, **params: Any) -> httpx.Response:
    return client.get(url, params=params)


def decode(response: httpx.Response) -> np.ndarray:
    """The picture's pixels as (rows, cols, bands), decoded by GDAL."""
    assert response.status_code == 200, response.text
    with rasterio.MemoryFile(response.content) as memfile, memfile.open() as image:
        return np.moveaxis(image.read(), 0, -1)


def png(response: httpx.Response) -> np.ndarray:
    assert response.headers["content-type"] == "image/png"
    return decode(response)


# Quadrant centres: (col, row) in the 512x512 image, and the (red, green) they hold.
QUADRANTS = [
    ((128, 128), (LEFT, TOP)),
    ((384, 128), (RIGHT, TOP)),
    ((128, 384), (LEFT, BOTTOM)),
    ((384, 384), (RIGHT, BOTTOM)),
]


@pytest.mark.parametrize(
    ("crs", "origin", "item"),
    [
        ("EPSG:32631", UTM_ORIGIN, "PHR_UTM"),
        ("EPSG:2154", L93_ORIGIN, "PHR_L93"),
    ],
)
def test_parameterless_tile_is_true_colour_rescaled_for_12_bits(
    tiler_url: str, entitled: httpx.Client, crs: str, origin: tuple[float, float], item: str
) -> None:
    for (col, row), (red, green) in QUADRANTS:
        tile, x, y = tile_and_pixel(*pixel_centre(crs, origin, col, row), ZOOM)
        url = f"{tiler_url}/collections/pleiades/items/{item}/tiles/WebMercatorQuad"
        image = png(get(entitled, f"{url}/{tile.z}/{tile.x}/{tile.y}.png"))
        assert image.shape == (256, 256, 4)  # RGB + alpha, from the collection's true-color
        assert image[y, x, :3] == pytest.approx(
            [rescaled(red), rescaled(green), rescaled(BLUE)], abs=1
        )
        assert image[y, x, 3] == 255


def test_parameterless_tile_without_extension_is_a_picture(
    tiler_url: str, entitled: httpx.Client
) -> None:
    tile, _, _ = tile_and_pixel(*pixel_centre("EPSG:32631", UTM_ORIGIN, 256, 256), ZOOM)
    response = get(entitled, f"{tiler_url}{ITEM}/tiles/WebMercatorQuad/{tile.z}/{tile.x}/{tile.y}")
    assert response.status_code == 200
    assert response.headers["content-type"] in ("image/png", "image/jpeg")


def test_item_render_wins_over_the_collection_render(
    tiler_url: str, entitled: httpx.Client
) -> None:
    tile, x, y = tile_and_pixel(*pixel_centre("EPSG:32631", UTM_ORIGIN, 128, 128), ZOOM)
    url = f"{tiler_url}/collections/pleiades/items/PHR_OWN_RENDER/tiles/WebMercatorQuad"
    image = png(get(entitled, f"{url}/{tile.z}/{tile.x}/{tile.y}.png"))
    assert image.shape == (256, 256, 2)  # one band (NIR) + alpha
    assert image[y, x, 0] == pytest.approx(rescaled(NIR, 4000), abs=1)


def test_explicit_parameters_replace_the_default_render(
    tiler_url: str, entitled: httpx.Client
) -> None:
    tile, x, y = tile_and_pixel(*pixel_centre("EPSG:32631", UTM_ORIGIN, 384, 384), ZOOM)
    url = f"{tiler_url}{ITEM}/tiles/WebMercatorQuad/{tile.z}/{tile.x}/{tile.y}.png"

    false_colour = png(get(entitled, url, assets="data|bidx=4,1,2", rescale="0,3000"))
    assert false_colour[y, x, :3] == pytest.approx(
        [rescaled(NIR), rescaled(RIGHT), rescaled(BOTTOM)], abs=1
    )

    ndvi = png(get(entitled, url, assets="data", expression="(b4-b1)/(b4+b1)", rescale="0,1"))
    assert ndvi[y, x, 0] == pytest.approx(round((NIR - RIGHT) / (NIR + RIGHT) * 255), abs=1)

    coloured = png(
        get(entitled, url, assets="data|bidx=1", rescale="0,3000", colormap_name="viridis")
    )
    assert coloured.shape == (256, 256, 4)
    assert len(set(map(tuple, coloured[y, x - 2 : x + 2, :3]))) == 1

    # Only the rescale given: the default render's layer, the request's stretch.
    stretched = png(get(entitled, url, rescale="0,6000"))
    assert stretched[y, x, :3] == pytest.approx(
        [rescaled(RIGHT, 6000), rescaled(BOTTOM, 6000), rescaled(BLUE, 6000)], abs=1
    )


def test_tile_size_and_formats(tiler_url: str, entitled: httpx.Client) -> None:
    tile, _, _ = tile_and_pixel(*pixel_centre("EPSG:32631", UTM_ORIGIN, 256, 256), ZOOM)
    base = f"{tiler_url}{ITEM}/tiles/WebMercatorQuad/{tile.z}/{tile.x}/{tile.y}"
    assert png(get(entitled, f"{base}.png", tilesize=512)).shape[:2] == (512, 512)
    for fmt, media in (("jpeg", "image/jpeg"), ("webp", "image/webp")):
        response = get(entitled, f"{base}.{fmt}")
        assert response.headers["content-type"] == media
        assert decode(response).shape[:2] == (256, 256)


def test_low_zoom_tile_over_more_than_the_crop_limit_is_drawn(
    tiler_url: str, entitled: httpx.Client
) -> None:
    # A zoom-8 tile covers ~20,000 km², far above the test crop limit of 2 km²: tiles are
    # bounded by their pixels, not by the download area limit.
    tile, x, y = tile_and_pixel(*pixel_centre("EPSG:32631", UTM_ORIGIN, 128, 128), 8)
    picture = png(get(entitled, f"{tiler_url}{ITEM}/tiles/WebMercatorQuad/8/{tile.x}/{tile.y}"))
    assert picture.shape == (256, 256, 4)
    assert picture[y, x, 3] == 255, "the item's pixel is drawn (opaque) in the low-zoom tile"


def test_tile_far_below_the_items_zoom_is_drawn_fast(
    tiler_url: str, entitled: httpx.Client
) -> None:
    """A zoom-5 tile spans 1,250 km, the item 1 km: read at the item's resolution over the
    whole tile (rio-tiler's way), it warps 600,000 pixels a side through an overview 4 times
    coarser, holding a worker for minutes. It is drawn from the item's footprint alone."""
    tile, x, y = tile_and_pixel(*pixel_centre("EPSG:32631", UTM_ORIGIN, 128, 128), 5)
    started = time.monotonic()
    response = entitled.get(
        f"{tiler_url}{ITEM}/tiles/WebMercatorQuad/5/{tile.x}/{tile.y}.png", timeout=30
    )
    elapsed = time.monotonic() - started
    picture = png(response)
    assert elapsed < 2, f"the zoom-5 tile took {elapsed:.1f} s"
    assert picture[y, x, 3] == 255, "the item's pixel is drawn (opaque)"
    assert 1 <= np.count_nonzero(picture[..., 3]) <= 4, "nothing beyond the item's footprint"


def test_raw_tile_keeps_native_values(tiler_url: str, entitled: httpx.Client) -> None:
    tile, x, y = tile_and_pixel(*pixel_centre("EPSG:32631", UTM_ORIGIN, 128, 384), ZOOM)
    response = get(
        entitled, f"{tiler_url}{ITEM}/tiles/WebMercatorQuad/{tile.z}/{tile.x}/{tile.y}.tif"
    )
    assert response.status_code == 200
    with rasterio.MemoryFile(response.content) as memfile, memfile.open() as tif:
        data = tif.read()
    # No picture asked for: every band of the data asset, not rescaled.
    assert data.dtype == np.uint16
    assert list(data[:4, y, x]) == [LEFT, BOTTOM, BLUE, NIR]


def test_tilejson_bounds_match_the_item(
    tiler_url: str, entitled: httpx.Client, items: dict[str, dict]
) -> None:
    for key, item in (("utm", "PHR_UTM"), ("l93", "PHR_L93")):
        url = f"{tiler_url}/collections/pleiades/items/{item}/WebMercatorQuad/tilejson.json"
        tilejson = get(entitled, url).json()
        assert tilejson["bounds"] == pytest.approx(items[key]["bbox"], abs=1e-6)
        assert tilejson["minzoom"] <= ZOOM <= tilejson["maxzoom"]
        assert tilejson["tiles"][0].startswith(
            f"{tiler_url}/collections/pleiades/items/{item}/tiles/WebMercatorQuad/{{z}}/{{x}}/{{y}}"
        )
        assert set(tilejson["raster_layers"]) == {"true-color", "false-color"}


def test_tilejson_tiles_url_serves_the_default_picture(
    tiler_url: str, entitled: httpx.Client
) -> None:
    tilejson = get(entitled, f"{tiler_url}{ITEM}/WebMercatorQuad/tilejson.json").json()
    tile, x, y = tile_and_pixel(*pixel_centre("EPSG:32631", UTM_ORIGIN, 128, 128), ZOOM, 512)
    url = tilejson["tiles"][0].format(z=tile.z, x=tile.x, y=tile.y)
    image = png(entitled.get(url.replace("?", ".png?"), timeout=60))
    assert image.shape[:2] == (512, 512)
    assert image[y, x, 0] == pytest.approx(rescaled(LEFT), abs=1)


WMTS = "{http://www.opengis.net/wmts/1.0}"
OWS = "{http://www.opengis.net/ows/1.1}"


def test_wmts_capabilities_parse_and_list_the_renders(
    tiler_url: str, entitled: httpx.Client
) -> None:
    response = get(entitled, f"{tiler_url}{ITEM}/WMTSCapabilities.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    layers = root.findall(f"{WMTS}Contents/{WMTS}Layer")
    names = {layer.find(f"{OWS}Identifier").text for layer in layers}
    assert any("true-color" in name for name in names), names
    template = layers[0].find(f"{WMTS}ResourceURL").get("template")
    assert "{TileMatrix}" in template and "{TileCol}" in template and "{TileRow}" in template
    matrices = root.findall(f"{WMTS}Contents/{WMTS}TileMatrixSet/{WMTS}TileMatrix")
    assert matrices


def test_preview_formats(tiler_url: str, entitled: httpx.Client) -> None:
    for fmt, media in (("png", "image/png"), ("jpeg", "image/jpeg"), ("webp", "image/webp")):
        response = get(entitled, f"{tiler_url}{ITEM}/preview.{fmt}", max_size=256)
        assert response.headers["content-type"] == media
        image = decode(response)
        assert image.shape[:2] == (256, 256)
        assert image.shape[2] in (3, 4)  # RGB, with alpha where the format has one


def test_point_returns_every_band_of_the_data_asset(tiler_url: str, entitled: httpx.Client) -> None:
    lon, lat = pixel_centre("EPSG:32631", UTM_ORIGIN, 384, 128)
    body = get(entitled, f"{tiler_url}{ITEM}/point/{lon},{lat}").json()
    assert body["values"] == [RIGHT, TOP, BLUE, NIR]


def test_statistics_and_info(tiler_url: str, entitled: httpx.Client) -> None:
    info = get(entitled, f"{tiler_url}{ITEM}/info").json()
    assert info["data"]["crs"].endswith("32631")
    assert info["data"]["count"] == 4
    stats = get(entitled, f"{tiler_url}{ITEM}/statistics", assets="data|bidx=1").json()
    band = next(iter(stats.values()))
    assert band["min"] == LEFT and band["max"] == RIGHT
    # No layer named: statistics of every band of the data asset, not of the rendering.
    every_band = get(entitled, f"{tiler_url}{ITEM}/statistics").json()
    assert [(b["min"], b["max"]) for b in every_band.values()] == [
        (LEFT, RIGHT),
        (TOP, BOTTOM),
        (BLUE, BLUE),
        (NIR, NIR),
    ]


def test_unknown_item_is_404(tiler_url: str, entitled: httpx.Client) -> None:
    response = get(entitled, f"{tiler_url}/collections/pleiades/items/NOPE/info")
    assert response.status_code == 404

"""A built coverage served as one layer: pyramid tiles at low zoom that match the item mosaic,
item tiles above, TileJSON and WMTS for QGIS, licence checks and refusals of bad input."""

from functools import partial
from typing import Any

import httpx
import morecantile
import numpy as np
import pytest
from owslib.wmts import WebMapTileService
from rasterio.io import MemoryFile
from rio_tiler.errors import TileOutsideBounds
from rio_tiler.io import Reader
from rio_tiler.mosaic import mosaic_reader

from coverages.models import Coverage
from tests.entitlements import People, bearer

TMS = morecantile.tms.get("WebMercatorQuad")
# The machine may be busy: a tile is slow, not lost.
get = partial(httpx.get, timeout=60)
post = partial(httpx.post, timeout=60)
RESCALE = ((0, 3000),) * 3


def tiles_of(coverage: Coverage, zoom: int) -> list[morecantile.Tile]:
    assert coverage.pyramid is not None
    return list(TMS.tiles(*coverage.pyramid.bounds, [zoom]))


def tile_url(base: str, coverage: Coverage, tile: morecantile.Tile) -> str:
    return f"{base}/coverages/{coverage.id}/tiles/WebMercatorQuad/{tile.z}/{tile.x}/{tile.y}.png"


def decoded(content: bytes) -> np.ma.MaskedArray:
    """A PNG tile as RGB values masked where it is transparent."""
    with MemoryFile(content) as memory, memory.open() as png:
        rgba = png.read()
    return np.ma.masked_array(rgba[:3], mask=np.broadcast_to(rgba[3] == 0, rgba[:3].shape))


def mosaic_in_process(items: list[dict[str, Any]], tile: morecantile.Tile) -> np.ma.MaskedArray:
    """The same tile drawn by rio-tiler from the items themselves, newest first."""
    paths = [
        item["assets"]["data"]["href"]
        for item in sorted(items, key=lambda i: i["properties"]["datetime"], reverse=True)
    ]

    def read(path: str, x: int, y: int, z: int) -> Any:
        with Reader(path) as src:
            return src.tile(x, y, z, indexes=(1, 2, 3), resampling_method="bilinear")

    image, _ = mosaic_reader(
        paths, read, tile.x, tile.y, tile.z, allowed_exceptions=(TileOutsideBounds,)
    )
    image.rescale(RESCALE)
    return decoded(image.render(img_format="PNG"))


@pytest.mark.parametrize("below", [0, 2])
def test_low_zoom_tiles_come_from_the_pyramid_and_match_the_mosaic(
    coverage_tiler: str,
    coverage: Coverage,
    scene_items: list[dict[str, Any]],
    people: People,
    below: int,
) -> None:
    assert coverage.pyramid is not None
    zoom = coverage.pyramid.zoom - below
    both_total = either_total = 0
    for tile in tiles_of(coverage, zoom):
        response = get(tile_url(coverage_tiler, coverage, tile), headers=bearer(people.entitled))
        assert response.status_code == 200, response.text
        assert response.headers["x-coverage-source"] == "pyramid"
        served, expected = decoded(response.content), mosaic_in_process(scene_items, tile)
        both = ~served.mask[0] & ~expected.mask[0]
        either = ~served.mask[0] | ~expected.mask[0]
        # The values within a few levels of 255 where both have data.
        difference = np.abs(served.data[:, both].astype(int) - expected.data[:, both])
        assert difference.mean() < 3, difference.mean()
        both_total, either_total = both_total + both.sum(), either_total + either.sum()
    # The footprints agree but for their edge pixels.
    assert both_total > 1000
    assert both_total >= 0.9 * either_total, (both_total, either_total)


def test_zooms_above_the_pyramid_come_from_the_items(
    coverage_tiler: str, coverage: Coverage, scene_items: list[dict[str, Any]], people: People
) -> None:
    assert coverage.pyramid is not None
    west, south, east, north = coverage.pyramid.bounds
    tile = TMS.tile((west + east) / 2, (south + north) / 2, coverage.pyramid.zoom + 2)
    response = get(tile_url(coverage_tiler, coverage, tile), headers=bearer(people.entitled))
    assert response.status_code == 200, response.text
    assert response.headers["x-coverage-source"] == "mosaic"
    served, expected = decoded(response.content), mosaic_in_process(scene_items, tile)
    assert (served.mask == expected.mask).all()
    assert np.abs(served.astype(int) - expected).max() <= 1


def test_tilejson_and_wmts_describe_one_layer_for_web_maps_and_qgis(
    coverage_tiler: str, coverage: Coverage, api_url: str, people: People
) -> None:
    base = f"{coverage_tiler}/coverages/{coverage.id}/WebMercatorQuad"
    token = post(
        f"{api_url}/auth/token", headers=bearer(people.entitled), json={"collections": ["spot-6-7"]}
    ).json()["access_token"]
    tilejson = get(f"{base}/tilejson.json", params={"access_token": token}).json()
    assert tilejson["minzoom"] == 0 and tilejson["maxzoom"] >= coverage.pyramid.zoom + 2
    assert tilejson["bounds"] == pytest.approx(list(coverage.pyramid.bounds))
    template = tilejson["tiles"][0]
    assert f"access_token={token}" in template
    # The template as a web map fills it in, at a pyramid zoom.
    tile = tiles_of(coverage, coverage.pyramid.zoom - 3)[0]
    response = get(template.format(z=tile.z, x=tile.x, y=tile.y))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"

    capabilities = get(f"{base}/WMTSCapabilities.xml", params={"access_token": token})
    assert capabilities.status_code == 200, capabilities.text
    wmts = WebMapTileService(f"{base}/WMTSCapabilities.xml", xml=capabilities.content)
    layer = wmts.contents[coverage.id]
    assert layer.title == coverage.title
    assert "WebMercatorQuad" in wmts.tilematrixsets
    assert len(wmts.tilematrixsets["WebMercatorQuad"].tilematrix) > coverage.pyramid.zoom
    url = layer.resourceURLs[0]["template"]
    filled = url.replace("{TileMatrix}", str(tile.z))
    filled = filled.replace("{TileCol}", str(tile.x)).replace("{TileRow}", str(tile.y))
    # QGIS fetches tiles from the template alone: it carries the token.
    response = get(filled)
    assert response.status_code == 200, response.text
    assert response.headers["x-coverage-source"] == "pyramid"


def test_a_licensed_coverage_is_served_only_to_entitled_callers(
    coverage_tiler: str, coverage: Coverage, api_url: str, people: People
) -> None:
    tile = tiles_of(coverage, coverage.pyramid.zoom - 1)[0]
    url = tile_url(coverage_tiler, coverage, tile)
    base = f"{coverage_tiler}/coverages/{coverage.id}/WebMercatorQuad"
    for path in (url, f"{base}/tilejson.json", f"{base}/WMTSCapabilities.xml"):
        anonymous = get(path)
        assert anonymous.status_code == 401, anonymous.text
        assert "licensed" in anonymous.json()["detail"]
        assert get(path, headers=bearer(people.no_licence)).status_code == 403
    served = get(url, headers=bearer(people.entitled))
    assert served.status_code == 200
    assert served.headers["cache-control"].startswith("private")
    # A token for another collection does not read this one.
    mint = f"{api_url}/auth/token"
    other = post(mint, headers=bearer(people.entitled), json={"collections": ["pleiades"]})
    assert get(url, params={"access_token": other.json()["access_token"]}).status_code == 403
    # The list of coverages is open, as the catalogue's collections are.
    listed = get(f"{coverage_tiler}/coverages").json()
    assert coverage.id in [c["id"] for c in listed]


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("coverages/no-such-coverage/tiles/WebMercatorQuad/5/16/11.png", 404, "no coverage"),
        ("coverages/no-such-coverage", 404, "no coverage"),
        ("coverages/%00", 400, "NUL byte"),
        ("coverages/{id}/tiles/WebMercatorQuad/99/0/0.png", 400, "zoom levels: from 0 to 24"),
        ("coverages/{id}/tiles/WebMercatorQuad/25/0/0.png", 400, "zoom levels: from 0 to 24"),
        ("coverages/{id}/tiles/WebMercatorQuad/3/8/0.png", 400, "x from 0 to 7"),
        ("coverages/{id}/tiles/WebMercatorQuad/3/-1/0.png", 400, "x from 0 to 7"),
        ("coverages/{id}/tiles/WGS1984Quad/3/0/0.png", 404, "WebMercatorQuad only"),
        ("coverages/{id}/tiles/WebMercatorQuad/3/0/0.gif", 422, "png"),
        ("coverages/{id}/tiles/WebMercatorQuad/3/0/0.png?render=nope", 400, "no render"),
        ("coverages/{id}/tiles/WebMercatorQuad/0/0/0.png?render=" + "x" * 200, 422, "100"),
    ],
)
def test_bad_input_is_refused_with_a_reason(
    coverage_tiler: str, coverage: Coverage, people: People, path: str, status: int, words: str
) -> None:
    response = get(
        f"{coverage_tiler}/{path.replace('{id}', coverage.id)}", headers=bearer(people.entitled)
    )
    assert response.status_code == status, response.text
    assert words in response.text


def test_a_tile_beside_the_coverage_is_not_found(
    coverage_tiler: str, coverage: Coverage, people: People
) -> None:
    # Zoom 5 tile over the Pacific: outside the pyramid.
    response = get(
        f"{coverage_tiler}/coverages/{coverage.id}/tiles/WebMercatorQuad/5/1/12.png",
        headers=bearer(people.entitled),
    )
    assert response.status_code == 404, response.text


def test_the_coverage_routes_are_in_the_tilers_openapi(coverage_tiler: str) -> None:
    paths = get(f"{coverage_tiler}/api").json()["paths"]
    assert "/coverages/{coverage_id}/tiles/{tileMatrixSetId}/{z}/{x}/{y}.{format}" in paths
    assert "/coverages/{coverage_id}/{tileMatrixSetId}/WMTSCapabilities.xml" in paths

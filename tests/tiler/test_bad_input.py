"""Issue 8, item 5 on the real tiler over HTTP: the inputs that made it answer 500 now get a
4xx JSON naming the problem, on items and on mosaics alike."""

import json

import httpx
import pytest

from tests.entitlements import BOUNDS, Items

CENTRE = f"{(BOUNDS[0] + BOUNDS[2]) / 2},{(BOUNDS[1] + BOUNDS[3]) / 2}"
TERMS = "+".join(["image_b1"] * 5000)


@pytest.fixture(scope="module")
def bases(tiler_url: str, access_items: Items) -> dict[str, str]:
    collection, item = access_items.open
    search = httpx.post(f"{tiler_url}/searches/register", json={"collections": [collection]})
    return {
        "item": f"{tiler_url}/collections/{collection}/items/{item}",
        "collection": f"{tiler_url}/collections/{collection}",
        "search": f"{tiler_url}/searches/{search.json()['id']}",
    }


@pytest.mark.parametrize("mosaic", ["item", "collection", "search"])
@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("/tiles/WebMercatorQuad/-1/0/0.png", "zoom -1"),
        ("/tiles/WebMercatorQuad/99/0/0.png", "zoom 99"),
        ("/tiles/WebMercatorQuad/0/5/0.png", "outside"),
        (f"/tiles/WebMercatorQuad/15/22692/23300.png?expression={TERMS}", "expression"),
        ("/point/nan,-49.41", "lon=nan"),
        ("/point/69.31,-inf", "lat=-inf"),
        (f"/point/{CENTRE}?expression={TERMS}", "expression"),
        ("/tiles/WebMercatorQuad/15/22692/23300.png?tilesize=0", "tilesize"),
    ],
)
def test_bad_input_is_a_4xx_naming_it(
    bases: dict[str, str], mosaic: str, path: str, named: str
) -> None:
    response = httpx.get(f"{bases[mosaic]}{path}", timeout=30)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert named in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("/bbox/nan,-49.41,69.31,-49.40.tif?assets=image", "minx=nan"),
        ("/point/0,0?assets=image", "outside"),  # a point outside the image
        ("/statistics?assets=image&p=101", "p=101"),
        ("/statistics?assets=image&histogram_bins=100000000", "histogram_bins"),
    ],
)
def test_bad_item_input_is_a_4xx_naming_it(bases: dict[str, str], path: str, named: str) -> None:
    response = httpx.get(f"{bases['item']}{path}", timeout=30)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert named in response.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/collections/spot-world-heritage%00/items/x/info",
        "/collections/spot-world-heritage/items/ACCESS%00TEST/info",
        "/collections/spot-world-heritage%00/tiles/WebMercatorQuad/15/0/0.png",
        "/searches/abc%00def/info",
    ],
)
def test_nul_bytes_in_ids_are_a_400(tiler_url: str, path: str) -> None:
    response = httpx.get(f"{tiler_url}{path}")
    assert response.status_code == 400, response.text
    assert "NUL" in response.json()["detail"]


@pytest.mark.parametrize(
    "coordinates",
    [
        [],  # no ring
        [[[float("nan"), 0.0]]],  # NaN, and too few positions
        [[[69.30, -49.41], [float("nan"), -49.41], [69.31, -49.40], [69.30, -49.41]]],
    ],
)
def test_bad_geometries_are_a_4xx(bases: dict[str, str], coordinates: list) -> None:
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": coordinates},
    }
    for route in ("/feature.tif", "/statistics"):
        response = httpx.post(
            f"{bases['item']}{route}",
            params={"assets": "image"},
            content=json.dumps(feature).encode(),  # NaN written as such, as JavaScript may
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        assert 400 <= response.status_code < 500, (route, response.status_code, response.text)
        assert response.json()["detail"]

"""Issue 8, item 5 on the real tiler over HTTP: the inputs that made it answer 500 now get a
4xx JSON naming the problem, on items and on mosaics alike."""

import json

import httpx
import morecantile
import pytest

from tests.entitlements import BOUNDS, Items

CENTRE = f"{(BOUNDS[0] + BOUNDS[2]) / 2},{(BOUNDS[1] + BOUNDS[3]) / 2}"
TERMS = "+".join(["image_b1"] * 5000)
# A tile over the open item's one-band image, so that its pixels are read.
OVER = morecantile.tms.get("WebMercatorQuad").tile(
    (BOUNDS[0] + BOUNDS[2]) / 2, (BOUNDS[1] + BOUNDS[3]) / 2, 15
)
TILE = f"/tiles/WebMercatorQuad/{OVER.z}/{OVER.x}/{OVER.y}.png"
# A self-intersecting ring over the image, one position more than the tiler's default limit.
ZIGZAG = {
    "type": "Feature",
    "properties": {},
    "geometry": {
        "type": "Polygon",
        "coordinates": [
            [[BOUNDS[0] + i * 1e-6, BOUNDS[1] + i % 2 * 0.01] for i in range(10_000)]
            + [[BOUNDS[0], BOUNDS[1]]]
        ],
    },
}


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
        # Found by probing the running tiler with generated input: each was a 500.
        (f"{TILE}?assets=image|bidx=5", "band 5 out of range"),
        (f"{TILE}?assets=image|bidx=0", "band 0 out of range"),
        (f"/point/{CENTRE}?assets=image|bidx=-1", "band -1 out of range"),
        (f'{TILE}?assets=image&colormap={{"a": [0, 0, 0]}}', "colormap"),
        (f"{TILE}?assets=image&colormap=[1]", "colormap"),
        (f"{TILE}?assets=image&nodata=inf", "nodata=inf does not fit"),
        (f"/point/{CENTRE}?assets=image&nodata=256", "nodata=256 does not fit"),
        (f'{TILE}?assets=image&colormap={{"1": [999, 0, 0]}}', "colormap"),
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
        ("/preview.png?assets=image|bidx=2", "band 2 out of range"),
        ("/statistics?assets=image|expression=b1*b7", "band 7 out of range"),
        ("/info?assets=image|bidx=1", "band options"),
        ("/info.geojson?assets=image|expression=b1", "band options"),
        ("/info?assets=|bidx=1", "without an asset name"),
        ("/preview.png?assets=|bidx=1", "without an asset name"),
    ],
)
def test_bad_item_input_is_a_4xx_naming_it(bases: dict[str, str], path: str, named: str) -> None:
    response = httpx.get(f"{bases['item']}{path}", timeout=30)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert named in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        # pgSTAC's RAISE EXCEPTION (query and filter together) was a 500...
        ({"query": '{"eo:cloud_cover": {"lt": 10}}', "filter": "eo:cloud_cover < 10"},
         "query or filter"),
        # ...and so was its DataError on a filter it cannot read (titiler's BackendError).
        ({"filter-lang": "cql2-json", "filter": '{"op": "<", "args": [{"property": "p"}]}'},
         "search refused by the catalogue"),
        ({"filter-lang": "cql2-json", "filter": '{"op": "-", "args": [{"bbox": [0, 0, 1, 1]}]}'},
         "search refused by the catalogue"),
    ],
)  # fmt: skip
def test_a_collection_search_pgstac_refuses_is_a_400(
    bases: dict[str, str], params: dict[str, str], named: str
) -> None:
    response = httpx.get(f"{bases['collection']}/info", params=params)
    assert response.status_code == 400, response.text
    assert named in response.json()["detail"]


def test_a_filter_costly_to_validate_is_refused(bases: dict[str, str]) -> None:
    # cql2's validation of it took 18 s and 5.8 GB, in the tiler's process.
    response = httpx.get(
        f"{bases['collection']}/info",
        params={"filter-lang": "cql2-text", "filter": "id = 'x' ---- y"},
        timeout=60,
    )
    assert response.status_code == 400, response.text
    assert "max_filter_check_seconds" in response.json()["detail"]


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


@pytest.mark.parametrize(
    ("route", "body", "named"),
    [
        ("/searches/register", '{"collections": ["\\ud800"]}', "lone UTF-16 surrogate"),
        ("/searches/register", '{"bbox": [1e400, 0, 1, 1]}', "1e400"),
        ("/searches/register", '{"collections": "x"}', "collections"),  # echoes the body
        ("{item}/feature.tif?assets=image", '{"type": "Feature", "properties": {"\\udc00": 1}}',
         "lone UTF-16 surrogate"),
        ("{item}/statistics?assets=image", '{"type": "Feature", "geometry": {"type": "Point", '
         '"coordinates": [1' + "0" * 400 + ', 0]}}', "digits"),
        ("/searches/register", "[" * 50_000 + "]" * 50_000, "nests too deep"),
        ("{item}/feature.tif?assets=image", '{"a": ' * 30_000 + "1" + "}" * 30_000,
         "nests too deep"),
        # Statistics in a zigzag ring of 40,000 positions took 10 s.
        ("{item}/statistics?assets=image", json.dumps(ZIGZAG), "max_positions"),
    ],
)  # fmt: skip
def test_bad_bodies_are_a_400_naming_them(
    tiler_url: str, bases: dict[str, str], route: str, body: str, named: str
) -> None:
    url = route.format(item=bases["item"]) if route.startswith("{") else f"{tiler_url}{route}"
    response = httpx.post(
        url, content=body.encode(), headers={"Content-Type": "application/json"}, timeout=30
    )
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert named in json.dumps(response.json()), response.text

"""Property-based test (issue 8, item 5): whatever a client sends to any route of the tiler's
OpenAPI document (``/api``), the answer is never a 5xx.

Values are drawn per parameter name, mixing what reaches deep into the tiler (the open test
item, its asset, tiles over it, real algorithms and colour maps) with what breaks parsers
(NaN, infinities, negative and huge numbers, NUL bytes, garbage). The tiler runs in its own
memory-capped process; bounded in examples so the test takes well under a minute. A failure
prints the request hypothesis shrank it to.
"""

import json
import math
from typing import Any
from urllib.parse import quote

import httpx
import morecantile
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.entitlements import BOUNDS, Items
from tests.processes import Served

TMS = morecantile.tms.get("WebMercatorQuad")
CENTRE = ((BOUNDS[0] + BOUNDS[2]) / 2, (BOUNDS[1] + BOUNDS[3]) / 2)
TILE = TMS.tile(*CENTRE, 15)
GARBAGE = ["", "\x00", "%00", "NaN", "inf", "-1", "0", "1e309", "..", "/", "'", "{", "é"]

garbage = st.sampled_from(GARBAGE) | st.text(max_size=12)
numbers = st.one_of(
    st.floats(),  # NaN and infinities included
    st.integers(-(10**12), 10**12),
    st.sampled_from([0, -1, 1, 255, 256, 1024, 100_000, 10**9]),
)
lonlat = st.one_of(
    st.floats(BOUNDS[0], BOUNDS[2]).map(lambda v: round(v, 5)),
    st.floats(-200, 200),
    st.sampled_from([math.nan, math.inf, -math.inf]),
)


def as_text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def path_values(items: Items, search_id: str) -> dict[str, st.SearchStrategy[Any]]:
    collection, item = items.open
    return {
        "collection_id": st.sampled_from([collection, collection, "pleiades", "nope"]) | garbage,
        "item_id": st.sampled_from([item, item, "nope"]) | garbage,
        "search_id": st.sampled_from([search_id, search_id, "0" * 32]) | garbage,
        "tileMatrixSetId": st.sampled_from(["WebMercatorQuad", "WGS1984Quad", "nope"]),
        "z": st.sampled_from([TILE.z, TILE.z, 0, 24]) | numbers,
        "x": st.sampled_from([TILE.x, TILE.x, 0]) | numbers,
        "y": st.sampled_from([TILE.y, TILE.y, 0]) | numbers,
        "lon": lonlat,
        "lat": st.floats(BOUNDS[1], BOUNDS[3]).map(lambda v: round(v, 5)) | lonlat,
        "minx": lonlat,
        "miny": lonlat,
        "maxx": lonlat,
        "maxy": lonlat,
        "width": st.integers(-10, 20_000) | numbers,
        "height": st.integers(-10, 20_000) | numbers,
        "format": st.sampled_from(["png", "tif", "jpeg", "webp", "npy", "jp2", "pngraw", "x"]),
        "algorithmId": st.sampled_from(["hillshade", "contours", "normalizedIndex", "x"]),
        "colorMapId": st.sampled_from(["viridis", "cfastie", "x"]),
    }


query_values: dict[str, st.SearchStrategy[Any]] = {
    "assets": st.sampled_from(
        ["image", "image|bidx=1", "image|bidx=9", "image|bidx=0", "image|expression=b1*b7", "nope"]
    )
    | garbage,
    "expression": st.sampled_from(["image_b1*2", "b1/0", "image_b1;image_b1", "(("]) | garbage,
    "rescale": st.sampled_from(["0,255", "10,1", "nan,1", "0"]) | garbage,
    "colormap_name": st.sampled_from(["viridis", "x"]),
    "colormap": st.sampled_from(
        ['{"1": [0, 0, 0, 255]}', "[[", "{}", '{"a": [0, 0, 0]}', "[1]", '{"1": [999, 0, 0]}']
    )
    | garbage,
    "color_formula": st.sampled_from(["gamma r 1.5", "sigmoidal rgb 1e309 1"]) | garbage,
    "algorithm": st.sampled_from(["hillshade", "contours", "normalizedIndex", "x"]),
    "algorithm_params": st.sampled_from(['{"increment": 0}', '{"azimuth": -1}', "{"]) | garbage,
    "histogram_bins": st.sampled_from(["10", "0", "1,0", "0,1,2"]) | numbers,
    "histogram_range": st.sampled_from(["0,1", "1,0", "nan,1", "0,inf"]) | garbage,
    "p": st.lists(numbers, max_size=3),
    "c": st.lists(numbers, max_size=3),
    "coord_crs": st.sampled_from(["EPSG:4326", "EPSG:3857", "EPSG:0", "x"]),
    "dst_crs": st.sampled_from(["EPSG:4326", "EPSG:3857", "EPSG:0", "x"]),
    "crs": st.sampled_from(["EPSG:4326", "EPSG:3857", "x"]),
    "nodata": st.sampled_from(["0", "nan", "inf", "x"]) | numbers,
    "bbox": st.sampled_from([",".join(map(str, BOUNDS)), "nan,0,1,1", "1,1,0,0"]) | garbage,
    "zooms": st.lists(numbers, max_size=3),
    "filter": st.sampled_from(["eo:cloud_cover < 10", "NOT NOT (", "{}"]) | garbage,
    "datetime": st.sampled_from(["2024-05-01T00:00:00Z/..", "x/y"]) | garbage,
    "query": st.sampled_from(['{"eo:cloud_cover": {"lt": 10}}', "{"]) | garbage,
    "sortby": st.sampled_from(["-datetime", "+x", ","]) | garbage,
}
generic = st.one_of(garbage, numbers, st.booleans())
geojson = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["Feature", "Polygon", "x"]),
        "properties": st.sampled_from([{}, {"name": "\ud800"}, {"n": 10**30}]),
        "geometry": st.fixed_dictionaries(
            {
                "type": st.sampled_from(["Polygon", "Point", "x"]),
                "coordinates": st.lists(st.lists(st.lists(lonlat, max_size=3), max_size=5)),
            }
        ),
    }
)


def operations(url: str) -> list[tuple[str, str, list[str], list[str]]]:
    """(method, path template, path parameters, query parameters) of every documented route."""
    document = httpx.get(f"{url}/api").json()
    found = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            parameters = operation.get("parameters", [])
            found.append(
                (
                    method.upper(),
                    path,
                    [p["name"] for p in parameters if p["in"] == "path"],
                    [p["name"] for p in parameters if p["in"] == "query"],
                )
            )
    return found


class Targets:
    """The routes and path values to draw from (a short repr for hypothesis' reports)."""

    def __init__(
        self,
        operations: list[tuple[str, str, list[str], list[str]]],
        paths: dict[str, st.SearchStrategy[Any]],
    ) -> None:
        self.operations, self.paths = operations, paths

    def __repr__(self) -> str:
        return f"Targets({len(self.operations)} operations)"


@pytest.fixture(scope="module")
def fuzzed(tiler_process: Served, access_items: Items) -> Targets:
    registered = httpx.post(
        f"{tiler_process.url}/searches/register", json={"collections": [access_items.open[0]]}
    )
    assert registered.status_code == 200, registered.text
    found = operations(tiler_process.url)
    assert len(found) > 50
    return Targets(found, path_values(access_items, registered.json()["id"]))


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(data=st.data())
def test_no_route_answers_5xx(tiler_process: Served, fuzzed: Targets, data: st.DataObject) -> None:
    method, path, path_params, query_params = data.draw(st.sampled_from(fuzzed.operations))
    for name in path_params:
        value = data.draw(fuzzed.paths.get(name, generic), label=name)
        path = path.replace(f"{{{name}}}", quote(as_text(value), safe=""))
    names = data.draw(st.lists(st.sampled_from(query_params or ["x"]), max_size=4, unique=True))
    params = [
        (name, as_text(item))
        for name in names
        for value in [data.draw(query_values.get(name, generic), label=name)]
        for item in (value if isinstance(value, list) else [value])
    ]
    # NaN and Infinity written as such, as JavaScript clients may.
    # json.dumps writes lone surrogates as \ud800 escapes, as a careless client may.
    body = json.dumps(data.draw(geojson, label="body")).encode() if method == "POST" else None
    response = httpx.request(
        method,
        f"{tiler_process.url}{path}",
        params=params,
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code < 500, (
        method,
        path,
        params,
        response.status_code,
        response.text[:500],
        tiler_process.output()[-3000:],
    )

"""Issue 8, item 3: no anonymous request may make the tiler work without bound.

Each abusive request (histogram bins, percentiles, image sizes, expressions, tile buffers,
zoom levels, non-finite coordinates...) is answered with a 4xx JSON naming the limit within a
second, and the resident memory of the tiler, served alone in its own process, stays within
``RSS_GROWTH_MB`` of what it was after warming up.
"""

import time
from pathlib import Path

import httpx

from dinamis.search_limits import SearchLimits
from tests.entitlements import BOUNDS, Items
from tests.processes import Served
from tiler.settings import TilerSettings

RSS_GROWTH_MB = 150

LIMITS = TilerSettings(storage_roots=[Path()])
CENTRE = f"{(BOUNDS[0] + BOUNDS[2]) / 2},{(BOUNDS[1] + BOUNDS[3]) / 2}"
BBOX = ",".join(map(str, BOUNDS))


def abusive(item: str) -> list[tuple[str, str]]:
    """(URL path and query, words the refusal must contain) against an open item."""
    terms = "+".join(["b1"] * 5000)
    many = "&".join(f"p={n % 100}" for n in range(LIMITS.max_list_items + 1))
    return [
        (f"{item}/statistics?histogram_bins=100000000", "histogram_bins"),
        (f"{item}/statistics?histogram_bins=0", "histogram_bins"),
        (f"{item}/statistics?histogram_bins=1,0", "monotonically"),
        (f"{item}/statistics?histogram_range=10,1", "histogram_range"),
        (f"{item}/statistics?p=101", "percentile"),
        (f"{item}/statistics?p=-1", "percentile"),
        (f"{item}/statistics?{many}", "p (percentiles)"),
        (f"{item}/statistics?max_size=100000", "max_size"),
        (f"{item}/statistics?width=100000&height=1", "width"),
        (f"{item}/statistics?expression={terms}", "expression"),
        (f"{item}/statistics?expression={'(' * 60}b1{')' * 60}", "expression"),
        (f"{item}/preview.png?max_size=100000", "max_size"),
        (f"{item}/preview/100000x1.png", "width"),
        (f"{item}/preview.png?width=0", "width"),
        (f"{item}/bbox/{BBOX}/100000x100000.png", "width"),
        (f"{item}/tiles/WebMercatorQuad/-1/0/0.png", "zoom"),
        (f"{item}/tiles/WebMercatorQuad/40/0/0.png", "zoom"),
        (f"{item}/tiles/WebMercatorQuad/15/99999999/0.png", "outside"),
        (f"{item}/tiles/WebMercatorQuad/15/22692/23300.png?tilesize=100000", "tilesize"),
        (f"{item}/tiles/WebMercatorQuad/15/22692/23300.png?buffer=100000", "buffer"),
        (f"{item}/tiles/WebMercatorQuad/15/22692/23300.png?padding=100000", "padding"),
        (f"{item}/point/nan,nan", "finite"),
        (f"{item}/point/inf,0", "finite"),
        (f"{item}/point/0,0", "outside"),
        (f"{item}/bbox/nan,0,1,1.tif", "finite"),
        (f"{item}/WebMercatorQuad/tilejson.json?tilesize=100000", "tilesize"),
    ]


def test_abusive_requests_are_refused_fast_and_memory_stays_bounded(
    tiler_process: Served, access_items: Items
) -> None:
    url = tiler_process.url
    collection, item_id = access_items.open
    item = f"{url}/collections/{collection}/items/{item_id}"
    warm = httpx.get(f"{item}/statistics", params={"assets": "image"}, timeout=60)
    assert warm.status_code == 200, warm.text
    before = tiler_process.rss_mb()
    for path, words in abusive(item):
        started = time.monotonic()
        response = httpx.get(path, timeout=30)
        elapsed = time.monotonic() - started
        assert 400 <= response.status_code < 500, (path, response.status_code, response.text)
        assert response.headers["content-type"] == "application/json", path
        assert words in response.json()["detail"], (path, response.json())
        assert elapsed < 1, (path, elapsed)
    after = tiler_process.rss_mb()
    print(f"tiler RSS {before:.0f} MB -> {after:.0f} MB over {len(abusive(item))} requests")
    assert after - before < RSS_GROWTH_MB, f"RSS grew from {before:.0f} to {after:.0f} MB"


def nested_not(depth: int) -> dict:
    node: dict = {"op": "=", "args": [{"property": "platform"}, "x"]}
    for _ in range(depth):
        node = {"op": "not", "args": [node]}
    return node


def test_registered_search_filters_are_bounded_as_the_apis(tiler_process: Served) -> None:
    # A mosaic's search is run by pgSTAC like the API's: the same bounds, before it is stored.
    limits = SearchLimits()
    for search_filter, words in (
        (nested_not(limits.max_filter_depth + 2), "max_filter_depth"),
        ("NOT " * 1000 + "platform='x'", "max_filter_depth"),
    ):
        started = time.monotonic()
        response = httpx.post(
            f"{tiler_process.url}/searches/register",
            json={"collections": ["spot-world-heritage"], "filter": search_filter},
            timeout=30,
        )
        assert response.status_code == 400, response.text
        assert words in response.json()["detail"], response.text
        assert time.monotonic() - started < 1
    within = httpx.post(
        f"{tiler_process.url}/searches/register",
        json={"collections": ["spot-world-heritage"], "filter": nested_not(2)},
        timeout=30,
    )
    assert within.status_code == 200, within.text

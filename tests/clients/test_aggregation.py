"""The Aggregation extension, checked against counts computed from the items themselves, with
the filters of /search on GET and POST."""

from collections import Counter
from datetime import datetime

import httpx
import pytest
from shapely.geometry import shape

from tests.conftest import SEARCH_COLLECTION, SEARCH_COUNT

ALL = [
    "total_count",
    "datetime_frequency",
    "collection_frequency",
    "platform_frequency",
    "cloud_cover_frequency",
    "centroid_geohash_grid_frequency",
]
BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"


def geohash(lon: float, lat: float, precision: int) -> str:
    """The textbook geohash encoding, to check PostGIS's against."""
    lons, lats, bits, code, even = [-180.0, 180.0], [-90.0, 90.0], 0, "", True
    value = 0
    while len(code) < precision:
        span, point = (lons, lon) if even else (lats, lat)
        middle = (span[0] + span[1]) / 2
        value = value * 2 + (point >= middle)
        span[0 if point >= middle else 1] = middle
        even, bits = not even, bits + 1
        if bits == 5:
            code, value, bits = code + BASE32[value], 0, 0
    return code


def by_name(answer: dict) -> dict[str, dict]:
    assert answer["type"] == "AggregationCollection"
    return {a["name"]: a for a in answer["aggregations"]}


def frequencies(aggregation: dict) -> dict[str, int]:
    return {b["key"]: b["frequency"] for b in aggregation["buckets"]}


def month(item: dict, interval: str = "month") -> str:
    when = datetime.fromisoformat(item["properties"]["datetime"].replace("Z", "+00:00"))
    start = when.replace(day=1) if interval == "month" else when.replace(month=1, day=1)
    return start.strftime("%Y-%m-01T00:00:00Z" if interval == "month" else "%Y-01-01T00:00:00Z")


def cloud_bin(cover: float) -> str:
    for low, high, key in (
        (None, 5, "*-5"),
        (5, 15, "5-15"),
        (15, 40, "15-40"),
        (40, None, "40-*"),
    ):
        if (low is None or cover >= low) and (high is None or cover < high):
            return key
    raise AssertionError(cover)


def expected(items: list[dict], interval: str = "month", precision: int = 3) -> dict:
    return {
        "total_count": len(items),
        "datetime_frequency": Counter(month(i, interval) for i in items),
        "collection_frequency": Counter(i["collection"] for i in items),
        "platform_frequency": Counter(i["properties"]["platform"] for i in items),
        "cloud_cover_frequency": Counter(
            cloud_bin(i["properties"]["eo:cloud_cover"]) for i in items
        ),
        "centroid_geohash_grid_frequency": Counter(
            geohash(*shape(i["geometry"]).centroid.coords[0], precision) for i in items
        ),
    }


def assert_matches(answer: dict, items: list[dict], **options: object) -> None:
    found = by_name(answer)
    want = expected(items, **options)
    assert found["total_count"]["value"] == want["total_count"]
    for name in ALL[1:]:
        assert {k: v for k, v in frequencies(found[name]).items() if v} == dict(want[name]), name
        assert found[name]["overflow"] == 0


def test_every_aggregation_over_post(api_url: str, search_items: list[dict]) -> None:
    answer = httpx.post(
        f"{api_url}/aggregate", json={"collections": [SEARCH_COLLECTION], "aggregations": ALL}
    )
    assert answer.status_code == 200, answer.text
    assert_matches(answer.json(), search_items)


def test_same_filters_as_search_on_get(api_url: str, search_items: list[dict]) -> None:
    cloudy = [i for i in search_items if i["properties"]["eo:cloud_cover"] >= 50]
    answer = httpx.get(
        f"{api_url}/aggregate",
        params={
            "collections": SEARCH_COLLECTION,
            "filter": "eo:cloud_cover >= 50",
            "filter-lang": "cql2-text",
            "aggregations": ",".join(ALL),
            "datetime_frequency_interval": "year",
            "centroid_geohash_grid_frequency_precision": 2,
        },
    )
    assert answer.status_code == 200, answer.text
    assert_matches(answer.json(), cloudy, interval="year", precision=2)
    search = httpx.get(
        f"{api_url}/search",
        params={"collections": SEARCH_COLLECTION, "filter": "eo:cloud_cover >= 50", "limit": 1},
    )
    assert search.json()["numberMatched"] == len(cloudy)


def test_query_bbox_datetime_and_collection_route(api_url: str, search_items: list[dict]) -> None:
    bbox = [0.0, 44.0, 3.0, 47.0]

    def keep(item: dict) -> bool:
        minx, miny, maxx, maxy = item["bbox"]
        overlaps = minx <= bbox[2] and maxx >= bbox[0] and miny <= bbox[3] and maxy >= bbox[1]
        return overlaps and item["properties"]["platform"] == "PHR1A"

    answer = httpx.post(
        f"{api_url}/collections/{SEARCH_COLLECTION}/aggregate",
        json={"bbox": bbox, "query": {"platform": {"eq": "PHR1A"}}, "aggregations": ALL},
    )
    assert answer.status_code == 200, answer.text
    assert_matches(answer.json(), [i for i in search_items if keep(i)])


def test_listed_and_declared(api_url: str) -> None:
    listed = httpx.get(f"{api_url}/aggregations").json()
    assert {a["name"] for a in listed["aggregations"]} == set(ALL)
    conformance = httpx.get(f"{api_url}/conformance").json()["conformsTo"]
    assert "https://api.stacspec.org/v0.3.0/aggregation" in conformance


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"aggregations": ["nope"]}, "unknown aggregation"),
        ({"aggregations": ALL, "centroid_geohash_grid_frequency_precision": 12}, "at most"),
        ({"aggregations": ALL, "datetime_frequency_interval": "week"}, "month"),
    ],
)
def test_bad_requests_are_400s(api_url: str, body: dict, message: str) -> None:
    answer = httpx.post(f"{api_url}/aggregate", json=body)
    assert answer.status_code == 400, answer.text
    assert message in answer.text


def test_default_is_the_total(api_url: str, search_items: list[dict]) -> None:
    answer = httpx.get(f"{api_url}/aggregate", params={"collections": SEARCH_COLLECTION})
    assert by_name(answer.json())["total_count"]["value"] == SEARCH_COUNT

"""Item search over real HTTP: spatial, temporal, CQL2, sort, fields and paging."""

import json
from datetime import datetime

import httpx
import pytest
from pystac_client import Client

from dinamis.settings import Settings
from stac_api.client import DEFAULT_FIELDS
from tests.stac_api.conftest import COLLECTION


def flat(feature: dict) -> set[str]:
    """The feature's fields as the fields extension names them (properties.x)."""
    return {key for key in feature if key != "properties"} | {
        f"properties.{key}" for key in feature.get("properties", {})
    }


BBOX = [0.0, 44.0, 3.0, 47.0]


def ids(features: list[dict]) -> set[str]:
    return {f["id"] for f in features}


def overlaps(item: dict, bbox: list[float]) -> bool:
    minx, miny, maxx, maxy = item["bbox"]
    return minx <= bbox[2] and maxx >= bbox[0] and miny <= bbox[3] and maxy >= bbox[1]


def when(item: dict) -> datetime:
    return datetime.fromisoformat(item["properties"]["datetime"].replace("Z", "+00:00"))


def search(api_url: str, **body) -> list[dict]:
    body = {"collections": [COLLECTION], "limit": 100, **body}
    response = httpx.post(f"{api_url}/search", json=body)
    assert response.status_code == 200, response.text
    return response.json()["features"]


def test_bbox_finds_exactly_the_overlapping_items(api_url: str, search_items: list[dict]) -> None:
    expected = {i["id"] for i in search_items if overlaps(i, BBOX)}
    assert expected, "the seed should put some items in the box"
    client = Client.open(api_url)
    found = client.search(collections=[COLLECTION], bbox=BBOX, max_items=None)
    assert {item.id for item in found.items()} == expected


def test_intersects_matches_bbox_search(api_url: str, search_items: list[dict]) -> None:
    minx, miny, maxx, maxy = BBOX
    polygon = {
        "type": "Polygon",
        "coordinates": [[[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]],
    }
    assert ids(search(api_url, intersects=polygon)) == ids(search(api_url, bbox=BBOX))


def test_datetime_range(api_url: str, search_items: list[dict]) -> None:
    start, end = (
        datetime.fromisoformat("2015-01-01T00:00:00+00:00"),
        datetime.fromisoformat("2018-12-31T23:59:59+00:00"),
    )
    expected = {i["id"] for i in search_items if start <= when(i) <= end}
    found = search(api_url, datetime="2015-01-01T00:00:00Z/2018-12-31T23:59:59Z")
    assert ids(found) == expected
    open_ended = search(api_url, datetime="../2015-01-01T00:00:00Z")
    assert ids(open_ended) == {i["id"] for i in search_items if when(i) <= start}


def clear_and_low(item: dict) -> bool:
    props = item["properties"]
    return props["eo:cloud_cover"] < 30 and props["view:incidence_angle"] <= 15


def test_cql2_text_filter_on_cloud_cover_and_incidence(
    api_url: str, search_items: list[dict]
) -> None:
    expected = {i["id"] for i in search_items if clear_and_low(i)}
    assert expected
    response = httpx.get(
        f"{api_url}/search",
        params={
            "collections": COLLECTION,
            "limit": 100,
            "filter-lang": "cql2-text",
            "filter": "eo:cloud_cover < 30 AND view:incidence_angle <= 15",
        },
    )
    assert response.status_code == 200, response.text
    assert ids(response.json()["features"]) == expected


def test_cql2_json_filter_via_pystac_client(api_url: str, search_items: list[dict]) -> None:
    expected = {i["id"] for i in search_items if clear_and_low(i)}
    cql2 = {
        "op": "and",
        "args": [
            {"op": "<", "args": [{"property": "eo:cloud_cover"}, 30]},
            {"op": "<=", "args": [{"property": "view:incidence_angle"}, 15]},
        ],
    }
    client = Client.open(api_url)
    found = client.search(collections=[COLLECTION], filter=cql2, filter_lang="cql2-json")
    assert {item.id for item in found.items()} == expected


def test_sortby_cloud_cover_descending(api_url: str, search_items: list[dict]) -> None:
    found = search(api_url, sortby=[{"field": "properties.eo:cloud_cover", "direction": "desc"}])
    covers = [f["properties"]["eo:cloud_cover"] for f in found]
    assert len(covers) == len(search_items)
    assert covers == sorted(covers, reverse=True)


def test_fields_include_and_exclude(api_url: str, search_items: list[dict]) -> None:
    found = search(
        api_url, fields={"include": ["properties.eo:cloud_cover"], "exclude": ["assets"]}, limit=5
    )
    assert len(found) == 5
    for feature in found:
        assert "assets" not in feature
        assert "eo:cloud_cover" in feature["properties"]
        assert "view:incidence_angle" not in feature["properties"]


def test_paging_loses_and_repeats_nothing(api_url: str, search_items: list[dict]) -> None:
    seen: list[str] = []
    url, params = f"{api_url}/search", {"collections": COLLECTION, "limit": 7}
    pages = 0
    while url:
        page = httpx.get(url, params=params).json()
        seen += [f["id"] for f in page["features"]]
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
        params = None
        pages += 1
    assert pages == -(-len(search_items) // 7)
    assert len(seen) == len(set(seen)) == len(search_items)


def test_prev_link_goes_back_to_the_first_page(api_url: str, search_items: list[dict]) -> None:
    first = httpx.get(f"{api_url}/search", params={"collections": COLLECTION, "limit": 5}).json()
    second_url = next(link["href"] for link in first["links"] if link["rel"] == "next")
    second = httpx.get(second_url).json()
    # pgSTAC names it "previous"; the STAC API spec allows both spellings.
    prev_url = next(link["href"] for link in second["links"] if link["rel"] in ("prev", "previous"))
    back = httpx.get(prev_url).json()
    assert ids(back["features"]) == ids(first["features"])
    assert not ids(second["features"]) & ids(first["features"])


def test_pystac_client_pages_through_everything(api_url: str, search_items: list[dict]) -> None:
    client = Client.open(api_url)
    found = [i.id for i in client.search(collections=[COLLECTION], limit=9).items()]
    assert sorted(found) == sorted(i["id"] for i in search_items)


def test_links_follow_the_proxy_headers(api_url: str, search_items: list[dict]) -> None:
    response = httpx.get(
        f"{api_url}/search",
        params={"collections": COLLECTION, "limit": 5},
        headers={"Forwarded": "proto=https;host=catalogue.example.org"},
    )
    hrefs = [link["href"] for link in response.json()["links"]]
    assert hrefs and all(h.startswith("https://catalogue.example.org/") for h in hrefs), hrefs


def test_queryables_list_the_catalogue_properties(api_url: str) -> None:
    queryables = httpx.get(f"{api_url}/queryables").json()["properties"]
    for name in ("eo:cloud_cover", "view:incidence_angle", "platform", "processing:level"):
        assert name in queryables, name
    assert queryables["eo:cloud_cover"]["type"] == "number"


def test_cog_media_type_is_kept_exactly(api_url: str, search_items: list[dict]) -> None:
    item_id = search_items[0]["id"]
    item = httpx.get(f"{api_url}/collections/{COLLECTION}/items/{item_id}").json()
    assert item["assets"]["data"]["type"] == (
        "image/tiff; application=geotiff; profile=cloud-optimized"
    )


def test_cors_allows_web_maps(api_url: str) -> None:
    response = httpx.get(f"{api_url}/collections", headers={"Origin": "http://example.org"})
    assert response.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    ("method", "path", "params", "status", "words"),
    [
        ("GET", "/search", {"bbox": "1,2,3"}, 400, "bbox"),
        ("GET", "/search", {"bbox": "a,b,c,d"}, 400, "bbox"),
        ("GET", "/search", {"datetime": "last tuesday"}, 400, "datetime"),
        ("GET", "/search", {"datetime": "2020-13-45T00:00:00Z"}, 400, "month"),
        ("GET", "/search", {"filter": "eo:cloud_cover <<< 3", "filter-lang": "cql2-text"}, 400, ""),
        ("GET", "/search", {"limit": "-3"}, 400, "limit"),
        ("GET", "/collections/no-such-collection", {}, 404, "no-such-collection"),
        ("GET", "/collections/no-such-collection/items", {}, 404, "no-such-collection"),
        ("GET", f"/collections/{COLLECTION}/items/no-such-item", {}, 404, "no-such-item"),
    ],
)
def test_bad_input_is_a_clear_4xx(
    api_url: str,
    search_items: list[dict],
    method: str,
    path: str,
    params: dict,
    status: int,
    words: str,
) -> None:
    response = httpx.request(method, f"{api_url}{path}", params=params)
    assert response.status_code == status, response.text
    body = response.json()
    assert body.get("description") or body.get("detail"), body
    assert words.lower() in json.dumps(body).lower()


def test_invalid_cql2_json_is_a_400(api_url: str, search_items: list[dict]) -> None:
    response = httpx.post(
        f"{api_url}/search",
        json={"filter": {"op": "frobnicate", "args": []}, "filter-lang": "cql2-json"},
    )
    assert response.status_code == 400, response.text
    assert "frobnicate" in response.json()["description"]


def test_items_link_to_their_tiles_wmts_preview_and_viewer(
    api_url: str, search_items: list[dict], settings: Settings
) -> None:
    item_id = search_items[0]["id"]
    item = httpx.get(f"{api_url}/collections/{COLLECTION}/items/{item_id}").json()
    links = {link["rel"]: link["href"] for link in item["links"]}
    for rel in ("tilesets-map", "xyz", "wmts", "preview", "viewer"):
        assert rel in links, rel
    assert links["wmts"] == (
        f"{settings.tiler_url}/collections/{COLLECTION}/items/{item_id}/WMTSCapabilities.xml"
    )
    found = search(api_url, ids=[item_id])
    assert any(link["rel"] == "wmts" for link in found[0]["links"])


def test_fields_apply_after_the_access_layer(api_url: str, access_items) -> None:
    collection, item_id = access_items.licensed
    body = {"collections": [collection], "ids": [item_id]}
    only_id = httpx.post(f"{api_url}/search", json={**body, "fields": {"include": ["id"]}})
    assert only_id.status_code == 200, only_id.text
    assert only_id.headers["content-type"].startswith("application/geo+json")
    # What was asked, and what names the item: nothing else.
    assert only_id.json()["features"] == [
        {"type": "Feature", "id": item_id, "collection": collection, "stac_version": "1.1.0"}
    ]
    # Excluded with an empty include, from the default set (which never loses type and id);
    # with no include at all, from the whole item.
    for fields, other_properties_kept in (({"exclude": ["geometry", "type", "id"], "include": []},
                                      False), ({"exclude": ["geometry"]}, True)):  # fmt: skip
        (bare,) = httpx.post(f"{api_url}/search", json={**body, "fields": fields}).json()[
            "features"
        ]
        assert "geometry" not in bare and bare["type"] == "Feature" and bare["id"] == item_id
        others = set(bare["properties"]) - {"datetime", "auth:schemes"}
        assert bool(others) is other_properties_kept, others
        assert set(DEFAULT_FIELDS) - {"geometry"} <= flat(bare)
    null = httpx.post(f"{api_url}/search", json={**body, "fields": None})
    assert null.status_code == 400 and "'fields' must be a JSON object" in null.text
    # Excluding the collection must not leave the server's storage paths in asset hrefs.
    response = httpx.get(
        f"{api_url}/search",
        params={"collections": collection, "ids": item_id, "fields": "-collection"},
    )
    assert response.headers["content-type"].startswith("application/geo+json")
    (feature,) = response.json()["features"]
    assert "collection" not in feature and feature["type"] == "Feature"
    for asset in feature["assets"].values():
        assert asset["href"].startswith(f"{api_url}/collections/{collection}/"), asset["href"]
    assert "auth:schemes" in feature["properties"]
    with_geometry = httpx.get(
        f"{api_url}/collections/{collection}/items",
        params={"filter": f"id='{item_id}'", "fields": "geometry,properties.datetime"},
    )
    assert with_geometry.headers["content-type"].startswith("application/geo+json")
    (feature,) = with_geometry.json()["features"]
    assert set(feature) == {"type", "id", "collection", "stac_version", "geometry", "properties"}
    assert set(feature["properties"]) == {"datetime"}

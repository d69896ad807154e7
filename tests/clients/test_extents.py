"""Collection extents follow the items (ingest loads, API writes and deletes), as pystac-client
reads them, so a collection search by area or time finds only the collections that have items
there."""

from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest
from pystac_client import Client

from ingest.load import upsert_item
from stac_api.synthetic import synthetic_items

COLLECTION = "clients-extent"


def union(items: list[dict]) -> list[float]:
    boxes = [item["bbox"] for item in items]
    return [
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    ]


def when(item: dict) -> datetime:
    return datetime.fromisoformat(item["properties"]["datetime"].replace("Z", "+00:00"))


def assert_extent(api_url: str, items: list[dict]) -> None:
    extent = Client.open(api_url).get_collection(COLLECTION).extent
    assert extent.spatial.bboxes[0] == pytest.approx(union(items), abs=1e-6)
    start, end = extent.temporal.intervals[0]
    assert start == min(when(i) for i in items)
    assert end == max(when(i) for i in items)


@pytest.fixture
def collection(api_url: str, admin: httpx.Client) -> Iterator[str]:
    body = {
        "type": "Collection",
        "stac_version": "1.1.0",
        "id": COLLECTION,
        "description": "Extent test collection",
        "license": "other",
        "extent": {
            "spatial": {"bbox": [[-180, -90, 180, 90]]},
            "temporal": {"interval": [["2000-01-01T00:00:00Z", None]]},
        },
        "links": [],
    }
    assert admin.post(f"{api_url}/collections", json=body).status_code in (200, 201)
    yield COLLECTION
    admin.delete(f"{api_url}/collections/{COLLECTION}")


def test_extent_follows_api_writes_and_deletes(
    api_url: str, admin: httpx.Client, collection: str
) -> None:
    items = list(synthetic_items(5, seed=11, collection=collection))
    for item in items:
        response = admin.post(f"{api_url}/collections/{collection}/items", json=item)
        assert response.status_code in (200, 201), response.text
    assert_extent(api_url, items)
    # The westernmost item goes: the box shrinks to the others'.
    west = min(items, key=lambda i: i["bbox"][0])
    deleted = admin.delete(f"{api_url}/collections/{collection}/items/{west['id']}")
    assert deleted.status_code == 200, deleted.text
    remaining = [i for i in items if i is not west]
    assert_extent(api_url, remaining)


def test_extent_follows_ingest_loads(api_url: str, database_url: str, collection: str) -> None:
    items = list(synthetic_items(3, seed=12, collection=collection))
    for item in items:
        upsert_item(database_url, item)
    assert_extent(api_url, items)


def test_collection_search_by_area_finds_only_collections_with_items_there(
    api_url: str, database_url: str, collection: str
) -> None:
    items = list(synthetic_items(2, seed=13, collection=collection))
    for item in items:
        upsert_item(database_url, item)
    client = Client.open(api_url)
    # Mid-Atlantic: no item of any collection there.
    found = {c.id for c in client.collection_search(bbox=[-40, 30, -30, 40]).collections()}
    assert COLLECTION not in found
    near = union(items)
    found = {c.id for c in client.collection_search(bbox=near).collections()}
    assert COLLECTION in found

"""A collection of its own with synthetic items, so other suites' items cannot change results."""

from collections.abc import Iterator

import httpx
import pytest
from pypgstac.load import Loader, Methods

from dinamis.database import pgstac_db
from stac_api.synthetic import synthetic_items

COLLECTION = "synthetic-test"
COUNT = 60


@pytest.fixture(scope="session")
def search_items(api_url: str, database_url: str, admin: httpx.Client) -> Iterator[list[dict]]:
    collection = {
        "type": "Collection",
        "stac_version": "1.1.0",
        "id": COLLECTION,
        "description": "Synthetic Pléiades-like items for the catalogue tests",
        "license": "other",
        "extent": {
            "spatial": {"bbox": [[-5, 42, 8, 51]]},
            "temporal": {"interval": [["2012-01-01T00:00:00Z", None]]},
        },
        "links": [],
    }
    response = admin.post(f"{api_url}/collections", json=collection)
    assert response.status_code in (200, 201), response.text
    items = list(synthetic_items(COUNT, seed=42, collection=COLLECTION))
    # Most through pypgstac's loader (the ingest path), the last through the Transactions API.
    with pgstac_db(database_url) as db:
        Loader(db).load_items(iter(items[:-1]), insert_mode=Methods.upsert)
    response = admin.post(f"{api_url}/collections/{COLLECTION}/items", json=items[-1])
    assert response.status_code in (200, 201), response.text
    yield items
    admin.delete(f"{api_url}/collections/{COLLECTION}")

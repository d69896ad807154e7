"""Collections loaded from their JSON files are partitioned by acquisition year, and a search
pages through the years in order (pgSTAC searches the newest partitions first)."""

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from pypgstac.load import Loader, Methods

from dinamis import database
from dinamis.catalog import PARTITION_TRUNC, load_collections
from stac_api.synthetic import synthetic_items

COLLECTION = "partitioned-synthetic"
COUNT = 60  # over 14 years: items in every year's partition


@pytest.fixture
def partitioned(database_url: str, tmp_path: Path) -> Iterator[list[dict]]:
    collection = {
        "type": "Collection",
        "stac_version": "1.1.0",
        "id": COLLECTION,
        "description": "Synthetic items over the years, in their year's partitions",
        "license": "other",
        "extent": {
            "spatial": {"bbox": [[-5, 42, 8, 51]]},
            "temporal": {"interval": [["2012-01-01T00:00:00Z", None]]},
        },
        "links": [],
    }
    (tmp_path / f"{COLLECTION}.json").write_text(json.dumps(collection))
    load_collections(database_url, tmp_path)
    items = list(synthetic_items(COUNT, seed=7, collection=COLLECTION))
    with database.pgstac_db(database_url) as db:
        Loader(db).load_items(iter(items), insert_mode=Methods.insert)
    yield items
    with psycopg.connect(database_url) as conn:
        conn.execute("DELETE FROM pgstac.collections WHERE id = %s", (COLLECTION,))


def test_items_sit_in_their_years_partitions(database_url: str, partitioned: list[dict]) -> None:
    with psycopg.connect(database_url) as conn:
        trunc, partitions = conn.execute(
            "SELECT c.partition_trunc, count(p.partition) FROM pgstac.collections c "
            "JOIN pgstac.partitions_view p ON p.collection = c.id WHERE c.id = %s "
            "GROUP BY c.partition_trunc",
            (COLLECTION,),
        ).fetchone()
    years = {item["properties"]["datetime"][:4] for item in partitioned}
    assert (trunc, partitions) == (PARTITION_TRUNC, len(years))


def test_paging_walks_the_years_newest_first(api_url: str, partitioned: list[dict]) -> None:
    seen: list[str] = []
    url, params = f"{api_url}/search", {"collections": COLLECTION, "limit": 7}
    while url:
        page = httpx.get(url, params=params).json()
        seen += [f["properties"]["datetime"] for f in page["features"]]
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
        params = None
    assert seen == sorted((item["properties"]["datetime"] for item in partitioned), reverse=True)

"""Helpers shared by the ingest tests: distinct acquisitions, items as loaded."""

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from ingest.load import get_item

_acquisitions = itertools.count()


def acquisition() -> datetime:
    """A distinct acquisition time per call: item ids derive from it, tests share one pgSTAC."""
    return datetime(2020, 1, 1, tzinfo=UTC) + timedelta(hours=next(_acquisitions))


def as_loaded(database_url: str, api_url: str, collection: str, item_id: str) -> dict[str, Any]:
    """The item ingest loaded into pgSTAC, with the links the API serves it with: STAC wants a
    collection link on an item of a collection, and pgSTAC keeps only ingest's own links.
    What the access layer adds to served items (authentication fields) is left out."""
    item = get_item(database_url, collection, item_id)
    assert item is not None
    served = httpx.get(f"{api_url}/collections/{collection}/items/{item_id}", timeout=30)
    served.raise_for_status()
    return {**item, "links": served.json()["links"]}

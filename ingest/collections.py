"""The catalogue's collections as the ingest reads them: ``collections/*.json`` by id.

Items take from their collection what must agree with it: band definitions, licence, licence
links and providers.
"""

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from ingest.model import IngestError


@lru_cache
def _collections(collections_dir: Path) -> dict[str, dict[str, Any]]:
    documents = (json.loads(p.read_text()) for p in sorted(collections_dir.glob("*.json")))
    return {c["id"]: c for c in documents}


def collection_json(collections_dir: Path, collection_id: str) -> dict[str, Any]:
    collections = _collections(collections_dir)
    if collection_id not in collections:
        raise IngestError(f"unknown collection {collection_id!r}")
    return collections[collection_id]

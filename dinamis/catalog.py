"""Collections of the catalogue: read from ``collections/*.json`` and upserted into pgSTAC."""

import json
import logging
from pathlib import Path
from typing import Any

from pypgstac.db import PgstacDB
from pypgstac.load import Loader, Methods

from dinamis.database import pgstac_db

log = logging.getLogger(__name__)

# Collection extents as the items make them, by pgSTAC's own collection_extent() (partition
# statistics recomputed first); a collection without items keeps the extent it declared. Run
# after every load and delete. `{ids}` is the driver's placeholder for an array of ids.
REFRESH_EXTENTS = """
UPDATE pgstac.collections
SET content = jsonb_set_lax(
    content, '{{extent}}', pgstac.collection_extent(id, true), true, 'return_target'
)
WHERE id = ANY({ids})
RETURNING id
"""


# pgSTAC partitions each catalogue collection's items by acquisition year. In one partition of
# 1 M items the planner combined the geometry index with a range scan of the datetime index
# (113 ms for a bbox + datetime search); per year, pgSTAC searches the newest years first and
# stops when the page is full, each year a table small enough for its geometry index alone.
PARTITION_TRUNC = "year"
# Changing it moves the items already loaded into the new partitions (pgSTAC's trigger).
SET_PARTITIONING = """
UPDATE pgstac.collections SET partition_trunc = %s
WHERE id = ANY(%s) AND partition_trunc IS DISTINCT FROM %s
RETURNING id
"""


def refresh_extents(db: PgstacDB, collection_ids: list[str]) -> None:
    list(db.query(REFRESH_EXTENTS.format(ids="%s"), [collection_ids]))


def read_collections(folder: Path) -> list[dict[str, Any]]:
    files = sorted(folder.glob("*.json"))
    if not files:
        raise FileNotFoundError(f"no collection JSON in {folder}")
    collections = []
    for path in files:
        try:
            collections.append(json.loads(path.read_text()))
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: not valid JSON ({error})") from error
    return collections


def load_collections(url: str, folder: Path) -> list[str]:
    """Upsert every collection of ``folder`` in one transaction; return their ids."""
    collections = read_collections(folder)
    with pgstac_db(url) as db:
        Loader(db).load_collections(iter(collections), insert_mode=Methods.upsert)
        ids = [c["id"] for c in collections]
        for (repartitioned,) in db.query(SET_PARTITIONING, [PARTITION_TRUNC, ids, PARTITION_TRUNC]):
            log.info("partitioned %s by %s", repartitioned, PARTITION_TRUNC)
        refresh_extents(db, ids)  # the files' extents are placeholders until items exist
    log.info("loaded collections: %s", ", ".join(ids))
    return ids

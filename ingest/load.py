"""Items in and out of pgSTAC."""

from typing import Any

from pypgstac.load import Loader, Methods

from dinamis.catalog import refresh_extents
from dinamis.database import pgstac_db


def get_item(database_url: str, collection: str, item_id: str) -> dict[str, Any] | None:
    with pgstac_db(database_url) as db:
        found = db.query_one("SELECT get_item(%s, %s)", (item_id, collection))
    return found if isinstance(found, dict) else None


def upsert_item(database_url: str, item: dict[str, Any]) -> None:
    with pgstac_db(database_url) as db:
        Loader(db).load_items(iter([item]), insert_mode=Methods.upsert)
        refresh_extents(db, [item["collection"]])

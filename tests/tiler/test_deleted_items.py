"""Issue 8, item 6 on the real tiler over HTTP: a deleted item stops being served, on its own
routes and in mosaics, once the catalogue cache (``catalogue_cache_seconds``) has expired, not
after titiler-pgstac's fixed 300 s."""

import time

import httpx
import morecantile
from pypgstac.load import Loader, Methods

from dinamis.database import pgstac_db
from dinamis.settings import Settings
from tests.entitlements import BOUNDS, Items, stac_item, write_cog
from tiler.settings import TilerSettings

OPEN = "spot-world-heritage"
CENTRE = ((BOUNDS[0] + BOUNDS[2]) / 2, (BOUNDS[1] + BOUNDS[3]) / 2)
TILE = morecantile.tms.get("WebMercatorQuad").tile(*CENTRE, 15)


def test_a_deleted_item_stops_being_served(
    tiler_url: str,
    database_url: str,
    settings: Settings,
    tiler_settings: TilerSettings,
    access_items: Items,
) -> None:
    cog = write_cog(settings.storage / OPEN / "DELETE-ME" / "image.tif")
    item = stac_item(OPEN, "DELETE-ME", cog, str(cog))
    item["properties"]["datetime"] = "2025-06-01T00:00:00Z"  # newest: first in the mosaic
    with pgstac_db(database_url) as db:
        Loader(db).load_items(iter([item]), insert_mode=Methods.upsert)
    search = httpx.post(
        f"{tiler_url}/searches/register", json={"collections": [OPEN], "ids": ["DELETE-ME"]}
    ).json()["id"]
    own = f"{tiler_url}/collections/{OPEN}/items/DELETE-ME/info"
    in_mosaic = (
        f"{tiler_url}/searches/{search}/tiles/WebMercatorQuad/{TILE.z}/{TILE.x}/{TILE.y}/assets"
    )
    assert httpx.get(own).status_code == 200
    assert [a["id"] for a in httpx.get(in_mosaic).json()] == ["DELETE-ME"]

    with pgstac_db(database_url) as db:
        db.query_one("SELECT delete_item(%s, %s)", ("DELETE-ME", OPEN))
    time.sleep(tiler_settings.catalogue_cache_seconds + 0.5)
    assert httpx.get(own).status_code == 404
    assert httpx.get(in_mosaic).json() == []

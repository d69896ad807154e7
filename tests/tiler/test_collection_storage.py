"""Issue 8, item 4 on the real tiler and the real STAC API over HTTP: an item's files must lie
in its own collection's storage folder, so an item of the open Spot World Heritage collection
cannot serve a Pléiades image to anonymous callers; and the tiler and the download endpoint
read the same file for the same href, relative or absolute.
"""

import os
from pathlib import Path
from typing import Any

import httpx
import morecantile
import pytest
from pypgstac.load import Loader, Methods

from dinamis.database import pgstac_db
from dinamis.settings import Settings
from tests.entitlements import Items, stac_item

OPEN = "spot-world-heritage"
# The crafted items' footprint: elsewhere than the open collection's test items, so that no
# mosaic of other tests meets them.
FOOTPRINT = (-30.0, 10.0, -29.0, 11.0)
TILE = morecantile.tms.get("WebMercatorQuad").tile(-29.5, 10.5, 15)
TILER_ENDPOINTS = [
    "/info",
    "/point/-29.5,10.5",
    f"/tiles/WebMercatorQuad/{TILE.z}/{TILE.x}/{TILE.y}.png",
    "/preview.png",
    "/statistics",
    "/bbox/-29.5,10.5,-29.49,10.51.tif",
    "/WebMercatorQuad/tilejson.json",
]


@pytest.fixture(scope="module")
def crafted(database_url: str, settings: Settings, access_items: Items) -> dict[str, str]:
    """Items of the open collection, by id, with the href each carries."""
    licensed = access_items.cog
    own = settings.storage / OPEN / "ACCESS-TEST-SWH" / "image.tif"
    link = settings.storage / OPEN / "CRAFTED-LINK" / "image.tif"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.is_symlink():
        link.symlink_to(licensed)
    relative_to_licensed = os.path.relpath(licensed, settings.storage / OPEN)
    hrefs = {
        "CRAFTED-ABSOLUTE": str(licensed),
        "CRAFTED-FILE-URL": f"file://{licensed}",
        "CRAFTED-RELATIVE": relative_to_licensed,
        "CRAFTED-DOTDOT": f"{settings.storage / OPEN}/../pleiades/{licensed.parent.name}/image.tif",
        "CRAFTED-LINK": str(link),
        "CRAFTED-OWN-RELATIVE": "ACCESS-TEST-SWH/image.tif",
    }
    items = []
    for item_id, href in hrefs.items():
        item: dict[str, Any] = stac_item(OPEN, item_id, own, href)
        west, south, east, north = FOOTPRINT
        ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
        item["geometry"] = {"type": "Polygon", "coordinates": [ring]}
        item["bbox"] = list(FOOTPRINT)
        # Without the file's projection, the footprint is the item's extent for the tiler too.
        item["properties"] = {k: v for k, v in item["properties"].items() if ":" not in k}
        item["stac_extensions"] = []
        items.append(item)
    with pgstac_db(database_url) as db:
        Loader(db).load_items(iter(items), insert_mode=Methods.upsert)
    return hrefs


@pytest.mark.parametrize(
    "item_id",
    ["CRAFTED-ABSOLUTE", "CRAFTED-FILE-URL", "CRAFTED-RELATIVE", "CRAFTED-DOTDOT", "CRAFTED-LINK"],
)
def test_open_item_naming_a_licensed_file_serves_nothing(
    tiler_url: str, api_url: str, crafted: dict[str, str], item_id: str
) -> None:
    base = f"{tiler_url}/collections/{OPEN}/items/{item_id}"
    for endpoint in TILER_ENDPOINTS:
        response = httpx.get(f"{base}{endpoint}", params={"assets": "image"}, timeout=60)
        assert response.status_code == 403, (endpoint, response.status_code, response.text)
        detail = response.json()["detail"]
        assert f"not in collection '{OPEN}''s storage folder" in detail, endpoint
        assert "pleiades" not in detail and crafted[item_id] not in detail, endpoint
    download = httpx.get(f"{api_url}/collections/{OPEN}/items/{item_id}/assets/image/download")
    assert download.status_code == 404, download.text
    assert "not stored in its collection" in download.json()["detail"]


def test_tiler_and_download_read_the_same_file_for_a_relative_href(
    tiler_url: str, api_url: str, crafted: dict[str, str], settings: Settings
) -> None:
    file = settings.storage / OPEN / crafted["CRAFTED-OWN-RELATIVE"]
    info = httpx.get(f"{tiler_url}/collections/{OPEN}/items/CRAFTED-OWN-RELATIVE/info")
    assert info.status_code == 200, info.text
    assert info.json()["image"]["width"] == 512
    download = httpx.get(
        f"{api_url}/collections/{OPEN}/items/CRAFTED-OWN-RELATIVE/assets/image/download"
    )
    assert download.status_code == 200, download.text
    assert download.content == Path(file).read_bytes()

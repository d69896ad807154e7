"""Browse images are public in every collection, licensed ones included; the pixels are not.
Over real HTTP, on an ingested product and the collections' own thumbnails."""

from pathlib import Path

import httpx
import psycopg
import pytest
from pypgstac.load import Loader, Methods

from access import store
from dinamis.database import pgstac_db
from dinamis.settings import Settings
from ingest.pipeline import ingest_paths
from ingest.testing import make_dimap2_product
from tests.entitlements import Items, People, bearer
from tests.ingest.helpers import acquisition

BROWSE = ("thumbnail", "overview", "icon")


@pytest.fixture(scope="module")
def licensed_item(
    tmp_path_factory: pytest.TempPathFactory,
    settings: Settings,
    database_url: str,
    collection_ids: list[str],
) -> dict:
    folder = tmp_path_factory.mktemp("browse")
    # Far from other suites' scenes, so their searches and mosaics never meet it.
    dim = make_dimap2_product(folder, volume=False, center=(1.2, 48.6), acquired=acquisition())
    report = ingest_paths([dim], settings, database_url, progress=False)
    assert not report.failed, report.failed
    [done] = report.ingested
    return {"collection": "pleiades", "id": done.item_id}


def test_licensed_item_browse_images_are_public_and_its_files_are_not(
    api_url: str, licensed_item: dict, people
) -> None:
    url = f"{api_url}/collections/{licensed_item['collection']}/items/{licensed_item['id']}"
    item = httpx.get(url, timeout=30).json()
    assets = item["assets"]
    for key in BROWSE:
        assert "auth:refs" not in assets[key], key
        response = httpx.get(assets[key]["href"], timeout=30)
        assert response.status_code == 200, key
        assert response.headers["content-type"] == assets[key]["type"]
        assert response.content[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xdb")
    for key in ("data", "metadata"):
        assert assets[key]["auth:refs"]
        assert httpx.get(assets[key]["href"], timeout=30).status_code == 401
        assert httpx.head(assets[key]["href"], timeout=30).status_code == 401
    # Entitled users get everything; a credential that is wrong is refused even for browse
    # images, so that a client learns at once its key no longer works.
    headers = bearer(people.entitled)
    assert httpx.get(assets["data"]["href"], headers=headers, timeout=30).status_code == 200
    wrong = bearer("dnm_not_a_key")
    assert httpx.get(assets["thumbnail"]["href"], headers=wrong, timeout=30).status_code == 401


def test_an_asset_that_is_also_the_data_is_not_a_public_browse_image(
    api_url: str, access_items: Items, people: People, database_url: str
) -> None:
    # The full-resolution image of a licensed item, its roles written as some providers do.
    collection, item_id = access_items.licensed
    with psycopg.connect(database_url) as conn:
        item = store.get_item(conn, collection, item_id)
    assert item is not None
    image = {**item["assets"]["image"], "roles": ["data", "overview"]}
    item = {**item, "id": "ACCESS-TEST-DATA-OVERVIEW", "assets": {"image": image}}
    with pgstac_db(database_url) as db:
        Loader(db).load_items(iter([item]), insert_mode=Methods.upsert)
    url = f"{api_url}/collections/{collection}/items/{item['id']}/assets/image/download"
    assert httpx.get(url, timeout=30).status_code == 401
    served = httpx.get(url, headers=bearer(people.entitled), timeout=30)
    assert served.status_code == 200
    assert served.content == access_items.cog.read_bytes()


def test_collections_have_public_thumbnails(
    api_url: str, settings: Settings, collection_ids: list[str]
) -> None:
    listed = httpx.get(f"{api_url}/collections", timeout=30).json()["collections"]
    by_id = {c["id"]: c for c in listed}
    for collection_id in collection_ids:
        single = httpx.get(f"{api_url}/collections/{collection_id}", timeout=30).json()
        thumbnail = single["assets"]["thumbnail"]
        assert by_id[collection_id]["assets"]["thumbnail"] == thumbnail
        assert thumbnail["href"] == f"{api_url}/collections/{collection_id}/assets/thumbnail"
        assert thumbnail["roles"] == ["thumbnail"]
        response = httpx.get(thumbnail["href"], timeout=30)
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/png"
        expected = settings.collections_dir / f"{collection_id}.png"
        assert response.content == Path(expected).read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/collections/pleiades/assets/data",  # not an asset of the collection
        "/collections/nowhere/assets/thumbnail",  # no such collection
        "/collections/pleiades/assets/..%2Fpleiades.json",
    ],
)
def test_collection_assets_serve_nothing_else(api_url: str, path: str) -> None:
    response = httpx.get(f"{api_url}{path}", timeout=30)
    assert response.status_code == 404
    assert "detail" in response.json()

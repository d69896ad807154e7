"""Issue 5 on the real tiler over HTTP: tiles, previews and crops of licensed collections need a
valid key or access token, crops are recorded as downloads with their area, Spot World Heritage
is open, and a tilejson fetched with an access_token hands out tile URLs that carry it."""

import json
from typing import Any

import httpx
import morecantile
import psycopg
import pytest

from access import store
from access.settings import AccessSettings
from dinamis.serve import BackgroundServer, free_port
from tests.entitlements import BOUNDS, Items, People, bearer, events
from tiler.app import create_app
from tiler.settings import TilerSettings

TMS = morecantile.tms.get("WebMercatorQuad")
CENTRE = ((BOUNDS[0] + BOUNDS[2]) / 2, (BOUNDS[1] + BOUNDS[3]) / 2)
# The item's one band, stretched: no collection render applies to this synthetic COG.
PICTURE = {"assets": "image", "rescale": "0,250"}
CROP = "bbox/69.30,-49.41,69.31,-49.40.tif"  # 0.01° x 0.01° at 49.4°S: 1.11 km x 0.72 km
CROP_KM2 = 0.805


def item_url(tiler_url: str, collection_item: tuple[str, str]) -> str:
    collection, item = collection_item
    return f"{tiler_url}/collections/{collection}/items/{item}"


def tile_path() -> str:
    tile = TMS.tile(*CENTRE, 15)
    return f"tiles/WebMercatorQuad/{tile.z}/{tile.x}/{tile.y}.png"


def statuses(base: str, **headers: str) -> dict[str, int]:
    """Status of a tile, a preview and a crop of the item at ``base``."""
    return {
        "tile": httpx.get(f"{base}/{tile_path()}", params=PICTURE, headers=headers).status_code,
        "preview": httpx.get(
            f"{base}/preview.png", params=PICTURE, headers=headers, timeout=60
        ).status_code,
        "crop": httpx.get(
            f"{base}/{CROP}", params={"assets": "image"}, headers=headers, timeout=60
        ).status_code,
    }


def test_anonymous_is_401_with_the_reason(tiler_url: str, access_items: Items) -> None:
    base = item_url(tiler_url, access_items.licensed)
    assert statuses(base) == {"tile": 401, "preview": 401, "crop": 401}
    response = httpx.get(f"{base}/{tile_path()}", params=PICTURE)
    assert "airbus-dinamis" in response.json()["detail"]
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("no_licence", 403),
        ("disabled", 403),
        ("suspended_entity", 403),
        ("expired", 401),
        ("revoked", 401),
    ],
)
def test_refused(tiler_url: str, access_items: Items, people: People, who: str, status: int):
    base = item_url(tiler_url, access_items.licensed)
    assert set(statuses(base, **bearer(getattr(people, who))).values()) == {status}


def test_entitled_user_gets_pictures_and_crops_are_recorded(
    tiler_url: str, access_items: Items, people: People, database_url: str
) -> None:
    before = len(events(database_url, "alice@ign.test", "crop"))
    base = item_url(tiler_url, access_items.licensed)
    assert statuses(base, **bearer(people.entitled)) == {"tile": 200, "preview": 200, "crop": 200}
    recorded = events(database_url, "alice@ign.test", "crop", before + 1)
    assert len(recorded) == before + 1  # the crop only: tiles and previews are not downloads
    collection, item, asset, _, area = recorded[-1]
    assert (collection, item, asset) == (*access_items.licensed, None)
    assert area == pytest.approx(CROP_KM2, rel=0.01)


def test_feature_crop_is_recorded_too(
    tiler_url: str, access_items: Items, people: People, database_url: str
) -> None:
    before = len(events(database_url, "alice@ign.test", "crop"))
    west, south, east, north = 69.30, -49.41, 69.31, -49.40
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    url = f"{item_url(tiler_url, access_items.licensed)}/feature.tif"
    assert httpx.post(url, json=feature, params={"assets": "image"}).status_code == 401
    response = httpx.post(
        url, json=feature, params={"assets": "image"}, headers=bearer(people.entitled), timeout=60
    )
    assert response.status_code == 200, response.text
    assert len(events(database_url, "alice@ign.test", "crop", before + 1)) == before + 1


def test_open_collection_needs_no_token(
    tiler_url: str, access_items: Items, database_url: str
) -> None:
    before = len(events(database_url, None, "crop"))
    base = item_url(tiler_url, access_items.open)
    assert statuses(base) == {"tile": 200, "preview": 200, "crop": 200}
    recorded = events(database_url, None, "crop", before + 1)
    assert recorded[-1][:2] == access_items.open


def test_tilejson_with_access_token_hands_out_tile_urls_that_carry_it(
    tiler_url: str, api_url: str, access_items: Items, people: People
) -> None:
    token = httpx.post(f"{api_url}/auth/token", headers=bearer(people.entitled)).json()
    base = item_url(tiler_url, access_items.licensed)
    params = {**PICTURE, "access_token": token["access_token"]}
    tilejson = httpx.get(f"{base}/WebMercatorQuad/tilejson.json", params=params)
    assert tilejson.status_code == 200, tilejson.text
    template = tilejson.json()["tiles"][0]
    assert f"access_token={token['access_token']}" in template
    tile = TMS.tile(*CENTRE, 15)
    response = httpx.get(template.format(z=tile.z, x=tile.x, y=tile.y))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/")
    # Without the token, the same URL is refused.
    assert (
        httpx.get(
            template.format(z=tile.z, x=tile.x, y=tile.y).split("&access_token")[0]
        ).status_code
        == 401
    )
    wmts = httpx.get(f"{base}/WMTSCapabilities.xml", params=params)
    assert wmts.status_code == 200
    assert f"access_token={token['access_token']}" in wmts.text.replace("&amp;", "&")


def test_a_token_reads_only_its_collections_on_the_tiler(
    tiler_url: str, api_url: str, access_items: Items, people: People
) -> None:
    def tile(token: str) -> int:
        base = item_url(tiler_url, access_items.licensed)
        params = {**PICTURE, "access_token": token}
        return httpx.get(f"{base}/{tile_path()}", params=params).status_code

    mint = f"{api_url}/auth/token"
    spot = httpx.post(mint, headers=bearer(people.entitled), json={"collections": ["spot-6-7"]})
    assert tile(spot.json()["access_token"]) == 403
    pleiades = httpx.post(mint, headers=bearer(people.entitled), json={"collections": ["pleiades"]})
    assert tile(pleiades.json()["access_token"]) == 200
    assert tile(people.entitled) == 401  # a whole key is never accepted in a URL


def test_a_token_stops_on_the_tiler_when_its_key_is_revoked_elsewhere(
    tiler_url: str, api_url: str, access_items: Items, people: People, database_url: str
) -> None:
    with psycopg.connect(database_url) as conn:
        alice = conn.execute(
            'SELECT id FROM dinamis_access."user" WHERE email = %s', ("alice@ign.test",)
        ).fetchone()
        assert alice is not None
        key = store.issue_key(conn, alice[0])
    minted = httpx.post(f"{api_url}/auth/token", headers=bearer(key.secret))
    base = item_url(tiler_url, access_items.licensed)
    params = {**PICTURE, "access_token": minted.json()["access_token"]}
    for _ in range(2):  # the second answer comes from the tiler's caches
        tile = httpx.get(f"{base}/{tile_path()}", params=params)
        assert tile.status_code == 200
        assert tile.headers["content-type"] == "image/png"
    # Revoked by another process (the portal, the CLI): the very next tile is refused.
    with psycopg.connect(database_url) as conn:
        store.revoke_key(conn, key.prefix)
    assert httpx.get(f"{base}/{tile_path()}", params=params).status_code == 401
    entitled = httpx.get(f"{base}/{tile_path()}", params=PICTURE, headers=bearer(people.entitled))
    assert entitled.status_code == 200


def test_licensed_pictures_are_not_publicly_cacheable(
    tiler_url: str, access_items: Items, people: People
) -> None:
    licensed = item_url(tiler_url, access_items.licensed)
    served = httpx.get(f"{licensed}/{tile_path()}", params=PICTURE, headers=bearer(people.entitled))
    assert served.headers["cache-control"].startswith("private")
    open_item = item_url(tiler_url, access_items.open)
    assert (
        httpx.get(f"{open_item}/{tile_path()}", params=PICTURE)
        .headers["cache-control"]
        .startswith("public")
    )


def test_licensed_pictures_stay_private_whatever_cache_control_the_operator_sets(
    database_url: str,
    tiler_settings: TilerSettings,
    access: AccessSettings,
    api_url: str,
    access_items: Items,
    people: People,
) -> None:
    # Without "public" to narrow, max-age alone let a shared cache keep a tile fetched with
    # an access_token and serve it to whoever had the URL, after the token's expiry too.
    settings = tiler_settings.model_copy(update={"cachecontrol": "max-age=600"})
    server = BackgroundServer(create_app(database_url, settings, access), free_port()).start()
    try:
        token = httpx.post(f"{api_url}/auth/token", headers=bearer(people.entitled)).json()
        licensed = item_url(server.url, access_items.licensed)
        signed = httpx.get(
            f"{licensed}/{tile_path()}", params={**PICTURE, "access_token": token["access_token"]}
        )
        assert signed.status_code == 200
        assert signed.headers["content-type"] == "image/png"
        assert signed.headers["cache-control"] == "private, max-age=600"
        assert httpx.get(f"{licensed}/{tile_path()}", params=PICTURE).status_code == 401
        open_item = item_url(server.url, access_items.open)
        shared = httpx.get(f"{open_item}/{tile_path()}", params=PICTURE)
        assert shared.headers["cache-control"] == "max-age=600"
    finally:
        server.stop()


def test_tiler_reads_the_stored_file_the_api_presents_as_a_download(
    tiler_url: str, api_url: str, access_items: Items, database_url: str, people: People
) -> None:
    collection, item_id = access_items.licensed
    public = httpx.get(f"{api_url}/collections/{collection}/items/{item_id}").json()
    assert public["assets"]["image"]["href"].startswith(f"{api_url}/collections/")
    with psycopg.connect(database_url) as conn:
        stored = conn.execute("SELECT pgstac.get_item(%s, %s)", (item_id, collection)).fetchone()
    assert stored[0]["assets"]["image"]["href"] == str(access_items.cog)
    info = httpx.get(
        f"{item_url(tiler_url, access_items.licensed)}/info", headers=bearer(people.entitled)
    )
    assert info.status_code == 200
    assert info.json()["image"]["width"] == 512


def register_search(database_url: str, search: dict[str, Any]) -> str:
    with psycopg.connect(database_url, options="-c search_path=pgstac,public") as conn:
        return conn.execute(
            "SELECT hash FROM search_query(%s::jsonb)", (json.dumps(search),)
        ).fetchone()[0]


def test_mosaics_need_access_to_every_collection_they_may_show(
    tiler_url: str, access_items: Items, people: People, database_url: str
) -> None:
    tile = TMS.tile(*CENTRE, 15)

    def status(base: str, **headers: str) -> int:
        url = f"{base}/tiles/WebMercatorQuad/{tile.z}/{tile.x}/{tile.y}.png"
        return httpx.get(url, params=PICTURE, headers=headers, timeout=60).status_code

    def search(body: dict[str, Any]) -> str:
        return f"{tiler_url}/searches/{register_search(database_url, body)}"

    licensed, open_ = access_items.licensed[0], access_items.open[0]
    assert status(search({"collections": [open_]})) == 200
    assert status(search({"collections": [licensed]})) == 401
    # Its ids only: the collection also holds an item stored outside the tiler's roots.
    entitled = search({"collections": [licensed], "ids": [access_items.licensed[1]]})
    assert status(entitled, **bearer(people.entitled)) == 200
    assert status(search({"collections": [open_, licensed]}), **bearer(people.no_licence)) == 403
    assert status(search({"bbox": list(BOUNDS)})) == 401  # unrestricted: licensed ones too
    assert status(f"{tiler_url}/collections/{licensed}") == 401
    assert status(f"{tiler_url}/collections/{open_}") == 200

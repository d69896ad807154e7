"""The access rules over real HTTP, on an app composed as the STAC API and tiler will be."""

import json
import time

import httpx
import psycopg
import pytest
import rasterio
from pystac_client import Client

from access.client import sign_modifier
from access.stac import AUTH_EXTENSION


def download_url(server_url: str, collection: str, item: str, asset: str = "image") -> str:
    return f"{server_url}/collections/{collection}/items/{item}/assets/{asset}/download"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def events(url: str, user_email: str | None, kind: str, at_least: int = 0) -> list[tuple]:
    """Events of a user (``None``: anonymous), waiting a little for ``at_least`` of them: they
    are written after the response is sent."""
    deadline = time.monotonic() + 5
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            rows = conn.execute(
                "SELECT e.collection, e.item, e.asset, e.bytes, e.area_km2"
                " FROM dinamis_access.download_event e"
                ' LEFT JOIN dinamis_access."user" u ON u.id = e.user_id'
                " WHERE e.kind = %s AND u.email IS NOT DISTINCT FROM %s ORDER BY e.id",
                (kind, user_email),
            ).fetchall()
            if len(rows) >= at_least or time.monotonic() > deadline:
                return rows
            time.sleep(0.02)


def test_anonymous_download_of_licensed_item_is_401(server_url, items) -> None:
    response = httpx.get(download_url(server_url, *items.licensed))
    assert response.status_code == 401
    assert "airbus-dinamis" in response.json()["detail"]
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("who", "status", "reason"),
    [
        ("no_licence", 403, "has not accepted licence"),
        ("disabled", 403, "account is disabled"),
        ("unacknowledged", 403, "acknowledge licence"),
        ("awaiting_approval", 403, "provider's approval"),
        ("suspended_entity", 403, "is suspended"),
        ("expired", 401, "unknown, expired or revoked"),
        ("revoked", 401, "unknown, expired or revoked"),
    ],
)
def test_refused(server_url, items, people, who: str, status: int, reason: str) -> None:
    response = httpx.get(
        download_url(server_url, *items.licensed), headers=bearer(getattr(people, who))
    )
    assert response.status_code == status, response.text
    assert reason in response.json()["detail"]


def test_entitled_download_is_served_and_recorded(server_url, items, people, access_url) -> None:
    before = len(events(access_url, "alice@ign.test", "download"))
    response = httpx.get(
        download_url(server_url, *items.licensed), headers={"X-API-Key": people.entitled}
    )
    assert response.status_code == 200
    assert response.content == items.cog.read_bytes()
    recorded = events(access_url, "alice@ign.test", "download", before + 1)
    assert len(recorded) == before + 1
    assert recorded[-1] == (*items.licensed, "image", items.cog.stat().st_size, None)


def test_range_request_is_partial(server_url, items, people, access_url) -> None:
    before = len(events(access_url, "alice@ign.test", "download"))
    response = httpx.get(
        download_url(server_url, *items.licensed),
        headers={**bearer(people.entitled), "Range": "bytes=0-99"},
    )
    assert response.status_code == 206
    assert response.content == items.cog.read_bytes()[:100]
    assert events(access_url, "alice@ign.test", "download", before + 1)[-1][3] == 100


def test_open_collection_needs_no_credential(server_url, items, access_url) -> None:
    before = len(events(access_url, None, "download"))
    response = httpx.get(download_url(server_url, *items.open))
    assert response.status_code == 200
    assert events(access_url, None, "download", before + 1)[-1][:3] == (*items.open, "image")


def test_assets_outside_storage_are_not_served(server_url, items, people) -> None:
    response = httpx.get(download_url(server_url, *items.outside), headers=bearer(people.entitled))
    assert response.status_code == 404
    assert "not stored on this server" in response.json()["detail"]


def test_tile_route_is_guarded(server_url, items, people) -> None:
    url = f"{server_url}/collections/{items.licensed[0]}/items/{items.licensed[1]}/tiles/15/1/2"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers=bearer(people.no_licence)).status_code == 403
    assert httpx.get(url, headers=bearer(people.entitled)).json() == {"z": 15, "x": 1, "y": 2}
    swh = f"{server_url}/collections/{items.open[0]}/items/{items.open[1]}/tiles/15/1/2"
    assert httpx.get(swh).status_code == 200


def test_crop_records_area(server_url, items, people, access_url) -> None:
    collection, item = items.licensed
    url = f"{server_url}/collections/{collection}/items/{item}/bbox/69.30,-49.41,69.31,-49.40.png"
    before = len(events(access_url, "alice@ign.test", "crop"))
    assert httpx.get(url, headers=bearer(people.entitled)).status_code == 200
    area = events(access_url, "alice@ign.test", "crop", before + 1)[-1][4]
    # 0.01° x 0.01° at 49.4°S: 1.11 km x 0.72 km.
    assert area == pytest.approx(0.805, rel=0.01)


def test_token_in_query_and_referent_routes(server_url, items, people) -> None:
    token = httpx.post(f"{server_url}/auth/token", headers=bearer(people.entitled)).json()
    url = download_url(server_url, *items.licensed)
    assert httpx.get(url, params={"access_token": token["access_token"]}).status_code == 200
    assert httpx.get(url, params={"access_token": "v1.1.1.forged"}).status_code == 401
    # A token cannot mint another token.
    refresh = httpx.post(f"{server_url}/auth/token", params={"access_token": token["access_token"]})
    assert refresh.status_code == 401


def test_referent_manages_own_entity_only(server_url, people) -> None:
    headers = bearer(people.referent)
    other = httpx.post(f"{server_url}/users/{people.other_pending_user}/activate", headers=headers)
    assert other.status_code == 403
    assert (
        httpx.get(
            f"{server_url}/entities/{people.other_entity_id}/users", headers=headers
        ).status_code
        == 403
    )
    own = httpx.post(f"{server_url}/users/{people.own_pending_user}/activate", headers=headers)
    assert own.status_code == 200 and own.json()["status"] == "active"
    listed = httpx.get(f"{server_url}/entities/{people.entity_id}/users", headers=headers).json()
    assert {"paul@ign.test", "rita@ign.test"} <= {u["email"] for u in listed}
    plain = httpx.post(
        f"{server_url}/users/{people.other_pending_user}/activate", headers=bearer(people.entitled)
    )
    assert plain.status_code == 403


def test_me_explains_each_licensed_collection(server_url, people) -> None:
    me = httpx.get(f"{server_url}/auth/me", headers=bearer(people.no_licence)).json()
    assert me["user"]["email"] == "bob@lab.test"
    assert me["licensed_collections"]["pleiades"]["allowed"] is False
    assert "has not accepted licence" in me["licensed_collections"]["pleiades"]["reason"]
    assert httpx.get(f"{server_url}/auth/me").status_code == 401


def test_rasterio_reads_the_cog_through_vsicurl(server_url, items, people) -> None:
    url = download_url(server_url, *items.licensed)
    with (
        rasterio.Env(
            GDAL_HTTP_HEADERS=f"Authorization: Bearer {people.entitled}",
            GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR",
            CPL_VSIL_CURL_USE_HEAD="NO",
        ),
        rasterio.open(f"/vsicurl/{url}") as src,
    ):
        assert src.width == 512
        window = src.read(1, window=((0, 2), (0, 4)))
    assert window.tolist() == [[0, 1, 2, 3], [512 % 251, 513 % 251, 514 % 251, 515 % 251]]


def test_pystac_client_signed_hrefs_download(server_url, items, people) -> None:
    client = Client.open(server_url, modifier=sign_modifier(server_url, people.entitled))
    collection, item_id = items.licensed
    item = client.get_collection(collection).get_item(item_id)
    assert AUTH_EXTENSION in item.stac_extensions
    assert item.assets["image"].extra_fields["auth:refs"]
    href = item.assets["image"].href
    assert href.startswith(download_url(server_url, *items.licensed) + "?access_token=")
    assert httpx.get(href).content == items.cog.read_bytes()


def test_sign_endpoint_signs_own_urls_only(server_url, items, people) -> None:
    url = download_url(server_url, *items.licensed)
    signed = httpx.get(f"{server_url}/sign", params={"href": url}, headers=bearer(people.entitled))
    assert httpx.get(signed.json()["href"]).status_code == 200
    foreign = httpx.get(
        f"{server_url}/sign",
        params={"href": "https://example.org/x.tif"},
        headers=bearer(people.entitled),
    )
    assert foreign.status_code == 400


def test_head_gives_the_size(server_url, items, people) -> None:
    response = httpx.head(
        download_url(server_url, *items.licensed), headers=bearer(people.entitled)
    )
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == items.cog.stat().st_size


def test_catalogue_writes_are_admin_only(server_url, items, people) -> None:
    collection, _ = items.open
    item = httpx.get(f"{server_url}/collections/{collection}/items/{items.open[1]}").json()
    item = {**item, "id": "SWH-WRITTEN-BY-ADMIN", "links": []}
    url = f"{server_url}/collections/{collection}/items"
    assert httpx.post(url, json=item).status_code == 401
    assert httpx.post(url, json=item, headers=bearer(people.referent)).status_code == 403
    created = httpx.post(url, json=item, headers=bearer(people.admin))
    assert created.status_code in (200, 201), created.text
    assert httpx.delete(f"{url}/{item['id']}").status_code == 401
    assert httpx.delete(f"{url}/{item['id']}", headers=bearer(people.admin)).status_code == 200


def register_search(url: str, search: dict) -> str:
    with psycopg.connect(url, options="-c search_path=pgstac,public") as conn:
        return conn.execute(
            "SELECT hash FROM search_query(%s::jsonb)", (json.dumps(search),)
        ).fetchone()[0]


def test_mosaic_tiles_need_access_to_every_collection_searched(
    server_url, items, people, access_url
) -> None:
    def tile(search: dict, **headers: str) -> int:
        search_id = register_search(access_url, search)
        return httpx.get(
            f"{server_url}/searches/{search_id}/tiles/15/1/2", headers=headers
        ).status_code

    assert tile({"collections": [items.open[0]]}) == 200
    assert tile({"collections": [items.licensed[0]]}) == 401
    assert tile({"collections": [items.licensed[0]]}, **bearer(people.entitled)) == 200
    both = {"collections": [items.open[0], items.licensed[0]]}
    assert tile(both, **bearer(people.no_licence)) == 403
    assert tile({"bbox": [69.3, -49.42, 69.32, -49.40]}) == 401  # unrestricted: licensed ones too
    assert httpx.get(f"{server_url}/searches/unknown/tiles/15/1/2").status_code == 200

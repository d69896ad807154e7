"""Issue 5 on the real STAC API over HTTP: search is public, licensed assets are served (with
HTTP ranges) to entitled users only and every download is recorded, /sign and tokens work for
pystac-client and GDAL, and catalogue writes are for admins."""

import httpx
import pytest
import rasterio
from pystac_client import Client

from access.client import sign_modifier
from access.stac import AUTH_EXTENSION
from tests.entitlements import bearer, events


def download_url(api_url: str, collection: str, item: str, asset: str = "image") -> str:
    return f"{api_url}/collections/{collection}/items/{item}/assets/{asset}/download"


def test_anonymous_download_of_licensed_item_is_401(api_url, access_items) -> None:
    response = httpx.get(download_url(api_url, *access_items.licensed))
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
def test_refused(api_url, access_items, people, who: str, status: int, reason: str) -> None:
    response = httpx.get(
        download_url(api_url, *access_items.licensed), headers=bearer(getattr(people, who))
    )
    assert response.status_code == status, response.text
    assert reason in response.json()["detail"]


def test_entitled_download_is_served_and_recorded(
    api_url, access_items, people, database_url
) -> None:
    before = len(events(database_url, "alice@ign.test", "download"))
    response = httpx.get(
        download_url(api_url, *access_items.licensed), headers={"X-API-Key": people.entitled}
    )
    assert response.status_code == 200
    assert response.content == access_items.cog.read_bytes()
    recorded = events(database_url, "alice@ign.test", "download", before + 1)
    assert len(recorded) == before + 1
    assert recorded[-1] == (*access_items.licensed, "image", access_items.cog.stat().st_size, None)


def test_licensed_files_are_kept_by_no_shared_cache(api_url, access_items, people) -> None:
    # FileResponse's Last-Modified and ETag let a shared cache keep an answer it was told
    # nothing about, and hand a signed URL's file to the next caller of that URL.
    licensed = download_url(api_url, *access_items.licensed)
    token = httpx.post(f"{api_url}/auth/token", headers=bearer(people.entitled)).json()
    signed = httpx.get(licensed, params={"access_token": token["access_token"]})
    assert signed.content == access_items.cog.read_bytes()
    assert signed.headers["cache-control"] == "private"
    part = httpx.get(licensed, headers={**bearer(people.entitled), "Range": "bytes=0-99"})
    assert part.status_code == 206
    assert part.headers["cache-control"] == "private"
    assert httpx.get(licensed).status_code == 401
    open_file = httpx.get(download_url(api_url, *access_items.open))
    assert open_file.status_code == 200
    assert "cache-control" not in open_file.headers


def test_range_request_is_partial(api_url, access_items, people, database_url) -> None:
    before = len(events(database_url, "alice@ign.test", "download"))
    response = httpx.get(
        download_url(api_url, *access_items.licensed),
        headers={**bearer(people.entitled), "Range": "bytes=0-99"},
    )
    assert response.status_code == 206
    assert response.content == access_items.cog.read_bytes()[:100]
    assert events(database_url, "alice@ign.test", "download", before + 1)[-1][3] == 100


@pytest.mark.parametrize(
    "ranges",
    [
        None,
        "bytes=0-99",
        "bytes=0-99,50-149",  # overlapping: merged into one range
        "bytes=0-9,20-29,25-39",  # several: a multipart body, two of them merged
        "bytes=-10",
        "bytes=1000-99999999",  # past the end: clipped
        "bytes=0-9, x-y",  # a malformed part, ignored
        "bytes=0-9," + ",".join(f"{i}-{i + 5}" for i in range(10, 500, 7)),
    ],
)
def test_recorded_bytes_are_the_bytes_sent(
    api_url, access_items, people, database_url, ranges: str | None
) -> None:
    before = len(events(database_url, "alice@ign.test", "download"))
    headers = {**bearer(people.entitled), **({"Range": ranges} if ranges else {})}
    response = httpx.get(download_url(api_url, *access_items.licensed), headers=headers)
    assert response.status_code in (200, 206), response.text
    recorded = events(database_url, "alice@ign.test", "download", before + 1)
    assert len(recorded) == before + 1
    assert recorded[-1][3] == len(response.content), (ranges, response.headers)


def test_unsatisfiable_range_is_not_recorded(api_url, access_items, people, database_url) -> None:
    before = len(events(database_url, "alice@ign.test", "download"))
    response = httpx.get(
        download_url(api_url, *access_items.licensed),
        headers={**bearer(people.entitled), "Range": "bytes=99999999-"},
    )
    assert response.status_code == 416
    assert len(events(database_url, "alice@ign.test", "download")) == before


def test_open_collection_needs_no_credential(api_url, access_items, database_url) -> None:
    before = len(events(database_url, None, "download"))
    response = httpx.get(download_url(api_url, *access_items.open))
    assert response.status_code == 200
    assert events(database_url, None, "download", before + 1)[-1][:3] == (
        *access_items.open,
        "image",
    )


def test_assets_outside_storage_are_not_served(api_url, access_items, people) -> None:
    response = httpx.get(
        download_url(api_url, *access_items.outside), headers=bearer(people.entitled)
    )
    assert response.status_code == 404
    assert "not stored in its collection on this server" in response.json()["detail"]


def test_token_in_query_and_referent_routes(api_url, access_items, people) -> None:
    token = httpx.post(f"{api_url}/auth/token", headers=bearer(people.entitled)).json()
    url = download_url(api_url, *access_items.licensed)
    assert httpx.get(url, params={"access_token": token["access_token"]}).status_code == 200
    assert httpx.get(url, params={"access_token": "v1.1.1.forged"}).status_code == 401
    # A token cannot mint another token.
    refresh = httpx.post(f"{api_url}/auth/token", params={"access_token": token["access_token"]})
    assert refresh.status_code == 401


def test_referent_manages_own_entity_only(api_url, people) -> None:
    headers = bearer(people.referent)
    other = httpx.post(f"{api_url}/users/{people.other_pending_user}/activate", headers=headers)
    assert other.status_code == 403
    assert (
        httpx.get(f"{api_url}/entities/{people.other_entity_id}/users", headers=headers).status_code
        == 403
    )
    own = httpx.post(f"{api_url}/users/{people.own_pending_user}/activate", headers=headers)
    assert own.status_code == 200 and own.json()["status"] == "active"
    listed = httpx.get(f"{api_url}/entities/{people.entity_id}/users", headers=headers).json()
    assert {"paul@ign.test", "rita@ign.test"} <= {u["email"] for u in listed}
    plain = httpx.post(
        f"{api_url}/users/{people.other_pending_user}/activate", headers=bearer(people.entitled)
    )
    assert plain.status_code == 403


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/entities/99999999999999999999/users"),
        ("GET", "/entities/0/users"),
        ("POST", "/users/99999999999999999999/activate"),
    ],
)
def test_ids_past_the_database_keys_are_a_400_naming_them(api_url, people, method, path) -> None:
    # Found by probing the API as an admin: the database's "out of range" was a 500.
    response = httpx.request(method, f"{api_url}{path}", headers=bearer(people.admin))
    assert response.status_code == 400, response.text
    assert response.json()["detail"][0]["loc"][-1] in ("entity_id", "user_id"), response.text


def test_me_explains_each_licensed_collection(api_url, people) -> None:
    me = httpx.get(f"{api_url}/auth/me", headers=bearer(people.no_licence)).json()
    assert me["user"]["email"] == "bob@lab.test"
    assert me["licensed_collections"]["pleiades"]["allowed"] is False
    assert "has not accepted licence" in me["licensed_collections"]["pleiades"]["reason"]
    assert httpx.get(f"{api_url}/auth/me").status_code == 401


def test_rasterio_reads_the_cog_through_vsicurl(api_url, access_items, people) -> None:
    url = download_url(api_url, *access_items.licensed)
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


def test_pystac_client_signed_hrefs_download(api_url, access_items, people) -> None:
    client = Client.open(api_url, modifier=sign_modifier(api_url, people.entitled))
    collection, item_id = access_items.licensed
    item = client.get_collection(collection).get_item(item_id)
    assert AUTH_EXTENSION in item.stac_extensions
    assert item.assets["image"].extra_fields["auth:refs"]
    href = item.assets["image"].href
    assert href.startswith(download_url(api_url, *access_items.licensed) + "?access_token=")
    assert httpx.get(href).content == access_items.cog.read_bytes()


def test_sign_endpoint_signs_own_urls_only(api_url, access_items, people) -> None:
    url = download_url(api_url, *access_items.licensed)
    signed = httpx.get(f"{api_url}/sign", params={"href": url}, headers=bearer(people.entitled))
    assert httpx.get(signed.json()["href"]).status_code == 200
    foreign = httpx.get(
        f"{api_url}/sign",
        params={"href": "https://example.org/x.tif"},
        headers=bearer(people.entitled),
    )
    assert foreign.status_code == 400


def test_head_gives_the_size(api_url, access_items, people) -> None:
    response = httpx.head(
        download_url(api_url, *access_items.licensed), headers=bearer(people.entitled)
    )
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == access_items.cog.stat().st_size


def test_catalogue_writes_are_admin_only(api_url, access_items, people) -> None:
    collection, _ = access_items.open
    item = httpx.get(f"{api_url}/collections/{collection}/items/{access_items.open[1]}").json()
    item = {**item, "id": "SWH-WRITTEN-BY-ADMIN", "links": []}
    url = f"{api_url}/collections/{collection}/items"
    assert httpx.post(url, json=item).status_code == 401
    assert httpx.post(url, json=item, headers=bearer(people.referent)).status_code == 403
    # Operators handle requests and applications; changing the catalogue stays with admins.
    assert httpx.post(url, json=item, headers=bearer(people.operator)).status_code == 403
    created = httpx.post(url, json=item, headers=bearer(people.admin))
    assert created.status_code in (200, 201), created.text
    assert httpx.delete(f"{url}/{item['id']}").status_code == 401
    assert httpx.delete(f"{url}/{item['id']}", headers=bearer(people.admin)).status_code == 200


def test_anonymous_search_shows_licensed_items_with_auth_fields(api_url, access_items) -> None:
    collection, item_id = access_items.licensed
    found = httpx.post(f"{api_url}/search", json={"ids": [item_id], "collections": [collection]})
    assert found.status_code == 200
    (item,) = found.json()["features"]
    assert AUTH_EXTENSION in item["stac_extensions"]
    assert set(item["properties"]["auth:schemes"]) == set(item["assets"]["image"]["auth:refs"])
    assert item["properties"]["auth:schemes"]["dinamis-token"]["name"] == "access_token"
    assert item["assets"]["image"]["href"] == download_url(api_url, *access_items.licensed)
    # Every item path goes through the same presentation: the item endpoint too.
    single = httpx.get(f"{api_url}/collections/{collection}/items/{item_id}").json()
    assert single["assets"] == item["assets"]


def test_open_items_have_download_urls_but_no_auth_fields(api_url, access_items) -> None:
    collection, item_id = access_items.open
    item = httpx.get(f"{api_url}/collections/{collection}/items/{item_id}").json()
    assert item["assets"]["image"]["href"] == download_url(api_url, *access_items.open)
    assert "auth:schemes" not in item["properties"]
    assert "auth:refs" not in item["assets"]["image"]


def test_browsers_may_send_credentials_and_ranges(api_url) -> None:
    preflight = httpx.options(
        f"{api_url}/search",
        headers={
            "Origin": "https://notebook.example.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization,x-api-key,range",
        },
    )
    assert preflight.status_code == 200
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert {"authorization", "x-api-key", "range"} <= set(allowed.replace(" ", "").split(","))

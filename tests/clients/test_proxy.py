"""Behind a real nginx: every URL a client is handed (STAC links, asset hrefs, tiler links,
TileJSON tiles, WMTS ResourceURLs, signed URLs) is on the public origin, and works there.
The tiler part goes through OWSLib, QGIS's kind of WMTS client."""

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from owslib.wmts import WebMapTileService

from access.settings import AccessSettings
from dinamis.serve import BackgroundServer, free_port
from stac_api.app import create_app
from stac_api.settings import ApiSettings
from tests.clients.conftest import Deployment
from tests.entitlements import Items, bearer

TILER_RELS = {"tilesets-map", "xyz", "wmts", "preview", "viewer"}


# Keys whose URLs name things (relation types, specifications), not places to go.
NAMES = {"rel", "conformsTo", "stac_extensions", "$schema"}


def urls(document: Any) -> Iterator[str]:
    """Every absolute URL a client may follow in a JSON document."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key not in NAMES:
                yield from urls(value)
    elif isinstance(document, list):
        for value in document:
            yield from urls(value)
    elif isinstance(document, str) and document.startswith(("http://", "https://")):
        yield document


def assert_public(document: Any, deployment: Deployment) -> None:
    found = list(urls(document))
    assert found
    hidden = [u for u in found if u.startswith((deployment.api, deployment.tiler))]
    assert not hidden, hidden


@pytest.fixture(scope="module")
def token(deployment: Deployment, entitled_key: str) -> str:
    response = httpx.post(f"{deployment.public}/auth/token", headers=bearer(entitled_key))
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def test_item_links_and_assets_are_public(
    deployment: Deployment, access_items: Items, entitled_key: str
) -> None:
    collection, item_id = access_items.licensed
    item = httpx.get(f"{deployment.public}/collections/{collection}/items/{item_id}").json()
    assert_public(item, deployment)
    own = [link for link in item["links"] if link["rel"] in {"self", "parent", "collection"}]
    tiler = [link for link in item["links"] if link["rel"] in TILER_RELS]
    assert {link["rel"] for link in tiler} == TILER_RELS
    for link in own:
        assert link["href"].startswith(f"{deployment.public}/"), link
    for link in tiler:
        assert link["href"].startswith(f"{deployment.public}/raster/"), link
    for asset in item["assets"].values():
        assert asset["href"].startswith(f"{deployment.public}/collections/"), asset
    sign = item["properties"]["auth:schemes"]["dinamis-signed-url"]["flows"]["signedUrl"]
    assert sign["authorizationApi"] == f"{deployment.public}/sign"
    # The hrefs work where they point: the asset through the API, the preview through the tiler.
    asset = next(iter(item["assets"].values()))["href"]
    ranged = httpx.get(asset, headers={**bearer(entitled_key), "Range": "bytes=0-15"})
    assert ranged.status_code == 206
    preview = next(link["href"] for link in tiler if link["rel"] == "preview")
    # This test item names its asset `image`, not the `data` its default render reads.
    shown = httpx.get(preview, params={"assets": "image"}, headers=bearer(entitled_key))
    assert shown.status_code == 200, shown.text


def test_search_pages_are_public(deployment: Deployment, access_items: Items) -> None:
    page = httpx.get(f"{deployment.public}/search", params={"limit": 1}).json()
    assert_public(page, deployment)
    following = next(link["href"] for link in page["links"] if link["rel"] == "next")
    assert following.startswith(f"{deployment.public}/search")
    assert httpx.get(following).status_code == 200
    landing = httpx.get(f"{deployment.public}/").json()
    assert_public(landing, deployment)


def test_signing_the_public_hrefs(
    deployment: Deployment, access_items: Items, entitled_key: str
) -> None:
    collection, item_id = access_items.licensed
    item = httpx.get(f"{deployment.public}/collections/{collection}/items/{item_id}").json()
    asset = next(iter(item["assets"].values()))["href"]
    tiles = next(link["href"] for link in item["links"] if link["rel"] == "preview")
    for href in (asset, tiles):
        signed = httpx.get(
            f"{deployment.public}/sign", params={"href": href}, headers=bearer(entitled_key)
        )
        assert signed.status_code == 200, signed.text
        url = signed.json()["href"]
        assert url.startswith(href) and "access_token=" in url
        fetched = httpx.get(f"{url}&assets=image", headers={"Range": "bytes=0-15"})
        assert fetched.status_code in (200, 206), fetched.text
    refused = httpx.get(
        f"{deployment.public}/sign",
        params={"href": "https://elsewhere.example/x.tif"},
        headers=bearer(entitled_key),
    )
    assert refused.status_code == 400


def test_tilejson_tiles_are_public_and_carry_the_token(
    deployment: Deployment, access_items: Items, token: str
) -> None:
    collection, item_id = access_items.licensed
    item = httpx.get(f"{deployment.public}/collections/{collection}/items/{item_id}").json()
    tilejson_url = next(link["href"] for link in item["links"] if link["rel"] == "tilesets-map")
    tilejson = httpx.get(tilejson_url, params={"access_token": token, "assets": "image"})
    assert tilejson.status_code == 200, tilejson.text
    template = tilejson.json()["tiles"][0]
    assert template.startswith(f"{deployment.public}/raster/")
    assert f"access_token={token}" in template
    z = tilejson.json()["maxzoom"]
    tile = httpx.get(tile_url(template, z, *tile_at(tilejson.json()["center"], z)))
    assert tile.status_code == 200, tile.text


def tile_at(center: list[float], z: int) -> tuple[int, int]:
    import morecantile

    tile = morecantile.tms.get("WebMercatorQuad").tile(center[0], center[1], z)
    return tile.x, tile.y


def tile_url(template: str, z: int, x: int, y: int) -> str:
    return template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))


def test_wmts_with_a_token_in_owslib(
    deployment: Deployment, access_items: Items, token: str
) -> None:
    collection, item_id = access_items.licensed
    item = httpx.get(f"{deployment.public}/collections/{collection}/items/{item_id}").json()
    capabilities = next(link["href"] for link in item["links"] if link["rel"] == "wmts")
    wmts = WebMapTileService(f"{capabilities}?access_token={token}&assets=image")
    # The layer made of the request's own parameters (the test item has no `data` asset for
    # the item's default render to read).
    layer = wmts.contents[next(k for k in wmts.contents if k.endswith("WebMercatorQuad_default"))]
    resource = next(r for r in layer.resourceURLs if r["resourceType"] == "tile")
    template = resource["template"]
    assert template.startswith(f"{deployment.public}/raster/"), template
    assert f"access_token={token}" in template
    # The item's own renders too (their queries come from the item, not from the request).
    every = [r["template"] for lay in wmts.contents.values() for r in lay.resourceURLs]
    assert len(every) > 1
    assert all(f"access_token={token}" in t for t in every)
    link = layer.tilematrixsetlinks["WebMercatorQuad"]
    z, limits = max(link.tilematrixlimits.items(), key=lambda entry: int(entry[0]))
    url = (
        template.replace("{TileMatrixSet}", "WebMercatorQuad")
        .replace("{TileMatrix}", z)
        .replace("{TileCol}", str(limits.mintilecol))
        .replace("{TileRow}", str(limits.mintilerow))
    )
    tile = httpx.get(url)  # no header: the template alone must authorise, as in QGIS
    assert tile.status_code == 200, tile.text
    assert tile.headers["content-type"] == resource["format"]
    assert "private" in tile.headers.get("cache-control", "private")


def test_quoted_forwarded_host_with_a_port(
    deployment: Deployment, access_items: Items, entitled_key: str
) -> None:
    forwarded = {"Forwarded": 'for=192.0.2.1;proto=https;host="example.org:8443"'}
    landing = httpx.get(deployment.api, headers=forwarded).json()
    assert {urlsplit(u).netloc for u in urls(landing["links"])} == {"example.org:8443"}
    assert all(u.startswith("https://example.org:8443/") for u in urls(landing["links"]))
    tilejson = httpx.get(
        f"{deployment.tiler}/collections/pleiades/items/ACCESS-TEST-PHR/WebMercatorQuad/tilejson.json",
        params={"assets": "image"},
        headers={**forwarded, "X-Forwarded-Prefix": "/raster", **bearer(entitled_key)},
    )
    assert tilejson.status_code == 200, tilejson.text
    assert tilejson.json()["tiles"][0].startswith("https://example.org:8443/raster/")


def test_forwarded_headers_of_untrusted_clients_are_ignored(
    database_url: str, collection_ids: list[str], access: AccessSettings
) -> None:
    settings = ApiSettings(
        trusted_proxies=["192.0.2.10"], public_url="https://catalogue.example.org"
    )
    server = BackgroundServer(create_app(database_url, settings, access), free_port()).start()
    try:
        forged = {"X-Forwarded-Host": "evil.example", "Forwarded": "host=evil.example"}
        for headers in (forged, {"Host": "evil.example"}):
            landing = httpx.get(server.url, headers=headers).json()
            links = json.dumps(landing["links"])
            assert "evil.example" not in links
            own = list(urls(landing["links"]))
            assert all(u.startswith("https://catalogue.example.org/") for u in own), own
    finally:
        server.stop()


def test_x_forwarded_headers_of_a_trusted_proxy(deployment: Deployment) -> None:
    headers = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "example.org",
        "X-Forwarded-Port": "8443",
    }
    landing = httpx.get(deployment.api, headers=headers).json()
    assert all(u.startswith("https://example.org:8443/") for u in urls(landing["links"]))
    # A header that is not a host is ignored, not written into links.
    landing = httpx.get(deployment.api, headers={"X-Forwarded-Host": "evil.example/x?"}).json()
    assert not any("evil.example" in u for u in urls(landing["links"]))

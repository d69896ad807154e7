"""Issue 8, item 1 on the real tiler over HTTP: who may read a saved search (a mosaic), decided
on every request of every route from what the search may return.

The attacker's sequence: an anonymous caller asks for a search id computed in advance (unknown,
404), registers that very search, and asks for its pixels at once. Every route of every
licensed mosaic and item, taken from the tiler's own OpenAPI document, answers 401 anonymously.
"""

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import morecantile
import pytest

from tests.entitlements import BOUNDS, Items, People, bearer
from tiler.settings import TilerSettings

TMS = morecantile.tms.get("WebMercatorQuad")
CENTRE = ((BOUNDS[0] + BOUNDS[2]) / 2, (BOUNDS[1] + BOUNDS[3]) / 2)
TILE = TMS.tile(*CENTRE, 15)
PICTURE = {"assets": "image", "rescale": "0,250"}
FEATURE = {
    "type": "Feature",
    "properties": {},
    "geometry": {
        "type": "Polygon",
        "coordinates": [
            [[69.30, -49.41], [69.31, -49.41], [69.31, -49.40], [69.30, -49.40], [69.30, -49.41]]
        ],
    },
}


def jsonb_text(value: Any) -> str:
    """``value`` as PostgreSQL prints a jsonb: object keys shorter first, then by their bytes;
    ``", "`` and ``": "`` between items."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (len(k.encode()), k.encode()))
        return "{" + ", ".join(f"{json.dumps(k)}: {jsonb_text(value[k])}" for k in keys) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(jsonb_text(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def search_hash(search: dict[str, Any], metadata: dict[str, Any]) -> str:
    """pgSTAC's ``search_hash(search, metadata)``: md5 of both jsonb texts, the search without
    its paging keys. titiler-pgstac registers the body with its default ``filter-lang`` and
    ``{"type": "mosaic"}`` as metadata."""
    paging = {"token", "limit", "context", "includes", "excludes"}
    body = {k: v for k, v in search.items() if k not in paging}
    return hashlib.md5((jsonb_text(body) + jsonb_text(metadata)).encode()).hexdigest()


def precomputed(search: dict[str, Any]) -> str:
    return search_hash({**search, "filter-lang": "cql2-json"}, {"type": "mosaic"})


def tile_url(base: str) -> str:
    return f"{base}/tiles/WebMercatorQuad/{TILE.z}/{TILE.x}/{TILE.y}.png"


def test_precomputed_unknown_search_registered_then_asked_for_is_refused(
    tiler_url: str, access_items: Items, people: People
) -> None:
    """The exact sequence of the report, all anonymous."""
    # A body no other test registers (its bbox), so its id is unknown until this test.
    body = {"collections": [access_items.licensed[0]], "bbox": [69.3, -49.42, 69.32, -49.4001]}
    search_id = precomputed(body)
    base = f"{tiler_url}/searches/{search_id}"
    unknown = httpx.get(f"{base}/info")
    assert unknown.status_code == 404, unknown.text
    assert unknown.headers["cache-control"] == "no-store"  # no proxy may keep the refusal
    registered = httpx.post(f"{tiler_url}/searches/register", json=body)
    assert registered.status_code == 200, registered.text
    assert registered.json()["id"] == search_id  # computed in advance, as an attacker would
    point = f"{base}/point/{CENTRE[0]},{CENTRE[1]}"
    for url in (
        tile_url(base),
        f"{base}/info",
        point,
        f"{point}/assets",
        f"{base}/tiles/WebMercatorQuad/{TILE.z}/{TILE.x}/{TILE.y}/assets",
        f"{base}/bbox/{','.join(map(str, BOUNDS))}/assets",
        f"{base}/WebMercatorQuad/tilejson.json",
        f"{base}/WMTSCapabilities.xml",
    ):
        response = httpx.get(url, params=PICTURE)
        assert response.status_code == 401, (url, response.status_code, response.text)
        assert "airbus-dinamis" in response.json()["detail"]
        assert response.headers["cache-control"] == "no-store"
    # The entitled caller gets the very same tile.
    entitled = httpx.get(tile_url(base), params=PICTURE, headers=bearer(people.entitled))
    assert entitled.status_code == 200, entitled.text


def test_unknown_search_is_404_every_time(tiler_url: str) -> None:
    base = f"{tiler_url}/searches/{'0' * 32}"
    for _ in range(2):
        response = httpx.get(tile_url(base))
        assert response.status_code == 404
        assert "no registered search" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "anonymous"),
    [
        ({"collections": ["spot-world-heritage"]}, 200),
        ({"collections": ["pleiades"]}, 401),
        ({"collections": ["spot-world-heritage", "pleiades"]}, 401),
        ({"collections": []}, 401),  # not limited: every collection
        ({"ids": ["ACCESS-TEST-SWH"]}, 401),  # ids name items, not collections
        # A filter on the collection does not count: only `collections` limits a search.
        ({"filter": {"op": "=", "args": [{"property": "collection"}, "spot-world-heritage"]}}, 401),
    ],
)
def test_search_needs_every_collection_it_may_return(
    tiler_url: str, access_items: Items, body: dict[str, Any], anonymous: int
) -> None:
    registered = httpx.post(f"{tiler_url}/searches/register", json=body)
    assert registered.status_code == 200, registered.text
    base = f"{tiler_url}/searches/{registered.json()['id']}"
    assert httpx.get(tile_url(base), params=PICTURE).status_code == anonymous


def _route_urls(
    tiler_url: str, prefix: str, values: dict[str, str], but: str = "\0"
) -> list[tuple[str, str]]:
    """(method, url) of every route the tiler documents under ``prefix`` (but not under
    ``prefix + but``), placeholders filled."""
    openapi = httpx.get(f"{tiler_url}/api").json()
    routes = []
    for path, operations in openapi["paths"].items():
        if not path.startswith(prefix) or path.startswith(prefix + but):
            continue
        url = path
        for name, value in values.items():
            url = url.replace(f"{{{name}}}", value)
        assert "{" not in url, f"no test value for a placeholder of {path}"
        routes += [(method.upper(), f"{tiler_url}{url}") for method in operations]
    return routes


def _values(**ids: str) -> dict[str, str]:
    minx, miny, maxx, maxy = BOUNDS
    return {
        **ids,
        "tileMatrixSetId": "WebMercatorQuad",
        "z": str(TILE.z),
        "x": str(TILE.x),
        "y": str(TILE.y),
        "format": "png",
        "lon": str(CENTRE[0]),
        "lat": str(CENTRE[1]),
        "minx": str(minx),
        "miny": str(miny),
        "maxx": str(maxx),
        "maxy": str(maxy),
        "width": "64",
        "height": "64",
    }


def _licensed_mosaic_and_item_routes(tiler_url: str, items: Items) -> list[tuple[str, str]]:
    collection, item = items.licensed
    search = httpx.post(f"{tiler_url}/searches/register", json={"collections": [collection]})
    search_id = search.json()["id"]
    return [
        *_route_urls(tiler_url, "/searches/{search_id}", _values(search_id=search_id)),
        *_route_urls(
            tiler_url,
            "/collections/{collection_id}/items/{item_id}",
            _values(collection_id=collection, item_id=item),
        ),
        *_route_urls(
            tiler_url, "/collections/{collection_id}", _values(collection_id=collection), "/items/"
        ),
    ]


def test_every_route_of_a_licensed_mosaic_or_item_refuses_anonymous_callers(
    tiler_url: str, access_items: Items, people: People
) -> None:
    routes = _licensed_mosaic_and_item_routes(tiler_url, access_items)
    assert len(routes) > 40
    for method, url in routes:
        body = FEATURE if method == "POST" else None
        response = httpx.request(method, url, params=PICTURE, json=body, timeout=60)
        assert response.status_code == 401, (method, url, response.status_code, response.text)
        assert response.headers["www-authenticate"].startswith("Bearer")
        refused = httpx.request(
            method, url, params=PICTURE, json=body, headers=bearer(people.no_licence), timeout=60
        )
        assert refused.status_code == 403, (method, url, refused.status_code)


def test_only_admins_list_the_stored_searches(tiler_url: str, people: People) -> None:
    for path in ("/searches/list", "/searches/"):
        assert httpx.get(f"{tiler_url}{path}").status_code == 401
        assert httpx.get(f"{tiler_url}{path}", headers=bearer(people.entitled)).status_code == 403
        listed = httpx.get(f"{tiler_url}{path}", headers=bearer(people.admin))
        assert listed.status_code == 200, listed.text
        assert listed.json()["searches"], "the searches registered by the tests"
        links = {link["rel"] for link in listed.json()["searches"][0]["links"]}
        assert {"metadata", "tilejson"} <= links


def test_registered_searches_are_bounded(tiler_url: str, tiler_settings: TilerSettings) -> None:
    limit = tiler_settings.max_search_bytes
    ids = [f"ITEM-{n:06d}" for n in range(limit // 10)]
    response = httpx.post(f"{tiler_url}/searches/register", json={"ids": ids})
    assert response.status_code == 400, response.text
    assert f"limit of {limit:,} bytes" in response.json()["detail"]


def test_request_bodies_are_bounded(tiler_url: str, tiler_settings: TilerSettings) -> None:
    limit = tiler_settings.max_body_bytes
    body = json.dumps({"ids": ["x" * limit]}).encode()
    sized = httpx.post(f"{tiler_url}/searches/register", content=body)
    assert sized.status_code == 413
    assert f"limit of {limit:,} bytes" in sized.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams in
        for start in range(0, len(body), 65_536):
            yield body[start : start + 65_536]

    streamed = httpx.post(f"{tiler_url}/searches/register", content=chunks())
    assert streamed.status_code == 413
    assert f"limit of {limit:,} bytes" in streamed.json()["detail"]

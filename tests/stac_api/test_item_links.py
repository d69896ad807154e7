"""The items of a search carry exactly the links stac-fastapi-pgstac would give them (the
workaround changes how they are made, not what they are)."""

import asyncio

import httpx
from fastapi import FastAPI
from stac_fastapi.pgstac.models import links as upstream
from starlette.requests import Request

from stac_api.item_links import ItemLinks
from tests.stac_api.conftest import COLLECTION


def request(host: str, path: str, query: bytes, root_path: str = "") -> Request:
    app = FastAPI()
    app.state.router_prefix = ""
    return Request(
        {
            "type": "http",
            "method": "GET",
            "scheme": "https",
            "path": path,
            "root_path": root_path,
            "query_string": query,
            "headers": [(b"host", host.encode())],
            "server": (host, 443),
            "app": app,
        }
    )


def test_links_are_upstream_links() -> None:
    stored = [
        {"rel": "license", "href": "licence.html", "type": "text/html"},
        {"rel": "self", "href": "https://elsewhere/ignored"},
    ]
    for http in (
        request("catalogue.example", "/search", b"limit=100"),
        request("other.example", "/stac/collections/c/items", b"", root_path="/stac"),
    ):
        for collection, item in (
            ("pleiades", "IMG_1"),
            ("spot-6-7", "a b/../c?d#e"),
            ("spot-6-7", ".."),
            ("c d", "x:y"),
            ("a/b", "é%20"),
        ):

            async def both(
                http: Request = http, collection: str = collection, item: str = item
            ) -> tuple[list, list]:
                ours = ItemLinks(collection_id=collection, item_id=item, request=http)
                theirs = upstream.ItemLinks(collection_id=collection, item_id=item, request=http)
                return await ours.get_links(stored), await theirs.get_links(stored)

            ours, theirs = asyncio.run(both())
            assert ours == theirs
            assert {link["rel"] for link in ours} >= {"self", "parent", "collection", "root"}


def test_search_items_link_to_themselves(api_url: str, search_items: list[dict]) -> None:
    page = httpx.post(f"{api_url}/search", json={"collections": [COLLECTION], "limit": 5}).json()
    assert len(page["features"]) == 5
    for feature in page["features"]:
        links = {link["rel"]: link["href"] for link in feature["links"]}
        assert links["self"] == f"{api_url}/collections/{COLLECTION}/items/{feature['id']}"
        assert links["collection"] == links["parent"] == f"{api_url}/collections/{COLLECTION}"
        assert links["root"] == f"{api_url}/"

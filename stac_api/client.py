"""stac-fastapi-pgstac's client, with each item linked to its tiles, WMTS, preview and web map,
and its stored assets presented as public download URLs (with the STAC Authentication extension
for licensed collections)."""

import json
from typing import Any

import attr
from stac_fastapi.pgstac.core import CoreCrudClient
from stac_fastapi.types.requests import get_base_url
from stac_fastapi.types.stac import Collection, Collections, ItemCollection
from starlette.requests import Request
from starlette.responses import JSONResponse

from access.stac import present_item
from stac_api.collection_assets import present_collection
from stac_api.validation import check_search
from tiler.links import item_links


@attr.s
class DinamisClient(CoreCrudClient):
    """Every item path (search, item collection, single item) goes through ``_search_base``."""

    async def _search_base(self, search_request: Any, request: Request) -> ItemCollection:
        await check_search(request, search_request)
        collection = await super()._search_base(search_request, request)
        tiler_url: str = request.app.state.settings.tiler_url
        # The API's own public URL, as stac-fastapi's links use it (proxy headers included).
        api_url = get_base_url(request)
        licensed = (await request.app.state.access.licences()).keys()
        for feature in collection["features"]:
            # Absent when the fields extension excluded links or ids.
            if "links" in feature and feature.get("collection") and feature.get("id"):
                feature["links"].extend(item_links(tiler_url, feature["collection"], feature["id"]))
            # pgSTAC keeps the storage paths the tiler reads; only the public sees URLs.
            present_item(feature, api_url, licensed)
        return collection

    async def get_collection(
        self, collection_id: str, request: Request, **kwargs: Any
    ) -> Collection:
        collection = await super().get_collection(collection_id, request, **kwargs)
        return present_collection(collection, get_base_url(request))

    async def all_collections(self, request: Request, **kwargs: Any) -> Collections | JSONResponse:
        # A blank `query=` means no query, as on /search; stac-fastapi-pgstac would parse it.
        if kwargs.get("query") == "":
            kwargs["query"] = None
        result = await super().all_collections(request, **kwargs)
        # With the fields extension the answer is already a response.
        body = json.loads(result.body) if isinstance(result, JSONResponse) else result
        for collection in body.get("collections", []):
            present_collection(collection, get_base_url(request))
        return JSONResponse(body) if isinstance(result, JSONResponse) else body

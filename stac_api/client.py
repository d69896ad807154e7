"""stac-fastapi-pgstac's client, with each item linked to its tiles, WMTS, preview and web map,
and its stored assets presented as public download URLs (with the STAC Authentication extension
for licensed collections)."""

import json
from typing import Any

import attr
from fastapi import HTTPException
from stac_fastapi.pgstac.core import CoreCrudClient
from stac_fastapi.pgstac.utils import filter_fields
from stac_fastapi.types.requests import get_base_url
from stac_fastapi.types.stac import Collection, Collections, ItemCollection
from starlette.requests import Request
from starlette.responses import JSONResponse

from access.stac import Presenter
from stac_api.collection_assets import present_collection
from stac_api.encoding import ORJSONGeoJSONResponse
from stac_api.filters import as_one_filter, get_filter_args
from stac_api.validation import check_search
from tiler.links import item_links, public_tiler_url

# The fields extension's default set, what an item keeps when a client excludes from it with an
# empty or null `include` (with no `include` at all, exclusions come off the whole item).
DEFAULT_FIELDS = frozenset(
    {
        "type",
        "stac_version",
        "stac_extensions",
        "id",
        "geometry",
        "bbox",
        "links",
        "assets",
        "collection",
        "properties.datetime",
        "properties.auth:schemes",
    }
)
# Kept whatever is excluded: without them an answer is no GeoJSON Feature (type) and no item a
# client can name (id).
ALWAYS = frozenset({"type", "id"})
# Added to what a request includes: what names the item and says it is STAC.
NAMING = ALWAYS | {"collection", "stac_version"}


def _kept(include: set[str], include_sent: bool) -> set[str]:
    """The fields a `fields` request keeps before its exclusions (empty: the whole item)."""
    if include:
        return include | NAMING
    return set(DEFAULT_FIELDS) if include_sent else set()


@attr.s
class DinamisClient(CoreCrudClient):
    """Every item path (search, item collection, single item) goes through ``_search_base``.

    The fields extension is applied last, to the items as the public sees them: pgSTAC would
    apply it in SQL, before the access layer adds links, authentication and public hrefs (so
    ``fields=id`` kept those, and ``fields=-collection`` left storage paths in asset hrefs).
    """

    async def _search_base(self, search_request: Any, request: Request) -> ItemCollection:
        await check_search(request, search_request)
        # numberMatched on every page, counted as the operator configured (not the client).
        search_request.conf = {
            **(search_request.conf or {}),
            **request.app.state.settings.pgstac_conf,
        }
        as_one_filter(search_request)
        fields = getattr(search_request, "fields", None)
        include: set[str] = set(fields.include or ()) if fields else set()
        exclude: set[str] = set(fields.exclude or ()) if fields else set()
        include_sent = fields is not None and "include" in fields.model_fields_set
        if fields is not None:
            # Applied below; with none left, stac-fastapi also answers in its own GeoJSON
            # response class instead of a plain JSON one.
            search_request.fields = None
        collection = await super()._search_base(search_request, request)
        # The API's own public URL, as stac-fastapi's links use it (proxy headers included).
        api_url = get_base_url(request)
        tiler_url = public_tiler_url(request.app.state.settings.tiler_url, api_url)
        # pgSTAC keeps the storage paths the tiler reads; only the public sees URLs.
        public = Presenter(api_url, (await request.app.state.access.licences()).keys())
        for feature in collection["features"]:
            feature["links"].extend(item_links(tiler_url, feature["collection"], feature["id"]))
            public.present(feature)
        if include or exclude:
            keep = _kept(include, include_sent)
            collection["features"] = [
                filter_fields(feature, keep, exclude - ALWAYS) for feature in collection["features"]
            ]
        return collection

    def _clean_search_args(
        self,
        base_args: dict[str, Any],
        *args: Any,
        filter_query: str | None = None,
        filter_lang: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        # The GET filter checked once per filter (see get_filter_args), not on every request.
        try:
            base_args = {**base_args, **get_filter_args(filter_query, filter_lang)}
        except ValueError as error:
            raise HTTPException(400, str(error)) from None
        return super()._clean_search_args(base_args, *args, **kwargs)

    # The three item pages, answered as responses so that FastAPI does not re-encode them.
    async def post_search(self, *args: Any, **kwargs: Any) -> ORJSONGeoJSONResponse:
        return ORJSONGeoJSONResponse(await super().post_search(*args, **kwargs))

    async def get_search(self, *args: Any, **kwargs: Any) -> ORJSONGeoJSONResponse:
        return ORJSONGeoJSONResponse(await super().get_search(*args, **_named_fields(kwargs)))

    async def item_collection(self, *args: Any, **kwargs: Any) -> ORJSONGeoJSONResponse:
        return ORJSONGeoJSONResponse(await super().item_collection(*args, **_named_fields(kwargs)))

    async def get_collection(
        self, collection_id: str, request: Request, **kwargs: Any
    ) -> Collection:
        collection = await super().get_collection(collection_id, request, **kwargs)
        return present_collection(collection, get_base_url(request))

    async def all_collections(self, request: Request, **kwargs: Any) -> Collections | JSONResponse:
        # A blank `query=` means no query, as on /search; stac-fastapi-pgstac would parse it.
        if kwargs.get("query") == "":
            kwargs["query"] = None
        # pgSTAC makes a solid of a 6-number bbox, which PostGIS cannot compare (a 500):
        # collections are searched by their 2D extent, so the elevations are dropped.
        if (bbox := kwargs.get("bbox")) and len(bbox) == 6:
            kwargs["bbox"] = [bbox[0], bbox[1], bbox[3], bbox[4]]
        # A collection's links are made from its id: fields=-id was a KeyError (a 500).
        if kwargs.get("fields"):
            kwargs["fields"] = [name for name in kwargs["fields"] if name not in ("", "-id")]
        result = await super().all_collections(request, **kwargs)
        # With the fields extension the answer is already a response.
        body = json.loads(result.body) if isinstance(result, JSONResponse) else result
        for collection in body.get("collections", []):
            present_collection(collection, get_base_url(request))
        return JSONResponse(body) if isinstance(result, JSONResponse) else body


def _named_fields(kwargs: dict[str, Any]) -> dict[str, Any]:
    """GET arguments without empty names in ``fields``: stac-fastapi-pgstac reads the first
    character of each comma-separated name, so ``fields=,`` was an IndexError (a 500)."""
    if kwargs.get("fields"):
        kwargs["fields"] = [name for name in kwargs["fields"] if name] or None
    return kwargs

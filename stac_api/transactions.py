"""stac-fastapi-pgstac's Transactions clients, with the collection's extent following its items
after every write and delete (pgSTAC does not, unless its auto-update runs on every load)."""

from typing import Any

import attr
from fastapi import Request
from stac_fastapi.pgstac.transactions import BulkTransactionsClient, TransactionsClient
from starlette.responses import JSONResponse

from dinamis.catalog import REFRESH_EXTENTS


async def refresh_extent(request: Request, collection_id: str) -> None:
    async with request.app.state.get_connection(request, "w") as conn:
        await conn.fetch(REFRESH_EXTENTS.format(ids="$1::text[]"), [collection_id])


@attr.s
class ExtentTransactionsClient(TransactionsClient):
    async def create_item(self, collection_id: str, item: Any, request: Request, **kwargs: Any):  # type: ignore[override]
        created = await super().create_item(collection_id, item, request, **kwargs)
        await refresh_extent(request, collection_id)
        return _geojson(created, 201)

    async def update_item(  # type: ignore[override]
        self, request: Request, collection_id: str, item_id: str, item: Any, **kwargs: Any
    ):
        updated = await super().update_item(request, collection_id, item_id, item, **kwargs)
        await refresh_extent(request, collection_id)
        return _geojson(updated, 200)

    async def delete_item(  # type: ignore[override]
        self, item_id: str, collection_id: str, request: Request, **kwargs: Any
    ):
        deleted = await super().delete_item(item_id, collection_id, request, **kwargs)
        await refresh_extent(request, collection_id)
        return deleted

    async def update_collection(self, collection: Any, request: Request, **kwargs: Any):  # type: ignore[override]
        updated = await super().update_collection(collection, request, **kwargs)
        await refresh_extent(request, updated["id"])
        updated["extent"] = await _extent(request, updated["id"]) or updated["extent"]
        return updated


def _geojson(answer: Any, status: int) -> Any:
    """An item is GeoJSON (stac-fastapi's transaction routes answer application/json)."""
    if isinstance(answer, dict):
        return JSONResponse(answer, status_code=status, media_type="application/geo+json")
    return answer


async def _extent(request: Request, collection_id: str) -> dict[str, Any] | None:
    async with request.app.state.get_connection(request, "r") as conn:
        return await conn.fetchval(
            "SELECT content->'extent' FROM pgstac.collections WHERE id = $1", collection_id
        )


@attr.s
class ExtentBulkTransactionsClient(BulkTransactionsClient):
    async def bulk_item_insert(self, items: Any, **kwargs: Any):  # type: ignore[override]
        inserted = await super().bulk_item_insert(items, **kwargs)
        request: Request = kwargs["request"]
        await refresh_extent(request, request.path_params["collection_id"])
        return inserted

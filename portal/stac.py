"""The portal's server-side calls to the STAC API (search, items, collections)."""

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

import httpx

from dinamis.area import bbox_area_km2


class CatalogueError(Exception):
    """The STAC API refused the query or could not be reached."""


@dataclass(frozen=True)
class Query:
    """A catalogue search as the map's form states it; every field optional."""

    bbox: tuple[float, float, float, float] | None = None
    start: date | None = None
    end: date | None = None
    max_cloud: float | None = None
    max_incidence: float | None = None
    collection: str | None = None
    platform: str | None = None

    def body(self, limit: int) -> dict[str, Any]:
        body: dict[str, Any] = {
            "limit": limit,
            "sortby": [{"field": "datetime", "direction": "desc"}],
        }
        if self.bbox:
            body["bbox"] = list(self.bbox)
        if self.start or self.end:
            start = f"{self.start.isoformat()}T00:00:00Z" if self.start else ".."
            end = f"{self.end.isoformat()}T23:59:59Z" if self.end else ".."
            body["datetime"] = f"{start}/{end}"
        if self.collection:
            body["collections"] = [self.collection]
        conditions = []
        if self.max_cloud is not None:
            conditions.append(_compare("<=", "eo:cloud_cover", self.max_cloud))
        if self.max_incidence is not None:
            conditions.append(_compare("<=", "view:incidence_angle", self.max_incidence))
        if self.platform:
            conditions.append(_compare("=", "platform", self.platform))
        if conditions:
            body["filter-lang"] = "cql2-json"
            body["filter"] = (
                conditions[0] if len(conditions) == 1 else {"op": "and", "args": conditions}
            )
        return body


def _compare(op: str, prop: str, value: object) -> dict[str, Any]:
    return {"op": op, "args": [{"property": prop}, value]}


class StacClient:
    def __init__(self, url: str, timeout: float = 30) -> None:
        self.url = url.rstrip("/")
        self.http = httpx.AsyncClient(timeout=timeout)

    async def call(
        self, method: str, path: str, key: str | None = None, **kwargs: Any
    ) -> tuple[int, Any]:
        """The API's status and JSON answer (a refusal's text as ``detail`` if not JSON);
        ``key``: the signed-in user's API key, for the routes that act for them."""
        headers = {"Authorization": f"Bearer {key}"} if key else None
        try:
            response = await self.http.request(
                method, f"{self.url}{path}", headers=headers, **kwargs
            )
        except httpx.HTTPError as error:
            raise CatalogueError(str(error)) from error
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, {"detail": response.text[:300]}

    async def _json(
        self, method: str, path: str, missing: tuple[int, ...] = (404,), **kwargs: Any
    ) -> dict[str, Any] | None:
        """The answer, or ``None`` when its status is one of ``missing``."""
        status, body = await self.call(method, path, **kwargs)
        if status in missing:
            return None
        if status >= 400:
            raise CatalogueError(str(body)[:300])
        return body

    async def search(self, query: Query, limit: int) -> dict[str, Any]:
        return await self._json("POST", "/search", json=query.body(limit)) or {}

    async def item(self, collection_id: str, item_id: str) -> dict[str, Any] | None:
        """The item, or ``None`` when there is none; ids are whatever a URL held (a NUL, a
        slash): quoted, and an id the API refuses outright (400) names no item either."""
        path = f"/collections/{quote(collection_id, safe='')}/items/{quote(item_id, safe='')}"
        return await self._json("GET", path, missing=(400, 404))

    async def collections(self) -> list[dict[str, Any]]:
        found = await self._json("GET", "/collections") or {}
        return found.get("collections", [])

    async def close(self) -> None:
        await self.http.aclose()


def footprints(features: list[dict[str, Any]]) -> dict[str, Any]:
    """The items' footprints for a portal map, each keyed ``collection/id`` (its page)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": f.get("geometry"),
                "properties": {"key": f"{f.get('collection')}/{f.get('id')}"},
            }
            for f in features
            if f.get("geometry")
        ],
    }


def data_assets(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The item's downloadable products: assets with the ``data`` role."""
    return {
        key: asset
        for key, asset in item.get("assets", {}).items()
        if "data" in asset.get("roles", [])
    }


def item_area_km2(item: dict[str, Any]) -> float:
    bbox = item.get("bbox") or []
    if len(bbox) == 6:  # with heights: west, south, bottom, east, north, top
        bbox = [bbox[0], bbox[1], bbox[3], bbox[4]]
    return bbox_area_km2((bbox[0], bbox[1], bbox[2], bbox[3])) if len(bbox) == 4 else 0.0


def item_size(item: dict[str, Any]) -> int | None:
    """Bytes of the item's products, when the catalogue says (``file:size``)."""
    sizes = [a.get("file:size") for a in data_assets(item).values()]
    known = [s for s in sizes if isinstance(s, int)]
    return sum(known) if known else None


def asset_url(api_url: str, item: dict[str, Any], key: str) -> str:
    """Where the browser gets an asset: its own http(s) href, else the API's download route."""
    href = item.get("assets", {}).get(key, {}).get("href", "")
    if href.startswith(("http://", "https://")):
        return href
    return f"{api_url}/collections/{item['collection']}/items/{item['id']}/assets/{key}/download"

"""What a search must satisfy beyond its request model, checked before it reaches pgSTAC:
finite bounding boxes (``NaN`` compared false everywhere and returned every item), and sort
fields that exist (pgSTAC sorts silently by nothing on an unknown one). The sortable fields are
the queryables pgSTAC declares for the searched collections, plus the item's core fields."""

import math
from typing import Any

import attr
from buildpg import render
from stac_fastapi.extensions.sort.client import AsyncBaseSortablesClient
from stac_fastapi.types.errors import InvalidQueryParameter
from stac_fastapi.types.requests import get_base_url
from starlette.requests import Request

CORE_SORTABLES = ("id", "collection", "datetime", "start_datetime", "end_datetime")


async def sortables(request: Request, collections: list[str] | None = None) -> dict[str, Any]:
    """Name → JSON schema of each field a search of ``collections`` (all when none) may sort by."""
    async with request.app.state.get_connection(request, "r") as conn:
        query, params = render(
            "SELECT pgstac.get_queryables(:collections::text[])", collections=collections
        )
        queryables = await conn.fetchval(query, *params) or {}
    fields = {
        name: schema
        for name, schema in (queryables.get("properties") or {}).items()
        if name != "geometry"  # an order of shapes means nothing
    }
    for name in CORE_SORTABLES:
        fields.setdefault(name, {"title": name})
    return fields


def _field_name(field: str) -> str:
    return field.removeprefix("properties.")


async def check_search(request: Request, search: Any) -> None:
    """Raise ``InvalidQueryParameter`` (400) naming what is wrong with ``search``."""
    bbox = getattr(search, "bbox", None)
    if bbox is not None and not all(math.isfinite(value) for value in bbox):
        raise InvalidQueryParameter(f"bbox must be finite numbers, not {list(bbox)}.")
    sortby = getattr(search, "sortby", None)
    # The core fields are sortable in every collection: only others cost a lookup of the
    # queryables (a round trip on each page of a search sorted by datetime, else).
    if sortby and not all(_field_name(s.field) in CORE_SORTABLES for s in sortby):
        known = await sortables(request, getattr(search, "collections", None))
        unknown = [s.field for s in sortby if _field_name(s.field) not in known]
        if unknown:
            raise InvalidQueryParameter(
                f"cannot sort by {', '.join(map(repr, unknown))}: not a sortable field "
                f"(sortable: {', '.join(sorted(known))})."
            )


@attr.s
class SortablesClient(AsyncBaseSortablesClient):
    """``GET /sortables``: the fields ``sortby`` accepts, as :func:`check_search` checks them."""

    async def get_sortables(self, request: Request | None = None, **kwargs: Any) -> dict[str, Any]:
        assert request is not None  # stac-fastapi always passes it
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{get_base_url(request)}sortables",
            "type": "object",
            "title": "Sortables",
            "properties": await sortables(request),
        }

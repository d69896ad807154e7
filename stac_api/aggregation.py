"""The STAC API Aggregation extension (stac-fastapi's ``AggregationExtension``), answered by SQL
over pgSTAC's items table: stac-fastapi-pgstac has no aggregation client.

A request takes the filters of /search (collections, ids, bbox, intersects, datetime, CQL2
filter, query, free text); pgSTAC's own ``stac_search_to_where()`` turns them into the WHERE
clause its search() would use, so both endpoints select the same items. Each aggregation is
then one GROUP BY over those rows, under a statement timeout, with a bounded number of buckets.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

import attr
import orjson
from asyncpg.exceptions import QueryCanceledError
from fastapi import HTTPException, Query, Request
from pydantic import BaseModel, Field, ValidationError
from stac_fastapi.api.models import create_request_model
from stac_fastapi.extensions import aggregation as stac_aggregation
from stac_fastapi.extensions.aggregation.client import AsyncBaseAggregationClient
from stac_fastapi.extensions.aggregation.request import (
    AggregationExtensionGetRequest,
    AggregationExtensionPostRequest,
)
from stac_fastapi.extensions.aggregation.types import Aggregation, AggregationCollection
from stac_fastapi.pgstac.core import clean_search_args
from stac_fastapi.types.extension import ApiExtension
from stac_fastapi.types.requests import get_base_url

from stac_api.filters import as_one_filter

Interval = Literal["month", "year"]
# The cloud cover bins (as stac-fastapi's Elasticsearch backend offers them), in percent.
CLOUD_COVER_BINS: list[tuple[float | None, float | None]] = [
    (None, 5),
    (5, 15),
    (15, 40),
    (40, None),
]
DESCRIPTIONS = {
    "total_count": ("integer", "Number of items matching the search."),
    "datetime_frequency": (
        "frequency_distribution",
        "Items per month (or per year: datetime_frequency_interval=year) of acquisition.",
    ),
    "collection_frequency": ("frequency_distribution", "Items per collection."),
    "platform_frequency": ("frequency_distribution", "Items per platform (satellite)."),
    "cloud_cover_frequency": (
        "frequency_distribution",
        "Items per eo:cloud_cover range: <5, 5-15, 15-40, >=40 %.",
    ),
    "centroid_geohash_grid_frequency": (
        "frequency_distribution",
        "Items per geohash cell of their footprint's centroid (a coverage heat map); "
        "cell size from centroid_geohash_grid_frequency_precision (default 3, ~156 km).",
    ),
}


@attr.s
class AggregateGetParams(AggregationExtensionGetRequest):
    datetime_frequency_interval: Annotated[
        Interval | None, Query(description="Bucket width of datetime_frequency.")
    ] = attr.ib(default=None)
    centroid_geohash_grid_frequency_precision: Annotated[
        int | None, Query(ge=1, description="Geohash length of the heat-map cells.")
    ] = attr.ib(default=None)


class AggregatePostBody(AggregationExtensionPostRequest):
    datetime_frequency_interval: Interval | None = None
    centroid_geohash_grid_frequency_precision: int | None = Field(None, ge=1)


def _bucket(key: Any, count: int, **bounds: float | None) -> dict[str, Any]:
    bucket = {"key": str(key), "data_type": "frequency_distribution", "frequency": count}
    bucket.update({k: v for k, v in bounds.items()})
    return bucket


Query_ = Callable[[str, str, list[Any]], Awaitable[list[Any]]]


@attr.s
class AggregationClient(AsyncBaseAggregationClient):
    """Aggregations over the same items /search would return."""

    post_model: type[BaseModel] = attr.ib(default=AggregatePostBody)

    async def get_aggregations(  # type: ignore[override]
        self, collection_id: str | None = None, request: Request | None = None, **kwargs: Any
    ) -> AggregationCollection:
        assert request is not None
        return AggregationCollection(
            type="AggregationCollection",
            aggregations=[
                Aggregation(name=name, data_type=kind, description=text)  # type: ignore[typeddict-unknown-key]
                for name, (kind, text) in DESCRIPTIONS.items()
            ],
            links=_links(request),
        )

    async def aggregate(  # type: ignore[override]
        self, search: BaseModel | None = None, request: Request | None = None, **kwargs: Any
    ) -> AggregationCollection:
        assert request is not None
        if search is None:  # GET: the same parameter handling as stac-fastapi-pgstac's search
            search = self._from_query(kwargs)
        collection_id = request.path_params.get("collection_id")
        if collection_id:
            search.collections = [collection_id]  # type: ignore[attr-defined]
        names = list(getattr(search, "aggregations", None) or ["total_count"])
        if unknown := [name for name in names if name not in DESCRIPTIONS]:
            raise HTTPException(
                400,
                f"unknown aggregation(s) {', '.join(unknown)}; available: "
                f"{', '.join(DESCRIPTIONS)} (GET /aggregations).",
            )
        settings = request.app.state.settings
        precision = getattr(search, "centroid_geohash_grid_frequency_precision", None) or 3
        if precision > settings.aggregation_max_geohash_precision:
            raise HTTPException(
                400,
                "centroid_geohash_grid_frequency_precision is at most "
                f"{settings.aggregation_max_geohash_precision}.",
            )
        as_one_filter(search)
        body = search.model_dump_json(
            by_alias=True,
            exclude_none=True,
            exclude={
                "aggregations",
                "limit",
                "datetime_frequency_interval",
                "centroid_geohash_grid_frequency_precision",
            },
        )
        try:
            async with request.app.state.get_connection(request, "r") as conn, conn.transaction():
                await conn.execute(
                    f"SET LOCAL statement_timeout = {int(settings.aggregation_timeout * 1000)}"
                )
                where = await conn.fetchval(
                    "SELECT pgstac.stac_search_to_where($1::text::jsonb)", body
                )

                async def rows(select: str, group: str, args: list[Any]) -> list[Any]:
                    sql = f"SELECT {select} FROM pgstac.items WHERE {where} {group}"
                    return await conn.fetch(sql, *args)

                aggregations = await self._compute(
                    names,
                    rows,
                    interval=getattr(search, "datetime_frequency_interval", None) or "month",
                    precision=precision,
                    max_buckets=settings.aggregation_max_buckets,
                )
        except QueryCanceledError as error:
            raise HTTPException(
                400,
                f"aggregation took longer than {settings.aggregation_timeout:g} s: narrow the "
                "search (collections, bbox, datetime, filter).",
            ) from error
        return AggregationCollection(
            type="AggregationCollection", aggregations=aggregations, links=_links(request)
        )

    def _from_query(self, params: dict[str, Any]) -> BaseModel:
        base = {
            key: params.get(key)
            for key in (
                "collections",
                "ids",
                "bbox",
                "aggregations",
                "datetime_frequency_interval",
                "centroid_geohash_grid_frequency_precision",
            )
        }
        if params.get("query"):
            base["query"] = orjson.loads(params["query"])
        clean = clean_search_args(
            base,
            intersects=params.get("intersects"),
            datetime=params.get("datetime"),
            filter_query=params.get("filter_expr"),
            filter_lang=params.get("filter_lang"),
            q=params.get("q"),
        )
        try:
            return self.post_model(**clean)
        except ValidationError as error:
            raise HTTPException(400, f"Invalid parameters provided {error}") from error

    @staticmethod
    async def _compute(
        names: list[str], rows: Query_, *, interval: str, precision: int, max_buckets: int
    ) -> list[Aggregation]:
        total = (await rows("count(*)", "", []))[0][0]
        limit = f"LIMIT {max_buckets}"
        grouped = {
            "datetime_frequency": (
                "date_trunc($1, datetime AT TIME ZONE 'UTC') AS key, count(*)",
                f"GROUP BY 1 ORDER BY 1 {limit}",
                [interval],
            ),
            "collection_frequency": (
                "collection AS key, count(*)",
                f"GROUP BY 1 ORDER BY 2 DESC, 1 {limit}",
                [],
            ),
            "platform_frequency": (
                "content->'properties'->>'platform' AS key, count(*)",
                f"GROUP BY 1 ORDER BY 2 DESC, 1 {limit}",
                [],
            ),
            "centroid_geohash_grid_frequency": (
                "ST_GeoHash(ST_Centroid(geometry), $1) AS key, count(*)",
                f"GROUP BY 1 ORDER BY 2 DESC, 1 {limit}",
                [precision],
            ),
        }
        results: list[Aggregation] = []
        for name in names:
            if name == "total_count":
                results.append(Aggregation(name=name, data_type="integer", value=total))
            elif name == "cloud_cover_frequency":
                results.append(await _cloud_cover(rows, total))
            else:
                select, group, args = grouped[name]
                found = await rows(select, group, args)
                buckets = [
                    _bucket(
                        _iso(row["key"]) if name == "datetime_frequency" else row["key"],
                        row["count"],
                    )
                    for row in found
                ]
                results.append(
                    Aggregation(
                        name=name,
                        data_type="frequency_distribution",
                        overflow=total - sum(row["count"] for row in found),
                        buckets=buckets,  # type: ignore[typeddict-item]
                    )
                )
        return results


async def _cloud_cover(rows: Query_, total: int) -> Aggregation:
    cover = "pgstac.to_float(content->'properties'->'eo:cloud_cover')"
    counts = []
    for low, high in CLOUD_COVER_BINS:
        tests = ([f"{cover} >= {low}"] if low is not None else []) + (
            [f"{cover} < {high}"] if high is not None else []
        )
        counts.append(f"count(*) FILTER (WHERE {' AND '.join(tests)})")
    found = (await rows(", ".join(counts), "", []))[0]
    buckets = [
        _bucket(f"{low if low is not None else '*'}-{high if high is not None else '*'}", count)
        | {"from": low, "to": high}
        for (low, high), count in zip(CLOUD_COVER_BINS, found, strict=True)
    ]
    return Aggregation(
        name="cloud_cover_frequency",
        data_type="frequency_distribution",
        overflow=total - sum(found),  # items with no cloud cover
        buckets=buckets,  # type: ignore[typeddict-item]
    )


def _iso(value: Any) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _links(request: Request) -> list[dict[str, str]]:
    base = get_base_url(request)
    return [
        {"rel": "root", "type": "application/json", "href": base},
        {"rel": "self", "type": "application/json", "href": str(request.url)},
    ]


def aggregation_extension(filters: list[ApiExtension]) -> stac_aggregation.AggregationExtension:
    """The extension, taking the filters of /search (``filters``: the search's filter, query and
    free-text extensions) on both methods."""
    get_model = create_request_model(
        "AggregateGetRequest", base_model=AggregateGetParams, extensions=filters
    )
    post_model = create_request_model(
        "AggregatePostRequest",
        base_model=AggregatePostBody,
        extensions=filters,
        request_type="POST",
    )

    # The name stac-fastapi looks for to link /aggregate from the landing page.
    @attr.s
    class AggregationExtension(stac_aggregation.AggregationExtension):
        GET = get_model
        POST = post_model

    return AggregationExtension(client=AggregationClient(post_model=post_model))

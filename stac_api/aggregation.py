"""The STAC API Aggregation extension (stac-fastapi's ``AggregationExtension``), answered by SQL
over pgSTAC's items table: stac-fastapi-pgstac has no aggregation client.

A request takes the filters of /search (collections, ids, bbox, intersects, datetime, CQL2
filter, query, free text); pgSTAC's own ``stac_search_to_where()`` turns them into the WHERE
clause its search() would use, so both endpoints select the same items. Each aggregation is
then one scan of those rows (GROUPING SETS, one per aggregation), under a statement timeout,
with a bounded number of buckets.
"""

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

from stac_api.filters import as_one_filter, get_filter_args

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
        names = list(dict.fromkeys(getattr(search, "aggregations", None) or ["total_count"]))
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

                interval = getattr(search, "datetime_frequency_interval", None) or "month"
                sql = aggregation_sql(names, where, interval, precision, settings)
                aggregations = read_aggregations(names, await conn.fetch(sql))
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
        try:
            base.update(get_filter_args(params.get("filter_expr"), params.get("filter_lang")))
        except ValueError as error:
            raise HTTPException(400, str(error)) from None
        clean = clean_search_args(
            base,
            intersects=params.get("intersects"),
            datetime=params.get("datetime"),
            q=params.get("q"),
        )
        try:
            return self.post_model(**clean)
        except ValidationError as error:
            raise HTTPException(400, f"Invalid parameters provided {error}") from error


def _cloud_cover_bin() -> str:
    cover = "pgstac.to_float(content->'properties'->'eo:cloud_cover')"
    cases = " ".join(
        f"WHEN {cover} < {high} THEN '{bin_key(low, high)}'"
        for low, high in CLOUD_COVER_BINS
        if high is not None
    )
    low, _ = CLOUD_COVER_BINS[-1]
    return f"CASE {cases} WHEN {cover} >= {low} THEN '{bin_key(low, None)}' END"


def bin_key(low: float | None, high: float | None) -> str:
    return f"{'*' if low is None else low}-{'*' if high is None else high}"


def _keys(interval: str, precision: int) -> dict[str, str]:
    """The SQL expression each frequency aggregation groups by (values checked beforehand:
    ``interval`` is month or year, ``precision`` an int within the setting)."""
    return {
        "datetime_frequency": f"date_trunc('{interval}', datetime AT TIME ZONE 'UTC')::text",
        "collection_frequency": "collection",
        "platform_frequency": "content->'properties'->>'platform'",
        "cloud_cover_frequency": _cloud_cover_bin(),
        "centroid_geohash_grid_frequency": f"ST_GeoHash(ST_Centroid(geometry), {int(precision)})",
    }


def aggregation_sql(
    names: list[str], where: str, interval: str, precision: int, settings: Any
) -> str:
    """One scan of the matching items for every aggregation asked: their keys are computed once
    into a materialized CTE, then counted per aggregation (largest buckets first, at most
    ``aggregation_max_buckets`` each), with the total as the row whose set is NULL.

    (GROUPING SETS over the items would be one statement too, but PostgreSQL sorts all rows
    once per set there: at 1 M items it was slower than one scan per aggregation.)"""
    keys = _keys(interval, precision)
    grouped = [keys[name] for name in names if name in keys]
    columns = "".join(f", ({expr})::text AS k{index}" for index, expr in enumerate(grouped))
    counts = "".join(
        f" UNION ALL (SELECT {index}, k{index}, count(*) FROM matched GROUP BY 2"
        f" ORDER BY 3 DESC, 2 LIMIT {int(settings.aggregation_max_buckets)})"
        for index in range(len(grouped))
    )
    return (
        f"WITH matched AS MATERIALIZED (SELECT 1 AS one{columns}"
        f" FROM pgstac.items WHERE {where})"
        f" SELECT NULL::int AS set, NULL::text AS key, count(*) AS n FROM matched{counts}"
    )


def read_aggregations(names: list[str], rows: list[Any]) -> list[Aggregation]:
    """The extension's answer from ``aggregation_sql``'s rows (set NULL: the total)."""
    total = next(row["n"] for row in rows if row["set"] is None)
    grouped = [name for name in names if name != "total_count"]
    buckets: dict[str, list[dict[str, Any]]] = {name: [] for name in grouped}
    for row in rows:
        if row["set"] is not None and row["key"] is not None:  # NULL: no such property
            buckets[grouped[row["set"]]].append(row)
    results = []
    for name in names:
        if name == "total_count":
            results.append(Aggregation(name=name, data_type="integer", value=total))
            continue
        found = buckets[name]
        results.append(
            Aggregation(
                name=name,
                data_type="frequency_distribution",
                overflow=total - sum(row["n"] for row in found),
                buckets=_buckets(name, found),  # type: ignore[typeddict-item]
            )
        )
    return results


def _buckets(name: str, rows: list[Any]) -> list[dict[str, Any]]:
    if name == "datetime_frequency":
        return [_bucket(_iso(row["key"]), row["n"]) for row in sorted(rows, key=lambda r: r["key"])]
    if name == "cloud_cover_frequency":
        counts = {row["key"]: row["n"] for row in rows}
        return [
            _bucket(bin_key(low, high), counts.get(bin_key(low, high), 0))
            | {"from": low, "to": high}
            for low, high in CLOUD_COVER_BINS
        ]
    return [_bucket(row["key"], row["n"]) for row in rows]


def _iso(value: str) -> str:
    # PostgreSQL's text form of a timestamp: "2019-06-01 00:00:00".
    return value.replace(" ", "T") + "Z"


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

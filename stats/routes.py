"""The statistics over HTTP, on the STAC API: ``/stats/{figure}`` (members, downloads,
requests, cumulative) as JSON or CSV, and ``/stats/footprints`` as GeoJSON."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from access.dependencies import active, get_access
from access.models import Principal
from stats import store
from stats.models import Format, Period, PeriodError, Step, Table
from stats.policy import ScopeError, entity_scope
from stats.settings import StatsSettings

First = Annotated[
    date | None, Query(alias="from", description="First day (default: 1 January this year).")
]
Last = Annotated[
    date | None, Query(alias="to", description="Last day, included (default: 31 December).")
]
Caller = Annotated[Principal, Depends(active)]
By = Annotated[Step, Query(description="One row per group for the period, or per month or year.")]
EntityParam = Annotated[
    int | None,
    Query(gt=0, lt=2**63, description="One entity's figures (operators); referents get theirs."),
]


def period_of(first: date | None, last: date | None, by: Step, settings: StatsSettings) -> Period:
    try:
        return Period.checked(first, last, by, settings)
    except PeriodError as error:
        raise HTTPException(400, str(error)) from error


def scope_of(principal: Principal, entity: int | None) -> int | None:
    try:
        return entity_scope(principal, entity)
    except ScopeError as error:
        raise HTTPException(403, str(error)) from error


def wants_csv(f: Format | None, accept: str | None) -> bool:
    if f is not None:
        return f is Format.CSV
    return "text/csv" in (accept or "")


def csv_response(table: Table, period: Period) -> Response:
    """The figure as a CSV file named after it and its period (one caller's figures: never
    cached)."""
    name = f"dinamis-{table.name}-{period.first}-{period.last}-{period.step}.csv"
    return Response(
        table.as_csv(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def table_response(table: Table, period: Period, entity: int | None, csv: bool) -> Response:
    if csv:
        return csv_response(table, period)
    return JSONResponse(table.as_json(period, entity), headers={"Cache-Control": "no-store"})


async def computed(request: Request, *args: Any) -> Any:
    """``args[0](connection, *args[1:])`` on the API's pool; a query past its time limit is a
    503 naming the limit, not a 500."""
    try:
        return await get_access(request).run(*args)
    except store.TooLongError as error:
        raise HTTPException(503, str(error), headers={"Retry-After": "60"}) from error


def stats_router(settings: StatsSettings | None = None) -> APIRouter:
    """The statistics routes for the STAC API app (``app.include_router``)."""
    settings = settings or StatsSettings()
    router = APIRouter(prefix=settings.prefix, tags=["Usage statistics"])

    @router.get("", summary="The statistics figures, with links")
    async def index(request: Request, caller: Caller) -> dict[str, Any]:
        scope_of(caller, None)
        base = str(request.url_for("stats-footprints")).rsplit("/", 1)[0]
        return {
            "figures": sorted(store.FIGURES),
            "links": [
                *(
                    {"rel": "data", "href": f"{base}/{name}", "title": name}
                    for name in sorted(store.FIGURES)
                ),
                {"rel": "data", "href": f"{base}/footprints", "title": "footprints"},
            ],
        }

    @router.get(
        "/footprints",
        name="stats-footprints",
        summary="Areas requested in the period and footprints delivered for them (GeoJSON)",
    )
    async def footprints(
        request: Request,
        caller: Caller,
        first: First = None,
        last: Last = None,
        entity: EntityParam = None,
    ) -> JSONResponse:
        scope = scope_of(caller, entity)
        period = period_of(first, last, Step.PERIOD, settings)
        collection = await computed(request, store.footprints, period, scope, settings)
        return JSONResponse(collection, media_type="application/geo+json")

    @router.get(
        "/{figure}",
        summary="A statistics figure for a period, as JSON or CSV (Accept: text/csv or f=csv)",
    )
    async def figure(
        request: Request,
        figure: str,
        caller: Caller,
        first: First = None,
        last: Last = None,
        by: By = Step.PERIOD,
        entity: EntityParam = None,
        f: Annotated[Format | None, Query(description="Output format.")] = None,
        accept: Annotated[str | None, Header(include_in_schema=False)] = None,
    ) -> Response:
        query = store.FIGURES.get(figure)
        if query is None:
            names = ", ".join(sorted(store.FIGURES))
            raise HTTPException(404, f"no statistics figure '{figure}' (figures: {names}).")
        scope = scope_of(caller, entity)
        period = period_of(first, last, by, settings)
        table = await computed(request, query, period, scope, settings)
        return table_response(table, period, scope, wants_csv(f, accept))

    return router

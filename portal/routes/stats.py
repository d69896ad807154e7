"""The usage statistics page, for operators (the whole programme's) and referents (their
entity's): the API's figures for a period in tables and charts, a map of the areas requested
and delivered, and the figures as CSV. Computed by the same store functions as ``/stats``."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response

from access.models import EntityCategory, Principal
from portal.web import PageError, Web, WebDep, signed_in
from stats import store
from stats.models import Period, PeriodError, Step, Table
from stats.policy import ScopeError, entity_scope
from stats.routes import csv_response
from stats.settings import StatsSettings

router = APIRouter()
SETTINGS = StatsSettings()
YEARS_CHARTED = 10
"""The per-year charts show the ten years up to the period's end."""

First = Annotated[date | None, Query(alias="from")]
Last = Annotated[date | None, Query(alias="to")]


def _scope(page: Web, principal: Principal, entity: int | None) -> int | None:
    try:
        return entity_scope(principal, entity)
    except ScopeError as error:
        raise PageError(
            403,
            page.gettext("Usage statistics are for DINAMIS operators and entity referents."),
            page.gettext("Not allowed"),
        ) from error


def _period(page: Web, first: date | None, last: date | None, by: Step) -> Period:
    try:
        return Period.checked(first, last, by, SETTINGS)
    except PeriodError as error:
        raise PageError(
            400,
            page.gettext(
                "This period cannot be shown: it must end after it starts, start on "
                "%(earliest)s or later and last %(years)s years at most.",
                earliest=SETTINGS.earliest.isoformat(),
                years=SETTINGS.max_years,
            ),
            page.gettext("Period not valid"),
        ) from error


async def _computed(page: Web, *args: Any) -> Any:
    """``args[0](connection, *args[1:])``; past the time limit, a page saying so."""
    try:
        return await page.access.run(*args)
    except store.TooLongError as error:
        raise PageError(
            503,
            page.gettext(
                "These figures took too long to compute: choose a shorter period, or use the "
                "command line."
            ),
            page.gettext("Figures not available"),
        ) from error


async def _figure(page: Web, name: str, period: Period, scope: int | None) -> Table:
    return await _computed(page, store.FIGURES[name], period, scope, SETTINGS)


def _labels(page: Web) -> dict[str, str]:
    """The charts' words, in the reader's language."""
    words = {
        "km2_downloaded": page.gettext("km² downloaded"),
        "km2_requested": page.gettext("km² requested"),
        "anonymous": page.gettext("Anonymous"),
    }
    return words


@router.get("/statistics", response_class=HTMLResponse)
async def statistics(
    page: WebDep,
    first: First = None,
    last: Last = None,
    entity: Annotated[int | None, Query(gt=0, lt=2**63)] = None,
) -> HTMLResponse:
    scope = _scope(page, signed_in(page), entity)
    period = _period(page, first, last, Step.PERIOD)
    monthly = Period(period.first, period.last, Step.MONTH)
    start = max(date(period.last.year - YEARS_CHARTED + 1, 1, 1), SETTINGS.earliest)
    yearly = Period(start, period.last, Step.YEAR)
    figures = {name: await _figure(page, name, period, scope) for name in store.FIGURES}
    series: dict[str, Any] = {
        step: {
            name: (await _figure(page, name, span, scope)).records()
            for name in ("downloads", "requests")
        }
        for step, span in (("month", monthly), ("year", yearly))
    }
    query = f"from={period.first}&to={period.last}" + (f"&entity={scope}" if scope else "")
    return page.render(
        "stats.html",
        period=period,
        scope=scope,
        figures={name: table.records() for name, table in figures.items()},
        query=query,
        categories=[c.value for c in EntityCategory],
        sensors=sorted(
            {r["sensor"] for r in figures["requests"].records() + series["year"]["requests"]}
            | {r["collection"] for r in figures["downloads"].records()}
            | {r["collection"] for r in series["year"]["downloads"]}
        ),
        chart_data={
            "periods": {
                step: [lo.date().isoformat() for lo, _ in span.buckets()]
                for step, span in (("month", monthly), ("year", yearly))
            },
            "series": series,
            "labels": _labels(page),
            "footprints": f"/statistics/footprints.geojson?{query}",
        },
    )


@router.get("/statistics/footprints.geojson")
async def footprints(
    page: WebDep,
    first: First = None,
    last: Last = None,
    entity: Annotated[int | None, Query(gt=0, lt=2**63)] = None,
) -> JSONResponse:
    scope = _scope(page, signed_in(page), entity)
    period = _period(page, first, last, Step.PERIOD)
    collection = await _computed(page, store.footprints, period, scope, SETTINGS)
    return JSONResponse(
        collection, media_type="application/geo+json", headers={"Cache-Control": "no-store"}
    )


@router.get("/statistics/{name}.csv")
async def figure_csv(
    page: WebDep,
    name: str,
    first: First = None,
    last: Last = None,
    by: Step = Step.PERIOD,
    entity: Annotated[int | None, Query(gt=0, lt=2**63)] = None,
) -> Response:
    scope = _scope(page, signed_in(page), entity)
    if name not in store.FIGURES:
        raise PageError(404, page.gettext("There is no page at this address."))
    period = _period(page, first, last, by)
    return csv_response(await _figure(page, name, period, scope), period)

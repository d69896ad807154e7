"""The catalogue path: map search, item pages, the basket and its downloads."""

import math
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse

from access.urls import with_token
from coverages.store import list_all as list_coverages
from portal import store
from portal.processing import ortho_form
from portal.routes.account import reason
from portal.stac import (
    CatalogueError,
    StacClient,
    asset_url,
    data_assets,
    footprints,
    item_area_km2,
    item_size,
)
from portal.stac import Query as StacQuery
from portal.web import Form, PageError, Web, WebDep, field, local_url

router = APIRouter()

ID = r"^[A-Za-z0-9._:-]{1,200}$"


def _stac(page: Web) -> StacClient:
    return page.request.app.state.stac


def bounded(page: Web, value: str, name: str, low: float, high: float) -> float | None:
    """The number typed in a field, or ``None`` if blank; outside its range, a ValueError
    naming the field and the range in the reader's language."""
    if not value.strip():
        return None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not low <= number <= high:
        raise ValueError(
            page.gettext(
                "%(name)s: a number from %(low)g to %(high)g.", name=name, low=low, high=high
            )
        )
    return number


def _query(page: Web, params: dict[str, str]) -> StacQuery:
    bbox = None
    if params.get("bbox", "").strip():
        parts = params["bbox"].split(",")
        try:
            west, south, east, north = (float(p) for p in parts)
        except ValueError:
            raise ValueError(
                page.gettext("Area: four numbers, west, south, east, north, in degrees.")
            ) from None
        if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south < north <= 90):
            raise ValueError(
                page.gettext("Area: four numbers, west, south, east, north, in degrees.")
            )
        bbox = (west, south, east, north)
    dates = {}
    for name in ("start", "end"):
        value = params.get(name, "").strip()
        try:
            dates[name] = date.fromisoformat(value) if value else None
        except ValueError:
            raise ValueError(page.gettext("Dates as YYYY-MM-DD.")) from None
    if dates["start"] and dates["end"] and dates["start"] > dates["end"]:
        raise ValueError(page.gettext("The start date comes after the end date."))
    return StacQuery(
        bbox=bbox,
        start=dates["start"],
        end=dates["end"],
        max_cloud=bounded(page, params.get("cloud", ""), page.gettext("Cloud cover"), 0, 100),
        max_incidence=bounded(
            page, params.get("incidence", ""), page.gettext("Incidence angle"), 0, 90
        ),
        collection=params.get("collection", "").strip()[:100] or None,
        platform=params.get("platform", "").strip()[:50] or None,
    )


def _summary(page: Web, item: dict[str, Any]) -> dict[str, Any]:
    """What a result line and the basket show of an item."""
    props = item.get("properties", {})
    thumbnail = "thumbnail" in item.get("assets", {})
    return {
        "collection": item.get("collection"),
        "id": item.get("id"),
        "datetime": (props.get("datetime") or "")[:19].replace("T", " "),
        "platform": props.get("platform"),
        "cloud": props.get("eo:cloud_cover"),
        "incidence": props.get("view:incidence_angle"),
        "gsd": props.get("gsd"),
        "area_km2": round(item_area_km2(item), 2),
        "size": item_size(item),
        "thumbnail": asset_url(page.settings.api_url, item, "thumbnail") if thumbnail else None,
    }


@router.get("/catalogue", response_class=HTMLResponse)
async def catalogue(
    page: WebDep,
    bbox: Annotated[str, Query(max_length=200)] = "",
    start: Annotated[str, Query(max_length=20)] = "",
    end: Annotated[str, Query(max_length=20)] = "",
    cloud: Annotated[str, Query(max_length=20)] = "",
    incidence: Annotated[str, Query(max_length=20)] = "",
    collection: Annotated[str, Query(max_length=100)] = "",
    platform: Annotated[str, Query(max_length=50)] = "",
) -> HTMLResponse:
    params = {
        "bbox": bbox,
        "start": start,
        "end": end,
        "cloud": cloud,
        "incidence": incidence,
        "collection": collection,
        "platform": platform,
    }
    stac = _stac(page)
    error = None
    results: list[dict[str, Any]] = []
    features: list[dict[str, Any]] = []
    matched = None
    searched = any(params.values()) or "search" in page.request.query_params
    try:
        collections = await stac.collections()
        if searched:
            found = await stac.search(_query(page, params), page.settings.search_limit)
            features = found.get("features", [])
            results = [_summary(page, item) for item in features]
            matched = found.get("numberMatched", found.get("context", {}).get("matched"))
    except ValueError as problem:
        error = str(problem)
        collections = []
    except CatalogueError:
        error = page.gettext("The catalogue cannot be reached now. Try again in a moment.")
        collections = []
    return page.render(
        "catalogue.html",
        400 if error and searched else 200,
        coverages=await _coverages(page),
        params=params,
        collections=collections,
        results=results,
        matched=matched,
        searched=searched,
        error=error,
        footprints=footprints(features),
        basket_keys={f"{b['collection']}/{b['id']}" for b in page.session.basket},
    )


async def _coverages(page: Web) -> list[dict[str, str]]:
    """The coverages the reader may see as a map layer, each with its TileJSON (and a token
    reading its collections when they are licensed)."""
    licences = await page.access.licences()
    readable = []
    for coverage in await page.access.run(list_coverages):
        collections = list(coverage.collections) or sorted(licences)
        decisions = [await page.access.decide(page.principal, c) for c in collections]
        if not all(d.allowed for d in decisions):
            continue
        url = f"{page.settings.tiler_url}/coverages/{coverage.id}/WebMercatorQuad/tilejson.json"
        token = page.token([c for c in collections if c in licences])
        readable.append(
            {"title": coverage.title, "tilejson": with_token(url, token) if token else url}
        )
    return readable


async def _item(page: Web, collection_id: str, item_id: str) -> dict[str, Any]:
    if len(collection_id) > 100 or len(item_id) > 200:
        raise PageError(404, page.gettext("No such item in the catalogue."))
    try:
        item = await _stac(page).item(collection_id, item_id)
    except CatalogueError as error:
        raise PageError(
            503, page.gettext("The catalogue cannot be reached now. Try again in a moment.")
        ) from error
    if item is None:
        raise PageError(404, page.gettext("No such item in the catalogue."))
    return item


async def _decision(page: Web, collection_id: str) -> tuple[bool, str, str]:
    """May the reader read the collection's pixels; the reason in words; the policy's code."""
    decision = await page.access.decide(page.principal, collection_id)
    licences = await page.access.licences()
    licence = licences.get(collection_id)
    if decision.allowed:
        return True, "", ""
    title = licence.title if licence else collection_id
    return False, reason(page, decision, page.principal, title), decision.code


@router.get("/catalogue/{collection_id}/{item_id}", response_class=HTMLResponse)
async def item_page(collection_id: str, item_id: str, page: WebDep) -> HTMLResponse:
    item = await _item(page, collection_id, item_id)
    allowed, why, _ = await _decision(page, collection_id)
    licences = await page.access.licences()
    token = page.token([collection_id]) if allowed and collection_id in licences else None
    tiles = f"{page.settings.tiler_url}/collections/{collection_id}/items/{item_id}"
    map_config = {
        "tilejson": with_token(f"{tiles}/WebMercatorQuad/tilejson.json", token)
        if token
        else f"{tiles}/WebMercatorQuad/tilejson.json",
        "clip": f"{tiles}/bbox/{{bbox}}.tif",
        "token": token,
        "allowed": allowed,
        "bbox": item.get("bbox"),
        "geometry": item.get("geometry"),
        "asset": next(iter(data_assets(item)), "data"),
    }
    wmts = next(
        (link["href"] for link in item.get("links", []) if link.get("rel") == "wmts"),
        f"{tiles}/WebMercatorQuad/WMTSCapabilities.xml",
    )
    return page.render(
        "item.html",
        item=item,
        summary=_summary(page, item),
        properties=sorted(item.get("properties", {}).items()),
        assets=data_assets(item),
        licence=licences.get(collection_id),
        allowed=allowed,
        why=why,
        map_config=map_config,
        wmts=wmts,
        in_basket=any(
            b["collection"] == collection_id and b["id"] == item_id for b in page.session.basket
        ),
        ortho=ortho_form(page, item),
    )


# -- basket ---------------------------------------------------------------------------------


@router.get("/basket", response_class=HTMLResponse)
async def basket(page: WebDep) -> HTMLResponse:
    lines = []
    for entry in page.session.basket:
        allowed, why, code = await _decision(page, entry["collection"])
        lines.append({**entry, "allowed": allowed, "why": why, "code": code})
    area = sum(line["area_km2"] for line in lines)
    size = sum(line["size"] or 0 for line in lines)
    return page.render("basket.html", lines=lines, area=round(area, 2), size=size)


@router.post("/basket/add")
async def basket_add(page: WebDep, form: Form) -> RedirectResponse:
    collection_id, item_id = field(form, "collection", 100), field(form, "item", 200)
    item = await _item(page, collection_id, item_id)
    basket = _without(page, collection_id, item_id)
    if len(basket) >= page.settings.max_basket_items:
        raise PageError(
            400,
            page.gettext(
                "The basket holds at most %(count)d items.", count=page.settings.max_basket_items
            ),
        )
    summary = _summary(page, item)
    basket.append({**summary, "assets": list(data_assets(item))})
    await page.access.run(store.save_basket, page.session.token, basket)
    return page.redirect(_back(form))


def _without(page: Web, collection_id: str, item_id: str) -> list[dict[str, Any]]:
    return [
        b
        for b in page.session.basket
        if not (b["collection"] == collection_id and b["id"] == item_id)
    ]


def _back(form: Any) -> str:
    return local_url(field(form, "next", 2000)) if field(form, "next") else "/basket"


@router.post("/basket/remove")
async def basket_remove(page: WebDep, form: Form) -> RedirectResponse:
    collection_id, item_id = field(form, "collection", 100), field(form, "item", 200)
    basket = _without(page, collection_id, item_id)
    await page.access.run(store.save_basket, page.session.token, basket)
    return page.redirect("/basket")


@router.get("/download/{collection_id}/{item_id}/{asset}", response_class=HTMLResponse)
async def download(collection_id: str, item_id: str, asset: str, page: WebDep) -> Response:
    """Check the reader's rights here (to say why not in words, or ask for the licence
    acknowledgment), then hand over to the STAC API's download route with a short-lived token."""
    item = await _item(page, collection_id, item_id)
    if asset not in data_assets(item):
        raise PageError(404, page.gettext("This item has no such product."))
    allowed, why, code = await _decision(page, collection_id)
    if not allowed:
        if code == "acknowledgment":
            licences = await page.access.licences()
            return page.render(
                "acknowledge.html",
                403,
                licence=licences[collection_id],
                next=page.request.url.path,
            )
        status = 401 if page.principal is None else 403
        raise PageError(status, why, page.gettext("Download refused"))
    url = asset_url(page.settings.api_url, item, asset)
    token = page.token([collection_id])
    return page.redirect(with_token(url, token) if token else url)


@router.get("/basket/urls.txt", response_class=PlainTextResponse)
async def basket_urls(page: WebDep) -> PlainTextResponse:
    """Signed URLs of the basket's products the reader may download, for ``wget -i``."""
    readable = []
    for entry in page.session.basket:
        allowed, _, _ = await _decision(page, entry["collection"])
        if allowed:
            readable.append(entry)
    # One token for the list, scoped to the collections it names.
    token = page.token(sorted({entry["collection"] for entry in readable}))
    lines = []
    for entry in readable:
        for asset in entry.get("assets", []):
            url = (
                f"{page.settings.api_url}/collections/{entry['collection']}/items/"
                f"{entry['id']}/assets/{asset}/download"
            )
            lines.append(with_token(url, token) if token else url)
    return PlainTextResponse(
        "\n".join(lines) + ("\n" if lines else ""),
        headers={
            "Cache-Control": "no-store",
            "Content-Disposition": "attachment; filename=dinamis-basket.txt",
        },
    )

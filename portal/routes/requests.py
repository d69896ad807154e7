"""Imagery requests for members: the request form (product, area drawn or sent as a file,
window, constraints, the live quote, archive scenes, satellite passes), "my requests" and a
page per request (its statuses, quote, acquisition tries, delivered items).

Every figure and every change comes from the API's imagery-request routes, called with the
session's key: its checks and rules are the only ones, the portal only says them."""

import json
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

from babel.numbers import format_decimal
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.datastructures import FormData, UploadFile

from portal.aoi import AoiFileError, Limits, read_aoi
from portal.routes.catalogue import bounded
from portal.stac import CatalogueError, StacClient, footprints
from portal.stac import Query as StacQuery
from portal.web import MAX_FORM_FIELD, PageError, Web, WebDep, check_csrf, field, signed_in

router = APIRouter(prefix="/requests")

CSRF_HEADER = "X-CSRF-Token"
VIEWS = ("mono", "stereo", "tristereo")


def _stac(page: Web) -> StacClient:
    return page.request.app.state.stac


def _key(page: Web) -> str:
    signed_in(page)
    if page.session.api_key is None:  # a session opened before the portal kept its key
        raise PageError(
            401,
            page.gettext("Sign out and in again to request imagery."),
            page.gettext("Sign-in needed"),
        )
    return page.session.api_key


async def _api(page: Web, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    try:
        return await _stac(page).call(
            method, f"{page.settings.stapi_path}{path}", _key(page), **kwargs
        )
    except CatalogueError as error:
        raise PageError(
            503,
            page.gettext("The request service cannot be reached now. Try again in a moment."),
        ) from error


def _reason(page: Web, body: Any) -> str:
    """The API's refusal in the reader's language where it gives its reason so, else in its
    words (a validation error names the fields)."""
    reason = body.get("reason") if isinstance(body, dict) else None
    if (
        isinstance(reason, dict)
        and isinstance(reason.get("message"), str)
        and isinstance(reason.get("params"), dict)
    ):
        return page.reason(reason["message"], reason["params"])
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, list):
        return "; ".join(
            f"{'.'.join(str(part) for part in error.get('loc', [])[1:])}: {error.get('msg')}"
            for error in detail
            if isinstance(error, dict)
        )
    return str(detail or body)[:500]


def _refusal(page: Web, status: int, body: Any) -> PageError:
    """The API's refusal as the page says it: a 4xx as is, the API's own failure as 502."""
    if status == 404:
        return PageError(404, page.gettext("No such request, or it is not yours to see."))
    return PageError(
        status if 400 <= status < 500 else 502,
        page.gettext("The request service refused: %(reason)s", reason=_reason(page, body)),
        page.gettext("Request refused"),
    )


async def _get(page: Web, path: str, **kwargs: Any) -> Any:
    status, body = await _api(page, "GET", path, **kwargs)
    if status != 200:
        raise _refusal(page, status, body)
    return body


async def _products(page: Web) -> list[dict[str, Any]]:
    found = await _get(page, "/products")
    return [
        {
            "id": product["id"],
            "title": product.get("title") or product["id"],
            "family": product.get("keywords", ["", ""])[0],
            "kind": product.get("keywords", ["", ""])[1],
            "platforms": product.get("keywords", [])[2:],
        }
        for product in found.get("products", [])
    ]


# -- the form's values, as the API takes them -------------------------------------------------


def _number(page: Web, value: str, name: str, low: float, high: float) -> float:
    # A blank field is as wrong as one out of range: both get the range in words (so the
    # text given is never blank, and the answer never None).
    return bounded(page, value or "nan", name, low, high) or 0.0


def _geometry(page: Web, text: str) -> dict[str, Any]:
    try:
        fits = len(text) <= page.settings.aoi_geometry_chars
        geometry = json.loads(text) if text and fits else None
    except ValueError:
        geometry = None
    if not isinstance(geometry, dict):
        raise ValueError(page.gettext("Draw the area on the map or send it as a file."))
    return geometry


def _window(page: Web, values: dict[str, str]) -> str:
    try:
        start, end = date.fromisoformat(values["start"]), date.fromisoformat(values["end"])
    except (KeyError, ValueError):
        raise ValueError(page.gettext("Dates as YYYY-MM-DD.")) from None
    return f"{start.isoformat()}T00:00:00Z/{end.isoformat()}T23:59:59Z"


def _payload(page: Web, values: dict[str, Any], kind: str) -> dict[str, Any]:
    """The STAPI body of the form's values (a 400 page's message if one is malformed)."""
    parameters: dict[str, Any] = {}
    if kind == "archive":
        scenes = values.get("scenes") or []
        if isinstance(scenes, str):
            scenes = [s for s in scenes.split(",") if s.strip()]
        if not scenes:
            raise ValueError(page.gettext("Pick at least one archive scene on the map."))
        parameters["scenes"] = [str(s).strip()[:200] for s in scenes[:100]]
    else:
        view = str(values.get("view", "mono"))
        parameters["view"] = view if view in VIEWS else "mono"
        parameters["max_cloud_cover"] = int(
            _number(page, str(values.get("cloud", "")), page.gettext("Cloud cover"), 0, 100)
        )
        parameters["max_incidence_angle"] = _number(
            page, str(values.get("incidence", "")), page.gettext("Incidence angle"), 0.1, 60
        )
    purpose = str(values.get("purpose", "")).strip()[: page.settings.max_text]
    if purpose:
        parameters["purpose"] = purpose
    return {
        "datetime": _window(page, values),
        "geometry": _geometry(page, str(values.get("geometry", ""))),
        "order_parameters": parameters,
    }


def _product(products: list[dict[str, Any]], product_id: str) -> dict[str, Any] | None:
    return next((p for p in products if p["id"] == product_id), None)


def _defaults() -> dict[str, str]:
    # Tasking windows start two days ahead at the earliest (the rules' lead time).
    start = datetime.now(UTC).date() + timedelta(days=3)
    return {
        "start": start.isoformat(),
        "end": (start + timedelta(days=60)).isoformat(),
        "cloud": "20",
        "incidence": "30",
        "view": "mono",
    }


# -- the form ---------------------------------------------------------------------------------


def _form_page(
    page: Web,
    products: list[dict[str, Any]],
    values: dict[str, str],
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    config = {
        "csrf": page.session.csrf,
        "products": products,
        "geometry": values.get("geometry") or None,
    }
    return page.render(
        "request_new.html",
        status,
        products=products,
        values=values,
        error=error,
        config=config,
        limits={"file_kb": page.settings.aoi_file_bytes // 1000},
    )


@router.get("/new", response_class=HTMLResponse)
async def new_request(
    page: WebDep, product: Annotated[str, Query(max_length=100)] = ""
) -> HTMLResponse:
    products = await _products(page)
    chosen = _product(products, product) or (products[0] if products else None)
    values = {**_defaults(), "product": chosen["id"] if chosen else ""}
    return _form_page(page, products, values)


async def _large_form(request: Request, page: Web, files: int = 0) -> FormData:
    """A posted form whose fields may hold a polygon, once its CSRF token matched."""
    chars = page.settings.aoi_geometry_chars
    limit = max(chars, page.settings.aoi_file_bytes)
    if int(request.headers.get("content-length") or 0) > limit + MAX_FORM_FIELD * 10:
        raise PageError(413, page.gettext("The form is too large."))
    form = await request.form(max_files=files, max_fields=50, max_part_size=chars)
    check_csrf(page, form.get("csrf"))
    return form


@router.post("", response_class=HTMLResponse, response_model=None)
async def submit(request: Request, page: WebDep) -> HTMLResponse | RedirectResponse:
    _key(page)
    form = await _large_form(request, page)
    products = await _products(page)
    values = {
        name: field(
            form,
            name,
            page.settings.aoi_geometry_chars if name == "geometry" else page.settings.max_text,
        )
        for name in (
            "product",
            "geometry",
            "start",
            "end",
            "view",
            "cloud",
            "incidence",
            "purpose",
            "scenes",
        )
    }
    product = _product(products, values["product"])
    if product is None:
        return _form_page(page, products, values, page.gettext("Choose a product."), 400)
    try:
        body = _payload(page, values, product["kind"])
    except ValueError as problem:
        return _form_page(page, products, values, str(problem), 400)
    status, answer = await _api(page, "POST", f"/products/{product['id']}/orders", json=body)
    if status not in (200, 201):
        refusal = _refusal(page, status, answer)
        return _form_page(page, products, values, refusal.message, refusal.status)
    return page.redirect(f"/requests/{answer['id']}")


def _json_error(page: Web, status: int, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": message}, status_code=status, headers={"Cache-Control": "no-store"}
    )


async def _json_body(request: Request, page: Web) -> dict[str, Any]:
    check_csrf(page, request.headers.get(CSRF_HEADER))
    _key(page)
    limit = page.settings.aoi_geometry_chars + MAX_FORM_FIELD
    raw = bytearray()
    async for chunk in request.stream():  # read no further than the limit
        raw += chunk
        if len(raw) > limit:
            raise ValueError(page.gettext("The form is too large."))
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ValueError(page.gettext("Some of the request's values are not valid."))
    return body


def _figure(page: Web, value: float, digits: int = 2) -> str:
    return format_decimal(round(value, digits), locale=page.language)


@router.post("/quote")
async def quote(request: Request, page: WebDep) -> JSONResponse:
    """The API's quote of the form as it stands, with what the page shows of it."""
    try:
        values = await _json_body(request, page)
        products = await _products(page)
        product = _product(products, str(values.get("product", "")))
        if product is None:
            raise ValueError(page.gettext("Choose a product."))
        body = _payload(page, values, product["kind"])
    except ValueError as problem:
        return _json_error(page, 400, str(problem))
    status, answer = await _api(page, "POST", f"/products/{product['id']}/quote", json=body)
    if status != 200:
        refusal = _refusal(page, status, answer)
        return _json_error(page, refusal.status, refusal.message)
    lines = answer.get("lines", [])
    free = float(lines[0]["quantity"]) if lines else 0.0
    figures: dict[str, Any] = {
        "area_km2": answer["area_km2"],
        "due": answer["due"],
        "currency": answer.get("currency", "EUR"),
        "tranche_attempts": answer.get("tranche_attempts", 0),
    }
    if "quota_km2" in answer:
        figures["quota_km2"] = answer["quota_km2"]
        figures["quota_left_km2"] = round(max(answer["quota_km2"] - free, 0.0), 2)
        figures["beyond_km2"] = float(lines[1]["quantity"]) if len(lines) > 1 else 0.0
    else:
        figures["free_attempts"] = free
    shown = {
        name: _figure(page, float(value)) for name, value in figures.items() if name != "currency"
    }
    return JSONResponse(
        {"api": answer, "figures": figures, "shown": shown},
        headers={"Cache-Control": "no-store"},
    )


@router.post("/opportunities")
async def opportunities(request: Request, page: WebDep) -> JSONResponse:
    """The satellite passes over the area in the window's first days, from the API."""
    try:
        values = await _json_body(request, page)
        product = _product(await _products(page), str(values.get("product", "")))
        if product is None or product["kind"] != "tasking":
            raise ValueError(page.gettext("Choose a product."))
        payload = _payload(page, values, "tasking")
    except ValueError as problem:
        return _json_error(page, 400, str(problem))
    # The window is valid now: the passes from its start (or today), over the days shown.
    start = max(date.fromisoformat(str(values["start"])), datetime.now(UTC).date())
    end = start + timedelta(days=page.settings.opportunity_days - 1)
    body = {
        "datetime": f"{start.isoformat()}T00:00:00Z/{end.isoformat()}T23:59:59Z",
        "geometry": payload["geometry"],
        "limit": 100,
    }
    path = f"/products/{product['id']}/opportunities"
    status, answer = await _api(page, "POST", path, json=body)
    if status != 200:
        refusal = _refusal(page, status, answer)
        return _json_error(page, refusal.status, refusal.message)
    passes = [
        {
            "start": f["properties"]["datetime"].split("/")[0],
            "platform": f["properties"].get("platform"),
            "incidence": round(f["properties"].get("view:incidence_angle", 0), 1),
        }
        for f in answer.get("features", [])
    ]
    return JSONResponse({"passes": passes, "until": end.isoformat()})


@router.post("/scenes")
async def scenes(request: Request, page: WebDep) -> JSONResponse:
    """Scenes of the provider's archive over the area's bounds, in the window, taken by the
    product's satellites (only those can be ordered with it)."""
    nowhere = page.gettext("Draw the area on the map or send it as a file.")
    try:
        values = await _json_body(request, page)
        bbox = [float(v) for v in values.get("bbox", [])]
        start, end = date.fromisoformat(values["start"]), date.fromisoformat(values["end"])
    except (ValueError, KeyError, TypeError):
        return _json_error(page, 400, nowhere)
    if len(bbox) != 4:
        return _json_error(page, 400, nowhere)
    product = _product(await _products(page), str(values.get("product", "")))
    if product is None:
        return _json_error(page, 400, page.gettext("Choose a product."))
    query = StacQuery(
        bbox=(bbox[0], bbox[1], bbox[2], bbox[3]),
        start=start,
        end=end,
        collection=page.settings.archive_collection,
    )
    try:
        found = await _stac(page).search(query, page.settings.search_limit)
    except CatalogueError:
        return _json_error(
            page, 503, page.gettext("The catalogue cannot be reached now. Try again in a moment.")
        )
    features = [
        feature
        for feature in found.get("features", [])
        if feature.get("properties", {}).get("platform") in product["platforms"]
    ]
    return JSONResponse({"type": "FeatureCollection", "features": features})


@router.post("/aoi")
async def aoi_file(request: Request, page: WebDep) -> JSONResponse:
    """The area of interest of an uploaded file, as GeoJSON, or why not in words."""
    limit = page.settings.aoi_file_bytes
    if int(request.headers.get("content-length") or 0) > limit + MAX_FORM_FIELD:
        message = page.gettext("The file is larger than %(size)d kB.", size=limit // 1000)
        return _json_error(page, 413, message)
    form = await _large_form(request, page, files=1)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _json_error(page, 400, page.gettext("Choose a file."))
    content = await upload.read(page.settings.aoi_file_bytes + 1)
    limits = Limits(
        page.settings.aoi_file_bytes, page.settings.aoi_unzipped_bytes, page.settings.aoi_features
    )
    try:
        geometry = read_aoi(upload.filename, content, limits)
    except AoiFileError as problem:
        return _json_error(page, 400, page.gettext(problem.message, **problem.params))
    return JSONResponse({"geometry": geometry})


# -- my requests ------------------------------------------------------------------------------


def _minute(timestamp: str | None) -> str:
    """``2026-12-10 10:31`` of an ISO timestamp (UTC, as the API gives them)."""
    return (timestamp or "")[:16].replace("T", " ")


def _summary(order: dict[str, Any]) -> dict[str, Any]:
    props = order.get("properties", {})
    status = props.get("status", {})
    return {
        "id": order["id"],
        "product": props.get("product_id"),
        "created": _minute(props.get("created")),
        "status": status.get("status_code"),
        "updated": _minute(status.get("timestamp")),
        "area_km2": props.get("dinamis:area_km2", 0),
        "due": (props.get("dinamis:quote") or {}).get("due", "0"),
        "requester": props.get("dinamis:requester"),
    }


@router.get("", response_class=HTMLResponse)
async def my_requests(
    page: WebDep, after: Annotated[str, Query(max_length=18, pattern=r"^\d*$")] = ""
) -> HTMLResponse:
    """The reader's requests (a referent's: the entity's), newest first, a page at a time."""
    principal = signed_in(page)
    params = {"limit": page.settings.search_limit, **({"next": after} if after else {})}
    found = await _get(page, "/orders", params=params)
    orders = [_summary(order) for order in found.get("features", [])]
    older = next(
        (
            parse_qs(urlsplit(link["href"]).query).get("next", [""])[0]
            for link in found.get("links", [])
            if link.get("rel") == "next"
        ),
        "",
    )
    balance = None
    if principal.role.value == "referent":
        balance = (await _get(page, f"/entities/{principal.entity_id}/tranches"))["attempts_left"]
    return page.render("requests.html", orders=orders, balance=balance, older=older)


def _order_path(page: Web, order_id: str) -> str:
    if not order_id.isdigit() or len(order_id) > 18:
        raise PageError(404, page.gettext("No such request, or it is not yours to see."))
    return f"/orders/{order_id}"


@router.get("/{order_id}", response_class=HTMLResponse)
async def request_page(order_id: str, page: WebDep) -> HTMLResponse:
    path = _order_path(page, order_id)
    order = await _get(page, path)
    statuses = (await _get(page, f"{path}/statuses", params={"limit": 100}))["statuses"]
    attempts = (await _get(page, f"{path}/attempts"))["attempts"]
    props = order["properties"]
    items = [ref.split("/", 1) for ref in props.get("dinamis:items", [])]
    window = props.get("search_parameters", {}).get("datetime", "/").split("/")
    return page.render(
        "request.html",
        map_config={"area": order.get("geometry"), "footprints": await _delivered(page, items)},
        order=order,
        summary=_summary(order),
        props=props,
        window=[when[:10] for when in window],
        quote=props.get("dinamis:quote") or {},
        statuses=[{**s, "timestamp": _minute(s.get("timestamp"))} for s in statuses],
        attempts=[{**a, "acquired_at": _minute(a.get("acquired_at"))} for a in attempts],
        items=items,
        basket_keys={f"{b['collection']}/{b['id']}" for b in page.session.basket},
    )


async def _delivered(page: Web, items: list[list[str]]) -> dict[str, Any]:
    """The footprints of a request's delivered items (the first ``search_limit``), for its map;
    none when the catalogue cannot say (the list of items is on the page anyway)."""
    items = items[: page.settings.search_limit]
    found: list[dict[str, Any]] = []
    if items:
        body = {
            "ids": [item_id for _, item_id in items],
            "collections": sorted({collection for collection, _ in items}),
            "limit": len(items),
        }
        try:
            status, answer = await _stac(page).call("POST", "/search", _key(page), json=body)
        except CatalogueError:
            status, answer = 503, {}
        found = answer.get("features", []) if status == 200 else []
    return footprints(found)


async def _act(request: Request, page: Web, order_id: str, action: str) -> RedirectResponse:
    form = await _large_form(request, page)
    path = _order_path(page, order_id)
    reason = field(form, "reason", page.settings.max_text) or None
    status, answer = await _api(page, "POST", f"{path}/actions/{action}", json={"reason": reason})
    if status != 200:
        raise _refusal(page, status, answer)
    return page.redirect(f"/requests/{order_id}")


@router.post("/{order_id}/agree")
async def agree(order_id: str, request: Request, page: WebDep) -> RedirectResponse:
    return await _act(request, page, order_id, "agree")


@router.post("/{order_id}/cancel")
async def cancel(order_id: str, request: Request, page: WebDep) -> RedirectResponse:
    """Refuse the quote, or withdraw the request before the provider has it."""
    return await _act(request, page, order_id, "cancel")

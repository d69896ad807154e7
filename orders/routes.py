"""Imagery requests over HTTP: stapi-fastapi's router (products, orders, statuses,
opportunities) on our backends, and the routes STAPI leaves to implementations: operators'
actions, the requester's agreement to a quote or cancellation, dry-run quotes and tranches.

Mounted on the STAC API under ``OrdersSettings.prefix``; it uses the access layer's
principal, policy and connection pool, so the STAC API's lifespan must install access first.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from returns.maybe import Maybe, Nothing, Some
from returns.result import Failure, ResultE, Success
from stapi_fastapi import ProductRouter, RootRouter
from stapi_fastapi.conformance import API as API_CONFORMANCE
from stapi_fastapi.models.product import Product
from stapi_pydantic import (
    Link,
    Opportunity,
    OpportunityPayload,
    Order,
    OrderPayload,
    OrderProperties,
    OrderSearchParameters,
    OrderStatus,
)
from starlette.concurrency import run_in_threadpool

from access.dependencies import OptionalPrincipal, get_access
from access.models import Principal, Role, UserStatus
from access.state import AccessState
from dinamis.mail import MailSettings
from orders import store
from orders.aoi import AoiError, check_aoi
from orders.notify import notify
from orders.opportunities import passes
from orders.products import (
    GEOJSON_MULTIPOLYGON,
    GEOJSON_POLYGON,
    PROVIDERS,
    NoQueryables,
    PassProperties,
    parameters_model,
)
from orders.rules import Kind, ProductRules, Rules, load_rules
from orders.settings import OrdersSettings
from orders.store import Actor, OrderRecord, StatusRecord
from orders.submission import RequestError, check_requester, prepare
from orders.workflow import Action, TransitionError

log = logging.getLogger(__name__)


@dataclass
class OrdersState:
    settings: OrdersSettings
    rules: Rules
    mail: MailSettings


def _state(request: Request) -> OrdersState:
    return request.app.state.orders


async def _remember_principal(request: Request, principal: OptionalPrincipal) -> None:
    # stapi-fastapi's backends receive only the request: the caller travels on it.
    request.state.principal = principal


def _principal(request: Request, changes: bool = False) -> Principal:
    """The caller; for a change (an order, an action), one using their API key or OpenID
    Connect login: short-lived access tokens travel in URLs and only ever read."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise HTTPException(
            401, "authenticate with a DINAMIS API key.", {"WWW-Authenticate": "Bearer"}
        )
    if changes and getattr(request.state, "via", None) == "token":
        raise HTTPException(403, "access tokens only read: send your API key to change orders.")
    return principal


def _is_operator(principal: Principal) -> bool:
    return principal.role is Role.ADMIN and principal.user_status is UserStatus.ACTIVE


def _actor(principal: Principal) -> Actor:
    return Actor(label=principal.email, user_id=principal.user_id, operator=_is_operator(principal))


def _may_see(principal: Principal, order: OrderRecord) -> bool:
    """Requesters see their orders, referents their entity's, operators all."""
    if _is_operator(principal) or principal.user_id == order.user_id:
        return True
    return principal.role is Role.REFERENT and principal.entity_id == order.entity_id


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _order_url(request: Request, order_id: int) -> str:
    return str(request.url_for("stapi:get-order", order_id=str(order_id)))


def _status_model(status: StatusRecord) -> OrderStatus:
    return OrderStatus(
        timestamp=status.at,
        status_code=status.status_code,
        reason_code=status.reason_code,
        reason_text=status.reason_text,
        actor=status.actor,
    )


def order_model(order: OrderRecord, base_url: str) -> Order[OrderStatus]:
    """The STAPI order, with what DINAMIS adds under ``dinamis:`` properties and links to the
    delivered items."""
    return Order(
        id=str(order.id),
        geometry=order.geometry,
        properties=OrderProperties(
            product_id=order.product_id,
            created=order.created_at,
            status=_status_model(order.last),
            search_parameters=OrderSearchParameters(
                datetime=(order.window_start, order.window_end),
                geometry=order.geometry,
                filter=None,
            ),
            opportunity_properties={},
            order_parameters=order.parameters,
            **{
                "updated": order.updated_at.isoformat(),
                "dinamis:area_km2": round(order.area_km2, 2),
                "dinamis:quote": order.quote,
                "dinamis:quote_agreed": order.quote_agreed_at is not None,
                "dinamis:tranche_attempts": order.tranche_attempts,
                "dinamis:requester": order.user_email,
                "dinamis:entity": {"id": order.entity_id, "name": order.entity_name},
                "dinamis:items": [f"{c}/{i}" for c, i in order.items],
            },
        ),
        links=[
            Link(
                href=f"{base_url}/collections/{collection}/items/{item_id}",
                rel="item",
                type="application/geo+json",
                title=f"Delivered item {item_id}",
            )
            for collection, item_id in order.items
        ],
    )


def _notify_later(request: Request, order: OrderRecord) -> None:
    """Mail the requester from a worker thread: the answer never waits for the SMTP server,
    and a failed mail never undoes the change (``send_mail`` logs and returns)."""
    state = _state(request)
    product = state.rules.product(order.product_id)
    url = _order_url(request, order.id)
    asyncio.get_running_loop().run_in_executor(
        None, notify, state.mail, order, order.last, product, url
    )


async def _visible(request: Request, order_id: str) -> OrderRecord | None:
    principal = _principal(request)
    if not order_id.isdigit() or len(order_id) > 18:
        return None
    try:
        order = await get_access(request).run(store.get_order, int(order_id))
    except store.NotFoundError:
        return None
    return order if _may_see(principal, order) else None


# -- stapi-fastapi backends ------------------------------------------------------------------


def _product_rules(request: Request, product_id: str) -> ProductRules:
    product = _state(request).rules.product(product_id)
    if product is None:  # a router exists only for products of the rules
        raise HTTPException(404, f"no product '{product_id}'.")
    return product


async def _prepare(request: Request, product: ProductRules, payload: OrderPayload) -> Any:
    """The checked and priced submission (with the principal), or the refusal as HTTP."""
    principal = _principal(request)
    state, access = _state(request), get_access(request)
    if payload.filter:
        raise HTTPException(422, "orders take no CQL2 filter: constraints are order parameters.")
    decision = await access.decide(principal, product.collection)
    parameters = payload.order_parameters.model_dump(mode="json")
    geometry = payload.geometry.model_dump(mode="json", exclude_none=True)

    def scenes(ids: list[str]) -> dict[str, dict[str, Any]]:
        def lookup(conn: psycopg.Connection) -> dict[str, dict[str, Any]]:
            return store.archive_scenes(
                conn, state.settings.archive_collection, ids, geometry, payload.datetime
            )

        with access.pool.connection() as conn:
            return lookup(conn)

    def checked() -> Any:
        check_requester(principal, decision, state.rules, product)
        return prepare(
            state.rules,
            state.settings,
            product,
            principal.entity_category,
            geometry,
            payload.datetime,
            parameters,
            datetime.now(UTC),
            scenes,
        )

    try:
        return principal, await run_in_threadpool(checked)
    except RequestError as error:
        raise HTTPException(error.status, error.detail) from error


async def create_order(
    router: ProductRouter, payload: OrderPayload, request: Request
) -> ResultE[Order[OrderStatus]]:
    product = _product_rules(request, router.product.id)
    _principal(request, changes=True)
    principal, submission = await _prepare(request, product, payload)
    try:
        order = await get_access(request).run(
            store.create_order,
            product_id=product.id,
            kind=product.kind,
            user_id=principal.user_id,
            entity_id=principal.entity_id,
            geometry=submission.geometry,
            window=submission.window,
            parameters=submission.parameters,
            area_km2=submission.area_km2,
            quote=submission.quote,
            actor=_actor(principal),
        )
    except store.TrancheExhaustedError as error:
        raise HTTPException(409, str(error)) from error
    log.info(
        "order %s received: %s, %.1f km², due %s, by %s",
        order.id,
        product.id,
        order.area_km2,
        order.quote["due"],
        principal.email,
    )
    _notify_later(request, order)
    return Success(order_model(order, _base(request)))


async def search_opportunities(
    router: ProductRouter,
    search: OpportunityPayload,
    next: str | None,
    limit: int,
    request: Request,
) -> ResultE[tuple[list[Opportunity], Maybe[str]]]:
    _principal(request)
    state = _state(request)
    product = _product_rules(request, router.product.id)
    if search.filter:
        raise HTTPException(422, "opportunities take no CQL2 filter.")
    start, end = search.datetime
    now = datetime.now(UTC)
    if end <= now:
        raise HTTPException(422, "the window is over: opportunities are future passes.")
    start = max(start, now)
    days = state.settings.max_opportunity_days
    if (end - start).total_seconds() > days * 86400:
        raise HTTPException(422, f"opportunities are computed over {days} days at most.")
    try:
        shape, _ = check_aoi(
            search.geometry.model_dump(mode="json", exclude_none=True),
            min_km2=0,
            max_km2=product.max_km2,
            max_vertices=state.settings.max_vertices,
        )
    except AoiError as error:
        raise HTTPException(422, str(error)) from error
    tles = await get_access(request).run(store.get_tles, product.satellites)
    if not tles:
        raise HTTPException(
            503, f"no orbit (TLE) of {', '.join(product.satellites)} loaded yet: ask DINAMIS."
        )
    centre = shape.representative_point()
    found = await run_in_threadpool(
        passes, tles, centre.x, centre.y, start, end, product.max_incidence_angle
    )
    offset = int(next) if next and next.isdigit() else 0
    limit = max(1, min(limit, state.settings.page_limit))
    page = found[offset : offset + limit]
    geometry = search.geometry.model_dump(mode="json", exclude_none=True)
    features = [
        Opportunity(
            type="Feature",
            geometry=geometry,
            properties=PassProperties.model_validate(
                {
                    "datetime": (p.start, p.end),
                    "product_id": product.id,
                    "platform": p.satellite,
                    "view:incidence_angle": p.incidence_angle,
                    "view:azimuth": p.azimuth,
                    "culmination": p.culmination.isoformat(),
                }
            ),
        )
        for p in page
    ]
    more = offset + limit < len(found)
    return Success((features, Some(str(offset + limit)) if more else Nothing))


async def get_orders(
    next: str | None, limit: int, request: Request
) -> ResultE[tuple[list[Order[OrderStatus]], Maybe[str], Maybe[int]]]:
    principal = _principal(request)
    if next is not None and not next.isdigit():
        return Failure(ValueError(next))
    limit = max(1, min(limit, _state(request).settings.page_limit))
    scope: dict[str, int] = {}
    if not _is_operator(principal):
        if principal.role is Role.REFERENT:
            scope["entity_id"] = principal.entity_id
        else:
            scope["user_id"] = principal.user_id
    orders = await get_access(request).run(
        store.list_orders, **scope, after=int(next) if next else None, limit=limit
    )
    token = Some(str(orders[-1].id)) if len(orders) == limit else Nothing
    return Success(([order_model(o, _base(request)) for o in orders], token, Nothing))


async def get_order(order_id: str, request: Request) -> ResultE[Maybe[Order[OrderStatus]]]:
    order = await _visible(request, order_id)
    return Success(Some(order_model(order, _base(request))) if order else Nothing)


async def get_order_statuses(
    order_id: str, next: str | None, limit: int, request: Request
) -> ResultE[Maybe[tuple[list[OrderStatus], Maybe[str]]]]:
    order = await _visible(request, order_id)
    if order is None:
        return Success(Nothing)
    if next is not None and not next.isdigit():
        return Failure(ValueError(next))
    history = await get_access(request).run(store.statuses, order.id)
    offset = int(next) if next else 0
    limit = max(1, min(limit, _state(request).settings.page_limit))
    page = [_status_model(s) for s in history[offset : offset + limit]]
    more = offset + limit < len(history)
    return Success(Some((page, Some(str(offset + limit)) if more else Nothing)))


# -- what STAPI leaves to implementations -----------------------------------------------------


class SimpleAction(StrEnum):
    """Actions that take at most a reason (attempts and deliveries have their own routes)."""

    ACCEPT = Action.ACCEPT.value
    REJECT = Action.REJECT.value
    QUOTE = Action.QUOTE.value
    AGREE = Action.AGREE.value
    FORWARD = Action.FORWARD.value
    FAIL = Action.FAIL.value
    EXPIRE = Action.EXPIRE.value
    CANCEL = Action.CANCEL.value


class TrancheBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    attempts: int = Field(gt=0, description="The tranche's size (the rules list them).")


Access = Annotated[AccessState, Depends(get_access)]


async def _operator(request: Request) -> Principal:
    principal = _principal(request, changes=True)
    if not _is_operator(principal):
        raise HTTPException(403, "this action is reserved to DINAMIS operators.")
    return principal


async def _apply(request: Request, order_id: str, change: Any) -> dict[str, Any]:
    """Run ``change(conn)`` on an order the caller may see; answer with the order."""
    _principal(request, changes=True)
    order = await _visible(request, order_id)
    if order is None:
        raise HTTPException(404, f"no order '{order_id}'.")
    try:
        changed: OrderRecord = await get_access(request).run(change)
    except TransitionError as error:
        raise HTTPException(409, str(error)) from error
    except store.NotFoundError as error:
        raise HTTPException(404, f"no {error}.") from error
    log.info(
        "order %s is %s (%s)", changed.id, changed.status.value, changed.last.reason_text or ""
    )
    _notify_later(request, changed)
    return order_model(changed, _base(request)).model_dump(mode="json", by_alias=True)


def operator_routes(rules: Rules, settings: OrdersSettings) -> APIRouter:
    # Bodies are bounded by the settings: built here, where they are known.
    class ActionBody(BaseModel):
        model_config = ConfigDict(extra="forbid")
        reason: str | None = Field(default=None, max_length=settings.max_reason_chars)

    class AttemptBody(BaseModel):
        model_config = ConfigDict(extra="forbid")
        acquired_at: AwareDatetime
        cloud_cover: float = Field(ge=0, le=100)
        validated: bool
        note: str | None = Field(default=None, max_length=settings.max_reason_chars)

    class ItemRef(BaseModel):
        model_config = ConfigDict(extra="forbid")
        collection: str = Field(min_length=1, max_length=200)
        id: str = Field(min_length=1, max_length=200)

    class DeliverBody(BaseModel):
        model_config = ConfigDict(extra="forbid")
        items: list[ItemRef] = Field(min_length=1, max_length=settings.max_delivered_items)

    router = APIRouter(tags=["Orders: actions"])

    @router.post(
        "/orders/{order_id}/actions/{action}",
        summary="Act on an order (operators; the requester may agree to a quote or cancel)",
    )
    async def act(
        request: Request, order_id: str, action: SimpleAction, body: ActionBody | None = None
    ) -> dict[str, Any]:
        principal = _principal(request)
        reason = body.reason if body else None
        return await _apply(
            request,
            order_id,
            lambda conn: store.act(conn, int(order_id), Action(action), _actor(principal), reason),
        )

    @router.post("/orders/{order_id}/attempts", summary="Record an acquisition try (operators)")
    async def attempt(
        request: Request,
        order_id: str,
        body: AttemptBody,
        principal: Annotated[Principal, Depends(_operator)],
    ) -> dict[str, Any]:
        return await _apply(
            request,
            order_id,
            lambda conn: store.record_attempt(
                conn,
                int(order_id),
                _actor(principal),
                acquired_at=body.acquired_at,
                cloud_cover=body.cloud_cover,
                validated=body.validated,
                note=body.note,
            ),
        )

    @router.post(
        "/orders/{order_id}/deliver",
        summary="Link catalogued items to the order and complete it (operators)",
    )
    async def deliver(
        request: Request,
        order_id: str,
        body: DeliverBody,
        principal: Annotated[Principal, Depends(_operator)],
    ) -> dict[str, Any]:
        order = await _visible(request, order_id)
        product = rules.product(order.product_id) if order else None
        collection = product.collection if product else ""
        items = [(ref.collection, ref.id) for ref in body.items]
        return await _apply(
            request,
            order_id,
            lambda conn: store.deliver(conn, int(order_id), items, _actor(principal), collection),
        )

    @router.get("/entities/{entity_id}/tranches", summary="An entity's SPOT attempts left")
    async def tranches(request: Request, entity_id: int, access: Access) -> dict[str, Any]:
        principal = _principal(request)
        if not _is_operator(principal) and not (
            principal.role is Role.REFERENT and principal.entity_id == entity_id
        ):
            raise HTTPException(403, "only the entity's referent or operators see its balance.")
        left = await access.run(store.balance, entity_id)
        return {"entity_id": entity_id, "attempts_left": left}

    @router.post("/entities/{entity_id}/tranches", summary="Record a tranche bought (operators)")
    async def buy(
        entity_id: int,
        body: TrancheBody,
        access: Access,
        _: Annotated[Principal, Depends(_operator)],
    ) -> dict[str, Any]:
        try:
            left = await access.run(store.buy_tranche, entity_id, body.attempts, rules)
        except ValueError as error:
            raise HTTPException(422, str(error)) from error
        except psycopg.errors.ForeignKeyViolation as error:
            raise HTTPException(404, f"no entity {entity_id}.") from error
        return {"entity_id": entity_id, "attempts_left": left}

    for product in rules.products:
        router.add_api_route(
            f"/products/{product.id}/quote",
            _quote_endpoint(product),
            methods=["POST"],
            summary=f"What an order of {product.title} would cost (nothing recorded)",
            tags=["Orders: quotes"],
        )

    @router.api_route(
        "/products/{product_id}/{rest:path}",
        methods=["GET", "POST"],
        include_in_schema=False,
    )
    async def unknown_product(product_id: str, rest: str) -> None:
        if rules.product(product_id) is not None:
            raise HTTPException(404, f"product '{product_id}' has no '{rest}' endpoint.")
        known = ", ".join(p.id for p in rules.products)
        raise HTTPException(404, f"no product '{product_id}' (products: {known}).")

    return router


def _quote_endpoint(product: ProductRules) -> Any:
    async def quote_order(payload: OrderPayload, request: Request) -> dict[str, Any]:
        _, submission = await _prepare(request, product, payload)
        return {
            "product_id": product.id,
            "area_km2": round(submission.area_km2, 2),
            **submission.quote.model_dump(mode="json"),
        }

    # As stapi-fastapi does for its create-order route: the body's model is per product.
    quote_order.__annotations__["payload"] = OrderPayload[parameters_model(product)]
    return quote_order


# -- assembly --------------------------------------------------------------------------------


def _product(rules: ProductRules) -> Product:
    return Product(
        id=rules.id,
        title=rules.title,
        description=rules.description,
        license="other",
        keywords=[rules.family.value, rules.kind.value, *rules.platforms],
        providers=PROVIDERS,
        conformsTo=[GEOJSON_POLYGON, GEOJSON_MULTIPOLYGON],
        create_order=create_order,
        search_opportunities=search_opportunities if rules.kind is Kind.TASKING else None,
        queryables=NoQueryables,
        opportunity_properties=PassProperties,
        order_parameters=parameters_model(rules),
    )


def orders_router(
    settings: OrdersSettings | None = None, mail: MailSettings | None = None
) -> APIRouter:
    """The imagery-request routes for the STAC API app (``app.include_router``), built from
    the rules file; its lifespan records those rules under their version."""
    settings = settings or OrdersSettings()
    mail = mail or MailSettings()
    rules = load_rules(settings.rules_file)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if await app.state.access.run(store.ensure_rules, rules):
            log.info("request rules %s recorded", rules.version)
        app.state.orders = OrdersState(settings, rules, mail)
        yield

    router = APIRouter(
        prefix=settings.prefix, lifespan=lifespan, dependencies=[Depends(_remember_principal)]
    )
    root = RootRouter(
        get_orders=get_orders,
        get_order=get_order,
        get_order_statuses=get_order_statuses,
        conformances=[API_CONFORMANCE.core],
        name="stapi",
    )
    for product in rules.products:
        root.add_product(_product(product))
    router.include_router(root)
    router.include_router(operator_routes(rules, settings))
    return router

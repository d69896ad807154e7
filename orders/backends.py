"""stapi-fastapi's backends: orders created, listed and shown, statuses, opportunities."""

import logging
from datetime import UTC, datetime

from fastapi import HTTPException, Request
from returns.maybe import Maybe, Nothing, Some
from returns.result import Failure, ResultE, Success
from stapi_fastapi import ProductRouter
from stapi_pydantic import (
    Opportunity,
    OpportunityPayload,
    Order,
    OrderPayload,
    OrderStatus,
)
from starlette.concurrency import run_in_threadpool

from access.dependencies import get_access
from access.models import Role
from access.policy import is_operator
from orders import store
from orders.aoi import AoiError, check_aoi
from orders.opportunities import passes
from orders.products import (
    PassProperties,
)
from orders.web import (
    actor_of,
    base_url,
    caller,
    notify_later,
    order_model,
    orders_state,
    prepare_submission,
    product_rules,
    status_model,
    visible,
)

log = logging.getLogger(__name__)


async def create_order(
    router: ProductRouter, payload: OrderPayload, request: Request
) -> ResultE[Order[OrderStatus]]:
    product = product_rules(request, router.product.id)
    caller(request, changes=True)
    principal, submission = await prepare_submission(request, product, payload)
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
            actor=actor_of(principal),
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
    notify_later(request, order)
    return Success(order_model(order, base_url(request)))


async def search_opportunities(
    router: ProductRouter,
    search: OpportunityPayload,
    next: str | None,
    limit: int,
    request: Request,
) -> ResultE[tuple[list[Opportunity], Maybe[str]]]:
    caller(request)
    state = orders_state(request)
    product = product_rules(request, router.product.id)
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
    principal = caller(request)
    if next is not None and not (next.isdigit() and len(next) <= 18):
        return Failure(ValueError(next))
    limit = max(1, min(limit, orders_state(request).settings.page_limit))
    scope: dict[str, int] = {}
    if not is_operator(principal):
        if principal.role is Role.REFERENT:
            scope["entity_id"] = principal.entity_id
        else:
            scope["user_id"] = principal.user_id
    orders = await get_access(request).run(
        store.list_orders, **scope, after=int(next) if next else None, limit=limit
    )
    token = Some(str(orders[-1].id)) if len(orders) == limit else Nothing
    return Success(([order_model(o, base_url(request)) for o in orders], token, Nothing))


async def get_order(order_id: str, request: Request) -> ResultE[Maybe[Order[OrderStatus]]]:
    order = await visible(request, order_id)
    return Success(Some(order_model(order, base_url(request))) if order else Nothing)


async def get_order_statuses(
    order_id: str, next: str | None, limit: int, request: Request
) -> ResultE[Maybe[tuple[list[OrderStatus], Maybe[str]]]]:
    order = await visible(request, order_id)
    if order is None:
        return Success(Nothing)
    if next is not None and not next.isdigit():
        return Failure(ValueError(next))
    history = await get_access(request).run(store.statuses, order.id)
    offset = int(next) if next else 0
    limit = max(1, min(limit, orders_state(request).settings.page_limit))
    page = [status_model(s) for s in history[offset : offset + limit]]
    more = offset + limit < len(history)
    return Success(Some((page, Some(str(offset + limit)) if more else Nothing)))

"""What every request route needs: the caller, who sees which order, an order as STAPI
shows it, the mail after a change, and the checks and quote of a submission."""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from fastapi import HTTPException, Request
from stapi_pydantic import (
    Link,
    Order,
    OrderPayload,
    OrderProperties,
    OrderSearchParameters,
    OrderStatus,
)
from starlette.concurrency import run_in_threadpool

from access.dependencies import OptionalPrincipal, get_access
from access.models import Principal, Role
from access.policy import is_operator
from dinamis.mail import MailSettings
from orders import store
from orders.notify import notify
from orders.rules import ProductRules, Rules
from orders.settings import OrdersSettings
from orders.store import Actor, OrderRecord, StatusRecord
from orders.submission import check_requester, prepare


@dataclass
class OrdersState:
    settings: OrdersSettings
    rules: Rules
    mail: MailSettings


def orders_state(request: Request) -> OrdersState:
    return request.app.state.orders


async def remember_principal(request: Request, principal: OptionalPrincipal) -> None:
    # stapi-fastapi's backends receive only the request: the caller travels on it.
    request.state.principal = principal


async def refuse_cql2_filter(request: Request) -> None:
    """Orders, quotes and opportunities take no CQL2 filter (constraints are order parameters):
    refused before the body is validated, where stapi-pydantic's check of a filter it cannot
    read (``"x = "``, a number past 64 bits) fails with a bare exception, a 500."""
    if request.method != "POST" or "json" not in request.headers.get("content-type", ""):
        return
    try:
        body = await request.json()
    except ValueError:
        return  # malformed: FastAPI's own parser says where
    if isinstance(body, dict) and body.get("filter"):
        raise HTTPException(422, "requests take no CQL2 filter: constraints are order parameters.")


def caller(request: Request, changes: bool = False) -> Principal:
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


def actor_of(principal: Principal) -> Actor:
    return Actor(label=principal.email, user_id=principal.user_id, operator=is_operator(principal))


def may_see(principal: Principal, order: OrderRecord) -> bool:
    """Requesters see their orders, referents their entity's, operators all."""
    if is_operator(principal) or principal.user_id == order.user_id:
        return True
    return principal.role is Role.REFERENT and principal.entity_id == order.entity_id


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def order_url(request: Request, order_id: int) -> str:
    return str(request.url_for("stapi:get-order", order_id=str(order_id)))


def status_model(status: StatusRecord) -> OrderStatus:
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
            status=status_model(order.last),
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


def notify_later(request: Request, order: OrderRecord) -> None:
    """Mail the requester from a worker thread: the answer never waits for the SMTP server,
    and a failed mail never undoes the change (``send_mail`` logs and returns)."""
    state = orders_state(request)
    product = state.rules.product(order.product_id)
    url = order_url(request, order.id)
    asyncio.get_running_loop().run_in_executor(
        None, notify, state.mail, order, order.last, product, url
    )


async def visible(request: Request, order_id: str) -> OrderRecord | None:
    principal = caller(request)
    if not order_id.isdigit() or len(order_id) > 18:
        return None
    try:
        order = await get_access(request).run(store.get_order, int(order_id))
    except store.NotFoundError:
        return None
    return order if may_see(principal, order) else None


def product_rules(request: Request, product_id: str) -> ProductRules:
    product = orders_state(request).rules.product(product_id)
    if product is None:  # a router exists only for products of the rules
        raise HTTPException(404, f"no product '{product_id}'.")
    return product


async def prepare_submission(request: Request, product: ProductRules, payload: OrderPayload) -> Any:
    """The checked and priced submission (with the principal), or the refusal as HTTP."""
    principal = caller(request)
    state, access = orders_state(request), get_access(request)
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

    # A RequestError is answered by the API's refusal handler, with its reason for pages.
    return principal, await run_in_threadpool(checked)

"""The routes STAPI leaves to implementations: operators' actions (accept, reject, quote,
forward, attempts, delivery, failure, expiry), the requester's agreement to a quote or
cancellation, dry-run quotes, tranches; and a clear 404 for unknown products."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from stapi_pydantic import (
    OrderPayload,
)

from access.dependencies import EntityId, get_access
from access.models import Principal, Role
from access.policy import is_operator
from access.state import AccessState
from dinamis.refusal import RefusedError
from orders import store
from orders.products import (
    parameters_model,
)
from orders.rules import Family, ProductRules, Rules
from orders.settings import OrdersSettings
from orders.store import OrderRecord
from orders.web import (
    actor_of,
    base_url,
    caller,
    notify_later,
    order_model,
    orders_state,
    prepare_submission,
    visible,
)
from orders.workflow import Action, ForbiddenError, TransitionError

log = logging.getLogger(__name__)


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
    principal = caller(request, changes=True)
    if not is_operator(principal):
        raise HTTPException(403, "this action is reserved to DINAMIS operators.")
    return principal


async def _apply(request: Request, order_id: str, change: Any) -> dict[str, Any]:
    """Run ``change(conn)`` on an order the caller may see; answer with the order."""
    caller(request, changes=True)
    order = await visible(request, order_id)
    if order is None:
        raise HTTPException(404, f"no order '{order_id}'.")
    try:
        changed: OrderRecord = await get_access(request).run(change)
    except TransitionError as error:
        raise RefusedError.because(409, error) from error
    except ForbiddenError as error:
        raise RefusedError.because(403, error) from error
    except store.NotFoundError as error:
        raise HTTPException(404, f"no {error}.") from error
    log.info(
        "order %s is %s (%s)", changed.id, changed.status.value, changed.last.reason_text or ""
    )
    notify_later(request, changed)
    return order_model(changed, base_url(request)).model_dump(mode="json", by_alias=True)


@dataclass(frozen=True)
class ActionBodies:
    """The bodies of operators' actions, bounded by the settings: the API's routes and the
    portal's back-office check what operators send with the same models."""

    action: type[BaseModel]
    attempt: type[BaseModel]
    deliver: type[BaseModel]


def action_bodies(settings: OrdersSettings) -> ActionBodies:
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

    return ActionBodies(ActionBody, AttemptBody, DeliverBody)


def operator_routes(rules: Rules, settings: OrdersSettings) -> APIRouter:
    # Bodies are bounded by the settings: built here, where they are known.
    bodies = action_bodies(settings)
    ActionBody, AttemptBody, DeliverBody = bodies.action, bodies.attempt, bodies.deliver  # noqa: N806

    router = APIRouter(tags=["Orders: actions"])

    @router.post(
        "/orders/{order_id}/actions/{action}",
        summary="Act on an order (operators; the requester may agree to a quote or cancel)",
    )
    async def act(
        request: Request, order_id: str, action: SimpleAction, body: ActionBody | None = None
    ) -> dict[str, Any]:
        principal = caller(request)
        reason = body.reason if body else None
        return await _apply(
            request,
            order_id,
            lambda conn: store.act(
                conn, int(order_id), Action(action), actor_of(principal), reason
            ),
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
                actor_of(principal),
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
        order = await visible(request, order_id)
        product = rules.product(order.product_id) if order else None
        collection = product.collection if product else ""
        items = [(ref.collection, ref.id) for ref in body.items]
        return await _apply(
            request,
            order_id,
            lambda conn: store.deliver(conn, int(order_id), items, actor_of(principal), collection),
        )

    @router.get(
        "/orders/{order_id}/attempts",
        summary="An order's acquisition tries, with their cloud cover",
    )
    async def attempts(request: Request, order_id: str, access: Access) -> dict[str, Any]:
        order = await visible(request, order_id)
        if order is None:
            raise HTTPException(404, f"no order '{order_id}'.")
        found = await access.run(store.attempts, order.id)
        return {"order_id": str(order.id), "attempts": jsonable_encoder(found)}

    @router.get("/entities/{entity_id}/tranches", summary="An entity's SPOT attempts left")
    async def tranches(request: Request, entity_id: EntityId, access: Access) -> dict[str, Any]:
        principal = caller(request)
        if not is_operator(principal) and not (
            principal.role is Role.REFERENT and principal.entity_id == entity_id
        ):
            raise HTTPException(403, "only the entity's referent or operators see its balance.")
        left = await access.run(store.balance, entity_id)
        return {"entity_id": entity_id, "attempts_left": left}

    @router.post("/entities/{entity_id}/tranches", summary="Record a tranche bought (operators)")
    async def buy(
        entity_id: EntityId,
        body: TrancheBody,
        access: Access,
        operator: Annotated[Principal, Depends(_operator)],
    ) -> dict[str, Any]:
        try:
            left = await access.run(
                store.buy_tranche, entity_id, body.attempts, rules, actor_of(operator)
            )
        except ValueError as error:
            raise HTTPException(422, str(error)) from error
        except psycopg.errors.ForeignKeyViolation as error:
            raise HTTPException(404, f"no entity {entity_id}.") from error
        return {"entity_id": entity_id, "attempts_left": left}

    for product in rules.products:
        router.add_api_route(
            f"/products/{product.id}/quote",
            _quote_endpoint(product, settings),
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


def _quote_endpoint(product: ProductRules, settings: OrdersSettings) -> Any:
    async def quote_order(payload: OrderPayload, request: Request) -> dict[str, Any]:
        principal, submission = await prepare_submission(request, product, payload)
        rules = orders_state(request).rules
        allowance: dict[str, Any] = (
            {"free_attempts": rules.spot.free_attempts}
            if product.family is Family.SPOT
            else {
                "quota_km2": rules.pleiades.quota_km2(
                    product.kind, principal.entity_category, datetime.now(UTC).date()
                )
            }
        )
        return {
            "product_id": product.id,
            "area_km2": round(submission.area_km2, 2),
            **allowance,
            **submission.quote.model_dump(mode="json"),
        }

    # As stapi-fastapi does for its create-order route: the body's model is per product.
    quote_order.__annotations__["payload"] = OrderPayload[
        parameters_model(product, settings.max_reason_chars)
    ]
    return quote_order

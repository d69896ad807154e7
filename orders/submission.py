"""From a STAPI order payload to a priced request, or a refusal naming the problem: who may
request, the area, the window, the archive scenes, then the quote."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from access.models import EntityCategory, Principal
from access.policy import Decision
from dinamis.refusal import RefusedError
from orders.aoi import AoiError, check_aoi
from orders.rules import Kind, ProductRules, Quote, Rules, View, quote
from orders.settings import OrdersSettings


class RequestError(RefusedError):
    """A request refused before anything is recorded: ``status`` is the HTTP code."""


@dataclass(frozen=True)
class Submission:
    product: ProductRules
    geometry: dict[str, Any]
    area_km2: float
    window: tuple[datetime, datetime]
    parameters: dict[str, Any]
    quote: Quote


ScenesLookup = Callable[[list[str]], dict[str, dict[str, Any]]]
"""Archive scenes by id, with ``platform``, ``crosses`` (the AOI) and ``in_window``."""


def check_requester(
    principal: Principal | None, decision: Decision, rules: Rules, product: ProductRules
) -> Principal:
    """An active user of an active member entity of an eligible category that accepted the
    licence of the collection the product delivers to (the access policy's own rule)."""
    if principal is None:
        raise RequestError(401, "requests need a DINAMIS API key.")
    if not decision.allowed:
        raise RequestError(
            decision.status, f"you may not request {product.title}: {decision.reason}"
        )
    if principal.entity_category not in rules.eligibility.categories:
        eligible = ", ".join(c.value for c in rules.eligibility.categories)
        raise RequestError(
            403,
            f"entities of category '{principal.entity_category.value}' cannot request imagery "
            f"(eligible: {eligible}).",
        )
    return principal


def _check_window(product: ProductRules, window: tuple[datetime, datetime], now: datetime) -> None:
    start, end = window
    if end <= start:
        raise RequestError(422, "the window must end after it starts.")
    if product.kind is Kind.ARCHIVE:
        return
    earliest = now + timedelta(hours=product.min_lead_hours)
    if start < earliest:
        raise RequestError(
            422,
            f"the acquisition window must start in the future, at least {product.min_lead_hours} h "
            f"from now (after {earliest.isoformat(timespec='minutes')}).",
        )
    if end - start > timedelta(days=product.max_window_days):
        raise RequestError(
            422, f"the acquisition window may last {product.max_window_days} days at most."
        )


def _check_scenes(product: ProductRules, scene_ids: list[str], lookup: ScenesLookup) -> None:
    if len(set(scene_ids)) != len(scene_ids):
        raise RequestError(422, "a scene is named twice in 'scenes'.")
    found = lookup(scene_ids)
    for scene_id in scene_ids:
        scene = found.get(scene_id)
        if scene is None:
            raise RequestError(422, f"no scene '{scene_id}' in the provider's archive.")
        if scene["platform"] not in product.platforms:
            raise RequestError(
                422,
                f"scene '{scene_id}' was acquired by {scene['platform']}; {product.title} "
                f"orders scenes of {', '.join(product.platforms)}.",
            )
        if not scene["crosses"]:
            raise RequestError(422, f"scene '{scene_id}' does not cross the area of interest.")
        if not scene["in_window"]:
            raise RequestError(422, f"scene '{scene_id}' was not acquired within the window.")


def prepare(
    rules: Rules,
    settings: OrdersSettings,
    product: ProductRules,
    category: EntityCategory,
    geometry: dict[str, Any],
    window: tuple[datetime, datetime],
    parameters: dict[str, Any],
    now: datetime,
    scenes: ScenesLookup,
) -> Submission:
    """The checked and priced request, or :class:`RequestError`."""
    try:
        _, area = check_aoi(
            geometry,
            min_km2=product.min_km2,
            max_km2=product.max_km2,
            max_vertices=settings.max_vertices,
        )
    except AoiError as error:
        raise RequestError(422, str(error)) from error
    _check_window(product, window, now)
    if product.kind is Kind.ARCHIVE:
        _check_scenes(product, parameters["scenes"], scenes)
        view, repeats = View.MONO, len(parameters["scenes"])
    else:
        view, repeats = View(parameters["view"]), parameters.get("attempts", 1)
    priced = quote(rules, product, category, area, view=view, repeats=repeats, day=now.date())
    return Submission(product, geometry, area, window, parameters, priced)

"""From a STAPI order payload to a priced request, or a refusal naming the problem: who may
request, the area, the window, the archive scenes, then the quote."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from access.models import EntityCategory, Principal
from access.policy import Decision
from dinamis.refusal import N_, RefusedError
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
        raise RequestError(401, N_("requests need a DINAMIS API key."))
    if not decision.allowed:
        raise RequestError(
            decision.status,
            N_("you may not request %(product)s: %(reason)s"),
            product=product.title,
            reason=decision.reason,
        )
    if principal.entity_category not in rules.eligibility.categories:
        eligible = ", ".join(c.value for c in rules.eligibility.categories)
        raise RequestError(
            403,
            N_(
                "entities of category '%(category)s' cannot request imagery "
                "(eligible: %(eligible)s)."
            ),
            category=principal.entity_category.value,
            eligible=eligible,
        )
    return principal


def _check_window(product: ProductRules, window: tuple[datetime, datetime], now: datetime) -> None:
    start, end = window
    if end <= start:
        raise RequestError(422, N_("the window must end after it starts."))
    if product.kind is Kind.ARCHIVE:
        return
    earliest = now + timedelta(hours=product.min_lead_hours)
    if start < earliest:
        raise RequestError(
            422,
            N_(
                "the acquisition window must start in the future, at least %(hours)s h from now "
                "(after %(earliest)s)."
            ),
            hours=product.min_lead_hours,
            earliest=earliest.isoformat(timespec="minutes"),
        )
    if end - start > timedelta(days=product.max_window_days):
        raise RequestError(
            422,
            N_("the acquisition window may last %(days)s days at most."),
            days=product.max_window_days,
        )


def _check_scenes(product: ProductRules, scene_ids: list[str], lookup: ScenesLookup) -> None:
    if len(set(scene_ids)) != len(scene_ids):
        raise RequestError(422, N_("a scene is named twice in 'scenes'."))
    found = lookup(scene_ids)
    for scene_id in scene_ids:
        scene = found.get(scene_id)
        if scene is None:
            raise RequestError(
                422, N_("no scene '%(scene)s' in the provider's archive."), scene=scene_id
            )
        if scene["platform"] not in product.platforms:
            raise RequestError(
                422,
                N_(
                    "scene '%(scene)s' was acquired by %(platform)s; %(product)s orders scenes of "
                    "%(platforms)s."
                ),
                scene=scene_id,
                platform=scene["platform"],
                product=product.title,
                platforms=", ".join(product.platforms),
            )
        if not scene["crosses"]:
            raise RequestError(
                422, N_("scene '%(scene)s' does not cross the area of interest."), scene=scene_id
            )
        if not scene["in_window"]:
            raise RequestError(
                422, N_("scene '%(scene)s' was not acquired within the window."), scene=scene_id
            )


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
        raise RequestError.because(422, error) from error
    _check_window(product, window, now)
    if product.kind is Kind.ARCHIVE:
        _check_scenes(product, parameters["scenes"], scenes)
        view, repeats = View.MONO, len(parameters["scenes"])
    else:
        view, repeats = View(parameters["view"]), parameters.get("attempts", 1)
    priced = quote(rules, product, category, area, view=view, repeats=repeats, day=now.date())
    return Submission(product, geometry, area, window, parameters, priced)

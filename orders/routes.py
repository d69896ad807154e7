"""Imagery requests over HTTP, assembled: stapi-fastapi's router (products, orders,
statuses, opportunities) on our backends (:mod:`orders.backends`), and the routes STAPI leaves
to implementations (:mod:`orders.actions`).

Mounted on the STAC API under ``OrdersSettings.prefix``; it uses the access layer's
principal, policy and connection pool, so the STAC API's lifespan must install access first.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from stapi_fastapi import RootRouter
from stapi_fastapi.conformance import API as API_CONFORMANCE
from stapi_fastapi.models.product import Product

from dinamis.mail import MailSettings
from orders import store
from orders.actions import operator_routes
from orders.backends import (
    create_order,
    get_order,
    get_order_statuses,
    get_orders,
    search_opportunities,
)
from orders.products import (
    GEOJSON_MULTIPOLYGON,
    GEOJSON_POLYGON,
    PROVIDERS,
    NoQueryables,
    PassProperties,
    parameters_model,
)
from orders.rules import Kind, ProductRules, load_rules
from orders.settings import OrdersSettings
from orders.web import OrdersState, refuse_cql2_filter, remember_principal

log = logging.getLogger(__name__)


def _product(rules: ProductRules, settings: OrdersSettings) -> Product:
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
        order_parameters=parameters_model(rules, settings.max_reason_chars),
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
        prefix=settings.prefix,
        lifespan=lifespan,
        dependencies=[Depends(remember_principal), Depends(refuse_cql2_filter)],
    )
    root = RootRouter(
        get_orders=get_orders,
        get_order=get_order,
        get_order_statuses=get_order_statuses,
        conformances=[API_CONFORMANCE.core],
        name="stapi",
    )
    for product in rules.products:
        root.add_product(_product(product, settings))
    router.include_router(root)
    router.include_router(operator_routes(rules, settings))
    return router

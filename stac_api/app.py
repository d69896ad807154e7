"""The STAC API application, composed as stac-fastapi-pgstac's own ``app.py`` does it, with
access control: search and browse are public, catalogue writes are for admins, and the access
routes (/auth/*, referents' routes, asset download, /sign) are mounted beside STAC's."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from asyncpg.exceptions import (
    CharacterNotInRepertoireError,
    DataError,
    PostgresSyntaxError,
    RaiseError,
    UntranslatableCharacterError,
)
from brotli_asgi import BrotliMiddleware
from fastapi import Depends, FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from stac_fastapi.api.errors import add_exception_handlers
from stac_fastapi.pgstac.app import instantiate_api
from stac_fastapi.pgstac.config import PostgresSettings, ServerSettings
from stac_fastapi.pgstac.db import close_db_connection
from starlette.middleware import Middleware
from starlette.responses import JSONResponse

from access.dependencies import require_admin
from access.logs import install_secret_filter
from access.routes import router as access_router
from access.settings import AccessSettings, access_settings
from access.stac import TRANSACTION_SCOPES
from access.state import installed
from dinamis import database
from dinamis.outage import (
    DatabaseSettings,
    add_outage_handlers,
    asyncpg_connection_getter,
    asyncpg_server_settings,
)
from dinamis.plugins import api_routers
from dinamis.proxy import ForwardedMiddleware
from dinamis.refusal import RefusedError, refused
from dinamis.search_limits import SearchLimits, SearchLimitsMiddleware
from dinamis.settings import get_settings
from dinamis.validation import validation_handler
from stac_api import item_links, pools
from stac_api.client import DinamisClient
from stac_api.collection_assets import router as collection_assets_router
from stac_api.extensions import extensions as build_extensions
from stac_api.settings import ApiSettings

STAC_VERSION = "1.1.0"


def create_app(
    database_url: str | None = None,
    settings: ApiSettings | None = None,
    access: AccessSettings | None = None,
    limits: SearchLimits | None = None,
    database_settings: DatabaseSettings | None = None,
) -> FastAPI:
    """A STAC API on ``database_url``, else on the project's database (DATABASE_URL, the PG*
    variables stac-fastapi-pgstac reads, or the embedded cluster)."""
    # Here, not in a CLI: every way of starting the app (uvicorn --factory, gunicorn, tests)
    # must keep keys and tokens out of its logs, its access log included.
    install_secret_filter()
    settings = settings or ApiSettings()
    database_url = database_url or database.database_url(get_settings())
    access = access or access_settings(get_settings())
    extensions = build_extensions(settings)
    db = database_settings or DatabaseSettings()
    postgres = PostgresSettings(
        **{k.lower(): v for k, v in database.postgres_env(database_url).items()},
        server_settings=ServerSettings(**asyncpg_server_settings(db)),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await pools.connect(
            app, asyncpg_connection_getter(db), postgres, write_pool=bool(extensions.transaction)
        )
        async with installed(app, database_url, access, db):
            # Everything made so far (modules, models, routes, pools) lives as long as the
            # process: out of the collector's sight, a page of 100 items no longer makes it
            # walk all of it again.
            gc.freeze()
            yield
        await close_db_connection(app)

    item_links.install()
    api = instantiate_api(
        client=DinamisClient, extensions=extensions, lifespan=lifespan, settings=settings
    )
    # The client's landing id defaults to a module-level settings object read at import.
    api.client.landing_page_id = settings.stac_fastapi_landing_id
    # stac-fastapi's landing page says 1.0.0 (stac-pydantic's); items and collections are 1.1.0.
    api.client.stac_version = STAC_VERSION
    api.add_route_dependencies(TRANSACTION_SCOPES, [Depends(require_admin)])
    api.app.include_router(access_router)
    api.app.include_router(collection_assets_router)
    # What packages contribute (imagery requests under /stapi, ...); after access, whose pool
    # and policy they use.
    for router in api_routers():
        api.app.include_router(router)
        # Standards a router implements (OGC API - Processes, ...) belong in /conformance.
        api.client.base_conformance_classes = [
            *api.client.base_conformance_classes,
            *getattr(router, "conformance", ()),
        ]
    # Outermost, so that stac-fastapi's own proxy middleware sees only what a trusted proxy said.
    api.app.add_middleware(
        ForwardedMiddleware,
        trusted_proxies=settings.trusted_proxies,
        public_url=settings.public_url,
    )
    # pgSTAC rejects what it cannot search (an unknown CQL2 operator, a bad property) with
    # RAISE EXCEPTION: the request was at fault, not the server.
    # Text PostgreSQL cannot store (NUL where the guard did not look, say) is the same, and so
    # is a value it cannot read as its type (a datetime of "2024", a number past a double's).
    add_exception_handlers(
        api.app,
        {
            RaiseError: status.HTTP_400_BAD_REQUEST,
            UntranslatableCharacterError: status.HTTP_400_BAD_REQUEST,
            CharacterNotInRepertoireError: status.HTTP_400_BAD_REQUEST,
            DataError: status.HTTP_400_BAD_REQUEST,
        },
    )
    # stac-fastapi's own 400, which failed to encode an echoed NaN or lone surrogate.
    api.app.add_exception_handler(
        RequestValidationError, validation_handler(status.HTTP_400_BAD_REQUEST, with_body=True)
    )
    api.app.add_exception_handler(PostgresSyntaxError, _free_text_error)
    add_outage_handlers(api.app, db)
    api.app.add_exception_handler(RefusedError, refused)
    _tune_compression(api.app, settings)
    # Innermost (CORS and proxy headers still apply to its answers), yet before any parsing.
    api.app.user_middleware.append(
        Middleware(SearchLimitsMiddleware, limits=limits or SearchLimits())
    )
    return api.app


async def _free_text_error(request: Request, error: Exception) -> JSONResponse:
    """pgSTAC turns a collection search's ``q`` into a PostgreSQL text query, which refuses
    what it cannot parse (a lone quote, a trailing ``&``): the request's fault. Any other
    syntax error is the server's own, and stays a 500."""
    if "tsquery" not in str(error):
        raise error
    return JSONResponse(
        {"code": "InvalidQueryParameter", "description": f"q cannot be searched: {error}."},
        status.HTTP_400_BAD_REQUEST,
    )


def _tune_compression(app: FastAPI, settings: ApiSettings) -> None:
    """stac-fastapi's Brotli middleware, at the quality and minimum size of the settings (it
    adds it with the library's defaults and takes no options for it)."""
    app.user_middleware[:] = [
        Middleware(
            BrotliMiddleware,
            quality=settings.compression_quality,
            minimum_size=settings.compression_minimum_size,
        )
        if middleware.cls is BrotliMiddleware
        else middleware
        for middleware in app.user_middleware
    ]

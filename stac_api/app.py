"""The STAC API application, composed as stac-fastapi-pgstac's own ``app.py`` does it."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from asyncpg.exceptions import RaiseError
from fastapi import FastAPI, status
from stac_fastapi.api.errors import add_exception_handlers
from stac_fastapi.pgstac.app import instantiate_api
from stac_fastapi.pgstac.config import PostgresSettings
from stac_fastapi.pgstac.db import close_db_connection, connect_to_db

from dinamis.database import postgres_env
from stac_api.client import DinamisClient
from stac_api.extensions import extensions as build_extensions
from stac_api.settings import ApiSettings


def create_app(database_url: str | None = None, settings: ApiSettings | None = None) -> FastAPI:
    """A STAC API on ``database_url``, else on the PG* variables stac-fastapi-pgstac reads."""
    settings = settings or ApiSettings()
    extensions = build_extensions(settings)
    postgres = (
        PostgresSettings(**{k.lower(): v for k, v in postgres_env(database_url).items()})
        if database_url
        else None
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await connect_to_db(
            app,
            postgres_settings=postgres,
            add_write_connection_pool=bool(extensions.transaction),
        )
        yield
        await close_db_connection(app)

    api = instantiate_api(
        client=DinamisClient, extensions=extensions, lifespan=lifespan, settings=settings
    )
    # The client's landing id defaults to a module-level settings object read at import.
    api.client.landing_page_id = settings.stac_fastapi_landing_id
    # pgSTAC rejects what it cannot search (an unknown CQL2 operator, a bad property) with
    # RAISE EXCEPTION: the request was at fault, not the server.
    add_exception_handlers(api.app, {RaiseError: status.HTTP_400_BAD_REQUEST})
    return api.app

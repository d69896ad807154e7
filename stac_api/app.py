"""The STAC API application, composed as stac-fastapi-pgstac's own ``app.py`` does it."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from stac_fastapi.pgstac.app import instantiate_api
from stac_fastapi.pgstac.config import PostgresSettings
from stac_fastapi.pgstac.db import close_db_connection, connect_to_db
from stac_fastapi.pgstac.models.extensions import Extensions

from dinamis.database import postgres_env
from stac_api.settings import ApiSettings


def create_app(database_url: str | None = None, settings: ApiSettings | None = None) -> FastAPI:
    """A STAC API on ``database_url`` (else the PG* environment, as stac-fastapi-pgstac reads it)."""
    settings = settings or ApiSettings()
    extensions = Extensions(settings=settings)
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

    return instantiate_api(extensions=extensions, lifespan=lifespan, settings=settings).app

"""An app composed as the real STAC API will be (stac-fastapi-pgstac + the access router) plus
tile-like and crop-like routes guarded as the tiler's will be, served over real HTTP, with a
real COG in storage and people in every state the policy distinguishes."""

import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import numpy as np
import psycopg
import pytest
import rasterio
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Depends, FastAPI, Request
from jwt.algorithms import RSAAlgorithm
from pypgstac.load import Loader, Methods
from rasterio.transform import from_bounds
from rio_cogeo.cogeo import cog_translate
from rio_cogeo.profiles import cog_profiles
from stac_fastapi.pgstac.app import instantiate_api
from stac_fastapi.pgstac.config import PostgresSettings
from stac_fastapi.pgstac.core import CoreCrudClient
from stac_fastapi.pgstac.db import close_db_connection, connect_to_db

from access import store
from access.dependencies import (
    record_event,
    require_admin,
    require_collection_access,
    require_search_access,
)
from access.migrate import migrate
from access.models import EntityCategory, EventKind, Role
from access.routes import router
from access.settings import access_settings
from access.stac import TRANSACTION_SCOPES, present_item
from access.state import installed
from dinamis.database import pgstac_db, postgres_env
from dinamis.serve import BackgroundServer
from dinamis.settings import Settings
from stac_api.extensions import extensions as stac_extensions
from stac_api.settings import ApiSettings

BOUNDS = (69.30, -49.42, 69.32, -49.40)  # Kerguelen: no sample scene anywhere near


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def access_url(database_url: str, collection_ids: list[str]) -> str:
    migrate(database_url)
    return database_url


def write_cog(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (np.arange(512 * 512, dtype=np.uint32).reshape(1, 512, 512) % 251).astype("uint8")
    profile = {
        "driver": "GTiff",
        "width": 512,
        "height": 512,
        "count": 1,
        "dtype": "uint8",
        "crs": "EPSG:4326",
        "transform": from_bounds(*BOUNDS, 512, 512),
    }
    with rasterio.MemoryFile() as memfile:
        with memfile.open(**profile) as src:
            src.write(data)
        with memfile.open() as src:
            cog_translate(src, str(path), cog_profiles.get("deflate"), quiet=True)
    return path


def stac_item(collection: str, item_id: str, href: str) -> dict[str, Any]:
    west, south, east, north = BOUNDS
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {
        "type": "Feature",
        "stac_version": "1.1.0",
        "id": item_id,
        "collection": collection,
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "bbox": list(BOUNDS),
        "properties": {"datetime": "2024-05-01T10:30:00Z"},
        "links": [],
        "assets": {
            "image": {
                "href": href,
                "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                "roles": ["data"],
            }
        },
    }


@dataclass(frozen=True)
class Items:
    licensed: tuple[str, str]
    open: tuple[str, str]
    outside: tuple[str, str]
    """An item whose asset lies outside the storage roots."""
    cog: Path


@pytest.fixture(scope="session")
def items(access_url: str, settings: Settings) -> Items:
    """Items of the real Pléiades (licensed) and Spot World Heritage (open) collections, far
    from any sample scene so that other suites' searches and mosaics never meet them."""
    cog = write_cog(settings.storage / "pleiades" / "ACCESS-TEST-PHR" / "image.tif")
    swh = write_cog(settings.storage / "spot-world-heritage" / "ACCESS-TEST-SWH" / "image.tif")
    # A genuine COG, but outside the storage roots: the download must refuse it all the same.
    outside = write_cog(settings.data_dir / "outside" / "image.tif")
    with pgstac_db(access_url) as db:
        Loader(db).load_items(
            iter(
                [
                    stac_item("pleiades", "ACCESS-TEST-PHR", str(cog)),
                    stac_item("spot-world-heritage", "ACCESS-TEST-SWH", f"file://{swh}"),
                    stac_item("pleiades", "ACCESS-TEST-OUTSIDE", str(outside)),
                ]
            ),
            insert_mode=Methods.upsert,
        )
    return Items(
        licensed=("pleiades", "ACCESS-TEST-PHR"),
        open=("spot-world-heritage", "ACCESS-TEST-SWH"),
        outside=("pleiades", "ACCESS-TEST-OUTSIDE"),
        cog=cog,
    )


class PresentingClient(CoreCrudClient):
    """What the STAC API will do: public download hrefs and auth fields on every item."""

    async def _search_base(self, search_request: Any, request: Request) -> Any:
        collection = await super()._search_base(search_request, request)
        licensed = (await request.app.state.access.licences()).keys()
        for item in collection.get("features", []):
            present_item(item, str(request.base_url), licensed)
        return collection


@dataclass(frozen=True)
class Issuer:
    """A stand-in OpenID Connect provider: its signing key and where its JWKS is served."""

    url: str
    kid: str
    private_key: rsa.RSAPrivateKey

    def token(self, email: str, **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": self.url, "sub": email, "email": email, "iat": now, "exp": now + 300}
        return jwt.encode({**payload, **claims}, self.private_key, "RS256", {"kid": self.kid})


@pytest.fixture(scope="session")
def issuer() -> Iterator[Issuer]:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    app = FastAPI()

    @app.get("/jwks.json")
    def jwks() -> dict[str, Any]:
        return {"keys": [{**jwk, "kid": "test-key", "alg": "RS256", "use": "sig"}]}

    port = free_port()
    server = BackgroundServer(app, port).start()
    yield Issuer(url=server.url, kid="test-key", private_key=private_key)
    server.stop()


def create_app(database_url: str, settings: Settings, public_url: str, issuer: Issuer) -> FastAPI:
    access = access_settings(
        settings,
        sign_origins=[public_url],
        oidc_issuer=issuer.url,
        oidc_jwks_url=f"{issuer.url}/jwks.json",
    )
    postgres = PostgresSettings(**{k.lower(): v for k, v in postgres_env(database_url).items()})

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await connect_to_db(app, postgres_settings=postgres, add_write_connection_pool=True)
        async with installed(app, database_url, access):
            yield
        await close_db_connection(app)

    api_settings = ApiSettings(enable_transactions_extensions=True)
    api = instantiate_api(
        client=PresentingClient,
        extensions=stac_extensions(api_settings),
        lifespan=lifespan,
        settings=api_settings,
    )
    api.add_route_dependencies(TRANSACTION_SCOPES, [Depends(require_admin)])
    app = api.app
    app.include_router(router)

    # Stand-ins for titiler-pgstac's item routes, guarded as the tiler will guard them.
    @app.get(
        "/collections/{collection_id}/items/{item_id}/tiles/{z}/{x}/{y}",
        dependencies=[Depends(require_collection_access())],
    )
    def tile(collection_id: str, item_id: str, z: int, x: int, y: int) -> dict[str, int]:
        return {"z": z, "x": x, "y": y}

    @app.get(
        "/collections/{collection_id}/items/{item_id}/bbox/{minx},{miny},{maxx},{maxy}.png",
        dependencies=[Depends(require_collection_access()), Depends(record_event(EventKind.CROP))],
    )
    def crop(collection_id: str, item_id: str) -> dict[str, str]:
        return {"item": item_id}

    @app.get(
        "/searches/{search_id}/tiles/{z}/{x}/{y}",
        dependencies=[Depends(require_search_access())],
    )
    def mosaic_tile(search_id: str, z: int, x: int, y: int) -> dict[str, int]:
        return {"z": z, "x": x, "y": y}

    @app.get("/collections/{collection_id}/items/{item_id}/unguarded/{z}/{x}/{y}")
    def unguarded(collection_id: str, item_id: str, z: int, x: int, y: int) -> dict[str, int]:
        return {"z": z, "x": x, "y": y}

    return app


@pytest.fixture(scope="session")
def server_url(access_url: str, settings: Settings, items: Items, issuer: Issuer) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = BackgroundServer(create_app(access_url, settings, url, issuer), port).start()
    yield url
    server.stop()


@dataclass(frozen=True)
class People:
    """API keys (secrets) of users in each state, and ids for the management routes."""

    entitled: str
    no_licence: str
    disabled: str
    expired: str
    revoked: str
    unacknowledged: str
    awaiting_approval: str
    suspended_entity: str
    referent: str
    admin: str
    own_pending_user: int
    other_pending_user: int
    entity_id: int
    other_entity_id: int


def _member(
    conn: psycopg.Connection, name: str, category: EntityCategory = EntityCategory.FRENCH_RESEARCH
) -> int:
    entity = store.create_entity(conn, name, category)
    store.activate_entity(conn, entity.id)
    store.accept_membership(conn, entity.id, "2024")
    return entity.id


def _user(
    conn: psycopg.Connection,
    entity: int,
    email: str,
    *,
    role: Role = Role.USER,
    acknowledge: bool = True,
) -> int:
    user = store.create_user(conn, entity, email, email.split("@")[0], role)
    store.activate_user(conn, user.id)
    if acknowledge:
        store.acknowledge_licence(conn, user.id, "airbus-dinamis")
    return user.id


def _key(conn: psycopg.Connection, user_id: int, expires: datetime | None = None) -> str:
    return store.issue_key(conn, user_id, expires).secret


@pytest.fixture(scope="session")
def people(access_url: str) -> People:
    with psycopg.connect(access_url) as conn:
        ign = _member(conn, "IGN test")
        store.accept_licence(conn, ign, "airbus-dinamis")
        lab = _member(conn, "Labo sans licence")
        foreign = _member(conn, "Foreign university", EntityCategory.FOREIGN_RESEARCH)
        store.accept_licence(conn, foreign, "airbus-dinamis")
        suspended = _member(conn, "Suspended lab")
        store.accept_licence(conn, suspended, "airbus-dinamis")
        store.suspend_entity(conn, suspended)

        alice = _user(conn, ign, "alice@ign.test")
        carol = _user(conn, ign, "carol@ign.test")
        store.disable_user(conn, carol)
        revoked = store.issue_key(conn, alice)
        store.revoke_key(conn, revoked.prefix)
        rita = _user(conn, ign, "rita@ign.test", role=Role.REFERENT)
        paul = store.create_user(conn, ign, "paul@ign.test", "Paul")
        quentin = store.create_user(conn, lab, "quentin@lab.test", "Quentin")
        return People(
            entitled=_key(conn, alice),
            no_licence=_key(conn, _user(conn, lab, "bob@lab.test")),
            disabled=_key(conn, carol),
            expired=_key(conn, alice, datetime.now(UTC) - timedelta(minutes=1)),
            revoked=revoked.secret,
            unacknowledged=_key(conn, _user(conn, ign, "dave@ign.test", acknowledge=False)),
            awaiting_approval=_key(conn, _user(conn, foreign, "fay@uni.test")),
            suspended_entity=_key(conn, _user(conn, suspended, "sam@susp.test")),
            referent=_key(conn, rita),
            admin=_key(conn, _user(conn, ign, "ada@dinamis.test", role=Role.ADMIN)),
            own_pending_user=paul.id,
            other_pending_user=quentin.id,
            entity_id=ign,
            other_entity_id=lab,
        )

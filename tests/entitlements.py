"""Access-control test data: people in every state the policy distinguishes, items of a licensed
and an open collection over a real COG, and a stand-in OpenID Connect provider."""

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import numpy as np
import psycopg
from cryptography.hazmat.primitives.asymmetric import rsa
from pypgstac.load import Loader, Methods
from rasterio.transform import from_bounds

from access import store
from access.models import EntityCategory, Role
from dinamis.database import pgstac_db
from dinamis.settings import Settings
from tests import cogs

BOUNDS = (69.30, -49.42, 69.32, -49.40)  # Kerguelen: no sample scene anywhere near


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def write_cog(path: Path) -> Path:
    data = (np.arange(512 * 512, dtype=np.uint32).reshape(1, 512, 512) % 251).astype("uint8")
    return cogs.write_cog(path, data, "EPSG:4326", from_bounds(*BOUNDS, 512, 512), nodata=None)


def stac_item(collection: str, item_id: str, cog: Path, href: str) -> dict[str, Any]:
    return cogs.cog_item(
        item_id, collection, cog, href=href, asset="image", datetime="2024-05-01T10:30:00Z"
    )


@dataclass(frozen=True)
class Items:
    licensed: tuple[str, str]
    open: tuple[str, str]
    outside: tuple[str, str]
    """An item whose asset lies outside the storage roots."""
    cog: Path


def load_items(database_url: str, settings: Settings) -> Items:
    """Items of the real Pléiades (licensed) and Spot World Heritage (open) collections, far
    from any sample scene so that other suites' searches and mosaics never meet them."""
    cog = write_cog(settings.storage / "pleiades" / "ACCESS-TEST-PHR" / "image.tif")
    swh = write_cog(settings.storage / "spot-world-heritage" / "ACCESS-TEST-SWH" / "image.tif")
    # A genuine COG, but outside the storage roots: the download must refuse it all the same.
    outside = write_cog(settings.data_dir / "outside" / "image.tif")
    with pgstac_db(database_url) as db:
        Loader(db).load_items(
            iter(
                [
                    stac_item("pleiades", "ACCESS-TEST-PHR", cog, str(cog)),
                    stac_item("spot-world-heritage", "ACCESS-TEST-SWH", swh, f"file://{swh}"),
                    stac_item("pleiades", "ACCESS-TEST-OUTSIDE", outside, str(outside)),
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
    operator: str
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


def register_people(database_url: str) -> People:
    with psycopg.connect(database_url) as conn:
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
            operator=_key(conn, _user(conn, ign, "otto@dinamis.test", role=Role.OPERATOR)),
            own_pending_user=paul.id,
            other_pending_user=quentin.id,
            entity_id=ign,
            other_entity_id=lab,
        )


def events(database_url: str, user_email: str | None, kind: str, at_least: int = 0) -> list[tuple]:
    """Events of a user (``None``: anonymous), waiting a little for ``at_least`` of them: they
    are written after the response is sent."""
    deadline = time.monotonic() + 5
    with psycopg.connect(database_url, autocommit=True) as conn:
        while True:
            rows = conn.execute(
                "SELECT e.collection, e.item, e.asset, e.bytes, e.area_km2"
                " FROM dinamis_access.download_event e"
                ' LEFT JOIN dinamis_access."user" u ON u.id = e.user_id'
                " WHERE e.kind = %s AND u.email IS NOT DISTINCT FROM %s ORDER BY e.id",
                (kind, user_email),
            ).fetchall()
            if len(rows) >= at_least or time.monotonic() > deadline:
                return rows
            time.sleep(0.02)

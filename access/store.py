"""Reading and writing the ``dinamis_access`` schema with psycopg.

Every function takes an open connection and leaves the transaction to the caller, so a CLI
command or a request can group several calls and commit once.
"""

import hashlib
import secrets
from datetime import date, datetime
from typing import Any, Protocol

import psycopg
from psycopg.rows import dict_row

from access.models import (
    DownloadEvent,
    Entity,
    EntityCategory,
    EntityStatus,
    IssuedKey,
    Licence,
    Principal,
    Role,
    User,
    UserStatus,
)
from access.policy import OPERATOR_ROLES

KEY_PREFIX = "dnm"


class NotFoundError(LookupError):
    """The entity, user, key or licence named does not exist."""


class ForbiddenError(PermissionError):
    """The acting user may not do this."""


def _one(conn: psycopg.Connection, query: str, params: tuple[Any, ...], what: str) -> dict:
    row = conn.cursor(row_factory=dict_row).execute(query, params).fetchone()
    if row is None:
        raise NotFoundError(what)
    return row


# -- entities -------------------------------------------------------------------------------

_ENTITY = (
    "SELECT id, name, category::text, country, status::text, referent_user_id,"
    " membership_version, membership_accepted_at FROM dinamis_access.entity"
)


def _entity(row: dict) -> Entity:
    return Entity(
        **{
            **row,
            "category": EntityCategory(row["category"]),
            "status": EntityStatus(row["status"]),
        }
    )


def create_entity(
    conn: psycopg.Connection, name: str, category: EntityCategory, country: str = "FR"
) -> Entity:
    row = _one(
        conn,
        "INSERT INTO dinamis_access.entity (name, category, country) VALUES (%s, %s, %s)"
        " RETURNING id",
        (name, category.value, country.upper()),
        name,
    )
    return get_entity(conn, row["id"])


def get_entity(conn: psycopg.Connection, entity_id: int) -> Entity:
    return _entity(_one(conn, f"{_ENTITY} WHERE id = %s", (entity_id,), f"entity {entity_id}"))


def list_entities(conn: psycopg.Connection) -> list[Entity]:
    rows = conn.cursor(row_factory=dict_row).execute(f"{_ENTITY} ORDER BY name").fetchall()
    return [_entity(row) for row in rows]


def set_entity_status(conn: psycopg.Connection, entity_id: int, status: EntityStatus) -> None:
    _one(
        conn,
        "UPDATE dinamis_access.entity SET status = %s WHERE id = %s RETURNING id",
        (status.value, entity_id),
        f"entity {entity_id}",
    )


def activate_entity(conn: psycopg.Connection, entity_id: int) -> None:
    set_entity_status(conn, entity_id, EntityStatus.ACTIVE)


def activation_missing(conn: psycopg.Connection, entity_id: int) -> list[str]:
    """What the entity has yet to accept before its activation: the membership charter, and
    the current version of every licence (empty when it may be activated)."""
    entity = get_entity(conn, entity_id)
    missing = [] if entity.membership_version else ["the membership charter"]
    rows = conn.execute(
        "SELECT l.code FROM dinamis_access.licence l LEFT JOIN dinamis_access.entity_licence a"
        " ON a.licence_code = l.code AND a.entity_id = %s AND a.version = l.version"
        " WHERE a.entity_id IS NULL ORDER BY l.code",
        (entity_id,),
    ).fetchall()
    return missing + [f"licence {code}" for (code,) in rows]


def suspend_entity(conn: psycopg.Connection, entity_id: int) -> None:
    set_entity_status(conn, entity_id, EntityStatus.SUSPENDED)


def accept_membership(
    conn: psycopg.Connection, entity_id: int, version: str, accepted_by: int | None = None
) -> None:
    """Record that the entity signed the DINAMIS membership charter ``version``."""
    _one(
        conn,
        "UPDATE dinamis_access.entity SET membership_version = %s, membership_accepted_by = %s,"
        " membership_accepted_at = now() WHERE id = %s RETURNING id",
        (version, accepted_by, entity_id),
        f"entity {entity_id}",
    )


# -- licences -------------------------------------------------------------------------------


def list_licences(conn: psycopg.Connection) -> list[Licence]:
    rows = conn.cursor(row_factory=dict_row).execute(
        "SELECT code, version, title, url, collections, approval_categories::text[]"
        " AS approval_categories FROM dinamis_access.licence ORDER BY code"
    )
    return [
        Licence(
            **{
                **row,
                "collections": tuple(row["collections"]),
                "approval_categories": frozenset(
                    EntityCategory(c) for c in row["approval_categories"]
                ),
            }
        )
        for row in rows
    ]


def licences_by_collection(conn: psycopg.Connection) -> dict[str, Licence]:
    """Each licensed collection and its licence; collections absent are open."""
    return {cid: licence for licence in list_licences(conn) for cid in licence.collections}


def accept_licence(
    conn: psycopg.Connection,
    entity_id: int,
    code: str,
    accepted_by: int | None = None,
    provider_approved: bool = False,
) -> None:
    """The entity accepts the current version of licence ``code`` (again, after a new version)."""
    _one(
        conn,
        "INSERT INTO dinamis_access.entity_licence"
        " (entity_id, licence_code, version, accepted_by, provider_approved, provider_approved_at)"
        " SELECT %(entity)s, code, version, %(by)s, %(approved)s,"
        "  CASE WHEN %(approved)s THEN now() END FROM dinamis_access.licence WHERE code = %(code)s"
        " ON CONFLICT (entity_id, licence_code) DO UPDATE SET version = excluded.version,"
        "  accepted_at = now(), accepted_by = excluded.accepted_by,"
        "  provider_approved = entity_licence.provider_approved OR excluded.provider_approved,"
        "  provider_approved_at = coalesce(entity_licence.provider_approved_at,"
        "   excluded.provider_approved_at)"
        " RETURNING entity_id",
        {"entity": entity_id, "code": code, "by": accepted_by, "approved": provider_approved},
        f"licence {code}",
    )


def approve_licence(conn: psycopg.Connection, entity_id: int, code: str) -> None:
    """The provider approves an entity's acceptance (needed for some entity categories)."""
    _one(
        conn,
        "UPDATE dinamis_access.entity_licence SET provider_approved = true,"
        " provider_approved_at = now() WHERE entity_id = %s AND licence_code = %s"
        " RETURNING entity_id",
        (entity_id, code),
        f"acceptance of {code} by entity {entity_id}",
    )


def acknowledge_licence(conn: psycopg.Connection, user_id: int, code: str) -> None:
    _one(
        conn,
        "INSERT INTO dinamis_access.user_licence_ack (user_id, licence_code)"
        " SELECT %s, code FROM dinamis_access.licence WHERE code = %s"
        " ON CONFLICT (user_id, licence_code) DO UPDATE SET acknowledged_at = now()"
        " RETURNING user_id",
        (user_id, code),
        f"licence {code}",
    )


# -- users ----------------------------------------------------------------------------------

_USER = 'SELECT id, entity_id, email, name, role::text, status::text FROM dinamis_access."user"'


def _user(row: dict) -> User:
    return User(**{**row, "role": Role(row["role"]), "status": UserStatus(row["status"])})


def create_user(
    conn: psycopg.Connection, entity_id: int, email: str, name: str, role: Role = Role.USER
) -> User:
    """A pending user; a referent also becomes the entity's referent of record."""
    row = _one(
        conn,
        'INSERT INTO dinamis_access."user" (entity_id, email, name, role)'
        " VALUES (%s, %s, %s, %s) RETURNING id",
        (entity_id, email, name, role.value),
        email,
    )
    if role is Role.REFERENT:
        conn.execute(
            "UPDATE dinamis_access.entity SET referent_user_id = %s WHERE id = %s",
            (row["id"], entity_id),
        )
    return get_user(conn, row["id"])


def get_user(conn: psycopg.Connection, user_id: int) -> User:
    return _user(_one(conn, f"{_USER} WHERE id = %s", (user_id,), f"user {user_id}"))


def find_user(conn: psycopg.Connection, email: str) -> User:
    return _user(_one(conn, f"{_USER} WHERE lower(email) = lower(%s)", (email,), email))


def list_users(conn: psycopg.Connection, entity_id: int | None = None) -> list[User]:
    rows = conn.cursor(row_factory=dict_row).execute(
        f"{_USER} WHERE %(entity)s::bigint IS NULL OR entity_id = %(entity)s ORDER BY email",
        {"entity": entity_id},
    )
    return [_user(row) for row in rows]


class Actor(Protocol):
    """Whoever acts: a :class:`User` or an authenticated :class:`Principal`."""

    @property
    def role(self) -> Role: ...

    @property
    def entity_id(self) -> int: ...


def check_manages(actor: Actor | None, entity_id: int) -> None:
    """Operators manage every entity, a referent only their own; ``None`` is the CLI."""
    if actor is None or actor.role in OPERATOR_ROLES:
        return
    if actor.role is Role.REFERENT and actor.entity_id == entity_id:
        return
    raise ForbiddenError(
        f"a {actor.role.value} of entity {actor.entity_id} cannot manage {entity_id}"
    )


def set_user_status(
    conn: psycopg.Connection, user_id: int, status: UserStatus, actor: Actor | None = None
) -> User:
    check_manages(actor, get_user(conn, user_id).entity_id)
    conn.execute(
        'UPDATE dinamis_access."user" SET status = %s WHERE id = %s', (status.value, user_id)
    )
    return get_user(conn, user_id)


def activate_user(conn: psycopg.Connection, user_id: int, actor: Actor | None = None) -> User:
    return set_user_status(conn, user_id, UserStatus.ACTIVE, actor)


def disable_user(conn: psycopg.Connection, user_id: int, actor: Actor | None = None) -> User:
    return set_user_status(conn, user_id, UserStatus.DISABLED, actor)


# -- API keys -------------------------------------------------------------------------------


def hash_secret(secret: str) -> str:
    # Keys are long random strings, so a fast unsalted hash is enough (no dictionary to attack)
    # and keeps the lookup a single indexed equality.
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_key(
    conn: psycopg.Connection, user_id: int, expires_at: datetime | None = None
) -> IssuedKey:
    prefix = secrets.token_hex(4)
    secret = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    row = _one(
        conn,
        "INSERT INTO dinamis_access.api_key (user_id, prefix, secret_sha256, expires_at)"
        " VALUES (%s, %s, %s, %s) RETURNING id",
        (user_id, prefix, hash_secret(secret), expires_at),
        f"user {user_id}",
    )
    return IssuedKey(id=row["id"], prefix=prefix, secret=secret, expires_at=expires_at)


def revoke_key(conn: psycopg.Connection, prefix: str) -> None:
    _one(
        conn,
        "UPDATE dinamis_access.api_key SET revoked_at = coalesce(revoked_at, now())"
        " WHERE prefix = %s RETURNING id",
        (prefix,),
        f"API key {prefix}",
    )


_PRINCIPAL_COLUMNS = """
u.id AS user_id, u.email, u.role::text, u.status::text AS user_status,
e.id AS entity_id, e.name AS entity_name, e.category::text AS entity_category,
e.status::text AS entity_status, e.membership_accepted_at IS NOT NULL AS membership_accepted,
ARRAY(SELECT licence_code FROM dinamis_access.entity_licence
      WHERE entity_id = e.id) AS accepted_licences,
ARRAY(SELECT licence_code FROM dinamis_access.entity_licence
      WHERE entity_id = e.id AND provider_approved) AS approved_licences,
ARRAY(SELECT licence_code FROM dinamis_access.user_licence_ack
      WHERE user_id = u.id) AS acknowledged_licences
FROM dinamis_access."user" u JOIN dinamis_access.entity e ON e.id = u.entity_id
"""
_PRINCIPAL_BY_KEY = f"""
SELECT k.id AS key_id, k.expires_at AS key_expires_at, {_PRINCIPAL_COLUMNS}
JOIN dinamis_access.api_key k ON k.user_id = u.id
WHERE k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
"""


def _principal(row: dict | None) -> Principal | None:
    if row is None:
        return None
    return Principal(
        **{
            **row,
            "role": Role(row["role"]),
            "user_status": UserStatus(row["user_status"]),
            "entity_category": EntityCategory(row["entity_category"]),
            "entity_status": EntityStatus(row["entity_status"]),
            "accepted_licences": frozenset(row["accepted_licences"]),
            "approved_licences": frozenset(row["approved_licences"]),
            "acknowledged_licences": frozenset(row["acknowledged_licences"]),
        }
    )


def resolve_key(conn: psycopg.Connection, secret: str) -> Principal | None:
    """The owner of a live (unexpired, unrevoked) key, whatever their status; else ``None``."""
    if not secret.startswith(f"{KEY_PREFIX}_"):
        return None
    cursor = conn.cursor(row_factory=dict_row)
    row = cursor.execute(f"{_PRINCIPAL_BY_KEY} AND k.secret_sha256 = %s", (hash_secret(secret),))
    return _principal(row.fetchone())


def record_key_use(conn: psycopg.Connection, key_id: int, day: date) -> None:
    """Note that key ``key_id`` was used on ``day`` (once: later uses that day change nothing)."""
    conn.execute(
        "INSERT INTO dinamis_access.api_key_use (key_id, day) VALUES (%s, %s)"
        " ON CONFLICT DO NOTHING",
        (key_id, day),
    )


def resolve_key_id(conn: psycopg.Connection, key_id: int) -> Principal | None:
    """As :func:`resolve_key`, for a signed token that names the key it was issued from."""
    cursor = conn.cursor(row_factory=dict_row)
    return _principal(cursor.execute(f"{_PRINCIPAL_BY_KEY} AND k.id = %s", (key_id,)).fetchone())


def resolve_email(conn: psycopg.Connection, email: str) -> Principal | None:
    """The registered user with this e-mail address, for an OpenID Connect login."""
    cursor = conn.cursor(row_factory=dict_row)
    query = f"SELECT NULL::bigint AS key_id, {_PRINCIPAL_COLUMNS} WHERE lower(u.email) = lower(%s)"
    return _principal(cursor.execute(query, (email,)).fetchone())


# -- usage ----------------------------------------------------------------------------------


def record_download(conn: psycopg.Connection, event: DownloadEvent) -> None:
    conn.execute(
        "INSERT INTO dinamis_access.download_event"
        " (user_id, entity_id, collection, item, asset, area_km2, bytes, kind)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (
            event.user_id,
            event.entity_id,
            event.collection,
            event.item,
            event.asset,
            event.area_km2,
            event.bytes,
            event.kind.value,
        ),
    )


def search_collections(conn: psycopg.Connection, search_id: str) -> list[str] | None:
    """Collections a registered pgSTAC search (a titiler-pgstac mosaic) is limited to: empty when
    it is not limited by ``collections``, ``None`` when no such search exists."""
    row = conn.execute(
        "SELECT search->'collections' FROM pgstac.searches WHERE hash = %s", (search_id,)
    ).fetchone()
    if row is None:
        return None
    collections = row[0]
    # Anything but a list of names does not limit pgSTAC's search: treat it as unlimited.
    if not isinstance(collections, list) or not all(isinstance(c, str) for c in collections):
        return []
    return collections


def get_item(conn: psycopg.Connection, collection_id: str, item_id: str) -> dict | None:
    """The hydrated STAC item from pgSTAC, or ``None``."""
    row = conn.execute("SELECT pgstac.get_item(%s, %s)", (item_id, collection_id)).fetchone()
    return row[0] if row else None


def collection_ids(conn: psycopg.Connection) -> list[str]:
    """Every collection of the catalogue."""
    return [row[0] for row in conn.execute("SELECT id FROM pgstac.collections ORDER BY id")]

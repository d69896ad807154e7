"""Reading and writing the ``dinamis_portal`` schema; as :mod:`access.store`, every function
takes an open connection and leaves the transaction to the caller."""

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from psycopg.rows import dict_row

from access import store as access_store
from access.models import EntityCategory

_LINK_KINDS = ("confirm", "status", "invite", "reset")


def _hash(token: str) -> str:
    return access_store.hash_secret(token)


def _now() -> datetime:
    return datetime.now(UTC)


# -- credentials ----------------------------------------------------------------------------


def password_hash(conn: psycopg.Connection, user_id: int) -> str | None:
    row = conn.execute(
        "SELECT password_hash FROM dinamis_portal.credential WHERE user_id = %s", (user_id,)
    ).fetchone()
    return row[0] if row else None


def set_password_hash(conn: psycopg.Connection, user_id: int, hashed: str) -> None:
    conn.execute(
        "INSERT INTO dinamis_portal.credential (user_id, password_hash) VALUES (%s, %s)"
        " ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash,"
        " updated_at = now()",
        (user_id, hashed),
    )


# -- sessions -------------------------------------------------------------------------------


def _cipher(token: str) -> AESGCM:
    # The cookie alone opens the seal: the database holds only the cookie's hash.
    return AESGCM(hmac.digest(token.encode(), b"dinamis portal session key", hashlib.sha256))


def _seal(token: str, secret: str) -> bytes:
    nonce = secrets.token_bytes(12)
    return nonce + _cipher(token).encrypt(nonce, secret.encode(), None)


def _unseal(token: str, sealed: bytes | None) -> str | None:
    if not sealed:
        return None
    try:
        return _cipher(token).decrypt(sealed[:12], sealed[12:], None).decode()
    except InvalidTag:
        return None


def _session_key(conn: psycopg.Connection, token: str, user_id: int, ttl: int) -> tuple[int, bytes]:
    """A new API key for a signed-in session: its id, and its secret sealed with the cookie."""
    issued = access_store.issue_key(conn, user_id, _now() + timedelta(seconds=ttl))
    conn.execute("INSERT INTO dinamis_portal.session_key (key_id) VALUES (%s)", (issued.id,))
    return issued.id, _seal(token, issued.secret)


@dataclass
class Session:
    token: str
    csrf: str
    user_id: int | None = None
    key_id: int | None = None
    basket: list[dict[str, Any]] = field(default_factory=list)
    oidc: dict[str, str] | None = None
    """An OpenID Connect sign-in under way (see :class:`portal.oidc.Attempt`)."""
    api_key: str | None = field(default=None, repr=False)
    """The session key's secret, unsealed with the cookie: the pages' changes through the
    API (imagery requests) are made with it, never shown."""


def create_session(conn: psycopg.Connection, ttl: int, user_id: int | None = None) -> Session:
    """A new session; for a user, with the API key its pages use on the API (tokens are
    issued from its id; its secret is kept only sealed with the cookie)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    key_id, sealed = (
        _session_key(conn, token, user_id, ttl) if user_id is not None else (None, None)
    )
    conn.execute(
        "INSERT INTO dinamis_portal.session"
        " (token_sha256, user_id, key_id, key_sealed, csrf, expires_at)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (_hash(token), user_id, key_id, sealed, csrf, _now() + timedelta(seconds=ttl)),
    )
    if user_id is not None:
        # Kept after sign-out: the usage statistics count who was active when.
        conn.execute("INSERT INTO dinamis_portal.sign_in (user_id) VALUES (%s)", (user_id,))
    api_key = _unseal(token, sealed)
    return Session(token=token, csrf=csrf, user_id=user_id, key_id=key_id, api_key=api_key)


def get_session(conn: psycopg.Connection, token: str, ttl: int) -> Session | None:
    """The live session of a cookie, its life extended; ``None`` when unknown or expired."""
    row = (
        conn.cursor(row_factory=dict_row)
        .execute(
            "UPDATE dinamis_portal.session SET expires_at = greatest(expires_at, %s)"
            " WHERE token_sha256 = %s AND expires_at > now()"
            " RETURNING user_id, key_id, key_sealed, csrf, basket, oidc",
            (_now() + timedelta(seconds=ttl), _hash(token)),
        )
        .fetchone()
    )
    if row is None:
        return None
    if row["key_id"] is not None:
        conn.execute(
            "UPDATE dinamis_access.api_key SET expires_at = %s WHERE id = %s",
            (_now() + timedelta(seconds=ttl), row["key_id"]),
        )
    sealed = row.pop("key_sealed")
    return Session(token=token, api_key=_unseal(token, sealed), **row)


def end_session(conn: psycopg.Connection, token: str) -> None:
    row = conn.execute(
        "DELETE FROM dinamis_portal.session WHERE token_sha256 = %s RETURNING key_id",
        (_hash(token),),
    ).fetchone()
    if row and row[0] is not None:
        conn.execute(
            "UPDATE dinamis_access.api_key SET revoked_at = now() WHERE id = %s", (row[0],)
        )
    conn.execute("DELETE FROM dinamis_portal.session WHERE expires_at < now()")


def save_basket(conn: psycopg.Connection, token: str, basket: list[dict[str, Any]]) -> None:
    conn.execute(
        "UPDATE dinamis_portal.session SET basket = %s WHERE token_sha256 = %s",
        (json.dumps(basket), _hash(token)),
    )


def save_oidc(conn: psycopg.Connection, token: str, attempt: dict[str, str] | None) -> None:
    conn.execute(
        "UPDATE dinamis_portal.session SET oidc = %s WHERE token_sha256 = %s",
        (json.dumps(attempt) if attempt is not None else None, _hash(token)),
    )


# -- mailed links ---------------------------------------------------------------------------


def create_link(
    conn: psycopg.Connection,
    kind: str,
    ttl: int | None,
    *,
    application_id: int | None = None,
    user_id: int | None = None,
) -> str:
    """A new link token of ``kind``; ``ttl`` ``None`` never expires (and is reusable)."""
    assert kind in _LINK_KINDS
    token = secrets.token_urlsafe(32)
    expires = _now() + timedelta(seconds=ttl) if ttl is not None else None
    conn.execute(
        "INSERT INTO dinamis_portal.link"
        " (token_sha256, kind, application_id, user_id, expires_at) VALUES (%s, %s, %s, %s, %s)",
        (_hash(token), kind, application_id, user_id, expires),
    )
    return token


@dataclass(frozen=True)
class Link:
    kind: str
    application_id: int | None
    user_id: int | None
    state: str
    """``valid``, ``used`` or ``expired``."""


def find_link(conn: psycopg.Connection, token: str, kind: str) -> Link | None:
    row = (
        conn.cursor(row_factory=dict_row)
        .execute(
            "SELECT kind::text, application_id, user_id,"
            " CASE WHEN used_at IS NOT NULL THEN 'used'"
            "  WHEN expires_at IS NOT NULL AND expires_at < now() THEN 'expired'"
            "  ELSE 'valid' END AS state"
            " FROM dinamis_portal.link WHERE token_sha256 = %s AND kind = %s",
            (_hash(token), kind),
        )
        .fetchone()
    )
    return Link(**row) if row else None


def use_link(conn: psycopg.Connection, token: str, kind: str) -> Link | None:
    """Spend a single-use link, atomically: ``None`` if it is not (or no longer) valid."""
    row = (
        conn.cursor(row_factory=dict_row)
        .execute(
            "UPDATE dinamis_portal.link SET used_at = now() WHERE token_sha256 = %s"
            " AND kind = %s AND used_at IS NULL AND (expires_at IS NULL OR expires_at > now())"
            " RETURNING kind::text, application_id, user_id, 'valid' AS state",
            (_hash(token), kind),
        )
        .fetchone()
    )
    return Link(**row) if row else None


# -- membership applications ----------------------------------------------------------------


@dataclass(frozen=True)
class Application:
    id: int
    entity_name: str
    category: EntityCategory
    country: str
    identifier: str
    legal_name: str
    legal_email: str
    referent_name: str
    referent_email: str
    purpose: str
    status: str
    refusal: str | None
    charter_version: str | None
    confirmed_at: datetime | None
    decided_at: datetime | None
    entity_id: int | None
    created_at: datetime


_APPLICATION = (
    "SELECT id, entity_name, category::text, country, identifier, legal_name, legal_email,"
    " referent_name, referent_email, purpose, status::text, refusal, charter_version,"
    " confirmed_at, decided_at, entity_id, created_at FROM dinamis_portal.application"
)


def _application(row: dict) -> Application:
    return Application(**{**row, "category": EntityCategory(row["category"])})


def create_application(conn: psycopg.Connection, **fields: Any) -> Application:
    columns = ", ".join(fields)
    values = ", ".join(["%s"] * len(fields))
    row = conn.execute(
        f"INSERT INTO dinamis_portal.application ({columns}) VALUES ({values}) RETURNING id",
        tuple(v.value if isinstance(v, EntityCategory) else v for v in fields.values()),
    ).fetchone()
    assert row is not None
    return get_application(conn, row[0])


def get_application(conn: psycopg.Connection, application_id: int) -> Application:
    row = (
        conn.cursor(row_factory=dict_row)
        .execute(f"{_APPLICATION} WHERE id = %s", (application_id,))
        .fetchone()
    )
    if row is None:
        raise access_store.NotFoundError(f"application {application_id}")
    return _application(row)


def list_applications(conn: psycopg.Connection) -> list[Application]:
    rows = conn.cursor(row_factory=dict_row).execute(
        f"{_APPLICATION} ORDER BY status = 'confirmed' DESC, created_at DESC"
    )
    return [_application(row) for row in rows]


def update_application(conn: psycopg.Connection, application_id: int, **fields: Any) -> None:
    assignments = ", ".join(f"{name} = %s" for name in fields)
    conn.execute(
        f"UPDATE dinamis_portal.application SET {assignments} WHERE id = %s",
        (*fields.values(), application_id),
    )


def user_keys(conn: psycopg.Connection, user_id: int) -> list[dict[str, Any]]:
    """The user's own API keys, not those the portal minted for its sessions."""
    return (
        conn.cursor(row_factory=dict_row)
        .execute(
            "SELECT k.prefix, k.created_at, k.expires_at, k.revoked_at,"
            " k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now()) AS live"
            " FROM dinamis_access.api_key k WHERE k.user_id = %s AND NOT EXISTS"
            " (SELECT 1 FROM dinamis_portal.session_key p WHERE p.key_id = k.id)"
            " ORDER BY k.created_at DESC",
            (user_id,),
        )
        .fetchall()
    )


def renew_session_key(conn: psycopg.Connection, token: str, ttl: int) -> None:
    """Give a signed-in session a new key (and revoke the old): services that cached what the
    old key's user could read before a change start afresh with the new one."""
    row = conn.execute(
        "SELECT user_id, key_id FROM dinamis_portal.session WHERE token_sha256 = %s",
        (_hash(token),),
    ).fetchone()
    if row is None or row[0] is None:
        return
    key_id, sealed = _session_key(conn, token, row[0], ttl)
    conn.execute(
        "UPDATE dinamis_portal.session SET key_id = %s, key_sealed = %s WHERE token_sha256 = %s",
        (key_id, sealed, _hash(token)),
    )
    conn.execute("UPDATE dinamis_access.api_key SET revoked_at = now() WHERE id = %s", (row[1],))

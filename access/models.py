"""Plain records passed between the store, the policy and the web layer."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class EntityCategory(StrEnum):
    FRENCH_PUBLIC_BODY = "french-public-body"
    FRENCH_RESEARCH = "french-research"
    FOREIGN_RESEARCH = "foreign-research"
    PRIVATE_RND = "private-rnd"
    PRIVATE_CONTRACTOR = "private-contractor"


class EntityStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Role(StrEnum):
    USER = "user"
    REFERENT = "referent"
    OPERATOR = "operator"
    """Programme staff: handle applications and imagery requests, see usage statistics."""
    ADMIN = "admin"
    """An operator who may also change the catalogue."""


class UserStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    DISABLED = "disabled"


class EventKind(StrEnum):
    DOWNLOAD = "download"
    CROP = "crop"
    TILE = "tile"


@dataclass(frozen=True)
class Entity:
    id: int
    name: str
    category: EntityCategory
    country: str
    status: EntityStatus
    referent_user_id: int | None
    membership_version: str | None
    membership_accepted_at: datetime | None


@dataclass(frozen=True)
class User:
    id: int
    entity_id: int
    email: str
    name: str
    role: Role
    status: UserStatus


@dataclass(frozen=True)
class Licence:
    code: str
    version: str
    title: str
    url: str | None
    collections: tuple[str, ...]
    approval_categories: frozenset[EntityCategory]


@dataclass(frozen=True)
class IssuedKey:
    """A new API key: ``secret`` is the only copy and must be handed to the user now."""

    id: int
    prefix: str
    secret: str
    expires_at: datetime | None


@dataclass(frozen=True)
class Principal:
    """An authenticated user with everything the policy needs, read in one query."""

    user_id: int
    email: str
    role: Role
    user_status: UserStatus
    entity_id: int
    entity_name: str
    entity_category: EntityCategory
    entity_status: EntityStatus
    membership_accepted: bool
    key_id: int | None
    """The API key used (directly or through a token); ``None`` for an OpenID Connect login."""
    accepted_licences: frozenset[str] = field(default_factory=frozenset)
    """Licences the entity accepted."""
    approved_licences: frozenset[str] = field(default_factory=frozenset)
    """Of those, the ones the provider approved for this entity."""
    acknowledged_licences: frozenset[str] = field(default_factory=frozenset)
    """Licences the user personally acknowledged."""
    key_expires_at: datetime | None = None
    """When the API key used expires (``None``: never, or an OpenID Connect login)."""


@dataclass(frozen=True)
class DownloadEvent:
    collection: str
    kind: EventKind
    item: str | None = None
    asset: str | None = None
    user_id: int | None = None
    entity_id: int | None = None
    bytes: int | None = None
    area_km2: float | None = None

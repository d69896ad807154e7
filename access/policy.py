"""The one rule deciding who reads which collection's imagery."""

from collections.abc import Mapping
from dataclasses import dataclass

from access.models import EntityStatus, Licence, Principal, Role, UserStatus


@dataclass(frozen=True)
class Decision:
    allowed: bool
    status: int = 200
    """401 when credentials are missing or invalid, 403 when they do not suffice."""
    reason: str = ""
    code: str = ""
    """Which condition failed, for pages that say it in the reader's language: ``credentials``,
    ``user-status``, ``entity-status``, ``membership``, ``licence``, ``approval``,
    ``acknowledgment``."""


ALLOWED = Decision(True)

OPERATOR_ROLES = frozenset({Role.OPERATOR, Role.ADMIN})


def is_operator(principal: Principal) -> bool:
    """Programme staff (operators and admins) whose account is active."""
    return principal.role in OPERATOR_ROLES and principal.user_status is UserStatus.ACTIVE


def can_access(
    principal: Principal | None, collection_id: str, licences: Mapping[str, Licence]
) -> Decision:
    """Open collection, or an active user of an active member entity that accepted the
    collection's licence (with the provider's approval when its category requires it) and
    whose user acknowledged it.

    ``licences`` maps licensed collection ids to their licence (see
    :func:`access.store.licences_by_collection`); any other collection is open.
    """
    licence = licences.get(collection_id)
    if licence is None:
        return ALLOWED
    named = f"'{licence.title}' ({licence.code} v{licence.version})"
    if principal is None:
        return Decision(
            False,
            401,
            f"collection '{collection_id}' is licensed under {named}: send a valid DINAMIS "
            "API key (Authorization: Bearer or X-API-Key) or an access_token.",
            "credentials",
        )
    if principal.user_status is not UserStatus.ACTIVE:
        return Decision(
            False, 403, f"your account is {principal.user_status.value}.", "user-status"
        )
    if principal.entity_status is not EntityStatus.ACTIVE:
        return Decision(
            False,
            403,
            f"entity '{principal.entity_name}' is {principal.entity_status.value}.",
            "entity-status",
        )
    if not principal.membership_accepted:
        return Decision(
            False,
            403,
            f"entity '{principal.entity_name}' has not accepted the DINAMIS membership charter.",
            "membership",
        )
    if licence.code not in principal.accepted_licences:
        return Decision(
            False,
            403,
            f"entity '{principal.entity_name}' has not accepted licence {named}.",
            "licence",
        )
    if (
        principal.entity_category in licence.approval_categories
        and licence.code not in principal.approved_licences
    ):
        return Decision(
            False,
            403,
            f"licence {named} awaits the provider's approval for entity '{principal.entity_name}'.",
            "approval",
        )
    if licence.code not in principal.acknowledged_licences:
        return Decision(
            False,
            403,
            f"acknowledge licence {named} first: POST /auth/licences/{licence.code}/acknowledge.",
            "acknowledgment",
        )
    return ALLOWED

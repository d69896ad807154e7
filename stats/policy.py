"""Who sees whose statistics: operators everyone's (or one entity's), referents their own
entity's only, other users none."""

from access.models import Principal, Role, UserStatus
from access.policy import is_operator


class ScopeError(PermissionError):
    """The caller may not see the figures asked; the message says why."""


def entity_scope(principal: Principal, asked: int | None) -> int | None:
    """The entity whose figures the caller gets (``None``: the whole programme's)."""
    if is_operator(principal):
        return asked
    if principal.role is Role.REFERENT and principal.user_status is UserStatus.ACTIVE:
        if asked not in (None, principal.entity_id):
            raise ScopeError("a referent sees the statistics of their own entity only.")
        return principal.entity_id
    raise ScopeError("usage statistics are for DINAMIS operators and entity referents.")

"""The access predicate, case by case, without a database."""

from dataclasses import replace

import pytest

from access.models import EntityCategory, EntityStatus, Licence, Principal, Role, UserStatus
from access.policy import can_access

AIRBUS = Licence(
    code="airbus-dinamis",
    version="1",
    title="Airbus",
    url=None,
    collections=("pleiades",),
    approval_categories=frozenset({EntityCategory.FOREIGN_RESEARCH}),
)
LICENCES = {"pleiades": AIRBUS}
ENTITLED = Principal(
    user_id=1,
    email="a@b.fr",
    role=Role.USER,
    user_status=UserStatus.ACTIVE,
    entity_id=1,
    entity_name="IGN",
    entity_category=EntityCategory.FRENCH_PUBLIC_BODY,
    entity_status=EntityStatus.ACTIVE,
    membership_accepted=True,
    key_id=1,
    accepted_licences=frozenset({"airbus-dinamis"}),
    acknowledged_licences=frozenset({"airbus-dinamis"}),
)


def test_open_collection_is_open_to_anyone() -> None:
    assert can_access(None, "spot-world-heritage", LICENCES).allowed


def test_entitled_user_reads_licensed_collection() -> None:
    assert can_access(ENTITLED, "pleiades", LICENCES).allowed


def test_anonymous_is_401() -> None:
    decision = can_access(None, "pleiades", LICENCES)
    assert (decision.allowed, decision.status) == (False, 401)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"user_status": UserStatus.PENDING}, "account is pending"),
        ({"entity_status": EntityStatus.SUSPENDED}, "is suspended"),
        ({"membership_accepted": False}, "membership charter"),
        ({"accepted_licences": frozenset()}, "has not accepted licence"),
        ({"entity_category": EntityCategory.FOREIGN_RESEARCH}, "provider's approval"),
        ({"acknowledged_licences": frozenset()}, "acknowledge licence"),
    ],
)
def test_each_missing_condition_is_403_with_its_reason(change: dict, reason: str) -> None:
    decision = can_access(replace(ENTITLED, **change), "pleiades", LICENCES)
    assert (decision.allowed, decision.status) == (False, 403)
    assert reason in decision.reason


def test_provider_approval_lifts_the_category_requirement() -> None:
    foreign = replace(
        ENTITLED,
        entity_category=EntityCategory.FOREIGN_RESEARCH,
        approved_licences=frozenset({"airbus-dinamis"}),
    )
    assert can_access(foreign, "pleiades", LICENCES).allowed

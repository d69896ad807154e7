"""Statistics test services: four years of made-up activity, and the people the access rules
tell apart (an operator, a referent of one of the activity's entities, a plain user)."""

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import httpx
import psycopg
import pytest

from access import store as access_store
from access.models import EntityCategory, Role
from tests.entitlements import bearer
from tests.stats.activity import Activity, generate


@dataclass(frozen=True)
class Callers:
    operator: dict[str, str]
    referent: dict[str, str]
    referent_entity: int
    user: dict[str, str]


@pytest.fixture(scope="session")
def activity(database_url: str, collection_ids: list[str]) -> Activity:
    return generate(database_url)


def _key(conn: psycopg.Connection, entity: int, email: str, role: Role) -> dict[str, str]:
    user = access_store.create_user(conn, entity, email, email.split("@")[0], role)
    access_store.activate_user(conn, user.id)
    return bearer(access_store.issue_key(conn, user.id).secret)


@cache
def make_callers(database_url: str) -> Callers:
    """Once per database (the page tests share them with the API's)."""
    # Created now: outside the activity's years, so they change none of its figures.
    entity = generate(database_url).entities[0]["id"]
    with psycopg.connect(database_url) as conn:
        staff = access_store.create_entity(
            conn, "Stats programme staff", EntityCategory.FRENCH_PUBLIC_BODY
        )
        access_store.activate_entity(conn, staff.id)
        return Callers(
            operator=_key(conn, staff.id, "ops@stats.test", Role.OPERATOR),
            referent=_key(conn, entity, "referent@stats.test", Role.REFERENT),
            referent_entity=entity,
            user=_key(conn, entity, "plain@stats.test", Role.USER),
        )


@pytest.fixture(scope="session")
def callers(database_url: str, activity: Activity) -> Callers:
    return make_callers(database_url)


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=120) as client:
        yield client

"""A change made by another process (the portal, the CLI, another server) holds from the very
next request, on the real STAC API over HTTP: the caches that keep keys and licences off the
database are emptied when the database announces the change, and not trusted while it cannot."""

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest

from access import store
from access.changes import APPLICATION_NAME
from tests.entitlements import Items, People, bearer


def download_url(api_url: str, items: Items) -> str:
    collection, item = items.licensed
    return f"{api_url}/collections/{collection}/items/{item}/assets/image/download"


def new_key(database_url: str, email: str, entity_id: int) -> tuple[int, str, str]:
    """A new active user of the entitled entity who acknowledged its licence: id, key prefix
    and key secret."""
    with psycopg.connect(database_url) as conn:
        user = store.create_user(conn, entity_id, email, email.split("@")[0])
        store.activate_user(conn, user.id)
        store.acknowledge_licence(conn, user.id, "airbus-dinamis")
        key = store.issue_key(conn, user.id)
    return user.id, key.prefix, key.secret


CHANGES: dict[str, Callable[[psycopg.Connection, int, str], None]] = {
    "key revoked": lambda conn, _, prefix: store.revoke_key(conn, prefix),
    "user disabled": lambda conn, user_id, _: store.disable_user(conn, user_id),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_made_elsewhere_holds_from_the_next_request(
    api_url: str, access_items: Items, people: People, database_url: str, change: str
) -> None:
    url = download_url(api_url, access_items)
    email = f"{change.replace(' ', '-')}@ign.test"
    user_id, prefix, secret = new_key(database_url, email, people.entity_id)
    for _ in range(2):  # the second answer comes from the caches
        served = httpx.get(url, headers=bearer(secret))
        assert served.status_code == 200, served.text
        assert served.content == access_items.cog.read_bytes()

    with psycopg.connect(database_url) as conn:
        CHANGES[change](conn, user_id, prefix)

    assert httpx.get(url, headers=bearer(secret)).status_code in (401, 403)
    assert httpx.get(url, headers=bearer(people.entitled)).content == access_items.cog.read_bytes()


def test_caches_are_not_trusted_while_changes_are_not_heard(
    api_url: str, access_items: Items, people: People, database_url: str
) -> None:
    url = download_url(api_url, access_items)
    _, prefix, secret = new_key(database_url, "deaf@ign.test", people.entity_id)
    assert httpx.get(url, headers=bearer(secret)).status_code == 200
    with psycopg.connect(database_url, autocommit=True) as conn:
        # The listening connections lost (a network cut, a restart): no announcement reaches
        # the server until it reconnects.
        cut = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = %s",
            (APPLICATION_NAME,),
        ).fetchone()
        assert cut is not None and cut[0] >= 1
        store.revoke_key(conn, prefix)
    deadline = time.monotonic() + 5
    # Refused as soon as asked, and on every request until and after the server listens again.
    while time.monotonic() < deadline:
        assert httpx.get(url, headers=bearer(secret)).status_code == 401
        if listening(database_url):
            break
        time.sleep(0.1)
    assert listening(database_url)
    assert httpx.get(url, headers=bearer(secret)).status_code == 401
    assert httpx.get(url, headers=bearer(people.entitled)).status_code == 200


def listening(database_url: str) -> bool:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
            (APPLICATION_NAME,),
        ).fetchone()
    return row is not None and row[0] >= 1


def test_a_key_is_refused_from_its_expiry_on_though_nothing_announced_it(
    api_url: str, access_items: Items, people: People, database_url: str
) -> None:
    url = download_url(api_url, access_items)
    user_id, _, _ = new_key(database_url, "expiring@ign.test", people.entity_id)
    expires = datetime.now(UTC) + timedelta(seconds=2)
    with psycopg.connect(database_url) as conn:
        secret = store.issue_key(conn, user_id, expires).secret
    served = httpx.get(url, headers=bearer(secret))  # read, and cached, before its expiry
    assert served.content == access_items.cog.read_bytes()
    time.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.1)
    refused = httpx.get(url, headers=bearer(secret))
    assert refused.status_code == 401
    assert "expired" in refused.json()["detail"]

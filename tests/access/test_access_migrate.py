"""The schema migrates once, idempotently, and seeds the Airbus licence."""

import psycopg

from access import store
from access.migrate import migrate


def test_migrate_is_idempotent(database_url: str) -> None:
    assert migrate(database_url) == []
    with psycopg.connect(database_url) as conn:
        applied = [r[0] for r in conn.execute("SELECT name FROM dinamis_access.migration")]
    assert applied[0].startswith("0001_")


def test_airbus_licence_covers_the_airbus_collections_only(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        licensed = store.licences_by_collection(conn)
    assert set(licensed) == {"pleiades", "pleiades-neo", "spot-6-7"}
    assert {lic.code for lic in licensed.values()} == {"airbus-dinamis"}
    assert "spot-world-heritage" not in licensed

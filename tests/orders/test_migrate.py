"""The dinamis_orders schema is contributed through the entry point, after access'."""

import psycopg

from dinamis.migrations import contributed
from orders.migrate import MIGRATIONS


def test_orders_migrate_after_access_and_are_applied(database_url: str) -> None:
    schemas = [m.schema for m in contributed()]
    assert schemas.index("dinamis_access") < schemas.index("dinamis_orders")
    assert MIGRATIONS.apply(database_url) == []  # already applied when the database started
    with psycopg.connect(database_url) as conn:
        tables = {
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'dinamis_orders'"
            )
        }
    assert {
        "rules",
        "order",
        "status",
        "attempt",
        "tranche",
        "balance",
        "tle",
        "order_item",
    } <= tables

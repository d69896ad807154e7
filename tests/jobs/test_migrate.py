"""procrastinate's schema comes with `dinamis db migrate`, once, on the project's database."""

import psycopg

from dinamis.migrations import contributed
from jobs.migrate import PROCRASTINATE


def test_the_queue_schema_is_installed_once_and_recorded(database_url: str):
    order = [m.schema for m in contributed()]
    assert order.index("procrastinate") < order.index("dinamis_jobs")
    # The session's database was migrated at start: nothing is left to apply.
    assert PROCRASTINATE.apply(database_url) == []
    with psycopg.connect(database_url) as conn:
        recorded = {r[0] for r in conn.execute("SELECT name FROM procrastinate.migration")}
        shipped = {p.name for p in PROCRASTINATE.folder.glob("*.sql")}
        assert recorded == shipped
        assert conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone() != (None,)

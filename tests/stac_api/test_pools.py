"""The API's connections go back to the pool without asyncpg's reset query: a search makes one
round trip to the database, not two."""

import httpx
import psycopg

from tests.stac_api.conftest import COLLECTION

RESET_QUERY = "RESET ALL"


def test_searches_leave_no_reset_query_behind(
    api_url: str, database_url: str, search_items: list[dict]
) -> None:
    for limit in (1, 5, 10):
        body = {"collections": [COLLECTION], "limit": limit}
        httpx.post(f"{api_url}/search", json=body).raise_for_status()
    with psycopg.connect(database_url) as conn:
        # Each backend's last statement: the search itself, since nothing followed it.
        last = [
            query
            for (query,) in conn.execute(
                "SELECT query FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ]
    assert any("search(" in query for query in last), last
    assert not any(RESET_QUERY in query for query in last), last

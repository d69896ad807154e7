"""The defects of pgSTAC 0.10 that dinamis/sql/pgstac_workarounds.sql works around: the next
link's item looked up by reading every partition, and searches with an estimated numberMatched
waiting on one another."""

import json
from urllib.parse import parse_qs, urlsplit

import httpx
import psycopg

from tests.stac_api.conftest import COLLECTION

# pgSTAC's functions find their tables on the search path, as the API's sessions set it.
OPTIONS = "-c search_path=pgstac,public"


def nested_plans(conn: psycopg.Connection, statement: str) -> list[dict]:
    """The plans of every query ``statement`` runs, functions' inner queries included."""
    plans: list[dict] = []
    conn.add_notice_handler(
        lambda notice: (
            plans.append(json.loads(notice.message_primary.split("\n", 1)[1]))
            if notice.message_primary.startswith("duration:")
            else None
        )
    )
    for setting in (
        "LOAD 'auto_explain'",
        "SET auto_explain.log_min_duration = 0",
        "SET auto_explain.log_nested_statements = on",
        "SET auto_explain.log_format = json",
        "SET auto_explain.log_level = notice",
        # Where an index can serve a query, the planner must take it, however small the table.
        "SET enable_seqscan = off",
    ):
        conn.execute(setting)
    conn.execute(statement)
    return plans


def scans(plan: dict) -> set[str]:
    found = {plan["Node Type"]} if "Scan" in plan["Node Type"] else set()
    for child in plan.get("Plans", []):
        found |= scans(child)
    return found


def test_next_token_item_is_found_by_index(
    api_url: str, database_url: str, search_items: list[dict]
) -> None:
    page = httpx.get(f"{api_url}/search", params={"collections": COLLECTION, "limit": 5}).json()
    href = next(link["href"] for link in page["links"] if link["rel"] == "next")
    token = parse_qs(urlsplit(href).query)["token"][0]
    with psycopg.connect(database_url, autocommit=True, options=OPTIONS) as conn:
        plans = nested_plans(conn, f"SELECT get_token_record('{token}')")
    lookups = [p for p in plans if "_parts[3]" in p["Query Text"]]
    assert len(lookups) == 1, [p["Query Text"] for p in plans]
    found = scans(lookups[0]["Plan"])
    assert "Seq Scan" not in found and found & {"Index Scan", "Bitmap Heap Scan"}, found


def test_estimated_counts_do_not_serialise_identical_searches(
    database_url: str, search_items: list[dict]
) -> None:
    # Thresholds of zero: pgSTAC keeps the planner's estimate of any filter instead of counting.
    conf = {"context": "auto", "context_estimated_count": "0", "context_estimated_cost": "0"}
    search = json.dumps({"collections": [COLLECTION], "limit": 1, "conf": conf})
    query = "SELECT search(%s::text::jsonb)"
    with (
        psycopg.connect(database_url, autocommit=True, options=OPTIONS) as first,
        psycopg.connect(database_url, autocommit=True, options=OPTIONS) as second,
    ):
        first.execute(query, (search,))  # the estimate is stored
        second.execute("SET lock_timeout = '2s'")
        with first.transaction():  # a search still running holds what it locked
            first.execute(query, (search,))
            page = second.execute(query, (search,)).fetchone()[0]
    assert page["numberReturned"] == 1
    assert page["numberMatched"] > 0

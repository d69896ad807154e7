"""The rollups kept row by row by the triggers equal those rebuilt from the raw rows (the
migration's backfill), including a download whose later event measured an area; which spans
read the kept distinct counts."""

from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from stats.models import Step
from stats.store import calendar_step
from tests.stats.activity import Activity
from tests.stats.conftest import Callers

TABLES = (
    "download",
    "download_day",
    "product_seen",
    "product_count",
    "active_day",
    "active_user",
    "active_entity",
    "active_count",
)


def _rollups(conn: psycopg.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Each table's rows in a stable order; km² summed in another order differ past the
    millionth."""
    out = {}
    for table in TABLES:
        rows = conn.execute(f"SELECT * FROM dinamis_stats.{table}").fetchall()
        rounded = [tuple(round(v, 6) if isinstance(v, float) else v for v in r) for r in rows]
        out[table] = sorted(rounded, key=repr)
    return out


def test_a_rebuild_from_the_raw_rows_equals_the_rollups_kept_by_the_triggers(
    database_url: str, activity: Activity, callers: Callers
) -> None:
    user = activity.users[0]
    with psycopg.connect(database_url) as conn:
        # One download read twice: unmeasured first (the footprint counts), then measured.
        for area in (None, 7.25, 3.5):
            conn.execute(
                "INSERT INTO dinamis_access.download_event (user_id, entity_id, collection,"
                " item, area_km2, kind, at) VALUES (%s, %s, 'pleiades', 'STATS-TEST-PHR', %s,"
                " 'download', '2016-05-04T10:00:00Z')",
                (user["id"], user["entity_id"], area),
            )
        kept = _rollups(conn)
        conn.execute("SELECT dinamis_stats.rebuild()")
        rebuilt = _rollups(conn)
        (area,) = conn.execute(
            "SELECT area FROM dinamis_stats.download WHERE item = 'STATS-TEST-PHR'"
            " AND day = '2016-05-04' AND user_id = %s",
            (user["id"],),
        ).fetchone()
        # Leave the activity as the other tests count it.
        conn.rollback()
    assert area == 7.25
    assert all(kept[table] for table in TABLES)
    for table in TABLES:
        assert rebuilt[table] == kept[table], table


@pytest.mark.parametrize(
    ("lo", "hi", "step"),
    [
        ("2020-01-01", "2021-01-01", Step.YEAR),
        ("2020-01-01", "2020-02-01", Step.MONTH),
        ("2020-12-01", "2021-01-01", Step.MONTH),
        ("2020-02-01", "2020-03-01", Step.MONTH),
        ("2020-02-10", "2020-03-01", None),
        ("2020-02-01", "2020-02-20", None),
        ("2020-03-01", "2021-03-01", None),
        ("2012-01-01", "2022-01-01", None),
    ],
)
def test_only_calendar_months_and_years_read_the_kept_counts(
    lo: str, hi: str, step: Step | None
) -> None:
    def at(day: str) -> datetime:
        return datetime.fromisoformat(day).replace(tzinfo=UTC)

    assert calendar_step(at(lo), at(hi)) == step

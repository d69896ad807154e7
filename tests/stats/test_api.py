"""The statistics API against the same figures computed in Python from the raw rows; who may
see what; CSV equal to JSON; bad periods refused."""

import csv
import io
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
import pytest

from access import store as access_store
from access.models import EntityCategory, Role
from stats import store
from stats.models import Period, Step
from stats.settings import StatsSettings
from tests.entitlements import bearer
from tests.stats import activity as computed
from tests.stats.activity import Activity
from tests.stats.conftest import Callers

DIMENSIONS = {
    "members": ("category",),
    "downloads": ("category", "collection"),
    "requests": ("actors", "kind", "sensor"),
    "cumulative": ("collection",),
}


def _get(
    http: httpx.Client, api_url: str, headers: dict[str, str], figure: str, **params: Any
) -> httpx.Response:
    return http.get(f"{api_url}/stats/{figure}", params=params, headers=headers)


def _figures(body: dict[str, Any], figure: str) -> dict[str, dict[tuple[str, ...], dict]]:
    """The rows by span start, then by their groups' values."""
    out: dict[str, dict[tuple[str, ...], dict]] = {}
    for row in body["rows"]:
        key = tuple(row[name] for name in DIMENSIONS[figure])
        measures = {k: v for k, v in row.items() if k != "period" and k not in DIMENSIONS[figure]}
        out.setdefault(row["period"], {})[key] = measures
    return out


def _same(got: dict[tuple[str, ...], dict], expected: dict[tuple[str, ...], dict]) -> None:
    assert got.keys() == expected.keys()
    for key, measures in expected.items():
        for name, value in measures.items():
            # SQL rounds km² sums to the hundredth.
            assert got[key][name] == pytest.approx(value, abs=0.006), (key, name)


def _spans(first: str, last: str, by: Step) -> list[tuple[datetime, datetime]]:
    return Period(
        datetime.fromisoformat(first).date(), datetime.fromisoformat(last).date(), by
    ).buckets()


@pytest.mark.parametrize(
    ("first", "last", "by"),
    [
        ("2014-01-01", "2017-12-31", Step.PERIOD),
        ("2014-01-01", "2017-12-31", Step.YEAR),
        ("2015-03-10", "2016-02-20", Step.MONTH),
    ],
)
def test_figures_equal_those_counted_from_the_rows(
    http: httpx.Client,
    api_url: str,
    callers: Callers,
    activity: Activity,
    first: str,
    last: str,
    by: Step,
) -> None:
    spans = _spans(first, last, by)
    for figure in DIMENSIONS:
        response = _get(
            http, api_url, callers.operator, figure, **{"from": first, "to": last, "by": by}
        )
        assert response.status_code == 200, response.text
        got = _figures(response.json(), figure)
        for lo, hi in spans:
            if figure == "members":
                expected = computed.members(activity, lo, hi)
            elif figure == "downloads":
                expected = computed.downloads(activity, lo, hi)
            elif figure == "requests":
                expected = computed.requests(activity, lo, hi)
            else:
                expected = computed.cumulative(activity, hi)
            _same(got.pop(lo.date().isoformat(), {}), expected)
        assert not got, f"{figure}: rows outside the period's spans: {sorted(got)}"


def test_the_whole_period_has_activity_of_every_kind(
    http: httpx.Client, api_url: str, callers: Callers, activity: Activity
) -> None:
    """The comparisons above compare something: every figure has rows and totals."""
    params = {"from": "2014-01-01", "to": "2017-12-31"}
    for figure in DIMENSIONS:
        body = _get(http, api_url, callers.operator, figure, **params).json()
        total = next(r for r in body["rows"] if all(r[d] == "all" for d in DIMENSIONS[figure]))
        assert any(isinstance(v, int | float) and v > 0 for v in total.values()), figure
    downloads = _get(http, api_url, callers.operator, "downloads", **params).json()["rows"]
    # A product's footprint from the catalogue counts for its downloads.
    pleiades = next(
        r for r in downloads if r["collection"] == "pleiades" and r["category"] == "all"
    )
    assert pleiades["km2"] > 0


def test_a_referent_gets_their_entity_figures_only(
    http: httpx.Client, api_url: str, callers: Callers, activity: Activity
) -> None:
    entity = callers.referent_entity
    lo, hi = datetime(2014, 1, 1, tzinfo=UTC), datetime(2018, 1, 1, tzinfo=UTC)
    params = {"from": "2014-01-01", "to": "2017-12-31"}
    for figure, expected in (
        ("members", computed.members(activity, lo, hi, entity)),
        ("downloads", computed.downloads(activity, lo, hi, entity)),
        ("requests", computed.requests(activity, lo, hi, entity)),
    ):
        mine = _get(http, api_url, callers.referent, figure, **params)
        assert mine.status_code == 200, mine.text
        assert mine.json()["entity"] == entity
        _same(_figures(mine.json(), figure)["2014-01-01"], expected)
        # The operator asking for that entity gets the same figures.
        theirs = _get(http, api_url, callers.operator, figure, entity=entity, **params)
        assert theirs.json()["rows"] == mine.json()["rows"]
    other = activity.entities[1]["id"]
    refused = _get(http, api_url, callers.referent, "members", entity=other, **params)
    assert refused.status_code == 403
    assert "own entity" in refused.json()["detail"]


def test_plain_users_are_refused_and_anonymous_callers_asked_to_authenticate(
    http: httpx.Client, api_url: str, callers: Callers
) -> None:
    for path in ("", "/members", "/footprints"):
        assert http.get(f"{api_url}/stats{path}", headers=callers.user).status_code == 403
        anonymous = http.get(f"{api_url}/stats{path}")
        assert anonymous.status_code == 401
        assert "WWW-Authenticate" in anonymous.headers


def test_csv_equals_json(http: httpx.Client, api_url: str, callers: Callers) -> None:
    params = {"from": "2014-01-01", "to": "2017-12-31", "by": "year"}
    for figure in DIMENSIONS:
        body = _get(http, api_url, callers.operator, figure, **params).json()
        by_accept = _get(
            http, api_url, {**callers.operator, "Accept": "text/csv"}, figure, **params
        )
        by_param = _get(http, api_url, callers.operator, figure, f="csv", **params)
        assert by_accept.headers["content-type"].startswith("text/csv")
        assert by_accept.text == by_param.text
        rows = list(csv.DictReader(io.StringIO(by_param.text)))
        assert list(rows[0]) == body["columns"]
        assert rows == [{k: str(v) for k, v in row.items()} for row in body["rows"]]


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"from": "2017-01-01", "to": "2016-01-01"}, 400, "before it starts"),
        ({"from": "1990-01-01", "to": "1990-12-31"}, 400, "or later"),
        ({"from": "2000-01-01", "to": "2099-12-31"}, 400, "years at most"),
        ({"from": "2017-02-30"}, 400, "date"),
        ({"from": "yesterday"}, 400, "date"),
        ({"by": "week"}, 400, "by"),
        ({"f": "xml"}, 400, "f"),
        ({"entity": "-3"}, 400, "entity"),
    ],
)
def test_bad_periods_are_refused_with_the_reason(
    http: httpx.Client, api_url: str, callers: Callers, params: dict, status: int, words: str
) -> None:
    response = _get(http, api_url, callers.operator, "downloads", **params)
    assert response.status_code == status, response.text
    assert words in response.text


def test_an_unknown_figure_is_named(http: httpx.Client, api_url: str, callers: Callers) -> None:
    response = _get(http, api_url, callers.operator, "weather")
    assert response.status_code == 404
    assert "weather" in response.text
    assert "members" in response.text


def test_footprints_of_requests_and_deliveries(
    http: httpx.Client, api_url: str, callers: Callers, activity: Activity
) -> None:
    response = http.get(
        f"{api_url}/stats/footprints",
        params={"from": "2014-01-01", "to": "2017-12-31"},
        headers=callers.operator,
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    features = response.json()["features"]
    requested = [f for f in features if f["properties"]["footprint"] == "requested"]
    delivered = [f for f in features if f["properties"]["footprint"] == "delivered"]
    assert len(requested) == len(activity.orders)
    assert len(delivered) == sum(o["status"] == "completed" for o in activity.orders)
    assert all(f["geometry"]["type"] == "Polygon" for f in features)


def test_the_default_period_is_the_current_year(
    http: httpx.Client, api_url: str, callers: Callers
) -> None:
    body = _get(http, api_url, callers.operator, "members").json()
    year = datetime.now(UTC).year
    assert (body["from"], body["to"], body["by"]) == (f"{year}-01-01", f"{year}-12-31", "period")


def test_a_query_past_its_time_limit_is_abandoned_with_the_reason(
    database_url: str, activity: Activity
) -> None:
    period = Period(datetime(2014, 1, 1).date(), datetime(2017, 12, 31).date(), Step.MONTH)
    hurried = StatsSettings(timeout_ms=1)
    with psycopg.connect(database_url) as conn:
        with pytest.raises(store.TooLongError, match="shorter period"):
            store.members(conn, period, None, hurried)
        # The connection is usable afterwards: the limit was the query's own.
        assert store.requests(conn, period, None, StatsSettings()).rows


def test_a_user_who_only_uses_an_api_key_is_active_that_day(
    http: httpx.Client, api_url: str, database_url: str, callers: Callers
) -> None:
    today = datetime.now(UTC).date().isoformat()
    with psycopg.connect(database_url) as conn:
        entity = access_store.create_entity(
            conn, "Stats key-only entity", EntityCategory.PRIVATE_RND
        )
        access_store.activate_entity(conn, entity.id)
        user = access_store.create_user(conn, entity.id, "keys@stats.test", "Keys", Role.USER)
        access_store.activate_user(conn, user.id)
        key = access_store.issue_key(conn, user.id)
    params = {"from": today, "to": today, "entity": entity.id}

    def active_users() -> int:
        body = _get(http, api_url, callers.operator, "members", **params).json()
        return next(r["active_users"] for r in body["rows"] if r["category"] == "all")

    assert active_users() == 0
    for _ in range(3):
        assert http.get(f"{api_url}/auth/me", headers=bearer(key.secret)).status_code == 200
    assert active_users() == 1
    with psycopg.connect(database_url) as conn:
        days = conn.execute(
            "SELECT day::text FROM dinamis_access.api_key_use WHERE key_id = %s", (key.id,)
        ).fetchall()
    assert days == [(today,)]

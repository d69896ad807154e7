"""The statistics page in a real browser: the API's figures in its tables, charts and map
drawn, CSV export equal to the API's, a referent's page limited to their entity, sign-ins
recorded for the active-user counts; no console error."""

from typing import Any

import httpx
import psycopg
import pytest

from portal import store
from portal.passwords import hash_password
from tests.portal.conftest import Browser, Portal
from tests.portal.test_membership import sign_in
from tests.stats.activity import Activity
from tests.stats.conftest import Callers, activity, callers  # noqa: F401 - fixtures

PERIOD = {"from": "2014-01-01", "to": "2017-12-31"}
PASSWORD = "mot de passe du référent"


def api_rows(portal: Portal, headers: dict[str, str], figure: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{portal.api_url}/stats/{figure}", params=PERIOD, headers=headers, timeout=120
    )
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def shown(browser: Browser, table: str) -> dict[str, dict[str, float]]:
    """Each row's figures as the page gives them (data-value), by the row's key."""
    return browser.page.eval_on_selector_all(
        f"#{table} tbody tr",
        """rows => Object.fromEntries(rows.map(r => [r.dataset.key, Object.fromEntries(
            [...r.querySelectorAll('td[data-column]')].map(
                c => [c.dataset.column, Number(c.dataset.value)]))]))""",
    )


def check_tables(browser: Browser, portal: Portal, headers: dict[str, str]) -> None:
    members = {r["category"]: r for r in api_rows(portal, headers, "members")}
    page_members = shown(browser, "members")
    assert page_members.keys() == members.keys()
    for key, figures in page_members.items():
        assert figures == {c: members[key][c] for c in figures}, key
    downloads = {
        f"{r['collection']}/{r['category']}": r for r in api_rows(portal, headers, "downloads")
    }
    page_downloads = shown(browser, "downloads")
    assert "all/all" in page_downloads
    for key, figures in page_downloads.items():
        assert figures == {c: downloads[key][c] for c in figures}, key
    requests = {
        f"{r['sensor']}/{r['actors']}": r
        for r in api_rows(portal, headers, "requests")
        if r["kind"] == "all"
    }
    page_requests = shown(browser, "requests")
    assert "all/all" in page_requests
    for key, figures in page_requests.items():
        assert figures == {c: requests[key][c] for c in figures}, key


def test_an_operator_sees_the_api_figures(
    browser: Browser,
    portal: Portal,
    callers: Callers,  # noqa: F811
    activity: Activity,  # noqa: F811
) -> None:
    page = browser.page
    with psycopg.connect(portal.database_url) as conn:
        (user_id,) = conn.execute(
            'SELECT id FROM dinamis_access."user" WHERE email = %s', (portal.admin[0],)
        ).fetchone()
        count = "SELECT count(*) FROM dinamis_portal.sign_in WHERE user_id = %s"
        (before,) = conn.execute(count, (user_id,)).fetchone()
    sign_in(browser, portal, *portal.admin)
    with psycopg.connect(portal.database_url) as conn:
        assert conn.execute(count, (user_id,)).fetchone()[0] == before + 1

    page.get_by_role("link", name="Statistiques").click()
    page.fill("#from", PERIOD["from"])
    page.fill("#to", PERIOD["to"])
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_selector("text=Les chiffres du dispositif, du 2014-01-01 au 2017-12-31.")
    check_tables(browser, portal, callers.operator)

    cumulative = api_rows(portal, callers.operator, "cumulative")
    total = next(r for r in cumulative if r["collection"] == "all")
    assert float(page.get_attribute("#cumulative", "data-value")) == total["km2"]

    # Charts drawn from the figures: four of them, each with a bar group per span.
    for chart in ("month-downloads", "month-requests", "year-downloads", "year-requests"):
        bars = page.evaluate(
            "id => Chart.getChart(id).data.datasets.reduce((n, d) => n + d.data.length, 0)",
            f"chart-{chart}",
        )
        assert bars > 0, chart
    # The map shows every requested area and delivered footprint of the period.
    page.wait_for_selector("#map[data-features]", timeout=60_000)
    footprints = httpx.get(
        f"{portal.api_url}/stats/footprints", params=PERIOD, headers=callers.operator, timeout=60
    ).json()
    assert int(page.get_attribute("#map", "data-features")) == len(footprints["features"])
    assert len(footprints["features"]) > len(activity.orders)  # delivered ones too
    browser.shot("statistics")

    # The CSV export is the API's CSV.
    for figure in ("members", "downloads", "requests", "cumulative"):
        with page.expect_download() as download:
            page.click(f"a[href='/statistics/{figure}.csv?from=2014-01-01&to=2017-12-31&by=year']")
        exported = open(download.value.path(), encoding="utf-8").read()  # noqa: SIM115
        api_csv = httpx.get(
            f"{portal.api_url}/stats/{figure}",
            params={**PERIOD, "by": "year", "f": "csv"},
            headers=callers.operator,
            timeout=120,
        ).text
        assert exported == api_csv, figure
    assert browser.errors == []


def test_a_referent_sees_their_entity_and_others_are_refused(
    browser: Browser,
    portal: Portal,
    callers: Callers,  # noqa: F811
    activity: Activity,  # noqa: F811
) -> None:
    page = browser.page
    with psycopg.connect(portal.database_url) as conn:
        for email in ("referent@stats.test", "plain@stats.test"):
            (user_id,) = conn.execute(
                'SELECT id FROM dinamis_access."user" WHERE email = %s', (email,)
            ).fetchone()
            store.set_password_hash(conn, user_id, hash_password(PASSWORD))
    sign_in(browser, portal, "referent@stats.test", PASSWORD)
    page.goto(f"{portal.url}/statistics?from={PERIOD['from']}&to={PERIOD['to']}")
    page.wait_for_selector("text=Les chiffres de votre entité")
    check_tables(browser, portal, callers.referent)
    other = activity.entities[1]["id"]
    refused = page.goto(f"{portal.url}/statistics?entity={other}")
    assert refused is not None and refused.status == 403
    bad = page.goto(f"{portal.url}/statistics?from=2017-01-01&to=2016-01-01")
    assert bad is not None and bad.status == 400
    assert "Cette période ne peut pas être affichée" in page.content()
    browser.shot("referent")
    page.get_by_role("button", name="Se déconnecter").click()
    sign_in(browser, portal, "plain@stats.test", PASSWORD)
    assert page.get_by_role("link", name="Statistiques").count() == 0
    refused = page.goto(f"{portal.url}/statistics")
    assert refused is not None and refused.status == 403
    assert "réservées aux opérateurs DINAMIS" in page.content()
    # Refusals are pages, not script errors.
    assert [e for e in browser.errors if "403" not in e and "400" not in e] == []


@pytest.mark.parametrize("path", ["/statistics", "/statistics/members.csv"])
def test_visitors_are_asked_to_sign_in(portal: Portal, path: str) -> None:
    response = httpx.get(f"{portal.url}{path}")
    assert response.status_code == 401

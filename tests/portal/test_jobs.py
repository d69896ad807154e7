"""Processing jobs in the portal, in a real browser: a raw scene ortho-rectified from its
page, followed on "Mes traitements" to the published image, another cancelled there; bad
requests answered with a page saying why, in French."""

import re
import time

import httpx
import psycopg
import pytest

from tests.browser import CHROMIUM
from tests.jobs.conftest import Dems, Workers
from tests.portal.conftest import Browser, Portal, member
from tests.portal.test_security import sign_in, unexpected

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")

PASSWORD = "mot de passe des traitements"
EMAIL = "oriane@traitements.test"


def ask(browser: Browser, portal: Portal, item: str, dem: str, resolution: str) -> int:
    """The ortho-rectification form of ``item``'s page, sent; the answer's status."""
    page = browser.page
    page.goto(f"{portal.url}/catalogue/spot-world-heritage/{item}")
    page.get_by_label("Modèle numérique de terrain").select_option(dem)
    resolution_field = page.get_by_label("Résolution (m)")
    # What the server answers a browser that does not check the field's minimum.
    resolution_field.evaluate("field => field.removeAttribute('min')")
    resolution_field.fill(resolution)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Ortho-rectifier cette scène").click()
    response = navigation.value
    return response.status if response else 0


def csrf(browser: Browser) -> str:
    """The session's CSRF token, from a form of the page."""
    return browser.page.locator("input[name=csrf]").first.get_attribute("value") or ""


def statuses(browser: Browser) -> dict[str, str]:
    """Each job's status on the page, by job id."""
    rows = browser.page.locator("#jobs tbody tr")
    return dict(
        zip(
            rows.evaluate_all("rows => rows.map(r => r.dataset.id)"),
            rows.evaluate_all("rows => rows.map(r => r.dataset.status)"),
            strict=True,
        )
    )


def test_a_raw_scene_ortho_rectified_from_its_page_and_followed_in_my_jobs(
    portal: Portal,
    browser: Browser,
    operator_browser: Browser,
    raw_item: str,
    dems: Dems,
    workers: Workers,
) -> None:
    page = browser.page
    # A visitor sees the scene, not the form: jobs are a member's.
    page.goto(f"{portal.url}/catalogue/spot-world-heritage/{raw_item}")
    assert page.locator("#ortho").count() == 0
    member(portal.database_url, "Labo Traitements", EMAIL, PASSWORD)
    assert sign_in(browser, portal, EMAIL, PASSWORD) == 200
    page.goto(f"{portal.url}/catalogue/spot-world-heritage/{raw_item}")
    options = page.locator("#ortho-dem option").evaluate_all("o => o.map(e => e.value)")
    assert options == [*vars(dems), "none"]
    browser.shot("ortho-form")

    assert ask(browser, portal, raw_item, "alps", "50") == 200
    assert page.url == f"{portal.url}/jobs"
    assert page.locator("h1").text_content() == "Mes traitements"
    (wanted,) = statuses(browser)
    assert statuses(browser) == {wanted: "accepted"}
    assert page.text_content(f"tr[data-id='{wanted}'] .status").strip() == "En attente"
    assert ask(browser, portal, raw_item, "none", "55") == 200
    (cancelled,) = set(statuses(browser)) - {wanted}
    with page.expect_navigation():
        page.locator(f"tr[data-id='{cancelled}']").get_by_role("button", name="Annuler").click()
    assert statuses(browser) == {wanted: "accepted", cancelled: "dismissed"}
    assert page.locator(f"tr[data-id='{cancelled}'] button").count() == 0
    browser.shot("jobs-waiting")

    workers.start()
    deadline = time.monotonic() + 240
    while statuses(browser)[wanted] != "successful":
        assert statuses(browser)[wanted] in ("accepted", "running"), statuses(browser)
        assert time.monotonic() < deadline, "the job did not end"
        time.sleep(0.5)
        page.goto(f"{portal.url}/jobs")
    row = page.locator(f"tr[data-id='{wanted}']")
    assert row.locator(".status").text_content().strip() == "Terminé"
    assert row.locator(".progress").text_content().strip() == "100 %"
    browser.shot("jobs-done")
    # The same job in the API: the portal lists the jobs of the API's store.
    with psycopg.connect(portal.database_url) as conn:
        (result,) = conn.execute(
            "SELECT r.result FROM dinamis_jobs.job j JOIN dinamis_jobs.run r USING (input_hash)"
            " WHERE j.id = %s",
            (wanted,),
        ).fetchone() or (None,)
        (count,) = conn.execute(
            'SELECT count(*) FROM dinamis_jobs.job j JOIN dinamis_access."user" u'
            " ON u.id = j.user_id WHERE u.email = %s",
            (EMAIL,),
        ).fetchone() or (0,)
    assert count == len(statuses(browser)) == 2, "only the signed-in user's jobs are listed"
    with page.expect_navigation():
        row.get_by_role("link", name="Voir l’image").click()
    assert page.url.endswith(f"/catalogue/{result['collection']}/{result['item']}")
    assert page.locator("h1").text_content() == result["item"]
    # A published ortho-image is map-projected: nothing more to rectify.
    assert page.locator("#ortho").count() == 0
    assert (
        httpx.get(
            f"{portal.api_url}/collections/{result['collection']}/items/{result['item']}"
        ).status_code
        == 200
    )
    assert unexpected(browser) == []

    # Another member neither sees nor cancels it.
    other = "autre@traitements.test"
    member(portal.database_url, "Labo Traitements autre", other, PASSWORD)
    assert sign_in(operator_browser, portal, other, PASSWORD) == 200
    operator_browser.page.goto(f"{portal.url}/jobs")
    assert operator_browser.page.locator("#none").count() == 1
    token = csrf(operator_browser)
    refused = operator_browser.page.request.post(
        f"{portal.url}/jobs/{wanted}/cancel", form={"csrf": token}
    )
    assert refused.status == 404
    page.goto(f"{portal.url}/jobs")
    assert statuses(browser)[wanted] == "successful"


def test_bad_ortho_requests_get_a_page_saying_why(
    portal: Portal,
    browser: Browser,
    raw_item: str,
    dems: Dems,
) -> None:
    email = "refus@traitements.test"
    member(portal.database_url, "Labo Traitements refusés", email, PASSWORD)
    assert sign_in(browser, portal, email, PASSWORD) == 200
    page = browser.page
    assert ask(browser, portal, raw_item, "alps", "-5") == 400
    assert re.search(r"Résolution \(m\).*0,01|Résolution \(m\).*0.01", page.text_content("main"))
    assert ask(browser, portal, raw_item, "far", "30") == 400
    assert "L’ortho-rectification ne peut pas être faite" in page.text_content("main")
    assert "ne couvre pas la scène" in page.text_content("main")  # the reason said in French
    # Nothing was queued; a made-up job is refused, and a form from elsewhere.
    page.goto(f"{portal.url}/jobs")
    assert page.locator("#none").count() == 1
    page.goto(f"{portal.url}/catalogue/spot-world-heritage/{raw_item}")
    token = csrf(browser)
    for job_id in ("00000000-0000-0000-0000-000000000000", "not-a-job"):
        response = page.request.post(f"{portal.url}/jobs/{job_id}/cancel", form={"csrf": token})
        assert response.status == 404 and "Vous n’avez pas de tel traitement." in response.text()
    forged = page.request.post(
        f"{portal.url}/jobs/orthorectify",
        form={"csrf": "forged", "collection": "spot-world-heritage", "item": raw_item},
    )
    assert forged.status == 403
    page.goto(f"{portal.url}/jobs")
    assert page.locator("#none").count() == 1

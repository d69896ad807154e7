"""The operators' back-office pages as an operator works them in a browser, one small function
per step, shared by the suites that drive them; and what those steps leave behind (the
request's history, the mails to the requester)."""

import re
import time
from datetime import datetime
from typing import Any

import psycopg

from tests.portal.conftest import Browser, Portal


def find_request(browser: Browser, requester: str, order_id: str) -> None:
    """From the back-office's queues, the request found by its requester's address."""
    page = browser.page
    page.get_by_role("link", name="Back-office").click()
    page.wait_for_selector("#request-counts")
    assert int(page.text_content("#request-counts tr[data-status=received] .count")) >= 1
    browser.shot("backoffice-queues")
    page.get_by_role("link", name="Demandes d’imagerie", exact=True).click()
    page.get_by_label("Demandeur (partie de l’adresse)").fill(requester)
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_selector(f"#results tr[data-id='{order_id}']")
    browser.shot("backoffice-search")
    page.get_by_role("link", name=f"Demande {order_id}").first.click()
    page.wait_for_selector("#request")


def status_shown(browser: Browser) -> str:
    return browser.page.get_attribute("#status", "data-status") or ""


def act(browser: Browser, action: str, reason: str | None = None) -> None:
    """One of the request's actions (accept, quote, forward, reject...), by its form."""
    page = browser.page
    form = page.locator(f"form[data-action='{action}']")
    if reason is not None:
        form.locator("input[name=reason]").fill(reason)
    with page.expect_navigation():
        form.get_by_role("button").click()


def attempt(browser: Browser, when: datetime, cloud: float, validated: bool) -> None:
    page = browser.page
    page.get_by_label("Acquise le (UTC)").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Couverture nuageuse, en pourcentage").fill(f"{cloud:g}")
    if validated:
        page.get_by_label("Validée : la demande passe en production").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer la tentative").click()


def deliver(browser: Browser, item_id: str) -> None:
    """Delivers a catalogue item over the request's area: the page proposes it, ticked."""
    page = browser.page
    page.get_by_label(re.compile(f"^{re.escape(item_id)}")).check()
    browser.shot("backoffice-deliver")
    with page.expect_navigation():
        page.get_by_role("button", name="Livrer").click()


def history(portal: Portal, order_id: str) -> list[tuple[str, str]]:
    """The request's statuses and who set each, from the database."""
    with psycopg.connect(portal.database_url) as conn:
        rows = conn.execute(
            "SELECT status_code, actor FROM dinamis_orders.status WHERE order_id = %s ORDER BY id",
            (int(order_id),),
        )
        return [(status, actor) for status, actor in rows]


def wait_for_mails(portal: Portal, address: str, about: str, count: int) -> list[Any]:
    """Mails to ``address`` about ``about``, waiting for ``count``: they leave after the page."""
    deadline = time.monotonic() + 20
    while True:
        found = [m for m in portal.mailbox.to(address) if about in str(m["Subject"])]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)

"""Anonymous visitor, in a real browser: search the catalogue on the map, see the thumbnails,
open an item, switch to English; and the basket's signed-URL list."""

import re

import httpx
import pytest

from tests.browser import CHROMIUM
from tests.portal.conftest import SEARCH, Browser, Portal

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")


def search(browser: Browser, portal: Portal, **extra: str) -> None:
    page = browser.page
    page.goto(f"{portal.url}/catalogue")
    page.wait_for_function("() => window.dinamisMap && window.dinamisMap.loaded()")
    page.fill("#bbox", SEARCH["bbox"])
    page.fill("#start", SEARCH["start"])
    page.fill("#end", SEARCH["end"])
    for selector, value in extra.items():
        page.fill(f"#{selector}", value)
    page.get_by_role("button", name=re.compile("^(Rechercher|Search)$")).click()
    page.wait_for_selector("#status")


def test_anonymous_search_item_and_english(portal: Portal, browser: Browser) -> None:
    page = browser.page
    page.goto(portal.url)
    assert page.get_attribute("html", "lang") == "fr"
    assert page.locator("h1").text_content() == "Imagerie satellitaire DINAMIS"
    browser.shot("home")

    search(browser, portal)
    assert page.text_content("#status").strip() == "3 images trouvées"
    keys = page.locator(".result").evaluate_all("items => items.map(i => i.dataset.key)")
    assert keys == [
        "pleiades/PORTAL-PHR-EAST",
        "pleiades/PORTAL-PHR-WEST",
        "spot-world-heritage/PORTAL-SWH",
    ]
    # Every thumbnail was fetched and decoded.
    page.wait_for_function(
        "() => [...document.querySelectorAll('.result img')]"
        ".every(i => i.complete && i.naturalWidth)"
    )
    assert page.locator(".result img").count() == 3
    page.wait_for_function("() => dinamisMap.getSource('footprints') && dinamisMap.loaded()")
    footprints = page.evaluate(
        "async () => (await dinamisMap.getSource('footprints').getData())"
        ".features.map(f => f.properties.key)"
    )
    assert set(footprints) == set(keys)
    browser.shot("results")

    # Filters: cloud cover at most 10 % leaves the two clearest.
    search(browser, portal, cloud="10")
    assert page.text_content("#status").strip() == "2 images trouvées"

    page.get_by_role("link", name="PORTAL-SWH").click()
    page.wait_for_selector("#item-title")
    assert page.text_content("#item-title") == "PORTAL-SWH"
    assert "Données ouvertes" in page.text_content("#access")
    tiles = (
        "() => dinamisMap.getSource('item-tiles') && dinamisMap.loaded()"
        " && dinamisMap.areTilesLoaded()"
    )
    page.wait_for_function(tiles, timeout=20_000)
    clip = page.get_attribute("#clip", "href")
    browser.shot("item")

    page.get_by_role("button", name="English").click()
    page.wait_for_selector("html[lang=en]")
    assert page.text_content("#item-title") == "PORTAL-SWH"
    assert "Open data" in page.text_content("#access")
    assert page.get_by_role("link", name="Basket").count() == 1
    browser.shot("item-english")
    # The choice stays for the next pages.
    page.goto(f"{portal.url}/catalogue")
    assert page.get_attribute("html", "lang") == "en"
    # On a phone: one column, nothing wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    search(browser, portal)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    browser.shot("phone")
    # For keyboard users the first stop is the link that skips to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    assert not browser.errors, browser.errors

    # The clip of the view is a GeoTIFF of the open item, no credential needed.
    assert clip and "/items/PORTAL-SWH/bbox/" in clip
    answer = httpx.get(clip, timeout=60)
    assert answer.status_code == 200 and answer.content[:4] in (b"II*\x00", b"MM\x00*")


def test_accept_language_is_honoured(portal: Portal) -> None:
    english = httpx.get(portal.url, headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"})
    assert '<html lang="en">' in english.text and "DINAMIS satellite imagery" in english.text
    german = httpx.get(portal.url, headers={"Accept-Language": "de-DE"})
    assert '<html lang="fr">' in german.text


def test_bad_search_values_get_a_page_in_the_language(portal: Portal) -> None:
    answer = httpx.get(f"{portal.url}/catalogue", params={"bbox": "1,2,3", "search": "1"})
    assert answer.status_code == 400
    assert "Zone : quatre nombres" in answer.text
    answer = httpx.get(
        f"{portal.url}/catalogue",
        params={"cloud": "500", "search": "1"},
        headers={"Accept-Language": "en"},
    )
    assert answer.status_code == 400 and "a number from 0 to 100" in answer.text
    answer = httpx.get(f"{portal.url}/catalogue/pleiades/NOT-AN-ITEM")
    assert answer.status_code == 404 and "pas au catalogue" in answer.text

"""The catalogue map's coverage picker: the coverages the reader may see, drawn as one layer
from the tiler; a licensed coverage only for entitled members, with a token in its URL."""

import psycopg
import pytest
from pypgstac.load import Loader, Methods

from coverages import store
from coverages.build import build
from coverages.settings import CoverageSettings
from dinamis.database import pgstac_db
from dinamis.settings import Settings
from tests.browser import CHROMIUM
from tests.coverages.scenes import scene
from tests.portal.conftest import Browser, Portal, member
from tests.portal.test_membership import sign_in
from tiler.storage import StorageGuard

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")

OPEN, LICENSED = "portal-swh-1998", "portal-spot-2012"


@pytest.fixture(scope="module")
def coverages(portal: Portal, settings: Settings) -> None:
    folder = settings.storage / "spot-world-heritage" / "coverage-portal"
    items = [
        scene(folder, i, i, 0, size=256, gsd=20.0, step=5000.0, year=1998,
              collection="spot-world-heritage", origin=(560_000.0, 5_320_000.0))
        for i in range(2)
    ]  # fmt: skip
    with pgstac_db(portal.database_url) as db:
        Loader(db).load_items(iter(items), insert_mode=Methods.upsert)
    with psycopg.connect(portal.database_url) as conn:
        # Its own items by id: other suites' Spot World Heritage products may be of 1998 too.
        search = {"collections": ["spot-world-heritage"], "ids": [item["id"] for item in items]}
        store.declare(conn, OPEN, "SWH 1998", search)
        store.declare(conn, LICENSED, "SPOT 6/7 2012", store.year_search("spot-6-7", 2012))
    build(
        portal.database_url,
        OPEN,
        CoverageSettings(folder=settings.data_dir / "coverages"),
        storage=StorageGuard.from_settings([settings.storage], []),
    )


def test_a_visitor_picks_an_open_coverage_and_sees_its_tiles(
    portal: Portal, browser: Browser, coverages: None
) -> None:
    page = browser.page
    page.goto(f"{portal.url}/catalogue")
    page.wait_for_function("() => window.dinamisMap && window.dinamisMap.loaded()")
    options = page.locator("#coverage option").all_text_contents()
    assert "SWH 1998" in options and "SPOT 6/7 2012" not in options
    with page.expect_response(
        lambda r: f"/coverages/{OPEN}/tiles/" in r.url and r.status == 200
    ) as tile:
        page.get_by_label("Couche de couverture").select_option(label="SWH 1998")
    assert tile.value.headers["content-type"] == "image/png"
    assert not browser.errors


def test_an_entitled_member_gets_the_licensed_coverage_with_a_token(
    portal: Portal, browser: Browser, coverages: None
) -> None:
    member(portal.database_url, "Coverage lab", "cov@lab.test", "a long passphrase 42")
    sign_in(browser, portal, "cov@lab.test", "a long passphrase 42")
    page = browser.page
    page.goto(f"{portal.url}/catalogue")
    licensed = page.locator("#coverage option", has_text="SPOT 6/7 2012")
    assert f"/coverages/{LICENSED}/" in licensed.get_attribute("value")
    assert "access_token=" in licensed.get_attribute("value")

"""The web map in a real headless Chromium, against the real STAC API and tiler over HTTP.

Two small real COGs are catalogued in ``pleiades`` (plus a cloudy item that the search must
leave out); the page searches by area, date and cloud cover, draws the footprints, shows the
first item's tiles and offers the clip of the view.
"""

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np
import pytest
from fastapi import FastAPI
from pypgstac.load import Loader, Methods
from rasterio.io import MemoryFile
from rasterio.transform import from_origin

from access.settings import AccessSettings
from dinamis.database import pgstac_db
from dinamis.serve import BackgroundServer, free_port
from dinamis.settings import Settings
from tests.browser import CHROMIUM, chromium
from tests.cogs import cog_item, write_cog
from tiler.app import create_app
from tiler.settings import TilerSettings

if TYPE_CHECKING:  # playwright is imported where a browser is needed, so the module loads without
    from playwright.sync_api import Page

COLLECTION = "pleiades"
CRS = "EPSG:32631"
SIZE = 512
PIXEL = 10.0
# Near Albi, in July 2019: out of the way of the other suites' items.
ORIGIN = (428_000.0, 4_872_000.0)
SEARCH = {"bbox": "2.0, 43.8, 2.4, 44.1", "start": "2019-07-01", "end": "2019-07-31", "cloud": 30}


def pattern(seed: int) -> np.ndarray:
    """4 uint16 bands making a colourful picture within the 0..3000 render."""
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    rings = (np.hypot(x - SIZE / 2, y - SIZE / 2) // 32 % 2) * 1500
    return np.stack([x * 5.8, y * 5.8, rings + seed * 300, (x + y) * 2.9]).astype("uint16")


def stac_item(item_id: str, cog: Path, datetime: str, cloud_cover: float) -> dict[str, Any]:
    return cog_item(
        item_id,
        COLLECTION,
        cog,
        datetime=datetime,
        platform="PHR1A",
        constellation="pleiades",
        gsd=PIXEL,
        **{"eo:cloud_cover": cloud_cover},
    )


@pytest.fixture(scope="module")
def viewer_items(
    database_url: str, collection_ids: list[str], settings: Settings
) -> Iterator[list[dict[str, Any]]]:
    folder = settings.storage / COLLECTION / "viewer-test"
    folder.mkdir(parents=True, exist_ok=True)
    west, east = folder / "west.tif", folder / "east.tif"
    write_cog(west, pattern(0), CRS, from_origin(*ORIGIN, PIXEL, PIXEL), nodata=None)
    east_origin = (ORIGIN[0] + SIZE * PIXEL + 500, ORIGIN[1])
    write_cog(east, pattern(3), CRS, from_origin(*east_origin, PIXEL, PIXEL), nodata=None)
    items = [
        stac_item("viewer-test-west", west, "2019-07-12T10:31:00Z", 4.0),
        stac_item("viewer-test-east", east, "2019-07-20T10:42:00Z", 22.0),
        stac_item("viewer-test-cloudy", west, "2019-07-16T10:35:00Z", 85.0),
    ]
    with pgstac_db(database_url) as db:
        Loader(db).load_items(iter(items), insert_mode=Methods.upsert)
    yield items
    with pgstac_db(database_url) as db:
        for item in items:
            db.query_one("SELECT delete_item(%s, %s)", (item["id"], COLLECTION))


def tiler_app(
    database_url: str, settings: Settings, api_url: str, access: AccessSettings
) -> FastAPI:
    """The project's tiler application, reading the test storage, with the web map."""
    return create_app(
        database_url, TilerSettings(storage_roots=[settings.storage], stac_api_url=api_url), access
    )


@dataclass
class Services:
    api_url: str
    tiler_url: str


@pytest.fixture(scope="module")
def services(
    api_url: str,
    database_url: str,
    settings: Settings,
    access: AccessSettings,
    viewer_items: list[dict[str, Any]],
) -> Iterator[Services]:
    app = tiler_app(database_url, settings, api_url, access)
    server = BackgroundServer(app, free_port()).start()
    yield Services(api_url, server.url)
    server.stop()


def wait_until(page: "Page", expression: str, timeout: float = 30_000) -> None:
    """Poll ``expression`` until it is truthy, for up to ``timeout`` ms. Not Playwright's
    wait_for_function: its polling evaluates a string in the page, which the page's
    Content-Security-Policy forbids (and the page must keep working under it)."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        time.sleep(0.05)


def use_key(page: "Page", key: str) -> None:
    """Paste an API key into the page as a user does, and wait for the page to accept it."""
    page.fill("#api-key", key)
    page.get_by_role("button", name="Use key").click()
    wait_until(
        page, "/Key (accepted|refused)/.test(document.getElementById('key-help').textContent)"
    )
    assert "accepted" in page.text_content("#key-help"), page.text_content("#key-help")


def test_viewer_page_is_self_contained(services: Services) -> None:
    page = httpx.get(f"{services.tiler_url}/viewer")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert f'"stacApiUrl": "{services.api_url}"' in page.text
    assert f'"maxCropKm2": {TilerSettings().max_crop_km2}' in page.text
    # Only its own scripts, only the STAC API and the tiler to talk to, framed by nobody, no
    # referrer (tile URLs may carry a token). The browser test runs under this policy.
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in page.headers["content-security-policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert services.api_url in policy["connect-src"].split()
    assert page.headers["referrer-policy"] == "no-referrer"
    # Every script and stylesheet comes from the tiler itself: no CDN.
    for ref in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        assert not re.match(r"^(https?:)?//", ref), ref
        assert httpx.get(f"{services.tiler_url}/{ref}").status_code == 200, ref


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_search_draws_footprints_tiles_and_offers_the_clip(
    services: Services, viewer_items: list[dict[str, Any]], entitled_key: str, tmp_path: Path
) -> None:
    from playwright.sync_api import Response

    responses: list[Response] = []
    foreign: list[str] = []
    errors: list[str] = []
    local = ("http://127.0.0.1:", "data:", "blob:")

    with chromium() as browser:
        page = browser.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "console",
            lambda message: errors.append(message.text) if message.type == "error" else None,
        )
        page.on(
            "request",
            lambda request: None if request.url.startswith(local) else foreign.append(request.url),
        )
        page.on("response", lambda response: responses.append(response))
        page.goto(f"{services.tiler_url}/viewer")
        wait_until(page, "window.dinamisViewer && window.dinamisViewer.map.loaded()")
        page.wait_for_selector("#collection option[value='pleiades']", state="attached")
        use_key(page, entitled_key)

        page.select_option("#collection", COLLECTION)
        page.fill("#bbox", SEARCH["bbox"])
        page.fill("#start", SEARCH["start"])
        page.fill("#end", SEARCH["end"])
        page.fill("#cloud", str(SEARCH["cloud"]))
        page.get_by_role("button", name="Search").click()

        wait_until(
            page,
            "() => /found|no image|failed|unreachable/i"
            ".test(document.getElementById('status').textContent)",
        )
        assert "found" in page.text_content("#status"), page.text_content("#status")
        listed = page.locator("#results button").evaluate_all(
            "buttons => buttons.map(b => b.dataset.key)"
        )
        assert sorted(listed) == ["pleiades/viewer-test-east", "pleiades/viewer-test-west"]
        footprints = page.evaluate(
            "async () => (await dinamisViewer.map.getSource('footprints').getData())"
            ".features.map(f => f.properties.key)"
        )
        assert sorted(footprints) == sorted(listed)

        wait_until(page, "dinamisViewer.map.loaded()")
        drawn = page.evaluate(
            "() => dinamisViewer.map.queryRenderedFeatures({layers: ['footprints-line']})"
            ".map(f => f.properties.key)"
        )
        assert set(drawn) == set(listed), drawn
        page.screenshot(path=tmp_path / "footprints.png")  # for a human look on failure

        page.locator("#results button", has_text="viewer-test-west").click()
        tiles_drawn = (
            "() => { const m = dinamisViewer.map;"
            " return m.getSource('item-tiles') && m.loaded() && m.areTilesLoaded(); }"
        )
        wait_until(page, tiles_drawn, timeout=20_000)
        page.wait_for_timeout(300)  # let the last frame reach the screen
        shot = page.locator("#map").screenshot()
        page.screenshot(path=tmp_path / "tiles.png")
        href = page.get_attribute("#download", "href")
        by_default = {r.url for r in responses if "/tiles/WebMercatorQuad/" in r.url}

        # A render of the collection chosen by name: its parameters go to the tiler.
        page.select_option("#render", "true-color")
        wait_until(page, "() => dinamisViewer.state.tilejson?.tiles[0].includes('rescale=')")
        wait_until(page, tiles_drawn, timeout=20_000)
        status = page.text_content("#status")

        # Clicking a footprint on the map selects that item.
        east = next(i for i in viewer_items if i["id"] == "viewer-test-east")
        lon = (east["bbox"][0] + east["bbox"][2]) / 2
        lat = (east["bbox"][1] + east["bbox"][3]) / 2
        page.evaluate(f"dinamisViewer.map.setCenter([{lon}, {lat}])")
        wait_until(page, "dinamisViewer.map.loaded()")
        page.locator("#map canvas").click()  # the middle of the map
        wait_until(
            page, "document.getElementById('selection-title').textContent === 'viewer-test-east'"
        )
        # The clip link follows the selection once the map settles: wait for it, not a moment.
        wait_until(
            page,
            "(document.getElementById('download').getAttribute('href') || '')"
            ".includes('/items/viewer-test-east/')",
        )
        assert page.get_attribute("#download", "href").count("/items/viewer-test-east/") == 1

    failed = [(r.url, r.status) for r in responses if r.status >= 400]
    assert not failed, failed
    assert not errors, errors
    tile_responses = [r for r in responses if "/tiles/WebMercatorQuad/" in r.url]
    assert not foreign, f"requests outside localhost: {foreign}"
    assert tile_responses, "no tile was requested"
    assert all(r.status == 200 for r in tile_responses), [(r.url, r.status) for r in tile_responses]
    # First the tiler's default render (no layer parameter), then the named one.
    assert by_default and not any("assets=" in url for url in by_default), by_default
    named = [
        r.url for r in tile_responses if "/viewer-test-west/" in r.url and r.url not in by_default
    ]
    assert named and all("assets=data%7Cbidx%3D1%2C2%2C3" in url for url in named), named
    assert "error" not in (status or "").lower(), status

    # Drawn: sea, land, footprints and the image's many colours, not a blank canvas.
    with MemoryFile(shot) as memfile, memfile.open() as png:
        image = png.read(indexes=[1, 2, 3]).transpose(1, 2, 0)
    colours = np.unique(image.reshape(-1, 3), axis=0)
    assert len(colours) > 200, f"only {len(colours)} colours on the map"
    assert image.std() > 20

    # The clip of the view: a bbox GeoTIFF of the selected item on the tiler, and it works.
    assert href is not None
    number = r"-?\d+(?:\.\d+)?"
    assert re.fullmatch(
        rf"{re.escape(services.tiler_url)}/collections/{COLLECTION}/items/viewer-test-west"
        rf"/bbox/{number},{number},{number},{number}\.tif\?assets=data&access_token=[\w.-]+",
        href,
    ), href
    clip = httpx.get(href, timeout=30)
    assert clip.status_code == 200, clip.text
    with MemoryFile(clip.content) as memfile, memfile.open() as dataset:
        assert dataset.driver == "GTiff"
        assert dataset.count in (4, 5)  # the bands, and the mask as alpha
        assert dataset.width > 100 and dataset.height > 100


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_item_link_opens_the_item_and_asks_for_a_key_when_licensed(
    services: Services, viewer_items: list[dict[str, Any]], entitled_key: str
) -> None:
    tiles: list[tuple[str, int]] = []
    with chromium() as browser:
        page = browser.new_page()
        page.on(
            "response",
            lambda r: (
                tiles.append((r.url, r.status)) if "/tiles/WebMercatorQuad/" in r.url else None
            ),
        )
        page.goto(f"{services.tiler_url}/viewer?collection={COLLECTION}&item=viewer-test-east")
        wait_until(
            page, "document.getElementById('selection-title').textContent === 'viewer-test-east'"
        )
        wait_until(page, "/licensed imagery/.test(document.getElementById('status').textContent)")
        footprints = page.evaluate(
            "async () => (await dinamisViewer.map.getSource('footprints').getData())"
            ".features.map(f => f.properties.key)"
        )
        assert footprints == [f"{COLLECTION}/viewer-test-east"]
        assert page.get_attribute("#download", "aria-disabled") == "true"
        assert not tiles  # no request was sent to fail: the page said why instead

        use_key(page, entitled_key)
        wait_until(
            page,
            "() => { const m = dinamisViewer.map;"
            " return m.getSource('item-tiles') && m.loaded() && m.areTilesLoaded(); }",
            timeout=20_000,
        )
        href = page.get_attribute("#download", "href")
        # Past the tiler's clip limit (made tiny here, the test image being small), the page
        # says so instead of offering a download the tiler would refuse.
        page.evaluate("dinamisViewer.config.maxCropKm2 = 0.0001")
        page.evaluate("dinamisViewer.map.jumpTo({zoom: dinamisViewer.map.getZoom() - 0.5})")
        wait_until(page, "/limited to/.test(document.getElementById('download-help').textContent)")
        too_large = page.get_attribute("#download", "aria-disabled")
    assert tiles and all(status == 200 and "access_token=" in url for url, status in tiles), tiles
    assert entitled_key not in str(tiles)  # the key itself never travels in a URL
    assert "/items/viewer-test-east/bbox/" in href and "access_token=" in href
    assert too_large == "true"

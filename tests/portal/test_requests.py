"""Imagery requests from the portal, in a real browser: a Pléiades tasking from the drawn area
(with its live quote, equal to the API's) to the downloaded image, areas sent as files (good
and bad ones), and who sees which request.

The operator works in the back-office pages, in a second browser of their own, while the
user's stays signed in."""

import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psycopg
import pyogrio
import pytest
import shapely
from babel.numbers import format_decimal
from pyproj import Transformer
from shapely.geometry import shape

from access.models import EntityCategory, Role
from dinamis.area import geometry_area_km2
from dinamis.settings import Settings
from portal import store
from portal.passwords import hash_password
from tests.browser import CHROMIUM
from tests.orders.conftest import (  # noqa: F401 (fixtures: the provider's archive, orbits)
    TOULOUSE,
    Requester,
    _entity,
    _requester,
    archive,
    square,
    tles,
)
from tests.orders.test_lifecycle import ingest
from tests.portal.conftest import Browser, Portal
from tests.portal.pages import (
    act,
    attempt,
    deliver,
    find_request,
    history,
    status_shown,
    wait_for_mails,
)
from tests.portal.test_security import sign_in as signed_in
from tests.portal.test_security import unexpected

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")

PASSWORD = "mot de passe des demandes"
AREA_KM2 = 3100
CENTRE = (4.35, 44.05)  # the Cévennes: no other suite's request or item near


@dataclass(frozen=True)
class Lab:
    entity_id: int
    requester: Requester
    colleague: Requester
    referent: Requester
    stranger: Requester
    operator: Requester


@pytest.fixture(scope="module")
def lab(portal: Portal) -> Lab:
    """A lab's requester, colleague and referent, a user of another lab, an operator; each
    with a portal password (and an API key, for the API's side of the tests)."""
    with psycopg.connect(portal.database_url) as conn:
        entity = _entity(conn, "UMR Demandes Cévennes", EntityCategory.FRENCH_RESEARCH)
        other = _entity(conn, "Labo Demandes Ailleurs", EntityCategory.FRENCH_RESEARCH)
        people = Lab(
            entity,
            _requester(conn, entity, "ana@demandes.test"),
            _requester(conn, entity, "bob@demandes.test"),
            _requester(conn, entity, "rita@demandes.test", Role.REFERENT),
            _requester(conn, other, "zoe@ailleurs.test"),
            _requester(conn, other, "otto@ops.demandes.test", Role.OPERATOR),
        )
        hashed = hash_password(PASSWORD)
        for person in (
            people.requester,
            people.colleague,
            people.referent,
            people.stranger,
            people.operator,
        ):
            store.set_password_hash(conn, person.user_id, hashed)
    return people


def sign_in(browser: Browser, portal: Portal, person: Requester) -> None:
    assert signed_in(browser, portal, person.email, PASSWORD) == 200


def open_form(browser: Browser, portal: Portal, product: str) -> None:
    page = browser.page
    page.goto(f"{portal.url}/requests/new?product={product}")
    page.wait_for_function("() => window.dinamisRequest && dinamisRequest.ready")


def quoted(browser: Browser) -> dict[str, Any]:
    """The quote the page shows, once it is that of the area as it now stands."""
    page = browser.page
    page.wait_for_function(
        "() => dinamisRequest.quote && dinamisRequest.geometry"
        " && dinamisRequest.quote.geometry === JSON.stringify(dinamisRequest.geometry)"
    )
    return page.evaluate("() => dinamisRequest.quote")


def shot_of(browser: Browser, selector: str, name: str) -> None:
    """A screenshot of one part of the page: the form's side panel scrolls on its own."""
    path = browser.folder / f"{len(browser.shots) + 1:02d}-{name}.png"
    browser.page.locator(selector).screenshot(path=path)
    browser.shots.append(path)


# -- the journey ------------------------------------------------------------------------------


def draw(browser: Browser, geometry: dict[str, Any]) -> None:
    """Click the outline's corners on the map, as a user does; the quote shows meanwhile."""
    page = browser.page
    west, south, east, north = shape(geometry).bounds
    page.evaluate(
        "([w, s, e, n]) => dinamisMap.fitBounds([[w, s], [e, n]], {padding: 80, animate: false})",
        [west, south, east, north],
    )
    box = page.locator("#map canvas").bounding_box()
    assert box is not None
    corners = page.evaluate(
        "(ring) => ring.map(([x, y]) => {"
        " const p = dinamisMap.project([x, y]); return [p.x, p.y]; })",
        geometry["coordinates"][0][:-1],
    )
    page.get_by_role("button", name="Dessiner un polygone").click()
    for index, (x, y) in enumerate(corners):
        page.mouse.click(box["x"] + x, box["y"] + y)
        if index == 2:
            # Three corners in: the outline so far is already quoted, live.
            page.mouse.move(box["x"] + corners[3][0], box["y"] + corners[3][1])
            page.wait_for_selector("#quote-figures:not([hidden])")
            browser.shot("drawing")
            shot_of(browser, "#quote", "drawing-quote")
    page.keyboard.press("Enter")


def counts_of_the_day(portal: Portal, entity_id: int, day: str) -> dict[str, Any]:
    """An entity's requests, attempts and downloads of a (UTC) day, counted from the raw rows:
    a download is a product fetched by a user on a day, however many requests it took."""
    with psycopg.connect(portal.database_url) as conn:
        orders = conn.execute(
            'SELECT id, area_km2 FROM dinamis_orders."order" WHERE entity_id = %s'
            " AND (created_at AT TIME ZONE 'UTC')::date = %s::date",
            (entity_id, day),
        ).fetchall()
        attempts = conn.execute(
            "SELECT order_id FROM dinamis_orders.attempt WHERE order_id = ANY(%s)",
            ([order for order, _ in orders],),
        ).fetchall()
        events = conn.execute(
            "SELECT collection, item, user_id FROM dinamis_access.download_event"
            " WHERE entity_id = %s AND kind = 'download'"
            " AND (at AT TIME ZONE 'UTC')::date = %s::date",
            (entity_id, day),
        ).fetchall()
    return {
        "order_ids": {order for order, _ in orders},
        "km2": sum(float(area) for _, area in orders),
        "attempts": len(attempts),
        "downloads": len(set(events)),
        "products": len({(collection, item) for collection, item, _ in events}),
    }


@pytest.mark.usefixtures("tles")
def test_tasking_journey_from_drawing_to_download(
    portal: Portal,
    lab: Lab,
    browser: Browser,
    operator_browser: Browser,
    database_url: str,
    settings: Settings,
) -> None:
    page = browser.page
    sign_in(browser, portal, lab.requester)
    open_form(browser, portal, "pleiades-tasking")
    assert page.get_attribute("html", "lang") == "fr"
    area = square(AREA_KM2, CENTRE)
    draw(browser, area)
    shown = quoted(browser)
    geometry = json.loads(shown["geometry"])
    assert abs(geometry_area_km2(shape(geometry)) - AREA_KM2) < AREA_KM2 * 0.01

    # The figures are the API's own quote of the same area and parameters.
    api = httpx.post(
        f"{portal.api_url}/stapi/products/pleiades-tasking/quote",
        json={
            "datetime": f"{page.input_value('#start')}T00:00:00Z/"
            f"{page.input_value('#end')}T23:59:59Z",
            "geometry": geometry,
            "order_parameters": {"view": "mono", "max_cloud_cover": 20, "max_incidence_angle": 30},
        },
        headers=lab.requester.headers,
        timeout=60,
    ).json()
    assert shown["api"] == api
    free = api["lines"][0]["quantity"]
    expected = {
        "q-area": api["area_km2"],
        "q-quota": api["quota_km2"],
        "q-left": max(api["quota_km2"] - free, 0),
        "q-beyond": api["lines"][1]["quantity"],
        "q-due": float(api["due"]),
    }
    for cell, value in expected.items():
        assert float(page.get_attribute(f"#{cell}", "data-value")) == pytest.approx(value)
        assert page.text_content(f"#{cell}") == format_decimal(round(value, 2), locale="fr")
    assert float(api["due"]) > 0 and api["quota_km2"] < api["area_km2"]
    browser.shot("quote")
    shot_of(browser, "#quote", "quote-panel")

    page.get_by_role("button", name="Afficher les passages des satellites").click()
    page.wait_for_selector("#passes li")
    assert page.locator("#passes li").count() > 0
    page.fill("#purpose", "Suivi des châtaigneraies")
    shot_of(browser, "#passes", "passes")
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer la demande").click()
    order_id = page.url.rsplit("/", 1)[1]
    assert page.text_content("#status").strip() == "reçue"
    assert page.get_attribute("#due", "data-due") == api["due"]
    assert "Suivi des châtaigneraies" in page.text_content("dl.facts")
    browser.shot("received")

    # The operator, in a browser of their own, finds the request in the back-office.
    office = operator_browser.page
    sign_in(operator_browser, portal, lab.operator)
    find_request(operator_browser, lab.requester.email, order_id)
    assert status_shown(operator_browser) == "received"
    assert office.text_content("#due").strip() == f"{api['due']} {api['currency']}"
    operator_browser.shot("backoffice-request")
    act(operator_browser, "accept")
    assert status_shown(operator_browser) == "accepted"
    assert "C’est fait" in office.text_content("#done")
    # Forwarding before the requester agreed to the quote: the API's reason, nothing changed.
    act(operator_browser, "forward")
    assert "le devis attend l’accord du demandeur" in office.text_content("#refusal")
    assert status_shown(operator_browser) == "accepted"
    operator_browser.shot("backoffice-refused")
    act(operator_browser, "quote", "Devis DSP 2026")
    assert status_shown(operator_browser) == "reserved"

    page.reload()
    assert page.text_content("#status").strip() == "devis envoyé, en attente de votre accord"
    assert "Devis DSP 2026" in page.text_content("#timeline")
    browser.shot("quoted")
    with page.expect_navigation():
        page.get_by_role("button", name="Accepter le devis").click()
    assert page.text_content("#status").strip() == "acceptée"
    assert page.locator("#agreed").count() == 1
    browser.shot("agreed")

    office.reload()
    assert status_shown(operator_browser) == "accepted"
    act(operator_browser, "forward")
    assert status_shown(operator_browser) == "tasked"
    first = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=3)
    attempt(operator_browser, first, 42.5, validated=False)
    assert status_shown(operator_browser) == "scheduled"
    attempt(operator_browser, first + timedelta(days=9), 4, validated=True)
    assert status_shown(operator_browser) == "processing"
    assert office.locator("#attempts tbody tr").count() == 2
    operator_browser.shot("backoffice-attempts")
    # The product, as ingest publishes it, over the requested area: the page proposes it.
    item_id = f"DEMANDES-PHR-{order_id}"
    west, south, east, north = shape(area).bounds
    cog = ingest(
        database_url, settings, item_id, (west + 0.1, south + 0.1, east - 0.1, north - 0.1)
    )
    office.reload()
    deliver(operator_browser, item_id)
    assert status_shown(operator_browser) == "completed"
    assert office.text_content("#items-delivered").strip() == f"pleiades/{item_id}"
    operator_browser.shot("backoffice-delivered")

    page.get_by_role("link", name="Mes demandes").first.click()
    row = page.locator(f"#requests tr[data-id='{order_id}']")
    assert "livrée" in row.text_content()
    browser.shot("my-requests")
    row.get_by_role("link").click()
    assert page.text_content("#status").strip() == "livrée"
    cells = page.locator("#attempts tbody tr").evaluate_all(
        "rows => rows.map(r => r.cells[1].textContent.trim())"
    )
    assert cells == ["42,5 %", "4 %"]
    statuses = page.locator("#timeline li strong").all_text_contents()
    assert statuses[0] == "reçue" and statuses[-1] == "livrée" and len(statuses) == 8
    # Its map: the area drawn, and the delivered image's footprint leading to its page.
    page.wait_for_function("() => window.dinamisMap && dinamisMap.getLayer('area-line')")
    config = json.loads(page.text_content("#map-config"))
    assert shape(config["area"]).equals_exact(shape(geometry), 1e-9)
    keys = [f["properties"]["key"] for f in config["footprints"]["features"]]
    assert keys == [f"pleiades/{item_id}"]
    assert page.evaluate("() => dinamisMap.getLayer('footprints-fill') !== undefined")
    browser.shot("delivered")
    page.get_by_role("button", name=f"Ajouter {item_id} au panier").click()
    page.wait_for_url(re.compile(rf"/requests/{order_id}$"))
    assert page.locator("#items .in-basket").count() == 1
    page.locator("#items").get_by_role("link", name=item_id).click()
    page.wait_for_selector("#item-title")
    browser.shot("item")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("^Télécharger data")).click()
    path = Path(download.value.path())
    assert path.read_bytes()[:4] in (b"II*\x00", b"MM\x00*")
    assert path.stat().st_size == cog.stat().st_size
    assert not unexpected(browser), browser.errors

    # Who did what: the request's history, the operators' audit trail, the mails.
    operator = lab.operator.email
    assert history(portal, order_id) == [
        ("received", lab.requester.email),
        ("accepted", operator),
        ("reserved", operator),
        ("accepted", lab.requester.email),
        ("tasked", operator),
        ("scheduled", operator),
        ("processing", operator),
        ("completed", operator),
    ]
    office.get_by_role("link", name="Cette demande dans le journal d’audit").click()
    office.wait_for_selector("#audit")
    entries = office.locator("#audit tr.entry")
    actions = [entries.nth(i).get_attribute("data-action") for i in range(entries.count())]
    # The requester's own steps are the request's history, not operators' actions; the
    # refused forward changed nothing, so it is not there either.
    assert actions == ["deliver", "attempt", "attempt", "forward", "quote", "accept"]
    assert {entries.nth(i).locator(".actor").text_content() for i in range(6)} == {operator}
    assert "4 % cloud: validated" in entries.nth(1).locator(".reason").text_content()
    assert item_id in entries.nth(0).locator(".reason").text_content()
    operator_browser.shot("backoffice-audit")
    office.get_by_label("Action", exact=True).select_option("attempt")
    office.get_by_role("button", name="Filtrer").click()
    office.wait_for_selector("#audit")
    assert office.locator("#audit tr.entry[data-action=attempt]").count() >= 2
    assert office.locator("#audit tr.entry:not([data-action=attempt])").count() == 0
    subjects = {
        str(m["Subject"]).rsplit(": ", 1)[1]
        for m in wait_for_mails(portal, lab.requester.email, f"request {order_id} ", 6)
    }
    assert subjects >= {"accepted", "reserved", "tasked", "scheduled", "processing", "completed"}

    # The statistics page: the lab's figures of the day, counted here from the raw rows,
    # are those of this journey.
    office.get_by_role("link", name="Statistiques").click()
    office.wait_for_selector("#requests")
    today = datetime.now(UTC).date().isoformat()
    office.goto(f"{portal.url}/statistics?entity={lab.entity_id}&from={today}&to={today}")
    office.wait_for_selector("#requests")
    counted = counts_of_the_day(portal, lab.entity_id, today)
    assert counted["order_ids"] >= {int(order_id)} and counted["downloads"] >= 1
    figures = {
        (table, column): float(
            office.get_attribute(
                f"#{table} tr[data-key='all/all'] td[data-column={column}]", "data-value"
            )
        )
        for table, column in (
            ("requests", "requests"),
            ("requests", "km2_requested"),
            ("requests", "attempts"),
            ("downloads", "downloads"),
            ("downloads", "products"),
        )
    }
    assert figures == {
        ("requests", "requests"): len(counted["order_ids"]),
        ("requests", "km2_requested"): pytest.approx(counted["km2"], abs=0.01),
        ("requests", "attempts"): counted["attempts"],
        ("downloads", "downloads"): counted["downloads"],
        ("downloads", "products"): counted["products"],
    }
    operator_browser.shot("statistics")

    # The back-office in English.
    office.goto(f"{portal.url}/backoffice/requests/{order_id}")
    office.get_by_role("button", name="English").click()
    office.wait_for_selector("text=Acquisition attempts")
    assert office.text_content("#status").strip() == "delivered"
    operator_browser.shot("backoffice-request-en")
    # The refused forward's page is the only answer the operator's browser reports (a 409).
    assert operator_browser.errors == [
        "Failed to load resource: the server responded with a status of 409 (Conflict)"
    ], operator_browser.errors


@pytest.mark.usefixtures("archive")
def test_archive_scenes_picked_on_the_map(portal: Portal, lab: Lab, browser: Browser) -> None:
    page = browser.page
    sign_in(browser, portal, lab.requester)
    open_form(browser, portal, "pleiades-archive")
    assert page.is_visible("#archive") and not page.is_visible("#tasking")
    page.fill("#start", "2023-01-01")
    page.fill("#end", "2024-12-31")
    assert upload(browser, "toulouse.geojson", json.dumps(square(300, TOULOUSE)).encode())
    page.get_by_role("button", name="Chercher les scènes sur la zone").click()
    page.wait_for_selector("#scenes-list li")
    listed = page.locator("#scenes-list input").evaluate_all("boxes => boxes.map(b => b.value)")
    # Not the SPOT scene (another product's), nor Brest's (elsewhere).
    assert sorted(listed) == ["PHR1A_ARCHIVE_TLS_2023", "PHR1B_ARCHIVE_TLS_2024"]

    # One scene picked on the map (where only it lies), the other ticked in the list.
    page.wait_for_function("() => dinamisMap.loaded()")
    box = page.locator("#map canvas").bounding_box()
    assert box is not None
    x, y = page.evaluate(
        "() => { const p = dinamisMap.project([1.22, 43.42]); return [p.x, p.y]; }"
    )
    page.mouse.click(box["x"] + x, box["y"] + y)
    assert page.is_checked("#scene-PHR1A_ARCHIVE_TLS_2023")
    page.check("#scene-PHR1B_ARCHIVE_TLS_2024")
    page.wait_for_function("() => dinamisRequest.quote && dinamisRequest.quote.scenes.length === 2")
    shown = page.evaluate("() => dinamisRequest.quote")
    # Two scenes of 300 km² are within the archive quota.
    assert shown["api"]["area_km2"] == pytest.approx(300, rel=0.001)
    assert shown["api"]["lines"][0]["quantity"] == pytest.approx(600, rel=0.001)
    assert page.text_content("#q-due") == "0"
    browser.shot("archive-scenes")
    shot_of(browser, "#archive", "archive-scene-list")
    shot_of(browser, "#quote", "archive-quote")
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer la demande").click()
    assert page.text_content("#status").strip() == "reçue"
    assert "PHR1A_ARCHIVE_TLS_2023, PHR1B_ARCHIVE_TLS_2024" in page.text_content("main")
    browser.shot("archive-received")
    assert not unexpected(browser), browser.errors


# -- areas sent as files -------------------------------------------------------------------


def _shapefile_zip(folder: Path, geometry: dict[str, Any]) -> bytes:
    """The area as a zipped shapefile in Lambert-93, the French mapping projection."""
    to_l93 = Transformer.from_crs(4326, 2154, always_xy=True)
    projected = shapely.transform(
        shape(geometry), lambda xy: np.column_stack(to_l93.transform(*xy.T))
    )
    pyogrio.raw.write(
        str(folder / "zone.shp"),
        geometry=np.array([shapely.to_wkb(projected)], dtype=object),
        field_data=[],
        fields=[],
        crs="EPSG:2154",
        geometry_type="Polygon",
        driver="ESRI Shapefile",
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as packed:
        for part in folder.glob("zone.*"):
            packed.write(part, f"export/{part.name}")
    return buffer.getvalue()


def _kml(geometry: dict[str, Any]) -> bytes:
    ring = " ".join(f"{x},{y},0" for x, y in geometry["coordinates"][0])
    return (
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        "<Document><Folder><Placemark><name>zone</name><Polygon><outerBoundaryIs><LinearRing>"
        f"<coordinates>{ring}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
        "</Folder></Document></kml>"
    ).encode()


def upload(browser: Browser, name: str, content: bytes) -> str:
    page = browser.page
    page.evaluate("() => { document.getElementById('aoi-status').textContent = ''; }")
    page.set_input_files("#aoi-file", files=[{"name": name, "mimeType": "", "buffer": content}])
    # Empty, then "reading…", then what became of the file.
    page.wait_for_function(
        "() => { const t = document.getElementById('aoi-status').textContent;"
        " return t && !t.endsWith('…'); }"
    )
    return page.text_content("#aoi-status")


def test_areas_sent_as_files(portal: Portal, lab: Lab, browser: Browser, tmp_path: Path) -> None:
    page = browser.page
    sign_in(browser, portal, lab.requester)
    open_form(browser, portal, "pleiades-tasking")
    geometry = square(1200, CENTRE)
    good = {
        "zone.geojson": json.dumps(
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "properties": {}, "geometry": geometry}],
            }
        ).encode(),
        "zone.kml": _kml(geometry),
        "zone.zip": _shapefile_zip(tmp_path, geometry),
    }
    for name, content in good.items():
        assert upload(browser, name, content) == "Zone lue depuis le fichier."
        area = quoted(browser)["api"]["area_km2"]
        assert area == pytest.approx(1200, rel=0.001), name
        # 1,200 km² is within the lab's free quota: nothing to pay.
        assert page.text_content("#q-due") == "0"
    browser.shot("uploaded")
    shot_of(browser, "#quote", "uploaded-quote")
    # In stereo, twice the images: 2,400 km², beyond the quota of 2,000.
    page.select_option("#view", "stereo")
    page.wait_for_function("() => dinamisRequest.quote.api.lines.length > 1")
    lines = page.evaluate("() => dinamisRequest.quote.api.lines")
    assert [line["quantity"] for line in lines[:2]] == pytest.approx([2000, 400], rel=0.001)
    assert page.text_content("#q-beyond") == page.evaluate(
        "() => dinamisRequest.quote.shown.beyond_km2"
    )
    page.select_option("#view", "mono")

    bad = {
        "notes.txt": (b"hello", "Envoyez un fichier GeoJSON"),
        "zone.zip": (b"PK\x03\x04 not really", "n'est pas une archive zip"),
        "zone.json": (b"{not json", "ne peut pas être lu comme GeoJSON"),
        "point.geojson": (
            json.dumps({"type": "Point", "coordinates": [4.3, 44.0]}).encode(),
            "ne contient aucun polygone",
        ),
        "big.geojson": (b" " * 2_100_000, "dépasse 2000 ko"),
    }
    for name, (content, message) in bad.items():
        assert message in upload(browser, name, content), name
    shot_of(browser, "#aoi-file + p", "refused-file")
    # The refused files left the last good area in place.
    assert quoted(browser)["api"]["area_km2"] == pytest.approx(1200, rel=0.001)

    # Too small for the product: the API's refusal, shown where the quote was.
    upload(browser, "small.geojson", json.dumps(square(40, CENTRE)).encode())
    page.wait_for_selector("#quote-error:not([hidden])")
    # Said in French, as the page is.
    assert "la zone d’intérêt couvre" in page.text_content("#quote-error")
    assert "le minimum est de" in page.text_content("#quote-error")
    assert not unexpected(browser), browser.errors


# -- who sees which request ---------------------------------------------------------------


def test_others_cannot_see_a_request(portal: Portal, lab: Lab, browser: Browser) -> None:
    created = httpx.post(
        f"{portal.api_url}/stapi/products/pleiades-tasking/orders",
        json={
            "datetime": "2027-03-01T00:00:00Z/2027-04-01T00:00:00Z",
            "geometry": square(500, CENTRE),
            "order_parameters": {"view": "stereo"},
        },
        headers=lab.requester.headers,
        timeout=60,
    )
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    page = browser.page

    anonymous = httpx.get(f"{portal.url}/requests/{order_id}")
    assert anonymous.status_code == 401 and "Connectez-vous" in anonymous.text

    for person in (lab.colleague, lab.stranger):
        sign_in(browser, portal, person)
        response = page.goto(f"{portal.url}/requests/{order_id}")
        assert response is not None and response.status == 404
        assert "Aucune demande de ce numéro" in page.text_content("main")
        page.get_by_role("button", name="English").click()
        page.wait_for_selector("html[lang=en]")
        assert "No such request, or it is not yours to see." in page.text_content("main")
        page.goto(f"{portal.url}/requests")
        assert page.locator(f"#requests tr[data-id='{order_id}']").count() == 0
        page.context.clear_cookies()
    browser.shot("not-yours")

    # The form in English, on a phone: one column, nothing wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(browser, portal, lab.stranger)
    page.get_by_role("button", name="English").click()
    open_form(browser, portal, "pleiades-tasking")
    assert page.text_content("#request-title") == "Request imagery"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    browser.shot("form-english-phone")
    page.set_viewport_size({"width": 1100, "height": 700})
    page.context.clear_cookies()

    # The referent sees the entity's requests, who made them, and its SPOT balance (tranches
    # are recorded through the API: the back-office has no page for them).
    answer = httpx.post(
        f"{portal.api_url}/stapi/entities/{lab.entity_id}/tranches",
        json={"attempts": 20},
        headers=lab.operator.headers,
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    sign_in(browser, portal, lab.referent)
    page.goto(f"{portal.url}/requests")
    row = page.locator(f"#requests tr[data-id='{order_id}']")
    assert lab.requester.email in row.text_content()
    assert (
        page.text_content("#balance")
        .strip()
        .endswith("SPOT restantes dans les tranches de votre structure : 20")
    )
    page.goto(f"{portal.url}/requests/{order_id}")
    assert page.text_content("#request-title") == f"Demande {order_id}"
    browser.shot("referent")
    assert not unexpected(browser), browser.errors

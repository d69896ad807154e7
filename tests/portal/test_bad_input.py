"""Odd URLs and files the portal once answered 500 to (found by probing it over HTTP with
generated input): each is a page, or a message, in the reader's language saying what is wrong."""

import re

import httpx
import pytest

from tests.portal.conftest import Portal

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
NO_ITEM = {"fr": "Cette image n’est pas au catalogue.", "en": "No such item in the catalogue."}
NO_PAGE = {"fr": "Il n’y a pas de page à cette adresse.", "en": "There is no page at this address."}


@pytest.fixture(scope="module")
def operator_session(portal: Portal) -> httpx.Client:
    """An HTTP client signed in as the DINAMIS operator, who manages every entity."""
    client = httpx.Client(base_url=portal.url, timeout=60)
    csrf = CSRF.search(client.get("/login").text)
    assert csrf
    email, password = portal.admin
    answer = client.post("/login", data={"email": email, "password": password, "csrf": csrf[1]})
    assert answer.status_code == 303, answer.text
    return client


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        # An id with a NUL: the API call's URL could not even be built.
        ("/catalogue/pleiades/a%00b", 404, NO_ITEM),
        ("/catalogue/a%00b/PORTAL-PHR-WEST", 404, NO_ITEM),
        ("/download/pleiades/a%00b/data", 404, NO_ITEM),
        # An entity id no entity has, asked by one who may manage any.
        ("/entities/0/users", 404, NO_PAGE),
        ("/entities/999999999/users", 404, NO_PAGE),
        ("/entities/99999999999999999999/users", 404, NO_PAGE),
    ],
)
def test_odd_urls_are_a_page_saying_why(
    operator_session: httpx.Client, path: str, status: int, message: dict[str, str], language: str
) -> None:
    response = operator_session.get(path, headers={"Accept-Language": language})
    assert response.status_code == status, response.text[:500]
    assert message[language] in response.text


@pytest.mark.parametrize(
    ("coordinates", "message"),
    [
        # GEOS refused the unclosed ring GDAL read; NaN and 1e400 made an answer JSON cannot
        # write: all three were 500s.
        ("[[1, 43], [2, 43], [2, 44], [1.5, 43.5]]", "ne peut pas être lu comme GeoJSON"),
        ("[[NaN, 43], [2, 43], [2, 44], [NaN, 43]]", "ne peut pas être lu comme GeoJSON"),
        ("[[1e400, 43], [2, 43], [2, 44], [1e400, 43]]", "Les polygones du fichier ne sont pas"),
    ],
)
def test_area_files_that_give_no_area_say_why(
    operator_session: httpx.Client, coordinates: str, message: str
) -> None:
    page = operator_session.get("/requests/new", headers={"Accept-Language": "fr"})
    csrf = CSRF.search(page.text)
    assert csrf, page.text[:300]
    content = f'{{"type": "Polygon", "coordinates": [{coordinates}]}}'.encode()
    response = operator_session.post(
        "/requests/aoi",
        data={"csrf": csrf[1]},
        files={"file": ("zone.geojson", content, "application/geo+json")},
        headers={"Accept-Language": "fr"},
    )
    assert response.status_code == 400, response.text
    assert message in response.json()["error"]

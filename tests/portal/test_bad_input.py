"""Odd URLs the portal once answered 500 to (found by probing it over HTTP with generated
input): each is a page in the reader's language saying what is wrong."""

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
    ],
)
def test_odd_urls_are_a_page_saying_why(
    operator_session: httpx.Client, path: str, status: int, message: dict[str, str], language: str
) -> None:
    response = operator_session.get(path, headers={"Accept-Language": language})
    assert response.status_code == status, response.text[:500]
    assert message[language] in response.text

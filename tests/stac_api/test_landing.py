"""Landing page, conformance and collections over real HTTP, read with pystac-client."""

import httpx
from pystac_client import Client

from access.settings import AccessSettings
from dinamis.serve import BackgroundServer, free_port
from stac_api.app import create_app
from stac_api.settings import ApiSettings


def test_landing_page_names_the_programme(api_url: str) -> None:
    landing = httpx.get(api_url).json()
    assert landing["title"] == "DINAMIS catalogue"
    assert landing["id"] == "dinamis"


def test_conformance_advertises_search_filter_sort_fields(api_url: str) -> None:
    client = Client.open(api_url)
    for conformance in ("ITEM_SEARCH", "FILTER", "SORT", "FIELDS", "QUERY", "FEATURES"):
        assert client.conforms_to(conformance), conformance


def test_collections_are_listed_and_fetched(api_url: str, collection_ids: list[str]) -> None:
    client = Client.open(api_url)
    listed = {c.id for c in client.get_collections()}
    # Other suites may add collections of their own (the synthetic one of the search tests).
    assert set(collection_ids) <= listed
    swh = client.get_collection("spot-world-heritage")
    assert swh.license == "etalab-2.0"
    assert "SPOT5" in swh.summaries.get_list("platform")


def test_transactions_are_off_unless_enabled(
    database_url: str, collection_ids: list[str], access: AccessSettings
) -> None:
    app = create_app(database_url, ApiSettings(enable_transactions_extensions=False), access)
    server = BackgroundServer(app, free_port()).start()
    try:
        response = httpx.post(f"{server.url}/collections", json={"id": "intruder"})
        assert response.status_code == 405
        assert httpx.get(f"{server.url}/collections/pleiades").status_code == 200
    finally:
        server.stop()


def test_collection_free_text_search(api_url: str, collection_ids: list[str]) -> None:
    found = httpx.get(f"{api_url}/collections", params={"q": "World Heritage"}).json()
    assert [c["id"] for c in found["collections"]] == ["spot-world-heritage"]


def test_collection_search_pages(api_url: str, collection_ids: list[str]) -> None:
    first = httpx.get(f"{api_url}/collections", params={"limit": 2}).json()
    assert len(first["collections"]) == 2
    following = next(link["href"] for link in first["links"] if link["rel"] == "next")
    second = httpx.get(following).json()
    assert not {c["id"] for c in first["collections"]} & {c["id"] for c in second["collections"]}


def test_blank_collection_query_is_no_query(api_url: str, collection_ids: list[str]) -> None:
    response = httpx.get(f"{api_url}/collections", params={"query": ""})
    assert response.status_code == 200
    assert set(collection_ids) <= {c["id"] for c in response.json()["collections"]}

"""Answers are Brotli-compressed (the quality and the minimum size from the settings): pages of
items are, answers smaller than a packet are not."""

import httpx

from access.settings import AccessSettings
from dinamis.serve import BackgroundServer, free_port
from stac_api.app import create_app
from stac_api.settings import ApiSettings
from tests.stac_api.conftest import COLLECTION

PAGE = {"collections": COLLECTION, "limit": 100}


def fetch(url: str, encoding: str, params: dict | None = None) -> httpx.Response:
    return httpx.get(url, params=params, headers={"Accept-Encoding": encoding}, timeout=60)


def test_a_page_of_items_is_compressed(api_url: str, search_items: list[dict]) -> None:
    plain = fetch(f"{api_url}/search", "identity", PAGE)
    compressed = fetch(f"{api_url}/search", "br", PAGE)
    assert "content-encoding" not in plain.headers
    assert compressed.headers["content-encoding"] == "br"
    assert compressed.json() == plain.json()
    assert compressed.num_bytes_downloaded < plain.num_bytes_downloaded / 4


def test_a_small_answer_is_not_compressed(api_url: str) -> None:
    ping = fetch(f"{api_url}/_mgmt/ping", "br")
    assert ping.status_code == 200
    assert len(ping.content) < ApiSettings().compression_minimum_size
    assert "content-encoding" not in ping.headers


def test_minimum_size_is_a_setting(
    database_url: str, search_items: list[dict], access: AccessSettings
) -> None:
    settings = ApiSettings(compression_minimum_size=10_000_000)
    server = BackgroundServer(create_app(database_url, settings, access), free_port()).start()
    try:
        page = fetch(f"{server.url}/search", "br", PAGE)
        assert page.status_code == 200
        assert len(page.json()["features"]) == len(search_items)
        assert "content-encoding" not in page.headers
    finally:
        server.stop()

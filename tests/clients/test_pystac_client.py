"""pystac-client, unchanged, against the real API: counts, CQL2 text over POST, every Query
extension operator and free text on items, each checked against the items themselves."""

from collections.abc import Callable

import httpx
import pytest
from pystac_client import Client

from tests.conftest import SEARCH_COLLECTION, SEARCH_COUNT


def props(item: dict) -> dict:
    return item["properties"]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_matched_counts_every_search(api_url: str, search_items: list[dict], method: str) -> None:
    client = Client.open(api_url)
    everything = client.search(collections=[SEARCH_COLLECTION], method=method)
    assert everything.matched() == SEARCH_COUNT
    cloudy = client.search(
        collections=[SEARCH_COLLECTION],
        filter={"op": ">", "args": [{"property": "eo:cloud_cover"}, 50]},
        method=method,
        limit=5,
    )
    expected = sum(props(i)["eo:cloud_cover"] > 50 for i in search_items)
    assert cloudy.matched() == expected
    pages = list(cloudy.pages_as_dicts())
    assert all(page["numberMatched"] == expected for page in pages)
    assert [page["numberReturned"] for page in pages] == [len(p["features"]) for p in pages]
    assert sum(page["numberReturned"] for page in pages) == expected


def test_item_collection_pages_say_how_many_match(api_url: str, search_items: list[dict]) -> None:
    page = httpx.get(f"{api_url}/collections/{SEARCH_COLLECTION}/items", params={"limit": 7})
    assert page.status_code == 200, page.text
    assert page.json()["numberMatched"] == SEARCH_COUNT
    assert page.json()["numberReturned"] == 7


def test_cql2_text_over_post(api_url: str, search_items: list[dict]) -> None:
    client = Client.open(api_url)
    search = client.search(
        collections=[SEARCH_COLLECTION],
        filter="eo:cloud_cover < 10 AND platform = 'PHR1A'",
        filter_lang="cql2-text",
        method="POST",
    )
    expected = {
        i["id"]
        for i in search_items
        if props(i)["eo:cloud_cover"] < 10 and props(i)["platform"] == "PHR1A"
    }
    assert expected
    assert {item.id for item in search.items()} == expected


def test_bad_cql2_text_over_post_is_a_400_naming_it(api_url: str) -> None:
    response = httpx.post(
        f"{api_url}/search", json={"filter": "eo:cloud_cover <<", "filter-lang": "cql2-text"}
    )
    assert response.status_code == 400
    assert "CQL2" in response.text


QUERIES: dict[str, tuple[dict, Callable[[dict], bool]]] = {
    "eq": ({"platform": {"eq": "PHR1B"}}, lambda p: p["platform"] == "PHR1B"),
    "neq": ({"platform": {"neq": "PHR1B"}}, lambda p: p["platform"] != "PHR1B"),
    "lt/gte": (
        {"eo:cloud_cover": {"lt": 40, "gte": 10}},
        lambda p: 10 <= p["eo:cloud_cover"] < 40,
    ),
    "lte/gt": (
        {"view:incidence_angle": {"lte": 20, "gt": 5}},
        lambda p: 5 < p["view:incidence_angle"] <= 20,
    ),
    "in": (
        {"processing:level": {"in": ["SEN", "ORT"]}},
        lambda p: p["processing:level"] in ("SEN", "ORT"),
    ),
    "startsWith": ({"product:type": {"startsWith": "P"}}, lambda p: p["product:type"][0] == "P"),
    "endsWith": ({"product:type": {"endsWith": "S"}}, lambda p: p["product:type"].endswith("S")),
    "contains": ({"product:type": {"contains": "M"}}, lambda p: "M" in p["product:type"]),
}


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("name", QUERIES)
def test_every_query_operator(
    api_url: str, search_items: list[dict], name: str, method: str
) -> None:
    query, keep = QUERIES[name]
    client = Client.open(api_url)
    assert client.conforms_to("QUERY")
    found = client.search(collections=[SEARCH_COLLECTION], query=query, method=method)
    expected = {i["id"] for i in search_items if keep(props(i))}
    assert expected, name
    assert {item.id for item in found.items()} == expected


def test_query_with_filter_is_a_400_naming_it(api_url: str) -> None:
    # stac-fastapi-pgstac's search model refuses the pair before any code of ours runs.
    response = httpx.post(
        f"{api_url}/search",
        json={
            "query": {"platform": {"eq": "PHR1A"}},
            "filter": {"op": "<", "args": [{"property": "eo:cloud_cover"}, 50]},
            "filter-lang": "cql2-json",
        },
    )
    assert response.status_code == 400
    assert "Query extension is not available" in response.text


def test_unknown_query_operator_is_a_400(api_url: str) -> None:
    response = httpx.post(f"{api_url}/search", json={"query": {"platform": {"like": "P%"}}})
    assert response.status_code == 400
    assert "like" in response.text


def test_free_text_finds_items_by_id_or_text(api_url: str, search_items: list[dict]) -> None:
    wanted = [search_items[3]["id"], search_items[17]["id"]]
    # pystac-client 0.9 has `q` for collection search only: items are asked over plain HTTP.
    found = httpx.get(
        f"{api_url}/search",
        params={"collections": SEARCH_COLLECTION, "q": ",".join(w.upper() for w in wanted)},
    )
    assert {f["id"] for f in found.json()["features"]} == set(wanted)
    posted = httpx.post(f"{api_url}/search", json={"q": [wanted[1]]})
    assert [f["id"] for f in posted.json()["features"]] == [wanted[1]]
    get = httpx.get(
        f"{api_url}/collections/{SEARCH_COLLECTION}/items", params={"q": wanted[0][-7:]}
    )
    assert [f["id"] for f in get.json()["features"]] == [wanted[0]]
    nothing = httpx.get(f"{api_url}/search", params={"q": "no-such-thing-anywhere"})
    assert nothing.json()["features"] == []


def test_one_stac_version_everywhere(api_url: str, search_items: list[dict]) -> None:
    # Raw JSON: pystac rewrites stac_version to its own when it serialises.
    landing = httpx.get(api_url).json()
    collections = httpx.get(f"{api_url}/collections").json()["collections"]
    items = httpx.get(f"{api_url}/search", params={"limit": 3}).json()["features"]
    versions = {landing["stac_version"]} | {d["stac_version"] for d in collections + items}
    assert versions == {"1.1.0"}

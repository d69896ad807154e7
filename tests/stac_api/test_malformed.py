"""Malformed input (issue 8): each gets a 4xx JSON naming the problem, never a 500 and never a
200 that ignores it."""

import json

import httpx
import pytest

from tests.stac_api.conftest import COLLECTION


def nested(depth: int) -> dict:
    node: dict = {"op": "=", "args": [{"property": "platform"}, "x"]}
    for _ in range(depth):
        node = {"op": "and", "args": [node, node]} if depth < 5 else {"op": "not", "args": [node]}
    return node


CASES = [
    # (method, path, params, json body, raw body, status, words in the answer)
    ("GET", f"/collections/{COLLECTION}/items/a%00b", {}, None, None, 400, "NUL"),
    ("GET", "/collections/a%00b", {}, None, None, 400, "NUL"),
    ("GET", "/collections/a%00b/items", {}, None, None, 400, "NUL"),
    ("GET", "/search", {"ids": "a\x00b"}, None, None, 400, "NUL"),
    ("GET", "/search", {"collections": "a\x00b"}, None, None, 400, "NUL"),
    ("GET", "/search", {"filter": "platform='a\x00b'", "filter-lang": "cql2-text"}, None, None,
     400, "NUL"),
    ("POST", "/search", {}, {"ids": ["a\x00b"]}, None, 400, "NUL"),
    ("POST", "/search", {}, {"filter": {"op": "=", "args": [{"property": "platform"}, "a\x00"]}},
     None, 400, "NUL"),
    ("POST", "/search", {}, None, "[1, 2]", 400, "object"),
    ("POST", "/search", {}, None, '"search"', 400, "object"),
    ("POST", "/search", {}, None, "null", 400, "object"),
    ("GET", "/search", {"bbox": "-Infinity,0,1,1"}, None, None, 400, "bbox"),
    ("GET", "/search", {"bbox": "0,0,Infinity,1"}, None, None, 400, "bbox"),
    ("GET", "/search", {"bbox": "NaN,0,1,1"}, None, None, 400, "bbox"),
    ("GET", "/search", {"bbox": "nan,nan,nan,nan"}, None, None, 400, "bbox"),
    ("POST", "/search", {}, None, '{"bbox": [NaN, 0, 1, 1]}', 400, "bbox"),
    ("POST", "/search", {}, None, '{"bbox": [0, 0, Infinity, 1]}', 400, "bbox"),
    ("GET", f"/collections/{COLLECTION}/items", {"bbox": "NaN,0,1,1"}, None, None, 400, "bbox"),
    ("GET", "/search", {"sortby": "nosuchfield"}, None, None, 400, "nosuchfield"),
    ("GET", "/search", {"sortby": "-properties.nosuchfield"}, None, None, 400, "nosuchfield"),
    ("POST", "/search", {}, {"sortby": [{"field": "nosuchfield", "direction": "asc"}]}, None,
     400, "nosuchfield"),
    ("GET", f"/collections/{COLLECTION}/items", {"sortby": "nosuchfield"}, None, None, 400,
     "nosuchfield"),
    # Found by probing the running API with generated input: each was a 500.
    ("POST", "/search", {}, None, '{"ids": ["\\ud800"]}', 400, "lone UTF-16 surrogate"),
    ("POST", "/search", {}, None, '{"collections": ["a\\udc00b"]}', 400, "lone UTF-16 surrogate"),
    ("POST", "/search", {}, None, '{"limit": 1e400}', 400, "1e400 is past a double's range"),
    ("POST", "/search", {}, None, '{"bbox": [1' + "0" * 400 + ', 0, 1, 1]}', 400,
     "(401 digits) is an integer past 64 bits"),
    # Past 64 bits: the answer's encoder (orjson) holds no more, and a search echoes its body in
    # its links (it was a 500).
    ("POST", "/search", {}, None, '{"limit": 2, "x": 1' + "0" * 30 + "}", 400,
     "integer past 64 bits"),
    ("POST", "/aggregate", {}, {"datetime": "2024"}, None, 400, "syntax for type timestamp"),
    ("GET", "/collections", {"q": "'"}, None, None, 400, "q cannot be searched"),
    ("GET", "/collections", {"q": "sea &"}, None, None, 400, "q cannot be searched"),
    ("POST", "/stapi/products/spot-tasking/orders", {}, None,
     '{"geometry": {"type": "Point", "coordinates": [NaN, 0]}}', 400, '"nan"'),
    # An empty 'in' list: pgSTAC wrote SQL's "IN ()", a syntax error.
    ("POST", "/search", {}, {"query": {"platform": {"in": []}}}, None, 400, "one value or more"),
    ("GET", "/search", {"query": '{"platform": {"in": []}}'}, None, None, 400, "one value or more"),
    ("POST", "/search", {}, {"filter": {"op": "in", "args": [{"property": "id"}, []]}}, None, 400,
     "one value or more"),
    ("POST", "/aggregate", {}, {"filter": {"op": "and", "args": [
        {"op": "in", "args": [{"property": "id"}, []]}, {"op": "=", "args": [1, 1]}]}}, None,
     400, "one value or more"),
    ("POST", "/stapi/products/spot-tasking/orders", {}, None, '{"properties": {"a": "\\ud800"}}',
     400, "field required"),
    # GET filters, checked by the API's own (cached) check, on every GET route that takes one.
    ("GET", "/search", {"filter-lang": "cql2-text", "filter": "platform = "}, None, None, 400,
     "filter: not valid CQL2 text"),
    ("GET", "/search", {"filter-lang": "cql2-json", "filter": "{nope"}, None, None, 400,
     "filter: not valid CQL2-JSON"),
    ("GET", f"/collections/{COLLECTION}/items", {"filter": "platform"}, None, None, 400,
     "filter: not valid CQL2 text"),
    ("GET", "/aggregate", {"aggregations": "total_count", "filter": "platform ="}, None, None,
     400, "filter: not valid CQL2 text"),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "params", "body", "raw", "status", "words"), CASES)
def test_malformed_input_is_a_named_4xx(
    api_url: str,
    search_items: list[dict],
    method: str,
    path: str,
    params: dict,
    body,
    raw,
    status: int,
    words: str,
) -> None:
    response = httpx.request(
        method,
        f"{api_url}{path}",
        params=params,
        json=body,
        content=raw.encode() if raw is not None else None,
        headers={"Content-Type": "application/json"} if raw is not None else None,
    )
    assert response.status_code == status, response.text
    answer = response.json()
    assert words.lower() in json.dumps(answer).lower(), answer


@pytest.mark.parametrize(
    ("path", "body", "key"),
    [
        ("/collections?fields=-id", None, "collections"),  # links need the id (was a KeyError)
        ("/collections?fields=-properties,-id,", None, "collections"),
        # A 6-number bbox: pgSTAC made a solid of it, which PostGIS could not compare.
        ("/collections?bbox=-5,42,0,8,51,100", None, "collections"),
    ],
)
def test_odd_requests_found_failing_are_served(
    api_url: str, search_items: list[dict], path: str, body: str | None, key: str
) -> None:
    if body is None:
        response = httpx.get(f"{api_url}{path}")
    else:
        response = httpx.post(
            f"{api_url}{path}", content=body, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 200, response.text
    assert response.json()[key], response.text
    assert all(entry["id"] for entry in response.json()[key])


@pytest.mark.parametrize("path", ["/search", "/aggregate"])
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_search_body_that_is_not_json_is_a_415(
    api_url: str, path: str, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = httpx.post(f"{api_url}{path}", content=b'{"limit": 1}', headers=headers)
    assert response.status_code == 415, response.text
    assert "Content-Type: application/json" in response.json()["description"], response.text


@pytest.mark.parametrize("depth", [200, 300, 400])
def test_deep_cql2_json_is_a_400(api_url: str, depth: int) -> None:
    response = httpx.post(f"{api_url}/search", json={"filter": nested(depth)})
    assert response.status_code == 400, response.text


def test_known_sortables_still_sort(api_url: str, search_items: list[dict]) -> None:
    for sortby in ("-properties.eo:cloud_cover", "datetime", "id", "properties.datetime"):
        response = httpx.get(
            f"{api_url}/search", params={"collections": COLLECTION, "sortby": sortby, "limit": 3}
        )
        assert response.status_code == 200, (sortby, response.text)


def test_sortables_list_what_sortby_accepts(api_url: str) -> None:
    sortables = httpx.get(f"{api_url}/sortables")
    assert sortables.status_code == 200, sortables.text
    fields = sortables.json()["properties"]
    for name in ("id", "datetime", "eo:cloud_cover", "view:incidence_angle"):
        assert name in fields, name
    conformance = httpx.get(f"{api_url}/conformance").json()["conformsTo"]
    assert "https://api.stacspec.org/v1.1.0/item-search#sortables" in conformance

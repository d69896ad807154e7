"""Property-based test (issue 8): whatever a client sends to any read route of the API's OpenAPI
document (``/api``), as a search body, or as the JSON body of any of its POST routes, the answer
is never a 5xx. Bounded in examples so the whole test takes seconds; a failure prints the
request hypothesis shrank it to."""

import json
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.entitlements import People, bearer

# Words that reach the parsers' corners: numbers out of range, CQL2 and JSON syntax, NUL.
WORDS = [
    "NaN", "Infinity", "-Infinity", "1e309", "-1", "0", "10001", "\x00", "%00", "'", '"', "(",
    ")", "NOT", "AND", "OR", "{", "}", "[", "]", "..", "/", "-180", "91", "2020-01-01T00:00:00Z",
    "eo:cloud_cover", "properties.datetime", "-id", "+datetime", "null", "true", "pleiades",
    "cql2-text", "cql2-json", "=", "<", "LIKE", "S_INTERSECTS", "POINT(0 0)", "\u00e9", "\ud7ff",
]  # fmt: skip
SEARCH_KEYS = [
    "collections", "ids", "bbox", "intersects", "datetime", "limit", "filter", "filter-lang",
    "filter_lang", "sortby", "fields", "query", "token", "conf", "q",
]  # fmt: skip

word_lists = st.lists(st.sampled_from(WORDS), max_size=6)
text_values = st.one_of(
    st.text(max_size=40),
    word_lists.map(" ".join),
    word_lists.map(",".join),
    st.integers().map(str),
    st.floats().map(str),
)
json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(2**63, 10**40),  # past 64 bits: orjson writes none back
    st.floats(),  # NaN and ±Infinity included: json.dumps writes them, as careless clients do
    st.text(max_size=20),
    st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=2),  # lone
    st.sampled_from(WORDS),
)
json_values = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8) | st.sampled_from(SEARCH_KEYS), children, max_size=4)
    ),
    max_leaves=25,
)
search_bodies = st.one_of(
    json_values, st.dictionaries(st.sampled_from(SEARCH_KEYS), json_values, max_size=5)
)


def read_operations(api_url: str, method: str = "get") -> list[tuple[str, list[str], list[str]]]:
    """(path template, path parameters, query parameters) of every ``method`` operation of the
    document."""
    document = httpx.get(f"{api_url}/api").json()
    operations = []
    for path, methods in document["paths"].items():
        if method not in methods:
            continue
        parameters = methods[method].get("parameters", [])
        operations.append(
            (
                path,
                [p["name"] for p in parameters if p["in"] == "path"],
                [p["name"] for p in parameters if p["in"] == "query"],
            )
        )
    return operations


@pytest.fixture(scope="module")
def operations(api_url: str, access_items) -> list[tuple[str, list[str], list[str]]]:
    found = read_operations(api_url)
    assert any(path == "/search" for path, _, _ in found)
    return found


# Each test draws 150 requests against the live API; no example database between runs.
PROBING = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


def check(response: httpx.Response, what: Any) -> None:
    assert response.status_code < 500, (what, response.status_code, response.text[:500])


@PROBING
@given(data=st.data())
def test_no_read_route_answers_5xx(api_url: str, operations, data: st.DataObject) -> None:
    path, path_params, query_params = data.draw(st.sampled_from(operations))
    for name in path_params:
        value = data.draw(text_values.filter(bool), label=name)
        path = path.replace(f"{{{name}}}", quote(value, safe=""))
    params = data.draw(
        st.dictionaries(st.sampled_from(query_params or ["x"]), text_values, max_size=4),
        label="query",
    )
    with httpx.Client(timeout=30) as client:
        check(client.get(f"{api_url}{path}", params=params), (path, params))


@pytest.mark.parametrize("query", ["fields=,", "fields=,,-", "fields=id,,"])
def test_read_routes_found_failing(api_url: str, access_items, query: str) -> None:
    """What this file's fuzzing once found answering 500 (empty names in ``fields``)."""
    collection, _ = access_items.open
    for path in ("/search", f"/collections/{collection}/items"):
        response = httpx.get(f"{api_url}{path}?{query}", timeout=30)
        assert response.status_code == 200, (path, query, response.text[:300])
        assert response.json()["type"] == "FeatureCollection"


@PROBING
@given(body=search_bodies)
# Found by this test: pgSTAC read a non-expression filter as a boolean literal.
@example(body={"filter": {"filter": -1}})
@example(body={"filter": {"op": "and", "args": [1, "x"]}})
def test_no_search_body_answers_5xx(api_url: str, access_items, body: Any) -> None:
    raw = json.dumps(body)  # NaN and Infinity written as such, as JavaScript clients may
    response = httpx.post(
        f"{api_url}/search",
        content=raw.encode(),  # lone surrogates written as \ud800 escapes
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    check(response, raw)


@pytest.fixture(scope="module")
def post_operations(api_url: str, access_items) -> list[tuple[str, list[str], list[str]]]:
    found = read_operations(api_url, "post")
    assert any(path.endswith("/orders") for path, _, _ in found)
    return found


@PROBING
@given(data=st.data())
def test_no_post_route_answers_5xx(
    api_url: str, post_operations, people: People, data: st.DataObject
) -> None:
    """Every POST of the document (searches, aggregations, imagery requests, processes,
    catalogue writes, access routes), with any JSON body, as an anonymous or a signed-in caller:
    refused if it must be, never a 5xx. Validation runs before the rights on most routes."""
    path, path_params, _ = data.draw(st.sampled_from(post_operations), label="operation")
    for name in path_params:
        value = data.draw(text_values.filter(bool), label=name)
        path = path.replace(f"{{{name}}}", quote(value, safe=""))
    raw = json.dumps(data.draw(search_bodies, label="body"))
    key = data.draw(st.sampled_from([None, people.entitled, people.no_licence]), label="key")
    response = httpx.post(
        f"{api_url}{path}",
        content=raw.encode(),
        headers={"Content-Type": "application/json", **(bearer(key) if key else {})},
        timeout=30,
    )
    check(response, (path, raw))

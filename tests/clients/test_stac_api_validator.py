"""stac-api-validator, the STAC API's own conformance checker, for every conformance class the
API declares that the validator knows.

Validator (0.6.8) behaviour worked around, in ``tolerant_retrieve`` (no class is left out):
1. Transaction: its test item and its PUT body have no `links`, which STAC requires of an item;
   stac-fastapi (stac-pydantic) rightly refuses them with a 400. `links: []` is added.
2. Transaction: it wants 204 without a body from DELETE, PUT and PATCH, where OGC API Features
   part 4 allows 200 with the resource (what stac-fastapi answers); and its first DELETE, of an
   item that does not exist yet, must answer 204 too rather than 404. Those statuses are
   accepted; any other status stays an error.
3. It fetches the JSON schemas of STAC core and extensions from the internet (this machine has
   none): they are served from the same offline copies the other schema tests use (pystac's
   core schemas, tests/schemas/); a schema missing there stays an error.
4. Sort and Query over POST: it sends `"collections": "<id>"`, a string where the search body
   takes an array (stac-fastapi answers 400); the string is put in an array.
5. Query `in`: it checks each result with `set(properties[field])`, reading the value as a
   list, so a string value is split into its characters and never matches ("PHR1A" is not in
   {"P","H","R","1","A"}); the `in` case uses `product:type` with the one-character values
   "P,M,S" (items of type "P" match), where that check and the extension agree.
"""

import json
import re
from typing import Any

import httpx
import pytest
from stac_api_validator import validations
from stac_api_validator.validations import Errors, Method, QueryConfig, validate_api
from stac_validator import utilities as stac_validator_utilities

from tests.conftest import SEARCH_COLLECTION
from tests.stac_schemas import registry

# The validator's class names, and how the API's conformance URIs spell them.
VALIDATOR_CLASSES = {
    "core": r"/core$",
    "browseable": r"/browseable$",
    "children": r"/children$",
    "collections": r"api\.stacspec\.org/v[^/]+/collections$",
    "features": r"api\.stacspec\.org/v[^/]+/ogcapi-features$",
    "item-search": r"api\.stacspec\.org/v[^/]+/item-search$",
    "filter": r"item-search#filter$",
    "item-search#sort": r"item-search#sort$",
    "item-search#fields": r"item-search#fields$",
    "item-search#query": r"item-search#query$",
    "features#sort": r"ogcapi-features#sort$",
    "features#fields": r"ogcapi-features#fields$",
    "features#query": r"ogcapi-features#query$",
    "transaction": r"ogcapi-features/extensions/transaction$",
}


def declared(api_url: str) -> list[str]:
    conformance = httpx.get(f"{api_url}/conformance").json()["conformsTo"]
    return [
        name
        for name, pattern in VALIDATOR_CLASSES.items()
        if any(re.search(pattern, uri) for uri in conformance)
    ]


# The validator's label for each class's findings.
CONTEXTS = {
    "core": ["Core"],
    "browseable": ["Browseable Ext"],
    "children": ["Children Ext"],
    "collections": ["Collections"],
    "features": ["Features"],
    "item-search": ["Item Search"],
    "filter": ["Item Search - Filter Ext", "Features - Filter Ext"],
    "item-search#sort": ["Item Search - Sort Ext"],
    "item-search#fields": ["Item Search - Fields Ext"],
    "item-search#query": ["Item Search - Query Ext"],
    "features#sort": ["Features - Sort Ext"],
    "features#fields": ["Features - Fields Ext"],
    "features#query": ["Features - Query Ext"],
    "transaction": ["Features - Transaction Ext"],
}
# What this API declares (the suite's API runs with transactions on).
DECLARED = [
    "core",
    "collections",
    "features",
    "item-search",
    "filter",
    "item-search#sort",
    "item-search#fields",
    "item-search#query",
    "features#sort",
    "features#fields",
    "features#query",
    "transaction",
]


def test_the_api_declares_what_clients_look_for(api_url: str) -> None:
    assert declared(api_url) == DECLARED


_retrieve = validations.retrieve


def tolerant_retrieve(method: Method, url: str, errors: Errors, *args: Any, **kwargs: Any) -> Any:
    body = kwargs.get("body")
    if isinstance(body, dict) and body.get("type") == "Feature" and "links" not in body:
        kwargs["body"] = {**body, "links": []}  # 1.
    if isinstance(body, dict) and isinstance(body.get("collections"), str):
        kwargs["body"] = {**body, "collections": [body["collections"]]}  # 4.
    if kwargs.get("status_code") != 204 or method not in (Method.DELETE, Method.PUT, Method.PATCH):
        return _retrieve(method, url, errors, *args, **kwargs)
    own = Errors()
    answer = _retrieve(method, url, own, *args, **kwargs)
    allowed = (200, 404) if method is Method.DELETE else (200,)
    if answer[0] not in allowed:  # 2. anything else stays an error
        for error in own.errors:
            errors += error
    return answer


def offline_schema(url: str) -> dict[str, Any]:  # 3.
    try:
        return registry().contents(url.removesuffix("#"))
    except LookupError as error:
        raise LookupError(f"{url}: no offline copy (tests/schemas/)") from error


@pytest.fixture(scope="module")
def area(search_items: list[dict]) -> str:
    return json.dumps(search_items[0]["geometry"])


@pytest.fixture(scope="module")
def findings(
    api_url: str,
    search_items: list[dict],
    area: str,
    admin_key: str,
) -> list[str]:
    """Every error the validator reports, for every declared class, in one run."""
    covers = sorted(item["properties"]["eo:cloud_cover"] for item in search_items)
    median = str(covers[len(covers) // 2])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(validations, "retrieve", tolerant_retrieve)
        patch.setattr(stac_validator_utilities, "_schema_cache", offline_schema)
        _, errors = validate_api(
            root_url=api_url,
            ccs_to_validate=declared(api_url),
            collection=SEARCH_COLLECTION,
            geometry=area,
            auth_bearer_token=None,
            auth_query_parameter=None,
            fields_nested_property="properties.eo:cloud_cover",
            validate_pagination=True,
            query_config=QueryConfig(
                # A value some item has (eq must find it), in the middle (lt and gt find some).
                query_comparison_field="eo:cloud_cover",
                query_eq_value=median,
                query_neq_value=median,
                query_lt_value=median,
                query_lte_value=median,
                query_gt_value=median,
                query_gte_value=median,
                query_substring_field="product:type",
                query_starts_with_value="P",
                query_ends_with_value="S",
                query_contains_value="M",
                # 5.: one-character values, where its set() of a string agrees with the spec.
                query_in_field="product:type",
                query_in_values="P,M,S",
            ),
            transaction_collection=SEARCH_COLLECTION,
            headers={"Authorization": f"Bearer {admin_key}"},
            stac_check_config=None,
        )
    return [str(error) for error in errors]


def of_class(findings: list[str], name: str) -> list[str]:
    labels = CONTEXTS[name]
    return [f for f in findings if any(f.startswith(f"[{label}]") for label in labels)]


@pytest.mark.parametrize("name", DECLARED)
def test_declared_class_validates(findings: list[str], name: str) -> None:
    errors = of_class(findings, name)
    assert not errors, "\n".join(error[:400] for error in errors)


def test_no_finding_outside_a_class(findings: list[str]) -> None:
    labelled = {f for name in CONTEXTS for f in of_class(findings, name)}
    assert [f for f in findings if f not in labelled] == []

"""Access tokens (issue 8): scoped to the collections they were minted for, never a whole API
key in a URL, never authorising a change of state, and never given to inactive users."""

import httpx
import pytest

from tests.entitlements import Items, People, bearer


def download_url(api_url: str, collection: str, item: str, asset: str = "image") -> str:
    return f"{api_url}/collections/{collection}/items/{item}/assets/{asset}/download"


def mint(api_url: str, key: str, **body) -> httpx.Response:
    return httpx.post(f"{api_url}/auth/token", headers=bearer(key), json=body or None)


def test_a_key_in_access_token_is_refused(api_url: str, access_items: Items, people: People):
    response = httpx.get(
        download_url(api_url, *access_items.licensed), params={"access_token": people.entitled}
    )
    assert response.status_code == 401
    assert "not accepted in access_token" in response.json()["detail"]


def test_token_reads_only_the_collections_it_was_minted_for(
    api_url: str, access_items: Items, people: People
) -> None:
    licensed, open_ = access_items.licensed, access_items.open
    spot = mint(api_url, people.entitled, collections=["spot-6-7"])
    assert spot.status_code == 200, spot.text
    assert spot.json()["collections"] == ["spot-6-7"]
    refused = httpx.get(
        download_url(api_url, *licensed), params={"access_token": spot.json()["access_token"]}
    )
    assert refused.status_code == 403
    assert "spot-6-7" in refused.json()["detail"] and "pleiades" in refused.json()["detail"]
    # ... even on an open collection: a token is not a general credential.
    assert (
        httpx.get(
            download_url(api_url, *open_), params={"access_token": spot.json()["access_token"]}
        ).status_code
        == 403
    )
    pleiades = mint(api_url, people.entitled, collections=["pleiades"]).json()["access_token"]
    ok = httpx.get(download_url(api_url, *licensed), params={"access_token": pleiades})
    assert ok.status_code == 200


def test_default_scope_is_what_the_user_may_read(api_url: str, people: People) -> None:
    entitled = mint(api_url, people.entitled).json()["collections"]
    assert {"pleiades", "spot-6-7", "spot-world-heritage"} <= set(entitled)
    unlicensed = mint(api_url, people.no_licence).json()["collections"]
    assert "spot-world-heritage" in unlicensed and "pleiades" not in unlicensed


def test_no_token_for_a_collection_the_user_may_not_read(api_url: str, people: People) -> None:
    response = mint(api_url, people.no_licence, collections=["pleiades"])
    assert response.status_code == 403
    assert "has not accepted licence" in response.json()["detail"]


def test_sign_scopes_the_token_to_the_href_collection(
    api_url: str, access_items: Items, people: People
) -> None:
    licensed = download_url(api_url, *access_items.licensed)
    signed = httpx.get(
        f"{api_url}/sign", params={"href": licensed}, headers=bearer(people.entitled)
    )
    assert signed.status_code == 200, signed.text
    token = httpx.URL(signed.json()["href"]).params["access_token"]
    assert httpx.get(signed.json()["href"]).status_code == 200
    other = download_url(api_url, *access_items.open)
    assert httpx.get(other, params={"access_token": token}).status_code == 403
    no_collection = httpx.get(
        f"{api_url}/sign", params={"href": f"{api_url}/search"}, headers=bearer(people.entitled)
    )
    assert no_collection.status_code == 400


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/users/{user}/activate"),
        ("POST", "/auth/licences/airbus-dinamis/acknowledge"),
        ("POST", "/auth/token"),
        ("GET", "/sign?href={api}/collections/pleiades/items/x/assets/image/download"),
        ("GET", "/entities/{entity}/users"),
        ("DELETE", "/collections/no-such-collection"),
    ],
)
def test_tokens_never_change_state(api_url: str, people: People, method: str, path: str) -> None:
    admin_token = mint(api_url, people.admin).json()["access_token"]
    url = api_url + path.format(
        user=people.other_pending_user, entity=people.entity_id, api=api_url
    )
    response = httpx.request(method, url, params={"access_token": admin_token})
    assert response.status_code == 401, response.text
    assert "not an access token" in response.text or "API key" in response.text


def test_disabled_users_get_nothing(api_url: str, people: People) -> None:
    key = people.disabled
    token = mint(api_url, key)
    assert token.status_code == 403 and "disabled" in token.json()["detail"]
    signed = httpx.get(
        f"{api_url}/sign",
        params={"href": f"{api_url}/collections/spot-world-heritage/items/x"},
        headers=bearer(key),
    )
    assert signed.status_code == 403
    acknowledged = httpx.post(
        f"{api_url}/auth/licences/airbus-dinamis/acknowledge", headers=bearer(key)
    )
    assert acknowledged.status_code == 403 and "disabled" in acknowledged.json()["detail"]

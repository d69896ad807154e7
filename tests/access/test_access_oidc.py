"""OpenID Connect access tokens from the configured issuer stand for registered users."""

import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

# The tokens name users registered by the `people` fixture.
pytestmark = pytest.mark.usefixtures("people")


def me(api_url: str, token: str) -> httpx.Response:
    return httpx.get(f"{api_url}/auth/me", headers={"Authorization": f"Bearer {token}"})


def test_a_registered_users_login_is_accepted(api_url, access_items, issuer) -> None:
    token = issuer.token("Alice@IGN.test")
    response = me(api_url, token)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["email"] == "alice@ign.test"
    collection, item = access_items.licensed
    download = f"{api_url}/collections/{collection}/items/{item}/assets/image/download"
    response = httpx.get(download, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_forged_expired_foreign_or_unknown_tokens_are_401(api_url, issuer) -> None:
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    payload = {"iss": issuer.url, "email": "alice@ign.test", "exp": int(time.time()) + 60}
    refused = [
        issuer.token("alice@ign.test", exp=int(time.time()) - 10),
        issuer.token("alice@ign.test", iss="https://elsewhere.test"),
        issuer.token("alice@ign.test", email_verified=False),
        issuer.token("stranger@nowhere.test"),
        jwt.encode(payload, other_key, "RS256", {"kid": issuer.kid}),
        jwt.encode(payload, "a shared secret " * 4, "HS256", {"kid": issuer.kid}),
    ]
    for token in refused:
        assert me(api_url, token).status_code == 401, jwt.decode(
            token, options={"verify_signature": False}
        )


def test_a_login_cannot_mint_access_tokens(api_url, issuer) -> None:
    headers = {"Authorization": f"Bearer {issuer.token('alice@ign.test')}"}
    assert httpx.post(f"{api_url}/auth/token", headers=headers).status_code == 401

"""Signing in with an OpenID Connect provider (authorization code + PKCE), in a real browser,
against a stand-in provider served over HTTP that checks the PKCE verifier as Keycloak does."""

import base64
import hashlib
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Form, HTTPException, Query
from fastapi.responses import RedirectResponse
from jwt.algorithms import RSAAlgorithm

from access.settings import AccessSettings
from dinamis.serve import BackgroundServer, free_port
from portal.app import create_app
from portal.settings import PortalSettings
from tests.browser import CHROMIUM
from tests.portal.conftest import Browser, member

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")

CLIENT_ID = "dinamis-portal"


@dataclass
class Provider:
    url: str = ""
    signs_in: str = ""
    """The e-mail of whoever authenticates at the provider next."""
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    callbacks: list[str] = field(default_factory=list)


def provider_app(provider: Provider) -> FastAPI:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": "k1", "alg": "RS256"}
    app = FastAPI()

    @app.get("/.well-known/openid-configuration")
    def metadata() -> dict[str, Any]:
        return {
            "issuer": provider.url,
            "authorization_endpoint": f"{provider.url}/authorize",
            "token_endpoint": f"{provider.url}/token",
            "jwks_uri": f"{provider.url}/jwks.json",
            "code_challenge_methods_supported": ["S256"],
        }

    @app.get("/jwks.json")
    def jwks() -> dict[str, Any]:
        return {"keys": [jwk]}

    @app.get("/authorize")
    def authorize(
        client_id: str,
        redirect_uri: str,
        state: str,
        nonce: str,
        code_challenge: str,
        code_challenge_method: Annotated[str, Query(pattern="^S256$")],
    ) -> RedirectResponse:
        if client_id != CLIENT_ID:
            raise HTTPException(400, "unknown client")
        code = secrets.token_urlsafe(16)
        provider.codes[code] = {
            "challenge": code_challenge,
            "nonce": nonce,
            "redirect_uri": redirect_uri,
            "email": provider.signs_in,
        }
        callback = f"{redirect_uri}?{urlencode({'code': code, 'state': state})}"
        provider.callbacks.append(callback)
        return RedirectResponse(callback, status_code=302)

    @app.post("/token")
    def token(
        code: Annotated[str, Form()],
        code_verifier: Annotated[str, Form()],
        redirect_uri: Annotated[str, Form()],
        client_id: Annotated[str, Form()],
    ) -> dict[str, Any]:
        grant = provider.codes.pop(code, None)
        digest = hashlib.sha256(code_verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if (
            grant is None
            or grant["challenge"] != challenge
            or grant["redirect_uri"] != redirect_uri
        ):
            raise HTTPException(400, "invalid_grant")
        now = int(time.time())
        claims = {
            "iss": provider.url,
            "aud": client_id,
            "sub": grant["email"],
            "email": grant["email"],
            "email_verified": True,
            "nonce": grant["nonce"],
            "iat": now,
            "exp": now + 300,
        }
        id_token = jwt.encode(claims, key, "RS256", {"kid": "k1"})
        return {"access_token": "opaque", "token_type": "Bearer", "id_token": id_token}

    return app


@pytest.fixture(scope="module")
def oidc_portal(
    database_url: str, access: AccessSettings, api_url: str
) -> Iterator[tuple[str, Provider]]:
    provider = Provider()
    idp = BackgroundServer(provider_app(provider), free_port()).start()
    provider.url = idp.url
    port = free_port()
    settings = PortalSettings(
        public_url=f"http://127.0.0.1:{port}",
        api_url=api_url,
        oidc_issuer=idp.url,
        oidc_client_id=CLIENT_ID,
        oidc_name="Keycloak de test",
    )
    server = BackgroundServer(create_app(database_url, settings, access), port).start()
    member(database_url, "Portail labo OIDC", "olivia@oidc.test", "mot de passe local")
    yield server.url, provider
    server.stop()
    idp.stop()


def test_sign_in_with_the_provider(oidc_portal: tuple[str, Provider], browser: Browser) -> None:
    url, provider = oidc_portal
    page = browser.page
    provider.signs_in = "olivia@oidc.test"
    page.goto(f"{url}/login")
    browser.shot("login")
    page.get_by_role("link", name="Se connecter avec Keycloak de test").click()
    page.wait_for_url(f"{url}/account")
    assert "olivia@oidc.test" in page.text_content("main")
    browser.shot("account")
    assert not provider.codes  # the code was spent

    # The callback replayed (from the history, a log): nothing is completed twice.
    response = page.goto(provider.callbacks[-1])
    assert response and response.status == 400
    assert "n’a pas abouti" in page.text_content("main")
    browser.shot("replayed")


def test_unregistered_or_tampered_sign_ins_are_refused(
    oidc_portal: tuple[str, Provider], browser: Browser
) -> None:
    url, provider = oidc_portal
    page = browser.page
    provider.signs_in = "stranger@elsewhere.test"
    response = page.goto(f"{url}/login/oidc")
    assert response and response.status == 403
    assert "Aucun compte DINAMIS actif" in page.text_content("main")
    assert page.get_by_role("link", name="Mon compte").count() == 0
    browser.shot("unregistered")

    # A callback whose state is not this browser's own attempt.
    provider.signs_in = "olivia@oidc.test"
    page.goto(f"{url}/login/oidc?next=/basket")
    page.wait_for_url(f"{url}/basket")
    page.get_by_role("button", name="Se déconnecter").click()
    page.context.clear_cookies()
    response = page.goto(f"{url}/login/oidc/callback?code=forged&state=forged")
    assert response and response.status == 400
    assert page.get_by_role("link", name="Mon compte").count() == 0

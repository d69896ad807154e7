"""OpenID Connect sign-in: authorization code flow with PKCE (S256), state and nonce; the ID
token checked against the provider's published keys (the access package's verifier)."""

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.concurrency import run_in_threadpool

from access.oidc import OidcVerifier
from portal.settings import PortalSettings


class OidcError(Exception):
    """The provider refused, could not be reached, or answered something not to be trusted."""


@dataclass(frozen=True)
class Attempt:
    """What the portal keeps (in the session) between the redirect and the callback."""

    state: str
    nonce: str
    verifier: str
    next: str

    @classmethod
    def new(cls, next_url: str) -> "Attempt":
        return cls(
            secrets.token_urlsafe(24),
            secrets.token_urlsafe(24),
            secrets.token_urlsafe(48),
            next_url,
        )

    @property
    def challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class OidcClient:
    def __init__(self, settings: PortalSettings) -> None:
        assert settings.oidc_issuer and settings.oidc_client_id
        self.settings = settings
        self.issuer = settings.oidc_issuer.rstrip("/")
        self.client_id = settings.oidc_client_id
        self.redirect_uri = f"{settings.public_url}/login/oidc/callback"
        self.http = httpx.AsyncClient(timeout=10)
        self._metadata: dict[str, Any] | None = None
        self._verifier: OidcVerifier | None = None

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            try:
                response = await self.http.get(f"{self.issuer}/.well-known/openid-configuration")
                response.raise_for_status()
                metadata = response.json()
            except (httpx.HTTPError, ValueError) as error:
                raise OidcError(f"provider metadata unavailable: {error}") from error
            if metadata.get("issuer", "").rstrip("/") != self.issuer:
                raise OidcError("the provider's metadata names another issuer")
            self._metadata = metadata
            self._verifier = OidcVerifier(
                metadata["issuer"],
                metadata["jwks_uri"],
                audience=self.client_id,
                email_claim=self.settings.oidc_email_claim,
            )
        return self._metadata

    async def authorization_url(self, attempt: Attempt) -> str:
        endpoint = (await self.metadata())["authorization_endpoint"]
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": "openid email profile",
            "state": attempt.state,
            "nonce": attempt.nonce,
            "code_challenge": attempt.challenge,
            "code_challenge_method": "S256",
        }
        return f"{endpoint}?{urlencode(query)}"

    async def email(self, code: str, attempt: Attempt) -> str | None:
        """Trade the code for an ID token; the verified e-mail it names (``None`` if none)."""
        metadata = await self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "client_id": self.client_id,
            "code_verifier": attempt.verifier,
        }
        secret = self.settings.oidc_client_secret
        auth = (self.client_id, secret.get_secret_value()) if secret else None
        try:
            response = await self.http.post(metadata["token_endpoint"], data=form, auth=auth)
        except httpx.HTTPError as error:
            raise OidcError(f"token endpoint unreachable: {error}") from error
        if response.status_code != 200:
            raise OidcError(f"token endpoint answered {response.status_code}")
        id_token = response.json().get("id_token")
        assert self._verifier is not None
        claims = await run_in_threadpool(self._verifier.claims, id_token) if id_token else None
        if claims is None or not secrets.compare_digest(
            str(claims.get("nonce", "")), attempt.nonce
        ):
            raise OidcError("the ID token is not genuine, has expired or was not for this sign-in")
        return self._verifier.email(claims)

    async def close(self) -> None:
        await self.http.aclose()

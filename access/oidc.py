"""OpenID Connect access tokens (JWTs) checked against the issuer's published keys (JWKS)."""

import jwt

from access.settings import AccessSettings

# Asymmetric algorithms only: with a JWKS, an HMAC "alg" would let anyone sign with the public key.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]


def looks_like_jwt(credential: str) -> bool:
    return credential.startswith("eyJ") and credential.count(".") == 2


class OidcVerifier:
    def __init__(
        self, issuer: str, jwks_url: str, audience: str | None = None, email_claim: str = "email"
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.email_claim = email_claim
        # Keys are cached and refetched when a token names an unknown key id (rotation).
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600, timeout=10)

    @classmethod
    def from_settings(cls, settings: AccessSettings) -> "OidcVerifier | None":
        if not (settings.oidc_issuer and settings.oidc_jwks_url):
            return None
        return cls(
            settings.oidc_issuer,
            settings.oidc_jwks_url,
            settings.oidc_audience,
            settings.oidc_email_claim,
        )

    def claims(self, token: str) -> dict | None:
        """The claims of a genuine, unexpired token of our issuer (blocking: may fetch keys)."""
        try:
            key = self._jwks.get_signing_key_from_jwt(token)
            return jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                issuer=self.issuer,
                audience=self.audience,
                options={"require": ["exp", "iss"], "verify_aud": self.audience is not None},
            )
        except jwt.PyJWTError:
            return None

    def email(self, claims: dict) -> str | None:
        email = claims.get(self.email_claim)
        if not isinstance(email, str) or claims.get("email_verified") is False:
            return None
        return email

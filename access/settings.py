"""Access-control settings, read from ``DINAMIS_ACCESS_*`` variables."""

import os
import secrets
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from dinamis.settings import Settings

SECRET_FILE = "access-secret"


class AccessSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DINAMIS_ACCESS_", env_file=".env", extra="ignore")

    secret_key: SecretStr | None = None
    """HMAC key of the access tokens; shared by the STAC API and the tiler."""
    storage_roots: list[Path] = []
    """Folders the download endpoint may serve files from."""
    sign_origins: list[str] = []
    """Origins (scheme://host[:port]) whose URLs ``/sign`` may sign; the request's own if empty."""
    token_ttl: int = 900
    """Lifetime of access tokens, in seconds."""
    cache_ttl: float = 30
    """Seconds a resolved key, licence table or asset path is reused before asking the database
    again. Changes to keys, users and licences are heard from the database and empty the caches
    at once in every process (``access.changes``): this only bounds what a lost announcement
    could keep."""

    oidc_issuer: str | None = None
    """Issuer (``iss``) of OpenID Connect access tokens accepted as ``Authorization: Bearer``
    besides API keys; with ``oidc_jwks_url``. Off when unset."""
    oidc_jwks_url: str | None = None
    """Where the issuer publishes its signing keys (JWKS)."""
    oidc_audience: str | None = None
    """Required ``aud`` of those tokens, when set."""
    oidc_email_claim: str = "email"
    """The claim naming the user, matched against registered e-mail addresses."""


def load_or_create_secret(path: Path) -> str:
    """The secret stored in ``path``, created (readable by its owner only) on first use."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    secret = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as file:
        file.write(secret)
    return secret


def access_settings(project: Settings, **overrides: object) -> AccessSettings:
    """Settings for this deployment: the environment's, else defaults derived from the project's
    (secret persisted in ``<data_dir>/access-secret``, COG storage, API and tiler origins)."""
    settings = AccessSettings(**overrides)
    if settings.secret_key is None:
        project.data_dir.mkdir(parents=True, exist_ok=True)
        settings.secret_key = SecretStr(load_or_create_secret(project.data_dir / SECRET_FILE))
    if not settings.storage_roots:
        settings.storage_roots = [project.storage]
    if not settings.sign_origins:
        settings.sign_origins = [project.api_url, project.tiler_url]
    return settings

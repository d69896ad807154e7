"""Project-wide settings, read from the environment (``DINAMIS_*``) or a ``.env`` file."""

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]


def _default_data_dir() -> Path:
    # The embedded server runs as an unprivileged user that cannot enter root's home (mode 700),
    # so root gets a system location instead of ~/.local/share.
    if os.geteuid() == 0:
        return Path("/var/lib/dinamis")
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "dinamis"


class Settings(BaseSettings):
    """Where the data lives, which database to use and where the services listen."""

    model_config = SettingsConfigDict(
        env_prefix="DINAMIS_", env_file=".env", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Field(default_factory=_default_data_dir)
    """Root of everything the project writes: the embedded cluster, COGs, logs."""

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DINAMIS_DATABASE_URL", "DATABASE_URL")
    )
    """An external PostgreSQL (with PostGIS) to use instead of the embedded cluster."""

    pg_port: int = 5439
    pg_bindir: Path | None = None
    """Folder holding initdb/pg_ctl; found under /usr/lib/postgresql when unset."""
    pg_system_user: str = "dinamis"
    """Unprivileged account that owns and runs the embedded cluster when started as root."""
    pg_database: str = "dinamis"

    collections_dir: Path = REPO_ROOT / "collections"

    storage_root: Path | None = None
    """Where COGs are written; defaults to ``<data_dir>/storage``."""

    host: str = "127.0.0.1"
    api_port: int = 8081
    tiler_port: int = 8082
    portal_port: int = 8083
    api_public_url: str | None = None
    tiler_public_url: str | None = None
    portal_public_url: str | None = None
    """The tiler's public URL, or a path on the API's public origin (`/raster`) when one
    reverse proxy serves both."""
    trusted_proxies: Annotated[list[str], NoDecode] = ["127.0.0.1", "::1"]
    """Addresses (or CIDR blocks) of the reverse proxies whose Forwarded / X-Forwarded-*
    headers are believed; other clients get links to the public URLs."""

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "postgres" / "pgdata"

    @property
    def storage(self) -> Path:
        return self.storage_root or self.data_dir / "storage"

    @property
    def api_url(self) -> str:
        return (self.api_public_url or f"http://{self.host}:{self.api_port}").rstrip("/")

    @property
    def tiler_url(self) -> str:
        return (self.tiler_public_url or f"http://{self.host}:{self.tiler_port}").rstrip("/")

    @property
    def portal_url(self) -> str:
        return (self.portal_public_url or f"http://{self.host}:{self.portal_port}").rstrip("/")


@lru_cache
def get_settings() -> Settings:
    return Settings()

"""Settings of the demo catalogue, from the environment (``DINAMIS_DEMO_*``) or ``.env``."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DemoSettings(BaseSettings):
    """How big the generated products are and how many are made at once."""

    model_config = SettingsConfigDict(env_prefix="DINAMIS_DEMO_", env_file=".env", extra="ignore")

    size: int = Field(default=1000, ge=64, le=4000)
    """Width and height of each generated image, in pixels."""
    seed: int = Field(default=0, ge=0, le=2**31)
    """Varies every landscape and every cloud at once (the same seed, the same pictures)."""
    workers: int = Field(default=2, ge=1, le=32)
    """Products generated and ingested in parallel."""

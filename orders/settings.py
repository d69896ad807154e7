"""Settings of imagery requests, read from ``DINAMIS_ORDERS_*`` variables."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from orders.rules import RULES_FILE


class OrdersSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DINAMIS_ORDERS_", env_file=".env", extra="ignore")

    rules_file: Path = RULES_FILE
    """The programme's rules (quotas, prices, tranches, products); loaded into the rules table
    under their version when the API starts or by ``dinamis request rules load``."""
    prefix: str = "/stapi"
    """Where the STAPI routes are mounted on the STAC API."""
    archive_collection: str = "airbus-archive"
    """The metadata-only collection of the provider's archive, whose items archive orders pick."""
    max_vertices: int = Field(default=2000, gt=3)
    """Vertices an area of interest may have."""
    page_limit: int = Field(default=100, gt=0)
    """Orders, statuses or opportunities per page, at most."""
    max_opportunity_days: int = Field(default=31, gt=0)
    """Length of the window over which satellite passes are computed, at most."""
    max_delivered_items: int = Field(default=200, gt=0)
    """Items one delivery may link."""
    max_reason_chars: int = Field(default=2000, gt=0)
    """Length of an operator's or user's reason text."""

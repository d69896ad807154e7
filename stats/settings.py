"""Settings of the usage statistics, read from ``DINAMIS_STATS_*`` variables."""

from datetime import date

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class StatsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DINAMIS_STATS_", env_file=".env", extra="ignore")

    prefix: str = "/stats"
    """Where the statistics routes are mounted on the STAC API."""
    earliest: date = date(2000, 1, 1)
    """No period starts before this day (the programme began in 2012)."""
    max_years: int = Field(default=30, gt=0, le=100)
    """Length of a period, at most (in years): 30 years by month are 360 rows per figure."""
    max_footprints: int = Field(default=5000, gt=0)
    """Footprints a map of requested and delivered areas shows, at most (the newest)."""
    timeout_ms: int = Field(default=30_000, gt=0)
    """Time one statistics query may take before the database abandons it."""
    work_mem_mb: int = Field(default=64, gt=0, le=1024)
    """Memory each sort or grouping of a statistics query may use before spilling to disk:
    ten years of download events group in memory."""

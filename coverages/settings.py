"""Settings of coverages, read from ``DINAMIS_COVERAGES_*`` variables."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from dinamis.settings import get_settings


class CoverageSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DINAMIS_COVERAGES_", env_file=".env", extra="ignore"
    )

    folder: Path | None = None
    """Where pyramids are written; defaults to ``<data_dir>/coverages``."""
    resolution_m: float = Field(default=20.0, ge=1, le=1000)
    """Ground resolution of a pyramid's base, in metres: the Web Mercator zoom level whose
    pixels come closest to it at the coverage's centre (20 m in France: zoom 12, 26 m)."""
    max_items: int = Field(default=20_000, gt=0)
    """Most items one coverage may hold (pgSTAC is asked for one more, to refuse)."""
    max_pixels: int = Field(default=4_000_000_000, gt=0)
    """Largest pyramid base, in pixels (France at zoom 12: about 1.8 billion)."""
    threads: int = Field(default=0, ge=0)
    """Blocks warped at once while building (0: one per CPU core)."""
    block_size: int = Field(default=2048, ge=256, le=8192, multiple_of=256)
    """Side of the blocks a pyramid is built by, in pixels: the memory of one build thread."""

    @property
    def root(self) -> Path:
        return self.folder or get_settings().data_dir / "coverages"

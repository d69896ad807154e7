"""Bounds on what one delivery may make ingest unpack and parse, from ``DINAMIS_INGEST_*``.

Deliveries come from outside: an archive declaring terabytes, compressing a thousand to one or
nesting archives in archives, or a metadata file of gigabytes, is refused with the limit it
breaks instead of filling the disk or the memory.
"""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MiB = 1 << 20


class IngestLimits(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DINAMIS_INGEST_", env_file=".env", extra="ignore")

    max_unpacked_bytes: int = Field(default=200 << 30, gt=0)
    """Most bytes one archive may unpack to, all its members together."""
    max_compression_ratio: float = Field(default=200.0, gt=1)
    """Most times its own size an archive may unpack to (past 1 MiB): a delivery is mostly
    imagery, which packs a few times at most; a zip bomb, a thousand times."""
    max_members: int = Field(default=100_000, gt=0)
    """Most members one archive may hold."""
    max_archive_depth: int = Field(default=2, ge=0)
    """How deep archives may nest in a delivery (a zip of product zips is 1 deep)."""
    max_product_pixels: int = Field(default=20_000_000_000, gt=0)
    """Largest product, in pixels per band (width times height): a Pléiades Neo strip of
    46,000 by 300,000 pixels holds 14 billion."""
    max_metadata_bytes: int = Field(default=64 * MiB, gt=0)
    """Largest XML file parsed (volume, DIM, RPC); real ones are a few megabytes."""
    max_metadata_tags: int = Field(default=2_000_000, gt=0)
    """Most tags (``<``) of one XML file parsed; real ones hold a few thousand."""


@lru_cache
def ingest_limits() -> IngestLimits:
    return IngestLimits()

"""STAC API settings: stac-fastapi-pgstac's own, with this programme's defaults."""

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, BeforeValidator, Field
from pydantic_settings import NoDecode
from stac_fastapi.pgstac.config import Settings, str_to_list

from dinamis.settings import get_settings


class ApiSettings(Settings):
    """Read from the environment exactly as stac-fastapi-pgstac documents (no prefix)."""

    stac_fastapi_title: str = "DINAMIS catalogue"
    stac_fastapi_description: str = (
        "Very-high-resolution satellite imagery of the French institutional programme DINAMIS: "
        "Pléiades, Pléiades Neo, SPOT 6/7 and the SPOT 1-5 Spot World Heritage archive. "
        "Metadata search is open; imagery of licensed collections is served to entitled users."
    )
    stac_fastapi_version: str = "0.1.0"
    stac_fastapi_landing_id: str = "dinamis"
    # Items are hydrated (merged with their collection's base item) here, not by pgSTAC, whose
    # PL/pgSQL merge cost 1.3 ms per item: 130 of the 170 ms of a page of 100 at 1 M items.
    use_api_hydrate: bool = True

    # Browsers on other origins (web maps, notebooks) send credentials and read COGs by range.
    cors_headers: Annotated[Sequence[str], BeforeValidator(str_to_list), NoDecode] = (
        "Content-Type",
        "Authorization",
        "X-API-Key",
        "Range",
    )

    tiler_url: str = Field(default_factory=lambda: get_settings().tiler_url)
    """Public URL of the tiler, for the links every item carries to its tiles and web map; a
    path (`/raster`) is taken on the origin the client reached the API at."""

    public_url: str | None = Field(
        default_factory=lambda: get_settings().api_public_url,
        validation_alias=AliasChoices("public_url", "DINAMIS_API_PUBLIC_URL"),
    )
    """Where clients reach the API; links to anyone but a trusted proxy use it when set."""
    trusted_proxies: Annotated[list[str], BeforeValidator(str_to_list), NoDecode] = Field(
        default_factory=lambda: get_settings().trusted_proxies,
        validation_alias=AliasChoices("trusted_proxies", "DINAMIS_TRUSTED_PROXIES"),
    )

    compression_quality: int = Field(
        default=3,
        ge=0,
        le=11,
        validation_alias=AliasChoices("compression_quality", "DINAMIS_API_COMPRESSION_QUALITY"),
    )
    """Brotli quality of the answers (0-11). stac-fastapi's 4 costs twice 3's time on a page of
    100 items for under 2 % fewer bytes; above, the time grows and the size barely shrinks."""
    compression_minimum_size: int = Field(
        default=1024,
        ge=0,
        validation_alias=AliasChoices(
            "compression_minimum_size", "DINAMIS_API_COMPRESSION_MINIMUM_SIZE"
        ),
    )
    """Bytes under which an answer is sent uncompressed (less than a packet to save)."""

    # Every search page carries numberMatched. pgSTAC counts it as its `context` settings say:
    # with "auto", an exact count(*) unless the planner expects both more rows and a higher cost
    # than the thresholds, in which case the planner's estimate is returned instead (cached per
    # filter for the TTL). Server-side only: a client's own `conf` cannot force a full count.
    pgstac_context: Literal["on", "off", "auto"] = "auto"
    pgstac_context_estimated_count: int = Field(default=100_000, ge=0)
    pgstac_context_estimated_cost: float = Field(default=100_000.0, ge=0)
    pgstac_context_stats_ttl: str = "1 day"
    """A PostgreSQL interval: how long a count (exact or estimated) is reused for one filter."""

    @property
    def pgstac_conf(self) -> dict[str, str]:
        """The `conf` pgSTAC's search() reads these from (its own setting names)."""
        return {
            "context": self.pgstac_context,
            "context_estimated_count": str(self.pgstac_context_estimated_count),
            "context_estimated_cost": str(self.pgstac_context_estimated_cost),
            "context_stats_ttl": self.pgstac_context_stats_ttl,
        }

    # /aggregate: every aggregation is a GROUP BY over the matching items, so its work is bounded.
    aggregation_max_buckets: int = Field(default=10_000, gt=0)
    """Most buckets one frequency aggregation returns (the rest is counted in `overflow`)."""
    aggregation_max_geohash_precision: int = Field(default=7, ge=1, le=12)
    """Finest heat-map cells a client may ask for (7: ~150 m)."""
    aggregation_timeout: float = Field(default=30.0, gt=0)
    """Seconds an aggregation request may run in the database before it is refused."""

    collections_dir: Path = Field(default_factory=lambda: get_settings().collections_dir)
    """The collection JSON files, whose browse images (thumbnails) the API serves."""

"""Tiler settings, read from the environment (``DINAMIS_TILER_*``) or a ``.env`` file."""

import os
from pathlib import Path
from typing import Annotated
from urllib.parse import urljoin, urlsplit

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from dinamis.settings import Settings


def _default_storage_roots() -> list[Path]:
    return [Settings().storage]


def _split(value: object) -> object:
    # Operators write lists in the environment as `a,b`, not as JSON.
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class TilerSettings(BaseSettings):
    """What the tiler may read, how much work one request may ask for, how it is served."""

    model_config = SettingsConfigDict(env_prefix="DINAMIS_TILER_", env_file=".env", extra="ignore")

    title: str = "DINAMIS tiler"

    storage_roots: Annotated[list[Path], NoDecode] = Field(default_factory=_default_storage_roots)
    """Folders whose files may be read; every local asset href must resolve under one of them."""

    allowed_url_prefixes: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """http(s) prefixes assets may be read from (none by default); private hosts stay refused."""

    max_crop_km2: float = Field(default=100.0, gt=0)
    """Largest area a bbox/feature crop may cover."""

    max_pixels: int = Field(default=25_000_000, gt=0)
    """Largest image (width x height) any request may produce: crops, previews, tiles."""

    max_image_side: int = Field(default=10_000, gt=0)
    """Largest width, height, max_size or tilesize any request may ask for, in pixels."""

    max_histogram_bins: int = Field(default=1_000, gt=0)
    """Most histogram bins (a count, or that many edges) a statistics request may ask for."""

    max_list_items: int = Field(default=100, gt=0)
    """Most values a list parameter may hold: percentiles, categories, assets, rescale ranges,
    WMTS zoom levels."""

    max_expression_length: int = Field(default=1_000, gt=0)
    """Longest band-math expression, in characters."""

    max_expression_terms: int = Field(default=50, gt=0)
    """Most operands (band or asset names and numbers) in a band-math expression."""

    max_tile_buffer: float = Field(default=64, ge=0)
    """Largest tile ``buffer`` and ``padding``, in pixels."""

    max_body_bytes: int = Field(default=1_000_000, gt=0)
    """Largest request body (GeoJSON features, searches to register), in bytes."""

    max_positions: int = Field(default=10_000, gt=0)
    """Most positions of the geometries of a request body (a feature to crop or to compute
    statistics in): the cost grows faster than their number (a self-intersecting ring of
    40,000 took 10 s of statistics, of 10,000 2.5 s)."""

    max_search_bytes: int = Field(default=16_384, gt=0)
    """Largest search a caller may register (kept in the database), in bytes of JSON."""

    catalogue_cache_seconds: float = Field(default=5, ge=0)
    """How long an item, or the items under a mosaic tile, are reused before asking pgSTAC
    again: how long a deleted or changed item may still be served (0: ask every time)."""

    mosaic_min_zoom: int = Field(default=9, ge=0)
    """Collection and search mosaics are served from this zoom level up."""

    mosaic_max_items: int = Field(default=20, gt=0)
    """Most catalogue items one mosaic tile may read."""

    read_threads: int = Field(default=0, ge=0, le=64)
    """Threads reading the assets of one item, or the items of one mosaic tile, side by side
    (0: one after the other in the request's own thread; concurrent requests are then the
    parallelism). Each call of rio-tiler's pool starts fresh threads, where GDAL's first open
    costs ~10 ms: raise it only for remote (http) storage, where waiting dominates."""

    gdal_cache_mb: int = Field(default=256, ge=16)
    """GDAL's block cache, per server process: what a tiler's memory grows to under load."""

    cog_on_first_use: bool = True
    """Queue the COG of a catalogue-first item (relayed from its metadata) the first time the
    tiler serves it (``dinamis worker`` makes it); off: only ``dinamis swh cog`` queues them."""

    workers: int = Field(default=0, ge=0, le=64)
    """Tiler processes (`dinamis up`, the container); 0: one per core. Reading a tile and
    encoding its PNG hold the GIL part of the time: one process's threads use one core."""

    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["*"])

    public_url: str | None = None
    """Where clients reach the tiler (behind a proxy, its path becomes the app's root path)."""

    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: Settings().trusted_proxies,
        validation_alias=AliasChoices("trusted_proxies", "DINAMIS_TRUSTED_PROXIES"),
    )
    """Proxies whose Forwarded / X-Forwarded-* headers are believed (shared with the API)."""

    stac_api_url: str = Field(default_factory=lambda: Settings().api_url)
    """The STAC API the web map searches (default: the project's API URL)."""

    cachecontrol: str = "public, max-age=3600"
    cachecontrol_exclude_paths: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: [r"/healthz", r"/searches(/)?$", r"/searches/list$"]
    )

    _split_lists = field_validator(
        "storage_roots",
        "allowed_url_prefixes",
        "cors_origins",
        "cachecontrol_exclude_paths",
        "trusted_proxies",
        mode="before",
    )(_split)

    @property
    def public_origin_url(self) -> str | None:
        """``public_url`` made absolute: a bare path is on the STAC API's origin."""
        if not self.public_url:
            return None
        return urljoin(self.stac_api_url.rstrip("/") + "/", self.public_url).rstrip("/")

    @property
    def process_count(self) -> int:
        """How many tiler processes to run: ``workers``, else one per core."""
        return self.workers or os.cpu_count() or 1

    @property
    def root_path(self) -> str:
        return urlsplit(self.public_url).path.rstrip("/") if self.public_url else ""

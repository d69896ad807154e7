"""Settings of ortho-rectification, read from ``DINAMIS_ORTHO_*`` variables."""

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

RESAMPLINGS = ("nearest", "bilinear", "cubic", "cubicspline", "lanczos", "average")


class OrthoSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DINAMIS_ORTHO_", env_file=".env", extra="ignore")

    dems: dict[str, Path] = {}
    """Digital elevation models by name, each a GDAL raster (a VRT of Copernicus DEM or SRTM
    tiles, typically), as JSON: ``{"copernicus-30": "/data/dem/cop30.vrt"}``."""
    dem_crs: dict[str, str] = {}
    """The CRS of a DEM's heights, vertical datum included, where its file does not say it, by
    DEM name: ``{"srtm-30": "EPSG:4326+5773"}`` for SRTM's heights above the EGM96 geoid
    (Copernicus DEM: EGM2008, ``EPSG:4326+3855``). A DEM not named here is taken at its file's
    word, heights above the ellipsoid when it has none."""
    default_dem: str | None = None
    """The DEM used when a request names none; the first of ``dems`` when unset."""
    collection: str = "spot-world-heritage"
    """The open collection the ortho-rectified scenes are published in."""
    min_resolution: float = Field(default=1.0, gt=0)
    """Finest output pixel (m): SPOT 5's best is 2.5 m, nothing is gained below."""
    max_pixels: int = Field(default=40_000 * 40_000, gt=0)
    """Output pixels (width times height) a job may write, at most."""
    threads: int = Field(default=2, gt=0)
    """Threads gdalwarp uses to warp and compress."""
    memory_mb: int = Field(default=512, gt=0)
    """gdalwarp's working memory (-wm)."""
    queue: str = "ortho"
    """The job queue the ortho-rectifications go to (workers may listen to it alone)."""

    @model_validator(mode="after")
    def _crs_of_known_dems(self) -> "OrthoSettings":
        unknown = set(self.dem_crs) - set(self.dems)
        if unknown:
            raise ValueError(f"dem_crs names DEMs that dems does not: {', '.join(sorted(unknown))}")
        return self

    def dem(self, name: str | None) -> Path | None:
        """The DEM file of ``name`` (``none``: no DEM), or ``KeyError``."""
        name = name or self.default_dem or next(iter(self.dems), "none")
        if name == "none":
            return None
        return self.dems[name]

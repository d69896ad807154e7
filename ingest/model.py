"""The typed description of one delivered product, shared by the DIMAP v1 and v2 parsers."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from rasterio.control import GroundControlPoint


class IngestError(Exception):
    """A product cannot be ingested; the message is one line naming the cause."""


class Geometry(StrEnum):
    """Whether pixels are on a map grid or still in the sensor's raw geometry."""

    map = "map"
    sensor = "sensor"


@dataclass(frozen=True)
class Tile:
    row: int
    col: int
    path: Path


@dataclass(frozen=True)
class BandSource:
    """Where a band's pixels are: the same band index in every tile of one file set."""

    tiles: tuple[Tile, ...]
    index: int


@dataclass(frozen=True)
class Band:
    id: str
    """As the metadata names it (B0, R, NIR, PAN, XS1...)."""
    source: BandSource
    description: str | None = None
    center_wavelength: float | None = None
    full_width_half_max: float | None = None
    solar_illumination: float | None = None
    scale: float | None = None
    offset: float | None = None


@dataclass(frozen=True)
class Angles:
    incidence: float | None = None
    off_nadir: float | None = None
    azimuth: float | None = None
    sun_azimuth: float | None = None
    sun_elevation: float | None = None


@dataclass(frozen=True)
class Grid:
    """Where the metadata puts the image of a map-geometry product."""

    crs: str
    """As the metadata writes it: ``EPSG:32631``, ``urn:ogc:def:crs:EPSG::32631``..."""
    x: float
    y: float
    """ULXMAP/ULYMAP: the upper-left pixel (its corner or its centre, producers differ)."""
    x_size: float
    y_size: float
    """XDIM/YDIM, positive."""


@dataclass(frozen=True)
class Product:
    """Everything the COG and the STAC item need, read from the delivered metadata."""

    name: str
    """The producer's dataset name."""
    metadata_file: Path
    collection: str
    platform: str
    constellation: str
    instrument: str
    processing_level: str
    spectral_processing: str
    geometry: Geometry
    datetime: datetime
    footprint: tuple[tuple[float, float], ...]
    """Closed lon/lat ring in WGS84."""
    width: int
    height: int
    bands: tuple[Band, ...]
    """In the file order of the delivery; the COG reorders them canonically."""
    nbits: int
    dtype: str
    """The numpy data type the metadata's encoding (NBITS, SIGN, DATA_TYPE) implies."""
    nodata: float | None = None
    start_datetime: datetime | None = None
    end_datetime: datetime | None = None
    gsd: float | None = None
    cloud_cover: float | None = None
    snow_cover: float | None = None
    angles: Angles = field(default_factory=Angles)
    absolute_orbit: int | None = None
    rpc_file: Path | None = None
    gcps: tuple[GroundControlPoint, ...] = ()
    preview_file: Path | None = None
    """The producer's quicklook (Airbus PREVIEW_*.JPG)."""
    icon_file: Path | None = None
    """The producer's thumbnail (Airbus ICON_*.JPG)."""
    copyright: str | None = None
    radiometric_unit: str | None = None
    grid: Grid | None = None
    tile_size: tuple[int, int] | None = None
    """(columns, rows) of a full tile when the metadata declares a regular tiling."""
    declared_bands: int | None = None
    """NBANDS: the bands of the whole product, over all its file sets."""

    @property
    def tiles(self) -> tuple[Tile, ...]:
        seen: dict[Path, Tile] = {}
        for band in self.bands:
            for tile in band.source.tiles:
                seen.setdefault(tile.path, tile)
        return tuple(seen.values())

    @property
    def source_files(self) -> list[Path]:
        """Every delivered file the ingest reads, for the change checksum."""
        extra = [p for p in (self.rpc_file, self.preview_file, self.icon_file) if p is not None]
        return [self.metadata_file, *(t.path for t in self.tiles), *extra]

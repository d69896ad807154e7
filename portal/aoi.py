"""Areas of interest sent as files (GeoJSON, KML, zipped shapefile), read with GDAL's drivers
through pyogrio, as one lon/lat (Multi)Polygon: the polygons of the file, merged. Whether the
area can be ordered (size, vertices, validity) is the API's to say, with the quote."""

import tempfile
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.errors import GEOSException
from shapely.geometry import mapping

from portal.i18n import N_

FORMATS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".kml": "KML", ".zip": "shapefile"}
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
POLYGONAL = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class Limits:
    file_bytes: int
    unzipped_bytes: int
    features: int


class AoiFileError(ValueError):
    """A file that gives no area; ``message`` (English, a catalogue id) and ``params`` are
    said in the reader's language by the page."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


def read_aoi(name: str, content: bytes, limits: Limits) -> dict[str, Any]:
    """The GeoJSON geometry of the polygons in the file ``name`` holding ``content``."""
    kind = FORMATS.get(PurePosixPath(name.lower()).suffix)
    if kind is None:
        raise AoiFileError(
            N_("Send a GeoJSON (.geojson, .json), KML (.kml) or zipped shapefile (.zip) file.")
        )
    if not content:
        raise AoiFileError(N_("The file is empty."))
    if len(content) > limits.file_bytes:
        raise AoiFileError(
            N_("The file is larger than %(size)d kB."), size=limits.file_bytes // 1000
        )
    try:
        if kind == "shapefile":
            geometries, crs = _shapefile(content, limits)
        else:
            geometries, crs = _layers(content, limits)
    # GEOS refuses what GDAL read (an unclosed ring): the file is as damaged.
    except (DataSourceError, DataLayerError, GEOSException) as error:
        raise AoiFileError(
            N_("The file cannot be read as %(format)s: it is damaged or in another format."),
            format=kind,
        ) from error
    polygons = [
        g for g in shapely.force_2d(geometries) if g is not None and g.geom_type in POLYGONAL
    ]
    if not polygons:
        raise AoiFileError(N_("The file holds no polygon: it must outline the area."))
    try:
        merged = shapely.union_all(polygons)
    except GEOSException as error:
        raise AoiFileError(N_("The polygons of the file are not valid.")) from error
    # NaN or infinite coordinates (which a GeoJSON may hold) make no area, nor any JSON answer.
    if not np.isfinite(shapely.get_coordinates(merged)).all():
        raise AoiFileError(N_("The polygons of the file are not valid."))
    if crs is None:
        raise AoiFileError(
            N_("The file does not say its coordinate system (a shapefile needs its .prj).")
        )
    return mapping(_to_lonlat(merged, crs))


def _layers(source: bytes | str, limits: Limits) -> tuple[list[Any], str | None]:
    """Every layer's geometries (a KML has one per folder), and the first layer's CRS."""
    geometries: list[Any] = []
    crs = None
    for index in range(len(pyogrio.list_layers(source))):
        meta, _, wkb, _ = pyogrio.raw.read(
            source, layer=index, read_geometry=True, columns=[], max_features=limits.features + 1
        )
        crs = crs if index else meta.get("crs")
        geometries.extend(shapely.from_wkb(wkb))
        if len(geometries) > limits.features:
            raise AoiFileError(
                N_("The file holds more than %(count)d features."), count=limits.features
            )
    return geometries, crs


def _shapefile(content: bytes, limits: Limits) -> tuple[list[Any], str | None]:
    try:
        archive = zipfile.ZipFile(BytesIO(content))
    except zipfile.BadZipFile as error:
        raise AoiFileError(N_("The file is not a zip archive.")) from error
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if sum(m.file_size for m in members) > limits.unzipped_bytes:
            raise AoiFileError(
                N_("The archive unpacks to more than %(size)d kB."),
                size=limits.unzipped_bytes // 1000,
            )
        shapefiles = [m for m in members if m.filename.lower().endswith(".shp")]
        if len(shapefiles) != 1:
            raise AoiFileError(N_("The archive must hold exactly one shapefile (.shp)."))
        stem = shapefiles[0].filename[:-4]
        parts = [m for m in members if m.filename[: len(stem)] == stem and _part(m.filename, stem)]
        with tempfile.TemporaryDirectory() as folder:
            for member in parts:
                # Extracted under names of our own: a member's path never reaches the disk.
                target = Path(folder) / f"aoi{member.filename[len(stem) :].lower()}"
                target.write_bytes(archive.read(member))
            return _layers(str(Path(folder) / "aoi.shp"), limits)


def _part(filename: str, stem: str) -> bool:
    return filename[len(stem) :].lower() in SHAPEFILE_PARTS


def _to_lonlat(geometry: Any, crs: str) -> Any:
    try:
        source = CRS.from_user_input(crs)
    except CRSError as error:
        raise AoiFileError(N_("The file's coordinate system is not known.")) from error
    if source.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return geometry
    transformer = Transformer.from_crs(source, 4326, always_xy=True)
    return shapely.transform(geometry, lambda xy: np.column_stack(transformer.transform(*xy.T)))

"""DIMAP v1 (SPOT 1-5, the Spot World Heritage archive): METADATA.DIM next to IMAGERY.TIF."""

from pathlib import Path

from rasterio.control import GroundControlPoint

from ingest.dimapxml import Node, numpy_dtype
from ingest.footprint import footprint
from ingest.model import Angles, Band, BandSource, Geometry, Grid, IngestError, Product, Tile
from ingest.times import parse_time

# Nominal scene pixel size by SENSOR_CODE (SPOT 1-3 P/X, SPOT 4 M/I, SPOT 5 A/B/T/J).
SENSOR_GSD = {"P": 10.0, "X": 20.0, "M": 10.0, "I": 20.0, "A": 5.0, "B": 5.0, "T": 2.5, "J": 10.0}


def is_dimap1(root: Node) -> bool:
    version = root.element.find("Metadata_Id/METADATA_FORMAT")
    return version is not None and (version.get("version") or "").startswith("1")


def read_product(metadata: Path) -> Product:
    root = Node.parse(metadata)
    if not is_dimap1(root):
        raise IngestError(f"{metadata.name}: not a DIMAP v1 document")
    scene = root.find("Dataset_Sources/Source_Information/Scene_Source")
    if scene is None or scene.text("MISSION") != "SPOT":
        raise IngestError(f"{metadata.name}: not a SPOT scene (no SPOT Scene_Source)")
    sensor = scene.required("SENSOR_CODE")
    level = root.text("Data_Processing/PROCESSING_LEVEL") or scene.required(
        "SCENE_PROCESSING_LEVEL"
    )
    raw = root.text("Data_Processing/GEOMETRIC_PROCESSING") == "RAW"
    incidence = scene.number("INCIDENCE_ANGLE")
    orbit = scene.number("Imaging_Parameters/REVOLUTION_NUMBER")
    return Product(
        name=root.required("Dataset_Id/DATASET_NAME"),
        metadata_file=metadata,
        collection="spot-world-heritage",
        platform=f"SPOT{scene.required('MISSION_INDEX')}",
        constellation="spot",
        instrument=scene.required("INSTRUMENT"),
        processing_level=level,
        spectral_processing=sensor,
        geometry=Geometry.sensor if raw else Geometry.map,
        datetime=parse_time(
            f"{scene.required('IMAGING_DATE')}T{scene.required('IMAGING_TIME')}", metadata.name
        ),
        footprint=footprint(
            (
                (v.required_number("FRAME_LON"), v.required_number("FRAME_LAT"))
                for v in root.findall("Dataset_Frame/Vertex")
            ),
            metadata.name,
        ),
        width=int(root.required_number("Raster_Dimensions/NCOLS")),
        height=int(root.required_number("Raster_Dimensions/NROWS")),
        bands=_bands(root),
        nbits=int(root.required_number("Raster_Encoding/NBITS")),
        dtype=numpy_dtype(
            int(root.required_number("Raster_Encoding/NBITS")),
            signed=root.text("Raster_Encoding/DATA_TYPE") == "SIGNED",
            floating=root.text("Raster_Encoding/DATA_TYPE") == "FLOAT",
            source=metadata.name,
        ),
        nodata=_nodata(root),
        gsd=SENSOR_GSD.get(sensor),
        cloud_cover=_cloud_cover(root),
        angles=Angles(
            incidence=abs(incidence) if incidence is not None else None,
            off_nadir=_abs(scene.number("VIEWING_ANGLE")),
            sun_azimuth=scene.number("SUN_AZIMUTH"),
            sun_elevation=scene.number("SUN_ELEVATION"),
        ),
        absolute_orbit=int(orbit) if orbit is not None else None,
        gcps=_gcps(root) if raw else (),
        preview_file=root.delivered("Dataset_Id/DATASET_QL_PATH"),
        icon_file=root.delivered("Dataset_Id/DATASET_TN_PATH"),
        copyright=root.text("Dataset_Id/COPYRIGHT"),
        radiometric_unit="radiance",
        grid=None if raw else _grid(root),
        declared_bands=int(root.required_number("Raster_Dimensions/NBANDS")),
    )


def _grid(root: Node) -> Grid | None:
    crs = root.text("Coordinate_Reference_System/Horizontal_CS/HORIZONTAL_CS_CODE")
    insert = root.find("Geoposition/Geoposition_Insert")
    if crs is None or insert is None:
        return None
    return Grid(
        crs=crs,
        x=insert.required_number("ULXMAP"),
        y=insert.required_number("ULYMAP"),
        x_size=abs(insert.required_number("XDIM")),
        y_size=abs(insert.required_number("YDIM")),
    )


def _cloud_cover(root: Node) -> float | None:
    """The scene's cloud cover in percent, a quality parameter of its source when stated."""
    for parameter in root.findall(".//Quality_Assessment/Quality_Parameter"):
        if parameter.text("QUALITY_PARAMETER_CODE") == "CLOUD_COVER":
            value = parameter.required_number("QUALITY_PARAMETER_VALUE")
            if not 0 <= value <= 100:
                raise IngestError(f"{root.file.name}: cloud cover {value} is not a percentage")
            return value
    return None


def _abs(value: float | None) -> float | None:
    return abs(value) if value is not None else None


def _nodata(root: Node) -> float | None:
    for node in root.findall("Image_Display/Special_Value"):
        if node.text("SPECIAL_VALUE_TEXT") == "NODATA":
            return node.number("SPECIAL_VALUE_INDEX")
    return None


def _bands(root: Node) -> tuple[Band, ...]:
    href = root.href("Data_Access/Data_File/DATA_FILE_PATH")
    if not href:
        raise IngestError(f"{root.file.name}: no DATA_FILE_PATH, the product holds no imagery")
    image = root.local(href)
    if not image.is_file():
        raise IngestError(f"{root.file.name}: missing image file {href}")
    tiles = (Tile(1, 1, image),)
    infos = root.findall("Image_Interpretation/Spectral_Band_Info")
    if not infos:
        raise IngestError(f"{root.file.name}: no Spectral_Band_Info, band order unknown")
    bands = []
    for info in sorted(infos, key=lambda n: n.required_number("BAND_INDEX")):
        gain = info.number("PHYSICAL_GAIN")
        bands.append(
            Band(
                id=info.required("BAND_DESCRIPTION"),
                source=BandSource(tiles, int(info.required_number("BAND_INDEX"))),
                description=info.text("BAND_DESCRIPTION"),
                scale=1 / gain if gain else None,
                offset=info.number("PHYSICAL_BIAS") if gain else None,
            )
        )
    return tuple(bands)


def _gcps(root: Node) -> tuple[GroundControlPoint, ...]:
    """Tie points in GDAL's pixel convention (0-based, corner of the first pixel)."""
    origin = root.number("Raster_CS/PIXEL_ORIGIN") or 0.0
    # POINT rasters put coordinates on pixel centres, CELL rasters on pixel corners.
    shift = 0.5 if root.text("Raster_CS/RASTER_CS_TYPE") == "POINT" else 0.0
    crs = root.text("Coordinate_Reference_System/Horizontal_CS/HORIZONTAL_CS_CODE")
    if crs != "EPSG:4326":
        raise IngestError(f"{root.file.name}: tie points in {crs}, expected EPSG:4326")
    points = root.findall("Geoposition/Geoposition_Points/Tie_Point")
    if len(points) < 3:
        raise IngestError(f"{root.file.name}: raw-geometry scene with fewer than 3 tie points")
    return tuple(
        GroundControlPoint(
            row=p.required_number("TIE_POINT_DATA_Y") - origin + shift,
            col=p.required_number("TIE_POINT_DATA_X") - origin + shift,
            x=p.required_number("TIE_POINT_CRS_X"),
            y=p.required_number("TIE_POINT_CRS_Y"),
            z=p.number("TIE_POINT_CRS_Z") or 0.0,
            id=str(i),
        )
        for i, p in enumerate(points, start=1)
    )

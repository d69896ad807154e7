"""DIMAP v2 (Pléiades, Pléiades Neo, SPOT 6/7): volumes and product DIM files."""

from datetime import datetime
from pathlib import Path

from ingest.dimapxml import Node, numpy_dtype
from ingest.footprint import footprint
from ingest.model import Angles, Band, BandSource, Geometry, Grid, IngestError, Product, Tile
from ingest.times import parse_time
from ingest.viewing import viewing_azimuth

# MISSION → (collection, constellation, instrument)
MISSIONS = {
    "PHR": ("pleiades", "pleiades", "PHR"),
    "PNEO": ("pleiades-neo", "pleiades-neo", "PNEO"),
    "SPOT": ("spot-6-7", "spot", "NAOMI"),
}
LEVELS = {"SENSOR": "SEN", "ORTHO": "ORT", "PROJECTED": "PRJ"}
CHANNELS = ("RED_CHANNEL", "GREEN_CHANNEL", "BLUE_CHANNEL", "ALPHA_CHANNEL")


def is_dimap2(root: Node) -> bool:
    version = root.element.find("Metadata_Identification/METADATA_FORMAT")
    return version is not None and (version.get("version") or "").startswith(("2", "3"))


def volume_components(volume: Path) -> list[Path]:
    """The product DIM files a VOL_*.XML lists, whether or not they were delivered."""
    root = Node.parse(volume)
    if not is_dimap2(root):
        raise IngestError(f"{volume.name}: not a DIMAP v2 volume")
    return [
        root.local(href)
        for component in root.findall(".//Dataset_Components/Component")
        if component.text("COMPONENT_TYPE") == "DIMAP"
        and (href := component.href("COMPONENT_PATH"))
    ]


def read_product(dim: Path) -> Product:
    root = Node.parse(dim)
    if not is_dimap2(root):
        raise IngestError(f"{dim.name}: not a DIMAP v2 product")
    strip = root.find("Dataset_Sources/Source_Identification/Strip_Source")
    if strip is None:
        raise IngestError(f"{dim.name}: no Strip_Source, cannot tell the satellite")
    mission = strip.required("MISSION")
    if mission not in MISSIONS:
        raise IngestError(f"{dim.name}: unknown mission {mission!r}")
    collection, constellation, instrument = MISSIONS[mission]
    settings = root.find("Processing_Information/Product_Settings")
    level = _level(root, settings)
    raster_geometry = root.text("Geoposition/Raster_CRS/RASTER_GEOMETRY")
    geometry = Geometry.sensor if (raster_geometry or level) == "SENSOR" else Geometry.map
    center = _center_values(root)
    start, end = _time_range(root)
    return Product(
        name=root.text("Dataset_Identification/DATASET_NAME") or dim.stem,
        metadata_file=dim,
        collection=collection,
        platform=f"{mission}{strip.required('MISSION_INDEX')}",
        constellation=constellation,
        instrument=instrument,
        processing_level=LEVELS.get(level, level),
        spectral_processing=(
            settings.required("SPECTRAL_PROCESSING") if settings is not None else "P"
        ),
        geometry=geometry,
        datetime=_acquired(root, strip, center),
        start_datetime=start,
        end_datetime=end,
        footprint=footprint(
            (
                (v.required_number("LON"), v.required_number("LAT"))
                for v in root.findall("Dataset_Content/Dataset_Extent/Vertex")
            ),
            dim.name,
        ),
        width=int(root.required_number("Raster_Data/Raster_Dimensions/NCOLS")),
        height=int(root.required_number("Raster_Data/Raster_Dimensions/NROWS")),
        bands=_bands(root),
        nbits=int(root.required_number("Raster_Data/Raster_Encoding/NBITS")),
        dtype=_dtype(root),
        nodata=_special_value(root, "NODATA"),
        gsd=_gsd(root, center, geometry, mission, settings),
        cloud_cover=root.number("Dataset_Content/CLOUD_COVERAGE"),
        snow_cover=root.number("Dataset_Content/SNOW_COVERAGE"),
        angles=_angles(center),
        rpc_file=_rpc_file(root),
        preview_file=root.delivered("Dataset_Identification/DATASET_QL_PATH"),
        icon_file=root.delivered("Dataset_Identification/DATASET_TN_PATH"),
        copyright=root.text("Dataset_Identification/Legal_Constraints/COPYRIGHT"),
        radiometric_unit=_radiometric_unit(root),
        grid=_grid(root) if geometry is Geometry.map else None,
        tile_size=_tile_size(root),
        declared_bands=_declared_bands(root),
    )


def _level(root: Node, settings: Node | None) -> str:
    """PROCESSING_LEVEL, or the dataset type's when a delivery leaves it out."""
    level = settings.text("PROCESSING_LEVEL") if settings is not None else None
    dataset_type = root.text("Dataset_Identification/DATASET_TYPE")
    if level is None and dataset_type in ("RASTER_SENSOR", "RASTER_ORTHO"):
        return dataset_type.removeprefix("RASTER_")
    return level or (settings.required("PROCESSING_LEVEL") if settings is not None else "SENSOR")


def _dtype(root: Node) -> str:
    encoding = root.find("Raster_Data/Raster_Encoding")
    assert encoding is not None  # NBITS was found in it
    return numpy_dtype(
        int(encoding.required_number("NBITS")),
        signed=(encoding.text("SIGN") or "").upper() == "SIGNED",
        floating=(encoding.text("DATA_TYPE") or "").upper() == "FLOAT",
        source=root.file.name,
    )


def _grid(root: Node) -> Grid | None:
    crs = root.find("Coordinate_Reference_System")
    insert = root.find("Geoposition/Geoposition_Insert")
    if crs is None or insert is None:
        return None
    code = crs.text("Projected_CRS/PROJECTED_CRS_CODE") or crs.text(
        "Geodetic_CRS/GEODETIC_CRS_CODE"
    )
    if code is None:
        return None
    return Grid(
        crs=code,
        x=insert.required_number("ULXMAP"),
        y=insert.required_number("ULYMAP"),
        x_size=abs(insert.required_number("XDIM")),
        y_size=abs(insert.required_number("YDIM")),
    )


def _tile_size(root: Node) -> tuple[int, int] | None:
    size = root.element.find("Raster_Data/Raster_Dimensions/Tile_Set/Regular_Tiling/NTILES_SIZE")
    if size is None:
        return None
    try:
        return int(size.get("ncols", "")), int(size.get("nrows", ""))
    except ValueError:
        raise IngestError(f"{root.file.name}: NTILES_SIZE is not rows and columns") from None


def _declared_bands(root: Node) -> int | None:
    count = root.number("Raster_Data/Raster_Dimensions/NBANDS")
    return int(count) if count is not None else None


def _center_values(root: Node) -> Node | None:
    values = root.findall("Geometric_Data/Use_Area/Located_Geometric_Values")
    for node in values:
        if (node.text("LOCATION_TYPE") or "").upper() == "CENTER":
            return node
    return values[0] if values else None


def _acquired(root: Node, strip: Node, center: Node | None) -> datetime:
    if center is not None and (time := center.text("TIME")):
        return parse_time(time, root.file.name)
    date, time = strip.required("IMAGING_DATE"), strip.required("IMAGING_TIME")
    return parse_time(f"{date}T{time}", root.file.name)


def _time_range(root: Node) -> tuple[datetime | None, datetime | None]:
    time_range = root.find("Geometric_Data/Refined_Model/Time/Time_Range")
    if time_range is None or not time_range.text("START") or not time_range.text("END"):
        return None, None
    return (
        parse_time(time_range.required("START"), root.file.name),
        parse_time(time_range.required("END"), root.file.name),
    )


def _angles(center: Node | None) -> Angles:
    if center is None:
        return Angles()
    incidence = center.number("Acquisition_Angles/INCIDENCE_ANGLE")
    off_nadir = center.number("Acquisition_Angles/VIEWING_ANGLE")
    return Angles(
        incidence=abs(incidence) if incidence is not None else None,
        off_nadir=abs(off_nadir) if off_nadir is not None else None,
        azimuth=_azimuth(center),
        sun_azimuth=center.number("Solar_Incidences/SUN_AZIMUTH"),
        sun_elevation=center.number("Solar_Incidences/SUN_ELEVATION"),
    )


def _azimuth(center: Node) -> float | None:
    """The satellite's azimuth seen from the scene centre, clockwise from north.

    Pléiades Neo writes it as AZIMUTH_ANGLE next to the image's IMAGE_ORIENTATION. Pléiades
    1A/1B and SPOT 6/7 have no IMAGE_ORIENTATION: their AZIMUTH_ANGLE is the orientation of
    the along-track axis (about 180° on every descending pass), so the viewing direction comes
    from the along- and across-track incidences in that frame.
    """
    angles = center.find("Acquisition_Angles")
    if angles is None or (azimuth := angles.number("AZIMUTH_ANGLE")) is None:
        return None
    if angles.text("IMAGE_ORIENTATION") is not None:
        return azimuth % 360
    along = angles.number("INCIDENCE_ANGLE_ALONG_TRACK")
    across = angles.number("INCIDENCE_ANGLE_ACROSS_TRACK")
    if along is None or across is None:
        return None  # an orientation is no viewing direction: better none than a wrong one
    return viewing_azimuth(azimuth, along, across)


# Multispectral pixels of Pléiades 1A/1B and SPOT 6/7 are four panchromatic pixels wide; their
# sensor DIMs give the panchromatic GSD whatever the band group, Pléiades Neo its group's own.
MS_TO_PAN = 4
MS_NADIR_GSD = {"PHR": 2.8, "SPOT": 6.0, "PNEO": 1.2}


def _gsd(
    root: Node, center: Node | None, geometry: Geometry, mission: str, settings: Node | None
) -> float | None:
    """The product's pixel size on the ground: the resampling grid of map products, else the
    sensor's GSD of the product's band group at the scene centre."""
    spacing = root.find("Processing_Information/Product_Settings/Sampling_Settings")
    if geometry is Geometry.map and spacing is not None:
        node = spacing.element.find("RESAMPLING_SPACING")
        value = spacing.number("RESAMPLING_SPACING")
        # Some deliveries label a spacing in degrees as metres; no VHR pixel is under 1 cm.
        if node is not None and node.get("unit") == "m" and value and value > 0.01:
            return value
    if center is not None:
        across = center.number("Ground_Sample_Distance/GSD_ACROSS_TRACK")
        along = center.number("Ground_Sample_Distance/GSD_ALONG_TRACK")
        if across and along:
            gsd = (across + along) / 2
            spectral = settings.text("SPECTRAL_PROCESSING") if settings is not None else None
            multispectral = (spectral or "").startswith("MS")
            # No multispectral pixel is finer than at nadir: a smaller figure is the pan GSD.
            if multispectral and gsd < MS_NADIR_GSD.get(mission, 0.0) * 0.9:
                gsd *= MS_TO_PAN
            return round(gsd, 3)
    return None


def _special_value(root: Node, name: str) -> float | None:
    for node in root.findall(".//Special_Value"):
        if node.text("SPECIAL_VALUE_TEXT") == name:
            return node.number("SPECIAL_VALUE_COUNT")
    return None


def _rpc_file(root: Node) -> Path | None:
    return root.delivered(
        "Geoposition/Geoposition_Models/Rational_Function_Model/Component/COMPONENT_PATH"
    )


def _radiometric_unit(root: Node) -> str | None:
    processing = root.text(
        "Processing_Information/Product_Settings/Radiometric_Settings/RADIOMETRIC_PROCESSING"
    )
    return "reflectance" if processing == "REFLECTANCE" else "radiance" if processing else None


def _tiles(group: Node) -> tuple[Tile, ...]:
    tiles = []
    for data_file in group.findall("Data_File"):
        href = data_file.href("DATA_FILE_PATH")
        if not href:
            raise IngestError(f"{group.file.name}: Data_File without DATA_FILE_PATH")
        path = group.local(href)
        if not path.is_file():
            raise IngestError(f"{group.file.name}: missing image file {href}")
        row, col = data_file.element.get("tile_R", "1"), data_file.element.get("tile_C", "1")
        if not (row.isdecimal() and col.isdecimal()):
            raise IngestError(f"{group.file.name}: {href} has tile_R {row!r}, tile_C {col!r}")
        tiles.append(Tile(int(row), int(col), path))
    if not tiles:
        raise IngestError(f"{group.file.name}: no image files listed (metadata only)")
    return tuple(tiles)


def _band_ids(group: Node, root: Node) -> list[tuple[str, int]]:
    """(band id, 1-based index in the files) from the metadata, never guessed from GDAL."""
    index_list = group.findall("Raster_Display/Raster_Index_List/Raster_Index") or root.findall(
        "Raster_Data/Raster_Display/Raster_Index_List/Raster_Index"
    )
    if index_list:
        ids = [node.required("BAND_ID") for node in index_list]
        indexes = [int(node.required_number("BAND_INDEX")) for node in index_list]
        # Some MS-FS volumes number the second file's bands product-wide (NIR=4); the
        # list order is then the file order, as GDAL's reader assumes.
        if sorted(indexes) != list(range(1, len(ids) + 1)):
            indexes = list(range(1, len(ids) + 1))
        return list(zip(ids, indexes, strict=True))
    display = group.find("Raster_Display/Band_Display_Order") or root.find(
        "Raster_Data/Raster_Display/Band_Display_Order"
    )
    if display is not None:
        # Without an index list, Airbus stores the bands in display order: band 1 of a
        # Pléiades or SPOT 6/7 MS file is red (B2), then B1, B0, B3, as the Pléiades user
        # guide says and eoreader reads them. GDAL's DIMAP driver names band 1 B0 (blue):
        # not followed, the files hold the display order the DIM states.
        ids = list(dict.fromkeys(c for name in CHANNELS if (c := display.text(name))))
        return [(band_id, i) for i, band_id in enumerate(ids, start=1)]
    if root.required_number("Raster_Data/Raster_Dimensions/NBANDS") == 1:
        return [("P", 1)]
    raise IngestError(f"{root.file.name}: neither Raster_Index_List nor Band_Display_Order")


def _calibration(root: Node) -> dict[str, dict[str, float]]:
    """Per band id: spectral range, solar irradiance and the DN→physical gain/bias."""
    by_band: dict[str, dict[str, float]] = {}
    measures = root.find("Radiometric_Data/Radiometric_Calibration/Instrument_Calibration")
    if measures is None:
        return by_band
    reflectance = _radiometric_unit(root) == "reflectance"
    for node in measures.findall("Band_Measurement_List/*"):
        band_id = node.text("BAND_ID")
        if band_id is None:
            continue
        values = by_band.setdefault(band_id, {})
        if node.tag == "Band_Spectral_Range":
            low = node.number("FWHM/MIN") or node.number("MIN")
            high = node.number("FWHM/MAX") or node.number("MAX")
            if low and high:
                # Ranges come in nanometres or micrometres depending on the product line.
                factor = 1e-3 if "nano" in (node.text("MEASURE_UNIT") or "") else 1.0
                values["center"] = round((low + high) / 2 * factor, 4)
                values["fwhm"] = round((high - low) * factor, 4)
        elif node.tag == "Band_Solar_Irradiance":
            if (value := node.number("VALUE")) is not None:
                values["solar"] = value
        elif node.tag == ("Band_Reflectance" if reflectance else "Band_Radiance"):
            gain, bias = node.number("GAIN"), node.number("BIAS")
            if gain:
                values["scale"], values["offset"] = 1 / gain, bias or 0.0
    return by_band


def _bands(root: Node) -> tuple[Band, ...]:
    calibration = _calibration(root)
    bands = []
    for group in root.findall("Raster_Data/Data_Access/Data_Files"):
        tiles = _tiles(group)
        names = {
            node.text("BAND_ID"): node.text("BAND_NAME")
            for node in group.findall("Raster_Display/Raster_Index_List/Raster_Index")
        }
        for band_id, index in _band_ids(group, root):
            values = calibration.get(band_id, {})
            bands.append(
                Band(
                    id=band_id,
                    source=BandSource(tiles, index),
                    description=names.get(band_id),
                    center_wavelength=values.get("center"),
                    full_width_half_max=values.get("fwhm"),
                    solar_illumination=values.get("solar"),
                    scale=values.get("scale"),
                    offset=values.get("offset"),
                )
            )
    if not bands:
        raise IngestError(f"{root.file.name}: no Data_Files, the product holds no imagery")
    return tuple(bands)

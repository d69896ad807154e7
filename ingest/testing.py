"""Realistic DIMAP products of any size for tests and benchmarks (no pytest needed).

The XML follows the Airbus DIMAP v2 and SPOT DIMAP v1 layouts of the real samples; images
are tiled like deliveries (``IMG_..._R<r>C<c>``), in GeoTIFF or JPEG 2000, with a value
pattern that differs per band and per pixel so mosaic and band order mistakes show, or with
the pixels a caller gives (the demo catalogue's landscapes). Map-projected products are in the
UTM zone of their centre.
"""

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.io import MemoryFile
from rasterio.shutil import copy as copy_dataset
from rasterio.transform import from_origin
from rasterio.warp import transform as reproject_points

WGS84 = CRS.from_epsg(4326)
# Mission → (name, default MISSION_INDEX); ``mission_index`` picks the other satellite.
MISSIONS = {"PHR": ("PHR", "1A"), "PNEO": ("PNEO", "3"), "SPOT": ("SPOT", "6")}
# (centre µm, FWHM µm, solar irradiance) per band id; PHR and SPOT 6/7 share the B0-B3 names.
SPECTRA = {
    "B0": (0.49, 0.12, 1915.0),
    "B1": (0.56, 0.12, 1830.0),
    "B2": (0.65, 0.12, 1594.0),
    "B3": (0.84, 0.2, 1060.0),
    "P": (0.65, 0.36, 1548.0),
    "R": (0.655, 0.07, 1553.1),
    "G": (0.56, 0.06, 1817.5),
    "B": (0.485, 0.07, 1975.3),
    "NIR": (0.825, 0.11, 1063.1),
    "RE": (0.725, 0.04, 1350.4),
    "DB": (0.425, 0.05, 1790.8),
}
LEVEL_NAMES = {"SEN": "SENSOR", "ORT": "ORTHO", "PRJ": "PROJECTED"}
GROUP_NAMES = {"R": "RGB", "NIR": "NED"}


def band_groups(mission: str, spectral: str) -> list[list[str]]:
    """Band ids per image file set, in the file order Airbus delivers them."""
    if spectral == "P":
        return [["P"]]
    if mission == "PNEO":
        return (
            [["R", "G", "B"], ["NIR", "RE", "DB"]]
            if spectral == "MS-FS"
            else [["R", "G", "B", "NIR", "RE", "DB"]]
        )
    return [["B2", "B1", "B0", "B3"]]


def pixel_values(band_number: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """The value at mosaic position (row, col) of the ``band_number``-th delivered band; under
    4096 for up to six bands, as 12-bit data are."""
    return (100 + band_number * 500 + (rows * 7 + cols * 3) % 397).astype("uint16")


def _tile_slices(size: int, count: int) -> list[tuple[int, int]]:
    step = math.ceil(size / count)
    return [(start, min(step, size - start)) for start in range(0, size, step)]


def _write_image(path: Path, data: np.ndarray, crs: CRS | None, transform) -> None:
    profile = {
        "width": data.shape[2],
        "height": data.shape[1],
        "count": data.shape[0],
        "dtype": data.dtype.name,
    }
    if crs is not None:
        profile.update(crs=crs, transform=transform)
    if path.suffix.upper() == ".JP2":
        with MemoryFile() as mem:
            with mem.open(driver="GTiff", **profile) as tmp:
                tmp.write(data)
            with mem.open() as tmp:
                copy_dataset(
                    tmp,
                    path,
                    driver="JP2OpenJPEG",
                    REVERSIBLE="YES",
                    QUALITY="100",
                    RESOLUTIONS="2",
                )
    else:
        with rasterio.open(path, "w", driver="GTiff", compress="deflate", **profile) as dst:
            dst.write(data)


def _write_preview(path: Path, data: np.ndarray, size: int = 64) -> None:
    step = max(1, max(data.shape[1:]) // size)
    small = data[:3, ::step, ::step]
    if small.shape[0] < 3:
        small = np.repeat(small[:1], 3, axis=0)
    scaled = (small.astype("float32") / max(1, small.max()) * 255).astype("uint8")
    with MemoryFile() as mem:
        with mem.open(
            driver="GTiff", width=scaled.shape[2], height=scaled.shape[1], count=3, dtype="uint8"
        ) as tmp:
            tmp.write(scaled)
        with mem.open() as tmp:
            copy_dataset(tmp, path, driver="JPEG")


def utm_crs(center: tuple[float, float]) -> CRS:
    """The WGS 84 UTM zone holding ``center`` (lon, lat)."""
    zone = int((center[0] + 180) // 6) % 60 + 1
    return CRS.from_epsg((32600 if center[1] >= 0 else 32700) + zone)


def _grid(center: tuple[float, float], width: int, height: int, gsd: float):
    crs = utm_crs(center)
    xs, ys = reproject_points(WGS84, crs, [center[0]], [center[1]])
    transform = from_origin(xs[0] - width * gsd / 2, ys[0] + height * gsd / 2, gsd, gsd)
    corners_px = [(0, 0), (width, 0), (width, height), (0, height)]
    px = [transform * c for c in corners_px]
    lons, lats = reproject_points(crs, WGS84, [p[0] for p in px], [p[1] for p in px])
    return crs, transform, list(zip(lons, lats, strict=True))


def _given_image(image: np.ndarray, bands: int, width: int, height: int, dtype: str) -> np.ndarray:
    if image.shape != (bands, height, width):
        raise ValueError(f"image of shape {image.shape}, expected {(bands, height, width)}")
    return image.astype(dtype, copy=False)


def sensor_corners(center: tuple[float, float], width: int, height: int, gsd: float):
    half_lon = width * gsd / 2 / (111_320 * math.cos(math.radians(center[1])))
    half_lat = height * gsd / 2 / 110_540
    lon, lat = center
    corners = [
        (lon - half_lon, lat + half_lat),
        (lon + half_lon, lat + half_lat),
        (lon + half_lon, lat - half_lat),
        (lon - half_lon, lat - half_lat),
    ]
    # Scenes astride the antimeridian: longitudes as a DIM writes them, within ±180°.
    return half_lon, half_lat, [((x + 180) % 360 - 180, y) for x, y in corners]


def _rpc_xml(
    profile: str, center, half_lon, half_lat, width, height, incidence, view_azimuth
) -> str:
    """A linear RPC (sample ∝ lon, line ∝ -lat) in the Pléiades RPC file layout, seen from
    ``view_azimuth`` at ``incidence``: a point h metres up is imaged where the line of sight
    through it meets the ground, h·tan(incidence) further from the satellite."""
    away = math.radians(view_azimuth + 180)
    shift = math.tan(math.radians(incidence))
    # Ground shift per metre of height, in the RPC's normalised longitude and latitude.
    per_m_lon = shift * math.sin(away) / (111_320 * math.cos(math.radians(center[1]))) / half_lon
    per_m_lat = shift * math.cos(away) / 110_540 / half_lat
    height_scale, height_off = 500.0, 100.0
    coefficients = {
        "SAMP_NUM_COEFF": {1: per_m_lon * height_off, 2: 1.0, 4: per_m_lon * height_scale},
        "SAMP_DEN_COEFF": {1: 1.0},
        "LINE_NUM_COEFF": {1: -per_m_lat * height_off, 3: -1.0, 4: -per_m_lat * height_scale},
        "LINE_DEN_COEFF": {1: 1.0},
    }
    terms = "".join(
        f"<{name}_{i}>{values.get(i, 0.0)!r}</{name}_{i}>"
        for name, values in coefficients.items()
        for i in range(1, 21)
    )
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<Dimap_Document>
  <Metadata_Identification>
    <METADATA_FORMAT version="2.15">DIMAP</METADATA_FORMAT>
    <METADATA_PROFILE>{profile}</METADATA_PROFILE>
    <METADATA_SUBPROFILE>RPC</METADATA_SUBPROFILE>
  </Metadata_Identification>
  <Rational_Function_Model>
    <Global_RFM>
      <Inverse_Model>{terms}</Inverse_Model>
      <RFM_Validity>
        <LONG_SCALE>{half_lon!r}</LONG_SCALE><LONG_OFF>{center[0]!r}</LONG_OFF>
        <LAT_SCALE>{half_lat!r}</LAT_SCALE><LAT_OFF>{center[1]!r}</LAT_OFF>
        <HEIGHT_SCALE>{height_scale!r}</HEIGHT_SCALE><HEIGHT_OFF>{height_off!r}</HEIGHT_OFF>
        <SAMP_SCALE>{width / 2!r}</SAMP_SCALE><SAMP_OFF>{width / 2 + 1!r}</SAMP_OFF>
        <LINE_SCALE>{height / 2!r}</LINE_SCALE><LINE_OFF>{height / 2 + 1!r}</LINE_OFF>
      </RFM_Validity>
    </Global_RFM>
  </Rational_Function_Model>
</Dimap_Document>
"""


def make_dimap2_product(
    folder: Path,
    *,
    mission: str = "PHR",
    mission_index: str | None = None,
    spectral: str = "MS",
    level: str = "ORT",
    width: int = 200,
    height: int = 160,
    tiles: tuple[int, int] = (2, 2),
    tile_format: str = "TIF",
    file_band_order: Sequence[str] | None = None,
    center: tuple[float, float] = (5.37, 43.29),
    gsd: float = 2.0,
    acquired: datetime = datetime(2021, 6, 1, 10, 30, 12, tzinfo=UTC),
    cloud_cover: float = 5.0,
    snow_cover: float = 0.0,
    incidence: float = 12.5,
    view_azimuth: float = 95.5,
    sun_azimuth: float = 150.0,
    sun_elevation: float = 60.0,
    nbits: int = 12,
    volume: bool = True,
    image: np.ndarray | None = None,
) -> Path:
    """Write a DIMAP v2 delivery into ``folder``; return its VOL_*.XML (or DIM when no volume).

    ``mission_index`` is the satellite of the ``mission`` (PHR 1A/1B, PNEO 3/4, SPOT 6/7);
    ``tiles`` is (rows, cols) of image files; ``file_band_order`` (PNEO, single file set)
    stores the bands in another order, stated by the Raster_Index_List; ``image`` (bands in
    file order, rows, columns) replaces the test pattern.
    """
    name, index = MISSIONS[mission]
    index = mission_index or index
    platform = f"{name}{index}"
    stamp = acquired.strftime("%Y%m%d%H%M%S") + "1"
    product_id = f"{platform}_{spectral}_{stamp}_{level}_{name}_0001"
    product_dir = folder / f"PROD_{product_id}"
    product_dir.mkdir(parents=True, exist_ok=True)
    sensor = level == "SEN"
    groups = band_groups(mission, spectral)
    if file_band_order is not None:
        groups = [list(file_band_order)]
    if sensor:
        half_lon, half_lat, corners = sensor_corners(center, width, height, gsd)
        transform = crs = None
    else:
        crs, transform, corners = _grid(center, width, height, gsd)
    rows_idx, cols_idx = np.mgrid[0:height, 0:width]
    if image is not None:
        image = _given_image(image, sum(map(len, groups)), width, height, "uint16")
    data_files_xml, band_number, mosaic = [], 0, []
    for group in groups:
        group_data = (
            image[band_number : band_number + len(group)]
            if image is not None
            else np.stack(
                [pixel_values(band_number + i + 1, rows_idx, cols_idx) for i in range(len(group))]
            )
        )
        band_number += len(group)
        mosaic.append(group_data)
        suffix = f"_{GROUP_NAMES.get(group[0], 'IMG')}" if len(groups) > 1 else ""
        files = []
        for r, (y, h) in enumerate(_tile_slices(height, tiles[0]), start=1):
            for c, (x, w) in enumerate(_tile_slices(width, tiles[1]), start=1):
                file = f"IMG_{product_id}{suffix}_R{r}C{c}.{tile_format}"
                tile_transform = transform * transform.translation(x, y) if transform else None
                _write_image(
                    product_dir / file, group_data[:, y : y + h, x : x + w], crs, tile_transform
                )
                files.append(
                    f'<Data_File tile_R="{r}" tile_C="{c}">'
                    f'<DATA_FILE_PATH href="{file}"/></Data_File>'
                )
        index_list = "".join(
            f"<Raster_Index><BAND_ID>{b}</BAND_ID><BAND_INDEX>{i}</BAND_INDEX></Raster_Index>"
            for i, b in enumerate(group, start=1)
        )
        display = (
            (
                f"<Raster_Display><Raster_Index_List>{index_list}</Raster_Index_List>"
                "</Raster_Display>"
            )
            if mission == "PNEO"
            else ""
        )
        data_files_xml.append(f"<Data_Files>{''.join(files)}{display}</Data_Files>")
    band_ids = [b for group in groups for b in group]
    _write_preview(product_dir / f"PREVIEW_{product_id}.JPG", np.concatenate(mosaic))
    _write_preview(product_dir / f"ICON_{product_id}.JPG", np.concatenate(mosaic), size=16)
    rpc_name = f"RPC_{product_id}.XML"
    profile = f"{name}_{LEVEL_NAMES[level]}"
    if sensor:
        (product_dir / rpc_name).write_text(
            _rpc_xml(profile, center, half_lon, half_lat, width, height, incidence, view_azimuth)
        )
    calibration = "".join(
        f"<Band_Spectral_Range><BAND_ID>{b}</BAND_ID><MEASURE_UNIT>micrometer</MEASURE_UNIT>"
        f"<MIN>{SPECTRA[b][0] - SPECTRA[b][1] / 2:.4f}</MIN>"
        f"<MAX>{SPECTRA[b][0] + SPECTRA[b][1] / 2:.4f}</MAX></Band_Spectral_Range>"
        f"<Band_Radiance><BAND_ID>{b}</BAND_ID><GAIN>{9.5 + i / 10}</GAIN><BIAS>0</BIAS>"
        f"</Band_Radiance><Band_Solar_Irradiance><BAND_ID>{b}</BAND_ID>"
        f"<VALUE>{SPECTRA[b][2]}</VALUE></Band_Solar_Irradiance>"
        for i, b in enumerate(band_ids)
    )
    channels = band_ids[:3] if len(band_ids) >= 3 else band_ids * 3
    rgb_ids = {"PHR": ("B2", "B1", "B0"), "SPOT": ("B2", "B1", "B0")}.get(mission)
    if rgb_ids and len(band_ids) > 1:
        channels = [*rgb_ids, "B3"]
    display_order = "".join(
        f"<{tag}>{b}</{tag}>"
        for tag, b in zip(
            ("RED_CHANNEL", "GREEN_CHANNEL", "BLUE_CHANNEL", "ALPHA_CHANNEL"),
            channels,
            strict=False,
        )
    )
    vertices = "".join(
        f"<Vertex><LON>{lon!r}</LON><LAT>{lat!r}</LAT><COL>{col}</COL><ROW>{row}</ROW></Vertex>"
        for (lon, lat), (col, row) in zip(
            corners, [(1, 1), (width, 1), (width, height), (1, height)], strict=True
        )
    )
    # Pléiades and SPOT 6/7 state the panchromatic GSD in every DIM, Pléiades Neo its own.
    located_gsd = gsd / 4 if mission != "PNEO" and spectral.startswith("MS") else gsd
    center_time = acquired.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    end = (acquired + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    geoposition = (
        "<Raster_CRS><RASTER_GEOMETRY>SENSOR</RASTER_GEOMETRY><PIXEL_ORIGIN>1</PIXEL_ORIGIN>"
        "</Raster_CRS><Geoposition_Models><Rational_Function_Model><Component>"
        "<COMPONENT_TITLE>RPC Model</COMPONENT_TITLE><COMPONENT_TYPE>DIMAP</COMPONENT_TYPE>"
        f'<COMPONENT_PATH href="{rpc_name}"/></Component></Rational_Function_Model>'
        "</Geoposition_Models>"
        if sensor
        else "<Raster_CRS><RASTER_GEOMETRY>GROUND</RASTER_GEOMETRY></Raster_CRS>"
        f"<Geoposition_Insert><ULXMAP>{transform.c!r}</ULXMAP><ULYMAP>{transform.f!r}</ULYMAP>"
        f"<XDIM>{transform.a!r}</XDIM><YDIM>{-transform.e!r}</YDIM></Geoposition_Insert>"
    )
    tile_width, tile_height = math.ceil(width / tiles[1]), math.ceil(height / tiles[0])
    dim = product_dir / f"DIM_{product_id}.XML"
    dim.write_text(f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Dimap_Document version="1.2">
  <Metadata_Identification>
    <METADATA_FORMAT version="2.0">DIMAP</METADATA_FORMAT>
    <METADATA_PROFILE>{profile}</METADATA_PROFILE>
    <METADATA_SUBPROFILE>PRODUCT</METADATA_SUBPROFILE>
    <METADATA_LANGUAGE>en</METADATA_LANGUAGE>
  </Metadata_Identification>
  <Dataset_Identification>
    <DATASET_TYPE>RASTER_{"SENSOR" if sensor else "ORTHO"}</DATASET_TYPE>
    <DATASET_NAME version="1.0">{escape(product_id)}</DATASET_NAME>
    <DATASET_TN_PATH href="ICON_{product_id}.JPG"/>
    <DATASET_TN_FORMAT>image/jpeg</DATASET_TN_FORMAT>
    <DATASET_QL_PATH href="PREVIEW_{product_id}.JPG"/>
    <DATASET_QL_FORMAT>image/jpeg</DATASET_QL_FORMAT>
    <Legal_Constraints><COPYRIGHT>Synthetic test product</COPYRIGHT><LICENSE>EULA</LICENSE>
    </Legal_Constraints>
  </Dataset_Identification>
  <Dataset_Content>
    <CLOUD_COVERAGE unit="percent">{cloud_cover}</CLOUD_COVERAGE>
    <SNOW_COVERAGE unit="percent">{snow_cover}</SNOW_COVERAGE>
    <Dataset_Extent><EXTENT_TYPE>Bounding_Box</EXTENT_TYPE>{vertices}
      <Center><LON>{center[0]}</LON><LAT>{center[1]}</LAT></Center></Dataset_Extent>
  </Dataset_Content>
  <Product_Information><Producer_Information><PRODUCER_NAME>AIRBUS DS GEO</PRODUCER_NAME>
  </Producer_Information><Delivery_Identification><JOB_ID>0001</JOB_ID>
  <PRODUCT_TYPE>STANDARD</PRODUCT_TYPE></Delivery_Identification></Product_Information>
  <Coordinate_Reference_System><Geodetic_CRS>
    <GEODETIC_CRS_CODE>urn:ogc:def:crs:EPSG::4326</GEODETIC_CRS_CODE></Geodetic_CRS>{
        ""
        if sensor
        else f"<Projected_CRS><PROJECTED_CRS_CODE>urn:ogc:def:crs:EPSG::{crs.to_epsg()}"
        "</PROJECTED_CRS_CODE></Projected_CRS>"
    }
  </Coordinate_Reference_System>
  <Geoposition>{geoposition}</Geoposition>
  <Processing_Information><Product_Settings>
    <PROCESSING_LEVEL>{LEVEL_NAMES[level]}</PROCESSING_LEVEL>
    <SPECTRAL_PROCESSING>{spectral}</SPECTRAL_PROCESSING>
    <Radiometric_Settings><RADIOMETRIC_PROCESSING>BASIC</RADIOMETRIC_PROCESSING>
    </Radiometric_Settings>
    <Sampling_Settings><RESAMPLING_SPACING unit="m">{gsd}</RESAMPLING_SPACING>
    </Sampling_Settings>
  </Product_Settings></Processing_Information>
  <Raster_Data>
    <Raster_Dimensions><NROWS>{height}</NROWS><NCOLS>{width}</NCOLS>
      <NBANDS>{len(band_ids)}</NBANDS><Tile_Set><NTILES>{tiles[0] * tiles[1]}</NTILES>
      <Regular_Tiling><NTILES_SIZE nrows="{tile_height}" ncols="{tile_width}"/>
      <NTILES_COUNT ntiles_R="{tiles[0]}" ntiles_C="{tiles[1]}"/></Regular_Tiling></Tile_Set>
      </Raster_Dimensions>
    <Raster_Encoding><DATA_TYPE>INTEGER</DATA_TYPE><NBITS>{nbits}</NBITS>
      <SIGN>UNSIGNED</SIGN></Raster_Encoding>
    <Data_Access><DATA_FILE_ORGANISATION>BAND_COMPOSITE</DATA_FILE_ORGANISATION>
      <DATA_FILE_FORMAT>{"image/jp2" if tile_format == "JP2" else "image/tiff"}</DATA_FILE_FORMAT>
      <DATA_FILE_TILES>{"true" if tiles != (1, 1) else "false"}</DATA_FILE_TILES>
      {"".join(data_files_xml)}
    </Data_Access>
    <Raster_Display><Band_Display_Order>{display_order}</Band_Display_Order>
      <Special_Value><SPECIAL_VALUE_TEXT>NODATA</SPECIAL_VALUE_TEXT>
        <SPECIAL_VALUE_COUNT>0</SPECIAL_VALUE_COUNT></Special_Value>
    </Raster_Display>
  </Raster_Data>
  <Radiometric_Data><Radiometric_Calibration><Instrument_Calibration>
    <Band_Measurement_List>{calibration}</Band_Measurement_List>
  </Instrument_Calibration></Radiometric_Calibration></Radiometric_Data>
  <Geometric_Data>
    <Refined_Model><Time><Time_Range><START>{center_time}</START><END>{end}</END>
    </Time_Range></Time></Refined_Model>
    <Use_Area><Located_Geometric_Values>
      <LOCATION_TYPE>Center</LOCATION_TYPE><TIME>{center_time}</TIME>
      <Acquisition_Angles>{_acquisition_angles(mission, incidence, view_azimuth)}
        <VIEWING_ANGLE unit="deg">{incidence * 0.9:.4f}</VIEWING_ANGLE>
        <INCIDENCE_ANGLE unit="deg">{incidence}</INCIDENCE_ANGLE></Acquisition_Angles>
      <Solar_Incidences><SUN_AZIMUTH unit="deg">{sun_azimuth}</SUN_AZIMUTH>
        <SUN_ELEVATION unit="deg">{sun_elevation}</SUN_ELEVATION></Solar_Incidences>
      <Ground_Sample_Distance><GSD_ACROSS_TRACK unit="m">{located_gsd}</GSD_ACROSS_TRACK>
        <GSD_ALONG_TRACK unit="m">{located_gsd}</GSD_ALONG_TRACK></Ground_Sample_Distance>
    </Located_Geometric_Values></Use_Area>
  </Geometric_Data>
  <Dataset_Sources><Source_Identification><SOURCE_TYPE>Strip_Source</SOURCE_TYPE>
    <Strip_Source><MISSION>{name}</MISSION><MISSION_INDEX>{index}</MISSION_INDEX>
      <INSTRUMENT>{name}</INSTRUMENT><INSTRUMENT_INDEX>{index}</INSTRUMENT_INDEX>
      <IMAGING_DATE>{acquired:%Y-%m-%d}</IMAGING_DATE>
      <IMAGING_TIME>{acquired:%H:%M:%S}</IMAGING_TIME></Strip_Source>
  </Source_Identification></Dataset_Sources>
</Dimap_Document>
""")
    if not volume:
        return dim
    vol = folder / f"VOL_{name}.XML"
    vol.write_text(f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Dimap_Document>
  <Metadata_Identification>
    <METADATA_FORMAT version="2.0">DIMAP</METADATA_FORMAT>
    <METADATA_PROFILE>VOLUME</METADATA_PROFILE>
    <METADATA_SUBPROFILE>SINGLE_VOLUME</METADATA_SUBPROFILE>
  </Metadata_Identification>
  <Dataset_Content><Dataset_Components><Component>
    <COMPONENT_TITLE>{escape(product_id)}</COMPONENT_TITLE>
    <COMPONENT_TYPE version="2.0">DIMAP</COMPONENT_TYPE>
    <COMPONENT_PATH href="{product_dir.name}/{dim.name}"/>
  </Component></Dataset_Components></Dataset_Content>
</Dimap_Document>
""")
    return vol


def _acquisition_angles(mission: str, incidence: float, view_azimuth: float) -> str:
    """Pléiades Neo states the viewing azimuth next to the image orientation; Pléiades and
    SPOT 6/7 the orientation of the along-track axis as AZIMUTH_ANGLE and the along- and
    across-track incidences in it (see ingest.viewing)."""
    axis = 180.0
    relative = math.radians(axis - view_azimuth)
    tan_incidence = math.tan(math.radians(incidence))
    along = math.degrees(math.atan(tan_incidence * math.cos(relative)))
    across = math.degrees(math.atan(tan_incidence * math.sin(relative)))
    tracks = (
        f'<INCIDENCE_ANGLE_ALONG_TRACK unit="deg">{along!r}</INCIDENCE_ANGLE_ALONG_TRACK>'
        f'<INCIDENCE_ANGLE_ACROSS_TRACK unit="deg">{across!r}</INCIDENCE_ANGLE_ACROSS_TRACK>'
    )
    if mission == "PNEO":
        return (
            f'<IMAGE_ORIENTATION unit="deg">{axis}</IMAGE_ORIENTATION>'
            f'<AZIMUTH_ANGLE unit="deg">{view_azimuth}</AZIMUTH_ANGLE>{tracks}'
        )
    return f'<AZIMUTH_ANGLE unit="deg">{axis}</AZIMUTH_ANGLE>{tracks}'


SWH_INSTRUMENTS = {4: "HRVIR", 5: "HRG"}
SWH_BANDS = {
    "I": ["XS1", "XS2", "XS3", "SWIR"],
    "X": ["XS1", "XS2", "XS3"],
    "J": ["XS1", "XS2", "XS3", "SWIR"],
    "M": ["PAN"],
    "P": ["PAN"],
    "A": ["PAN"],
    "B": ["PAN"],
}


def make_dimap1_product(
    folder: Path,
    *,
    mission_index: int = 4,
    sensor: str = "I",
    level: str = "1A",
    width: int = 120,
    height: int = 100,
    center: tuple[float, float] = (4.7, 43.9),
    gsd: float = 20.0,
    acquired: datetime = datetime(1999, 7, 14, 10, 45, 3, tzinfo=UTC),
    incidence: float = -8.5,
    image: np.ndarray | None = None,
    cloud_cover: float | None = None,
) -> Path:
    """Write a Spot World Heritage scene (METADATA.DIM + IMAGERY.TIF); return the DIM file.

    Level 1A keeps the raw geometry (unreferenced image, four corner tie points); other
    levels are map-projected in the UTM zone of ``center``. ``image`` (bands, rows, columns)
    replaces the test pattern.
    """
    scene_dir = swh_scene_dir(folder, mission_index, acquired, sensor, level)
    bands = SWH_BANDS[sensor]
    rows_idx, cols_idx = np.mgrid[0:height, 0:width]
    data = (
        _given_image(image, len(bands), width, height, "uint8")
        if image is not None
        else np.stack(
            [pixel_values(i, rows_idx, cols_idx) % 250 + 1 for i in range(1, len(bands) + 1)]
        ).astype("uint8")
    )
    raw = level == "1A"
    transform = None
    if raw:
        _, _, corners = sensor_corners(center, width, height, gsd)
        _write_image(scene_dir / "IMAGERY.TIF", data, None, None)
        crs = "EPSG:4326"
    else:
        utm, transform, corners = _grid(center, width, height, gsd)
        _write_image(scene_dir / "IMAGERY.TIF", data, utm, transform)
        crs = utm.to_string()
    _write_preview(scene_dir / "PREVIEW.JPG", data)
    metadata = scene_dir / "METADATA.DIM"
    metadata.write_text(
        dimap1_document(
            mission_index=mission_index,
            sensor=sensor,
            level=level,
            width=width,
            height=height,
            acquired=acquired,
            incidence=incidence,
            corners=corners,
            crs=crs,
            transform=transform,
            cloud_cover=cloud_cover,
            preview=True,
        )
    )
    return metadata


def swh_scene_dir(
    folder: Path, mission_index: int, acquired: datetime, sensor: str, level: str
) -> Path:
    scene_dir = folder / f"SCENE_{mission_index}_{acquired:%Y%m%d%H%M%S}_{sensor}_{level}"
    scene_dir.mkdir(parents=True, exist_ok=True)
    return scene_dir


def dimap1_document(
    *,
    mission_index: int,
    sensor: str,
    level: str,
    width: int,
    height: int,
    acquired: datetime,
    incidence: float,
    corners: Sequence[tuple[float, float]],
    crs: str,
    transform=None,
    cloud_cover: float | None = None,
    viewing_angle: float | None = None,
    preview: bool = False,
) -> str:
    """The METADATA.DIM text of a SWH scene: ``corners`` clockwise from the first pixel, as
    tie points too for level 1A, ``transform`` the map grid of the other levels."""
    bands = SWH_BANDS[sensor]
    raw = level == "1A"
    pixels = [(1, 1), (width, 1), (width, height), (1, height)]
    frame = "".join(
        f"<Vertex><FRAME_LON>{lon!r}</FRAME_LON><FRAME_LAT>{lat!r}</FRAME_LAT>"
        f"<FRAME_ROW>{row}</FRAME_ROW><FRAME_COL>{col}</FRAME_COL></Vertex>"
        for (lon, lat), (col, row) in zip(corners, pixels, strict=True)
    )
    ties = "".join(
        f"<Tie_Point><TIE_POINT_CRS_X>{lon!r}</TIE_POINT_CRS_X><TIE_POINT_CRS_Y>{lat!r}"
        f"</TIE_POINT_CRS_Y><TIE_POINT_CRS_Z>0</TIE_POINT_CRS_Z><TIE_POINT_DATA_X>{col}"
        f"</TIE_POINT_DATA_X><TIE_POINT_DATA_Y>{row}</TIE_POINT_DATA_Y></Tie_Point>"
        for (lon, lat), (col, row) in zip(corners, pixels, strict=True)
    )
    band_info = "".join(
        f"<Spectral_Band_Info><BAND_INDEX>{i}</BAND_INDEX><BAND_DESCRIPTION>{b}"
        f"</BAND_DESCRIPTION><PHYSICAL_UNIT>equivalent radiance (W.m-2.Sr-1.um-1)"
        f"</PHYSICAL_UNIT><PHYSICAL_BIAS>0</PHYSICAL_BIAS><PHYSICAL_GAIN>{1.5 + i / 10}"
        f"</PHYSICAL_GAIN></Spectral_Band_Info>"
        for i, b in enumerate(bands, start=1)
    )
    quicklook = (
        '<DATASET_QL_PATH href="PREVIEW.JPG"/><DATASET_QL_FORMAT>JPEG</DATASET_QL_FORMAT>'
        if preview
        else ""
    )
    viewing = (
        f"<VIEWING_ANGLE>{viewing_angle!r}</VIEWING_ANGLE>" if viewing_angle is not None else ""
    )
    quality = (
        "<Quality_Assessment><Quality_Parameter><QUALITY_PARAMETER_CODE>CLOUD_COVER"
        "</QUALITY_PARAMETER_CODE><QUALITY_PARAMETER_DESC>Cloud cover (%)"
        f"</QUALITY_PARAMETER_DESC><QUALITY_PARAMETER_VALUE>{cloud_cover!r}"
        "</QUALITY_PARAMETER_VALUE></Quality_Parameter></Quality_Assessment>"
        if cloud_cover is not None
        else ""
    )
    return f"""<?xml version="1.0"?>
<Dimap_Document name="METADATA.DIM">
  <Metadata_Id><METADATA_FORMAT version="1.1">DIMAP</METADATA_FORMAT>
    <METADATA_PROFILE>SPOTSCENE_{level}</METADATA_PROFILE></Metadata_Id>
  <Dataset_Id>
    <DATASET_NAME>SCENE {mission_index} {acquired:%y/%m/%d %H:%M:%S} {sensor}</DATASET_NAME>
    <COPYRIGHT>COPYRIGHT CNES {acquired:%d %m %Y}</COPYRIGHT>
    {quicklook}
  </Dataset_Id>
  <Dataset_Frame>{frame}</Dataset_Frame>
  <Coordinate_Reference_System><Horizontal_CS><HORIZONTAL_CS_CODE>{crs}</HORIZONTAL_CS_CODE>
  </Horizontal_CS></Coordinate_Reference_System>
  <Raster_CS><RASTER_CS_TYPE>{"POINT" if raw else "CELL"}</RASTER_CS_TYPE>
    <PIXEL_ORIGIN>1</PIXEL_ORIGIN></Raster_CS>
  <Geoposition>{
        f"<Geoposition_Points>{ties}</Geoposition_Points>"
        if raw
        else f"<Geoposition_Insert><ULXMAP>{transform.c!r}</ULXMAP><ULYMAP>{transform.f!r}"
        f"</ULYMAP><XDIM>{transform.a!r}</XDIM><YDIM>{-transform.e!r}</YDIM>"
        "</Geoposition_Insert>"
    }</Geoposition>
  <Image_Display><Band_Display_Order><RED_CHANNEL>{min(3, len(bands))}</RED_CHANNEL>
    <GREEN_CHANNEL>{min(2, len(bands))}</GREEN_CHANNEL><BLUE_CHANNEL>1</BLUE_CHANNEL>
    </Band_Display_Order>
    <Special_Value><SPECIAL_VALUE_INDEX>0</SPECIAL_VALUE_INDEX>
      <SPECIAL_VALUE_TEXT>NODATA</SPECIAL_VALUE_TEXT></Special_Value></Image_Display>
  <Production><PRODUCT_TYPE>SCENE{level}</PRODUCT_TYPE>
    <DATASET_PRODUCER_NAME>CNES</DATASET_PRODUCER_NAME></Production>
  <Dataset_Sources><Source_Information><SOURCE_TYPE>SCENE</SOURCE_TYPE><Scene_Source>
    <IMAGING_DATE>{acquired:%Y-%m-%d}</IMAGING_DATE><IMAGING_TIME>{acquired:%H:%M:%S}</IMAGING_TIME>
    <MISSION>SPOT</MISSION><MISSION_INDEX>{mission_index}</MISSION_INDEX>
    <INSTRUMENT>{SWH_INSTRUMENTS.get(mission_index, "HRV")}</INSTRUMENT>
    <INSTRUMENT_INDEX>1</INSTRUMENT_INDEX><SENSOR_CODE>{sensor}</SENSOR_CODE>
    <SCENE_PROCESSING_LEVEL>{level}</SCENE_PROCESSING_LEVEL>
    {viewing}<INCIDENCE_ANGLE>{incidence}</INCIDENCE_ANGLE><SUN_AZIMUTH>140.2</SUN_AZIMUTH>
    <SUN_ELEVATION>58.1</SUN_ELEVATION>
    <Imaging_Parameters><REVOLUTION_NUMBER>12345</REVOLUTION_NUMBER></Imaging_Parameters>
  </Scene_Source>{quality}</Source_Information></Dataset_Sources>
  <Raster_Dimensions><NCOLS>{width}</NCOLS><NROWS>{height}</NROWS><NBANDS>{len(bands)}</NBANDS>
  </Raster_Dimensions>
  <Raster_Encoding><NBITS>8</NBITS><DATA_TYPE>UNSIGNED</DATA_TYPE></Raster_Encoding>
  <Data_Access><DATA_FILE_FORMAT version="1.0">GEOTIFF</DATA_FILE_FORMAT>
    <Data_File><DATA_FILE_PATH href="IMAGERY.TIF"/></Data_File></Data_Access>
  <Data_Processing><PROCESSING_LEVEL>{level}</PROCESSING_LEVEL>
    <GEOMETRIC_PROCESSING>{"RAW" if raw else "SYSTEM"}</GEOMETRIC_PROCESSING></Data_Processing>
  <Image_Interpretation>{band_info}</Image_Interpretation>
</Dimap_Document>
"""

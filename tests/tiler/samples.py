"""Sample imagery with known pixel values, and STAC items as ingest writes them.

Items carry one `data` asset (a COG), `proj:code`, `proj:shape`, `proj:transform`, and use
their collection's renders unless they carry their own.
"""

import warnings
from pathlib import Path
from typing import Any

import morecantile
import numpy as np
import rasterio
from pyproj import Transformer
from rasterio.errors import NotGeoreferencedWarning
from rasterio.rpc import RPC
from rasterio.transform import from_origin

from tests import cogs

SIZE = 512
RES = 2.0  # metres: Pléiades multispectral
# Origins of the sample images near Toulouse, in UTM 31N and Lambert-93.
UTM_ORIGIN = (374_000.0, 4_829_000.0)
L93_ORIGIN = (574_000.0, 6_280_000.0)

# Quadrant values of the 4-band "quadrants" image (12-bit data, like Pléiades).
LEFT, RIGHT = 1000, 2000  # band 1 (red): left half / right half
TOP, BOTTOM = 500, 2500  # band 2 (green): top half / bottom half
BLUE, NIR = 1500, 3000  # bands 3 and 4, constant


def quadrants() -> np.ndarray:
    data = np.empty((4, SIZE, SIZE), dtype="uint16")
    data[0, :, : SIZE // 2], data[0, :, SIZE // 2 :] = LEFT, RIGHT
    data[1, : SIZE // 2, :], data[1, SIZE // 2 :, :] = TOP, BOTTOM
    data[2], data[3] = BLUE, NIR
    return data


def ramp(first_column: int) -> np.ndarray:
    """Band 1 = 4 x the column index in a grid shared by adjacent images (seamless mosaics)."""
    cols = np.arange(first_column, first_column + SIZE, dtype="uint16") * 4 + 100
    data = np.empty((4, SIZE, SIZE), dtype="uint16")
    data[0] = np.broadcast_to(cols, (SIZE, SIZE))
    data[1], data[2], data[3] = 1200, 1300, 2600
    return data


def write_cog(path: Path, data: np.ndarray, crs: str, origin: tuple[float, float]) -> Path:
    return cogs.write_cog(
        path,
        data,
        crs,
        from_origin(*origin, RES, RES),
        descriptions=("B2", "B1", "B0", "B3"),
        overview_level=2,
    )


def make_item(
    item_id: str, collection: str, href: str, cog: Path | None = None, **properties: Any
) -> dict[str, Any]:
    """An item as ingest writes it; footprint and projection read from ``cog`` when given,
    else a crafted item somewhere near Toulouse with no file behind it."""
    if cog is not None:
        return cogs.cog_item(item_id, collection, cog, href=href, gsd=RES, **properties)
    ring = [[1.40, 43.58], [1.42, 43.58], [1.42, 43.60], [1.40, 43.60], [1.40, 43.58]]
    return {
        "type": "Feature",
        "stac_version": "1.1.0",
        "id": item_id,
        "collection": collection,
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "bbox": [1.40, 43.58, 1.42, 43.60],
        "properties": {"datetime": "2024-06-01T10:30:00Z", "gsd": RES, **properties},
        "assets": {"data": {"href": href, "type": cogs.COG_TYPE, "roles": ["data"]}},
        "links": [],
    }


def lonlat(crs: str, x: float, y: float) -> tuple[float, float]:
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)
    return lon, lat


def pixel_centre(
    crs: str, origin: tuple[float, float], col: float, row: float
) -> tuple[float, float]:
    """Longitude, latitude of the centre of pixel (col, row) of an image at ``origin``."""
    return lonlat(crs, origin[0] + (col + 0.5) * RES, origin[1] - (row + 0.5) * RES)


def tile_and_pixel(
    lon: float, lat: float, zoom: int, size: int = 256
) -> tuple[morecantile.Tile, int, int]:
    """The WebMercatorQuad tile holding (lon, lat) and the pixel (col, row) it falls in."""
    tms = morecantile.tms.get("WebMercatorQuad")
    tile = tms.tile(lon, lat, zoom)
    bounds = tms.xy_bounds(tile)
    x, y = tms.xy(lon, lat)
    col = int((x - bounds.left) / (bounds.right - bounds.left) * size)
    row = int((bounds.top - y) / (bounds.top - bounds.bottom) * size)
    return tile, col, row


# A level-1 (sensor geometry) image: no geotransform, an RPC model centred on Toulouse.
RPC_CENTRE = (1.44, 43.6)
RPC_SPAN = (0.014, 0.01)  # half-width in longitude, half-height in latitude


def write_sensor_image(path: Path, data: np.ndarray) -> Path:
    """A GeoTIFF located by RPCs only: column grows with longitude, row with -latitude."""
    rows, cols = data.shape[1:]
    rpcs = RPC(
        height_off=0,
        height_scale=100,
        lat_off=RPC_CENTRE[1],
        lat_scale=RPC_SPAN[1],
        long_off=RPC_CENTRE[0],
        long_scale=RPC_SPAN[0],
        line_off=rows / 2,
        line_scale=rows / 2,
        samp_off=cols / 2,
        samp_scale=cols / 2,
        line_num_coeff=[0, 0, -1] + [0] * 17,
        line_den_coeff=[1] + [0] * 19,
        samp_num_coeff=[0, 1] + [0] * 18,
        samp_den_coeff=[1] + [0] * 19,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(
            path,
            "w",
            driver="GTiff",
            count=data.shape[0],
            height=rows,
            width=cols,
            dtype=data.dtype.name,
            tiled=True,
            nodata=0,
        ) as dst:
            dst.write(data)
            dst.rpcs = rpcs
    return path


def sensor_lonlat(col: float, row: float) -> tuple[float, float]:
    """Where pixel (col, row) of the sensor image lies, by its RPC model."""
    return (
        RPC_CENTRE[0] + (col - SIZE / 2) / (SIZE / 2) * RPC_SPAN[0],
        RPC_CENTRE[1] - (row - SIZE / 2) / (SIZE / 2) * RPC_SPAN[1],
    )

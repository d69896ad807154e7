"""How big an image one request may produce: crop area and pixel count."""

from dataclasses import dataclass
from math import ceil

from pyproj import Geod
from rasterio.crs import CRS
from rasterio.warp import transform_bounds
from rio_tiler.constants import WGS84_CRS
from rio_tiler.types import BBox

from tiler.errors import LimitExceededError

_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class Limits:
    max_crop_km2: float
    max_pixels: int

    def check_pixels(self, width: float, height: float, what: str = "image") -> None:
        pixels = ceil(width) * ceil(height)
        if pixels > self.max_pixels:
            raise LimitExceededError(
                f"{what} of {ceil(width)}x{ceil(height)} = {pixels:,} pixels exceeds the limit "
                f"of {self.max_pixels:,} pixels: ask for a smaller area or a coarser size"
            )

    def check_area(self, bbox: BBox, crs: CRS) -> None:
        area = bbox_area_km2(bbox, crs)
        if area > self.max_crop_km2:
            raise LimitExceededError(
                f"crop of {area:,.2f} km² exceeds the limit of {self.max_crop_km2:,g} km²"
            )


def bbox_area_km2(bbox: BBox, crs: CRS) -> float:
    """Area on the ellipsoid of ``bbox`` (in ``crs``), whatever the projection's distortion."""
    west, south, east, north = transform_bounds(crs, WGS84_CRS, *bbox, densify_pts=21)
    area, _ = _GEOD.polygon_area_perimeter([west, east, east, west], [south, south, north, north])
    return abs(area) / 1e6

"""How big an image one request may produce: crop area and pixel count."""

from dataclasses import dataclass
from math import ceil

from rasterio.crs import CRS
from rio_tiler.types import BBox

from dinamis.area import bbox_area_km2
from tiler.errors import LimitExceededError


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

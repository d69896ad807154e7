"""How much work one request may ask for: crop area, image size, and every size-like parameter.

Each check raises ``LimitExceededError`` (answered 400) with a message naming the limit.
"""

import itertools
import math
import re
from collections.abc import Sized
from dataclasses import dataclass
from math import ceil

from rasterio.crs import CRS
from rio_tiler.types import BBox

from dinamis.area import bbox_area_km2
from tiler.errors import LimitExceededError
from tiler.settings import TilerSettings

# What counts as one operand of a band-math expression: a band or asset name, or a number.
_OPERAND = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+")


@dataclass(frozen=True)
class Limits:
    max_crop_km2: float
    max_pixels: int
    max_image_side: int = 10_000
    max_histogram_bins: int = 1_000
    max_list_items: int = 100
    max_expression_length: int = 1_000
    max_expression_terms: int = 50
    max_tile_buffer: float = 64

    @classmethod
    def from_settings(cls, settings: TilerSettings) -> "Limits":
        return cls(
            max_crop_km2=settings.max_crop_km2,
            max_pixels=settings.max_pixels,
            max_image_side=settings.max_image_side,
            max_histogram_bins=settings.max_histogram_bins,
            max_list_items=settings.max_list_items,
            max_expression_length=settings.max_expression_length,
            max_expression_terms=settings.max_expression_terms,
            max_tile_buffer=settings.max_tile_buffer,
        )

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

    def check_side(self, name: str, value: float | None) -> None:
        """An image size parameter (``width``, ``max_size``, ``tilesize``...): 1 to the limit."""
        if value is not None and not 1 <= value <= self.max_image_side:
            raise LimitExceededError(
                f"{name}={value:g} is out of range: from 1 to {self.max_image_side:,} pixels"
            )

    def check_items(self, name: str, values: Sized | None) -> None:
        if values is not None and len(values) > self.max_list_items:
            raise LimitExceededError(
                f"{name} has {len(values):,} values, more than the limit of {self.max_list_items}"
            )

    def check_percentiles(self, values: list[int] | None) -> None:
        self.check_items("p (percentiles)", values)
        for value in values or []:
            if not 0 <= value <= 100:
                raise LimitExceededError(f"percentile p={value} is out of range: from 0 to 100")

    def check_histogram(self, bins: int | list[float], range_: list[float] | None) -> None:
        if isinstance(bins, int):
            if not 1 <= bins <= self.max_histogram_bins:
                raise LimitExceededError(
                    f"histogram_bins={bins:,} is out of range: from 1 to "
                    f"{self.max_histogram_bins:,} bins"
                )
        else:
            if len(bins) - 1 > self.max_histogram_bins:
                raise LimitExceededError(
                    f"histogram_bins gives {len(bins) - 1:,} bins, more than the limit of "
                    f"{self.max_histogram_bins:,}"
                )
            if any(a > b for a, b in itertools.pairwise(bins)):
                raise LimitExceededError("histogram_bins edges must increase monotonically")
        if range_ is not None:
            low, high = range_
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise LimitExceededError(
                    f"histogram_range={low:g},{high:g} must be two finite numbers, min < max"
                )

    def check_expression(self, expression: str | None) -> None:
        if expression is None:
            return
        if len(expression) > self.max_expression_length:
            raise LimitExceededError(
                f"expression of {len(expression):,} characters exceeds the limit of "
                f"{self.max_expression_length:,}"
            )
        terms = len(_OPERAND.findall(expression))
        depth = deepest = 0
        for char in expression:
            depth += (char == "(") - (char == ")")
            deepest = max(deepest, depth)
        if terms > self.max_expression_terms or deepest > self.max_expression_terms:
            raise LimitExceededError(
                f"expression of {terms:,} terms, nested {deepest} deep, exceeds the limit of "
                f"{self.max_expression_terms} terms or levels"
            )

    def check_buffer(self, name: str, value: float | None) -> None:
        if value is not None and not 0 <= value <= self.max_tile_buffer:
            raise LimitExceededError(
                f"{name}={value:g} is out of range: from 0 to {self.max_tile_buffer:g} pixels"
            )

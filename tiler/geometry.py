"""A dataset's bounds and CRS maths, done once per footprint rather than once per tile.

rio-tiler works out an item's or a file's zoom levels (a reprojection of its whole grid, 1.6 ms)
and whether a tile touches it (a densified reprojection of the tile, 0.4 ms) on every reader it
opens, that is on every tile, and twice for an item (the item, then its asset). The answers
depend only on the footprint and the tile matrix set's CRS: they are kept here, keyed by those.
"""

import math
from functools import cached_property, lru_cache

from affine import Affine
from morecantile import Tile, TileMatrixSet
from rasterio.crs import CRS
from rasterio.errors import RasterioError
from rasterio.warp import calculate_default_transform, transform_bounds
from rio_tiler.types import BBox

# Distinct footprints (items and files) remembered; each entry is a few numbers.
FOOTPRINTS = 8192


@lru_cache(maxsize=FOOTPRINTS)
def grid_in(
    crs: CRS, dst_crs: CRS, width: int, height: int, bounds: BBox
) -> tuple[Affine, int, int]:
    """The grid of a ``width`` x ``height`` raster over ``bounds`` (in ``crs``), reprojected."""
    transform, cols, rows = calculate_default_transform(crs, dst_crs, width, height, *bounds)
    return transform, cols, rows


def box_in(crs: CRS, dst_crs: CRS, bounds: BBox) -> BBox | None:
    """``bounds`` (in ``crs``) as a box in ``dst_crs``, or None when that box is no plain
    rectangle there (across the antimeridian, beyond the projection's validity)."""
    try:
        box = transform_bounds(crs, dst_crs, *bounds, densify_pts=21)
    except (RasterioError, ValueError):  # CRSError is a ValueError
        return None
    left, bottom, right, top = box
    if not all(map(math.isfinite, box)) or left >= right or bottom >= top:
        return None
    return box


@lru_cache(maxsize=FOOTPRINTS)
def footprint_in(crs: CRS, dst_crs: CRS, bounds: BBox) -> BBox | None:
    """A dataset's ``box_in``, kept."""
    return box_in(crs, dst_crs, bounds)


class CachedGeometry:
    """rio-tiler's zoom levels and tile test (``SpatialMixin``'s), from the footprint caches
    above; put before the rio-tiler reader among a reader's bases."""

    tms: TileMatrixSet
    crs: CRS
    bounds: BBox
    width: int
    height: int

    @cached_property
    def _dst_geom_in_tms_crs(self) -> tuple[Affine, int, int]:
        tms_crs = self.tms.rasterio_crs
        if self.crs == tms_crs:
            return super()._dst_geom_in_tms_crs  # type: ignore[misc]
        return grid_in(self.crs, tms_crs, self.width, self.height, tuple(self.bounds))

    def tile_exists(self, tile_x: int, tile_y: int, tile_z: int) -> bool:
        box = footprint_in(self.crs, self.tms.rasterio_crs, tuple(self.bounds))
        if box is None:
            return super().tile_exists(tile_x, tile_y, tile_z)  # type: ignore[misc]
        tile = self.tms.xy_bounds(Tile(x=tile_x, y=tile_y, z=tile_z))
        return (
            tile.left < box[2]
            and tile.right > box[0]
            and tile.top > box[1]
            and tile.bottom < box[3]
        )

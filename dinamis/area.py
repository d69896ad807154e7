"""The area on the ground of a bounding box or a polygon: one measure for the crop limit, the
download records and imagery requests, whatever the projection's distortion."""

import math

from pyproj import Geod
from rasterio.crs import CRS
from rasterio.warp import transform_bounds
from shapely.geometry.base import BaseGeometry

WGS84 = CRS.from_epsg(4326)
_A = 6378137.0  # WGS84 semi-major axis, metres
_F = 1 / 298.257223563
_E = math.sqrt(_F * (2 - _F))
_B2 = (_A * (1 - _F)) ** 2


def _zone(latitude: float) -> float:
    """Ellipsoid area between the equator and ``latitude``, per radian of longitude (m²)."""
    s = math.sin(math.radians(latitude))
    return _B2 / 2 * (s / (1 - _E**2 * s**2) + math.log((1 + _E * s) / (1 - _E * s)) / (2 * _E))


def bbox_area_km2(bbox: tuple[float, float, float, float], crs: CRS = WGS84) -> float:
    """Area on the WGS84 ellipsoid of ``bbox`` (west, south, east, north in ``crs``): exact for
    the box its longitude/latitude bounds draw, parallels and meridians included."""
    if crs != WGS84:
        bbox = transform_bounds(crs, WGS84, *bbox, densify_pts=21)
    west, south, east, north = bbox
    span = east - west if east >= west else east - west + 360  # across the antimeridian
    return math.radians(span) * abs(_zone(north) - _zone(south)) / 1e6


_GEOD = Geod(ellps="WGS84")


def geometry_area_km2(geometry: BaseGeometry) -> float:
    """Geodesic area on the WGS84 ellipsoid of a longitude/latitude (Multi)Polygon, whatever
    the winding of its rings."""
    # A multipolygon's parts may wind either way: measure each, as the ground sees it.
    if geometry.geom_type == "MultiPolygon":
        return sum(geometry_area_km2(part) for part in geometry.geoms)
    area, _ = _GEOD.geometry_area_perimeter(geometry)
    return abs(area) / 1e6

"""Checks of a request's area of interest: a valid lon/lat (Multi)Polygon of bounded size,
measured on the WGS84 ellipsoid."""

from typing import Any

import numpy as np
from shapely import get_coordinates, get_num_coordinates
from shapely.errors import GEOSException
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from dinamis.area import geometry_area_km2
from dinamis.refusal import N_, ExplainedError


class AoiError(ExplainedError, ValueError):
    """The area of interest cannot be ordered; the message names the problem."""


def check_aoi(
    geojson: dict[str, Any], *, min_km2: float, max_km2: float, max_vertices: int
) -> tuple[BaseGeometry, float]:
    """The geometry and its geodesic area in km², or :class:`AoiError`."""
    if geojson.get("type") not in ("Polygon", "MultiPolygon"):
        raise AoiError(
            N_("the area of interest must be a Polygon or MultiPolygon, not %(type)s."),
            type=str(geojson.get("type"))[:100],
        )
    try:
        with np.errstate(invalid="ignore"):  # NaN coordinates are refused just below
            geometry = shape(geojson)
    except (ValueError, TypeError, AttributeError, IndexError, GEOSException) as error:
        raise AoiError(
            N_("the area of interest is not a readable polygon: %(error)s."), error=str(error)
        ) from error
    if geometry.is_empty:
        raise AoiError(N_("the area of interest is empty."))
    vertices = get_num_coordinates(geometry)
    if vertices > max_vertices:
        raise AoiError(
            N_("the area of interest has %(vertices)s vertices; the maximum is %(maximum)s."),
            vertices=vertices,
            maximum=max_vertices,
        )
    if not np.isfinite(get_coordinates(geometry)).all():
        raise AoiError(N_("the area of interest has coordinates that are not numbers."))
    west, south, east, north = geometry.bounds
    if west < -180 or east > 180 or south < -90 or north > 90:
        raise AoiError(N_("the area of interest must be in longitude/latitude (WGS84) degrees."))
    if not geometry.is_valid:
        # e.g. "Self-intersection[1.5 43.5]": where the outline crosses itself.
        raise AoiError(
            N_("the area of interest is not a valid polygon: %(why)s."),
            why=explain_validity(geometry),
        )
    area = geometry_area_km2(geometry)
    if area < min_km2:
        raise AoiError(
            N_("the area of interest covers %(area)s km²; the minimum is %(limit)s km²."),
            area=f"{area:,.1f}",
            limit=f"{min_km2:,.0f}",
        )
    if area > max_km2:
        raise AoiError(
            N_("the area of interest covers %(area)s km²; the maximum is %(limit)s km²."),
            area=f"{area:,.1f}",
            limit=f"{max_km2:,.0f}",
        )
    return geometry, area

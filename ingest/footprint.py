"""Footprints from the corner points of the metadata: ordered, closed and checked for sense."""

import math
from collections.abc import Iterable

from ingest.model import IngestError

Point = tuple[float, float]

# A Pléiades strip can be long but no delivered scene spans ten degrees: beyond that the
# coordinates are wrong (swapped axes, projected metres read as degrees...).
MAX_SPAN_DEGREES = 10.0


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def convex_hull(points: Iterable[Point]) -> list[Point]:
    """Counter-clockwise hull (Andrew's monotone chain), the orientation GeoJSON asks for."""
    pts = sorted(set(points))
    if len(pts) < 3:
        return pts
    lower: list[Point] = []
    for p in pts:
        while len(lower) >= 2 and _cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Point] = []
    for p in reversed(pts):
        while len(upper) >= 2 and _cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def footprint(points: Iterable[Point], source: str) -> tuple[Point, ...]:
    """A closed lon/lat ring around ``points``; IngestError when they cannot be a scene.

    The hull rather than the listed order: vertex order differs between producers and some
    extents list the centre among the corners.
    """
    pts = list(points)
    if not pts:
        raise IngestError(f"{source}: no footprint corners in the metadata")
    for lon, lat in pts:
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise IngestError(f"{source}: footprint has a non-finite coordinate")
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise IngestError(f"{source}: footprint point ({lon}, {lat}) is not lon/lat")
    hull = convex_hull(pts)
    if len(hull) < 3:
        raise IngestError(f"{source}: footprint needs three distinct corners, got {len(hull)}")
    lons = [p[0] for p in hull]
    lats = [p[1] for p in hull]
    if max(lons) - min(lons) > MAX_SPAN_DEGREES or max(lats) - min(lats) > MAX_SPAN_DEGREES:
        raise IngestError(f"{source}: footprint spans more than {MAX_SPAN_DEGREES}°, not a scene")
    return (*hull, hull[0])


def bbox(ring: Iterable[Point]) -> list[float]:
    pts = list(ring)
    lons = [p[0] for p in pts]
    lats = [p[1] for p in pts]
    return [min(lons), min(lats), max(lons), max(lats)]

"""Footprints from the corner points of the metadata: ordered, closed and checked for sense."""

import itertools
import math
from collections.abc import Iterable
from typing import Any

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


def _unwrapped(points: list[Point]) -> list[Point]:
    """Points of a scene astride ±180° moved onto one side: west longitudes + 360°."""
    lons = [p[0] for p in points]
    if max(lons) - min(lons) <= 180:
        return points
    return [(lon + 360 if lon < 0 else lon, lat) for lon, lat in points]


def footprint(points: Iterable[Point], source: str) -> tuple[Point, ...]:
    """A closed lon/lat ring around ``points``; IngestError when they cannot be a scene.

    The hull rather than the listed order: vertex order differs between producers and some
    extents list the centre among the corners. A scene across the antimeridian (Wallis and
    Futuna, Polynesia...) gets a continuous ring whose longitudes pass 180°; :func:`geometry`
    cuts it there.
    """
    pts = list(points)
    if not pts:
        raise IngestError(f"{source}: no footprint corners in the metadata")
    for lon, lat in pts:
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise IngestError(f"{source}: footprint has a non-finite coordinate")
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise IngestError(f"{source}: footprint point ({lon}, {lat}) is not lon/lat")
    hull = convex_hull(_unwrapped(pts))
    if len(hull) < 3:
        raise IngestError(f"{source}: footprint needs three distinct corners, got {len(hull)}")
    lons = [p[0] for p in hull]
    lats = [p[1] for p in hull]
    if max(lons) - min(lons) > MAX_SPAN_DEGREES or max(lats) - min(lats) > MAX_SPAN_DEGREES:
        raise IngestError(f"{source}: footprint spans more than {MAX_SPAN_DEGREES}°, not a scene")
    return (*hull, hull[0])


def _clip(ring: list[Point], keep_east: bool) -> list[Point]:
    """The part of a convex ring east (or west) of 180° (one Sutherland-Hodgman pass)."""

    def inside(p: Point) -> bool:
        return p[0] >= 180 if keep_east else p[0] <= 180

    out: list[Point] = []
    for a, b in itertools.pairwise(ring):
        if inside(a):
            out.append(a)
        if inside(a) != inside(b):
            t = (180 - a[0]) / (b[0] - a[0])
            out.append((180.0, a[1] + t * (b[1] - a[1])))
    return out


def _closed(points: list[Point], shift: float) -> list[list[float]]:
    ring = [[lon + shift, lat] for lon, lat in points]
    return [*ring, ring[0]]


def geometry(ring: tuple[Point, ...]) -> dict[str, Any]:
    """The GeoJSON geometry of a footprint: a MultiPolygon cut at ±180° when it crosses it,
    as RFC 7946 (section 3.1.9) asks."""
    if max(p[0] for p in ring) <= 180:
        return {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}
    east = _clip(list(ring), keep_east=False)  # 170°..180°: east of Greenwich
    west = _clip(list(ring), keep_east=True)  # 180°..190°: back to -180°..-170°
    return {
        "type": "MultiPolygon",
        "coordinates": [[_closed(east, 0.0)], [_closed(west, -360.0)]],
    }


def bbox(ring: tuple[Point, ...]) -> list[float]:
    """West, south, east, north; across the antimeridian west is greater than east (RFC 7946,
    section 5.2)."""
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    west, east = min(lons), max(lons)
    if east > 180:
        east -= 360
    return [west, min(lats), east, max(lats)]

"""A 3-D sensor model (RPCs) for a raw scene that only delivers 2-D tie points.

SWH level-1A scenes locate their pixels by tie points on one height (GCPs), which says where
a pixel's line of sight meets that height, not where it meets the terrain. A point ``h``
metres higher on the same line of sight lies ``h·tan(incidence)`` closer to the satellite on
the ground: that parallax is what a DEM corrects. The model here is the GCP mapping (fitted as
a polynomial, ground → image) applied after that shift; GDAL's warper uses DEMs through RPCs
only, so the model is sampled over the scene and its height range and fitted as RPCs
(RPC00B terms), which ``gdalwarp -rpc -to RPC_DEM=...`` then evaluates at each DEM height.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rasterio.control import GroundControlPoint
from rasterio.rpc import RPC

EARTH_RADIUS = 6_371_008.8
"""Mean radius (m): the parallax is a few hundred metres at most, where the sphere is exact
to well under a pixel."""

# Polynomial order of the tie-point fit by number of points (as gdalwarp's -order picks).
ORDERS = ((10, 3), (6, 2), (3, 1))


class GeometryError(ValueError):
    """The scene cannot be located (too few or degenerate tie points)."""


def _poly_terms(x: np.ndarray, y: np.ndarray, order: int) -> np.ndarray:
    return np.stack([x**i * y**j for i in range(order + 1) for j in range(order + 1 - i)], -1)


def _rpc_terms(lon: np.ndarray, lat: np.ndarray, h: np.ndarray) -> np.ndarray:
    """The 20 cubic terms in RPC00B's order, as GDAL evaluates them."""
    ll, pp, hh = lon, lat, h
    return np.stack(
        [
            np.ones_like(ll), ll, pp, hh, ll * pp, ll * hh, pp * hh, ll * ll, pp * pp, hh * hh,
            pp * ll * hh, ll**3, ll * pp * pp, ll * hh * hh, ll * ll * pp, pp**3, pp * hh * hh,
            ll * ll * hh, pp * pp * hh, hh**3,
        ],
        -1,
    )  # fmt: skip


@dataclass(frozen=True)
class Polynomial:
    """(lon, lat) → (col, row), in GDAL's pixel convention, fitted on centred coordinates."""

    order: int
    centre: tuple[float, float]
    cols: np.ndarray
    rows: np.ndarray

    @classmethod
    def fit(cls, gcps: Sequence[GroundControlPoint]) -> "Polynomial":
        order = next((o for n, o in ORDERS if len(gcps) >= n), None)
        if order is None:
            raise GeometryError(f"{len(gcps)} tie points: at least 3 are needed to locate a scene")
        lon = np.array([g.x for g in gcps])
        lat = np.array([g.y for g in gcps])
        centre = (float(lon.mean()), float(lat.mean()))
        terms = _poly_terms(lon - centre[0], lat - centre[1], order)
        if np.linalg.matrix_rank(terms) < terms.shape[1]:
            raise GeometryError("the tie points are aligned or repeated: the scene has no extent")
        cols = np.linalg.lstsq(terms, np.array([g.col for g in gcps]), rcond=None)[0]
        rows = np.linalg.lstsq(terms, np.array([g.row for g in gcps]), rcond=None)[0]
        return cls(order, centre, cols, rows)

    def __call__(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        terms = _poly_terms(lon - self.centre[0], lat - self.centre[1], self.order)
        return terms @ self.cols, terms @ self.rows


@dataclass(frozen=True)
class View:
    """Where the satellite was, seen from the scene."""

    incidence: float
    """Angle of the line of sight from the vertical, in degrees."""
    azimuth: float
    """Azimuth of the satellite from the ground, clockwise from north, in degrees."""


def column_azimuth(gcps: Sequence[GroundControlPoint]) -> float:
    """Ground azimuth of increasing columns: the across-track direction of a pushbroom scene."""
    cols = np.array([g.col for g in gcps])
    rows = np.array([g.row for g in gcps])
    terms = np.stack([np.ones_like(cols), cols, rows], -1)
    dlon = np.linalg.lstsq(terms, np.array([g.x for g in gcps]), rcond=None)[0][1]
    dlat = np.linalg.lstsq(terms, np.array([g.y for g in gcps]), rcond=None)[0][1]
    east = dlon * math.cos(math.radians(float(np.mean([g.y for g in gcps]))))
    return math.degrees(math.atan2(east, dlat)) % 360


def view_from_signed_incidence(gcps: Sequence[GroundControlPoint], signed_incidence: float) -> View:
    """SPOT's signed incidence (DIMAP v1 INCIDENCE_ANGLE): positive when the instrument looks
    to the right of the ground track, the satellite then standing on the side of the scene's
    first column; negative, on the side of its last column."""
    across = column_azimuth(gcps)
    azimuth = (across + 180) % 360 if signed_incidence > 0 else across
    return View(abs(signed_incidence), azimuth)


def shifted(lon: np.ndarray, lat: np.ndarray, height: np.ndarray, base: float, view: View):
    """Where the line of sight through (lon, lat, height) meets ``base`` height: moved away
    from the satellite by (height - base)·tan(incidence)."""
    distance = (height - base) * math.tan(math.radians(view.incidence))
    azimuth = math.radians(view.azimuth)
    north = -distance * math.cos(azimuth)
    east = -distance * math.sin(azimuth)
    dlat = np.degrees(north / EARTH_RADIUS)
    dlon = np.degrees(east / (EARTH_RADIUS * np.cos(np.radians(lat))))
    return lon + dlon, lat + dlat


def fit_rpc(
    gcps: Sequence[GroundControlPoint],
    view: View,
    heights: tuple[float, float],
    size: tuple[int, int],
    samples: int = 15,
) -> RPC:
    """RPCs (denominators 1) reproducing the tie points at their height and the parallax of
    ``view`` over the ``heights`` range, for an image of ``size`` (width, height)."""
    poly = Polynomial.fit(gcps)
    base = float(np.mean([g.z or 0.0 for g in gcps]))
    lons = np.array([g.x for g in gcps])
    lats = np.array([g.y for g in gcps])
    margin_lon = (lons.max() - lons.min()) * 0.1 + 1e-6
    margin_lat = (lats.max() - lats.min()) * 0.1 + 1e-6
    low, high = min(heights[0], base), max(heights[1], base)
    if high - low < 1:
        high = low + 1
    grid = np.meshgrid(
        np.linspace(lons.min() - margin_lon, lons.max() + margin_lon, samples),
        np.linspace(lats.min() - margin_lat, lats.max() + margin_lat, samples),
        np.linspace(low, high, 5),
        indexing="ij",
    )
    lon, lat, h = (g.ravel() for g in grid)
    col, row = poly(*shifted(lon, lat, h, base, view))
    offsets = {
        "long": ((lons.max() + lons.min()) / 2, (lons.max() - lons.min()) / 2 + margin_lon),
        "lat": ((lats.max() + lats.min()) / 2, (lats.max() - lats.min()) / 2 + margin_lat),
        "height": ((high + low) / 2, (high - low) / 2),
        "samp": (size[0] / 2, size[0] / 2),
        "line": (size[1] / 2, size[1] / 2),
    }

    def norm(values: np.ndarray, key: str) -> np.ndarray:
        return (values - offsets[key][0]) / offsets[key][1]

    terms = _rpc_terms(norm(lon, "long"), norm(lat, "lat"), norm(h, "height"))
    samp = np.linalg.lstsq(terms, norm(col, "samp"), rcond=None)[0]
    line = np.linalg.lstsq(terms, norm(row, "line"), rcond=None)[0]
    unit = [1.0] + [0.0] * 19
    return RPC(
        height_off=offsets["height"][0],
        height_scale=offsets["height"][1],
        lat_off=offsets["lat"][0],
        lat_scale=offsets["lat"][1],
        long_off=offsets["long"][0],
        long_scale=offsets["long"][1],
        # RPCs count pixels from the centre of the first one; GDAL from its corner.
        line_off=offsets["line"][0] - 0.5,
        line_scale=offsets["line"][1],
        samp_off=offsets["samp"][0] - 0.5,
        samp_scale=offsets["samp"][1],
        line_num_coeff=[float(c) for c in line],
        line_den_coeff=unit,
        samp_num_coeff=[float(c) for c in samp],
        samp_den_coeff=unit,
    )

"""Raw scenes seen over relief through a known sensor model, and the DEM they were seen over.

The truth: pixel (col, row) looks along a line of sight that meets height 0 at
``affine(col, row)`` and climbs towards the satellite (azimuth, incidence); the pixel shows the
terrain where that line meets the DEM. The image stores its own coordinates (band 1: column,
band 2: row, of the pixel centre), so a rectified image says, at every ground point, which raw
pixel it was taken from, to compare with the truth.
"""

import math
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.control import GroundControlPoint
from rasterio.transform import from_origin

from ortho.geometry import EARTH_RADIUS, View, view_from_signed_incidence

LON0, LAT0 = 6.2, 45.1
GSD = 20.0
DEM_STEP = 0.0005  # degrees, ~50 m


@dataclass(frozen=True)
class Truth:
    width: int
    height: int
    signed_incidence: float
    mountain: float
    """Height of the relief's summit (m)."""

    @property
    def deg_per_m(self) -> tuple[float, float]:
        return (1 / (EARTH_RADIUS * math.radians(1) * math.cos(math.radians(LAT0))),
                1 / (EARTH_RADIUS * math.radians(1)))  # fmt: skip

    def ground(self, col, row):
        """Where the line of sight of (col, row) meets height 0: north-up, slightly rotated."""
        dx, dy = self.deg_per_m
        east = (col * 0.98 + row * 0.17) * GSD
        north = -(row * 0.98 - col * 0.17) * GSD
        return LON0 + east * dx, LAT0 + north * dy

    def image(self, lon, lat):
        dx, dy = self.deg_per_m
        east, north = (lon - LON0) / dx / GSD, -(lat - LAT0) / dy / GSD
        det = 0.98 * 0.98 + 0.17 * 0.17
        return (0.98 * east - 0.17 * north) / det, (0.17 * east + 0.98 * north) / det

    def dem(self, lon, lat):
        """A mountain of ``mountain`` metres over the scene's middle, on a 300 m plateau."""
        clon, clat = self.ground(self.width / 2, self.height / 2)
        dx, dy = self.deg_per_m
        d2 = ((lon - clon) / dx) ** 2 + ((lat - clat) / dy) ** 2
        return 300.0 + self.mountain * np.exp(-d2 / (2 * 2500.0**2))

    def gcps(self) -> list[GroundControlPoint]:
        points = [
            (c, r) for c in np.linspace(0, self.width, 4) for r in np.linspace(0, self.height, 4)
        ]
        return [
            GroundControlPoint(row=r, col=c, x=self.ground(c, r)[0], y=self.ground(c, r)[1], z=0.0)
            for c, r in points
        ]

    def view(self) -> View:
        return view_from_signed_incidence(self.gcps(), self.signed_incidence)

    def offset(self, height):
        """Ground displacement (lon, lat) towards the satellite of a point ``height`` high."""
        view = self.view()
        distance = height * math.tan(math.radians(view.incidence))
        dx, dy = self.deg_per_m
        azimuth = math.radians(view.azimuth)
        return distance * math.sin(azimuth) * dx, distance * math.cos(azimuth) * dy

    def seen_from(self, lon, lat):
        """The raw pixel (col, row) showing the ground point (lon, lat) of the DEM."""
        olon, olat = self.offset(self.dem(lon, lat))
        return self.image(lon - olon, lat - olat)

    def write_scene(self, path: Path) -> Path:
        rows, cols = np.mgrid[0 : self.height, 0 : self.width].astype("float64") + 0.5
        lon, lat = self.ground(cols, rows)
        height = np.zeros_like(lon)
        for _ in range(30):  # where the line of sight meets the terrain (slope·tan(i) < 1)
            olon, olat = self.offset(height)
            height = self.dem(lon + olon, lat + olat)
        with rasterio.open(
            path, "w", driver="GTiff", width=self.width, height=self.height, count=2,
            dtype="float32", gcps=self.gcps(), crs="EPSG:4326", nodata=-9999,
        ) as dst:  # fmt: skip
            dst.write(np.stack([cols, rows]).astype("float32"))
        return path

    def write_dem(self, path: Path, margin: float = 0.05, crs: str | None = None) -> Path:
        """The DEM of the truth, its heights above the ellipsoid, or in ``crs`` (a compound
        CRS with a geoid's heights, converted by PROJ)."""
        lons = [self.ground(c, r)[0] for c in (0, self.width) for r in (0, self.height)]
        lats = [self.ground(c, r)[1] for c in (0, self.width) for r in (0, self.height)]
        west, north = min(lons) - margin, max(lats) + margin
        width = int((max(lons) + margin - west) / DEM_STEP)
        height = int((north - min(lats) + margin) / DEM_STEP)
        rows, cols = np.mgrid[0:height, 0:width] + 0.5
        lon, lat = west + cols * DEM_STEP, north - rows * DEM_STEP
        data = self.dem(lon, lat)
        if crs is not None:
            data = _heights_in(crs, lon, lat, data)
        with rasterio.open(
            path, "w", driver="GTiff", width=width, height=height, count=1, dtype="float32",
            crs="EPSG:4326", transform=from_origin(west, north, DEM_STEP, DEM_STEP),
        ) as dst:  # fmt: skip
            dst.write(data.astype("float32"), 1)
        return path


def _heights_in(crs: str, lon: np.ndarray, lat: np.ndarray, height: np.ndarray) -> np.ndarray:
    """Ellipsoidal heights at (lon, lat) in the heights of ``crs``, by GDAL's command line
    (whose PROJ finds the system's geoid grids, where the Python wheels' PROJ has none)."""
    points = "\n".join(
        f"{x!r} {y!r} {z!r}"
        for x, y, z in zip(
            lon.ravel().tolist(), lat.ravel().tolist(), height.ravel().tolist(), strict=True
        )
    )
    done = subprocess.run(["gdaltransform", "-s_srs", "EPSG:4979", "-t_srs", crs],
                          input=points, capture_output=True, text=True, check=True)  # fmt: skip
    converted = np.array(done.stdout.split(), dtype="float64").reshape(-1, 3)[:, 2]
    return converted.reshape(height.shape)

"""A generated DEM, for tests and benchmarks (no elevation data ships with the project)."""

from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin


def write_dem(
    path: Path, centre: tuple[float, float], half: float = 0.6, step: float = 0.002
) -> Path:
    """A hill of 1500 m on a 400 m plateau around ``centre`` (lon, lat), ``half`` degrees
    each way, in lon/lat float32 heights every ``step`` degrees."""
    size = int(2 * half / step)
    rows, cols = np.mgrid[0:size, 0:size] + 0.5
    lon = centre[0] - half + cols * step
    lat = centre[1] + half - rows * step
    hill = 400 + 1500 * np.exp(-((lon - centre[0]) ** 2 + (lat - centre[1]) ** 2) / 0.02)
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(
        path, "w", driver="GTiff", width=size, height=size, count=1, dtype="float32",
        crs="EPSG:4326", transform=from_origin(centre[0] - half, centre[1] + half, step, step),
    ) as dst:  # fmt: skip
        dst.write(hill.astype("float32"), 1)
    return path

"""SPOT 6/7-like scenes for the coverage tests and benchmark: smooth 12-bit fields in three
bands over a grid of UTM footprints, written as small COGs with overviews, and their items."""

from pathlib import Path
from typing import Any

import numpy as np
from rasterio.transform import from_origin

from tests.cogs import cog_item, write_cog

CRS = "EPSG:32630"
ORIGIN = (420_000.0, 5_320_000.0)  # Brittany: no other suite's scene near


def field(size: int, seed: int) -> np.ndarray:
    """Three bands of smooth values (1-3000), a little different for every scene."""
    y, x = np.mgrid[0:size, 0:size].astype("float32")
    phase = seed * 0.7
    bands = [
        1500 + 1200 * np.sin(x / (120 + 15 * b) + phase) * np.cos(y / (150 + 10 * b) - phase)
        for b in range(3)
    ]
    return np.clip(np.stack(bands), 1, 3000).astype("uint16")


def scene(
    folder: Path,
    index: int,
    column: int,
    row: int,
    *,
    size: int,
    gsd: float,
    step: float,
    year: int,
    collection: str = "spot-6-7",
    origin: tuple[float, float] = ORIGIN,
) -> dict[str, Any]:
    """Scene ``index`` at grid cell (``column``, ``row``) of ``step`` metres, and its item."""
    left, top = origin[0] + column * step, origin[1] - row * step
    path = write_cog(
        folder / f"SPOT-COV-{year}-{index:04d}.tif",
        field(size, index),
        CRS,
        from_origin(left, top, gsd, gsd),
        overview_level=max(1, int(np.log2(size / 64))),
    )
    day = 1 + index % 28
    month = 1 + (index // 28) % 12
    return cog_item(
        f"SPOT-COV-{year}-{index:04d}",
        collection,
        path,
        datetime=f"{year}-{month:02d}-{day:02d}T10:{index % 60:02d}:00Z",
        platform="SPOT6" if index % 2 else "SPOT7",
        gsd=gsd,
    )

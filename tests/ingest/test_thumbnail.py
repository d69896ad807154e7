"""The rendered quicklook: default render, a few hundred pixels, transparent outside the
footprint, on a real COG."""

from pathlib import Path

import numpy as np
import rasterio
from rasterio.io import MemoryFile
from rasterio.transform import from_bounds

from ingest.thumbnail import THUMBNAIL_SIZE, write_thumbnail
from tests.cogs import write_cog

BOUNDS = (4.0, 44.0, 4.2, 44.1)  # twice as wide as high


def _rgba(png: Path) -> np.ndarray:
    with MemoryFile(png.read_bytes()) as mem, mem.open() as src:
        assert src.driver == "PNG"
        return src.read()


def test_true_colour_of_the_default_render_and_transparent_outside(tmp_path: Path) -> None:
    # Band values 200/100/50/20 (red, green, blue, nir), one constant per band.
    data = np.stack([np.full((400, 800), v, "uint16") for v in (2000, 1000, 500, 200)])
    cog = write_cog(tmp_path / "scene.tif", data, "EPSG:4326", from_bounds(*BOUNDS, 800, 400))
    triangle = ((4.0, 44.0), (4.2, 44.0), (4.0, 44.1), (4.0, 44.0))  # lower-left half
    renders = {
        "false-color": {"asset_bidx": "data|4,1,2", "rescale": [[0, 2550]] * 3},
        "true-color": {"asset_bidx": "data|1,2,3", "rescale": [[0, 2550]] * 3},
    }
    png = tmp_path / "thumbnail.png"
    write_thumbnail(cog, png, triangle, renders)
    image = _rgba(png)
    assert image.shape == (4, THUMBNAIL_SIZE // 2, THUMBNAIL_SIZE)
    inside = image[:, -5, 5]  # near the lower-left corner
    outside = image[:, 5, -5]  # near the upper-right corner
    assert list(inside) == [200, 100, 50, 255]  # true colour, rescaled 0-2550 -> 0-255
    assert outside[3] == 0
    opaque = (image[3] == 255).mean()
    assert 0.45 < opaque < 0.55  # half the bounding box


def test_grey_products_and_nodata(tmp_path: Path) -> None:
    data = np.full((1, 300, 300), 1000, "uint16")
    data[:, :, :150] = 0  # no data on the left half
    cog = write_cog(
        tmp_path / "pan.tif", data, "EPSG:4326", from_bounds(*BOUNDS[:2], 4.1, 44.1, 300, 300)
    )
    square = ((4.0, 44.0), (4.1, 44.0), (4.1, 44.1), (4.0, 44.1), (4.0, 44.0))
    png = tmp_path / "thumbnail.png"
    write_thumbnail(cog, png, square, {"grey": {"asset_bidx": "data|1", "rescale": [[0, 2000]]}})
    image = _rgba(png)
    assert image.shape == (2, THUMBNAIL_SIZE, THUMBNAIL_SIZE)  # grey + alpha
    # 1000 of 0-2000 -> 127
    assert image[0, 128, 200] == 127 and image[1, 128, 200] == 255
    assert image[1, 128, 20] == 0
    with rasterio.open(png) as src:
        assert src.count == 2

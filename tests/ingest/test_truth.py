"""What the published item and COG say is what the DIM says, pixel for pixel.

The generator's pixels encode the delivered band number and the mosaic position
(ingest.testing.pixel_values), so a swapped band or a misplaced tile shows as wrong values.
Band 1 of a Pléiades MS file is red (B2): the Airbus order, which eoreader follows too.
"""

import re
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from dinamis.settings import Settings
from ingest.load import get_item
from ingest.pipeline import ingest_paths
from ingest.testing import make_dimap2_product, pixel_values
from tests.ingest.helpers import acquisition


def dim_numbers(dim: Path, tag: str) -> list[float]:
    return [float(v) for v in re.findall(rf"<{tag}[^>]*>([^<]+)</{tag}>", dim.read_text())]


def dim_numbers_in(text: str, tag: str) -> list[float]:
    return [float(v) for v in re.findall(rf"<{tag}>([^<]+)</{tag}>", text)]


def delivered_band(cog: Path, index: int, window: Window) -> int:
    """The delivered band number whose pixels the COG's band ``index`` holds in ``window``."""
    with rasterio.open(cog) as src:
        data = src.read(index, window=window)
    rows, cols = np.mgrid[
        window.row_off : window.row_off + window.height,
        window.col_off : window.col_off + window.width,
    ]
    matches = [n for n in range(1, 7) if np.array_equal(data, pixel_values(n, rows, cols))]
    assert len(matches) == 1, f"band {index} holds no delivered band's pixels at {window}"
    return matches[0]


@pytest.fixture
def phr_item(
    tmp_path: Path, ingest_settings: Settings, database_url: str, collection_ids: list[str]
) -> tuple[dict, Path]:
    volume = make_dimap2_product(
        tmp_path, width=301, height=257, tiles=(3, 2), acquired=acquisition()
    )
    [done] = ingest_paths([volume], ingest_settings, database_url, progress=False).ingested
    [dim] = volume.parent.glob("PROD_*/DIM_*.XML")
    return get_item(database_url, "pleiades", done.item_id), dim


def test_bounds_and_crs_are_the_dims(phr_item: tuple[dict, Path]) -> None:
    item, dim = phr_item
    [x], [y] = dim_numbers(dim, "ULXMAP"), dim_numbers(dim, "ULYMAP")
    [x_size], [y_size] = dim_numbers(dim, "XDIM"), dim_numbers(dim, "YDIM")
    [rows], [cols] = dim_numbers(dim, "NROWS"), dim_numbers(dim, "NCOLS")
    assert "urn:ogc:def:crs:EPSG::32631" in dim.read_text()
    props = item["assets"]["data"]  # the projection of the COG, on its asset
    assert props["proj:code"] == "EPSG:32631"
    assert props["proj:shape"] == [rows, cols]
    assert props["proj:transform"] == pytest.approx([x_size, 0, x, 0, -y_size, y])
    assert props["proj:bbox"] == pytest.approx([x, y - rows * y_size, x + cols * x_size, y])
    with rasterio.open(item["assets"]["data"]["href"]) as src:
        assert list(src.bounds) == pytest.approx(props["proj:bbox"])


def test_footprint_is_the_dims_vertices(phr_item: tuple[dict, Path]) -> None:
    item, dim = phr_item
    extent = dim.read_text().split("<Dataset_Extent>")[1].split("<Center>")[0]
    vertices = list(zip(dim_numbers_in(extent, "LON"), dim_numbers_in(extent, "LAT"), strict=True))
    ring = [tuple(p) for p in item["geometry"]["coordinates"][0]]
    assert ring[0] == ring[-1]
    for published, said in zip(sorted(ring[:-1]), sorted(vertices), strict=True):
        assert published == pytest.approx(said)
    lons, lats = zip(*vertices, strict=True)
    assert item["bbox"] == pytest.approx([min(lons), min(lats), max(lons), max(lats)])


def test_pleiades_bands_are_red_green_blue_nir_in_every_tile(
    phr_item: tuple[dict, Path],
) -> None:
    """Delivered B2 B1 B0 B3 (Band_Display_Order); published red, green, blue, nir: the
    COG's first band holds the files' first band in every one of the six tiles."""
    item, _ = phr_item
    cog = Path(item["assets"]["data"]["href"])
    names = [b["eo:common_name"] for b in item["assets"]["data"]["bands"]]
    assert names == ["red", "green", "blue", "nir"]
    # One window inside each tile (tiles of 151x86 px) and one across all four corners.
    windows = [Window(c * 151 + 5, r * 86 + 5, 20, 20) for r in range(3) for c in range(2)]
    windows.append(Window(140, 80, 30, 30))
    for window in windows:
        assert [delivered_band(cog, i, window) for i in (1, 2, 3, 4)] == [1, 2, 3, 4]


def test_pleiades_neo_bands_follow_their_index_list(
    tmp_path: Path, ingest_settings: Settings, database_url: str, collection_ids: list[str]
) -> None:
    """A Pléiades Neo file holding B, G, R, NIR, DB, RE (its Raster_Index_List says so) is
    published R, G, B, NIR, RE, DB: COG band 1 is the file's third."""
    volume = make_dimap2_product(
        tmp_path,
        mission="PNEO",
        level="SEN",
        tiles=(2, 2),
        file_band_order=["B", "G", "R", "NIR", "DB", "RE"],
        acquired=acquisition(),
    )
    [done] = ingest_paths([volume], ingest_settings, database_url, progress=False).ingested
    item = get_item(database_url, "pleiades-neo", done.item_id)
    cog = Path(item["assets"]["data"]["href"])
    window = Window(90, 70, 30, 30)  # across the four tiles
    assert [delivered_band(cog, i, window) for i in range(1, 7)] == [3, 2, 1, 4, 6, 5]

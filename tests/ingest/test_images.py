"""Image files that contradict their DIM are refused before anything is written, with one
line naming the file, what the metadata says and what the file holds."""

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from affine import Affine

from dinamis.settings import Settings
from ingest import dimap1, dimap2
from ingest.cog import write_cog
from ingest.images import read_images
from ingest.load import get_item
from ingest.model import IngestError, Product
from ingest.mosaic import mosaic_vrt
from ingest.pipeline import ingest_paths
from ingest.testing import make_dimap1_product, make_dimap2_product
from tests.ingest.helpers import acquisition


def rewrite(tile: Path, change: Callable[[dict[str, Any], np.ndarray], np.ndarray]) -> None:
    """Write ``tile`` again with the profile and pixels ``change`` makes of its own."""
    with rasterio.open(tile) as src:
        profile, data = dict(src.profile), src.read()
    data = change(profile, data)
    profile.update(
        count=data.shape[0], height=data.shape[1], width=data.shape[2], dtype=data.dtype.name
    )
    # Written aside and moved: GDAL deletes a dataset it overwrites with the files it finds
    # with it, and its Pléiades metadata reader counts the DIM among them.
    aside = tile.with_name(f"new-{tile.name}")
    with rasterio.open(aside, "w", **profile) as dst:
        dst.write(data)
    aside.replace(tile)


def tile(product: Product, row: int, col: int) -> Path:
    return next(t.path for t in product.tiles if (t.row, t.col) == (row, col))


@pytest.fixture
def phr(tmp_path: Path) -> Product:
    """A 2x2-tile Pléiades MS ortho product: 200x160 px, tiles of 100x80 px, 2 m pixels."""
    return dimap2.read_product(make_dimap2_product(tmp_path, tiles=(2, 2), volume=False))


def refused(product: Product) -> str:
    with pytest.raises(IngestError) as caught:
        read_images(product)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_deliveries_that_agree_with_their_dim_pass(tmp_path: Path) -> None:
    for product in (
        dimap2.read_product(make_dimap2_product(tmp_path / "a", tiles=(3, 2), volume=False)),
        dimap2.read_product(
            make_dimap2_product(
                tmp_path / "b", mission="PNEO", spectral="MS-FS", tile_format="JP2", volume=False
            )
        ),
        dimap2.read_product(make_dimap2_product(tmp_path / "c", level="SEN", volume=False)),
        dimap1.read_product(make_dimap1_product(tmp_path / "d", level="2A")),
    ):
        images = read_images(product)
        assert set(images.files) == {t.path for t in product.tiles}


def test_tile_in_another_utm_zone(phr: Product) -> None:
    def other_zone(profile: dict, data: np.ndarray) -> np.ndarray:
        profile["crs"] = "EPSG:32632"
        return data

    rewrite(tile(phr, 1, 2), other_zone)
    assert refused(phr) == (f"{tile(phr, 1, 2).name}: CRS EPSG:32632, the metadata says EPSG:32631")


def test_whole_delivery_in_another_zone_than_its_dim(phr: Product) -> None:
    def other_zone(profile: dict, data: np.ndarray) -> np.ndarray:
        profile["crs"] = "EPSG:32630"
        return data

    for t in phr.tiles:
        rewrite(t.path, other_zone)
    assert "CRS EPSG:32630, the metadata says EPSG:32631" in refused(phr)


@pytest.mark.parametrize(("dx_m", "dy_m"), [(50_000.0, 0.0), (0.0, -1.2), (1.2, 1.2)])
def test_shifted_tile(phr: Product, dx_m: float, dy_m: float) -> None:
    def shift(profile: dict, data: np.ndarray) -> np.ndarray:
        profile["transform"] = Affine.translation(dx_m, dy_m) * profile["transform"]
        return data

    rewrite(tile(phr, 2, 1), shift)
    message = refused(phr)
    assert message.startswith(f"{tile(phr, 2, 1).name}: upper-left corner at (")
    assert "the metadata says" in message
    px = re.search(r": ([-+][\d.]+) px in x, ([-+][\d.]+) px in y$", message)
    assert px is not None
    assert (float(px[1]), float(px[2])) == pytest.approx((dx_m / 2, -dy_m / 2), abs=0.05)


def test_half_a_pixel_is_the_tolerance(phr: Product) -> None:
    """ULXMAP may name the upper-left pixel's centre: a whole product half a pixel off its
    DIM passes, a little more does not."""

    def shift_by(metres: float) -> Callable[[dict, np.ndarray], np.ndarray]:
        def shift(profile: dict, data: np.ndarray) -> np.ndarray:
            profile["transform"] = Affine.translation(metres, 0) * profile["transform"]
            return data

        return shift

    for t in phr.tiles:
        rewrite(t.path, shift_by(-1.0))  # half of a 2 m pixel
    read_images(phr)
    for t in phr.tiles:
        rewrite(t.path, shift_by(-0.3))
    assert "-0.7 px in x" in refused(phr)


def test_wrong_pixel_size(phr: Product) -> None:
    def finer(profile: dict, data: np.ndarray) -> np.ndarray:
        t = profile["transform"]
        profile["transform"] = Affine(1.9, 0, t.c, 0, -2.0, t.f)
        return data

    rewrite(tile(phr, 1, 1), finer)
    assert refused(phr) == (f"{tile(phr, 1, 1).name}: pixel size 1.9 in x, the metadata says 2.0")


def test_extra_band_is_not_dropped_silently(phr: Product) -> None:
    for t in phr.tiles:
        rewrite(t.path, lambda profile, data: np.concatenate([data, data[:1]]))
    assert refused(phr) == f"{tile(phr, 1, 1).name}: 5 bands, the metadata says 4"


def test_sample_type_other_than_the_dim_says(phr: Product) -> None:
    rewrite(tile(phr, 2, 2), lambda profile, data: (data % 256).astype("uint8"))
    assert refused(phr) == (
        f"{tile(phr, 2, 2).name}: uint8 samples, the metadata says uint16 (12-bit)"
    )


@pytest.mark.parametrize("declared_tiling", [True, False])
@pytest.mark.parametrize(("row", "col"), [(1, 2), (2, 2), (2, 1), (1, 1)])
def test_wrong_tile_size_names_that_tile(
    tmp_path: Path, row: int, col: int, declared_tiling: bool
) -> None:
    dim = make_dimap2_product(tmp_path, width=300, height=240, tiles=(3, 3), volume=False)
    if not declared_tiling:
        dim.write_text(re.sub(r"<Tile_Set>.*?</Tile_Set>", "", dim.read_text(), flags=re.S))
    product = dimap2.read_product(dim)
    rewrite(tile(product, row, col), lambda profile, data: data[:, :, :-3])
    assert refused(product) == (
        f"{tile(product, row, col).name}: tile R{row}C{col} should be 100x80 px by the "
        f"metadata, the file is 97x80 px"
    )


def test_contradicting_delivery_publishes_nothing(
    tmp_path: Path, ingest_settings: Settings, database_url: str, collection_ids: list[str]
) -> None:
    volume = make_dimap2_product(tmp_path, tiles=(2, 2), acquired=acquisition())
    product = dimap2.read_product(next(volume.parent.glob("PROD_*/DIM_*.XML")))

    def other_zone(profile: dict, data: np.ndarray) -> np.ndarray:
        profile["crs"] = "EPSG:32632"
        return data

    rewrite(tile(product, 2, 2), other_zone)
    report = ingest_paths([volume], ingest_settings, database_url, progress=False)
    assert not report.ingested and not report.skipped, report
    [failure] = report.failed
    assert failure.message == (
        f"{tile(product, 2, 2).name}: CRS EPSG:32632, the metadata says EPSG:32631"
    )
    assert not any(ingest_settings.storage.rglob("*")), "nothing may be written"
    from ingest.pipeline import item_id

    assert get_item(database_url, "pleiades", item_id(product)) is None


def test_real_pleiades_neo_delivery_agrees_with_its_dim(samples: Path, tmp_path: Path) -> None:
    """GDAL's real Pléiades Neo MS-FS ortho sample: two file sets on the DIM's lon/lat grid
    (ULXMAP/ULYMAP at the first pixel's corner there); moved 50 pixels in its DIM, refused."""
    source = samples / "gdal-autotest/dimap2/vhr2020_ms_fs/MS-FS"
    folder = tmp_path / "MS-FS"
    shutil.copytree(source, folder)
    dim = folder / "DIM_MS-FS.XML"
    product = dimap2.read_product(dim)
    assert product.grid is not None and product.grid.crs == "urn:ogc:def:crs:EPSG::4326"
    images = read_images(product)
    with rasterio.open(folder / "IMG_RGB_R1C1.TIF") as src:
        assert (src.transform.c, src.transform.f) == (product.grid.x, product.grid.y)
    assert len(images.files) == 2
    moved = product.grid.x + 50 * product.grid.x_size
    dim.write_text(dim.read_text().replace(f">{product.grid.x!r}<", f">{moved!r}<"))
    assert refused(dimap2.read_product(dim)).endswith("-50.0 px in x, +0.0 px in y")


def test_tiles_deeper_than_the_dim_says(tmp_path: Path) -> None:
    """A JPEG 2000 tile of 12-bit samples under a DIM saying 10: the COG, 10 bits deep, would
    clip them."""
    dim = make_dimap2_product(tmp_path, tiles=(1, 1), tile_format="JP2", volume=False)
    dim.write_text(dim.read_text().replace("<NBITS>12</NBITS>", "<NBITS>10</NBITS>"))
    product = dimap2.read_product(dim)
    jp2 = tile(product, 1, 1)
    with rasterio.open(jp2) as src:
        profile, data = dict(src.profile), src.read()
    aside = jp2.with_name(f"new-{jp2.name}")
    with rasterio.open(aside, "w", **{**profile, "driver": "JP2OpenJPEG", "NBITS": 12}) as dst:
        dst.write(data)
    aside.replace(jp2)
    assert refused(product) == f"{jp2.name}: 12-bit samples, the metadata says 10-bit"


def test_tiles_without_georeferencing_take_the_dims_grid(phr: Product, tmp_path: Path) -> None:
    """As GDAL's DIMAP driver reads them: the COG lands where the DIM says."""
    with rasterio.open(tile(phr, 1, 1)) as src:
        expected = src.transform

    def bare(profile: dict, data: np.ndarray) -> np.ndarray:
        profile.pop("crs", None)
        profile.pop("transform", None)
        return data

    for t in phr.tiles:
        rewrite(t.path, bare)
    cog = tmp_path / "out.tif"
    write_cog(mosaic_vrt(phr, list(phr.bands)), cog)
    with rasterio.open(cog) as src:
        assert src.crs.to_epsg() == 32631 and src.transform.almost_equals(expected)


def test_one_tile_without_georeferencing_among_others(phr: Product) -> None:
    def bare(profile: dict, data: np.ndarray) -> np.ndarray:
        profile.pop("crs", None)
        profile.pop("transform", None)
        return data

    rewrite(tile(phr, 2, 1), bare)
    assert refused(phr) == f"{tile(phr, 2, 1).name}: no CRS, the metadata says EPSG:32631"

"""COG pixels against the delivered tiles: mosaic placement, band order, geometry kept."""

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rio_cogeo.cogeo import cog_info

from dinamis.settings import REPO_ROOT
from ingest import dimap1, dimap2
from ingest.bands import canonical_bands
from ingest.cog import write_cog
from ingest.model import IngestError, Product
from ingest.mosaic import mosaic_vrt
from ingest.rpc import read_rpc
from ingest.testing import make_dimap1_product, make_dimap2_product

COLLECTIONS = REPO_ROOT / "collections"


def build(product: Product, dst: Path) -> list[str]:
    bands = canonical_bands(product, product.collection, COLLECTIONS)
    rpc = read_rpc(product.rpc_file) if product.rpc_file else None
    write_cog(mosaic_vrt(product, [b.band for b in bands], rpc), dst)
    return [b.band.id for b in bands]


def expected_mosaic(product: Product, band_id: str) -> np.ndarray:
    """The band re-assembled from its tiles, placed by their R/C and sizes."""
    band = next(b for b in product.bands if b.id == band_id)
    out = np.zeros((product.height, product.width), dtype="uint16")
    tiles = sorted(band.source.tiles, key=lambda t: (t.row, t.col))
    y = 0
    for row in sorted({t.row for t in tiles}):
        x, height = 0, 0
        for tile in (t for t in tiles if t.row == row):
            with rasterio.open(tile.path) as src:
                data = src.read(band.source.index)
            out[y : y + data.shape[0], x : x + data.shape[1]] = data
            x, height = x + data.shape[1], data.shape[0]
        y += height
    return out


def test_multi_tile_tif_mosaic_matches_tiles(tmp_path: Path) -> None:
    volume = make_dimap2_product(tmp_path, width=301, height=257, tiles=(3, 2))
    product = dimap2.read_product(next(volume.parent.glob("PROD_*/DIM_*.XML")))
    cog = tmp_path / "out.tif"
    order = build(product, cog)
    assert order == ["B2", "B1", "B0", "B3"]
    with rasterio.open(cog) as src:
        assert src.crs.to_epsg() == 32631
        assert src.descriptions == ("B2", "B1", "B0", "B3")
        assert src.nodata == 0
        first_tile = product.tiles[0].path
        with rasterio.open(first_tile) as tile:
            assert src.transform == tile.transform
        for index, band_id in enumerate(order, start=1):
            np.testing.assert_array_equal(src.read(index), expected_mosaic(product, band_id))
    info = cog_info(cog)
    assert info.COG
    assert info.Compression == "DEFLATE"
    assert info.Profile.Tiled


def test_pneo_bands_reordered_from_metadata(tmp_path: Path) -> None:
    dim = make_dimap2_product(
        tmp_path,
        mission="PNEO",
        tiles=(1, 3),
        volume=False,
        file_band_order=["B", "G", "R", "NIR", "DB", "RE"],
    )
    product = dimap2.read_product(dim)
    cog = tmp_path / "out.tif"
    assert build(product, cog) == ["R", "G", "B", "NIR", "RE", "DB"]
    with rasterio.open(cog) as src:
        # R is the third band of the delivered files, and the first of the COG.
        np.testing.assert_array_equal(src.read(1), expected_mosaic(product, "R"))
        np.testing.assert_array_equal(src.read(6), expected_mosaic(product, "DB"))
        assert not np.array_equal(src.read(1), src.read(3))


def test_ms_fs_sensor_jp2_keeps_rpcs(tmp_path: Path) -> None:
    volume = make_dimap2_product(
        tmp_path,
        mission="PNEO",
        spectral="MS-FS",
        level="SEN",
        tile_format="JP2",
        width=150,
        height=130,
        tiles=(2, 2),
    )
    product = dimap2.read_product(next(volume.parent.glob("PROD_*/DIM_*.XML")))
    assert product.tiles[0].path.suffix == ".JP2"
    cog = tmp_path / "out.tif"
    order = build(product, cog)
    with rasterio.open(cog) as src:
        assert src.crs is None and src.rpcs is not None
        assert src.rpcs.samp_off == pytest.approx(75)  # DIMAP's 76, counted from 1
        for index, band_id in enumerate(order, start=1):
            np.testing.assert_array_equal(src.read(index), expected_mosaic(product, band_id))
        # The RPC puts the first pixel at the footprint's north-west corner (within a pixel:
        # RPC coordinates address pixel centres).
        with rasterio.transform.RPCTransformer(src.rpcs) as transformer:
            lon, lat = transformer.xy(0, 0, offset="ul")
        west, north = min(p[0] for p in product.footprint), max(p[1] for p in product.footprint)
        assert (lon, lat) == pytest.approx((west, north), abs=3e-5)


def test_swh_1a_keeps_gcps_and_canonical_order(tmp_path: Path) -> None:
    product = dimap1.read_product(make_dimap1_product(tmp_path, sensor="I"))
    cog = tmp_path / "out.tif"
    assert build(product, cog) == ["XS2", "XS1", "XS3", "SWIR"]
    with rasterio.open(cog) as src, rasterio.open(product.tiles[0].path) as image:
        gcps, crs = src.gcps
        assert len(gcps) == 4 and crs.to_epsg() == 4326
        np.testing.assert_array_equal(src.read(1), image.read(2))  # XS2 is delivered second
        np.testing.assert_array_equal(src.read(3), image.read(3))


def test_overviews_on_a_larger_pan_product(tmp_path: Path) -> None:
    dim = make_dimap2_product(
        tmp_path, spectral="P", width=1300, height=1100, tiles=(2, 2), volume=False, gsd=0.5
    )
    product = dimap2.read_product(dim)
    cog = tmp_path / "out.tif"
    assert build(product, cog) == ["P"]
    with rasterio.open(cog) as src:
        assert src.count == 1
        assert src.overviews(1)[0] == 2
        np.testing.assert_array_equal(src.read(1), expected_mosaic(product, "P"))


def test_missing_and_unreadable_tiles(tmp_path: Path) -> None:
    volume = make_dimap2_product(tmp_path, tiles=(2, 2), tile_format="JP2")
    dim = next(volume.parent.glob("PROD_*/DIM_*.XML"))
    tiles = sorted(dim.parent.glob("IMG_*.JP2"))
    tiles[-1].write_bytes(b"\x00\x00\x00\x0cjP  garbage")
    product = dimap2.read_product(dim)
    with pytest.raises(IngestError, match=f"{tiles[-1].name}: unreadable image"):
        mosaic_vrt(product, list(product.bands))
    tiles[0].unlink()
    with pytest.raises(IngestError, match=f"missing image file {tiles[0].name}"):
        dimap2.read_product(dim)


def test_twelve_bit_data_keep_their_depth(tmp_path: Path) -> None:
    """The JPEG 2000 tiles hold 12-bit samples (NBITS=12); so does the COG, pixel for pixel."""
    dim = make_dimap2_product(
        tmp_path, width=1100, height=900, tiles=(2, 1), tile_format="JP2", volume=False
    )
    product = dimap2.read_product(dim)
    assert product.nbits == 12 and product.dtype == "uint16"
    bands = canonical_bands(product, product.collection, COLLECTIONS)
    cog = tmp_path / "out.tif"
    write_cog(mosaic_vrt(product, [b.band for b in bands]), cog, nbits=product.nbits)
    with rasterio.open(cog) as src:
        assert src.tags(1, ns="IMAGE_STRUCTURE")["NBITS"] == "12"
        assert src.dtypes[0] == "uint16"
        for index, canonical in enumerate(bands, start=1):
            np.testing.assert_array_equal(
                src.read(index), expected_mosaic(product, canonical.band.id)
            )
        assert src.overviews(1)
    with rasterio.open(cog, OVERVIEW_LEVEL=0) as overview:
        assert overview.tags(1, ns="IMAGE_STRUCTURE")["NBITS"] == "12"
    assert cog_info(cog).COG


def test_whole_byte_data_keep_the_predictor(tmp_path: Path) -> None:
    dim = make_dimap2_product(tmp_path, tiles=(1, 1), nbits=16, volume=False)
    product = dimap2.read_product(dim)
    cog = tmp_path / "out.tif"
    write_cog(mosaic_vrt(product, list(product.bands)), cog, nbits=product.nbits)
    with rasterio.open(cog) as src:
        assert "NBITS" not in src.tags(1, ns="IMAGE_STRUCTURE")
        assert src.tags(ns="IMAGE_STRUCTURE")["PREDICTOR"] == "2"

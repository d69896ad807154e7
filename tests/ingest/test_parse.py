"""Metadata read from real samples and generated products, checked against their XML."""

import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import rasterio

from dinamis.settings import REPO_ROOT
from ingest import dimap1, dimap2
from ingest.bands import canonical_bands
from ingest.detect import Format, find_products
from ingest.model import Geometry, IngestError
from ingest.rpc import read_rpc
from ingest.testing import make_dimap1_product, make_dimap2_product

COLLECTIONS = REPO_ROOT / "collections"
MS_FS = "gdal-autotest/dimap2/vhr2020_ms_fs"


def scratch_in(folder: Path) -> Callable[[], Path]:
    return lambda: Path(tempfile.mkdtemp(dir=folder))


def test_pneo_ms_fs_sample(samples: Path) -> None:
    product = dimap2.read_product(samples / MS_FS / "MS-FS/DIM_MS-FS.XML")
    assert (product.collection, product.platform, product.instrument) == (
        "pleiades-neo",
        "PNEO4",
        "PNEO",
    )
    assert (product.processing_level, product.spectral_processing) == ("ORT", "MS-FS")
    assert product.geometry is Geometry.map
    assert product.cloud_cover == pytest.approx(77.98127298818147)
    assert product.angles.incidence == pytest.approx(11.124561131602404)
    assert product.angles.sun_elevation == pytest.approx(52.3271354095661)
    assert product.datetime == datetime(2017, 4, 12, 11, 6, 2, 94000, tzinfo=UTC)
    assert (product.width, product.height, product.nodata) == (1663, 1366, 0)
    # Two band files: RGB holds R, G, B; NED holds NIR, RE, DB in that order.
    assert [(b.id, b.source.tiles[0].path.name, b.source.index) for b in product.bands] == [
        ("R", "IMG_RGB_R1C1.TIF", 1),
        ("G", "IMG_RGB_R1C1.TIF", 2),
        ("B", "IMG_RGB_R1C1.TIF", 3),
        ("NIR", "IMG_NED_R1C1.TIF", 1),
        ("RE", "IMG_NED_R1C1.TIF", 2),
        ("DB", "IMG_NED_R1C1.TIF", 3),
    ]
    red = product.bands[0]
    # Band_Spectral_Range of R is given in nanometres (619-690).
    assert red.center_wavelength == pytest.approx(0.6545)
    assert red.full_width_half_max == pytest.approx(0.071)
    assert red.solar_illumination == pytest.approx(1553.1)
    assert red.scale == pytest.approx(1e-4)  # reflectance product: Band_Reflectance GAIN 10000
    lons = [p[0] for p in product.footprint]
    assert min(lons) == pytest.approx(4.9191722725666835)
    assert max(lons) == pytest.approx(4.937108342675127)


def test_volume_lists_a_component_that_was_not_delivered(samples: Path, tmp_path: Path) -> None:
    found = find_products(samples / MS_FS, scratch_in(tmp_path))
    assert [(f.path.name, f.missing_from is None) for f in found] == [
        ("DIM_MS-FS.XML", True),
        ("DIM_PAN.XML", False),
    ]


def test_spot4_scene_1a_sample(samples: Path) -> None:
    product = dimap1.read_product(samples / "gdal-autotest/dimap/METADATA.DIM")
    assert (product.collection, product.platform, product.instrument) == (
        "spot-world-heritage",
        "SPOT4",
        "HRVIR",
    )
    assert product.processing_level == "1A"
    assert product.geometry is Geometry.sensor
    assert product.angles.incidence == pytest.approx(19.977978043)
    assert product.absolute_orbit == 298
    assert [b.id for b in product.bands] == ["PAN"]
    # Tie point (1, 1) of a POINT raster with origin 1 is the centre of GDAL's pixel (0, 0).
    first = product.gcps[0]
    assert (first.col, first.row, first.x, first.y) == (0.5, 0.5, 4.3641728203, 44.208225461)


def test_real_pleiades_rpc_is_read_with_gdal_pixel_origin(samples: Path) -> None:
    rpc = read_rpc(samples / "shareloc/rpc/RPC_PHR1B_P_201709281038045_SEN_PRG_FC_178608-001.XML")
    assert rpc.line_off == pytest.approx(11470.5 - 1)
    assert rpc.samp_off == pytest.approx(20000.5 - 1)
    assert rpc.long_off == pytest.approx(7.178141415466419)
    assert len(rpc.samp_num_coeff) == 20


@pytest.mark.parametrize(
    ("relative", "cause"),
    [
        ("gdal-autotest/dimap2/single_component/RPC_foo.XML", "RPC_foo.XML: "),
        (
            "gdal-autotest/dimap2/primary_rpc_center_h/RPC_PNEO3_STD_x_1_1_F_1.XML",
            "is not a number",
        ),
    ],
)
def test_placeholder_rpc_is_a_clear_error(samples: Path, relative: str, cause: str) -> None:
    with pytest.raises(IngestError, match=cause):
        read_rpc(samples / relative)


@pytest.mark.parametrize(
    ("relative", "cause"),
    [
        ("gdal-autotest/dimap2/single_component/DIM_foo.XML", "no footprint corners"),
        (
            "gdal-autotest/dimap2/primary_rpc_center_h/DIM_PNEO3_STD_x_1_1_F_1.XML",
            "no Strip_Source",
        ),
    ],
)
def test_unusable_samples_fail_with_their_cause(samples: Path, relative: str, cause: str) -> None:
    with pytest.raises(IngestError, match=cause):
        dimap2.read_product(samples / relative)


def test_generated_multi_tile_product(tmp_path: Path) -> None:
    volume = make_dimap2_product(tmp_path, width=300, height=250, tiles=(3, 2), cloud_cover=12.0)
    [found] = find_products(tmp_path, scratch_in(tmp_path))
    assert found.format is Format.dimap2
    assert found.path.parent.parent == volume.parent
    product = dimap2.read_product(found.path)
    assert len(product.tiles) == 6
    assert {(t.row, t.col) for t in product.tiles} == {(r, c) for r in (1, 2, 3) for c in (1, 2)}
    # Without a Raster_Index_List, Pléiades files hold the bands in display order.
    assert [b.id for b in product.bands] == ["B2", "B1", "B0", "B3"]
    assert product.cloud_cover == 12.0
    assert product.rpc_file is None and product.preview_file is not None


def test_canonical_order_follows_the_collection_not_the_files(tmp_path: Path) -> None:
    dim = make_dimap2_product(
        tmp_path, mission="PNEO", file_band_order=["B", "G", "R", "NIR", "DB", "RE"], volume=False
    )
    product = dimap2.read_product(dim)
    assert [(b.id, b.source.index) for b in product.bands][:3] == [("B", 1), ("G", 2), ("R", 3)]
    ordered = canonical_bands(product, product.collection, COLLECTIONS)
    assert [c.band.id for c in ordered] == ["R", "G", "B", "NIR", "RE", "DB"]
    assert [c.definition["eo:common_name"] for c in ordered][:4] == ["red", "green", "blue", "nir"]


def test_generated_swh_scene(tmp_path: Path) -> None:
    metadata = make_dimap1_product(tmp_path, sensor="I", incidence=-8.5)
    product = dimap1.read_product(metadata)
    assert [b.id for b in product.bands] == ["XS1", "XS2", "XS3", "SWIR"]
    assert len(product.gcps) == 4
    assert product.angles.incidence == 8.5
    ordered = canonical_bands(product, product.collection, COLLECTIONS)
    assert [c.definition["eo:common_name"] for c in ordered] == ["red", "green", "nir", "swir16"]


@pytest.mark.parametrize(
    ("mission", "index", "collection", "platform"),
    [
        ("PHR", None, "pleiades", "PHR1A"),
        ("PHR", "1B", "pleiades", "PHR1B"),
        ("PNEO", "4", "pleiades-neo", "PNEO4"),
        ("SPOT", None, "spot-6-7", "SPOT6"),
        ("SPOT", "7", "spot-6-7", "SPOT7"),
    ],
)
def test_generated_products_of_each_satellite(
    tmp_path: Path, mission: str, index: str | None, collection: str, platform: str
) -> None:
    dim = make_dimap2_product(tmp_path, mission=mission, mission_index=index, volume=False)
    product = dimap2.read_product(dim)
    assert (product.collection, product.platform) == (collection, platform)


@pytest.mark.parametrize(
    ("center", "epsg"),
    [
        ((3.9, 43.55), 32631),  # Montpellier
        ((-52.33, 4.93), 32622),  # Cayenne
        ((55.45, -20.88), 32740),  # Saint-Denis de La Réunion: south, zone 40
        ((-17.44, 14.7), 32628),  # Dakar
    ],
)
def test_generated_ortho_products_are_in_the_utm_zone_of_their_centre(
    tmp_path: Path, center: tuple[float, float], epsg: int
) -> None:
    dim = make_dimap2_product(tmp_path / "v2", center=center, tiles=(1, 1), volume=False)
    scene = make_dimap1_product(tmp_path / "v1", center=center, level="ORT")
    for image in (next(dim.parent.glob("IMG_*.TIF")), scene.parent / "IMAGERY.TIF"):
        with rasterio.open(image) as src:
            assert src.crs.to_epsg() == epsg
    assert f"EPSG:{epsg}" in scene.read_text()
    assert f"urn:ogc:def:crs:EPSG::{epsg}</PROJECTED_CRS_CODE>" in dim.read_text()
    for product in (dimap2.read_product(dim), dimap1.read_product(scene)):
        lons, lats = zip(*product.footprint, strict=True)
        assert min(lons) < center[0] < max(lons) and min(lats) < center[1] < max(lats)


def test_generated_products_take_given_pixels(tmp_path: Path) -> None:
    image = np.arange(4 * 30 * 40, dtype="uint16").reshape(4, 30, 40)
    dim = make_dimap2_product(
        tmp_path, width=40, height=30, tiles=(1, 1), volume=False, image=image
    )
    with rasterio.open(next(dim.parent.glob("IMG_*.TIF"))) as src:
        np.testing.assert_array_equal(src.read(), image)
    with pytest.raises(ValueError, match=r"expected \(4, 30, 40\)"):
        make_dimap2_product(tmp_path / "bad", width=40, height=30, image=image[:3])


def test_corrupt_xml_names_the_file(tmp_path: Path) -> None:
    dim = make_dimap2_product(tmp_path, volume=False)
    dim.write_text(dim.read_text()[:500])
    with pytest.raises(IngestError, match=f"{dim.name}: not well-formed XML"):
        dimap2.read_product(dim)


def test_nonsense_footprint(tmp_path: Path) -> None:
    dim = make_dimap2_product(tmp_path, volume=False)
    text = dim.read_text().replace("<LAT>43.", "<LAT>143.", 1)
    dim.write_text(text)
    with pytest.raises(IngestError, match="is not lon/lat"):
        dimap2.read_product(dim)


def test_unknown_format(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("not a product")
    with pytest.raises(IngestError, match="no DIMAP product found"):
        find_products(tmp_path, scratch_in(tmp_path))
    with pytest.raises(IngestError, match="unknown format"):
        find_products(tmp_path / "readme.txt", scratch_in(tmp_path))


def test_folder_with_archived_and_plain_deliveries(tmp_path: Path) -> None:
    deliveries = tmp_path / "deliveries"
    make_dimap2_product(deliveries / "plain")
    make_dimap1_product(tmp_path / "swh")
    shutil.make_archive(str(deliveries / "swh"), "gztar", tmp_path / "swh")
    found = find_products(deliveries, scratch_in(tmp_path))
    assert sorted(f.format for f in found) == [Format.dimap1, Format.dimap2]
    assert next(f for f in found if f.format is Format.dimap1).path.name == "METADATA.DIM"

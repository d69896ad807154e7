"""Demo products: every collection and geometry, deliveries the ingest reads like any other,
digital numbers in each sensor's bit depth."""

import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
import rasterio

from demo.generator import write_product
from demo.places import PLACES, PRODUCTS, DemoProduct
from ingest import dimap1, dimap2
from ingest.detect import Format, find_products
from ingest.model import Geometry, Product

COLLECTION = {
    "PHR": "pleiades",
    "PNEO": "pleiades-neo",
    "SPOT": "spot-6-7",
    "SWH": "spot-world-heritage",
}


def scratch_in(folder: Path) -> Callable[[], Path]:
    return lambda: Path(tempfile.mkdtemp(dir=folder))


def read(path: Path, scratch: Path) -> Product:
    [found] = find_products(path, scratch_in(scratch))
    return (dimap1 if found.format is Format.dimap1 else dimap2).read_product(found.path)


def test_the_demo_covers_every_satellite_geometry_and_place() -> None:
    satellites = {(p.mission, p.index) for p in PRODUCTS}
    assert satellites == {
        ("PHR", "1A"),
        ("PHR", "1B"),
        ("PNEO", "3"),
        ("PNEO", "4"),
        ("SPOT", "6"),
        ("SPOT", "7"),
        *(("SWH", str(i)) for i in range(1, 6)),
    }
    assert {(p.mission, p.level) for p in PRODUCTS} >= {
        ("PHR", "SEN"),
        ("PHR", "ORT"),
        ("PNEO", "SEN"),
        ("PNEO", "ORT"),
        ("SPOT", "SEN"),
        ("SPOT", "ORT"),
        ("SWH", "1A"),
        ("SWH", "ORT"),
    }
    assert {p.place for p in PRODUCTS} == set(PLACES)
    assert len({p.cloud_cover for p in PRODUCTS}) >= 8


@pytest.mark.parametrize("product", PRODUCTS, ids=lambda p: f"{p.mission}{p.index}-{p.level}")
def test_each_demo_product_is_a_delivery_of_its_collection(
    product: DemoProduct, tmp_path: Path
) -> None:
    delivered = write_product(product, tmp_path, 96, 0)
    read_back = read(delivered, tmp_path)
    assert read_back.collection == COLLECTION[product.mission]
    assert read_back.platform == f"{'SPOT' if product.mission == 'SWH' else product.mission}" + (
        product.index
    )
    assert read_back.processing_level == product.level
    sensor = product.level in ("SEN", "1A")
    assert read_back.geometry is (Geometry.sensor if sensor else Geometry.map)
    assert read_back.datetime == product.acquired
    lons, lats = zip(*read_back.footprint, strict=True)
    lon, lat = PLACES[product.place].center
    assert min(lons) < lon < max(lons) and min(lats) < lat < max(lats)
    bits = 8 if product.mission == "SWH" else 12
    assert read_back.nbits == bits
    for tile in {t.path for b in read_back.bands for t in b.source.tiles}:
        with rasterio.open(tile) as src:
            data = src.read()
        assert data.min() >= 1  # 0 is no-data
        assert data.max() < 2**bits
        if bits == 12:
            assert data.max() > 255  # uses the 12 bits, not an 8-bit picture in 16-bit files
        assert data.std() > 5


def test_same_seed_same_delivery(tmp_path: Path) -> None:
    product = PRODUCTS[0]
    first = write_product(product, tmp_path / "a", 64, 0)
    again = write_product(product, tmp_path / "b", 64, 0)
    other = write_product(product, tmp_path / "c", 64, 7)

    def pixels(delivery: Path) -> bytes:
        image = next(delivery.parent.rglob("IMG_*R1C1.TIF"))
        with rasterio.open(image) as src:
            return src.read().tobytes()

    assert pixels(first) == pixels(again) != pixels(other)

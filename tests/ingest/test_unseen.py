"""Deliveries shaped otherwise than the generators write them, hostile ones included: each is
read as the plain product, or refused by an IngestError naming the file and the problem."""

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import rasterio.shutil

from ingest import dimap2
from ingest.images import read_images
from ingest.limits import ingest_limits
from ingest.model import IngestError, Product
from ingest.testing import make_dimap2_product

Edit = Callable[[Path], None]


def sub(pattern: str, replacement: str) -> Edit:
    """Rewrite a DIM file's text; fails when ``pattern`` is not in it, so no case is void."""

    def edit(dim: Path) -> None:
        text, count = re.subn(pattern, replacement, dim.read_text(), flags=re.S)
        assert count, pattern
        dim.write_text(text)

    return edit


def bom(dim: Path) -> None:
    dim.write_bytes(b"\xef\xbb\xbf" + dim.read_bytes())


def prefixed(dim: Path) -> None:
    text = re.sub(r"<(/?)([A-Za-z_]+[ />])", r"<\1d:\2", dim.read_text())
    dim.write_text(text.replace("<d:Dimap_Document ", '<d:Dimap_Document xmlns:d="urn:x" ', 1))


def lower_case_files(dim: Path) -> None:
    for tile in dim.parent.glob("IMG_*.TIF"):
        tile.rename(tile.with_suffix(".tif"))


def image_outside(dim: Path) -> None:
    """The first tile a VRT (named .TIF) reading a copy of it out of the product folder."""
    tile = next(dim.parent.glob("IMG_*R1C1.TIF"))
    outside = dim.parent.parent / "elsewhere.tif"
    shutil.move(tile, outside)
    rasterio.shutil.copy(outside, tile.with_suffix(".vrt"), driver="VRT")
    tile.with_suffix(".vrt").rename(tile)


def looped_preview(dim: Path) -> None:
    preview = next(dim.parent.glob("PREVIEW_*.JPG"))
    preview.unlink()
    preview.symlink_to(preview.with_suffix(".jpg"))
    preview.with_suffix(".jpg").symlink_to(preview)


def symlinked_preview(dim: Path) -> None:
    preview = next(dim.parent.glob("PREVIEW_*.JPG"))
    preview.unlink()
    preview.symlink_to("/etc/passwd")


def with_entities(declarations: str, use: str) -> Edit:
    """Entities declared in the DIM's document type and one of them used in its text."""

    def edit(dim: Path) -> None:
        sub(r"<\?xml[^>]*>", rf"\g<0><!DOCTYPE Dimap_Document [{declarations}]>")(dim)
        sub("Synthetic test product", use)(dim)

    return edit


LAUGHS = '<!ENTITY l0 "ha">' + "".join(
    f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
)


def tile_twice(dim: Path) -> None:
    """The R2C2 file listed once more, at R1C1: in sensor geometry no origin tells them apart."""
    last = next(dim.parent.glob("IMG_*R2C2.TIF")).name
    extra = f'<Data_File tile_R="1" tile_C="1"><DATA_FILE_PATH href="{last}"/></Data_File>'
    sub("<Data_File ", f"{extra}<Data_File ")(dim)


def read(tmp_path: Path, edit: Edit | None = None, level: str = "ORT") -> Product:
    dim = make_dimap2_product(tmp_path, volume=False, level=level)
    if edit is not None:
        edit(dim)
    product = dimap2.read_product(dim)
    read_images(product)
    return product


def essentials(product: Product) -> tuple:
    return (
        product.platform,
        product.processing_level,
        product.datetime,
        product.cloud_cover,
        product.angles,
        product.footprint,
        [(b.id, b.source.index, len(b.source.tiles)) for b in product.bands],
        product.preview_file is not None,
    )


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(bom, id="byte-order-mark"),
        pytest.param(sub("<Dimap_Document ", '<Dimap_Document xmlns="urn:x" '), id="namespace"),
        pytest.param(prefixed, id="prefixed-tags"),
        pytest.param(sub(r"(<CLOUD_COVERAGE[^>]*>\d+)\.", r"\1,"), id="decimal-comma"),
        pytest.param(sub(r"(<SUN_AZIMUTH[^>]*>[^<]+)<", r"\1 deg<"), id="value-with-unit"),
        pytest.param(sub(r"(<CLOUD_COVERAGE[^>]*>[^<]+)<", r"\1 %<"), id="percent-sign"),
        pytest.param(sub(r"<PROCESSING_LEVEL>.*?</PROCESSING_LEVEL>", ""), id="no-level"),
        pytest.param(sub(r'\.TIF"', '.tif"'), id="href-in-other-case"),
        pytest.param(lower_case_files, id="files-in-other-case"),
    ],
)
def test_variants_read_as_the_plain_product(tmp_path: Path, edit: Edit) -> None:
    assert essentials(read(tmp_path / "edited", edit)) == essentials(read(tmp_path / "plain"))


@pytest.mark.parametrize(
    ("edit", "cause"),
    [
        (sub(r'DATASET_QL_PATH href="[^"]*"', 'DATASET_QL_PATH href="/etc/passwd"'), "outside"),
        (
            sub(r'DATASET_QL_PATH href="[^"]*"', 'DATASET_QL_PATH href="../../../etc/passwd"'),
            "outside",
        ),
        (symlinked_preview, "outside the product folder"),
        (looped_preview, r"DIM_\S+: href 'PREVIEW_\S+' is a loop of links"),
        (
            sub(r'DATA_FILE_PATH href="[^"]*R1C1[^"]*"', 'DATA_FILE_PATH href="/etc/passwd"'),
            "outside",
        ),
        (image_outside, r"IMG_\S+_R1C1.TIF: reads \S+elsewhere.tif, outside the product folder"),
        (sub(r"<NCOLS>\d+", "<NCOLS>nan"), r"DIM_\S+: NCOLS is not a number \('nan'\)"),
        (sub(r"<NROWS>\d+", "<NROWS>1e999"), r"DIM_\S+: NROWS is not a number"),
        (sub(r'tile_R="1"', 'tile_R="x"'), r"DIM_\S+: IMG_\S+ has tile_R 'x'"),
        (sub(r"<CLOUD_COVERAGE[^>]*>", r"\g<0>5,0,0"), "CLOUD_COVERAGE is not a number"),
        (tile_twice, r"DIM_\S+: tile R1C1 is listed more than once"),
        (
            sub(r'DATA_FILE_PATH href="[^"]*R1C1[^"]*"', f'DATA_FILE_PATH href="{"a" * 5000}"'),
            r"DIM_\S+: href 'a{80}\.\.\.': File name too long",
        ),
        (
            with_entities('<!ENTITY x SYSTEM "file:///etc/passwd">', "&x;"),
            r"DIM_\S+: declares XML entities, which no DIMAP file does",
        ),
        (with_entities(LAUGHS, "&l9;"), r"DIM_\S+: declares XML entities"),
        (sub(r"<TIME>[^<]*", "<TIME>0001-01-01T00:00:00+14:00"), "is not a date-time"),
        (sub(r"<TIME>[^<]*", "<TIME>9999-12-31T00:00:00Z"), "is before 1986 or in the future"),
        (sub(r"<SPECIAL_VALUE_COUNT>0", "<SPECIAL_VALUE_COUNT>-5"), "NODATA -5 is not a uint16"),
        (sub(r"<SPECIAL_VALUE_COUNT>0", "<SPECIAL_VALUE_COUNT>1e300"), "NODATA 1e\\+300 is not"),
        (
            sub(r"<NROWS>\d+</NROWS><NCOLS>\d+", "<NROWS>1000000</NROWS><NCOLS>1000000"),
            r"DIM_\S+: 1000000x1000000 px, more than \d+ \(DINAMIS_INGEST_MAX_PRODUCT_PIXELS\)",
        ),
    ],
    ids=[
        "absolute-preview",
        "preview-up",
        "symlink-out",
        "symlink-loop",
        "absolute-image",
        "vrt-reading-out",
        "nan",
        "infinite",
        "tile-position",
        "two-commas",
        "tile-twice",
        "href-too-long",
        "external-entity",
        "billion-laughs",
        "year-one-east-of-utc",
        "year-9999",
        "negative-nodata",
        "nodata-beyond-the-type",
        "terapixel",
    ],
)
def test_bad_metadata_is_refused_naming_the_problem(tmp_path: Path, edit: Edit, cause: str) -> None:
    with pytest.raises(IngestError, match=cause):
        read(tmp_path, edit, level="SEN")


@pytest.mark.parametrize(
    ("limit", "cause"),
    [
        ("METADATA_BYTES", r"DIM_\S+: \d+ bytes of XML, more than 1000 \(DINAMIS_INGEST_MAX_M"),
        ("METADATA_TAGS", r"DIM_\S+: \d+ XML tags, more than 1000 \(DINAMIS_INGEST_MAX_METADATA"),
    ],
)
def test_metadata_beyond_the_limits_is_refused_before_it_is_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: str, cause: str
) -> None:
    # A thousand nested elements take a few kilobytes on disk and more in memory.
    nested = sub('<Dimap_Document version="1.2">', "\\g<0>" + "<x>" * 1000 + "</x>" * 1000)
    monkeypatch.setenv(f"DINAMIS_INGEST_MAX_{limit}", "1000")
    ingest_limits.cache_clear()
    try:
        with pytest.raises(IngestError, match=cause):
            read(tmp_path, nested)
    finally:
        ingest_limits.cache_clear()

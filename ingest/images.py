"""The delivered image files checked against their metadata before anything is written.

A tile in another UTM zone, shifted, short of a band or of another sample type would otherwise
be published where and as its metadata does not say. Each check names the file, what the
metadata says and what the file holds.
"""

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.errors import CRSError, RasterioIOError

from ingest.limits import ingest_limits
from ingest.model import Geometry, Grid, IngestError, Product, Tile

# Producers write ULXMAP/ULYMAP at the upper-left pixel's corner or at its centre: half a
# pixel apart, which the tolerance of half a pixel admits.
TOLERANCE_PX = 0.5 + 1e-6


@dataclass(frozen=True)
class Image:
    width: int
    height: int
    count: int
    dtype: str
    crs: CRS | None
    transform: Affine
    nbits: int | None
    """The sample depth the file declares (JPEG 2000 and packed TIFFs), if it declares one."""


@dataclass(frozen=True)
class Images:
    """Every image file of a product as opened, and each tile's pixel offset in the mosaic."""

    files: dict[Path, Image]
    offsets: dict[Path, tuple[int, int]]


def _open(tile: Tile) -> Image:
    try:
        with rasterio.open(tile.path) as src:
            # A VRT (or a TIFF that is one) may read any file of the machine as its pixels.
            folder = tile.path.parent.resolve()
            if outside := [f for f in src.files if not Path(f).resolve().is_relative_to(folder)]:
                raise IngestError(
                    f"{tile.path.name}: reads {outside[0]}, outside the product folder"
                )
            nbits = src.tags(1, ns="IMAGE_STRUCTURE").get("NBITS")
            return Image(
                src.width,
                src.height,
                src.count,
                src.dtypes[0],
                src.crs,
                src.transform,
                int(nbits) if nbits and nbits.isdigit() else None,
            )
    except RasterioIOError as error:
        cause = " ".join(str(error).split()).removeprefix(f"{tile.path}: ")
        raise IngestError(f"{tile.path.name}: unreadable image ({cause})") from None


def _regular(sizes: list[int], total: int) -> int:
    """The tile size of a regular tiling from the sizes of the tiles before the last row or
    column (the last one holds the remainder): what most of them hold, the first on a tie."""
    return Counter(sizes).most_common(1)[0][0] if sizes else total


def _sizes(
    tiles: tuple[Tile, ...], files: dict[Path, Image], product: Product
) -> tuple[dict[int, int], dict[int, int]]:
    """Width of each tile column and height of each tile row as the metadata makes them.

    Airbus tiles regularly: every tile but those of the last row and column has the tile size
    the metadata states (NTILES_SIZE); without it, the size most of those tiles hold.
    """
    ordered = sorted(tiles, key=lambda t: (t.row, t.col))
    cols = sorted({t.col for t in tiles})
    rows = sorted({t.row for t in tiles})
    if product.tile_size is not None:
        tile_width, tile_height = product.tile_size
    else:
        tile_width = _regular(
            [files[t.path].width for t in ordered if t.col != cols[-1]], product.width
        )
        tile_height = _regular(
            [files[t.path].height for t in ordered if t.row != rows[-1]], product.height
        )
    widths = {c: min(tile_width, product.width - i * tile_width) for i, c in enumerate(cols)}
    heights = {r: min(tile_height, product.height - i * tile_height) for i, r in enumerate(rows)}
    return widths, heights


def _layout(
    tiles: tuple[Tile, ...], files: dict[Path, Image], product: Product
) -> dict[Path, tuple[int, int]]:
    """Pixel offset of each tile; IngestError naming the tile whose size its position denies."""
    name = product.metadata_file.name
    grid = {(t.row, t.col): t for t in tiles}
    if len(grid) < len(tiles):
        (r, c), _ = Counter((t.row, t.col) for t in tiles).most_common(1)[0]
        raise IngestError(f"{name}: tile R{r}C{c} is listed more than once")
    rows = sorted({t.row for t in tiles})
    cols = sorted({t.col for t in tiles})
    for r in rows:
        for c in cols:
            if (r, c) not in grid:
                raise IngestError(f"{name}: tile R{r}C{c} is missing")
    widths, heights = _sizes(tiles, files, product)
    if min(*widths.values(), *heights.values()) <= 0:
        raise IngestError(
            f"{name}: {len(cols)}x{len(rows)} tiles of {product.tile_size} px overflow the "
            f"{product.width}x{product.height} px image"
        )
    for t in sorted(tiles, key=lambda t: (t.row, t.col)):
        held = (files[t.path].width, files[t.path].height)
        said = (widths[t.col], heights[t.row])
        if held != said:
            raise IngestError(
                f"{t.path.name}: tile R{t.row}C{t.col} should be {said[0]}x{said[1]} px by "
                f"the metadata, the file is {held[0]}x{held[1]} px"
            )
    x_offsets, y_offsets, x, y = {}, {}, 0, 0
    for c in cols:
        x_offsets[c], x = x, x + widths[c]
    for r in rows:
        y_offsets[r], y = y, y + heights[r]
    if (x, y) != (product.width, product.height):
        raise IngestError(
            f"{name}: tiles make {x}x{y} px, the metadata says {product.width}x{product.height}"
        )
    return {t.path: (x_offsets[t.col], y_offsets[t.row]) for t in tiles}


def _crs(code: str, source: str) -> CRS:
    try:
        return CRS.from_user_input(code)
    except CRSError:
        raise IngestError(f"{source}: unknown CRS {code!r}") from None


def _same_crs(a: CRS, b: CRS) -> bool:
    # Tiles' CRSs come from GeoTIFF keys or GML in JPEG 2000: matched to an EPSG code
    # loosely, as the same CRS is worded differently by each.
    epsg_a, epsg_b = a.to_epsg(confidence_threshold=70), b.to_epsg(confidence_threshold=70)
    return epsg_a == epsg_b if epsg_a and epsg_b else a == b


def _crs_name(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_string()


def _check_georeferencing(
    product: Product, tiles: tuple[Tile, ...], files: dict[Path, Image], offsets: dict
) -> None:
    """Every tile on the metadata's grid: same CRS, pixel size and origin (within half a pixel).

    Without a grid in the metadata, the tiles are checked against the first one, so that a
    tile of another zone or shifted is refused all the same. Tiles that carry no
    georeferencing at all take the metadata's grid, as GDAL's DIMAP driver does.
    """
    first = min(tiles, key=lambda t: (t.row, t.col))
    reference = files[first.path]
    grid: Grid | None = product.grid
    if grid is not None and all(files[t.path].crs is None for t in tiles):
        _crs(grid.crs, product.metadata_file.name)  # a CRS the COG can be written in
        return
    if grid is not None:
        crs = _crs(grid.crs, product.metadata_file.name)
        origin, size = (grid.x, grid.y), (grid.x_size, grid.y_size)
        said = "the metadata says"
    elif reference.crs is not None:
        crs = reference.crs
        t = reference.transform
        origin, size = (t.c, t.f), (t.a, -t.e)
        said = f"{first.path.name} says"
    else:
        raise IngestError(f"{first.path.name}: map-geometry product whose image has no CRS")
    for tile in tiles:
        image = files[tile.path]
        if image.crs is None:
            raise IngestError(f"{tile.path.name}: no CRS, {said} {_crs_name(crs)}")
        if not _same_crs(image.crs, crs):
            raise IngestError(
                f"{tile.path.name}: CRS {_crs_name(image.crs)}, {said} {_crs_name(crs)}"
            )
        t = image.transform
        if t.b or t.d or t.a <= 0 or t.e >= 0:
            raise IngestError(f"{tile.path.name}: rotated or flipped grid ({tuple(t)[:6]})")
        for held, expected, pixels, axis in (
            (t.a, size[0], product.width, "x"),
            (-t.e, size[1], product.height, "y"),
        ):
            # A pixel size is wrong once it misplaces the scene's far edge by half a pixel.
            if abs(held - expected) * pixels > expected * TOLERANCE_PX:
                raise IngestError(
                    f"{tile.path.name}: pixel size {held!r} in {axis}, {said} {expected!r}"
                )
        x_off, y_off = offsets[tile.path]
        expected_x = origin[0] + x_off * size[0]
        expected_y = origin[1] - y_off * size[1]
        dx, dy = (t.c - expected_x) / size[0], (expected_y - t.f) / size[1]
        if abs(dx) > TOLERANCE_PX or abs(dy) > TOLERANCE_PX:
            raise IngestError(
                f"{tile.path.name}: upper-left corner at ({t.c!r}, {t.f!r}), {said} "
                f"({expected_x!r}, {expected_y!r}): {dx:+.1f} px in x, {dy:+.1f} px in y"
            )


def _holds(dtype: str, value: float) -> bool:
    if not np.issubdtype(dtype, np.integer):
        return True
    bounds = np.iinfo(dtype)
    return value.is_integer() and bounds.min <= value <= bounds.max


def read_images(product: Product) -> Images:
    """Open every image file of ``product`` and check it against the metadata."""
    name = product.metadata_file.name
    # A JPEG 2000 header may declare any size in a few bytes: the COG would take days and
    # the disk, however the tiles agree with the metadata.
    if product.width * product.height > (most := ingest_limits().max_product_pixels):
        raise IngestError(
            f"{name}: {product.width}x{product.height} px, more than {most} "
            "(DINAMIS_INGEST_MAX_PRODUCT_PIXELS)"
        )
    if product.nodata is not None and not _holds(product.dtype, product.nodata):
        # GDAL would clamp it to another value, and mask the pixels that have that one.
        raise IngestError(f"{name}: NODATA {product.nodata:g} is not a {product.dtype} value")
    files = {tile.path: _open(tile) for tile in product.tiles}
    file_sets: dict[tuple[Tile, ...], int] = Counter(b.source.tiles for b in product.bands)
    if product.declared_bands not in (None, len(product.bands)):
        raise IngestError(
            f"{name}: NBANDS is {product.declared_bands}, the metadata lists "
            f"{len(product.bands)} bands ({', '.join(b.id for b in product.bands)})"
        )
    offsets: dict[Path, tuple[int, int]] = {}
    for tiles, band_count in file_sets.items():
        for tile in tiles:
            image = files[tile.path]
            if image.count != band_count:
                raise IngestError(
                    f"{tile.path.name}: {image.count} bands, the metadata says {band_count}"
                )
            if image.dtype != product.dtype:
                raise IngestError(
                    f"{tile.path.name}: {image.dtype} samples, the metadata says "
                    f"{product.dtype} ({product.nbits}-bit)"
                )
            # The COG stores NBITS-deep samples: a file declaring deeper ones would be clipped.
            if image.nbits is not None and image.nbits > product.nbits:
                raise IngestError(
                    f"{tile.path.name}: {image.nbits}-bit samples, the metadata says "
                    f"{product.nbits}-bit"
                )
        set_offsets = _layout(tiles, files, product)
        if product.geometry is Geometry.map:
            _check_georeferencing(product, tiles, files, set_offsets)
        offsets.update(set_offsets)
    return Images(files, offsets)

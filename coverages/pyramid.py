"""Building a coverage's pyramid: one COG in Web Mercator, its base on the tiles of the zoom
level closest to ``resolution_m``, with internal overviews down to one tile.

The base is built by blocks (``block_size`` pixels, a few tiles a side), in parallel: each block
warps, from the items over it, the overview level just finer than the base (so 500 SPOT scenes
read a few megabytes each, not gigabytes), newest item first, filling only pixels no newer item
filled (titiler's first-found mosaic, drawn in pgSTAC's order). rio-cogeo then writes the COG
and its overviews; it replaces the previous pyramid under a new name, so a tile being read
from the old file finishes on it.
"""

import logging
import math
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import morecantile
import numpy as np
import rasterio
from affine import Affine
from rasterio import windows
from rasterio.enums import Resampling
from rasterio.errors import RasterioIOError
from rasterio.warp import reproject, transform_bounds
from rio_cogeo.cogeo import cog_translate
from rio_cogeo.profiles import cog_profiles

from coverages.models import Pyramid
from coverages.store import CoverageError
from tiler.errors import ForbiddenAssetError
from tiler.storage import StorageGuard

log = logging.getLogger(__name__)

TMS = morecantile.tms.get("WebMercatorQuad")
WEB_MERCATOR = "EPSG:3857"
MAX_LATITUDE = 85.0511
# The base is warped with "average" (it is always coarser than the overview read); the
# overviews are averaged too, as titiler's own overviews of ingested COGs are.
RESAMPLING = Resampling.average
NODATA = 0

Progress = Callable[[str, int, int], None]
"""Called with a stage ("blocks", "overviews"), the work done and the work in all."""


@dataclass(frozen=True)
class Source:
    """One item's image, and its footprint's bounds in Web Mercator."""

    item_id: str
    path: str
    bounds: tuple[float, float, float, float]
    latitude: float


@dataclass(frozen=True)
class Grid:
    """The base of a pyramid: whole tiles of ``zoom``, from tile (``col``, ``row``)."""

    zoom: int
    col: int
    row: int
    width: int
    height: int

    @property
    def transform(self) -> Affine:
        matrix = TMS.matrix(self.zoom)
        res = matrix.cellSize
        x0, y0 = matrix.pointOfOrigin
        return Affine(
            res,
            0,
            x0 + self.col * matrix.tileWidth * res,
            0,
            -res,
            y0 - self.row * matrix.tileHeight * res,
        )

    @classmethod
    def around(cls, bounds: tuple[float, float, float, float], resolution_m: float) -> "Grid":
        """The tiles covering ``bounds`` (degrees) at the zoom whose pixels, at the bounds'
        centre, come closest to ``resolution_m`` on the ground."""
        west, south, east, north = bounds
        south, north = max(south, -MAX_LATITUDE), min(north, MAX_LATITUDE)
        shrink = math.cos(math.radians((south + north) / 2))

        def distance(zoom: int) -> float:
            return abs(math.log(TMS.matrix(zoom).cellSize * shrink / resolution_m))

        zoom = min(range(TMS.minzoom, TMS.maxzoom + 1), key=distance)
        first, last = TMS.tile(west, north, zoom), TMS.tile(east, south, zoom)
        size = TMS.matrix(zoom).tileWidth
        return cls(
            zoom, first.x, first.y, (last.x - first.x + 1) * size, (last.y - first.y + 1) * size
        )

    def blocks(self, side: int) -> Iterator[windows.Window]:
        for row in range(0, self.height, side):
            for col in range(0, self.width, side):
                yield windows.Window(
                    col, row, min(side, self.width - col), min(side, self.height - row)
                )


def sources(
    features: list[dict[str, Any]], asset: str, guard: StorageGuard
) -> tuple[list[Source], list[str]]:
    """The images of ``features`` the tiler would serve; and why the others are left out."""
    found, skipped = [], []
    for feature in features:
        item_id = f"{feature.get('collection')}/{feature.get('id')}"
        href = (feature.get("assets", {}).get(asset) or {}).get("href")
        bbox = feature.get("bbox")
        if not href or not bbox:
            skipped.append(f"{item_id}: no '{asset}' asset or no bbox")
            continue
        try:
            path = guard.check(href, feature.get("collection", ""))
        except ForbiddenAssetError as error:
            skipped.append(f"{item_id}: {error}")
            continue
        west, south, east, north = (
            (bbox[0], bbox[1], bbox[-3], bbox[-2]) if len(bbox) == 6 else bbox
        )
        south, north = max(south, -MAX_LATITUDE), min(north, MAX_LATITUDE)
        mercator = transform_bounds("EPSG:4326", WEB_MERCATOR, west, south, east, north)
        found.append(Source(item_id, path, mercator, (south + north) / 2))
    return found, skipped


def extent(items: list[Source]) -> tuple[float, float, float, float]:
    """West, south, east, north of the items' footprints, in degrees."""
    return transform_bounds(
        WEB_MERCATOR,
        "EPSG:4326",
        min(s.bounds[0] for s in items),
        min(s.bounds[1] for s in items),
        max(s.bounds[2] for s in items),
        max(s.bounds[3] for s in items),
    )


def _overview_level(src: rasterio.DatasetReader, target_m: float) -> int | None:
    """The coarsest overview still at least as fine as ``target_m`` (None: full resolution)."""
    native = abs(src.transform.a) * (111_320 if src.crs.is_geographic else 1)
    level = None
    for index, factor in enumerate(src.overviews(1)):
        if native * factor <= target_m:
            level = index
    return level


def _intersection(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float]
) -> tuple[float, float, float, float] | None:
    west, south, east, north = max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])
    return (west, south, east, north) if west < east and south < north else None


def _covering(part: windows.Window, block: windows.Window) -> windows.Window:
    """Whole pixels of the block covering ``part`` (fractional pixels, block-relative)."""
    col, row = max(0, math.floor(part.col_off)), max(0, math.floor(part.row_off))
    end_col = min(block.width, math.ceil(part.col_off + part.width))
    end_row = min(block.height, math.ceil(part.row_off + part.height))
    return windows.Window(col, row, end_col - col, end_row - row)


@dataclass(frozen=True)
class _Layout:
    count: int
    dtype: str


class Builder:
    """Draws the blocks of ``grid`` from ``items``, newest first; one block per call, from any
    thread."""

    def __init__(self, grid: Grid, layout: _Layout, items: list[Source]) -> None:
        self.grid = grid
        self.layout = layout
        self.items = items
        # Item path -> overview level read (the same for every block: one zoom).
        self._levels: dict[str, int | None] = {}

    def block(self, window: windows.Window) -> np.ndarray | None:
        """The block's pixels, or None when no item lies over it."""
        transform = windows.transform(window, self.grid.transform)
        bounds = windows.bounds(window, self.grid.transform)
        out = np.full((self.layout.count, window.height, window.width), NODATA, self.layout.dtype)
        filled = np.zeros((window.height, window.width), bool)
        drawn = False
        for source in self.items:
            common = _intersection(source.bounds, bounds)
            if common is None:
                continue
            part = _covering(windows.from_bounds(*common, transform=transform), window)
            rows, cols = part.toslices()
            if filled[rows, cols].all():
                continue
            pixels = self._warp(source, windows.transform(part, transform), part)
            if pixels is None:
                continue
            valid = pixels.any(axis=0) & ~filled[rows, cols]
            target = out[:, rows, cols]
            target[:, valid] = pixels[:, valid]
            out[:, rows, cols] = target
            filled[rows, cols] |= valid
            drawn = True
            if filled.all():
                break
        return out if drawn else None

    def _warp(self, source: Source, transform: Affine, part: windows.Window) -> np.ndarray | None:
        """The item's pixels over ``part``; None (and a warning) when it cannot be read: one
        missing file does not stop a national coverage, as it does not blank a mosaic tile."""
        try:
            options = self._level(source, transform)
            with rasterio.open(source.path, driver="GTiff", **options) as src:
                if src.crs is None:
                    log.warning("coverage item %s left out: no map projection", source.item_id)
                    return None
                if src.count != self.layout.count:
                    raise CoverageError(
                        f"item {source.item_id} has {src.count} bands, the coverage's others "
                        f"{self.layout.count}: a coverage is one product type"
                    )
                pixels = np.full(
                    (self.layout.count, part.height, part.width), NODATA, self.layout.dtype
                )
                reproject(
                    rasterio.band(src, list(range(1, src.count + 1))),
                    pixels,
                    src_nodata=src.nodata,
                    dst_transform=transform,
                    dst_crs=WEB_MERCATOR,
                    dst_nodata=NODATA,
                    resampling=RESAMPLING,
                )
                return pixels
        except RasterioIOError as error:
            log.warning("coverage item %s left out: %s", source.item_id, error)
            return None

    def _level(self, source: Source, transform: Affine) -> dict[str, int]:
        """How to open the item at the overview just finer than the base's pixels."""
        if source.path not in self._levels:
            ground = abs(transform.a) * math.cos(math.radians(source.latitude))
            with rasterio.open(source.path, driver="GTiff") as probe:
                self._levels[source.path] = _overview_level(probe, ground)
        level = self._levels[source.path]
        return {} if level is None else {"overview_level": level}


def _layout(items: list[Source]) -> _Layout:
    """Bands and data type of the first item that can be read."""
    for item in items:
        try:
            with rasterio.open(item.path, driver="GTiff") as src:
                return _Layout(src.count, src.dtypes[0])
        except RasterioIOError:
            continue
    raise CoverageError("no item of the coverage can be read: nothing to build")


def build_file(
    items: list[Source],
    folder: Path,
    name: str,
    resolution_m: float,
    *,
    max_pixels: int,
    block_size: int,
    threads: int,
    progress: Progress,
) -> tuple[Path, Grid]:
    """Write the pyramid of ``items`` (newest first) as ``folder/name``; its path and grid."""
    if not items:
        raise CoverageError("no item of the coverage can be read: nothing to build")
    grid = Grid.around(extent(items), resolution_m)
    if grid.width * grid.height > max_pixels:
        raise CoverageError(
            f"a pyramid of {grid.width:,} x {grid.height:,} pixels exceeds the limit of "
            f"{max_pixels:,} (DINAMIS_COVERAGES_MAX_PIXELS): coarsen DINAMIS_COVERAGES_RESOLUTION_M"
        )
    layout = _layout(items)
    builder = Builder(grid, layout, items)
    folder.mkdir(parents=True, exist_ok=True)
    work = folder / f".build-{uuid.uuid4().hex}"
    work.mkdir()
    try:
        base = work / "base.tif"
        profile = {
            "driver": "GTiff",
            "width": grid.width,
            "height": grid.height,
            "count": layout.count,
            "dtype": layout.dtype,
            "crs": WEB_MERCATOR,
            "transform": grid.transform,
            "nodata": NODATA,
            "tiled": True,
            "blockxsize": 256,
            "blockysize": 256,
            # Written once and read once by rio-cogeo: fast compression, untouched tiles
            # (the sea around France) not written at all.
            "compress": "deflate",
            "zlevel": 1,
            "predictor": 2,
            "sparse_ok": True,
            "bigtiff": "IF_SAFER",
        }
        blocks = list(grid.blocks(block_size))
        with (
            rasterio.open(base, "w", **profile) as dst,
            ThreadPoolExecutor(max_workers=threads or os.cpu_count() or 1) as pool,
        ):
            futures = {pool.submit(builder.block, window): window for window in blocks}
            for done, future in enumerate(as_completed(futures), start=1):
                pixels = future.result()
                if pixels is not None:
                    dst.write(pixels, window=futures[future])  # one writer: this thread
                progress("blocks", done, len(blocks))
        progress("overviews", 0, 1)
        staged = work / "pyramid.tif"
        cog_translate(
            str(base),
            str(staged),
            {
                **cog_profiles.get("deflate"),
                "blockxsize": 256,
                "blockysize": 256,
                "predictor": 2,
                "BIGTIFF": "IF_SAFER",
            },
            overview_resampling=RESAMPLING.name,
            config={"GDAL_NUM_THREADS": "ALL_CPUS", "GDAL_TIFF_OVR_BLOCKSIZE": "256"},
            quiet=True,
        )
        progress("overviews", 1, 1)
        final = folder / name
        os.replace(staged, final)
        return final, grid
    finally:
        shutil.rmtree(work, ignore_errors=True)


def pyramid_record(
    path: Path, grid: Grid, items: list[Source], fingerprint: str, started: float
) -> Pyramid:
    return Pyramid(
        path=str(path),
        zoom=grid.zoom,
        bounds=extent(items),
        fingerprint=fingerprint,
        item_count=len(items),
        built_at=datetime.now(UTC),
        build_seconds=time.monotonic() - started,
    )

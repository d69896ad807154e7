"""Readers that open only what the operator allowed, within the request size limits.

``ItemReader`` (item endpoints) and ``MosaicItemReader`` (mosaic endpoints) check every asset
href with the ``StorageGuard`` before anything is opened; both read through ``SecureReader``.
"""

import logging
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from math import ceil, floor
from typing import Any

import attr
import numpy as np
import rasterio
from cachetools import LRUCache
from rasterio import windows
from rasterio.crs import CRS
from rasterio.errors import RasterioIOError
from rasterio.transform import from_bounds
from rasterio.vrt import WarpedVRT
from rasterio.warp import transform_bounds
from rio_tiler.constants import WGS84_CRS
from rio_tiler.errors import InvalidAssetName
from rio_tiler.expression import parse_expression
from rio_tiler.io import Reader
from rio_tiler.models import ImageData, Info, PointData
from rio_tiler.types import AssetInfo, AssetType, BBox
from titiler.core.errors import BadRequestError
from titiler.pgstac.reader import PgSTACReader, SimpleSTACReader

from ingest.item import ORIGINAL
from tiler.errors import ForbiddenAssetError, NotGeoreferencedError, UnreadableAssetError
from tiler.geometry import CachedGeometry, box_in, footprint_in
from tiler.limits import Limits
from tiler.storage import StorageGuard

logger = logging.getLogger(__name__)

# What makes one item of a mosaic unreadable, not the request: that item is skipped (and the
# reason logged), the others still drawn. An item may lack the asset asked for, or a location
# (a scene relayed from its metadata, before its COG).
ITEM_FAILURES = (ForbiddenAssetError, UnreadableAssetError, NotGeoreferencedError, InvalidAssetName)

# GTiff reads COGs too. Restricting the drivers keeps GDAL from following a VRT, or any other
# format that names further files or URLs, planted under a storage root.
ALLOWED_DRIVER = "GTiff"


@attr.s
class SecureReader(CachedGeometry, Reader):
    """A GeoTIFF reader: sensor geometry warped in place, crops in the image's own CRS, and
    images of an area larger than the file's footprint read from the footprint only."""

    limits: Limits = attr.ib(kw_only=True)
    item_id: str = attr.ib(default="", kw_only=True)
    """The catalogue item the file belongs to, named in refusals instead of the file's path."""

    def __attrs_post_init__(self) -> None:
        if not self.dataset:
            try:
                self.dataset = self._ctx_stack.enter_context(
                    rasterio.open(self.input, driver=ALLOWED_DRIVER)
                )
            except RasterioIOError as error:
                if "not recognized as" in str(error):
                    raise ForbiddenAssetError(
                        f"item '{self.item_id}': only GeoTIFF assets are served"
                    ) from error
                logger.warning("item %s: cannot open %s: %s", self.item_id, self.input, error)
                raise UnreadableAssetError(
                    f"item '{self.item_id}': its image file cannot be read (missing or damaged)"
                ) from error
        # Level-1 (sensor geometry) products carry RPCs and no geotransform: warp them with
        # the RPC model so they show in place. GCP-located images are warped by rio-tiler.
        if self.dataset.crs is None and self.dataset.rpcs and not self.dataset.gcps[0]:
            self.dataset = self._ctx_stack.enter_context(
                WarpedVRT(
                    self.dataset,
                    crs=WGS84_CRS,
                    warp_extras={"SRC_METHOD": "RPC"},
                    add_alpha=self.dataset.nodata is None,
                    nodata=self.dataset.nodata,
                )
            )
        super().__attrs_post_init__()

    def _located(self) -> None:
        """Refuse to place a file that carries no location (its preview needs none): rio-tiler
        fails on it without saying why."""
        if self.crs is None:
            raise NotGeoreferencedError(
                f"item '{self.item_id}': its image file carries no location (no georeferencing, "
                "RPCs or tie points) and cannot be placed; a scene relayed from its metadata is, "
                "once its COG is made"
            )

    def _check_options(self, options: dict[str, Any]) -> None:
        """Refuse band indexes the file has not (``image|bidx=0``, ``image_b9``), and a nodata
        value its data type cannot hold (``nodata=inf`` or ``256`` on bytes): rasterio and
        numpy failed on them with errors that said nothing to the client (500s)."""
        indexes = options.get("indexes")
        wanted = [indexes] if isinstance(indexes, int) else list(indexes or [])
        if options.get("expression"):
            wanted += parse_expression(options["expression"])
        count = self.dataset.count
        if outside := sorted({index for index in wanted if not 1 <= index <= count}):
            raise BadRequestError(
                f"item '{self.item_id}': band {', '.join(map(str, outside))} out of range: the "
                f"asset has {count} band(s), numbered from 1 to {count}"
            )
        nodata, dtype = options.get("nodata"), np.dtype(self.dataset.dtypes[0])
        if nodata is not None and dtype.kind in "iu":
            bounds = np.iinfo(dtype)
            if not (math.isfinite(nodata) and bounds.min <= nodata <= bounds.max):
                raise BadRequestError(
                    f"item '{self.item_id}': nodata={nodata:g} does not fit the asset's {dtype} "
                    f"values ({bounds.min} to {bounds.max})"
                )

    def info(self, **options: Any) -> Info:
        if options:  # an asset's options (``image|bidx=1``) given to a route describing it
            raise BadRequestError(
                f"item '{self.item_id}': info describes every band of an asset; band options "
                f"({', '.join(options)}) apply to pictures and values only"
            )
        self._located()
        return super().info()

    def point(self, lon: float, lat: float, **kwargs: Any) -> PointData:
        self._located()
        self._check_options(kwargs)
        return super().point(lon, lat, **kwargs)

    def tile(
        self, tile_x: int, tile_y: int, tile_z: int, tilesize: int | None = None, **kwargs: Any
    ) -> ImageData:
        self._located()
        # Unset, the size comes from the tile matrix set (256 or 512).
        if tilesize:
            self.limits.check_pixels(tilesize, tilesize, "tile")
        return super().tile(tile_x, tile_y, tile_z, tilesize=tilesize, **kwargs)

    def preview(
        self,
        max_size: int | None = 1024,
        height: int | None = None,
        width: int | None = None,
        **kwargs: Any,
    ) -> ImageData:
        cols, rows = _output_size(self.width, self.height, max_size, height, width)
        self.limits.check_pixels(cols, rows, "preview")
        self._check_options(kwargs)
        return super().preview(max_size=max_size, height=height, width=width, **kwargs)

    def part(
        self,
        bbox: BBox,
        dst_crs: CRS | None = None,
        bounds_crs: CRS = WGS84_CRS,
        max_size: int | None = None,
        height: int | None = None,
        width: int | None = None,
        **kwargs: Any,
    ) -> ImageData:
        self._located()
        self._check_options(kwargs)
        # Crops default to the image's CRS (rio-tiler would use the bbox's), so a bbox given
        # in degrees still yields native pixels.
        dst_crs = dst_crs or self.crs
        native = not (max_size or height or width)
        # The area limit is for downloads at native resolution; a sized image (a tile, which
        # rio-tiler renders through part(), or a thumbnail of an area) is bounded by its pixels.
        if native:
            self.limits.check_area(bbox, bounds_crs)
        cols, rows = self._check_part_size(bbox, bounds_crs, max_size, height, width)
        if dst_crs == self.crs and native:
            # Native crop: widen the bbox to whole source pixels, so the GeoTIFF's pixels are
            # the source's own, not resampled ones shifted by a fraction of a pixel.
            bbox, bounds_crs = self._on_pixel_grid(bbox, bounds_crs), self.crs
        elif not native:
            image = self._footprint_part(bbox, bounds_crs, dst_crs, ceil(cols), ceil(rows), kwargs)
            if image is not None:
                return image
        return super().part(
            bbox,
            dst_crs=dst_crs,
            bounds_crs=bounds_crs,
            max_size=max_size,
            height=height,
            width=width,
            **kwargs,
        )

    def feature(self, shape: dict, dst_crs: CRS | None = None, **kwargs: Any) -> ImageData:
        return super().feature(shape, dst_crs=dst_crs or self.crs, **kwargs)

    def _on_pixel_grid(self, bbox: BBox, bounds_crs: CRS) -> BBox:
        bounds = transform_bounds(bounds_crs, self.crs, *bbox, densify_pts=21)
        window = windows.from_bounds(*bounds, transform=self.transform)
        col, row = floor(window.col_off), floor(window.row_off)
        snapped = windows.Window(
            col,
            row,
            ceil(window.col_off + window.width) - col,
            ceil(window.row_off + window.height) - row,
        )
        return windows.bounds(snapped, self.transform)

    def _check_part_size(
        self,
        bbox: BBox,
        bounds_crs: CRS,
        max_size: int | None,
        height: int | None,
        width: int | None,
    ) -> tuple[float, float]:
        """The size of the image ``part`` will make, refused past the pixel limit."""
        if width and height:  # a tile: no reprojection needed to know it
            cols, rows = float(width), float(height)
        else:
            left, bottom, right, top = transform_bounds(bounds_crs, self.crs, *bbox, densify_pts=21)
            native = (
                (right - left) / abs(self.transform.a),
                (top - bottom) / abs(self.transform.e),
            )
            cols, rows = _output_size(*native, max_size, height, width)
        self.limits.check_pixels(cols, rows, "crop")
        return cols, rows

    def _footprint_part(
        self,
        bbox: BBox,
        bounds_crs: CRS,
        dst_crs: CRS,
        cols: int,
        rows: int,
        options: dict[str, Any],
    ) -> ImageData | None:
        """A ``cols`` x ``rows`` image of ``bbox`` read from the file's footprint only, or None
        when the area is no wider or taller than the footprint (rio-tiler's own read is then
        bounded by the file's size).

        rio-tiler warps the whole area at the file's resolution, then shrinks it: a zoom-8 tile
        (150 km) over a 1 km image warps 300,000² pixels from an overview far too fine for
        it, for minutes. Here only the pixels of the output that the footprint touches are
        read, through the file's overviews, and placed in an otherwise empty image.
        """
        box = footprint_in(self.crs, dst_crs, tuple(self.bounds))
        area = box_in(bounds_crs, dst_crs, bbox) if bounds_crs != dst_crs else bbox
        # Odd areas (inverted, not finite, not a rectangle there) are rio-tiler's to refuse.
        if box is None or area is None or "vrt_options" in options:
            return None
        left, bottom, right, top = area
        if not all(map(math.isfinite, area)) or left >= right or bottom >= top:
            return None
        if right - left <= box[2] - box[0] and top - bottom <= box[3] - box[1]:
            return None
        options = dict(options)
        # rio-tiler's buffer: that many more output pixels on each side, over a wider area.
        if buffer := options.pop("buffer", None):
            dx, dy = (right - left) / cols * buffer, (top - bottom) / rows * buffer
            left, bottom, right, top = left - dx, bottom - dy, right + dx, top + dy
            cols, rows = cols + round(2 * buffer), rows + round(2 * buffer)
        grid = from_bounds(left, bottom, right, top, cols, rows)
        overlap = (max(left, box[0]), max(bottom, box[1]), min(right, box[2]), min(top, box[3]))
        if overlap[0] >= overlap[2] or overlap[1] >= overlap[3]:
            return None  # outside the footprint: rio-tiler says so its own way
        seen = windows.from_bounds(*overlap, transform=grid)
        col0, row0 = max(0, floor(seen.col_off)), max(0, floor(seen.row_off))
        col1 = min(cols, ceil(seen.col_off + seen.width))
        row1 = min(rows, ceil(seen.row_off + seen.height))
        if col1 <= col0 or row1 <= row0:
            return None
        window = windows.Window(col0, row0, col1 - col0, row1 - row0)
        # Whole output pixels, so that the pixels read are the grid's own; unless the footprint
        # fits in a pixel or two, when whole pixels would cover far more than it (rio-tiler
        # would warp all of that at the file's resolution) and a fraction of one does not show.
        read = windows.bounds(window, grid)
        if window.width > 2 * seen.width or window.height > 2 * seen.height:
            read = overlap
        inner = super().part(
            read,
            dst_crs=dst_crs,
            bounds_crs=dst_crs,
            width=col1 - col0,
            height=row1 - row0,
            **options,
        )
        fill = inner.nodata if inner.nodata is not None else 0
        array = np.ma.MaskedArray(
            np.full((inner.count, rows, cols), fill, dtype=inner.array.dtype), mask=True
        )
        array[:, row0:row1, col0:col1] = inner.array
        return ImageData(
            array,
            assets=inner.assets,
            bounds=(left, bottom, right, top),
            crs=dst_crs,
            metadata=inner.metadata,
            nodata=inner.nodata,
            scales=inner.scales,
            offsets=inner.offsets,
            band_names=inner.band_names,
            band_descriptions=inner.band_descriptions,
            dataset_statistics=inner.dataset_statistics,
        )


def _output_size(
    cols: float, rows: float, max_size: int | None, height: int | None, width: int | None
) -> tuple[float, float]:
    """The size rio-tiler will give an image of ``cols`` x ``rows`` native pixels."""
    if width and height:
        return width, height
    if width:
        return width, width * rows / cols
    if height:
        return height * cols / rows, height
    if max_size:  # rio-tiler scales the longest side to max_size, up or down
        scale = max_size / max(cols, rows)
        return cols * scale, rows * scale
    return cols, rows


def _served(assets: dict[str, Any], names: list[str]) -> tuple[list[str], list[str] | None]:
    """The assets served, and those a request naming none reads (point, GeoTIFF crop): those
    with the `data` role. Once a relayed scene has its COG, the delivered files it keeps
    (`original`) are downloads, no longer read: the COG is."""

    def roles(name: str) -> list[str]:
        asset = assets[name]
        return (asset.get("roles") if isinstance(asset, dict) else asset.roles) or []

    data = [name for name in names if "data" in roles(name)]
    if any(ORIGINAL not in roles(name) for name in data):
        names = [name for name in names if ORIGINAL not in roles(name)]
        data = [name for name in data if name in names]
    return names, data or None


class _GuardedAssets:
    """What both STAC readers share: each asset href through the guard (in its item's
    collection), the limits handed on to ``SecureReader``, the data assets read when a request
    names none, and ``threads`` for rio-tiler's per-asset reads (see ``read_threads``: 0 reads
    them in the request's own long-lived thread, where GDAL is warm, instead of a pool made
    for the call, whose fresh threads pay ~10 ms for their first open)."""

    guard: StorageGuard
    limits: Limits
    threads: int
    reader_options: dict[str, Any]
    default_assets: list[AssetType] | None
    _item_id: str
    _collection: str

    def _guard(
        self, item_id: str, collection: str, assets: dict[str, Any], names: list[str]
    ) -> None:
        self._item_id, self._collection = item_id, collection
        self.assets, data = _served(assets, names)
        self.default_assets = self.default_assets or data
        self.reader_options = {**self.reader_options, "limits": self.limits, "item_id": item_id}

    def tile(self, *args: Any, **kwargs: Any) -> ImageData:
        return super().tile(*args, threads=self.threads, **kwargs)  # type: ignore[misc]

    def part(self, *args: Any, **kwargs: Any) -> ImageData:
        return super().part(*args, threads=self.threads, **kwargs)  # type: ignore[misc]

    def preview(self, *args: Any, **kwargs: Any) -> ImageData:
        return super().preview(*args, threads=self.threads, **kwargs)  # type: ignore[misc]

    def point(self, *args: Any, **kwargs: Any) -> Any:
        return super().point(*args, threads=self.threads, **kwargs)  # type: ignore[misc]

    def _get_asset_info(self, asset: AssetType) -> AssetInfo:
        # Options with no asset before them ("|bidx=1"): rio-tiler's ValueError was a 500.
        if isinstance(asset, dict) and not asset.get("name"):
            raise InvalidAssetName(
                f"item '{self._item_id}': asset options without an asset name; name it first, "
                "as in 'image|bidx=1'"
            )
        info = super()._get_asset_info(asset)  # type: ignore[misc]
        try:
            info["url"] = self.guard.check(info["url"], self._collection)
        except ForbiddenAssetError as error:
            name = asset if isinstance(asset, str) else asset.get("name", "")
            raise ForbiddenAssetError(
                f"asset '{name}' of item '{self._item_id}' is not served: {error}"
            ) from error
        return info


@attr.s
class ItemReader(_GuardedAssets, CachedGeometry, PgSTACReader):
    """One catalogue item, with its renders for TileJSON and WMTS layers."""

    guard: StorageGuard = attr.ib(kw_only=True)
    limits: Limits = attr.ib(kw_only=True)
    threads: int = attr.ib(default=0, kw_only=True)
    renders: dict[str, dict[str, Any]] = attr.ib(factory=dict, kw_only=True)
    reader: type[SecureReader] = attr.ib(default=SecureReader)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self._guard(
            self.item.id, self.item.collection_id or "", self.item.assets, list(self.assets)
        )
        # Without a projection's grid in the item (sensor geometry: RPCs or GCPs only), rio-tiler
        # can only offer the whole tile matrix set (zoom 0-24): ask the data itself.
        if self.transform is None and self.default_assets:
            self.minzoom, self.maxzoom = self._data_zooms(self.default_assets[0])

    def _data_zooms(self, asset: AssetType) -> tuple[int, int]:
        url = self._get_asset_info(asset)["url"]
        try:
            key = (url, os.stat(url).st_mtime_ns, self.tms.id)
        except OSError:
            return self.minzoom, self.maxzoom  # not readable: the tile request will say why
        if key not in _ZOOMS:
            with self.reader(url, tms=self.tms, **self.reader_options) as src:
                _ZOOMS[key] = (src.minzoom, src.maxzoom)
        return _ZOOMS[key]


# (file, modification time, tile matrix set) -> zooms of items without a projection grid.
_ZOOMS: LRUCache = LRUCache(maxsize=4096)


@contextmanager
def _logged_failure(item: dict[str, Any]) -> Iterator[None]:
    try:
        yield
    except ITEM_FAILURES as error:
        logger.warning(
            "mosaic: item %s/%s skipped: %s", item.get("collection"), item.get("id"), error
        )
        raise


@attr.s
class MosaicItemReader(_GuardedAssets, CachedGeometry, SimpleSTACReader):
    """One item of a mosaic, as pgSTAC's search returns it; the mosaic backend skips it when
    it cannot be read (``ITEM_FAILURES``), and this says so in the log."""

    guard: StorageGuard = attr.ib(kw_only=True)
    limits: Limits = attr.ib(kw_only=True)
    threads: int = attr.ib(default=0, kw_only=True)
    reader: type[SecureReader] = attr.ib(default=SecureReader)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        item = self.input
        self._guard(item["id"], item.get("collection", ""), item["assets"], list(self.assets))

    def tile(self, *args: Any, **kwargs: Any) -> ImageData:
        with _logged_failure(self.input):
            return super().tile(*args, **kwargs)

    def point(self, *args: Any, **kwargs: Any) -> Any:
        with _logged_failure(self.input):
            return super().point(*args, **kwargs)

"""pgSTAC mosaics with a floor on zoom and a ceiling on items per tile, and that skip an item
they cannot read rather than fail the whole tile.

Pléiades footprints are small: a low-zoom tile over France would open hundreds of COGs.
"""

import copy
from typing import Any

import attr
from geojson_pydantic.geometries import Geometry
from morecantile import Tile
from rio_tiler.errors import PointOutsideBounds, TileOutsideBounds
from rio_tiler.models import ImageData, PointData
from titiler.pgstac.backend import PGSTACBackend
from titiler.pgstac.reader import Item

from access.stac import present_item
from tiler.catalogue import CatalogueCache, uncached_assets
from tiler.errors import LimitExceededError
from tiler.reader import ITEM_FAILURES


@attr.s
class LimitedPgSTACBackend(PGSTACBackend):
    min_zoom: int = attr.ib(kw_only=True)
    max_items: int = attr.ib(kw_only=True)
    cache: CatalogueCache = attr.ib(kw_only=True)
    threads: int = attr.ib(default=0, kw_only=True)
    """Items of a tile read side by side (``read_threads``), in place of titiler's
    ``MOSAIC_CONCURRENCY``; 0 reads them in turn and stops once the tile is full."""
    public_url: str | None = attr.ib(default=None, kw_only=True)
    """Set when the items are the answer (``/assets``): the STAC API whose download URLs
    replace the storage paths of their assets."""

    @property
    def minzoom(self) -> int:  # type: ignore[override]
        # TileJSON and WMTS advertise the floor, so map clients do not ask below it.
        return max(super().minzoom, self.min_zoom)

    def assets_for_tile(self, x: int, y: int, z: int, **kwargs: Any) -> list[Item]:
        if z < self.min_zoom:
            raise LimitExceededError(
                f"mosaic tiles are served from zoom {self.min_zoom} up (asked for {z}): zoom in"
            )
        items = super().assets_for_tile(x, y, z, **kwargs)
        if len(items) > self.max_items:
            bounds = self.tms.bounds(Tile(x, y, z))
            raise LimitExceededError(
                f"tile {z}/{x}/{y} ({', '.join(f'{v:.4f}' for v in bounds)}) needs more than "
                f"{self.max_items} items, the limit per mosaic tile: zoom in"
            )
        return items

    def tile(self, x: int, y: int, z: int, **kwargs: Any) -> tuple[ImageData, list[str]]:
        kwargs.setdefault("allowed_exceptions", (TileOutsideBounds, *ITEM_FAILURES))
        return super().tile(x, y, z, **{**kwargs, "threads": self.threads})

    def point(self, lon: float, lat: float, **kwargs: Any) -> list[tuple[str, PointData]]:
        kwargs.setdefault("allowed_exceptions", (PointOutsideBounds, *ITEM_FAILURES))
        return super().point(lon, lat, **{**kwargs, "threads": self.threads})

    def get_assets(self, geom: Geometry, **kwargs: Any) -> list[Item]:
        # One item over the limit is enough to refuse; never let pgSTAC gather more.
        kwargs["items_limit"] = self.max_items + 1
        key = self.cache.key("assets", self.input, geom.model_dump(exclude_none=True), kwargs)
        items = self.cache.get(key, lambda: uncached_assets(self, geom, **kwargs))
        if self.public_url is None:
            return items
        # Copies: the cached items keep their paths for the tiles.
        return [present_item(copy.deepcopy(item), self.public_url, ()) for item in items]

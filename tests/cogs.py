"""Plain COGs and the items ingest would catalogue them with: the fixtures of the tiler,
access and web-map tests, and of the tile benchmarks."""

from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from rasterio.io import MemoryFile
from rasterio.warp import transform_bounds, transform_geom
from rio_cogeo.cogeo import cog_translate
from rio_cogeo.profiles import cog_profiles

COG_TYPE = "image/tiff; application=geotiff; profile=cloud-optimized"
PROJ_EXT = "https://stac-extensions.github.io/projection/v2.0.0/schema.json"


def write_cog(
    path: Path,
    data: np.ndarray,
    crs: str,
    transform: Affine,
    *,
    nodata: float | None = 0,
    descriptions: tuple[str, ...] | None = None,
    overview_level: int | None = None,
) -> Path:
    """``data`` (bands, rows, cols) as a deflate COG at ``path``."""
    profile = {
        "driver": "GTiff",
        "count": data.shape[0],
        "height": data.shape[1],
        "width": data.shape[2],
        "dtype": data.dtype.name,
        "crs": crs,
        "transform": transform,
        "nodata": nodata,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with MemoryFile() as memfile:
        with memfile.open(**profile) as mem:
            mem.write(data)
            if descriptions:
                mem.descriptions = descriptions[: data.shape[0]]
        with memfile.open() as mem:
            cog_translate(
                mem,
                str(path),
                cog_profiles.get("deflate"),
                overview_level=overview_level,
                quiet=True,
            )
    return path


def cog_item(
    item_id: str,
    collection: str,
    cog: Path,
    *,
    href: str | None = None,
    asset: str = "data",
    datetime: str = "2024-06-01T10:30:00Z",
    **properties: Any,
) -> dict[str, Any]:
    """An item as ingest writes it: footprint and projection read from ``cog``; its asset
    points at ``href`` (the COG's own path by default)."""
    with rasterio.open(cog) as src:
        crs, shape, transform, bounds = src.crs, src.shape, src.transform, src.bounds
    ring = [
        (bounds.left, bounds.bottom),
        (bounds.right, bounds.bottom),
        (bounds.right, bounds.top),
        (bounds.left, bounds.top),
        (bounds.left, bounds.bottom),
    ]
    return {
        "type": "Feature",
        "stac_version": "1.1.0",
        "stac_extensions": [PROJ_EXT],
        "id": item_id,
        "collection": collection,
        "geometry": transform_geom(crs, "EPSG:4326", {"type": "Polygon", "coordinates": [ring]}),
        "bbox": list(transform_bounds(crs, "EPSG:4326", *bounds, densify_pts=21)),
        "properties": {
            "datetime": datetime,
            "proj:code": f"EPSG:{crs.to_epsg()}",
            "proj:shape": list(shape),
            "proj:transform": list(transform)[:6],
            **properties,
        },
        "assets": {asset: {"href": href or str(cog), "type": COG_TYPE, "roles": ["data"]}},
        "links": [],
    }

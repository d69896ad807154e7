"""An ortho-rectified scene in the catalogue: its COG in the ortho collection's storage and
its STAC item, derived from the raw item, published together or not at all."""

import contextlib
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import rasterio

from access.models import Licence
from dinamis.refusal import N_
from ingest.item import EXTENSIONS
from ingest.load import upsert_item
from ingest.storage import multihash
from ortho.rectify import rectify
from ortho.scene import Scene, SceneError
from ortho.warp import WarpOptions

log = logging.getLogger(__name__)

# Properties of the raw item that do not hold for the ortho-rectified one.
NOT_INHERITED = {"created", "updated", "dinamis:source_checksum", "dinamis:geometry"}


@dataclass(frozen=True)
class Target:
    collection: str
    item_id: str
    folder: Path

    @property
    def cog(self) -> Path:
        return self.folder / f"{self.item_id}.tif"


def check_terms(source: str, target: str, licences: Mapping[str, Licence]) -> None:
    """Refuse (``SceneError``) to publish in collection ``target`` the rectified pixels of a
    scene of ``source`` when ``target`` is not under the same licence: reading a licensed scene
    is no right to hand its pixels to everyone. ``licences``: ``licences_by_collection``."""
    licence = licences.get(source)
    if licence is None or getattr(licences.get(target), "code", None) == licence.code:
        return
    raise SceneError(
        N_(
            "%(source)s is licensed (%(licence)s) and its ortho-rectification would be published "
            "in %(target)s, which others than that licence's holders may read: only scenes of "
            "open collections are rectified here"
        ),
        source=source,
        licence=licence.code,
        target=target,
    )


def ortho_item_id(raw_item_id: str, input_hash: str) -> str:
    """Stable for one request, distinct for the same scene rectified otherwise."""
    return f"{raw_item_id}-ORTHO-{input_hash[:10]}"


def target_of(raw_item_id: str, input_hash: str, storage: Path, collection: str) -> Target:
    """Where the request ``input_hash`` on the raw item ``raw_item_id`` publishes."""
    item_id = ortho_item_id(raw_item_id, input_hash)
    return Target(collection, item_id, storage / collection / item_id)


def remove_partials(target: Target) -> None:
    """Remove what attempts whose worker was killed left in ``target``'s folder, and the
    folder when nothing else is in it (runs of one request never overlap: the queue locks
    them by its hash, so none is being written)."""
    if not target.folder.is_dir():
        return
    for stale in target.folder.glob(f".{target.item_id}.*"):
        if stale.is_dir():
            shutil.rmtree(stale)
        else:
            stale.unlink()
    with contextlib.suppress(OSError):
        target.folder.rmdir()


def gdal_version() -> str:
    out = subprocess.run(["gdalwarp", "--version"], capture_output=True, text=True, check=False)
    return out.stdout.split(",")[0].removeprefix("GDAL ").strip() or "unknown"


def _projection(cog: Path) -> dict[str, Any]:
    with rasterio.open(cog) as src:
        epsg = src.crs.to_epsg()
        return {
            "proj:epsg": epsg,
            "proj:shape": [src.height, src.width],
            "proj:transform": list(src.transform)[:6],
        }


def build_item(
    scene: Scene, target: Target, options: WarpOptions, dem_name: str, source_url: str
) -> dict[str, Any]:
    source = scene.item
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    view = scene.view
    lineage = (
        f"Ortho-rectified on demand from {scene.collection}/{scene.item_id} (level 1A): "
        f"RPCs fitted to its {len(scene.gcps)} tie points and its viewing geometry "
        f"(incidence {view.incidence:.2f}°, satellite azimuth {view.azimuth:.1f}°), warped by "
        f"GDAL onto {options.crs} at {options.resolution:g} m ({options.resampling}) "
        + (f"over the DEM '{dem_name}'." if options.dem else "without DEM (flat terrain).")
    )
    properties = {
        **{k: v for k, v in source["properties"].items() if k not in NOT_INHERITED},
        "gsd": options.resolution,
        "created": now,
        "updated": now,
        "processing:level": "ORTHO",
        "processing:lineage": lineage,
        "processing:software": {"GDAL": gdal_version()},
        "dinamis:geometry": "map",
    }
    data = source["assets"]["data"]
    kept = ("bands", "eo:bands", "data_type", "nodata", "raster:bits_per_sample")
    extensions = {*source.get("stac_extensions", []), EXTENSIONS["proj"], EXTENSIONS["processing"]}
    return {
        "type": "Feature",
        "stac_version": source.get("stac_version", "1.1.0"),
        "stac_extensions": sorted(extensions),
        "id": target.item_id,
        "collection": target.collection,
        "geometry": source["geometry"],
        "bbox": source["bbox"],
        "properties": properties,
        "links": [
            *(link for link in source.get("links", []) if link.get("rel") == "license"),
            {"rel": "derived_from", "href": source_url, "type": "application/geo+json"},
        ],
        "assets": {
            "data": {
                "href": str(target.cog),
                "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                "title": "Ortho-rectified image (Cloud Optimized GeoTIFF)",
                "roles": ["data"],
                **{k: data[k] for k in kept if k in data},
                **_projection(target.cog),
                "file:size": target.cog.stat().st_size,
                "file:checksum": multihash(target.cog),
            }
        },
    }


def publish(
    database_url: str,
    scene: Scene,
    target: Target,
    options: WarpOptions,
    dem_name: str,
    source_url: str,
    progress: Callable[[float], None],
    should_abort: Callable[[], bool],
) -> dict[str, Any]:
    """Rectify into a partial file, then move it in place and upsert the item; on any failure
    neither the file nor the item is left behind."""
    remove_partials(target)
    target.folder.mkdir(parents=True, exist_ok=True)
    partial = target.folder / f".{target.item_id}.{os.getpid()}.partial.tif"
    try:
        start = time.perf_counter()
        rectify(scene, options, partial, progress, should_abort)
        rectified = time.perf_counter()
        os.replace(partial, target.cog)
        item = build_item(scene, target, options, dem_name, source_url)
        upsert_item(database_url, item)
        log.info(
            "%s rectified in %.1f s, published in %.1f s",
            target.item_id, rectified - start, time.perf_counter() - rectified,
        )  # fmt: skip
    except BaseException:
        partial.unlink(missing_ok=True)
        target.cog.unlink(missing_ok=True)
        raise
    return item

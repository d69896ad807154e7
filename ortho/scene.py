"""What ortho-rectification needs of a raw scene: its pixels, tie points, viewing geometry,
and the DEM heights under it."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.control import GroundControlPoint
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.errors import RasterioError
from rasterio.warp import transform_bounds
from rasterio.windows import from_bounds

from access.assets import asset_path
from dinamis.refusal import N_, ExplainedError
from ingest.dimapxml import Node
from ortho.geometry import GeometryError, View, view_from_signed_incidence

# DEM samples read to find the scene's height range: enough for its extremes, bounded memory.
DEM_SAMPLES = 512


class SceneError(ExplainedError, ValueError):
    """The item cannot be ortho-rectified; the message says why, for the requester."""


@dataclass(frozen=True)
class Scene:
    collection: str
    item_id: str
    image: Path
    width: int
    height: int
    gcps: tuple[GroundControlPoint, ...]
    view: View
    bbox: tuple[float, float, float, float]
    nodata: float | None
    item: dict[str, Any]

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.bbox[0] + self.bbox[2]) / 2, (self.bbox[1] + self.bbox[3]) / 2)

    def utm(self) -> CRS:
        """The WGS 84 UTM zone of the scene's centre: the default target."""
        lon, lat = self.centre
        zone = min(int((lon + 180) // 6) + 1, 60)
        return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)

    def extent_m(self) -> float:
        """The scene's larger side on the ground, in metres."""
        west, south, east, north = self.bbox
        across = (east - west) * math.cos(math.radians(self.centre[1]))
        return max(across, north - south) * 111_320


def _file(item: dict[str, Any], asset: str, roots: Sequence[Path]) -> Path | None:
    """The stored file of ``asset``, when it lies in the item's collection folder (the one rule
    of ``access.assets``): an href naming another collection's file, or any other file, must
    not be read, and its pixels published, through a rectification."""
    href = item.get("assets", {}).get(asset, {}).get("href")
    return asset_path(href, str(item.get("collection", "")), list(roots)) if href else None


def _signed_incidence(item: dict[str, Any], roots: Sequence[Path]) -> float | None:
    """DIMAP v1's signed INCIDENCE_ANGLE (the item keeps its absolute value)."""
    path = _file(item, "metadata", roots)
    if path is None:
        return None
    scene = Node.parse(path).find("Dataset_Sources/Source_Information/Scene_Source")
    return scene.number("INCIDENCE_ANGLE") if scene is not None else None


def _view(
    item: dict[str, Any], gcps: tuple[GroundControlPoint, ...], roots: Sequence[Path]
) -> View:
    properties = item.get("properties", {})
    incidence = properties.get("view:incidence_angle")
    azimuth = properties.get("view:azimuth")
    if incidence is not None and azimuth is not None:
        return View(abs(float(incidence)), float(azimuth))
    signed = _signed_incidence(item, roots)
    if signed is None:
        if incidence:
            raise SceneError(
                N_(
                    "the scene states its incidence but not the side it was seen from: the "
                    "relief cannot be corrected"
                )
            )
        signed = 0.0
    return view_from_signed_incidence(gcps, signed)


def read_scene(item: dict[str, Any], roots: Sequence[Path]) -> Scene:
    """The raw scene of a level-1A item whose files are stored in its collection's folder of
    one of ``roots``, or :class:`SceneError` saying what it lacks."""
    name = f"{item.get('collection')}/{item.get('id')}"
    if item.get("properties", {}).get("dinamis:geometry") != "sensor":
        raise SceneError(
            N_("%(scene)s is already map-projected: only raw (1A) scenes are rectified"), scene=name
        )
    path = _file(item, "data", roots)
    if path is None:
        raise SceneError(
            N_("%(scene)s: its image file is not available on this server"), scene=name
        )
    try:
        with rasterio.open(path) as src:
            gcps = tuple(src.gcps[0])
            width, height, nodata = src.width, src.height, src.nodata
    except RasterioError as error:
        raise SceneError(
            N_("%(scene)s: its image cannot be read (%(error)s)"), scene=name, error=str(error)
        ) from None
    if len(gcps) < 3:
        raise SceneError(
            N_("%(scene)s has no tie points (GCPs) or RPCs: it cannot be located"), scene=name
        )
    try:
        view = _view(item, gcps, roots)
    except GeometryError as error:
        raise SceneError(N_("%(scene)s: %(error)s"), scene=name, error=str(error)) from None
    lons = [g.x for g in gcps]
    lats = [g.y for g in gcps]
    return Scene(
        collection=str(item["collection"]),
        item_id=str(item["id"]),
        image=Path(path),
        width=width,
        height=height,
        gcps=gcps,
        view=view,
        bbox=(min(lons), min(lats), max(lons), max(lats)),
        nodata=nodata,
        item=item,
    )


def dem_heights(dem: Path, bbox: tuple[float, float, float, float]) -> tuple[float, float]:
    """The lowest and highest DEM heights over ``bbox`` (lon/lat), or :class:`SceneError`
    when the DEM does not cover it all."""
    try:
        with rasterio.open(dem) as src:
            covered = transform_bounds(src.crs, "EPSG:4326", *src.bounds)
            if not (
                covered[0] <= bbox[0]
                and covered[1] <= bbox[1]
                and covered[2] >= bbox[2]
                and covered[3] >= bbox[3]
            ):
                raise SceneError(
                    N_("the DEM (%(dem)s) does not cover the scene (%(scene)s)"),
                    dem=", ".join(f"{v:.3f}" for v in covered),
                    scene=", ".join(f"{v:.3f}" for v in bbox),
                )
            window = from_bounds(*transform_bounds("EPSG:4326", src.crs, *bbox), src.transform)
            data = src.read(
                1,
                window=window.round_offsets().round_lengths(),
                out_shape=(DEM_SAMPLES, DEM_SAMPLES),
                resampling=Resampling.nearest,
                masked=True,
                boundless=True,
            )
    except RasterioError as error:
        raise SceneError(N_("the DEM cannot be read (%(error)s)"), error=str(error)) from None
    if data.count() == 0:
        raise SceneError(N_("the DEM has no height under the scene"))
    return float(np.ma.min(data)), float(np.ma.max(data))

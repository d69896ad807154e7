"""The public quicklook of an item: a small PNG of its default render, transparent outside its
footprint.

Browse images are public in every imagery catalogue; this one is made small enough to give no
usable pixels away. It is read through the tiler's own reader and drawn with the render the
tiler uses when a request names none, so the quicklook looks like the item on the web map
(sensor-geometry products warped in place by their RPCs or GCPs, as on the map).
"""

from collections.abc import Sequence
from math import inf
from pathlib import Path
from typing import Any

from rio_tiler.constants import WGS84_CRS

from tiler.limits import Limits
from tiler.reader import SecureReader
from tiler.renders import default_render

THUMBNAIL_SIZE = 256
"""Pixels on the thumbnail's long side."""
MEDIA_TYPE = "image/png"


def _indexes(render: dict[str, Any]) -> tuple[int, ...] | None:
    """The band indexes of the render's one asset (``asset_bidx`` as ``data|1,2,3``)."""
    selection = render.get("asset_bidx")
    if not selection:
        return None
    _, _, indexes = selection.partition("|")
    return tuple(int(i) for i in indexes.split(","))


def write_thumbnail(
    cog: Path,
    dst: Path,
    footprint: Sequence[tuple[float, float]],
    renders: dict[str, dict[str, Any]],
    size: int = THUMBNAIL_SIZE,
) -> None:
    """Write to ``dst`` a PNG of ``cog`` drawn with the default of ``renders`` (STAC render
    extension objects), ``size`` pixels on its long side, transparent outside ``footprint``
    (a lon/lat ring) and wherever the image has no data."""
    render = default_render(renders) or {}
    limits = Limits(max_crop_km2=inf, max_pixels=size * size)
    with SecureReader(str(cog), limits=limits) as src:
        options = {"indexes": _indexes(render), "max_size": size, "resampling_method": "bilinear"}
        if src.crs is None:  # sensor geometry with neither RPCs nor GCPs: the raw image
            image = src.preview(**options)
        else:
            shape = {"type": "Polygon", "coordinates": [[list(p) for p in footprint]]}
            image = src.feature(shape, shape_crs=WGS84_CRS, **options)
    if rescale := render.get("rescale"):
        image.rescale(in_range=[tuple(r) for r in rescale])
    dst.write_bytes(image.render(img_format="PNG", add_mask=True))

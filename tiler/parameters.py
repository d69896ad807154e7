"""titiler's parameter dependencies, bounded by the settings' ``Limits``.

Each class keeps its titiler parent's query parameters (OpenAPI and parsing unchanged) and
checks them once parsed; a value past a limit is a 400 naming it (``LimitExceededError``).
The factories take these in place of titiler's own.
"""

import inspect
import math
from dataclasses import dataclass
from typing import Any

from rio_tiler.types import ColorMapType
from starlette.requests import Request
from titiler.core.dependencies import (
    ColorMapParams,
    DefaultDependency,
    HistogramParams,
    ImageRenderingParams,
    PartFeatureParams,
    PreviewParams,
    StatisticsParams,
    TileParams,
)
from titiler.core.errors import BadRequestError

from tiler.dependencies import AssetsOptionalParams, LayerParams
from tiler.limits import Limits
from tiler.tms import TILE_MATRIX_SETS


@dataclass(frozen=True)
class BoundedParams:
    """The dependency classes of one app, bounded by its limits."""

    layer: type[DefaultDependency]
    assets: type[DefaultDependency]
    tile: type[DefaultDependency]
    statistics: type[DefaultDependency]
    histogram: type[DefaultDependency]
    preview: type[DefaultDependency]
    part: type[DefaultDependency]
    render: type[DefaultDependency]


def bounded_params(limits: Limits) -> BoundedParams:
    @dataclass
    class BoundedLayer(LayerParams):
        def __post_init__(self) -> None:
            limits.check_items("assets", self.assets)
            limits.check_expression(self.expression)

    @dataclass
    class BoundedAssets(AssetsOptionalParams):
        def __post_init__(self) -> None:
            limits.check_items("assets", self.assets)

    @dataclass
    class BoundedTile(TileParams):
        def __post_init__(self) -> None:
            limits.check_buffer("buffer", self.buffer)
            limits.check_buffer("padding", self.padding)

    @dataclass
    class BoundedStatistics(StatisticsParams):
        def __post_init__(self) -> None:
            super().__post_init__()
            limits.check_percentiles(self.percentiles)
            limits.check_items("c (categories)", self.categories)

    @dataclass
    class BoundedHistogram(HistogramParams):
        def __post_init__(self) -> None:
            super().__post_init__()
            limits.check_histogram(self.bins, self.range)  # type: ignore[arg-type]

    @dataclass
    class BoundedPreview(PreviewParams):
        def __post_init__(self) -> None:
            for name in ("max_size", "width", "height"):
                limits.check_side(name, getattr(self, name))
            super().__post_init__()

    @dataclass
    class BoundedPart(PartFeatureParams):
        def __post_init__(self) -> None:
            for name in ("max_size", "width", "height"):
                limits.check_side(name, getattr(self, name))
            super().__post_init__()

    @dataclass
    class BoundedRendering(ImageRenderingParams):
        def __post_init__(self) -> None:
            limits.check_items("rescale", self.rescale)
            super().__post_init__()

    return BoundedParams(
        layer=BoundedLayer,
        assets=BoundedAssets,
        tile=BoundedTile,
        statistics=BoundedStatistics,
        histogram=BoundedHistogram,
        preview=BoundedPreview,
        part=BoundedPart,
        render=BoundedRendering,
    )


def _is_colour(value: Any) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) in (3, 4)
        and all(isinstance(c, int) and 0 <= c <= 255 for c in value)
    )


def _is_interval(value: Any) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(v, int | float) and math.isfinite(v) for v in value)
        and value[0] <= value[1]
    )


def checked_colormap(**values: Any) -> ColorMapType | None:
    """titiler's colour map parameters (``colormap_name``, ``colormap``), refused with a 400
    saying the expected form unless they make a colour map: titiler reads
    ``{"a": [0, 0, 0]}``, ``[1]`` or ``5`` with errors it does not catch (500s), or not at all."""
    try:
        colormap = ColorMapParams(**values)
    except (ValueError, TypeError) as error:
        colormap, reason = None, str(error)
    else:
        # A named map comes from the library (its name checked by titiler): only a client's own
        # JSON is checked.
        if (
            colormap is None
            or values.get("colormap_name")
            or (
                isinstance(colormap, dict)
                and all(isinstance(k, int) and _is_colour(v) for k, v in colormap.items())
            )
        ):
            return colormap
        if isinstance(colormap, list) and all(
            isinstance(entry, tuple) and _is_interval(entry[0]) and _is_colour(entry[1])
            for entry in colormap
        ):
            return colormap
        reason = "not a colour map"
    raise BadRequestError(
        f'colormap: {reason}. Send {{"value": [r, g, b, a], ...}} with integer values, or '
        "[[[min, max], [r, g, b, a]], ...] with finite min <= max; colours are 0 to 255."
    )


checked_colormap.__signature__ = inspect.signature(ColorMapParams)  # type: ignore[attr-defined]


COORDINATES = ("lon", "lat", "minx", "miny", "maxx", "maxy")


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None  # not a number: FastAPI's own validation answers 422


def _shown(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)


async def checked_path(request: Request) -> None:
    """A router dependency for what the factories take as bare path parameters, which no
    parameter class can bound: ids without NUL bytes, finite coordinates, a tile inside its
    matrix set, a ``tilesize`` within the limit. No I/O: run in the event loop."""
    limits: Limits = request.app.state.limits
    params = request.path_params
    for name, value in params.items():
        if "\x00" in value:
            raise BadRequestError(f"path parameter '{name}' contains a NUL byte")
    for name in COORDINATES:
        number = _number(params.get(name))
        if number is not None and not math.isfinite(number):
            raise BadRequestError(f"{name}={params[name]} is not a finite number")
    limits.check_side("tilesize", _number(request.query_params.get("tilesize")))
    tms_id = params.get("tileMatrixSetId")
    if tms_id not in TILE_MATRIX_SETS.list() or not {"z", "x", "y"} <= params.keys():
        return
    tms = TILE_MATRIX_SETS.get(tms_id)
    z, x, y = (_number(params[k]) for k in ("z", "x", "y"))
    if z is None or x is None or y is None:
        return
    if not tms.minzoom <= z <= tms.maxzoom:
        raise BadRequestError(
            f"zoom {_shown(z)} is outside {tms_id}'s zoom levels: "
            f"from {tms.minzoom} to {tms.maxzoom}"
        )
    matrix = tms.matrix(int(z))
    if not (0 <= x < matrix.matrixWidth and 0 <= y < matrix.matrixHeight):
        raise BadRequestError(
            f"tile {'/'.join(map(_shown, (z, x, y)))} is outside {tms_id}'s matrix at zoom "
            f"{_shown(z)}: x from 0 to "
            f"{matrix.matrixWidth - 1}, y from 0 to {matrix.matrixHeight - 1}"
        )

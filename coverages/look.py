"""How a coverage is drawn: its collection's render (the default one, or one asked by name),
the same at every zoom, from the pyramid or from the items."""

from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException
from titiler.core.dependencies import _parse_asset

from tiler.renders import default_render


@dataclass(frozen=True)
class Look:
    indexes: list[int] | None
    """Bands of the image asset (all when None)."""
    rescale: list[tuple[float, float]]
    resampling: str = "bilinear"
    color_formula: str | None = None


def look(renders: dict[str, dict[str, Any]], asset: str, name: str | None) -> Look:
    """The render ``name`` of ``renders`` (titiler's query form), else the default render."""
    if name is not None and name not in renders:
        known = ", ".join(sorted(renders)) or "none"
        raise HTTPException(400, f"no render '{name}' for this coverage (renders: {known})")
    render = renders[name] if name is not None else default_render(renders) or {}
    assets = _parse_asset(render.get("assets") or [])
    indexes = next(
        (a.get("indexes") for a in assets if isinstance(a, dict) and a.get("name") == asset),
        None,
    )
    rescale = [
        (float(low), float(high))
        for low, high in (str(pair).split(",") for pair in render.get("rescale") or [])
    ]
    return Look(
        indexes=list(indexes) if indexes else None,
        rescale=rescale,
        resampling=render.get("resampling", "bilinear"),
        color_formula=render.get("color_formula"),
    )

"""One raw scene to one ortho-rectified COG."""

import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ortho.geometry import fit_rpc
from ortho.scene import Scene, dem_heights
from ortho.vertical import undulation
from ortho.warp import WarpOptions, check_cog, gdalwarp_command, run_gdalwarp, with_rpc

# Heights the RPCs must hold beyond the DEM's sampled extremes (m).
HEIGHT_MARGIN = 100.0


def rectify_command(scene: Scene, options: WarpOptions, target: Path, workdir: Path) -> list[str]:
    """The gdalwarp command rectifying ``scene`` into ``target``, its RPC VRT in ``workdir``."""
    base = float(sum(g.z or 0.0 for g in scene.gcps) / len(scene.gcps))
    low, high = dem_heights(options.dem, scene.bbox) if options.dem else (base, base)
    if options.dem and options.dem_crs:
        # The RPCs' heights are above the ellipsoid, as GDAL will make the DEM's.
        geoid = undulation(options.dem_crs, *scene.centre)
        low, high = low + geoid, high + geoid
    rpc = fit_rpc(
        scene.gcps,
        scene.view,
        (low - HEIGHT_MARGIN, high + HEIGHT_MARGIN),
        (scene.width, scene.height),
    )
    source = with_rpc(scene.image, rpc, workdir / "scene.vrt")
    # Without a DEM the scene lies flat at its tie points' height, as the tiler shows it.
    flat = options if options.dem else replace(options, height=base)
    return gdalwarp_command(source, target, flat)


def rectify(
    scene: Scene,
    options: WarpOptions,
    target: Path,
    progress: Callable[[float], None] = lambda _: None,
    should_abort: Callable[[], bool] = lambda: False,
) -> None:
    """Write ``scene`` ortho-rectified to ``target`` (a valid COG, or nothing); the RPC VRT is
    made beside it, in a folder named after it."""
    with tempfile.TemporaryDirectory(prefix=f"{target.name}.work-", dir=target.parent) as workdir:
        command = rectify_command(scene, options, target, Path(workdir))
        try:
            run_gdalwarp(command, progress, should_abort)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
    check_cog(target)

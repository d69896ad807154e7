"""Running ``gdalwarp`` on a raw scene's RPCs, with a DEM, straight to a COG, reporting
GDAL's own progress."""

import contextlib
import ctypes
import logging
import re
import shutil
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import rasterio
from rasterio.rpc import RPC
from rasterio.shutil import copy
from rio_cogeo.cogeo import cog_validate

from ingest.cog import BLOCKSIZE, cog_profile

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
# GDAL's terminal progress: "0...10...20...", one tick every 2.5 %.
_TICK = re.compile(r"(\d+)(?=\.)|\.")


class WarpError(RuntimeError):
    """gdalwarp failed; the message is GDAL's own."""


class WarpCancelledError(RuntimeError):
    """The job was cancelled while gdalwarp ran."""


@dataclass(frozen=True)
class WarpOptions:
    crs: str
    resolution: float
    resampling: str
    dem: Path | None
    """A DEM (any GDAL raster, a VRT of tiles typically); ``None``: flat at ``height``."""
    dem_crs: str | None = None
    """The CRS of the DEM's heights, vertical datum included, where its file does not say it."""
    height: float = 0.0
    nodata: float | None = None
    threads: int = 2
    memory_mb: int = 512

    def arguments(self) -> list[str]:
        """gdalwarp's arguments for these options, writing a COG of rio-cogeo's deflate
        profile (the one ingest uses)."""
        profile = cog_profile("deflate")
        transformer = (
            ["-to", f"RPC_DEM={self.dem}", "-to", "RPC_DEMINTERPOLATION=bilinear"]
            + (["-to", f"RPC_DEM_SRS={self.dem_crs}"] if self.dem_crs else [])
            if self.dem
            else ["-to", f"RPC_HEIGHT={self.height}"]
        )
        # Outside the scene: the source's no-data value, or an alpha band when it has none.
        nodata = (
            ["-dstalpha"]
            if self.nodata is None
            else ["-srcnodata", str(self.nodata), "-dstnodata", str(self.nodata)]
        )
        return [
            "-rpc",
            *transformer,
            "-t_srs", self.crs,
            "-tr", str(self.resolution), str(self.resolution),
            "-tap",
            "-r", self.resampling,
            *nodata,
            "-wm", str(self.memory_mb),
            "-multi", "-wo", f"NUM_THREADS={self.threads}",
            "-of", "COG",
            "-co", f"COMPRESS={profile['compress']}",
            "-co", f"BLOCKSIZE={BLOCKSIZE}",
            "-co", f"PREDICTOR={'YES' if profile.get('predictor') else 'NO'}",
            "-co", "BIGTIFF=IF_SAFER",
            "-co", "OVERVIEWS=AUTO",
            "-co", "OVERVIEW_RESAMPLING=AVERAGE",
            "-co", f"NUM_THREADS={self.threads}",
            "-overwrite",
        ]  # fmt: skip


def with_rpc(source: Path, rpc: RPC, vrt: Path) -> Path:
    """A VRT of ``source`` carrying ``rpc``: the raw pixels, untouched, with a 3-D model."""
    copy(source, vrt, driver="VRT")
    with rasterio.open(vrt, "r+") as dst:
        dst.rpcs = rpc
    return vrt


def _die_with_parent() -> None:
    # A worker killed mid-job must not leave gdalwarp writing behind it.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def gdalwarp_command(source: Path, target: Path, options: WarpOptions) -> list[str]:
    executable = shutil.which("gdalwarp")
    if executable is None:
        raise WarpError("gdalwarp is not installed (Debian package gdal-bin)")
    return [executable, *options.arguments(), str(source), str(target)]


def run_gdalwarp(
    command: list[str],
    progress: Callable[[float], None] = lambda _: None,
    should_abort: Callable[[], bool] = lambda: False,
) -> None:
    """Run ``command``, calling ``progress`` with GDAL's percentage as it reports it."""
    log.info("running %s", " ".join(command))
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_die_with_parent,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        ticks = 0
        while chunk := process.stdout.read1(256):
            for match in _TICK.finditer(chunk.decode(errors="replace")):
                ticks = int(match.group(1)) // 10 * 4 if match.group(1) else ticks + 1
                progress(min(ticks * 2.5, 100.0))
            if should_abort():
                process.kill()
                raise WarpCancelledError("cancelled")
        errors = process.stderr.read().decode(errors="replace").strip()
        if process.wait() != 0:
            raise WarpError(errors.splitlines()[-1] if errors else f"exit {process.returncode}")


_UNTILED_OVERVIEW = re.compile(r"Overview of index (\d+) is not tiled")


def _tiled_overview(path: Path, error: str) -> bool:
    """rio-cogeo takes an overview exactly one block wide (512 by more than 512) for a strip;
    its blocks say whether it is."""
    match = _UNTILED_OVERVIEW.fullmatch(error)
    if match is None:
        return False
    with rasterio.open(path, OVERVIEW_LEVEL=int(match.group(1))) as overview:
        return overview.block_shapes[0] == (BLOCKSIZE, BLOCKSIZE)


def check_cog(path: Path) -> None:
    _, found, _ = cog_validate(path, quiet=True)
    errors = [error for error in found if not _tiled_overview(path, error)]
    if errors:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        raise WarpError(f"the written COG is not valid: {'; '.join(errors)}")

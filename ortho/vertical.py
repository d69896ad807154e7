"""A DEM's heights above the ellipsoid, where they are heights above a geoid.

The tie points of a raw scene, and so the RPCs fitted to them, are heights above the WGS 84
ellipsoid; GDAL's RPC transformer reads a DEM's heights as such too unless told their CRS
(``RPC_DEM_SRS``). Global DEMs give heights above a geoid (SRTM: EGM96, Copernicus: EGM2008),
which over France lies 45 to 55 m above the ellipsoid: read as ellipsoidal, every height is off
by that much, and the scene by that times tan(incidence) on the ground (27 m at 27°, eleven
pixels of SPOT 5). GDAL also ignores, without a word, a CRS it cannot parse or a geoid whose
grid is not installed; so the CRS is tried first, with the GDAL that runs ``gdalwarp``, at the
scene.
"""

import shutil
import subprocess

from pyproj import CRS
from pyproj.crs import CompoundCRS
from pyproj.exceptions import CRSError

from dinamis.refusal import N_
from ortho.scene import SceneError

# Heights above the WGS 84 ellipsoid, what the RPCs' heights are.
ELLIPSOIDAL = "EPSG:4979"
TIMEOUT_S = 30


def _vertical(crs: CRS) -> CRS | None:
    # pyproj calls a compound CRS vertical when one of its parts is.
    if crs.is_compound:
        return next((part for part in crs.sub_crs_list if part.is_vertical), None)
    return crs if crs.is_vertical else None


def undulation(dem_crs: str, lon: float, lat: float) -> float:
    """How far above the ellipsoid height 0 of ``dem_crs`` lies at (lon, lat), in metres (0
    for heights that are ellipsoidal already), or :class:`SceneError` when GDAL cannot say."""
    try:
        vertical = _vertical(CRS.from_user_input(dem_crs))
    except CRSError as error:
        raise SceneError(
            N_("the DEM's CRS '%(crs)s' is not understood (%(error)s)"),
            crs=dem_crs,
            error=str(error),
        ) from None
    if vertical is None:
        return 0.0
    probe = CompoundCRS(name="probe", components=[CRS.from_epsg(4326), vertical]).to_wkt()
    executable = shutil.which("gdaltransform")
    if executable is None:
        raise SceneError(N_("gdaltransform is not installed (Debian package gdal-bin)"))
    done = subprocess.run(
        [executable, "-s_srs", probe, "-t_srs", ELLIPSOIDAL],
        input=f"{float(lon)!r} {float(lat)!r} 0\n",
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    fields = done.stdout.split()
    if done.returncode != 0 or len(fields) != 3:
        reason = done.stderr.strip() or "no answer from GDAL"
        raise SceneError(
            N_("the DEM's heights (%(datum)s) cannot be converted: %(reason)s"),
            datum=vertical.name,
            reason=reason,
        )
    height = float(fields[2])
    # No geoid lies exactly on the ellipsoid: 0 is GDAL leaving the height as it was.
    if height == 0.0:
        raise SceneError(
            N_(
                "the DEM's heights (%(datum)s) cannot be converted to heights above the "
                "ellipsoid on this server: the geoid model's grid is not installed"
            ),
            datum=vertical.name,
        )
    return height

"""Control points land where the known sensor model puts them: within a pixel with the DEM,
tens of pixels off without it (the relief's parallax)."""

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.warp import transform

from ortho.rectify import rectify
from ortho.scene import Scene, SceneError
from ortho.vertical import undulation
from ortho.warp import WarpOptions
from tests.ortho.scenes import GSD, Truth

EGM96 = "EPSG:4326+5773"


def _scene(truth: Truth, image: Path) -> Scene:
    gcps = tuple(truth.gcps())
    return Scene(
        collection="test", item_id="TRUTH", image=image, width=truth.width, height=truth.height,
        gcps=gcps, view=truth.view(), nodata=-9999, item={},
        bbox=(min(g.x for g in gcps), min(g.y for g in gcps),
              max(g.x for g in gcps), max(g.y for g in gcps)),
    )  # fmt: skip


def _errors(truth: Truth, ortho: Path) -> np.ndarray:
    """Distance (raw pixels) between where each ortho pixel was taken from and the truth,
    over a grid of control points inside the scene."""
    with rasterio.open(ortho) as src:
        data = src.read()
        rows, cols = np.mgrid[8 : src.height - 8 : 7, 8 : src.width - 8 : 7]
        xs, ys = rasterio.transform.xy(src.transform, rows.ravel(), cols.ravel())
        lon, lat = transform(src.crs, "EPSG:4326", xs, ys)
    got_col = data[0][rows.ravel(), cols.ravel()]
    got_row = data[1][rows.ravel(), cols.ravel()]
    true_col, true_row = truth.seen_from(np.array(lon), np.array(lat))
    inside = (got_col > 2) & (got_col < truth.width - 2)
    inside &= (got_row > 2) & (got_row < truth.height - 2)
    assert inside.sum() > 500, "too few control points inside the scene"
    return np.hypot(got_col - true_col, got_row - true_row)[inside]


@pytest.mark.parametrize("signed_incidence", [23.0, -17.0])
def test_control_points_within_a_pixel_with_the_dem(tmp_path: Path, signed_incidence: float):
    truth = Truth(width=500, height=400, signed_incidence=signed_incidence, mountain=1800.0)
    scene = _scene(truth, truth.write_scene(tmp_path / "raw.tif"))
    dem = truth.write_dem(tmp_path / "dem.tif")
    options = WarpOptions(crs="EPSG:32632", resolution=GSD, resampling="bilinear", dem=dem,
                          nodata=-9999)  # fmt: skip
    rectify(scene, options, tmp_path / "with.tif")
    rectify(scene, WarpOptions(**{**options.__dict__, "dem": None}), tmp_path / "without.tif")
    with_dem = _errors(truth, tmp_path / "with.tif")
    without = _errors(truth, tmp_path / "without.tif")
    assert with_dem.max() < 1.0, f"with the DEM, worst control point off by {with_dem.max():.2f} px"
    # The parallax of the relief: up to 2100 m · tan(incidence) / 20 m.
    assert np.median(without) > 10 * max(np.median(with_dem), 0.1)
    assert without.max() > 20


def test_a_dem_above_the_geoid_is_placed_by_its_declared_datum(tmp_path: Path):
    """SRTM-like heights above EGM96 (about 52 m below the ellipsoid's over the Alps): declared,
    the scene lands as with ellipsoidal heights; read as ellipsoidal, 52 m · tan(27°) off."""
    truth = Truth(width=400, height=300, signed_incidence=27.0, mountain=1800.0)
    scene = _scene(truth, truth.write_scene(tmp_path / "raw.tif"))
    dem = truth.write_dem(tmp_path / "dem.tif", crs=EGM96)
    options = WarpOptions(crs="EPSG:32632", resolution=GSD, resampling="bilinear", dem=dem,
                          dem_crs=EGM96, nodata=-9999)  # fmt: skip
    rectify(scene, options, tmp_path / "declared.tif")
    rectify(scene, replace(options, dem_crs=None), tmp_path / "undeclared.tif")
    declared = _errors(truth, tmp_path / "declared.tif")
    undeclared = _errors(truth, tmp_path / "undeclared.tif")
    assert declared.max() < 0.5, f"declared, worst control point off by {declared.max():.2f} px"
    shift = 52 * math.tan(math.radians(27)) / GSD
    assert abs(np.median(undeclared) - shift) < 0.25 * shift, np.median(undeclared)


def test_the_undulation_is_gdals_or_the_datum_is_refused():
    assert 45 < undulation(EGM96, 6.2, 45.1) < 60  # EGM96 over the Alps
    assert undulation("EPSG:4979", 6.2, 45.1) == 0.0  # heights above the ellipsoid already
    assert undulation("EPSG:4326", 6.2, 45.1) == 0.0  # no vertical datum: GDAL's reading
    with pytest.raises(SceneError, match="not understood"):
        undulation("EPSG:4326+999999", 6.2, 45.1)
    # EGM2008's grid (75 MB) is not in Debian's PROJ data, whose EGM96 grid is.
    with pytest.raises(SceneError, match="grid is not installed"):
        undulation("EPSG:4326+3855", 6.2, 45.1)

"""The ortho settings refuse, at start, a datum given for a DEM they do not offer."""

import pytest
from pydantic import ValidationError

from ortho.settings import OrthoSettings


def test_a_datum_for_an_unknown_dem_is_refused(tmp_path):
    dem = tmp_path / "srtm.vrt"
    assert OrthoSettings(dems={"srtm": dem}, dem_crs={"srtm": "EPSG:4326+5773"}).dem_crs
    with pytest.raises(ValidationError, match="dem_crs names DEMs that dems does not: cop"):
        OrthoSettings(dems={"srtm": dem}, dem_crs={"cop": "EPSG:4326+3855"})

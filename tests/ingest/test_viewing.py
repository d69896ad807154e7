"""Viewing geometry of the items against what the products' RPCs say.

STAC's ``view:azimuth`` is the satellite's azimuth seen from the scene centre, clockwise from
north. Pléiades Neo writes it (AZIMUTH_ANGLE, next to IMAGE_ORIENTATION); Pléiades 1A/1B and
SPOT 6/7 write the along-track axis' orientation there, and the ingest derives the azimuth
from the along- and across-track incidences (ingest.viewing).
"""

import re
import shutil
from pathlib import Path

import pytest

from ingest import dimap2
from ingest.rpc import read_rpc
from ingest.testing import make_dimap2_product
from ingest.viewing import viewing_azimuth
from tests.ingest.viewing import angle_between, off_nadir, rpc_view, sun_position

PNEO = "asp_plot/pleiades/DIM_PNEO3_202111071029126_PAN_trimmed.XML"
PNEO_RPC = "asp_plot/pleiades/RPC_PNEO3_202111071029126_PAN_trimmed.XML"


def test_real_pleiades_neo_azimuth_agrees_with_its_rpc(samples: Path, tmp_path: Path) -> None:
    """A real Pléiades Neo sensor DIM (its imagery left out of the sample): the azimuth and
    incidence the ingest publishes match the direction its RPC gives, within 2° and 0.5°."""
    if not (samples / PNEO).is_file():
        pytest.skip(
            "Airbus's Pléiades Neo sample (uw-cryo/asp_plot) is not redistributed: point "
            "DINAMIS_SAMPLES_DIR at a copy that holds it"
        )
    folder = tmp_path / "pneo"
    folder.mkdir()
    dim = folder / Path(PNEO).name
    shutil.copy(samples / PNEO, dim)
    text = dim.read_text()
    # Deliver the RPC under the name the DIM gives it, and empty image files: parsing needs
    # the files there, not their pixels.
    rpc_href = re.search(r'COMPONENT_PATH href="(RPC_[^"]+)"', text)
    assert rpc_href is not None
    shutil.copy(samples / PNEO_RPC, folder / rpc_href[1])
    for href in re.findall(r'DATA_FILE_PATH href="([^"]+)"', text):
        (folder / href).touch()
    product = dimap2.read_product(dim)
    assert product.rpc_file is not None, "the sample's RPC is read"
    center = re.search(r"<Center>\s*<LON>([\d.]+)</LON>\s*<LAT>([\d.]+)</LAT>", text)
    assert center is not None
    azimuth, incidence = rpc_view(read_rpc(product.rpc_file), float(center[1]), float(center[2]))
    assert product.angles.azimuth is not None and product.angles.incidence is not None
    assert angle_between(product.angles.azimuth, azimuth) < 2
    assert product.angles.incidence == pytest.approx(incidence, abs=0.5)
    # Off-nadir: the same line of sight seen from the satellite, 630 km up (SATELLITE_ALTITUDE).
    assert product.angles.off_nadir == pytest.approx(off_nadir(incidence, 630_099), abs=0.5)
    # Sun: where it stood at the acquisition time over the scene centre.
    sun_azimuth, sun_elevation = sun_position(product.datetime, float(center[1]), float(center[2]))
    assert angle_between(product.angles.sun_azimuth, sun_azimuth) < 1
    assert product.angles.sun_elevation == pytest.approx(sun_elevation, abs=1)


# (location, AZIMUTH_ANGLE, INCIDENCE_ANGLE_ALONG_TRACK, INCIDENCE_ANGLE_ACROSS_TRACK) of the
# nine Located_Geometric_Values of a real Pléiades Neo 3 sensor DIM, Marseille, 2021-11-07
# (DIM_PNEO3_202111071029126_PAN, uw-cryo/asp_plot tests/test_data/pleiades/, commit
# 6aae728c8218e4a045d6157e818813e9883aa0e3). The figures only: the file itself, Airbus sample
# data under an EULA, is not redistributed (tests/data/SOURCES.md). Its RPC gives 63.2° at the
# scene centre (test_real_pleiades_neo_azimuth_agrees_with_its_rpc, where the file is at hand).
PNEO_LOCATED = [
    ("TopLeft", 63.7237, -10.2225, 20.1635),
    ("TopCenter", 63.2733, -10.2112, 19.7030),
    ("TopRight", 62.8051, -10.1988, 19.2429),
    ("BottomLeft", 63.2874, -10.3107, 19.9778),
    ("BottomCenter", 62.8295, -10.2975, 19.5173),
    ("BottomRight", 62.3534, -10.2832, 19.0572),
    ("CenterLeft", 63.5065, -10.2552, 20.0763),
    ("Center", 63.0525, -10.2433, 19.6159),
    ("CenterRight", 62.5803, -10.2303, 19.1558),
]


@pytest.mark.parametrize(("location", "azimuth", "along", "across"), PNEO_LOCATED)
def test_along_and_across_track_incidences_give_the_azimuth_on_real_values(
    location: str, azimuth: float, along: float, across: float
) -> None:
    """The sign convention of ingest.viewing on real numbers: Pléiades Neo's incidences, in
    a frame whose along-track axis points south (the 180° Pléiades 1A/1B write as
    AZIMUTH_ANGLE), give the azimuth it states next to them."""
    assert angle_between(viewing_azimuth(180.0, along, across), azimuth) < 0.5


@pytest.mark.parametrize("mission", ["PHR", "SPOT", "PNEO"])
@pytest.mark.parametrize(("azimuth", "incidence"), [(268.3, 20.0), (35.0, 8.0), (150.0, 30.0)])
def test_sensor_product_azimuth_agrees_with_its_rpc(
    tmp_path: Path, mission: str, azimuth: float, incidence: float
) -> None:
    dim = make_dimap2_product(
        tmp_path,
        mission=mission,
        spectral="P",
        level="SEN",
        tiles=(1, 1),
        incidence=incidence,
        view_azimuth=azimuth,
        volume=False,
    )
    product = dimap2.read_product(dim)
    assert product.rpc_file is not None
    rpc = read_rpc(product.rpc_file)
    from_rpc, incidence_from_rpc = rpc_view(rpc, rpc.long_off, rpc.lat_off)
    assert product.angles.azimuth is not None
    assert angle_between(product.angles.azimuth, from_rpc) < 2
    assert angle_between(from_rpc, azimuth) < 2, "the generator's RPC looks from there"
    assert product.angles.incidence == pytest.approx(incidence_from_rpc, abs=0.5)
    assert product.angles.sun_azimuth == 150.0 and product.angles.sun_elevation == 60.0


def test_pleiades_orientation_alone_is_no_azimuth(tmp_path: Path) -> None:
    """A Pléiades DIM without the along/across-track incidences: no view:azimuth rather
    than the scene orientation passed off as one."""
    dim = make_dimap2_product(tmp_path, level="SEN", volume=False)
    text = re.sub(r"<INCIDENCE_ANGLE_A(LONG|CROSS)_TRACK[^<]*</[^>]+>", "", dim.read_text())
    dim.write_text(text)
    product = dimap2.read_product(dim)
    assert product.angles.azimuth is None
    assert product.angles.incidence == 12.5


@pytest.mark.parametrize(
    ("mission", "spectral", "level", "gsd", "expected"),
    [
        ("PHR", "MS", "SEN", 2.8, 2.8),  # the DIM states the panchromatic 0.7 m
        ("PHR", "P", "SEN", 0.7, 0.7),
        ("PHR", "PMS", "SEN", 0.7, 0.7),
        ("SPOT", "MS", "SEN", 6.0, 6.0),
        ("PNEO", "MS-FS", "SEN", 1.2, 1.2),  # Pléiades Neo states its own group's
        ("PHR", "MS", "ORT", 2.0, 2.0),  # map products: the resampling grid
    ],
)
def test_gsd_is_that_of_the_products_band_group(
    tmp_path: Path, mission: str, spectral: str, level: str, gsd: float, expected: float
) -> None:
    dim = make_dimap2_product(
        tmp_path, mission=mission, spectral=spectral, level=level, gsd=gsd, volume=False
    )
    assert dimap2.read_product(dim).gsd == pytest.approx(expected)

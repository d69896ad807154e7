"""Passes over an area from fixed TLEs, and their incidence checked against an independent
computation (SGP4 positions rotated to the Earth-fixed frame by hand)."""

import math
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sgp4.api import Satrec, jday

from orders.opportunities import TleError, parse_tles, passes, sun_elevation

TLES = parse_tles((Path(__file__).parent / "data" / "tles.txt").read_text())
TOULOUSE = (1.44, 43.60)
START, END = datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC)


def incidence_by_hand(tle: tuple[str, str, str], when: datetime, lon: float, lat: float) -> float:
    satellite = Satrec.twoline2rv(tle[1], tle[2])
    jd, fraction = jday(*when.timetuple()[:5], when.second + when.microsecond / 1e6)
    error, teme, _ = satellite.sgp4(jd, fraction)
    assert error == 0
    # Greenwich mean sidereal time (IAU 1982), then a rotation about the pole.
    t = (jd + fraction - 2451545.0) / 36525
    gmst = math.radians(
        (67310.54841 + (876600 * 3600 + 8640184.812866) * t + 0.093104 * t**2) % 86400 / 240
    )
    x = math.cos(gmst) * teme[0] + math.sin(gmst) * teme[1]
    y = -math.sin(gmst) * teme[0] + math.cos(gmst) * teme[1]
    z = teme[2]
    # The target on the WGS84 ellipsoid, and its vertical.
    a, f = 6378.137, 1 / 298.257223563
    e2 = f * (2 - f)
    phi, lam = math.radians(lat), math.radians(lon)
    n = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
    target = (
        n * math.cos(phi) * math.cos(lam),
        n * math.cos(phi) * math.sin(lam),
        n * (1 - e2) * math.sin(phi),
    )
    up = (math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi))
    sight = (x - target[0], y - target[1], z - target[2])
    cosine = sum(s * u for s, u in zip(sight, up, strict=True)) / math.dist((x, y, z), target)
    return math.degrees(math.acos(cosine))


def test_daylight_passes_over_toulouse_within_the_incidence_limit() -> None:
    found = passes(TLES, *TOULOUSE, START, END, max_incidence=30)
    assert [(p.satellite, p.culmination.strftime("%d %H:%M")) for p in found] == [
        ("PLEIADES 1B", "20 09:14"),
        ("SPOT 6", "20 09:38"),
        ("PLEIADES 1A", "21 09:06"),
        ("SPOT 7", "21 09:31"),
        ("SPOT 6", "22 09:23"),
    ]
    by_name = {tle[0]: tle for tle in TLES}
    for p in found:
        assert p.incidence_angle <= 30
        assert p.start <= p.culmination <= p.end
        assert sun_elevation(p.culmination, *TOULOUSE) >= 10
        assert p.incidence_angle == pytest.approx(
            incidence_by_hand(by_name[p.satellite], p.culmination, *TOULOUSE), abs=0.1
        )


def test_a_tighter_incidence_keeps_a_subset_and_night_passes_are_left_out() -> None:
    wide = passes(TLES, *TOULOUSE, START, END, max_incidence=30)
    narrow = passes(TLES, *TOULOUSE, START, END, max_incidence=15)
    assert {p.culmination for p in narrow} < {p.culmination for p in wide}
    assert all(p.incidence_angle <= 15 for p in narrow)
    nights = passes(TLES, *TOULOUSE, START, END, max_incidence=30, min_sun_elevation=-90)
    assert len(nights) > len(wide)  # the ascending passes at 20:00 UTC, in the dark


def test_the_sun_is_overhead_at_the_tropic_at_the_june_solstice() -> None:
    assert sun_elevation(datetime(2026, 6, 21, 12, tzinfo=UTC), 0, 23.44) == pytest.approx(
        90, abs=1
    )
    assert sun_elevation(datetime(2026, 6, 21, 0, tzinfo=UTC), 0, 45) < 0


def test_a_damaged_tle_is_refused() -> None:
    name, line1, line2 = TLES[0]
    with pytest.raises(TleError, match="checksum"):
        parse_tles(
            f"{name}\n{line1}\n{line2[:-1]}0"
            if line2[-1] != "0"
            else f"{name}\n{line1}\n{line2[:-1]}1"
        )
    with pytest.raises(TleError, match="three lines"):
        parse_tles(f"{line1}\n{line2}")

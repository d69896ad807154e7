"""Acquisition opportunities: the passes of a product's satellites over an area of interest,
with the incidence angle they would see it at, computed from the TLEs the operator loaded."""

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from skyfield.api import EarthSatellite, Timescale, load, wgs84


class TleError(ValueError):
    """A TLE file that cannot be read; the message names the line."""


@dataclass(frozen=True)
class Pass:
    satellite: str
    start: datetime
    """When the satellite rises above the incidence limit (or the window's start)."""
    end: datetime
    culmination: datetime
    incidence_angle: float
    """Angle between the line of sight and the local vertical at the target, at culmination."""
    azimuth: float
    """Direction of the satellite seen from the target at culmination, degrees from north."""


@lru_cache(maxsize=1)
def _timescale() -> Timescale:
    # Skyfield's bundled leap-second and Earth-orientation tables: nothing downloaded.
    return load.timescale(builtin=True)


_J2000 = datetime(2000, 1, 1, 12, tzinfo=UTC)


def sun_elevation(when: datetime, longitude: float, latitude: float) -> float:
    """The Sun's elevation in degrees (to about a degree: the Almanac's low-precision formulas,
    enough to tell a daylight pass from a night one without an ephemeris file)."""
    d = (when - _J2000).total_seconds() / 86400
    g = math.radians(357.529 + 0.98560028 * d)
    ecliptic = math.radians(
        280.459 + 0.98564736 * d + 1.915 * math.sin(g) + 0.020 * math.sin(2 * g)
    )
    obliquity = math.radians(23.439 - 0.00000036 * d)
    right_ascension = math.atan2(math.cos(obliquity) * math.sin(ecliptic), math.cos(ecliptic))
    declination = math.asin(math.sin(obliquity) * math.sin(ecliptic))
    sidereal = math.radians((280.46061837 + 360.98564736629 * d + longitude) % 360)
    hour_angle = sidereal - right_ascension
    lat = math.radians(latitude)
    return math.degrees(
        math.asin(
            math.sin(lat) * math.sin(declination)
            + math.cos(lat) * math.cos(declination) * math.cos(hour_angle)
        )
    )


def parse_tles(text: str) -> list[tuple[str, str, str]]:
    """(name, line 1, line 2) of each satellite of a three-line TLE file."""
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    if len(lines) % 3:
        raise TleError("a TLE file holds three lines per satellite: name, line 1, line 2.")
    tles = []
    for index in range(0, len(lines), 3):
        name, line1, line2 = lines[index : index + 3]
        name = name.removeprefix("0 ").strip()
        if not (line1.startswith("1 ") and line2.startswith("2 ")):
            raise TleError(f"the lines after '{name}' are not TLE lines 1 and 2.")
        for number, line in ((1, line1), (2, line2)):
            if len(line) != 69 or not _checksum_ok(line):
                raise TleError(f"line {number} of '{name}' is malformed or fails its checksum.")
        tles.append((name, line1, line2))
    return tles


def _checksum_ok(line: str) -> bool:
    total = sum(int(c) if c.isdigit() else (1 if c == "-" else 0) for c in line[:68])
    return line[68].isdigit() and total % 10 == int(line[68])


def passes(
    tles: list[tuple[str, str, str]],
    longitude: float,
    latitude: float,
    start: datetime,
    end: datetime,
    max_incidence: float,
    min_sun_elevation: float = 10,
) -> list[Pass]:
    """Daylight passes over (``longitude``, ``latitude``) between ``start`` and ``end`` seen at
    an incidence of at most ``max_incidence`` degrees, in time order. The incidence at the
    target is the satellite's zenith angle seen from it: 90° minus its elevation; optical
    imagers need the Sun at least ``min_sun_elevation`` degrees above the horizon."""
    ts = _timescale()
    target = wgs84.latlon(latitude, longitude)
    t0, t1 = ts.from_datetime(start), ts.from_datetime(end)
    found: list[Pass] = []
    for name, line1, line2 in tles:
        satellite = EarthSatellite(line1, line2, name, ts)
        times, events = satellite.find_events(target, t0, t1, altitude_degrees=90 - max_incidence)
        rise = start
        for time, event in zip(times, events, strict=True):
            when = time.utc_datetime()
            if event == 0:
                rise = when
            elif event == 1:
                if sun_elevation(when, longitude, latitude) < min_sun_elevation:
                    continue
                altitude, azimuth, _ = (satellite - target).at(time).altaz()
                setting = next(
                    (
                        t.utc_datetime()
                        for t, e in zip(times, events, strict=True)
                        if e == 2 and t.tt > time.tt
                    ),
                    end,
                )
                found.append(
                    Pass(
                        satellite=name,
                        start=rise,
                        end=setting,
                        culmination=when,
                        incidence_angle=round(90 - float(altitude.degrees), 2),
                        azimuth=round(float(azimuth.degrees), 2),
                    )
                )
    return sorted(found, key=lambda p: p.culmination)

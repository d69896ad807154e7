"""The viewing geometry a product's RPC implies, to check the DIM's angles against."""

import math
from datetime import datetime

from pyproj import Geod
from rasterio.rpc import RPC
from rasterio.transform import RPCTransformer

WGS84 = Geod(ellps="WGS84")
EARTH_RADIUS = 6_371_000.0


def rpc_view(rpc: RPC, lon: float, lat: float) -> tuple[float, float]:
    """(azimuth, incidence) in degrees of the satellite seen from the ground point (lon, lat).

    The pixel that images the point at the RPC's reference height images, higher up, points
    lying on the line of sight towards the satellite: located again ``dh`` metres higher, it
    falls ``dh·tan(incidence)`` from the point, in the satellite's direction.
    """
    height, dh = rpc.height_off, rpc.height_scale / 2
    with RPCTransformer(rpc) as transformer:
        row, col = transformer.rowcol(lon, lat, zs=height, op=lambda x: x)
        up_lon, up_lat = transformer.xy(row, col, zs=height + dh, offset="ul")
        ground_lon, ground_lat = transformer.xy(row, col, zs=height, offset="ul")
    azimuth, _, distance = WGS84.inv(ground_lon, ground_lat, up_lon, up_lat)
    return azimuth % 360, math.degrees(math.atan2(distance, dh))


def angle_between(a: float, b: float) -> float:
    return abs((a - b + 180) % 360 - 180)


def sun_position(when: datetime, lon: float, lat: float) -> tuple[float, float]:
    """(azimuth, elevation) of the sun in degrees, NOAA's low-precision formulas (~0.1°)."""
    day = when.timetuple().tm_yday
    hours = when.hour + when.minute / 60 + when.second / 3600
    gamma = 2 * math.pi / 365 * (day - 1 + (hours - 12) / 24)
    equation_of_time = 229.18 * (
        0.000075
        + 0.001868 * math.cos(gamma)
        - 0.032077 * math.sin(gamma)
        - 0.014615 * math.cos(2 * gamma)
        - 0.040849 * math.sin(2 * gamma)
    )
    declination = (
        0.006918
        - 0.399912 * math.cos(gamma)
        + 0.070257 * math.sin(gamma)
        - 0.006758 * math.cos(2 * gamma)
        + 0.000907 * math.sin(2 * gamma)
        - 0.002697 * math.cos(3 * gamma)
        + 0.00148 * math.sin(3 * gamma)
    )
    solar_minutes = hours * 60 + equation_of_time + 4 * lon
    hour_angle = math.radians(solar_minutes / 4 - 180)
    phi = math.radians(lat)
    cos_zenith = math.sin(phi) * math.sin(declination) + math.cos(phi) * math.cos(
        declination
    ) * math.cos(hour_angle)
    zenith = math.acos(max(-1.0, min(1.0, cos_zenith)))
    azimuth = math.degrees(
        math.atan2(
            math.sin(hour_angle),
            math.cos(hour_angle) * math.sin(phi) - math.tan(declination) * math.cos(phi),
        )
    )
    return (azimuth + 180) % 360, 90 - math.degrees(zenith)


def off_nadir(incidence: float, altitude_m: float) -> float:
    """The satellite-side angle of a line of sight meeting the ground at ``incidence``."""
    ratio = EARTH_RADIUS / (EARTH_RADIUS + altitude_m)
    return math.degrees(math.asin(ratio * math.sin(math.radians(incidence))))

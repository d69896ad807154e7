"""Viewing direction from Airbus's along- and across-track incidence angles."""

import math


def viewing_azimuth(along_axis: float, along: float, across: float) -> float:
    """Azimuth of the satellite seen from the ground, clockwise from north, in degrees.

    ``along`` and ``across`` (INCIDENCE_ANGLE_ALONG_TRACK / _ACROSS_TRACK) are the line of
    sight's tilts from the vertical in two planes: ``tan(along)`` and ``tan(across)`` are the
    horizontal components of the ground→satellite direction per unit of height, counted
    against the along-track axis (azimuth ``along_axis``) and anticlockwise from it. Their
    angle, ``atan2(tan(across), tan(along))``, is thus taken off the axis' azimuth. Checked
    against Pléiades Neo, which states both the angles and the azimuth, and against the RPC of
    sensor products (tests/ingest/test_viewing.py).
    """
    tan_along = math.tan(math.radians(along))
    tan_across = math.tan(math.radians(across))
    if tan_along == 0 and tan_across == 0:
        return along_axis % 360  # nadir: no direction; keep the axis rather than invent one
    return (along_axis - math.degrees(math.atan2(tan_across, tan_along))) % 360

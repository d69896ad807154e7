"""The viewing geometry a product's RPC implies, to check the DIM's angles against."""

import math

from pyproj import Geod
from rasterio.rpc import RPC
from rasterio.transform import RPCTransformer

WGS84 = Geod(ellps="WGS84")


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

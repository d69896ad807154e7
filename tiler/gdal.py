"""GDAL's configuration for serving COGs, whichever way the tiler is started (`dinamis up`, the
container, tests): what eoAPI's raster service sets, each left to the operator's environment
when it names it."""

import os

from rasterio.env import set_gdal_config

COG_DEFAULTS = {
    # Without it, every open lists the file's folder: a collection's folder holds thousands
    # of COGs, and a COG names no side-car file.
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    # A COG's header and tile index in one read.
    "GDAL_INGESTED_BYTES_AT_OPEN": "32768",
    # Blocks of the few bands read, not a table sized for the whole raster.
    "GDAL_BAND_BLOCK_CACHE": "HASHSET",
    "VSI_CACHE": "TRUE",
    "VSI_CACHE_SIZE": "50000000",
    "GDAL_HTTP_MERGE_CONSECUTIVE_RANGES": "YES",
    "GDAL_HTTP_MULTIPLEX": "YES",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".tif,.TIF,.tiff",
    # No Python in a VRT, whatever a file under a storage root holds.
    "GDAL_VRT_ENABLE_PYTHON": "NO",
}


def configure_gdal(cache_mb: int) -> None:
    """Set GDAL's options for COGs (those the environment leaves unset) and bound its block
    cache to ``cache_mb`` MiB, unless GDAL_CACHEMAX is set: the cache is what a tiler's
    memory grows to (by default GDAL takes 5 % of the machine's RAM per process)."""
    for key, value in COG_DEFAULTS.items():
        if key not in os.environ:
            set_gdal_config(key, value)
    if "GDAL_CACHEMAX" not in os.environ:
        # rasterio passes GDAL_CACHEMAX to GDALSetCacheMax64, in bytes.
        set_gdal_config("GDAL_CACHEMAX", cache_mb * 1024 * 1024)

"""Writing the product's mosaic as a Cloud Optimized GeoTIFF."""

from pathlib import Path

import rasterio
from rasterio.errors import RasterioError
from rasterio.shutil import copy
from rio_cogeo.cogeo import cog_translate, cog_validate
from rio_cogeo.profiles import cog_profiles

from ingest.model import IngestError

BLOCKSIZE = 512


def cog_profile(profile: str = "deflate") -> dict:
    """Lossless profile; horizontal differencing (predictor 2) suits 12-bit integer data."""
    options = cog_profiles.get(profile)
    options.update(predictor=2, blockxsize=BLOCKSIZE, blockysize=BLOCKSIZE, BIGTIFF="IF_SAFER")
    return options


def write_cog(source: str, dst: Path, *, profile: str = "deflate") -> None:
    """Write ``source`` (a path or VRT XML) to ``dst`` as a COG with overviews.

    Map-geometry sources go through rio-cogeo. ``cog_translate`` warps GCP sources onto a
    grid and refuses RPC-only ones, so sensor-geometry sources use GDAL's COG driver, which
    keeps the raw pixel grid and writes the GCPs/RPCs into the file.
    """
    options = cog_profile(profile)
    try:
        with rasterio.open(source) as src:
            georeferenced = src.crs is not None and not src.gcps[0]
            nodata = src.nodata
            if georeferenced:
                cog_translate(
                    src,
                    dst,
                    options,
                    nodata=nodata,
                    overview_resampling="average",
                    quiet=True,
                    config={"GDAL_NUM_THREADS": "ALL_CPUS"},
                )
            else:
                copy(
                    src,
                    dst,
                    driver="COG",
                    compress=options["compress"],
                    predictor=options["predictor"],
                    blocksize=BLOCKSIZE,
                    bigtiff="IF_SAFER",
                    overview_resampling="AVERAGE",
                    num_threads="ALL_CPUS",
                )
    except RasterioError as error:
        raise IngestError(f"cannot write the COG: {error}") from None
    valid, errors, _ = cog_validate(dst, quiet=True)
    if not valid:
        raise IngestError(f"the written COG is not valid: {'; '.join(errors)}")

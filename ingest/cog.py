"""Writing the product's mosaic as a Cloud Optimized GeoTIFF."""

from pathlib import Path

import rasterio
from rasterio.errors import RasterioError
from rasterio.shutil import copy
from rio_cogeo.cogeo import cog_translate, cog_validate
from rio_cogeo.profiles import cog_profiles

from ingest.model import IngestError

BLOCKSIZE = 512


WHOLE_SAMPLE_SIZES = (8, 16, 32, 64)

# Every core to read the source, compress blocks and compute overviews.
THREADS = {"GDAL_NUM_THREADS": "ALL_CPUS"}


def cog_profile(profile: str = "deflate", nbits: int | None = None) -> dict:
    """Lossless profile keeping the true bit depth of the samples.

    Whole-byte samples get horizontal differencing (predictor 2). Samples of another depth
    (Airbus's 12-bit) are stored at that depth (NBITS), which libtiff's predictor does not
    support: the depth is what readers are told, and packing saves what differencing would.
    """
    options = cog_profiles.get(profile)
    options.update(blockxsize=BLOCKSIZE, blockysize=BLOCKSIZE, BIGTIFF="IF_SAFER")
    if nbits is None or nbits in WHOLE_SAMPLE_SIZES:
        options.update(predictor=2)
    else:
        options.update(nbits=nbits)
    return options


def write_cog(
    source: str, dst: Path, *, profile: str = "deflate", nbits: int | None = None
) -> None:
    """Write ``source`` (a path or VRT XML) to ``dst`` as a COG with overviews, its samples
    ``nbits`` deep (NBITS in the file) when that is not a whole number of bytes.

    Map-geometry sources go through rio-cogeo. ``cog_translate`` warps GCP sources onto a
    grid and refuses RPC-only ones, so sensor-geometry sources use GDAL's COG driver, which
    keeps the raw pixel grid and writes the GCPs/RPCs into the file.
    """
    options = cog_profile(profile, nbits)
    try:
        # Threads set before the source is opened: GDAL decides then whether the mosaic VRT
        # reads its tiles side by side (~10 % of the whole write).
        with rasterio.Env(**THREADS), rasterio.open(source) as src:
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
                    config=THREADS,
                )
            else:
                copy(
                    src,
                    dst,
                    driver="COG",
                    compress=options["compress"],
                    **{k: options[k] for k in ("predictor", "nbits") if k in options},
                    blocksize=BLOCKSIZE,
                    bigtiff="IF_SAFER",
                    overview_resampling="AVERAGE",
                    num_threads="ALL_CPUS",
                )
    except (RasterioError, SystemError) as error:  # rasterio's SystemError: "Unknown GDAL Error"
        raise IngestError(f"cannot write the COG: {error}") from None
    valid, errors, _ = cog_validate(dst, quiet=True)
    if not valid:
        raise IngestError(f"the written COG is not valid: {'; '.join(errors)}")

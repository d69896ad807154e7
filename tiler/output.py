"""Encoding images: titiler's renderer, with GeoTIFFs written as Cloud Optimized GeoTIFFs."""

from typing import Any

from rasterio.io import MemoryFile
from rio_cogeo.cogeo import cog_translate
from rio_cogeo.profiles import cog_profiles
from rio_tiler.models import ImageData
from titiler.core.resources.enums import ImageType
from titiler.core.utils import render_image

GEOTIFFS = {ImageType.tif, ImageType.tiff}


def render(
    image: ImageData, output_format: ImageType | None = None, **kwargs: Any
) -> tuple[bytes, str]:
    """PNG, JPEG, WebP... as titiler renders them; GeoTIFF crops tiled, compressed, with
    overviews, so a downloaded crop opens fast in QGIS or can be served as it is."""
    content, media_type = render_image(image, output_format=output_format, **kwargs)
    if output_format not in GEOTIFFS:
        return content, media_type
    with MemoryFile(content) as plain, plain.open() as src, MemoryFile() as cog:
        cog_translate(src, cog.name, cog_profiles.get("deflate"), in_memory=True, quiet=True)
        return cog.read(), media_type

"""One GDAL VRT for the whole product: tiles side by side, bands in canonical order.

A VRT lets GDAL stream the mosaic window by window into the COG without holding a
40,000 x 40,000 px scene in memory, and carries the GCPs/RPCs of sensor-geometry products.
"""

from xml.sax.saxutils import escape, quoteattr

from affine import Affine
from rasterio.crs import CRS
from rasterio.rpc import RPC

from ingest.images import Image, Images, read_images
from ingest.model import Band, Geometry, IngestError, Product

GDAL_TYPES = {
    "uint8": "Byte",
    "uint16": "UInt16",
    "int16": "Int16",
    "uint32": "UInt32",
    "int32": "Int32",
    "float32": "Float32",
    "float64": "Float64",
}


def _band_xml(position: int, band: Band, images: Images, nodata: float | None) -> str:
    dtype = images.files[band.source.tiles[0].path].dtype
    sources = []
    for tile in band.source.tiles:
        info = images.files[tile.path]
        if band.source.index > info.count:
            raise IngestError(
                f"{tile.path.name}: has {info.count} bands, band {band.id} is listed as "
                f"number {band.source.index}"
            )
        x, y = images.offsets[tile.path]
        sources.append(
            f'<SimpleSource><SourceFilename relativeToVRT="0">{escape(str(tile.path.resolve()))}'
            f"</SourceFilename><SourceBand>{band.source.index}</SourceBand>"
            f'<SrcRect xOff="0" yOff="0" xSize="{info.width}" ySize="{info.height}"/>'
            f'<DstRect xOff="{x}" yOff="{y}" xSize="{info.width}" ySize="{info.height}"/>'
            "</SimpleSource>"
        )
    nodata_xml = f"<NoDataValue>{nodata:g}</NoDataValue>" if nodata is not None else ""
    return (
        f'<VRTRasterBand dataType="{GDAL_TYPES[dtype]}" band="{position}">{nodata_xml}'
        f"<Description>{escape(band.id)}</Description>{''.join(sources)}</VRTRasterBand>"
    )


def _georeferencing(product: Product, first: Image, rpc: RPC | None) -> str:
    if product.geometry is Geometry.map:
        if first.crs is not None:
            crs, t = first.crs, first.transform
        else:
            # Tiles without georeferencing: the DIM's grid, ULXMAP/ULYMAP at the first
            # pixel's corner (GDAL's reading; the real Pléiades Neo sample's tiles agree).
            assert product.grid is not None  # read_images refuses map products without one
            grid = product.grid
            crs = CRS.from_user_input(grid.crs)
            t = Affine(grid.x_size, 0.0, grid.x, 0.0, -grid.y_size, grid.y)
        return (
            f"<SRS>{escape(crs.to_wkt())}</SRS>"
            f"<GeoTransform>{t.c!r}, {t.a!r}, {t.b!r}, {t.f!r}, {t.d!r}, {t.e!r}</GeoTransform>"
        )
    parts = []
    if product.gcps:
        points = "".join(
            f'<GCP Id="{g.id}" Pixel="{g.col!r}" Line="{g.row!r}" X="{g.x!r}" Y="{g.y!r}" '
            f'Z="{g.z or 0.0!r}"/>'
            for g in product.gcps
        )
        parts.append(f'<GCPList Projection="EPSG:4326">{points}</GCPList>')
    if rpc is not None:
        items = "".join(
            f"<MDI key={quoteattr(k)}>{escape(str(v))}</MDI>" for k, v in rpc.to_gdal().items()
        )
        parts.append(f'<Metadata domain="RPC">{items}</Metadata>')
    return "".join(parts)


def mosaic_vrt(product: Product, bands: list[Band], rpc: RPC | None = None) -> str:
    """The VRT XML of ``bands`` (already in output order) over all tiles of the product,
    once every image file has been checked against the metadata."""
    images = read_images(product)
    first = images.files[min(product.tiles, key=lambda t: (t.row, t.col)).path]
    band_xml = "".join(
        _band_xml(i, band, images, product.nodata) for i, band in enumerate(bands, 1)
    )
    return (
        f'<VRTDataset rasterXSize="{product.width}" rasterYSize="{product.height}">'
        f"{_georeferencing(product, first, rpc)}{band_xml}</VRTDataset>"
    )

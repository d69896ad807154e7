"""One GDAL VRT for the whole product: tiles side by side, bands in canonical order.

A VRT lets GDAL stream the mosaic window by window into the COG without holding a
40,000 x 40,000 px scene in memory, and carries the GCPs/RPCs of sensor-geometry products.
"""

from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import rasterio
from rasterio.errors import RasterioIOError
from rasterio.rpc import RPC

from ingest.model import Band, Geometry, IngestError, Product, Tile


def _open_info(tile: Tile) -> dict:
    try:
        with rasterio.open(tile.path) as src:
            return {
                "width": src.width,
                "height": src.height,
                "count": src.count,
                "dtype": src.dtypes[0],
                "crs": src.crs,
                "transform": src.transform,
            }
    except RasterioIOError as error:
        raise IngestError(f"{tile.path.name}: unreadable image ({error})") from None


def _layout(
    tiles: tuple[Tile, ...], infos: dict[Path, dict], product: Product
) -> dict[Path, tuple[int, int]]:
    """Pixel offset of each tile, from the sizes of the tiles before it in its row/column."""
    grid = {(t.row, t.col): t for t in tiles}
    rows = sorted({t.row for t in tiles})
    cols = sorted({t.col for t in tiles})
    for r in rows:
        for c in cols:
            if (r, c) not in grid:
                raise IngestError(f"{product.metadata_file.name}: tile R{r}C{c} is missing")
    x_offsets, y_offsets, x, y = {}, {}, 0, 0
    for c in cols:
        x_offsets[c], x = x, x + infos[grid[rows[0], c].path]["width"]
    for r in rows:
        y_offsets[r], y = y, y + infos[grid[r, cols[0]].path]["height"]
    for t in tiles:
        size = (infos[t.path]["width"], infos[t.path]["height"])
        expected = (
            infos[grid[rows[0], t.col].path]["width"],
            infos[grid[t.row, cols[0]].path]["height"],
        )
        if size != expected:
            raise IngestError(
                f"{t.path.name}: tile R{t.row}C{t.col} is {size[0]}x{size[1]} px, its row and "
                f"column make it {expected[0]}x{expected[1]}"
            )
    if (x, y) != (product.width, product.height):
        raise IngestError(
            f"{product.metadata_file.name}: tiles make {x}x{y} px, "
            f"the metadata says {product.width}x{product.height}"
        )
    return {t.path: (x_offsets[t.col], y_offsets[t.row]) for t in tiles}


GDAL_TYPES = {
    "uint8": "Byte",
    "uint16": "UInt16",
    "int16": "Int16",
    "uint32": "UInt32",
    "int32": "Int32",
    "float32": "Float32",
    "float64": "Float64",
}


def _band_xml(position: int, band: Band, infos: dict, offsets: dict, nodata: float | None) -> str:
    dtype = infos[band.source.tiles[0].path]["dtype"]
    sources = []
    for tile in band.source.tiles:
        info = infos[tile.path]
        if band.source.index > info["count"]:
            raise IngestError(
                f"{tile.path.name}: has {info['count']} bands, band {band.id} is listed as "
                f"number {band.source.index}"
            )
        x, y = offsets[tile.path]
        sources.append(
            f'<SimpleSource><SourceFilename relativeToVRT="0">{escape(str(tile.path.resolve()))}'
            f"</SourceFilename><SourceBand>{band.source.index}</SourceBand>"
            f'<SrcRect xOff="0" yOff="0" xSize="{info["width"]}" ySize="{info["height"]}"/>'
            f'<DstRect xOff="{x}" yOff="{y}" xSize="{info["width"]}" ySize="{info["height"]}"/>'
            "</SimpleSource>"
        )
    nodata_xml = f"<NoDataValue>{nodata:g}</NoDataValue>" if nodata is not None else ""
    return (
        f'<VRTRasterBand dataType="{GDAL_TYPES[dtype]}" band="{position}">{nodata_xml}'
        f"<Description>{escape(band.id)}</Description>{''.join(sources)}</VRTRasterBand>"
    )


def _georeferencing(product: Product, first: dict, rpc: RPC | None) -> str:
    if product.geometry is Geometry.map:
        if first["crs"] is None:
            raise IngestError(
                f"{product.metadata_file.name}: map-geometry product whose image has no CRS"
            )
        t = first["transform"]
        return (
            f"<SRS>{escape(first['crs'].to_wkt())}</SRS>"
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
    """The VRT XML of ``bands`` (already in output order) over all tiles of the product."""
    infos = {tile.path: _open_info(tile) for tile in product.tiles}
    offsets: dict[Path, tuple[int, int]] = {}
    for tiles in dict.fromkeys(band.source.tiles for band in bands):
        offsets.update(_layout(tiles, infos, product))
    first = infos[min(product.tiles, key=lambda t: (t.row, t.col)).path]
    band_xml = "".join(
        _band_xml(i, band, infos, offsets, product.nodata) for i, band in enumerate(bands, 1)
    )
    return (
        f'<VRTDataset rasterXSize="{product.width}" rasterYSize="{product.height}">'
        f"{_georeferencing(product, first, rpc)}{band_xml}</VRTDataset>"
    )

"""A coverage as one layer at every zoom, on the tiler: XYZ tiles, TileJSON and WMTS.

Zooms up to the pyramid's base are read from the pyramid (one COG); above, from the items
through titiler-pgstac's mosaic of the coverage's search, with the tiler's own readers and
limits. A coverage of licensed collections is served as their items are: the caller's rights
(API key, sign-in or access token) are decided on every request.

Mounted by the tiler through the ``dinamis.tiler`` entry point (:func:`coverage_router`).
"""

from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlencode

import morecantile
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from rio_tiler.io import Reader
from rio_tiler.models import ImageData
from starlette.concurrency import run_in_threadpool
from titiler.core.resources.enums import ImageType

from access.dependencies import OptionalPrincipal, decide, enforce, get_access
from coverages import store
from coverages.look import Look, look
from coverages.models import Coverage
from tiler.mosaic import LimitedPgSTACBackend
from tiler.output import render
from tiler.reader import MosaicItemReader
from tiler.renders import as_params, collection_renders
from tiler.wmts import wmts_templates

TMS_ID = "WebMercatorQuad"
TMS = morecantile.tms.get(TMS_ID)
# What the layer advertises up to: the items' finest zoom (the renders' maximum).
MAX_ZOOM = 22
WMTS = wmts_templates("titiler.mosaic.extensions")
# Carried from the capabilities or TileJSON request into every tile URL they write.
PASSED_ON = ("render", "access_token")
SOURCE_HEADER = "X-Coverage-Source"


class TileFormat(StrEnum):
    png = "png"
    jpeg = "jpeg"
    jpg = "jpg"
    webp = "webp"


CoverageId = Annotated[str, Path(description="Coverage id, e.g. spot-6-7-2020", max_length=100)]
RenderName = Annotated[
    str | None,
    Query(max_length=100, description="A render of the coverage's collection (default: its own)"),
]


def _coverage(request: Request, coverage_id: str) -> Coverage | None:
    cache = request.app.state.catalogue

    def lookup() -> Coverage | None:
        with request.app.state.dbpool.connection() as conn:
            return store.find(conn, coverage_id)

    return cache.get(cache.key("coverage", coverage_id), lookup)


async def known_coverage(request: Request, coverage_id: CoverageId) -> Coverage:
    coverage = await run_in_threadpool(_coverage, request, coverage_id)
    if coverage is None:
        raise HTTPException(404, f"no coverage '{coverage_id}'")
    return coverage


async def readable_coverage(
    request: Request,
    principal: OptionalPrincipal,
    coverage: Annotated[Coverage, Depends(known_coverage)],
) -> Coverage:
    """The coverage, if the caller may read every collection its items may come from (all the
    licensed ones when its search names none)."""
    for collection_id in coverage.collections or sorted(await get_access(request).licences()):
        enforce(await decide(request, principal, collection_id))
    return coverage


Readable = Annotated[Coverage, Depends(readable_coverage)]


def _tms(tile_matrix_set_id: str) -> morecantile.TileMatrixSet:
    if tile_matrix_set_id != TMS_ID:
        raise HTTPException(404, f"coverages are tiled in {TMS_ID} only")
    return TMS


def _look(request: Request, coverage: Coverage, name: str | None) -> Look:
    pool = request.app.state.dbpool
    renders = collection_renders(pool, coverage.collections[0]) if coverage.collections else {}
    return look({k: as_params(v) for k, v in renders.items()}, coverage.asset, name)


def _image(
    request: Request, coverage: Coverage, tile: morecantile.Tile, how: Look
) -> tuple[ImageData, str]:
    pyramid = coverage.pyramid
    options: dict[str, Any] = {"resampling_method": how.resampling}
    if pyramid is not None and tile.z <= pyramid.zoom:
        with Reader(pyramid.path, tms=TMS) as src:
            return src.tile(tile.x, tile.y, tile.z, indexes=how.indexes, **options), "pyramid"
    settings = request.app.state.settings
    if pyramid is None and tile.z < settings.mosaic_min_zoom:
        raise HTTPException(
            404,
            f"coverage '{coverage.id}' has no pyramid yet: zooms under "
            f"{settings.mosaic_min_zoom} are served once it is built",
        )
    asset: dict[str, Any] = {"name": coverage.asset}
    if how.indexes:
        asset["indexes"] = how.indexes
    with LimitedPgSTACBackend(
        coverage.search_hash,
        pool=request.app.state.dbpool,
        tms=TMS,
        reader=MosaicItemReader,
        reader_options={"guard": request.app.state.guard, "limits": request.app.state.limits},
        min_zoom=settings.mosaic_min_zoom,
        max_items=settings.mosaic_max_items,
        cache=request.app.state.catalogue,
    ) as mosaic:
        image, _ = mosaic.tile(tile.x, tile.y, tile.z, assets=[asset], **options)
    return image, "mosaic"


def _tile_template(request: Request, coverage: Coverage, z: str, x: str, y: str) -> str:
    """The URL of the coverage's PNG tiles, with placeholders for ``z``, ``x`` and ``y``."""
    route = "coverage_tile"
    return str(
        request.url_for(
            route, coverage_id=coverage.id, tileMatrixSetId=TMS_ID, z=z, x=x, y=y, format="png"
        )
    )


def _passed_on(request: Request, names: tuple[str, ...]) -> str:
    """The request's own ``names`` parameters, for the tile URLs it writes."""
    return urlencode([(k, v) for k, v in request.query_params.multi_items() if k in names])


def _bounds(coverage: Coverage) -> tuple[float, float, float, float]:
    return coverage.pyramid.bounds if coverage.pyramid else (-180.0, -85.0511, 180.0, 85.0511)


def _summary(request: Request, coverage: Coverage) -> dict[str, Any]:
    pyramid = coverage.pyramid
    return {
        "id": coverage.id,
        "title": coverage.title,
        "collections": list(coverage.collections),
        "bounds": _bounds(coverage),
        "pyramid": {
            "zoom": pyramid.zoom,
            "items": pyramid.item_count,
            "built_at": pyramid.built_at.isoformat(),
        }
        if pyramid
        else None,
        "links": [
            {
                "rel": rel,
                "href": str(request.url_for(name, coverage_id=coverage.id, tileMatrixSetId=TMS_ID)),
            }
            for rel, name in (("tilejson", "coverage_tilejson"), ("wmts", "coverage_wmts"))
        ],
    }


def coverage_router() -> APIRouter:
    router = APIRouter(prefix="/coverages", tags=["Coverages"])

    @router.get("", summary="The declared coverages")
    def coverages(request: Request) -> list[dict[str, Any]]:
        with request.app.state.dbpool.connection() as conn:
            found = store.list_all(conn)
        return [_summary(request, c) for c in found]

    @router.get("/{coverage_id}", summary="One coverage")
    def coverage_info(
        request: Request, coverage: Annotated[Coverage, Depends(known_coverage)]
    ) -> dict[str, Any]:
        return _summary(request, coverage)

    @router.get(
        "/{coverage_id}/tiles/{tileMatrixSetId}/{z}/{x}/{y}.{format}",
        name="coverage_tile",
        response_class=Response,
        responses={200: {"content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}}}},
        summary="A tile of the coverage",
    )
    def tile(
        request: Request,
        coverage: Readable,
        tileMatrixSetId: Annotated[str, Path()],  # noqa: N803 (titiler's name)
        z: Annotated[int, Path(ge=0, le=30)],
        x: Annotated[int, Path(ge=0)],
        y: Annotated[int, Path(ge=0)],
        format: TileFormat,
        render_name: Annotated[RenderName, Query(alias="render")] = None,
    ) -> Response:
        # The zoom and the tile are within the matrix set: the tiler checks every path.
        _tms(tileMatrixSetId)
        how = _look(request, coverage, render_name)
        image, source = _image(request, coverage, morecantile.Tile(x, y, z), how)
        if how.rescale:
            image.rescale(how.rescale)
        if how.color_formula:
            image.apply_color_formula(how.color_formula)
        content, media_type = render(image, output_format=ImageType(format.value))
        return Response(content, media_type=media_type, headers={SOURCE_HEADER: source})

    @router.get(
        "/{coverage_id}/{tileMatrixSetId}/tilejson.json",
        name="coverage_tilejson",
        summary="TileJSON of the coverage (web maps)",
    )
    def tilejson(
        request: Request,
        coverage: Readable,
        tileMatrixSetId: Annotated[str, Path()],  # noqa: N803
        render_name: Annotated[RenderName, Query(alias="render")] = None,
    ) -> dict[str, Any]:
        _tms(tileMatrixSetId)
        _look(request, coverage, render_name)  # an unknown render is refused here already
        template = _tile_template(request, coverage, "{z}", "{x}", "{y}")
        query = _passed_on(request, PASSED_ON)
        return {
            "tilejson": "3.0.0",
            "name": coverage.title,
            "tiles": [f"{template}?{query}" if query else template],
            "minzoom": 0,
            "maxzoom": MAX_ZOOM,
            "bounds": list(_bounds(coverage)),
        }

    @router.get(
        "/{coverage_id}/{tileMatrixSetId}/WMTSCapabilities.xml",
        name="coverage_wmts",
        response_class=Response,
        responses={200: {"content": {"application/xml": {}}}},
        summary="WMTS capabilities of the coverage (QGIS)",
    )
    def wmts(
        request: Request,
        coverage: Readable,
        tileMatrixSetId: Annotated[str, Path()],  # noqa: N803
        render_name: Annotated[RenderName, Query(alias="render")] = None,
    ) -> Response:
        tms = _tms(tileMatrixSetId)
        _look(request, coverage, render_name)
        west, south, east, north = _bounds(coverage)
        limits = []
        for zoom in range(MAX_ZOOM + 1):
            first, last = tms.tile(west, north, zoom), tms.tile(east, south, zoom)
            limits.append(
                {
                    "tileMatrix": tms.matrix(zoom).id,
                    "minTileRow": first.y,
                    "maxTileRow": last.y,
                    "minTileCol": first.x,
                    "maxTileCol": last.x,
                }
            )
        layer = {
            "title": coverage.title,
            "identifier": coverage.id,
            "tms_identifier": TMS_ID,
            "tms_limits": limits,
            "tiles_url": _tile_template(
                request, coverage, "{TileMatrix}", "{TileCol}", "{TileRow}"
            ),
            # The template adds the caller's access_token itself (tiler.wmts).
            "query_string": _passed_on(request, ("render",)),
            "bbox_crs_type": "WGS84BoundingBox",
            "bbox_crs_uri": "urn:ogc:def:crs:OGC:2:84",
            "bbox": [west, south, east, north],
        }
        matrices = {
            "id": TMS_ID,
            "crs": "urn:ogc:def:crs:EPSG::3857",
            "matrices": tms.tileMatrices[: MAX_ZOOM + 1],
        }
        return WMTS.TemplateResponse(
            request,
            name="wmts.xml",
            context={"layers": [layer], "tileMatrixSets": [matrices], "media_type": "image/png"},
            media_type="application/xml",
        )

    return router

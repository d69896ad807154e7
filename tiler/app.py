"""The tiler application, composed as titiler-pgstac's own ``main.py`` does it, with our settings.

Items are read through ``ItemReader`` (storage guard, size limits), mosaics through
``LimitedPgSTACBackend`` (zoom floor, items per tile). There is no endpoint taking a `url=`:
titiler's external-dataset and per-asset routes are not mounted. Item, collection and search
routes of licensed collections need an entitled caller (``access``); crops are recorded as
downloads.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import jinja2
import rasterio
from fastapi import APIRouter, Depends, FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from psycopg import OperationalError
from psycopg_pool import PoolTimeout
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.templating import Jinja2Templates
from starlette_cramjam.middleware import CompressionMiddleware
from titiler.core import __version__ as titiler_version
from titiler.core.algorithm import algorithms as available_algorithms
from titiler.core.dependencies import DatasetParams, DefaultDependency
from titiler.core.errors import DEFAULT_STATUS_CODES, add_exception_handlers
from titiler.core.factory import (
    AlgorithmFactory,
    ColorMapFactory,
    MultiBaseTilerFactory,
    TMSFactory,
)
from titiler.core.middleware import CacheControlMiddleware
from titiler.core.utils import update_openapi
from titiler.extensions import wmtsExtension
from titiler.mosaic.errors import MOSAIC_STATUS_CODES
from titiler.mosaic.extensions.wmts import wmtsExtension as wmtsExtensionMosaic
from titiler.pgstac import __version__ as titiler_pgstac_version
from titiler.pgstac.db import close_db_connection
from titiler.pgstac.dependencies import CollectionIdParams, SearchIdParams
from titiler.pgstac.errors import PGSTAC_STATUS_CODES, BackendError
from titiler.pgstac.extensions import searchInfoExtension
from titiler.pgstac.factory import (
    MosaicTilerFactory,
    add_search_list_route,
    add_search_register_route,
)
from titiler.pgstac.settings import PostgresSettings

from access.dependencies import (
    record_event,
    require_admin,
    require_collection_access,
    require_search_access,
)
from access.logs import install_secret_filter
from access.models import EventKind
from access.settings import AccessSettings, access_settings
from access.state import installed
from dinamis import database
from dinamis.outage import DatabaseSettings, add_outage_handlers, outage_response, psycopg_pool
from dinamis.plugins import tiler_routers
from dinamis.proxy import ForwardedMiddleware
from dinamis.search_limits import SearchLimits, SearchLimitsMiddleware
from dinamis.settings import get_settings
from dinamis.validation import validation_handler
from tiler.catalogue import CatalogueCache, ItemIdParams
from tiler.dependencies import (
    MosaicBackendParams,
    ReaderParams,
    checked_search,
    item_reader_params,
    item_render_options,
    mosaic_renders,
    no_environment,
)
from tiler.errors import STATUS_CODES, backend_error, internal_error
from tiler.first_use import FirstUse
from tiler.gdal import configure_gdal
from tiler.inline import inline
from tiler.limits import Limits
from tiler.middleware import BodyCheckMiddleware, CachePolicyMiddleware
from tiler.mosaic import LimitedPgSTACBackend
from tiler.output import render
from tiler.parameters import BoundedParams, bounded_params, checked_colormap, checked_path
from tiler.reader import ItemReader, MosaicItemReader
from tiler.renders import search_renders, with_default_render
from tiler.settings import TilerSettings
from tiler.storage import StorageGuard
from tiler.tms import TILE_MATRIX_SETS
from tiler.wmts import wmts_templates

ITEM_PREFIX = "/collections/{collection_id}/items/{item_id}"
COLLECTION_PREFIX = "/collections/{collection_id}"
SEARCH_PREFIX = "/searches/{search_id}"
# titiler's crop routes on an item (bbox and feature, with or without a size): downloads.
CROP_SCOPES = [
    {"path": "/bbox/{minx},{miny},{maxx},{maxy}.{format}", "method": "GET"},
    {"path": "/bbox/{minx},{miny},{maxx},{maxy}/{width}x{height}.{format}", "method": "GET"},
    *(
        {"path": path, "method": "POST"}
        for path in ("/feature", "/feature.{format}", "/feature/{width}x{height}.{format}")
    ),
]

templates = Jinja2Templates(
    env=jinja2.Environment(
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        loader=jinja2.ChoiceLoader(
            [
                jinja2.PackageLoader("titiler.pgstac", "templates"),
                jinja2.PackageLoader("titiler.core", "templates"),
            ]
        ),
    )
)


def create_app(
    database_url: str | None = None,
    settings: TilerSettings | None = None,
    access: AccessSettings | None = None,
    database_settings: DatabaseSettings | None = None,
) -> FastAPI:
    """The tiler on ``database_url``, else on the project's database (DATABASE_URL, the PG*
    variables or the embedded cluster); ``access`` must share the STAC API's secret key."""
    # Here, not in a CLI: every way of starting the app (uvicorn --factory, gunicorn, tests)
    # must keep keys and tokens out of its logs, its access log included.
    install_secret_filter()
    settings = settings or TilerSettings()
    configure_gdal(settings.gdal_cache_mb)
    database_url = database_url or database.database_url(get_settings())
    access = access or access_settings(get_settings())
    postgres = PostgresSettings(database_url=database_url)
    db = database_settings or DatabaseSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # titiler-pgstac's pool, with the checks and timeouts that survive an outage.
        app.state.dbpool = psycopg_pool(
            str(postgres.database_url),
            db,
            options="-c search_path=pgstac,public -c application_name=pgstac",
            min_size=postgres.db_min_conn_size,
            max_size=postgres.db_max_conn_size,
            max_waiting=postgres.db_max_queries,
            max_idle=postgres.db_max_idle,
            num_workers=postgres.db_num_workers,
            open=True,
        )
        app.state.dbpool.wait()
        app.state.first_use = FirstUse(database_url) if settings.cog_on_first_use else None
        async with installed(app, database_url, access, db):
            yield
        if app.state.first_use is not None:
            await run_in_threadpool(app.state.first_use.close)
        await close_db_connection(app)

    app = FastAPI(
        title=settings.title,
        description="Tiles, previews, mosaics and clipped downloads of the DINAMIS catalogue.",
        version=titiler_pgstac_version,
        openapi_url="/api",
        docs_url="/api.html",
        root_path=settings.root_path,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.guard = StorageGuard.from_settings(
        settings.storage_roots, settings.allowed_url_prefixes
    )
    app.state.limits = Limits.from_settings(settings)
    app.state.catalogue = CatalogueCache(settings.catalogue_cache_seconds)
    params = bounded_params(app.state.limits)

    update_openapi(app)
    status_codes = {
        **DEFAULT_STATUS_CODES,
        **MOSAIC_STATUS_CODES,
        **PGSTAC_STATUS_CODES,
        **STATUS_CODES,
        ValidationError: status.HTTP_422_UNPROCESSABLE_CONTENT,
    }
    add_exception_handlers(app, status_codes)
    # titiler answers failures with the exception's text: file paths, database messages.
    for failure in (error for error, code in status_codes.items() if code == 500):
        app.add_exception_handler(failure, internal_error)
    app.add_exception_handler(BackendError, backend_error)
    app.add_exception_handler(RequestValidationError, validation_handler(422))
    add_outage_handlers(app, db)
    _add_middlewares(app, settings)

    _add_item_routes(app, params)
    _add_mosaic_routes(app, settings, params)
    for factory in (
        TMSFactory(supported_tms=TILE_MATRIX_SETS, templates=templates),
        AlgorithmFactory(templates=templates),
        ColorMapFactory(templates=templates),
    ):
        app.include_router(factory.router, tags=["Tiling resources"])
    _add_health(app, db)
    # Each package's tiler routes (coverages, ...): see dinamis.plugins. Their path parameters
    # are checked as the tiler's own are (a NUL byte in an id never reaches the database).
    for router in tiler_routers():
        app.include_router(router, dependencies=[Depends(checked_path)])

    # The web map lives in its own module (tiler/viewer.py), imported last and only here.
    from tiler.viewer import add_viewer

    add_viewer(app, settings.stac_api_url, max_crop_km2=settings.max_crop_km2)
    return app


def _add_middlewares(app: FastAPI, settings: TilerSettings) -> None:
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["*"],
        )
    app.add_middleware(
        CacheControlMiddleware,
        cachecontrol=settings.cachecontrol,
        exclude_path=set(settings.cachecontrol_exclude_paths),
    )
    # Outside the one above, so that it sees (and narrows) the header that one sets.
    app.add_middleware(CachePolicyMiddleware)
    app.add_middleware(
        BodyCheckMiddleware,
        max_bytes=settings.max_body_bytes,
        max_positions=settings.max_positions,
    )
    # Inside the body-size check: a registered search's filter is bounded as the API's are.
    app.user_middleware.append(
        Middleware(
            SearchLimitsMiddleware, limits=SearchLimits(), bodies_only=True, message_key="detail"
        )
    )
    # Pictures are compressed already.
    app.add_middleware(
        CompressionMiddleware,
        exclude_mediatype={
            "image/jpeg",
            "image/jpg",
            "image/png",
            "image/jp2",
            "image/webp",
            "image/tiff",
        },
    )
    # Outermost: every URL the tiler writes (tilejson, WMTS, viewer) follows what it sets.
    app.add_middleware(
        ForwardedMiddleware,
        trusted_proxies=settings.trusted_proxies,
        public_url=settings.public_origin_url,
    )


def _rendering(
    renders: Callable[..., dict[str, dict[str, Any]]], params: BoundedParams
) -> dict[str, Any]:
    """How pictures are made: bounded parameters, those a default render fills in when a request
    names no layer, and the encoder (GeoTIFFs as COGs)."""
    return {
        "layer_dependency": with_default_render(params.layer, renders),
        "dataset_dependency": with_default_render(DatasetParams, renders),
        "render_dependency": with_default_render(params.render, renders),
        "colormap_dependency": with_default_render(checked_colormap, renders),
        "tile_dependency": params.tile,
        "stats_dependency": params.statistics,
        "histogram_dependency": params.histogram,
        "img_part_dependency": params.part,
        "render_func": render,
        "supported_tms": TILE_MATRIX_SETS,
    }


def _add_item_routes(app: FastAPI, params: BoundedParams) -> None:
    rendering = _rendering(item_render_options, params)
    # WMTS checks each render by calling the dependencies that take query parameters: it gets
    # the plain tile and algorithm ones, which return values, not coroutines.
    wmts_checks = [
        item_reader_params,
        rendering["tile_dependency"],
        rendering["layer_dependency"],
        rendering["dataset_dependency"],
        available_algorithms.dependency,
        rendering["colormap_dependency"],
        rendering["render_dependency"],
    ]
    items = MultiBaseTilerFactory(
        reader=ItemReader,
        reader_dependency=item_reader_params,
        path_dependency=ItemIdParams,
        assets_dependency=params.assets,
        img_preview_dependency=params.preview,
        router_prefix=ITEM_PREFIX,
        get_renders=lambda src: src.renders,
        extensions=[
            wmtsExtension(
                tile_dependencies=wmts_checks, templates=wmts_templates("titiler.extensions")
            )
        ],
        templates=templates,
        route_dependencies=[(CROP_SCOPES, [Depends(record_event(EventKind.CROP))])],
        # Item tiles are the busiest route: each dependency in the event loop (see inline).
        **{
            **rendering,
            "tile_dependency": inline(params.tile),
            "process_dependency": inline(available_algorithms.dependency),
            "environment_dependency": no_environment,
        },
    )
    app.include_router(
        items.router,
        prefix=ITEM_PREFIX,
        tags=["STAC Item"],
        dependencies=[Depends(checked_path), Depends(require_collection_access())],
    )


def _mosaic_factory(
    path_dependency: Callable[..., str], prefix: str, params: BoundedParams
) -> MosaicTilerFactory:
    return MosaicTilerFactory(
        path_dependency=path_dependency,
        router_prefix=prefix,
        backend=LimitedPgSTACBackend,
        backend_dependency=MosaicBackendParams,
        dataset_reader=MosaicItemReader,
        reader_dependency=ReaderParams,
        # pgSTAC's scan/time/items limits stay the operator's, not the client's.
        assets_accessor_dependency=DefaultDependency,
        # Mosaic crops and statistics would read every item under an area: not offered.
        add_part=False,
        add_statistics=False,
        get_renders=lambda backend: search_renders(backend.pool, backend.info()),
        extensions=[
            searchInfoExtension(),
            wmtsExtensionMosaic(templates=wmts_templates("titiler.mosaic.extensions")),
        ],
        templates=templates,
        **_rendering(mosaic_renders(path_dependency), params),
    )


class _RoutesOn:
    """What titiler-pgstac's ``add_search_list_route`` uses of an app: routes declared on
    ``router`` (so they take its dependencies), URLs resolved on ``app``."""

    def __init__(self, app: FastAPI, router: APIRouter) -> None:
        self.get = router.get
        self.url_path_for = app.url_path_for


def _add_mosaic_routes(app: FastAPI, settings: TilerSettings, params: BoundedParams) -> None:
    searches = _mosaic_factory(SearchIdParams, SEARCH_PREFIX, params)
    app.include_router(
        searches.router,
        prefix=SEARCH_PREFIX,
        tags=["STAC Search"],
        dependencies=[Depends(checked_path), Depends(require_search_access())],
    )
    # The list shows every stored search body, whoever registered it: operators only.
    admin_only = APIRouter(dependencies=[Depends(require_admin)])
    add_search_list_route(_RoutesOn(app, admin_only), prefix="/searches", tags=["STAC Search"])  # type: ignore[arg-type]
    app.include_router(admin_only)
    add_search_register_route(
        app,
        prefix="/searches",
        search_dependency=checked_search(settings.max_search_bytes),
        tile_dependencies=[
            searches.layer_dependency,
            searches.dataset_dependency,
            searches.pixel_selection_dependency,
            searches.process_dependency,
            searches.render_dependency,
            searches.reader_dependency,
            searches.backend_dependency,
        ],
        tags=["STAC Search"],
    )
    collections = _mosaic_factory(CollectionIdParams, COLLECTION_PREFIX, params)
    app.include_router(
        collections.router,
        prefix=COLLECTION_PREFIX,
        tags=["STAC Collection"],
        dependencies=[Depends(checked_path), Depends(require_collection_access())],
    )


def _add_health(app: FastAPI, db: DatabaseSettings) -> None:
    @app.get("/healthz", tags=["Health Check"], responses={503: {"description": "Database down"}})
    def healthz(request: Request) -> Any:
        try:
            with request.app.state.dbpool.connection(db.connect_timeout) as conn:
                conn.execute("SELECT 1")
        except (OperationalError, PoolTimeout):
            # Not healthy without its database: orchestrators must see it (compose, k8s).
            return outage_response(db)
        return {
            "database_online": True,
            "versions": {
                "titiler": titiler_version,
                "titiler.pgstac": titiler_pgstac_version,
                "rasterio": rasterio.__version__,
                "gdal": rasterio.__gdal_version__,
            },
        }

"""The portal application: ``create_app(database_url)`` for ``dinamis up`` and uvicorn."""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from access.settings import AccessSettings, access_settings
from access.state import installed
from dinamis.mail import MailSettings
from dinamis.settings import Settings
from jobs.processes import offered
from jobs.queue import create_queue
from jobs.routes import JobsState
from jobs.settings import JobsSettings
from portal.oidc import OidcClient
from portal.ratelimit import LoginLimiter
from portal.routes import (
    account,
    auth,
    backoffice,
    catalogue,
    jobs,
    membership,
    pages,
    requests,
    stats,
)
from portal.settings import PortalSettings
from portal.stac import StacClient
from portal.web import (
    PageError,
    Portal,
    SignInNeededError,
    make_templates,
    set_session_cookie,
    web,
)

STATIC = Path(__file__).parent / "static"
# MapLibre and the country outlines are vendored once, with the tiler's web map.
VENDOR = Path(__file__).parents[1] / "tiler" / "static" / "vendor"
# The base map every DINAMIS map starts from, with the tiler's web map.
BASEMAP = VENDOR.parent / "basemap"


def create_app(
    database_url: str | None = None,
    settings: PortalSettings | None = None,
    access: AccessSettings | None = None,
    mail: MailSettings | None = None,
) -> FastAPI:
    settings = settings or PortalSettings()
    if database_url is None:
        from dinamis.database import database_url as configured

        database_url = configured(Settings())
    access = access or access_settings(Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        queue = create_queue(database_url, pool_size=2)
        async with installed(app, database_url, access), queue.open_async():
            app.state.stac = StacClient(settings.api_server_url)
            app.state.oidc = OidcClient(settings) if settings.oidc_enabled else None
            # Users' processing jobs, on the queue the API and the workers share.
            app.state.jobs = JobsState(JobsSettings(), queue, offered())
            try:
                yield
            finally:
                await app.state.stac.close()
                if app.state.oidc is not None:
                    await app.state.oidc.close()

    app = FastAPI(
        title="DINAMIS portal",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.portal = Portal(
        settings=settings,
        mail=mail or MailSettings(),
        templates=make_templates(),
        by_email=LoginLimiter(settings.login_attempts, settings.login_window),
        by_client=LoginLimiter(settings.login_attempts_per_client, settings.login_window),
    )
    # The portal's own vendored libraries (drawing tools), beside the shared ones.
    for folder in sorted((STATIC / "vendor").iterdir()):
        app.mount(f"/static/vendor/{folder.name}", StaticFiles(directory=folder))
    app.mount("/static/vendor", StaticFiles(directory=VENDOR), name="vendor")
    app.mount("/static/basemap", StaticFiles(directory=BASEMAP), name="basemap")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (pages, auth, membership, account, catalogue, requests, jobs, backoffice, stats):
        app.include_router(module.router)

    @app.middleware("http")
    async def session_cookie(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        set_session_cookie(request, response)
        return response

    async def error_page(
        request: Request, status: int, message: str, title: str | None
    ) -> Response:
        page = await web(request)
        return page.render(
            "error.html", status, message=message, title=title or page.gettext("Something is wrong")
        )

    @app.exception_handler(SignInNeededError)
    async def sign_in_first(request: Request, error: SignInNeededError) -> Response:
        page = await web(request)
        return page.redirect(f"/login?{urlencode({'next': error.next_url})}")

    @app.exception_handler(PageError)
    async def page_error(request: Request, error: PageError) -> Response:
        return await error_page(request, error.status, error.message, error.title)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        page = await web(request)
        message = (
            page.gettext("There is no page at this address.")
            if error.status_code == 404
            else page.gettext("This request cannot be served.")
        )
        return await error_page(request, error.status_code, message, None)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        page = await web(request)
        return await error_page(
            request, 400, page.gettext("Some of the request's values are not valid."), None
        )

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app

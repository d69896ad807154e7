"""The portal served over HTTP with the real STAC API, tiler, database and SMTP server, and
items of its own: two licensed Pléiades images and an open Spot World Heritage one in Corsica,
each with a thumbnail served over HTTP."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import psycopg
import pytest
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from pypgstac.load import Loader, Methods
from rasterio.transform import from_origin

from access import store as access_store
from access.models import EntityCategory, Role
from access.settings import AccessSettings
from dinamis.database import pgstac_db
from dinamis.serve import BackgroundServer, free_port
from dinamis.settings import Settings
from portal import store
from portal.app import create_app
from portal.passwords import hash_password
from portal.settings import PortalSettings
from tests.browser import chromium
from tests.cogs import cog_item, write_cog
from tests.jobs.conftest import (  # noqa: F401 (fixtures: the DEMs, a raw scene, workers)
    dems,
    raw_item,
    workers,
)
from tests.mail import Mailbox, SmtpServer
from tiler.app import create_app as create_tiler
from tiler.settings import TilerSettings

if TYPE_CHECKING:
    from playwright.sync_api import Page, Playwright

CRS = "EPSG:32632"
ORIGIN = (510_000.0, 4_650_000.0)  # Corsica, August 2021: no other suite's item near
PIXEL = 10.0
SIZE = 256
SEARCH = {"bbox": "8.9, 41.9, 9.3, 42.1", "start": "2021-08-01", "end": "2021-08-31"}
ADMIN = ("operator@dinamis.test", "operator password 1")


def _pattern(seed: int) -> np.ndarray:
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    return np.stack([x * 11, y * 11, (x + y) * 5 + seed * 400, x * 7]).astype("uint16")


def _thumbnail(path: Path, seed: int) -> Path:
    import rasterio

    path.parent.mkdir(parents=True, exist_ok=True)
    y, x = np.mgrid[0:64, 0:64]
    data = np.stack([x * 4, y * 4, np.full((64, 64), seed * 60)]).astype("uint8")
    with rasterio.open(path, "w", driver="PNG", width=64, height=64, count=3, dtype="uint8") as png:
        png.write(data)
    return path


@dataclass
class Portal:
    url: str
    api_url: str
    tiler_url: str
    licensed: list[dict[str, Any]]
    open: dict[str, Any]
    cogs: dict[str, Path]
    mailbox: Mailbox
    database_url: str
    admin: tuple[str, str] = ADMIN

    def link(self, address: str, path: str) -> str:
        """The last link to ``path`` mailed to ``address``."""
        for message in reversed(self.mailbox.to(address)):
            found = re.search(
                rf"{re.escape(self.url)}{re.escape(path)}\?t=[\w-]+", Mailbox.body(message)
            )
            if found:
                return found.group(0)
        raise AssertionError(f"no {path} link mailed to {address}")


@pytest.fixture(scope="session")
def thumbnails(settings: Settings) -> Iterator[tuple[str, Path]]:
    folder = settings.data_dir / "portal-thumbnails"
    folder.mkdir(parents=True, exist_ok=True)
    app = FastAPI()
    app.mount("/", StaticFiles(directory=folder))
    server = BackgroundServer(app, free_port()).start()
    yield server.url, folder
    server.stop()


@pytest.fixture(scope="session")
def portal_items(
    database_url: str, collection_ids: list[str], settings: Settings, thumbnails: tuple[str, Path]
) -> Iterator[tuple[list[dict[str, Any]], dict[str, Any], dict[str, Path]]]:
    base, folder = thumbnails
    cogs, items = {}, []
    specs = [
        ("pleiades", "PORTAL-PHR-WEST", 0, "2021-08-10T10:30:00Z", 5.0),
        ("pleiades", "PORTAL-PHR-EAST", 1, "2021-08-18T10:40:00Z", 12.0),
        ("spot-world-heritage", "PORTAL-SWH", 2, "2021-08-05T10:20:00Z", 0.0),
    ]
    for collection, item_id, seed, when, cloud in specs:
        origin = (ORIGIN[0] + seed * (SIZE * PIXEL + 300), ORIGIN[1])
        cog = write_cog(
            settings.storage / collection / item_id / f"{item_id}.tif",
            _pattern(seed),
            CRS,
            from_origin(*origin, PIXEL, PIXEL),
            nodata=None,
        )
        cogs[item_id] = cog
        _thumbnail(folder / f"{item_id}.png", seed)
        item = cog_item(
            item_id,
            collection,
            cog,
            datetime=when,
            platform="PHR1A" if collection == "pleiades" else "SPOT4",
            gsd=PIXEL,
            **{"eo:cloud_cover": cloud, "view:incidence_angle": 8.5 + seed},
        )
        item["assets"]["data"]["file:size"] = cog.stat().st_size
        item["assets"]["thumbnail"] = {
            "href": f"{base}/{item_id}.png",
            "type": "image/png",
            "roles": ["thumbnail"],
        }
        items.append(item)
    with pgstac_db(database_url) as db:
        Loader(db).load_items(iter(items), insert_mode=Methods.upsert)
    yield items[:2], items[2], cogs
    with pgstac_db(database_url) as db:
        for item in items:
            db.query_one("SELECT delete_item(%s, %s)", (item["id"], item["collection"]))


@pytest.fixture(scope="session")
def operator(database_url: str) -> tuple[str, str]:
    """A DINAMIS operator (admin) with a portal password."""
    with psycopg.connect(database_url) as conn:
        entity = access_store.create_entity(
            conn, "DINAMIS operators", EntityCategory.FRENCH_PUBLIC_BODY
        )
        access_store.activate_entity(conn, entity.id)
        user = access_store.create_user(conn, entity.id, ADMIN[0], "Olga Operator", Role.ADMIN)
        access_store.activate_user(conn, user.id)
        store.set_password_hash(conn, user.id, hash_password(ADMIN[1]))
    return ADMIN


@pytest.fixture(scope="session")
def portal(
    api_url: str,
    database_url: str,
    settings: Settings,
    access: AccessSettings,
    smtp: SmtpServer,
    portal_items: tuple[list[dict[str, Any]], dict[str, Any], dict[str, Path]],
    operator: tuple[str, str],
) -> Iterator[Portal]:
    tiler = BackgroundServer(
        create_tiler(
            database_url,
            TilerSettings(storage_roots=[settings.storage], stac_api_url=api_url),
            access,
        ),
        free_port(),
    ).start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    portal_settings = PortalSettings(
        public_url=url, api_url=api_url, tiler_url=tiler.url, login_attempts=5
    )
    server = BackgroundServer(
        create_app(database_url, portal_settings, access, smtp.settings), port
    ).start()
    licensed, open_item, cogs = portal_items
    yield Portal(url, api_url, tiler.url, licensed, open_item, cogs, smtp.mailbox, database_url)
    server.stop()
    tiler.stop()


@dataclass
class Browser:
    """A page that records console errors and failed requests, and screenshots on demand."""

    page: "Page"
    folder: Path
    errors: list[str] = field(default_factory=list)
    shots: list[Path] = field(default_factory=list)

    def shot(self, name: str) -> None:
        path = self.folder / f"{len(self.shots) + 1:02d}-{name}.png"
        self.page.screenshot(path=path, full_page=True)
        self.shots.append(path)


@contextmanager
def recording(folder: Path, playwright: "Playwright") -> Iterator[Browser]:
    """A browser of its own (own cookies, so its own session), recording into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    # A French visitor: the browser asks for French first, as most of the programme's users.
    with chromium(playwright, accept_downloads=True, locale="fr-FR") as context:
        page = context.new_page()
        recorder = Browser(page, folder)
        page.on("pageerror", lambda error: recorder.errors.append(str(error)))
        page.on(
            "console",
            lambda message: (
                recorder.errors.append(message.text) if message.type == "error" else None
            ),
        )
        page.on("dialog", lambda dialog: recorder.errors.append(f"dialog: {dialog.message}"))
        yield recorder


@pytest.fixture
def playwright() -> Iterator["Playwright"]:
    """Playwright, once for the test's browsers (it runs once per thread)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as running:
        yield running


@pytest.fixture
def browser(tmp_path: Path, playwright: "Playwright") -> Iterator[Browser]:
    with recording(tmp_path, playwright) as recorder:
        yield recorder


@pytest.fixture
def operator_browser(tmp_path: Path, playwright: "Playwright") -> Iterator[Browser]:
    """A second browser, for an operator working while the user's browser stays signed in."""
    with recording(tmp_path / "operator", playwright) as recorder:
        yield recorder


def member(
    database_url: str,
    entity: str,
    email: str,
    password: str,
    *,
    role: Role = Role.USER,
    licence: bool = True,
    acknowledge: bool = True,
) -> int:
    """An active user (with a portal password) of a new active member entity; its id."""
    with psycopg.connect(database_url) as conn:
        record = access_store.create_entity(conn, entity, EntityCategory.FRENCH_RESEARCH)
        access_store.activate_entity(conn, record.id)
        access_store.accept_membership(conn, record.id, "2024")
        if licence:
            access_store.accept_licence(conn, record.id, "airbus-dinamis")
        user = access_store.create_user(conn, record.id, email, email.split("@")[0], role)
        access_store.activate_user(conn, user.id)
        if acknowledge:
            access_store.acknowledge_licence(conn, user.id, "airbus-dinamis")
        store.set_password_hash(conn, user.id, hash_password(password))
        return record.id

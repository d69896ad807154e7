"""Imagery-request test services: the STAC API with the requests mounted and mailing a real
SMTP server, requesters of every kind the rules tell apart, orbits and archive footprints."""

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from shapely.geometry import box, mapping

from access import store as access_store
from access.models import EntityCategory, Role
from access.settings import AccessSettings
from dinamis.area import geometry_area_km2
from dinamis.serve import BackgroundServer, free_port
from dinamis.settings import Settings
from orders import store
from orders.archive import load_archive
from orders.opportunities import parse_tles
from tests.entitlements import bearer
from tests.mail import SmtpServer

DATA = Path(__file__).parent / "data"
TOULOUSE = (1.44, 43.60)


def square(km2: float, centre: tuple[float, float] = TOULOUSE) -> dict[str, Any]:
    """A lon/lat square around ``centre`` whose geodesic area is ``km2`` to the m²."""
    low, high = 0.0, 5.0
    for _ in range(80):
        half = (low + high) / 2
        shape = box(
            centre[0] - half, centre[1] - half * 0.72, centre[0] + half, centre[1] + half * 0.72
        )
        if geometry_area_km2(shape) < km2:
            low = half
        else:
            high = half
    return json.loads(json.dumps(mapping(shape)))


@dataclass(frozen=True)
class Requester:
    email: str
    key: str
    user_id: int
    entity_id: int

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.key)


@dataclass(frozen=True)
class Requesters:
    lab: Requester
    """A scientific lab (french-research): quota, then cost price co-financed by CNES."""
    lab_colleague: Requester
    lab_referent: Requester
    public: Requester
    """A non-scientific public body: quota, then the full cost price."""
    private: Requester
    """An R&D firm: a member with the licence, but not eligible to request."""
    suspended: Requester
    """A user of a suspended entity."""
    unlicensed: Requester
    """An eligible lab that has not accepted the Airbus licence."""
    spender: Requester
    """A lab whose tranche balance the concurrency test spends."""
    operator: Requester


def _requester(
    conn: psycopg.Connection,
    entity: int,
    email: str,
    role: Role = Role.USER,
) -> Requester:
    user = access_store.create_user(conn, entity, email, email.split("@")[0], role)
    access_store.activate_user(conn, user.id)
    access_store.acknowledge_licence(conn, user.id, "airbus-dinamis")
    key = access_store.issue_key(conn, user.id).secret
    return Requester(email, key, user.id, entity)


def _entity(
    conn: psycopg.Connection, name: str, category: EntityCategory, licence: bool = True
) -> int:
    entity = access_store.create_entity(conn, name, category)
    access_store.activate_entity(conn, entity.id)
    access_store.accept_membership(conn, entity.id, "2024")
    if licence:
        access_store.accept_licence(conn, entity.id, "airbus-dinamis", provider_approved=True)
    return entity.id


@pytest.fixture(scope="session")
def requesters(database_url: str, collection_ids: list[str]) -> Requesters:
    with psycopg.connect(database_url) as conn:
        lab = _entity(conn, "UMR Orders Lab", EntityCategory.FRENCH_RESEARCH)
        public = _entity(conn, "Orders Prefecture", EntityCategory.FRENCH_PUBLIC_BODY)
        private = _entity(conn, "Orders R&D SAS", EntityCategory.PRIVATE_RND)
        suspended = _entity(conn, "Orders Suspended Lab", EntityCategory.FRENCH_RESEARCH)
        unlicensed = _entity(
            conn, "Orders Unlicensed Lab", EntityCategory.FRENCH_RESEARCH, licence=False
        )
        spender = _entity(conn, "Orders Busy Lab", EntityCategory.FRENCH_RESEARCH)
        people = Requesters(
            lab=_requester(conn, lab, "lea@lab.orders.test"),
            lab_colleague=_requester(conn, lab, "hugo@lab.orders.test"),
            lab_referent=_requester(conn, lab, "rose@lab.orders.test", Role.REFERENT),
            public=_requester(conn, public, "paul@prefecture.orders.test"),
            private=_requester(conn, private, "ines@rnd.orders.test"),
            suspended=_requester(conn, suspended, "sam@suspended.orders.test"),
            unlicensed=_requester(conn, unlicensed, "ugo@unlicensed.orders.test"),
            spender=_requester(conn, spender, "bea@busy.orders.test"),
            operator=_requester(conn, lab, "ops@dinamis.orders.test", Role.OPERATOR),
        )
        access_store.suspend_entity(conn, suspended)
    return people


@pytest.fixture(scope="session")
def tles(database_url: str) -> list[tuple[str, str, str]]:
    """Fixed orbits of Pléiades 1A/1B and SPOT 6/7 (epoch 2026-11-16), checked in."""
    parsed = parse_tles((DATA / "tles.txt").read_text())
    with psycopg.connect(database_url) as conn:
        store.load_tles(conn, parsed)
    return parsed


ARCHIVE_SCENES = {
    # id: (platform, acquisition, footprint west, south, east, north)
    "PHR1A_ARCHIVE_TLS_2023": ("PHR1A", "2023-06-14T10:42:00Z", (1.2, 43.4, 1.7, 43.8)),
    "PHR1B_ARCHIVE_TLS_2024": ("PHR1B", "2024-04-02T10:51:00Z", (1.25, 43.45, 1.65, 43.75)),
    "SPOT7_ARCHIVE_TLS_2022": ("SPOT7", "2022-08-20T10:20:00Z", (0.9, 43.1, 2.0, 44.1)),
    "PHR1A_ARCHIVE_BREST_2023": ("PHR1A", "2023-05-01T11:05:00Z", (-4.6, 48.3, -4.4, 48.5)),
}


@pytest.fixture(scope="module")
def archive(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """Footprints of the provider's archive, loaded as the operator does; removed after the
    module, so that other suites see only the catalogue's own collections."""
    features = [
        {
            "type": "Feature",
            "geometry": mapping(box(*bounds)),
            "properties": {
                "id": scene_id,
                "datetime": when,
                "platform": platform,
                "eo:cloud_cover": 3.5,
                "view:incidence_angle": 12.0,
            },
        }
        for scene_id, (platform, when, bounds) in ARCHIVE_SCENES.items()
    ]
    path = tmp_path_factory.mktemp("archive") / "footprints.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    assert load_archive(database_url, path) == len(features)
    yield ARCHIVE_SCENES
    with psycopg.connect(database_url) as conn:
        conn.execute("SELECT pgstac.delete_collection('airbus-archive')")


@pytest.fixture(scope="session")
def stapi(
    database_url: str,
    collection_ids: list[str],
    settings: Settings,
    access: AccessSettings,
    smtp: SmtpServer,
    requesters: Requesters,
) -> Iterator[str]:
    """The STAC API (requests under /stapi) mailing the test SMTP server; its base URL."""
    from stac_api.app import create_app
    from stac_api.settings import ApiSettings

    mail = {"DINAMIS_SMTP_HOST": "127.0.0.1", "DINAMIS_SMTP_PORT": str(smtp.controller.port)}
    saved = {name: os.environ.get(name) for name in mail}
    os.environ.update(mail)
    try:
        app = create_app(database_url, ApiSettings(tiler_url=settings.tiler_url), access)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    server = BackgroundServer(app, free_port()).start()
    yield server.url
    server.stop()


@pytest.fixture
def order_count(database_url: str) -> Callable[[], int]:
    def count() -> int:
        with psycopg.connect(database_url) as conn:
            return conn.execute('SELECT count(*) FROM dinamis_orders."order"').fetchone()[0]

    return count


@pytest.fixture(scope="session")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=60) as http:
        yield http


def window(days_ahead: float = 5, days: float = 30) -> str:
    start = datetime.now(UTC) + timedelta(days=days_ahead)
    return f"{start.isoformat()}/{(start + timedelta(days=days)).isoformat()}"


def payload(geometry: dict[str, Any], when: str | None = None, **parameters: Any) -> dict[str, Any]:
    return {"datetime": when or window(), "geometry": geometry, "order_parameters": parameters}


def mails_to(
    smtp: SmtpServer, address: str, at_least: int, about: str = "", timeout: float = 10
) -> list[EmailMessage]:
    """Messages received for ``address`` whose subject contains ``about``, waiting for
    ``at_least`` of them: they are sent after the answer."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in smtp.mailbox.to(address) if about in str(m["Subject"])]
        if len(found) >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.05)

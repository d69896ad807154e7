"""Session-wide real services: a throwaway PostgreSQL+PostGIS+pgSTAC cluster, the STAC API, and
the access-control data (people, licensed and open items) every suite reading imagery needs."""

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from jwt.algorithms import RSAAlgorithm
from pypgstac.load import Loader, Methods
from typer.testing import CliRunner

from access.settings import AccessSettings, access_settings
from dinamis import database
from dinamis.catalog import load_collections
from dinamis.cli import app as dinamis_app
from dinamis.serve import BackgroundServer, free_port
from dinamis.settings import REPO_ROOT, Settings, get_settings
from stac_api.synthetic import synthetic_items
from tests.entitlements import Issuer, Items, People, bearer, load_items, register_people
from tests.mail import Mailbox, SmtpServer

# A collection of its own with synthetic items, so other suites' items cannot change results.
SEARCH_COLLECTION = "synthetic-test"
SEARCH_COUNT = 60
# The real sample products of tests/data (see its SOURCES.md), or another copy of them.
SAMPLES = Path(os.environ.get("DINAMIS_SAMPLES_DIR") or REPO_ROOT / "tests" / "data")


@pytest.fixture
def invoke(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., str]]:
    """``dinamis ...`` as an operator's shell runs it, the database given by DATABASE_URL; the
    output, once the exit code is the one expected."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()

    def run(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(dinamis_app, list(args))
        assert result.exit_code == code, result.output
        return result.output

    yield run
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.fail(f"sample products not found in {SAMPLES} (set DINAMIS_SAMPLES_DIR)")
    return SAMPLES


@pytest.fixture(scope="session")
def settings() -> Iterator[Settings]:
    # Not pytest's tmp_path: its folders are mode 700, which the cluster's account cannot enter.
    data_dir = Path(tempfile.mkdtemp(prefix="dinamis-test-"))
    data_dir.chmod(0o755)
    yield Settings(
        data_dir=data_dir,
        database_url=None,
        pg_port=free_port(),
        api_port=free_port(),
        tiler_port=free_port(),
    )


@pytest.fixture(scope="session")
def database_url(settings: Settings) -> Iterator[str]:
    url = database.start(settings)
    yield url
    database.embedded_cluster(settings).destroy()


@pytest.fixture(scope="session")
def collection_ids(database_url: str, settings: Settings) -> list[str]:
    return load_collections(database_url, settings.collections_dir)


@pytest.fixture(scope="session")
def issuer() -> Iterator[Issuer]:
    """An OpenID Connect provider publishing its JWKS over HTTP."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    app = FastAPI()

    @app.get("/jwks.json")
    def jwks() -> dict[str, Any]:
        return {"keys": [{**jwk, "kid": "test-key", "alg": "RS256", "use": "sig"}]}

    server = BackgroundServer(app, free_port()).start()
    yield Issuer(url=server.url, kid="test-key", private_key=private_key)
    server.stop()


@pytest.fixture(scope="session")
def access(settings: Settings, issuer: Issuer) -> AccessSettings:
    """The access settings both apps share (one secret, so a token of one works on the other)."""
    return access_settings(
        settings, oidc_issuer=issuer.url, oidc_jwks_url=f"{issuer.url}/jwks.json"
    )


@pytest.fixture(scope="session")
def people(database_url: str) -> People:
    return register_people(database_url)


@pytest.fixture(scope="session")
def access_items(database_url: str, collection_ids: list[str], settings: Settings) -> Items:
    return load_items(database_url, settings)


@pytest.fixture(scope="session")
def admin_key(people: People) -> str:
    return people.admin


@pytest.fixture(scope="session")
def entitled_key(people: People) -> str:
    """The API key of an active user whose entity accepted the Airbus licence."""
    return people.entitled


@pytest.fixture(scope="session")
def admin(admin_key: str) -> Iterator[httpx.Client]:
    """An HTTP client sending an admin's key, for catalogue writes."""
    with httpx.Client(headers=bearer(admin_key), timeout=60) as client:
        yield client


@pytest.fixture(scope="session")
def entitled(entitled_key: str) -> Iterator[httpx.Client]:
    """An HTTP client sending an entitled user's key, for imagery of licensed collections."""
    with httpx.Client(headers=bearer(entitled_key), timeout=60) as client:
        yield client


@pytest.fixture(scope="session")
def api_url(
    database_url: str, collection_ids: list[str], settings: Settings, access: AccessSettings
) -> Iterator[str]:
    from stac_api.app import create_app
    from stac_api.settings import ApiSettings

    app = create_app(
        database_url,
        ApiSettings(enable_transactions_extensions=True, tiler_url=settings.tiler_url),
        access,
    )
    server = BackgroundServer(app, settings.api_port).start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on loopback; tests read ``smtp.mailbox`` (clear it if they count)."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield SmtpServer(controller, mailbox)
    controller.stop()


@pytest.fixture(scope="session")
def search_items(api_url: str, database_url: str, admin: httpx.Client) -> Iterator[list[dict]]:
    collection = {
        "type": "Collection",
        "stac_version": "1.1.0",
        "id": SEARCH_COLLECTION,
        "description": "Synthetic Pléiades-like items for the catalogue tests",
        "license": "other",
        "extent": {
            "spatial": {"bbox": [[-5, 42, 8, 51]]},
            "temporal": {"interval": [["2012-01-01T00:00:00Z", None]]},
        },
        "links": [],
    }
    response = admin.post(f"{api_url}/collections", json=collection)
    assert response.status_code in (200, 201), response.text
    items = list(synthetic_items(SEARCH_COUNT, seed=42, collection=SEARCH_COLLECTION))
    # Most through pypgstac's loader (the ingest path), the last through the Transactions API.
    with database.pgstac_db(database_url) as db:
        Loader(db).load_items(iter(items[:-1]), insert_mode=Methods.upsert)
    response = admin.post(f"{api_url}/collections/{SEARCH_COLLECTION}/items", json=items[-1])
    assert response.status_code in (200, 201), response.text
    yield items
    admin.delete(f"{api_url}/collections/{SEARCH_COLLECTION}")

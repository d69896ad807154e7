"""Fixtures of the client tests: ingested sample scenes (scenes.py), and the STAC API and the
tiler behind a real nginx (Debian's), as deployed: one public origin, `/` to the API and
`/raster/` to the tiler (deploy/nginx.conf.template)."""

import shutil
import string
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from access.settings import AccessSettings
from dinamis.serve import BackgroundServer, free_port, wait_until_answering
from dinamis.settings import REPO_ROOT, Settings
from stac_api.app import create_app as create_api
from stac_api.settings import ApiSettings
from tests.clients.scenes import licensed_scenes, open_scenes, panchromatic_scenes
from tiler.app import create_app as create_tiler
from tiler.settings import TilerSettings

__all__ = ["deployment", "licensed_scenes", "open_scenes", "panchromatic_scenes"]

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SITE_TEMPLATE = REPO_ROOT / "deploy" / "nginx.conf.template"
MAIN = """
worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    include {root}/site.conf;
}}
"""


@dataclass(frozen=True)
class Deployment:
    public: str
    """The origin clients use (nginx)."""
    api: str
    tiler: str


@pytest.fixture(scope="session")
def deployment(
    database_url: str, collection_ids: list[str], settings: Settings, access: AccessSettings
) -> Iterator[Deployment]:
    api = BackgroundServer(
        create_api(database_url, ApiSettings(tiler_url="/raster"), access), free_port()
    ).start()
    tiler = BackgroundServer(
        create_tiler(
            database_url,
            TilerSettings(storage_roots=[settings.storage], public_url=None),
            access,
        ),
        free_port(),
    ).start()
    port = free_port()
    root = Path(tempfile.mkdtemp(prefix="dinamis-nginx-"))
    root.chmod(0o755)  # nginx's workers run as an unprivileged user when started as root
    (root / "site.conf").write_text(
        string.Template(SITE_TEMPLATE.read_text()).safe_substitute(
            PROXY_LISTEN=f"127.0.0.1:{port}",
            API_UPSTREAM=f"127.0.0.1:{api.port}",
            TILER_UPSTREAM=f"127.0.0.1:{tiler.port}",
        )
    )
    (root / "nginx.conf").write_text(MAIN.format(root=root))
    nginx = subprocess.Popen([NGINX, "-c", str(root / "nginx.conf"), "-p", str(root)])
    public = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_answering([f"{public}/_mgmt/ping"], nginx, timeout=30):
            log = (root / "error.log").read_text() if (root / "error.log").exists() else ""
            pytest.fail(f"nginx did not start: {log}")
        yield Deployment(public=public, api=api.url, tiler=tiler.url)
    finally:
        nginx.terminate()
        nginx.wait(timeout=30)
        api.stop()
        tiler.stop()
        shutil.rmtree(root, ignore_errors=True)

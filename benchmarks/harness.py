"""What every benchmark needs: a throwaway catalogue database and an app served by uvicorn in a
process of its own, so that client and server do not share one interpreter's GIL."""

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from dinamis import database
from dinamis.catalog import load_collections
from dinamis.serve import free_port
from dinamis.settings import REPO_ROOT, Settings


@contextmanager
def throwaway_database() -> Iterator[tuple[str, Settings]]:
    """An embedded database with the collections loaded, in a fresh data folder, destroyed after
    use."""
    data_dir = Path(tempfile.mkdtemp(prefix="dinamis-bench-"))
    data_dir.chmod(0o755)
    settings = Settings(data_dir=data_dir, database_url=None, pg_port=free_port())
    url = database.start(settings)
    try:
        load_collections(url, settings.collections_dir)
        settings.storage.mkdir(parents=True, exist_ok=True)
        yield url, settings
    finally:
        database.embedded_cluster(settings).destroy()


@contextmanager
def served(
    factory: str, health_path: str, url: str, settings: Settings, env: dict[str, str] | None = None
) -> Iterator[str]:
    """``factory`` (``module:create_app``) served on the database ``url`` and the data folder of
    ``settings`` (storage, access secret); yields its base URL once ``health_path`` answers."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            factory,
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env={
            **os.environ,
            **database.postgres_env(url),
            "DINAMIS_DATA_DIR": str(settings.data_dir),
            **(env or {}),
        },
        cwd=REPO_ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}{health_path}").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{factory} did not start")
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait()

"""The embedded cluster and the external-database path, against real PostgreSQL servers."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from dinamis import database
from dinamis.embedded import EmbeddedDatabaseError, find_bindir
from dinamis.serve import free_port
from dinamis.settings import Settings


@pytest.fixture
def fresh_settings() -> Iterator[Settings]:
    """Settings for a cluster that does not exist yet, removed after the test."""
    data_dir = Path(tempfile.mkdtemp(prefix="dinamis-test-"))
    data_dir.chmod(0o755)
    settings = Settings(data_dir=data_dir, database_url=None, pg_port=free_port())
    yield settings
    database.embedded_cluster(settings).destroy()
    shutil.rmtree(data_dir, ignore_errors=True)


def test_database_has_postgis_and_pgstac(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        extensions = {row[0] for row in conn.execute("SELECT extname FROM pg_extension")}
        version = conn.execute("SELECT pgstac.get_version()").fetchone()[0]
    assert "postgis" in extensions
    import pypgstac

    assert version == pypgstac.__version__


def test_starting_twice_is_harmless(settings: Settings, database_url: str) -> None:
    assert database.start(settings) == database_url
    assert database.embedded_cluster(settings).running()


def test_server_runs_as_an_unprivileged_account(settings: Settings, database_url: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root needs a separate account")
    pid = int((settings.pgdata / "postmaster.pid").read_text().split()[0])
    assert os.stat(f"/proc/{pid}").st_uid != 0


def test_taken_port_is_reported_clearly(fresh_settings: Settings) -> None:
    settings = fresh_settings
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", settings.pg_port))
        blocker.listen()
        with pytest.raises(
            EmbeddedDatabaseError, match=f"port {settings.pg_port} is already taken"
        ):
            database.start(settings)


def test_missing_binaries_name_the_package_to_install() -> None:
    with pytest.raises(EmbeddedDatabaseError, match="apt-get install postgresql-15"):
        find_bindir(Path("/nonexistent/bin"))


def test_external_database_is_used_as_is(database_url: str, fresh_settings: Settings) -> None:
    settings = fresh_settings
    external = settings.model_copy(update={"database_url": database_url})
    assert database.start(external) == database_url
    assert not settings.pgdata.exists(), "no embedded cluster is created for an external server"


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DINAMIS_DATA_DIR": str(settings.data_dir),
        "DINAMIS_PG_PORT": str(settings.pg_port),
    }
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "dinamis", *args], capture_output=True, text=True, env=env
    )


def test_cli_status_and_url(settings: Settings, database_url: str) -> None:
    status = cli(settings, "db", "status")
    assert status.returncode == 0, status.stderr
    assert "running" in status.stderr + status.stdout
    url = cli(settings, "db", "url")
    assert url.stdout.strip() == database_url


def test_cli_status_of_a_cluster_not_created_yet(fresh_settings: Settings) -> None:
    status = cli(fresh_settings, "db", "status")
    assert status.returncode == 3
    assert "not created yet" in status.stderr + status.stdout

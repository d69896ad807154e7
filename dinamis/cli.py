"""The ``dinamis`` command: database, collections, ingestion and the servers."""

import logging
import subprocess
import sys
import warnings
from typing import Annotated

import typer
from rasterio.errors import NotGeoreferencedWarning
from rich.console import Console
from rich.logging import RichHandler

from access.logs import install_secret_filter
from dinamis import database
from dinamis.catalog import load_collections
from dinamis.embedded import EmbeddedDatabaseError
from dinamis.plugins import register_commands
from dinamis.settings import Settings, get_settings

console = Console(stderr=True, soft_wrap=True)
app = typer.Typer(
    help="DINAMIS catalogue and tiling server for Pléiades, SPOT 6/7 and Spot World Heritage.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
db_app = typer.Typer(help="The PostgreSQL + PostGIS + pgSTAC database.", no_args_is_help=True)
collections_app = typer.Typer(help="The catalogue's collections.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(collections_app, name="collections")
# Each package's own commands (entity, user, key, licence, ingest, ...): see dinamis.plugins.
register_commands(app)

Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Log debug details.")]


@app.callback()
def main(verbose: Verbose = False) -> None:
    # Before any handler exists: no log line, of any library, may carry a key or a token.
    install_secret_filter()
    # Sensor-geometry products have no geotransform by nature; GDAL's warning is noise here.
    warnings.simplefilter("ignore", NotGeoreferencedWarning)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False)],
    )


def _fail(error: Exception) -> typer.Exit:
    console.print(f"[red]error:[/red] {error}")
    return typer.Exit(code=1)


def _start_database(settings: Settings) -> str:
    try:
        return database.start(settings)
    except EmbeddedDatabaseError as error:
        raise _fail(error) from error


@db_app.command("start")
def db_start() -> None:
    """Create (first time), start and migrate the embedded database, or migrate the external one."""
    settings = get_settings()
    url = _start_database(settings)
    where = "external" if database.external_url(settings) else f"embedded in {settings.pgdata}"
    console.print(f"[green]database ready[/green] ({where}): {_redact(url)}")


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded database (an external one is left alone)."""
    settings = get_settings()
    if database.external_url(settings):
        console.print("external database in use: nothing to stop")
        return
    try:
        database.embedded_cluster(settings).stop()
    except EmbeddedDatabaseError as error:
        raise _fail(error) from error
    console.print("database stopped")


@db_app.command("status")
def db_status() -> None:
    """Say which database is configured and whether the embedded one runs."""
    settings = get_settings()
    if url := database.external_url(settings):
        console.print(f"external database: {_redact(url)}")
        return
    try:
        cluster = database.embedded_cluster(settings)
    except EmbeddedDatabaseError as error:
        raise _fail(error) from error
    state = (
        "running"
        if cluster.running()
        else ("stopped" if cluster.initialised else "not created yet")
    )
    console.print(f"embedded database in {settings.pgdata}, port {settings.pg_port}: {state}")
    if state != "running":
        raise typer.Exit(code=3)


@db_app.command("url")
def db_url() -> None:
    """Print the database URL (with its password) for psql, QGIS or pypgstac."""
    try:
        typer.echo(database.database_url(get_settings()))
    except EmbeddedDatabaseError as error:
        raise _fail(error) from error


@db_app.command("migrate")
def db_migrate() -> None:
    """Bring the schema of the database in use to the current version."""
    try:
        version = database.migrate(database.database_url(get_settings()))
    except EmbeddedDatabaseError as error:
        raise _fail(error) from error
    console.print(f"pgSTAC at version {version}")


@collections_app.command("load")
def collections_load() -> None:
    """Upsert the collections of collections/*.json into the catalogue."""
    settings = get_settings()
    try:
        ids = load_collections(database.database_url(settings), settings.collections_dir)
    except (EmbeddedDatabaseError, ValueError, FileNotFoundError) as error:
        raise _fail(error) from error
    console.print(f"collections loaded: {', '.join(ids)}")


def _redact(url: str) -> str:
    head, sep, tail = url.partition("@")
    if not sep:
        return url
    scheme, _, credentials = head.partition("://")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{tail}"


def _start_worker() -> subprocess.Popen | None:
    """One ``dinamis worker`` beside the servers, when a package provides that command; it
    gets Ctrl+C with them (same process group)."""
    names = {c.name or getattr(c.callback, "__name__", "") for c in app.registered_commands}
    if "worker" not in names:
        return None
    return subprocess.Popen([sys.executable, "-m", "dinamis", "worker"])


def _serve(
    settings: Settings,
    url: str,
    with_tiler: bool,
    next_steps: str = "",
    worker: subprocess.Popen | None = None,
) -> None:
    from dinamis.serve import serve_forever, worker_processes
    from portal.app import create_app as create_portal
    from stac_api.app import create_app as create_api
    from tiler.app import create_app as create_tiler
    from tiler.settings import TilerSettings

    apps = {settings.api_port: create_api(url)}
    lines = [f"  STAC API     {settings.api_url}  (docs: {settings.api_url}/api.html)"]
    workers = TilerSettings().process_count if with_tiler else 1
    if with_tiler:
        if workers == 1:
            apps[settings.tiler_port] = create_tiler(url)
        lines += [
            f"  tiler        {settings.tiler_url}  (docs: {settings.tiler_url}/api.html)"
            f"  {workers} worker process(es)",
            f"  web map      {settings.tiler_url}/viewer",
        ]
        apps[settings.portal_port] = create_portal(url)
        lines.append(f"  portal       {settings.portal_url}")
    if worker is not None:
        lines.append(f"  worker       dinamis worker, pid {worker.pid} (jobs of /processes)")
    lines.append(f"  database     {_redact(url)}")
    console.print("\n[bold green]DINAMIS is serving[/bold green]\n" + "\n".join(lines))
    if next_steps:
        console.print(f"\n{next_steps}\n", highlight=False)
    console.print(
        "Press Ctrl+C to stop the servers (the database keeps running: `dinamis db stop`)."
    )
    if workers == 1:
        serve_forever(apps, settings.host)
        return
    # The tiler's processes find the same database as this one: the environment is theirs.
    with worker_processes("tiler.app:create_app", settings.host, settings.tiler_port, workers):
        serve_forever(apps, settings.host)


@app.command()
def serve(
    tiler: Annotated[bool, typer.Option("--tiler/--no-tiler", help="Serve the tiler too.")] = False,
) -> None:
    """Serve the STAC API (and the tiler) on the configured database: no start, no ingest."""
    settings = get_settings()
    try:
        url = database.database_url(settings)
    except EmbeddedDatabaseError as error:
        raise _fail(error) from error
    _serve(settings, url, with_tiler=tiler)


@app.command()
def up(
    demo: Annotated[
        bool,
        typer.Option(
            "--demo/--no-demo",
            help="Generate and ingest the demo products when the catalogue is empty.",
        ),
    ] = True,
) -> None:
    """Start everything: database, collections, demo products, the STAC API, the tiler (web map),
    the portal and one job worker."""
    from demo.cli import run_demo
    from demo.tips import next_steps

    settings = get_settings()
    url = _start_database(settings)
    ids = load_collections(url, settings.collections_dir)
    console.print(f"collections: {', '.join(ids)}")
    if demo:
        run_demo(settings, url)
    worker = _start_worker()
    try:
        _serve(settings, url, with_tiler=True, next_steps=next_steps(settings, url), worker=worker)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait()

"""``dinamis ingest PATH...``: the command line over :func:`ingest.pipeline.ingest_paths`."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import typer
from rich.console import Console

from dinamis.database import database_url
from dinamis.settings import get_settings
from ingest.load import Catalogue
from ingest.model import IngestError
from ingest.pipeline import IngestReport, ingest_paths
from ingest.relay import relay_paths

app = typer.Typer(help="Ingest delivered DIMAP products into COGs and STAC items.")
# Soft wrap: one line per failure even in narrow terminals, so that logs can be grepped.
console = Console(stderr=True, soft_wrap=True)


def print_report(report: IngestReport) -> None:
    for outcome in report.failed:
        console.print(f"[red]FAILED[/red] {outcome.product}: {outcome.message}", highlight=False)
    for outcome in report.skipped:
        console.print(f"skipped {outcome.product}: {outcome.message}", highlight=False)
    for warning in report.warnings:
        console.print(f"[yellow]warning[/yellow] {warning}", highlight=False)
    console.print(report.summary())


@contextmanager
def stopped_by_database() -> Iterator[None]:
    """A database that does not answer stops the run with one line, not a traceback."""
    try:
        yield
    except IngestError as error:
        console.print(f"[red]{error}[/red]", highlight=False)
        raise typer.Exit(1) from None


@app.command("ingest")
def ingest_command(
    paths: list[Path] = typer.Argument(
        ...,
        help="Product folders, VOL/DIM/METADATA.DIM files, zip/tar deliveries, or "
        "folders of many deliveries.",
    ),
    collection: str | None = typer.Option(
        None, "--collection", help="Put the items in this collection instead of the detected one."
    ),
    workers: int = typer.Option(1, "--workers", min=1, help="Products processed in parallel."),
    force: bool = typer.Option(False, "--force", help="Rebuild even unchanged products."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Read and check the products, write nothing."
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars."),
) -> None:
    """Ingest products: one COG and one STAC item each; exit 1 if any product failed."""
    settings = get_settings()
    with stopped_by_database():
        report = ingest_paths(
            paths,
            settings,
            database_url(settings),
            collection=collection,
            workers=workers,
            force=force,
            dry_run=dry_run,
            progress=progress,
        )
    print_report(report)
    raise typer.Exit(0 if report.ok else 1)


swh = typer.Typer(
    help="The Spot World Heritage relay: catalogue the raw archive first, make COGs later."
)


@swh.command("relay")
def relay_command(
    paths: list[Path] = typer.Argument(
        ..., help="METADATA.DIM files or folders of any depth holding SWH scenes (unpacked)."
    ),
    collection: str | None = typer.Option(
        None, "--collection", help="Put the items in this collection instead of the detected one."
    ),
    workers: int = typer.Option(
        1, "--workers", min=1, max=64, help="Processes parsing metadata in parallel."
    ),
    batch_size: int = typer.Option(
        1000, "--batch-size", min=1, max=10000, help="Items loaded into pgSTAC at a time."
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Catalogue products from their metadata alone, their delivered files as assets (no pixel
    converted); already catalogued ones are left as they are. Exit 1 if any product failed."""
    settings = get_settings()
    with stopped_by_database():
        report = relay_paths(
            paths,
            settings,
            database_url(settings),
            collection=collection,
            workers=workers,
            batch_size=batch_size,
            progress=progress,
        )
    print_report(report)
    raise typer.Exit(0 if report.ok else 1)


@swh.command("cog")
def cog_command(
    collection: str = typer.Option(
        "spot-world-heritage", "--collection", help="Collection whose catalogued items to convert."
    ),
    limit: int = typer.Option(
        100, "--limit", min=1, max=100_000, help="Items to queue, newest acquisitions first."
    ),
) -> None:
    """Queue background jobs (run by `dinamis worker`) making the COG of catalogue-first items."""
    # procrastinate only when queueing: `dinamis ingest` starts without it.
    from procrastinate.exceptions import ConnectorException

    from ingest.tasks import defer_cog, deferring_app

    settings = get_settings()
    url = database_url(settings)
    with Catalogue(url) as catalogue:
        ids = catalogue.catalogued(collection, limit)
    try:
        with deferring_app(url).open() as app:
            queued = sum(defer_cog(app, collection, item_id) for item_id in ids)
    except ConnectorException as error:
        missing = isinstance(error.__cause__, psycopg.errors.UndefinedFunction)
        reason = "the job queue is not installed in this database" if missing else error.__cause__
        console.print(f"[red]Cannot queue the COG jobs:[/red] {reason}", highlight=False)
        raise typer.Exit(1) from None
    console.print(
        f"queued {queued} COG job(s) for {collection}; "
        f"{len(ids) - queued} already queued, {len(ids)} item(s) without a COG considered"
    )


def register(root: typer.Typer) -> None:
    """``dinamis ingest PATH...`` and ``dinamis swh relay|cog``."""
    root.add_typer(app)
    root.add_typer(swh, name="swh")

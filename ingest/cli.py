"""``dinamis ingest PATH...``: the command line over :func:`ingest.pipeline.ingest_paths`."""

from pathlib import Path

import typer
from rich.console import Console

from dinamis.database import database_url
from dinamis.settings import get_settings
from ingest.pipeline import IngestReport, ingest_paths

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


def register(root: typer.Typer) -> None:
    """``dinamis ingest PATH...``."""
    root.add_typer(app)

"""``dinamis demo``: a catalogue worth looking at, generated on an empty database."""

from typing import Annotated

import typer
from rich.console import Console

from demo.catalogue import DemoOutcome, ensure_demo
from demo.places import PRODUCTS
from demo.settings import DemoSettings
from dinamis.database import database_url
from dinamis.embedded import EmbeddedDatabaseError
from dinamis.settings import Settings, get_settings
from ingest.cli import print_report

console = Console(stderr=True, soft_wrap=True)


def run_demo(settings: Settings, url: str, force: bool = False) -> DemoOutcome:
    """Generate and ingest the demo when the catalogue is empty, saying what was done."""
    outcome = ensure_demo(settings, url, DemoSettings(), force=force)
    if outcome.report is None:
        console.print(
            f"catalogue holds {outcome.items_before} items: demo products not generated "
            "(`dinamis demo --force` adds them anyway)"
        )
    else:
        print_report(outcome.report)
        console.print(
            f"demo catalogue: {len(PRODUCTS)} products generated and ingested "
            f"in {outcome.seconds:.0f} s"
        )
    return outcome


def demo(
    force: Annotated[
        bool,
        typer.Option("--force", help="Generate even if the catalogue holds items; rebuild them."),
    ] = False,
) -> None:
    """Generate and ingest demo products (every collection, real places) into an empty catalogue.

    Sizes and seed: DINAMIS_DEMO_SIZE, DINAMIS_DEMO_SEED, DINAMIS_DEMO_WORKERS.
    """
    settings = get_settings()
    try:
        url = database_url(settings)
    except EmbeddedDatabaseError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(1) from error
    outcome = run_demo(settings, url, force=force)
    raise typer.Exit(0 if outcome.report is None or outcome.report.ok else 1)


def register(app: typer.Typer) -> None:
    """``dinamis demo``."""
    app.command("demo")(demo)

"""``dinamis stats FIGURE``: the figures of the statistics API, printed as CSV or JSON."""

import json
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import psycopg
import typer

from dinamis.database import EmbeddedDatabaseError, database_url
from dinamis.settings import get_settings
from stats import store
from stats.models import Format, Period, PeriodError, Step
from stats.settings import StatsSettings

FigureName = StrEnum("FigureName", {name: name for name in store.FIGURES})  # type: ignore[misc]


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg="red")
    return typer.Exit(1)


def stats(
    figure: Annotated[FigureName, typer.Argument(help="Which figure.")],
    first: Annotated[
        datetime | None,
        typer.Option("--from", formats=["%Y-%m-%d"], help="First day (default: 1 January)."),
    ] = None,
    last: Annotated[
        datetime | None,
        typer.Option("--to", formats=["%Y-%m-%d"], help="Last day, included (default: 31 Dec)."),
    ] = None,
    by: Annotated[Step, typer.Option(help="One row per group for the period, month or year.")] = (
        Step.PERIOD
    ),
    entity: Annotated[int | None, typer.Option(min=1, help="One entity's figures.")] = None,
    output: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.CSV,
) -> None:
    """Usage statistics for a period (default: this year), as the API gives them: members,
    downloads, requests or cumulative downloads since the start."""
    settings = StatsSettings()
    try:
        period = Period.checked(
            first.date() if first else None, last.date() if last else None, by, settings
        )
        url = database_url(get_settings())
    except (PeriodError, EmbeddedDatabaseError) as error:
        raise _fail(str(error)) from error
    with psycopg.connect(url) as conn:
        try:
            table = store.FIGURES[figure.value](conn, period, entity, settings)
        except store.TooLongError as error:
            raise _fail(str(error)) from error
    if output is Format.JSON:
        typer.echo(json.dumps(table.as_json(period, entity), indent=2, ensure_ascii=False))
    else:
        typer.echo(table.as_csv(), nl=False)


def register(app: typer.Typer) -> None:
    app.command("stats")(stats)

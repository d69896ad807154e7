"""What every package's commands share: refusing with a clear line, and the database URL."""

import typer

from dinamis.database import EmbeddedDatabaseError, database_url
from dinamis.settings import get_settings


def fail(message: str) -> typer.Exit:
    """The refusal to raise: ``message`` on standard error, exit code 1."""
    typer.secho(f"error: {message}", err=True, fg="red")
    return typer.Exit(1)


def configured_database_url() -> str:
    """The configured database's URL, or a refusal saying why there is none (not started)."""
    try:
        return database_url(get_settings())
    except EmbeddedDatabaseError as error:
        raise fail(str(error)) from error

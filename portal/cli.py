"""Operator commands of the portal, mounted as ``dinamis portal ...``."""

from typing import Annotated

import typer

from access import store as access_store
from access.cli import _connection
from portal import store
from portal.passwords import MAX_LENGTH, MIN_LENGTH, hash_password

portal_app = typer.Typer(help="The web portal's sign-in.", no_args_is_help=True)


@portal_app.command("password")
def password(
    email: Annotated[str, typer.Argument(help="The user's e-mail address.")],
    secret: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="DINAMIS_PORTAL_PASSWORD",
            help="Asked for when not given (never put it on the command line).",
        ),
    ],
) -> None:
    """Set a user's portal password: the first operator's, or one a user cannot reset by mail."""
    if not MIN_LENGTH <= len(secret) <= MAX_LENGTH:
        typer.secho(f"error: a password needs {MIN_LENGTH} to {MAX_LENGTH} characters", err=True)
        raise typer.Exit(1)
    with _connection() as conn:
        user = access_store.find_user(conn, email)
        store.set_password_hash(conn, user.id, hash_password(secret))
    typer.echo(f"password set for {user.email} ({user.role.value}, {user.status.value})")


def register(app: typer.Typer) -> None:
    app.add_typer(portal_app, name="portal")

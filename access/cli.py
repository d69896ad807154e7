"""Operator commands, mounted by the project CLI as ``dinamis entity|user|key|licence ...``."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated

import psycopg
import typer

from access import store
from access.models import EntityCategory, Role
from dinamis.commands import configured_database_url


@contextmanager
def _connection() -> Iterator[psycopg.Connection]:
    try:
        with psycopg.connect(configured_database_url()) as conn:
            yield conn
    except (store.NotFoundError, store.ForbiddenError) as error:
        typer.secho(f"error: {type(error).__name__}: {error}", err=True, fg="red")
        raise typer.Exit(1) from error
    except psycopg.errors.UniqueViolation as error:
        typer.secho(f"error: already exists ({error.diag.message_detail})", err=True, fg="red")
        raise typer.Exit(1) from error


entity_app = typer.Typer(help="Member entities (organisations).", no_args_is_help=True)
user_app = typer.Typer(help="Users of entities.", no_args_is_help=True)
key_app = typer.Typer(help="API keys.", no_args_is_help=True)
licence_app = typer.Typer(help="Licences and their acceptance.", no_args_is_help=True)

EntityId = Annotated[int, typer.Argument(help="Entity id (see `entity list`).")]
Email = Annotated[str, typer.Argument(help="The user's e-mail address.")]


@entity_app.command("create")
def entity_create(
    name: str,
    category: Annotated[EntityCategory, typer.Option(help="Eligibility category.")],
    country: Annotated[str, typer.Option(help="ISO 3166 alpha-2 code.")] = "FR",
) -> None:
    """Register an entity (pending until activated)."""
    with _connection() as conn:
        entity = store.create_entity(conn, name, category, country)
    typer.echo(f"entity {entity.id} created: {entity.name} ({entity.category}, pending)")


@entity_app.command("activate")
def entity_activate(entity_id: EntityId) -> None:
    """Let the entity's users in, once its charter and licences are recorded."""
    with _connection() as conn:
        if missing := store.activation_missing(conn, entity_id):
            typer.secho(
                f"error: entity {entity_id} has not accepted {' nor '.join(missing)} yet: record"
                f" them first (`dinamis entity charter {entity_id} --version V --by EMAIL`,"
                f" `dinamis licence accept CODE --entity {entity_id} --by EMAIL`).",
                err=True,
                fg="red",
            )
            raise typer.Exit(1)
        store.activate_entity(conn, entity_id)
    typer.echo(f"entity {entity_id} active")


@entity_app.command("suspend")
def entity_suspend(entity_id: EntityId) -> None:
    """Shut every user of the entity out of licensed imagery."""
    with _connection() as conn:
        store.suspend_entity(conn, entity_id)
    typer.echo(f"entity {entity_id} suspended")


@entity_app.command("charter")
def entity_charter(
    entity_id: EntityId,
    version: Annotated[str, typer.Option(help="Version of the membership charter signed.")],
    by: Annotated[str | None, typer.Option(help="E-mail of the signing user.")] = None,
) -> None:
    """Record the entity's acceptance of the DINAMIS membership charter."""
    with _connection() as conn:
        signer = store.find_user(conn, by).id if by else None
        store.accept_membership(conn, entity_id, version, signer)
    typer.echo(f"entity {entity_id} accepted membership charter {version}")


@entity_app.command("list")
def entity_list() -> None:
    """Entities with category, country, status and charter version."""
    with _connection() as conn:
        entities = store.list_entities(conn)
    for e in entities:
        charter = e.membership_version or "-"
        typer.echo(f"{e.id}\t{e.name}\t{e.category}\t{e.country}\t{e.status}\tcharter {charter}")


@user_app.command("create")
def user_create(
    email: Email,
    entity: Annotated[int, typer.Option(help="Entity id.")],
    name: Annotated[str, typer.Option(help="Full name.")],
    role: Annotated[
        Role,
        typer.Option(
            help="A referent manages their entity's users; an operator handles applications "
            "and imagery requests; an admin also changes the catalogue."
        ),
    ] = Role.USER,
) -> None:
    """Register a user (pending until activated)."""
    with _connection() as conn:
        user = store.create_user(conn, entity, email, name, role)
    typer.echo(f"user {user.id} created: {user.email} ({user.role}, pending)")


@user_app.command("activate")
def user_activate(email: Email) -> None:
    """Activate a user (referents can also do it for their entity through the API)."""
    with _connection() as conn:
        store.activate_user(conn, store.find_user(conn, email).id)
    typer.echo(f"{email} active")


@user_app.command("disable")
def user_disable(email: Email) -> None:
    """Shut a user out; their keys stop working from the next request, in every server."""
    with _connection() as conn:
        store.disable_user(conn, store.find_user(conn, email).id)
    typer.echo(f"{email} disabled")


@user_app.command("list")
def user_list(
    entity: Annotated[int | None, typer.Option(help="Only this entity's users.")] = None,
) -> None:
    """Users, of one entity or all."""
    with _connection() as conn:
        users = store.list_users(conn, entity)
    for u in users:
        typer.echo(f"{u.id}\t{u.email}\t{u.name}\tentity {u.entity_id}\t{u.role}\t{u.status}")


@key_app.command("issue")
def key_issue(
    email: Email,
    days: Annotated[int | None, typer.Option(help="Validity in days (default: no expiry).")] = None,
) -> None:
    """Issue an API key; its secret is printed once and cannot be shown again."""
    expires = datetime.now(UTC) + timedelta(days=days) if days else None
    with _connection() as conn:
        key = store.issue_key(conn, store.find_user(conn, email).id, expires)
    typer.echo(f"key {key.prefix} for {email}, expires {expires or 'never'}; secret (shown once):")
    typer.echo(key.secret)


@key_app.command("revoke")
def key_revoke(
    prefix: Annotated[str, typer.Argument(help="The key's prefix (PREFIX in dnm_PREFIX_…).")],
) -> None:
    """Revoke a key; it and its access tokens stop working from the next request, everywhere."""
    with _connection() as conn:
        store.revoke_key(conn, prefix)
    typer.echo(f"key {prefix} revoked")


@licence_app.command("list")
def licence_list() -> None:
    """Licences, their collections and who needs the provider's approval."""
    with _connection() as conn:
        licences = store.list_licences(conn)
    for lic in licences:
        approval = ",".join(sorted(lic.approval_categories)) or "-"
        typer.echo(
            f"{lic.code}\tv{lic.version}\t{','.join(lic.collections)}\t"
            f"provider approval for: {approval}\t{lic.title}"
        )


@licence_app.command("accept")
def licence_accept(
    code: str,
    entity: Annotated[int, typer.Option(help="Entity id.")],
    by: Annotated[str | None, typer.Option(help="E-mail of the accepting user.")] = None,
    provider_approved: Annotated[
        bool, typer.Option(help="The provider has already approved this entity.")
    ] = False,
) -> None:
    """Record an entity's acceptance of a licence."""
    with _connection() as conn:
        signer = store.find_user(conn, by).id if by else None
        store.accept_licence(conn, entity, code, signer, provider_approved)
    typer.echo(
        f"entity {entity} accepted {code}{' (provider approved)' if provider_approved else ''}"
    )


@licence_app.command("approve")
def licence_approve(code: str, entity: Annotated[int, typer.Option(help="Entity id.")]) -> None:
    """Record the provider's approval of an entity's acceptance."""
    with _connection() as conn:
        store.approve_licence(conn, entity, code)
    typer.echo(f"provider approved {code} for entity {entity}")


@licence_app.command("acknowledge")
def licence_acknowledge(code: str, user: Annotated[str, typer.Option(help="User e-mail.")]) -> None:
    """Record a user's acknowledgement of a licence (users can also do it through the API)."""
    with _connection() as conn:
        store.acknowledge_licence(conn, store.find_user(conn, user).id, code)
    typer.echo(f"{user} acknowledged {code}")


def register(app: typer.Typer) -> None:
    """``dinamis entity|user|key|licence ...``."""
    app.add_typer(entity_app, name="entity")
    app.add_typer(user_app, name="user")
    app.add_typer(key_app, name="key")
    app.add_typer(licence_app, name="licence")

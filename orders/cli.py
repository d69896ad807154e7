"""Operator commands for imagery requests, mounted as ``dinamis request ...``."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import psycopg
import typer

from dinamis.commands import configured_database_url, fail
from dinamis.mail import MailSettings
from orders import store
from orders.archive import ArchiveError, load_archive
from orders.notify import notify
from orders.opportunities import TleError, parse_tles
from orders.rules import load_rules
from orders.settings import OrdersSettings
from orders.store import CLI_OPERATOR, OrderRecord
from orders.workflow import Action, TransitionError

app = typer.Typer(
    help="Imagery requests (orders): rules, operator actions, tranches, orbits, archive.",
    no_args_is_help=True,
)
rules_app = typer.Typer(help="The request rules (quotas, prices, tranches).", no_args_is_help=True)
tranche_app = typer.Typer(help="SPOT 'accompagnement personnalisé' tranches.", no_args_is_help=True)
tle_app = typer.Typer(help="Satellite orbits for opportunities.", no_args_is_help=True)
archive_app = typer.Typer(help="The provider's archive footprints.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(tranche_app, name="tranche")
app.add_typer(tle_app, name="tle")
app.add_typer(archive_app, name="archive")

OrderId = Annotated[int, typer.Argument(help="Order id (see `dinamis request list`).")]
Reason = Annotated[str | None, typer.Option(help="Why (mailed to the requester).")]


@contextmanager
def _connection() -> Iterator[psycopg.Connection]:
    try:
        with psycopg.connect(configured_database_url()) as conn:
            yield conn
    except (store.NotFoundError, TransitionError, store.RulesConflictError, ValueError) as error:
        raise fail(str(error)) from error
    except psycopg.errors.ForeignKeyViolation as error:
        raise fail(f"unknown reference ({error.diag.message_detail})") from error


def _announce(order: OrderRecord) -> None:
    rules = load_rules(OrdersSettings().rules_file)
    sent = notify(MailSettings(), order, order.last, rules.product(order.product_id))
    typer.echo(
        f"order {order.id} {order.last.status_code.value}"
        + (f": {order.last.reason_text}" if order.last.reason_text else "")
        + (" (requester mailed)" if sent else " (no mail sent)")
    )


def _print(order: OrderRecord) -> None:
    quote = order.quote
    typer.echo(
        f"{order.id}\t{order.product_id}\t{order.status.value}\t{order.area_km2:,.1f} km²\t"
        f"due {quote['due']} {quote['currency']}\t{order.user_email}\t{order.entity_name}"
    )


@app.command("list")
def list_orders(
    entity: Annotated[int | None, typer.Option(help="Only this entity's orders.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """Orders, newest first: id, product, status, area, amount due, requester, entity."""
    with _connection() as conn:
        for order in store.list_orders(conn, entity_id=entity, limit=limit):
            _print(order)


@app.command("show")
def show(order_id: OrderId) -> None:
    """An order, its quote line by line and its status history."""
    with _connection() as conn:
        order = store.get_order(conn, order_id)
        history = store.statuses(conn, order_id)
    _print(order)
    for line in order.quote["lines"]:
        typer.echo(f"  {line['label']}: {line['quantity']:g} {line['unit']} → {line['amount']}")
    typer.echo(f"  rules {order.quote['rules_version']}")
    for status in history:
        reason = f" — {status.reason_text}" if status.reason_text else ""
        typer.echo(
            f"  {status.at:%Y-%m-%d %H:%M:%S} {status.status_code.value} by {status.actor}{reason}"
        )
    for collection, item_id in order.items:
        typer.echo(f"  item {collection}/{item_id}")


def _action_command(action: Action, help_text: str) -> Callable[..., None]:
    def command(order_id: OrderId, reason: Reason = None) -> None:
        with _connection() as conn:
            order = store.act(conn, order_id, action, CLI_OPERATOR, reason)
        _announce(order)

    command.__doc__ = help_text
    return command


for _action, _help in (
    (Action.ACCEPT, "Accept a received order."),
    (Action.REJECT, "Reject an order (--reason required)."),
    (Action.QUOTE, "Send the quote of an accepted order beyond the free quota (reserved)."),
    (Action.FORWARD, "Forward an accepted order to the provider (tasked, or processing)."),
    (Action.FAIL, "Record that the provider failed the order (--reason required)."),
    (Action.EXPIRE, "Record that the acquisition window ended without a validated try."),
    (Action.CANCEL, "Cancel an order."),
):
    app.command(_action.value)(_action_command(_action, _help))


@app.command("attempt")
def attempt(
    order_id: OrderId,
    acquired_at: Annotated[datetime, typer.Option(help="When the try was acquired (UTC).")],
    cloud: Annotated[float, typer.Option(min=0, max=100, help="Cloud cover, %.")],
    validated: Annotated[bool, typer.Option("--validated/--not-validated")],
    note: Annotated[str | None, typer.Option(help="A note for the requester.")] = None,
) -> None:
    """Record an acquisition try of a tasked order."""
    when = (
        acquired_at
        if acquired_at.tzinfo
        else acquired_at.replace(tzinfo=datetime.now().astimezone().tzinfo)
    )
    with _connection() as conn:
        order = store.record_attempt(
            conn,
            order_id,
            CLI_OPERATOR,
            acquired_at=when,
            cloud_cover=cloud,
            validated=validated,
            note=note,
        )
    _announce(order)


@app.command("deliver")
def deliver(
    order_id: OrderId,
    items: Annotated[list[str], typer.Argument(help="Delivered items as COLLECTION/ITEM_ID.")],
) -> None:
    """Link ingested items to the order (they get its id as `dinamis:order_id`); completes it."""
    refs = []
    for ref in items:
        collection, _, item_id = ref.partition("/")
        if not collection or not item_id:
            raise fail(f"'{ref}' is not COLLECTION/ITEM_ID.")
        refs.append((collection, item_id))
    rules = load_rules(OrdersSettings().rules_file)
    with _connection() as conn:
        product = rules.product(store.get_order(conn, order_id).product_id)
        collection = product.collection if product else ""
        order = store.deliver(conn, order_id, refs, CLI_OPERATOR, collection)
    _announce(order)


@rules_app.command("load")
def rules_load(
    file: Annotated[
        Path | None, typer.Argument(help="A rules TOML file (default: configured).")
    ] = None,
) -> None:
    """Record the rules under their version (the API does it for its own at start)."""
    try:
        rules = load_rules(file or OrdersSettings().rules_file)
    except (OSError, ValueError) as error:
        raise fail(f"rules not loaded: {error}") from error
    with _connection() as conn:
        new = store.ensure_rules(conn, rules)
    typer.echo(f"rules {rules.version} {'recorded' if new else 'already recorded'}")


@tranche_app.command("buy")
def tranche_buy(
    entity: Annotated[int, typer.Argument(help="Entity id.")],
    attempts: Annotated[int, typer.Option(help="Size of the tranche (20 or 50 in the rules).")],
) -> None:
    """Record a tranche bought by an entity; prints its new balance."""
    rules = load_rules(OrdersSettings().rules_file)
    with _connection() as conn:
        store.ensure_rules(conn, rules)
        left = store.buy_tranche(conn, entity, attempts, rules)
    typer.echo(f"entity {entity}: {left} attempts left")


@tranche_app.command("balance")
def tranche_balance(entity: Annotated[int, typer.Argument(help="Entity id.")]) -> None:
    """Scene-equivalent attempts left in an entity's tranches."""
    with _connection() as conn:
        typer.echo(f"entity {entity}: {store.balance(conn, entity)} attempts left")


@tle_app.command("load")
def tle_load(
    file: Annotated[Path, typer.Argument(help="A three-line TLE file.", exists=True)],
) -> None:
    """Load (or refresh) satellite orbits; names must match the products' satellites."""
    try:
        tles = parse_tles(file.read_text())
    except TleError as error:
        raise fail(str(error)) from error
    with _connection() as conn:
        store.load_tles(conn, tles)
    typer.echo(f"orbits loaded: {', '.join(name for name, _, _ in tles)}")


@archive_app.command("load")
def archive_load(
    file: Annotated[
        Path, typer.Argument(help="GeoJSON FeatureCollection of footprints.", exists=True)
    ],
) -> None:
    """Load the provider's archive footprints (metadata only) into the archive collection."""
    settings = OrdersSettings()
    try:
        count = load_archive(configured_database_url(), file, settings.archive_collection)
    except ArchiveError as error:
        raise fail(str(error)) from error
    typer.echo(f"{count} archive scenes loaded into {settings.archive_collection}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="request")

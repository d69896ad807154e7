"""The operators' back-office: queues of membership applications and imagery requests, the
requests' search, the actions the requests API allows operators (taken through the same
``orders.store`` functions as the API and ``dinamis request``, so the workflow's rules stay in
one place), and the audit trail. Every route is checked: operators only."""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Annotated, Any
from urllib.parse import urlencode

import psycopg
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ValidationError
from shapely.geometry import shape
from stapi_pydantic import OrderStatusCode as Status
from starlette.datastructures import FormData

from access import store as access_store
from access.models import Licence, Principal, Role
from access.policy import is_operator
from orders import store as orders_store
from orders.actions import ActionBodies, action_bodies
from orders.notify import notify
from orders.rules import Rules, load_rules
from orders.settings import OrdersSettings
from orders.store import OrderFilter, OrderRecord
from orders.web import actor_of
from orders.workflow import FINAL, STEPS, Action, ForbiddenError, TransitionError
from portal import audit, store
from portal.audit import ApplicationAction, AuditFilter
from portal.stac import CatalogueError, StacClient
from portal.stac import Query as StacQuery
from portal.web import Form, PageError, SignInNeededError, Web, WebDep, field

log = logging.getLogger(__name__)

PREFIX = "/backoffice"


async def operator_page(request: Request, page: WebDep) -> Principal:
    """The signed-in operator; a visitor is sent to sign in, anyone else refused."""
    if page.principal is None:
        # Back to the page after signing in; a form's address is no page: the home then.
        back = PREFIX
        if request.method == "GET":
            back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInNeededError(back)
    if not is_operator(page.principal):
        raise PageError(
            403,
            page.gettext("This page is reserved to DINAMIS operators."),
            page.gettext("Access refused"),
        )
    return page.principal


# On the router: no back-office route can be added without the check.
router = APIRouter(prefix=PREFIX, dependencies=[Depends(operator_page)])
Operator = Annotated[Principal, Depends(operator_page)]

# Statuses as operators read them: the way through, then the ends (any other STAPI status
# after them).
_SHOWN = (
    Status.received,
    Status.accepted,
    Status.reserved,
    Status.tasked,
    Status.scheduled,
    Status.processing,
    Status.held,
    Status.completed,
    Status.rejected,
    Status.failed,
    Status.expired,
    Status.cancelled,
    Status.user_cancelled,
)
STATUSES = (*_SHOWN, *(status for status in Status if status not in _SHOWN))
# Statuses a request waits in for someone.
PENDING = tuple(status for status in STATUSES if status not in FINAL)
# The requester's own decision, never taken for them; attempts and deliveries have forms.
SIMPLE_ACTIONS = tuple(
    action for action in Action if action not in (Action.AGREE, Action.ATTEMPT, Action.DELIVER)
)


@dataclass(frozen=True)
class Orders:
    settings: OrdersSettings
    rules: Rules
    bodies: ActionBodies


@cache
def orders() -> Orders:
    """The requests' settings and rules, as the API and ``dinamis request`` read them."""
    settings = OrdersSettings()
    return Orders(settings, load_rules(settings.rules_file), action_bodies(settings))


# -- home -----------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
async def home(page: WebDep) -> HTMLResponse:
    size = page.settings.backoffice_queue_size

    def queues(conn: psycopg.Connection) -> dict[str, Any]:
        counts = orders_store.count_by_status(conn)
        waiting = {
            status: orders_store.search_orders(
                conn, OrderFilter(statuses=(status,)), limit=size, oldest_first=True
            )[0]
            for status in PENDING
            if counts.get(status)
        }
        applications = store.list_applications(conn)
        return {"counts": counts, "waiting": waiting, "applications": applications}

    found = await page.access.run(queues)
    by_status = {
        state: sum(1 for a in found["applications"] if a.status == state)
        for state in ("submitted", "confirmed")
    }
    return page.render(
        "backoffice.html",
        counts=found["counts"],
        waiting=found["waiting"],
        pending=PENDING,
        statuses=STATUSES,
        applications=by_status,
    )


# -- membership applications ----------------------------------------------------------------


async def _needs_approval(page: Web, application: store.Application) -> list[Licence]:
    """Licences the provider must approve for this entity and has not yet."""
    if application.entity_id is None:
        return []
    licences = await page.access.run(access_store.list_licences)

    def approved(conn: psycopg.Connection) -> set[str]:
        rows = conn.execute(
            "SELECT licence_code FROM dinamis_access.entity_licence"
            " WHERE entity_id = %s AND provider_approved",
            (application.entity_id,),
        )
        return {row[0] for row in rows}

    done = await page.access.run(approved)
    return [
        lic
        for lic in licences
        if application.category in lic.approval_categories and lic.code not in done
    ]


@router.get("/applications", response_class=HTMLResponse)
async def applications(page: WebDep) -> HTMLResponse:
    rows = await page.access.run(store.list_applications)
    pending = {a.id: await _needs_approval(page, a) for a in rows}
    return page.render("backoffice_applications.html", applications=rows, pending=pending)


async def _decidable(page: Web, form_id: str) -> store.Application:
    try:
        return await page.access.run(store.get_application, int(form_id))
    except (ValueError, access_store.NotFoundError) as error:
        raise PageError(404, page.gettext("No such application.")) from error


@router.post("/applications/{application_id}/approve")
async def approve(
    application_id: str, page: WebDep, operator: Operator, form: Form
) -> RedirectResponse:
    application = await _decidable(page, application_id)
    if application.status != "confirmed" or application.entity_id is None:
        raise PageError(
            409,
            page.gettext("Only an application confirmed by its legal representative is approved."),
        )
    entity_id = application.entity_id

    def decide(conn: psycopg.Connection) -> str:
        access_store.activate_entity(conn, entity_id)
        try:
            referent = access_store.find_user(conn, application.referent_email)
        except access_store.NotFoundError:
            referent = None
        if referent is not None and referent.entity_id != entity_id:
            raise PageError(
                409,
                page.gettext(
                    "The referent's address already has an account in another entity: "
                    "ask the applicant for another address, or refuse the application."
                ),
            )
        if referent is None:
            referent = access_store.create_user(
                conn,
                entity_id,
                application.referent_email,
                application.referent_name,
                Role.REFERENT,
            )
        store.update_application(
            conn,
            application.id,
            status="approved",
            decided_at=datetime.now(UTC),
            decided_by=operator.user_id,
        )
        audit.record(conn, operator, ApplicationAction.APPROVE, application.id, entity_id)
        return store.create_link(conn, "invite", page.settings.link_ttl, user_id=referent.id)

    token = await page.access.run(decide)
    page.access.forget()
    page.mail(
        application.referent_email,
        "invite",
        entity=application.entity_name,
        link=f"{page.settings.public_url}/invitation?t={token}",
    )
    return page.redirect(f"{PREFIX}/applications")


@router.post("/applications/{application_id}/provider")
async def provider_approval(
    application_id: str, page: WebDep, operator: Operator, form: Form
) -> RedirectResponse:
    application = await _decidable(page, application_id)
    licences = await _needs_approval(page, application)
    entity_id = application.entity_id
    if not licences or entity_id is None:
        raise PageError(409, page.gettext("No licence awaits the provider's approval."))

    def approve_all(conn: psycopg.Connection) -> None:
        for licence in licences:
            access_store.approve_licence(conn, entity_id, licence.code)
        codes = ", ".join(licence.code for licence in licences)
        audit.record(
            conn, operator, ApplicationAction.PROVIDER_APPROVAL, application.id, entity_id, codes
        )

    await page.access.run(approve_all)
    page.access.forget()
    return page.redirect(f"{PREFIX}/applications")


@router.post("/applications/{application_id}/refuse")
async def refuse(
    application_id: str, page: WebDep, operator: Operator, form: Form
) -> RedirectResponse:
    application = await _decidable(page, application_id)
    reason = field(form, "reason", page.settings.max_text)
    if not reason:
        raise PageError(400, page.gettext("Say why the application is refused."))
    if application.status == "approved":
        raise PageError(409, page.gettext("This application was already approved."))

    def decide(conn: psycopg.Connection) -> None:
        store.update_application(
            conn,
            application.id,
            status="refused",
            refusal=reason,
            decided_at=datetime.now(UTC),
            decided_by=operator.user_id,
        )
        audit.record(
            conn, operator, ApplicationAction.REFUSE, application.id, application.entity_id, reason
        )

    await page.access.run(decide)
    return page.redirect(f"{PREFIX}/applications")


# -- search ---------------------------------------------------------------------------------


class Criteria:
    """A search form's fields read from the query string: the values as typed (to show them
    again), what they mean, and a message per field that does not parse."""

    def __init__(self, page: Web) -> None:
        self.page = page
        self.values = {k: v.strip()[:200] for k, v in page.request.query_params.items()}
        self.errors: dict[str, str] = {}

    def text(self, name: str) -> str | None:
        return self.values.get(name) or None

    def number(self, name: str) -> int | None:
        value = self.values.get(name)
        if not value:
            return None
        if value.isdigit() and len(value) <= 18:
            return int(value)
        self.errors[name] = self.page.gettext("A whole number, such as 42.")
        return None

    def day(self, name: str, *, after: bool = False) -> datetime | None:
        """The start of that day (UTC); ``after``: the start of the next one."""
        value = self.values.get(name)
        if not value:
            return None
        try:
            day = date.fromisoformat(value)
        except ValueError:
            self.errors[name] = self.page.gettext("A date, such as 2026-11-28.")
            return None
        return datetime.combine(day + timedelta(days=1 if after else 0), time(), UTC)

    def choice(self, name: str, allowed: list[str]) -> str | None:
        value = self.values.get(name)
        if value and value not in allowed:
            self.errors[name] = self.page.gettext("Choose one of the list.")
            return None
        return value or None

    def offset(self) -> tuple[int, int]:
        """The page asked for (from 1) and the offset of its first row."""
        settings = self.page.settings
        number = self.number("page") or 1
        if not 1 <= number <= settings.backoffice_max_pages:
            self.errors["page"] = self.page.gettext(
                "Pages go from 1 to %(pages)d: narrow the search to see further.",
                pages=settings.backoffice_max_pages,
            )
            number = 1
        return number, (number - 1) * settings.backoffice_page_size

    def link(self, number: int) -> str:
        """This search's URL at page ``number``."""
        query = {k: v for k, v in self.values.items() if v and k != "page"}
        return f"{self.page.request.url.path}?{urlencode({**query, 'page': number})}"

    def pages(self, number: int, total: int) -> dict[str, str | int | None]:
        size = self.page.settings.backoffice_page_size
        last = max(1, min(-(-total // size), self.page.settings.backoffice_max_pages))
        return {
            "number": number,
            "last": last,
            "previous": self.link(number - 1) if number > 1 else None,
            "next": self.link(number + 1) if number < last else None,
        }


@router.get("/requests", response_class=HTMLResponse)
async def requests(page: WebDep) -> HTMLResponse:
    criteria = Criteria(page)
    status = criteria.choice("status", [s.value for s in Status])
    where = OrderFilter(
        order_id=criteria.number("id"),
        requester=criteria.text("requester"),
        entity=criteria.text("entity"),
        statuses=(Status(status),) if status else (),
        product_id=criteria.choice("product", [p.id for p in orders().rules.products]),
        created_from=criteria.day("from"),
        created_before=criteria.day("to", after=True),
    )
    number, offset = criteria.offset()
    found: list[OrderRecord] = []
    total = 0
    if not criteria.errors:
        found, total = await page.access.run(
            orders_store.search_orders,
            where,
            offset=offset,
            limit=page.settings.backoffice_page_size,
        )
    return page.render(
        "backoffice_requests.html",
        400 if criteria.errors else 200,
        values=criteria.values,
        errors=criteria.errors,
        found=found,
        total=total,
        pages=criteria.pages(number, total),
        statuses=STATUSES,
        products=orders().rules.products,
    )


# -- one request ----------------------------------------------------------------------------


async def _order(page: Web, order_id: str) -> OrderRecord:
    try:
        if not order_id.isdigit() or len(order_id) > 18:
            raise orders_store.NotFoundError(order_id)
        return await page.access.run(orders_store.get_order, int(order_id))
    except orders_store.NotFoundError as error:
        raise PageError(404, page.gettext("No such request.")) from error


async def _request_page(
    page: Web,
    order: OrderRecord,
    status: int = 200,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    """The request's page; after a refusal, with its reason and the form's values again."""

    def details(conn: psycopg.Connection) -> tuple[list[Any], list[dict[str, Any]]]:
        return orders_store.statuses(conn, order.id), orders_store.attempts(conn, order.id)

    history, attempts = await page.access.run(details)
    product = orders().rules.product(order.product_id)
    may_deliver = order.status in STEPS[Action.DELIVER].sources
    candidates, catalogue_error = [], False
    if may_deliver and product is not None:
        try:
            candidates = await _candidates(page, order, product.collection)
        except CatalogueError:
            catalogue_error = True
    return page.render(
        "backoffice_request.html",
        status,
        order=order,
        product=product,
        history=history,
        attempts=attempts,
        actions=[a for a in SIMPLE_ACTIONS if order.status in STEPS[a].sources],
        needs_reason={a.value for a, step in STEPS.items() if step.needs_reason},
        may_attempt=order.status in STEPS[Action.ATTEMPT].sources,
        may_deliver=may_deliver,
        candidates=candidates,
        catalogue_error=catalogue_error,
        collection=product.collection if product else "",
        error=error,
        done=page.request.query_params.get("done"),
        max_reason=orders().settings.max_reason_chars,
        max_items=orders().settings.max_delivered_items,
        values=values or {},
    )


async def _candidates(page: Web, order: OrderRecord, collection: str) -> list[dict[str, Any]]:
    """Catalogue items of the product's collection over the request's area, newest first:
    what the operator most likely delivers, to tick rather than type."""
    west, south, east, north = shape(order.geometry).bounds
    stac: StacClient = page.request.app.state.stac
    found = await stac.search(
        StacQuery(bbox=(west, south, east, north), collection=collection),
        page.settings.backoffice_queue_size,
    )
    return found.get("features", [])


@router.get("/requests/{order_id}", response_class=HTMLResponse)
async def request_page(order_id: str, page: WebDep) -> HTMLResponse:
    return await _request_page(page, await _order(page, order_id))


def _invalid(page: Web, error: ValidationError) -> str:
    """The first problem of a form the requests API's body model refused, in the reader's
    language."""
    names = {
        "reason": page.gettext("The reason"),
        "note": page.gettext("The note"),
        "acquired_at": page.gettext("The acquisition date"),
        "cloud_cover": page.gettext("The cloud cover"),
        "items": page.gettext("The delivered items"),
    }
    first = error.errors()[0]
    name = names.get(str(first["loc"][0]), str(first["loc"][0]))
    messages = {
        "string_too_long": page.gettext(
            "%(name)s is too long (%(limit)s characters at most).",
            name=name,
            limit=first.get("ctx", {}).get("max_length", ""),
        ),
        "too_long": page.gettext(
            "%(name)s: %(limit)s at most.",
            name=name,
            limit=first.get("ctx", {}).get("max_length", ""),
        ),
        "too_short": page.gettext("%(name)s: give at least one.", name=name),
    }
    return messages.get(
        first["type"], page.gettext("%(name)s is not valid: check the form.", name=name)
    )


async def _change(
    page: Web,
    order: OrderRecord,
    body_model: type[BaseModel],
    body: dict[str, Any],
    change: Callable[[psycopg.Connection, BaseModel], OrderRecord],
    values: dict[str, str],
) -> HTMLResponse | RedirectResponse:
    """Check ``body`` with the API's model, apply ``change`` and mail the requester, as the
    API does; a refusal shows the request again with the reason, nothing changed."""
    try:
        checked = body_model.model_validate(body)
    except ValidationError as error:
        return await _request_page(page, order, 400, _invalid(page, error), values=values)
    try:
        changed = await page.access.run(change, checked)
    except orders_store.NotFoundError as error:
        current = await _order(page, str(order.id))
        return await _request_page(page, current, 404, f"no {error}.", values=values)
    except (TransitionError, ForbiddenError) as error:
        current = await _order(page, str(order.id))
        reason = page.reason(error.message, error.params)
        return await _request_page(page, current, 409, reason, values=values)
    log.info(
        "order %s is %s (%s) by %s",
        changed.id,
        changed.status.value,
        changed.last.reason_text or "",
        changed.last.actor,
    )
    _notify(page, changed)
    return page.redirect(f"{PREFIX}/requests/{changed.id}?done={changed.status.value}")


def _notify(page: Web, order: OrderRecord) -> None:
    """Mail the requester from a worker thread, as the API does after a change: the answer
    never waits for the SMTP server, and a failed mail never undoes the change."""
    url = f"{page.settings.api_url.rstrip('/')}{orders().settings.prefix}/orders/{order.id}"
    product = orders().rules.product(order.product_id)
    asyncio.get_running_loop().run_in_executor(
        None, notify, page.portal.mail, order, order.last, product, url
    )


@router.post("/requests/{order_id}/actions/{action}", response_model=None)
async def act(
    order_id: str, action: str, page: WebDep, operator: Operator, form: Form
) -> HTMLResponse | RedirectResponse:
    order = await _order(page, order_id)
    chosen = next((a for a in SIMPLE_ACTIONS if a.value == action), None)
    if chosen is None:
        raise PageError(404, page.gettext("There is no page at this address."))
    reason = _text(form, "reason")
    return await _change(
        page,
        order,
        orders().bodies.action,
        {"reason": reason},
        lambda conn, body: orders_store.act(
            conn, order.id, chosen, actor_of(operator), getattr(body, "reason", None)
        ),
        {f"reason-{action}": reason or ""},
    )


@router.post("/requests/{order_id}/attempts", response_model=None)
async def attempt(
    order_id: str, page: WebDep, operator: Operator, form: Form
) -> HTMLResponse | RedirectResponse:
    order = await _order(page, order_id)
    values = {
        name: field(form, name, orders().settings.max_reason_chars + 1)
        for name in ("acquired_at", "cloud_cover", "validated", "note")
    }
    # The form's date and time are UTC, as the label says.
    when = f"{values['acquired_at']}Z" if values["acquired_at"] else None
    body = {
        "acquired_at": when,
        "cloud_cover": values["cloud_cover"] or None,
        "validated": values["validated"] == "on",
        "note": values["note"] or None,
    }

    def record(conn: psycopg.Connection, checked: Any) -> OrderRecord:
        return orders_store.record_attempt(
            conn,
            order.id,
            actor_of(operator),
            acquired_at=checked.acquired_at,
            cloud_cover=checked.cloud_cover,
            validated=checked.validated,
            note=checked.note,
        )

    return await _change(page, order, orders().bodies.attempt, body, record, values)


@router.post("/requests/{order_id}/deliver", response_model=None)
async def deliver(
    order_id: str, page: WebDep, operator: Operator, form: Form
) -> HTMLResponse | RedirectResponse:
    order = await _order(page, order_id)
    product = orders().rules.product(order.product_id)
    collection = product.collection if product else ""
    typed = field(form, "items", 100_000)
    ticked = [value for value in form.getlist("item") if isinstance(value, str)]
    # Ticked candidates and typed lines, one item each: its id in the product's collection,
    # or COLLECTION/ITEM_ID.
    refs = []
    lines = (line.strip() for line in [*ticked, *typed.splitlines()])
    for line in dict.fromkeys(filter(None, lines)):
        named, _, item_id = line.rpartition("/")
        refs.append({"collection": named or collection, "id": item_id})

    def link(conn: psycopg.Connection, checked: Any) -> OrderRecord:
        items = [(ref.collection, ref.id) for ref in checked.items]
        return orders_store.deliver(conn, order.id, items, actor_of(operator), collection)

    return await _change(
        page, order, orders().bodies.deliver, {"items": refs}, link, {"items": typed}
    )


def _text(form: FormData, name: str) -> str | None:
    # One more than the API allows, so that its model says the text is too long.
    return field(form, name, orders().settings.max_reason_chars + 1) or None


# -- audit ----------------------------------------------------------------------------------


# -- SPOT tranches ----------------------------------------------------------------------------


@router.get("/tranches", response_class=HTMLResponse)
async def tranches(page: WebDep) -> HTMLResponse:
    criteria = Criteria(page)
    name = criteria.text("entity")
    limit = page.settings.backoffice_page_size

    def read(
        conn: psycopg.Connection,
    ) -> tuple[list[orders_store.EntityBalance], list[orders_store.TranchePurchase]]:
        return orders_store.balances(conn, name, limit), orders_store.purchases(conn, name, limit)

    entities, bought = await page.access.run(read)
    return page.render(
        "backoffice_tranches.html",
        values=criteria.values,
        entities=entities,
        bought=bought,
        sizes=orders().rules.spot.tranches,
        recorded=criteria.number("recorded"),
    )


@router.post("/tranches")
async def buy_tranche(page: WebDep, operator: Operator, form: Form) -> RedirectResponse:
    """Record a tranche an entity bought, as ``POST /stapi/entities/{id}/tranches`` does."""
    entity, size = field(form, "entity_id", 18), field(form, "attempts", 9)
    if not entity.isdigit() or not size.isdigit():
        raise PageError(400, page.gettext("Choose an entity and the size of its tranche."))
    rules = orders().rules

    def record(conn: psycopg.Connection) -> int:
        orders_store.ensure_rules(conn, rules)
        return orders_store.buy_tranche(conn, int(entity), int(size), rules, actor_of(operator))

    try:
        left = await page.access.run(record)
    except ValueError as error:
        sizes = ", ".join(str(tranche.attempts) for tranche in rules.spot.tranches)
        raise PageError(
            400, page.gettext("No tranche of this size: the rules sell %(sizes)s.", sizes=sizes)
        ) from error
    except psycopg.errors.ForeignKeyViolation as error:
        raise PageError(404, page.gettext("No such entity.")) from error
    log.info(
        "tranche of %s attempts for entity %s by %s: %s left", size, entity, operator.email, left
    )
    query = urlencode({"entity": field(form, "filter", 200), "recorded": entity})
    return page.redirect(f"{PREFIX}/tranches?{query}")


@router.get("/audit", response_class=HTMLResponse)
async def audit_page(page: WebDep) -> HTMLResponse:
    criteria = Criteria(page)
    where = AuditFilter(
        actor=criteria.text("actor"),
        action=criteria.choice("action", list(audit.AUDITED_ACTIONS)),
        request_id=criteria.number("request"),
        application_id=criteria.number("application"),
        entity=criteria.text("entity"),
        since=criteria.day("from"),
        before=criteria.day("to", after=True),
    )
    number, offset = criteria.offset()
    entries: list[audit.Entry] = []
    total = 0
    if not criteria.errors:
        entries, total = await page.access.run(
            audit.search, where, offset=offset, limit=page.settings.backoffice_page_size
        )
    return page.render(
        "backoffice_audit.html",
        400 if criteria.errors else 200,
        values=criteria.values,
        errors=criteria.errors,
        entries=entries,
        total=total,
        pages=criteria.pages(number, total),
        actions=audit.AUDITED_ACTIONS,
    )

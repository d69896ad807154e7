"""Membership online: an entity applies, its legal representative confirms and accepts the
charter and licences, operators decide (in the back-office), the referent invites the entity's
users."""

from datetime import UTC, datetime

import psycopg
from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse

from access import store as access_store
from access.models import Entity, EntityCategory, UserStatus
from portal import store
from portal.validation import COUNTRY, valid_email, valid_siret
from portal.web import Form, PageError, Web, WebDep, field, signed_in, valid_link

router = APIRouter()

FRENCH = {
    EntityCategory.FRENCH_PUBLIC_BODY,
    EntityCategory.FRENCH_RESEARCH,
    EntityCategory.PRIVATE_RND,
    EntityCategory.PRIVATE_CONTRACTOR,
}


@router.get("/membership", response_class=HTMLResponse)
async def apply_form(page: WebDep) -> HTMLResponse:
    return page.render("apply.html", values={}, errors={}, categories=list(EntityCategory))


@router.post("/membership", response_class=HTMLResponse)
async def apply(page: WebDep, form: Form) -> HTMLResponse:
    limit = page.settings.max_text
    values = {
        name: field(form, name, limit if name == "purpose" else 200)
        for name in (
            "entity_name",
            "category",
            "country",
            "identifier",
            "legal_name",
            "legal_email",
            "referent_name",
            "referent_email",
            "purpose",
        )
    }
    values["country"] = (values["country"] or "FR").upper()
    errors: dict[str, str] = {}
    needed = page.gettext("This field is needed.")
    for name, value in values.items():
        if not value:
            errors[name] = needed
    try:
        category = EntityCategory(values["category"])
    except ValueError:
        errors["category"] = page.gettext("Choose a category.")
        category = None
    if not COUNTRY.match(values["country"]):
        errors["country"] = page.gettext("A two-letter country code, such as FR or DE.")
    french = category in FRENCH and values["country"] == "FR"
    if values["identifier"] and french and not valid_siret(values["identifier"]):
        errors["identifier"] = page.gettext("A SIRET has 14 digits with a valid checksum.")
    for name in ("legal_email", "referent_email"):
        if values[name] and not valid_email(values[name]):
            errors[name] = page.gettext("An e-mail address, such as name@example.org.")
    if errors or category is None:
        return page.render(
            "apply.html", 400, values=values, errors=errors, categories=list(EntityCategory)
        )

    def submit(conn: psycopg.Connection) -> tuple[store.Application, str, str]:
        application = store.create_application(
            conn,
            **{**values, "identifier": values["identifier"].replace(" ", "")},
        )
        confirm = store.create_link(
            conn, "confirm", page.settings.link_ttl, application_id=application.id
        )
        status = store.create_link(conn, "status", None, application_id=application.id)
        return application, confirm, status

    application, confirm, status = await page.access.run(submit)
    base = page.settings.public_url
    page.mail(
        application.legal_email,
        "confirm",
        application=application,
        link=f"{base}/membership/confirm?t={confirm}",
    )
    page.mail(
        application.referent_email,
        "submitted",
        application=application,
        link=f"{base}/membership/status?t={status}",
    )
    return page.render("submitted.html", application=application)


async def _application(page: Web, token: str, kind: str) -> store.Application:
    link = await valid_link(page, token, kind)
    assert link.application_id is not None
    return await page.access.run(store.get_application, link.application_id)


@router.get("/membership/status", response_class=HTMLResponse)
async def status(page: WebDep, t: str = "") -> HTMLResponse:
    application = await _application(page, t, "status")
    return page.render("status.html", application=application)


def _confirmable(page: Web, application: store.Application) -> None:
    if application.status != "submitted":
        raise PageError(
            409,
            page.gettext("This application was already decided."),
            page.gettext("Application not confirmed"),
        )


@router.get("/membership/confirm", response_class=HTMLResponse)
async def confirm_form(page: WebDep, t: str = "") -> HTMLResponse:
    application = await _application(page, t, "confirm")
    _confirmable(page, application)
    licences = await page.access.run(access_store.list_licences)
    return page.render("confirm.html", application=application, licences=licences, token=t)


@router.post("/membership/confirm", response_class=HTMLResponse)
async def confirm(page: WebDep, form: Form) -> HTMLResponse:
    token = field(form, "token", 100)
    application = await _application(page, token, "confirm")
    _confirmable(page, application)
    licences = await page.access.run(access_store.list_licences)
    unchecked = form.get("charter") != "on" or any(
        form.get(f"licence-{licence.code}") != "on" for licence in licences
    )
    if unchecked:
        raise PageError(
            400,
            page.gettext("Accept the charter and every licence to confirm the application."),
            page.gettext("Application not confirmed"),
        )
    version = page.settings.charter_version

    def accept(conn: psycopg.Connection) -> bool:
        if store.use_link(conn, token, "confirm") is None:
            return False
        entity = access_store.create_entity(
            conn, application.entity_name, application.category, application.country
        )
        access_store.accept_membership(conn, entity.id, version)
        for licence in licences:
            access_store.accept_licence(conn, entity.id, licence.code)
        store.update_application(
            conn,
            application.id,
            status="confirmed",
            charter_version=version,
            confirmed_at=datetime.now(UTC),
            entity_id=entity.id,
        )
        return True

    try:
        accepted = await page.access.run(accept)
    except psycopg.errors.UniqueViolation as error:
        raise PageError(
            409,
            page.gettext("An entity of this name is already a member: contact DINAMIS."),
            page.gettext("Application not confirmed"),
        ) from error
    if not accepted:
        await _application(page, token, "confirm")  # says why
    return page.render(
        "message.html",
        title=page.gettext("Application confirmed"),
        message=page.gettext(
            "Thank you. The charter (version %(version)s) and the licences are accepted "
            "on behalf of %(entity)s. DINAMIS operators will now review the application.",
            version=version,
            entity=application.entity_name,
        ),
    )


# -- referents ------------------------------------------------------------------------------


async def _managed_entity(page: Web, entity_id: str) -> int:
    principal = signed_in(page)
    try:
        wanted = int(entity_id)
        if principal.user_status is not UserStatus.ACTIVE:
            raise access_store.ForbiddenError("inactive")
        access_store.check_manages(principal, wanted)
    except (ValueError, access_store.ForbiddenError) as error:
        raise PageError(
            403,
            page.gettext("Only the entity's referent or a DINAMIS operator manages its users."),
            page.gettext("Access refused"),
        ) from error
    return wanted


async def _entity(page: Web, entity_id: int) -> Entity:
    try:
        # Past 64 bits no entity has the id: the database would say "out of range".
        if not 0 < entity_id < 2**63:
            raise access_store.NotFoundError(f"entity {entity_id}")
        return await page.access.run(access_store.get_entity, entity_id)
    except access_store.NotFoundError as error:  # an operator manages any id, even unknown
        raise PageError(404, page.gettext("There is no page at this address.")) from error


@router.get("/entities/{entity_id}/users", response_class=HTMLResponse)
async def entity_users(entity_id: str, page: WebDep) -> HTMLResponse:
    wanted = await _managed_entity(page, entity_id)
    entity = await _entity(page, wanted)
    users = await page.access.run(access_store.list_users, wanted)
    return page.render("entity_users.html", entity=entity, users=users, errors={}, values={})


@router.post("/entities/{entity_id}/users", response_class=HTMLResponse)
async def invite(entity_id: str, page: WebDep, form: Form) -> Response:
    wanted = await _managed_entity(page, entity_id)
    entity = await _entity(page, wanted)
    values = {"email": field(form, "email", 320), "name": field(form, "name", 200)}
    errors = {}
    if not valid_email(values["email"]):
        errors["email"] = page.gettext("An e-mail address, such as name@example.org.")
    if not values["name"]:
        errors["name"] = page.gettext("This field is needed.")

    def create(conn: psycopg.Connection) -> str:
        user = access_store.create_user(conn, wanted, values["email"], values["name"])
        return store.create_link(conn, "invite", page.settings.link_ttl, user_id=user.id)

    if not errors:
        try:
            token = await page.access.run(create)
        except psycopg.errors.UniqueViolation:
            errors["email"] = page.gettext("This address already has an account.")
    if errors:
        users = await page.access.run(access_store.list_users, wanted)
        return page.render(
            "entity_users.html", 400, entity=entity, users=users, errors=errors, values=values
        )
    page.mail(
        values["email"],
        "invite",
        entity=entity.name,
        link=f"{page.settings.public_url}/invitation?t={token}",
    )
    return page.redirect(f"/entities/{wanted}/users?invited=1")

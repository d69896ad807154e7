"""Membership online: an entity applies, its legal representative confirms and accepts the
charter and licences, operators decide, the referent invites the entity's users."""

from datetime import UTC, datetime

import psycopg
from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from access import store as access_store
from access.models import EntityCategory, Licence, Principal, Role, UserStatus
from access.policy import is_operator
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


# -- operators ------------------------------------------------------------------------------


def _admin(page: Web) -> Principal:
    principal = signed_in(page)
    if not is_operator(principal):
        raise PageError(
            403,
            page.gettext("This page is reserved to DINAMIS operators."),
            page.gettext("Access refused"),
        )
    return principal


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


@router.get("/admin/applications", response_class=HTMLResponse)
async def applications(page: WebDep) -> HTMLResponse:
    _admin(page)
    rows = await page.access.run(store.list_applications)
    pending = {a.id: await _needs_approval(page, a) for a in rows}
    return page.render("applications.html", applications=rows, pending=pending)


async def _decidable(page: Web, form_id: str) -> store.Application:
    try:
        return await page.access.run(store.get_application, int(form_id))
    except (ValueError, access_store.NotFoundError) as error:
        raise PageError(404, page.gettext("No such application.")) from error


@router.post("/admin/applications/{application_id}/approve")
async def approve(application_id: str, page: WebDep, form: Form) -> RedirectResponse:
    admin = _admin(page)
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
            decided_by=admin.user_id,
        )
        return store.create_link(conn, "invite", page.settings.link_ttl, user_id=referent.id)

    token = await page.access.run(decide)
    page.access.forget()
    page.mail(
        application.referent_email,
        "invite",
        entity=application.entity_name,
        link=f"{page.settings.public_url}/invitation?t={token}",
    )
    return page.redirect("/admin/applications")


@router.post("/admin/applications/{application_id}/provider")
async def provider_approval(application_id: str, page: WebDep, form: Form) -> RedirectResponse:
    _admin(page)
    application = await _decidable(page, application_id)
    for licence in await _needs_approval(page, application):
        assert application.entity_id is not None
        await page.access.run(access_store.approve_licence, application.entity_id, licence.code)
    page.access.forget()
    return page.redirect("/admin/applications")


@router.post("/admin/applications/{application_id}/refuse")
async def refuse(application_id: str, page: WebDep, form: Form) -> RedirectResponse:
    admin = _admin(page)
    application = await _decidable(page, application_id)
    reason = field(form, "reason", page.settings.max_text)
    if not reason:
        raise PageError(400, page.gettext("Say why the application is refused."))
    if application.status == "approved":
        raise PageError(409, page.gettext("This application was already approved."))
    await page.access.run(
        store.update_application,
        application.id,
        status="refused",
        refusal=reason,
        decided_at=datetime.now(UTC),
        decided_by=admin.user_id,
    )
    return page.redirect("/admin/applications")


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


@router.get("/entities/{entity_id}/users", response_class=HTMLResponse)
async def entity_users(entity_id: str, page: WebDep) -> HTMLResponse:
    wanted = await _managed_entity(page, entity_id)
    entity = await page.access.run(access_store.get_entity, wanted)
    users = await page.access.run(access_store.list_users, wanted)
    return page.render("entity_users.html", entity=entity, users=users, errors={}, values={})


@router.post("/entities/{entity_id}/users", response_class=HTMLResponse)
async def invite(entity_id: str, page: WebDep, form: Form) -> Response:
    wanted = await _managed_entity(page, entity_id)
    entity = await page.access.run(access_store.get_entity, wanted)
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

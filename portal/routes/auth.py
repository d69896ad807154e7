"""Signing in and out, password reset by mailed link, invitations, the language switch."""

import hmac
import logging
from dataclasses import asdict

import psycopg
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from access import store as access_store
from access.models import UserStatus
from portal import i18n, store
from portal.oidc import Attempt, OidcClient, OidcError
from portal.passwords import MAX_LENGTH, MIN_LENGTH, hash_password, verify_password
from portal.web import (
    PAGE_HEADERS,
    SESSION_COOKIE,
    Form,
    PageError,
    Web,
    WebDep,
    field,
    local_url,
    valid_link,
)

router = APIRouter()
log = logging.getLogger(__name__)


@router.post("/language")
async def language(page: WebDep, form: Form) -> RedirectResponse:
    chosen = field(form, "language")
    response = page.redirect(local_url(field(form, "next")))
    if chosen in i18n.LANGUAGES:
        response.set_cookie(
            i18n.COOKIE,
            chosen,
            max_age=365 * 86400,
            httponly=True,
            samesite="lax",
            secure=page.settings.secure_cookies,
        )
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_form(page: WebDep, next: str = "/account") -> HTMLResponse:
    return page.render("login.html", next=local_url(next))


@router.post("/login")
async def login(request: Request, page: WebDep, form: Form) -> Response:
    email = field(form, "email", 320).lower()
    password = form.get("password")
    next_url = local_url(field(form, "next"))
    client = request.client.host if request.client else "?"
    by_email, by_client = page.portal.by_email, page.portal.by_client
    if by_email.blocked(email) or by_client.blocked(client):
        return page.render(
            "login.html",
            429,
            next=next_url,
            email=email,
            error=page.gettext(
                "Too many failed attempts. Wait a few minutes, or reset your password."
            ),
        )
    user = None
    if isinstance(password, str) and len(password) <= MAX_LENGTH:
        try:
            user = await page.access.run(access_store.find_user, email)
        except access_store.NotFoundError:
            user = None
        hashed = await page.access.run(store.password_hash, user.id) if user else None
        if not verify_password(hashed, password):
            user = None
    if user is None or user.status is not UserStatus.ACTIVE:
        by_email.fail(email)
        by_client.fail(client)
        return page.render(
            "login.html",
            401,
            next=next_url,
            email=email,
            error=page.gettext("Wrong e-mail address or password, or an account not active."),
        )
    # The address's count only: one good password must not clear a client's failures on others.
    by_email.forget(email)
    return await _start_session(page, user.id, next_url)


@router.get("/login/oidc")
async def oidc_login(page: WebDep, next: str = "/account") -> Response:
    client: OidcClient | None = page.request.app.state.oidc
    if client is None:
        raise PageError(404, page.gettext("There is no page at this address."))
    attempt = Attempt.new(local_url(next))
    try:
        url = await client.authorization_url(attempt)
    except OidcError as error:
        log.warning("OpenID Connect sign-in unavailable: %s", error)
        raise PageError(
            503,
            page.gettext(
                "Signing in with %(provider)s is not possible now.",
                provider=client.settings.oidc_name,
            ),
        ) from error
    await page.access.run(store.save_oidc, page.session.token, asdict(attempt))
    return RedirectResponse(url, status_code=303, headers=PAGE_HEADERS)


@router.get("/login/oidc/callback")
async def oidc_callback(page: WebDep, code: str = "", state: str = "", error: str = "") -> Response:
    client: OidcClient | None = page.request.app.state.oidc
    if client is None:
        raise PageError(404, page.gettext("There is no page at this address."))
    saved = page.session.oidc
    # Spent at once: a callback URL replayed later finds nothing to complete.
    await page.access.run(store.save_oidc, page.session.token, None)
    refused = PageError(
        400,
        page.gettext(
            "The sign-in with %(provider)s did not complete. Try again.",
            provider=client.settings.oidc_name,
        ),
        page.gettext("Sign-in refused"),
    )
    if error or not saved or not code or not hmac.compare_digest(state[:100], saved["state"]):
        raise refused
    attempt = Attempt(**saved)
    try:
        email = await client.email(code[:2000], attempt)
    except OidcError as problem:
        log.warning("OpenID Connect sign-in refused: %s", problem)
        raise refused from problem
    try:
        user = await page.access.run(access_store.find_user, email) if email else None
    except access_store.NotFoundError:
        user = None
    if user is None or user.status is not UserStatus.ACTIVE:
        raise PageError(
            403,
            page.gettext(
                "No active DINAMIS account uses the address %(email)s. Your entity's referent "
                "invites its users.",
                email=email or "?",
            ),
            page.gettext("Sign-in refused"),
        )
    return await _start_session(page, user.id, attempt.next)


async def _start_session(page: Web, user_id: int, next_url: str) -> RedirectResponse:
    """A fresh session for the user (a new cookie: no fixation), keeping the basket."""
    basket = page.session.basket
    await page.access.run(store.end_session, page.session.token)
    session = await page.access.run(store.create_session, page.settings.session_ttl, user_id)
    await page.access.run(store.save_basket, session.token, basket)
    page.request.state.new_session = session.token
    return page.redirect(next_url)


@router.post("/logout")
async def logout(page: WebDep, form: Form) -> RedirectResponse:
    await page.access.run(store.end_session, page.session.token)
    page.access.forget()
    response = page.redirect("/")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/password/forgot", response_class=HTMLResponse)
async def forgot_form(page: WebDep) -> HTMLResponse:
    return page.render("forgot.html")


@router.post("/password/forgot", response_class=HTMLResponse)
async def forgot(page: WebDep, form: Form) -> HTMLResponse:
    email = field(form, "email", 320)
    try:
        user = await page.access.run(access_store.find_user, email)
    except access_store.NotFoundError:
        user = None
    if user is not None and user.status is UserStatus.ACTIVE:
        token = await page.access.run(
            store.create_link, "reset", page.settings.link_ttl, user_id=user.id
        )
        page.mail(user.email, "reset", link=f"{page.settings.public_url}/password/reset?t={token}")
    # The same answer either way: the page must not tell who has an account.
    return page.render(
        "message.html",
        title=page.gettext("Check your mailbox"),
        message=page.gettext(
            "If an active account uses this address, a link to choose a new password "
            "was sent to it. The link works once, for a limited time."
        ),
    )


@router.get("/password/reset", response_class=HTMLResponse)
async def reset_form(page: WebDep, t: str = "") -> HTMLResponse:
    await valid_link(page, t, "reset")
    return page.render("password.html", token=t, action="/password/reset", licences=[])


def _check_password(page: Web, form_password: object, confirm: object) -> str:
    if not isinstance(form_password, str) or not (MIN_LENGTH <= len(form_password) <= MAX_LENGTH):
        raise PageError(
            400,
            page.gettext(
                "A password needs %(min)d to %(max)d characters.", min=MIN_LENGTH, max=MAX_LENGTH
            ),
            page.gettext("Password refused"),
        )
    if form_password != confirm:
        raise PageError(
            400, page.gettext("The two passwords differ."), page.gettext("Password refused")
        )
    return form_password


@router.post("/password/reset")
async def reset(page: WebDep, form: Form) -> RedirectResponse:
    password = _check_password(page, form.get("password"), form.get("confirm"))
    token = field(form, "token", 100)
    await valid_link(page, token, "reset")
    link = await page.access.run(store.use_link, token, "reset")
    if link is None or link.user_id is None:
        await valid_link(page, token, "reset")  # says why
        raise PageError(400, page.gettext("This link is not valid."))
    await page.access.run(store.set_password_hash, link.user_id, hash_password(password))
    return page.redirect("/login?reset=1")


@router.get("/invitation", response_class=HTMLResponse)
async def invitation_form(page: WebDep, t: str = "") -> HTMLResponse:
    link = await valid_link(page, t, "invite")
    assert link.user_id is not None
    user = await page.access.run(access_store.get_user, link.user_id)
    licences = await _entity_licences(page, user.entity_id)
    return page.render(
        "password.html", token=t, action="/invitation", licences=licences, invited=user
    )


async def _entity_licences(page: Web, entity_id: int) -> list:
    def accepted(conn: psycopg.Connection) -> list:
        codes = {
            row[0]
            for row in conn.execute(
                "SELECT licence_code FROM dinamis_access.entity_licence WHERE entity_id = %s",
                (entity_id,),
            )
        }
        return [lic for lic in access_store.list_licences(conn) if lic.code in codes]

    return await page.access.run(accepted)


@router.post("/invitation")
async def accept_invitation(page: WebDep, form: Form) -> RedirectResponse:
    password = _check_password(page, form.get("password"), form.get("confirm"))
    token = field(form, "token", 100)
    link = await valid_link(page, token, "invite")
    assert link.user_id is not None
    user = await page.access.run(access_store.get_user, link.user_id)
    licences = await _entity_licences(page, user.entity_id)
    missing = [lic for lic in licences if form.get(f"licence-{lic.code}") != "on"]
    if missing:
        raise PageError(
            400,
            page.gettext("Acknowledge the licence to use the imagery: %(title)s.")
            % {"title": missing[0].title},
            page.gettext("Licence not acknowledged"),
        )

    def accept(conn: psycopg.Connection) -> bool:
        if store.use_link(conn, token, "invite") is None:
            return False
        store.set_password_hash(conn, user.id, hash_password(password))
        access_store.activate_user(conn, user.id)
        for lic in licences:
            access_store.acknowledge_licence(conn, user.id, lic.code)
        return True

    if not await page.access.run(accept):
        await valid_link(page, token, "invite")
    page.access.forget()
    return page.redirect("/login?welcome=1")

"""What every page shares: the session (cookie), the reader's language, the signed-in user,
CSRF checks, rendering in the reader's language and the pages that say what went wrong."""

import hmac
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from babel.numbers import format_decimal
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData

from access.models import Principal
from access.policy import is_operator
from access.state import AccessState
from access.tokens import issue_token
from access.urls import origin
from dinamis.mail import MailSettings, send_mail
from portal import i18n, store
from portal.ratelimit import LoginLimiter
from portal.settings import PortalSettings

TEMPLATES = Path(__file__).parent / "templates"
SESSION_COOKIE = "dinamis_session"
MAX_FORM_FIELD = 10_000


@dataclass
class Portal:
    """Per-application state, on ``app.state.portal``."""

    settings: PortalSettings
    mail: MailSettings
    templates: Environment
    by_email: LoginLimiter
    by_client: LoginLimiter

    @property
    def content_policy(self) -> str:
        """Scripts and styles from the portal only; the map may fetch from the tiler and the
        API, run its workers from blobs and show images (thumbnails) from anywhere."""
        origins = " ".join(sorted({origin(self.settings.api_url), origin(self.settings.tiler_url)}))
        return (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
            f" img-src 'self' data: blob: http: https:; connect-src 'self' {origins};"
            " worker-src 'self' blob:; child-src blob:; frame-ancestors 'none';"
            f" form-action 'self' {origins}; base-uri 'none'; object-src 'none'"
        )


class SignInNeededError(Exception):
    """A visitor who must sign in first: sent to the sign-in page, which brings them back to
    ``next_url``."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class PageError(Exception):
    """A refusal shown as a page in the reader's language; nothing was changed."""

    def __init__(self, status: int, message: str, title: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.title = title


def make_templates() -> Environment:
    # Every user-supplied text is escaped in pages (.html); mails (.txt) are plain text.
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    env.policies["ext.i18n.trimmed"] = True
    # JSON inside a <script> element must not be able to close it.
    env.filters["script_json"] = lambda value: (
        json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    )
    # Times in UTC, as operators record them, whatever the database session's zone.
    env.filters["utc"] = lambda value: value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return env


@dataclass
class Web:
    """One request's view of the portal."""

    request: Request
    portal: Portal
    access: AccessState
    language: str
    session: store.Session
    principal: Principal | None

    @property
    def settings(self) -> PortalSettings:
        return self.portal.settings

    @property
    def operator(self) -> bool:
        """Signed in as programme staff: the back-office is theirs."""
        return self.principal is not None and is_operator(self.principal)

    def gettext(self, message: str, /, **params: Any) -> str:
        text = i18n.translations(self.language).gettext(message)
        return text % params if params else text

    def reason(self, message: str, params: Mapping[str, Any]) -> str:
        """A reason given by another part of the system (its English text, a catalogue id, and
        the values in it) in the reader's language; as given when it cannot be said so."""
        try:
            return self.gettext(message, **params)
        except (KeyError, TypeError, ValueError):
            return message

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        translations = i18n.translations(self.language)
        env = self.portal.templates
        env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
        html = env.get_template(template).render(
            web=self,
            request=self.request,
            settings=self.settings,
            language=self.language,
            languages=[(code, i18n.language_name(code)) for code in i18n.LANGUAGES],
            number=lambda value, digits=2: format_decimal(
                round(value, digits), locale=self.language
            ),
            **context,
        )
        headers = {**PAGE_HEADERS, "Content-Security-Policy": self.portal.content_policy}
        return HTMLResponse(html, status_code=status, headers=headers)

    def redirect(self, url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303, headers=PAGE_HEADERS)

    def token(self, collections: Collection[str]) -> str | None:
        """A short-lived access token reading ``collections`` (which the caller checked the
        user may read), for a signed-in user; ``None`` for a visitor or no collection."""
        if self.session.key_id is None or not collections:
            return None
        value, _ = issue_token(
            self.access.secret, self.session.key_id, self.settings.token_ttl, collections
        )
        return value

    def mail(self, to: str, template: str, **context: Any) -> bool:
        """Send ``mail/<template>.txt`` (first line the subject) in the reader's language."""
        env = self.portal.templates
        env.install_gettext_translations(i18n.translations(self.language), newstyle=True)  # type: ignore[attr-defined]
        text = env.get_template(f"mail/{template}.txt").render(settings=self.settings, **context)
        subject, _, body = text.strip().partition("\n")
        return send_mail(self.portal.mail, to, subject.strip(), body.strip() + "\n")


# Pages carry per-user content and one-time links: never cached, never sent as a referrer.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def set_session_cookie(request: Request, response: Any) -> None:
    """Called by the app's middleware after each response: a new session's cookie."""
    portal: Portal = request.app.state.portal
    token = getattr(request.state, "new_session", None)
    if token:
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=portal.settings.session_ttl,
            httponly=True,
            samesite="lax",
            secure=portal.settings.secure_cookies,
        )


async def web(request: Request) -> Web:
    if isinstance(getattr(request.state, "web", None), Web):
        return request.state.web  # an error page after the route's own dependency ran
    portal: Portal = request.app.state.portal
    access: AccessState = request.app.state.access
    ttl = portal.settings.session_ttl
    token = request.cookies.get(SESSION_COOKIE)
    session = await access.run(store.get_session, token, ttl) if token else None
    if session is None:
        session = await access.run(store.create_session, ttl)
        request.state.new_session = session.token
    principal = None
    if session.key_id is not None:
        principal = await access.principal_for_key_id(session.key_id)
    request.state.web = Web(request, portal, access, i18n.negotiate(request), session, principal)
    return request.state.web


WebDep = Annotated[Web, Depends(web)]


def check_csrf(page: Web, sent: object) -> None:
    """A 403 page unless ``sent`` (a form's field or a script's header) is the session's
    CSRF token."""
    if not isinstance(sent, str) or not hmac.compare_digest(sent, page.session.csrf):
        raise PageError(
            403,
            page.gettext(
                "This form expired or did not come from this site. Nothing was changed: "
                "reload the page and try again."
            ),
            page.gettext("Form refused"),
        )


async def checked_form(request: Request, page: WebDep) -> FormData:
    """The posted form, once its CSRF token matched the session's (else a 403 page)."""
    form = await request.form(max_files=0, max_fields=50, max_part_size=MAX_FORM_FIELD)
    check_csrf(page, form.get("csrf"))
    return form


Form = Annotated[FormData, Depends(checked_form)]


def field(form: FormData, name: str, limit: int = 500) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def signed_in(page: Web) -> Principal:
    if page.principal is None:
        raise PageError(
            401, page.gettext("Sign in to see this page."), page.gettext("Sign-in needed")
        )
    return page.principal


def local_url(url: str) -> str:
    """``url`` if it stays on this site (no open redirect), else the home page."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not url.startswith("/") or url.startswith("//"):
        return "/"
    return url


async def valid_link(page: Web, token: str, kind: str) -> store.Link:
    link = await page.access.run(store.find_link, token[:100], kind)
    if link is None or link.state != "valid":
        messages = {
            "used": page.gettext("This link was already used: it works only once."),
            "expired": page.gettext("This link has expired: ask for a new one."),
        }
        raise PageError(
            400 if link is None else 410,
            messages.get(link.state if link else "", page.gettext("This link is not valid.")),
            page.gettext("Link not valid"),
        )
    return link

"""The signed-in user's page: profile, entity, what they may read and why not, API keys."""

from datetime import UTC, datetime, timedelta

import psycopg
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

from access import store as access_store
from access.models import Principal
from access.policy import Decision
from portal import store
from portal.web import Form, PageError, Web, WebDep, field, local_url, signed_in

router = APIRouter()


def reason(page: Web, decision: Decision, principal: Principal | None, title: str) -> str:
    """The policy's refusal, said in the reader's language."""
    entity = principal.entity_name if principal else ""
    title = f"“{page.gettext(title)}”"
    reasons = {
        "credentials": page.gettext("Sign in with an account of a member entity."),
        "user-status": page.gettext("Your account is not active."),
        "entity-status": page.gettext("Your entity %(entity)s is not active.", entity=entity),
        "membership": page.gettext(
            "Your entity %(entity)s has not accepted the membership charter.", entity=entity
        ),
        "licence": page.gettext(
            "Your entity %(entity)s has not accepted the licence %(licence)s.",
            entity=entity,
            licence=title,
        ),
        "approval": page.gettext(
            "The licence %(licence)s awaits the provider's approval for %(entity)s.",
            entity=entity,
            licence=title,
        ),
        "acknowledgment": page.gettext("Acknowledge the licence %(licence)s first.", licence=title),
    }
    return reasons.get(decision.code, page.gettext("Access refused."))


async def entitlements(page: Web) -> list[dict]:
    """Each licensed collection, whether the reader may read it, and why not."""
    licences = await page.access.licences()
    rows = []
    for collection_id in sorted(licences):
        decision = await page.access.decide(page.principal, collection_id)
        licence = licences[collection_id]
        rows.append(
            {
                "collection": collection_id,
                "licence": licence,
                "allowed": decision.allowed,
                "reason": ""
                if decision.allowed
                else reason(page, decision, page.principal, licence.title),
                "code": decision.code,
            }
        )
    return rows


@router.get("/account", response_class=HTMLResponse)
async def account(page: WebDep) -> HTMLResponse:
    principal = signed_in(page)
    user = await page.access.run(access_store.get_user, principal.user_id)
    entity = await page.access.run(access_store.get_entity, principal.entity_id)
    return page.render(
        "account.html", user=user, entity=entity, entitlements=await entitlements(page)
    )


@router.post("/licences/{code}/acknowledge")
async def acknowledge(code: str, page: WebDep, form: Form) -> RedirectResponse:
    principal = signed_in(page)
    try:
        await page.access.run(access_store.acknowledge_licence, principal.user_id, code[:100])
    except access_store.NotFoundError as error:
        raise PageError(404, page.gettext("No such licence.")) from error
    # A new session key: other services may still hold the unacknowledged user in their cache.
    await page.access.run(store.renew_session_key, page.session.token, page.settings.session_ttl)
    page.access.forget()
    return page.redirect(local_url(field(form, "next")) if field(form, "next") else "/account")


@router.get("/account/keys", response_class=HTMLResponse)
async def keys(page: WebDep) -> HTMLResponse:
    principal = signed_in(page)
    rows = await page.access.run(store.user_keys, principal.user_id)
    return page.render("keys.html", keys=rows, issued=None)


@router.post("/account/keys", response_class=HTMLResponse)
async def create_key(page: WebDep, form: Form) -> HTMLResponse:
    principal = signed_in(page)
    try:
        days = int(field(form, "days", 10))
    except ValueError:
        days = 0
    if not 1 <= days <= page.settings.max_key_days:
        raise PageError(
            400,
            page.gettext("A key lives from 1 to %(days)d days.", days=page.settings.max_key_days),
            page.gettext("Key not created"),
        )
    expires = datetime.now(UTC) + timedelta(days=days)
    issued = await page.access.run(access_store.issue_key, principal.user_id, expires)
    rows = await page.access.run(store.user_keys, principal.user_id)
    # The secret is on this page only: never stored, never shown again.
    return page.render("keys.html", 201, keys=rows, issued=issued)


@router.post("/account/keys/{prefix}/revoke")
async def revoke_key(prefix: str, page: WebDep, form: Form) -> RedirectResponse:
    principal = signed_in(page)

    def revoke(conn: psycopg.Connection) -> bool:
        mine = any(k["prefix"] == prefix for k in store.user_keys(conn, principal.user_id))
        if mine:
            access_store.revoke_key(conn, prefix)
        return mine

    if not await page.access.run(revoke):
        raise PageError(404, page.gettext("You have no such key."))
    page.access.forget()
    return page.redirect("/account/keys")

"""Bad input and attacks, in a real browser: each gets a clear page in the reader's language
and changes nothing."""

import re

import httpx
import psycopg
import pytest

from access.models import Role
from tests.browser import CHROMIUM
from tests.portal.conftest import Browser, Portal, member

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")

PASSWORD = "mot de passe de test"
# Error pages answer 4xx on purpose: Chromium logs each as a console error, nothing else may be.
EXPECTED = re.compile(r"Failed to load resource: the server responded with a status of 4\d\d")


def sign_in(browser: Browser, portal: Portal, email: str, password: str) -> int:
    page = browser.page
    page.goto(f"{portal.url}/login")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Se connecter").click()
    response = navigation.value
    return response.status if response else 0


def unexpected(browser: Browser) -> list[str]:
    return [error for error in browser.errors if not EXPECTED.search(error)]


def count(portal: Portal, query: str, *params: object) -> int:
    with psycopg.connect(portal.database_url) as conn:
        row = conn.execute(query, params).fetchone()
        return row[0] if row else 0


def test_wrong_password_and_rate_limit(portal: Portal, browser: Browser) -> None:
    member(portal.database_url, "Portail labo mot de passe", "martin@mdp.test", PASSWORD)
    page = browser.page
    assert sign_in(browser, portal, "martin@mdp.test", "pas le bon") == 401
    assert "Adresse électronique ou mot de passe erroné" in page.text_content("#login-error")
    browser.shot("wrong-password")
    for _ in range(4):
        sign_in(browser, portal, "martin@mdp.test", "toujours pas")
    # Blocked now, even with the right password.
    assert sign_in(browser, portal, "martin@mdp.test", PASSWORD) == 429
    assert "Trop de tentatives" in page.text_content("#login-error")
    assert page.get_by_role("link", name="Mon compte").count() == 0
    browser.shot("rate-limited")
    assert not unexpected(browser), browser.errors


def test_form_without_csrf_token_changes_nothing(portal: Portal, browser: Browser) -> None:
    member(portal.database_url, "Portail labo CSRF", "claire@csrf.test", PASSWORD)
    sign_in(browser, portal, "claire@csrf.test", PASSWORD)
    page = browser.page
    keys = (
        "SELECT count(*) FROM dinamis_access.api_key k"
        ' JOIN dinamis_access."user" u ON u.id = k.user_id WHERE u.email = %s'
    )
    before = count(portal, keys, "claire@csrf.test")
    # A forged form: the session cookie goes along (same site), the token cannot.
    answer = page.request.post(f"{portal.url}/account/keys", form={"days": "30"})
    assert answer.status == 403
    assert "Rien n’a été modifié" in answer.text()
    forged = page.request.post(
        f"{portal.url}/account/keys", form={"days": "30", "csrf": "not-the-token"}
    )
    assert forged.status == 403
    assert count(portal, keys, "claire@csrf.test") == before

    # The genuine form works: the secret is shown once, and it opens the API.
    page.goto(f"{portal.url}/account/keys")
    page.get_by_label("Valable (jours)").fill("30")
    page.get_by_role("button", name="Créer une clé").click()
    secret = page.text_content("#new-key")
    assert secret and secret.startswith("dnm_")
    browser.shot("new-key")
    me = httpx.get(f"{portal.api_url}/auth/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json()["user"]["email"] == "claire@csrf.test"
    page.goto(f"{portal.url}/account/keys")
    assert secret not in page.content()
    prefix = secret.split("_")[1]
    page.get_by_role("button", name=f"Révoquer dnm_{prefix}").click()
    page.wait_for_selector("text=révoquée")
    # Revoked for good (the API sees it once its short cache expires, DINAMIS_ACCESS_CACHE_TTL).
    revoked = (
        "SELECT count(*) FROM dinamis_access.api_key WHERE prefix = %s AND revoked_at IS NOT NULL"
    )
    assert count(portal, revoked, prefix) == 1
    # The keys the portal mints for its own sessions are not listed.
    assert page.locator("tbody tr").count() == 1
    page.goto(f"{portal.url}/account")
    browser.shot("account")
    assert not unexpected(browser), browser.errors


def test_referent_page_of_another_entity_is_refused(portal: Portal, browser: Browser) -> None:
    member(portal.database_url, "Portail labo A", "rita@a.test", PASSWORD, role=Role.REFERENT)
    other = member(
        portal.database_url, "Portail labo B", "bruno@b.test", PASSWORD, role=Role.REFERENT
    )
    sign_in(browser, portal, "rita@a.test", PASSWORD)
    page = browser.page
    response = page.goto(f"{portal.url}/entities/{other}/users")
    assert response and response.status == 403
    assert "Seuls le référent de l’entité" in page.text_content("main")
    assert "bruno@b.test" not in page.content()
    browser.shot("other-entity")
    # Nor can an invitation be posted there, even with a valid token.
    csrf = page.get_attribute("input[name=csrf]", "value")
    answer = page.request.post(
        f"{portal.url}/entities/{other}/users",
        form={"csrf": csrf or "", "email": "intrus@a.test", "name": "Intrus"},
    )
    assert answer.status == 403
    assert (
        count(
            portal, 'SELECT count(*) FROM dinamis_access."user" WHERE email = %s', "intrus@a.test"
        )
        == 0
    )
    assert not unexpected(browser), browser.errors


def test_licensed_download_without_rights(portal: Portal, browser: Browser) -> None:
    page = browser.page
    url = f"{portal.url}/download/pleiades/PORTAL-PHR-WEST/data"
    response = page.goto(url)
    assert response and response.status == 401
    assert "Connectez-vous avec un compte d’une entité adhérente" in page.text_content("main")
    browser.shot("download-anonymous")

    member(
        portal.database_url,
        "Portail labo sans licence",
        "nina@nolicence.test",
        PASSWORD,
        licence=False,
    )
    sign_in(browser, portal, "nina@nolicence.test", PASSWORD)
    response = page.goto(url)
    assert response and response.status == 403
    assert "n’a pas accepté la licence" in page.text_content("main")
    browser.shot("download-no-licence")
    page.get_by_role("button", name="English").click()
    page.wait_for_selector("html[lang=en]")
    assert "has not accepted the licence" in page.text_content("main")
    events = (
        "SELECT count(*) FROM dinamis_access.download_event WHERE item = %s AND kind = 'download'"
    )
    assert count(portal, events, "PORTAL-PHR-WEST-none") == 0
    assert not unexpected(browser), browser.errors


def test_download_asks_for_the_licence_acknowledgment(portal: Portal, browser: Browser) -> None:
    member(portal.database_url, "Portail labo accusé", "alex@ack.test", PASSWORD, acknowledge=False)
    sign_in(browser, portal, "alex@ack.test", PASSWORD)
    page = browser.page
    response = page.goto(f"{portal.url}/download/pleiades/PORTAL-PHR-EAST/data")
    assert response and response.status == 403
    browser.shot("acknowledge")
    with page.expect_download() as download:
        page.get_by_role("button", name="J’ai pris connaissance de cette licence").click()
    assert download.value.path().read_bytes() == portal.cogs["PORTAL-PHR-EAST"].read_bytes()
    assert not unexpected(browser), browser.errors


def _apply(browser: Browser, portal: Portal, entity: str, legal: str, purpose: str) -> None:
    page = browser.page
    page.goto(f"{portal.url}/membership")
    page.get_by_label("Nom de l’entité").fill(entity)
    page.get_by_label("Catégorie").select_option("foreign-research")
    page.get_by_label("Pays").fill("DE")
    page.get_by_label("Numéro SIRET").fill("DE-123456789")
    for group, (name, email) in {
        "Représentant légal": ("Legal", legal),
        "Référent DINAMIS": ("Ref", f"ref-{legal}"),
    }.items():
        page.get_by_role("group", name=group).get_by_label("Nom").fill(name)
        page.get_by_role("group", name=group).get_by_label("Adresse").fill(email)
    page.get_by_label("À quoi serviront les images ?").fill(purpose)
    page.get_by_role("button", name="Envoyer la demande").click()
    page.wait_for_selector("text=Demande envoyée")


def test_script_payloads_are_shown_as_text(portal: Portal, browser: Browser) -> None:
    entity = "<script>alert('entity')</script> Lab"
    purpose = "<img src=x onerror=alert('purpose')> études"
    _apply(browser, portal, entity, "legal@xss.test", purpose)
    page = browser.page
    assert page.locator("script", has_text="alert").count() == 0
    page.goto(portal.link("legal@xss.test", "/membership/confirm"))
    assert entity in page.text_content("main") and purpose in page.text_content(".purpose")
    page.get_by_label(re.compile("j’accepte la charte")).check()
    page.get_by_label(re.compile("J’accepte la licence")).check()
    page.get_by_role("button", name="Confirmer et accepter").click()
    page.wait_for_selector("text=Demande confirmée")
    sign_in(browser, portal, *portal.admin)
    page.goto(f"{portal.url}/backoffice/applications")
    assert page.get_by_role("heading", name=entity).count() == 1
    assert page.locator("img[src=x]").count() == 0
    browser.shot("escaped")
    # A foreign research lab also needs the provider's approval: the operator records it.
    page.get_by_role("button", name=f"Enregistrer l’accord du fournisseur pour {entity}").click()
    page.wait_for_load_state()
    assert (
        page.get_by_role(
            "button", name=re.compile("Enregistrer l’accord du fournisseur pour <script>")
        ).count()
        == 0
    )
    assert not [e for e in browser.errors if "dialog" in e], browser.errors
    assert not unexpected(browser), browser.errors


def test_links_expired_reused_or_forged(portal: Portal, browser: Browser) -> None:
    page = browser.page
    _apply(browser, portal, "Portail labo des liens", "legal@links.test", "Essais.")
    link = portal.link("legal@links.test", "/membership/confirm")
    # Expired: the page says so, and nothing can be confirmed with it.
    token_hash = "encode(sha256(convert_to(%s, 'UTF8')), 'hex')"
    with psycopg.connect(portal.database_url) as conn:
        conn.execute(
            "UPDATE dinamis_portal.link SET expires_at = now() - interval '1 minute'"
            f" WHERE token_sha256 = {token_hash}",
            (link.split("t=")[1],),
        )
    response = page.goto(link)
    assert response and response.status == 410
    assert "Ce lien a expiré" in page.text_content("main")
    browser.shot("expired-link")
    assert (
        count(
            portal,
            "SELECT count(*) FROM dinamis_access.entity WHERE name = %s",
            "Portail labo des liens",
        )
        == 0
    )

    # Reused: a password reset link works once.
    member(portal.database_url, "Portail labo reset", "rose@reset.test", PASSWORD)
    page.goto(f"{portal.url}/password/forgot")
    page.get_by_label("Adresse électronique").fill("rose@reset.test")
    page.get_by_role("button", name="Envoyer le lien").click()
    page.wait_for_selector("text=Consultez votre messagerie")
    reset = portal.link("rose@reset.test", "/password/reset")
    page.goto(reset)
    page.get_by_label("Nouveau mot de passe").fill("un tout nouveau mot de passe")
    page.get_by_label("Le même mot de passe, à nouveau").fill("un tout nouveau mot de passe")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_selector("text=Votre mot de passe a été changé")
    response = page.goto(reset)
    assert response and response.status == 410
    assert "Ce lien a déjà servi" in page.text_content("main")
    browser.shot("reused-link")
    assert sign_in(browser, portal, "rose@reset.test", "un tout nouveau mot de passe") == 200
    # An unknown address gets the same answer as a known one, and no mail.
    sent = len(portal.mailbox.messages)
    page.goto(f"{portal.url}/password/forgot")
    page.get_by_label("Adresse électronique").fill("personne@nulle.test")
    page.get_by_role("button", name="Envoyer le lien").click()
    page.wait_for_selector("text=Consultez votre messagerie")
    assert len(portal.mailbox.messages) == sent

    # Forged.
    response = page.goto(f"{portal.url}/invitation?t=forged-token")
    assert response and response.status == 400
    assert "Ce lien n’est pas valide" in page.text_content("main")
    assert not unexpected(browser), browser.errors


def test_a_refusal_and_its_reason_reach_the_applicant(portal: Portal, browser: Browser) -> None:
    _apply(browser, portal, "Portail labo refusé", "legal@refused.test", "Revente d’images.")
    page = browser.page
    sign_in(browser, portal, *portal.admin)
    page.goto(f"{portal.url}/backoffice/applications")
    form = page.locator("article", has=page.get_by_role("heading", name="Portail labo refusé"))
    form.get_by_label("Motif d’un refus").fill("La revente est contraire à la charte.")
    form.get_by_role("button", name="Refuser").click()
    page.wait_for_load_state()
    page.goto(portal.link("ref-legal@refused.test", "/membership/status"))
    assert page.text_content("#application-state") == "refusée"
    assert page.text_content("#refusal") == "La revente est contraire à la charte."
    browser.shot("refused")
    # The legal representative's link no longer leads anywhere.
    response = page.goto(portal.link("legal@refused.test", "/membership/confirm"))
    assert response and response.status == 409
    assert not unexpected(browser), browser.errors

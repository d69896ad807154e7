"""The whole membership path in a real browser: an entity applies, its legal representative
confirms through the mailed link, an operator approves, the referent invites a user, who sets
a password, signs in, fills a basket with two licensed images and downloads one."""

import re

import httpx
import pytest

from tests.browser import CHROMIUM
from tests.portal.conftest import SEARCH, Browser, Portal

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")

ENTITY = "UMR Littoral Corse"
LEGAL = ("Lucie Légale", "direction@littoral.test")
REFERENT = ("Rémi Référent", "referent@littoral.test")
USER = ("Ulysse Utilisateur", "ulysse@littoral.test")
PASSWORD = "un mot de passe solide"


def sign_in(browser: Browser, portal: Portal, email: str, password: str) -> None:
    page = browser.page
    page.goto(f"{portal.url}/login")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_selector("text=Mon compte")


def sign_out(browser: Browser) -> None:
    browser.page.get_by_role("button", name="Se déconnecter").click()
    browser.page.wait_for_selector("text=Se connecter")


def choose_password(browser: Browser, link: str) -> None:
    page = browser.page
    page.goto(link)
    page.get_by_label("Nouveau mot de passe").fill(PASSWORD)
    page.get_by_label("Le même mot de passe, à nouveau").fill(PASSWORD)
    page.get_by_label("J’ai lu et je respecterai la licence").check()
    browser.shot("password")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_selector("text=Votre compte est prêt")


def test_apply_confirm_approve_invite_and_download(portal: Portal, browser: Browser) -> None:
    page = browser.page

    # 1. The referent applies for the entity.
    page.goto(f"{portal.url}/membership")
    page.get_by_label("Nom de l’entité").fill(ENTITY)
    page.get_by_label("Catégorie").select_option("french-research")
    page.get_by_label("Numéro SIRET").fill("732 829 320 00074")
    page.get_by_role("group", name="Représentant légal").get_by_label("Nom").fill(LEGAL[0])
    page.get_by_role("group", name="Représentant légal").get_by_label("Adresse").fill(LEGAL[1])
    page.get_by_role("group", name="Référent DINAMIS").get_by_label("Nom").fill(REFERENT[0])
    page.get_by_role("group", name="Référent DINAMIS").get_by_label("Adresse").fill(REFERENT[1])
    page.get_by_label("À quoi serviront les images ?").fill("Suivi du trait de côte.")
    browser.shot("apply")
    page.get_by_role("button", name="Envoyer la demande").click()
    page.wait_for_selector("text=Demande envoyée")
    browser.shot("submitted")

    status_link = portal.link(REFERENT[1], "/membership/status")
    page.goto(status_link)
    assert "en attente de la confirmation" in page.text_content("#application-state")

    # 2. The legal representative confirms through the mailed link.
    page.goto(portal.link(LEGAL[1], "/membership/confirm"))
    assert ENTITY in page.text_content("main")
    page.get_by_label(re.compile("j’accepte la charte d’adhésion")).check()
    page.get_by_label(re.compile("J’accepte la licence")).check()
    browser.shot("confirm")
    page.get_by_role("button", name="Confirmer et accepter").click()
    page.wait_for_selector("text=Demande confirmée")
    page.goto(status_link)
    assert "en cours d’examen" in page.text_content("#application-state")
    browser.shot("status-confirmed")

    # 3. An operator approves.
    sign_in(browser, portal, *portal.admin)
    page.goto(f"{portal.url}/backoffice/applications")
    browser.shot("applications")
    page.get_by_role("button", name=f"Approuver {ENTITY}").click()
    page.wait_for_load_state()
    sign_out(browser)
    page.goto(status_link)
    assert page.text_content("#application-state") == "approuvée"

    # 4. The referent sets a password and invites a user.
    choose_password(browser, portal.link(REFERENT[1], "/invitation"))
    sign_in(browser, portal, REFERENT[1], PASSWORD)
    page.goto(f"{portal.url}/account")
    assert "oui" in page.text_content("#entitlements")
    browser.shot("account")
    page.get_by_role("link", name="Gérer les utilisateurs de l’entité").click()
    page.get_by_label("Nom").fill(USER[0])
    page.get_by_label("Adresse électronique").fill(USER[1])
    page.get_by_role("button", name="Envoyer l’invitation").click()
    page.wait_for_selector("text=Invitation envoyée.")
    assert USER[1] in page.text_content("table")
    browser.shot("entity-users")
    sign_out(browser)

    # 5. The user sets a password, signs in, fills the basket and downloads.
    choose_password(browser, portal.link(USER[1], "/invitation"))
    sign_in(browser, portal, USER[1], PASSWORD)
    page.goto(f"{portal.url}/catalogue?collection=pleiades&bbox={SEARCH['bbox']}")
    for item in portal.licensed:
        page.get_by_role("button", name=f"Ajouter {item['id']} au panier").click()
        page.wait_for_selector(f".result[data-key='pleiades/{item['id']}'] .in-basket")
    page.get_by_role("link", name="PORTAL-PHR-WEST").click()
    page.wait_for_function(
        "() => dinamisMap.getSource('item-tiles') && dinamisMap.loaded()"
        " && dinamisMap.areTilesLoaded()",
        timeout=20_000,
    )
    assert "Vous pouvez afficher et télécharger" in page.text_content("#access")
    browser.shot("licensed-item")

    page.goto(f"{portal.url}/basket")
    totals = page.text_content("#totals")
    assert totals.startswith("2 images")
    assert re.search(r"\d+[.,]\d+ km²", totals) and "ko" in totals
    browser.shot("basket")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger PORTAL-PHR-WEST").click()
    path = download.value.path()
    assert path.read_bytes() == portal.cogs["PORTAL-PHR-WEST"].read_bytes()

    # The basket as signed URLs for wget -i: each one downloads without any other credential.
    listing = page.request.get(f"{portal.url}/basket/urls.txt").text().split()
    assert len(listing) == 2 and all("access_token=" in url for url in listing)
    east = httpx.get(next(u for u in listing if "PORTAL-PHR-EAST" in u), timeout=60)
    assert east.content == portal.cogs["PORTAL-PHR-EAST"].read_bytes()
    assert not browser.errors, browser.errors

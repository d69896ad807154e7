"""The catalogues: every visible string extracted, translated into French, placeholders kept;
the reader's language chosen from their cookie, then Accept-Language, then French."""

from pathlib import Path

import httpx
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from access.settings import AccessSettings
from dinamis.serve import BackgroundServer, free_port
from dinamis.settings import REPO_ROOT
from portal import i18n
from portal.app import create_app
from portal.settings import PortalSettings

PORTAL = Path(i18n.__file__).parent


def catalogue(language: str):
    with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file, locale=language)


def test_every_string_of_the_sources_is_in_the_catalogues() -> None:
    with (PORTAL / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = {
        message[2] if isinstance(message[2], str) else message[2][0]
        for message in extract_from_dir(
            REPO_ROOT,
            method_map,
            options_map,
            keywords={"gettext": None, "_": None, "N_": None, "ngettext": (1, 2)},
        )
    }
    for language in i18n.LANGUAGES:
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue(language) if m.id}
        assert found - ids == set(), (
            f"{language}: not in the catalogue (run pybabel extract/update)"
        )
        assert ids - found == set(), f"{language}: no longer in the sources"


def test_french_is_complete_and_keeps_the_placeholders() -> None:
    french = catalogue("fr")
    # A plural entry needs every form French has (three: one, many, other).
    forms = [m.string if isinstance(m.string, tuple) else (m.string,) for m in french]
    untranslated = [
        m.id
        for m, strings in zip(french, forms, strict=True)
        if m.id and (not all(strings) or m.fuzzy)
    ]
    assert not untranslated, untranslated
    problems = [(m.id, errors) for m, errors in french.check()]
    assert not problems, problems


def test_language_negotiation_and_secure_cookies(
    database_url: str, access: AccessSettings, api_url: str
) -> None:
    settings = PortalSettings(public_url="https://portal.example.org", api_url=api_url)
    server = BackgroundServer(create_app(database_url, settings, access), free_port()).start()
    try:
        home = httpx.get(server.url)
        assert '<html lang="fr">' in home.text
        cookie = home.headers["set-cookie"].lower()
        for flag in ("httponly", "secure", "samesite=lax"):
            assert flag in cookie, cookie
        assert home.headers["cache-control"] == "no-store"
        assert "script-src 'self';" in home.headers["content-security-policy"]
        english = httpx.get(server.url, headers={"Accept-Language": "en-US,en;q=0.8"})
        assert '<html lang="en">' in english.text
        chosen = httpx.get(
            server.url,
            headers={"Accept-Language": "en-US"},
            cookies={i18n.COOKIE: "fr"},
        )
        assert '<html lang="fr">' in chosen.text
        missing = httpx.get(f"{server.url}/nowhere", headers={"Accept-Language": "en"})
        assert missing.status_code == 404 and "There is no page at this address" in missing.text
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", "fr"),
        ("en", "en"),
        ("de-DE,en;q=0.5", "en"),
        ("fr;q=0.2,en;q=0.9", "en"),
        ("x;q=bad", "fr"),
    ],
)
def test_accept_language(header: str, expected: str) -> None:
    from starlette.requests import Request

    scope = {"type": "http", "headers": [(b"accept-language", header.encode())]}
    assert i18n.negotiate(Request(scope)) == expected

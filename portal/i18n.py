"""French and English: gettext catalogues (``locale/<lang>/LC_MESSAGES/messages.po``, kept in
the repository) compiled with Babel when the portal starts, and the reader's language chosen
from their choice (a cookie), else their browser's ``Accept-Language``, else French."""

import io
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from starlette.requests import Request

from dinamis.refusal import N_

# Licence titles the access schema seeds, said in the reader's language on the pages.
DATA_TEXT = (N_("DINAMIS licence for Airbus DS imagery (Pléiades, Pléiades Neo, SPOT 6/7)"),)

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("fr", "en")
DEFAULT = "fr"
COOKIE = "dinamis_lang"


@cache
def translations(language: str) -> Translations:
    """The compiled catalogue of ``language`` (the .po compiled in memory, once)."""
    po = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as file:
        catalog = read_po(file, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def _accepted(header: str) -> list[str]:
    """Languages of an Accept-Language header, most wanted first."""
    weighted = []
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag:
            weighted.append((quality, tag.split("-")[0].lower()))
    return [tag for _, tag in sorted(weighted, key=lambda w: -w[0])]


def negotiate(request: Request) -> str:
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    for tag in _accepted(request.headers.get("accept-language", "")[:500]):
        if tag in LANGUAGES:
            return tag
    return DEFAULT


def language_name(language: str) -> str:
    """The language's own name (français, English), for the switch."""
    return Locale.parse(language).get_display_name(language).capitalize()

"""Debian's Chromium driven by Playwright, for the pages' end-to-end tests."""

import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # playwright is imported where a browser is needed, so modules load without
    from playwright.sync_api import BrowserContext, Playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # WebGL without a GPU, for MapLibre.
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]


@contextmanager
def chromium(
    playwright: "Playwright | None" = None, **options: object
) -> Iterator["BrowserContext"]:
    """Debian's Chromium, headless, with a throwaway profile (so no key survives a test).
    Playwright runs once per thread: to open several browsers at once (two people, each with
    their own session), pass the same running ``playwright`` to each."""
    from playwright.sync_api import sync_playwright

    with ExitStack() as stack:
        if playwright is None:
            playwright = stack.enter_context(sync_playwright())
        profile = stack.enter_context(tempfile.TemporaryDirectory())
        browser = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1100, "height": 700},
            **options,
        )
        stack.callback(browser.close)
        yield browser

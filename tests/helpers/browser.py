"""Headless Chromium from Debian (/usr/bin/chromium) driven by Playwright, for the browser tests.

Playwright's own browser download cannot work here (no network to its CDN), so it launches the
system Chromium that scripts/install-system-deps.sh installs. A page records every console error
and uncaught exception: a test asserts there were none, so a JavaScript error fails it even when
the page happens to look right.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# The flags STACK-NOTES found needed as root on this machine kind, and no background traffic.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class BrowserPage:
    page: Page
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@contextlib.contextmanager
def chromium_page(*, file_only: bool = False, width: int = 1280, height: int = 900) -> Iterator[BrowserPage]:
    """A fresh page of a fresh headless Chromium, closed on exit.

    `file_only`: every request that is not file:// is aborted (the page must not need the network).
    """
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-system-deps.sh (Debian package chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            if file_only:
                context.route("**/*", _file_only)
            page = context.new_page()
            result = BrowserPage(page)
            page.on("console", lambda msg: msg.type == "error" and result.errors.append(msg.text))
            page.on("pageerror", lambda exc: result.errors.append(str(exc)))
            page.on("request", lambda request: result.requests.append(request.url))
            yield result
        finally:
            browser.close()


def _file_only(route: Route) -> None:
    if route.request.url.startswith("file://"):
        route.continue_()
    else:
        route.abort("internetdisconnected")

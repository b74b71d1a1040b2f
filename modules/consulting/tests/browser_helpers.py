"""What the module's browser tests share: signing in through the login page and keeping a
screenshot (in the test's folder, and in ``$SOUK_SCREENSHOT_DIR`` when set)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page

from tests.accounts_helpers import PASSWORD
from tests.browser.conftest import page_width


def sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # The page signed in to, loaded with its stylesheets: a box measured before a late
    # stylesheet arrives is measured in the wrong layout.
    page.wait_for_url(lambda u: urlsplit(u).path != "/accounts/login/", wait_until="load")


def shot(page: Page, folder: Path, name: str, width: int | None = None) -> None:
    """A full-page screenshot; with ``width``, first that the page does not scroll sideways
    at that width (and the width goes into the file name)."""
    if width is not None:
        assert page_width(page) <= width, (page.url, width)
        name = f"{name}-{width}"
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    target = os.environ.get("SOUK_SCREENSHOT_DIR")
    if target:
        shutil.copy(path, Path(target) / path.name)

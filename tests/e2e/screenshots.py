"""The README's screenshots, taken by the browser tests at the moment each screen is shown, so a picture
in the README is always of a flow that passes. `make screenshots` runs those tests with
BOXOFFICE_SCREENSHOTS naming the folder; otherwise taking one does nothing."""

import os
from pathlib import Path

from playwright.sync_api import Page

FOLDER = os.environ.get("BOXOFFICE_SCREENSHOTS", "")


def readme_screenshot(page: Page, name: str) -> None:
    if FOLDER:
        page.screenshot(path=Path(FOLDER) / f"{name}.png", animations="disabled", caret="initial")

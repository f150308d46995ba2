"""axe-core, run in the page a browser test has open: every rule it applies, none may fail."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

AXE = Axe()


def assert_accessible(page: Page) -> None:
    """Fail with axe-core's own report (rule, impact, the elements and how to fix them) on any violation."""
    results = AXE.run(page)
    assert results.violations_count == 0, results.generate_report()

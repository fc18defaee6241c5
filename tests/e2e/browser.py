"""Headless Chromium for end-to-end tests of the web pages (Selenium + the distribution's driver).

Nothing is downloaded: the tests use ``chromium`` and ``chromedriver`` from the system. Without
them the tests skip with the reason, unless ``SPRINTBOT_REQUIRE_BROWSER`` is set (``.ci/run`` sets
it), which turns that skip into a failure. Selenium blocks, so tests call it through
``asyncio.to_thread`` to keep the bot's event loop running.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

REQUIRE_ENV = "SPRINTBOT_REQUIRE_BROWSER"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=420,900",  # a phone-sized window
)


def _missing(reason: str) -> None:
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(f"{reason} ({REQUIRE_ENV} is set: CI must run the browser tests)")
    pytest.skip(reason)


@pytest.fixture
def chrome() -> Iterator[Any]:
    """A fresh headless Chromium (own profile folder), quit afterwards."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium is not installed (pip install -e '.[dev]')")
    binary = next((path for b in BROWSERS if (path := shutil.which(b))), None)
    driver_path = shutil.which("chromedriver")
    if binary is None or driver_path is None:
        _missing(
            "headless Chromium tests need the chromium and chromedriver programs "
            "(Debian/Ubuntu: apt-get install chromium chromium-driver)"
        )
    assert binary is not None and driver_path is not None
    with tempfile.TemporaryDirectory(prefix="sprintbot-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = binary
        for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(options=options, service=Service(driver_path))
        driver.set_page_load_timeout(20)
        try:
            yield driver
        finally:
            driver.quit()

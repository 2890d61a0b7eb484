"""What the browser tests share: Debian's Chromium driven by playwright (never a downloaded browser), the app
served on a loopback port, and the checks every page must pass on a phone."""

import shutil
import threading
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server

from server.extensions import db

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}


def require_chromium():
    """Skip the calling test module when Chromium or playwright is missing; returns playwright's sync API."""
    if CHROMIUM is None:
        pytest.skip(
            "browser test: Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True
        )
    return pytest.importorskip("playwright.sync_api", reason="browser test: pip install playwright")


@contextmanager
def served(app):
    """``app`` on 127.0.0.1 at a free port, in a thread; yields its base URL."""
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        http.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@contextmanager
def chromium_browser():
    """A headless Chromium (the ``browser`` fixture of tests/conftest.py)."""
    playwright_api = require_chromium()
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS, timeout=30_000)
        try:
            yield chromium
        finally:
            chromium.close()


def fits_the_screen(page) -> bool:
    """Nothing makes the page scroll sideways."""
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")

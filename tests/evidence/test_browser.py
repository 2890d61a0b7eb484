"""The package's HTML summary opens in headless Chromium (Debian's, through playwright) from the file alone: in
Vietnamese, its map drawn, nothing loaded from anywhere, no error."""

import io
import zipfile

import pytest

from tests.browser import require_chromium
from tests.evidence.test_packages import measured  # noqa: F401  (the fixture)

require_chromium()
pytestmark = pytest.mark.slow


def test_the_summary_renders_in_vietnamese_in_chromium(client, measured, browser, tmp_path):  # noqa: F811
    _, headers = measured
    params = {"province": "15", "operator": "452-04", "format": "zip"}
    archive = zipfile.ZipFile(
        io.BytesIO(client.get("/api/v1/coverage-evidence", query_string=params, headers=headers).data)
    )
    page_file = tmp_path / "summary.html"
    page_file.write_bytes(archive.read("summary.html"))
    context = browser.new_context()
    page = context.new_page()
    problems, requests = [], []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(page_file.as_uri(), wait_until="load")
        assert page.evaluate("() => document.documentElement.lang") == "vi"
        assert page.locator("h1").inner_text().startswith("Bằng chứng vùng phủ sóng")
        assert "Phương pháp" in page.content()
        assert page.locator("svg.evidence-map path").count() == 2
        box = page.locator("svg.evidence-map").bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100
        assert problems == [] and requests == [page_file.as_uri()]
        assert page.pdf(format="A4")[:4] == b"%PDF"
    finally:
        context.close()

"""Map pages served by the app: login, filters, scoping, escaping, download, assets."""

import re

import pytest

from tests.helpers import assert_problem
from tests.maps.factory import KHAO_MANG, LAO_CAI, TUYEN_QUANG

PAGES = ("/maps/dead-spots", "/maps/equipment", "/maps/tickets", "/maps/communes")

ASSET_LINK = r'<script[^>]* src="([^"]+)"|<link rel="stylesheet" href="([^"]+)"'


@pytest.fixture(autouse=True)
def english(client):
    """These tests read the English texts: the pages' second language, asked for by the browser."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def html(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def test_pages_need_a_login(client):
    """Without a token or session, a map page sends the browser to the login form."""
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.usefixtures("no_tiles", "field_data")
def test_pages_render_with_local_assets_only(client, make_user):
    """Each page has the map, its legend, layer control and filter bar; scripts and styles come from this app."""
    _, headers = make_user(role="coordinator", province=LAO_CAI)
    for path in PAGES:
        page = html(client.get(path, headers=headers))
        assert "fieldops-legend" in page and "L.control.layers" in page and "fieldops-bar" in page, path
        assert not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", page), path
        assets = ["".join(found) for found in re.findall(ASSET_LINK, page)]
        assert assets and all(asset.startswith("/maps/assets/") for asset in assets), path
        for asset in set(assets):
            served = client.get(asset)
            assert served.status_code == 200, asset
            served.close()


@pytest.mark.usefixtures("no_tiles", "field_data")
def test_user_text_is_inert_in_served_pages(client, make_user):
    """A <script> typed in a site name, a check's notes or a ticket title is escaped on the pages."""
    _, headers = make_user(role="coordinator", province=LAO_CAI)
    for path in ("/maps/equipment", "/maps/tickets"):
        page = html(client.get(path, headers=headers))
        assert "<script>window.__pwned" not in page, path
        assert "\\u0026lt;script\\u0026gt;window.__pwned" in page, path


@pytest.mark.usefixtures("no_tiles", "field_data")
def test_ticket_popups_link_to_the_ticket_page(client, make_user, db):
    """Each ticket pin's popup links to its ticket page (a path on this server; the download, the full URL)."""
    from sqlalchemy import select

    from server.models import Ticket

    _, headers = make_user(role="coordinator", province=LAO_CAI)
    ticket_ids = db.session.scalars(select(Ticket.id).where(Ticket.province_code == LAO_CAI)).all()
    page = html(client.get("/maps/tickets", headers=headers))
    download = client.get(f"/maps/tickets?province={LAO_CAI}&download=1", headers=headers).get_data(as_text=True)
    for ticket_id in ticket_ids:
        assert f'\\u003ca href=\\"/tickets/{ticket_id}\\"' in page  # the popup's HTML inside the page's JSON
        assert f"http://localhost/tickets/{ticket_id}" in download


@pytest.mark.usefixtures("no_tiles", "field_data")
def test_pages_are_scoped_and_filtered(client, make_user):
    """A Lao Cai coordinator sees Lao Cai's tickets only, cannot ask for another province, and can narrow down."""
    _, headers = make_user(role="coordinator", province=LAO_CAI)
    page = html(client.get("/maps/tickets", headers=headers))
    assert "Antenna" in page and "Elsewhere" not in page
    assert "2 open, 1 overdue" in page
    commune = html(client.get(f"/maps/tickets?province={LAO_CAI}&commune={KHAO_MANG}", headers=headers))
    assert "Antenna" not in commune and "1 open, 1 overdue" in commune
    assert_problem(client.get(f"/maps/tickets?province={TUYEN_QUANG}", headers=headers), 404)
    assert_problem(client.get("/maps/dead-spots?since=yesterday", headers=headers), 422)
    assert_problem(client.get("/maps/communes?indicator=happiness", headers=headers), 422)
    empty_fields = html(client.get("/maps/dead-spots?province=&commune=&since=&network=", headers=headers))
    assert "4 readings" in empty_fields


@pytest.mark.usefixtures("no_tiles", "field_data")
def test_dead_spot_page_counts_and_heat(client, make_user):
    """The dead-spot page sums the readings in scope; a commune view can add the heat layer."""
    _, headers = make_user(role="coordinator", province=LAO_CAI)
    page = html(client.get("/maps/dead-spots", headers=headers))
    assert "4 readings, 2 dead spots" in page and "L.heatLayer" not in page
    heat = html(client.get(f"/maps/dead-spots?commune={KHAO_MANG}&heat=1", headers=headers))
    assert "L.heatLayer" in heat and "3 readings, 2 dead spots" in heat
    assert "H3 resolution 8" in heat


@pytest.mark.usefixtures("no_tiles", "field_data")
def test_communes_page_says_when_no_boundaries(client, make_user):
    """Without boundaries the page says so and draws communes at their sites."""
    _, headers = make_user(role="coordinator", province=LAO_CAI)
    page = html(client.get(f"/maps/communes?province={LAO_CAI}&indicator=broken_equipment", headers=headers))
    assert "No commune boundaries are loaded" in page
    assert "import-boundaries" in page
    assert "Broken or missing assets" in page


@pytest.mark.usefixtures("no_tiles", "field_data")
def test_download_is_a_standalone_file(client, make_user):
    """download=1 gives the same map as an attachment with Leaflet inlined: it opens with no server."""
    _, headers = make_user(role="coordinator", province=LAO_CAI)
    for path in PAGES:
        response = client.get(f"{path}?province={LAO_CAI}&download=1", headers=headers)
        page = html(response)
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;") and f"-{LAO_CAI}-" in disposition and ".html" in disposition
        assert "<script src=" not in page and "/maps/assets/" not in page and "fieldops-bar" not in page
        assert "fieldops-legend" in page


def test_assets_are_served_without_login(client):
    """Leaflet's files come from the installed package; without their content hash in the URL they are
    revalidated (the hashed URLs the pages use are cached for a year); unknown files are 404."""
    response = client.get("/maps/assets/leaflet/leaflet.js")
    assert response.status_code == 200 and "javascript" in response.mimetype
    assert response.headers["Cache-Control"] == "public, no-cache" and response.headers["ETag"]
    response.close()
    image = client.get("/maps/assets/leaflet/images/layers.png")
    assert image.status_code == 200 and image.mimetype == "image/png"
    image.close()
    assert_problem(client.get("/maps/assets/leaflet/../../__init__.py"), 404)
    assert_problem(client.get("/maps/assets/leaflet/leaflet.js.map"), 404)
    assert_problem(client.get("/maps/assets/jquery/jquery.js"), 404)


@pytest.mark.usefixtures("field_data")
def test_osm_tiles_are_the_only_outside_url(client, make_user, app, monkeypatch):
    """With OpenStreetMap tiles configured, the tile template is the one outside address in the page."""
    monkeypatch.setitem(app.config, "MAP_TILES", "osm")
    _, headers = make_user(role="admin")
    page = html(client.get("/maps/dead-spots", headers=headers))
    outside = set(re.findall(r"https?://[^\s\"'<>\\]+", page))
    assert outside <= {"https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://www.openstreetmap.org/copyright"}
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in outside


@pytest.mark.usefixtures("no_tiles", "field_data")
def test_filter_bar_shows_the_area(client, make_user):
    """A commune alone selects its province in the bar and lists that province's communes."""
    _, headers = make_user(role="coordinator", province=LAO_CAI)
    page = html(client.get(f"/maps/equipment?commune={KHAO_MANG}", headers=headers))
    assert f'<option value="{LAO_CAI}" selected>' in page
    assert f'<option value="{KHAO_MANG}" selected>' in page
    assert "download=1" in page and f"commune={KHAO_MANG}" in page

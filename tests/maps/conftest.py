import pytest

from tests.maps import factory
from tests.maps.factory import KHAO_MANG, LAM_BINH, TU_LE

SCRIPT = "<script>window.__pwned = 1</script>"


@pytest.fixture
def no_tiles(app, monkeypatch):
    """Pages without a tile layer: nothing in them may point outside the app."""
    monkeypatch.setitem(app.config, "MAP_TILES", "none")


@pytest.fixture
def field_data(db, make_site):
    """A little of everything in Lao Cai (15), and one of each in Tuyen Quang (08); user text with markup."""
    school = make_site(commune=KHAO_MANG, name=f"School {SCRIPT}", lat=21.80, lon=104.10)
    centre = make_site(commune=TU_LE, name="Centre", lat=21.62, lon=104.30)
    make_site(commune=LAM_BINH, name="Far away", lat=22.45, lon=105.22)
    for dead in (True, True, False):
        factory.reading(db.session, KHAO_MANG, dead=dead)
    factory.reading(db.session, TU_LE)
    factory.reading(db.session, LAM_BINH, dead=True)
    factory.check(db.session, school, condition="broken", notes=f"jammed {SCRIPT}")
    factory.check(db.session, centre, condition="working", asset_kind="computer", asset_label="PC")
    factory.ticket(db.session, KHAO_MANG, title=f"Printer {SCRIPT}", priority="high", due_in_days=-3)
    factory.ticket(db.session, TU_LE, title="Antenna", priority="low")
    factory.ticket(db.session, LAM_BINH, title="Elsewhere", due_in_days=-3)
    db.session.flush()
    return {"school": school, "centre": centre}

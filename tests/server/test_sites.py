import pytest

from server.auth import Scope
from server.errors import Forbidden, InvalidInput
from server.services.admin_units import import_boundaries
from server.services.sites import create_site, update_site
from tests.helpers import square, write_boundaries

LAO_CAI = Scope(provinces=frozenset({"15"}))
EVERYWHERE = Scope(everywhere=True)


def test_moving_a_site_without_boundaries_keeps_its_commune(db, make_site):
    """A small correction of the position does not require the commune code again."""
    site = make_site(commune="04603")
    update_site(db.session, LAO_CAI, site, {"lat": 21.7301})
    assert site.admin_unit_code == "04603" and site.lat == pytest.approx(21.7301)


def test_moving_a_site_into_a_boundary_takes_that_commune(db, make_site, tmp_path):
    """With boundaries loaded, the commune follows the new point."""
    import_boundaries(
        db.session,
        write_boundaries(
            tmp_path, [{"type": "Feature", "properties": {"code": "04630"}, "geometry": square(104.95, 21.70)}]
        ),
    )
    site = make_site(commune="04603")
    update_site(db.session, LAO_CAI, site, {"lon": 104.97})
    assert (site.admin_unit_code, site.province_code) == ("04630", "15")


def test_create_outside_scope_is_forbidden(db):
    """A site in a commune outside the scope is refused."""
    with pytest.raises(Forbidden):
        create_site(db.session, LAO_CAI, name="X", kind="other", lat=21.03, lon=105.85, admin_unit_code="00070")


def test_unknown_commune_code_is_invalid(db):
    """An unknown commune code is reported under admin_unit_code."""
    with pytest.raises(InvalidInput) as info:
        create_site(db.session, EVERYWHERE, name="X", kind="other", lat=21.7, lon=104.9, admin_unit_code="99999")
    assert "admin_unit_code" in info.value.errors


def test_province_code_follows_the_commune(db):
    """The province of a site is its commune's parent."""
    site = create_site(db.session, EVERYWHERE, name="X", kind="school", lat=21.03, lon=105.85, admin_unit_code="00070")
    assert (site.admin_unit_code, site.province_code) == ("00070", "01")

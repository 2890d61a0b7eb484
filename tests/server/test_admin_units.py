import json

from sqlalchemy import func, select

from server.models import AdminUnit
from server.services.admin_units import commune_at, import_boundaries, load_official_units


def test_official_list_is_loaded(db):
    """The session database holds the 34 provinces and 3,321 communes with their parents."""
    counts = dict(db.session.execute(select(AdminUnit.level, func.count()).group_by(AdminUnit.level)).all())
    assert counts == {"province": 34, "commune": 3321}
    hoan_kiem = db.session.get(AdminUnit, "00070")
    assert hoan_kiem.parent_code == "01" and hoan_kiem.level == "commune"
    orphans = db.session.scalar(
        select(func.count()).select_from(AdminUnit).where(AdminUnit.level == "commune", AdminUnit.parent_code.is_(None))
    )
    assert orphans == 0


def test_loading_twice_changes_nothing(db):
    """Running the loader again reports every unit unchanged."""
    report = load_official_units(db.session)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3355)


def test_loading_restores_a_respelled_name_only_when_applied(db):
    """A unit whose name drifted in spelling only is listed as renamed, and put back by --apply."""
    db.session.get(AdminUnit, "00070").name = "Phường  hoàn kiếm"
    db.session.flush()
    report = load_official_units(db.session)
    assert [(c.kind, c.old_code, c.new_code) for c in report.plan.changes] == [("renamed", "00070", "00070")]
    assert db.session.get(AdminUnit, "00070").name == "Phường  hoàn kiếm"
    report = load_official_units(db.session, apply=True)
    assert report.updated == 1
    assert db.session.get(AdminUnit, "00070").name == "Phường Hoàn Kiếm"


def square(lon, lat, size=0.05):
    return {
        "type": "Polygon",
        "coordinates": [[[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]],
    }


def write_boundaries(tmp_path, features):
    path = tmp_path / "boundaries.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def test_boundaries_import_matches_by_code_and_reports_the_rest(db, tmp_path):
    """Features are matched by official code (padded), unknown codes and bad geometry are reported."""
    path = write_boundaries(
        tmp_path,
        [
            {"type": "Feature", "properties": {"ma_xa": 4603, "name": "A"}, "geometry": square(104.90, 21.70)},
            {"type": "Feature", "properties": {"code": "99999", "name": "Nowhere"}, "geometry": square(1, 1)},
            {"type": "Feature", "properties": {"code": "00070"}, "geometry": {"type": "Point", "coordinates": [1, 2]}},
        ],
    )
    report = import_boundaries(db.session, path)
    assert report.matched == ["04603"]
    assert len(report.unmatched) == 1 and "99999" in report.unmatched[0]
    assert len(report.invalid) == 1 and "00070" in report.invalid[0]
    assert db.session.get(AdminUnit, "04603").boundary is not None
    assert db.session.get(AdminUnit, "04603").centroid is not None


def test_point_in_boundary_finds_the_commune(db, tmp_path):
    """The commune containing a point is found through the spatial index on both backends."""
    path = write_boundaries(
        tmp_path,
        [
            {"type": "Feature", "properties": {"code": "04603"}, "geometry": square(104.90, 21.70)},
            {"type": "Feature", "properties": {"code": "04630"}, "geometry": square(104.95, 21.70)},
        ],
    )
    import_boundaries(db.session, path)
    assert commune_at(db.session, 104.92, 21.72).code == "04603"
    assert commune_at(db.session, 104.97, 21.72).code == "04630"
    assert commune_at(db.session, 105.50, 21.72) is None


def test_boundaries_keyed_by_a_pre_2025_code(db, tmp_path):
    """An old code whose commune is exactly one current commune gives that commune's boundary, with a warning;
    the old outline of a merged commune is refused, naming what it became."""
    path = write_boundaries(
        tmp_path,
        [
            {"type": "Feature", "properties": {"code": "27352"}, "geometry": square(106.6, 10.8)},
            {"type": "Feature", "properties": {"code": "00013"}, "geometry": square(105.83, 21.04, 0.01)},
        ],
    )
    report = import_boundaries(db.session, path)
    assert report.matched == ["27367"] and "pre-2025 code" in report.warnings[0]
    assert db.session.get(AdminUnit, "27367").boundary is not None
    assert "00004 Phường Ba Đình" in report.unmatched[0] and "not a current boundary" in report.unmatched[0]

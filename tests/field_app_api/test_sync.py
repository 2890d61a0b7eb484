import threading

import pytest
from sqlalchemy import func, select

from server.models import RECORD_MODELS, ConnectivityReading
from tests.helpers import assert_problem
from tests.records_factory import mixed_batch, reading, visit


def stored_count(db) -> int:
    return sum(db.session.scalar(select(func.count()).select_from(model)) for model in RECORD_MODELS.values())


@pytest.fixture
def member(make_user, make_site):
    """A field member of a team working in Lao Cai, with one site there (for placing records)."""
    make_site(commune="04603", lat=21.72, lon=104.92)
    return make_user("field_member", province="15")


def test_mixed_batch_keeps_the_good_and_names_the_bad(client, db, member):
    """1,000 mixed records with 10 bad ones: 990 created, 10 rejected with the field named."""
    _, headers = member
    records, bad = mixed_batch(1000, bad=10)
    response = client.post("/api/v1/sync", json={"device_id": "phone-1", "records": records}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["created"], body["duplicate"], body["rejected"]) == (990, 0, 10)
    for result in body["results"]:
        if result["index"] in bad:
            assert result["status"] == "rejected"
            assert "lat" in result["errors"]
        else:
            assert result["status"] == "created"
        assert result["id"] == records[result["index"]]["id"]
    assert stored_count(db) == 990


def test_retrying_a_batch_stores_nothing_twice(client, db, member):
    """The same batch sent again answers duplicate for every stored record and adds no row."""
    _, headers = member
    records, _ = mixed_batch(1000, bad=10)
    client.post("/api/v1/sync", json={"records": records}, headers=headers)
    response = client.post("/api/v1/sync", json={"records": records}, headers=headers)
    body = response.get_json()
    assert (body["created"], body["duplicate"], body["rejected"]) == (0, 990, 10)
    assert stored_count(db) == 990


def test_same_id_twice_in_one_batch_is_stored_once(client, db, member):
    _, headers = member
    record = reading()
    body = client.post("/api/v1/sync", json={"records": [record, dict(record)]}, headers=headers).get_json()
    assert [r["status"] for r in body["results"]] == ["created", "duplicate"]
    assert db.session.scalar(select(func.count()).select_from(ConnectivityReading)) == 1


def test_unidentifiable_records_are_rejected_with_reasons(client, member):
    """Records without a known type or a UUID id are rejected; the rest of the batch goes through."""
    _, headers = member
    records = [{"type": "selfie", "id": "not-a-uuid"}, "just text", visit()]
    body = client.post("/api/v1/sync", json={"records": records}, headers=headers).get_json()
    first, second, third = body["results"]
    assert first["status"] == "rejected" and {"type", "id"} <= first["errors"].keys()
    assert second["status"] == "rejected" and "_schema" in second["errors"]
    assert third["status"] == "created"


def test_bulk_path_statements_do_not_grow_with_the_batch(client, make_user, make_site, count_queries):
    """Records, placement and the tickets they open are stored with set-based statements: a batch five times
    larger (same places, hence the same tickets) runs no more statements."""
    make_site(commune="04603", lat=21.72, lon=104.92)
    counts = []
    for size in (200, 1000):
        _, headers = make_user("field_member", province="15")
        records, _ = mixed_batch(size)
        with count_queries() as statements:
            body = client.post("/api/v1/sync", json={"records": records}, headers=headers).get_json()
        assert body["created"] == size
        counts.append(statements[0])
    assert counts[1] <= counts[0] + 5, counts
    assert counts[1] < 100


def test_oversized_batch_is_refused(app, client, member):
    _, headers = member
    limit = app.config["SYNC_MAX_RECORDS"]
    app.config["SYNC_MAX_RECORDS"] = 3
    try:
        response = client.post("/api/v1/sync", json={"records": [visit() for _ in range(4)]}, headers=headers)
    finally:
        app.config["SYNC_MAX_RECORDS"] = limit
    assert "records" in assert_problem(response, 422)["errors"]


def test_sync_needs_a_token(client, db):
    assert_problem(client.post("/api/v1/sync", json={"records": []}), 401)


def test_changes_feed_sends_sites_of_the_jurisdiction_once(app, client, member, make_site, monkeypatch):
    """The first pull sends the team's sites (not other provinces'); the next pull sends only what changed."""
    from datetime import timedelta

    import server.services.changes as changes

    monkeypatch.setattr(changes, "SAFETY_MARGIN", timedelta(seconds=0))
    _, headers = member
    elsewhere = make_site(commune="00070", lat=21.03, lon=105.85, name="Hà Nội site")
    first = client.get("/api/v1/sync/changes", headers=headers).get_json()
    names = [site["name"] for site in first["sites"]]
    assert names == ["Thôn 1"] and elsewhere.name not in names
    second = client.get(f"/api/v1/sync/changes?cursor={first['cursor']}", headers=headers).get_json()
    assert second["sites"] == []
    make_site(commune="04603", lat=21.73, lon=104.93, name="Thôn 2")
    third = client.get(f"/api/v1/sync/changes?cursor={second['cursor']}", headers=headers).get_json()
    assert [site["name"] for site in third["sites"]] == ["Thôn 2"]


def test_changes_feed_pages_with_has_more(client, member, make_site):
    _, headers = member
    for number in range(2, 6):
        make_site(commune="04603", lat=21.72 + number * 0.001, lon=104.92, name=f"Thôn {number}")
    seen, cursor = [], ""
    for _ in range(10):
        body = client.get(f"/api/v1/sync/changes?limit=2&cursor={cursor}", headers=headers).get_json()
        seen += [site["name"] for site in body["sites"]]
        cursor = body["cursor"]
        if not body["has_more"]:
            break
    assert sorted(set(seen)) == ["Thôn 1", "Thôn 2", "Thôn 3", "Thôn 4", "Thôn 5"]


def test_bad_cursor_is_a_clear_error(client, member):
    _, headers = member
    assert "cursor" in assert_problem(client.get("/api/v1/sync/changes?cursor=%%%", headers=headers), 422)["errors"]


def test_concurrent_retries_store_each_record_once(app, committed_member):
    """Two clients sending the same batch at the same moment: every record is created exactly once."""
    from server.extensions import db as real_db

    records, _ = mixed_batch(500)
    bodies = []
    barrier = threading.Barrier(2)

    def send():
        client = app.test_client()
        barrier.wait(timeout=10)
        response = client.post("/api/v1/sync", json={"records": records}, headers=committed_member.headers)
        bodies.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [status for status, _ in bodies] == [200, 200], bodies
    assert sum(body["created"] for _, body in bodies) == 500
    assert sum(body["duplicate"] for _, body in bodies) == 500
    with app.app_context():
        ids = [r["id"] for r in records]
        stored = sum(
            real_db.session.scalar(
                select(func.count()).select_from(model).where(model.id.in_([__import__("uuid").UUID(i) for i in ids]))
            )
            for model in RECORD_MODELS.values()
        )
        real_db.session.remove()
    assert stored == 500

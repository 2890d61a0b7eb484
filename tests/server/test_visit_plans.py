"""Recurring visit plans: windows, fulfilment at ingest and re-derived, missed visits, pausing, access."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from server.auth import scope_for
from server.errors import Forbidden, InvalidInput
from server.models import PlannedVisit, VisitPlanEvent
from server.services import visit_plans
from server.services.visit_plans import Schedule, add_months, local_today
from tests.records_factory import LAT, LON, visit

COMMUNE = "04603"  # Lào Cai (15), where records at LAT, LON are placed


def test_months_are_clamped_to_the_month_end():
    """31 January plus one month is the last day of February; the schedule counts from its first day."""
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    schedule = Schedule(1, "month", date(2026, 1, 31))
    assert [schedule.start(k) for k in range(3)] == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]
    assert schedule.index(date(2026, 3, 30)) == 1
    assert schedule.index(date(2026, 3, 31)) == 2
    assert Schedule(2, "week", date(2026, 1, 1)).index(date(2026, 1, 15)) == 1


@pytest.fixture
def planned(db, make_team, make_user):
    """A coordinator of Lào Cai plans that a team visits commune 04603 every 2 weeks, starting 5 weeks ago."""
    team = make_team(["15"])
    member, member_headers = make_user("field_member", team=team)
    coordinator, _ = make_user("coordinator", jurisdiction_code="15")
    now = datetime.now(UTC)
    plan = visit_plans.create_plan(
        db.session,
        coordinator,
        scope_for(coordinator),
        team_id=team.id,
        every=2,
        unit="week",
        starts_on=local_today(now) - timedelta(weeks=5),
        communes=[COMMUNE],
        title="Kiểm tra định kỳ",
        now=now,
    )
    return plan, team, member, member_headers, coordinator


def _rows(db, plan):
    return list(
        db.session.scalars(select(PlannedVisit).where(PlannedVisit.plan_id == plan.id).order_by("window_start"))
    )


def test_a_plan_makes_its_windows_up_to_today(db, planned):
    """Three windows have begun: two are over (overdue until a visit), today's is due; made once only."""
    plan, *_ = planned
    rows = _rows(db, plan)
    assert [row.status for row in rows] == ["due", "due", "due"]
    assert rows[0].due_on == rows[0].window_start + timedelta(days=13)
    assert visit_plans.materialize(db.session, plan, datetime.now(UTC)) == []
    assert len(_rows(db, plan)) == 3
    assert db.session.scalar(select(VisitPlanEvent.action).where(VisitPlanEvent.plan_id == plan.id)) == "created"


def test_a_visit_synced_by_the_team_fulfils_the_current_window(db, client, planned):
    """The team's visit in the commune within the window fulfils that window only; a retry changes nothing."""
    plan, _team, _member, headers, _ = planned
    record = visit(lat=LAT, lon=LON)
    for _ in range(2):
        answer = client.post("/api/v1/sync", json={"records": [record]}, headers=headers).get_json()
        assert answer["results"][0]["status"] in ("created", "duplicate"), answer
    rows = _rows(db, plan)
    assert [row.status for row in rows] == ["due", "due", "fulfilled"]
    assert str(rows[2].visit_id) == record["id"]


def test_missed_windows_are_marked_once(db, planned):
    """The check marks the two past windows missed and returns them; run again, it returns nothing."""
    plan, *_ = planned
    now = datetime.now(UTC)
    first = visit_plans.mark_missed_visits(db.session, now)
    assert len([row for row in first if row.plan_id == plan.id]) == 2
    assert all(row.status == "missed" for row in first)
    assert visit_plans.mark_missed_visits(db.session, now) == []
    assert [row.status for row in _rows(db, plan)] == ["missed", "missed", "due"]


def test_each_missed_window_is_announced_once_to_the_team(db, planned):
    """The periodic job records one ``visit_plan_missed`` event per missed window for the planned team; a second run
    (or a retried job) records none."""
    from server.models.notifications import NotificationEvent

    plan, team, *_ = planned
    now = datetime.now(UTC)
    missed = [row for row in visit_plans.check_missed_job(db.session, now) if row.plan_id == plan.id]
    assert len(missed) == 2
    visit_plans.check_missed_job(db.session, now)
    events = db.session.scalars(
        select(NotificationEvent).where(
            NotificationEvent.kind == "visit_plan_missed",
            NotificationEvent.dedupe_key.in_([f"visit_plan_missed:{row.id}" for row in missed]),
        )
    ).all()
    assert len(events) == 2
    assert {event.team_id for event in events} == {team.id}
    assert all(event.data["path"] == f"/visit-plans/{plan.id}" for event in events)


def test_a_late_synced_visit_still_fulfils_a_missed_window_and_rederive_agrees(db, client, planned):
    """A visit made within a past window but synced after it was marked missed fulfils it; re-deriving from the
    stored visits gives the same states."""
    plan, _team, _member, headers, _ = planned
    now = datetime.now(UTC)
    visit_plans.mark_missed_visits(db.session, now)
    first = _rows(db, plan)[0]
    observed = (first.starts_at + timedelta(days=2)).isoformat()
    record = visit(lat=LAT, lon=LON, observed_at=observed)
    assert client.post("/api/v1/sync", json={"records": [record]}, headers=headers).get_json()["created"] == 1
    assert [row.status for row in _rows(db, plan)] == ["fulfilled", "missed", "due"]
    for row in _rows(db, plan):  # forget what ingest did, then derive it again
        row.status, row.visit_id, row.fulfilled_at = ("due", None, None)
    db.session.flush()
    assert visit_plans.rederive(db.session, now) >= 2
    assert [row.status for row in _rows(db, plan)] == ["fulfilled", "missed", "due"]
    assert visit_plans.rederive(db.session, now) == 0


def test_another_teams_visit_does_not_fulfil(db, client, make_user, planned):
    """Only the planned team's visit counts."""
    plan, *_ = planned
    _other, other_headers = make_user("field_member", province="15")
    assert client.post("/api/v1/sync", json={"records": [visit()]}, headers=other_headers).get_json()["created"] == 1
    assert [row.status for row in _rows(db, plan)] == ["due", "due", "due"]


def test_pause_withdraws_the_open_visit_and_resume_asks_again(db, planned):
    """Paused: today's window is cancelled and nothing new is made; resumed: today's window is due again."""
    plan, _team, _member, _headers, coordinator = planned
    scope = scope_for(coordinator)
    assert visit_plans.set_paused(db.session, coordinator, scope, plan, True, version=plan.version)
    assert [row.status for row in _rows(db, plan)] == ["due", "due", "cancelled"]
    assert visit_plans.mark_missed_visits(db.session, datetime.now(UTC) + timedelta(weeks=3)) != []
    assert [row.status for row in _rows(db, plan)] == ["missed", "missed", "cancelled"]
    assert visit_plans.set_paused(db.session, coordinator, scope, plan, False)
    assert [row.status for row in _rows(db, plan)] == ["missed", "missed", "due"]
    actions = list(db.session.scalars(select(VisitPlanEvent.action).where(VisitPlanEvent.plan_id == plan.id)))
    assert sorted(actions) == ["created", "paused", "resumed"]


def test_a_new_schedule_applies_from_today(db, planned):
    """Changing the rhythm keeps the past windows and replaces today's open one."""
    plan, _team, _member, _headers, coordinator = planned
    before = _rows(db, plan)
    visit_plans.update_plan(
        db.session, coordinator, scope_for(coordinator), plan, {"every": 1, "unit": "month", "version": 1}
    )
    rows = _rows(db, plan)
    assert plan.version == 2
    assert [row.status for row in rows if row.window_start < before[2].window_start] == ["due", "due"]
    assert [row.status for row in rows if row.id == before[2].id] == ["cancelled"]
    assert len([row for row in rows if row.status == "due" and row.ends_at > datetime.now(UTC)]) == 1


def test_only_managers_plan_and_only_inside_their_area(db, make_team, make_user):
    """A team lead may not plan; a coordinator of Hà Nội may not plan visits in Lào Cai."""
    team = make_team(["15"])
    lead, _ = make_user("team_lead", team=team)
    args = dict(team_id=team.id, every=1, unit="month", starts_on=date(2026, 1, 1), communes=[COMMUNE])
    with pytest.raises(Forbidden):
        visit_plans.create_plan(db.session, lead, scope_for(lead), **args)
    hanoi, _ = make_user("coordinator", jurisdiction_code="01")
    with pytest.raises(InvalidInput):
        visit_plans.create_plan(db.session, hanoi, scope_for(hanoi), **args)


def test_places_outside_the_teams_area_are_refused(db, make_team, make_user):
    """A team of Hà Nội cannot record visits in Lào Cai, so it cannot be planned there."""
    team = make_team(["01"])
    admin, _ = make_user("admin")
    with pytest.raises(InvalidInput) as refused:
        visit_plans.create_plan(
            db.session, admin, scope_for(admin), team_id=team.id, every=1, unit="month",
            starts_on=date(2026, 1, 1), communes=[COMMUNE],
        )  # fmt: skip
    assert "communes" in refused.value.errors


def test_the_check_command(app, db, planned):
    """``visit-plans check`` prints the newly missed visits, then none."""
    runner = app.test_cli_runner()
    first = runner.invoke(args=["visit-plans", "check"])
    assert first.exit_code == 0, first.output
    assert "2 planned visit(s) newly missed" in first.output
    again = runner.invoke(args=["visit-plans", "check"])
    assert "0 planned visit(s) newly missed" in again.output

"""The equipment and ticket indicators read daily rollups: kept in step with every change of a check (late ones,
reviews) and of a ticket (transitions, reassignment, deletion), equal to ``rollups rebuild`` at every step, and
giving the figures of the per-check and per-ticket definitions."""

import random
import statistics
from datetime import timedelta

from sqlalchemy import select

from server.auth import Scope
from server.indicators import rollups
from server.indicators.areas import Area, Period
from server.indicators.equipment import asset_list, equipment_by
from server.indicators.tickets import tickets_by
from server.models import EquipmentRollup, Ticket, TicketDurationRollup, TicketRollup
from server.models.records import FAILED_CONDITIONS
from server.models.tickets import DONE_STATUSES
from server.services.reviews import set_review, subject_of
from tests.reports.conftest import C1, PROVINCE

LAO_CAI = Scope(provinces=frozenset({PROVINCE}))
MODELS = (EquipmentRollup, TicketRollup, TicketDurationRollup)


def assert_rebuild_agrees(session) -> None:
    """The rollups kept incrementally are exactly what rebuilding them from the raw records gives."""
    session.flush()
    incremental = rollups.snapshot(session, MODELS)
    rollups.rebuild(session)
    assert rollups.snapshot(session, MODELS) == incremental


def expected_assets(checks, period: Period) -> dict:
    """The per-check definition (equipment.py): latest condition before the end; a failure is a failed check whose
    previous check did not fail (or the first check), counted in the period."""
    result = {}
    for label in {check.asset_label for check in checks}:
        ordered = sorted(
            (c for c in checks if c.asset_label == label and c.observed_at < period.until),
            key=lambda c: (c.observed_at, c.id),
        )
        if not ordered:
            continue
        failures, previous = 0, None
        for check in ordered:
            if check.condition in FAILED_CONDITIONS and (previous is None or previous not in FAILED_CONDITIONS):
                failures += check.observed_at >= period.since
            previous = check.condition
        ages = [c.age_years for c in ordered if c.age_years is not None]
        age = ordered[-1].age_years if ordered[-1].age_years is not None else (max(ages) if ages else None)
        result[label] = (ordered[-1].condition, failures, age)
    return result


def test_equipment_rollup_gives_the_per_check_figures_with_late_checks_and_reviews(
    db, build, make_site, make_user, now
):
    """Random checks of four assets, several a day, sent out of order in three flushes, then some rejected by a
    reviewer, others approved: the assets' latest condition, failures in the period and age read from the rollup
    (or, for reviewed records only, from the approved checks) equal the per-check definition after each step,
    and the rollup equals its rebuild."""
    rng = random.Random(16)
    site = make_site(commune=C1, kind="village", name="Thôn Rollup")
    period = Period(now - timedelta(days=20), now - timedelta(days=2))
    checks = []
    for step in range(3):
        for _ in range(40):
            days_ago = rng.choice([0.5, 1.2, 3.1, 3.3, 3.6, 8.0, 8.2, 19.9, 20.4, 21.0, 25.0]) + rng.random() * 0.1
            condition = rng.choice(["working", "working", "degraded", "broken", "missing"])
            age = rng.choice([None, 2.0, 5.5])
            checks.append(build.check(C1, days_ago, "printer", f"P-{rng.randint(1, 4)}", condition, age, site=site))
        assert_rebuild_agrees(db.session)
        assets = {a["asset_label"]: a for a in asset_list(db.session, LAO_CAI, Area(PROVINCE, C1), period)}
        got = {label: (a["condition"], a["failures_in_period"], a["age_years"]) for label, a in assets.items()}
        assert got == expected_assets(checks, period), f"after flush {step + 1}"

    reviewer = make_user("coordinator")[0]
    rejected = rng.sample(checks, 25)
    for check in rejected:
        set_review(db.session, reviewer, LAO_CAI, subject_of(check, "equipment_check"), "rejected", 1, "wrong asset")
    assert_rebuild_agrees(db.session)
    counted = [check for check in checks if check not in rejected]
    assets = {a["asset_label"]: a for a in asset_list(db.session, LAO_CAI, Area(PROVINCE, C1), period)}
    got = {label: (a["condition"], a["failures_in_period"], a["age_years"]) for label, a in assets.items()}
    expected = expected_assets(counted, period)
    assert got == expected
    [figures] = equipment_by(db.session, LAO_CAI, Area(PROVINCE, C1), period, "commune").values()
    assert figures["assets"] == len(expected)
    assert figures["repeat_failure_assets"] == sum(1 for _, failures, _ in expected.values() if failures >= 2)
    assert figures["assets_broken"] == sum(1 for condition, _, _ in expected.values() if condition == "broken")

    approved = rng.sample(counted, 20)
    for check in approved:
        set_review(db.session, reviewer, LAO_CAI, subject_of(check, "equipment_check"), "approved", 1)
    assert_rebuild_agrees(db.session)
    reviewed = Area(PROVINCE, C1, reviewed_only=True)
    assets = {a["asset_label"]: a for a in asset_list(db.session, LAO_CAI, reviewed, period)}
    got = {label: (a["condition"], a["failures_in_period"], a["age_years"]) for label, a in assets.items()}
    assert got == expected_assets(approved, period)


def expected_tickets(tickets, period: Period) -> dict:
    """The per-ticket definitions (tickets.py) of the period figures."""

    def within(moment):
        return moment is not None and period.since <= moment < period.until

    resolved = [t for t in tickets if t.status in DONE_STATUSES and within(t.resolved_at)]
    hours = [(t.resolved_at - t.created_at).total_seconds() / 3600 for t in resolved]
    return {
        "tickets_opened": sum(1 for t in tickets if within(t.created_at)),
        "tickets_resolved": len(resolved),
        "tickets_resolved_on_time": sum(1 for t in resolved if t.resolved_at <= t.due_at),
        "escalations": sum(1 for t in tickets if within(t.escalated_at)),
        "median_hours_to_resolve": round(statistics.median(hours), 2) if hours else None,
    }


def test_ticket_rollups_follow_every_change_of_a_ticket(db, world, build, period, now):
    """Resolving, reopening, verifying, escalating, handing to another team and deleting tickets: after each
    flush the ticket rollups equal their rebuild, and the period figures (median included) equal the per-ticket
    definitions."""
    team_a, team_b = world["team_a"], world["team_b"]
    tickets = [build.ticket(C1, "open", created=days, due=days - 5, team=team_a) for days in (29, 17, 12, 6, 3)]
    db.session.flush()
    everything = list(db.session.scalars(select(Ticket).where(Ticket.admin_unit_code == C1)))
    fields = ("tickets_opened", "tickets_resolved", "tickets_resolved_on_time", "escalations")

    def check(step):
        assert_rebuild_agrees(db.session)
        figures = tickets_by(db.session, LAO_CAI, Area(PROVINCE), period, "commune", now)[C1]
        expected = expected_tickets([t for t in everything if t in db.session], period)
        assert {name: figures[name] for name in (*fields, "median_hours_to_resolve")} == expected, step

    check("opened")
    first, second, third, fourth, fifth = tickets
    first.status, first.resolved_at = "resolved", now - timedelta(days=20, hours=3, seconds=17)
    second.status, second.resolved_at = "resolved", now - timedelta(days=1, minutes=5)
    check("resolved")
    first.status = "verified"
    second.status = "reopened"  # no longer resolved
    third.status, third.escalated_at = "escalated", now - timedelta(days=2)
    check("verified, reopened, escalated")
    second.status, second.resolved_at = "closed", now - timedelta(hours=2)
    fourth.team_id, fourth.category = team_b.id, "power"
    fifth.status, fifth.resolved_at = "resolved", now - timedelta(days=2, hours=1)
    check("closed, handed over, resolved")
    db.session.delete(fifth)
    check("deleted")
    by_team = tickets_by(db.session, LAO_CAI, Area(PROVINCE), period, "team", now)
    assert by_team[team_b.id]["tickets_opened"] == 1 + sum(
        1 for t in everything if t in db.session and t.team_id == team_b.id and t is not fourth
    )


def test_indicators_are_the_same_after_a_rebuild(db, world, period, now):
    """Every equipment and ticket figure of every commune is the same read from the incremental rollups and from
    rebuilt ones (a rollup kept wrong would show here as a changed figure)."""
    from reports.indicators import indicator_rows

    before = indicator_rows(db.session, LAO_CAI, Area(province=PROVINCE), period, "commune", now)
    assert_rebuild_agrees(db.session)
    after = indicator_rows(db.session, LAO_CAI, Area(province=PROVINCE), period, "commune", now)
    assert before == after

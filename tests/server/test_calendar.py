from datetime import UTC, date, datetime

from server.services.calendar import WorkingCalendar


def test_weekends_and_public_holidays_are_skipped():
    """Five working days from Friday 24 April 2026 skip the weekend, Hung Kings' day (observed Monday 27),
    Liberation Day and Labour Day: the deadline is Wednesday 6 May at 17:00 Viet Nam time."""
    start = datetime(2026, 4, 24, 3, 0, tzinfo=UTC)  # Friday 10:00 in Viet Nam
    due = WorkingCalendar().add_working_days(start, 5)
    assert due == datetime(2026, 5, 6, 10, 0, tzinfo=UTC)


def test_tet_holidays_are_not_working_days():
    calendar = WorkingCalendar()
    assert not calendar.is_working_day(date(2026, 2, 17))
    assert calendar.is_working_day(date(2026, 2, 23))


def test_days_off_added_by_admins_count():
    """A day off added locally (e.g. a storm) pushes deadlines by one working day."""
    start = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # Monday
    plain = WorkingCalendar().add_working_days(start, 2)
    with_day_off = WorkingCalendar({date(2026, 6, 2)}).add_working_days(start, 2)
    assert plain.date() == date(2026, 6, 3) and with_day_off.date() == date(2026, 6, 4)


def test_working_days_between_counts_what_is_left_and_what_is_overdue():
    """From Friday 24 April 2026 to the 5-working-day deadline, 5 working days are left; seen from the deadline,
    the Friday lies 5 working days back; the same day gives 0."""
    start = datetime(2026, 4, 24, 3, 0, tzinfo=UTC)
    calendar = WorkingCalendar()
    due = calendar.add_working_days(start, 5)
    assert calendar.working_days_between(start, due) == 5
    assert calendar.working_days_between(due, start) == -5
    assert calendar.working_days_between(start, start) == 0

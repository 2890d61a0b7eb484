"""Working days in Viet Nam: Monday to Friday, minus public holidays (``holidays`` package) and the days off
that administrators add. SLAs are counted in these days; a deadline falls at the end of office hours."""

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import DayOff

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
END_OF_OFFICE_HOURS = time(17, 0)


@lru_cache(maxsize=32)
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("VN", years=[year]).keys())


class WorkingCalendar:
    def __init__(self, extra_days_off: set[date] | frozenset[date] = frozenset()):
        self.extra_days_off = frozenset(extra_days_off)

    @classmethod
    def load(cls, session: Session) -> "WorkingCalendar":
        return cls(set(session.scalars(select(DayOff.day))))

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in _public_holidays(day.year) and day not in self.extra_days_off

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The end of office hours on the ``days``-th working day after ``start`` (Viet Nam time), in UTC."""
        day = start.astimezone(VIETNAM).date()
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return datetime.combine(day, END_OF_OFFICE_HOURS, tzinfo=VIETNAM).astimezone(UTC)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """The working days after ``start``'s day up to and including ``end``'s day (Viet Nam dates): how many
        are left until a deadline; negative (the working days since) when ``end`` is earlier."""
        first, last = start.astimezone(VIETNAM).date(), end.astimezone(VIETNAM).date()
        sign = 1
        if last < first:
            first, last, sign = last, first, -1
        days = (last - first).days
        return sign * sum(1 for n in range(1, days + 1) if self.is_working_day(first + timedelta(days=n)))

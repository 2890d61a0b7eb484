"""Column helpers shared by the models."""

from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, ColumnElement, DateTime, or_
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


def enum_check(column: str, values: tuple[str, ...], name: str | None = None) -> CheckConstraint:
    """A named CHECK constraint keeping a text column inside its vocabulary."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name or f"{column}_valid")


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes on both backends: stored in UTC, read back as aware UTC values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: timestamps must carry a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Timestamp = UTCDateTime()


def in_admin_unit(row_model, code: str) -> ColumnElement[bool]:
    """Rows placed in the unit ``code``: the commune itself, or any commune of the province ``code``.
    For models that store ``admin_unit_code`` and ``province_code``."""
    return or_(row_model.admin_unit_code == code, row_model.province_code == code)

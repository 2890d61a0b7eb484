"""Which area a report covers, checked against the caller's jurisdiction.

An unknown code is invalid input (422, naming the field); a real province or commune outside the caller's
jurisdiction does not exist for them (404), as everywhere else in the service. A user whose jurisdiction is
some communes of a province may ask for that province: the figures then cover only their communes."""

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from reports.parameters import Area
from server.auth import Scope
from server.errors import InvalidInput, NotFound
from server.models import AdminUnit


def province_visible(session: Session, scope: Scope, code: str) -> bool:
    if scope.covers_province(code):
        return True
    if not scope.communes:
        return False
    return (
        session.scalar(
            select(AdminUnit.code)
            .where(AdminUnit.code.in_(sorted(scope.communes)), AdminUnit.parent_code == code)
            .limit(1)
        )
        is not None
    )


def resolve_area(session: Session, scope: Scope, province: str | None = None, commune: str | None = None) -> Area:
    errors: dict[str, list[str]] = {}
    province_unit = session.get(AdminUnit, province) if province else None
    commune_unit = session.get(AdminUnit, commune) if commune else None
    if province and (province_unit is None or province_unit.level != "province"):
        errors["province"] = [f"No province with code {province!r}."]
    if commune and (commune_unit is None or commune_unit.level != "commune"):
        errors["commune"] = [f"No commune or ward with code {commune!r}."]
    elif commune_unit is not None and province_unit is not None and commune_unit.parent_code != province_unit.code:
        errors["commune"] = [f"Commune {commune} is not in province {province}."]
    if errors:
        raise InvalidInput(errors)
    if commune_unit is not None:
        if not scope.covers(commune_unit):
            raise NotFound(gettext("No commune %(code)s in your jurisdiction.", code=commune))
        return Area(province=commune_unit.parent_code, commune=commune_unit.code)
    if province_unit is not None:
        if not province_visible(session, scope, province_unit.code):
            raise NotFound(gettext("No province %(code)s in your jurisdiction.", code=province))
        return Area(province=province_unit.code)
    return Area()

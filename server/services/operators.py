"""Viet Nam's mobile network operators by MCC-MNC, from the ``mcc-mnc-p1`` lookup tables (ITU-T bulletins and
the public MCC-MNC lists), kept in the ``operators`` table."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Operator

VIET_NAM_MCC = "452"


def operator_rows() -> list[dict]:
    """Every network code of Viet Nam's MCC the package lists, current or not."""
    from mcc_mnc_lut.p1_mnc import P1_MNC

    rows = []
    for plmn, entry in sorted(P1_MNC.items()):
        if plmn.startswith(VIET_NAM_MCC) and "VN" in entry.get("cc2s", ()):
            rows.append(
                {
                    "code": f"{plmn[:3]}-{plmn[3:]}",
                    "name": entry.get("brand") or entry.get("operator") or plmn,
                    "company": entry.get("operator") or "",
                    "operational": bool(entry.get("ope")),
                }
            )
    return rows


def load_operators(session: Session) -> tuple[int, int]:
    """Insert or update every operator; returns (created, updated). Running it twice changes nothing."""
    existing = {operator.code: operator for operator in session.scalars(select(Operator))}
    created = updated = 0
    for row in operator_rows():
        operator = existing.get(row["code"])
        if operator is None:
            session.add(Operator(**row))
            created += 1
        elif any(getattr(operator, name) != value for name, value in row.items()):
            for name, value in row.items():
                setattr(operator, name, value)
            updated += 1
    session.flush()
    return created, updated


def operators_by_code(session: Session) -> dict[str, Operator]:
    return {operator.code: operator for operator in session.scalars(select(Operator).order_by(Operator.code))}

"""Viet Nam's mobile network operators by MCC-MNC, kept in the ``operators`` table.

The list is ``server/data/operators_vn.csv``, from the ITU-T Operational Bulletin's list of mobile network codes
(E.212) for MCC 452 and the operators' own announcements (452-06, the former EVN Telecom network, has been
Viettel's since 2011). It is data, not code: no package with a licence compatible with this project's carries it."""

import csv
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Operator

OPERATORS_FILE = Path(__file__).resolve().parent.parent / "data" / "operators_vn.csv"


def operator_rows() -> list[dict]:
    """Every network code of Viet Nam's MCC, current or not."""
    with OPERATORS_FILE.open(encoding="utf-8", newline="") as handle:
        return [{**row, "operational": row["operational"] == "true"} for row in csv.DictReader(handle)]


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

"""Mobile network operators by MCC-MNC, loaded from a maintained package."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from server.extensions import db


class Operator(db.Model):
    __tablename__ = "operators"

    code: Mapped[str] = mapped_column(String(7), primary_key=True)  # "452-04"
    name: Mapped[str] = mapped_column(String(100))  # the brand people know: "Viettel Mobile"
    company: Mapped[str] = mapped_column(String(200))
    operational: Mapped[bool]

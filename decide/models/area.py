"""Areas (wards or neighbourhoods) with population and deprivation decile, and themes."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from decide.models.base import Base


class Area(Base):
    """A ward or neighbourhood. Decile 1 is the most deprived tenth (English IMD)."""

    __tablename__ = "area"
    __table_args__ = (
        CheckConstraint("deprivation_decile BETWEEN 1 AND 10", name="decile_range"),
        CheckConstraint("population >= 0", name="population_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    population: Mapped[int] = mapped_column(Integer)
    deprivation_decile: Mapped[int] = mapped_column(Integer)


class Theme(Base):
    """A theme proposals can address, such as 'Mental health' or 'Healthy food'."""

    __tablename__ = "theme"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)

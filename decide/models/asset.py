"""Community assets: organisations such as charities, faith groups and tenants' associations."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from decide.models.area import Area
from decide.models.base import Base

ORGANISATION_KINDS = {
    "charity": "Charity",
    "faith": "Faith group",
    "sports": "Sports club",
    "tenants": "Tenants' association",
    "social-prescribing": "Social prescribing hub",
    "community-group": "Community group",
    "social-enterprise": "Social enterprise",
    "statutory": "Statutory service",
    "research": "Research group",
}

organisation_area = Table(
    "organisation_area",
    Base.metadata,
    Column("organisation_id", ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("area.id", ondelete="CASCADE"), primary_key=True),
)


class Organisation(Base):
    """A community asset that can propose projects and receive funds."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="")
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    website: Mapped[str | None] = mapped_column(String(254))

    areas: Mapped[list[Area]] = relationship(secondary=organisation_area, order_by=Area.name)
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )

    @property
    def kind_label(self) -> str:
        """Return the human label of the organisation's kind."""
        return ORGANISATION_KINDS.get(self.kind, self.kind)


from decide.models.user import Membership  # noqa: E402

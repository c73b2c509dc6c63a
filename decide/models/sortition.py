"""Panel selection by sortition in a round: volunteers who registered interest, with their
consent and self-declared features; the facilitator's panel size, extra features and quotas;
and the published sortition record (decide.sortition.record) with the seed announced before
the draw.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from decide.models.base import Base, RoundScoped

AGE_BANDS = ("16-24", "25-44", "45-64", "65+")
GENDERS = {"woman": "Woman", "man": "Man", "other": "Another gender or prefer to self-describe"}
PARTNER_TYPES = {
    "resident": "Resident",
    "community-asset": "Community asset (a local organisation)",
    "statutory-service": "Statutory service (council, NHS, police...)",
    "researcher": "Researcher",
}
# The features every volunteer declares, in the order the pool lists them; the deprivation
# decile comes from the area, never typed in.
BUILT_IN_FEATURES = ("area", "deprivation_decile", "age_band", "gender", "partner_type")


class SortitionSettings(Base):
    """A round's sortition: panel size, extra features, the lottery, the seed, the record."""

    __tablename__ = "sortition_settings"
    __table_args__ = (
        UniqueConstraint("round_id"),
        CheckConstraint("panel_size > 0", name="panel_size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id", ondelete="CASCADE"))
    panel_size: Mapped[int] = mapped_column(Integer, default=12)
    # Extra questions: [{"name": "transport", "label": "...", "values": ["bus", "car"]}].
    extra_features: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # The record before the seed (the lottery of m panels and their hash), then after the draw.
    record: Mapped[bytes | None] = mapped_column(LargeBinary)
    record_hash: Mapped[str | None] = mapped_column(String(64))
    # The pool closes when the lottery's computation starts (committed before the pool is
    # read), and reopens if it fails; `lottery_at` is set when the lottery is stored.
    lottery_started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    lottery_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    seed: Mapped[str | None] = mapped_column(String(200))
    seed_announced_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    drawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Commit-reveal (decide.sortition.record): the secret nonce of the draw (hex), whose
    # SHA-256 the record publishes with the panels; revealed in the record at the draw.
    nonce: Mapped[str | None] = mapped_column(String(64))
    # The next round of replacements: its committed nonce, then its seed announced in public.
    replacement_nonce: Mapped[str | None] = mapped_column(String(64))
    replacement_seed: Mapped[str | None] = mapped_column(String(200))
    replacement_seed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    round: Mapped[Round] = relationship()

    @property
    def pool_closed(self) -> bool:
        """Return True once the lottery is computed: registrations and quotas are frozen."""
        return self.lottery_at is not None

    @property
    def drawn(self) -> bool:
        """Return True once the panel has been drawn."""
        return self.drawn_at is not None


class SortitionQuota(RoundScoped, Base):
    """Between `min` and `max` panel members have `value` for `feature`."""

    __tablename__ = "sortition_quota"
    __table_args__ = (
        UniqueConstraint("round_id", "feature", "value"),
        CheckConstraint("min_count >= 0 AND max_count >= min_count", name="quota_range"),
    )

    feature: Mapped[str] = mapped_column(String(60))
    value: Mapped[str] = mapped_column(String(120))
    min_count: Mapped[int] = mapped_column(Integer)
    max_count: Mapped[int] = mapped_column(Integer)


class Volunteer(RoundScoped, Base):
    """A resident's or partner's registered interest in serving on a round's panel."""

    __tablename__ = "volunteer"
    __table_args__ = (UniqueConstraint("round_id", "user_id"), UniqueConstraint("pseudonym"))

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    # The id the published record uses: random, so the record names no one.
    pseudonym: Mapped[str] = mapped_column(String(20))
    consent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    consent_text: Mapped[str] = mapped_column(Text)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    age_band: Mapped[str] = mapped_column(String(20))
    gender: Mapped[str] = mapped_column(String(20))
    partner_type: Mapped[str] = mapped_column(String(30))
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    user: Mapped[User] = relationship()
    area: Mapped[Area] = relationship()

    def features(self) -> dict[str, str]:
        """Return the volunteer's features as the sortition pool reads them."""
        values = {
            "area": self.area.slug,
            "deprivation_decile": str(self.area.deprivation_decile),
            "age_band": self.age_band,
            "gender": self.gender,
            "partner_type": self.partner_type,
        }
        values.update({str(k): str(v) for k, v in (self.extra or {}).items()})
        return values


from decide.models.area import Area  # noqa: E402
from decide.models.round import Round  # noqa: E402
from decide.models.user import User  # noqa: E402

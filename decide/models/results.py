"""Results rows: the round's equity settings and the confirmed allocation outcome.

`RoundResult` holds exactly what publication puts in the manifest: the rule, its parameters,
the tie-break and seed, the funded projects with their amounts, and the outcome's steps (as the
pure `Outcome.to_json_dict()` gives them). One row per round; it is written when the facilitator
confirms the rule after voting closes, and can be replaced only while the round is "closed".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from decide.models.base import Base, RoundKeyed, inserted_at


class EquitySettings(RoundKeyed, Base):
    """A round's equity program settings: floors by deprivation, caps and theme shares.

    Shares and weights are exact decimal strings (for example ``"30"`` percent or ``"1.5"``);
    caps are integer pence. Organisations and themes are keyed by their row id as text.
    """

    __tablename__ = "equity_settings"

    floor_share_percent: Mapped[str] = mapped_column(String(20), default="0")
    decile_weights: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    organisation_cap_pence: Mapped[int | None] = mapped_column(Integer)
    organisation_caps: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    theme_min_percent: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    theme_max_percent: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class RoundResult(Base):
    """The confirmed outcome of a round: rule, parameters, tie-break, funded projects, steps."""

    __tablename__ = "round_result"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("round.id", ondelete="CASCADE"), unique=True, index=True
    )
    # The rule fixed when voting opened, and the rule confirmed (they differ only with a reason).
    original_rule: Mapped[str] = mapped_column(String(20))
    rule: Mapped[str] = mapped_column(String(20))
    change_reason: Mapped[str] = mapped_column(Text, default="")
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    tie_break_kind: Mapped[str] = mapped_column(String(10), default="lex")
    tie_break_seed: Mapped[str | None] = mapped_column(String(100))
    selected: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Project code -> amount in pence, as an exact decimal string.
    amounts: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # SHA-256 of the canonical outcome JSON, so later steps can tell it has not changed.
    outcome_sha256: Mapped[str] = mapped_column(String(64))
    ballot_count: Mapped[int] = mapped_column(Integer, default=0)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    confirmed_at: Mapped[dt.datetime] = inserted_at()

    confirmed_by: Mapped[User | None] = relationship()

    @property
    def rule_changed(self) -> bool:
        """Return True when the confirmed rule differs from the one fixed at voting."""
        return self.rule != self.original_rule


from decide.models.user import User  # noqa: E402

"""People and their roles: citizens, asset members, panel members, facilitators, officers."""

from __future__ import annotations

import datetime as dt

from flask_login import UserMixin
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from decide.models.base import Base, inserted_at


class User(UserMixin, Base):
    """An account. Every user is a citizen; other roles come from flags and memberships."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    postcode: Mapped[str | None] = mapped_column(String(10))
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    is_facilitator: Mapped[bool] = mapped_column(Boolean, default=False)
    # An officer enters paper ballots; a facilitator can too.
    is_officer: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = inserted_at()
    # When the owner of the address opened the verification link; None: not verified, and the
    # account cannot vote.
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def set_password(self, password: str) -> None:
        """Store a salted hash of the password, never the password."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Return True when the password matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    @property
    def is_verified(self) -> bool:
        """Return True once the account's email address has been verified."""
        return self.email_verified_at is not None

    @property
    def organisation_ids(self) -> set[int]:
        """Return the ids of the organisations this user belongs to."""
        return {m.organisation_id for m in self.memberships}

    def is_member_of(self, organisation_id: int) -> bool:
        """Return True when the user belongs to this organisation."""
        return organisation_id in self.organisation_ids

    @property
    def is_asset_member(self) -> bool:
        """Return True when the user belongs to at least one community asset."""
        return bool(self.memberships)


class LoginSession(Base):
    """One logged-in browser. The cookie holds a random token; the row holds only its hash.

    Logging out deletes the row, so a copy of the cookie no longer logs anyone in.
    """

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Membership(Base):
    """A user's membership of a community asset (organisation)."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20), default="member")  # member | admin

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")


from decide.models.asset import Organisation  # noqa: E402

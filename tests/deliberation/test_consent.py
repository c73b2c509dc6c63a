"""The consent volunteers give says truthfully what is published."""

from __future__ import annotations

from decide.services.sortition import CONSENT_TEXT


def test_the_consent_says_a_drawn_members_answers_can_be_linked_to_their_name():
    words = CONSENT_TEXT.casefold()
    assert "random id" in words and "without my name" not in words
    assert "if i am drawn, my name and my seat on the panel are public" in words
    assert "link my answers in the record to my name" in words

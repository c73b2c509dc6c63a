"""The allocation rules and tie-breaks in words: the one mapping from internal ids to names.

Internal ids such as ``equal-shares`` or ``lex`` are for code, files and URLs; pages, messages
and printed documents show these names instead. Pure, so the verifier and the PDF can use it.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["RULE_NAMES", "RULE_SHORT_NAMES", "TIE_BREAK_NAMES", "rule_name", "tie_break_name"]

RULE_NAMES: Mapping[str, str] = {
    "equal-shares": "Method of Equal Shares (proportional)",
    "greedy": "Greedy by votes",
    "phragmen": "Sequential Phragmén (proportional)",
    "utilitarian": "Maximum total support",
    "equity": "Maximum support with equity constraints",
}

# For column headings and legends where the full name does not fit.
RULE_SHORT_NAMES: Mapping[str, str] = {
    "equal-shares": "Equal shares",
    "greedy": "By votes",
    "phragmen": "Phragmén",
    "utilitarian": "Most support",
    "equity": "Equity",
}

TIE_BREAK_NAMES: Mapping[str, str] = {
    "lex": "by project number, lowest first",
    "lottery": "by a recorded lottery",
}


def rule_name(rule: str) -> str:
    """Return a rule's name in words; an unknown id is returned as it is, never hidden."""
    return RULE_NAMES.get(rule, rule)


def tie_break_name(kind: str) -> str:
    """Return how ties are broken, in words, e.g. 'by project number, lowest first'."""
    return TIE_BREAK_NAMES.get(kind, kind)

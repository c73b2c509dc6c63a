"""What the manifest and the PDF say in words: the rule, the tie-break, Add1 and money.

The manifest records these sentences next to the data they describe, and the verifier
regenerates them from that data, so the signed words can never say something the data does
not (check 5). They are plain English; nothing here depends on a locale.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from ballots.wording import money

__all__ = [
    "MINOR_UNITS",
    "RULE_DESCRIPTIONS",
    "RULE_NAMES",
    "add1_words",
    "rule_words",
    "tie_break_words",
]

# The rules' names as the signed words give them (docs/FORMATS.md, "Words"). Fixed here, not
# taken from the pages' wording: a verifier regenerates these words to check old manifests, so
# they must not change when a page's wording does.
RULE_NAMES: Mapping[str, str] = {
    "equal-shares": "Method of Equal Shares (proportional)",
    "greedy": "Greedy by votes",
    "phragmen": "Sequential Phragmén (proportional)",
    "utilitarian": "Maximum total support",
    "equity": "Maximum support with equity constraints",
}

# What one minor unit is called, for the sentence about Add1's step.
MINOR_UNITS: Mapping[str, str] = {
    "GBP": "one penny",
    "EUR": "one cent",
    "USD": "one cent",
    "PLN": "one grosz",
    "HUF": "one fillér",
    "CZK": "one haléř",
}

RULE_DESCRIPTIONS: Mapping[str, str] = {
    "greedy": "Projects are taken in order of votes, most first; a project that no longer "
    "fits in the remaining budget is skipped and the next one is tried.",
    "utilitarian": "The set of projects with the most total support that fits in the budget.",
    "equal-shares": "The budget is split equally between voters, and a project is funded when "
    "its supporters can pay for it from their shares; the cheapest per supporter goes first. "
    "Shares are then raised step by step (Add1) and any money left is spent greedily.",
    "phragmen": "Projects are added one by one so that the cost carried by their supporters "
    "stays as even as possible.",
    "equity": "An optimisation that maximises support within the budget while guaranteeing "
    "each area a floor weighted by deprivation, with caps per organisation and quotas per "
    "theme.",
}


def rule_words(rule: str, parameters: Mapping[str, Any]) -> str:
    """Return the rule's name in words, with how it was completed."""
    name = RULE_NAMES.get(rule, rule)
    if rule == "equal-shares":
        completion = parameters.get("completion", True)
        add1 = parameters.get("add1", completion)
        parts = [name]
        if add1:
            parts.append("shares raised by Add1")
        if completion:
            parts.append("completed by greedy")
        return ", ".join(parts)
    return name


def tie_break_words(tie_break: Mapping[str, Any]) -> str:
    """Return how ties between projects were broken, in words."""
    if tie_break.get("kind", "lex") == "lottery":
        return (
            "ties broken by lottery: the project with the lowest SHA-256 of the seed followed "
            f"by its id goes first (seed {tie_break.get('seed')!s})"
        )
    return 'ties broken by project id in text order, lowest first ("10" comes before "9")'


def add1_words(add1: Mapping[str, Any] | None, currency: str) -> str:
    """Return what Add1 did (k steps of one minor unit), or '' when the rule has no Add1."""
    if not add1:
        return ""
    k = int(add1["k"])
    step = Fraction(add1["step"])
    per_voter = Fraction(add1["budget_per_voter"])
    unit = MINOR_UNITS.get(currency.upper(), "one hundredth of the currency unit")
    if step != 1:
        unit = money(step, currency)
    return (
        f"Add1 raised each voter's share {k:,} time{'s' if k != 1 else ''} by {unit} "
        f"({money(step, currency)}), to a final share of {money(per_voter, currency)} per "
        f"voter (k = {k})."
    )

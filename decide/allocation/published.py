"""Re-apply the rule a pabulib file says the city used, and compare with its `selected` column.

The META ``rule`` names the city's rule: ``greedy`` (projects by score, highest first, skipping
any that no longer fit), ``greedy-threshold`` (the same, after dropping projects whose score is
below ``min_project_score_threshold``) and ``greedy-no-skip`` (stop at the first project that does
not fit, as Gdynia does). The score is the file's ``score`` column when it has one (points or a
rank score), else its ``votes`` column, else the number of ballots listing the project.
Equal scores follow the tie-break (pabulib files do not say how cities broke them).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ballots.model import Instance, Profile
from decide.allocation.core import LEX, GreedyStep, Outcome, TieBreak, make_outcome

PUBLISHED_RULES = ("greedy", "greedy-threshold", "greedy-no-skip")


@dataclass(frozen=True)
class PublishedCheck:
    """The city's rule re-applied, and how it compares with the file's `selected` column."""

    rule: str
    outcome: Outcome | None
    expected: tuple[str, ...] | None
    reason: str

    @property
    def match(self) -> bool | None:
        """Return whether our selection equals the file's (None: nothing to compare)."""
        if self.outcome is None or self.expected is None:
            return None
        return set(self.outcome.selected) == set(self.expected)


def project_scores(instance: Instance, profile: Profile) -> dict[str, Fraction]:
    """Return each project's published score (score, else votes, else ballots listing it)."""
    counted: dict[str, int] = {}
    for b in profile.ballots:
        if b.points is not None:
            for pid, pts in dict(zip(b.projects, b.points)).items():
                counted[pid] = counted.get(pid, 0) + pts
        else:
            for pid in set(b.projects):
                counted[pid] = counted.get(pid, 0) + 1
    scores = {}
    for p in instance.projects:
        text = p.fields.get("score") or p.fields.get("votes")
        scores[p.id] = Fraction(text) if text not in (None, "") else Fraction(counted.get(p.id, 0))
    return scores


def as_published(
    instance: Instance, profile: Profile, *, tie_break: TieBreak = LEX
) -> PublishedCheck:
    """Apply the file's META rule and compare with its `selected` column."""
    rule = instance.meta.get("rule", "").strip()
    has_column = any("selected" in p.fields for p in instance.projects)
    expected = (
        tuple(
            sorted(p.id for p in instance.projects if p.fields.get("selected", "").strip() == "1")
        )
        if has_column
        else None
    )
    if rule not in PUBLISHED_RULES:
        reason = f"the file's rule is {rule or 'missing'!r}, which cannot be re-applied"
        comment = instance.meta.get("comment", "")
        if "not included" in comment or "offline" in comment:
            reason += "; its notes say some votes (paper ballots) are missing"
        return PublishedCheck(rule, None, expected, reason)
    scores = project_scores(instance, profile)
    threshold = None
    if rule == "greedy-threshold":
        raw = instance.meta.get("min_project_score_threshold")
        if raw is None:
            return PublishedCheck(rule, None, expected, "greedy-threshold without a threshold")
        threshold = Fraction(raw.strip())
    order = sorted(instance.projects, key=lambda p: tie_break.key(p.id))
    order.sort(key=lambda p: -scores[p.id])
    remaining = instance.budget
    selected: list[str] = []
    steps: list[GreedyStep] = []
    for p in order:
        if threshold is not None and scores[p.id] < threshold:
            steps.append(GreedyStep(p.id, scores[p.id], p.cost, False, remaining, "threshold"))
            continue
        fits = p.cost <= remaining
        if fits:
            selected.append(p.id)
            remaining -= p.cost
        steps.append(GreedyStep(p.id, scores[p.id], p.cost, fits, remaining, "published"))
        if not fits and rule == "greedy-no-skip":
            break
    outcome = make_outcome(
        f"as-published:{rule}",
        instance,
        selected,
        tie_break,
        steps=tuple(steps),
        notes=(f"The city's rule ({rule}) applied to the file's scores.",),
    )
    reason = "" if expected is not None else "the file has no selected column to compare with"
    return PublishedCheck(rule, outcome, expected, reason)

"""Results: from a closed round's rows to allocation outcomes, the confirmed rule, and words.

- `election`: rows to the pure values the rules take (`round_to_election`, the one place).
- `equity`: the equity rule's settings (stored, the form, the rule's parameters).
- `rules`: run one rule or compare them all, and summarise what each gives.
- `confirmation`: confirm the rule (or change it with a reason), read the confirmed result.
- `explanation`: the outcome in plain words, one module per kind of step.
- `usage`: how one ballot was used, and the funded projects as rows.

Phases: after voting closes the facilitator compares every rule (`compare_rules`), may set the
equity settings (`save_equity_settings`), and confirms the rule fixed when voting opened, or
another with a recorded reason (`confirm_rule`). The confirmed outcome is stored as a
`RoundResult`; publication reads it with `confirmed_result` and publishes exactly that. The
results page is public once the round is published.
"""

from __future__ import annotations

from decide.services.results.confirmation import (
    REASON_MAX,
    REASON_MIN,
    confirm_rule,
    confirmed_result,
    outcome_digest,
    recompute_result,
    result_tie_break,
    results_visible,
)
from decide.services.results.election import (
    PUBLIC_PHASES,
    RESULT_PHASES,
    Election,
    ResultsError,
    pence_int,
    round_to_election,
)
from decide.services.results.equity import (
    DEFAULT_DECILE_WEIGHTS,
    EquitySpec,
    equity_form_values,
    equity_params_from_json,
    equity_params_to_json,
    equity_spec,
    parse_equity_form,
    save_equity_settings,
)
from decide.services.results.explanation import Explanation, explain
from decide.services.results.explanation.words import money_in_text
from decide.services.results.rules import (
    MORE_DEPRIVED_DECILES,
    NO_AREA,
    RULE_ORDER,
    Bar,
    RuleGlance,
    RuleSummary,
    compare_rules,
    glance,
    rule_options,
    rule_parameters,
    run_rule,
    summarise,
)
from decide.services.results.usage import (
    UsageView,
    ballot_with_choices,
    funded_rows,
    usage_for_choices,
)

__all__ = [
    "DEFAULT_DECILE_WEIGHTS",
    "MORE_DEPRIVED_DECILES",
    "NO_AREA",
    "PUBLIC_PHASES",
    "REASON_MAX",
    "REASON_MIN",
    "RESULT_PHASES",
    "RULE_ORDER",
    "Bar",
    "Election",
    "EquitySpec",
    "Explanation",
    "ResultsError",
    "RuleGlance",
    "RuleSummary",
    "UsageView",
    "ballot_with_choices",
    "compare_rules",
    "confirm_rule",
    "confirmed_result",
    "equity_form_values",
    "equity_params_from_json",
    "equity_params_to_json",
    "equity_spec",
    "explain",
    "funded_rows",
    "glance",
    "money_in_text",
    "outcome_digest",
    "parse_equity_form",
    "pence_int",
    "recompute_result",
    "result_tie_break",
    "results_visible",
    "round_to_election",
    "rule_options",
    "rule_parameters",
    "run_rule",
    "save_equity_settings",
    "summarise",
    "usage_for_choices",
]

"""`decide allocate FILE.pb --rule RULE`: compute an allocation from a pabulib file.

Needs no database: the file is parsed with `ballots.pabulib` and the rule runs in memory.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from ballots import pabulib
from decide.allocation import PLAIN, RULES, TieBreak, fraction_text
from decide.allocation.published import as_published


@click.command("allocate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--rule",
    "rule_name",
    required=True,
    type=click.Choice([*RULES.keys(), "as-published"]),
    help="The allocation rule; as-published re-applies the file's META rule.",
)
@click.option("--no-completion", is_flag=True, help="equal-shares: plain MES, no Add1 or greedy.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--tie-break",
    "tie_kind",
    type=click.Choice(["lex", "lottery"]),
    default="lex",
    show_default=True,
)
@click.option("--seed", default=None, help="Seed of the lottery tie-break.")
def allocate_command(
    file: Path, rule_name: str, no_completion: bool, as_json: bool, tie_kind: str, seed: str | None
) -> None:
    """Compute the outcome of RULE on a pabulib FILE and print it."""
    try:
        tie_break = TieBreak(tie_kind, seed)  # type: ignore[arg-type]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--tie-break/--seed") from exc
    if no_completion and rule_name != "equal-shares":
        raise click.BadParameter("--no-completion applies to equal-shares only")
    try:
        pb = pabulib.parse(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{file}: {exc}") from exc
    instance, profile = pb.instance, pb.profile
    if rule_name == "as-published":
        _as_published(instance, profile, tie_break, as_json)
        return
    options = {"options": PLAIN} if no_completion else {}
    start = time.perf_counter()
    outcome = RULES[rule_name](instance, profile, tie_break=tie_break, **options)
    seconds = time.perf_counter() - start
    if as_json:
        data = {
            "rule": rule_name,
            "selected": list(outcome.selected_sorted),
            "spent": fraction_text(outcome.spent),
            "leftover": fraction_text(outcome.leftover),
            "seconds": round(seconds, 4),
            "tie_break": {"kind": tie_break.kind, "seed": tie_break.seed},
            "outcome": outcome.to_json_dict(),
        }
        click.echo(json.dumps(data, sort_keys=True))
        return
    click.echo(f"rule: {rule_name}  ({seconds:.3f} s)")
    click.echo(
        f"budget {fraction_text(outcome.budget)}, spent {fraction_text(outcome.spent)}, "
        f"leftover {fraction_text(outcome.leftover)}"
    )
    click.echo(f"funded ({len(outcome.selected)}), in the order funded:")
    for pid in outcome.selected:
        click.echo(f"  {pid:>12}  {fraction_text(outcome.amounts[pid])}")
    for note in outcome.notes:
        click.echo(f"note: {note}")
    if outcome.program is not None and outcome.program.conflicts:
        click.echo("conflicting constraints:")
        for c in outcome.program.conflicts:
            click.echo(f"  - {c}")


def _as_published(instance, profile, tie_break: TieBreak, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    check = as_published(instance, profile, tie_break=tie_break)
    seconds = time.perf_counter() - start
    outcome = check.outcome
    match = check.match
    if as_json:
        data = {
            "rule": "as-published",
            "meta_rule": check.rule,
            "selected": list(outcome.selected_sorted) if outcome else None,
            "spent": fraction_text(outcome.spent) if outcome else None,
            "seconds": round(seconds, 4),
            "expected": list(check.expected) if check.expected is not None else None,
            "match": match,
            "reason": check.reason,
        }
        click.echo(json.dumps(data, sort_keys=True))
        return
    click.echo(f"META rule: {check.rule or 'missing'}")
    if outcome is None:
        click.echo(f"cannot reproduce: {check.reason}")
        return
    click.echo(f"funded: {', '.join(outcome.selected_sorted)}")
    click.echo(f"spent {fraction_text(outcome.spent)} of {fraction_text(outcome.budget)}")
    if match is None:
        click.echo(f"no comparison: {check.reason}")
    elif match:
        click.echo("match: the file's selected column is reproduced")
    else:
        assert check.expected is not None
        ours, theirs = set(outcome.selected), set(check.expected)
        click.echo("mismatch with the file's selected column")
        click.echo(f"  only ours: {', '.join(sorted(ours - theirs)) or '-'}")
        click.echo(f"  only the file's: {', '.join(sorted(theirs - ours)) or '-'}")


commands = [allocate_command]

"""`decide sortition select|verify|replace`: draw a panel by sortition and check a record.

Needs no database or secret key: the files are read here and `decide.sortition` computes.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from decide import sortition

RESOLVE_TOLERANCE = 1e-6

F = TypeVar("F", bound=Callable[..., Any])


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{path}: not UTF-8 text ({exc}).") from exc
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot be read ({exc.strerror}).") from exc


MAX_DEPTH = 64  # a record nests a few levels deep; deeper JSON is refused before parsing


def _depth(text: str) -> int:
    """Return how deeply the JSON text's arrays and objects nest (strings skipped)."""
    deepest = depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _load_record(path: Path) -> Any:
    text = _read(path)
    if _depth(text) > MAX_DEPTH:
        raise click.ClickException(
            f"{path}: not a sortition record (nested more than {MAX_DEPTH} levels deep)."
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{path}: not a JSON record ({exc}).") from exc
    except RecursionError:
        raise click.ClickException(f"{path}: not a sortition record (nested too deeply).") from None


def _record_option(help_text: str, *, required: bool = False) -> Callable[[F], F]:
    """Return the ``-o/--record`` option: the file a command writes its record to."""
    return click.option(
        "-o",
        "--record",
        "out",
        type=click.Path(dir_okay=False, writable=True, path_type=Path),
        required=required,
        help=help_text,
    )


@click.group("sortition")
def sortition_group() -> None:
    """Select a panel by sortition (leximin), and verify a published record."""


@sortition_group.command("select")
@click.argument("pool_csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("quotas_csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--size", "size", type=click.IntRange(min=1), required=True, help="Panel size K.")
@click.option(
    "--seed",
    default=None,
    help="The seed announced before the draw. The command line draws with this plain seed "
    "(no nonce, unlike the site's commit-reveal): announce the panels' hash before the seed.",
)
@click.option(
    "--method",
    type=click.Choice(sortition.METHODS),
    default="leximin",
    show_default=True,
)
@click.option(
    "--panels",
    "m",
    type=click.IntRange(min=1),
    default=sortition.DEFAULT_PANELS,
    show_default=True,
    help="m, the number of panels in the uniform lottery.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the record and timing as JSON.")
@_record_option("Write the record (canonical JSON) to this file.")
def select_command(
    pool_csv: Path,
    quotas_csv: Path,
    size: int,
    seed: str | None,
    method: str,
    m: int,
    as_json: bool,
    out: Path | None,
) -> None:
    """Compute selection probabilities, round them to m panels and draw one with SEED."""
    try:
        pool = sortition.parse_pool(_read(pool_csv))
        quotas = sortition.parse_quotas(_read(quotas_csv))
        start = time.perf_counter()
        record = sortition.select(pool, quotas, size, method=method, panels=m, seed=seed)
        seconds = time.perf_counter() - start
    except (sortition.PoolError, sortition.QuotaError, sortition.InfeasibleQuotas) as exc:
        raise click.ClickException(str(exc)) from None
    if out is not None:
        out.write_bytes(sortition.record_bytes(record))
    if as_json:
        click.echo(json.dumps({**record, "seconds": round(seconds, 3)}, sort_keys=True))
        return
    click.echo(f"method: {method}  ({seconds:.2f} s)")
    click.echo(f"pool: {len(pool.people)} people, hash {record['pool_hash']}")
    click.echo(f"smallest probability: {record['min_probability']}")
    click.echo(
        f"lottery: {m} panels, hash {record['panels_hash']}; largest gap to the probabilities "
        f"{record['max_deviation']}"
    )
    if seed is None:
        click.echo("no seed given: announce the panels' hash, then draw with --seed")
    else:
        click.echo(f"seed {seed!r} draws panel {record['draw_index']} of {m}:")
        click.echo("  " + " ".join(record["selected"]))


@sortition_group.command("verify")
@click.argument("record_json", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--expect-hash",
    "expect",
    default=None,
    metavar="HEX",
    help="Fail unless the file's SHA-256 is HEX (the manifest's sortition_record).",
)
@click.option(
    "--resolve",
    is_flag=True,
    help="Solve the selection again from the record's pool and quotas and compare the "
    "smallest probability (slow: checks that it is optimal).",
)
def verify_command(record_json: Path, expect: str | None, resolve: bool) -> None:
    """Recompute the draw from RECORD.json and check every panel against the quotas.

    Nothing the record says about itself is trusted: each person's chance in the lottery is
    recomputed exactly from the m panels and compared with their written probability.
    """
    raw = record_json.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    click.echo(f"SHA-256 of {record_json.name}: {digest}")
    click.echo("  (the manifest's sortition_record is the SHA-256 of the published file)")
    record = _load_record(record_json)
    if isinstance(record, dict):
        record.pop("seconds", None)  # `select --json` adds the timing to the record
    try:
        checks = sortition.verify_record(record)
        if resolve and all(c.ok for c in checks):
            checks.append(_resolve_check(record))
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
        raise click.ClickException(
            f"{record_json}: a malformed sortition record ({exc})."
        ) from None
    if expect is not None:
        same = expect.strip().lower() == digest
        checks.append(sortition.Check("the file's SHA-256 is the one expected", same, expect))
    for n, check in enumerate(checks, start=1):
        mark = "ok  " if check.ok else "FAIL"
        detail = f" — {check.detail}" if check.detail else ""
        click.echo(f"{n:2d}. {mark} {check.name}{detail}")
    if not resolve:
        click.echo(
            "Not checked: that the probabilities are optimal (leximin). Run with --resolve to "
            "solve the selection again and compare."
        )
    failed = [c for c in checks if not c.ok]
    if failed:
        raise click.ClickException(f"{len(failed)} check(s) failed: the record does not hold.")
    click.echo("All checks passed.")


def _resolve_check(record: dict[str, Any]) -> sortition.Check:
    """Solve the selection again from the record's pool and quotas; compare the minimum."""
    pool = sortition.Pool.from_json(record["pool"])
    quotas = [
        sortition.Quota(q["feature"], q["value"], q["min"], q["max"]) for q in record["quotas"]
    ]
    try:
        dist = sortition.select_distribution(
            pool, quotas, record["panel_size"], method=record["method"]
        )
    except (sortition.InfeasibleQuotas, sortition.QuotaError, sortition.PoolError) as exc:
        return sortition.Check("solved again: the smallest probability", False, str(exc))
    again = min(dist.probabilities().values())
    stated = float(record["min_probability"])
    return sortition.Check(
        "solved again: the smallest probability (tolerance 1e-6)",
        abs(again - stated) <= RESOLVE_TOLERANCE,
        f"solved {again:.9f}, recorded {stated:.9f}",
    )


@sortition_group.command("replace")
@click.argument("record_json", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dropout", "dropouts", multiple=True, required=True, help="An id who left.")
@click.option("--seed", required=True, help="The seed announced for the replacement draw.")
@click.option(
    "--nonce",
    default=None,
    metavar="HEX",
    help="The nonce the record commits to as next_nonce_hash (records from the site); "
    "records without one are drawn by the plain seed.",
)
@_record_option("Write the updated record here.", required=True)
def replace_command(
    record_json: Path, dropouts: tuple[str, ...], seed: str, nonce: str | None, out: Path
) -> None:
    """Replace DROPOUTs from the lottery's conditional distribution; record the draw."""
    record = _load_record(record_json)
    if isinstance(record, dict):
        record.pop("seconds", None)
    if not all(c.ok for c in sortition.verify_record(record)):
        raise click.ClickException(f"{record_json}: the record does not verify; run verify.")
    try:
        updated = sortition.replace_dropouts(record, list(dropouts), seed, nonce=nonce)
    except (sortition.ReplacementImpossible, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    out.write_bytes(sortition.record_bytes(updated))
    entry = updated["replacements"][-1]
    click.echo(
        f"replaced {' '.join(entry['dropouts'])} by {' '.join(entry['replacements'])} "
        f"(panel {entry['chosen_panel']} of {entry['candidates']} candidates)"
    )


commands = [sortition_group]

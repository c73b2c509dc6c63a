"""What every check of the verifier shares (see audits/verify.py): the check record, the
state carried from one check to the next, and the outcomes a check can raise."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from audits import recompute
from audits.bls import PublicKeyRecord
from audits.board import BoardLine
from audits.bundle import KEYS_TYPE
from audits.canonical import CanonicalJSONError, parse_json
from audits.chain import ChainCheck
from audits.ledger import LedgerEntry
from audits.manifest import Manifest
from ballots.model import Instance, Profile
from ballots.pabulib import PbFile

TITLES: Mapping[int, str] = {
    1: "attachments present and digests match",
    2: "every ballot valid, no tracker repeats",
    3: "chain head and Merkle root recomputed",
    4: "tally recomputed",
    5: "allocation recomputed",
    6: "keys, signatures and threshold",
    7: "ledger",
    8: "receipt",
    9: "printed pages match the attached files",
    10: "second opinion from pabutools",
    11: "the panel's minutes and sortition record",
}


# Rounds need 2 signers unless they state why 1 is enough (issue 13).
DEFAULT_THRESHOLD = 2


THRESHOLD_NOT_PINNED = (
    "the pinned keys state no threshold, and k={k} from the manifest is below the default of 2, "
    "which its one signer could have set alone: pin the round's keys.json, which states k"
)


NOT_PINNED = "the signatures are consistent, but anyone could have made them: pin the panel's keys"


class UnusableInput(ValueError):
    """Input that cannot be verified at all (exit status 2)."""


class Fail(Exception):
    """A check failed; the message is the reason."""


@dataclass(frozen=True)
class Check:
    """One numbered check: PASS, WARN, FAIL or SKIP, with a reason.

    WARN means the check found nothing wrong but cannot vouch for the result on its own:
    keys that nobody pinned, or payments outside every co-signed checkpoint.
    """

    number: int
    title: str
    status: str
    reason: str

    @property
    def ok(self) -> bool:
        """Return whether this check does not fail (PASS, WARN or SKIP)."""
        return self.status != "FAIL"

    def line(self) -> str:
        """Return the check as the CLI prints it."""
        return f"{self.number}. {self.status} {self.title}: {self.reason}"


@dataclass
class State:
    files: Mapping[str, bytes]
    manifest: Manifest | None = None
    pb: PbFile | None = None
    instance: Instance | None = None
    profile: Profile | None = None
    chain: ChainCheck | None = None
    keys: tuple[PublicKeyRecord, ...] | None = None
    pb_error: str = ""
    outcome: recompute.Allocation | None = None
    uncovered: tuple[LedgerEntry, ...] = ()
    quick: bool = False
    board: tuple[BoardLine, ...] | None = None
    board_leaves: list[bytes] = field(default_factory=list)


class Warn(Exception):
    """A check found nothing wrong but cannot vouch on its own; the message says why."""


class Skip(Exception):
    """A check that had nothing to compare; the message says why."""


def run_check(number: int, fn: Callable[[], str]) -> Check:
    try:
        reason = fn()
    except Warn as exc:
        return Check(number, TITLES[number], "WARN", str(exc))
    except Skip as exc:
        return Check(number, TITLES[number], "SKIP", str(exc))
    except Fail as exc:
        return Check(number, TITLES[number], "FAIL", str(exc))
    except MemoryError:
        # Running out of memory says nothing about the files: the caller reports it.
        raise
    except Exception as exc:
        # Hostile files must never crash the verifier: whatever breaks a check fails it.
        reason = f"malformed input ({type(exc).__name__}: {exc})"
        return Check(number, TITLES[number], "FAIL", reason)
    return Check(number, TITLES[number], "PASS", reason)


def need(value: Any, what: str) -> Any:
    # Only ever missing because an earlier check failed: that check is the one to report.
    if value is None:
        raise Skip(f"not checked: {what}")
    return value


@dataclass(frozen=True)
class PinnedKeys:
    """Keys an auditor trusts, and the threshold k they expect (None: not stated)."""

    keys: tuple[PublicKeyRecord, ...]
    threshold: int | None = None


def load_keys(data: bytes, name: str) -> PinnedKeys:
    try:
        obj = parse_json(data)
        threshold = None
        if isinstance(obj, dict) and obj.get("type") == KEYS_TYPE:
            items = obj["keys"]
            threshold = obj.get("threshold")
            if threshold is not None and (
                isinstance(threshold, bool) or not isinstance(threshold, int)
            ):
                raise ValueError("threshold must be an integer")
        elif isinstance(obj, list):
            items = obj
        else:
            items = [obj]
        return PinnedKeys(tuple(PublicKeyRecord.from_dict(k) for k in items), threshold)
    except (CanonicalJSONError, ValueError, KeyError, TypeError) as exc:
        raise Fail(f"{name} is not a list of public keys: {exc}") from exc


def pinned(value: PinnedKeys | Sequence[PublicKeyRecord] | None) -> PinnedKeys | None:
    if value is None or isinstance(value, PinnedKeys):
        return value
    return PinnedKeys(tuple(value))

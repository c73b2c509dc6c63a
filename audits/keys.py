"""``decide-keys``: make a panel member's BLS key pair and sign manifests and checkpoints.

Usage::

    decide-keys new --name "Ada Lovelace" -o DIR
        writes DIR/<slug>.key.json (the private key, mode 0600: it never leaves this machine)
        and DIR/<slug>.pub.json (public key and proof of possession: register this one)
    decide-keys sign DOCUMENT.json --key KEYFILE [-o SIGNATURE.json]
        signs a manifest (``decide-manifest/v1``) or a ledger checkpoint
        (``decide-ledger-checkpoint/v1``): prints the document's digest and writes the
        signature record (see `audits.bls` for every byte format) to -o, or to stdout
    decide-keys sign-checkpoint CHECKPOINT.json --key KEYFILE [-o SIGNATURE.json]
        the same, refusing anything but a ledger checkpoint
    decide-keys check PUBLIC.json
        checks a public key file's proof of possession
    decide-keys fingerprint KEY.json
        prints the short fingerprint of a public or private key file, or of every key in a
        round's keys.json: compare it with the one in the approved minutes and in the PDF

The document is read as JSON and signed over the SHA-256 of its canonical form, so a manifest
saved with other whitespace still gets the signature the server expects.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from audits.bls import BlsKeyPair, PublicKeyRecord, fingerprint, generate, sign_document
from audits.canonical import CanonicalJSONError, canonical_json, parse_json

SIGNABLE = ("decide-manifest/v1", "decide-ledger-checkpoint/v1")


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "key"


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def cmd_new(args: argparse.Namespace) -> int:
    """Create a key pair on this machine."""
    name = args.name.strip()
    if not name:
        print("error: --name must not be empty", file=sys.stderr)
        return 2
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    private = out / f"{_slug(name)}.key.json"
    public = out / f"{_slug(name)}.pub.json"
    for path in (private, public):
        if path.exists():
            print(f"error: {path} already exists; not overwriting a key", file=sys.stderr)
            return 2
    key = generate(name)
    record = key.public_record()
    _write_private(private, canonical_json(key.private_record()) + b"\n")
    public.write_bytes(canonical_json(record.to_dict()) + b"\n")
    print(f"private key: {private} (keep it on this machine)")
    print(f"public key:  {public} (register this file)")
    print(f"fingerprint: {record.fingerprint}")
    return 0


def _load_key(path: str) -> BlsKeyPair:
    p = Path(path)
    mode = p.stat().st_mode & 0o777
    if mode & 0o077:
        print(f"warning: {p} is readable by others (mode {mode:o}); chmod 600 it", file=sys.stderr)
    return BlsKeyPair.from_private_record(parse_json(p.read_bytes()))


def _sign(args: argparse.Namespace, allowed: Sequence[str]) -> int:
    try:
        document = parse_json(Path(args.document).read_bytes())
        key = _load_key(args.key)
    except (OSError, ValueError, CanonicalJSONError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    kind = document.get("type") if isinstance(document, dict) else None
    if kind not in allowed:
        print(
            f"error: can only sign documents of type {', '.join(allowed)} (got {kind!r})",
            file=sys.stderr,
        )
        return 2
    record = sign_document(key, document)
    text = json.dumps(record.to_dict(), indent=2, sort_keys=True) + "\n"
    print(f"signed {kind} digest {record.digest.hex()} as {key.name}", file=sys.stderr)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"signature written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Check a public key file's proof of possession."""
    try:
        record = PublicKeyRecord.from_dict(parse_json(Path(args.public).read_bytes()))
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if record.check():
        print(f"PASS proof of possession for {record.name}")
        return 0
    print(f"FAIL proof of possession for {record.name}")
    return 1


def cmd_fingerprint(args: argparse.Namespace) -> int:
    """Print the fingerprint of each key in a key file."""
    try:
        data = parse_json(Path(args.key).read_bytes())
        if isinstance(data, dict) and data.get("type") == "decide-keys/v1":
            records = [PublicKeyRecord.from_dict(k) for k in data["keys"]]
            pairs = [(r.name, r.fingerprint) for r in records]
        elif isinstance(data, dict) and data.get("type") == "decide-bls-private-key/v1":
            key = BlsKeyPair.from_private_record(data)
            pairs = [(key.name, fingerprint(key.public_key))]
        elif isinstance(data, list):
            pairs = [(r.name, r.fingerprint) for r in map(PublicKeyRecord.from_dict, data)]
        else:
            record = PublicKeyRecord.from_dict(data)
            pairs = [(record.name, record.fingerprint)]
    except (OSError, ValueError, KeyError, TypeError, CanonicalJSONError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name, finger in pairs:
        print(f"{finger}  {name}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the decide-keys command line."""
    parser = argparse.ArgumentParser(prog="decide-keys", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_new = sub.add_parser("new", help="create a key pair")
    p_new.add_argument("--name", required=True)
    p_new.add_argument("-o", "--output", default=".")
    for name, help_text in (
        ("sign", "sign a manifest or a ledger checkpoint"),
        ("sign-checkpoint", "sign a ledger checkpoint"),
    ):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("document")
        p.add_argument("--key", required=True)
        p.add_argument("-o", "--output")
    p_check = sub.add_parser("check", help="check a public key file")
    p_check.add_argument("public")
    p_finger = sub.add_parser("fingerprint", help="print a key file's short fingerprint")
    p_finger.add_argument("key")
    args = parser.parse_args(argv)
    if args.command == "new":
        return cmd_new(args)
    if args.command == "sign":
        return _sign(args, SIGNABLE)
    if args.command == "sign-checkpoint":
        return _sign(args, SIGNABLE[1:])
    if args.command == "fingerprint":
        return cmd_fingerprint(args)
    return cmd_check(args)


if __name__ == "__main__":
    raise SystemExit(main())

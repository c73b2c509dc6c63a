from __future__ import annotations

import json
import os
import re

from audits.bls import SignatureRecord, document_digest
from audits.keys import main


def test_new_sign_and_check(tmp_path, full, capsys):
    out = tmp_path / "keys"
    assert main(["new", "--name", "Ada Lovelace", "-o", str(out)]) == 0
    private, public = out / "ada-lovelace.key.json", out / "ada-lovelace.pub.json"
    assert os.stat(private).st_mode & 0o777 == 0o600
    assert main(["check", str(public)]) == 0
    # Never overwrite a key.
    assert main(["new", "--name", "Ada Lovelace", "-o", str(out)]) == 2

    manifest = tmp_path / "manifest.json"
    # A manifest saved pretty-printed still signs the canonical digest.
    manifest.write_text(json.dumps(json.loads(full.files["manifest.json"]), indent=2))
    sig_path = tmp_path / "sig.json"
    capsys.readouterr()
    assert main(["sign", str(manifest), "--key", str(private), "-o", str(sig_path)]) == 0
    record = SignatureRecord.from_dict(json.loads(sig_path.read_text()))
    assert record.digest == full.closing.manifest.digest()
    assert record.signer == "Ada Lovelace"
    assert record.check(full.closing.manifest.digest())
    assert json.loads(public.read_text())["public_key"] == record.public_key.hex()

    # sign-checkpoint refuses a manifest; sign refuses other documents.
    assert main(["sign-checkpoint", str(manifest), "--key", str(private)]) == 2
    other = tmp_path / "other.json"
    other.write_text('{"type": "something-else"}')
    assert main(["sign", str(other), "--key", str(private)]) == 2

    checkpoint = tmp_path / "checkpoint.json"
    cp = full.ledger.checkpoints[0].checkpoint.to_dict()
    checkpoint.write_text(json.dumps(cp))
    capsys.readouterr()
    assert main(["sign-checkpoint", str(checkpoint), "--key", str(private)]) == 0
    printed = SignatureRecord.from_dict(json.loads(capsys.readouterr().out))
    assert printed.digest == document_digest(cp)


def test_check_rejects_bad_proof(tmp_path, panel):
    _, public = panel
    bad = public[0].to_dict() | {"proof_of_possession": public[1].proof_of_possession.hex()}
    path = tmp_path / "bad.pub.json"
    path.write_text(json.dumps(bad))
    assert main(["check", str(path)]) == 1


def test_fingerprint_is_on_both_key_files_and_printed_by_the_command(tmp_path, capsys):
    out = tmp_path / "keys"
    assert main(["new", "--name", "Bo Jones", "-o", str(out)]) == 0
    said = capsys.readouterr().out
    public = json.loads((out / "bo-jones.pub.json").read_text())
    private = json.loads((out / "bo-jones.key.json").read_text())
    finger = public["fingerprint"]
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", finger)
    assert private["fingerprint"] == finger and f"fingerprint: {finger}" in said
    for path in ("bo-jones.pub.json", "bo-jones.key.json"):
        assert main(["fingerprint", str(out / path)]) == 0
        assert capsys.readouterr().out == f"{finger}  Bo Jones\n"
    # A public key file whose fingerprint was edited is refused.
    forged = out / "forged.pub.json"
    forged.write_text(json.dumps(public | {"fingerprint": "0000-0000-0000-0000"}))
    assert main(["fingerprint", str(forged)]) == 2
    assert main(["check", str(forged)]) == 2


def test_fingerprint_lists_every_key_of_a_keys_json(tmp_path, capsys, full):
    path = tmp_path / "keys.json"
    path.write_bytes(full.files["keys.json"])
    assert main(["fingerprint", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[1] for line in lines] == ["Ada", "Bo", "Cy"]

"""The browser's signatures (static/js/cosign.js on the vendored @noble/curves) are py-ecc's.

BLS signatures are deterministic, so a signature made in JavaScript must equal, byte for byte,
the one `audits.bls.sign` makes with the same key over the same digest. The JavaScript runs in
Node (the same ES modules the browser loads); without /usr/bin/node the test is skipped.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from audits.bls import (
    SignatureRecord,
    document_digest,
    fingerprint,
    generate,
    sign,
)

REPO = Path(__file__).resolve().parents[2]
COSIGN_JS = REPO / "static" / "js" / "cosign.js"
NODE = shutil.which("node") or ("/usr/bin/node" if Path("/usr/bin/node").exists() else None)

# Reads a JSON list of {key_file, document_type, digest} on stdin; prints one result per case.
HARNESS = """
import { readKeyFile, signDigest, sha256Hex, CosignError } from %s;
let input = "";
for await (const chunk of process.stdin) input += chunk;
const out = [];
for (const c of JSON.parse(input)) {
  try {
    const key = readKeyFile(c.key_file);
    out.push({ fingerprint: key.fingerprint, record: signDigest(key, c.document_type, c.digest) });
  } catch (error) {
    out.push({ error: error.message, ours: error instanceof CosignError });
  }
}
out.push({ sha256: sha256Hex(new TextEncoder().encode("decide")) });
console.log(JSON.stringify(out));
"""

pytestmark = pytest.mark.skipif(NODE is None, reason="Node is not installed; no JavaScript to run")


def _run_js(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    script = HARNESS % json.dumps(COSIGN_JS.as_uri())
    done = subprocess.run(
        [str(NODE), "--input-type=module", "-e", script],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _key_file(secret_hex: str, name: str = "Tom Okafor") -> str:
    return json.dumps({"type": "decide-bls-private-key/v1", "name": name, "secret_key": secret_hex})


def test_browser_signatures_equal_py_ecc_byte_for_byte():
    keys = [generate(f"Member {i}", seed=bytes([i]) * 32) for i in range(1, 4)]
    digests = [
        document_digest({"type": "decide-manifest/v1", "round": "7", "tally": {"P1": 3}}),
        hashlib.sha256(b"checkpoint").digest(),
        bytes(32),
    ]
    cases = []
    expected = []
    for key in keys:
        for n, digest in enumerate(digests):
            kind = "decide-ledger-checkpoint/v1" if n == 1 else "decide-manifest/v1"
            secret = key.private_record()["secret_key"]
            cases.append({"key_file": _key_file(secret, key.name), "document_type": kind,
                          "digest": digest.hex()})  # fmt: skip
            expected.append((key, kind, digest))
    results = _run_js(cases)
    assert results[-1] == {"sha256": hashlib.sha256(b"decide").hexdigest()}
    for (key, kind, digest), result in zip(expected, results, strict=False):
        record = result["record"]
        assert bytes.fromhex(record["signature"]) == sign(key.secret_key, digest)
        assert bytes.fromhex(record["public_key"]) == key.public_key
        assert result["fingerprint"] == fingerprint(key.public_key)
        parsed = SignatureRecord.from_dict(record)
        assert (parsed.signer, parsed.document_type, parsed.digest) == (key.name, kind, digest)
        assert parsed.check(digest)


def test_the_browser_refuses_what_is_not_a_private_key():
    pub = generate("Amira Haddad", seed=b"\x09" * 32).public_record().to_dict()
    order = "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001"
    digest = "ab" * 32
    cases = [
        {"key_file": json.dumps(pub), "document_type": "decide-manifest/v1", "digest": digest},
        {"key_file": "not json", "document_type": "decide-manifest/v1", "digest": digest},
        {"key_file": _key_file("00" * 32), "document_type": "decide-manifest/v1", "digest": digest},
        {"key_file": _key_file(order), "document_type": "decide-manifest/v1", "digest": digest},
        {"key_file": _key_file("AB" * 32), "document_type": "decide-manifest/v1", "digest": digest},
        {"key_file": _key_file("01" * 32), "document_type": "decide-manifest/v1", "digest": "ab"},
    ]
    results = _run_js(cases)[:-1]
    assert all(r.get("ours") for r in results), results
    assert "not the .pub.json one" in results[0]["error"]
    assert "not JSON" in results[1]["error"]
    assert "out of range" in results[2]["error"] and "out of range" in results[3]["error"]
    assert "hexadecimal" in results[4]["error"] and "digest" in results[5]["error"]

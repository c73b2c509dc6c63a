"""Verifiable results: pure functions and values for the audit trail (DESIGN.md, "Audit trail").

canonical (canonical JSON, SHA-256), chain (the board's hash chain, tracker codes), merkle
(RFC 6962 tree, inclusion proofs), receipts (Ed25519-signed receipts), bls (co-signing with
proofs of possession), manifest, ledger (disbursements), pdf (the tally PDF), bundle (close
and publish a round), recompute (the one door to ballots and decide.allocation), verify and
keys (the decide-verify and decide-keys commands). Each module documents its byte formats.
"""

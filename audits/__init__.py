"""Verifiable results: pure functions and values for the audit trail (DESIGN.md, "Audit trail").

canonical (canonical JSON, SHA-256), chain (the board's hash chain, tracker codes), merkle
(RFC 6962 tree, inclusion proofs), receipts (Ed25519-signed receipts), bls (co-signing with
proofs of possession, key fingerprints), manifest, ledger (disbursements and co-signed
checkpoints), words (the rule, tie-break and Add1 in words), typeface (the embedded fonts), pdf
(the tally PDF, and reading one back), html (the same tally as an accessible page), edition
(what an edition prints, from its files alone), bundle (close and publish a round), recompute
(the one door to ballots and decide.allocation), second_opinion (pabutools), archive (the
verifier's reproducible source archive), verify and keys (the decide-verify and decide-keys
commands). Each module documents its byte formats; docs/FORMATS.md gathers them.
"""

"""Helpers shared by test modules: import them from here, never from another test module.

- `sessions`: log a test client in without a password round trip.
- `mailbox`: a real SMTP server (aiosmtpd) whose messages a test can read.
- `tables`: row counts of every table ("nothing was saved" means nothing, anywhere).
- `jobs`: a record of every committed update of a publication job's row.
- `stats`: rank statistics for the secrecy tests.
- `pages`: the value of a hidden form field on a page.
"""

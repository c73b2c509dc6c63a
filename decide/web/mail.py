"""Sending e-mail: over SMTP with Flask-Mail when MAIL_SERVER is set, else to an outbox folder.

Without a mail server (a newcomer's `make run`), each message is written as an .eml file to
MAIL_OUTBOX (instance/outbox/ by default) and printed to the console, so its links can be
opened by hand. Messages are plain text, rendered from templates/auth/mail/.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import smtplib
import sys
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from flask_mail import Message

from decide.extensions import mail

log = logging.getLogger(__name__)


def send(to: str, subject: str, template: str, **context: Any) -> None:
    """Send a plain-text message rendered from `template`; a failure is logged, not raised.

    A failure is not shown to the visitor: pages about accounts say the same whatever happens,
    so that they do not reveal which addresses have accounts.
    """
    body = render_template(template, **context)
    message = Message(subject=subject, recipients=[to], body=body)
    if not current_app.config.get("MAIL_SERVER"):
        _write_to_outbox(message)
        return
    try:
        mail.send(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.error("could not send %r: %s", subject, exc.__class__.__name__)


def _write_to_outbox(message: Message) -> Path:
    """Write the message as an .eml file and print it; return the file."""
    outbox = Path(current_app.config["MAIL_OUTBOX"])
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    path = outbox / f"{stamp}-{secrets.token_hex(4)}.eml"
    if message.sender is None:
        message.sender = current_app.config["MAIL_DEFAULT_SENDER"]
    path.write_bytes(message.as_bytes())
    if not current_app.testing:
        print(
            f"--- e-mail written to {path} ---\n"
            f"To: {', '.join(message.recipients)}\nSubject: {message.subject}\n\n"
            f"{message.body}\n--- end of e-mail ---",
            file=sys.stderr,
            flush=True,
        )
    return path

"""E-mail settings come from DECIDE_MAIL_* variables; without a server, mail goes to the outbox."""

from __future__ import annotations

from decide.config import build_config


def test_mail_settings_come_from_the_environment(tmp_path):
    cfg = build_config(
        str(tmp_path),
        environ={
            "DECIDE_MAIL_SERVER": "smtp.example.org",
            "DECIDE_MAIL_PORT": "587",
            "DECIDE_MAIL_USERNAME": "decide",
            "DECIDE_MAIL_PASSWORD": "s3cret",
            "DECIDE_MAIL_USE_TLS": "1",
            "DECIDE_MAIL_SENDER": "decide <no-reply@example.org>",
        },
    )
    assert (cfg["MAIL_SERVER"], cfg["MAIL_PORT"], cfg["MAIL_USE_TLS"]) == (
        "smtp.example.org",
        587,
        True,
    )
    assert (cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"]) == ("decide", "s3cret")
    assert cfg["MAIL_DEFAULT_SENDER"] == "decide <no-reply@example.org>"


def test_without_a_mail_server_the_outbox_is_in_the_instance_folder(tmp_path):
    cfg = build_config(str(tmp_path), environ={})
    assert cfg["MAIL_SERVER"] == ""
    assert cfg["MAIL_OUTBOX"] == str(tmp_path / "outbox")

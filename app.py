"""Composition root: `create_app(config=None) -> Flask`. Run with `flask --app app run`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent


def configure_screen(cfg: Mapping[str, Any]) -> None:
    """Pass equal shares' float-screen settings from the configuration to the allocation core."""
    from decide.allocation import mesfloat

    threads = cfg.get("SCREEN_THREADS")
    default = mesfloat.ScreenSettings()
    mesfloat.configure(
        mesfloat.ScreenSettings(
            enabled=bool(cfg.get("FLOAT_SCREEN", True)),
            threads=default.threads if threads is None else int(threads),
        )
    )


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask application: configuration, extensions, blueprints, commands."""
    instance_path = os.environ.get("DECIDE_INSTANCE_PATH") or str(ROOT / "instance")
    app = Flask(
        "decide",
        instance_path=instance_path,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    from decide.config import build_config, check_config

    app.config.update(build_config(instance_path, overrides=config))
    check_config(app.config, debug=app.debug or bool(app.config.get("DEBUG")))
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    configure_screen(app.config)

    if app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Rate limits and secure cookies need the client's address and scheme, not the proxy's.
        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]

    from decide.web import init_web

    init_web(app)

    from decide.cli import register_commands

    register_commands(app)
    return app

"""gunicorn settings for decide: `gunicorn -c python:decide.web.gunicorn_config 'app:create_app()'`.

Only a hook lives here; workers, threads and the address stay on the command line.
"""

from __future__ import annotations

from typing import Any


def post_worker_init(worker: Any) -> None:
    """Warm each worker before it answers (see decide.web.serving)."""
    from decide.web.serving import warm_up

    done = warm_up(worker.wsgi)
    worker.log.info(
        "decide: worker %s warmed: %s templates compiled", worker.pid, done["templates"]
    )

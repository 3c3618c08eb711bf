"""Logging that never records who reported: no client addresses, no user agents, no content.

Access logs are switched off entirely (werkzeug's request logger is silenced and gunicorn runs
without an access log). ``configure`` is called once by each process entry point.
"""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(level: str = "INFO") -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_tipline", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        handler._tipline = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    silence_access_logs()


def silence_access_logs() -> None:
    """Werkzeug logs one line per request with the client address; we keep none."""
    werkzeug = logging.getLogger("werkzeug")
    werkzeug.setLevel(logging.ERROR)
    werkzeug.propagate = False
    werkzeug.disabled = True
    # gunicorn's access logger, in case a deployment turns its access log on by mistake.
    logging.getLogger("gunicorn.access").disabled = True

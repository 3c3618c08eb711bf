"""Serve a Flask app with gunicorn, with no access log (client addresses are never logged)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from tipline.settings import Settings


class _App(BaseApplication):  # type: ignore[misc]
    def __init__(self, factory: Callable[[], Flask], options: dict[str, Any]) -> None:
        self._factory = factory
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self._factory()


def gunicorn_options(host: str, port: int, settings: Settings) -> dict[str, Any]:
    return {
        "bind": f"{host}:{port}",
        "workers": settings.web_workers,
        "worker_class": "gthread",
        "threads": 4,
        "accesslog": None,  # never write an access log: it would hold client addresses
        "errorlog": "-",
        # gunicorn logs the client address for malformed requests at debug level only.
        "loglevel": "warning" if settings.log_level == "DEBUG" else settings.log_level.lower(),
        "timeout": 60,
        "graceful_timeout": 20,
        "forwarded_allow_ips": "127.0.0.1",
        "proc_name": "tipline",
        # gunicorn 27's control socket defaults to one path per user, which two apps on one host
        # would share; we do not use it.
        "control_socket_disable": True,
    }


def serve(factory: Callable[[], Flask], host: str, port: int, settings: Settings) -> None:
    _App(factory, gunicorn_options(host, port, settings)).run()

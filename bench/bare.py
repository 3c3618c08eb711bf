"""The submit baseline: a bare Flask app that only parses the report form.

``GET /report`` hands out a token (so clients follow the same protocol as with the portal) and
``POST /report`` reads every field of the same multipart form, and nothing else: no CSRF check,
no rate limit, no validation, no sealing, no database, no queue. It is served exactly like the
portal: ``tipline.webserver.serve`` with the production gunicorn options
(``python -m bench.bare``; port and workers from ``TIPLINE_PORTAL_PORT`` and
``TIPLINE_WEB_WORKERS``).
"""

from __future__ import annotations

import secrets

from flask import Flask, request

from bench.client import REPORT_FIELDS
from tipline import logs
from tipline.settings import load_settings
from tipline.webserver import serve

FORM_PAGE = (
    '<!doctype html><title>Report</title><form method="post" enctype="multipart/form-data">'
    '<input type="hidden" name="csrf_token" value="{token}"></form>'
)


def create_app() -> Flask:
    logs.silence_access_logs()
    app = Flask("bare")

    @app.get("/report")
    def form() -> str:
        return FORM_PAGE.format(token=secrets.token_urlsafe(32))

    @app.post("/report")
    def submit() -> tuple[str, int]:
        values = {name: request.form.get(name, "") for name in (*REPORT_FIELDS, "csrf_token")}
        files = request.files.getlist("files")
        if not values["what_happened"]:
            return "missing field", 422
        return f"<!doctype html><p>Received {len(values)} fields, {len(files)} file parts.", 200

    return app


def main() -> None:
    settings = load_settings()
    logs.configure(settings.log_level)
    serve(create_app, settings.portal_host, settings.portal_port, settings)


if __name__ == "__main__":
    main()

"""Server-side sessions for the officers' app.

The cookie holds only a random token; the database holds its SHA-256 (``WebSession``) and the
session data, so a stolen database does not yield usable cookies and logging out really ends
the session. Sessions expire after ``settings.officer_session_minutes`` without a request (and
after ``ABSOLUTE_LIFETIME`` in any case). Logging in issues a new token (no session fixation).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import delete, update
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.datastructures import CallbackDict

from tipline.db import transaction
from triage.models import WebSession

ABSOLUTE_LIFETIME = timedelta(hours=12)
_MAX_TOKEN_LENGTH = 100


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """Session data plus the officer it belongs to (``None`` before login)."""

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        token: str | None = None,
        officer_id: int | None = None,
    ) -> None:
        def on_update(_self: CallbackDict[str, Any]) -> None:
            self.modified = True

        super().__init__(data or {}, on_update)
        self.token = token
        self.officer_id = officer_id
        self.modified = False
        self.rotate = False
        self.destroy = False
        self.had_cookie = False

    def log_in(self, officer_id: int) -> None:
        """Bind the session to an officer under a fresh token; earlier data is dropped."""
        self.clear()
        self.officer_id = officer_id
        self.rotate = True

    def log_out(self) -> None:
        """Delete the session server-side and the cookie client-side."""
        self.clear()
        self.officer_id = None
        self.destroy = True


class DatabaseSessionInterface(SessionInterface):
    def __init__(
        self,
        sessions: sessionmaker[Session],
        idle_timeout: timedelta,
        secure: bool,
        clock: Callable[[], datetime],
    ) -> None:
        self.sessions = sessions
        self.idle_timeout = idle_timeout
        self.secure = secure
        self.clock = clock
        # The __Host- prefix pins the cookie to this host and path, HTTPS only.
        self.cookie_name = "__Host-triage_session" if secure else "triage_session"

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        token = request.cookies.get(self.cookie_name)
        if not token or len(token) > _MAX_TOKEN_LENGTH:
            return ServerSession()
        now = self.clock()
        with transaction(self.sessions) as db:
            row = db.get(WebSession, token_hash(token))
            if row is None:
                fresh = ServerSession()
                fresh.had_cookie = True
                return fresh
            if row.expires_at <= now or row.created_at + ABSOLUTE_LIFETIME <= now:
                db.delete(row)
                fresh = ServerSession()
                fresh.had_cookie = True
                return fresh
            return ServerSession(dict(row.data), token=token, officer_id=row.officer_id)

    def save_session(  # type: ignore[override]
        self, app: Flask, session: ServerSession, response: Response
    ) -> None:
        now = self.clock()
        if session.destroy:
            if session.token:
                self._delete(session.token)
            self._clear_cookie(response)
            return
        if session.rotate:
            if session.token:
                self._delete(session.token)
            self._create(session, response, now)
            return
        if session.token:
            values: dict[str, Any] = {"last_seen_at": now, "expires_at": now + self.idle_timeout}
            if session.modified:
                values["data"] = dict(session)
            with transaction(self.sessions) as db:
                db.execute(
                    update(WebSession)
                    .where(WebSession.token_hash == token_hash(session.token))
                    .values(**values)
                )
            return
        if session.modified and len(session) > 0:
            self._create(session, response, now)  # e.g. the CSRF token of the login form
        elif session.had_cookie:
            self._clear_cookie(response)

    def _create(self, session: ServerSession, response: Response, now: datetime) -> None:
        token = secrets.token_urlsafe(32)
        with transaction(self.sessions) as db:
            # Expired sessions are removed whenever a new one starts (indexed on expires_at).
            db.execute(delete(WebSession).where(WebSession.expires_at <= now))
            db.add(
                WebSession(
                    token_hash=token_hash(token),
                    officer_id=session.officer_id,
                    data=dict(session),
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + self.idle_timeout,
                )
            )
        session.token = token
        response.set_cookie(
            self.cookie_name,
            token,
            httponly=True,
            secure=self.secure,
            samesite="Strict",
            path="/",
        )
        response.vary.add("Cookie")

    def _delete(self, token: str) -> None:
        with transaction(self.sessions) as db:
            db.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))

    def _clear_cookie(self, response: Response) -> None:
        response.delete_cookie(
            self.cookie_name, path="/", secure=self.secure, httponly=True, samesite="Strict"
        )

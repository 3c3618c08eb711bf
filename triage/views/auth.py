"""Log in and out."""

from __future__ import annotations

import logging

from flask import Blueprint, redirect, render_template, request, session, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from triage import login_throttle
from triage.access import current_officer, safe_next
from triage.audit import record
from triage.forms import LoginForm
from triage.models import Officer
from triage.officers import authenticate, normalise_username
from triage.sessions import ServerSession
from triage.web import db, web

bp = Blueprint("auth", __name__)
log = logging.getLogger("triage.auth")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str:
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        context = web()
        username = form.username.data or ""
        wait = login_throttle.retry_after(context.redis, username)
        if wait:
            log.info("officer login refused: too many failures")
            _record_failure(username, throttled=True)
            page = render_template("triage/login.html", form=form, failed=False, wait=wait)
            return Response(page, status=429, headers={"Retry-After": str(wait)})
        officer = authenticate(
            db(),
            form.username.data or "",
            form.password.data or "",
            memory_kib=context.settings.password_argon2_memory_kib,
            now=context.clock(),
        )
        if officer is not None:
            login_throttle.clear(context.redis, username)
            record(db(), "login", officer_id=officer.id, at=context.clock())
            db().commit()
            _server_session().log_in(officer.id)
            return redirect(safe_next(request.args.get("next")) or url_for("queue.index"))
        failed = True
        db().rollback()
        _record_failure(username, throttled=False)
        login_throttle.record_failure(context.redis, username)
        log.info("officer login failed")  # no username: it may be a mistyped password
    return render_template("triage/login.html", form=form, failed=failed)


@bp.post("/logout")
def logout() -> Response:
    officer = current_officer()
    if officer is not None:
        record(db(), "logout", officer_id=officer.id, at=web().clock())
        db().commit()
    _server_session().log_out()
    return redirect(url_for("auth.login"))


def _record_failure(username: str, *, throttled: bool) -> None:
    """Audit a failed or refused login: the officer if the username exists, else nobody. The
    typed username is not kept (it may be a password typed in the wrong box), nor any IP."""
    session = db()
    officer_id = session.scalars(
        select(Officer.id).where(Officer.username == normalise_username(username))
    ).first()
    detail = {"throttled": True} if throttled else {}
    record(session, "login-failed", officer_id=officer_id, detail=detail, at=web().clock())
    session.commit()


def _server_session() -> ServerSession:
    assert isinstance(session, ServerSession)
    return session

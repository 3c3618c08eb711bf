"""The follow-up pages: come back with a receipt code, read messages, reply, leave.

Thin: validate, call ``FollowUpService`` / ``ReplyIntake``, render. The reporter's session
cookie (``COOKIE_NAME``) holds only a random session id and wrapping key
(``portal.reporter_sessions``); it is scoped to ``/follow-up``, HttpOnly, SameSite=Strict and
Secure in production.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from redis.exceptions import RedisError
from werkzeug.wrappers import Response

from portal.context import current_context
from portal.followup import SignInOutcome
from portal.followup_forms import CodeForm, LeaveForm, ReplyForm
from portal.mailbox import Mailbox
from portal.pages import offline_response, unavailable_response
from portal.reporter_sessions import ReporterSession
from portal.uploads import RefusedFile, check_uploads
from tipline.followup_schema import TEXT_LIMIT
from tipline.keys import KeyProblem

log = logging.getLogger("portal.followup")

bp = Blueprint("followup", __name__, url_prefix="/follow-up")

SIGN_IN_ENDPOINT = "followup.sign_in"
REPLY_ENDPOINT = "followup.reply"
COOKIE_NAME = "tipline_reporter"
COOKIE_PATH = "/follow-up"

WRONG_CODE = (
    "We could not find a report with that code. Check each digit against what you wrote "
    "down and try again."
)
MALFORMED_CODE = "A receipt code is 7 groups of 4 digits, like 1234-5678-9012-3456-7890-1234-5678."
NOTHING_TO_SEND = "Please write an answer, or add a file."


class _SessionEnded(Exception):
    """The reporter had a session cookie but the session is over (idle timeout or left)."""


def _cookie() -> str | None:
    return request.cookies.get(COOKIE_NAME)


def _reporter() -> ReporterSession | None:
    """The live reporter session; raises ``_SessionEnded`` or ``RedisError``."""
    cookie = _cookie()
    if not cookie:
        return None
    reporter = current_context().followup.resume(cookie)
    if reporter is None:
        raise _SessionEnded
    return reporter


def _without_cookie(response: Response) -> Response:
    response.delete_cookie(
        COOKIE_NAME,
        path=COOKIE_PATH,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Strict",
    )
    return response


def _to_sign_in(ended: bool) -> Response:
    target = url_for(SIGN_IN_ENDPOINT, ended=1) if ended else url_for(SIGN_IN_ENDPOINT)
    return _without_cookie(redirect(target, 303))


def _expired(status: int = 410) -> Response:
    """The code has expired: say so plainly, and end any session."""
    settings = current_context().settings
    try:
        current_context().followup.leave(_cookie())
    except RedisError:
        log.warning("could not end a reporter session (Redis unavailable)")
    body = render_template(
        "portal/followup.html",
        form=CodeForm(),
        expired=True,
        expiry_days=settings.receipt_expiry_days,
    )
    return _without_cookie(Response(body, status=status, mimetype="text/html"))


def _session_minutes() -> int:
    return current_context().settings.reporter_session_minutes


@bp.context_processor
def followup_values() -> dict[str, object]:
    return {"session_minutes": _session_minutes(), "text_limit": TEXT_LIMIT}


def _pending_text() -> str:
    """An answer typed before the session ended, carried through signing in again."""
    return (request.form.get("text") or "")[:TEXT_LIMIT]


def _sign_in_page(form: CodeForm, status: int, ended: bool = False) -> tuple[str, int]:
    page = render_template(
        "portal/followup.html", form=form, ended=ended, pending_text=_pending_text()
    )
    return page, status


@bp.route("", methods=["GET", "POST"])
def sign_in() -> Response | str | tuple[str, int]:
    form = CodeForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return _sign_in_page(form, status, ended=request.args.get("ended") == "1")
    service = current_context().followup
    try:
        service.leave(_cookie())  # a new sign-in never reuses an older session
        result = service.sign_in(form.code.data or "")
    except RedisError:
        return unavailable_response()
    if result.outcome is SignInOutcome.EXPIRED:
        return _expired()
    if result.outcome is not SignInOutcome.SIGNED_IN:
        form.code.errors = [WRONG_CODE if result.outcome is SignInOutcome.WRONG else MALFORMED_CODE]
        return _sign_in_page(form, 422)
    response = _after_sign_in(result.cookie or "")
    response.set_cookie(
        COOKIE_NAME,
        result.cookie or "",
        path=COOKIE_PATH,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Strict",
    )
    return response


def _after_sign_in(cookie: str) -> Response:
    """To the mailbox; with an answer typed before the session ended, straight to the
    mailbox page with that answer back in the box."""
    pending = _pending_text()
    if not pending:
        return redirect(url_for("followup.mailbox"), 303)
    service = current_context().followup
    reporter = service.resume(cookie)
    box = service.mailbox(reporter) if reporter else None
    if box is None:
        return redirect(url_for("followup.mailbox"), 303)
    page, status = _render_mailbox(box, ReplyForm(formdata=None, text=pending), restored=True)
    return Response(page, status=status, mimetype="text/html")


def _render_mailbox(
    box: Mailbox,
    form: ReplyForm,
    refused: tuple[RefusedFile, ...] | list[RefusedFile] = (),
    status: int = 200,
    restored: bool = False,
) -> tuple[str, int]:
    return render_template(
        "portal/mailbox.html",
        box=box,
        form=form,
        leave_form=LeaveForm(),
        refused=refused,
        restored=restored,
        upload_limits=current_context().upload_limits,
    ), status


@bp.get("/mailbox")
def mailbox() -> Response | tuple[str, int]:
    try:
        reporter = _reporter()
        if reporter is None:
            return _to_sign_in(ended=False)
        box = current_context().followup.mailbox(reporter)
    except _SessionEnded:
        return _to_sign_in(ended=True)
    except RedisError:
        return unavailable_response()
    if box is None:
        return _expired()
    return _render_mailbox(box, ReplyForm())


@bp.post("/reply")
def reply() -> Response | str | tuple[str, int]:
    context = current_context()
    try:
        reporter = _reporter()
    except _SessionEnded:
        reporter = None
    except RedisError:
        return unavailable_response()
    if reporter is None:
        # Signed out while writing: keep the answer and ask for the code again (not a dead end).
        page, _ = _sign_in_page(CodeForm(formdata=None), 200, ended=True)
        return _without_cookie(Response(page, status=401, mimetype="text/html"))
    if not context.replies.ready():
        return offline_response()
    report_envelope_id = context.followup.report_envelope_id(reporter)
    if report_envelope_id is None:
        return _expired()
    form = ReplyForm()
    with check_uploads(request.files.getlist("files"), context.upload_limits) as uploads:
        text = form.text.data or ""
        valid = form.validate_on_submit()
        if valid and not text and not uploads.accepted:
            form.text.errors = [*form.text.errors, NOTHING_TO_SEND]
            valid = False
        if not valid:
            box = context.followup.mailbox(reporter)
            if box is None:
                return _expired()
            return _render_mailbox(box, form, uploads.refused, status=422)
        try:
            sent = context.replies.submit(reporter.lookup_id, report_envelope_id, text, uploads)
        except KeyProblem:
            return offline_response()
    return render_template("portal/reply_sent.html", attached=sent.attached, refused=sent.refused)


@bp.post("/leave")
def leave() -> Response:
    try:
        current_context().followup.leave(_cookie())
    except RedisError:
        # The session still ends by itself after the idle timeout.
        log.warning("could not end a reporter session (Redis unavailable)")
    body = render_template("portal/left.html")
    return _without_cookie(Response(body, status=200, mimetype="text/html"))

"""The public pages: landing, report form and receipt. Thin: validate, call the intake, render."""

from __future__ import annotations

from flask import Blueprint, render_template
from werkzeug.wrappers import Response

from portal.context import current_context
from portal.forms import ReportForm
from portal.pages import offline_response
from tipline.keys import KeyProblem
from tipline.report_schema import LIMITS

bp = Blueprint("portal", __name__)

REPORT_ENDPOINT = "portal.report"


@bp.context_processor
def field_limits() -> dict[str, object]:
    return {"limits": LIMITS}


@bp.get("/")
def index() -> str:
    return render_template("portal/index.html")


@bp.route("/report", methods=["GET", "POST"])
def report() -> Response | str | tuple[str, int]:
    intake = current_context().intake
    if not intake.ready():
        return offline_response()
    form = ReportForm()
    if not form.validate_on_submit():
        # 422 tells tools the submission was refused; the person sees the form and each problem.
        return render_template("portal/report.html", form=form), (
            422 if form.is_submitted() else 200
        )
    try:
        submitted = intake.submit(form.report_section(), form.contact_section())
    except KeyProblem:
        return offline_response()
    # The code is shown in this response only: never in a cookie, a log or the database.
    return render_template(
        "portal/received.html", code=submitted.code, danger_now=form.says_danger_now()
    )

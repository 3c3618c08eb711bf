"""The public pages: landing, report form and receipt. Thin: validate, call the intake, render.

The report form may carry files (field ``files``); each is checked on its own
(``portal.uploads``) and a refused file never stops the report.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from werkzeug.wrappers import Response

from portal.context import current_context
from portal.forms import ReportForm
from portal.pages import offline_response
from portal.uploads import HEIC_SUPPORTED, check_uploads
from tipline.keys import KeyProblem
from tipline.report_schema import LIMITS

bp = Blueprint("portal", __name__)

REPORT_ENDPOINT = "portal.report"


@bp.app_context_processor
def field_limits() -> dict[str, object]:
    return {
        "limits": LIMITS,
        "upload_limits": current_context().upload_limits,
        "heic_supported": HEIC_SUPPORTED,
    }


def _files_chosen() -> bool:
    return any(upload.filename for upload in request.files.getlist("files"))


@bp.get("/")
def index() -> str:
    return render_template("portal/index.html")


@bp.route("/report", methods=["GET", "POST"])
def report() -> Response | str | tuple[str, int]:
    context = current_context()
    intake = context.intake
    if not intake.ready():
        return offline_response()
    form = ReportForm()
    if not form.validate_on_submit():
        # 422 tells tools the submission was refused; the person sees the form and each problem.
        # Browsers cannot keep chosen files across pages, so the page asks to choose them again.
        return render_template("portal/report.html", form=form, files_lost=_files_chosen()), (
            422 if form.is_submitted() else 200
        )
    with check_uploads(request.files.getlist("files"), context.upload_limits) as uploads:
        try:
            submitted = intake.submit(form.report_section(), form.contact_section(), uploads)
        except KeyProblem:
            return offline_response()
    # The code is shown in this response only: never in a cookie, a log or the database.
    return render_template(
        "portal/received.html",
        code=submitted.code,
        danger_now=form.says_danger_now(),
        attached=submitted.attached,
        refused=submitted.refused,
    )

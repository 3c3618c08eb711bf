"""The public pages: landing, report form and receipt. Thin: validate, call the intake, render.

The report form may carry files (field ``files``); each is checked on its own
(``portal.uploads``) and a refused file never stops the report. Its organization picker offers
the directory's organizations (``?org=<id>`` preselects one) and accepts any typed name.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from werkzeug.wrappers import Response

from portal.context import current_context
from portal.directory import Directory
from portal.forms import ORGANIZATION_NAME_MAX, ReportForm
from portal.pages import offline_response
from portal.uploads import HEIC_SUPPORTED, check_uploads
from tipline.keys import KeyProblem
from tipline.referral_schema import REFERRAL_LIMITS
from tipline.report_schema import LIMITS

bp = Blueprint("portal", __name__)

REPORT_ENDPOINT = "portal.report"
# Past this many organizations the list in the page would weigh too much on a phone; a name
# typed exactly still finds its organization.
DATALIST_MAX = 2000


@bp.app_context_processor
def field_limits() -> dict[str, object]:
    return {
        "limits": LIMITS,
        "referral_limits": REFERRAL_LIMITS,
        "organization_max": ORGANIZATION_NAME_MAX,
        "datalist_max": DATALIST_MAX,
        "upload_limits": current_context().upload_limits,
        "heic_supported": HEIC_SUPPORTED,
    }


def files_chosen() -> bool:
    return any(upload.filename for upload in request.files.getlist("files"))


def render_report_form(
    form: ReportForm, directory: Directory | None = None, **values: object
) -> str:
    """The report form page (also used by the rate-limit answer)."""
    directory = directory or current_context().directory.current()
    return render_template("portal/report.html", form=form, directory=directory, **values)


@bp.get("/")
def index() -> str:
    return render_template("portal/index.html")


@bp.route("/report", methods=["GET", "POST"])
def report() -> Response | str | tuple[str, int]:
    context = current_context()
    intake = context.intake
    if not intake.ready():
        return offline_response()
    directory = context.directory.current()
    form = ReportForm()
    if not form.is_submitted():
        preselected = directory.by_id(request.args.get("org"))
        if preselected:
            form.organization.data = preselected.label
    if not form.validate_on_submit():
        # 422 tells tools the submission was refused; the person sees the form and each problem.
        # Browsers cannot keep chosen files across pages, so the page asks to choose them again.
        page = render_report_form(form, directory, files_lost=files_chosen())
        return page, (422 if form.is_submitted() else 200)
    organization = directory.resolve(form.organization.data)
    with check_uploads(request.files.getlist("files"), context.upload_limits) as uploads:
        try:
            submitted = intake.submit(
                form.report_section(), form.contact_section(), uploads, organization=organization
            )
        except KeyProblem:
            return offline_response()
    # The code is shown in this response only: never in a cookie, a log or the database.
    return render_template(
        "portal/received.html",
        code=submitted.code,
        call_911=form.says_danger_now(),
        attached=submitted.attached,
        refused=submitted.refused,
    )

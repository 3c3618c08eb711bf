"""The referral form for schools, employers and agencies: ``/refer`` and ``/refer/<token>``.

An organization's referral link carries a token. When its hash is in the directory the page
greets the organization and fills it in; when it is not (the portal's copy of the directory may
be minutes old, or the link was revoked), the form simply works as without a token. Either way
the token goes into the sealed referral exactly as it was in the address, and triage decides
whether it is valid: a referral is never refused over its token.

Thin: validate, call the intake, render. The filer gets a receipt code like any reporter.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request
from werkzeug.wrappers import Response

from portal.context import current_context
from portal.directory import Directory
from portal.pages import offline_response
from portal.referral_forms import BEHAVIOR_HINTS, ReferralForm
from portal.uploads import check_uploads
from portal.views import files_chosen
from tipline.keys import KeyProblem
from tipline.referral_schema import SCHEMA

bp = Blueprint("referral", __name__)

REFER_ENDPOINT = "referral.refer"
# Longer than any token the schema can carry, so it cannot be an organization's token.
TOKEN_MAX: int = SCHEMA["properties"]["referral_token"]["maxLength"]


def usable_token(token: str | None) -> str | None:
    """The token to pass on: as it was in the address, or None when there was none (or it is
    too long to be anyone's token)."""
    if not token or len(token) > TOKEN_MAX:
        return None
    return token


def render_referral_form(
    form: ReferralForm, token: str | None, directory: Directory | None = None, **values: object
) -> str:
    """The referral form page (also used by the rate-limit answer)."""
    directory = directory or current_context().directory.current()
    return render_template(
        "portal/refer.html",
        form=form,
        token=usable_token(token),
        organization=directory.by_token(usable_token(token)),
        directory=directory,
        behavior_hints=BEHAVIOR_HINTS,
        **values,
    )


@bp.route("/refer", methods=["GET", "POST"], defaults={"token": None})
@bp.route("/refer/<token>", methods=["GET", "POST"])
def refer(token: str | None) -> Response | str | tuple[str, int]:
    context = current_context()
    intake = context.intake
    if not intake.ready():
        return offline_response()
    directory = context.directory.current()
    token = usable_token(token)
    form = ReferralForm()
    if not form.is_submitted():
        linked = directory.by_token(token)
        if linked:
            form.filer_organization.data = linked.label
    if not form.validate_on_submit():
        page = render_referral_form(form, token, directory, files_lost=files_chosen())
        return page, (422 if form.is_submitted() else 200)
    filer = form.filer_section(directory.resolve(form.filer_organization.data))
    with check_uploads(request.files.getlist("files"), context.upload_limits) as uploads:
        try:
            submitted = intake.submit_referral(token, filer, form.referral_section(), uploads)
        except KeyProblem:
            return offline_response()
    # The code is shown in this response only: never in a cookie, a log or the database.
    return render_template(
        "portal/received.html",
        code=submitted.code,
        referral=True,
        call_911=form.says_call_911(),
        emergency=form.urgency.data == "emergency",
        attached=submitted.attached,
        refused=submitted.refused,
    )

"""Admin screens: organizations and their referral links."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from tipline.directory import ORGANIZATION_KINDS
from triage import directory_admin as admin
from triage.access import admin_required
from triage.admin_forms import ActionForm, OrganizationEditForm, OrganizationForm, options
from triage.directory_admin import DirectoryError
from triage.views.admin_common import changed, failed, found
from triage.web import db, web

bp = Blueprint("admin_orgs", __name__, url_prefix="/admin")


@bp.get("")
@admin_required
def home() -> Response:
    return redirect(url_for("admin_orgs.index"))


@bp.route("/organizations", methods=["GET", "POST"])
@admin_required
def index() -> Response | tuple[str, int]:
    form = OrganizationForm()
    form.parent.choices = _parent_choices()
    error = None
    if form.validate_on_submit():
        try:
            org = admin.add_organization(
                db(),
                form.slug.data or "",
                form.name.data or "",
                form.kind.data or "",
                form.parent.data or None,
            )
        except DirectoryError as exc:
            db().rollback()
            error = str(exc)
        else:
            changed(f"Added {org.name}.", "organization-added", organization=org.id)
            return redirect(url_for("admin_orgs.index"), code=303)
    status = 400 if form.is_submitted() else 200
    return _list_page(form, error), status


@bp.route("/organizations/<slug>", methods=["GET", "POST"])
@admin_required
def edit(slug: str) -> Response | tuple[str, int]:
    org = found(lambda: admin.get_organization(db(), slug))
    form = OrganizationEditForm(obj=None if _posted() else org)
    if not _posted():
        form.parent.data = org.parent_id or ""
    form.parent.choices = _parent_choices(exclude=org.id)
    error = None
    if form.validate_on_submit():
        try:
            admin.update_organization(
                db(),
                org.id,
                name=form.name.data,
                kind=form.kind.data,
                parent=form.parent.data or None,
                active=bool(form.active.data),
            )
        except DirectoryError as exc:
            db().rollback()
            error = str(exc)
        else:
            changed(f"Saved {org.name}.", "organization-changed", organization=org.id)
            return redirect(url_for("admin_orgs.edit", slug=org.id), code=303)
    org = admin.get_organization(db(), slug)
    status = 400 if form.is_submitted() else 200
    return _edit_page(org.id, form, error), status


@bp.post("/organizations/<slug>/links")
@admin_required
def create_link(slug: str) -> Response | str:
    org = found(lambda: admin.get_organization(db(), slug))
    if not ActionForm().validate_on_submit():
        return redirect(url_for("admin_orgs.edit", slug=org.id), code=303)
    try:
        token = admin.issue_referral_token(db(), org.id)
    except DirectoryError as exc:
        failed(exc)
        return redirect(url_for("admin_orgs.edit", slug=org.id), code=303)
    changed("Referral link created.", "referral-link-created", organization=org.id)
    # Shown this once: only the token's hash is kept.
    link = f"{web().settings.portal_url}/refer/{token}"
    return render_template("triage/admin/referral_link.html", org=org, link=link)


@bp.post("/organizations/<slug>/links/revoke")
@admin_required
def revoke_links(slug: str) -> Response:
    return _revoke(slug, None)


@bp.post("/organizations/<slug>/links/<int:link_id>/revoke")
@admin_required
def revoke_link(slug: str, link_id: int) -> Response:
    return _revoke(slug, link_id)


def _revoke(slug: str, link_id: int | None) -> Response:
    org = found(lambda: admin.get_organization(db(), slug))
    if ActionForm().validate_on_submit():
        count = admin.revoke_referral_tokens(db(), org.id, link_id, now=web().clock())
        changed(
            f"Revoked {count} link{'s' if count != 1 else ''}. Referrals that still carry them"
            " are taken, marked unverified.",
            "referral-links-revoked",
            organization=org.id,
            count=count,
        )
    return redirect(url_for("admin_orgs.edit", slug=org.id), code=303)


def _posted() -> bool:
    return request.method == "POST"


def _parent_choices(exclude: str | None = None) -> list[tuple[str, str]]:
    return options(
        [("", "(none)")]
        + [
            (org.id, f"{org.name} ({org.id})")
            for org in admin.list_organizations(db())
            if org.id != exclude
        ]
    )


def _list_page(form: OrganizationForm, error: str | None) -> str:
    organizations = admin.list_organizations(db())
    live = admin.live_link_counts(db())
    return render_template(
        "triage/admin/organizations.html",
        organizations=organizations,
        live=live,
        kinds=ORGANIZATION_KINDS,
        form=form,
        error=error,
    )


def _edit_page(slug: str, form: OrganizationEditForm, error: str | None) -> str:
    return render_template(
        "triage/admin/organization.html",
        org=admin.get_organization(db(), slug),
        links=admin.referral_links(db(), slug),
        form=form,
        action=ActionForm(),
        error=error,
    )

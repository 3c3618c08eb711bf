"""Admin screens: units, their on-call contacts, and which unit each officer belongs to."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from werkzeug.wrappers import Response

from triage import directory_admin as admin
from triage.access import admin_required
from triage.admin_forms import (
    ActionForm,
    ContactForm,
    DirectionForm,
    OfficerUnitForm,
    PurposeForm,
    UnitForm,
)
from triage.directory_admin import DirectoryError
from triage.views.admin_common import changed, failed, found
from triage.web import db

bp = Blueprint("admin_units", __name__, url_prefix="/admin")


@bp.route("/units", methods=["GET", "POST"])
@admin_required
def index() -> Response | tuple[str, int]:
    form = UnitForm()
    error = None
    if form.validate_on_submit():
        try:
            unit = admin.add_unit(db(), form.slug.data or "", form.name.data or "")
        except DirectoryError as exc:
            db().rollback()
            error = str(exc)
        else:
            changed(f"Added {unit.name}.", "unit-added", unit=unit.slug)
            return redirect(url_for("admin_units.show", slug=unit.slug), code=303)
    page = render_template(
        "triage/admin/units.html", units=admin.list_units(db()), form=form, error=error
    )
    return page, 400 if form.is_submitted() else 200


@bp.get("/units/<slug>")
@admin_required
def show(slug: str) -> str:
    unit = found(lambda: admin.get_unit(db(), slug))
    return _unit_page(unit.slug, ContactForm(formdata=None), None)


@bp.post("/units/<slug>/contacts")
@admin_required
def add_contact(slug: str) -> Response | tuple[str, int]:
    unit = found(lambda: admin.get_unit(db(), slug))
    form = ContactForm()
    error = None
    if form.validate_on_submit():
        try:
            admin.add_unit_contact(
                db(),
                unit.slug,
                form.name.data or "",
                form.channel.data or "",
                form.address.data or "",
                form.purpose.data or "on_call",
            )
        except DirectoryError as exc:
            db().rollback()
            error = str(exc)
        else:
            changed("Contact added.", "contact-added", unit=unit.slug)
            return redirect(url_for("admin_units.show", slug=unit.slug), code=303)
    return _unit_page(unit.slug, form, error), 400


@bp.post("/units/<slug>/contacts/<int:contact_id>/move")
@admin_required
def move_contact(slug: str, contact_id: int) -> Response:
    unit = found(lambda: admin.get_unit(db(), slug))
    form = DirectionForm()
    if form.validate_on_submit():
        try:
            admin.move_unit_contact(db(), unit.slug, contact_id, form.direction.data or "")
        except DirectoryError as exc:
            failed(exc)
        else:
            changed("On-call order changed.", "contact-moved", unit=unit.slug)
    return redirect(url_for("admin_units.show", slug=unit.slug), code=303)


@bp.post("/units/<slug>/contacts/<int:contact_id>/purpose")
@admin_required
def set_contact_purpose(slug: str, contact_id: int) -> Response:
    """Make a contact an on-call one or a supervisor one."""
    unit = found(lambda: admin.get_unit(db(), slug))
    form = PurposeForm()
    if form.validate_on_submit():
        try:
            contact = admin.set_contact_purpose(
                db(), unit.slug, contact_id, form.purpose.data or ""
            )
        except DirectoryError as exc:
            failed(exc)
        else:
            role = "supervisor" if contact.purpose == "supervisor" else "on-call"
            changed(
                f"{contact.name} is now a {role} contact.",
                "contact-purpose",
                unit=unit.slug,
                contact=contact.id,
                purpose=contact.purpose,
            )
    else:
        failed(DirectoryError("choose on call or supervisor"))
    return redirect(url_for("admin_units.show", slug=unit.slug), code=303)


@bp.post("/units/<slug>/contacts/<int:contact_id>/remove")
@admin_required
def remove_contact(slug: str, contact_id: int) -> Response:
    unit = found(lambda: admin.get_unit(db(), slug))
    if ActionForm().validate_on_submit():
        try:
            admin.remove_unit_contact(db(), unit.slug, contact_id)
        except DirectoryError as exc:
            failed(exc)
        else:
            changed("Contact removed.", "contact-removed", unit=unit.slug)
    return redirect(url_for("admin_units.show", slug=unit.slug), code=303)


@bp.post("/units/<slug>/default")
@admin_required
def make_default(slug: str) -> Response:
    unit = found(lambda: admin.get_unit(db(), slug))
    if ActionForm().validate_on_submit():
        admin.set_default_unit(db(), unit.slug)
        changed(f"{unit.name} now receives what no routing rule claims.", "default-unit", unit=slug)
    return redirect(url_for("admin_units.show", slug=unit.slug), code=303)


@bp.get("/officers")
@admin_required
def officers() -> str:
    return render_template(
        "triage/admin/officers.html",
        officers=admin.list_officers(db()),
        units=admin.list_units(db()),
        action=ActionForm(),
    )


@bp.post("/officers/<username>/unit")
@admin_required
def move_officer(username: str) -> Response:
    form = OfficerUnitForm()
    if form.validate_on_submit():
        try:
            officer = admin.move_officer(db(), username, form.unit.data or "")
        except DirectoryError as exc:
            failed(exc)
        else:
            changed(
                f"{officer.username} now belongs to {officer.unit.name}.",
                "officer-moved",
                officer=officer.id,
                unit=officer.unit.slug,
            )
    return redirect(url_for("admin_units.officers"), code=303)


def _unit_page(slug: str, form: ContactForm, error: str | None) -> str:
    unit = admin.get_unit(db(), slug)
    members = [o for o in admin.list_officers(db()) if o.unit_id == unit.id]
    return render_template(
        "triage/admin/unit.html",
        unit=unit,
        members=members,
        form=form,
        action=ActionForm(),
        error=error,
    )

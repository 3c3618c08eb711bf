"""Admin screen: the routing rules, in the order intake tries them."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, redirect, render_template, url_for
from werkzeug.wrappers import Response

from tipline.report_schema import CATEGORIES
from triage import directory_admin as admin
from triage.access import admin_required
from triage.admin_forms import ActionForm, DirectionForm, RouteForm, options
from triage.directory_admin import DirectoryError
from triage.routing import PLACE_TYPES
from triage.views.admin_common import changed, failed
from triage.web import db

bp = Blueprint("admin_routes", __name__, url_prefix="/admin")


@bp.route("/routes", methods=["GET", "POST"])
@admin_required
def index() -> Response | tuple[str, int]:
    form = RouteForm()
    form.unit.choices = options((u.slug, u.name) for u in admin.list_units(db()))
    error = None
    if form.validate_on_submit():
        try:
            rule = admin.add_route(
                db(),
                form.kind.data or "",
                form.match.data or "",
                form.unit.data or "",
                form.position.data,
            )
        except DirectoryError as exc:
            db().rollback()
            error = str(exc)
        else:
            changed(f"Rule {rule.position} added.", "route-added", rule=rule.id)
            return redirect(url_for("admin_routes.index"), code=303)
    page = render_template(
        "triage/admin/routes.html",
        rules=admin.list_routes(db()),
        organizations={o.id: o.name for o in admin.list_organizations(db())},
        categories=CATEGORIES,
        place_types=PLACE_TYPES,
        form=form,
        action=ActionForm(),
        error=error,
    )
    return page, 400 if form.is_submitted() else 200


@bp.post("/routes/<int:rule_id>/move")
@admin_required
def move(rule_id: int) -> Response:
    form = DirectionForm()
    if form.validate_on_submit():
        _apply(
            lambda: admin.move_route(db(), rule_id, form.direction.data or ""),
            "route-moved",
            rule_id,
            "Order changed.",
        )
    return redirect(url_for("admin_routes.index"), code=303)


@bp.post("/routes/<int:rule_id>/toggle")
@admin_required
def toggle(rule_id: int) -> Response:
    if ActionForm().validate_on_submit():
        rule = admin.get_route(db(), rule_id) if _exists(rule_id) else None
        if rule is not None:
            state = not rule.active
            _apply(
                lambda: admin.set_route_active(db(), rule_id, state),
                "route-activated" if state else "route-deactivated",
                rule_id,
                f"Rule {rule.position} {'activated' if state else 'deactivated'}.",
            )
    return redirect(url_for("admin_routes.index"), code=303)


@bp.post("/routes/<int:rule_id>/delete")
@admin_required
def delete(rule_id: int) -> Response:
    if ActionForm().validate_on_submit():
        _apply(lambda: admin.delete_route(db(), rule_id), "route-deleted", rule_id, "Rule deleted.")
    return redirect(url_for("admin_routes.index"), code=303)


def _exists(rule_id: int) -> bool:
    try:
        admin.get_route(db(), rule_id)
    except DirectoryError as exc:
        failed(exc)
        return False
    return True


def _apply(action: Callable[[], object], change: str, rule_id: int, message: str) -> None:
    try:
        action()
    except DirectoryError as exc:
        failed(exc)
    else:
        changed(message, change, rule=rule_id)

"""Related reports (side by side, link and unlink by hand) and search in sealed reports.

Every route: login, then the unit check for each item named (another unit's item answers 404
like a missing one, via ``triage.items.item_for_officer``). Changes are POST with CSRF.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from tipline.report_schema import CATEGORIES
from triage import links, search
from triage.access import login_required
from triage.admin_forms import ActionForm
from triage.items import open_for_officer
from triage.models import STATUS_LABELS
from triage.related_forms import SearchForm
from triage.views.lookup import item_or_404
from triage.web import db, web

bp = Blueprint("related", __name__)


@bp.app_context_processor
def _template_helpers() -> dict[str, object]:
    """``related_items(item)`` for ``triage/_related.html`` on the item page."""
    return {"related_items": lambda item: links.links_of(db(), item)}


def _back(item_id: int) -> Response:
    return redirect(url_for("items.show", item_id=item_id) + "#related", code=303)


@bp.get("/items/<int:item_id>/related")
@login_required
def choose(item_id: int) -> Response:
    """The item page's "compare with item number" box: on to the side-by-side page, where
    the two can be linked."""
    item = item_or_404(item_id)
    raw = (request.args.get("other") or "").strip().lstrip("#")
    if not raw.isdigit() or len(raw) > 12 or int(raw) == item.id:
        flash("Give the number of another item of your unit, such as 42.", "error")
        return _back(item.id)
    return redirect(url_for("related.compare", item_id=item.id, other_id=int(raw)))


@bp.get("/items/<int:item_id>/related/<int:other_id>")
@login_required
def compare(item_id: int, other_id: int) -> Response:
    """Both reports opened side by side; each opening is audited as a view of that item."""
    item = item_or_404(item_id)
    other = item_or_404(other_id)
    if other.id == item.id:
        return _back(item.id)
    context = web()
    left = open_for_officer(db(), item, g.officer, context.keyring)
    right = open_for_officer(db(), other, g.officer, context.keyring)
    link = next((r for r in links.links_of(db(), item) if r.other.id == other.id), None)
    db().commit()
    return render_template(
        "triage/related_compare.html",
        pair=[(item, left), (other, right)],
        item=item,
        other=other,
        link=link,
        form=ActionForm(),
        tier_info=context.rules.tiers,
        status_labels=STATUS_LABELS,
        categories=CATEGORIES,
    )


@bp.post("/items/<int:item_id>/related/<int:other_id>/link")
@login_required
def link(item_id: int, other_id: int) -> Response:
    item = item_or_404(item_id)
    other = item_or_404(other_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        links.link_by_hand(db(), item, other, g.officer, web().clock())
    except links.LinkError as error:
        db().rollback()
        flash(str(error), "error")
        return _back(item.id)
    db().commit()
    flash(f"Items #{item.id} and #{other.id} are linked.", "ok")
    return _back(item.id)


@bp.post("/items/<int:item_id>/related/<int:other_id>/unlink")
@login_required
def unlink(item_id: int, other_id: int) -> Response:
    item = item_or_404(item_id)
    other = item_or_404(other_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        links.unlink_by_hand(db(), item, other, g.officer, web().clock())
    except links.LinkError as error:
        db().rollback()
        flash(str(error), "error")
        return _back(item.id)
    db().commit()
    flash(
        f"Items #{item.id} and #{other.id} are no longer linked; they will not be linked again"
        " automatically.",
        "ok",
    )
    return _back(item.id)


@bp.get("/search")
@login_required
def search_form() -> Response:
    return _search_page(SearchForm(formdata=None))


@bp.post("/search")
@login_required
def search_results() -> Response:
    form = SearchForm()
    if not form.validate_on_submit():
        return _search_page(form, status=400)
    start = int(form.start.data) if form.start.data else None
    trail = (form.trail.data or "").split()
    try:
        page = search.search(db(), g.officer, web().keyring, form.q.data or "", start)
    except search.BadQuery as error:
        form.q.errors = [str(error)]
        return _search_page(form, status=400)
    db().commit()  # the audit event: counts only, never the words
    return _search_page(form, page=page, trail=trail)


def _search_page(
    form: SearchForm,
    status: int = 200,
    page: search.SearchPage | None = None,
    trail: list[str] | None = None,
) -> Response:
    response = web_response(
        render_template(
            "triage/search.html",
            form=form,
            page=page,
            trail=trail or [],
            page_size=search.PAGE_SIZE,
            scan_limit=search.SCAN_LIMIT,
            tier_info=web().rules.tiers,
            status_labels=STATUS_LABELS,
            categories=CATEGORIES,
        ),
        status,
    )
    return response


def web_response(body: str, status: int) -> Response:
    return Response(body, status=status, mimetype="text/html")

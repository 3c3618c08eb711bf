"""Downloading a file attached to an item's report or replies: checked, audited, never inline."""

from __future__ import annotations

import tempfile

from flask import Blueprint, abort, g, render_template, send_file
from werkzeug.wrappers import Response

from triage import files
from triage.access import login_required
from triage.audit import record
from triage.items import item_for_officer
from triage.sealing import FileDamaged, UnitCrypto
from triage.web import db, web

bp = Blueprint("files", __name__)

# Whatever a browser makes of the bytes, they must never run as a page of this site.
DOWNLOAD_CSP = "default-src 'none'; sandbox"


@bp.get("/items/<int:item_id>/attachments/<attachment_id>")
@login_required
def download(item_id: int, attachment_id: str) -> Response | tuple[str, int]:
    session = db()
    item = item_for_officer(session, item_id, g.officer)
    if item is None:
        session.commit()  # keep the access-denied event
        abort(404)
    context = web()
    descriptor = files.descriptor_for(session, UnitCrypto(context.keyring), item, attachment_id)
    if descriptor is None:
        record(
            session,
            "access-denied",
            officer_id=g.officer.id,
            item_id=item.id,
            detail={"attachment": attachment_id[:40], "reason": "not-named-by-item"},
        )
        session.commit()
        abort(404)
    # Opened into an unlinked temporary file and checked in full before a byte is sent, so a
    # damaged file is an error page, never half a download.
    target = tempfile.TemporaryFile(prefix="tipline-")  # noqa: SIM115 (send_file closes it)
    try:
        size = files.open_into(session, descriptor, target)
    except files.NotArrived:
        target.close()
        return _error(404, "Still arriving", "This file has not reached triage yet. Try later.")
    except FileDamaged as exc:
        target.close()
        record(
            session,
            "attachment-damaged",
            officer_id=g.officer.id,
            item_id=item.id,
            detail={"attachment": attachment_id, "error": str(exc)},
        )
        session.commit()
        return _error(
            500,
            "File cannot be opened",
            "This file is damaged or does not match what the reporter sent. Nothing was"
            " downloaded. Tell an administrator.",
        )
    except BaseException:
        target.close()
        raise
    record(
        session,
        "attachment-downloaded",
        officer_id=g.officer.id,
        item_id=item.id,
        detail={"attachment": attachment_id, "size": size},
        at=context.clock(),
    )
    session.commit()
    target.seek(0)
    response = send_file(
        target,
        mimetype="application/octet-stream",
        as_attachment=True,
        download_name=files.download_name(descriptor),
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["Content-Length"] = str(size)
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("triage/error.html", title=title, message=message), status

"""Forms of the related-reports screens: searching sealed reports (CSRF tokens from
flask-wtf; the link and unlink buttons post a bare CSRF form, ``triage.admin_forms.ActionForm``)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from triage.search import QUERY_MAX_LENGTH


class SearchForm(FlaskForm):
    """Words to find in the unit's reports. Posted, so the words never appear in a URL (and so
    in no browser history, proxy log or referrer)."""

    q = StringField(
        "Words to find",
        validators=[
            InputRequired("Type one or more words to search for."),
            Length(max=QUERY_MAX_LENGTH, message=f"Keep it under {QUERY_MAX_LENGTH} characters."),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        render_kw={"maxlength": QUERY_MAX_LENGTH, "autocomplete": "off", "spellcheck": "false"},
    )
    # Where this page starts (an item number; empty: the newest) and the starts of the pages
    # before it (space-separated, "top" for the first), for "Newer".
    start = HiddenField(validators=[Optional(), Regexp(r"^\d{1,12}$")])
    trail = HiddenField(
        validators=[Optional(), Length(max=2600), Regexp(r"^((top|\d{1,12})( |$)){0,200}$")]
    )

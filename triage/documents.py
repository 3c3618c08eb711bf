"""The documents a report envelope (``Purpose.REPORT``) may hold, told apart by ``schema``.

- ``tipline.report/1`` and ``tipline.report/2``: a report from the public form (version 2 may
  name an organization from the directory, or one typed as "not listed");
- ``tipline.referral/1``: an identified referral from a school, employer or agency.

Everything that opens a report envelope goes through ``decode``, so a referral reads like a
report everywhere (scoring, the item page, files, questions to the filer).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tipline import referral_schema, report_schema
from tipline.report_schema import ReportInvalid

REPORT = "report"
REFERRAL = "referral"


def decode(plaintext: bytes) -> dict[str, Any]:
    """Parse and validate an opened report envelope; raises ``ReportInvalid`` (which names the
    schema and fields, never values)."""
    document = report_schema.parse_json(plaintext)
    schema = document.get("schema") if isinstance(document, dict) else None
    if schema == referral_schema.SCHEMA_ID:
        return referral_schema.validate(document)
    if schema in report_schema.SCHEMA_IDS:
        return report_schema.validate(document)
    raise ReportInvalid("document has no known report or referral schema")


def kind_of(document: Mapping[str, Any]) -> str:
    return REFERRAL if document.get("schema") == referral_schema.SCHEMA_ID else REPORT


def fields_of(document: Mapping[str, Any]) -> Mapping[str, Any]:
    """What happened, as the scoring rules and routing read it: the ``report`` or ``referral``
    object (never the reporter's contact details or the filer)."""
    body = document[REFERRAL] if kind_of(document) == REFERRAL else document[REPORT]
    assert isinstance(body, Mapping)
    return body


def claimed_organization(document: Mapping[str, Any]) -> str | None:
    """The directory organization the document itself names (unverified): a report's
    ``organization.id``, a referral filer's ``organization_id``."""
    if kind_of(document) == REFERRAL:
        value = document["filer"].get("organization_id")
    else:
        value = (document.get("organization") or {}).get("id")
    return value if isinstance(value, str) and value else None

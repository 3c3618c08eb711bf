"""Real sealed reports for the benchmarks that start after the portal (intake, queue).

Each is built and sealed by the portal's own code (``portal.intake.build_document``,
``portal.sealing.ReportSealer``) to the run's unit key, exactly as a POST would. Only the
receipt derivation that fills ``reply_to`` runs at a low cost here: it is test data, and the
intake side never looks at it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from bench.client import REPORT_FIELDS
from portal.intake import build_document
from portal.receipts import ReceiptDeriver
from portal.sealing import ReportSealer

VARIANTS = (
    # (category, danger_now, weapons_access): a spread of tiers through the real rules
    ("threat_of_violence", "no", "yes"),
    ("bullying", "no", "no"),
    ("self_harm", "unsure", "no"),
    ("other", "no", "no"),
    ("online_posts", "unsure", "unsure"),
)


def report_fields(n: int) -> dict[str, str]:
    category, danger, weapons = VARIANTS[n % len(VARIANTS)]
    fields = {k: v for k, v in REPORT_FIELDS.items() if k != "contact_choice"}
    return fields | {"category": category, "danger_now": danger, "weapons_access": weapons}


def sealed_reports(public_key_dir: Path, count: int) -> list[tuple[str, bytes]]:
    """``count`` (envelope id, sealed envelope) pairs, as the portal would have sealed them."""
    sealer = ReportSealer(public_key_dir)
    receipts = ReceiptDeriver(b"bench-test-data", memory_kib=64, iterations=1)
    now = datetime.now(UTC)
    out = []
    for n in range(count):
        envelope_id = str(uuid.uuid4())
        document = build_document(
            envelope_id, now, report_fields(n), None, receipts.issue().reply_to()
        )
        out.append((envelope_id, sealer.seal_report(document)))
    return out

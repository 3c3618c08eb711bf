"""Notifications to people: pages, SLA escalations and their delivery.

- ``message``: what a notification says (``Notice``): the unit, the item's number, its tier and
  due time, the kind of alert and two links. Never anything from the report.
- ``tokens``: acknowledgement-link tokens (only their SHA-256 is stored).
- ``signing``: the HMAC-SHA256 signature of webhook bodies.
- ``channels``: console (development default), email over SMTP, signed webhook, SMS webhook.
- ``outbox``: ``Notification`` rows written with the alert, delivered after commit, retried
  with exponential back-off, then marked failed.
"""

from __future__ import annotations

from triage.notify.channels import DeliveryError
from triage.notify.message import Notice
from triage.notify.outbox import deliver_due, deliver_one, enqueue_delivery, queue_notification

__all__ = [
    "DeliveryError",
    "Notice",
    "deliver_due",
    "deliver_one",
    "enqueue_delivery",
    "queue_notification",
]

"""The queue contract: queue names, job names and argument shapes both sides agree on.

Jobs are named by dotted path (strings), so the side that enqueues never imports the side that
runs: the portal enqueues ``triage.jobs.ingest_envelope`` without importing ``triage``.
Payloads are JSON (``rq.serializers.JSONSerializer``) and carry only opaque ids and sealed
envelopes (base64). Job descriptions are set explicitly so that RQ's logs show an id, not args.
"""

from __future__ import annotations

import base64
import uuid

from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

INTAKE_QUEUE = "intake"
PORTAL_QUEUE = "portal"

# portal -> triage (queue "intake")
INGEST_ENVELOPE = "triage.jobs.ingest_envelope"  # a report or a reporter's reply
INGEST_ATTACHMENT = "triage.jobs.ingest_attachment"  # one sealed file named by such a document
RECORD_MESSAGE_DELIVERY = "triage.jobs.record_message_delivery"  # ack of store_message
# triage -> triage (queue "intake"): send notifications now that their alert is committed
DELIVER_NOTIFICATIONS = "triage.jobs.deliver_notifications"
# triage -> portal (queue "portal")
RECORD_ACKNOWLEDGEMENT = "portal.jobs.record_acknowledgement"  # ack of ingest_envelope
RECORD_ATTACHMENT_ACKNOWLEDGEMENT = "portal.jobs.record_attachment_acknowledgement"
STORE_MESSAGE = "portal.jobs.store_message"  # a message sealed to the reporter's key
RECORD_REPORT_STATUS = "portal.jobs.record_report_status"  # coarse status for the reporter
STORE_DIRECTORY = "portal.jobs.store_directory"  # organizations for the forms (tipline.directory)

# What each worker may run. Anything else is refused without being imported or executed.
INTAKE_ALLOWLIST = frozenset(
    {INGEST_ENVELOPE, INGEST_ATTACHMENT, RECORD_MESSAGE_DELIVERY, DELIVER_NOTIFICATIONS}
)
PORTAL_ALLOWLIST = frozenset(
    {
        RECORD_ACKNOWLEDGEMENT,
        RECORD_ATTACHMENT_ACKNOWLEDGEMENT,
        STORE_MESSAGE,
        RECORD_REPORT_STATUS,
        STORE_DIRECTORY,
    }
)

# Outcomes triage reports back in an acknowledgement.
ACK_STORED = "stored"  # opened, scored and queued (or already had it: idempotent)
ACK_DEAD_LETTER = "dead-letter"  # could not be opened or validated; kept for officers to see
ACK_OUTCOMES = frozenset({ACK_STORED, ACK_DEAD_LETTER})

# Outcomes the portal reports for a message to a reporter.
MESSAGE_STORED = "stored"  # in the reporter's mailbox
MESSAGE_NO_MAILBOX = "no-mailbox"  # the receipt expired or never existed: nobody can read it
MESSAGE_OUTCOMES = frozenset({MESSAGE_STORED, MESSAGE_NO_MAILBOX})

# The coarse status a reporter may see. Nothing about the subject or the decision.
REPORT_STATUSES = ("received", "in_review", "closed")

JOB_TIMEOUT_SECONDS = 120
# Sealed payloads may stay in Redis only as long as they are useful; the outbox re-sends.
RESULT_TTL_SECONDS = 0
FAILURE_TTL_SECONDS = 7 * 24 * 3600


def queue(name: str, connection: Redis) -> Queue:
    return Queue(name, connection=connection, serializer=JSONSerializer)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def enqueue_ingest(connection: Redis, envelope_id: str, envelope: bytes, attempt: int = 0) -> None:
    """Portal -> triage: deliver one sealed envelope (report or reply) for intake.

    Each delivery attempt gets its own job id: a job abandoned by a killed worker stays in RQ's
    started registry under its id, and a re-send must not be confused with it. Intake is
    idempotent by envelope id, so two attempts both arriving is harmless.
    """
    queue(INTAKE_QUEUE, connection).enqueue(
        INGEST_ENVELOPE,
        envelope_id,
        b64(envelope),
        job_id=f"ingest-{envelope_id}-{attempt}",
        description=f"ingest {envelope_id}",
        job_timeout=JOB_TIMEOUT_SECONDS,
        result_ttl=RESULT_TTL_SECONDS,
        failure_ttl=FAILURE_TTL_SECONDS,
    )


def enqueue_acknowledgement(connection: Redis, envelope_id: str, outcome: str) -> None:
    """Triage -> portal: the envelope is durably held by triage; stop re-sending it."""
    if outcome not in ACK_OUTCOMES:
        raise ValueError(f"unknown acknowledgement outcome {outcome!r}")
    queue(PORTAL_QUEUE, connection).enqueue(
        RECORD_ACKNOWLEDGEMENT,
        envelope_id,
        outcome,
        job_id=f"ack-{envelope_id}-{uuid.uuid4().hex[:8]}",
        description=f"ack {envelope_id}",
        job_timeout=JOB_TIMEOUT_SECONDS,
        result_ttl=RESULT_TTL_SECONDS,
        failure_ttl=FAILURE_TTL_SECONDS,
    )


def _enqueue(connection: Redis, queue_name: str, func: str, job_id: str, *args: object) -> None:
    queue(queue_name, connection).enqueue(
        func,
        *args,
        job_id=job_id,
        description=job_id,
        job_timeout=JOB_TIMEOUT_SECONDS,
        result_ttl=RESULT_TTL_SECONDS,
        failure_ttl=FAILURE_TTL_SECONDS,
    )


def enqueue_attachment(
    connection: Redis, attachment_id: str, sealed: bytes, attempt: int = 0
) -> None:
    """Portal -> triage: one sealed file (its key travels inside the sealed document)."""
    _enqueue(
        connection,
        INTAKE_QUEUE,
        INGEST_ATTACHMENT,
        f"attachment-{attachment_id}-{attempt}",
        attachment_id,
        b64(sealed),
    )


def enqueue_attachment_acknowledgement(connection: Redis, attachment_id: str) -> None:
    """Triage -> portal: the sealed file is durably held by triage; stop re-sending it."""
    _enqueue(
        connection,
        PORTAL_QUEUE,
        RECORD_ATTACHMENT_ACKNOWLEDGEMENT,
        f"attachment-ack-{attachment_id}-{uuid.uuid4().hex[:8]}",
        attachment_id,
    )


def enqueue_message(
    connection: Redis, message_id: str, report_envelope_id: str, sealed: bytes, attempt: int = 0
) -> None:
    """Triage -> portal: a message sealed to the reporter of ``report_envelope_id``."""
    _enqueue(
        connection,
        PORTAL_QUEUE,
        STORE_MESSAGE,
        f"message-{message_id}-{attempt}",
        message_id,
        report_envelope_id,
        b64(sealed),
    )


def enqueue_message_delivery(connection: Redis, message_id: str, outcome: str) -> None:
    """Portal -> triage: the message is in the reporter's mailbox (or there is no mailbox)."""
    if outcome not in MESSAGE_OUTCOMES:
        raise ValueError(f"unknown message delivery outcome {outcome!r}")
    _enqueue(
        connection,
        INTAKE_QUEUE,
        RECORD_MESSAGE_DELIVERY,
        f"message-ack-{message_id}-{uuid.uuid4().hex[:8]}",
        message_id,
        outcome,
    )


def enqueue_report_status(
    connection: Redis, report_envelope_id: str, status: str, changed_at: str
) -> None:
    """Triage -> portal: the coarse status the reporter sees. Best effort: the latest status is
    sent again whenever it changes or a message goes out, and the portal keeps the newest."""
    if status not in REPORT_STATUSES:
        raise ValueError(f"unknown report status {status!r}")
    _enqueue(
        connection,
        PORTAL_QUEUE,
        RECORD_REPORT_STATUS,
        f"status-{report_envelope_id}-{uuid.uuid4().hex[:8]}",
        report_envelope_id,
        status,
        changed_at,
    )


def enqueue_directory(connection: Redis, directory_json: str, version: int) -> None:
    """Triage -> portal: the public directory (``tipline.directory.encode`` output). Sent on
    every change and periodically; the portal keeps the newest version."""
    _enqueue(
        connection,
        PORTAL_QUEUE,
        STORE_DIRECTORY,
        f"directory-{version}-{uuid.uuid4().hex[:8]}",
        directory_json,
    )


def enqueue_notification_delivery(connection: Redis, notification_ids: list[str]) -> None:
    """Triage -> triage: send these notifications (opaque ids; nothing of a report)."""
    _enqueue(
        connection,
        INTAKE_QUEUE,
        DELIVER_NOTIFICATIONS,
        f"notify-{uuid.uuid4().hex}",
        list(notification_ids),
    )

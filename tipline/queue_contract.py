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

INGEST_ENVELOPE = "triage.jobs.ingest_envelope"
RECORD_ACKNOWLEDGEMENT = "portal.jobs.record_acknowledgement"

# What each worker may run. Anything else is refused without being imported or executed.
INTAKE_ALLOWLIST = frozenset({INGEST_ENVELOPE})
PORTAL_ALLOWLIST = frozenset({RECORD_ACKNOWLEDGEMENT})

# Outcomes triage reports back in an acknowledgement.
ACK_STORED = "stored"  # opened, scored and queued (or already had it: idempotent)
ACK_DEAD_LETTER = "dead-letter"  # could not be opened or validated; kept for officers to see
ACK_OUTCOMES = frozenset({ACK_STORED, ACK_DEAD_LETTER})

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

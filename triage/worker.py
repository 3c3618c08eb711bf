"""The intake worker process: an allowlisting RQ worker on queue "intake"."""

from __future__ import annotations

from tipline import logs
from tipline.queue_contract import INTAKE_ALLOWLIST, INTAKE_QUEUE
from tipline.settings import Settings
from tipline.workers import make_worker
from triage import jobs


def run(settings: Settings, burst: bool = False) -> None:
    """Work the intake queue (forever, or until it is empty with ``burst=True``).

    Keys and rules are loaded once here, before jobs are forked, so a broken rules file or key
    stops the worker at start rather than dead-lettering every report.
    """
    logs.configure(settings.log_level)
    context = jobs.configure(settings)
    worker = make_worker([INTAKE_QUEUE], INTAKE_ALLOWLIST, context.redis)
    worker.work(burst=burst)

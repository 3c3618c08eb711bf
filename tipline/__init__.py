"""Shared contract of Tipline's two services.

``portal`` and ``triage`` both depend on this package and never on each other. It holds what
both sides must agree on: settings loading (``settings``), the unit's keys (``keys``), the sealed
envelope format (``envelope``), the report document (``report_schema``), the queue contract
(``queue_contract``) and the allowlisting RQ workers (``workers``). The ``cli`` module is the
one place that knows both services exist.
"""

__all__ = [
    "db",
    "envelope",
    "keys",
    "logs",
    "queue_contract",
    "report_schema",
    "settings",
    "workers",
]

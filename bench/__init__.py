"""Tipline's benchmarks: each starts what it measures on this machine, prints one table, exits.

``python -m bench`` (or ``make bench``) runs them all; ``python -m bench submit queue`` runs
some; ``--help`` lists the options. Every figure stands beside a baseline measured in the same
run, because the machine is shared and absolute times drift.

1. ``submit``: the real report form under gunicorn vs a bare Flask form endpoint.
2. ``intake``: the intake worker vs RQ's no-op job throughput, same worker class.
3. ``e2e``: POST returned -> item visible in the queue, at half the submit capacity.
4. ``queue``: the officers' queue page and the "claim next" query at 1 thousand to 1 million
   stored items.
5. ``crypto``: sealing and opening per report size, and the receipt-code derivation.
"""

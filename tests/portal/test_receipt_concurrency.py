"""Concurrent receipt derivations finish (regression: two at once hung a gunicorn thread)."""

from __future__ import annotations

import threading

from portal.receipts import ReceiptDeriver


def test_four_threads_derive_at_production_cost() -> None:
    deriver = ReceiptDeriver(b"pepper-for-this-test", memory_kib=65536, iterations=3)
    results: dict[int, str] = {}

    def derive(index: int) -> None:
        results[index] = deriver.issue().lookup_id

    threads = [threading.Thread(target=derive, args=(i,), daemon=True) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a receipt derivation hung"
    assert len(set(results.values())) == 4

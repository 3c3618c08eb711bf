"""Load generators: a closed loop of K clients, and an open loop at a steady rate.

Both are bounded in time and in count, and run their clients as threads of this process
(which shares the machine's cores with the servers being measured: the tables say so).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

S = TypeVar("S")


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)  # seconds, started and ended in window
    finished: int = 0  # successful requests that ended within the window
    errors: int = 0
    seconds: float = 0.0  # length of the measured window
    first_error: str | None = None

    @property
    def throughput(self) -> float:
        return self.finished / self.seconds if self.seconds else float("nan")


def closed_loop(
    prepare: Callable[[], S],
    act: Callable[[S], None],
    clients: int,
    warmup: float,
    duration: float,
    max_requests: int = 200_000,
) -> LoadResult:
    """``clients`` threads each ``prepare`` a client, then ``act`` back to back.

    Throughput is the requests that end within the window (after the warm-up) over its length;
    latencies are those of the requests that also started within it. ``act`` raises on
    failure (counted as an error).
    """
    result = LoadResult(seconds=duration)
    lock = threading.Lock()
    window: dict[str, float] = {}
    issued = [0]

    def open_window() -> None:  # runs once every client is ready, before any is released
        now = time.perf_counter()
        window["start"] = now + warmup
        window["end"] = now + warmup + duration

    ready = threading.Barrier(clients + 1, action=open_window, timeout=120)

    def client() -> None:
        try:
            state = prepare()
        except Exception as exc:
            with lock:
                result.errors += 1
                result.first_error = result.first_error or f"prepare: {exc!r}"
            ready.abort()
            return
        try:
            ready.wait()
        except threading.BrokenBarrierError:
            return
        while True:
            start = time.perf_counter()
            if start >= window["end"]:
                return
            with lock:
                issued[0] += 1
                if issued[0] > max_requests:
                    return
            try:
                act(state)
            except Exception as exc:
                with lock:
                    if start >= window["start"]:
                        result.errors += 1
                        result.first_error = result.first_error or repr(exc)[:300]
                continue
            end = time.perf_counter()
            if window["start"] <= end <= window["end"]:
                with lock:
                    result.finished += 1
                    if start >= window["start"]:
                        result.latencies.append(end - start)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    try:
        ready.wait()
    except threading.BrokenBarrierError:
        for thread in threads:
            thread.join(timeout=60)
        return result
    for thread in threads:
        thread.join(timeout=warmup + duration + 120)
    return result


@dataclass
class Arrival(Generic[S]):
    scheduled: float  # perf_counter time the request was due
    started: float
    finished: float
    value: S | None  # what ``act`` returned (None on error)
    error: str | None


def open_loop(
    act: Callable[[], S],
    rate: float,
    duration: float,
    max_in_flight: int = 32,
) -> list[Arrival[S]]:
    """Start ``act`` at a steady ``rate`` per second for ``duration`` seconds.

    At most ``max_in_flight`` run at once; an arrival that finds them all busy waits (its
    ``started`` is later than ``scheduled``, which the caller can report).
    """
    count = max(1, round(rate * duration))
    interval = 1.0 / rate
    arrivals: list[Arrival[S]] = []
    lock = threading.Lock()

    def one(scheduled: float) -> None:
        started = time.perf_counter()
        try:
            value, error = act(), None
        except Exception as exc:
            value, error = None, repr(exc)[:300]
        finished = time.perf_counter()
        with lock:
            arrivals.append(Arrival(scheduled, started, finished, value, error))

    begin = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max_in_flight) as pool:
        for n in range(count):
            due = begin + n * interval
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, due)
    return sorted(arrivals, key=lambda a: a.scheduled)

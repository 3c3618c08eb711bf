"""What a benchmark run is asked to do: sizes, durations, workers and clients."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

DEFAULT_SIZES = (1_000, 100_000, 1_000_000)


@dataclass(frozen=True)
class Options:
    web_workers: int = os.cpu_count() or 2  # gunicorn workers per web app (N)
    clients: int = 8  # concurrent clients of the submit benchmark (K)
    warmup: float = 2.0  # seconds of load before measuring
    duration: float = 10.0  # seconds measured per configuration
    intake_jobs: int = 300  # jobs per intake measurement
    e2e_duration: float = 20.0  # seconds of steady load end to end
    sizes: tuple[int, ...] = DEFAULT_SIZES  # stored queue items
    samples: int = 60  # requests / queries timed per queue size
    crypto_seconds: float = 1.0  # time spent per cryptographic operation
    diagnostics: bool = True  # extra rows that explain a figure (labelled as such)
    # Receipt-code Argon2id cost. None = the production default. Only the smoke test lowers
    # it, and the tables then say so in their setup line.
    receipt_memory_kib: int | None = None
    receipt_iterations: int | None = None
    quick: bool = False

    def quick_version(self) -> Options:
        """Tiny sizes and short runs: checks that everything works, not how fast."""
        return replace(
            self,
            warmup=0.3,
            duration=1.0,
            intake_jobs=20,
            e2e_duration=1.0,
            sizes=tuple(size for size in (100, 1_000) if size <= max(self.sizes)) or (100,),
            samples=5,
            crypto_seconds=0.05,
            quick=True,
        )

    def receipt_overrides(self) -> dict[str, str]:
        overrides = {}
        if self.receipt_memory_kib is not None:
            overrides["TIPLINE_RECEIPT_ARGON2_MEMORY_KIB"] = str(self.receipt_memory_kib)
        if self.receipt_iterations is not None:
            overrides["TIPLINE_RECEIPT_ARGON2_ITERATIONS"] = str(self.receipt_iterations)
        return overrides

    def receipt_label(self, memory_kib: int, iterations: int) -> str:
        label = f"Argon2id {memory_kib // 1024 if memory_kib >= 1024 else memory_kib}"
        label += " MiB" if memory_kib >= 1024 else " KiB"
        label += f", {iterations} passes, 4 lanes"
        if self.receipt_memory_kib is not None or self.receipt_iterations is not None:
            label += " (LOWERED for this run: not the production cost)"
        return label

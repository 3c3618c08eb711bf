"""``python -m bench [NAME ...] [options]``: run the benchmarks and print their tables."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from bench.env import BenchEnv, BenchRefused
from bench.options import DEFAULT_SIZES, Options
from bench.table import RESULTS_DIR, Table

BENCHMARKS = {
    "submit": "bench.submit",
    "intake": "bench.intake",
    "e2e": "bench.end_to_end",
    "queue": "bench.queue_scale",
    "crypto": "bench.crypto",
}


def runner(name: str) -> Callable[[BenchEnv, Options], Table]:
    module = importlib.import_module(BENCHMARKS[name])
    run: Callable[[BenchEnv, Options], Table] = module.run
    return run


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError("sizes are whole numbers, e.g. 1000,100000") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("give at least one size of 1 or more")
    return tuple(sorted(set(sizes)))


def build_parser() -> argparse.ArgumentParser:
    defaults = Options()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"benchmarks to run (default: all): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, short runs")
    parser.add_argument(
        "--workers",
        type=int,
        default=defaults.web_workers,
        help="gunicorn workers per web app (default: CPU count)",
    )
    parser.add_argument(
        "--clients",
        type=int,
        default=defaults.clients,
        help="concurrent clients for the submit benchmark",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=defaults.duration,
        help="seconds measured per submit configuration",
    )
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=DEFAULT_SIZES,
        help="queue sizes, comma-separated (default: 1000,100000,1000000)",
    )
    parser.add_argument(
        "--no-diagnostics", action="store_true", help="skip the rows that only explain a figure"
    )
    parser.add_argument(
        "--wipe", action="store_true", help="allow emptying given databases that already hold rows"
    )
    return parser


def options_from(args: argparse.Namespace) -> Options:
    options = Options(
        web_workers=args.workers,
        clients=args.clients,
        duration=args.duration,
        sizes=args.sizes,
        diagnostics=not args.no_diagnostics,
    )
    return options.quick_version() if args.quick else options


def machine_line() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass

    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHMARKS)}")
    # Code measured in this process (diagnostics) logs like a worker would; keep the tables clean.
    logging.basicConfig(level=logging.ERROR)
    names = list(dict.fromkeys(args.names)) or list(BENCHMARKS)
    options = options_from(args)
    try:
        env = BenchEnv.start(wipe=args.wipe)
    except BenchRefused as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "latest.md").write_text("", encoding="utf-8")
    header = f"Tipline benchmarks: {machine_line()}; databases: {env.backend_label}."
    print(header + "\n", flush=True)
    (RESULTS_DIR / "latest.md").write_text(header + "\n\n", encoding="utf-8")
    started = time.monotonic()
    try:
        for name in names:
            begin = time.monotonic()
            table = runner(name)(env, replace(options))
            table.note(f"took {time.monotonic() - begin:.0f} s")
            table.print()
    finally:
        env.close()
    print(f"all benchmarks: {time.monotonic() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Every benchmark runs at a tiny size and prints its table, so that none of them rots.

Tiny sizes, short runs, no diagnostic rows and a cheap receipt derivation (the tables then say
"LOWERED"): this checks that the benchmarks work, not how fast anything is. ``make bench``
measures.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench import __main__ as bench_main
from bench.env import BenchEnv
from bench.options import Options

pytestmark = pytest.mark.slow

TINY = Options(
    web_workers=1,
    clients=2,
    diagnostics=False,
    receipt_memory_kib=64,
    receipt_iterations=1,
    sizes=(50, 200),
).quick_version()


@pytest.fixture(scope="module")
def bench_env() -> Iterator[BenchEnv]:
    env = BenchEnv.start(environ={})  # embedded Redis, SQLite: never the caller's services
    yield env
    env.close()


@pytest.mark.parametrize("name", list(bench_main.BENCHMARKS))
def test_benchmark_prints_its_table(name: str, bench_env: BenchEnv, capsys) -> None:
    table = bench_main.runner(name)(bench_env, TINY)
    table.print(save=False)
    out = capsys.readouterr().out
    assert out.startswith("### ")
    header, rule, *rows = [line for line in out.splitlines() if line.startswith("|")]
    assert "Figure" in header and set(rule) <= {"|", "-"}
    assert rows and all(row.count("|") == header.count("|") for row in rows)
    assert "LOWERED" in out or name in ("queue", "intake")


def test_command_line_names_and_sizes() -> None:
    args = bench_main.build_parser().parse_args(["queue", "--sizes", "1000,100_000", "--quick"])
    assert args.names == ["queue"] and args.sizes == (1000, 100_000)
    options = bench_main.options_from(args)
    assert options.quick and max(options.sizes) <= 100_000

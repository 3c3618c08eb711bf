"""Starting and stopping the processes a benchmark measures (web servers, RQ workers).

Each runs as its own process group, started with the run's environment; output goes to a log
file in the run's folder (shown if the process fails to start). Stopping sends SIGINT to the
group (gunicorn: quick shutdown; RQ: stop after the current job), then SIGKILL after a grace
period. Only processes started here are ever signalled.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from bench.env import python
from tipline.embedded_redis import free_port


class ProcessFailed(RuntimeError):
    pass


class Process:
    def __init__(self, name: str, args: Sequence[str], env: dict[str, str], log_dir: Path):
        self.name = name
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.popen = subprocess.Popen(
            list(args),
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=Path(__file__).resolve().parent.parent,
        )

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def fail(self, why: str) -> ProcessFailed:
        return ProcessFailed(f"{self.name}: {why}\n--- log ---\n{self.log_tail()}")

    def stop(self, grace: float = 10.0) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGINT)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        # Work horses or gunicorn workers left behind by a crash: same group, ours.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self._log.close()


class Server(Process):
    """A web app under gunicorn on a free loopback port; ready once ``ready_path`` answers."""

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        env: dict[str, str],
        log_dir: Path,
        port_variable: str,
        ready_path: str,
        timeout: float = 60.0,
    ) -> None:
        self.port = free_port()
        super().__init__(name, args, env | {port_variable: str(self.port)}, log_dir)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + timeout
        while True:
            if not self.alive():
                raise self.fail("exited during start")
            if time.monotonic() > deadline:
                self.stop()
                raise self.fail(f"did not answer {ready_path} within {timeout:.0f} s")
            if _answers(self.port, ready_path):
                return
            time.sleep(0.1)


def _answers(port: int, path: str) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        return conn.getresponse().status < 500
    except OSError:
        return False
    finally:
        conn.close()


def portal_server(env: dict[str, str], log_dir: Path, workers: int) -> Server:
    """The real portal, started exactly as in production (``tipline portal``)."""
    return Server(
        "portal",
        [python(), "-m", "tipline.cli", "portal"],
        env | {"TIPLINE_WEB_WORKERS": str(workers)},
        log_dir,
        "TIPLINE_PORTAL_PORT",
        "/report",
    )


def bare_server(env: dict[str, str], log_dir: Path, workers: int) -> Server:
    """The bare Flask baseline, under the same gunicorn options (``bench.bare``)."""
    return Server(
        "bare-flask",
        [python(), "-m", "bench.bare"],
        env | {"TIPLINE_WEB_WORKERS": str(workers)},
        log_dir,
        "TIPLINE_PORTAL_PORT",
        "/report",
    )


def triage_server(env: dict[str, str], log_dir: Path, workers: int) -> Server:
    """The officers' app, started exactly as in production (``tipline triage-web``)."""
    return Server(
        "triage-web",
        [python(), "-m", "tipline.cli", "triage-web"],
        env | {"TIPLINE_WEB_WORKERS": str(workers)},
        log_dir,
        "TIPLINE_TRIAGE_PORT",
        "/login",
    )


def worker(name: str, args: Sequence[str], env: dict[str, str], log_dir: Path) -> Process:
    return Process(name, [python(), *args], env, log_dir)


P = TypeVar("P", bound=Process)


@contextlib.contextmanager
def started(process: P) -> Iterator[P]:
    """``with started(portal_server(...)) as portal:`` stops the process on the way out."""
    try:
        yield process
    finally:
        process.stop()

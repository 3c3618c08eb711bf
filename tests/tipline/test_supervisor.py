"""``tipline run``: the whole system from one command, stopped by one Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.e2e.harness import csrf_token
from tipline.embedded_redis import free_port


def wait_for(url: str, timeout: float = 90) -> requests.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            response = requests.get(url, timeout=5)
            if response.status_code == 200:
                return response
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{url} did not come up")
        time.sleep(0.3)


def processes_started_for(data_dir: Path) -> list[int]:
    """PIDs whose environment or command line names this test's data folder."""
    needle = str(data_dir).encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            blob = (entry / "environ").read_bytes() + (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if needle in blob:
            found.append(int(entry.name))
    return found


@pytest.mark.slow
def test_run_starts_everything_and_ctrl_c_stops_it(tmp_path) -> None:
    portal_port, triage_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env |= {
        "TIPLINE_ENV": "development",
        "TIPLINE_DATA_DIR": str(tmp_path / "data"),
        "TIPLINE_PORTAL_PORT": str(portal_port),
        "TIPLINE_TRIAGE_PORT": str(triage_port),
        "TIPLINE_WEB_WORKERS": "1",
        "TIPLINE_RECEIPT_ARGON2_MEMORY_KIB": "1024",
        "TIPLINE_RECEIPT_ARGON2_ITERATIONS": "1",
    }
    log = (tmp_path / "run.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tipline.cli", "run"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        portal_url, triage_url = (
            f"http://127.0.0.1:{portal_port}",
            f"http://127.0.0.1:{triage_port}",
        )
        assert wait_for(f"{portal_url}/healthz").json() == {"database": "ok", "redis": "ok"}
        assert wait_for(f"{triage_url}/healthz").json() == {"database": "ok", "redis": "ok"}
        log.seek(0)
        output = log.read()
        password = re.search(r"password: (\S+)", output)
        assert password, output

        reporter = requests.Session()
        form = reporter.get(f"{portal_url}/report", timeout=10).text
        sent = reporter.post(
            f"{portal_url}/report",
            timeout=30,
            data={
                "csrf_token": csrf_token(form),
                "what_happened": "A test report from the supervisor test.",
                "category": "other",
                "danger_now": "yes",
                "weapons_access": "no",
                "contact_choice": "anonymous",
            },
        )
        assert sent.status_code == 200, sent.text[:300]

        officer = requests.Session()
        login = officer.get(f"{triage_url}/login", timeout=10).text
        officer.post(
            f"{triage_url}/login",
            timeout=30,
            data={
                "csrf_token": csrf_token(login),
                "username": "dev-officer",
                "password": password.group(1),
            },
        )
        deadline = time.monotonic() + 60
        while "/items/" not in officer.get(f"{triage_url}/queue", timeout=10).text:
            assert time.monotonic() < deadline, "the report never reached the queue"
            time.sleep(0.5)
        # A life-safety report pages the development on-call contact, in the worker's log.
        while "NOTIFICATION (console" not in (log.seek(0) or log.read()):
            assert time.monotonic() < deadline, "the on-call contact was never paged"
            time.sleep(0.5)
        log.seek(0)
        output = log.read()
        assert "| tier P1 |" in output
        assert "A test report from the supervisor test." not in output
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
        proc.wait(timeout=60)
    log.seek(0)
    children = subprocess.run(
        ["pgrep", "-f", str(tmp_path / "data")], capture_output=True, text=True
    )
    assert children.stdout.strip() == "", "processes left running after Ctrl-C"
    for port in (portal_port, triage_port):
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)

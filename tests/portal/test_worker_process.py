"""The portal worker as a real process: the relay runs on its own, and SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from portal.context import build_context
from tipline.embedded_redis import free_port
from tipline.queue_contract import INTAKE_QUEUE, queue
from tipline.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
REPORT = {
    "what_happened": "A message said 'you will all regret Monday'.",
    "category": "threat_of_violence",
    "danger_now": "unsure",
    "weapons_access": "unsure",
}


def wait_for(condition, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.slow
def test_running_worker_relays_and_stops_on_sigterm(env_vars, redis_conn):
    # A report accepted while Redis was down: it exists only in the outbox.
    down = load_settings(env_vars | {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    context = build_context(down)
    envelope_id = context.intake.submit(REPORT, None).envelope_id
    context.engine.dispose()
    context.redis.close()
    assert queue(INTAKE_QUEUE, redis_conn).count == 0

    env = os.environ | env_vars | {"TIPLINE_RELAY_INTERVAL_SECONDS": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from tipline.settings import load_settings; import portal.worker; "
            "portal.worker.run(load_settings())",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert wait_for(lambda: queue(INTAKE_QUEUE, redis_conn).count == 1), "relay never ran"
        assert queue(INTAKE_QUEUE, redis_conn).get_job_ids() == [f"ingest-{envelope_id}-0"]
        assert wait_for(lambda: redis_conn.scard("rq:workers") > 0), "worker never started"
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr.decode(errors="replace")[-2000:]
    assert wait_for(lambda: redis_conn.scard("rq:workers") == 0, 5)

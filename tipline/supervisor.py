"""``tipline run``: the whole system on one machine, for development and evaluation.

Steps, in order: start an embedded Redis unless ``REDIS_URL`` is set; generate development
unit keys if there are none; migrate both databases; on the first run create a development
officer and print its login once; then start the portal, the officers' app, the intake worker
and the portal worker as child processes. A child that dies is restarted (with back-off);
Ctrl-C or SIGTERM stops every process this started.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from types import FrameType

from tipline import keys as unit_keys
from tipline import schema_migrations
from tipline.embedded_redis import EmbeddedRedis
from tipline.settings import Settings

CHILDREN = {
    "portal": ["portal"],
    "officers-app": ["triage-web"],
    "intake-worker": ["worker", "intake"],
    "portal-worker": ["worker", "portal"],
}
DEV_CONTACTS = (
    ("Development on-call", "on-call@tipline.invalid", "on_call"),
    ("Development supervisor", "supervisor@tipline.invalid", "supervisor"),
)
DEV_OFFICER = "dev-officer"


@dataclass
class _Child:
    name: str
    args: list[str]
    process: subprocess.Popen[bytes] | None = None
    restarts: list[float] = field(default_factory=list)


class Supervisor:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.redis: EmbeddedRedis | None = None
        self.children = [_Child(name, args) for name, args in CHILDREN.items()]
        self._stopping = False
        self.exit_code = 0

    # -- preparation ---------------------------------------------------------------------

    def _say(self, text: str) -> None:
        print(f"[tipline] {text}", flush=True)

    def start_redis(self) -> str:
        if os.environ.get("REDIS_URL"):
            return os.environ["REDIS_URL"]
        self.redis = EmbeddedRedis(self.settings.data_dir / "redis")
        url = self.redis.start()
        self._say(f"embedded Redis on {url}")
        return url

    def ensure_keys(self) -> None:
        assert self.settings.public_key_dir and self.settings.private_key_dir
        if unit_keys.load_public_keys(self.settings.public_key_dir):
            return
        key = unit_keys.generate()
        unit_keys.save(key, self.settings.public_key_dir, self.settings.private_key_dir)
        self._say(f"generated development unit key {key.key_id}")

    def migrate(self) -> None:
        assert self.settings.portal_database_url and self.settings.triage_database_url
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        schema_migrations.upgrade("portal", self.settings.portal_database_url)
        schema_migrations.upgrade("triage", self.settings.triage_database_url)

    def ensure_dev_officer(self) -> None:
        marker = self.settings.data_dir / "dev-officer-created"
        if marker.exists():
            return
        from tipline.db import make_engine, transaction
        from triage import directory_admin
        from triage.audit import triage_sessions
        from triage.models import default_unit
        from triage.officers import add_officer

        password = "-".join(secrets.token_hex(3) for _ in range(4))
        engine = make_engine(self.settings.triage_database_url or "")
        try:
            with transaction(triage_sessions(engine, self.settings)) as session:
                add_officer(
                    session,
                    DEV_OFFICER,
                    password,
                    "admin",
                    memory_kib=self.settings.password_argon2_memory_kib,
                )
                # Someone to page: without an SMTP server these go to the intake worker's log.
                unit = default_unit(session).slug
                for name, address, purpose in DEV_CONTACTS:
                    directory_admin.add_unit_contact(session, unit, name, "email", address, purpose)
        finally:
            engine.dispose()
        marker.write_text("created; the password was printed once\n")
        self._say("created a development officer (shown once, write it down):")
        self._say(f"    username: {DEV_OFFICER}")
        self._say(f"    password: {password}")
        self._say("added development on-call and supervisor contacts (pages go to the log)")

    # -- children ------------------------------------------------------------------------

    def _spawn(self, child: _Child, env: dict[str, str]) -> None:
        cmd = [sys.executable, "-m", "tipline.cli", *child.args]
        child.process = subprocess.Popen(cmd, env=env, start_new_session=True)

    def _stop_children(self) -> None:
        for child in self.children:
            if child.process and child.process.poll() is None:
                os.killpg(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.process.pid, signal.SIGKILL)
                child.process.wait()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        try:
            env = dict(os.environ, REDIS_URL=self.start_redis(), TIPLINE_ENV=self.settings.env)
            env["TIPLINE_DATA_DIR"] = str(self.settings.data_dir)
            self.ensure_keys()
            self.migrate()
            self.ensure_dev_officer()
            for child in self.children:
                self._spawn(child, env)
            s = self.settings
            self._say(f"portal:        http://{s.portal_host}:{s.portal_port}/")
            self._say(f"officers' app: http://{s.triage_host}:{s.triage_port}/")
            self._say("press Ctrl-C to stop everything")
            while not self._stopping:
                time.sleep(0.5)
                self._restart_dead(env)
        finally:
            self._say("stopping")
            self._stop_children()
            if self.redis is not None:
                self.redis.stop()
        return self.exit_code

    def _restart_dead(self, env: dict[str, str]) -> None:
        now = time.monotonic()
        for child in self.children:
            if child.process is None or child.process.poll() is None or self._stopping:
                continue
            child.restarts = [t for t in child.restarts if now - t < 60]
            if len(child.restarts) >= 5:
                # Crashing in a loop: stop everything rather than run half a system quietly.
                self._say(f"{child.name} keeps crashing (see its errors above); stopping")
                self._stopping = True
                self.exit_code = 1
                return
            self._say(f"{child.name} exited with {child.process.returncode}; restarting")
            child.restarts.append(now)
            self._spawn(child, env)

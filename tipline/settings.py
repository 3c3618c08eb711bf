"""Settings: the environment, read in one place, into one frozen object.

Configuration flows one way: environment -> ``load_settings`` -> ``Settings`` -> the app
factories and workers. Nothing else in the code base reads ``os.environ`` for configuration.

In ``production`` every secret and every database URL must be given; a missing one is a
``SettingsError`` that names it. In ``development`` (the default, used by ``make run``) and
``test``, missing secrets are generated at random once and kept in ``<data dir>/dev-secrets.json``
(mode 0600), never hard-coded.

The portal needs only its own database, Redis, the unit's *public* keys and its own secrets
(``Settings.require_portal``). The triage side needs its database, Redis and the unit's
*private* keys (``Settings.require_triage``). Neither check asks for the other side's things.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ENVIRONMENTS = ("development", "test", "production")

# Every variable the loader reads, with a one-line description. The configuration reference in
# docs/configuration.md is checked against this table by a test.
VARIABLES: dict[str, str] = {
    "TIPLINE_ENV": "development (default), test or production",
    "TIPLINE_DATA_DIR": "folder for SQLite files, development keys and secrets (default ./data)",
    "PORTAL_DATABASE_URL": "SQLAlchemy URL of the portal database",
    "TRIAGE_DATABASE_URL": "SQLAlchemy URL of the triage database",
    "REDIS_URL": "Redis URL shared by both sides (queues and rate limits)",
    "TIPLINE_PUBLIC_KEY_DIR": "folder of the unit's public keys (*.pub); the portal seals to these",
    "TIPLINE_PRIVATE_KEY_DIR": "folder of the unit's private keys (*.key); triage only",
    "PORTAL_SECRET_KEY": "Flask secret of the portal (signs its CSRF cookie)",
    "TRIAGE_SECRET_KEY": "Flask secret of the officers' app",
    "TIPLINE_RECEIPT_PEPPER": "secret mixed into receipt-code derivation (portal only)",
    "TIPLINE_RULES_PATH": "scoring rules file (default config/rules.toml)",
    "TIPLINE_RELAY_AFTER_SECONDS": "re-enqueue an unacknowledged envelope after this long (60)",
    "TIPLINE_RELAY_INTERVAL_SECONDS": "how often the portal worker runs the relay (15)",
    "TIPLINE_MAX_BODY_BYTES": "largest request body the portal accepts (65536)",
    "TIPLINE_SUBMIT_RATE_LIMIT": "reports allowed per client (30 per minute;300 per hour)",
    "TIPLINE_RECEIPT_ARGON2_MEMORY_KIB": "Argon2id memory for receipt codes (65536)",
    "TIPLINE_RECEIPT_ARGON2_ITERATIONS": "Argon2id passes for receipt codes (3)",
    "TIPLINE_PASSWORD_ARGON2_MEMORY_KIB": "Argon2id memory for officer passwords (65536)",
    "TIPLINE_OFFICER_SESSION_MINUTES": "officers' idle session timeout in minutes (30)",
    "TIPLINE_PORTAL_HOST": "portal listen address (127.0.0.1)",
    "TIPLINE_PORTAL_PORT": "portal listen port (5000)",
    "TIPLINE_TRIAGE_HOST": "officers' app listen address (127.0.0.1)",
    "TIPLINE_TRIAGE_PORT": "officers' app listen port (5001)",
    "TIPLINE_WEB_WORKERS": "gunicorn worker processes per web app (2)",
    "TIPLINE_LOG_LEVEL": "log level (INFO)",
    "TIPLINE_ATTACHMENT_MAX_FILES": "files a reporter may attach to one report or reply (5)",
    "TIPLINE_ATTACHMENT_MAX_BYTES": "largest attachment in bytes (10485760)",
    "TIPLINE_RECEIPT_EXPIRY_DAYS": "idle days before a receipt and its mailbox expire (90)",
    "TIPLINE_REPORTER_SESSION_MINUTES": "reporters' idle follow-up session timeout in minutes (15)",
    "TIPLINE_CODE_RATE_LIMIT": "receipt-code attempts per client (10 per minute;60 per day)",
    "TIPLINE_CODE_GLOBAL_RATE_LIMIT": "receipt-code attempts across all clients (600 per minute)",
    "TIPLINE_OUTBOX_RETENTION_HOURS": "hours the portal keeps acknowledged sealed data (24)",
    "TIPLINE_DIRECTORY_PUBLISH_SECONDS": "how often triage re-publishes the directory (300)",
    "TIPLINE_PORTAL_URL": "public address of the portal, for referral links (http://127.0.0.1:5000)",
    "TIPLINE_PROXY_HOPS": "trusted reverse proxies in front of the portal (0)",
    "TIPLINE_AUDIT_KEY": "secret key of the audit log's hash chain (triage only)",
    "TIPLINE_BLIND_INDEX_KEY": "secret key of the related-report blind indexes (triage only)",
    "TIPLINE_WEBHOOK_SECRET": "secret that signs webhook notifications (triage only)",
    "TIPLINE_TRIAGE_URL": "address of the officers' app, for links in notifications"
    " (http://127.0.0.1:5001)",
    "TIPLINE_CLAIM_MINUTES": "how long an officer's claim on an item lasts unless renewed (30)",
    "TIPLINE_SCHEDULER_INTERVAL_SECONDS": "how often the intake worker runs the SLA and paging"
    " clock (30)",
    "TIPLINE_SLA_WARNING_PERCENT": "flag an open item when this share of its time is left (25)",
    "TIPLINE_PAGE_ACK_MINUTES": "minutes to wait for an acknowledgement before paging the next"
    " on-call contact (5)",
    "TIPLINE_NOTIFY_MAX_ATTEMPTS": "delivery attempts per notification before it is failed (8)",
    "TIPLINE_SMTP_HOST": "SMTP server for email notifications (empty: written to the console)",
    "TIPLINE_SMTP_PORT": "SMTP port (587)",
    "TIPLINE_SMTP_USERNAME": "SMTP login (empty: no login)",
    "TIPLINE_SMTP_PASSWORD": "SMTP password",
    "TIPLINE_SMTP_STARTTLS": "use STARTTLS with the SMTP server: true (default) or false",
    "TIPLINE_SMTP_FROM": "sender address of email notifications (tipline@localhost)",
    "TIPLINE_SMS_WEBHOOK_URL": "SMS gateway webhook for phone contacts (empty: console)",
}

_SECRET_NAMES = (
    "PORTAL_SECRET_KEY",
    "TRIAGE_SECRET_KEY",
    "TIPLINE_RECEIPT_PEPPER",
    "TIPLINE_AUDIT_KEY",
    "TIPLINE_BLIND_INDEX_KEY",
    "TIPLINE_WEBHOOK_SECRET",
)
_REPO_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(RuntimeError):
    """The environment does not describe a runnable configuration; the message says why."""


@dataclass(frozen=True)
class Settings:
    env: str
    data_dir: Path
    portal_database_url: str | None
    triage_database_url: str | None
    redis_url: str | None
    public_key_dir: Path | None
    private_key_dir: Path | None
    portal_secret_key: str | None
    triage_secret_key: str | None
    receipt_pepper: bytes | None
    rules_path: Path
    relay_after_seconds: int = 60
    relay_interval_seconds: int = 15
    max_body_bytes: int = 65536
    submit_rate_limit: str = "30 per minute;300 per hour"
    receipt_argon2_memory_kib: int = 65536
    receipt_argon2_iterations: int = 3
    password_argon2_memory_kib: int = 65536
    officer_session_minutes: int = 30
    portal_host: str = "127.0.0.1"
    portal_port: int = 5000
    triage_host: str = "127.0.0.1"
    triage_port: int = 5001
    web_workers: int = 2
    log_level: str = "INFO"
    proxy_hops: int = 0
    attachment_max_files: int = 5
    attachment_max_bytes: int = 10 * 1024 * 1024
    receipt_expiry_days: int = 90
    reporter_session_minutes: int = 15
    code_rate_limit: str = "10 per minute;60 per day"
    code_global_rate_limit: str = "600 per minute"
    outbox_retention_hours: int = 24
    directory_publish_seconds: int = 300
    portal_url: str = "http://127.0.0.1:5000"
    audit_key: bytes | None = None
    blind_index_key: bytes | None = None
    webhook_secret: bytes | None = None
    triage_url: str = "http://127.0.0.1:5001"
    claim_minutes: int = 30
    scheduler_interval_seconds: int = 30
    sla_warning_percent: int = 25
    page_ack_minutes: int = 5
    notify_max_attempts: int = 8
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    smtp_from: str = "tipline@localhost"
    sms_webhook_url: str = ""

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def require_portal(self) -> Settings:
        """Raise ``SettingsError`` unless the portal can run; return self for chaining."""
        _require(
            self,
            {
                "PORTAL_DATABASE_URL": self.portal_database_url,
                "REDIS_URL": self.redis_url,
                "TIPLINE_PUBLIC_KEY_DIR": self.public_key_dir,
                "PORTAL_SECRET_KEY": self.portal_secret_key,
                "TIPLINE_RECEIPT_PEPPER": self.receipt_pepper,
            },
        )
        return self

    def require_triage(self) -> Settings:
        """Raise ``SettingsError`` unless the triage side can run; return self for chaining."""
        _require(
            self,
            {
                "TRIAGE_DATABASE_URL": self.triage_database_url,
                "REDIS_URL": self.redis_url,
                "TIPLINE_PRIVATE_KEY_DIR": self.private_key_dir,
                "TRIAGE_SECRET_KEY": self.triage_secret_key,
                "TIPLINE_AUDIT_KEY": self.audit_key,
                "TIPLINE_BLIND_INDEX_KEY": self.blind_index_key,
                "TIPLINE_WEBHOOK_SECRET": self.webhook_secret,
            },
        )
        return self


def _require(settings: Settings, values: Mapping[str, object]) -> None:
    missing = [name for name, value in values.items() if value in (None, "", b"")]
    if missing:
        raise SettingsError(
            f"missing configuration for {settings.env}: {', '.join(missing)}. "
            "Set these environment variables (see docs/configuration.md)."
        )


def _int(environ: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = environ.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _bool(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (environ.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _dev_secrets(data_dir: Path) -> dict[str, str]:
    """Random development secrets, generated once per data folder and kept there (0600)."""
    path = data_dir / "dev-secrets.json"
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())
    else:
        stored = {}
    changed = False
    for name in _SECRET_NAMES:
        if name not in stored:
            stored[name] = secrets.token_urlsafe(32)
            changed = True
    if changed:
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(stored, handle)
        tmp.replace(path)
    return stored


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build ``Settings`` from ``environ`` (default: ``os.environ``).

    Raises ``SettingsError`` for malformed values. Missing values are only an error when a
    service asks for them (``require_portal`` / ``require_triage``), so that the portal can
    start without anything that belongs to triage.
    """
    env = dict(os.environ if environ is None else environ)
    mode = env.get("TIPLINE_ENV", "development") or "development"
    if mode not in ENVIRONMENTS:
        raise SettingsError(f"TIPLINE_ENV must be one of {', '.join(ENVIRONMENTS)}, got {mode!r}")
    production = mode == "production"
    data_dir = Path(env.get("TIPLINE_DATA_DIR") or (_REPO_ROOT / "data")).resolve()

    def path_or_default(name: str, default: Path | None) -> Path | None:
        raw = env.get(name)
        if raw:
            return Path(raw).resolve()
        return None if production else default

    secret_values = {name: env.get(name) or None for name in _SECRET_NAMES}
    if not production and not all(secret_values.values()):
        generated = _dev_secrets(data_dir)
        secret_values = {name: value or generated[name] for name, value in secret_values.items()}

    def db_url(name: str, filename: str) -> str | None:
        if env.get(name):
            return env[name]
        return None if production else f"sqlite:///{data_dir / filename}"

    pepper = secret_values["TIPLINE_RECEIPT_PEPPER"]

    def secret_bytes(name: str) -> bytes | None:
        value = secret_values[name]
        return value.encode() if value else None

    rules = env.get("TIPLINE_RULES_PATH")
    return Settings(
        env=mode,
        data_dir=data_dir,
        portal_database_url=db_url("PORTAL_DATABASE_URL", "portal.db"),
        triage_database_url=db_url("TRIAGE_DATABASE_URL", "triage.db"),
        redis_url=env.get("REDIS_URL") or (None if production else "redis://127.0.0.1:6379/0"),
        public_key_dir=path_or_default("TIPLINE_PUBLIC_KEY_DIR", data_dir / "keys" / "public"),
        private_key_dir=path_or_default("TIPLINE_PRIVATE_KEY_DIR", data_dir / "keys" / "private"),
        portal_secret_key=secret_values["PORTAL_SECRET_KEY"],
        triage_secret_key=secret_values["TRIAGE_SECRET_KEY"],
        receipt_pepper=pepper.encode() if pepper else None,
        rules_path=Path(rules).resolve() if rules else _REPO_ROOT / "config" / "rules.toml",
        relay_after_seconds=_int(env, "TIPLINE_RELAY_AFTER_SECONDS", 60),
        relay_interval_seconds=_int(env, "TIPLINE_RELAY_INTERVAL_SECONDS", 15, minimum=1),
        max_body_bytes=_int(env, "TIPLINE_MAX_BODY_BYTES", 65536, minimum=4096),
        submit_rate_limit=env.get("TIPLINE_SUBMIT_RATE_LIMIT") or "30 per minute;300 per hour",
        receipt_argon2_memory_kib=_int(env, "TIPLINE_RECEIPT_ARGON2_MEMORY_KIB", 65536, 8),
        receipt_argon2_iterations=_int(env, "TIPLINE_RECEIPT_ARGON2_ITERATIONS", 3, 1),
        password_argon2_memory_kib=_int(env, "TIPLINE_PASSWORD_ARGON2_MEMORY_KIB", 65536, 8),
        officer_session_minutes=_int(env, "TIPLINE_OFFICER_SESSION_MINUTES", 30, 1),
        portal_host=env.get("TIPLINE_PORTAL_HOST") or "127.0.0.1",
        portal_port=_int(env, "TIPLINE_PORTAL_PORT", 5000, 1),
        triage_host=env.get("TIPLINE_TRIAGE_HOST") or "127.0.0.1",
        triage_port=_int(env, "TIPLINE_TRIAGE_PORT", 5001, 1),
        web_workers=_int(env, "TIPLINE_WEB_WORKERS", 2, 1),
        log_level=(env.get("TIPLINE_LOG_LEVEL") or "INFO").upper(),
        proxy_hops=_int(env, "TIPLINE_PROXY_HOPS", 0),
        attachment_max_files=_int(env, "TIPLINE_ATTACHMENT_MAX_FILES", 5),
        attachment_max_bytes=_int(env, "TIPLINE_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, 1),
        receipt_expiry_days=_int(env, "TIPLINE_RECEIPT_EXPIRY_DAYS", 90, 1),
        reporter_session_minutes=_int(env, "TIPLINE_REPORTER_SESSION_MINUTES", 15, 1),
        code_rate_limit=env.get("TIPLINE_CODE_RATE_LIMIT") or "10 per minute;60 per day",
        code_global_rate_limit=env.get("TIPLINE_CODE_GLOBAL_RATE_LIMIT") or "600 per minute",
        outbox_retention_hours=_int(env, "TIPLINE_OUTBOX_RETENTION_HOURS", 24),
        directory_publish_seconds=_int(env, "TIPLINE_DIRECTORY_PUBLISH_SECONDS", 300, 5),
        portal_url=(env.get("TIPLINE_PORTAL_URL") or "http://127.0.0.1:5000").rstrip("/"),
        audit_key=secret_bytes("TIPLINE_AUDIT_KEY"),
        blind_index_key=secret_bytes("TIPLINE_BLIND_INDEX_KEY"),
        webhook_secret=secret_bytes("TIPLINE_WEBHOOK_SECRET"),
        triage_url=(env.get("TIPLINE_TRIAGE_URL") or "http://127.0.0.1:5001").rstrip("/"),
        claim_minutes=_int(env, "TIPLINE_CLAIM_MINUTES", 30, 1),
        scheduler_interval_seconds=_int(env, "TIPLINE_SCHEDULER_INTERVAL_SECONDS", 30, 1),
        sla_warning_percent=_int(env, "TIPLINE_SLA_WARNING_PERCENT", 25, 0),
        page_ack_minutes=_int(env, "TIPLINE_PAGE_ACK_MINUTES", 5, 1),
        notify_max_attempts=_int(env, "TIPLINE_NOTIFY_MAX_ATTEMPTS", 8, 1),
        smtp_host=env.get("TIPLINE_SMTP_HOST") or "",
        smtp_port=_int(env, "TIPLINE_SMTP_PORT", 587, 1),
        smtp_username=env.get("TIPLINE_SMTP_USERNAME") or "",
        smtp_password=env.get("TIPLINE_SMTP_PASSWORD") or "",
        smtp_starttls=_bool(env, "TIPLINE_SMTP_STARTTLS", True),
        smtp_from=env.get("TIPLINE_SMTP_FROM") or "tipline@localhost",
        sms_webhook_url=env.get("TIPLINE_SMS_WEBHOOK_URL") or "",
    )

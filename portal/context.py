"""The objects one portal app uses, built once from settings and kept in ``app.extensions``.

Building them touches neither the network nor the disk: engines
and Redis clients connect lazily, and the sealer reads the key folder on first use.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from portal.directory import DirectoryReader
from portal.followup import FollowUpService, answer_floor_for
from portal.intake import ReportIntake
from portal.receipts import ReceiptDeriver
from portal.replies import ReplyIntake
from portal.reporter_sessions import ReporterSessions
from portal.sealing import ReportSealer
from portal.uploads import UploadLimits
from tipline.db import make_engine, session_factory
from tipline.settings import Settings

EXTENSION = "tipline_portal"


def redis_client(url: str) -> Redis:
    """A Redis client that fails fast instead of hanging a request when Redis is away."""
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


@dataclass(frozen=True)
class PortalContext:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    redis: Redis
    intake: ReportIntake
    followup: FollowUpService
    replies: ReplyIntake
    upload_limits: UploadLimits
    directory: DirectoryReader


def build_context(settings: Settings) -> PortalContext:
    assert settings.portal_database_url and settings.redis_url and settings.receipt_pepper
    # hide_parameters: an error logged by SQLAlchemy never carries the values it was writing.
    engine = make_engine(settings.portal_database_url, hide_parameters=True)
    sessions = session_factory(engine)
    redis = redis_client(settings.redis_url)
    sealer = ReportSealer(settings.public_key_dir)
    receipts = ReceiptDeriver(
        settings.receipt_pepper,
        memory_kib=settings.receipt_argon2_memory_kib,
        iterations=settings.receipt_argon2_iterations,
    )
    intake = ReportIntake(session_factory=sessions, sealer=sealer, receipts=receipts, redis=redis)
    followup = FollowUpService(
        session_factory=sessions,
        receipts=receipts,
        sessions=ReporterSessions(redis, settings.reporter_session_minutes),
        expiry_days=settings.receipt_expiry_days,
        answer_floor_seconds=answer_floor_for(settings),
    )
    replies = ReplyIntake(session_factory=sessions, sealer=sealer, redis=redis)
    limits = UploadLimits(settings.attachment_max_files, settings.attachment_max_bytes)
    return PortalContext(
        settings,
        engine,
        sessions,
        redis,
        intake,
        followup,
        replies,
        limits,
        DirectoryReader(sessions),
    )


def init_context(app: Flask, settings: Settings) -> PortalContext:
    context = build_context(settings)
    app.extensions[EXTENSION] = context
    return context


def current_context() -> PortalContext:
    context: PortalContext = current_app.extensions[EXTENSION]
    return context

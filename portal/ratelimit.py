"""Rate limit on report submissions, without remembering who anyone is.

The limit (``settings.submit_rate_limit``, e.g. "30 per minute;300 per hour") counts *accepted*
reports (a form sent back with a mistake costs nothing) per client. The client is identified
by HMAC-SHA256 of its address under a random secret that changes every UTC day:

- the secret for a day is created once in Redis (``SET NX``, expiring after two days) so that
  every web process agrees on it, and cached in each process;
- counters in Redis are keyed by that HMAC; the raw address is never written to Redis, a log or
  the database;
- once a day's secret has expired, nobody (not even someone holding all of Redis) can link that
  day's counters to addresses. While it lives, someone holding Redis could test guessed
  addresses one at a time; the two-day lifetime bounds that window.

When Redis is unreachable the limiter's errors are swallowed and the report goes through:
refusing a report about someone in danger because a counter is unavailable is the worse
failure. The outbox accepts the report without Redis too (``portal.outbox``).

Over the limit, the reporter gets a 429 with ``Retry-After`` and their form back, text intact,
with a plain note to wait (and to call 911 if someone is in danger).

Referrals (``/refer``) and replies sent from a follow-up session have the same limit as reports
(each its own counter, same client keys).

Receipt-code attempts (``POST /follow-up``) are limited too, and *every* attempt counts, right
or wrong: per client (``settings.code_rate_limit``, same daily HMAC keys) and across all clients
(``settings.code_global_rate_limit``), so that nobody can try codes at scale.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

from flask import Flask, render_template, request
from flask_limiter import Limiter, RateLimitExceeded
from redis import Redis
from werkzeug.wrappers import Response

from portal.followup_forms import CodeForm
from portal.followup_views import REPLY_ENDPOINT, SIGN_IN_ENDPOINT
from portal.forms import ReportForm
from portal.pages import Page, render_page
from portal.referral_forms import ReferralForm
from portal.referral_views import REFER_ENDPOINT, render_referral_form
from portal.views import REPORT_ENDPOINT, render_report_form
from tipline.settings import Settings

SECRET_KEY_PREFIX = "tipline:portal:ratelimit-secret:"  # noqa: S105 (a Redis key name)
SECRET_TTL_SECONDS = 2 * 24 * 3600
LIMITER_KEY_PREFIX = "tipline-portal"
ACCEPTED_STATUS = 200
RATE_LIMITED_PAGE = Page(
    "Please wait a little",
    "Several reports were sent from this connection in a short time. Please wait a few minutes "
    "and try again.",
    not_sent=True,
)

RATE_LIMITED_REPLY_PAGE = Page(
    "Please wait a little",
    "Several messages were sent from this connection in a short time, so this answer has not "
    "been sent. Please wait a few minutes, then go back to your messages and send it again.",
)


class DailyClientKeyer:
    """Opaque per-day client keys: HMAC-SHA256(address) under a daily random secret."""

    def __init__(self, redis: Redis, today: Callable[[], date] | None = None) -> None:
        self._redis = redis
        self._today = today or (lambda: datetime.now(UTC).date())
        self._lock = threading.Lock()
        self._cached: tuple[date, bytes] | None = None

    def secret_for(self, day: date) -> bytes:
        with self._lock:
            if self._cached and self._cached[0] == day:
                return self._cached[1]
            name = SECRET_KEY_PREFIX + day.isoformat()
            candidate = secrets.token_bytes(32)
            # The first process to ask creates the day's secret; everyone else reads it.
            self._redis.set(name, candidate, nx=True, ex=SECRET_TTL_SECONDS)
            stored = self._redis.get(name)
            secret = bytes(stored) if stored else candidate
            self._cached = (day, secret)
            return secret

    def key_for(self, address: str) -> str:
        secret = self.secret_for(self._today())
        return hmac.new(secret, address.encode("utf-8"), hashlib.sha256).hexdigest()


def _retry_after_seconds(limiter: Limiter, error: Exception) -> int:
    current = limiter.current_limit
    if current is not None:
        try:
            return max(1, math.ceil(current.reset_at - time.time()))
        except Exception:  # storage vanished between the check and now: use the window
            current = None
    if isinstance(error, RateLimitExceeded):
        return max(1, int(error.limit.limit.get_expiry()))
    return 60


def init_ratelimit(app: Flask, settings: Settings, redis: Redis) -> Limiter:
    """Limit accepted report submissions per client; see the module docstring."""
    keyer = DailyClientKeyer(redis)
    limiter = Limiter(
        key_func=lambda: keyer.key_for(request.remote_addr or "unknown"),
        storage_uri=settings.redis_url,
        storage_options={"connection_pool": redis.connection_pool},
        key_prefix=LIMITER_KEY_PREFIX,
        strategy="fixed-window",
        swallow_errors=True,  # Redis down: never refuse a report because of the counter
        headers_enabled=False,
    )
    limiter.init_app(app)
    submit_limit = limiter.limit(
        settings.submit_rate_limit,
        methods=["POST"],
        deduct_when=lambda response: response.status_code == ACCEPTED_STATUS,
    )
    app.view_functions[REPORT_ENDPOINT] = submit_limit(app.view_functions[REPORT_ENDPOINT])
    referral_limit = limiter.limit(
        settings.submit_rate_limit,
        methods=["POST"],
        deduct_when=lambda response: response.status_code == ACCEPTED_STATUS,
    )
    app.view_functions[REFER_ENDPOINT] = referral_limit(app.view_functions[REFER_ENDPOINT])
    reply_limit = limiter.limit(
        settings.submit_rate_limit,
        methods=["POST"],
        deduct_when=lambda response: response.status_code == ACCEPTED_STATUS,
    )
    app.view_functions[REPLY_ENDPOINT] = reply_limit(app.view_functions[REPLY_ENDPOINT])
    code_per_client = limiter.limit(settings.code_rate_limit, methods=["POST"])
    code_everyone = limiter.limit(
        settings.code_global_rate_limit,
        methods=["POST"],
        key_func=lambda: "all-clients",
        scope="receipt-code-global",
    )
    app.view_functions[SIGN_IN_ENDPOINT] = code_everyone(
        code_per_client(app.view_functions[SIGN_IN_ENDPOINT])
    )

    @app.errorhandler(429)
    def too_many(error: Exception) -> Response:
        wait = _retry_after_seconds(limiter, error)
        minutes = math.ceil(wait / 60)
        if request.endpoint == REPORT_ENDPOINT:
            body = render_report_form(ReportForm(), rate_limited_minutes=minutes)
            response = Response(body, status=429, mimetype="text/html")
        elif request.endpoint == REFER_ENDPOINT:
            token = (request.view_args or {}).get("token")
            body = render_referral_form(ReferralForm(), token, rate_limited_minutes=minutes)
            response = Response(body, status=429, mimetype="text/html")
        elif request.endpoint == SIGN_IN_ENDPOINT:
            body = render_template(
                "portal/followup.html", form=CodeForm(), rate_limited_minutes=minutes
            )
            response = Response(body, status=429, mimetype="text/html")
        elif request.endpoint == REPLY_ENDPOINT:
            kept = (request.form.get("text") or "").strip()
            response = render_page(RATE_LIMITED_REPLY_PAGE, 429, kept_text=kept)
        else:
            response = render_page(RATE_LIMITED_PAGE, 429)
        response.headers["Retry-After"] = str(wait)
        return response

    return limiter

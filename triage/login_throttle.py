"""Failed logins are counted per username, so a password cannot be guessed at speed.

After ``MAX_FAILURES`` failed attempts within ``WINDOW_SECONDS`` the account's logins are
refused (429) until the window has passed, *before* any password is checked, so refused
guesses learn nothing and cost no Argon2id work. The count lives in Redis under a hash of the
lower-cased username and expires on its own; a successful login clears it. If Redis is down
the throttle steps aside (officers must still be able to log in during an incident) and says
so in the log.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger("triage.login_throttle")

MAX_FAILURES = 10
WINDOW_SECONDS = 15 * 60
_PREFIX = "tipline:triage:login-failures:"


def _key(username: str) -> str:
    return _PREFIX + hashlib.sha256(username.strip().lower().encode()).hexdigest()


def retry_after(redis: Redis, username: str) -> int:
    """Seconds until this username may try again; 0 when it may try now."""
    try:
        failures = int(redis.get(_key(username)) or 0)
        if failures < MAX_FAILURES:
            return 0
        return max(1, int(redis.ttl(_key(username))))
    except RedisError as exc:
        log.warning("login throttle unavailable (%s)", exc.__class__.__name__)
        return 0


def record_failure(redis: Redis, username: str) -> None:
    try:
        with redis.pipeline() as pipe:
            pipe.incr(_key(username))
            pipe.expire(_key(username), WINDOW_SECONDS, nx=True)
            pipe.execute()
    except RedisError as exc:
        log.warning("login throttle unavailable (%s)", exc.__class__.__name__)


def clear(redis: Redis, username: str) -> None:
    with contextlib.suppress(RedisError):  # an expiring counter; nothing is lost
        redis.delete(_key(username))

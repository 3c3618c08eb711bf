"""Rate limit: counts accepted reports per client, answers 429 kindly, remembers no address."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from redis import Redis

from portal.ratelimit import DailyClientKeyer
from tests.portal.conftest import Reporter
from tipline.embedded_redis import free_port

ADDRESS = "203.0.113.77"


def everything_in(redis_conn: Redis) -> bytes:
    """Every key and every value Redis holds, as one blob to search."""
    blob = []
    for key in redis_conn.scan_iter("*"):
        blob.append(key)
        kind = redis_conn.type(key)
        if kind == b"string":
            blob.append(redis_conn.get(key) or b"")
        elif kind == b"hash":
            for field, value in redis_conn.hgetall(key).items():
                blob += [field, value]
        elif kind == b"list":
            blob += redis_conn.lrange(key, 0, -1)
        elif kind == b"set":
            blob += list(redis_conn.smembers(key))
        elif kind == b"zset":
            blob += [member for member, _ in redis_conn.zrange(key, 0, -1, withscores=True)]
    return b"\n".join(blob)


def limited_reporter(make_settings, client_factory, address: str = ADDRESS) -> Reporter:
    client = client_factory(make_settings(TIPLINE_SUBMIT_RATE_LIMIT="2 per minute"))
    client.environ_base["REMOTE_ADDR"] = address
    return Reporter(client)


def test_third_report_in_a_minute_gets_429_with_the_text_kept(
    make_settings, client_factory, rows, redis_conn
):
    reporter = limited_reporter(make_settings, client_factory)
    assert reporter.submit().status_code == 200
    assert reporter.submit().status_code == 200
    response = reporter.submit(what_happened="Third report, please keep my words.")
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 61
    assert "Third report, please keep my words." in page
    assert "call 911" in page
    assert len(rows.outbox()) == 2

    assert reporter.client.get("/report").status_code == 200  # reading the form is not limited
    other = limited_reporter(make_settings, client_factory, address="198.51.100.4")
    assert other.submit().status_code == 200  # another client has its own allowance

    stored = everything_in(redis_conn)
    assert b"LIMITER" in stored or b"tipline-portal" in stored  # the limiter really used Redis
    assert ADDRESS.encode() not in stored
    assert b"198.51.100.4" not in stored


def test_forms_sent_back_with_mistakes_do_not_count(make_settings, client_factory, rows):
    reporter = limited_reporter(make_settings, client_factory)
    for _ in range(4):
        assert reporter.submit(what_happened="").status_code == 422
    assert reporter.submit().status_code == 200
    assert reporter.submit().status_code == 200
    assert reporter.submit().status_code == 429


def test_proxy_hops_take_the_address_from_the_trusted_proxy(
    make_settings, client_factory, rows, redis_conn
):
    client = client_factory(
        make_settings(TIPLINE_SUBMIT_RATE_LIMIT="1 per minute", TIPLINE_PROXY_HOPS="1")
    )
    client.environ_base["REMOTE_ADDR"] = "10.0.0.1"  # the proxy
    first = Reporter(client)
    client.environ_base["HTTP_X_FORWARDED_FOR"] = ADDRESS
    assert first.submit().status_code == 200
    assert first.submit().status_code == 429
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.9"
    assert first.submit().status_code == 200  # a different client behind the same proxy
    assert ADDRESS.encode() not in everything_in(redis_conn)


def test_redis_down_never_refuses_a_report(make_settings, client_factory, rows, caplog):
    settings = make_settings(
        TIPLINE_SUBMIT_RATE_LIMIT="1 per minute", REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"
    )
    client = client_factory(settings)
    client.environ_base["REMOTE_ADDR"] = ADDRESS
    reporter = Reporter(client)
    with caplog.at_level(logging.DEBUG):
        assert reporter.submit(what_happened="canary-narrative-7731").status_code == 200
        assert reporter.submit().status_code == 200
    assert len(rows.outbox()) == 2
    assert "Redis unavailable" in caplog.text  # the outbox noted it will relay later
    assert ADDRESS not in caplog.text
    assert "canary-narrative-7731" not in caplog.text


def test_client_keys_rotate_daily_and_agree_across_processes(redis_conn):
    day = date(2026, 3, 1)
    first = DailyClientKeyer(redis_conn, today=lambda: day)
    second = DailyClientKeyer(Redis(connection_pool=redis_conn.connection_pool), today=lambda: day)
    assert first.key_for(ADDRESS) == second.key_for(ADDRESS)  # one secret per day, shared
    assert first.key_for(ADDRESS) != first.key_for("198.51.100.4")
    next_day = DailyClientKeyer(redis_conn, today=lambda: day + timedelta(days=1))
    assert next_day.key_for(ADDRESS) != first.key_for(ADDRESS)
    [secret_key] = [k for k in redis_conn.scan_iter("tipline:portal:ratelimit-secret:2026-03-01")]
    assert 0 < redis_conn.ttl(secret_key) <= 2 * 24 * 3600

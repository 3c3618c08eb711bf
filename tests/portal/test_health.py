"""/healthz reports the portal database and Redis."""

from __future__ import annotations

from tipline.embedded_redis import free_port


def test_healthy(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"database": "ok", "redis": "ok"}


def test_redis_down(make_settings, client_factory):
    client = client_factory(make_settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"database": "ok", "redis": "error"}


def test_database_unreachable(make_settings, client_factory, tmp_path):
    url = f"sqlite:///{tmp_path / 'no-such-folder' / 'portal.db'}"
    client = client_factory(make_settings(PORTAL_DATABASE_URL=url))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"database": "error", "redis": "ok"}

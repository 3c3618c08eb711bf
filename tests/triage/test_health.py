"""/healthz: database and Redis status, no login needed."""

from __future__ import annotations

from tipline.embedded_redis import free_port
from triage import create_app


def test_healthy(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"database": "ok", "redis": "ok"}


def test_unhealthy_when_redis_or_database_is_unreachable(make_settings, tmp_path) -> None:
    settings = make_settings(
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        TRIAGE_DATABASE_URL=f"sqlite:///{tmp_path}/no/such/dir/triage.db",
    )
    app = create_app(settings)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"database": "error", "redis": "error"}
    app.extensions["triage"].engine.dispose()


def test_creating_the_app_connects_to_nothing(make_settings, tmp_path) -> None:
    settings = make_settings(
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        TRIAGE_DATABASE_URL=f"sqlite:///{tmp_path}/no/such/dir/triage.db",
    )
    app = create_app(settings)  # would raise if it connected
    assert app.name == "triage"

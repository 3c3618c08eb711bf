"""create_app: starts with only the portal's own things; fails closed without a unit key."""

from __future__ import annotations

import shutil

from tests.portal.conftest import VALID_REPORT, Reporter, csrf_token
from tipline.embedded_redis import free_port
from tipline.settings import load_settings


def test_starts_without_private_keys_or_triage_database(env_vars, tmp_path, client_factory, rows):
    env = {k: v for k, v in env_vars.items() if k != "TRIAGE_DATABASE_URL"}
    env["TIPLINE_PRIVATE_KEY_DIR"] = str(tmp_path / "nowhere")
    settings = load_settings(env)
    reporter = Reporter(client_factory(settings))
    assert reporter.submit().status_code == 200
    assert len(rows.outbox()) == 1


def test_creating_the_app_needs_no_network(make_settings, client_factory):
    # Redis is unreachable and the database is never touched at creation.
    client_factory(make_settings(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"))


def test_offline_without_a_public_key(make_settings, client_factory, tmp_path, rows):
    empty = tmp_path / "no-keys"
    empty.mkdir()
    client = client_factory(make_settings(TIPLINE_PUBLIC_KEY_DIR=str(empty)))
    form = client.get("/report")
    assert form.status_code == 503
    page = form.get_data(as_text=True)
    assert "offline" in page and "call 911" in page
    assert "Retry-After" in form.headers
    assert client.get("/").status_code == 200  # the landing page still says to call 911


def test_key_removed_while_running_refuses_instead_of_storing(
    make_settings, client_factory, tmp_path, unit_key_dirs, rows
):
    public = tmp_path / "public"
    shutil.copytree(unit_key_dirs["public"], public)
    reporter = Reporter(client_factory(make_settings(TIPLINE_PUBLIC_KEY_DIR=str(public))))
    token = csrf_token(reporter.form_page())
    for key_file in public.glob("*.pub"):
        key_file.unlink()
    posted = reporter.client.post("/report", data=VALID_REPORT | {"csrf_token": token})
    assert posted.status_code == 503
    assert "offline" in posted.get_data(as_text=True)
    assert rows.outbox() == [] and rows.receipts() == []

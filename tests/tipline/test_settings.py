"""Settings: one loader, clear errors in production, generated secrets in development."""

from __future__ import annotations

import pytest

from tipline.settings import VARIABLES, SettingsError, load_settings


def test_production_names_every_missing_value(tmp_path) -> None:
    settings = load_settings({"TIPLINE_ENV": "production", "TIPLINE_DATA_DIR": str(tmp_path)})
    with pytest.raises(SettingsError) as portal_error:
        settings.require_portal()
    for name in ("PORTAL_DATABASE_URL", "REDIS_URL", "PORTAL_SECRET_KEY", "TIPLINE_RECEIPT_PEPPER"):
        assert name in str(portal_error.value)
    with pytest.raises(SettingsError) as triage_error:
        settings.require_triage()
    for name in (
        "TRIAGE_DATABASE_URL",
        "TIPLINE_PRIVATE_KEY_DIR",
        "TRIAGE_SECRET_KEY",
        "TIPLINE_AUDIT_KEY",
        "TIPLINE_BLIND_INDEX_KEY",
        "TIPLINE_WEBHOOK_SECRET",
    ):
        assert name in str(triage_error.value)
    assert not (tmp_path / "dev-secrets.json").exists()


def test_portal_needs_nothing_from_triage(tmp_path) -> None:
    env = {
        "TIPLINE_ENV": "production",
        "PORTAL_DATABASE_URL": "postgresql+psycopg://portal@db/portal",
        "REDIS_URL": "redis://redis:6379/0",
        "TIPLINE_PUBLIC_KEY_DIR": str(tmp_path),
        "PORTAL_SECRET_KEY": "s" * 40,
        "TIPLINE_RECEIPT_PEPPER": "p" * 40,
    }
    settings = load_settings(env).require_portal()
    assert settings.private_key_dir is None and settings.triage_database_url is None


def test_development_generates_and_keeps_secrets(tmp_path) -> None:
    first = load_settings({"TIPLINE_DATA_DIR": str(tmp_path)})
    second = load_settings({"TIPLINE_DATA_DIR": str(tmp_path)})
    assert first.portal_secret_key and first.portal_secret_key == second.portal_secret_key
    assert first.portal_secret_key != first.triage_secret_key
    assert (tmp_path / "dev-secrets.json").stat().st_mode & 0o077 == 0
    assert first.portal_database_url == f"sqlite:///{tmp_path / 'portal.db'}"


def test_settings_are_frozen(tmp_path) -> None:
    settings = load_settings({"TIPLINE_DATA_DIR": str(tmp_path)})
    with pytest.raises(AttributeError):
        settings.redis_url = "redis://elsewhere"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TIPLINE_ENV", "staging", "TIPLINE_ENV must be one of"),
        ("TIPLINE_RELAY_AFTER_SECONDS", "soon", "must be a whole number"),
        ("TIPLINE_MAX_BODY_BYTES", "10", "at least 4096"),
    ],
)
def test_bad_values_are_explained(tmp_path, name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings({"TIPLINE_DATA_DIR": str(tmp_path), name: value})


def test_every_variable_is_documented() -> None:
    from pathlib import Path

    reference = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
    missing = [name for name in VARIABLES if f"`{name}`" not in reference]
    assert missing == []

"""Run the Alembic environments under ``migrations/portal`` and ``migrations/triage``.

Each side has its own database and its own migration history. ``tipline db upgrade`` applies
both; the portal's can be applied alone (``--side portal``) on a host that has no triage
database.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

SIDES = ("portal", "triage")
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(side: str, url: str) -> Config:
    if side not in SIDES:
        raise ValueError(f"unknown side {side!r}")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR / side))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade(side: str, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(side, url), revision)

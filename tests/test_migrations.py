"""Each Alembic head matches its models, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from tipline import schema_migrations


@pytest.mark.parametrize("side", schema_migrations.SIDES)
def test_head_matches_models(side: str, database_urls: dict[str, str]) -> None:
    assert side in database_urls, f"no migrations for {side}"
    metadata = importlib.import_module(f"{side}.models").Base.metadata
    engine = create_engine(database_urls[side])
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        script = ScriptDirectory.from_config(schema_migrations.alembic_config(side, ""))
        assert context.get_current_revision() == script.get_current_head()
        assert compare_metadata(context, metadata) == []
    engine.dispose()


@pytest.mark.parametrize("side", schema_migrations.SIDES)
def test_single_head(side: str) -> None:
    script = ScriptDirectory.from_config(schema_migrations.alembic_config(side, ""))
    assert len(script.get_heads()) == 1

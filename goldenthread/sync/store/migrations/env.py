"""Alembic environment: always driven programmatically by `goldenthread.sync.store.core`, which passes
an open connection in `config.attributes["connection"]`.

Tests: tests/sync/store/test_core.py"""

from __future__ import annotations

from alembic import context

from goldenthread.sync.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things in place; batch mode recreates tables so upgrades keep data.
    render_as_batch=connection.dialect.name == "sqlite",
    version_table_schema=context.config.attributes.get("schema"),
)
with context.begin_transaction():
    context.run_migrations()

"""The schema on open: Alembic upgrades it to head, and is not even imported when it is there.

Importing Alembic (and through it Mako and every SQLAlchemy dialect's DDL) is a third of the
start-up of a short command such as `goldenthread metrics`, and the schema is at head on all
but the first open after an upgrade. So the head revision is read from the migration files (`store.revision`) and
compared with the database's `alembic_version` first; only a mismatch runs Alembic.
"""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from goldenthread.sync.store.revision import MIGRATIONS, load_head_revision

MIGRATION_LOCK = 0x676F6C64656E  # PostgreSQL advisory lock key held while migrating ("golden")


def load_schema_revision(engine: Engine) -> str | None:
    """The migration the database is at; None for a database without our schema."""
    try:
        with engine.connect() as conn:
            return conn.scalar(text("SELECT version_num FROM alembic_version"))
    except DBAPIError:  # no such table (or no connection: migrate_schema reports that)
        return None


def migrate_schema(engine: Engine) -> None:
    """Alembic `upgrade head` on one connection."""
    from alembic import command
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # replicas starting together on a fresh database would otherwise all create the
            # schema at once (one fails on a duplicate alembic_version): the first migrates,
            # the others wait for its commit and find the schema at head. The lock is per
            # database, so replicas on other schemas of the same database take turns too.
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def upgrade_schema(engine: Engine) -> None:
    """Bring the schema to head: free when it is there already."""
    head = load_head_revision()
    if head is None or load_schema_revision(engine) != head:
        migrate_schema(engine)

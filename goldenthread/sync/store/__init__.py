"""The store: every SQL statement goldenthread runs (issues, changes, sync state, inbox, jobs,
columnar reads), its schema and its Alembic migrations."""

from goldenthread.sync.store.core import Store, build_engine

__all__ = ["Store", "build_engine"]

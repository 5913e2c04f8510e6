"""The store: every SQL statement goldenthread runs (issues, changes, sync state, inbox, jobs,
columnar reads), its schema and its Alembic migrations.

`Store` (SQLAlchemy) is imported when first asked for, so `store.reads` and `store.readonly`,
which `goldenthread metrics` reads through, do not load SQLAlchemy.

Tests: tests/cli/test_imports.py
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from goldenthread.sync.store.core import Store, build_engine

__all__ = ["Store", "build_engine"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from goldenthread.sync.store import core

        return getattr(core, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

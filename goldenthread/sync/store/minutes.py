"""Minutes pages: one row per month, written when goldenthread creates (or first finds) the page.

The row outlives the page: a minutes page deleted in Confluence keeps its row (with `gone_at`),
which is what stops the next run from creating it again.

Tests: tests/sync/confluence/test_minutes.py
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from goldenthread.sync.store import schema as t
from goldenthread.mappings.values import parse_datetime
from goldenthread.sync.store.core import Store

minutes = t.minutes_pages


def load_minutes(store: Store, month: str) -> dict[str, Any] | None:
    with store.engine.connect() as conn:
        row = conn.execute(select(minutes).where(minutes.c.month == month)).first()
    if row is None:
        return None
    d = dict(row._mapping)
    d["created_at"], d["gone_at"] = parse_datetime(d["created_at"]), parse_datetime(d["gone_at"])
    return d


def save_minutes(store: Store, month: str, *, title: str, page_id: str, url: str, created_at: datetime,
                 how: str) -> None:
    """Record the month's minutes page; a second record for the same month is ignored (the
    first page stays the month's)."""
    with store.begin() as conn:
        if conn.execute(select(minutes.c.month).where(minutes.c.month == month)).first() is None:
            conn.execute(minutes.insert().values(month=month, title=title, page_id=page_id, url=url,
                                                 created_at=created_at, how=how))


def save_minutes_gone(store: Store, month: str, at: datetime) -> None:
    with store.begin() as conn:
        conn.execute(update(minutes).where(minutes.c.month == month, minutes.c.gone_at.is_(None))
                     .values(gone_at=at))

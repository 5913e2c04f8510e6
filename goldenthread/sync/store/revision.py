"""The schema revision the code expects: the head of the migration files, read from the files
themselves, without importing Alembic or SQLAlchemy (`store.upgrade` compares it with the
database before migrating; `store.readonly` before reading without SQLAlchemy).

Tests: tests/sync/store/test_upgrade.py
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

MIGRATIONS = Path(__file__).with_name("migrations")
_REVISION = re.compile(r"^(down_)?revision\s*(?::[^=]*)?=\s*(?:['\"](\w+)['\"]|None)", re.MULTILINE)


@cache
def load_head_revision() -> str | None:
    """The newest migration's id: the revision no migration file names as its down_revision
    (None unless there is exactly one). tests/sync/store checks it against Alembic's answer."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        for down, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            if value:
                (parents if down else revisions).add(value)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None

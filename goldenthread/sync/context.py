"""What every command needs: settings, the validated config, the store, a clock, progress.

Tests: tests/sync/confluence/test_publisher.py
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING

from goldenthread.mappings.config import Config
from goldenthread.mappings.yaml_lines import LineMap
from goldenthread.sync.errors import BadUsage, RunFailed
from goldenthread.sync.progress import NullReporter, Reporter
from goldenthread.sync.settings import Settings

if TYPE_CHECKING:
    from goldenthread.sync.store import Store
    from goldenthread.sync.store.readonly import ReadStore

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def _shown(url: str) -> str:
    """The URL without its password, even when it does not parse."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def open_store(url: str) -> Store:
    """Store.open, with the driver's failure turned into one line naming GOLDENTHREAD_DATABASE_URL:
    BadUsage (exit 2) for a URL no driver takes, RunFailed (exit 1) for a database that is down."""
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    from goldenthread.sync.store import Store

    try:
        return Store.open(url)
    except (ArgumentError, NoSuchModuleError, ModuleNotFoundError) as exc:
        raise BadUsage(
            f"GOLDENTHREAD_DATABASE_URL={_shown(url)!r} is not a database URL goldenthread can use ({exc}): "
            "expected sqlite:///path/to/goldenthread.db or postgresql://user@host:5432/dbname"
        ) from None
    except DBAPIError as exc:
        first = str(exc.orig or exc).strip().splitlines()[0] if str(exc.orig or exc).strip() else type(exc).__name__
        raise RunFailed(
            f"cannot open the store at {_shown(url)} ({first.removeprefix('connection failed: ')}): "
            "check GOLDENTHREAD_DATABASE_URL and that the database is running"
        ) from None


@dataclass
class AppContext:
    settings: Settings
    config: Config
    lines: LineMap = field(default_factory=dict)
    clock: Clock = system_clock
    reporter: Reporter = field(default_factory=NullReporter)
    database_url: str | None = None

    @cached_property
    def store(self) -> Store:
        return open_store(self.database_url or self.settings.goldenthread_database_url)

    @cached_property
    def reader(self) -> ReadStore | Store:
        """The store for a command that only reads reports (`metrics`): a plain DBAPI connection
        without SQLAlchemy when the schema is at head (`store.readonly`), else `store`."""
        from goldenthread.sync.store.readonly import open_read_store

        return open_read_store(self.database_url or self.settings.goldenthread_database_url) or self.store

    def close(self) -> None:
        reader = self.__dict__.get("reader")
        if reader is not None and reader is not self.__dict__.get("store"):
            reader.close()
        if "store" in self.__dict__:
            self.store.close()

"""What every command needs: settings, the validated config, the store, a clock, progress."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from goldenthread.mappings.config import Config, LineMap
from goldenthread.sync.progress import NullReporter, Reporter
from goldenthread.sync.settings import Settings
from goldenthread.sync.store import Store

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


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
        return Store.open(self.database_url or self.settings.goldenthread_database_url)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()

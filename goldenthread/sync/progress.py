"""Progress for long work: a rich progress bar on a terminal, plain log lines otherwise."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # rich is imported where a bar is drawn: cron, pipes and `metrics` never draw one
    from rich.console import Console
    from rich.progress import Progress, TaskID

log = logging.getLogger("goldenthread")


class Task(Protocol):
    def advance(self, n: int = 1, total: int | None = None) -> None: ...


class Reporter(Protocol):
    # Callers use `with reporter.task(...) as t:` so the bar/log closes even when the work fails.
    def task(
        self, description: str, total: int | None = None
    ) -> AbstractContextManager[Task]: ...


class _LogTask:
    """Logs at most every 10% (or every 1000 items when the total is unknown)."""

    def __init__(self, description: str, total: int | None) -> None:
        self.description, self.total, self.done, self._next = description, total, 0, 0

    def advance(self, n: int = 1, total: int | None = None) -> None:
        if total is not None:
            self.total = total
        self.done += n
        if self.done >= self._next:
            of = f"/{self.total}" if self.total else ""
            log.info("%s: %d%s", self.description, self.done, of)
            step = max(1, (self.total or 10_000) // 10)
            self._next = self.done + step


class LogReporter:
    @contextmanager
    def task(self, description: str, total: int | None = None) -> Iterator[Task]:
        t = _LogTask(description, total)
        log.info("%s: started", description)
        yield t
        log.info("%s: done (%d)", description, t.done)


class _RichTask:
    def __init__(self, progress: Progress, task_id: TaskID) -> None:
        self.progress, self.task_id = progress, task_id

    def advance(self, n: int = 1, total: int | None = None) -> None:
        if total is not None:
            self.progress.update(self.task_id, total=total)
        self.progress.advance(self.task_id, n)


class RichReporter:
    def __init__(self, console: Console) -> None:
        self.console = console

    @contextmanager
    def task(self, description: str, total: int | None = None) -> Iterator[Task]:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        ) as progress:
            yield _RichTask(progress, progress.add_task(description, total=total))


class NullReporter:
    @contextmanager
    def task(self, description: str, total: int | None = None) -> Iterator[Task]:
        yield _Null()


class _Null:
    def advance(self, n: int = 1, total: int | None = None) -> None:
        return None


def build_reporter(console: Console | None = None) -> Reporter:
    """A progress bar when attached to a terminal, log lines otherwise (cron, CI, containers)."""
    if console is None:
        from rich.console import Console

        console = Console(stderr=True)
    if console.is_terminal and sys.stderr.isatty():
        return RichReporter(console)
    return LogReporter()

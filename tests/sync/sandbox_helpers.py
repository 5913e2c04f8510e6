"""Shared fixtures for the sandbox tests: a fixed clock and a running sandbox per test module."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx

from goldenthread.sandbox import RunningSandbox, SandboxState, start_sandbox

NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


class FakeClock:
    """An injected wall clock and monotonic clock the tests move by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now
        self.mono = 1000.0

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.mono


@contextmanager
def running(issues: int = 120, seed: int = 7, **kwargs: object) -> Iterator[tuple[RunningSandbox, SandboxState, httpx.Client]]:
    clock = FakeClock()
    state = SandboxState.build(seed=seed, issues=issues, now=NOW, clock=clock, monotonic=clock.monotonic, **kwargs)
    with start_sandbox(state) as sb, httpx.Client(base_url=sb.url, auth=(sb.user, sb.token), timeout=10) as client:
        yield sb, state, client

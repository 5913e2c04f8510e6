"""Fault injection and request counters for the sandbox.

Faults are consumed by the sandbox app before routing. A queued fault fires once per matching
request; `probability` draws from a seeded RNG so a flaky run can be replayed.

Kinds: "429", "503", "500" answer with that status and do nothing; "403" refuses the request
as Jira refuses a user without the permission it needs (an admin-only API); "drop" closes the connection
before doing anything; "lost" does the request, then closes the connection instead of answering
(a write that landed while its client saw a reset: what a client must re-read before retrying).
"""

from __future__ import annotations

import random
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Literal

FaultKind = Literal["429", "503", "500", "403", "drop", "lost"]


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    retry_after: int = 1  # seconds, sent with 429 and 503
    path_prefix: str = ""  # only requests whose path starts with this (e.g. "/rest/api/3/search")
    method: str | None = None


@dataclass
class Faults:
    latency_ms: float = 0.0
    probability: float = 0.0  # chance that any matching request gets a random fault from `random_kinds`
    random_kinds: tuple[FaultKind, ...] = ("503",)
    random_path_prefix: str = ""
    random_retry_after: int = 1
    seed: int = 0
    injected: Counter[str] = field(default_factory=Counter)
    _queue: deque[Fault] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def inject(self, kind: FaultKind, times: int = 1, retry_after: int = 1, path_prefix: str = "",
               method: str | None = None) -> None:
        """Queue `times` faults of `kind` for the next matching requests."""
        with self._lock:
            self._queue.extend(Fault(kind, retry_after, path_prefix, method and method.upper()) for _ in range(times))

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self.probability = 0.0
            self.latency_ms = 0.0

    @property
    def pending(self) -> int:
        return len(self._queue)

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for f in self._queue:
                if path.startswith(f.path_prefix) and (f.method is None or f.method == method):
                    self._queue.remove(f)
                    self.injected[f.kind] += 1
                    return f
            if self.probability > 0 and path.startswith(self.random_path_prefix):
                if self._rng.random() < self.probability:
                    kind = self._rng.choice(self.random_kinds)
                    self.injected[kind] += 1
                    return Fault(kind, self.random_retry_after)
        return None


@dataclass
class Stats:
    """Requests per "METHOD /path/{template}" and writes (state-changing calls that succeeded)."""

    requests: Counter[str] = field(default_factory=Counter)
    writes: int = 0
    writes_by: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count_request(self, method: str, template: str) -> None:
        with self._lock:
            self.requests[f"{method} {template}"] += 1

    def count_write(self, what: str) -> None:
        with self._lock:
            self.writes += 1
            self.writes_by[what] += 1

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.writes = 0
            self.writes_by.clear()

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {"requests": dict(self.requests), "writes": self.writes, "writes_by": dict(self.writes_by),
                    "total": sum(self.requests.values())}

    def calls(self, method: str, template: str) -> int:
        return self.requests.get(f"{method.upper()} {template}", 0)
